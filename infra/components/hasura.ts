import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { HasuraDatabaseRoles, HasuraMetadata, HasuraMigrations, HasuraSeeds, type RoleGrant } from "../dynamic";
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
  /** Blocks deleting the Cloud Run service (prod). @default false */
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
 * Hasura GraphQL Engine on Cloud Run v2: the stack's only public service. Its image comes through an Artifact
 * Registry remote repository that proxies Docker Hub; every secret is read from Secret Manager by version; Firebase ID
 * tokens are its JWTs. After the service is up, the Hasura CLI project (migrations, seeds, metadata) is applied through
 * Hasura's own API by dynamic resources, so `pulumi preview` shows data-model changes.
 */
export class Hasura extends PulsuraComponent {
  readonly service: gcp.cloudrunv2.Service;
  /** Base URL, e.g. https://pulsura-hasura-123456789012.europe-west1.run.app */
  readonly url: pulumi.Output<string>;
  readonly graphqlUrl: pulumi.Output<string>;
  readonly websocketUrl: pulumi.Output<string>;

  constructor(name: string, args: HasuraArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulsura:hasura:Hasura", name, opts);
    const serviceName = `${name}-hasura`;
    const image = this.createImageSource(name, args);
    this.service = this.createService(serviceName, image, args);

    this.url = deterministicRunUrl(serviceName, args.projectNumber, args.region);
    this.graphqlUrl = pulumi.interpolate`${this.url}/v1/graphql`;
    this.websocketUrl = this.graphqlUrl.apply((url) => url.replace(/^https:/, "wss:"));
    this.applyProject(name, args);
    this.registerOutputs({ url: this.url, graphqlUrl: this.graphqlUrl });
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

  private createService(serviceName: string, image: pulumi.Output<string>, args: HasuraArgs): gcp.cloudrunv2.Service {
    const jwtSecret = JSON.stringify({
      type: "RS256",
      jwk_url: FIREBASE_JWK_URL,
      // Hasura requires the audience for Firebase tokens: without it any Firebase project's token would verify.
      audience: args.firebaseProjectId,
      issuer: `https://securetoken.google.com/${args.firebaseProjectId}`,
    });
    const envs = [
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
        // Since v2 this sizes the metadata database's pool (and a source seeded from HASURA_GRAPHQL_DATABASE_URL, which
        // replace_metadata replaces): https://hasura.io/docs/latest/deployment/graphql-engine-flags/reference
        HASURA_GRAPHQL_PG_CONNECTIONS: String(args.metadataPoolSize),
        HASURA_GRAPHQL_SERVER_PORT: String(PORT),
      }),
      ...plainEnv(Object.fromEntries(Object.entries(args.serviceUrls).map(([service, url]) => [serviceUrlEnvName(service), url]))),
    ];
    return new gcp.cloudrunv2.Service(
      serviceName,
      {
        project: args.projectId,
        location: args.region,
        name: serviceName,
        description: "Hasura GraphQL Engine: the stack's public API",
        // The public API: reachable from the internet, authenticated by Hasura (JWT / admin secret).
        ingress: "INGRESS_TRAFFIC_ALL",
        // Policy exception `cloudrun-no-public-invoker-check`: anyone may invoke the public GraphQL API, and Hasura
        // authenticates every request itself. Disabling the invoker check instead of binding allUsers is Google's
        // recommended way, and the one that works under domain restricted sharing
        // (https://cloud.google.com/run/docs/authenticating/public).
        invokerIamDisabled: true,
        deletionProtection: args.deletionProtection,
        labels: args.labels,
        template: {
          ...runTemplateBase(args),
          // GraphQL subscriptions are WebSockets, which Cloud Run ends at the request timeout: the maximum, 60 minutes
          // (https://cloud.google.com/run/docs/configuring/request-timeout, /run/docs/triggering/websockets).
          timeout: "3600s",
          // libpq reads the server CA from a file (sslrootcert in the database URLs): the secret, mounted read-only.
          volumes: [
            { name: "db-server-ca", secret: { secret: args.secrets.databaseCaCert.secretId, items: [{ version: args.secrets.databaseCaCert.version, path: SERVER_CA_FILE }] } },
          ],
          containers: [
            {
              image,
              ports: { containerPort: PORT },
              // Hasura delivers event triggers and cron triggers in the background: keep CPU allocated between requests.
              resources: { limits: { cpu: args.cpu, memory: args.memory }, cpuIdle: false, startupCpuBoost: true },
              envs,
              volumeMounts: [{ name: "db-server-ca", mountPath: SERVER_CA_DIR }],
              ...healthProbes(PORT),
            },
          ],
        },
      },
      this.childOptions(),
    );
  }

  /** Migrations, then the services' role grants, seeds and metadata, through Hasura's API once the service runs. */
  private applyProject(name: string, args: HasuraArgs): void {
    const connection = { endpoint: this.url, adminSecret: args.secrets.adminSecret.value };
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

/** Upstream credentials of the Docker Hub proxy: the username and the password's pinned Secret Manager version. */
function dockerHubCredentials(projectId: string, dockerHub: { username: string; password: StoredSecret }) {
  return {
    username: dockerHub.username,
    // "projects/{project}/secrets/{secret}/versions/{version}" (artifactregistry Repository upstreamCredentials).
    passwordSecretVersion: pulumi.interpolate`projects/${projectId}/secrets/${dockerHub.password.secretId}/versions/${dockerHub.password.version}`,
  };
}
