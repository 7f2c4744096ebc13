/**
 * The Workload Identity provider's attribute condition and mapping, evaluated as CEL against sample GitHub token claims.
 *
 * The samples derive from GitHub's documented example token (https://docs.github.com/en/actions/concepts/security/openid-connect,
 * "Understanding the OIDC token": repository octo-org/octo-repo, repository_id "74", repository_owner_id "65", every
 * claim a string), changed claim by claim into what GitHub sends for each kind of run (claims as documented at
 * https://docs.github.com/en/actions/reference/security/oidc). Google exchanges a token only when the condition
 * evaluates to true: an evaluation error (a missing claim, a claim of another type) refuses it, and so it counts as a
 * refusal here.
 *
 * CEL evaluator: @marcbachmann/cel-js, pinned to 8.0.0 (package.json cannot carry the reason, so here it is): zero
 * dependencies, maintained (8.0.0 published 2026-08), and it implements what the condition uses: has() on map fields,
 * `in` on lists, startsWith, the ternary, string concatenation, and CEL's error semantics for `||` / `&&` (an error
 * on one side is absorbed when the other side decides). `cel-js` (0.8.x) was the other candidate; it is less recently
 * released. It is not Google's evaluator, and the samples are not GitHub's tokens: only a real run shows that Google
 * parses the condition the same way, and that GitHub's tokens for deploy.yml and pull-request.yml carry these claims
 * with these values (job_workflow_ref present or not, the environment's spelling, the sub format).
 */
import { evaluate, parse } from "@marcbachmann/cel-js";
import { describe, expect, it } from "vitest";
import {
  attributeMappingProblems,
  githubAttributeCondition,
  githubAttributeMapping,
  identityPrincipalSet,
  WORKLOAD_IDENTITY_LIMITS,
  type GithubIdentityArgs,
} from "../../infra/bootstrap/github-identity";

type Claims = Record<string, unknown>;

/** GitHub's documented example token (payload), as the page shows it. */
const EXAMPLE_TOKEN: Claims = {
  jti: "example-id",
  sub: "repo:octo-org/octo-repo:environment:prod",
  environment: "prod",
  aud: "https://github.com/octo-org",
  ref: "refs/heads/main",
  sha: "example-sha",
  repository: "octo-org/octo-repo",
  repository_owner: "octo-org",
  actor_id: "12",
  repository_visibility: "private",
  repository_id: "74",
  repository_owner_id: "65",
  run_id: "example-run-id",
  run_number: "10",
  run_attempt: "2",
  runner_environment: "github-hosted",
  actor: "octocat",
  workflow: "example-workflow",
  head_ref: "",
  base_ref: "",
  event_name: "workflow_dispatch",
  ref_type: "branch",
  job_workflow_ref: "octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main",
  iss: "https://token.actions.githubusercontent.com",
  nbf: 1632492967,
  exp: 1632493867,
  iat: 1632493567,
};

const ARGS: GithubIdentityArgs = { repository: "octo-org/octo-repo", repositoryId: "74", repositoryOwnerId: "65", deployEnvironments: ["dev", "prod"] };
const condition = githubAttributeCondition(ARGS);
const mapping = githubAttributeMapping(ARGS);

const workflowRef = (file: string, ref: string) => `octo-org/octo-repo/.github/workflows/${file}@${ref}`;

/** A job of deploy.yml run by a push to main, in `environment`. */
function deployToken(environment: string): Claims {
  const ref = workflowRef("deploy.yml", "refs/heads/main");
  return { ...EXAMPLE_TOKEN, sub: `repo:octo-org/octo-repo:environment:${environment}`, environment, event_name: "push", workflow: "Deploy", workflow_ref: ref, job_workflow_ref: ref };
}

/** The preview job of pull-request.yml, for pull request 12 from a branch of the same repository (no environment). */
function previewToken(): Claims {
  const { environment: _none, ...claims } = EXAMPLE_TOKEN;
  const ref = workflowRef("pull-request.yml", "refs/pull/12/merge");
  return { ...claims, sub: "repo:octo-org/octo-repo:pull_request", event_name: "pull_request", ref: "refs/pull/12/merge", head_ref: "feature", base_ref: "main", workflow: "Pull request", workflow_ref: ref, job_workflow_ref: ref };
}

