/**
 * The private core (network, Cloud SQL, Secret Manager, identities) as each stack declares it.
 */
import { describe, expect, it } from "vitest";
import { ENVIRONMENT_DEFAULTS } from "../../infra/config";
import { randomInt } from "node:crypto";
import { parse as parseConnectionString } from "pg-connection-string";
import { serviceAccountId } from "../../infra/components/identities";
import { fixturePlanOf, onlyResourceOfType, planOf, plannedStacks, resourcesOfType, stackPlanRun } from "./support/plans";

/** A password as @pulumi/random makes it from a RandomPassword's inputs: the minimums first, the rest from every class. */
function passwordLike(inputs: Record<string, any>): string {
  const classes = { upper: "ABCDEFGHIJKLMNOPQRSTUVWXYZ", lower: "abcdefghijklmnopqrstuvwxyz", numeric: "0123456789", special: inputs.special ? String(inputs.overrideSpecial ?? "!@#$%&*()-_=+[]{}<>:?") : "" };
  const pick = (set: string) => set[randomInt(set.length)]!;
  const chars = [
    ...Array.from({ length: inputs.minUpper ?? 0 }, () => pick(classes.upper)),
    ...Array.from({ length: inputs.minLower ?? 0 }, () => pick(classes.lower)),
    ...Array.from({ length: inputs.minNumeric ?? 0 }, () => pick(classes.numeric)),
    ...Array.from({ length: inputs.minSpecial ?? 0 }, () => pick(classes.special)),
  ];
  const all = Object.values(classes).join("");
  while (chars.length < inputs.length) chars.push(pick(all));
  return chars.join("");
}

const INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance";

/** Input paths that legitimately hold a secret, and why. */
const SECRET_HOLDERS: Record<string, string[]> = {
  // The one place secret values are meant to live.
  "gcp:secretmanager/secretVersion:SecretVersion": ["secretData"],
  // Cloud SQL can only take a built-in user's password as an input; it is a Pulumi secret there.
  "gcp:sql/user:User": ["password"],
  // The deploy-time Hasura apply calls Hasura's API as admin; Pulumi encrypts the input in the state.
  "pulumi-nodejs:dynamic/pulsura:HasuraMigrations": ["adminSecret"],
  "pulumi-nodejs:dynamic/pulsura:HasuraSeeds": ["adminSecret"],
  "pulumi-nodejs:dynamic/pulsura:HasuraMetadata": ["adminSecret"],
  "pulumi-nodejs:dynamic/pulsura:HasuraDatabaseRoles": ["adminSecret"],
};

function secretPaths(value: unknown, path = ""): string[] {
  if (value === "[secret]") return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => secretPaths(v, `${path}[${i}]`));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => secretPaths(v, path ? `${path}.${k}` : k));
  return [];
}

