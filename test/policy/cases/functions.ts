import { resource } from "../support";
import type { PolicyCases } from "./types";

const GEN1 = "gcp:cloudfunctions/function:Function";
const GEN2 = "gcp:cloudfunctionsv2/function:Function";

function gen1(change: (props: Record<string, any>) => void = () => {}) {
  const props: Record<string, any> = {
    runtime: "nodejs22",
    serviceAccountEmail: "pulsura-functions@p.iam.gserviceaccount.com",
    eventTrigger: { eventType: "providers/firebase.auth/eventTypes/user.create", resource: "projects/p", failurePolicy: { retry: true } },
    ingressSettings: "ALLOW_INTERNAL_ONLY",
    environmentVariables: { GCLOUD_PROJECT: "p" },
    secretEnvironmentVariables: [{ key: "HASURA_GRAPHQL_ADMIN_SECRET", secret: "s", version: "1" }],
  };
  change(props);
  return resource(GEN1, props);
}

function gen2(change: (props: Record<string, any>) => void = () => {}) {
  const props: Record<string, any> = {
    name: "pulsura-before-user-created",
    buildConfig: { runtime: "nodejs24", entryPoint: "beforeUserCreated" },
    serviceConfig: { serviceAccountEmail: "pulsura-functions@p.iam.gserviceaccount.com", ingressSettings: "ALLOW_ALL", environmentVariables: { GCLOUD_PROJECT: "p" } },
  };
  change(props);
  return resource(GEN2, props);
}

export const functionsCases: PolicyCases = {
  "functions-secrets-by-reference": {
    pass: [gen1(), gen2()],
    fail: [gen1((p) => (p.environmentVariables.HASURA_GRAPHQL_ADMIN_SECRET = "plain")), gen1((p) => (p.secretEnvironmentVariables[0].version = "latest"))],
    message: /holds a secret as a plain value|reads version latest/,
  },
  "functions-dedicated-service-account": {
    pass: [gen1(), gen2()],
    fail: [gen1((p) => (p.serviceAccountEmail = "p@appspot.gserviceaccount.com")), gen2((p) => delete p.serviceConfig.serviceAccountEmail)],
    message: /runs as the default account|no service account set/,
  },
  "functions-supported-runtime": {
    pass: [gen1(), gen2(), gen2((p) => (p.buildConfig.runtime = "nodejs22"))],
    fail: [
      // Decommissioned on 2026-10-30 (infra/runtimes.ts): creating or updating a function on it fails.
      gen1((p) => (p.runtime = "nodejs20")),
      gen2((p) => (p.buildConfig.runtime = "nodejs18")),
      // 2nd gen only: 1st gen refuses it.
      gen1((p) => (p.runtime = "nodejs24")),
      gen2((p) => (p.buildConfig.runtime = "nodejs26")),
      gen2((p) => (p.buildConfig.runtime = "python312")),
    ],
    message: /was decommissioned on 2026-10-30|was decommissioned on 2025-10-30|is not offered by gen1 functions|is in Preview|is not a Node.js runtime of Cloud Run functions/,
  },
  "functions-runtime-not-expiring": {
    // A day in the six months before nodejs22's decommission (2027-10-31); on it nodejs24 is still fine.
    today: "2027-06-01",
    enforcement: "advisory",
    pass: [gen2(), gen1((p) => (p.runtime = "nodejs20"))],
    fail: [gen1(), gen2((p) => (p.buildConfig.runtime = "nodejs22"))],
    message: /runtime nodejs22 is decommissioned on 2027-10-31; move to a newer runtime before then/,
  },
  "functions-event-ingress-internal": {
    pass: [gen1(), gen2()],
    fail: [gen1((p) => (p.ingressSettings = "ALLOW_ALL"))],
    message: /ingressSettings is ALLOW_ALL; expected ALLOW_INTERNAL_ONLY/,
  },
  "functions-no-public-invoker": {
    pass: [resource("gcp:cloudfunctions/functionIamMember:FunctionIamMember", { cloudFunction: "f", role: "roles/cloudfunctions.invoker", member: "serviceAccount:x@p.iam.gserviceaccount.com" })],
    fail: [resource("gcp:cloudfunctionsv2/functionIamMember:FunctionIamMember", { cloudFunction: "f", role: "roles/cloudfunctions.invoker", member: "allUsers" })],
    message: /makes a function public/,
  },
  "storage-bucket-private": {
    pass: [resource("gcp:storage/bucket:Bucket", { uniformBucketLevelAccess: true, publicAccessPrevention: "enforced" })],
    fail: [resource("gcp:storage/bucket:Bucket", { uniformBucketLevelAccess: false, publicAccessPrevention: "inherited" })],
    message: /uniformBucketLevelAccess must be true|publicAccessPrevention must be "enforced"/,
  },
};