const without = (claims: Claims, ...keys: string[]): Claims => Object.fromEntries(Object.entries(claims).filter(([key]) => !keys.includes(key)));

/** What Google does: exchange only when the condition evaluates to true; an evaluation error refuses. */
function exchanged(claims: Claims): boolean {
  try {
    return evaluate(condition, { assertion: claims }) === true;
  } catch {
    return false;
  }
}

const identityOf = (claims: Claims): unknown => evaluate(mapping["attribute.pulsura_identity"]!, { assertion: claims });

describe("the attribute condition", () => {
  it("is CEL that Google's limit accepts", () => {
    expect(() => parse(condition)).not.toThrow();
    expect(condition.length).toBeLessThanOrEqual(WORKLOAD_IDENTITY_LIMITS.conditionCharacters);
  });

  it.each(["dev", "prod"])("exchanges a deploy.yml job run by a push to main in environment %s", (environment) => {
    expect(exchanged(deployToken(environment))).toBe(true);
  });

  it("exchanges the preview job of a same-repository pull request", () => {
    expect(exchanged(previewToken())).toBe(true);
  });

  it("accepts a job whose token has no job_workflow_ref (GitHub documents it for reusable workflows' jobs)", () => {
    expect(exchanged(without(deployToken("prod"), "job_workflow_ref"))).toBe(true);
    expect(exchanged(without(previewToken(), "job_workflow_ref"))).toBe(true);
  });

  const deploy = deployToken("prod");
  const refused: Array<[string, Claims]> = [
    ["GitHub's example token as it is (workflow_dispatch, a reusable workflow of another repository)", EXAMPLE_TOKEN],
    ["the same name, but another repository_id (the repository deleted and re-created)", { ...deploy, repository_id: "75" }],
    ["the same name, but another repository_owner_id (transferred, or the owner name re-registered)", { ...deploy, repository_owner_id: "66" }],
    ["the ids as numbers instead of GitHub's strings", { ...deploy, repository_id: 74, repository_owner_id: 65 }],
    [
      "a push to another branch",
      { ...deploy, ref: "refs/heads/feature", workflow_ref: workflowRef("deploy.yml", "refs/heads/feature"), job_workflow_ref: workflowRef("deploy.yml", "refs/heads/feature") },
    ],
    [
      "a tag push",
      { ...deploy, ref: "refs/tags/v1.0.0", ref_type: "tag", workflow_ref: workflowRef("deploy.yml", "refs/tags/v1.0.0"), job_workflow_ref: workflowRef("deploy.yml", "refs/tags/v1.0.0") },
    ],
    ["workflow_dispatch of deploy.yml on main", { ...deploy, event_name: "workflow_dispatch" }],
    ["a schedule run of deploy.yml on main", { ...deploy, event_name: "schedule" }],
    ["repository_dispatch on main", { ...deploy, event_name: "repository_dispatch" }],
    ["deploy.yml of another ref", { ...deploy, workflow_ref: workflowRef("deploy.yml", "refs/heads/feature"), job_workflow_ref: workflowRef("deploy.yml", "refs/heads/feature") }],
    ["another workflow on main with environment prod", { ...deploy, workflow: "Evil", workflow_ref: workflowRef("evil.yml", "refs/heads/main"), job_workflow_ref: workflowRef("evil.yml", "refs/heads/main") }],
    ["a workflow whose file name only begins with deploy.yml", { ...deploy, workflow_ref: workflowRef("deploy.yml.yml", "refs/heads/main"), job_workflow_ref: workflowRef("deploy.yml.yml", "refs/heads/main") }],
    ["a job of deploy.yml on main without an environment (its stacks job)", { ...without(deploy, "environment"), sub: "repo:octo-org/octo-repo:ref:refs/heads/main" }],
    ["an environment that is not a stack's", deployToken("staging")],
    ["an environment spelled with another case", deployToken("Prod")],
    [
      "a reusable workflow of another repository called from deploy.yml (job_workflow_ref is the called one)",
      { ...deploy, job_workflow_ref: "octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main" },
    ],
    [
      "deploy.yml called as a reusable workflow from another workflow on main (workflow_ref is the caller)",
      { ...deploy, workflow_ref: workflowRef("evil.yml", "refs/heads/main"), job_workflow_ref: workflowRef("deploy.yml", "refs/heads/main") },
    ],
    ["pull_request_target (the base repository's privileges)", { ...previewToken(), event_name: "pull_request_target", ref: "refs/heads/main", workflow_ref: workflowRef("pull-request.yml", "refs/heads/main") }],
    ["another workflow run by a pull request", { ...previewToken(), workflow_ref: workflowRef("evil.yml", "refs/pull/12/merge"), job_workflow_ref: workflowRef("evil.yml", "refs/pull/12/merge") }],
    [
      "a workflow whose file name only begins with pull-request.yml",
      { ...previewToken(), workflow_ref: workflowRef("pull-request.yml.yml", "refs/pull/12/merge"), job_workflow_ref: workflowRef("pull-request.yml.yml", "refs/pull/12/merge") },
    ],
    ["pull-request.yml run by a push (to main)", { ...previewToken(), event_name: "push", ref: "refs/heads/main", workflow_ref: workflowRef("pull-request.yml", "refs/heads/main") }],
    [
      "a reusable workflow of another repository called from pull-request.yml",
      { ...previewToken(), job_workflow_ref: "octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main" },
    ],
    ["a pull request of another repository with the same name", { ...previewToken(), repository_id: "75" }],
  ];

  it.each(refused)("refuses %s", (_, claims) => {
    expect(exchanged(claims)).toBe(false);
  });

  // The claims each kind of token is judged on (a preview's ref is refs/pull/<n>/merge: workflow_ref carries it).
  const claimsRead: Array<[string, string, Claims]> = [
    ...["repository_id", "repository_owner_id", "event_name", "ref", "workflow_ref", "environment"].map((claim): [string, string, Claims] => [claim, "deploy", deploy]),
    ...["repository_id", "repository_owner_id", "event_name", "workflow_ref"].map((claim): [string, string, Claims] => [claim, "preview", previewToken()]),
  ];
  it.each(claimsRead)("refuses a %s-less %s token", (claim, _, claims) => {
    expect(exchanged(without(claims, claim))).toBe(false);
  });

  it("counts an evaluation error as a refusal, as Google does", () => {
    // A preview token without event_name: the deploy side is false (ref), the preview side cannot be evaluated.
    expect(() => evaluate(condition, { assertion: without(previewToken(), "event_name") })).toThrow();
    expect(exchanged(without(previewToken(), "event_name"))).toBe(false);
    // No claims at all.
    expect(() => evaluate(condition, { assertion: {} })).toThrow();
    expect(exchanged({})).toBe(false);
  });
});

