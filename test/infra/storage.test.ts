/**
 * The files bucket and its upload confirmation path as each stack declares it (the offline plan of every stack file):
 * private, in the stack's region, pending uploads expire, and Cloud Storage's upload notifications reach the files
 * service through an authenticated push that only the push account signs.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OBJECT_FINALIZED_HANDLER, OBJECT_FINALIZED_PATH, PENDING_UPLOAD_PREFIX } from "../../infra/components/storage";
import { findHandlerFiles } from "../../services/kit/src/route-files";
import { repoRoot } from "../../scripts/lib/stack-files";
import { STORAGE_DEFAULTS } from "../../infra/config/storage";
import { onlyResourceOfType, planOf, plannedStacks, resourcesOfType } from "./support/plans";

const T = {
  bucket: "gcp:storage/bucket:Bucket",
  bucketMember: "gcp:storage/bucketIAMMember:BucketIAMMember",
  topic: "gcp:pubsub/topic:Topic",
  topicMember: "gcp:pubsub/topicIAMMember:TopicIAMMember",
  subscription: "gcp:pubsub/subscription:Subscription",
  notification: "gcp:storage/notification:Notification",
  runMember: "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
  run: "gcp:cloudrunv2/service:Service",
} as const;

type Loose = any;

describe.each(plannedStacks())("stack %s", (stack) => {
  const plan = () => planOf(stack);
  const environment = () => plan().environment as "dev" | "prod";
  const accounts = () => plan().outputs.serviceAccounts as Record<string, string>;
  const files = (): Loose => resourcesOfType(plan(), T.bucket).find((b) => b.name.endsWith("-files"))!;
  const core = (): Loose => resourcesOfType(plan(), T.run).find((s) => String(s.inputs.name).endsWith("-core"))!;
  const coreEnv = () => Object.fromEntries((core().inputs.template.containers[0].envs as Array<{ name: string; value?: string }>).map((e) => [e.name, e.value]));

  it("keeps user files in one private bucket in the stack's region, labelled like the rest", () => {
    const bucket = files();
    expect(bucket.inputs).toMatchObject({ uniformBucketLevelAccess: true, publicAccessPrevention: "enforced", location: "EUROPE-WEST1", storageClass: "STANDARD" });
    expect(bucket.inputs.labels).toMatchObject({ environment: environment(), "managed-by": "pulsura" });
    expect(bucket.inputs.name).toBe(`${plan().outputs.gcpProject}-pulsura-files`);
    expect(plan().outputs.filesBucket).toBe(bucket.inputs.name);
  });

  it("deletes uploads never confirmed after a day, and noncurrent versions after the configured days", () => {
    const rules = files().inputs.lifecycleRules as Loose[];
    expect(rules[0]).toEqual({ action: { type: "Delete" }, condition: { age: 1, matchesPrefixes: [PENDING_UPLOAD_PREFIX] } });
    const defaults = STORAGE_DEFAULTS[environment()];
    expect(files().inputs.versioning).toEqual({ enabled: defaults.versioning });
    expect(files().inputs.softDeletePolicy).toEqual({ retentionDurationSeconds: defaults.softDeleteDays * 86400 });
    if (defaults.versioning) expect(rules[1]).toEqual({ action: { type: "Delete" }, condition: { withState: "ARCHIVED", daysSinceNoncurrentTime: defaults.noncurrentVersionDays } });
    else expect(rules).toHaveLength(1);
  });

  it("allows browser PUT and GET from the stack's own https origins only (no localhost in prod, never *)", () => {
    const [cors, ...more] = files().inputs.cors as Loose[];
    expect(more).toEqual([]);
    expect(cors.methods).toEqual(["GET", "HEAD", "PUT"]);
    expect(cors.responseHeaders).toContain("Content-Type");
    for (const origin of cors.origins as string[]) {
      expect(origin).not.toContain("*");
      if (environment() === "prod") expect(origin).toMatch(/^https:\/\//);
    }
    expect(cors.origins).toContain(`https://${environment() === "prod" ? "app" : "dev"}.pulsura.example.com`);
  });

  it("lets the core service alone read and write objects, on this bucket only", () => {
    const grants = resourcesOfType(plan(), T.bucketMember).filter((g) => g.inputs.bucket === files().inputs.name);
    expect(grants.map((g) => g.inputs)).toEqual([{ bucket: files().inputs.name, role: "roles/storage.objectAdmin", member: `serviceAccount:${accounts()["svc-core"]}` }]);
    const projectGrants = resourcesOfType(plan(), "gcp:projects/iAMMember:IAMMember").filter((g) => g.inputs.member === `serviceAccount:${accounts()["svc-core"]}`);
    expect(projectGrants.map((g) => g.inputs.role)).not.toContain("roles/storage.objectAdmin");
  });

  it("notifies a topic of finalized uploads, which only the Cloud Storage agent may publish to", () => {
    const topic = onlyResourceOfType(plan(), T.topic);
    const notification = onlyResourceOfType(plan(), T.notification);
    expect(notification.inputs).toEqual({ bucket: files().inputs.name, topic: `projects/${plan().outputs.gcpProject}/topics/${topic.inputs.name}`, payloadFormat: "JSON_API_V1", eventTypes: ["OBJECT_FINALIZE"], objectNamePrefix: PENDING_UPLOAD_PREFIX });
    const publisher = onlyResourceOfType(plan(), T.topicMember);
    expect(publisher.inputs).toMatchObject({ topic: topic.inputs.name, role: "roles/pubsub.publisher", member: "serviceAccount:service-123456789012@gs-project-accounts.iam.gserviceaccount.com" });
    expect(notification.dependencies).toContain(publisher.urn);
    expect(topic.inputs.messageStoragePolicy).toEqual({ allowedPersistenceRegions: ["europe-west1"] });
  });

  it("pushes to the core service as the push account, with the service's URL as the token's audience", () => {
    const subscription = onlyResourceOfType(plan(), T.subscription).inputs as Loose;
    const url = coreEnv().PULSURA_PUSH_AUDIENCE!;
    expect(url).toMatch(/^https:\/\/pulsura-core-123456789012\.europe-west1\.run\.app$/);
    expect(subscription.pushConfig).toEqual({ pushEndpoint: `${url}${OBJECT_FINALIZED_PATH}`, oidcToken: { serviceAccountEmail: accounts()["storage-push"], audience: url } });
    expect(subscription).toMatchObject({ ackDeadlineSeconds: 60, expirationPolicy: { ttl: "" }, retryPolicy: { minimumBackoff: "10s", maximumBackoff: "600s" } });
    const invokers = resourcesOfType(plan(), T.runMember).filter((g) => g.inputs.member === `serviceAccount:${accounts()["storage-push"]}`);
    expect(invokers.map((g) => g.inputs)).toEqual([{ project: plan().outputs.gcpProject, location: "europe-west1", name: core().inputs.name, role: "roles/run.invoker", member: `serviceAccount:${accounts()["storage-push"]}` }]);
  });

  it("tells whoever deploys about the Pub/Sub agent's token creation in projects created before April 8, 2021", () => {
    expect((plan().outputs.nextSteps as string[]).join("\n")).toMatch(/before April 8, 2021 .*roles\/iam\.serviceAccountTokenCreator on that account/);
  });

  it("gives the core service the files contract in its env", () => {
    const env = coreEnv();
    const defaults = STORAGE_DEFAULTS[environment()];
    expect(env).toMatchObject({
      PULSURA_FILES_BUCKET: files().inputs.name,
      PULSURA_UPLOAD_CONTENT_TYPES: "image/jpeg,image/png,image/webp,application/pdf",
      PULSURA_UPLOAD_MAX_BYTES: String(10 * 1024 * 1024),
      PULSURA_UPLOAD_URL_SECONDS: String(defaults.uploadUrlMinutes * 60),
      PULSURA_DOWNLOAD_URL_SECONDS: String(defaults.downloadUrlMinutes * 60),
      PULSURA_PUSH_SERVICE_ACCOUNT: accounts()["storage-push"],
    });
  });
});

describe("the push endpoint", () => {
  it("is a push handler the core service has (the kit serves src/push/<name>.ts at POST /push/<name>)", () => {
    const push = findHandlerFiles(join(repoRoot, "services", "core")).filter((f) => f.kind === "push").map((f) => f.name);
    expect(push).toContain(OBJECT_FINALIZED_HANDLER);
    expect(OBJECT_FINALIZED_PATH).toBe(`/push/${OBJECT_FINALIZED_HANDLER}`);
  });
});
