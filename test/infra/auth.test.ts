/**
 * Firebase, Identity Platform and the user-sync functions, as each stack declares them.
 */
import { describe, expect, it } from "vitest";
import { ENVIRONMENT_DEFAULTS } from "../../infra/config";
import { FUNCTION_RUNTIMES } from "../../infra/runtimes";
import { onlyResourceOfType, planOf, plannedStacks, resourcesOfType } from "./support/plans";

const GEN1 = "gcp:cloudfunctions/function:Function";
const GEN2 = "gcp:cloudfunctionsv2/function:Function";

describe.each(plannedStacks())("stack %s", (stack) => {
  const plan = () => planOf(stack);
  const environment = () => plan().environment as "dev" | "prod";
  const gen1 = (entryPoint: string) => resourcesOfType(plan(), GEN1).find((f) => f.inputs.entryPoint === entryPoint)!;

  it("syncs users with gen1 functions on Firebase Auth's create and delete events, with retries", () => {
    const project = plan().outputs.gcpProject;
    for (const [entryPoint, event] of [["onUserCreated", "user.create"], ["onUserDeleted", "user.delete"]] as const) {
      const fn = gen1(entryPoint);
      expect(fn.inputs).toMatchObject({
        runtime: FUNCTION_RUNTIMES.gen1,
        ingressSettings: "ALLOW_INTERNAL_ONLY",
        eventTrigger: { eventType: `providers/firebase.auth/eventTypes/${event}`, resource: `projects/${project}`, failurePolicy: { retry: true } },
        minInstances: ENVIRONMENT_DEFAULTS[environment()].functions.minInstances,
      });
      expect(fn.inputs.serviceAccountEmail).toMatch(/^[a-z0-9-]+-functions@/);
      expect((fn.inputs.secretEnvironmentVariables as Array<{ key: string; version: string }>).map((e) => [e.key, e.version])).toEqual([
        ["HASURA_GRAPHQL_URL", "1"],
        ["HASURA_GRAPHQL_ADMIN_SECRET", "1"],
      ]);
      expect(fn.inputs.environmentVariables).toEqual({ GCLOUD_PROJECT: project, FIREBASE_CONFIG: JSON.stringify({ projectId: project }), PULSURA_ON_USER_DELETED: "delete" });
    }
    if (environment() === "dev") expect(gen1("onUserCreated").inputs.minInstances).toBe(0);
  });

  it("deploys the functions from one archive in a private bucket", () => {
    const bucket = onlyResourceOfType(plan(), "gcp:storage/bucket:Bucket");
    expect(bucket.inputs).toMatchObject({ uniformBucketLevelAccess: true, publicAccessPrevention: "enforced" });
    const archive = onlyResourceOfType(plan(), "gcp:storage/bucketObject:BucketObject");
    expect(archive.inputs.name).toMatch(/^functions-[0-9a-f]{16}\.zip$/);
    expect(archive.inputs.source).toEqual({ archive: ["index.js", "package.json"] });
    for (const fn of resourcesOfType(plan(), GEN1)) expect(fn.inputs.sourceArchiveObject).toBe(archive.inputs.name);
  });

  it("registers the gen2 blocking function in Identity Platform and makes only it public", () => {
    const blocking = onlyResourceOfType(plan(), GEN2);
    expect(blocking.inputs).toMatchObject({ buildConfig: { runtime: FUNCTION_RUNTIMES.gen2, entryPoint: "beforeUserCreated" }, serviceConfig: { ingressSettings: "ALLOW_ALL" } });
    const identity = onlyResourceOfType(plan(), "gcp:identityplatform/config:Config");
    expect(identity.inputs.blockingFunctions).toEqual({ triggers: [{ eventType: "beforeCreate", functionUri: plan().outputs.blockingFunctionUri }] });
    const publicInvokers = resourcesOfType(plan(), "gcp:cloudrunv2/serviceIamMember:ServiceIamMember").filter((b) => b.inputs.member === "allUsers").map((b) => b.inputs.name);
    expect(publicInvokers.sort()).toEqual([blocking.inputs.name, `${plan().outputs.tenant}-hasura`].sort());
  });

  it("configures sign-in per environment: no test phone numbers in prod, localhost only in dev", () => {
    const identity = onlyResourceOfType(plan(), "gcp:identityplatform/config:Config");
    const signIn = identity.inputs.signIn as { phoneNumber: { enabled: boolean; testPhoneNumbers?: Record<string, string> } };
    expect(signIn.phoneNumber.enabled).toBe(true);
    if (environment() === "prod") expect(signIn.phoneNumber.testPhoneNumbers ?? {}).toEqual({});
    const domains = identity.inputs.authorizedDomains as string[];
    expect(domains.includes("localhost")).toBe(environment() === "dev");
    expect(domains).toContain(`${plan().outputs.hostingSiteId}.web.app`);
  });

  it("creates the Firebase project, web app and hosting site, and exports the web options clients need", () => {
    expect(resourcesOfType(plan(), "gcp:firebase/project:Project")).toHaveLength(1);
    expect(resourcesOfType(plan(), "gcp:firebase/webApp:WebApp")).toHaveLength(1);
    const options = plan().outputs.firebaseWebOptions as Record<string, string>;
    for (const key of ["apiKey", "appId", "authDomain", "projectId", "messagingSenderId", "storageBucket"]) expect(options[key], key).toBeTruthy();
    expect(plan().outputs.hostingUrl).toBe(`https://${plan().outputs.hostingSiteId}.web.app`);
  });
});
