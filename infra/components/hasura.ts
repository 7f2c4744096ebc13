import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { HasuraDatabaseRoles, HasuraMetadata, HasuraMigrations, HasuraSeeds, type RoleGrant } from "../dynamic";
import { CUTOVER_LABEL } from "../edge-cutover";
import { withSourcePoolSize, type Migration, type Seed } from "../hasura/project";
// The kit owns the name: its drift check and `npm run new` write the same variable into Hasura's metadata.
import { serviceUrlEnvName } from "../../services/kit/src/drift/metadata";
import { deterministicRunUrl, healthProbes, plainEnv, runTemplateBase, secretEnv } from "./cloud-run";
import { PulsuraComponent } from "./component";
import { SERVER_CA_DIR, SERVER_CA_FILE } from "./database";
import type { StoredSecret } from "./secrets";

const PORT = 8080;
/** Google's public keys for Firebase ID tokens (Hasura's documented Firebase setup). */
const FIREBASE_JWK_URL = "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com";

/**
 * What the API's instances do not process, by Hasura's own settings (GraphQL Engine v2: the serve options in
 * hasura/graphql-engine server/src-lib/Hasura/Server/Init/Arg/Command/Serve.hs, documented at
 * https://hasura.io/docs/latest/deployment/graphql-engine-flags/reference). Scale-to-zero API instances would otherwise
 * compete for the event queue and deliver nothing while nobody calls the API (hasura/graphql-engine#2326, #5937).
 *
 * Cron triggers and one-off scheduled events have no such setting in Community Edition: Hasura/App.hs (mkHGEServer)
 * starts the cron generator and the scheduled-event poller whenever the eventing mode is enabled, and
 * Hasura/Server/Init.hs (mkServeOptions) fixes it to `EventingEnabled`. So an API instance that is up delivers due
 * scheduled events too, next to the worker (Hasura locks each event for the instance that takes it); the worker is
 * what makes them fire while no API instance runs.
 */
export const HASURA_API_PROCESSING_OFF: Readonly<Record<string, string>> = {
  // Event triggers: eventsFetchBatchSizeOption, 'Value "0" implies completely disable fetching events from events
  // table'; App.hs startEventTriggerPollerThread starts no poller when the batch size is 0.
  HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE: "0",
  // Async actions: asyncActionsFetchIntervalOption, 'Value "0" implies completely disable fetching async actions from
  // storage'. Synchronous actions still run in the API's requests; async results still reach subscriptions.
  HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL: "0",
};

/**
 * How the worker processes, written out although they are Hasura's defaults (Serve.hs), so the plan and the policies
 * see them: 100 delivery threads (`HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE`, eventsHttpPoolSizeOption), 100 events per
 * fetch (eventsFetchBatchSizeOption), a fetch every second when the last came back empty (eventsFetchIntervalOption)
 * and async actions fetched every second (asyncActionsFetchIntervalOption).
 */
export const HASURA_WORKER_PROCESSING: Readonly<Record<string, string>> = {
  HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE: "100",
  HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE: "100",
  HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL: "1000",
  HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL: "1000",
};

/** The Hasura worker's own settings; its source pool is the metadata's, `poolSize`. */
export interface HasuraWorkerArgs {
  /**
   * Run the worker. Without it (a dev stack's choice, `pulsura:hasura.worker.enabled`), the API's instances process
   * event triggers, cron triggers and async actions themselves, with the worker's settings (HASURA_WORKER_PROCESSING):
   * they are then delivered only while an API instance runs, and the API scales to zero.
   * @default dev false, prod true (from config)
   */
  enabled: boolean;
  cpu: string;
  memory: string;
  /** Connections on the metadata database: `HASURA_GRAPHQL_PG_CONNECTIONS`, counted once in the budget. */
  metadataPoolSize: number;
}

