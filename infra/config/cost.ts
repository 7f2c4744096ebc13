/**
 * `pulsura:cost`: the usage a stack's cost estimate assumes (`npm run plan -- --stack <name> --cost`), with defaults per
 * environment. Nothing the program deploys reads it: infra/config.ts validates it with the rest of the stack config so a
 * typo is refused by its key, and scripts/lib/cost/ reads it from the stack file. Always-on cost (instances, disks,
 * gateways, policies) comes from the plan's resources; only the usage-driven part depends on these figures, and
 * `--assume <key>=<value>` overrides any of them for one run.
 */
import { z } from "zod";
import type { Environment } from "../config";

const amount = z.number().min(0);

/** What a stack file may say under `pulsura:cost`; every field optional. */
export const costInput = z
  .object({
    /** GraphQL requests per month to the public API (Hasura). */
    apiRequests: amount,
    /** Average billable seconds an instance spends on one request (the estimate bills each request alone: an upper bound). */
    requestSeconds: amount,
    /** Calls from Hasura to a microservice (actions, events, crons) per API request, per service. */
    serviceCallsPerRequest: amount,
    /** New users per month: each runs the blocking function and the user.create trigger once. */
    signUps: amount,
    /** Files uploaded per month: each publishes one Pub/Sub notification. */
    uploads: amount,
    /** GB kept in the files bucket. */
    filesGb: amount,
    /** GB of data in the database: what its backups store. */
    databaseGb: amount,
    /** GB per month the API and services send to the internet (responses). */
    egressGb: amount,
    /** GB per month the load balancer receives (requests), when the stack has one. */
    ingressGb: amount,
    /** GB per month processed by Cloud NAT (calls to third-party APIs and their responses). */
    natGb: amount,
    /** GB of logs per month ingested into log buckets. */
    logsGb: amount,
  })
  .partial()
  .strict();

export type CostAssumptions = Required<z.infer<typeof costInput>>;
export type CostAssumptionKey = keyof CostAssumptions;

/**
 * Usage per environment: a team's dev stack (a few people testing), and a small production app (about 100,000 API
 * requests a day). Change them in the stack file when the real figures are known (Cloud Monitoring shows requests).
 */
export const COST_DEFAULTS: Readonly<Record<Environment, CostAssumptions>> = {
  dev: {
    apiRequests: 100_000,
    requestSeconds: 0.2,
    serviceCallsPerRequest: 0.1,
    signUps: 50,
    uploads: 200,
    filesGb: 1,
    databaseGb: 1,
    egressGb: 1,
    ingressGb: 0.2,
    natGb: 1,
    logsGb: 5,
  },
  prod: {
    apiRequests: 3_000_000,
    requestSeconds: 0.2,
    serviceCallsPerRequest: 0.1,
    signUps: 2_000,
    uploads: 10_000,
    filesGb: 50,
    databaseGb: 10,
    egressGb: 50,
    ingressGb: 5,
    natGb: 10,
    logsGb: 40,
  },
};

/** The assumptions of a stack: its environment's defaults, then the stack file's `pulsura:cost`. */
export function resolveCostAssumptions(environment: Environment, input: z.infer<typeof costInput> | undefined): CostAssumptions {
  return { ...COST_DEFAULTS[environment], ...input };
}
