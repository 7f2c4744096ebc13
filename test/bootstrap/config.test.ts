import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseBootstrapConfig, type RawConfig } from "../../infra/bootstrap/config";
import { StackConfigError } from "../../infra/config";

const valid: RawConfig = {
  "gcp:project": "acme-admin",
  "gcp:region": "europe-west1",
  "pulsura-bootstrap:githubRepository": "acme/pulsura",
  "pulsura-bootstrap:githubRepositoryId": "123456789",
  "pulsura-bootstrap:githubRepositoryOwnerId": "98765",
  "pulsura-bootstrap:deployProjects": JSON.stringify(["acme-dev", "acme-prod"]),
};

function problemsOf(raw: RawConfig): Array<{ key: string; got: string; expected: string }> {
  try {
    parseBootstrapConfig("org", raw);
  } catch (error) {
    expect(error).toBeInstanceOf(StackConfigError);
    return (error as StackConfigError).problems;
  }
  throw new Error("expected the config to be refused");
}

describe("bootstrap config", () => {
  it("fills every default from the admin project and region", () => {
    expect(parseBootstrapConfig("org", valid)).toEqual({
      stack: "org",
      project: "acme-admin",
      region: "europe-west1",
      github: { repository: "acme/pulsura", repositoryId: "123456789", repositoryOwnerId: "98765" },
      deployProjects: ["acme-dev", "acme-prod"],
      stateBucket: { name: "acme-admin-pulumi-state", location: "europe-west1", noncurrentVersionRetentionDays: 90, noncurrentVersionsKept: 50, softDeleteRetentionDays: 7 },
      kms: { location: "europe-west1", keyRingName: "pulumi", cryptoKeyName: "pulumi-secrets", rotationDays: 90 },
      workloadIdentity: { poolId: "github", providerId: "github-actions" },
      deployerAccountId: "pulumi-deployer",
      previewerAccountId: "pulumi-previewer",
      stackFilesDirectory: resolve(__dirname, "..", ".."),
      grantableProjectRoles: ["roles/artifactregistry.writer", "roles/firebaseauth.admin", "roles/logging.logWriter", "roles/storage.objectAdmin"],
    });
  });

  it("refuses grantable roles that would let the deployer give itself tokens or keys, beyond the forbidden list", () => {
    const problems = problemsOf({ ...valid, "pulsura-bootstrap:grantableProjectRoles": JSON.stringify(["roles/logging.logWriter", "roles/iam.workloadIdentityUser", "roles/storage.hmacKeyAdmin", "roles/acme.madeUp"]) });
    expect(problems.map((p) => p.key)).toEqual(["pulsura-bootstrap:grantableProjectRoles"]);
    expect(problems[0]!.got).toContain("roles/iam.workloadIdentityUser (token: iam.serviceAccounts.getAccessToken");
    expect(problems[0]!.got).toContain("roles/storage.hmacKeyAdmin (key: storage.hmacKeys.create");
    expect(problems[0]!.got).toContain("roles/acme.madeUp (not in infra/bootstrap/role-permissions.json)");
    expect(problems[0]!.got).not.toContain("logWriter");
  });

  it("refuses a previewer with the deployer's account id", () => {
    const problems = problemsOf({ ...valid, "pulsura-bootstrap:previewerAccountId": "pulumi-deployer" });
    expect(problems.map((p) => p.key)).toEqual(["pulsura-bootstrap:previewerAccountId"]);
  });

  it("names each missing required key", () => {
    const problems = problemsOf({ "gcp:project": "acme-admin", "gcp:region": "europe-west1" });
    expect(problems.map((p) => p.key)).toEqual([
      "pulsura-bootstrap:githubRepository",
      "pulsura-bootstrap:githubRepositoryId",
      "pulsura-bootstrap:githubRepositoryOwnerId",
      "pulsura-bootstrap:deployProjects",
    ]);
    expect(problems[0]!.expected).toMatch(/required/);
  });

  it("refuses every bad value at once, with the value it got and what it expects", () => {
    const problems = problemsOf({
      ...valid,
      "gcp:project": "X",
      "pulsura-bootstrap:githubRepository": "https://github.com/acme/pulsura",
      "pulsura-bootstrap:keyRotationDays": "0",
      "pulsura-bootstrap:softDeleteRetentionDays": "3",
      "pulsura-bootstrap:stateBucket": "google-state",
      "pulsura-bootstrap:bucket": "typo",
    });
    expect(problems.map((p) => p.key).sort()).toEqual(
      [
        "gcp:project",
        "pulsura-bootstrap:githubRepository",
        "pulsura-bootstrap:keyRotationDays",
        "pulsura-bootstrap:softDeleteRetentionDays",
        "pulsura-bootstrap:stateBucket",
        "pulsura-bootstrap:bucket",
      ].sort(),
    );
    const byKey = Object.fromEntries(problems.map((p) => [p.key, p]));
    expect(byKey["pulsura-bootstrap:githubRepository"]).toEqual({ key: "pulsura-bootstrap:githubRepository", got: '"https://github.com/acme/pulsura"', expected: expect.stringContaining("owner/repository") });
    expect(byKey["pulsura-bootstrap:keyRotationDays"]!.expected).toBe("a number >= 1");
    expect(byKey["pulsura-bootstrap:bucket"]!.expected).toBe("no such key (unknown setting)");
  });

  it("keeps the state out of reach of the deployer: the admin project cannot be a deploy project", () => {
    const [problem] = problemsOf({ ...valid, "pulsura-bootstrap:deployProjects": JSON.stringify(["acme-dev", "acme-admin"]) });
    expect(problem).toMatchObject({ key: "pulsura-bootstrap:deployProjects", expected: expect.stringContaining("admin project") });
  });

  it("refuses basic and IAM-admin roles among the roles the deployer may grant", () => {
    const [problem] = problemsOf({ ...valid, "pulsura-bootstrap:grantableProjectRoles": JSON.stringify(["roles/logging.logWriter", "roles/owner", "roles/iam.securityAdmin"]) });
    expect(problem).toMatchObject({ key: "pulsura-bootstrap:grantableProjectRoles", got: '["roles/owner","roles/iam.securityAdmin"]' });
  });

  it("prints one message naming the stack and each key", () => {
    expect(() => parseBootstrapConfig("org", { ...valid, "pulsura-bootstrap:deployProjects": "[]" })).toThrow(
      'Stack "org" has 1 invalid config value:\n  - pulsura-bootstrap:deployProjects: got [], expected at least 1 item',
    );
  });

  it("accepts GitHub's ids as numbers or strings, and refuses anything else", () => {
    const github = parseBootstrapConfig("org", { ...valid, "pulsura-bootstrap:githubRepositoryId": "123", "pulsura-bootstrap:githubRepositoryOwnerId": '"456"' }).github;
    expect(github).toEqual({ repository: "acme/pulsura", repositoryId: "123", repositoryOwnerId: "456" });
    // The claims carry GitHub's ids without leading zeros: "0456" could never match a token.
    const problems = problemsOf({ ...valid, "pulsura-bootstrap:githubRepositoryId": "acme", "pulsura-bootstrap:githubRepositoryOwnerId": '"0456"' });
    expect(problems.map((p) => p.key)).toEqual(["pulsura-bootstrap:githubRepositoryId", "pulsura-bootstrap:githubRepositoryOwnerId"]);
    expect(problems[1]!.expected).toMatch(/owner id/);
  });
});
