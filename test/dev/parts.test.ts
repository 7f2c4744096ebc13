/**
 * The parts of `npm run dev` that can be checked on their own: options, the migration record on a real Postgres,
 * the Auth-emulator webhook's rules, and the Hasura compose wiring against the metadata it must satisfy (Hasura
 * itself needs Docker, which this machine may not have; dev.test.ts covers the running stack).
 */
import * as fs from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { ENVIRONMENT_DEFAULTS } from "../../infra/config";
import { hasuraProjectDir, readMetadata, readMigrations, readSeeds, type Migration, type Seed } from "../../infra/hasura/project";
import { authenticate, hasuraClaimsNamespace } from "../../scripts/lib/dev/auth-hook";
import { composeFile, composeVariables, hasuraEnvironment, pinnedHasuraVersion } from "../../scripts/lib/dev/hasura";
import { applyPending } from "../../scripts/lib/dev/migrate";
import { HelpRequested, UsageError } from "../../scripts/lib/cli";
import { defaultPorts, parseDevOptions, repoRoot } from "../../scripts/lib/dev/options";
import { PortConflictError, resolvePorts } from "../../scripts/lib/dev/ports";
import { discoverServices } from "../../scripts/lib/dev/services";
import { watchTrees } from "../../scripts/lib/dev/watch";
import { startPostgres, type TestDatabase } from "../support/postgres";

