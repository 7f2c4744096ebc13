/**
 * `pulsura:apiDomain` and `pulsura:edge`: the API's own domain behind a global external Application Load Balancer with
 * Cloud Armor (issue 19), and the limits of its rate-based rules, with their defaults per environment.
 * infra/config.ts reads both with the rest of the stack config (every problem named by its key);
 * infra/components/edge.ts receives the resolved {@link EdgeConfig} through index.ts. Without `apiDomain` there is no
 * edge at all and the stack is what it was before.
 */
import { z } from "zod";
import type { ConfigProblem } from "../config";

/**
 * The intervals Cloud Armor computes a rate limit over: "rateLimitThreshold.intervalSec ... must be one of 10, 30, 60,
 * 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600" (https://cloud.google.com/armor/docs/rate-limiting-overview,
 * "Rate limit thresholds"). pulsura takes the same values for the ban duration, which the API types as any integer.
 */
export const ARMOR_INTERVALS_SEC = [10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600] as const;

/**
 * "Rate-based ban: the minimum value is 1 request and the maximum value is 10,000 requests" for the rule's thresholds
 * (throttle rules go to 1,000,000, but every pulsura rule is a rate-based ban), from
 * https://cloud.google.com/armor/docs/rate-limiting-overview.
 */
export const ARMOR_BAN_RULE_MAX_COUNT = 10_000;

/** Host names that are not the stack's to put behind its own load balancer. */
const FOREIGN_SUFFIXES = [".run.app", ".web.app", ".firebaseapp.com", ".googleapis.com", ".appspot.com", ".cloudfunctions.net"];

/**
 * A lower-case DNS host name: labels of 1-63 letters, digits and dashes (not at either end), at least two labels, a
 * top-level label that is not all digits (so no IPv4 address), at most 253 characters. No scheme, path, port, trailing
 * dot or wildcard: a Google-managed certificate names exact domains only
 * (https://cloud.google.com/load-balancing/docs/ssl-certificates/google-managed-certs: "Google-managed certificates
 * don't support wildcard domains").
 */