describe("the attribute mapping", () => {
  it("maps deploy tokens to the deployer and preview tokens to the previewer", () => {
    expect(identityOf(deployToken("dev"))).toBe("deployer");
    expect(identityOf(deployToken("prod"))).toBe("deployer");
    expect(identityOf(previewToken())).toBe("previewer");
  });

  it("maps to neither for a token the condition refuses, whatever the reason", () => {
    expect(identityOf(deployToken("staging"))).toBe("none");
    expect(identityOf({ ...deployToken("prod"), event_name: "workflow_dispatch" })).toBe("none");
    expect(identityOf({ ...previewToken(), event_name: "pull_request_target" })).toBe("none");
  });

  it("maps every attribute of an exchanged token to a string, the subject within 127 bytes", () => {
    for (const claims of [deployToken("dev"), deployToken("prod"), previewToken()]) {
      const attributes = Object.fromEntries(Object.entries(mapping).map(([key, expression]) => [key, evaluate(expression, { assertion: claims })]));
      for (const value of Object.values(attributes)) expect(typeof value).toBe("string");
      expect(Buffer.byteLength(attributes["google.subject"] as string)).toBeLessThanOrEqual(WORKLOAD_IDENTITY_LIMITS.subjectBytes);
      expect(attributes).toMatchObject({ "attribute.repository_id": "74", "attribute.repository_owner_id": "65" });
    }
  });

  it("keeps google.subject, the attributes bindings and audit logs read, and one identity attribute", () => {
    expect(Object.keys(mapping).sort()).toEqual(
      [
        "google.subject",
        "attribute.actor",
        "attribute.repository",
        "attribute.repository_id",
        "attribute.repository_owner",
        "attribute.repository_owner_id",
        "attribute.ref",
        "attribute.pulsura_identity",
      ].sort(),
    );
    expect(mapping["google.subject"]).toBe("assertion.sub");
    expect(attributeMappingProblems(mapping)).toEqual([]);
  });
});

