import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import {
  CONFIG_NAMESPACE,
  CONFIG_NAMESPACES,
  connectionHeadroom,
  connectionPools,
  ENVIRONMENT_DEFAULTS,
  parseStackConfig,
  StackConfigError,
  SUPPORTED_REGIONS,
  tierConnectionLimit,
  type ParseOptions,
  type RawConfig,
  type SecretConfigKey,
} from "../../infra/config";
import { repoRoot } from "../../scripts/lib/stack-files";
import { configProblems } from "./support/config";

const base: RawConfig = {
  "gcp:project": "pulsura-test",
  "gcp:region": "europe-west1",
  "gcp:userProjectOverride": "true",
  "gcp:billingProject": "pulsura-test",
  "pulsura:environment": "dev",
  "pulsura:tenant": "acme",
};

function parse(raw: RawConfig, secrets: Partial<Record<SecretConfigKey, string>> = {}, options: ParseOptions = {}) {
  return parseStackConfig("test", raw, (key) => (secrets[key] ? pulumi.secret(secrets[key]!) : undefined), options);
}

function problemsOf(raw: RawConfig, options: ParseOptions = {}): string[] {
  return configProblems(() => parse(raw, {}, options));
}

describe("stack config", () => {
  it("fills dev defaults: scale to zero, shared-core zonal database, no deletion protection", () => {
    const config = parse(base);
    expect(config.environment).toBe("dev");
    expect(config.database).toMatchObject({ tier: "db-g1-small", availability: "ZONAL", deletionProtection: false, pointInTimeRecovery: false });
    expect(config.hasura.minInstances).toBe(0);
    expect(config.services).toEqual([expect.objectContaining({ name: "core", minInstances: 0 })]);
    expect(config.corsOrigins).toEqual(["http://localhost:*"]);
  });

  it("fills prod defaults: regional HA, PITR, deletion protection, min instances, no localhost CORS", () => {
    const config = parse({ ...base, "pulsura:environment": "prod", "pulsura:alertEmail": "ops@example.com", "pulsura:domains": '["app.example.com"]' });
    expect(config.database).toMatchObject({ availability: "REGIONAL", pointInTimeRecovery: true, deletionProtection: true, queryInsights: true });
    expect(config.database.retainedBackups).toBeGreaterThanOrEqual(7);
    expect(config.hasura.minInstances).toBeGreaterThanOrEqual(1);
    expect(config.corsOrigins).toEqual(["https://app.example.com"]);
  });

  it("lets a stack file override a default", () => {
    const config = parse({ ...base, "pulsura:database": '{"tier":"db-custom-1-3840","retainedBackups":10}' });
    expect(config.database.tier).toBe("db-custom-1-3840");
    expect(config.database.retainedBackups).toBe(10);
    expect(config.database.availability).toBe("ZONAL");
  });

  it("names every bad key, what it got and what it expects", () => {
    expect(
      problemsOf({
        ...base,
        "pulsura:environment": "staging",
        "pulsura:database": '{"tier":"db-huge"}',
        "pulsura:hasura": '{"maxInstances":-1}',
      }),
    ).toEqual([
      'pulsura:environment: got "staging", expected one of "dev" | "prod"',
      'pulsura:database.tier: got "db-huge", expected a Cloud SQL tier such as db-g1-small or db-custom-2-7680',
      "pulsura:hasura.maxInstances: got -1, expected a number >= 1",
    ]);
  });

  it("reports unknown keys, missing required keys and bad gcp settings together", () => {
    const problems = problemsOf({ "gcp:region": "mars", "gcp:userProjectOverride": "true", "gcp:billingProject": "x", "pulsura:databse": '{"tier":"db-g1-small"}', "pulsura:services": '[{"name":"core","maxInstance":3}]' });
    expect(problems).toEqual([
      "gcp:project: got nothing, expected a string",
      `gcp:region: got "mars", expected a region where 1st-gen Cloud Functions (the stack's most restrictive product) and Cloud Run are offered: ${SUPPORTED_REGIONS.join(", ")} (https://cloud.google.com/functions/1stgendocs/locations)`,
      "pulsura:services[0].maxInstance: got 3, expected no such key (unknown setting); did you mean pulsura:services[0].maxInstances?",
      'pulsura:databse: got {"tier":"db-g1-small"}, expected no such key (unknown setting); did you mean pulsura:database?',
      'pulsura:environment: got nothing, expected one of "dev" | "prod" (required)',
      "pulsura:tenant: got nothing, expected a tenant name (required)",
    ]);
  });

  it("requires environment and tenant", () => {
    expect(problemsOf({ "gcp:project": "pulsura-test", "gcp:region": "europe-west1", "gcp:userProjectOverride": "true", "gcp:billingProject": "pulsura-test" })).toEqual([
      'pulsura:environment: got nothing, expected one of "dev" | "prod" (required)',
      "pulsura:tenant: got nothing, expected a tenant name (required)",
    ]);
  });

  it("requires an alert e-mail and refuses test phone numbers in prod", () => {
    expect(problemsOf({ ...base, "pulsura:environment": "prod", "pulsura:auth": '{"phone":{"testPhoneNumbers":{"+16505550101":"123456"}}}' })).toEqual([
      "pulsura:alertEmail: got nothing, expected an e-mail address for alerts (required in prod)",
      'pulsura:auth.phone.testPhoneNumbers: got {"+16505550101":"123456"}, expected no test phone numbers in prod',
    ]);
  });

  it("keeps Hasura's allow-list on in prod, and lets a dev stack turn it off", () => {
    expect(problemsOf({ ...base, "pulsura:environment": "prod", "pulsura:alertEmail": "ops@example.com", "pulsura:hasura": '{"allowList":false}' })).toEqual([
      "pulsura:hasura.allowList: got false, expected true in prod: without the allow-list anyone can send Hasura any query the permissions allow, however deep",
    ]);
    expect(parse({ ...base, "pulsura:hasura": '{"allowList":false}' }).hasura.allowList).toBe(false);
    expect(parse(base).hasura.allowList).toBe(true);
  });

  it("runs the Hasura worker in prod always, and in dev only when the stack turns it on (the dev default is none)", () => {
    const prod = { ...base, "pulsura:environment": "prod", "pulsura:alertEmail": "ops@example.com" };
    expect(parse(prod).hasura.worker.enabled).toBe(true);
    expect(problemsOf({ ...prod, "pulsura:hasura": '{"worker":{"enabled":false}}' })).toEqual([
      "pulsura:hasura.worker.enabled: got false, expected true in prod: without the worker, events, crons and async actions are delivered only while an API instance runs",
    ]);
    expect(parse(base).hasura.worker.enabled).toBe(false);
    expect(parse({ ...base, "pulsura:hasura": '{"worker":{"enabled":true}}' }).hasura.worker.enabled).toBe(true);
    expect(problemsOf({ ...base, "pulsura:network": '{"nat":"no"}', "pulsura:hasura": '{"worker":{"enabled":"yes"}}' })).toEqual([
      'pulsura:network.nat: got "no", expected a boolean',
      'pulsura:hasura.worker.enabled: got "yes", expected a boolean',
    ]);
  });

  it("puts a Cloud NAT gateway in prod, and in dev only when the stack asks for one (nothing the stack runs needs it)", () => {
    expect(parse(base).network.nat).toBe(false);
    expect(parse({ ...base, "pulsura:network": '{"nat":true}' }).network.nat).toBe(true);
    expect(parse({ ...base, "pulsura:environment": "prod", "pulsura:alertEmail": "ops@example.com" }).network.nat).toBe(true);
  });

  it("asks for an OAuth client secret as a Pulumi secret when a provider is configured", () => {
    const raw = { ...base, "pulsura:auth": '{"google":{"clientId":"id.apps.googleusercontent.com"}}' };
    expect(problemsOf(raw)).toEqual([
      "pulsura:googleClientSecret: got nothing, expected the google OAuth client secret, set with: pulumi config set --secret googleClientSecret <value> --stack test",
    ]);
    const config = parse(raw, { googleClientSecret: "s3cret" });
    expect(pulumi.Output.isInstance(config.auth.oauth.google?.clientSecret)).toBe(true);
  });

  it("rejects a connection budget over the database's limit, naming the numbers", () => {
    const problems = problemsOf({ ...base, "pulsura:hasura": '{"maxInstances":4,"poolSize":10,"worker":{"enabled":true}}' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("pulsura:database.tier: got 68 connections at full scale");
    // Every pool the stack opens, by the key that sizes it: the worker's one instance reads the metadata's source pool.
    expect(problems[0]).toContain('pulsura:hasura.poolSize (Hasura source "default") maxInstances 4 × 10 = 40');
    expect(problems[0]).toContain("pulsura:hasura.metadataPoolSize (Hasura metadata database) maxInstances 4 × 2 = 8");
    expect(problems[0]).toContain('pulsura:hasura.poolSize (Hasura worker source "default") maxInstances 1 × 10 = 10');
    expect(problems[0]).toContain("pulsura:hasura.worker.metadataPoolSize (Hasura worker metadata database) maxInstances 1 × 2 = 2");
    expect(problems[0]).toContain("pulsura:services[0].poolSize (service core) maxInstances 2 × 4 = 8");
    expect(problems[0]).toContain("at most 40 = 50 allowed by tier db-g1-small minus 10 headroom");
  });

  it("counts Hasura's metadata pool: a config whose source pools alone fit still fails when both Hasura pools do not", () => {
    // API 2 × 9 + worker 1 × 9 + core 2 × 4 = 35 fits the 40 of db-g1-small without the metadata pools; with them
    // (API 2 × 2, worker 1 × 2) 41 does not.
    const problems = problemsOf({ ...base, "pulsura:hasura": '{"maxInstances":2,"poolSize":9,"worker":{"enabled":true}}' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("got 41 connections at full scale");
    expect(problems[0]).toContain("pulsura:hasura.metadataPoolSize (Hasura metadata database) maxInstances 2 × 2 = 4");
    expect(problems[0]).toContain("pulsura:hasura.worker.metadataPoolSize (Hasura worker metadata database) maxInstances 1 × 2 = 2");
  });

  it("accepts the same budget on a larger tier or with an explicit max_connections", () => {
    expect(() => parse({ ...base, "pulsura:hasura": '{"maxInstances":4,"poolSize":10}', "pulsura:database": '{"tier":"db-custom-1-3840"}' })).not.toThrow();
    expect(() => parse({ ...base, "pulsura:hasura": '{"maxInstances":4,"poolSize":10}', "pulsura:database": '{"maxConnections":100}' })).not.toThrow();
    expect(() => parse({ ...base, "pulsura:hasura": '{"maxInstances":2,"poolSize":9,"metadataPoolSize":1,"worker":{"enabled":true}}' })).not.toThrow();
    expect(() => parse({ ...base, "pulsura:hasura": '{"maxInstances":2,"poolSize":9,"worker":{"enabled":true,"metadataPoolSize":1}}' })).not.toThrow();
    // Without the worker (the dev default) its pools are not opened: the 41 of the test above fit as 30.
    expect(() => parse({ ...base, "pulsura:hasura": '{"maxInstances":2,"poolSize":9}' })).not.toThrow();
  });

  it("fits the dev defaults in db-g1-small: room for two more services without the worker, for one beside it", () => {
    const config = parse(base);
    expect(config.hasura.worker).toEqual(ENVIRONMENT_DEFAULTS.dev.hasura.worker);
    const poolsOf = (c: typeof config) => connectionPools(c).reduce((sum, p) => sum + p.instances * p.size, 0);
    const service = ENVIRONMENT_DEFAULTS.dev.service;
    const budget = 50 - connectionHeadroom(50);
    expect(poolsOf(config) + 2 * service.maxInstances * service.poolSize).toBeLessThanOrEqual(budget);
    expect(() => parse({ ...base, "pulsura:services": '[{"name":"core"},{"name":"billing"},{"name":"search"}]' })).not.toThrow();
    const withWorker = parse({ ...base, "pulsura:hasura": '{"worker":{"enabled":true}}' });
    expect(connectionPools(withWorker).filter((p) => p.opener.startsWith("Hasura worker"))).toHaveLength(2);
    expect(poolsOf(withWorker) + service.maxInstances * service.poolSize).toBeLessThanOrEqual(budget);
    expect(() => parse({ ...base, "pulsura:hasura": '{"worker":{"enabled":true}}', "pulsura:services": '[{"name":"core"},{"name":"billing"}]' })).not.toThrow();
    // db-f1-micro's 15 after headroom do not hold even the worker-less API and core at full scale (2 × 8 + 2 × 4 = 24).
    expect(poolsOf(config)).toBeGreaterThan(tierConnectionLimit("db-f1-micro")! - connectionHeadroom(tierConnectionLimit("db-f1-micro")!));
  });

  it("validates the Hasura worker's settings by key, and merges them over the environment's", () => {
    expect(problemsOf({ ...base, "pulsura:hasura": '{"worker":{"cpu":"3","metadataPoolSize":0,"poolSize":4}}' })).toEqual([
      'pulsura:hasura.worker.cpu: got "3", expected one of "1" | "2" | "4" | "8"',
      "pulsura:hasura.worker.metadataPoolSize: got 0, expected a number >= 1",
      // The worker's source pool is the metadata's, hasura.poolSize: it has none of its own.
      "pulsura:hasura.worker.poolSize: got 4, expected no such key (unknown setting)",
    ]);
    expect(parse({ ...base, "pulsura:hasura": '{"worker":{"memory":"1Gi"}}' }).hasura.worker).toEqual({ ...ENVIRONMENT_DEFAULTS.dev.hasura.worker, memory: "1Gi" });
  });

  it("knows Cloud SQL's default connection limits by tier", () => {
    expect(tierConnectionLimit("db-f1-micro")).toBe(25);
    expect(tierConnectionLimit("db-g1-small")).toBe(50);
    expect(tierConnectionLimit("db-custom-1-3840")).toBe(100);
    expect(tierConnectionLimit("db-custom-2-7680")).toBe(200);
    expect(tierConnectionLimit("db-custom-4-15360")).toBe(400);
    expect(tierConnectionLimit("db-custom-96-638976")).toBe(1000);
    expect(connectionHeadroom(50)).toBe(10);
    expect(connectionHeadroom(400)).toBe(40);
  });

  it("rejects min instances above max instances and duplicate service names", () => {
    expect(problemsOf({ ...base, "pulsura:services": '[{"name":"core","minInstances":3,"maxInstances":2},{"name":"core"}]' })).toEqual([
      'pulsura:services: got two services named "core", expected unique service names',
      "pulsura:services[0].minInstances: got 3, expected at most maxInstances (2)",
    ]);
  });

  it("refuses a region where not every product of the stack is offered, naming the allowed regions and the source", () => {
    const [problem] = problemsOf({ ...base, "gcp:region": "mars-central1" });
    expect(problem).toContain('gcp:region: got "mars-central1"');
    expect(problem).toContain("https://cloud.google.com/functions/1stgendocs/locations");
    for (const region of ["europe-west1", "us-central1", "asia-northeast1"]) expect(problem).toContain(region);
    // A real Cloud Run region without 1st-gen Cloud Functions (the Firebase Auth triggers).
    expect(problemsOf({ ...base, "gcp:region": "europe-north1" })[0]).toContain('gcp:region: got "europe-north1"');
    expect(() => parse({ ...base, "gcp:region": "us-east4" })).not.toThrow();
  });

  it("bills Identity Platform and Firebase quota to the stack's project (userProjectOverride, billingProject)", () => {
    const { "gcp:userProjectOverride": _override, "gcp:billingProject": _billing, ...without } = base;
    expect(problemsOf(without)).toEqual([
      "gcp:userProjectOverride: got nothing, expected true (quota and billing of Identity Platform and Firebase calls go to the stack's project)",
      "gcp:billingProject: got nothing, expected a string",
    ]);
    expect(problemsOf({ ...base, "gcp:billingProject": "deployer-home" })).toEqual([
      'gcp:billingProject: got "deployer-home", expected the stack\'s project "pulsura-test" (Identity Platform and Firebase quota is billed there)',
    ]);
    expect(parse(base).gcp).toMatchObject({ userProjectOverride: "true", billingProject: "pulsura-test" });
  });

  it("refuses a subnet smaller than /26 for Direct VPC egress", () => {
    expect(problemsOf({ ...base, "pulsura:network": '{"subnetCidr":"10.10.0.0/28"}' })[0]).toContain("pulsura:network.subnetCidr: got \"10.10.0.0/28\", expected an IPv4 CIDR of at least /26");
    expect(parse({ ...base, "pulsura:network": '{"subnetCidr":"10.10.0.0/26"}' }).network.subnetCidr).toBe("10.10.0.0/26");
  });

  it("refuses Apple sign-in, saying why", () => {
    const [problem] = problemsOf({ ...base, "pulsura:auth": '{"apple":{"clientId":"com.example.signin"}}' });
    expect(problem).toContain("pulsura:auth.apple");
    expect(problem).toContain("appleSignInConfig (team id, key id, private key)");
  });

  it("adopts an existing Firebase project and Identity Platform config only when asked", () => {
    expect(parse(base).adoptExisting).toEqual({ firebase: false, identityPlatform: false });
    const adopted = parse({ ...base, "pulsura:firebase": '{"adoptExisting":true}', "pulsura:auth": '{"adoptExisting":true}' });
    expect(adopted.adoptExisting).toEqual({ firebase: true, identityPlatform: true });
  });

  it("takes Docker Hub credentials for the image proxy as a username and a Pulumi secret", () => {
    const raw = { ...base, "pulsura:hasura": '{"dockerHubUsername":"pulsurabot"}' };
    expect(problemsOf(raw)).toEqual([
      "pulsura:dockerHubPassword: got nothing, expected the Docker Hub password or access token of hasura.dockerHubUsername, set with: pulumi config set --secret dockerHubPassword <value> --stack test",
    ]);
    const config = parse(raw, { dockerHubPassword: "token" });
    expect(config.hasura.dockerHub?.username).toBe("pulsurabot");
    expect(config.hasura).not.toHaveProperty("dockerHubUsername");
    expect(parse(base).hasura.dockerHub).toBeUndefined();
  });

  it("reports every problem in one go: schema errors and the cross-field checks on whatever parsed", () => {
    const problems = problemsOf({
      ...base,
      "pulsura:tenant": "Acme_Corp",
      "pulsura:domains": '["https://app.example.com"]',
      "pulsura:alertEmail": "not-an-email",
      "pulsura:network": '{"subnetCidr":"10.10.0.0/28"}',
      "pulsura:database": '{"tier":"db-huge","retainedBackups":0}',
      "pulsura:hasura": '{"version":"latest","memory":"2GB","minInstances":3,"maxInstances":1}',
      "pulsura:services": '[{"name":"core","cpu":3,"minInstances":5,"maxInstances":2}]',
      "pulsura:functions": '{"minInstances":10,"triggerMinInstances":6,"maxInstances":5}',
    });
    expect(problems).toEqual([
      'pulsura:tenant: got "Acme_Corp", expected tenant: 2-22 characters, lower-case letters, digits and dashes, starting with a letter',
      'pulsura:domains[0]: got "https://app.example.com", expected a lower-case DNS name such as app.example.com (no scheme, no path)',
      'pulsura:alertEmail: got "not-an-email", expected an e-mail address',
      'pulsura:network.subnetCidr: got "10.10.0.0/28", expected an IPv4 CIDR of at least /26 (64 addresses) for Direct VPC egress, such as 10.10.0.0/20 (https://cloud.google.com/run/docs/configuring/vpc-direct-vpc)',
      'pulsura:database.tier: got "db-huge", expected a Cloud SQL tier such as db-g1-small or db-custom-2-7680',
      "pulsura:database.retainedBackups: got 0, expected a number >= 1",
      'pulsura:hasura.version: got "latest", expected a pinned Hasura v2 release such as v2.48.9 (never latest)',
      'pulsura:hasura.memory: got "2GB", expected a Cloud Run memory size such as 512Mi or 2Gi',
      'pulsura:services[0].cpu: got 3, expected one of "1" | "2" | "4" | "8"',
      // The cross-field checks of the parts that parsed, beside the errors of their neighbours.
      "pulsura:hasura.minInstances: got 3, expected at most maxInstances (1)",
      "pulsura:functions.minInstances: got 10, expected at most maxInstances (5)",
      "pulsura:functions.triggerMinInstances: got 6, expected at most maxInstances (5)",
      "pulsura:services[0].minInstances: got 5, expected at most maxInstances (2)",
    ]);
  });

  it("skips a cross-field check that reads a broken value, rather than judging a default in its place", () => {
    // maxInstances -1 is refused; comparing minInstances 3 with the default maximum (2) would be a second, false error.
    expect(problemsOf({ ...base, "pulsura:hasura": '{"minInstances":3,"maxInstances":-1}' })).toEqual(["pulsura:hasura.maxInstances: got -1, expected a number >= 1"]);
    // Without a valid environment there are no defaults to compare with: only what the file sets is compared.
    expect(problemsOf({ ...base, "pulsura:environment": "staging", "pulsura:functions": '{"minInstances":3}', "pulsura:hasura": '{"minInstances":3,"maxInstances":1}' })).toEqual([
      'pulsura:environment: got "staging", expected one of "dev" | "prod"',
      "pulsura:hasura.minInstances: got 3, expected at most maxInstances (1)",
    ]);
  });

  it("reads string settings that YAML typed as numbers as their digits, and asks to quote what YAML changed", () => {
    const config = parse({ ...base, "pulsura:hasura": '{"cpu":2,"dockerHubUsername":12345678}', "pulsura:services": '[{"name":"core","cpu":4}]' }, { dockerHubPassword: "token" });
    expect(config.hasura.cpu).toBe("2");
    expect(config.hasura.dockerHub?.username).toBe("12345678");
    expect(config.services[0]!.cpu).toBe("4");
    expect(parse({ ...base, "pulsura:auth": '{"phone":{"testPhoneNumbers":{"+16505550101":123456}}}' }).auth.phone.testPhoneNumbers).toEqual({ "+16505550101": "123456" });
    expect(problemsOf({ ...base, "pulsura:hasura": '{"cpu":3,"version":2.48}', "pulsura:auth": '{"facebook":{"clientId":12345678901234567890}}' })).toEqual([
      'pulsura:hasura.version: got 2.48, expected a string: quote the value in the stack file (YAML read it as a number)',
      'pulsura:hasura.cpu: got 3, expected one of "1" | "2" | "4" | "8"',
      "pulsura:auth.facebook.clientId: got 12345678901234567000, expected a string: quote the value in the stack file (YAML read it as a number)",
      "pulsura:facebookClientSecret: got nothing, expected the facebook OAuth client secret, set with: pulumi config set --secret facebookClientSecret <value> --stack test",
    ]);
  });

  it("refuses a secret config key written in plain text, without printing it", () => {
    const raw = { ...base, "pulsura:auth": '{"google":{"clientId":"id.apps.googleusercontent.com"}}', "pulsura:googleClientSecret": "GOCSPX-in-clear" };
    // As infra/stack-config.ts does: the secret is read from the config, whether encrypted or not.
    const readSecret = (key: SecretConfigKey) => (`pulsura:${key}` in raw ? pulumi.secret("value") : undefined);
    let problems: string[] = [];
    try {
      parseStackConfig("test", raw, readSecret, { isSecret: () => false });
    } catch (error) {
      problems = (error as StackConfigError).problems.map((p) => `${p.key}: got ${p.got}, expected ${p.expected}`);
    }
    expect(problems).toEqual([
      "pulsura:googleClientSecret: got a value in plain text (not shown), expected a Pulumi secret: delete the plain value from the stack file (Pulumi.test.yaml), then set it with: pulumi config set --secret googleClientSecret <value> --stack test",
    ]);
    expect(problems.join("\n")).not.toContain("GOCSPX");
    expect(() => parse(raw, { googleClientSecret: "GOCSPX-encrypted" }, { isSecret: (key) => key === "pulsura:googleClientSecret" })).not.toThrow();
  });

  it("refuses an unknown namespace or key with the closest known one, and hides values of keys that look secret", () => {
    expect(problemsOf({ ...base, "pulsra:hasura": '{"minInstances":1}', "pulsura:hasura": '{"minInstance":1}', "docker:host": "unix:///var/run/docker.sock" })).toEqual([
      'pulsra:hasura: got {"minInstances":1}, expected a key of a namespace this program or its providers read (pulsura:, gcp:, docker:, random:, pulumi:); "pulsra" is none of them: did you mean pulsura:hasura?',
      "pulsura:hasura.minInstance: got 1, expected no such key (unknown setting); did you mean pulsura:hasura.minInstances?",
    ]);
    expect(problemsOf({ ...base, "pulsura:googleClientSecrt": "GOCSPX-in-clear", "aws:region": "us-east-1" })).toEqual([
      'aws:region: got "us-east-1", expected a key of a namespace this program or its providers read (pulsura:, gcp:, docker:, random:, pulumi:); "aws" is none of them',
      "pulsura:googleClientSecrt: got a value (not shown: the key looks like a secret's), expected no such key (unknown setting); did you mean pulsura:googleClientSecret?",
    ]);
  });

  it("allows the namespaces of the program's own providers, as package.json lists them", () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    // @pulumi/pulumi is the SDK and @pulumi/policy the policy pack: neither reads config. The engine's is pulumi:.
    const providers = Object.keys(manifest.dependencies).filter((name) => name.startsWith("@pulumi/") && !["@pulumi/pulumi", "@pulumi/policy"].includes(name)).map((name) => name.slice("@pulumi/".length));
    expect([...CONFIG_NAMESPACES].sort()).toEqual([CONFIG_NAMESPACE, "pulumi", ...providers].sort());
  });
});
