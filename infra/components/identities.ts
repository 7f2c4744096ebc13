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

/** A workload's account as the program uses it: it runs workloads as it and grants to it, never creates it. */
export interface WorkloadIdentity {
  email: string;
  member: string;
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
      const member = `serviceAccount:${workload.email}`;
      this.grants[workload.id] = workload.projectRoles.map(
        (role) =>
          new gcp.projects.IAMMember(
            `${name}-sa-${workload.id}-${role.replace(/^roles\//, "").replace(/\./g, "-")}`,
            { project: args.projectId, role, member },
            this.childOptions(),
          ),
      );
      accounts[workload.id] = { email: workload.email, member };
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
