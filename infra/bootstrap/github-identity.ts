/**
 * Which GitHub Actions tokens the bootstrap's Workload Identity provider exchanges, and as which pulsura identity.
 *
 * Pure functions: the CEL attribute condition and attribute mapping of the provider, the principal sets that the
 * service-account bindings name, and Google's documented limits on both (also judged offline by the fidelity rules in
 * scripts/lib/fidelity/iam.ts, so a plan Google would refuse fails before `pulumi up`).
 *
 * Two kinds of token are exchanged, both only from the configured repository, pinned by GitHub's numeric ids:
 * - a deploy token: a job of `.github/workflows/deploy.yml` run by a push to `main`, in one of the GitHub environments
 *   deploy.yml deploys through (one per stack); mapped to the identity "deployer";
 * - a preview token: a job of `.github/workflows/pull-request.yml` run by a `pull_request` event; mapped to "previewer".
 * Every other token is refused at the exchange, before any binding is looked at.
 *
 * What an attacker with push access to some branch (not to `main`) could send, and why each is refused:
 * - a re-created or transferred repository of the same name: `repository_id` / `repository_owner_id` differ (GitHub
 *   never reuses them; the name can be renamed, transferred or re-registered, so the name alone is not compared);
 * - `workflow_dispatch`, `schedule`, `repository_dispatch`, `workflow_run`, `release`…: `event_name` is neither `push`
 *   nor `pull_request` (a dispatch on `main` runs main's deploy.yml, but not because main changed: refused anyway);
 * - a push to another branch, or of a tag: `ref` is not `refs/heads/main`;
 * - deploy.yml edited on another branch and dispatched from there: `event_name` and `ref` refuse it, and `workflow_ref`
 *   (`<owner/name>/.github/workflows/deploy.yml@<ref>`) must end in `@refs/heads/main`;
 * - another workflow on `main`, even with `environment: prod`: `workflow_ref` names that workflow's file;
 * - a job of deploy.yml without an environment (such as its `stacks` job), or with an environment that is not a
 *   stack's: the `environment` claim is absent (has() guards it) or not in the list. Environments with required
 *   reviewers therefore still gate prod: a deploy token for prod exists only once the prod job was approved;
 * - a reusable workflow called from deploy.yml or pull-request.yml: the token's `workflow_ref` and `ref` describe the
 *   caller, and `job_workflow_ref` the called workflow, which may live in another repository at a mutable ref. Only
 *   jobs defined in the caller itself (`job_workflow_ref` absent, or equal to `workflow_ref`) are exchanged;
 * - `pull_request_target`: it runs the base repository's workflow with the base repository's privileges for a head
 *   that may come from a fork, so it is refused (`event_name` must be exactly `pull_request`);
 * - a pull request whose head edits pull-request.yml: accepted as a preview token, by design. Its `workflow_ref` is
 *   `…/pull-request.yml@refs/pull/<n>/merge`, the file of the merge commit, i.e. of the branch. The previewer is
 *   therefore whatever anyone who can open a same-repository pull request can get, and must stay read-only. A fork's
 *   pull request runs in the base repository (its token would carry the base's ids), but GitHub caps a fork's
 *   `pull_request` permissions at read, so `id-token: write` is not granted; pull-request.yml also skips its preview
 *   job for forks (`head.repo.full_name == github.repository`).
 * - a token missing a claim the condition reads (`event_name`, `ref`, `workflow_ref`, the ids): the CEL evaluation
 *   fails, and Google refuses a token whose condition does not evaluate to true.
 * Whoever can push to `main` can change deploy.yml itself: protect `main` (reviews) and the gated environments.
 *
 * GitHub's claims (all strings): https://docs.github.com/en/actions/reference/security/oidc ("Custom claims provided
 * by GitHub": repository_id, repository_owner_id, event_name, ref, workflow_ref, job_workflow_ref, environment; `sub`
 * in "Example subject claims" and "Immutable subject claims"). Reusable workflows' claims:
 * https://docs.github.com/en/actions/deployment/security-hardening-your-deployments/using-openid-connect-with-reusable-workflows
 * ("workflow, ref and other attributes describe the caller workflow, while job_workflow_ref refers to the called
 * workflow").
 */

