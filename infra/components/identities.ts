import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { WorkloadAccount } from "../workloads";
import { PulsuraComponent } from "./component";

export { serviceAccountId } from "../workloads";

export interface IdentitiesArgs {
  projectId: string;
  /** The stack's workload accounts (`stackWorkloadAccounts`, infra/workloads.ts): created by the bootstrap. */
  accounts: readonly WorkloadAccount[];
}

/**
 * The workload's account as Google returns it (the `getAccount` data source); rejects, naming the account and the fix,
 * when it cannot be read (it does not exist yet).
 */
export function readWorkloadAccount(workload: Pick<WorkloadAccount, "id" | "email">, projectId: string, opts?: pulumi.InvokeOptions): Promise<gcp.serviceaccount.GetAccountResult> {
  return gcp.serviceaccount.getAccount({ accountId: workload.email, project: projectId }, opts).catch((error: unknown) => {
    const reason = error instanceof Error && error.message ? error.message : String(error);
    throw new Error(
      `the service account ${workload.email} of workload "${workload.id}" cannot be read (${reason}): an administrator creates every stack's workload accounts with the bootstrap (pulumi up in infra/bootstrap, docs/bootstrap.md) before the first deploy that uses them`,
    );
  });
}

/** A workload's account as the program uses it: it runs workloads as it and grants to it, never creates it. */
export interface WorkloadIdentity {
  email: pulumi.Output<string>;
  member: pulumi.Output<string>;
}

/**
 * The workloads' service accounts, one per workload, and their project roles: the fewest that work. The accounts
 * themselves are created by the bootstrap (infra/bootstrap/index.ts), which also lets this stack's deployer act as
 * each of them and as nothing else; the deployer cannot create, change or impersonate accounts. No keys are ever
 * created: Cloud Run and Cloud Functions run as these accounts directly. Nothing runs as, or grants to, the default
 * compute account.
 */
export class Identities extends PulsuraComponent {
  readonly accounts: Readonly<Record<string, WorkloadIdentity>>;
  /** Project role grants per workload, for `dependsOn` of whatever first acts with them. */
  private readonly grants: Record<string, gcp.projects.IAMMember[]> = {};

  constructor(name: string, args: IdentitiesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulsura:iam:Identities", name, opts);
    const accounts: Record<string, WorkloadIdentity> = {};
    for (const workload of args.accounts) {
      // Read, not assumed: `pulumi preview` (as the previewer) and `pulumi up` stop here, with the fix, when the bootstrap
      // has not created the account yet (a new service or tenant since its last run), instead of failing later at Cloud Run.
      const found = readWorkloadAccount(workload, args.projectId, { parent: this });
      const email = pulumi.output(found.then((account) => account.email));
      const member = pulumi.interpolate`serviceAccount:${email}`;
      this.grants[workload.id] = workload.projectRoles.map(
        (role) =>
          new gcp.projects.IAMMember(
            `${name}-sa-${workload.id}-${role.replace(/^roles\//, "").replace(/\./g, "-")}`,
            { project: args.projectId, role, member },
            this.childOptions(),
          ),
      );
      accounts[workload.id] = { email, member };
    }
    this.accounts = accounts;
    this.registerOutputs({ emails: Object.fromEntries(Object.entries(accounts).map(([id, a]) => [id, a.email])) });
  }

  /** The project role grants of a workload (empty when it has none); fails loudly for an unknown id. */
  projectGrants(id: string): gcp.projects.IAMMember[] {
    this.account(id);
    return this.grants[id] ?? [];
  }

  /** The account of a workload; fails loudly for an unknown id. */
  account(id: string): WorkloadIdentity {
    const account = this.accounts[id];
    if (!account) throw new Error(`no workload identity "${id}"`);
    return account;
  }
}
