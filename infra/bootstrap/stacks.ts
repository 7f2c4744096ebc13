/**
 * The pulsura stacks the bootstrap serves: every `Pulumi.<stack>.yaml` at the repository root, read offline the way
 * `npm run plan` reads them, so the bootstrap creates each stack's workload accounts (infra/workloads.ts) before its
 * first deploy and lets the deployer act as exactly those.
 */
import * as pulumi from "@pulumi/pulumi";
import { listStackFiles, loadStackConfig, projectName, repoRoot } from "../../scripts/lib/stack-files";
import { parseStackConfig } from "../config";
import { stackWorkloadAccounts, type WorkloadAccount } from "../workloads";

export interface DeployStack {
  stack: string;
  project: string;
  accounts: WorkloadAccount[];
}

/**
 * Reads every stack file of the repository. A stack whose `gcp:project` is not a deploy project, or two stacks that
 * would create the same account, stop the bootstrap with a message that says what to change.
 *
 * @throws Error naming the stack file and the fix; a stack file with invalid config throws its StackConfigError.
 */
export function readDeployStacks(deployProjects: readonly string[], root = repoRoot): DeployStack[] {
  const project = projectName(root);
  const stacks = listStackFiles(root).map(({ stack, path }) => {
    const { config } = loadStackConfig(path, project);
    // Secrets are not read (they cannot be decrypted here and no account depends on one).
    const parsed = parseStackConfig(stack, config, (key) => (`pulsura:${key}` in config ? pulumi.secret("unread") : undefined));
    if (!deployProjects.includes(parsed.gcp.project)) {
      throw new Error(
        `stack ${stack} (${path}) deploys into ${parsed.gcp.project}, which is not in pulsura-bootstrap:deployProjects: add it there and run the bootstrap again`,
      );
    }
    return { stack, project: parsed.gcp.project, accounts: stackWorkloadAccounts(parsed) };
  });
  const owners = new Map<string, string>();
  for (const { stack, accounts } of stacks) {
    for (const { email } of accounts) {
      const other = owners.get(email);
      if (other) throw new Error(`stacks ${other} and ${stack} would both use the service account ${email}: give them different pulsura:tenant names or projects`);
      owners.set(email, stack);
    }
  }
  return stacks;
}
