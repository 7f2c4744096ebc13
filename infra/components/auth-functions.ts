import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import type { FunctionsBundle } from "../../functions/scripts/build";
import { FUNCTION_RUNTIMES } from "../runtimes";
import { PulsuraComponent } from "./component";
import type { StoredSecret } from "./secrets";

/** The uploaded source archive and the build account's read grant on it. */
interface FunctionsSource {
  bucket: pulumi.Output<string>;
  object: pulumi.Output<string>;
  buildReader: gcp.storage.BucketIAMMember;
}

export interface AuthFunctionsArgs {
  projectId: string;
  region: string;
  /** The bundled functions/ package (code and deploy package.json), e.g. `bundleFunctions()`. */
  bundle: Promise<FunctionsBundle>;
  /** Runtime identity of the functions. */
  serviceAccountEmail: pulumi.Input<string>;
  /** Identity Cloud Build uses to build the functions (instead of the default compute account). */
  buildServiceAccount: pulumi.Input<string>;
  /**
   * The build account's project role grants: each function waits for them, since Cloud Build uses the account on the
   * function's first deploy. @default []
   */
  buildServiceAccountGrants?: pulumi.Resource[];
  /** Warm instances of the blocking function (pulsura:functions.minInstances). */
  minInstances: number;
  /** Warm instances of each user-event trigger (pulsura:functions.triggerMinInstances). */
  triggerMinInstances: number;
  /** Most instances of each function. */
  maxInstances: number;
  secrets: { hasuraGraphqlUrl: StoredSecret; hasuraAdminSecret: StoredSecret };
  /** What deleting a Firebase user does to its row. @default "delete" */
  onUserDeleted: "delete" | "anonymize";
  labels: Record<string, string>;
}

/**
 * Firebase Auth user-sync functions, deployed by Pulumi from the bundled functions/ package: a private bucket holds
 * the source archive; `onUserCreated` and `onUserDeleted` are gen1 functions on Firebase Auth's user.create and
 * user.delete events with retries; `beforeUserCreated` is a gen2 HTTP function that Identity Platform calls as a
 * blocking function.
 */
export class AuthFunctions extends PulsuraComponent {
  readonly onUserCreated: gcp.cloudfunctions.Function;
  readonly onUserDeleted: gcp.cloudfunctions.Function;
  readonly beforeUserCreated: gcp.cloudfunctionsv2.Function;
  /** URL Identity Platform calls before creating a user. */
  readonly blockingFunctionUri: pulumi.Output<string>;

  constructor(name: string, args: AuthFunctionsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulsura:auth:AuthFunctions", name, opts);
    const source = this.uploadSource(name, args);
    // Cloud Build acts as the build account on each function's first deploy: its grants come first.
    const afterBuildGrants = this.childOptions({ dependsOn: [...(args.buildServiceAccountGrants ?? []), source.buildReader] });
    const environment = {
      // The Firebase CLI sets these on deploy; firebase-functions and firebase-admin need them at runtime.
      GCLOUD_PROJECT: args.projectId,
      FIREBASE_CONFIG: JSON.stringify({ projectId: args.projectId }),
    };
    // No projectId: the secrets live in the function's own project, and the API stores a project NUMBER there, so a
    // project id would show a diff and redeploy on every `pulumi up`
    // (https://github.com/hashicorp/terraform-provider-google/issues/11383).
    const secretEnvironmentVariables = [
      { key: "HASURA_GRAPHQL_URL", secret: args.secrets.hasuraGraphqlUrl.secretId, version: args.secrets.hasuraGraphqlUrl.version },
      { key: "HASURA_GRAPHQL_ADMIN_SECRET", secret: args.secrets.hasuraAdminSecret.secretId, version: args.secrets.hasuraAdminSecret.version },
    ];
    const userEvent = (fn: string, event: "user.create" | "user.delete") =>
      new gcp.cloudfunctions.Function(
        `${name}-${fn}`,
        {
          project: args.projectId,
          region: args.region,
          name: `${name}-${fn}`,
          description: `Firebase Auth ${event}: keeps the users table in step (through Hasura)`,
          // 1st gen: Firebase Auth's user.create / user.delete triggers are GA only there; nodejs22 is the newest
          // runtime 1st gen offers (decommissioned 2027-10-31, infra/runtimes.ts).
          runtime: FUNCTION_RUNTIMES.gen1,
          entryPoint: fn,
          sourceArchiveBucket: source.bucket,
          sourceArchiveObject: source.object,
          eventTrigger: {
            eventType: `providers/firebase.auth/eventTypes/${event}`,
            resource: `projects/${args.projectId}`,
            // A failed sync (Hasura down, network) is retried by Cloud Functions until it succeeds.
            failurePolicy: { retry: true },
          },
          serviceAccountEmail: args.serviceAccountEmail,
          buildServiceAccount: pulumi.interpolate`projects/${args.projectId}/serviceAccounts/${args.buildServiceAccount}`,
          dockerRegistry: "ARTIFACT_REGISTRY",
          // Event-triggered: nothing needs to reach it over HTTP.
          ingressSettings: "ALLOW_INTERNAL_ONLY",
          minInstances: args.triggerMinInstances,
          maxInstances: args.maxInstances,
          availableMemoryMb: 256,
          timeout: 60,
          environmentVariables: { ...environment, PULSURA_ON_USER_DELETED: args.onUserDeleted },
          secretEnvironmentVariables,
          labels: args.labels,
        },
        afterBuildGrants,
      );
    this.onUserCreated = userEvent("onUserCreated", "user.create");
    this.onUserDeleted = userEvent("onUserDeleted", "user.delete");
    this.beforeUserCreated = this.createBlockingFunction(name, args, source, environment, afterBuildGrants);
    this.blockingFunctionUri = this.beforeUserCreated.url;
    this.registerOutputs({ blockingFunctionUri: this.blockingFunctionUri });
  }

