/**
 * The network model: one vendor-independent description of a network's configuration,
 * as plain data (JSON-serialisable, no AWS API shapes). It is built from vpcsim's state
 * (services/ec2/snapshot.ts) or, later, from a real account's exported configuration,
 * then compiled (compile.ts) and questioned (trace.ts).
 *
 * Addresses and blocks are strings ("10.0.1.5", "10.0.0.0/16"); the compiler parses them.
 * IDs are the resources' own IDs, unique across accounts and regions.
 */

export interface NetworkModel {
  vpcs: VpcModel[];
  subnets: SubnetModel[];
  routeTables: RouteTableModel[];
  networkAcls: NetworkAclModel[];
  securityGroups: SecurityGroupModel[];
  interfaces: InterfaceModel[];
  instances: InstanceModel[];
  internetGateways: InternetGatewayModel[];
  egressOnlyInternetGateways: EgressOnlyInternetGatewayModel[];
  natGateways: NatGatewayModel[];
  peeringConnections: PeeringConnectionModel[];
  vpcEndpoints: VpcEndpointModel[];
  vpnGateways: VpnGatewayModel[];
  vpnConnections: VpnConnectionModel[];
  /** AWS service address ranges (the AWS-managed prefix lists), per region. */
  awsServices: AwsServiceModel[];
}

export interface VpcModel {
  id: string;
  account: string;
  region: string;
  /** Associated IPv4 blocks, primary first. */
  cidrs: string[];
  ipv6Cidrs: string[];
}

export interface SubnetModel {
  id: string;
  vpcId: string;
  cidr: string;
  ipv6Cidr?: string;
  availabilityZone: string;
  /** The subnet's explicit route table association, else its VPC's main table. */
  routeTableId?: string;
  /** Every subnet has exactly one network ACL. */
  networkAclId?: string;
}

export type RouteTargetKind =
  | 'local'
  | 'igw'
  | 'eigw'
  | 'nat'
  | 'eni'
  | 'instance'
  | 'pcx'
  | 'vgw'
  | 'vpce'
  | 'tgw'
  | 'other';

export interface RouteTargetModel {
  kind: RouteTargetKind;
  /** The target's ID ("local" for local routes). */
  id: string;
  /** For an instance target: the interface the route resolves to, when known. */
  interfaceId?: string;
}

export interface RouteModel {
  /** IPv4 or IPv6 destination block; absent for prefix-list routes. */
  destination?: string;
  /** A prefix-list destination and the blocks it holds now. */
  prefixListId?: string;
  prefixListCidrs?: string[];
  target: RouteTargetModel;
  state: 'active' | 'blackhole';
  /** How the route came to be: CreateRouteTable (local), CreateRoute, EnableVgwRoutePropagation. */
  origin?: string;
}

export interface RouteTableModel {
  id: string;
  vpcId: string;
  main: boolean;
  routes: RouteModel[];
  /** Gateways (IGW, VGW) whose inbound traffic this table routes (edge association). */
  gatewayIds: string[];
}

export interface AclEntryModel {
  ruleNumber: number;
  action: 'allow' | 'deny';
  /** "-1" (all) or an IP protocol number as a string ("6", "17", "1", ...). */
  protocol: string;
  cidr?: string;
  ipv6Cidr?: string;
  /** TCP/UDP port range (inclusive); absent = all ports. */
  fromPort?: number;
  toPort?: number;
  /** ICMP type and code; -1 = any. */
  icmpType?: number;
  icmpCode?: number;
}

export interface NetworkAclModel {
  id: string;
  vpcId: string;
  isDefault: boolean;
  /** Sorted by rule number (lowest first), including the final `*` deny rules. */
  ingress: AclEntryModel[];
  egress: AclEntryModel[];
}

export interface SecurityGroupRuleModel {
  id: string;
  /** "-1", "tcp", "udp", "icmp", "icmpv6" or a protocol number. */
  protocol: string;
  /** TCP/UDP: port range; ICMP: fromPort = type, toPort = code; -1 = all. */
  fromPort: number;
  toPort: number;
  cidr?: string;
  ipv6Cidr?: string;
  prefixListId?: string;
  prefixListCidrs?: string[];
  /** A referenced security group (its members' private addresses), possibly in a peered VPC. */
  groupId?: string;
  groupAccount?: string;
  groupVpcId?: string;
  description?: string;
}

