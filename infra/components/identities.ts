import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { PulsuraComponent } from "./component";

/** Service account ids: 6-30 characters, `^[a-z]([-a-z0-9]*[a-z0-9])?$` (provider's ValidateRFC1035Name(6, 30)). */
const ACCOUNT_ID_MAX = 30;

/**
 * The account id of a workload: `<name>-<workload>` when that fits in 30 characters. Else the name is cut and a
 * 4-character hash of the whole id goes between name and workload (`<name cut>-<hash>-<workload>`), so ids that share
 * a long prefix (`…-functions`, `…-functions-build`) stay apart and still say whose account it is.
 */
export function serviceAccountId(name: string, workload: string): string {
  const full = `${name}-${workload}`;
  if (full.length <= ACCOUNT_ID_MAX) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 4);
  const room = ACCOUNT_ID_MAX - hash.length - 2;
  // At least 3 characters of the name stay (it starts with the letter an id must start with).
  const workloadPart = workload.slice(0, room - 3);
  const namePart = name.slice(0, room - workloadPart.length).replace(/-+$/, "");
  return `${namePart}-${hash}-${workloadPart}`.replace(/-+$/, "");
}

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
  /** Project role grants per workload, for `dependsOn` of whatever first acts with them. */
  private readonly grants: Record<string, gcp.projects.IAMMember[]> = {};

  constructor(name: string, args: IdentitiesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulsura:iam:Identities", name, opts);
    const accounts: Record<string, gcp.serviceaccount.Account> = {};
    for (const [id, workload] of Object.entries(args.workloads)) {
      const account = new gcp.serviceaccount.Account(
        `${name}-sa-${id}`,
        {
          project: args.projectId,
          accountId: serviceAccountId(name, id),
          displayName: workload.displayName,
          description: `pulsura workload identity: ${id}`,
        },
        this.childOptions(),
      );
      this.grants[id] = (workload.projectRoles ?? []).map(
        (role) =>
          new gcp.projects.IAMMember(
            `${name}-sa-${id}-${role.replace(/^roles\//, "").replace(/\./g, "-")}`,
            { project: args.projectId, role, member: account.member },
            this.childOptions(),
          ),
      );
      accounts[id] = account;
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
  account(id: string): gcp.serviceaccount.Account {
    const account = this.accounts[id];
    if (!account) throw new Error(`no workload identity "${id}"`);
    return account;
  }
}
