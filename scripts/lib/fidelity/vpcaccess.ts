/**
 * Serverless VPC Access connectors.
 */
import { nameOf, patternRule, projectLocationScope, show, uniqueRule, valueAt, type FidelityRule } from "./rule";

const CONNECTOR = "gcp:vpcaccess/connector:Connector";

export const vpcAccessRules: FidelityRule[] = [
  // The API's answer to a longer name, quoted in https://github.com/hashicorp/terraform-provider-google/issues/13915:
  // "Connector ID must follow the pattern ^[a-z][-a-z0-9]{0,23}[a-z0-9]$"; the provider documents "Max 25 characters".
  // The REST reference itself does not state the pattern.
  patternRule({
    id: "vpcaccess/connector-name",
    types: [CONNECTOR],
    field: "name",
    constraint: "2-25 characters matching ^[a-z][-a-z0-9]{0,23}[a-z0-9]$",
    source: "https://cloud.google.com/vpc/docs/reference/vpcaccess/rest/v1/projects.locations.connectors/create",
    pattern: /^[a-z][-a-z0-9]{0,23}[a-z0-9]$/,
    min: 2,
    max: 25,
    read: (r) => nameOf(r),
  }),
  uniqueRule({
    id: "vpcaccess/connector-name-unique",
    types: [CONNECTOR],
    field: "name",
    source: "https://cloud.google.com/vpc/docs/reference/vpcaccess/rest/v1/projects.locations.connectors/create",
    read: (r) => nameOf(r),
    scope: projectLocationScope,
    scopeName: "project and region",
  }),
  // "an unreserved internal /28 IP range" for a connector created with ipCidrRange.
  patternRule({
    id: "vpcaccess/connector-range",
    types: [CONNECTOR],
    field: "ipCidrRange",
    constraint: "an IPv4 /28 range",
    source: "https://cloud.google.com/vpc/docs/configure-serverless-vpc-access#create-connector",
    pattern: /^\d{1,3}(\.\d{1,3}){3}\/28$/,
  }),
  // Scaling: a connector has at least 2 and at most 10 instances. Whether max may equal min is not stated on the page
  // (read from memory of it, not from a stored copy): only min <= max is checked.
  {
    id: "vpcaccess/connector-instances",
    types: [CONNECTOR],
    field: "minInstances",
    constraint: "2 <= minInstances <= maxInstances <= 10",
    source: "https://cloud.google.com/vpc/docs/serverless-vpc-access#scaling",
    check(resource) {
      const min = valueAt(resource.inputs, "minInstances");
      const max = valueAt(resource.inputs, "maxInstances");
      if (typeof min !== "number" || typeof max !== "number") return [];
      return min >= 2 && max <= 10 && min <= max ? [] : [`got minInstances ${show(min)}, maxInstances ${show(max)}`];
    },
  },
];
