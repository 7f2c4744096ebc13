import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { PulsuraComponent } from "./component";

export interface LogsArgs {
  projectId: string;
  /**
   * Cloud Run service names of Hasura start with this (`<tenant>-hasura`, which also covers a worker service named
   * `<tenant>-hasura-…`). Only their stdout is touched by the exclusion.
   */
  hasuraServicePrefix: string;
}

/**
 * The terms of the exclusion, one per line: Cloud Logging joins terms on separate lines with an implicit AND
 * (https://cloud.google.com/logging/docs/view/logging-query-language#boolean-expressions). There is no OR and no
 * parenthesis, so an entry is excluded only if it satisfies every term, and a comparison on a field an entry lacks is
 * false: an entry without `http_info.status` is kept. The last four terms are the guard: nothing at level "error" or
 * severity ERROR or higher, no HTTP status 400 or higher and no GraphQL error (Hasura answers those with 200) is ever
 * excluded.
 */
export function hasuraSuccessExclusionTerms(hasuraServicePrefix: string): string[] {
  // Cloud Run service names are lowercase letters, digits and hyphens: nothing a regular expression or a quoted string
  // would read specially, so the prefix goes in as it is.
  if (!/^[a-z][a-z0-9-]*$/.test(hasuraServicePrefix)) {
    throw new Error(`hasuraServicePrefix must be a Cloud Run service name prefix (lowercase letters, digits, -), got ${JSON.stringify(hasuraServicePrefix)}`);
  }
  return [
    `resource.type="cloud_run_revision"`,
    `resource.labels.service_name=~"^${hasuraServicePrefix}"`,
    `log_id("run.googleapis.com/stdout")`,
    // Hasura's own access log (https://hasura.io/docs/2.0/deployment/logging/#http-log-structure: level "error" and an
    // `operation.error` object on failures, a GraphQL error with status 200); Cloud Run's request log
    // (run.googleapis.com/requests) already records every request with its status, latency and trace.
    `jsonPayload.type="http-log"`,
    `jsonPayload.level="info"`,
    `severity<ERROR`,
    `jsonPayload.detail.http_info.status<400`,
    // A success logs `"error": null`, a failure an error object with its `code`: test the code, not the key.
    `NOT jsonPayload.detail.operation.error.code:*`,
  ];
}

/** The exclusion filter: {@link hasuraSuccessExclusionTerms}, one per line. */
export function hasuraSuccessExclusionFilter(hasuraServicePrefix: string): string {
  return hasuraSuccessExclusionTerms(hasuraServicePrefix).join("\n");
}

/**
 * Log hygiene: one log line per request, not two. Cloud Run logs every request (run.googleapis.com/requests); the kit
 * does not log requests (services/kit/src/server.ts disables Fastify's request logging); Hasura writes an `http-log`
 * line for every request, health checks included. Hasura's successful `http-log` lines are excluded from the _Default
 * sink (a project exclusion: https://cloud.google.com/logging/docs/reference/v2/rest/v2/projects.exclusions), while its
 * failed ones (which carry the operation name, the error and `request_id`) and every `webhook-log`, event and startup
 * line stay. Excluded entries are not stored and not charged (https://cloud.google.com/logging/docs/routing/overview).
 */
export class Logs extends PulsuraComponent {
  readonly hasuraSuccessExclusion: gcp.logging.ProjectExclusion;

  constructor(name: string, args: LogsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulsura:logging:Logs", name, opts);
    this.hasuraSuccessExclusion = new gcp.logging.ProjectExclusion(
      `${name}-hasura-http-ok`,
      {
        project: args.projectId,
        name: `${name}-hasura-http-ok`,
        description: "Hasura http-log lines of successful requests: Cloud Run's request log already has them. Errors are kept.",
        filter: hasuraSuccessExclusionFilter(args.hasuraServicePrefix),
        disabled: false,
      },
      this.childOptions(),
    );
    this.registerOutputs({ hasuraSuccessExclusion: this.hasuraSuccessExclusion.name });
  }
}
