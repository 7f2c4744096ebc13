import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "pg";
import { hasuraProjectDir, readMetadata } from "../../infra/hasura/project";
import { loadPermissions, PermissionDenied, type Permissions, type RoleClient } from "../support/hasura-permissions";
import { startPostgres, type TestDatabase } from "../support/postgres";

// Hasura cannot run here. These attacks run, on a Postgres set up as Cloud SQL sets it up, the SQL Hasura generates for
// each role's permissions in hasura/metadata (test/support/hasura-permissions.ts translates them, after Hasura's
// documented contract and source). Hasura connects as its user `hasura`, which owns the tables; so does this client.

const checkFailed = /check constraint of an (insert|update) permission has failed/;
/** Refused by Hasura's check or, before it runs, by the database's own trigger (whoever writes, the rule holds). */
const refusedPatch = /check constraint of an insert permission has failed|cannot apply to an owner|held by owners alone/;

describe("Hasura permissions under attack", () => {
  let database: TestDatabase;
  let client: Client;
  let permissions: Permissions;
  let serial = 0;

  const as = (userId: string): RoleClient => permissions.as(client, { "x-hasura-role": "user", "x-hasura-user-id": userId });
  /** What core's storage push does once an upload matches what was signed (services/core/src/push/storage-object-finalized.ts). */
  const confirmUploads = (...ids: unknown[]) => client.query("update files set status = 'uploaded', uploaded_at = now() where id = any($1)", [ids]);
  const operator = (userId: string): RoleClient => permissions.as(client, { "x-hasura-role": "operator", "x-hasura-user-id": userId });

  /** A new user row, as the user-sync function writes it (through Hasura's admin role). */
  async function user(prefix: string, role: "user" | "operator" = "user"): Promise<string> {
    const id = `${prefix}-${++serial}`;
    await client.query("insert into users (id, email, phone, display_name, role) values ($1, $2, $3, $1, $4)", [id, `${id}@example.invalid`, `+3247000${String(serial).padStart(4, "0")}`, role]);
    return id;
  }

  /** An organization as createOrganization makes it (organization and owner membership in one transaction), plus members. */
  async function organization(members: Record<string, "owner" | "admin" | "member"> = {}): Promise<{ id: string; owner: string }> {
    const owner = await user("owner");
    await client.query("begin");
    try {
      await client.query("select set_config('hasura.user', $1, true)", [JSON.stringify({ "x-hasura-role": "user", "x-hasura-user-id": owner })]);
      const { rows } = await client.query<{ id: string }>("insert into organizations (name, created_by) values ($1, $2) returning id", [`Org ${serial}`, owner]);
      await client.query("insert into memberships (organization_id, user_id, role) values ($1, $2, 'owner')", [rows[0].id, owner]);
      for (const [member, role] of Object.entries(members)) {
        await client.query("insert into memberships (organization_id, user_id, role) values ($1, $2, $3)", [rows[0].id, member, role]);
      }
      await client.query("commit");
      return { id: rows[0].id, owner };
    } catch (error) {
      await client.query("rollback");
      throw error;
    }
  }

  async function effective(organizationId: string, userId: string): Promise<string[]> {
    const { rows } = await client.query<{ permission: string }>(
      "select permission from membership_effective_permissions where organization_id = $1 and user_id = $2 order by permission",
      [organizationId, userId],
    );
    return rows.map((row) => row.permission);
  }

  async function roleOf(organizationId: string, userId: string): Promise<string | undefined> {
    const { rows } = await client.query<{ role: string }>("select role from memberships where organization_id = $1 and user_id = $2", [organizationId, userId]);
    return rows[0]?.role;
  }

  const membership = (organizationId: string, userId: string) => ({ organization_id: { _eq: organizationId }, user_id: { _eq: userId } });

  beforeAll(async () => {
    database = await startPostgres();
    client = new Client({ connectionString: database.url });
    await client.connect();
    permissions = await loadPermissions(client, readMetadata(hasuraProjectDir));
  });
  afterAll(async () => {
    await client?.end();
    await database?.stop();
  });

  describe("1. an organization admin cannot lock out its owners", () => {
    it("refuses an admin's revoke patches on an owner, and the owner keeps every permission", async () => {
      const admin = await user("admin");
      const org = await organization({ [admin]: "admin" });
      for (const permission of ["members.manage", "organization.delete"]) {
        await expect(as(admin).insert("membership_permission_patches", { organization_id: org.id, user_id: org.owner, permission, effect: "revoke" })).rejects.toThrow(refusedPatch);
      }
      // Not even a writer that skips Hasura's rules (the admin secret, a service) can patch an owner.
      await expect(
        client.query("insert into membership_permission_patches (organization_id, user_id, permission, effect) values ($1, $2, 'members.manage', 'revoke')", [org.id, org.owner]),
      ).rejects.toThrow(/cannot apply to an owner/);
      expect(await effective(org.id, org.owner)).toEqual((await client.query("select name from permissions order by name")).rows.map((r) => r.name));
    });

    it("lets an admin neither demote nor remove an owner", async () => {
      const admin = await user("admin");
      const org = await organization({ [admin]: "admin" });
      expect(await as(admin).update("memberships", membership(org.id, org.owner), { role: "member" })).toEqual([]);
      expect(await as(admin).delete("memberships", membership(org.id, org.owner))).toEqual([]);
      expect(await roleOf(org.id, org.owner)).toBe("owner");
    });

    it("ignores patches made before a member became owner", async () => {
      const member = await user("member");
      const org = await organization({ [member]: "member" });
      await as(org.owner).insert("membership_permission_patches", { organization_id: org.id, user_id: member, permission: "files.read", effect: "revoke" });
      expect(await effective(org.id, member)).not.toContain("files.read");
      await as(org.owner).update("memberships", membership(org.id, member), { role: "owner" });
      expect(await effective(org.id, member)).toContain("files.read");
    });

    it("keeps an owner in every organization, while owners hand ownership over", async () => {
      const successor = await user("successor");
      const org = await organization({ [successor]: "admin" });
      await expect(as(org.owner).update("memberships", membership(org.id, org.owner), { role: "admin" })).rejects.toThrow(/no owner left/);
      expect(await roleOf(org.id, org.owner)).toBe("owner");
      await expect(as(org.owner).delete("memberships", membership(org.id, org.owner))).rejects.toThrow(/no owner left/);
      // Promote first, then step down.
      await as(org.owner).update("memberships", membership(org.id, successor), { role: "owner" });
      await as(org.owner).update("memberships", membership(org.id, org.owner), { role: "admin" });
      expect([await roleOf(org.id, successor), await roleOf(org.id, org.owner)]).toEqual(["owner", "admin"]);
    });

    it("never blocks a user's own deletion, even as last owner (the organization is left to operators)", async () => {
      const org = await organization();
      await client.query("delete from users where id = $1", [org.owner]);
      expect((await client.query("select 1 from organizations where id = $1", [org.id])).rowCount).toBe(1);
    });
  });

  describe("2. nobody gains a permission through a second account", () => {
    it("refuses granting what the granter does not hold, and owner-only permissions to anyone", async () => {
      const admin = await user("admin");
      const alt = await user("alt");
      const org = await organization({ [admin]: "admin" });
      await as(admin).insert("memberships", { organization_id: org.id, user_id: alt, role: "member" });
      await expect(as(admin).insert("membership_permission_patches", { organization_id: org.id, user_id: alt, permission: "organization.delete", effect: "grant" })).rejects.toThrow(refusedPatch);
      // Hasura's own check: once the owner took flags.manage from the admin, the admin cannot hand it to anyone.
      await as(org.owner).insert("membership_permission_patches", { organization_id: org.id, user_id: admin, permission: "flags.manage", effect: "revoke" });
      await expect(as(admin).insert("membership_permission_patches", { organization_id: org.id, user_id: alt, permission: "flags.manage", effect: "grant" })).rejects.toThrow(checkFailed);
      expect(await effective(org.id, alt)).not.toContain("flags.manage");
      // Owners hold it, and still cannot hand it out.
      await expect(as(org.owner).insert("membership_permission_patches", { organization_id: org.id, user_id: alt, permission: "organization.delete", effect: "grant" })).rejects.toThrow(refusedPatch);
      await expect(
        client.query("insert into membership_permission_patches (organization_id, user_id, permission, effect) values ($1, $2, 'organization.delete', 'grant')", [org.id, alt]),
      ).rejects.toThrow(/held by owners alone/);
      expect(await effective(org.id, alt)).not.toContain("organization.delete");
    });

    it("refuses assigning a role with a permission the manager lacks: no owner by an admin, no admin by a restricted admin", async () => {
      const admin = await user("admin");
      const alt = await user("alt");
      const org = await organization({ [admin]: "admin" });
      await expect(as(admin).insert("memberships", { organization_id: org.id, user_id: alt, role: "owner" })).rejects.toThrow(checkFailed);
      expect(await as(admin).update("memberships", membership(org.id, admin), { role: "owner" }).catch((e: Error) => e)).toBeInstanceOf(PermissionDenied);
      // The owner takes files.delete from the admin; the admin can no longer make anyone an admin (which includes it).
      await as(org.owner).insert("membership_permission_patches", { organization_id: org.id, user_id: admin, permission: "files.delete", effect: "revoke" });
      await expect(as(admin).insert("memberships", { organization_id: org.id, user_id: alt, role: "admin" })).rejects.toThrow(checkFailed);
      await as(admin).insert("memberships", { organization_id: org.id, user_id: alt, role: "member" });
      expect(await roleOf(org.id, alt)).toBe("member");
    });

    it("stops the second-account round trip: grant members.manage, then undo the owner's revoke or re-add the admin", async () => {
      const admin = await user("admin");
      const alt = await user("alt");
      const org = await organization({ [admin]: "admin" });
      await as(org.owner).insert("membership_permission_patches", { organization_id: org.id, user_id: admin, permission: "files.delete", effect: "revoke" });
      await as(admin).insert("memberships", { organization_id: org.id, user_id: alt, role: "member" });
      // Handing out what one holds is allowed: members.manage.
      await as(admin).insert("membership_permission_patches", { organization_id: org.id, user_id: alt, permission: "members.manage", effect: "grant" });
      expect(await effective(org.id, alt)).toContain("members.manage");
      // The helper cannot remove the revoke (that would hand out files.delete, which it lacks) ...
      expect(await as(alt).delete("membership_permission_patches", { ...membership(org.id, admin), permission: { _eq: "files.delete" } })).toEqual([]);
      await expect(as(alt).update("membership_permission_patches", { ...membership(org.id, admin), permission: { _eq: "files.delete" } }, { effect: "grant" })).resolves.toEqual([]);
      // ... nor grant it back ...
      await expect(as(alt).insert("membership_permission_patches", { organization_id: org.id, user_id: admin, permission: "files.delete", effect: "grant" })).rejects.toThrow();
      // ... nor remove the admin (patches die with the membership) and add them back as a fresh admin.
      expect(await as(alt).delete("memberships", membership(org.id, admin))).toEqual([]);
      await as(admin).delete("memberships", membership(org.id, admin)); // leaving is always allowed
      await expect(as(alt).insert("memberships", { organization_id: org.id, user_id: admin, role: "admin" })).rejects.toThrow(checkFailed);
      await expect(as(admin).insert("memberships", { organization_id: org.id, user_id: admin, role: "admin" })).rejects.toThrow(checkFailed);
      expect(await roleOf(org.id, admin)).toBeUndefined();
    });

    it("refuses patching oneself", async () => {
      const admin = await user("admin");
      const org = await organization({ [admin]: "admin" });
      await as(org.owner).insert("membership_permission_patches", { organization_id: org.id, user_id: admin, permission: "flags.manage", effect: "revoke" });
      expect(await as(admin).delete("membership_permission_patches", { ...membership(org.id, admin), permission: { _eq: "flags.manage" } })).toEqual([]);
      expect(await effective(org.id, admin)).not.toContain("flags.manage");
    });
  });

  describe("3. anonymous callers reach the public catalogue only", () => {
    it("reads role names and permissions, and nothing else, whatever x-hasura-* headers claim", async () => {
      const org = await organization();
      // Without a JWT, Hasura builds the session from the request's x-hasura-* headers: a claimed user id changes nothing.
      const anonymous = permissions.as(client, { "x-hasura-role": "anonymous", "x-hasura-user-id": org.owner });
      expect((await anonymous.select("organization_roles")).map((r) => r.name).sort()).toEqual(["admin", "member", "owner"]);
      expect((await anonymous.select("permissions")).length).toBeGreaterThan(0);
      for (const table of ["users", "organizations", "memberships", "files", "membership_effective_permissions", "audit_log", "row_quotas"]) {
        await expect(anonymous.select(table), table).rejects.toBeInstanceOf(PermissionDenied);
      }
      await expect(anonymous.insert("organization_roles", { name: "x", description: "x" })).rejects.toBeInstanceOf(PermissionDenied);
    });
  });

  describe("5. file paths belong to the server", () => {
    it("derives the object path from the scope and file id, and refuses a path from the client", async () => {
      const member = await user("member");
      const org = await organization({ [member]: "member" });
      const [file] = await as(member).insert("files", { organization_id: org.id, name: "report.pdf", content_type: "application/pdf", size_bytes: 10 });
      expect(file.object_path).toBe(`organizations/${org.id}/${file.id}`);
      expect(file.owner_id).toBe(member);
      const [personal] = await as(member).insert("files", { name: "me.png", content_type: "image/png", size_bytes: 1 });
      expect(personal.object_path).toBe(`users/${member}/${personal.id}`);
      await expect(as(member).insert("files", { organization_id: org.id, name: "x", content_type: "text/plain", size_bytes: 1, object_path: `organizations/${org.id}/claimed` })).rejects.toMatchObject({ code: "validation-failed" });
      await expect(as(member).update("files", { id: { _eq: file.id } }, { object_path: "elsewhere" })).rejects.toMatchObject({ code: "validation-failed" });
      // Even the admin role cannot move a file.
      await expect(client.query("update files set object_path = 'elsewhere' where id = $1", [file.id])).rejects.toThrow(/cannot change/);
    });

    it("refuses files in an organization where the caller may not write, and malformed media types", async () => {
      const outsider = await user("outsider");
      const member = await user("member");
      const org = await organization({ [member]: "member" });
      await expect(as(outsider).insert("files", { organization_id: org.id, name: "x", content_type: "text/plain", size_bytes: 1 })).rejects.toThrow(checkFailed);
      for (const contentType of ["text/plain; x=<script>", "text/plain\nX: y", `text/${"a".repeat(200)}`]) {
        await expect(as(member).insert("files", { name: "x", content_type: contentType, size_bytes: 1 }), contentType).rejects.toThrow(/files_content_type_check/);
      }
    });
  });

  describe("6. members who leave lose the organization's files", () => {
    it("takes the files a member uploaded away when they leave, and keeps their personal files", async () => {
      const member = await user("member");
      const org = await organization({ [member]: "member" });
      const [file] = await as(member).insert("files", { organization_id: org.id, name: "mine.txt", content_type: "text/plain", size_bytes: 3 });
      const [personal] = await as(member).insert("files", { name: "diary.txt", content_type: "text/plain", size_bytes: 3 });
      await confirmUploads(file.id, personal.id);
      expect((await as(member).select("files")).map((f) => f.id).sort()).toEqual([file.id, personal.id].sort());
      await as(member).delete("memberships", membership(org.id, member));
      expect((await as(member).select("files")).map((f) => f.id)).toEqual([personal.id]);
      expect(await as(member).update("files", { id: { _eq: file.id } }, { name: "stolen.txt" })).toEqual([]);
      expect(await as(member).delete("files", { id: { _eq: file.id } })).toEqual([]);
      expect((await as(org.owner).select("files")).map((f) => f.id)).toEqual([file.id]);
    });
  });

  describe("6b. a file is readable once its upload is confirmed", () => {
    it("hides pending and failed files from everyone in their scope, and shows them once uploaded", async () => {
      const member = await user("member");
      const org = await organization({ [member]: "member" });
      const [file] = await as(member).insert("files", { organization_id: org.id, name: "draft.pdf", content_type: "application/pdf", size_bytes: 5 });
      const [personal] = await as(member).insert("files", { name: "mine.png", content_type: "image/png", size_bytes: 5 });
      expect((await client.query("select status from files where id = any($1)", [[file.id, personal.id]])).rows).toEqual([{ status: "pending" }, { status: "pending" }]);
      expect(await as(member).select("files")).toEqual([]);
      expect(await as(org.owner).select("files")).toEqual([]);
      await client.query("update files set status = 'failed' where id = $1", [personal.id]);
      expect(await as(member).select("files")).toEqual([]);
      await confirmUploads(file.id);
      expect((await as(member).select("files")).map((f) => [f.id, f.status])).toEqual([[file.id, "uploaded"]]);
      expect((await as(org.owner).select("files")).map((f) => f.id)).toEqual([file.id]);
    });

    it("keeps the upload state and the signed content type out of clients' hands", async () => {
      const member = await user("member");
      const [file] = await as(member).insert("files", { name: "a.png", content_type: "image/png", size_bytes: 5 });
      await expect(as(member).insert("files", { name: "b.png", content_type: "image/png", size_bytes: 5, status: "uploaded" })).rejects.toMatchObject({ code: "validation-failed" });
      await confirmUploads(file.id);
      await expect(as(member).update("files", { id: { _eq: file.id } }, { content_type: "text/html" })).rejects.toMatchObject({ code: "validation-failed" });
      await expect(as(member).update("files", { id: { _eq: file.id } }, { status: "pending" })).rejects.toMatchObject({ code: "validation-failed" });
      expect((await as(member).update("files", { id: { _eq: file.id } }, { name: "renamed.png" })).map((f) => f.name)).toEqual(["renamed.png"]);
    });
  });

  describe("7. operators act through their own role, while their users row says so", () => {
    it("lets an operator read every organization, and a demoted operator's unexpired token nothing", async () => {
      const org = await organization();
      const active = await user("operator", "operator");
      const demoted = await user("demoted");
      expect((await operator(active).select("organizations")).map((o) => o.id)).toContain(org.id);
      expect(await operator(demoted).select("organizations")).toEqual([]);
      expect(await operator(demoted).update("users", { id: { _eq: demoted } }, { role: "operator" })).toEqual([]);
      expect((await client.query("select role from users where id = $1", [demoted])).rows[0].role).toBe("user");
    });
  });

  describe("9. caps and the permission catalogue hold", () => {
    it("caps display names and organization names whichever API writes them", async () => {
      const org = await organization();
      await expect(as(org.owner).update("users", { id: { _eq: org.owner } }, { display_name: "x".repeat(101) })).rejects.toThrow(/users_display_name_length/);
      await expect(as(org.owner).update("organizations", { id: { _eq: org.id } }, { name: "x".repeat(201) })).rejects.toThrow(/organizations_name_length/);
      await expect(as(org.owner).insert("organization_feature_flags", { organization_id: org.id, key: "k".repeat(64), enabled: true })).rejects.toThrow(/organization_feature_flags_key_check/);
      await as(org.owner).update("organizations", { id: { _eq: org.id } }, { name: "Renamed" });
      expect((await client.query("select name from organizations where id = $1", [org.id])).rows[0].name).toBe("Renamed");
    });

    it("caps the files one user owns (and so the audit rows they cost)", async () => {
      const member = await user("member");
      await client.query("update row_quotas set max_rows = 3 where name = 'files_per_owner'");
      try {
        for (let i = 0; i < 3; i++) await as(member).insert("files", { name: `f${i}`, content_type: "text/plain", size_bytes: 1 });
        await expect(as(member).insert("files", { name: "one too many", content_type: "text/plain", size_bytes: 1 })).rejects.toMatchObject({ code: "54000", constraint: "files_per_owner_limit" });
      } finally {
        await client.query("update row_quotas set max_rows = 1000 where name = 'files_per_owner'");
      }
    });

    it("checks organization.read: a member whose read is revoked no longer sees the organization", async () => {
      const member = await user("member");
      const org = await organization({ [member]: "member" });
      expect((await as(member).select("organizations")).map((o) => o.id)).toEqual([org.id]);
      await as(org.owner).insert("membership_permission_patches", { organization_id: org.id, user_id: member, permission: "organization.read", effect: "revoke" });
      expect(await as(member).select("organizations")).toEqual([]);
    });
  });

  describe("legitimate paths stay open", () => {
    it("lets owners, admins and members do their work, and outsiders see nothing", async () => {
      const admin = await user("admin");
      const member = await user("member");
      const newcomer = await user("newcomer");
      const outsider = await user("outsider");
      const org = await organization({ [admin]: "admin", [member]: "member" });
      // Admin adds and promotes a member; grants a permission it holds.
      await as(admin).insert("memberships", { organization_id: org.id, user_id: newcomer, role: "member" });
      await as(admin).update("memberships", membership(org.id, newcomer), { role: "admin" });
      await as(admin).insert("membership_permission_patches", { organization_id: org.id, user_id: member, permission: "flags.manage", effect: "grant" });
      // The member now manages flags; everyone with flags.read sees them.
      await as(member).insert("organization_feature_flags", { organization_id: org.id, key: "beta", enabled: true });
      expect((await as(newcomer).select("organization_feature_flags")).map((f) => f.key)).toEqual(["beta"]);
      // Members see each other (members.read); each sees their own effective permissions and everyone's.
      expect((await as(member).select("memberships")).map((m) => m.user_id).sort()).toEqual([org.owner, admin, member, newcomer].sort());
      expect((await as(member).select("membership_effective_permissions", { where: { user_id: { _eq: member } } })).map((p) => p.permission)).toContain("flags.manage");
      // Owners rename and delete.
      await as(org.owner).update("organizations", { id: { _eq: org.id } }, { name: "Still here" });
      // Outsiders see nothing of it, and only their own user row, without anyone's phone or e-mail.
      for (const table of ["organizations", "memberships", "membership_effective_permissions", "membership_permission_patches", "organization_feature_flags", "files"]) {
        expect(await as(outsider).select(table), table).toEqual([]);
      }
      expect((await as(outsider).select("users")).map((u) => u.id)).toEqual([outsider]);
      expect(await as(admin).delete("organizations", { id: { _eq: org.id } })).toEqual([]);
      expect((await as(org.owner).delete("organizations", { id: { _eq: org.id } })).map((o) => o.id)).toEqual([org.id]);
    });

    it("lets a member without members.read see their own membership and permissions only", async () => {
      const member = await user("member");
      const other = await user("other");
      const org = await organization({ [member]: "member", [other]: "member" });
      await as(org.owner).insert("membership_permission_patches", { organization_id: org.id, user_id: member, permission: "members.read", effect: "revoke" });
      expect((await as(member).select("memberships")).map((m) => m.user_id)).toEqual([member]);
      expect(new Set((await as(member).select("membership_effective_permissions")).map((p) => p.user_id))).toEqual(new Set([member]));
      expect((await as(member).select("membership_permission_patches")).map((p) => p.permission)).toEqual(["members.read"]);
    });
  });
});