export interface HasuraArgs {
  projectId: string;
  /** Project number, for Cloud Run's deterministic service URL. */
  projectNumber: pulumi.Input<string>;
  region: string;
  /** Hasura GraphQL Engine release, pinned (e.g. "v2.48.9"); never `latest`. */
  version: string;
  /** @default dev 0, prod 1 (from config) */
  minInstances: number;
  maxInstances: number;
  cpu: string;
  memory: string;
  /** Requests per instance. */
  concurrency: number;
  /**
   * Connections per instance of the `default` source: written into the metadata's `pool_settings.max_connections` at
   * deploy, counted in the config's connection budget.
   */
  poolSize: number;
  /** Connections per instance on the metadata database: `HASURA_GRAPHQL_PG_CONNECTIONS`, counted in the budget. */
  metadataPoolSize: number;
  /**
   * The worker (`<name>-hasura-worker`): one instance, CPU always allocated, internal only, that delivers event
   * triggers, cron triggers and async actions for the API; or none (`enabled: false`), and the API processes them.
   * @default dev none, prod 1 vCPU / 1Gi (from config)
   */
  worker: HasuraWorkerArgs;
  /**
   * Run only the metadata's allow-listed operations for every role but admin (`HASURA_GRAPHQL_ENABLE_ALLOWLIST`). Hasura
   * Community Edition enforces no depth or node limit (api_limits are Cloud/Enterprise), so this is what bounds the
   * queries anyone can send. @default true
   */
  allowList: boolean;
  /** Runtime identity of the service. */
  serviceAccountEmail: pulumi.Input<string>;
  /** `databaseCaCert`: the instance's server CA, mounted as a file for the URLs' `sslrootcert` (verify-ca). */
  secrets: { adminSecret: StoredSecret; eventSecret: StoredSecret; databaseUrl: StoredSecret; metadataDatabaseUrl: StoredSecret; databaseCaCert: StoredSecret };
  /** Firebase project whose ID tokens Hasura accepts (the stack's project). */
  firebaseProjectId: string;
  /** Origins allowed by CORS (`https://app.example.com`, `http://localhost:*` in dev). */
  corsOrigins: pulumi.Input<string>[];
  /** Base URL of each microservice by name, exposed as PULSURA_SERVICE_<NAME>_URL for actions, events and crons. */
  serviceUrls: Record<string, pulumi.Input<string>>;
  /** VPC and subnet for Direct VPC egress (private Cloud SQL IP, internal services). */
  network: pulumi.Input<string>;
  subnet: pulumi.Input<string>;
  /**
   * Docker Hub account the image proxy pulls as (anonymous pulls are rate-limited); the password is a stored secret
   * that the Artifact Registry service agent may read. @default undefined (anonymous)
   */
  dockerHub?: { username: string; password: StoredSecret };
  /**
   * The stack's edge (`pulsura:apiDomain`): clients and the outputs use its URL. Once it `serves` (its certificate is
   * ACTIVE, infra/edge-cutover.ts) the API's ingress admits only the load balancer and the VPC, run.app answers the
   * internet 404, and the deploy's migrations and metadata go through the domain. Until then the API stays open at
   * run.app (ingress all, where the deploy reaches it) and carries the label CUTOVER_LABEL.
   * @default undefined (ingress all; clients and the deploy use the deterministic run.app URL)
   */
  edge?: { url: string; serves: pulumi.Input<boolean> };
  /** Blocks deleting the Cloud Run services, API and worker (prod). @default false */
  deletionProtection: boolean;
  /** The Hasura CLI project applied at deploy time. */
  project: { migrations: Migration[]; metadata: Record<string, unknown>; seeds: Seed[] };
  /** The services' database users and the roles (defined by the migrations) each is granted after migrating. */
  databaseRoleGrants: RoleGrant[];
  /** The database users the grants name (`gcp.sql.User`s): granted only once they exist. */
  databaseUsers: pulumi.Resource[];
  labels: Record<string, string>;
}

/**
 * Hasura GraphQL Engine on Cloud Run v2, as two services from one image, one metadata, the same secrets and identity:
 * the API (`<name>-hasura`), the stack's only public service, autoscaled, with event triggers and async actions
 * switched off; and the worker (`<name>-hasura-worker`), one instance with CPU always allocated, internal only, that
 * delivers them and the cron triggers. Without the worker (`worker.enabled` false, dev) the API is the only service
 * and processes them itself, while it has an instance up. The image comes through an Artifact Registry remote repository that proxies
 * Docker Hub; every secret is read from Secret Manager by version; Firebase ID tokens are the JWTs. After the API is up,
 * the Hasura CLI project (migrations, seeds, metadata) is applied through its API by dynamic resources, so
 * `pulumi preview` shows data-model changes; the worker reads the same metadata database and picks changes up by
 * Hasura's schema sync.
 */