describe("the principal sets", () => {
  const pool = "projects/123456789012/locations/global/workloadIdentityPools/github";

  it("name one identity of the pool", () => {
    expect(identityPrincipalSet(pool, "deployer")).toBe(`principalSet://iam.googleapis.com/${pool}/attribute.pulsura_identity/deployer`);
    expect(identityPrincipalSet(pool, "previewer")).toBe(`principalSet://iam.googleapis.com/${pool}/attribute.pulsura_identity/previewer`);
  });

  it("refuse a pool id where the pool's resource name is expected", () => {
    expect(() => identityPrincipalSet("github", "deployer")).toThrow(/projects\/<number>\/locations\/global\/workloadIdentityPools\/<id>/);
  });
});

describe("Google's limits", () => {
  const environments = (count: number, prefix = "tenant-") => Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(4, "0")}`);

  it("refuse a condition past 4096 characters, naming the limit", () => {
    expect(() => githubAttributeCondition({ ...ARGS, deployEnvironments: environments(400) })).toThrow(/is \d+ characters; Google accepts at most 4096/);
  });

  it("refuse a mapping expression past 2048 characters, which the environment list reaches first", () => {
    const many = { ...ARGS, deployEnvironments: environments(200) };
    expect(() => githubAttributeCondition(many)).not.toThrow();
    expect(() => githubAttributeMapping(many)).toThrow(/maps attribute\.pulsura_identity with a \d+-character expression; Google accepts at most 2048/);
  });

  it("refuse a repository whose tokens' sub could pass 127 bytes (in GitHub's immutable subject format too)", () => {
    const long = { ...ARGS, repository: `${"o".repeat(39)}/${"n".repeat(60)}`, repositoryId: "1234567890", repositoryOwnerId: "1234567890" };
    expect(() => githubAttributeMapping(long)).toThrow(/google\.subject would be "repo:o+@1234567890\/n+@1234567890:environment:prod" \(\d+ bytes\); Google accepts at most 127/);
    expect(() => githubAttributeMapping({ ...ARGS, repository: `${"o".repeat(39)}/${"n".repeat(40)}` })).not.toThrow();
  });

  it("refuse more than 50 custom attributes, a badly named one, and a mapping without google.subject", () => {
    const custom = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`attribute.a${i}`, "assertion.sub"]));
    expect(attributeMappingProblems({ "google.subject": "assertion.sub", ...custom })).toEqual([expect.stringMatching(/has 51 custom attributes; Google accepts at most 50/)]);
    expect(attributeMappingProblems({ "google.subject": "assertion.sub", "attribute.Identity": "assertion.sub" })).toEqual([expect.stringMatching(/1-100 characters of \[a-z0-9_\]/)]);
    expect(attributeMappingProblems({ "attribute.identity": "assertion.sub" })).toEqual([expect.stringMatching(/has no google\.subject/)]);
  });

  it("refuse malformed arguments, naming each", () => {
    expect(() => githubAttributeCondition({ ...ARGS, repositoryId: "octo-repo", repositoryOwnerId: "065" })).toThrow(/repositoryId: got "octo-repo".*repositoryOwnerId: got "065"/);
    expect(() => githubAttributeCondition({ ...ARGS, deployEnvironments: [] })).toThrow(/deployEnvironments: got none/);
    expect(() => githubAttributeCondition({ ...ARGS, deployWorkflow: "../deploy.yml" })).toThrow(/deployWorkflow: got "..\/deploy.yml"/);
  });

  it("quote environment names as CEL strings, so a quote in one cannot change the condition", () => {
    const quoted = githubAttributeCondition({ ...ARGS, deployEnvironments: ['prod" || true || "'] });
    expect(evaluate(quoted, { assertion: deployToken("prod") })).toBe(false);
    expect(evaluate(quoted, { assertion: deployToken('prod" || true || "') })).toBe(true);
  });
});
