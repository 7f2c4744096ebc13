import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PulsuraComponent } from "./component";

export interface DatabaseArgs {
  projectId: string;
  region: string;
  /** Cloud SQL version. @default "POSTGRES_17" (from config) */
  version: string;
  /** Machine tier. @default dev "db-g1-small", prod "db-custom-2-7680" (from config) */
  tier: string;
  /** ZONAL or REGIONAL (HA with a standby in another zone). @default dev ZONAL, prod REGIONAL */
  availability: "ZONAL" | "REGIONAL";
  diskSizeGb: number;
  /** Automated backups kept. @default dev 7, prod 14 */
  retainedBackups: number;
  /** Point-in-time recovery through write-ahead logs. @default dev false, prod true */
  pointInTimeRecovery: boolean;
  transactionLogRetentionDays: number;
  /** UTC hour backups start, "HH:00". */
  backupStartTime: string;
  /** Protects the instance both in Pulumi (`protect`, provider flag) and in the Cloud SQL API. @default dev false, prod true */
  deletionProtection: boolean;
  queryInsights: boolean;
  maintenanceDay: number;
  maintenanceHour: number;
  /** Explicit `max_connections`; undefined keeps the tier's default. */
  maxConnections?: number;
  /** VPC the instance gets its private IP in. */
  network: pulumi.Input<string>;
  /** Private services access peering the instance needs before it can get a private IP. */
  privateServicesConnection: pulumi.Resource;
  /** Database users to create besides Cloud SQL's own, one per workload that connects (never `postgres`). */
  users: string[];
  labels: Record<string, string>;
}

/**
 * How database passwords are generated. The instance's password policy is COMPLEXITY_DEFAULT, "a combination of
 * lowercase, uppercase, numeric, and non-alphanumeric characters" (https://cloud.google.com/sql/docs/postgres/built-in-authentication),
 * with at least `minLength` 20 characters. The special characters are RFC 3986's unreserved ones (`- . _ ~`,
 * https://www.rfc-editor.org/rfc/rfc3986#section-2.3), so the password stands unescaped in the userinfo of the
 * postgres:// URLs built by `url()`.
 */
export const DATABASE_PASSWORD_POLICY = {
  length: 32,
  special: true,
  overrideSpecial: "-_.~",
  minUpper: 2,
  minLower: 2,
  minNumeric: 2,
  minSpecial: 2,
} as const satisfies random.RandomPasswordArgs;

/** The app database's name. */
export const APP_DATABASE = "app";
/** Hasura's metadata catalogue lives in its own database. */
export const METADATA_DATABASE = "hasura_metadata";

/** Where libpq clients (Hasura) find the instance's server CA: the secret volume infra/components/hasura.ts mounts. */
export const SERVER_CA_DIR = "/etc/pulsura/db-ca";
export const SERVER_CA_FILE = "server-ca.pem";
export const SERVER_CA_PATH = `${SERVER_CA_DIR}/${SERVER_CA_FILE}`;

/** A database user: name (resolves once the user exists) and generated password (a Pulumi secret). */
export interface DatabaseUser {
  name: pulumi.Output<string>;
  password: pulumi.Output<string>;
  /** The Cloud SQL user, for resources that need it to exist first (role grants). */
  resource: gcp.sql.User;
}

/**
 * Cloud SQL for PostgreSQL on a private IP only, with encrypted connections, automated backups, the CIS logging flags
 * and pgaudit; HA, PITR and deletion protection per environment. Creates the app database, Hasura's metadata database
 * and one user per connecting workload with a password from @pulumi/random.
 */
export class Database extends PulsuraComponent {
  readonly instance: gcp.sql.DatabaseInstance;
  readonly users: Readonly<Record<string, DatabaseUser>>;
  readonly privateIp: pulumi.Output<string>;
  readonly connectionName: pulumi.Output<string>;
  /** PEM of the instance's server CA (`serverCaCerts[0].cert`): clients verify the server against it. */
  readonly serverCaCert: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulsura:data:Database", name, opts);
    this.instance = this.createInstance(name, args);
    this.privateIp = this.instance.privateIpAddress;
    this.connectionName = this.instance.connectionName;
    this.serverCaCert = this.instance.serverCaCerts.apply((certs) => certs?.[0]?.cert ?? "");

