/**
 * `pulsura:apiDomain` and `pulsura:edge`: off without a domain, defaults per environment, and every problem named by
 * its key.
 */
import { describe, expect, it } from "vitest";
import type { RawConfig } from "../../infra/config";
import { EDGE_DEFAULTS } from "../../infra/config/edge";
import { configProblems, parseWithSecrets, PROD_RAW } from "./support/config";

const withDomain = (apiDomain: unknown, edge?: unknown, environment = "prod"): RawConfig => ({
  ...PROD_RAW,
  "pulsura:environment": environment,
  "pulsura:apiDomain": String(apiDomain),
  ...(edge === undefined ? {} : { "pulsura:edge": JSON.stringify(edge) }),
});
const problemsOf = (raw: RawConfig) => configProblems(() => parseWithSecrets(raw));

describe("pulsura:apiDomain", () => {
  it("is off by default: no edge, the stack as before", () => {
    expect(parseWithSecrets(PROD_RAW).edge).toBeUndefined();
  });

  it("turns the edge on with the environment's defaults: enforced with Adaptive Protection in prod, in preview in dev", () => {
    expect(parseWithSecrets(withDomain("api.example.com")).edge).toEqual({ domain: "api.example.com", ...EDGE_DEFAULTS.prod });
    expect(EDGE_DEFAULTS.prod).toMatchObject({ preview: false, adaptiveProtection: true });
    expect(parseWithSecrets(withDomain("api.example.com", undefined, "dev")).edge).toMatchObject({ preview: true, adaptiveProtection: false });
  });

  it("takes an apex domain as well as a subdomain", () => {
    expect(parseWithSecrets(withDomain("example.com")).edge?.domain).toBe("example.com");
    expect(parseWithSecrets(withDomain("graphql.eu.example.co.uk")).edge?.domain).toBe("graphql.eu.example.co.uk");
  });

  it.each([
    ["https://api.example.com", /no https:\/\//],
    ["api.example.com/v1", /no https:\/\/, port or path/],
    ["*.example.com", /wildcard/],
    ["api.example.com.", /trailing dot/],
    ["API.example.com", /lower case/],
    ["localhost", /at least two labels/],
    ["10.0.0.1", /not an IP address/],
    ["api_.example.com", /DNS host name/],
    ["api.pulsura-hasura-123.europe-west1.run.app", /a domain you own/],
  ])("refuses %s, naming the key and why", (domain, why) => {
    const problems = problemsOf(withDomain(domain));
    expect(problems).toEqual([expect.stringMatching(/^pulsura:apiDomain: got /)]);
    expect(problems[0]).toMatch(why);
  });

  it("refuses a domain that is also a web domain (Hosting and the load balancer cannot share a name)", () => {
    const problems = problemsOf({ ...withDomain("app.example.com"), "pulsura:domains": JSON.stringify(["app.example.com"]) });
    expect(problems).toEqual([expect.stringMatching(/^pulsura:apiDomain: got "app\.example\.com", expected a host name of its own/)]);
  });
});

describe("pulsura:edge", () => {
  it("takes the stack's limits over the defaults", () => {
    const edge = parseWithSecrets(withDomain("api.example.com", { rateLimit: { count: 1200, intervalSec: 60 }, ban: { count: 5000, intervalSec: 600, durationSec: 3600 } })).edge!;
    expect(edge).toMatchObject({ rateLimit: { count: 1200, intervalSec: 60 }, ban: { count: 5000, intervalSec: 600, durationSec: 3600 }, adminRateLimit: EDGE_DEFAULTS.prod.adminRateLimit });
  });

  it("refuses limits Cloud Armor does not take: an interval off its list, more than 10,000 requests, none", () => {
    const problems = problemsOf(withDomain("api.example.com", { rateLimit: { count: 20000, intervalSec: 45 }, adminBan: { count: 0, intervalSec: 60, durationSec: 60 } }));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^pulsura:edge\.rateLimit\.count: got 20000, expected .*10000/),
        expect.stringMatching(/^pulsura:edge\.rateLimit\.intervalSec: .*one of 10, 30, 60/),
        expect.stringMatching(/^pulsura:edge\.adminBan\.count: got 0, expected .*1/),
      ]),
    );
  });

  it("keeps the admin paths' limit the stricter one", () => {
    expect(problemsOf(withDomain("api.example.com", { adminRateLimit: { count: 6000, intervalSec: 60 } }))).toEqual([expect.stringMatching(/^pulsura:edge\.adminRateLimit: got 6000 per 60 s, expected at most the rate of pulsura:edge\.rateLimit/)]);
  });

  it("refuses rules in preview and Adaptive Protection off in prod, and allows both in dev", () => {
    expect(problemsOf(withDomain("api.example.com", { preview: true, adaptiveProtection: false }))).toEqual([
      expect.stringMatching(/^pulsura:edge\.preview: got true, expected false in prod/),
      expect.stringMatching(/^pulsura:edge\.adaptiveProtection: got false, expected true in prod/),
    ]);
    expect(parseWithSecrets(withDomain("api.example.com", { preview: false, adaptiveProtection: true }, "dev")).edge).toMatchObject({ preview: false, adaptiveProtection: true });
  });

  it("refuses edge settings without an API domain", () => {
    expect(problemsOf({ ...PROD_RAW, "pulsura:edge": JSON.stringify({ preview: false }) })).toEqual([expect.stringMatching(/^pulsura:edge: got .*expected pulsura:apiDomain as well/)]);
  });
});