export class Hasura extends PulsuraComponent {
  /** The API. */
  readonly service: gcp.cloudrunv2.Service;
  /** The worker: event triggers, cron triggers, async actions; undefined when the API processes them (`worker.enabled` false). */
  readonly worker?: gcp.cloudrunv2.Service;
  /** The Cloud Run service names, known before the services exist (monitoring filters and log exclusions name them). */
  readonly serviceNames: { api: string; worker?: string };
  /** Base URL of the API for clients: the edge's https://<apiDomain>, else https://pulsura-hasura-123456789012.europe-west1.run.app */
  readonly url: pulumi.Output<string>;
  /**
   * Where the API answers callers outside the VPC now (the deploy, the 1st-gen functions, the uptime check): the edge's
   * URL once its certificate serves, the run.app URL before and without an edge.
   */
  readonly servingUrl: pulumi.Output<string>;
  readonly graphqlUrl: pulumi.Output<string>;
  readonly websocketUrl: pulumi.Output<string>;

  constructor(name: string, args: HasuraArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulsura:hasura:Hasura", name, opts);
    const serviceName = `${name}-hasura`;
    this.serviceNames = { api: serviceName, ...(args.worker.enabled ? { worker: `${serviceName}-worker` } : {}) };
    const image = this.createImageSource(name, args);
    const container = hasuraContainer(image, args);
    this.service = this.createApi(this.serviceNames.api, container, args);
    if (this.serviceNames.worker) this.worker = this.createWorker(this.serviceNames.worker, container, args);

    const runUrl = deterministicRunUrl(serviceName, args.projectNumber, args.region);
    const edge = args.edge;
    this.url = edge ? pulumi.output(edge.url) : runUrl;
    this.servingUrl = edge ? pulumi.all([edge.serves, runUrl]).apply(([serves, run]) => (serves ? edge.url : run)) : runUrl;
    this.graphqlUrl = pulumi.interpolate`${this.url}/v1/graphql`;
    this.websocketUrl = this.graphqlUrl.apply((url) => url.replace(/^https:/, "wss:"));
    this.applyProject(name, args);
    this.registerOutputs({ url: this.url, graphqlUrl: this.graphqlUrl, worker: this.worker?.name });
  }

  /** Remote repository proxying Docker Hub, so the image is pulled from inside Google Cloud and cached. */
  private createImageSource(name: string, args: HasuraArgs): pulumi.Output<string> {
    const repository = new gcp.artifactregistry.Repository(
      `${name}-dockerhub`,
      {
        project: args.projectId,
        location: args.region,
        repositoryId: `${name}-dockerhub`,
        format: "DOCKER",
        mode: "REMOTE_REPOSITORY",
        description: "Proxy of Docker Hub for pinned third-party images (Hasura)",
        remoteRepositoryConfig: {
          description: "Docker Hub",
          dockerRepository: { publicRepository: "DOCKER_HUB" },
          ...(args.dockerHub ? { upstreamCredentials: { usernamePasswordCredentials: dockerHubCredentials(args.projectId, args.dockerHub) } } : {}),
        },
        labels: args.labels,
      },
      this.childOptions(),
    );
    return pulumi.interpolate`${args.region}-docker.pkg.dev/${args.projectId}/${repository.repositoryId}/hasura/graphql-engine:${args.version}`;
  }

  /** The public API: autoscaled, with event triggers and async actions off when the worker takes them, on without it. */
  private createApi(serviceName: string, container: HasuraContainer, args: HasuraArgs): gcp.cloudrunv2.Service {
    return new gcp.cloudrunv2.Service(
      serviceName,
      {
        project: args.projectId,
        location: args.region,
        name: serviceName,
        description: "Hasura GraphQL Engine: the stack's public API",
        // The public API, authenticated by Hasura (JWT / admin secret): from the internet directly, or only through the
        // stack's load balancer and Cloud Armor once its certificate serves (the VPC, where the services call from,
        // stays allowed).
        ingress: args.edge ? pulumi.output(args.edge.serves).apply((serves) => (serves ? "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER" : "INGRESS_TRAFFIC_ALL")) : "INGRESS_TRAFFIC_ALL",
        // Policy exception `cloudrun-no-public-invoker-check`: anyone may invoke the public GraphQL API, and Hasura
        // authenticates every request itself. Disabling the invoker check instead of binding allUsers is Google's
        // recommended way, and the one that works under domain restricted sharing
        // (https://cloud.google.com/run/docs/authenticating/public).
        invokerIamDisabled: true,
        deletionProtection: args.deletionProtection,
        labels: args.edge ? pulumi.output(args.edge.serves).apply((serves) => (serves ? args.labels : { ...args.labels, [CUTOVER_LABEL.key]: CUTOVER_LABEL.value })) : args.labels,
        template: {
          ...runTemplateBase(args),
          // GraphQL subscriptions are WebSockets, which Cloud Run ends at the request timeout: the maximum, 60 minutes
          // (https://cloud.google.com/run/docs/configuring/request-timeout, /run/docs/triggering/websockets).
          timeout: "3600s",
          volumes: container.volumes,
          containers: [
            container.of({
              cpu: args.cpu,
              memory: args.memory,
              metadataPoolSize: args.metadataPoolSize,
              // Without a worker the API's instances are the only ones to deliver events and async actions.
              processing: args.worker.enabled ? HASURA_API_PROCESSING_OFF : HASURA_WORKER_PROCESSING,
            }),
          ],
        },
      },
      this.childOptions(),
    );
  }

