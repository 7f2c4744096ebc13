/**
 * Hasura on Cloud Run and the microservices, as each stack declares them.
 */
import { describe, expect, it } from "vitest";
import { ENVIRONMENT_DEFAULTS } from "../../infra/config";
import { HASURA_API_PROCESSING_OFF, HASURA_WORKER_PROCESSING } from "../../infra/components/hasura";
import { readMetadata, hasuraProjectDir } from "../../infra/hasura/project";
import { fixturePlanOf, planOf, plannedStacks, resourcesOfType } from "./support/plans";

const RUN = "gcp:cloudrunv2/service:Service";

/** The Cloud Run template of a planned service, loosely typed for reading. */
function templateOf(service: { inputs: Record<string, unknown> }): any {
  return service.inputs.template;
}

function envOf(service: { inputs: Record<string, unknown> }): Map<string, any> {
  return new Map((templateOf(service).containers[0].envs as Array<{ name: string }>).map((e) => [e.name, e]));
}

describe.each(plannedStacks())("stack %s", (stack) => {
  const plan = () => planOf(stack);
  const services = () => resourcesOfType(plan(), RUN);
  const hasura = () => services().find((s) => s.name.endsWith("-hasura"))!;
  const workers = () => services().filter((s) => s.name.endsWith("-hasura-worker"));
  const worker = () => workers()[0]!;
  const bothHasura = () => [hasura(), ...workers()];
  const microservices = () => services().filter((s) => !s.name.endsWith("-hasura") && !s.name.endsWith("-hasura-worker"));
  const environment = () => plan().environment as "dev" | "prod";

  it("runs the API and the worker from one pinned Hasura v2 image through the Docker Hub remote repository", () => {
    const image = templateOf(hasura()).containers[0].image as string;
    for (const service of workers()) expect(templateOf(service).containers[0].image).toBe(image);
    expect(image).toMatch(/^[a-z0-9-]+-docker\.pkg\.dev\/[^/]+\/[a-z0-9-]+-dockerhub\/hasura\/graphql-engine:v2\.\d+\.\d+$/);
    const remote = resourcesOfType(plan(), "gcp:artifactregistry/repository:Repository").find((r) => r.inputs.mode === "REMOTE_REPOSITORY");
    expect(remote?.inputs.remoteRepositoryConfig).toMatchObject({ dockerRepository: { publicRepository: "DOCKER_HUB" } });
  });

  it("configures the API and the worker alike: Firebase JWTs, no console or dev mode, secrets by reference", () => {
    const env = envOf(hasura());
    // Everything but the pool and the processing settings is shared (same secrets, same service URLs, same JWT mode).
    const own = new Set(["HASURA_GRAPHQL_PG_CONNECTIONS", ...Object.keys(HASURA_API_PROCESSING_OFF), ...Object.keys(HASURA_WORKER_PROCESSING)]);
    const shared = (e: Map<string, any>) => [...e.entries()].filter(([name]) => !own.has(name));
    for (const service of workers()) expect(shared(envOf(service))).toEqual(shared(env));
    const project = plan().outputs.gcpProject;
    expect(JSON.parse(env.get("HASURA_GRAPHQL_JWT_SECRET").value)).toEqual({
      type: "RS256",
      jwk_url: "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com",
      audience: project,
      issuer: `https://securetoken.google.com/${project}`,
    });
    for (const [name, value] of Object.entries({
      HASURA_GRAPHQL_UNAUTHORIZED_ROLE: "anonymous",
      HASURA_GRAPHQL_ENABLE_CONSOLE: "false",
      HASURA_GRAPHQL_DEV_MODE: "false",
      HASURA_GRAPHQL_ENABLED_APIS: "graphql,metadata",
      HASURA_GRAPHQL_ENABLE_TELEMETRY: "false",
      // Only the app's registered operations run (hasura/metadata/query_collections.yaml): bounds every query's depth.
      HASURA_GRAPHQL_ENABLE_ALLOWLIST: "true",
    })) expect(env.get(name)?.value, name).toBe(value);
    expect(env.get("HASURA_GRAPHQL_ENABLED_LOG_TYPES").value).toBe("startup,http-log,webhook-log,websocket-log");
    for (const name of ["HASURA_GRAPHQL_DATABASE_URL", "HASURA_GRAPHQL_METADATA_DATABASE_URL", "HASURA_GRAPHQL_ADMIN_SECRET", "PULSURA_EVENT_SECRET"]) {
      expect(env.get(name).valueSource.secretKeyRef, name).toMatchObject({ secret: expect.stringMatching(/^[a-z0-9-]+$/), version: "1" });
      expect(env.get(name).value).toBeUndefined();
    }
  });

  it("allows CORS from the stack's domains, and localhost only in dev", () => {
    const cors = (envOf(hasura()).get("HASURA_GRAPHQL_CORS_DOMAIN").value as string).split(",");
    expect(cors.includes("http://localhost:*")).toBe(environment() === "dev");
    for (const origin of cors) expect(origin).toMatch(/^(https:\/\/[a-z0-9.-]+|http:\/\/localhost:\*)$/);
  });

  it("gives Hasura one PULSURA_SERVICE_<NAME>_URL per microservice, matching each service's deterministic URL", () => {
    for (const env of bothHasura().map(envOf)) {
      for (const service of microservices()) {
        const name = (service.inputs.name as string).replace(/^[^-]+-/, "");
        expect(env.get(`PULSURA_SERVICE_${name.toUpperCase().replace(/-/g, "_")}_URL`)?.value).toBe(`https://${service.inputs.name}-123456789012.${plan().outputs.region}.run.app`);
      }
    }
  });

  it("names in the metadata only handler URL variables that the Hasura service sets", () => {
    const env = envOf(hasura());
    const used = new Set(JSON.stringify(readMetadata(hasuraProjectDir)).match(/PULSURA_SERVICE_[A-Z0-9_]+_URL/g) ?? []);
    expect(used.size).toBeGreaterThan(0);
    for (const name of used) expect(env.has(name), name).toBe(true);
  });

  it("processes events and async actions in one place: the worker, with them off on the API, or the API of a stack without one", () => {
    const api = envOf(hasura());
    // The worker's values, set on whichever service processes (Hasura's defaults, written out).
    const processor = workers().length > 0 ? envOf(worker()) : api;
    for (const [name, value] of Object.entries(HASURA_WORKER_PROCESSING)) expect(processor.get(name)?.value, name).toBe(value);
    expect(Number(processor.get("HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE").value)).toBeGreaterThan(0);
    expect(Number(processor.get("HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL").value)).toBeGreaterThan(0);
    if (workers().length > 0) {
      expect(api.get("HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE").value).toBe("0");
      expect(api.get("HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL").value).toBe("0");
    }
  });

  it("runs the worker as the environment says: always in prod, not by default in dev (the API processes, while it runs)", () => {
    expect(workers()).toHaveLength(ENVIRONMENT_DEFAULTS[environment()].hasura.worker.enabled ? 1 : 0);
    if (environment() === "prod") expect(workers()).toHaveLength(1);
    // Without a worker no always-on Hasura instance is left: the API scales to zero in dev.
    if (workers().length === 0) expect(templateOf(hasura()).scaling.minInstanceCount).toBe(0);
  });

  it("runs exactly one worker instance, CPU always allocated, private, sized by config, with the API's identity and VPC egress", () => {
    if (workers().length === 0) return;
    const defaults = ENVIRONMENT_DEFAULTS[environment()].hasura.worker;
    const template = templateOf(worker());
    expect(template.scaling).toEqual({ minInstanceCount: 1, maxInstanceCount: 1 });
    expect(template.containers[0].resources).toEqual({ limits: { cpu: defaults.cpu, memory: defaults.memory }, cpuIdle: false, startupCpuBoost: true });
    expect(envOf(worker()).get("HASURA_GRAPHQL_PG_CONNECTIONS").value).toBe(String(defaults.metadataPoolSize));
    expect(worker().inputs).toMatchObject({ ingress: "INGRESS_TRAFFIC_INTERNAL_ONLY", invokerIamDisabled: false });
    const invokers = resourcesOfType(plan(), "gcp:cloudrunv2/serviceIamMember:ServiceIamMember").filter((b) => b.inputs.name === worker().inputs.name);
    expect(invokers).toEqual([]);
    expect(template.serviceAccount).toBe(templateOf(hasura()).serviceAccount);
    expect(template.vpcAccess).toEqual(templateOf(hasura()).vpcAccess);
    expect(template.volumes).toEqual(templateOf(hasura()).volumes);
    expect(plan().outputs.hasuraEndpoint).not.toContain("worker");
    // The API's first start sets up Hasura's catalog; the worker starts after it.
    expect(worker().dependencies).toContain(hasura().urn);
    expect(envOf(worker()).get("HASURA_GRAPHQL_GRACEFUL_SHUTDOWN_TIMEOUT").value).toBe("5");
  });

  it("keeps CPU allocated, probes /healthz, scales per environment and egresses through the VPC", () => {
    const template = templateOf(hasura());
    // The API too: no setting switches off cron and scheduled events, which an API instance that is up delivers.
    for (const service of bothHasura()) {
      const container = templateOf(service).containers[0];
      expect(container.resources.cpuIdle, service.name).toBe(false);
      expect(container.startupProbe.httpGet.path).toBe("/healthz");
      expect(container.livenessProbe.httpGet.path).toBe("/healthz");
    }
    expect(template.scaling.minInstanceCount).toBe(ENVIRONMENT_DEFAULTS[environment()].hasura.minInstances);
    if (environment() === "prod") expect(template.scaling.minInstanceCount).toBeGreaterThanOrEqual(1);
    expect(template.vpcAccess.egress).toBe("ALL_TRAFFIC");
    expect(template.serviceAccount).toMatch(/-hasura@/);
  });

  it("makes Hasura the only public Cloud Run service, by disabling the invoker check rather than binding allUsers", () => {
    // Domain restricted sharing refuses allUsers; invokerIamDisabled is Google's recommended way
    // (https://cloud.google.com/run/docs/authenticating/public).
    expect(hasura().inputs).toMatchObject({ ingress: "INGRESS_TRAFFIC_ALL", invokerIamDisabled: true });
    // The Identity Platform blocking function is the one allUsers binding (test/infra/auth.test.ts); it is a function.
    const functionNames = resourcesOfType(plan(), "gcp:cloudfunctionsv2/function:Function").map((f) => f.inputs.name);
    const publicBindings = resourcesOfType(plan(), "gcp:cloudrunv2/serviceIamMember:ServiceIamMember").filter((b) => b.inputs.member === "allUsers" && !functionNames.includes(b.inputs.name));
    expect(publicBindings).toEqual([]);
    for (const service of microservices()) expect(service.inputs.ingress).toBe("INGRESS_TRAFFIC_INTERNAL_ONLY");
  });

  it("keeps GraphQL subscriptions (WebSockets) open up to Cloud Run's maximum request timeout, 3600 s", () => {
    // https://cloud.google.com/run/docs/configuring/request-timeout: default 300 s, at most 3600 s.
    expect(templateOf(hasura()).timeout).toBe("3600s");
  });

  it("orders each service account's project role grants before the Cloud Run service that runs as it", () => {
    const grants = resourcesOfType(plan(), "gcp:projects/iAMMember:IAMMember");
    for (const service of resourcesOfType(plan(), RUN)) {
      const account = `serviceAccount:${templateOf(service).serviceAccount}`;
      for (const grant of grants.filter((g) => g.inputs.member === account)) expect(service.dependencies, `${service.name} waits for ${grant.name}`).toContain(grant.urn);
    }
    expect(grants.some((g) => microservices().some((s) => g.inputs.member === `serviceAccount:${templateOf(s).serviceAccount}`))).toBe(true);
  });

  it("orders every secret accessor grant before the Cloud Run service that reads the secret", () => {
    const grants = resourcesOfType(plan(), "gcp:secretmanager/secretIamMember:SecretIamMember");
    for (const service of resourcesOfType(plan(), RUN)) {
      const account = `serviceAccount:${templateOf(service).serviceAccount}`;
      const secretIds = (templateOf(service).containers[0].envs as Array<{ valueSource?: { secretKeyRef?: { secret: string } } }>)
        .map((e) => e.valueSource?.secretKeyRef?.secret)
        .filter(Boolean);
      expect(secretIds.length, service.name).toBeGreaterThan(0);
      for (const secretId of secretIds) {
        const grant = grants.find((g) => g.inputs.secretId === secretId && g.inputs.member === account);
        expect(grant, `${service.name} reads ${secretId}`).toBeDefined();
        expect(service.dependencies, `${service.name} must wait for ${grant!.name}`).toContain(grant!.urn);
      }
    }
  });
  it("applies migrations, then seeds and metadata, after the Hasura service exists", () => {
    const byType = (suffix: string) => plan().resources.find((r) => r.type.endsWith(suffix))!;
    const migrations = byType(":HasuraMigrations");
    const metadata = byType(":HasuraMetadata");
    expect(migrations.dependencies).toContain(hasura().urn);
    expect(metadata.dependencies).toEqual(expect.arrayContaining([hasura().urn, migrations.urn]));
    expect(migrations.inputs.adminSecret).toBe("[secret]");
    expect(migrations.inputs.endpoint).toBe(plan().outputs.hasuraEndpoint);
    const seeds = byType(":HasuraSeeds");
    const seedFiles = (seeds.inputs.seeds as Array<{ file: string }>).map((s) => s.file);
    expect(seedFiles.some((f) => /demo/.test(f))).toBe(environment() === "dev");
  });

  it("sizes Hasura's pools from stack config: the source's max_connections in the applied metadata, the metadata pool by env", () => {
    const defaults = ENVIRONMENT_DEFAULTS[environment()].hasura;
    const metadata = plan().resources.find((r) => r.type.endsWith(":HasuraMetadata"))!;
    const sources = (metadata.inputs.metadata as { sources: Array<{ name: string; configuration: any }> }).sources;
    const source = sources.find((s) => s.name === "default")!;
    expect(source.configuration.connection_info.pool_settings.max_connections).toBe(defaults.poolSize);
    expect(envOf(hasura()).get("HASURA_GRAPHQL_PG_CONNECTIONS").value).toBe(String(defaults.metadataPoolSize));
  });

  it("hands Hasura and every service the Cloud SQL server CA, so their TLS verifies the server", () => {
    const caSecret = resourcesOfType(plan(), "gcp:secretmanager/secret:Secret").find((s) => String(s.inputs.secretId).endsWith("-db-server-ca"))!;
    expect(caSecret).toBeDefined();
    const template = templateOf(hasura());
    for (const service of workers()) {
      expect(templateOf(service).volumes).toEqual(template.volumes);
      expect(templateOf(service).containers[0].volumeMounts).toEqual(template.containers[0].volumeMounts);
    }
    const volume = (template.volumes as Array<{ name: string; secret: { secret: string; items: Array<{ path: string; version: string }> } }>).find((v) => v.name === "db-server-ca")!;
    expect(volume.secret.secret).toBe(caSecret.inputs.secretId);
    expect(volume.secret.items).toEqual([{ path: "server-ca.pem", version: "1" }]);
    // The database URLs' sslrootcert (sslmode=verify-ca) points into this mount (infra/components/database.ts).
    expect(template.containers[0].volumeMounts).toEqual([{ name: "db-server-ca", mountPath: "/etc/pulsura/db-ca" }]);
    for (const service of microservices()) {
      expect(envOf(service).get("DATABASE_CA_CERT").valueSource.secretKeyRef.secret).toBe(caSecret.inputs.secretId);
    }
  });

  it("grants each service's database user its roles through Hasura after the migrations and the Cloud SQL users", () => {
    const roles = plan().resources.find((r) => r.type.endsWith(":HasuraDatabaseRoles"))!;
    const migrations = plan().resources.find((r) => r.type.endsWith(":HasuraMigrations"))!;
    const users = resourcesOfType(plan(), "gcp:sql/user:User");
    expect(roles.dependencies).toEqual(expect.arrayContaining([hasura().urn, migrations.urn, ...users.map((u) => u.urn)]));
    expect(roles.inputs.adminSecret).toBe("[secret]");
    const grants = roles.inputs.grants as Array<{ user: string; roles: string[] }>;
    expect(grants.map((g) => g.user).sort()).toEqual(users.map((u) => u.inputs.name as string).filter((n) => n.startsWith("svc_")).sort());
    for (const grant of grants) expect(grant.roles[0]).toBe("pulsura_service");
  });

  it("deploys each microservice internal-only, by image digest, with its own identity and secrets by reference", () => {
    expect(microservices().length).toBeGreaterThan(0);
    for (const service of microservices()) {
      const template = templateOf(service);
      expect(service.inputs.invokerIamDisabled).toBe(true);
      expect(template.containers[0].image).toMatch(/@sha256:[0-9a-f]{64}$/);
      expect(template.serviceAccount).toMatch(/-svc-[a-z0-9-]+@/);
      expect(template.vpcAccess.egress).toBe("ALL_TRAFFIC");
      const env = envOf(service);
      for (const name of ["DATABASE_URL", "PULSURA_EVENT_SECRET", "HASURA_GRAPHQL_ADMIN_SECRET"]) expect(env.get(name).valueSource.secretKeyRef.version, name).toBe("1");
      expect(env.get("HASURA_GRAPHQL_URL").value).toBe(plan().outputs.hasuraGraphqlUrl);
      // The kit sizes its pool from DATABASE_POOL_MAX; the connection budget in infra/config.ts counts that number.
      expect(env.get("DATABASE_POOL_MAX").value).toBe(String(ENVIRONMENT_DEFAULTS[environment()].service.poolSize));
      expect(template.scaling.minInstanceCount).toBe(ENVIRONMENT_DEFAULTS[environment()].service.minInstances);
      expect(template.containers[0].startupProbe.httpGet.path).toBe("/healthz");
    }
    for (const repo of resourcesOfType(plan(), "gcp:artifactregistry/repository:Repository").filter((r) => r.inputs.mode !== "REMOTE_REPOSITORY")) {
      expect((repo.inputs.cleanupPolicies as unknown[]).length).toBeGreaterThan(0);
    }
  });
});

