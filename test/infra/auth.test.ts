/**
 * Firebase, Identity Platform and the user-sync functions, as each stack declares them.
 */
import { describe, expect, it } from "vitest";
import { ENVIRONMENT_DEFAULTS } from "../../infra/config";
import { FUNCTION_RUNTIMES } from "../../infra/runtimes";
import { fixturePlanOf, onlyResourceOfType, planOf, plannedStacks, resourcesOfType } from "./support/plans";

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
        minInstances: ENVIRONMENT_DEFAULTS[environment()].functions.triggerMinInstances,
      });
      expect(fn.inputs.serviceAccountEmail).toMatch(/^[a-z0-9-]+-functions@/);
      // No projectId: the API stores the project number there, so an id redeploys on every `pulumi up`
      // (https://github.com/hashicorp/terraform-provider-google/issues/11383).
      for (const env of fn.inputs.secretEnvironmentVariables as Array<Record<string, unknown>>) expect(env, String(env.key)).not.toHaveProperty("projectId");
      expect((fn.inputs.secretEnvironmentVariables as Array<{ key: string; version: string }>).map((e) => [e.key, e.version])).toEqual([
        ["HASURA_GRAPHQL_URL", "1"],
        ["HASURA_GRAPHQL_ADMIN_SECRET", "1"],
      ]);
      expect(fn.inputs.environmentVariables).toEqual({ GCLOUD_PROJECT: project, FIREBASE_CONFIG: JSON.stringify({ projectId: project }), PULSURA_ON_USER_DELETED: "delete" });
    }
    // Retried and without a deadline, the triggers are cold in every environment by default.
    expect(gen1("onUserCreated").inputs.minInstances).toBe(0);
  });

  it("keeps the blocking function, which a sign-up waits for, warm in prod only, on a setting of its own", () => {
    const blocking = onlyResourceOfType(plan(), GEN2);
    expect(blocking.inputs.serviceConfig).toMatchObject({
      minInstanceCount: ENVIRONMENT_DEFAULTS[environment()].functions.minInstances,
      maxInstanceCount: ENVIRONMENT_DEFAULTS[environment()].functions.maxInstances,
    });
    expect((blocking.inputs.serviceConfig as { minInstanceCount: number }).minInstanceCount).toBe(environment() === "prod" ? 1 : 0);
  });

  it("deploys the functions from one archive in a private bucket", () => {
    // The functions' bucket, not the files bucket (infra/components/storage.ts, tested in test/infra/storage.test.ts).
    const [bucket, ...others] = resourcesOfType(plan(), "gcp:storage/bucket:Bucket").filter((b) => b.name.endsWith("-source"));
    expect(others).toEqual([]);
    expect(bucket!.inputs).toMatchObject({ uniformBucketLevelAccess: true, publicAccessPrevention: "enforced" });
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
    // The stack's one allUsers binding (Hasura disables the invoker check instead); the plan's next steps warn about
    // domain restricted sharing, which the offline plan cannot read.
    const publicInvokers = resourcesOfType(plan(), "gcp:cloudrunv2/serviceIamMember:ServiceIamMember").filter((b) => b.inputs.member === "allUsers").map((b) => b.inputs.name);
    expect(publicInvokers).toEqual([blocking.inputs.name]);
    expect((plan().outputs.nextSteps as string[]).join("\n")).toContain("constraints/iam.allowedPolicyMemberDomains");
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

  it("keeps Firebase's own domains authorized for OAuth redirects and serves the auth handler from the default Hosting site", () => {
    // The list replaces Identity Platform's; web OAuth redirects through authDomain <project>.firebaseapp.com/__/auth/handler.
    const project = plan().outputs.gcpProject as string;
    const domains = onlyResourceOfType(plan(), "gcp:identityplatform/config:Config").inputs.authorizedDomains as string[];
    expect(domains).toEqual(expect.arrayContaining([`${project}.firebaseapp.com`, `${project}.web.app`]));
    expect((plan().outputs.firebaseWebOptions as { authDomain: string }).authDomain).toBe(`${project}.firebaseapp.com`);
    const sites = resourcesOfType(plan(), "gcp:firebase/hostingSite:HostingSite");
    const defaultSite = sites.find((site) => site.inputs.siteId === project);
    expect(defaultSite, "the default Hosting site (site id = project id)").toBeDefined();
    expect(sites.map((site) => site.inputs.siteId).sort()).toEqual([project, plan().outputs.hostingSiteId].sort());
  });

  it("grants the functions' build account what Cloud Build needs for a custom build account, before any function is built", () => {
    // https://cloud.google.com/functions/1stgendocs/securing/build-custom-sa, https://cloud.google.com/run/docs/configuring/services/build-service-account
    const buildAccount = (plan().outputs.serviceAccounts as Record<string, string>)["functions-build"]!;
    const member = `serviceAccount:${buildAccount}`;
    const projectGrants = resourcesOfType(plan(), "gcp:projects/iAMMember:IAMMember").filter((g) => g.inputs.member === member);
    expect(projectGrants.map((g) => g.inputs.role).sort()).toEqual(["roles/artifactregistry.writer", "roles/logging.logWriter", "roles/storage.objectAdmin"]);
    const [sourceReader, ...otherReaders] = resourcesOfType(plan(), "gcp:storage/bucketIAMMember:BucketIAMMember").filter((g) => g.inputs.member === member);
    expect(otherReaders).toEqual([]);
    expect(sourceReader!.inputs).toMatchObject({ role: "roles/storage.objectViewer", member });
    for (const fn of [...resourcesOfType(plan(), GEN1), ...resourcesOfType(plan(), GEN2)]) {
      for (const grant of [...projectGrants, sourceReader!]) expect(fn.dependencies, `${fn.name} waits for ${grant.name}`).toContain(grant.urn);
    }
  });

  it("orders the functions after their secret accessor grants and after the APIs their builds use", () => {
    const functionsAccount = `serviceAccount:${(plan().outputs.serviceAccounts as Record<string, string>).functions}`;
    const grants = resourcesOfType(plan(), "gcp:secretmanager/secretIamMember:SecretIamMember").filter((g) => g.inputs.member === functionsAccount);
    expect(grants.length).toBe(2);
    const artifactRegistryApi = resourcesOfType(plan(), "gcp:projects/service:Service").find((api) => api.inputs.service === "artifactregistry.googleapis.com")!;
    for (const fn of resourcesOfType(plan(), GEN1)) {
      for (const grant of grants) expect(fn.dependencies, `${fn.name} waits for ${grant.name}`).toContain(grant.urn);
    }
    for (const fn of [...resourcesOfType(plan(), GEN1), ...resourcesOfType(plan(), GEN2)]) expect(fn.dependencies).toContain(artifactRegistryApi.urn);
  });

  it("creates Firebase and Identity Platform (no import) unless the stack adopts existing ones", () => {
    expect(plan().outputs.importedResources).toEqual({});
    expect((plan().outputs.nextSteps as string[]).join("\n")).toContain("pulsura:firebase.adoptExisting");
  });

  it("creates the Firebase project, web app and hosting site, and exports the web options clients need", () => {
    expect(resourcesOfType(plan(), "gcp:firebase/project:Project")).toHaveLength(1);
    expect(resourcesOfType(plan(), "gcp:firebase/webApp:WebApp")).toHaveLength(1);
    const options = plan().outputs.firebaseWebOptions as Record<string, string>;
    for (const key of ["apiKey", "appId", "authDomain", "projectId", "messagingSenderId", "storageBucket"]) expect(options[key], key).toBeTruthy();
    expect(plan().outputs.hostingUrl).toBe(`https://${plan().outputs.hostingSiteId}.web.app`);
  });
});

describe("a stack that adopts Firebase and Identity Platform (fixture everything)", () => {
  it("imports the Firebase project and the Identity Platform config by their documented ids", () => {
    const plan = fixturePlanOf("everything");
    const project = plan.outputs.gcpProject as string;
    // The inventory does not record resource options; the components export the id they pass to `import`.
    expect(plan.outputs.importedResources).toEqual({ firebaseProject: `projects/${project}`, identityPlatformConfig: `projects/${project}/config` });
    expect((plan.outputs.nextSteps as string[]).join("\n")).toContain("pulsura:auth.adoptExisting is on");
  });
});