  /**
   * The worker: exactly one instance (a deploy briefly runs the old and the new revision side by side, which Hasura's
   * event locking allows), CPU always allocated, reachable from nothing (internal ingress, the invoker IAM check on and
   * no invoker granted). Same VPC egress as the API, to reach the microservices' internal URLs and Cloud SQL.
   */
  private createWorker(serviceName: string, container: HasuraContainer, args: HasuraArgs): gcp.cloudrunv2.Service {
    return new gcp.cloudrunv2.Service(
      serviceName,
      {
        project: args.projectId,
        location: args.region,
        name: serviceName,
        description: "Hasura GraphQL Engine worker: event triggers, cron triggers and async actions (not public)",
        ingress: "INGRESS_TRAFFIC_INTERNAL_ONLY",
        invokerIamDisabled: false,
        deletionProtection: args.deletionProtection,
        labels: args.labels,
        template: {
          // One instance, always: events and crons are delivered whether or not anyone calls the API.
          ...runTemplateBase({ ...args, minInstances: 1, maxInstances: 1 }),
          volumes: container.volumes,
          containers: [
            container.of({
              cpu: args.worker.cpu,
              memory: args.worker.memory,
              metadataPoolSize: args.worker.metadataPoolSize,
              processing: HASURA_WORKER_PROCESSING,
            }),
          ],
        },
      },
      // After the API is ready: the API's first start sets up Hasura's catalog in the metadata database, which two
      // first starts at once would both try.
      this.childOptions({ dependsOn: [this.service] }),
    );
  }

  /** Migrations, then the services' role grants, seeds and metadata, through Hasura's API once the service runs. */
  private applyProject(name: string, args: HasuraArgs): void {
    const connection = { endpoint: this.servingUrl, adminSecret: args.secrets.adminSecret.value };
    const afterService = this.childOptions({ dependsOn: [this.service] });
    const migrations = new HasuraMigrations(`${name}-migrations`, { ...connection, migrations: args.project.migrations }, afterService);
    const afterMigrations = this.childOptions({ dependsOn: [this.service, migrations] });
    // The roles exist once the migrations ran, the users once Cloud SQL made them.
    new HasuraDatabaseRoles(`${name}-database-roles`, { ...connection, grants: args.databaseRoleGrants }, this.childOptions({ dependsOn: [this.service, migrations, ...args.databaseUsers] }));
    if (args.project.seeds.length > 0) new HasuraSeeds(`${name}-seeds`, { ...connection, seeds: args.project.seeds }, afterMigrations);
    const metadata = withSourcePoolSize(args.project.metadata, "default", args.poolSize);
    new HasuraMetadata(`${name}-metadata`, { ...connection, metadata }, afterMigrations);
  }
}

/** What one Hasura container sets beyond what the API and the worker share. */
interface HasuraContainerSettings {
  cpu: string;
  memory: string;
  metadataPoolSize: number;
  /** Hasura's processing settings: switched off on the API beside a worker, written out on the worker (or a worker-less API). */
  processing: Readonly<Record<string, string>>;
}

/** The container the API and the worker share (image, secrets, JWT mode, service URLs, the CA mount), and its volumes. */
interface HasuraContainer {
  volumes: gcp.types.input.cloudrunv2.ServiceTemplateVolume[];
  of(settings: HasuraContainerSettings): gcp.types.input.cloudrunv2.ServiceTemplateContainer;
}