describe.each(plannedStacks())("stack %s", (stack) => {
  const plan = () => planOf(stack);
  const environment = () => plan().environment as "dev" | "prod";

  it("keeps Cloud SQL off the public internet", () => {
    const settings = onlyResourceOfType(plan(), INSTANCE).inputs.settings as Record<string, any>;
    expect(settings.ipConfiguration).toMatchObject({ ipv4Enabled: false, sslMode: "ENCRYPTED_ONLY", authorizedNetworks: [], enablePrivatePathForGoogleCloudServices: true });
    expect(settings.ipConfiguration.privateNetwork).toMatch(/^projects\/.+\/global\/networks\//);
  });

  it("backs up, protects and replicates Cloud SQL as its environment requires", () => {
    const instance = onlyResourceOfType(plan(), INSTANCE);
    const settings = instance.inputs.settings as Record<string, any>;
    const prod = environment() === "prod";
    expect(settings.backupConfiguration.enabled).toBe(true);
    expect(settings.backupConfiguration.backupRetentionSettings.retainedBackups).toBeGreaterThanOrEqual(7);
    expect(settings.backupConfiguration.pointInTimeRecoveryEnabled).toBe(prod);
    expect(settings.availabilityType).toBe(prod ? "REGIONAL" : "ZONAL");
    expect(instance.inputs.deletionProtection).toBe(prod);
    expect(settings.deletionProtectionEnabled).toBe(prod);
    expect(instance.protect).toBe(prod);
    expect(settings.edition).toBe("ENTERPRISE");
    if (prod) expect(settings.maintenanceWindow.updateTrack).toBe("stable");
    expect(settings.tier).toBe(ENVIRONMENT_DEFAULTS[environment()].database.tier);
  });

  it("abandons database users on delete, so a user that owns objects never blocks pulumi destroy", () => {
    const users = resourcesOfType(plan(), "gcp:sql/user:User");
    expect(users.length).toBeGreaterThan(1);
    for (const user of users) expect(user.inputs.deletionPolicy, String(user.inputs.name)).toBe("ABANDON");
    // Prod keeps its protection on the instance itself (the users go with it).
    const instance = onlyResourceOfType(plan(), INSTANCE);
    expect(instance.protect).toBe(environment() === "prod");
  });

  it("waits for the private services peering before creating Cloud SQL", () => {
    const instance = onlyResourceOfType(plan(), INSTANCE);
    const peering = onlyResourceOfType(plan(), "gcp:servicenetworking/connection:Connection");
    expect(instance.dependencies).toContain(peering.urn);
  });

  it("generates database passwords that Cloud SQL's COMPLEXITY_DEFAULT policy accepts and postgres:// URLs carry unescaped", () => {
    // COMPLEXITY_DEFAULT: "a combination of lowercase, uppercase, numeric, and non-alphanumeric characters"
    // (https://cloud.google.com/sql/docs/postgres/built-in-authentication); RFC 3986 unreserved: - . _ ~
    const policy = (onlyResourceOfType(plan(), INSTANCE).inputs.settings as Record<string, any>).passwordValidationPolicy;
    expect(policy).toMatchObject({ enablePasswordPolicy: true, complexity: "COMPLEXITY_DEFAULT" });
    const passwords = resourcesOfType(plan(), "random:index/randomPassword:RandomPassword").filter((p) => /-user-.+-password$/.test(p.name));
    expect(passwords.length).toBe(resourcesOfType(plan(), "gcp:sql/user:User").length);
    for (const password of passwords) {
      const inputs = password.inputs as Record<string, any>;
      expect(inputs, password.name).toMatchObject({ special: true, overrideSpecial: "-_.~" });
      for (const min of ["minUpper", "minLower", "minNumeric", "minSpecial"]) expect(inputs[min], `${password.name} ${min}`).toBeGreaterThanOrEqual(1);
      expect(inputs.length).toBeGreaterThanOrEqual(policy.minLength);
      for (let i = 0; i < 200; i++) {
        const value = passwordLike(inputs);
        expect(value).toMatch(/[a-z]/);
        expect(value).toMatch(/[A-Z]/);
        expect(value).toMatch(/\d/);
        expect(value).toMatch(/[^A-Za-z0-9]/);
        // Built the way Database.url() builds it, parsed by WHATWG URL and by node-postgres' parser.
        const url = `postgres://hasura:${value}@10.20.0.3:5432/app?sslmode=require`;
        expect(new URL(url).password, value).toBe(value);
        expect(parseConnectionString(url).password, value).toBe(value);
      }
    }
  });

  it("deletes the private services peering on destroy unless the stack protects its database", () => {
    // ABANDON leaves the VPC peering, so the VPC (and the destroy) cannot finish:
    // https://github.com/hashicorp/terraform-provider-google/issues/16275, https://github.com/GoogleCloudPlatform/magic-modules/pull/18476
    const peering = onlyResourceOfType(plan(), "gcp:servicenetworking/connection:Connection");
    expect(peering.inputs.deletionPolicy).toBe(environment() === "prod" ? "ABANDON" : "DELETE");
  });

  it("gives the app its own database users, never postgres", () => {
    const users = resourcesOfType(plan(), "gcp:sql/user:User").map((u) => u.inputs.name);
    expect(users).toContain("hasura");
    expect(users).not.toContain("postgres");
  });

  it("builds a custom-mode VPC with a logged, Google-reachable subnet and no open ingress", () => {
    expect(onlyResourceOfType(plan(), "gcp:compute/network:Network").inputs.autoCreateSubnetworks).toBe(false);
    const subnet = onlyResourceOfType(plan(), "gcp:compute/subnetwork:Subnetwork");
    expect(subnet.inputs).toMatchObject({ privateIpGoogleAccess: true, logConfig: expect.objectContaining({ metadata: "INCLUDE_ALL_METADATA" }) });
    for (const rule of resourcesOfType(plan(), "gcp:compute/firewall:Firewall")) {
      if ((rule.inputs.sourceRanges as string[] | undefined)?.includes("0.0.0.0/0")) expect(rule.inputs.allows ?? []).toEqual([]);
    }
    // Cloud NAT only where the environment has it (prod); a dev stack needs none (Private Google Access) unless it asks.
    expect(resourcesOfType(plan(), "gcp:compute/routerNat:RouterNat")).toHaveLength(ENVIRONMENT_DEFAULTS[environment()].network.nat ? 1 : 0);
    expect(resourcesOfType(plan(), "gcp:compute/router:Router")).toHaveLength(ENVIRONMENT_DEFAULTS[environment()].network.nat ? 1 : 0);
    expect(resourcesOfType(plan(), "gcp:vpcaccess/connector:Connector")).toHaveLength(0);
  });

  it("binds each secret accessor to one secret and one service account", () => {
    const bindings = resourcesOfType(plan(), "gcp:secretmanager/secretIamMember:SecretIamMember");
    const secretIds = resourcesOfType(plan(), "gcp:secretmanager/secret:Secret").map((s) => s.inputs.secretId);
    expect(bindings.length).toBeGreaterThan(0);
    for (const b of bindings) {
      expect(b.inputs.role).toBe("roles/secretmanager.secretAccessor");
      expect(secretIds).toContain(b.inputs.secretId);
      expect(b.inputs.member).toMatch(/^serviceAccount:[a-z0-9-]+@[a-z0-9-]+\.iam\.gserviceaccount\.com$/);
    }
    const pairs = bindings.map((b) => `${b.inputs.secretId} ${b.inputs.member}`);
    expect(new Set(pairs).size).toBe(pairs.length);
    expect(resourcesOfType(plan(), "gcp:projects/iAMMember:IAMMember").map((m) => m.inputs.role)).not.toContain("roles/secretmanager.secretAccessor");
  });

  it("holds no secret in any resource input outside secret versions (and the database user's password)", () => {
    for (const r of plan().resources) {
      const allowed = SECRET_HOLDERS[r.type] ?? [];
      expect(secretPaths(r.inputs).filter((p) => !allowed.includes(p)), `${r.name}`).toEqual([]);
    }
    for (const version of resourcesOfType(plan(), "gcp:secretmanager/secretVersion:SecretVersion")) expect(version.inputs.secretData).toBe("[secret]");
    // The mocks generate passwords as "mock-<hash>": none may leak into any input or output in plain text.
    expect(stackPlanRun(stack).stdout).not.toContain("mock-");
  });

  it("runs every workload as its own service account without basic roles or keys", () => {
    // The accounts are the bootstrap's (test/bootstrap/bootstrap.test.ts checks it creates exactly these): the program
    // creates none, and no key.
    const accounts = Object.values(plan().outputs.serviceAccounts as Record<string, string>);
    expect(accounts).toEqual(expect.arrayContaining([expect.stringMatching(/-hasura@/), expect.stringMatching(/-functions@/), expect.stringMatching(/-svc-core@/)]));
    expect(resourcesOfType(plan(), "gcp:serviceaccount/account:Account")).toEqual([]);
    expect(resourcesOfType(plan(), "gcp:serviceaccount/key:Key")).toEqual([]);
    for (const grant of resourcesOfType(plan(), "gcp:projects/iAMMember:IAMMember")) expect(["roles/owner", "roles/editor", "roles/viewer"]).not.toContain(grant.inputs.role);
  });

  it("has no mandatory violations, and in dev only the documented dev exceptions", () => {
    const violations = plan().violations;
    expect(violations.filter((v) => v.enforcement === "mandatory")).toEqual([]);
    if (environment() === "prod") expect(violations).toEqual([]);
  });
});

describe("service account ids", () => {
  it("stay unique and valid for the longest tenant name the config accepts (fixture everything, 22 characters)", () => {
    const plan = fixturePlanOf("everything");
    expect(String(plan.outputs.tenant)).toHaveLength(22);
    // The bootstrap creates these accounts (infra/workloads.ts); the program runs its workloads as them.
    const ids = Object.values(plan.outputs.serviceAccounts as Record<string, string>).map((email) => email.split("@")[0]!);
    expect(ids.length).toBeGreaterThanOrEqual(4);
    expect(new Set(ids).size, ids.join(", ")).toBe(ids.length);
    // 6-30 characters, RFC 1035 (terraform-provider-google resource_google_service_account.go, ValidateRFC1035Name(6, 30)).
    for (const id of ids) expect(id).toMatch(/^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$/);
  });

  it("keep short ids readable and tell long ids apart by a hash, also for long service names", () => {
    expect(serviceAccountId("acme", "functions-build")).toBe("acme-functions-build");
    const tenant = "abcdefghij-klmnopqrstu";
    const ids = ["hasura", "functions", "functions-build", "svc-core", "svc-abcdefghij-klmnopqrstu", "svc-abcdefghij-klmnopqrstv"].map((w) => serviceAccountId(tenant, w));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$/);
  });
});
