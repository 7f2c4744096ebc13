import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { OBJECT_FINALIZED_PATH, PENDING_UPLOAD_PREFIX } from "../config/storage";
import { PulsuraComponent } from "./component";

const SECONDS_PER_DAY = 86_400;

// In the config module, which npm run dev's storage front reads too (without loading Pulumi).
export { OBJECT_FINALIZED_HANDLER, OBJECT_FINALIZED_PATH, PENDING_UPLOAD_PREFIX } from "../config/storage";

/** Bucket names: 3-63 characters without dots (https://cloud.google.com/storage/docs/buckets#naming). */
const BUCKET_NAME_MAX = 63;

/**
 * The files bucket's name: `<project>-<tenant>-files`, globally unique because project ids are, and the tenant keeps
 * two stacks of one project apart. Too long, the tenant is cut and a 4-character hash of the whole name follows it.
 */
export function filesBucketName(projectId: string, tenant: string): string {
  const full = `${projectId}-${tenant}-files`;
  if (full.length <= BUCKET_NAME_MAX) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 4);
  const room = BUCKET_NAME_MAX - projectId.length - "-files".length - hash.length - 2;
  return `${projectId}-${tenant.slice(0, Math.max(room, 0)).replace(/-+$/, "")}-${hash}-files`;
}

export interface StorageArgs {
  projectId: string;
  region: string;
  /** Globally unique bucket name ({@link filesBucketName}). */
  bucketName: string;
  /** Exact web origins that may PUT uploads and GET downloads from a browser (no `*`). */
  corsOrigins: pulumi.Input<string>[];
  /** Keep overwritten and deleted objects as noncurrent versions. @default false */
  versioning: boolean;
  /** Days a deleted object stays restorable (0: soft delete off; else 7-90). */
  softDeleteDays: number;
  /** With versioning: days after which a noncurrent version is deleted. */
  noncurrentVersionDays: number;
  /** Accounts (emails) that read and write objects: the files service. */
  objectAdmins: Record<string, pulumi.Input<string>>;
  /** The upload confirmation path: OBJECT_FINALIZE under uploads/ pushed to the files service. */
  confirmation: {
    /** Cloud Run service name of the files service (run.invoker is granted on it only). */
    serviceName: pulumi.Input<string>;
    /** Its URL: the push endpoint's base and the OIDC token's audience. */
    serviceUrl: pulumi.Input<string>;
    /** The account Pub/Sub signs the push's OIDC token as. */
    pushServiceAccountEmail: pulumi.Input<string>;
  };
  /** Blocks deleting a bucket that still holds objects (prod). @default false */
  deletionProtection: boolean;
  labels: Record<string, string>;
}

/**
 * The stack's private bucket of user files and its upload confirmation path.
 *
 * Browsers never hold Google credentials: the files service signs a V4 URL (as its own account, through IAM
 * Credentials signBlob) for one PUT under `uploads/`, and Cloud Storage notifies a Pub/Sub topic when the object is
 * written; a push subscription delivers that to the files service, which checks the object and moves it to its final
 * path (`organizations/<org>/<file id>` or `users/<owner>/<file id>`). Uploads never confirmed are deleted after a day.
 */
export class Storage extends PulsuraComponent {
  readonly bucket: gcp.storage.Bucket;
  readonly topic: gcp.pubsub.Topic;
  readonly subscription: gcp.pubsub.Subscription;

  constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulsura:storage:Storage", name, opts);
    this.bucket = this.createBucket(name, args);
    this.grantObjectAccess(name, args);
    this.topic = this.createTopic(name, args);
    const publisher = this.notifyOnUpload(name, args);
    this.subscription = this.pushToService(name, args, publisher);
    this.registerOutputs({ bucketName: this.bucket.name, topic: this.topic.id, subscription: this.subscription.id });
  }

  private createBucket(name: string, args: StorageArgs): gcp.storage.Bucket {
    const lifecycleRules: gcp.types.input.storage.BucketLifecycleRule[] = [
      // An upload the files service never confirmed (abandoned, refused, or its notification lost) is garbage.
      { action: { type: "Delete" }, condition: { age: 1, matchesPrefixes: [PENDING_UPLOAD_PREFIX] } },
    ];
    if (args.versioning) {
      // Versioning alone keeps every noncurrent version forever.
      lifecycleRules.push({ action: { type: "Delete" }, condition: { withState: "ARCHIVED", daysSinceNoncurrentTime: args.noncurrentVersionDays } });
    }
    return new gcp.storage.Bucket(
      `${name}-files`,
      {
        project: args.projectId,
        name: args.bucketName,
        location: args.region.toUpperCase(),
        storageClass: "STANDARD",
        uniformBucketLevelAccess: true,
        publicAccessPrevention: "enforced",
        versioning: { enabled: args.versioning },
        softDeletePolicy: { retentionDurationSeconds: args.softDeleteDays * SECONDS_PER_DAY },
        lifecycleRules,
        // Browsers PUT to upload URLs and GET download URLs. The signed headers (Content-Type, the size range) must be
        // allowed in the preflight (https://cloud.google.com/storage/docs/cross-origin#cors-components).
        cors: [
          {
            origins: args.corsOrigins,
            methods: ["GET", "HEAD", "PUT"],
            responseHeaders: ["Content-Type", "x-goog-content-length-range"],
            maxAgeSeconds: 3600,
          },
        ],
        forceDestroy: !args.deletionProtection,
        labels: args.labels,
      },
      this.childOptions(),
    );
  }

  private grantObjectAccess(name: string, args: StorageArgs) {
    for (const [who, email] of Object.entries(args.objectAdmins)) {
      new gcp.storage.BucketIAMMember(
        `${name}-files-${who}-object-admin`,
        { bucket: this.bucket.name, role: "roles/storage.objectAdmin", member: pulumi.interpolate`serviceAccount:${email}` },
        this.childOptions(),
      );
    }
  }

  private createTopic(name: string, args: StorageArgs): gcp.pubsub.Topic {
    return new gcp.pubsub.Topic(
      `${name}-uploads`,
      {
        project: args.projectId,
        name: `${name}-files-uploaded`,
        // Object metadata (names carry user and organization ids) stays in the stack's region.
        messageStoragePolicy: { allowedPersistenceRegions: [args.region] },
        labels: args.labels,
      },
      this.childOptions(),
    );
  }

  /** OBJECT_FINALIZE of pending uploads to the topic; the Cloud Storage service agent may publish to it only. */
  private notifyOnUpload(name: string, args: StorageArgs): gcp.pubsub.TopicIAMMember {
    const agent = gcp.storage.getProjectServiceAccountOutput({ project: args.projectId }, { parent: this });
    const publisher = new gcp.pubsub.TopicIAMMember(
      `${name}-uploads-storage-publisher`,
      { project: args.projectId, topic: this.topic.name, role: "roles/pubsub.publisher", member: pulumi.interpolate`serviceAccount:${agent.emailAddress}` },
      this.childOptions(),
    );
    new gcp.storage.Notification(
      `${name}-uploads-finalized`,
      {
        bucket: this.bucket.name,
        topic: this.topic.id,
        payloadFormat: "JSON_API_V1",
        eventTypes: ["OBJECT_FINALIZE"],
        objectNamePrefix: PENDING_UPLOAD_PREFIX,
      },
      // Cloud Storage checks that its agent may publish when the notification is created.
      this.childOptions({ dependsOn: [publisher] }),
    );
    return publisher;
  }

  private pushToService(name: string, args: StorageArgs, publisher: gcp.pubsub.TopicIAMMember): gcp.pubsub.Subscription {
    const { serviceName, serviceUrl, pushServiceAccountEmail } = args.confirmation;
    // The files service runs with invokerIamDisabled (Hasura's webhooks carry no Google token), so it verifies the
    // OIDC token itself; run.invoker is still granted so that turning Cloud Run's invoker check on later just works.
    const invoker = new gcp.cloudrunv2.ServiceIamMember(
      `${name}-uploads-push-invoker`,
      { project: args.projectId, location: args.region, name: serviceName, role: "roles/run.invoker", member: pulumi.interpolate`serviceAccount:${pushServiceAccountEmail}` },
      this.childOptions(),
    );
    return new gcp.pubsub.Subscription(
      `${name}-uploads-push`,
      {
        project: args.projectId,
        name: `${name}-files-uploaded-push`,
        topic: this.topic.id,
        // The service answers once it has checked and moved the object: a minute is ample.
        ackDeadlineSeconds: 60,
        messageRetentionDuration: `${7 * SECONDS_PER_DAY}s`,
        retainAckedMessages: false,
        // Never expire: a quiet stack (no upload for 31 days) would otherwise lose its subscription.
        expirationPolicy: { ttl: "" },
        retryPolicy: { minimumBackoff: "10s", maximumBackoff: "600s" },
        // Pub/Sub in the same project reaches an internal-only Cloud Run service
        // (https://cloud.google.com/run/docs/securing/ingress#settings).
        pushConfig: {
          pushEndpoint: pulumi.interpolate`${serviceUrl}${OBJECT_FINALIZED_PATH}`,
          oidcToken: { serviceAccountEmail: pushServiceAccountEmail, audience: serviceUrl },
        },
        labels: args.labels,
      },
      this.childOptions({ dependsOn: [publisher, invoker] }),
    );
  }
}