/**
 * Google's documented limits on a Workload Identity pool provider's condition and mapping.
 *
 * Source of each: the REST reference of the provider resource, fields `attributeCondition` and `attributeMapping`
 * ({@link PROVIDER_REFERENCE}); the same text is in the client libraries generated from it, e.g.
 * https://pub.dev/documentation/googleapis/latest/iam_v1/WorkloadIdentityPoolProvider/attributeMapping.html, and the
 * Pulumi provider's docs of `attributeMapping` (mapping expression and evaluated size).
 */
export const PROVIDER_REFERENCE = "https://cloud.google.com/iam/docs/reference/rest/v1/projects.locations.workloadIdentityPools.providers";

export const WORKLOAD_IDENTITY_LIMITS = {
  /**
   * "The maximum length of the attribute condition expression is 4096 characters." The condition is CEL and may
   * reference `assertion` (the token's claims, as JSON), `google` and `attribute` (the mapped attributes).
   */
  conditionCharacters: 4096,
  /** "The maximum length of an attribute mapping expression is 2048 characters." */
  mappingExpressionCharacters: 2048,
  /** "You can define a maximum of 50 custom attributes." */
  customAttributes: 50,
  /** "The maximum length of a mapped attribute key is 100 characters, and the key may only contain the characters [a-z0-9_]." */
  customAttributeName: /^[a-z0-9_]{1,100}$/,
  /** google.subject: "Cannot exceed 127 bytes." (judged on the value a token maps to, at the exchange) */
  subjectBytes: 127,
  /**
   * "When evaluated, the total size of all mapped attributes must not exceed 8KB." Judged at the exchange on the
   * token's values; the claims pulsura maps are short (ids, names, refs), so it is not checked here.
   */
  mappedAttributesBytes: 8 * 1024,
} as const;

/** The pulsura identities a GitHub token can map to (`attribute.pulsura_identity`). */
export type PulsuraIdentity = "deployer" | "previewer";

/** The custom attribute that carries the identity, as bindings name it. */
export const IDENTITY_ATTRIBUTE = "pulsura_identity";

/** The branch deploys run from. */
export const DEPLOY_BRANCH = "main";

export interface GithubIdentityArgs {
  /** `owner/name` as GitHub spells it (the claims carry GitHub's spelling, and CEL compares exactly). */
  repository: string;
  /** GitHub's numeric id of the repository (`gh api repos/OWNER/NAME --jq .id`). */
  repositoryId: string;
  /** GitHub's numeric id of its owner, user or organization (`gh api repos/OWNER/NAME --jq .owner.id`). */
  repositoryOwnerId: string;
  /** The GitHub environments deploy.yml's jobs name (one per stack: `environment: name: ${{ matrix.stack }}`). */
  deployEnvironments: readonly string[];
  /** File name of the deploy workflow under .github/workflows. @default deploy.yml */
  deployWorkflow?: string;
  /** File name of the pull-request workflow under .github/workflows. @default pull-request.yml */
  previewWorkflow?: string;
}

/** A CEL string literal (JSON's escapes `\"`, `\\`, `\n`, `\uXXXX` are CEL escapes too). */
const celString = (value: string): string => JSON.stringify(value);

/** The CEL predicates over `assertion.*` that the condition and the mapping share. */
function predicates(args: GithubIdentityArgs) {
  validateArgs(args);
  const { repository, repositoryId, repositoryOwnerId, deployEnvironments } = args;
  const workflowPath = (file: string) => `${repository}/.github/workflows/${file}@`;
  // Only jobs defined in the workflow itself: a reusable workflow's job carries the called workflow here.
  const ownJob = "(!has(assertion.job_workflow_ref) || assertion.job_workflow_ref == assertion.workflow_ref)";
  const deploy = [
    'assertion.event_name == "push"',
    `assertion.ref == ${celString(`refs/heads/${DEPLOY_BRANCH}`)}`,
    `assertion.workflow_ref == ${celString(`${workflowPath(args.deployWorkflow ?? "deploy.yml")}refs/heads/${DEPLOY_BRANCH}`)}`,
    ownJob,
    // Jobs without an environment have no `environment` claim: reading it would be an evaluation error.
    `has(assertion.environment) && assertion.environment in [${deployEnvironments.map(celString).join(", ")}]`,
  ].join(" && ");
  const preview = [
    // Not pull_request_target: it runs with the base repository's privileges for a head that may be a fork's.
    'assertion.event_name == "pull_request"',
    `assertion.workflow_ref.startsWith(${celString(workflowPath(args.previewWorkflow ?? "pull-request.yml"))})`,
    ownJob,
  ].join(" && ");
  const pinned = `assertion.repository_id == ${celString(repositoryId)} && assertion.repository_owner_id == ${celString(repositoryOwnerId)}`;
  return { pinned, deploy, preview };
}

