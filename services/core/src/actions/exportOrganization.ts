import { ActionError, defineAction } from "@pulsura/kit";
import { z } from "zod";

/**
 * Starts an export of an organization's data (the organization, its members, its files' details) as one JSON file in
 * the organization's files: a pending files row now, the export-organization job fills it in the background, and the
 * file is then downloaded like any other (createDownloadUrl). Owners and admins of the organization only, since the
 * export lists every member.
 */
export default defineAction({
  roles: ["user"],
  input: z.object({ organizationId: z.uuid() }),
  async handler({ organizationId }, { caller, transaction, jobs }) {
    if (!caller.userId) throw new ActionError("exporting needs a signed-in user", { code: "access-denied", status: 403 });
    const userId = caller.userId;
    const fileId = await transaction(async (tx) => {
      const allowed = await tx.query({
        name: "core-export-allowed",
        text: `select 1 from memberships m
                where m.organization_id = $1 and m.user_id = $2 and m.role in ('owner', 'admin')
                  and exists (select 1 from file_access_scopes s
                               where s.access_scope = 'organization:' || $1::text and s.user_id = $2 and s.permission = 'files.write')`,
        values: [organizationId, userId],
      });
      if (allowed.rowCount === 0) throw new ActionError("only the organization's owners and admins may export it", { code: "access-denied", status: 403 });
      const inserted = await tx.query<{ id: string }>({
        name: "core-insert-export-file",
        text: `insert into files (owner_id, organization_id, name, content_type, size_bytes)
               values ($1, $2, 'export-' || to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24MISS"Z"') || '.json', 'application/json', 0)
               returning id`,
        values: [userId, organizationId],
      });
      return inserted.rows[0]!.id;
    });
    // After the commit, so the job finds the row. Keyed by the file: a retried enqueue of this export enqueues once.
    const enqueued = await jobs.enqueue("export-organization", { fileId }, { dedupeKey: fileId });
    return { fileId, status: enqueued.status === "duplicate" ? "already started" : "started" };
  },
});
