/**
 * `npm run dev` end to end: scripts/dev.ts starts for real (embedded Postgres, Firebase Auth + Functions emulators,
 * the services, Hasura only where a Docker engine answers), every printed URL gets a real request, and Ctrl-C
 * (SIGINT to the process group, as a terminal sends it) must stop everything and exit 0. Each run uses a temporary
 * data directory and free ports, so it never touches .tmp/dev or a developer's running stack.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasuraProjectDir, readMigrations, readSeeds } from "../../infra/hasura/project";
import { devRunVariable } from "../../scripts/lib/dev/lifeline";
import {
  bannerValue,
  groupMembers,
  killEverything,
  parseProcessReport,
  processTree,
  processesWithMarker,
  repoRoot,
  runMarkerVariable,
  startDev,
  stillRunning,
  type DevRun,
} from "./support/dev-process";
import { onCleanup } from "../support/cleanup";

/** Deadlines for a loaded 2-core machine: the emulators alone take 10–40 s to come up there. */
const readyDeadlineMs = 240_000;
const stopDeadlineMs = 120_000;

function dockerEngine(): { available: boolean; reason: string } {
  try {
    execFileSync("docker", ["info"], { stdio: "ignore", timeout: 30_000 });
    return { available: true, reason: "" };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { available: false, reason: code === "ENOENT" ? "docker is not installed" : "no Docker engine answers `docker info`" };
  }
}
const docker = dockerEngine();

interface SignUpResponse {
  localId: string;
  idToken: string;
}

async function signUp(authUrl: string, email: string): Promise<SignUpResponse> {
  const response = await fetch(`${authUrl}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=demo-api-key`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: "correct-horse-battery", returnSecureToken: true }),
  });
  const body = (await response.json()) as SignUpResponse & { error?: unknown };
  if (!response.ok) throw new Error(`Auth emulator signUp: HTTP ${response.status} ${JSON.stringify(body)}`);
  return body;
}

/** A temporary data directory; mkdtemp makes it 0700, but Postgres runs as the postgres user when we are root. */
async function tempDataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "pulsura-dev-test-"));
  fs.chmodSync(dir, 0o755);
  return dir;
}

function jwtPayload(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
}