/**
 * The provider's attribute condition: Google exchanges a token only when it evaluates to true (an evaluation error,
 * such as a missing claim, refuses it too). The repository is pinned by its ids; then the token must be a deploy token
 * or a preview token (see the module comment for what each refuses).
 *
 * @throws Error when an argument is malformed or the condition exceeds Google's limit.
 */
export function githubAttributeCondition(args: GithubIdentityArgs): string {
  const { pinned, deploy, preview } = predicates(args);
  const condition = `${pinned} && ((${deploy}) || (${preview}))`;
  const [problem] = attributeConditionProblems(condition);
  if (problem) throw new Error(`The Workload Identity attribute condition for ${args.repository} ${problem}`);
  return condition;
}

/**
 * The provider's attribute mapping: `google.subject` is the token's `sub`, a few claims for audit logs and bindings,
 * and `attribute.pulsura_identity`, "deployer" for deploy tokens and "previewer" for preview tokens ("none" for any
 * other token, which the condition refuses anyway), so a binding names one identity with {@link identityPrincipalSet}.
 *
 * @throws Error when an argument is malformed, the mapping exceeds Google's limits, or the `sub` of this repository's
 *   tokens could exceed 127 bytes.
 */
export function githubAttributeMapping(args: GithubIdentityArgs): Record<string, string> {
  const { deploy, preview } = predicates(args);
  const mapping: Record<string, string> = {
    "google.subject": "assertion.sub",
    "attribute.actor": "assertion.actor",
    "attribute.repository": "assertion.repository",
    "attribute.repository_id": "assertion.repository_id",
    "attribute.repository_owner": "assertion.repository_owner",
    "attribute.repository_owner_id": "assertion.repository_owner_id",
    "attribute.ref": "assertion.ref",
    [`attribute.${IDENTITY_ATTRIBUTE}`]: `(${deploy}) ? "deployer" : (${preview}) ? "previewer" : "none"`,
  };
  const problems = [...attributeMappingProblems(mapping), ...subjectProblems(args)];
  if (problems.length > 0) throw new Error(`The Workload Identity attribute mapping for ${args.repository}: ${problems.join("; ")}`);
  return mapping;
}

/**
 * The principal set of one pulsura identity of a pool, for a `roles/iam.workloadIdentityUser` binding:
 * `principalSet://iam.googleapis.com/<pool name>/attribute.pulsura_identity/<identity>` (format:
 * https://cloud.google.com/iam/docs/principal-identifiers). `poolName` is the pool's resource name
 * (`projects/<number>/locations/global/workloadIdentityPools/<id>`): with Pulumi, `pool.name.apply((name) => …)`.
 */
export function identityPrincipalSet(poolName: string, identity: PulsuraIdentity): string {
  if (!/^projects\/[^/]+\/locations\/[^/]+\/workloadIdentityPools\/[^/]+$/.test(poolName)) {
    throw new Error(`identityPrincipalSet: got pool name ${JSON.stringify(poolName)}, expected projects/<number>/locations/global/workloadIdentityPools/<id>`);
  }
  return `principalSet://iam.googleapis.com/${poolName}/attribute.${IDENTITY_ATTRIBUTE}/${identity}`;
}

/** Problems of a condition against Google's limit; [] when it complies. Shared with the fidelity rules. */
export function attributeConditionProblems(condition: string): string[] {
  const max = WORKLOAD_IDENTITY_LIMITS.conditionCharacters;
  return condition.length > max ? [`is ${condition.length} characters; Google accepts at most ${max} (attributeCondition, ${PROVIDER_REFERENCE})`] : [];
}

