import { resource } from "../support";
import type { PolicyCases } from "./types";

const subnet = (extra: Record<string, unknown> = {}) =>
  resource("gcp:compute/subnetwork:Subnetwork", { ipCidrRange: "10.10.0.0/20", privateIpGoogleAccess: true, logConfig: { metadata: "INCLUDE_ALL_METADATA" }, ...extra });
const firewall = (extra: Record<string, unknown>) => resource("gcp:compute/firewall:Firewall", { network: "vpc", direction: "INGRESS", logConfig: { metadata: "INCLUDE_ALL_METADATA" }, ...extra });

export const networkCases: PolicyCases = {
  "vpc-custom-mode": {
    pass: [resource("gcp:compute/network:Network", { autoCreateSubnetworks: false })],
    fail: [resource("gcp:compute/network:Network", {})],
    message: /autoCreateSubnetworks must be false/,
  },
  "subnet-flow-logs": { pass: [subnet()], fail: [subnet({ logConfig: undefined })], message: /logConfig must enable flow logs/ },
  "subnet-private-google-access": { pass: [subnet()], fail: [subnet({ privateIpGoogleAccess: false })], message: /privateIpGoogleAccess must be true/ },
  "firewall-no-ingress-from-anywhere": {
    pass: [
      firewall({ denies: [{ protocol: "all" }], sourceRanges: ["0.0.0.0/0"] }),
      firewall({ allows: [{ protocol: "tcp", ports: ["5432"] }], sourceRanges: ["10.10.0.0/20"] }),
    ],
    fail: [firewall({ allows: [{ protocol: "tcp", ports: ["22"] }], sourceRanges: ["0.0.0.0/0"] })],
    message: /must not allow traffic from 0.0.0.0\/0/,
  },
  "firewall-logging": {
    pass: [firewall({ denies: [{ protocol: "all" }], sourceRanges: ["0.0.0.0/0"] })],
    fail: [firewall({ denies: [{ protocol: "all" }], sourceRanges: ["0.0.0.0/0"], logConfig: undefined })],
    message: /logConfig must be set/,
  },
  "nat-logging": {
    pass: [resource("gcp:compute/routerNat:RouterNat", { logConfig: { enable: true, filter: "ERRORS_ONLY" } })],
    fail: [resource("gcp:compute/routerNat:RouterNat", {})],
    message: /logConfig.enable must be true/,
  },
};