describe("npm run dev", () => {
  const marker = randomUUID();
  let dataDir: string;
  let run: DevRun | undefined;
  let output = "";

  beforeAll(async () => {
    dataDir = await tempDataDir();
    const started = performance.now();
    run = startDev(["--data-dir", dataDir, "--ports", "auto"], { [runMarkerVariable]: marker });
    await run.waitFor(/\[dev\] processes \{.*\}\n/, { timeoutMs: readyDeadlineMs });
    output = run.output();
    console.log(`[dev test] npm run dev ready after ${((performance.now() - started) / 1000).toFixed(1)} s (cold data dir)`);
  }, readyDeadlineMs + 30_000);

  afterAll(async () => {
    killEverything(run);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("prints a URL for every part, and where no Docker engine answers, that Hasura is not started and why", () => {
    for (const label of ["Postgres", "Auth emulator", "Functions emulator", "Storage emulator", "Hasura auth hook", "service core"]) {
      expect(bannerValue(output, label)).toMatch(/^(postgres:\/\/hasura:[^@]+@|http:\/\/)127\.0\.0\.1:\d+/);
    }
    if (docker.available) {
      expect(bannerValue(output, "Hasura GraphQL")).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/graphql$/);
    } else {
      expect(bannerValue(output, "Hasura")).toMatch(/^not started: (no Docker engine answers|the docker command is not installed)/);
    }
    expect(bannerValue(output, "PULSURA_EVENT_SECRET")).toMatch(/^[A-Za-z0-9_-]{16,}$/);
  });

  it("serves Postgres with every hasura/ migration and seed applied and recorded", async () => {
    const client = new Client({ connectionString: bannerValue(output, "Postgres") });
    await client.connect();
    try {
      const migrations = await client.query<{ version: string }>("select version::text from pulsura_dev.applied_migrations order by version");
      expect(migrations.rows.map((row) => row.version)).toEqual(readMigrations(hasuraProjectDir).map((m) => BigInt(m.version).toString()));
      const seeds = await client.query<{ file: string }>("select file from pulsura_dev.applied_seeds order by file");
      expect(seeds.rows.map((row) => row.file)).toEqual(readSeeds(hasuraProjectDir).map((seed) => seed.file));
      // A migrated table holding the demo seed's rows.
      const organization = await client.query("select name from public.organizations where id = '00000000-0000-4000-8000-00000000d001'");
      expect(organization.rows).toEqual([{ name: "Demo Company" }]);
    } finally {
      await client.end();
    }
  });

  it("answers GET /healthz on every service URL", async () => {
    const services = [...output.matchAll(/^ {2}service (\S+)\s+(http:\/\/\S+)$/gm)];
    expect(services.map((match) => match[1])).toContain("core");
    for (const [, , url] of services) {
      const response = await fetch(`${url}/healthz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: "ok" });
      // Ready: the service reaches Postgres as its own svc_<name> user, as on Cloud SQL.
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
    }
  });

  it("serves the files flow end to end on the Storage emulator: upload URL, signed PUT, confirmation pushed to core, download URL, signed GET", async () => {
    // The action calls Hasura would make (Hasura needs Docker, which this machine may not have), with the run's event
    // secret and a seeded user's session; everything after them is npm run dev's own: core signing with the dev key,
    // the storage front checking the signature and pushing the finalize notification, core confirming the upload.
    const core = bannerValue(output, "service core");
    const action = async (name: string, input: Record<string, unknown>) => {
      const response = await fetch(`${core}/actions/${name}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-pulsura-event-secret": bannerValue(output, "PULSURA_EVENT_SECRET") },
        body: JSON.stringify({ action: { name }, input, session_variables: { "x-hasura-role": "user", "x-hasura-user-id": "demo-member" }, request_query: `mutation { ${name} }` }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, string> };
    };
    const picture = Buffer.from("\x89PNG\r\n\x1a\n a profile picture");
    const upload = await action("createUploadUrl", { name: "me.png", contentType: "image/png", size: picture.length });
    expect(upload.status).toBe(200);
    expect(new URL(upload.body.uploadUrl!).origin).toBe(new URL(bannerValue(output, "Storage emulator").split(" ")[0]!).origin);
    const headers = { "content-type": "image/png", "x-goog-content-length-range": `${picture.length},${picture.length}` };

    // What Cloud Storage refuses, the emulator's front refuses: the URL is bound to the type and the size.
    expect((await fetch(upload.body.uploadUrl!, { method: "PUT", headers: { ...headers, "content-type": "image/gif" }, body: picture })).status).toBe(403);
    expect((await fetch(upload.body.uploadUrl!, { method: "PUT", headers, body: Buffer.concat([picture, picture]) })).status).toBe(400);
    const fromHere = run!.output().length;
    expect((await fetch(upload.body.uploadUrl!, { method: "PUT", headers, body: picture })).status).toBe(200);
    await run!.waitFor(new RegExp(`upload confirmed .*"fileId":"${upload.body.fileId}"`), { from: fromHere, timeoutMs: 60_000 });

    const client = new Client({ connectionString: bannerValue(output, "Postgres") });
    await client.connect();
    try {
      const row = await client.query("select status, size_bytes::int as size, content_type from files where id = $1", [upload.body.fileId]);
      expect(row.rows).toEqual([{ status: "uploaded", size: picture.length, content_type: "image/png" }]);
    } finally {
      await client.end();
    }
    const download = await action("createDownloadUrl", { fileId: upload.body.fileId });
    expect(download.status).toBe(200);
    const got = await fetch(download.body.downloadUrl!);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(picture)).toBe(true);
  });

  it("runs core's export job from the in-process queue: the action enqueues it, the queue delivers it to the job route, the export lands in the bucket", async () => {
    // As above, the action call Hasura would make; the job's delivery, its token check and its record are npm run dev's.
    const core = bannerValue(output, "service core");
    const answer = await fetch(`${core}/actions/exportOrganization`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-pulsura-event-secret": bannerValue(output, "PULSURA_EVENT_SECRET") },
      body: JSON.stringify({
        action: { name: "exportOrganization" },
        input: { organizationId: "00000000-0000-4000-8000-00000000d001" },
        session_variables: { "x-hasura-role": "user", "x-hasura-user-id": "demo-owner" },
        request_query: "mutation { exportOrganization }",
      }),
    });
    expect(answer.status).toBe(200);
    const { fileId } = (await answer.json()) as { fileId: string };
    await run!.waitFor(new RegExp(`organization exported .*"fileId":"${fileId}"`), { timeoutMs: 60_000 });
    const client = new Client({ connectionString: bannerValue(output, "Postgres") });
    await client.connect();
    try {
      const row = await client.query("select status, content_type from files where id = $1", [fileId]);
      expect(row.rows).toEqual([{ status: "uploaded", content_type: "application/json" }]);
      const recorded = await client.query("select kind, name from processed_deliveries where kind = 'job'");
      expect(recorded.rows).toContainEqual({ kind: "job", name: "export-organization" });
    } finally {
      await client.end();
    }
  });

  it("sets Postgres up as Cloud SQL does: Hasura's user owns the schema and is no superuser, each service has its own user", async () => {
    const client = new Client({ connectionString: bannerValue(output, "Postgres") });
    await client.connect();
    try {
      const self = await client.query("select current_user as name, rolsuper from pg_roles where rolname = current_user");
      expect(self.rows).toEqual([{ name: "hasura", rolsuper: false }]);
      const members = await client.query<{ member: string }>(
        "select m.member::regrole::text as member from pg_auth_members m where m.roleid = 'pulsura_service'::regrole order by 1",
      );
      expect(members.rows.map((row) => row.member)).toContain("svc_core");
    } finally {
      await client.end();
    }
  });

  it("runs the Auth emulator, whose sign-up goes through the blocking function in the Functions emulator", async () => {
    const { localId, idToken } = await signUp(bannerValue(output, "Auth emulator"), `dev-${randomUUID()}@example.com`);
    // beforeUserCreated (functions/, served by the Functions emulator) put the Hasura claims into the first token.
    expect(jwtPayload(idToken)["https://hasura.io/jwt/claims"]).toEqual({
      "x-hasura-default-role": "user",
      "x-hasura-allowed-roles": ["user"],
      "x-hasura-user-id": localId,
    });
  });

  it("serves the functions/ build in the Functions emulator", async () => {
    const response = await fetch(`${bannerValue(output, "Functions emulator")}/backends`);
    expect(response.status).toBe(200);
    const { backends } = (await response.json()) as { backends: Array<{ functionTriggers: Array<{ entryPoint: string }> }> };
    const entryPoints = backends.flatMap((backend) => backend.functionTriggers.map((trigger) => trigger.entryPoint));
    expect(entryPoints.sort()).toEqual(["beforeUserCreated", "onUserCreated", "onUserDeleted"]);
  });

  it("turns Auth emulator tokens into Hasura sessions at the auth hook, and no token into the anonymous role", async () => {
    const hook = bannerValue(output, "Hasura auth hook");
    const { localId, idToken } = await signUp(bannerValue(output, "Auth emulator"), `hook-${randomUUID()}@example.com`);
    const user = await fetch(hook, { headers: { authorization: `Bearer ${idToken}` } });
    expect(user.status).toBe(200);
    expect(await user.json()).toEqual({ "x-hasura-user-id": localId, "X-Hasura-Role": "user" });

    const forbiddenRole = await fetch(hook, { headers: { authorization: `Bearer ${idToken}`, "x-hasura-role": "admin" } });
    expect(forbiddenRole.status).toBe(401);

    const anonymous = await fetch(hook);
    expect(await anonymous.json()).toEqual({ "X-Hasura-Role": "anonymous" });
  });

  it.skipIf(!docker.available)(
    `serves Hasura with hasura/metadata applied${docker.available ? "" : ` (skipped: ${docker.reason})`}`,
    async () => {
      const graphqlUrl = bannerValue(output, "Hasura GraphQL");
      const response = await fetch(graphqlUrl, {
        method: "POST",
        headers: { "content-type": "application/json", "x-hasura-admin-secret": bannerValue(output, "HASURA_GRAPHQL_ADMIN_SECRET") },
        body: JSON.stringify({ query: '{ organizations_by_pk(id: "00000000-0000-4000-8000-00000000d001") { name } }' }),
      });
      expect(await response.json()).toEqual({ data: { organizations_by_pk: { name: "Demo Company" } } });
    },
  );

  it("reloads a service when a file of it changes", async () => {
    const coreUrl = bannerValue(output, "service core");
    const before = parseProcessReport(output).children.find((child) => child.name === "core")!;
    const from = run!.output().length;
    // A touch changes nothing in the file but is a change event, as an editor's save is.
    const handler = path.join(repoRoot, "services", "core", "src", "actions", "whoami.ts");
    const now = new Date();
    fs.utimesSync(handler, now, now);
    const [, pid] = await run!.waitFor(/\[core\] reloaded \(pid (\d+)\)/, { from, timeoutMs: 120_000 });
    expect(Number(pid)).not.toBe(before.pid);
    expect(stillRunning([before.pid])).toEqual([]);
    expect((await fetch(`${coreUrl}/healthz`)).status).toBe(200);
  }, 150_000);

  it("keeps reloading after editors' safe-writes (a temporary file renamed over the handler), and prints a failed start's whole output", async () => {
    const handler = path.join(repoRoot, "services", "core", "src", "actions", "whoami.ts");
    const original = fs.readFileSync(handler, "utf8");
    // Whatever happens to this test, the handler gets its text back.
    const restored = onCleanup("restore services/core/src/actions/whoami.ts", () => {
      if (fs.readFileSync(handler, "utf8") !== original) fs.writeFileSync(handler, original);
    });
    const safeWrite = (text: string) => {
      const temporary = path.join(path.dirname(handler), `.whoami.ts.${randomUUID()}.tmp`);
      fs.writeFileSync(temporary, text);
      fs.renameSync(temporary, handler);
    };
    try {
      const failure = `dev-test-broken-${randomUUID()}`;
      let from = run!.output().length;
      // The handler file is the repository's, which other test files import meanwhile (core's handler tests, the
      // scaffolding's drift check): it fails only in the processes of an npm run dev (they carry PULSURA_DEV_RUN_ID).
      safeWrite(`${original}\nif (process.env.${devRunVariable}) throw new Error("${failure}");\n`);
      await run!.waitFor(/\[core\] It restarts on the next change to its code\./, { from, timeoutMs: 120_000 });
      // The failure's message, not only its first line: the cause is in the output it carries.
      const report = run!.output().slice(from);
      expect(report).toMatch(
        new RegExp(`\\[core\\] core exited with code 1; its last output:\n[\\s\\S]*?\\[core\\] .*${failure}[\\s\\S]*?\\[core\\] It restarts on the next change`),
      );

      // The watch survived the rename: the next safe-write (the original text back) reloads again.
      from = run!.output().length;
      safeWrite(original);
      await run!.waitFor(/\[core\] reloaded \(pid \d+\)/, { from, timeoutMs: 120_000 });
      expect((await fetch(`${bannerValue(output, "service core")}/healthz`)).status).toBe(200);
    } finally {
      if (fs.readFileSync(handler, "utf8") !== original) fs.writeFileSync(handler, original);
      restored();
    }
  }, 300_000);

  it("rebuilds the functions when functions/src changes, and the Functions emulator reloads them", async () => {
    const from = run!.output().length;
    const now = new Date();
    fs.utimesSync(path.join(repoRoot, "functions", "src", "claims.ts"), now, now);
    await run!.waitFor(/\[functions build\] wrote lib\/index\.js/, { from, timeoutMs: 120_000 });
    await run!.waitFor(/Loaded functions definitions from source: beforeUserCreated, onUserCreated, onUserDeleted/, { from, timeoutMs: 120_000 });
  }, 150_000);

  it("stops everything on Ctrl-C (SIGINT to its process group) and exits 0, leaving no process behind", async () => {
    const report = parseProcessReport(run!.output());
    const tree = processTree(run!.child.pid!);
    // tsx, the dev process, Postgres (and its workers), the Firebase CLI (and its function workers), each service.
    expect(tree.length).toBeGreaterThanOrEqual(5);
    expect(processesWithMarker(marker).length).toBeGreaterThanOrEqual(5);

    process.kill(-run!.child.pid!, "SIGINT");
    const timer = setTimeout(() => killEverything(run), stopDeadlineMs);
    const exit = await run!.exited;
    clearTimeout(timer);

    expect(exit).toEqual({ code: 0, signal: null });
    expect(run!.output()).toMatch(/\[dev\] everything is stopped\n$/);
    expect(stillRunning(tree.map((stat) => stat.pid))).toEqual([]);
    for (const child of report.children) expect(groupMembers(child.pgid)).toEqual([]);
    expect(processesWithMarker(marker)).toEqual([]);
  }, stopDeadlineMs + 30_000);
});

