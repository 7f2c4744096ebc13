/**
 * The fixture stacks the infra tests plan beside every Pulumi.<stack>.yaml. Each plan is made the first time a test
 * file of the run asks for it and then shared with the run's other files (test/infra/support/plans.ts), so a test
 * file that needs one stack's plan waits for that one only.
 */

/**
 * Fixture stacks planned with the real ones: `everything` has every optional part on and the longest tenant name;
 * `edge` is prod with its API at its own domain (load balancer, certificate, Cloud Armor enforced).
 */
export const PLANNED_FIXTURES = ["everything", "edge"] as const;

/** Fixtures with a reviewed inventory (test/infra/inventory/fixture-<name>.yaml), beside every stack file's. */
export const INVENTORIED_FIXTURES = ["edge"] as const;