    for (const database of [APP_DATABASE, METADATA_DATABASE]) {
      new gcp.sql.Database(
        `${name}-${database.replace(/_/g, "-")}`,
        {
          project: args.projectId,
          instance: this.instance.name,
          name: database,
          // Dropping a database loses data; a protected stack keeps it even if the resource goes away.
          deletionPolicy: args.deletionProtection ? "ABANDON" : "DELETE",
        },
        this.childOptions({ protect: args.deletionProtection }),
      );
    }
    this.users = Object.fromEntries(args.users.map((user) => [user, this.createUser(name, user, args)]));
    this.registerOutputs({ connectionName: this.connectionName, privateIp: this.privateIp });
  }

  /**
   * A `postgres://` URL for a user and database over TLS that verifies the server (the instance accepts encrypted
   * connections only). `libpq` clients (Hasura) get `sslmode=verify-ca` with `sslrootcert` at `caCertPath`, where the
   * instance's server CA is mounted; verify-full would fail, since the server certificate names the instance, not the
   * private IP (https://cloud.google.com/sql/docs/postgres/configure-ssl-instance). node-postgres clients (the kit) get
   * no TLS parameters in the URL, which pg would let override its `ssl` option: the kit builds verify-ca from
   * DATABASE_CA_CERT (services/kit/src/database.ts).
   */
  url(user: string, database: string = APP_DATABASE, client: "libpq" | "node-postgres" = "libpq", caCertPath = SERVER_CA_PATH): pulumi.Output<string> {
    const account = this.users[user];
    if (!account) throw new Error(`no database user "${user}"`);
    const ssl = client === "libpq" ? `?sslmode=verify-ca&sslrootcert=${caCertPath}` : "";
    return pulumi.secret(pulumi.interpolate`postgres://${account.name}:${account.password}@${this.privateIp}:5432/${database}${ssl}`);
  }

  private createInstance(name: string, args: DatabaseArgs): gcp.sql.DatabaseInstance {
    return new gcp.sql.DatabaseInstance(
      `${name}-instance`,
      {
        project: args.projectId,
        region: args.region,
        databaseVersion: args.version,
        // Pulumi-side guard: `pulumi destroy` and replacements fail while true.
        deletionProtection: args.deletionProtection,
        settings: {
          tier: args.tier,
          // PostgreSQL 16+ would default to Enterprise Plus, which has no shared-core or custom tiers.
          edition: "ENTERPRISE",
          availabilityType: args.availability,
          diskType: "PD_SSD",
          diskSize: args.diskSizeGb,
          diskAutoresize: true,
          // API-side guard: the instance cannot be deleted from the console or gcloud either.
          deletionProtectionEnabled: args.deletionProtection,
          userLabels: args.labels,
          ipConfiguration: {
            ipv4Enabled: false,
            privateNetwork: args.network,
            enablePrivatePathForGoogleCloudServices: true,
            sslMode: "ENCRYPTED_ONLY",
            authorizedNetworks: [],
          },
          backupConfiguration: {
            enabled: true,
            startTime: args.backupStartTime,
            pointInTimeRecoveryEnabled: args.pointInTimeRecovery,
            transactionLogRetentionDays: args.transactionLogRetentionDays,
            backupRetentionSettings: { retainedBackups: args.retainedBackups, retentionUnit: "COUNT" },
          },
          maintenanceWindow: { day: args.maintenanceDay, hour: args.maintenanceHour, updateTrack: "stable" },
          insightsConfig: {
            queryInsightsEnabled: args.queryInsights,
            queryStringLength: 1024,
            recordApplicationTags: args.queryInsights,
            // Client addresses are personal data in some jurisdictions.
            recordClientAddress: false,
          },
          passwordValidationPolicy: { enablePasswordPolicy: true, minLength: 20, complexity: "COMPLEXITY_DEFAULT", disallowUsernameSubstring: true },
          databaseFlags: databaseFlags(args.maxConnections),
        },
      },
      this.childOptions({ protect: args.deletionProtection, dependsOn: [args.privateServicesConnection] }),
    );
  }

  private createUser(name: string, user: string, args: DatabaseArgs): DatabaseUser {
    const password = new random.RandomPassword(`${name}-user-${user}-password`, DATABASE_PASSWORD_POLICY, this.childOptions());
    const sqlUser = new gcp.sql.User(
      `${name}-user-${user}`,
      {
        project: args.projectId,
        instance: this.instance.name,
        name: user,
        type: "BUILT_IN",
        password: password.result,
        // ABANDON everywhere: Cloud SQL cannot drop a user that owns objects (hasura owns the schema) or holds grants, so
        // DELETE would fail `pulumi destroy` in dev; the instance goes with the stack anyway. Prod keeps its protection
        // from the instance's deletion protection. https://cloud.google.com/sql/docs/postgres/create-manage-users#delete-user
        deletionPolicy: "ABANDON",
      },
      this.childOptions(),
    );
    return { name: sqlUser.name, password: pulumi.secret(password.result), resource: sqlUser };
  }
}

/**
 * Database flags: CIS Google Cloud Platform Foundations Benchmark (section 6.2, PostgreSQL) logging flags, pgaudit for
 * DDL and role changes, and `max_connections` when config sets it.
 */
function databaseFlags(maxConnections: number | undefined): Array<{ name: string; value: string }> {
  const flags = [
    { name: "log_checkpoints", value: "on" },
    { name: "log_connections", value: "on" },
    { name: "log_disconnections", value: "on" },
    { name: "log_lock_waits", value: "on" },
    { name: "log_error_verbosity", value: "default" },
    { name: "log_min_error_statement", value: "error" },
    { name: "log_min_messages", value: "warning" },
    { name: "log_statement", value: "ddl" },
    // 0 logs every temporary file: spills to disk show up in the logs.
    { name: "log_temp_files", value: "0" },
    // -1: statements are not logged by duration, so query parameters (personal data) stay out of the logs.
    { name: "log_min_duration_statement", value: "-1" },
    { name: "cloudsql.enable_pgaudit", value: "on" },
    { name: "pgaudit.log", value: "ddl,role" },
    { name: "pgaudit.log_relation", value: "on" },
  ];
  if (maxConnections !== undefined) flags.push({ name: "max_connections", value: String(maxConnections) });
  return flags;
}