describe("a dev stack with the Hasura worker turned on (fixture everything)", () => {
  it("runs the worker as prod does, one instance with CPU always allocated, and switches processing off on the API", () => {
    const plan = fixturePlanOf("everything");
    const hasuraServices = resourcesOfType(plan, RUN).filter((s) => /-hasura(-worker)?$/.test(s.name));
    const worker = hasuraServices.find((s) => s.name.endsWith("-hasura-worker"))!;
    const api = hasuraServices.find((s) => s.name.endsWith("-hasura"))!;
    expect(templateOf(worker).scaling).toEqual({ minInstanceCount: 1, maxInstanceCount: 1 });
    expect(templateOf(worker).containers[0].resources.cpuIdle).toBe(false);
    for (const [name, value] of Object.entries(HASURA_WORKER_PROCESSING)) expect(envOf(worker).get(name)?.value, name).toBe(value);
    for (const [name, value] of Object.entries(HASURA_API_PROCESSING_OFF)) expect(envOf(api).get(name)?.value, name).toBe(value);
  });
});

describe("the Docker Hub proxy with upstream credentials (fixture everything)", () => {
  it("pulls as the configured Docker Hub user, its password a pinned Secret Manager version that only Artifact Registry reads", () => {
    const plan = fixturePlanOf("everything");
    const remote = resourcesOfType(plan, "gcp:artifactregistry/repository:Repository").find((r) => r.inputs.mode === "REMOTE_REPOSITORY")!;
    const credentials = (remote.inputs.remoteRepositoryConfig as any).upstreamCredentials.usernamePasswordCredentials;
    const secretId = `${plan.outputs.tenant}-docker-hub-password`;
    expect(credentials).toEqual({ username: "pulsurabot", passwordSecretVersion: `projects/${plan.outputs.gcpProject}/secrets/${secretId}/versions/1` });
    const readers = resourcesOfType(plan, "gcp:secretmanager/secretIamMember:SecretIamMember").filter((g) => g.inputs.secretId === secretId);
    expect(readers.map((g) => g.inputs.member)).toEqual([expect.stringMatching(/^serviceAccount:service-\d+@gcp-sa-artifactregistry\.iam\.gserviceaccount\.com$/)]);
    expect(remote.dependencies).toContain(readers[0]!.urn);
  });
});