describe("npm run dev start-up failures", () => {
  it("refuses a port that is in use before starting anything, naming it, and exits 1", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "0.0.0.0", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const dataDir = await tempDataDir();
    const marker = randomUUID();
    try {
      const conflicting = startDev(["--data-dir", dataDir, "--ports", `auto,postgres=${port}`], { [runMarkerVariable]: marker });
      const exit = await conflicting.exited;
      expect(exit).toEqual({ code: 1, signal: null });
      expect(conflicting.output()).toContain(`port ${port} (postgres) is already in use`);
      expect(conflicting.output()).not.toContain("[postgres]");
      expect(fs.existsSync(path.join(dataDir, "postgres"))).toBe(false);
      expect(processesWithMarker(marker)).toEqual([]);
    } finally {
      blocker.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it("stops everything it started and exits 1 when a service fails to start", async () => {
    const dataDir = await tempDataDir();
    const marker = randomUUID();
    let run: DevRun | undefined;
    try {
      // The kit validates LOG_LEVEL (which npm run dev passes through): core exits 1 at start-up.
      run = startDev(["--data-dir", dataDir, "--ports", "auto"], { [runMarkerVariable]: marker, LOG_LEVEL: "chatty" });
      const exit = await run.exited;
      expect(exit).toEqual({ code: 1, signal: null });
      expect(run.output()).toMatch(/npm run dev failed: core exited with code 1/);
      expect(run.output()).toContain("LOG_LEVEL must be one of");
      expect(run.output()).toMatch(/\[dev\] everything is stopped\n$/);
      expect(processesWithMarker(marker)).toEqual([]);
    } finally {
      killEverything(run);
      await rm(dataDir, { recursive: true, force: true });
    }
  }, readyDeadlineMs);
});