export interface SecurityGroupModel {
  id: string;
  name: string;
  vpcId: string;
  account: string;
  region: string;
  ingress: SecurityGroupRuleModel[];
  egress: SecurityGroupRuleModel[];
}

export interface InterfaceModel {
  id: string;
  account: string;
  region: string;
  vpcId: string;
  subnetId: string;
  availabilityZone?: string;
  /** Primary private IPv4 address first. */
  privateIps: string[];
  /** Private IPv4 → public IPv4 (Elastic IP or auto-assigned). */
  publicIps: Record<string, string>;
  ipv6Addresses: string[];
  groupIds: string[];
  sourceDestCheck: boolean;
  /** interface | nat_gateway | vpc_endpoint | efa | trunk | ... */
  type: string;
  /** attached (in use) or not; an unattached interface carries no traffic. */
  attached: boolean;
  instanceId?: string;
  /** The NAT gateway or VPC endpoint that owns this interface. */
  natGatewayId?: string;
  vpcEndpointId?: string;
  description?: string;
}

export interface InstanceModel {
  id: string;
  account: string;
  region: string;
  /** pending | running | stopping | stopped | shutting-down | terminated */
  state: string;
  vpcId?: string;
  subnetId?: string;
  /** Attached interfaces, primary (device index 0) first. */
  interfaceIds: string[];
}

export interface InternetGatewayModel {
  id: string;
  account: string;
  region: string;
  /** The VPC it is attached to (attachment available), if any. */
  vpcId?: string;
}

export interface EgressOnlyInternetGatewayModel {
  id: string;
  vpcId?: string;
}

export interface NatGatewayModel {
  id: string;
  vpcId: string;
  subnetId: string;
  connectivity: 'public' | 'private';
  /** pending | available | failed | deleting | deleted */
  state: string;
  interfaceId?: string;
  /** Primary private address and its Elastic IP (public NAT gateways). */
  privateIp?: string;
  publicIp?: string;
}

export interface PeeringEndModel {
  account: string;
  region: string;
  vpcId: string;
  /** The VPC's IPv4 blocks now (or as last seen). */
  cidrs: string[];
  ipv6Cidrs: string[];
}

export interface PeeringConnectionModel {
  id: string;
  /** pending-acceptance | active | rejected | failed | expired | deleted | ... */
  status: string;
  requester: PeeringEndModel;
  accepter: PeeringEndModel;
}

export interface VpcEndpointModel {
  id: string;
  vpcId: string;
  type: 'Gateway' | 'Interface' | 'GatewayLoadBalancer' | string;
  serviceName: string;
  /** available | pending | deleted | ... */
  state: string;
  routeTableIds: string[];
  /** Gateway endpoints: the service's prefix list. */
  prefixListId?: string;
  prefixListCidrs?: string[];
  /** Interface endpoints: their interfaces. */
  interfaceIds: string[];
}

export interface VpnGatewayModel {
  id: string;
  account: string;
  region: string;
  /** The VPC it is attached to (attachment attached), if any. */
  vpcId?: string;
  state: string;
}

export interface VpnTunnelModel {
  outsideIp: string;
  status: 'UP' | 'DOWN';
}

export interface VpnConnectionModel {
  id: string;
  vpnGatewayId?: string;
  customerGatewayId?: string;
  /** pending | available | deleting | deleted */
  state: string;
  staticRoutesOnly: boolean;
  tunnels: VpnTunnelModel[];
  /** The on-premises prefixes: the connection's available static routes. */
  onPremisesCidrs: string[];
}

export interface AwsServiceModel {
  /** e.g. "s3", "dynamodb" */
  service: string;
  region: string;
  prefixListId: string;
  cidrs: string[];
}

export function emptyModel(): NetworkModel {
  return {
    vpcs: [],
    subnets: [],
    routeTables: [],
    networkAcls: [],
    securityGroups: [],
    interfaces: [],
    instances: [],
    internetGateways: [],
    egressOnlyInternetGateways: [],
    natGateways: [],
    peeringConnections: [],
    vpcEndpoints: [],
    vpnGateways: [],
    vpnConnections: [],
    awsServices: [],
  };
}
