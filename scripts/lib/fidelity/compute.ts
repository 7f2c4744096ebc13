/**
 * Compute Engine resources (networks, subnets, addresses, firewalls, routers, NATs, and the edge's load balancer and
 * Cloud Armor policy): RFC 1035 names, unique per type. The load balancer's own rules are in ./loadbalancing.ts.
 */
import { nameOf, patternRule, uniqueRule, type FidelityRule, type PlannedResource } from "./rule";

export const COMPUTE_NAMED_TYPES = [
  "gcp:compute/network:Network",
  "gcp:compute/subnetwork:Subnetwork",
  "gcp:compute/globalAddress:GlobalAddress",
  "gcp:compute/firewall:Firewall",
  "gcp:compute/router:Router",
  "gcp:compute/routerNat:RouterNat",
  // The edge (infra/components/edge.ts): every Compute resource name follows the same format.
  "gcp:compute/managedSslCertificate:ManagedSslCertificate",
  "gcp:compute/sSLPolicy:SSLPolicy",
  "gcp:compute/securityPolicy:SecurityPolicy",
  "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup",
  "gcp:compute/backendService:BackendService",
  "gcp:compute/uRLMap:URLMap",
  "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
  "gcp:compute/targetHttpProxy:TargetHttpProxy",
  "gcp:compute/globalForwardingRule:GlobalForwardingRule",
];

// "The name must be 1-63 characters long and match the regular expression [a-z]([-a-z0-9]*[a-z0-9])?" (RFC 1035);
// the provider's verify.ValidateGCEName cites the same page.
const NAMING_SOURCE = "https://cloud.google.com/compute/docs/naming-resources#resource-name-format";

/** Scope of a compute name: networks, global addresses and firewalls are global; subnets and routers regional. */
const computeScope = (r: PlannedResource): string => `${r.type}/${String(r.inputs.project ?? "")}/${String(r.inputs.region ?? "global")}/${String(r.inputs.router ?? "")}`;

export const computeRules: FidelityRule[] = [
  patternRule({
    id: "compute/resource-name",
    types: COMPUTE_NAMED_TYPES,
    field: "name",
    constraint: "1-63 characters matching ^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$ (RFC 1035)",
    source: NAMING_SOURCE,
    pattern: /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/,
    max: 63,
    read: (r) => nameOf(r),
  }),
  uniqueRule({
    id: "compute/resource-name-unique",
    types: COMPUTE_NAMED_TYPES,
    field: "name",
    source: NAMING_SOURCE,
    read: (r) => nameOf(r),
    scope: computeScope,
    scopeName: "project and region (global resources: the project), per resource type",
  }),
];
