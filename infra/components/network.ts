import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { PulsuraComponent } from "./component";

export interface NetworkArgs {
  projectId: string;
  region: string;
  /** Primary range of the regional subnet that Cloud Run's Direct VPC egress uses. @default "10.10.0.0/20" (from config) */
  subnetCidr: string;
  /** Prefix length of the range reserved for private services access (Cloud SQL). @default 20 (from config) */
  privateServicesPrefixLength: number;
  /** Create a Cloud Router with Cloud NAT so workloads whose egress goes through the VPC reach third-party APIs. @default true */
  nat: boolean;
  /** CIDR of a Serverless VPC Access connector, or undefined for none (Cloud Run uses Direct VPC egress). @default undefined */
  connectorCidr?: string;
  /**
   * Leave the private services peering in place on destroy (prod: the database is protected anyway). When false,
   * `pulumi destroy` deletes it. @default dev false, prod true (the database's deletion protection)
   */
  keepPeeringOnDestroy: boolean;
  /** Labels for resources that take them. */
  labels: Record<string, string>;
}

/**
 * The stack's private network: a custom-mode VPC with one regional subnet (Private Google Access, flow logs), a private
 * services access range peered with Google for Cloud SQL, optional Cloud NAT and an optional VPC connector. No firewall
 * rule opens anything; an explicit, logged deny-all ingress rule documents that.
 */
export class Network extends PulsuraComponent {
  readonly network: gcp.compute.Network;
  readonly subnet: gcp.compute.Subnetwork;
  /** The private services access peering; Cloud SQL must wait for it. */
  readonly privateServicesConnection: gcp.servicenetworking.Connection;
  readonly connector?: gcp.vpcaccess.Connector;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulsura:network:Network", name, opts);

    this.network = new gcp.compute.Network(
      `${name}-vpc`,
      {
        project: args.projectId,
        // Custom mode: no subnet in every region, only the one declared below.
        autoCreateSubnetworks: false,
        routingMode: "REGIONAL",
        description: "pulsura private network",
      },
      this.childOptions(),
    );

    this.subnet = new gcp.compute.Subnetwork(
      `${name}-subnet`,
      {
        project: args.projectId,
        region: args.region,
        network: this.network.id,
        ipCidrRange: args.subnetCidr,
        stackType: "IPV4_ONLY",
        // Workloads without public IPs reach Google APIs (Secret Manager, Firebase, internal run.app services).
        privateIpGoogleAccess: true,
        logConfig: { aggregationInterval: "INTERVAL_5_SEC", flowSampling: 0.5, metadata: "INCLUDE_ALL_METADATA" },
      },
      this.childOptions(),
    );

    const privateServicesRange = new gcp.compute.GlobalAddress(
      `${name}-private-services-range`,
      {
        project: args.projectId,
        network: this.network.id,
        purpose: "VPC_PEERING",
        addressType: "INTERNAL",
        prefixLength: args.privateServicesPrefixLength,
        description: "Range for Google-managed services (Cloud SQL) on private IPs",
      },
      this.childOptions(),
    );

    this.privateServicesConnection = new gcp.servicenetworking.Connection(
      `${name}-private-services`,
      {
        network: this.network.id,
        service: "servicenetworking.googleapis.com",
        reservedPeeringRanges: [privateServicesRange.name],
        // ABANDON only forgets the connection: its VPC peering stays and the VPC then cannot be deleted, so a destroy
        // never finishes (https://github.com/hashicorp/terraform-provider-google/issues/16275,
        // https://github.com/GoogleCloudPlatform/magic-modules/pull/18476). DELETE removes the peering; right after the
        // Cloud SQL instance is deleted the API may still refuse ("Producer services ... are still using this
        // connection") until Cloud SQL lets go: run `pulumi destroy` again later (README, "Destroying a stack").
        // Protected stacks keep the peering, as they keep their database.
        deletionPolicy: args.keepPeeringOnDestroy ? "ABANDON" : "DELETE",
      },
      this.childOptions(),
    );

    new gcp.compute.Firewall(
      `${name}-deny-all-ingress`,
      {
        project: args.projectId,
        network: this.network.id,
        direction: "INGRESS",
        priority: 65534,
        denies: [{ protocol: "all" }],
        sourceRanges: ["0.0.0.0/0"],
        description: "Nothing in this VPC accepts connections from outside; logged so probes are visible.",
        logConfig: { metadata: "INCLUDE_ALL_METADATA" },
      },
      this.childOptions(),
    );

    if (args.nat) this.createNat(name, args);
    if (args.connectorCidr) this.connector = this.createConnector(name, args, args.connectorCidr);

    this.registerOutputs({ networkId: this.network.id, subnetId: this.subnet.id });
  }

  private createNat(name: string, args: NetworkArgs): void {
    const router = new gcp.compute.Router(
      `${name}-router`,
      { project: args.projectId, region: args.region, network: this.network.id },
      this.childOptions(),
    );
    new gcp.compute.RouterNat(
      `${name}-nat`,
      {
        project: args.projectId,
        region: args.region,
        router: router.name,
        natIpAllocateOption: "AUTO_ONLY",
        sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
        subnetworks: [{ name: this.subnet.id, sourceIpRangesToNats: ["ALL_IP_RANGES"] }],
        logConfig: { enable: true, filter: "ERRORS_ONLY" },
      },
      this.childOptions(),
    );
  }

  private createConnector(name: string, args: NetworkArgs, cidr: string): gcp.vpcaccess.Connector {
    return new gcp.vpcaccess.Connector(
      `${name}-connector`,
      {
        project: args.projectId,
        region: args.region,
        // Connector names are limited to 25 characters.
        name: `${name}-conn`.slice(0, 25),
        network: this.network.name,
        ipCidrRange: cidr,
        machineType: "e2-micro",
        minInstances: 2,
        maxInstances: 3,
      },
      this.childOptions(),
    );
  }
}