  /** A private bucket with the source archive; the object name carries the content hash, so changes redeploy. */
  private uploadSource(name: string, args: AuthFunctionsArgs): FunctionsSource {
    const bucket = new gcp.storage.Bucket(
      `${name}-source`,
      {
        project: args.projectId,
        location: args.region,
        uniformBucketLevelAccess: true,
        publicAccessPrevention: "enforced",
        forceDestroy: true,
        labels: args.labels,
        lifecycleRules: [{ action: { type: "Delete" }, condition: { age: 30, withState: "ARCHIVED" } }],
        versioning: { enabled: true },
      },
      this.childOptions(),
    );
    // roles/storage.objectViewer on the source bucket: https://cloud.google.com/functions/1stgendocs/securing/build-custom-sa
    const buildReader = new gcp.storage.BucketIAMMember(
      `${name}-source-build-reader`,
      { bucket: bucket.name, role: "roles/storage.objectViewer", member: pulumi.interpolate`serviceAccount:${args.buildServiceAccount}` },
      this.childOptions(),
    );
    const code = args.bundle.then((b) => b.code);
    const packageJson = args.bundle.then((b) => b.packageJson);
    const digest = args.bundle.then((b) => createHash("sha256").update(b.code).update(b.packageJson).digest("hex").slice(0, 16));
    const object = new gcp.storage.BucketObject(
      `${name}-source-archive`,
      {
        bucket: bucket.name,
        name: pulumi.interpolate`functions-${digest}.zip`,
        source: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(code), "package.json": new pulumi.asset.StringAsset(packageJson) }),
      },
      this.childOptions(),
    );
    return { bucket: bucket.name, object: object.name, buildReader };
  }

  private createBlockingFunction(
    name: string,
    args: AuthFunctionsArgs,
    source: FunctionsSource,
    environment: Record<string, string>,
    afterBuildGrants: pulumi.CustomResourceOptions,
  ): gcp.cloudfunctionsv2.Function {
    const functionName = `${name}-before-user-created`;
    const blocking = new gcp.cloudfunctionsv2.Function(
      `${name}-beforeUserCreated`,
      {
        project: args.projectId,
        location: args.region,
        name: functionName,
        description: "Identity Platform blocking function: Hasura claims in the first ID token (no network call)",
        labels: args.labels,
        buildConfig: {
          runtime: FUNCTION_RUNTIMES.gen2,
          entryPoint: "beforeUserCreated",
          source: { storageSource: { bucket: source.bucket, object: source.object } },
          serviceAccount: pulumi.interpolate`projects/${args.projectId}/serviceAccounts/${args.buildServiceAccount}`,
        },
        serviceConfig: {
          serviceAccountEmail: args.serviceAccountEmail,
          // Identity Platform calls it over the internet; the function verifies Identity Platform's signed token.
          ingressSettings: "ALLOW_ALL",
          minInstanceCount: args.minInstances,
          maxInstanceCount: args.maxInstances,
          availableMemory: "256M",
          timeoutSeconds: 7,
          allTrafficOnLatestRevision: true,
          environmentVariables: environment,
        },
      },
      afterBuildGrants,
    );
    // Policy exception `functions-no-public-invoker`: Identity Platform invokes blocking functions without Google
    // credentials, so the function is invocable by allUsers (the Firebase CLI makes every auth blocking function
    // public, firebase-tools src/deploy/functions/release/fabricator.ts); firebase-functions rejects any request whose
    // Identity Platform JWT does not verify. No other function is public. This is the stack's one allUsers binding:
    // under the organization policy constraints/iam.allowedPolicyMemberDomains (domain restricted sharing) it fails,
    // which the offline plan cannot see (org policy is not readable offline); the plan's nextSteps output and the
    // README say to check it, or to exempt the project, before the first `pulumi up`.
    new gcp.cloudrunv2.ServiceIamMember(
      `${name}-beforeUserCreated-invoker`,
      { project: args.projectId, location: args.region, name: blocking.name, role: "roles/run.invoker", member: "allUsers" },
      this.childOptions(),
    );
    return blocking;
  }
}
