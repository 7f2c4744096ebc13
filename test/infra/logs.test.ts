/**
 * Log hygiene as each stack declares it: the exclusion that keeps Hasura's successful http-log lines from doubling
 * Cloud Run's request log, and the reasoning that it never drops an error.
 */
import { describe, expect, it } from "vitest";
import { hasuraSuccessExclusionFilter, hasuraSuccessExclusionTerms } from "../../infra/components/logs";
import { planOf, plannedStacks, resourcesOfType } from "./support/plans";

const EXCLUSION = "gcp:logging/projectExclusion:ProjectExclusion";
const RUN = "gcp:cloudrunv2/service:Service";

describe.each(plannedStacks())("stack %s", (stack) => {
  const plan = () => planOf(stack);
  const tenant = () => plan().outputs.tenant as string;
  const exclusions = () => resourcesOfType(plan(), EXCLUSION);

  it("excludes Hasura's successful http-log lines from the project's _Default sink, and nothing else", () => {
    expect(exclusions()).toHaveLength(1);
    const [exclusion] = exclusions();
    expect(exclusion!.inputs).toMatchObject({
      project: plan().outputs.gcpProject,
      name: `${tenant()}-hasura-http-ok`,
      filter: hasuraSuccessExclusionFilter(`${tenant()}-hasura`),
      disabled: false,
    });
    expect(exclusion!.parent).toMatch(/pulsura:logging:Logs::/);
  });

  it("aims at the Hasura services the stack runs, and at no microservice", () => {
    const prefix = new RegExp(`^${tenant()}-hasura`);
    const matched = resourcesOfType(plan(), RUN).filter((service) => prefix.test(String(service.inputs.name)));
    expect(matched.length).toBeGreaterThan(0);
    for (const service of matched) {
      const image = (service.inputs.template as { containers: Array<{ image: string; envs: Array<{ name: string; value?: string }> }> }).containers[0]!;
      expect(image.image, String(service.inputs.name)).toMatch(/hasura\/graphql-engine:/);
      // The exclusion has something to do only while Hasura writes http-log lines.
      expect(image.envs.find((env) => env.name === "HASURA_GRAPHQL_ENABLED_LOG_TYPES")?.value?.split(",")).toContain("http-log");
    }
  });
});

describe("the Hasura exclusion filter", () => {
  const terms = hasuraSuccessExclusionTerms("pulsura-hasura");

  // Terms on separate lines are ANDed (https://cloud.google.com/logging/docs/view/logging-query-language#boolean-expressions).
  // With no OR and no grouping, an entry is excluded only when it satisfies every term; a comparison on a field the
  // entry lacks is false, so such an entry is kept.
  it("is a plain conjunction: one term per line, no OR, no grouping", () => {
    expect(hasuraSuccessExclusionFilter("pulsura-hasura").split("\n")).toEqual(terms);
    for (const term of terms) {
      expect(term).not.toMatch(/\bOR\b|\|/);
      expect(term.replace(/^log_id\("[^"]*"\)$/, "")).not.toMatch(/[()]/);
      expect(term).not.toMatch(/\bAND\b/);
    }
  });

  it("never drops an error: severity ERROR or higher, HTTP 400 or higher, or a GraphQL error (Hasura answers those with 200)", () => {
    expect(terms).toContain("severity<ERROR");
    expect(terms).toContain("jsonPayload.detail.http_info.status<400");
    expect(terms).toContain(`jsonPayload.level="info"`);
    expect(terms).toContain("NOT jsonPayload.detail.operation.error.code:*");
  });

  it("touches only Hasura's http-log lines on Cloud Run's stdout: never the request log, webhook-log or event lines", () => {
    expect(terms).toContain(`jsonPayload.type="http-log"`);
    expect(terms).toContain(`log_id("run.googleapis.com/stdout")`);
    expect(terms).toContain(`resource.labels.service_name=~"^pulsura-hasura"`);
  });

  it("refuses a service prefix that a regular expression or a quoted string would read specially", () => {
    expect(() => hasuraSuccessExclusionTerms('x".*')).toThrow(/hasuraServicePrefix/);
    expect(() => hasuraSuccessExclusionTerms("Pulsura-hasura")).toThrow(/lowercase/);
  });
});
