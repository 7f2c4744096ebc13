/**
 * The two filter parsers behind the monitoring fidelity rules, on the documented examples of each language and on
 * broken filters.
 */
import { describe, expect, it } from "vitest";
import { LoggingQueryError, parseLoggingQuery } from "../../../scripts/lib/fidelity/logging-query";
import { FilterSyntaxError, metricTypeOf, parseMonitoringFilter } from "../../../scripts/lib/fidelity/monitoring-filter";

describe("the Cloud Monitoring filter parser", () => {
  // https://cloud.google.com/monitoring/api/v3/filters (examples of its "Filter examples" and "Functions" sections).
  const documented = [
    'metric.type = "compute.googleapis.com/instance/cpu/utilization"',
    'metric.type = "compute.googleapis.com/instance/cpu/utilization" AND resource.labels.zone = starts_with("asia")',
    'resource.type = "gce_instance" AND resource.labels.instance_id != "1234567890"',
    'metric.type = starts_with("compute.googleapis.com/") AND NOT resource.labels.zone = ends_with("-a")',
    'resource.labels.zone = one_of("us-central1-a", "us-central1-b") AND metric.labels.instance_name = monitoring.regex.full_match("gke-.*")',
    'project = "my-project" AND metadata.user_labels.env = "prod" AND metadata.system_labels.machine_type = has_substring("n1")',
    'metric.type = "run.googleapis.com/request_count" AND (metric.label.response_code_class = "5xx" OR metric.label.response_code_class = "4xx")',
    'group.id = "2468013579" AND metric.type = "agent.googleapis.com/memory/percent_used" AND metric.labels.state = "used"',
  ];
  it.each(documented)("accepts %s", (filter) => {
    expect(parseMonitoringFilter(filter).length).toBeGreaterThan(0);
  });

  it("finds the one metric type a filter selects", () => {
    expect(metricTypeOf(parseMonitoringFilter(documented[1]!))).toBe("compute.googleapis.com/instance/cpu/utilization");
    expect(metricTypeOf(parseMonitoringFilter('resource.type = "gce_instance"'))).toBeUndefined();
  });

  const broken: Array<[string, RegExp]> = [
    ['resource.type = gce_instance', /expected a quoted string/],
    ['metric.type = compute.googleapis.com/instance/cpu/utilization', /unexpected "\/"/],
    ['metric.type = "a" AND', /expected a selector/],
    ['(metric.type = "a"', /expected "\)"/],
    ['metric.typ = "a"', /unknown selector/],
    ['metric.type == "a"', /expected a quoted string/],
    ['metric.type "a"', /expected an operator/],
    ['metric.type = "a', /unterminated string/],
    ['resource.labels.zone = begins_with("asia")', /unknown function/],
    ['resource.labels.zone = one_of()', /needs an argument/],
    ['metric.type = "a" resource.type = "b"', /unexpected/],
  ];
  it.each(broken)("refuses %s", (filter, message) => {
    expect(() => parseMonitoringFilter(filter)).toThrow(FilterSyntaxError);
    expect(() => parseMonitoringFilter(filter)).toThrow(message);
  });
});

describe("the Logging query language parser", () => {
  // https://cloud.google.com/logging/docs/view/logging-query-language (its examples), and pulsura's own filters.
  const documented = [
    'resource.type = "gce_instance" AND severity >= ERROR',
    'resource.type="k8s_container" resource.labels.namespace_name="default"',
    'severity>=WARNING AND NOT textPayload:"health"',
    'logName = "projects/my-project/logs/cloudaudit.googleapis.com%2Factivity"',
    'jsonPayload.message =~ "regular expression pattern"',
    'jsonPayload.cat:*',
    'timestamp >= "2023-11-29T23:00:00Z" AND timestamp <= "2023-11-29T23:30:00Z"',
    'resource.labels.service_name=("pulsura-hasura" OR "pulsura-hasura-worker") AND jsonPayload.type="event-trigger"',
    'httpRequest.status >= 500 -labels."compute.googleapis.com/resource_name":"test"',
    'log_id("cloudaudit.googleapis.com/activity") AND sample(insertId, 0.25)',
    '"unicorn" AND protoPayload.methodName:"SetIamPolicy"',
    'ip_in_net(jsonPayload.realClientIP, "10.1.2.0/24")',
  ];
  it.each(documented)("accepts %s", (query) => {
    expect(() => parseLoggingQuery(query)).not.toThrow();
  });

  it("reads the comparisons of a query", () => {
    expect(parseLoggingQuery('resource.type="cloud_run_revision" AND jsonPayload.detail.response.type:*')).toEqual([
      { path: "resource.type", operator: "=", value: "cloud_run_revision" },
      { path: "jsonPayload.detail.response.type", operator: ":", value: "*" },
    ]);
  });

  const broken: Array<[string, RegExp]> = [
    ['resource.type == "gce_instance"', /"==" at/],
    ['(resource.type = "gce_instance"', /expected "\)"/],
    ['resource.type = "gce_instance" AND', /expected a term after AND/],
    ['resource.type =', /expected a value/],
    ['jsonPayload.message = "unterminated', /unterminated string/],
    ['jsonPaylod.type = "event-trigger"', /unknown field "jsonPaylod.type"/],
    ['severity >= SEVERE', /unknown severity/],
    ["jsonPayload.message =~ unquoted", /takes a quoted regular expression/],
    ['NOT', /expected a term after NOT/],
  ];
  it.each(broken)("refuses %s", (query, message) => {
    expect(() => parseLoggingQuery(query)).toThrow(LoggingQueryError);
    expect(() => parseLoggingQuery(query)).toThrow(message);
  });
});
