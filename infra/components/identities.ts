import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { PulsuraComponent } from "./component";

export interface WorkloadIdentityArgs {
  /** Shown in the console next to the account. */
  displayName: string;
  /**
   * Project-level roles this workload needs, and nothing more. Secrets are granted per secret by the Secrets
   * component, not here. @default []
   */
  projectRoles?: string[];
}

export interface IdentitiesArgs {
  projectId: string;
  /** One entry per workload, keyed by a short id (`hasura`, `svc-core`, `functions`). */
  workloads: Record<string, WorkloadIdentityArgs>;
}

/**
 * One service account per workload with the fewest roles that work. No keys are ever created: Cloud Run and Cloud
 * Functions run as these accounts directly. Nothing runs as, or grants to, the default compute account.
 */
export class Identities extends PulsuraComponent {
  readonly accounts: Readonly<Record<string, gcp.serviceaccount.Account>>;

  constructor(name: string, args: IdentitiesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulsura:iam:Identities", name, opts);
    const accounts: Record<string, gcp.serviceaccount.Account> = {};
    for (const [id, workload] of Object.entries(args.workloads)) {
      const account = new gcp.serviceaccount.Account(
        `${name}-sa-${id}`,
        {
          project: args.projectId,
          // Account ids are 6-30 characters.
          accountId: `${name}-${id}`.slice(0, 30).replace(/-+$/, ""),
          displayName: workload.displayName,
          description: `pulsura workload identity: ${id}`,
        },
        this.childOptions(),
      );
      for (const role of workload.projectRoles ?? []) {
        new gcp.projects.IAMMember(
          `${name}-sa-${id}-${role.replace(/^roles\//, "").replace(/\./g, "-")}`,
          { project: args.projectId, role, member: account.member },
          this.childOptions(),
        );
      }
      accounts[id] = account;
    }
    this.accounts = accounts;
    this.registerOutputs({ emails: Object.fromEntries(Object.entries(accounts).map(([id, a]) => [id, a.email])) });
  }

  /** The account of a workload; fails loudly for an unknown id. */
  account(id: string): gcp.serviceaccount.Account {
    const account = this.accounts[id];
    if (!account) throw new Error(`no workload identity "${id}"`);
    return account;
  }
}