/** Problems of a mapping against Google's limits; [] when it complies. Shared with the fidelity rules. */
export function attributeMappingProblems(mapping: Readonly<Record<string, string>>): string[] {
  const limits = WORKLOAD_IDENTITY_LIMITS;
  const problems: string[] = [];
  // "For OIDC providers, you must supply a custom mapping that includes the google.subject attribute."
  if (!("google.subject" in mapping)) problems.push(`has no google.subject; an OIDC provider's mapping must include it (attributeMapping, ${PROVIDER_REFERENCE})`);
  const custom = Object.keys(mapping).filter((key) => key.startsWith("attribute."));
  if (custom.length > limits.customAttributes) problems.push(`has ${custom.length} custom attributes; Google accepts at most ${limits.customAttributes} (attributeMapping, ${PROVIDER_REFERENCE})`);
  for (const key of Object.keys(mapping)) {
    const name = key.startsWith("attribute.") ? key.slice("attribute.".length) : undefined;
    if (name !== undefined && !limits.customAttributeName.test(name)) {
      problems.push(`has custom attribute ${JSON.stringify(key)}; a name is 1-100 characters of [a-z0-9_] (attributeMapping, ${PROVIDER_REFERENCE})`);
    } else if (name === undefined && !key.startsWith("google.")) {
      problems.push(`has key ${JSON.stringify(key)}; keys are google.<attribute> or attribute.<name> (attributeMapping, ${PROVIDER_REFERENCE})`);
    }
    const expression = mapping[key]!;
    if (expression.length > limits.mappingExpressionCharacters) {
      problems.push(`maps ${key} with a ${expression.length}-character expression; Google accepts at most ${limits.mappingExpressionCharacters} (attributeMapping, ${PROVIDER_REFERENCE})`);
    }
  }
  return problems;
}

/**
 * google.subject is the token's `sub`, which Google refuses past 127 bytes at the exchange. For this repository's
 * tokens `sub` is `repo:<owner>/<name>:environment:<environment>` (deploy jobs name an environment) or
 * `repo:<owner>/<name>:pull_request` (preview jobs name none), or, with GitHub's immutable subject format (repositories
 * created or transferred after July 15, 2026, or opted in), `repo:<owner>@<owner id>/<name>@<repository id>:…`.
 * Either form must fit, since a repository can be switched to the immutable one (GitHub's "Immutable subject claims").
 */
function subjectProblems(args: GithubIdentityArgs): string[] {
  const [owner, name] = args.repository.split("/") as [string, string];
  const suffixes = [...args.deployEnvironments.map((environment) => `environment:${environment.replace(/:/g, "%3A")}`), "pull_request"];
  const repos = [`${owner}/${name}`, `${owner}@${args.repositoryOwnerId}/${name}@${args.repositoryId}`];
  const subjects = repos.flatMap((repo) => suffixes.map((suffix) => `repo:${repo}:${suffix}`));
  const longest = subjects.reduce((a, b) => (Buffer.byteLength(b) > Buffer.byteLength(a) ? b : a));
  const bytes = Buffer.byteLength(longest);
  const max = WORKLOAD_IDENTITY_LIMITS.subjectBytes;
  return bytes > max
    ? [`google.subject would be ${JSON.stringify(longest)} (${bytes} bytes); Google accepts at most ${max} (attributeMapping google.subject, ${PROVIDER_REFERENCE}): use shorter environment names or a shorter repository name`]
    : [];
}

function validateArgs(args: GithubIdentityArgs): void {
  const problems: string[] = [];
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/.test(args.repository)) problems.push(`repository: got ${JSON.stringify(args.repository)}, expected owner/name as on GitHub`);
  if (!/^[1-9]\d*$/.test(args.repositoryId)) problems.push(`repositoryId: got ${JSON.stringify(args.repositoryId)}, expected GitHub's numeric repository id`);
  if (!/^[1-9]\d*$/.test(args.repositoryOwnerId)) problems.push(`repositoryOwnerId: got ${JSON.stringify(args.repositoryOwnerId)}, expected GitHub's numeric owner id`);
  if (args.deployEnvironments.length === 0) problems.push("deployEnvironments: got none, expected the GitHub environments deploy.yml deploys through (one per stack)");
  // GitHub: an environment name may not exceed 255 characters; a workflow file is a .yml/.yaml under .github/workflows.
  for (const environment of args.deployEnvironments) {
    if (environment.length === 0 || environment.length > 255) problems.push(`deployEnvironments: got ${JSON.stringify(environment)}, expected a GitHub environment name of 1-255 characters`);
  }
  for (const [key, file] of [["deployWorkflow", args.deployWorkflow], ["previewWorkflow", args.previewWorkflow]] as const) {
    if (file !== undefined && !/^[A-Za-z0-9._-]+\.ya?ml$/.test(file)) problems.push(`${key}: got ${JSON.stringify(file)}, expected a file name under .github/workflows such as deploy.yml`);
  }
  if (problems.length > 0) throw new Error(`Workload Identity for GitHub: ${problems.join("; ")}`);
}