describe("npm run dev options", () => {
  it("defaults to .tmp/dev and the documented ports", () => {
    const options = parseDevOptions([], {});
    expect(options.dataDir).toBe(path.join(repoRoot, ".tmp", "dev"));
    expect(options.ports).toEqual(defaultPorts);
    expect(options.hasura).toBe(true);
  });

  it("takes ports from PULSURA_DEV_PORTS and --ports, the command line winning", () => {
    const options = parseDevOptions(["--ports", "postgres=6000,auth=auto"], { PULSURA_DEV_PORTS: "postgres=5999,hasura=8099" });
    expect(options.ports).toMatchObject({ postgres: 6000, hasura: 8099, auth: "auto", functions: defaultPorts.functions });
    expect(Object.values(parseDevOptions(["--ports", "auto"], {}).ports).every((port) => port === "auto")).toBe(true);
    expect(parseDevOptions(["--ports", "auto,postgres=6001"], {}).ports).toMatchObject({ postgres: 6001, services: "auto" });
  });

  it("rejects unknown port names, bad ports and unknown flags with a message naming them and the closest name", () => {
    expect(() => parseDevOptions(["--ports", "postgress=1"], {})).toThrow(/unknown port name "postgress" \(did you mean postgres\?/);
    expect(() => parseDevOptions(["--ports", "postgres=70000"], {})).toThrow(/not a port between 1 and 65535/);
    expect(() => parseDevOptions([], { PULSURA_DEV_PORTS: "hasura=x" })).toThrow(/^PULSURA_DEV_PORTS: "hasura=x" is not <name>=<port> or auto/);
    expect(() => parseDevOptions(["--port", "1"], {})).toThrow(new UsageError("unknown option --port (did you mean --ports?)"));
    expect(() => parseDevOptions(["--verbose=yes"], {})).toThrow(new UsageError('--verbose takes no value (got "yes")'));
  });

  it("refuses an option given twice, and answers --help before anything else", () => {
    expect(() => parseDevOptions(["--data-dir", "a", "--data-dir", "b"], {})).toThrow(
      new UsageError('--data-dir was given twice ("a" and "b"): give it once'),
    );
    expect(() => parseDevOptions(["--bogus", "--help"], {})).toThrow(HelpRequested);
  });

  it("reports two parts asked to share a port", async () => {
    await expect(
      resolvePorts({ ...defaultPorts, postgres: 45123, auth: 45123 }, ["core"], ["hasura"]),
    ).rejects.toThrow(PortConflictError);
  });

  it("runs every service folder with handlers, through the dev entry its package.json names", () => {
    const services = discoverServices();
    expect(services.map((service) => service.name)).toContain("core");
    expect(services.map((service) => service.name)).not.toContain("kit");
    expect(services.find((service) => service.name === "core")!.entry).toBe(path.join(repoRoot, "services", "core", "scripts", "dev.ts"));
  });
});

describe("reload watching", () => {
  it("reports every editor safe-write (a temporary file renamed over the original), and files of directories made later", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "pulsura-watch-"));
    const handler = path.join(root, "src", "actions", "whoami.ts");
    fs.mkdirSync(path.dirname(handler), { recursive: true });
    fs.writeFileSync(handler, "export default 1;\n");
    let notify: ((changed: string[]) => void) | undefined;
    const nextChange = () => new Promise<string[]>((resolve) => (notify = resolve));
    const watcher = watchTrees([root], (changed) => notify?.(changed), { quietMs: 50 });
    try {
      // Each rename replaces the file's inode: a watch on the file itself would go silent after the first.
      for (const round of [1, 2, 3]) {
        const change = nextChange();
        const temporary = path.join(path.dirname(handler), `.whoami.ts.${round}.tmp`);
        fs.writeFileSync(temporary, `export default ${round};\n`);
        fs.renameSync(temporary, handler);
        expect(await change).toContain(handler);
      }
      const nested = path.join(root, "src", "events", "new_trigger.ts");
      let change = nextChange();
      fs.mkdirSync(path.dirname(nested));
      fs.writeFileSync(nested, "export default 1;\n");
      expect(await change).toContain(path.dirname(nested));
      change = nextChange();
      fs.writeFileSync(nested, "export default 2;\n");
      expect(await change).toContain(nested);
    } finally {
      watcher.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe("migration record (pulsura_dev)", () => {
  let database: TestDatabase;
  let client: Client;
  const migrations = readMigrations(hasuraProjectDir);
  const seeds = readSeeds(hasuraProjectDir);

  beforeAll(async () => {
    database = await startPostgres({ migrate: false });
    client = new Client({ connectionString: database.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await database?.stop();
  });

  it("applies every migration and seed on a fresh database, then nothing on the next start", async () => {
    const first = await applyPending(client, migrations, seeds);
    expect(first.applied).toEqual(migrations.map((m) => `${m.version}_${m.name}`));
    expect(first.seeded).toEqual(seeds.map((seed) => seed.file));
    const users = await client.query("select count(*)::int as count from public.users where id like 'demo-%'");
    expect(users.rows[0].count).toBeGreaterThan(0);

    expect(await applyPending(client, migrations, seeds)).toEqual({ applied: [], seeded: [], changed: [], unknown: [] });
  });

  it("applies only a new migration, re-applies a changed seed, and reports a changed or vanished migration", async () => {
    const added: Migration = { version: "99990000000000", name: "dev_record_test", up: "create table public.dev_record_test (id int);", down: "" };
    const changedSeed: Seed = { ...seeds[0]!, sql: `${seeds[0]!.sql}\n-- edited` };
    const edited: Migration = { ...migrations[0]!, up: `${migrations[0]!.up}\n-- edited` };
    const report = await applyPending(client, [edited, ...migrations.slice(1), added], [changedSeed, ...seeds.slice(1)]);
    expect(report).toEqual({
      applied: ["99990000000000_dev_record_test"],
      seeded: [seeds[0]!.file],
      changed: [`${migrations[0]!.version}_${migrations[0]!.name}`],
      unknown: [],
    });
    const table = await client.query("select to_regclass('public.dev_record_test') as name");
    expect(table.rows[0].name).toBe("dev_record_test");

    expect((await applyPending(client, migrations, seeds)).unknown).toEqual(["99990000000000_dev_record_test"]);
  });

  it("rolls back a failing migration together with its record and names it", async () => {
    const broken: Migration = { version: "99990000000001", name: "broken", up: "create table public.half (id int); select 1/0;", down: "" };
    await expect(applyPending(client, [broken], [])).rejects.toThrow(/migration 99990000000001_broken\/up\.sql failed: division by zero/);
    const left = await client.query(
      "select to_regclass('public.half') as half, (select count(*)::int from pulsura_dev.applied_migrations where version = 99990000000001) as recorded",
    );
    expect(left.rows[0]).toEqual({ half: null, recorded: 0 });
  });
});

/** An unsigned token shaped like the Auth emulator's (header `{"alg":"none"}`, empty signature). */
function emulatorToken(payload: Record<string, unknown>, header: Record<string, unknown> = { alg: "none", typ: "JWT" }, signature = ""): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${encode(header)}.${encode(payload)}.${signature}`;
}

describe("Auth-emulator webhook for Hasura", () => {
  const now = 1_800_000_000;
  const project = "demo-pulsura";
  const claims = (roles: string[], defaultRole: string) => ({
    [hasuraClaimsNamespace]: { "x-hasura-default-role": defaultRole, "x-hasura-allowed-roles": roles, "x-hasura-user-id": "uid-1" },
  });
  const valid = (extra: Record<string, unknown> = {}) => ({
    iss: `https://securetoken.google.com/${project}`,
    aud: project,
    sub: "uid-1",
    exp: now + 600,
    ...claims(["user", "operator"], "operator"),
    ...extra,
  });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it("gives the default role and user id of the Hasura claims, or the requested allowed role", () => {
    expect(authenticate(bearer(emulatorToken(valid())), project, now)).toEqual({
      status: 200,
      session: { "x-hasura-user-id": "uid-1", "X-Hasura-Role": "operator" },
    });
    expect(authenticate({ ...bearer(emulatorToken(valid())), "x-hasura-role": "user" }, project, now)).toMatchObject({
      status: 200,
      session: { "X-Hasura-Role": "user" },
    });
  });

  it("gives requests without a token the anonymous role", () => {
    expect(authenticate({}, project, now)).toEqual({ status: 200, session: { "X-Hasura-Role": "anonymous" } });
  });

  it("denies signed tokens, other projects, expired tokens, roles outside the allowed ones and tokens without claims", () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [bearer(emulatorToken(valid(), { alg: "RS256", kid: "k" }, "c2lnbmF0dXJl")), /only unsigned Auth emulator tokens/],
      [bearer(emulatorToken(valid({ aud: "demo-other" }))), /audience/],
      [bearer(emulatorToken(valid({ iss: "https://securetoken.google.com/demo-other" }))), /issuer/],
      [bearer(emulatorToken(valid({ exp: now - 1 }))), /expired/],
      [{ ...bearer(emulatorToken({ ...valid(), ...claims(["user"], "user") })), "x-hasura-role": "admin" }, /not one of the token's allowed roles/],
      [bearer(emulatorToken({ ...valid(), ...claims(["user", "admin"], "admin") })), /built-in role for the admin secret alone/],
      [bearer(emulatorToken({ ...valid(), [hasuraClaimsNamespace]: undefined })), /no https:\/\/hasura\.io\/jwt\/claims claims/],
      [{ authorization: "Basic dXNlcjpwYXNz" }, /not `Bearer/],
      [bearer("not-a-jwt"), /not a JWT/],
    ];
    for (const [headers, message] of cases) {
      const result = authenticate(headers, project, now);
      expect(result.status, JSON.stringify(headers)).toBe(401);
      expect(result.status === 401 ? result.message : "").toMatch(message);
    }
  });
});

describe("Hasura compose wiring", () => {
  const compose = YAML.parse(fs.readFileSync(composeFile, "utf8")) as {
    services: { hasura: { image: string; ports: string[]; extra_hosts: string[]; env_file: string[]; environment: Record<string, string> } };
  };
  const hasura = compose.services.hasura;
  const environment = {
    ...hasura.environment,
    ...hasuraEnvironment({
      postgresPort: 54320,
      postgresPassword: "p@ss/word",
      database: "pulsura",
      metadataDatabase: "hasura_metadata",
      adminSecret: "admin",
      eventSecret: "event-secret-of-sufficient-length",
      authHookPort: 8079,
      authHookPath: "/hasura/auth",
      servicePorts: Object.fromEntries(discoverServices().map((service, index) => [service.name, 8081 + index])),
    }),
  };

  it("pins the image to the dev Hasura version of infra/config.ts, which npm run dev passes in", async () => {
    expect(hasura.image).toMatch(/^hasura\/graphql-engine:\$\{PULSURA_HASURA_VERSION:\?/);
    expect(await pinnedHasuraVersion()).toBe(ENVIRONMENT_DEFAULTS.dev.hasura.version);
    const interpolated = [...fs.readFileSync(composeFile, "utf8").matchAll(/\$\{([A-Z_]+)/g)].map((match) => match[1]);
    expect(new Set(interpolated)).toEqual(new Set(Object.keys(composeVariables({ version: "v2.0.0", port: 1, envFile: "x" }))));
  });

  it("publishes Hasura on 127.0.0.1 only and maps host.docker.internal to the host", () => {
    expect(hasura.ports).toEqual(["127.0.0.1:${PULSURA_HASURA_PORT:?set by npm run dev}:8080"]);
    expect(hasura.extra_hosts).toEqual(["host.docker.internal:host-gateway"]);
  });

  it("defines every environment variable the metadata reads, reaching the host through host.docker.internal", () => {
    const needed = new Set<string>();
    const collect = (value: unknown, key?: string): void => {
      if (typeof value === "string") {
        for (const match of value.matchAll(/\{\{([A-Z0-9_]+)\}\}/g)) needed.add(match[1]!);
        if (key === "value_from_env" || key === "from_env") needed.add(value);
      } else if (Array.isArray(value)) {
        for (const item of value) collect(item);
      } else if (value && typeof value === "object") {
        for (const [childKey, child] of Object.entries(value)) collect(child, childKey);
      }
    };
    collect(readMetadata(hasuraProjectDir));
    expect(needed.size).toBeGreaterThan(2);
    for (const variable of needed) expect(environment, variable).toHaveProperty(variable);
    expect(environment.PULSURA_SERVICE_CORE_URL).toBe("http://host.docker.internal:8081");
    expect(environment.HASURA_GRAPHQL_DATABASE_URL).toBe("postgres://hasura:p%40ss%2Fword@host.docker.internal:54320/pulsura");
    expect(environment.HASURA_GRAPHQL_AUTH_HOOK).toBe("http://host.docker.internal:8079/hasura/auth");
    expect(environment.HASURA_GRAPHQL_ENABLE_CONSOLE).toBe("true");
    // Webhook mode and JWT mode exclude each other in Hasura.
    expect(environment).not.toHaveProperty("HASURA_GRAPHQL_JWT_SECRET");
  });
});
