import * as gcp from "@pulumi/gcp";
import { validateResourceOfType } from "@pulumi/policy";
import type { PulsuraPolicy } from ".";

const ANYWHERE = ["0.0.0.0/0", "::/0"];

export const networkPolicies: PulsuraPolicy[] = [
  {
    name: "vpc-custom-mode",
    description: "VPCs are custom-mode: no auto-created subnet in every region (CIS 3.1/3.2 spirit, Checkov CKV_GCP_76 family).",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(gcp.compute.Network, (network, _args, reportViolation) => {
      if (network.autoCreateSubnetworks !== false) reportViolation("autoCreateSubnetworks must be false");
    }),
  },
  {
    name: "subnet-flow-logs",
    description: "Every subnet records VPC flow logs with all metadata (CIS 3.8).",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(gcp.compute.Subnetwork, (subnet, _args, reportViolation) => {
      const log = subnet.logConfig as { metadata?: string } | undefined;
      if (!log) reportViolation("logConfig must enable flow logs");
      else if (log.metadata === "EXCLUDE_ALL_METADATA") reportViolation("flow logs must include metadata");
    }),
  },
  {
    name: "subnet-private-google-access",
    description: "Every subnet has Private Google Access, so workloads without public IPs reach Google APIs.",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(gcp.compute.Subnetwork, (subnet, _args, reportViolation) => {
      if (subnet.privateIpGoogleAccess !== true) reportViolation("privateIpGoogleAccess must be true");
    }),
  },
  {
    name: "firewall-no-ingress-from-anywhere",
    description: "No firewall rule allows ingress from 0.0.0.0/0 or ::/0 (CIS 3.6, 3.7 and beyond: any port).",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(gcp.compute.Firewall, (rule, _args, reportViolation) => {
      const ingress = (rule.direction ?? "INGRESS") === "INGRESS";
      const allows = (rule.allows ?? []).length > 0;
      const fromAnywhere = ((rule.sourceRanges ?? []) as string[]).some((range) => ANYWHERE.includes(range));
      if (ingress && allows && fromAnywhere && rule.disabled !== true) reportViolation("an ingress rule must not allow traffic from 0.0.0.0/0 or ::/0");
    }),
  },
  {
    name: "firewall-logging",
    description: "Firewall rules log their hits, so probes and allowed flows are visible (Checkov CKV_GCP_98 family).",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(gcp.compute.Firewall, (rule, _args, reportViolation) => {
      if (!rule.logConfig) reportViolation("logConfig must be set");
    }),
  },
  {
    name: "nat-logging",
    description: "Cloud NAT logs at least its errors.",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(gcp.compute.RouterNat, (nat, _args, reportViolation) => {
      if ((nat.logConfig as { enable?: boolean } | undefined)?.enable !== true) reportViolation("logConfig.enable must be true");
    }),
  },
];
