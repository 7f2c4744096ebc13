/**
 * The workload identities of a stack: one service account per workload, and the project roles each needs.
 *
 * Both programs read this list. The bootstrap (infra/bootstrap/index.ts), run by an administrator, creates the
 * accounts and lets the stack's deployer act as each of them and nothing else. The pulsura program (infra/index.ts)
 * grants each account its project roles and runs its workload as it. A workload added here (a new microservice)
 * therefore needs a bootstrap run before the deploy that uses it.
 */
import { createHash } from "node:crypto";
import type { StackConfig } from "./config";
import { serviceHasJobs } from "./config/jobs";

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

/** The email of a user-managed service account (https://cloud.google.com/iam/docs/service-account-overview). */
export function serviceAccountEmail(accountId: string, projectId: string): string {
  return `${accountId}@${projectId}.iam.gserviceaccount.com`;
}

export interface Workload {
  /** Shown in the console next to the account. */
  displayName: string;
  /** Project-level roles this workload needs, and nothing more. Secrets are granted per secret, not here. */
  projectRoles: string[];
  /**
   * The workload signs blobs as its own account through IAM Credentials signBlob (keyless V4 signed URLs), which needs
   * roles/iam.serviceAccountTokenCreator on that account itself (https://cloud.google.com/storage/docs/access-control/signing-urls-with-helpers,
   * https://cloud.google.com/iam/docs/service-account-permissions#token-creator-role). Service-account IAM is the
   * bootstrap's job (the deployer cannot set IAM on accounts): it grants the role on the account to the account, and
   * nowhere else. @default false
   */
  signsAsItself?: boolean;
  /**
   * Workload ids whose accounts this one may act as (roles/iam.serviceAccountUser on each of those accounts only): a
   * service creates Cloud Tasks whose OIDC token is its jobs invoker's, and CreateTask requires iam.serviceAccounts.actAs
   * on that account (https://cloud.google.com/tasks/docs/reference/rest/v2/OidcToken). Service-account IAM, so the
   * bootstrap grants it. @default none
   */
  actsAs?: string[];
}

/** Project roles a microservice needs beyond reading its secrets, by service name. */
const SERVICE_PROJECT_ROLES: Readonly<Record<string, readonly string[]>> = {
  // user_role_changed sets Firebase custom claims and revokes refresh tokens.
  core: ["roles/firebaseauth.admin"],
};

/**
 * The service that owns user files: it signs their URLs as itself (the only account that signs as itself) and confirms
 * uploads (infra/components/storage.ts).
 */
export const FILES_SERVICE = "core";

/** Whether the stack runs the files service, and so has the files bucket, its notifications and the push account. */
export function runsFilesService(config: Pick<StackConfig, "services">): boolean {
  return config.services.some((service) => service.name === FILES_SERVICE);
}

/**
 * Workload id of the identity that Pub/Sub pushes upload notifications as (the OIDC token's account): it may invoke
 * the files service and nothing else.
 */
export const STORAGE_PUSH_WORKLOAD = "storage-push";

/** Workload id of a microservice (its database user is serviceDatabaseUser, infra/database-roles.ts). */
export const serviceWorkload = (service: string) => `svc-${service}`;

/**
 * Workload id of the identity Cloud Tasks calls a service's job routes as (the tasks' OIDC token): run.invoker on that
 * service only, and the service's own account may act as it (to name it in CreateTask), no other.
 */
export const jobsInvokerWorkload = (service: string) => `svc-${service}-tasks`;

/** Every workload of a stack, keyed by a short id (`hasura`, `functions`, `functions-build`, `svc-<service>`, `storage-push`). */
export function stackWorkloads(config: Pick<StackConfig, "services">): Record<string, Workload> {
  const workloads: Record<string, Workload> = {
    hasura: { displayName: "Hasura GraphQL Engine", projectRoles: [] },
    functions: { displayName: "Firebase Auth user-sync functions", projectRoles: [] },
    // Cloud Build runs the functions' builds as this account rather than the default compute account. The roles a
    // custom build account needs: Logs Writer (build logs), Artifact Registry Writer (images) and Storage Object Admin
    // (source and build artifacts in the buckets Cloud Functions manages, gcf-*), per
    // https://cloud.google.com/functions/1stgendocs/securing/build-custom-sa and
    // https://cloud.google.com/run/docs/configuring/services/build-service-account. Object Viewer on the source bucket
    // is granted by AuthFunctions.
    "functions-build": {
      displayName: "Builds of the user-sync functions",
      projectRoles: ["roles/logging.logWriter", "roles/artifactregistry.writer", "roles/storage.objectAdmin"],
    },
  };
  for (const service of config.services) {
    workloads[serviceWorkload(service.name)] = {
      displayName: `Microservice ${service.name}`,
      projectRoles: [...(SERVICE_PROJECT_ROLES[service.name] ?? [])],
      ...(service.name === FILES_SERVICE ? { signsAsItself: true } : {}),
      ...(serviceHasJobs(service.name) ? { actsAs: [jobsInvokerWorkload(service.name)] } : {}),
    };
    if (serviceHasJobs(service.name)) {
      // No project role: run.invoker on its service only (infra/components/microservice.ts).
      workloads[jobsInvokerWorkload(service.name)] = { displayName: `Cloud Tasks invoker of ${service.name}'s jobs`, projectRoles: [] };
    }
  }
  if (runsFilesService(config)) {
    // No project role: run.invoker on the files service only (infra/components/storage.ts).
    workloads[STORAGE_PUSH_WORKLOAD] = { displayName: "Pub/Sub push of upload notifications", projectRoles: [] };
  }
  return workloads;
}

export interface WorkloadAccount extends Workload {
  id: string;
  accountId: string;
  email: string;
}

/** The accounts of a stack's workloads, in its project, with the ids {@link serviceAccountId} gives them. */
export function stackWorkloadAccounts(config: Pick<StackConfig, "services" | "tenant" | "gcp">): WorkloadAccount[] {
  return Object.entries(stackWorkloads(config)).map(([id, workload]) => {
    const accountId = serviceAccountId(config.tenant, id);
    return { id, accountId, email: serviceAccountEmail(accountId, config.gcp.project), ...workload };
  });
}