function hasuraContainer(image: pulumi.Output<string>, args: HasuraArgs): HasuraContainer {
  const jwtSecret = JSON.stringify({
    type: "RS256",
    jwk_url: FIREBASE_JWK_URL,
    // Hasura requires the audience for Firebase tokens: without it any Firebase project's token would verify.
    audience: args.firebaseProjectId,
    issuer: `https://securetoken.google.com/${args.firebaseProjectId}`,
  });
  const sharedEnvs = [
    secretEnv("HASURA_GRAPHQL_DATABASE_URL", args.secrets.databaseUrl),
    secretEnv("HASURA_GRAPHQL_METADATA_DATABASE_URL", args.secrets.metadataDatabaseUrl),
    secretEnv("HASURA_GRAPHQL_ADMIN_SECRET", args.secrets.adminSecret),
    secretEnv("PULSURA_EVENT_SECRET", args.secrets.eventSecret),
    ...plainEnv({
      HASURA_GRAPHQL_JWT_SECRET: jwtSecret,
      HASURA_GRAPHQL_UNAUTHORIZED_ROLE: "anonymous",
      HASURA_GRAPHQL_ENABLE_CONSOLE: "false",
      HASURA_GRAPHQL_DEV_MODE: "false",
      HASURA_GRAPHQL_ADMIN_INTERNAL_ERRORS: "false",
      // https://hasura.io/docs/latest/security/allow-list/ (not enforced for admin, i.e. the admin secret)
      HASURA_GRAPHQL_ENABLE_ALLOWLIST: String(args.allowList),
      HASURA_GRAPHQL_ENABLED_APIS: "graphql,metadata",
      HASURA_GRAPHQL_CORS_DOMAIN: pulumi.output(args.corsOrigins).apply((origins) => origins.join(",")),
      // Query logs would carry variables (personal data); the rest is what operations needs.
      HASURA_GRAPHQL_ENABLED_LOG_TYPES: "startup,http-log,webhook-log,websocket-log",
      HASURA_GRAPHQL_ENABLE_TELEMETRY: "false",
      // Cloud Run kills an instance 10 s after SIGTERM (https://cloud.google.com/run/docs/container-contract#instance-shutdown);
      // Hasura waits this long for in-flight scheduled events, crons and async actions, then unlocks the rest for the
      // next instance (default 60 s, gracefulShutdownOption in Serve.hs; it re-checks every 5 s, so 5 ends in time).
      HASURA_GRAPHQL_GRACEFUL_SHUTDOWN_TIMEOUT: "5",
      HASURA_GRAPHQL_SERVER_PORT: String(PORT),
    }),
    ...plainEnv(Object.fromEntries(Object.entries(args.serviceUrls).map(([service, url]) => [serviceUrlEnvName(service), url]))),
  ];
  return {
    // libpq reads the server CA from a file (sslrootcert in the database URLs): the secret, mounted read-only.
    volumes: [
      { name: "db-server-ca", secret: { secret: args.secrets.databaseCaCert.secretId, items: [{ version: args.secrets.databaseCaCert.version, path: SERVER_CA_FILE }] } },
    ],
    of: (settings) => ({
      image,
      ports: { containerPort: PORT },
      // Both keep CPU between requests: the worker delivers in the background, and an API instance still takes due
      // cron and scheduled events (no setting switches those off), which a throttled CPU would hold up.
      resources: { limits: { cpu: settings.cpu, memory: settings.memory }, cpuIdle: false, startupCpuBoost: true },
      envs: [
        ...sharedEnvs,
        ...plainEnv({
          // Since v2 this sizes the metadata database's pool (and a source seeded from HASURA_GRAPHQL_DATABASE_URL, which
          // replace_metadata replaces): https://hasura.io/docs/latest/deployment/graphql-engine-flags/reference
          HASURA_GRAPHQL_PG_CONNECTIONS: String(settings.metadataPoolSize),
          ...settings.processing,
        }),
      ],
      volumeMounts: [{ name: "db-server-ca", mountPath: SERVER_CA_DIR }],
      ...healthProbes(PORT),
    }),
  };
}

/** Upstream credentials of the Docker Hub proxy: the username and the password's pinned Secret Manager version. */
function dockerHubCredentials(projectId: string, dockerHub: { username: string; password: StoredSecret }) {
  return {
    username: dockerHub.username,
    // "projects/{project}/secrets/{secret}/versions/{version}" (artifactregistry Repository upstreamCredentials).
    passwordSecretVersion: pulumi.interpolate`projects/${projectId}/secrets/${dockerHub.password.secretId}/versions/${dockerHub.password.version}`,
  };
}