export const apiDomainName = z.string().superRefine((value, ctx) => {
  // One message, the first that applies: a URL pasted whole should hear "no https://", not five rules at once.
  const problem = ((): string | undefined => {
    if (value.startsWith("*.")) return "an exact host name: Google-managed certificates do not support wildcard domains (no *.)";
    if (/^[a-z]+:\/\//i.test(value) || value.includes("/") || value.includes(":")) return "a host name only, such as api.example.com (no https://, port or path)";
    if (value.endsWith(".")) return "a host name without the trailing dot of DNS notation";
    if (value !== value.toLowerCase()) return "lower case (DNS names are case-insensitive; the certificate and the outputs use one spelling)";
    const labels = value.split(".");
    if (value.length > 253 || labels.length < 2 || !labels.every((label) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(label)) || /^\d+$/.test(labels[labels.length - 1]!)) {
      return "a DNS host name such as api.example.com (labels of 1-63 letters, digits or dashes, at least two labels, not an IP address)";
    }
    if (FOREIGN_SUFFIXES.some((suffix) => value.endsWith(suffix))) return `a domain you own: not under ${FOREIGN_SUFFIXES.join(", ")} (Google's)`;
    return undefined;
  })();
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

const interval = (what: string) =>
  z.number().refine((value) => (ARMOR_INTERVALS_SEC as readonly number[]).includes(value), `${what}: one of ${ARMOR_INTERVALS_SEC.join(", ")} seconds (Cloud Armor's rate limit intervals)`);
const count = (what: string) => z.number().int().min(1, `${what}: at least 1 request`).max(ARMOR_BAN_RULE_MAX_COUNT, `${what}: at most ${ARMOR_BAN_RULE_MAX_COUNT} requests (Cloud Armor's limit for rate-based ban rules)`);

const thresholdInput = z.object({ count: count("count"), intervalSec: interval("intervalSec") }).strict();
const banInput = z.object({ count: count("count"), intervalSec: interval("intervalSec"), durationSec: interval("durationSec") }).strict();

/** What a stack file may say under `pulsura:edge`; every field optional. */
export const edgeInput = z
  .object({
    /** Requests per client IP above which Cloud Armor answers 429 (all paths). */
    rateLimit: thresholdInput,
    /** Requests over `rateLimit` per client IP after which it is banned (every request 429) for `durationSec`. */
    ban: banInput,
    /** The same two for Hasura's admin-secret paths (/v1/metadata, /v2/query, /v1/query): stricter, they are where a secret is guessed. */
    adminRateLimit: thresholdInput,
    adminBan: banInput,
    /** Log what the Armor rules would do without doing it (refused in prod). */
    preview: z.boolean(),
    /** Cloud Armor Adaptive Protection (layer 7 DDoS detection); required in prod. */
    adaptiveProtection: z.boolean(),
  })
  .partial()
  .strict();

export type EdgeInput = z.infer<typeof edgeInput>;

export interface ArmorThreshold {
  count: number;
  intervalSec: number;
}
export interface ArmorBan extends ArmorThreshold {
  durationSec: number;
}

/** The resolved edge of a stack: its domain and its Cloud Armor settings. */
export interface EdgeConfig {
  /** The API's host name (`pulsura:apiDomain`), e.g. api.example.com. */
  domain: string;
  rateLimit: ArmorThreshold;
  ban: ArmorBan;
  adminRateLimit: ArmorThreshold;
  adminBan: ArmorBan;
  preview: boolean;
  adaptiveProtection: boolean;
}

const SHARED_EDGE_DEFAULTS = {
  // 10 requests a second per client IP, sustained over a minute: an app's screens make a few GraphQL calls each, and
  // an office or mobile carrier NAT puts many users behind one address.
  rateLimit: { count: 600, intervalSec: 60 },
  // Far above the limit for five minutes is a flood, not a busy screen: ten minutes' ban.
  ban: { count: 3000, intervalSec: 300, durationSec: 600 },
  // A deploy applies migrations, seeds and metadata in a few dozen admin calls; 120 a minute leaves it room and makes
  // guessing the admin secret slow. A guesser far above it is banned for half an hour.
  adminRateLimit: { count: 120, intervalSec: 60 },
  adminBan: { count: 600, intervalSec: 600, durationSec: 1800 },
};

/** Defaults per environment: dev watches the rules in preview; prod enforces them with Adaptive Protection on. */
export const EDGE_DEFAULTS: Record<"dev" | "prod", Omit<EdgeConfig, "domain">> = {
  dev: { ...SHARED_EDGE_DEFAULTS, preview: true, adaptiveProtection: false },
  prod: { ...SHARED_EDGE_DEFAULTS, preview: false, adaptiveProtection: true },
};

/** The edge of a stack, or undefined without `pulsura:apiDomain` (no load balancer at all). */
export function resolveEdge(environment: "dev" | "prod", domain: string | undefined, input: EdgeInput = {}): EdgeConfig | undefined {
  if (domain === undefined) return undefined;
  return { domain, ...EDGE_DEFAULTS[environment], ...input };
}

const perSecond = (threshold: ArmorThreshold) => threshold.count / threshold.intervalSec;

/** Rules across fields and environments that the schema cannot say, each problem named by its key. */
export function edgeProblems(environment: "dev" | "prod" | undefined, domain: string | undefined, webDomains: readonly string[], input: EdgeInput = {}): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (domain === undefined) {
    if (Object.keys(input).length > 0) problems.push({ key: "pulsura:edge", got: JSON.stringify(input), expected: "pulsura:apiDomain as well: the edge's settings apply to the load balancer of the API domain" });
    return problems;
  }
  if (webDomains.includes(domain)) {
    problems.push({
      key: "pulsura:apiDomain",
      got: JSON.stringify(domain),
      expected: "a host name of its own, not one of pulsura:domains: those are the web app's (Firebase Hosting and CORS origins); one name cannot point at both Hosting and the load balancer",
    });
  }
  if (environment === undefined) return problems;
  const settings = { ...EDGE_DEFAULTS[environment], ...input };
  if (perSecond(settings.adminRateLimit) > perSecond(settings.rateLimit)) {
    problems.push({
      key: "pulsura:edge.adminRateLimit",
      got: `${settings.adminRateLimit.count} per ${settings.adminRateLimit.intervalSec} s`,
      expected: `at most the rate of pulsura:edge.rateLimit (${settings.rateLimit.count} per ${settings.rateLimit.intervalSec} s): the admin paths are the stricter rule`,
    });
  }
  if (environment === "prod") {
    if (input.preview === true) problems.push({ key: "pulsura:edge.preview", got: "true", expected: "false in prod: rules in preview only log, they protect nothing" });
    if (input.adaptiveProtection === false) problems.push({ key: "pulsura:edge.adaptiveProtection", got: "false", expected: "true in prod: Adaptive Protection is what detects a layer 7 flood spread over many IPs" });
  }
  return problems;
}
