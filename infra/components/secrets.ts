import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PulsuraComponent } from "./component";

export interface SecretArgs {
  /**
   * The value, or `"generate"` for a random 48-character value made by @pulumi/random. A given value is stored as a
   * Pulumi secret whatever it was.
   */
  value: pulumi.Input<string> | "generate";
  /** Service accounts that may read this secret, keyed by workload id. Each gets `secretAccessor` on this secret only. */
  accessors: Record<string, pulumi.Input<string>>;
}

export interface SecretsArgs {
  projectId: string;
  /** Region where secret payloads are stored (user-managed replication keeps data in the stack's region). */
  region: string;
  /** Prefix of secret ids in Secret Manager, e.g. the tenant. */
  prefix: string;
  labels: Record<string, string>;
  secrets: Record<string, SecretArgs>;
}

/** A stored secret: what workloads reference. */
export interface StoredSecret {
  /** Secret id in Secret Manager (`<prefix>-<key>`). */
  secretId: pulumi.Output<string>;
  /** The version workloads pin (`1`, `2`, …). */
  version: pulumi.Output<string>;
  /** The value, as a Pulumi secret; for components that must derive something from it. */
  value: pulumi.Output<string>;
}

/**
 * Secret Manager secrets for generated values and for values derived from them (database URLs). Read access is
 * granted per secret to named service accounts; never project-wide.
 */
export class Secrets extends PulsuraComponent {
  private readonly stored: Record<string, StoredSecret> = {};

  constructor(name: string, args: SecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulsura:security:Secrets", name, opts);
    for (const [key, secretArgs] of Object.entries(args.secrets)) this.stored[key] = this.createSecret(name, key, secretArgs, args);
    this.registerOutputs({ secretIds: Object.fromEntries(Object.entries(this.stored).map(([k, s]) => [k, s.secretId])) });
  }

  private createSecret(name: string, key: string, secretArgs: SecretArgs, args: SecretsArgs): StoredSecret {
    const value =
      secretArgs.value === "generate"
        ? new random.RandomPassword(`${name}-${key}-value`, { length: 48, special: false }, this.childOptions()).result
        : pulumi.secret(secretArgs.value);
    const secret = new gcp.secretmanager.Secret(
      `${name}-${key}`,
      {
        project: args.projectId,
        secretId: `${args.prefix}-${key}`,
        labels: args.labels,
        replication: { userManaged: { replicas: [{ location: args.region }] } },
      },
      this.childOptions(),
    );
    const version = new gcp.secretmanager.SecretVersion(
      `${name}-${key}-v`,
      { secret: secret.id, secretData: pulumi.secret(value) },
      this.childOptions(),
    );
    for (const [reader, email] of Object.entries(secretArgs.accessors)) {
      new gcp.secretmanager.SecretIamMember(
        `${name}-${key}-reader-${reader}`,
        { project: args.projectId, secretId: secret.secretId, role: "roles/secretmanager.secretAccessor", member: pulumi.interpolate`serviceAccount:${email}` },
        this.childOptions(),
      );
    }
    return { secretId: secret.secretId, version: version.version, value: pulumi.secret(value) };
  }

  /** A stored secret by key; fails loudly for an unknown key. */
  get(key: string): StoredSecret {
    const secret = this.stored[key];
    if (!secret) throw new Error(`no secret "${key}" in the Secrets component`);
    return secret;
  }
}
