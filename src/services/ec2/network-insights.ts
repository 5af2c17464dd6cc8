/**
 * Reachability Analyzer: network insights paths (a source, an optional destination, a
 * protocol and port) and their analyses. An analysis is computed when it starts, from one
 * snapshot of the network (the same engine as POST /_vpcsim/trace): the Start response
 * reports it `running`, every later Describe `succeeded` with the forward and return path
 * components, or the explanations of why no path exists.
 *
 * Where the path is blocked, the analysis looks for further blockers: the blocking
 * component is assumed to let the traffic pass (a security group or network ACL allows it,
 * source/destination check is off, a stopped instance runs, an address without a public
 * IPv4 address has one) and the trace is repeated, so the explanations name every such
 * component on the path. Blockers that cannot be assumed away (no route, a blackhole, a
 * gateway in a bad state) end the search.
 *
 * FilterAtSource and FilterAtDestination scope the packet: port ranges are searched (their
 * ends and the ports the destination's groups open inside them) for a path, and the
 * packet as it arrives must match the filter at the destination.
 *
 * FilterInArns and FilterOutArns are kept and reported but do not steer the path: the
 * engine follows the one path the route tables choose.
 */
import type {
  AnalysisAclRule,
  AnalysisComponent,
  AnalysisPacketHeader,
  AnalysisRouteTableRoute,
  AnalysisSecurityGroupRule,
  CreateNetworkInsightsPathRequest,
  CreateNetworkInsightsPathResult,
  DeleteNetworkInsightsAnalysisRequest,
  DeleteNetworkInsightsAnalysisResult,
  DeleteNetworkInsightsPathRequest,
  DeleteNetworkInsightsPathResult,
  DescribeNetworkInsightsAnalysesRequest,
  DescribeNetworkInsightsAnalysesResult,
  DescribeNetworkInsightsPathsRequest,
  DescribeNetworkInsightsPathsResult,
  Explanation as AwsExplanation,
  NetworkInsightsAnalysis,
  NetworkInsightsPath,
  PathComponent,
  StartNetworkInsightsAnalysisRequest,
  StartNetworkInsightsAnalysisResult,
} from '@aws-sdk/client-ec2';
import { formatAddr } from '../../network/cidr.js';
import { compile, type CompiledNetwork, PROTO_TCP, PROTO_UDP } from '../../network/compile.js';
import type { NetworkModel } from '../../network/model.js';
import { type Assumptions, type Explanation, type Headers, type Hop, noAssumptions, trace, TraceInputError, type TraceRequest, type TraceResult, DEFAULT_INTERNET_IP } from '../../network/trace.js';
import { ApiError } from '../../protocol/errors.js';
import { ScopedState, type Store } from '../../state/store.js';
import type { Handler, RequestContext } from '../context.js';
import { applyFilters } from './filters.js';
import { paginate } from './paginate.js';
import { checkIdShape, kindForId, kindOf, newId, registerKind, requireRecord, selectByIds } from './resources.js';
import { buildNetworkModel } from './snapshot.js';
import { compiledNetwork, copyModel } from './network-cache.js';
import { tagsFromSpecs } from './tags.js';

registerKind({
  kind: 'network-insights-path',
  prefix: 'nip',
  code: 'InvalidNetworkInsightsPathId',
  noun: 'network insights path ID',
  idField: 'NetworkInsightsPathId',
});
registerKind({
  kind: 'network-insights-analysis',
  prefix: 'nia',
  code: 'InvalidNetworkInsightsAnalysisId',
  noun: 'network insights analysis ID',
  idField: 'NetworkInsightsAnalysisId',
});

const PATH = 'network-insights-path';
const ANALYSIS = 'network-insights-analysis';

interface PathRecord extends NetworkInsightsPath {
  NetworkInsightsPathId: string;
}

interface AnalysisRecord extends NetworkInsightsAnalysis {
  NetworkInsightsAnalysisId: string;
  NetworkInsightsPathId: string;
}

// ---------------------------------------------------------------------------------------
// Resources named by ID or ARN
// ---------------------------------------------------------------------------------------

/** ARN resource type of each ID prefix. */
const ARN_TYPES: Record<string, string> = {
  i: 'instance',
  eni: 'network-interface',
  igw: 'internet-gateway',
  vgw: 'vpn-gateway',
  vpce: 'vpc-endpoint',
  pcx: 'vpc-peering-connection',
  sg: 'security-group',
  acl: 'network-acl',
  rtb: 'route-table',
  subnet: 'subnet',
  vpc: 'vpc',
  nat: 'natgateway',
  vpn: 'vpn-connection',
  tgw: 'transit-gateway',
  nip: 'network-insights-path',
  nia: 'network-insights-analysis',
};

/** Kinds a path may start or end at. */
const ENDPOINT_PREFIXES = new Set(['i', 'eni', 'igw', 'vgw', 'vpce', 'pcx', 'tgw']);

function arnOf(ctx: RequestContext, id: string): string {
  const prefix = id.slice(0, id.indexOf('-'));
  return `arn:aws:ec2:${ctx.region}:${ctx.account}:${ARN_TYPES[prefix] ?? prefix}/${id}`;
}

export function idOfArnOrId(value: string): string {
  if (!value.startsWith('arn:')) return value;
  const slash = value.lastIndexOf('/');
  return slash >= 0 ? value.slice(slash + 1) : value;
}

/** Checks that a source or destination exists; answers its ID. */
function requireEndpoint(ctx: RequestContext, value: string, param: string): string {
  const id = idOfArnOrId(value.trim());
  const prefix = id.includes('-') ? id.slice(0, id.indexOf('-')) : '';
  if (!ENDPOINT_PREFIXES.has(prefix)) {
    throw new ApiError('InvalidParameterValue', `The ${param} '${value}' is not a supported resource: give the ID or ARN of an instance, network interface, internet gateway, virtual private gateway, VPC endpoint, VPC peering connection or transit gateway.`);
  }
  if (prefix === 'pcx') {
    const global = new ScopedState(ctx.state.tx, 'global/global');
    if (!global.get('vpc-peering-connection', id) && !ctx.state.get('vpc-peering-connection', id)) {
      throw new ApiError('InvalidVpcPeeringConnectionID.NotFound', `The vpcPeeringConnection ID '${id}' does not exist`);
    }
    return id;
  }
  if (prefix === 'tgw') throw new ApiError('InvalidTransitGatewayID.NotFound', `Transit Gateway ${id} was deleted or does not exist.`);
  const kind = kindForId(id);
  if (!kind) throw new ApiError('InvalidParameterValue', `The ${param} '${value}' is not a supported resource.`);
  requireRecord(ctx.state, kind.kind, id, param);
  return id;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function checkIp(value: string | undefined, param: string): void {
  if (value !== undefined && !IPV4.test(value)) {
    throw new ApiError('InvalidParameterValue', `The ${param} '${value}' is not a valid IPv4 address.`);
  }
}

function checkPort(value: number | undefined, param: string): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > 65535)) {
    throw new ApiError('InvalidParameterValue', `The ${param} '${value}' must be between 0 and 65535.`);
  }
}

function checkRange(r: { FromPort?: number; ToPort?: number } | undefined, param: string): void {
  if (!r) return;
  checkPort(r.FromPort, `${param}.FromPort`);
  checkPort(r.ToPort, `${param}.ToPort`);
  if (r.FromPort !== undefined && r.ToPort !== undefined && r.FromPort > r.ToPort) {
    throw new ApiError('InvalidParameterValue', `The ${param} FromPort ${r.FromPort} is greater than its ToPort ${r.ToPort}.`);
  }
}

// ---------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------

function pathView(p: Readonly<PathRecord>): NetworkInsightsPath {
  return { ...p };
}

export function createNetworkInsightsPath(ctx: RequestContext, input: CreateNetworkInsightsPathRequest): CreateNetworkInsightsPathResult {
  if (!input.Source) throw new ApiError('MissingParameter', 'The request must contain the parameter Source');
  if (!input.Protocol) throw new ApiError('MissingParameter', 'The request must contain the parameter Protocol');
  const protocol = String(input.Protocol).toLowerCase();
  if (protocol !== 'tcp' && protocol !== 'udp') {
    throw new ApiError('InvalidParameterValue', `Value (${input.Protocol}) for parameter Protocol is invalid. Valid values are tcp and udp.`);
  }
  checkIp(input.SourceIp, 'SourceIp');
  checkIp(input.DestinationIp, 'DestinationIp');
  checkPort(input.DestinationPort, 'DestinationPort');
  if (!input.Destination && !input.FilterAtSource?.DestinationAddress) {
    throw new ApiError(
      'MissingParameter',
      'The request must include either the Destination parameter or the FilterAtSource.DestinationAddress parameter. Add the required parameter and retry the request.',
    );
  }
  if (input.FilterAtSource && (input.SourceIp !== undefined || input.DestinationPort !== undefined)) {
    throw new ApiError('InvalidParameterCombination', 'FilterAtSource cannot be specified together with SourceIp or DestinationPort.');
  }
  if (input.FilterAtDestination && input.DestinationIp !== undefined) {
    throw new ApiError('InvalidParameterCombination', 'FilterAtDestination cannot be specified together with DestinationIp.');
  }
  for (const [name, f] of [
    ['FilterAtSource', input.FilterAtSource],
    ['FilterAtDestination', input.FilterAtDestination],
  ] as const) {
    checkIp(f?.DestinationAddress, `${name}.DestinationAddress`);
    checkIp(f?.SourceAddress, `${name}.SourceAddress`);
    checkRange(f?.SourcePortRange, `${name}.SourcePortRange`);
    checkRange(f?.DestinationPortRange, `${name}.DestinationPortRange`);
  }
  const tags = tagsFromSpecs(ctx, input.TagSpecifications, PATH);
  const source = requireEndpoint(ctx, input.Source, 'Source');
  const destination = input.Destination ? requireEndpoint(ctx, input.Destination, 'Destination') : undefined;
  const id = newId('nip');
  const rec: PathRecord = {
    NetworkInsightsPathId: id,
    NetworkInsightsPathArn: arnOf(ctx, id),
    CreatedDate: ctx.now,
    Source: source,
    SourceArn: arnOf(ctx, source),
    Protocol: protocol as 'tcp' | 'udp',
    Tags: tags ?? [],
  };
  if (destination) {
    rec.Destination = destination;
    rec.DestinationArn = arnOf(ctx, destination);
  }
  if (input.SourceIp) rec.SourceIp = input.SourceIp;
  if (input.DestinationIp) rec.DestinationIp = input.DestinationIp;
  if (input.DestinationPort !== undefined) rec.DestinationPort = input.DestinationPort;
  if (input.FilterAtSource) rec.FilterAtSource = input.FilterAtSource as NetworkInsightsPath['FilterAtSource'];
  if (input.FilterAtDestination) rec.FilterAtDestination = input.FilterAtDestination as NetworkInsightsPath['FilterAtDestination'];
  ctx.state.put(PATH, id, rec);
  return { NetworkInsightsPath: pathView(rec) };
}

const PATH_FILTERS = {
  destination: (p: PathRecord) => [p.Destination, p.DestinationArn],
  'destination-ip': (p: PathRecord) => p.DestinationIp,
  'destination-port': (p: PathRecord) => (p.DestinationPort === undefined ? undefined : String(p.DestinationPort)),
  'filter-at-source.source-address': (p: PathRecord) => p.FilterAtSource?.SourceAddress,
  'filter-at-source.destination-address': (p: PathRecord) => p.FilterAtSource?.DestinationAddress,
  'filter-at-destination.source-address': (p: PathRecord) => p.FilterAtDestination?.SourceAddress,
  'filter-at-destination.destination-address': (p: PathRecord) => p.FilterAtDestination?.DestinationAddress,
  protocol: (p: PathRecord) => p.Protocol,
  source: (p: PathRecord) => [p.Source, p.SourceArn],
  'source-ip': (p: PathRecord) => p.SourceIp,
};

export function describeNetworkInsightsPaths(ctx: RequestContext, input: DescribeNetworkInsightsPathsRequest): DescribeNetworkInsightsPathsResult {
  for (const id of input.NetworkInsightsPathIds ?? []) checkIdShape(kindOf(PATH), id);
  const selected = applyFilters(selectByIds<PathRecord>(ctx.state, PATH, input.NetworkInsightsPathIds) as PathRecord[], input.Filters, PATH_FILTERS);
  const page = paginate(selected, input, { min: 1, max: 1000 });
  return { NetworkInsightsPaths: page.items.map(pathView), NextToken: page.nextToken };
}

export function deleteNetworkInsightsPath(ctx: RequestContext, input: DeleteNetworkInsightsPathRequest): DeleteNetworkInsightsPathResult {
  const id = input.NetworkInsightsPathId;
  if (id) checkIdShape(kindOf(PATH), id);
  const p = requireRecord<PathRecord>(ctx.state, PATH, id, 'NetworkInsightsPathId');
  // A path with analyses is refused: they must be deleted first.
  const left = ctx.state.list<AnalysisRecord>(ANALYSIS).filter((a) => a.NetworkInsightsPathId === p.NetworkInsightsPathId);
  if (left.length > 0) {
    throw new ApiError(
      'AnalysisExistsForNetworkInsightsPath',
      `At least one analysis [${left.map((a) => a.NetworkInsightsAnalysisId).join(', ')}] exists for path ${p.NetworkInsightsPathId}. Delete all the analyses before deleting this network path.`,
    );
  }
  ctx.state.delete(PATH, p.NetworkInsightsPathId);
  return { NetworkInsightsPathId: p.NetworkInsightsPathId };
}

// ---------------------------------------------------------------------------------------
// Analyses: engine results → AWS shapes
// ---------------------------------------------------------------------------------------

const HOP_ARN_TYPES: Record<string, string> = {
  instance: 'instance',
  'network-interface': 'network-interface',
  'security-group': 'security-group',
  'network-acl': 'network-acl',
  'route-table': 'route-table',
  subnet: 'subnet',
  vpc: 'vpc',
  'internet-gateway': 'internet-gateway',
  'nat-gateway': 'natgateway',
  'vpc-peering-connection': 'vpc-peering-connection',
  'vpn-gateway': 'vpn-gateway',
  'vpn-connection': 'vpn-connection',
  'vpc-endpoint': 'vpc-endpoint',
};

export class Mapper {
  constructor(
    readonly ctx: RequestContext,
    readonly net: CompiledNetwork,
  ) {}

  component(type: string, id: string): AnalysisComponent {
    const arnType = HOP_ARN_TYPES[type] ?? type;
    let account = this.ctx.account;
    let region = this.ctx.region;
    const iface = type === 'network-interface' ? this.net.interfaces.get(id) : undefined;
    const inst = type === 'instance' ? this.net.instances.get(id) : undefined;
    const sg = type === 'security-group' ? this.net.securityGroups.get(id) : undefined;
    const vpc = type === 'vpc' ? this.net.vpcs.get(id) : undefined;
    const owner = iface?.model ?? inst?.model ?? sg?.model ?? vpc?.model;
    if (owner) {
      account = owner.account;
      region = owner.region;
    }
    return { Id: id, Arn: `arn:aws:ec2:${region}:${account}:${arnType}/${id}` };
  }

  subnetAndVpc(subnetId: string | undefined): { Subnet?: AnalysisComponent; Vpc?: AnalysisComponent } {
    if (!subnetId) return {};
    const s = this.net.subnets.get(subnetId);
    if (!s) return { Subnet: this.component('subnet', subnetId) };
    return { Subnet: this.component('subnet', s.id), Vpc: this.component('vpc', s.vpc.id) };
  }

  header(h: Headers): AnalysisPacketHeader {
    const out: AnalysisPacketHeader = {
      DestinationAddresses: [formatAddr(h.dst)],
      Protocol: h.proto === PROTO_TCP ? '6' : h.proto === PROTO_UDP ? '17' : String(h.proto),
      SourceAddresses: [formatAddr(h.src)],
    };
    if (h.proto === PROTO_TCP || h.proto === PROTO_UDP) {
      out.DestinationPortRanges = [{ From: h.dport, To: h.dport }];
      out.SourcePortRanges = [{ From: h.sport, To: h.sport }];
    }
    return out;
  }

  aclRule(e: Hop['aclEntry'], egress: boolean): AnalysisAclRule | undefined {
    if (!e) return undefined;
    const m = e.model;
    const out: AnalysisAclRule = { Cidr: m.cidr ?? m.ipv6Cidr, Egress: egress, Protocol: m.protocol, RuleAction: m.action, RuleNumber: m.ruleNumber };
    if (m.fromPort !== undefined && m.toPort !== undefined) out.PortRange = { From: m.fromPort, To: m.toPort };
    return out;
  }

  sgRule(r: Hop['sgRule'], direction: string | undefined): AnalysisSecurityGroupRule | undefined {
    if (!r) return undefined;
    const m = r.model;
    const out: AnalysisSecurityGroupRule = { Direction: direction, SecurityGroupId: r.group.id, Protocol: m.protocol };
    if (m.cidr ?? m.ipv6Cidr) out.Cidr = m.cidr ?? m.ipv6Cidr;
    if (m.prefixListId) out.PrefixListId = m.prefixListId;
    if (m.groupId) out.SecurityGroupId = m.groupId;
    if (m.protocol !== '-1' && m.fromPort !== -1) out.PortRange = { From: m.fromPort, To: m.toPort };
    return out;
  }

  route(r: Hop['route']): AnalysisRouteTableRoute | undefined {
    if (!r) return undefined;
    const m = r.model;
    const out: AnalysisRouteTableRoute = { State: m.state, Origin: m.origin };
    if (m.destination) out.DestinationCidr = m.destination;
    if (m.prefixListId) out.DestinationPrefixListId = m.prefixListId;
    const t = m.target;
    switch (t.kind) {
      case 'nat':
        out.NatGatewayId = t.id;
        break;
      case 'eni':
        out.NetworkInterfaceId = t.id;
        break;
      case 'instance':
        out.InstanceId = t.id;
        break;
      case 'pcx':
        out.VpcPeeringConnectionId = t.id;
        break;
      case 'tgw':
        out.TransitGatewayId = t.id;
        break;
      case 'eigw':
        out.EgressOnlyInternetGatewayId = t.id;
        break;
      default:
        out.GatewayId = t.id;
    }
    return out;
  }

  /** One component per resource the packet traversed (pseudo-components such as "internet" are left out). */
  components(hops: Hop[], first: Headers, last: Headers): PathComponent[] {
    const out: PathComponent[] = [];
    for (const h of hops) {
      if (h.type === 'internet' || h.type === 'aws-service' || h.type === 'on-premises') continue;
      const c: PathComponent = { SequenceNumber: out.length + 1, Component: this.component(h.type, h.id) };
      if (h.aclEntry) c.AclRule = this.aclRule(h.aclEntry, h.direction === 'egress');
      if (h.sgRule) c.SecurityGroupRule = this.sgRule(h.sgRule, h.direction);
      if (h.route) c.RouteTableRoute = this.route(h.route);
      if (h.inbound) c.InboundHeader = this.header(h.inbound);
      if (h.outbound) c.OutboundHeader = this.header(h.outbound);
      if (h.type === 'network-acl') Object.assign(c, this.subnetAndVpc(h.subnet));
      if (h.type === 'network-interface' || h.type === 'instance') {
        const iface = h.type === 'instance' ? this.net.instances.get(h.id)?.interfaces[0] : this.net.interfaces.get(h.id);
        if (iface) {
          Object.assign(c, this.subnetAndVpc(iface.subnet.id));
          if (h.type === 'network-interface' && iface.instance) c.AttachedTo = this.component('instance', iface.instance.id);
        }
        if (h.action === 'send' && !c.OutboundHeader) c.OutboundHeader = this.header(first);
        if (h.action === 'receive' && !c.InboundHeader) c.InboundHeader = this.header(last);
      }
      if (h.type === 'route-table') {
        const rt = this.net.routeTables.get(h.id);
        if (rt) c.Vpc = this.component('vpc', rt.model.vpcId);
      }
      out.push(c);
    }
    return out;
  }

  explanation(e: Explanation): AwsExplanation {
    const out: AwsExplanation = { ExplanationCode: e.code, Component: this.component(e.component.type, e.component.id) };
    if (e.acl) out.Acl = this.component('network-acl', e.acl);
    if (e.aclEntry) out.AclRule = this.aclRule(e.aclEntry, e.aclDirection === 'egress');
    if (e.aclDirection) out.Direction = e.aclDirection;
    if (e.securityGroups) out.SecurityGroups = e.securityGroups.map((g) => this.component('security-group', g));
    if (e.sgDirection) out.Direction = e.sgDirection;
    if (e.routeTable) out.RouteTable = this.component('route-table', e.routeTable);
    if (e.route) out.RouteTableRoute = this.route(e.route);
    if (e.address !== undefined) {
      out.Address = formatAddr(e.address);
      out.Addresses = [formatAddr(e.address)];
    }
    const c = e.component;
    if (c.type === 'network-interface') {
      const iface = this.net.interfaces.get(c.id);
      if (iface) {
        out.NetworkInterface = this.component('network-interface', iface.id);
        Object.assign(out, this.subnetAndVpc(iface.subnet.id));
        if (iface.instance) out.AttachedTo = this.component('instance', iface.instance.id);
      }
    }
    if (c.type === 'network-acl') {
      const acl = this.net.acls.get(c.id);
      if (acl) out.Vpc = this.component('vpc', acl.model.vpcId);
    }
    if (c.type === 'internet-gateway') out.InternetGateway = this.component('internet-gateway', c.id);
    if (c.type === 'nat-gateway') out.NatGateway = this.component('nat-gateway', c.id);
    if (c.type === 'vpc-peering-connection') out.VpcPeeringConnection = this.component('vpc-peering-connection', c.id);
    if (c.type === 'vpn-gateway') out.VpnGateway = this.component('vpn-gateway', c.id);
    if (c.type === 'vpn-connection') out.VpnConnection = this.component('vpn-connection', c.id);
    if (c.type === 'vpc-endpoint') out.VpcEndpoint = this.component('vpc-endpoint', c.id);
    if (c.type === 'route-table') out.RouteTable = this.component('route-table', c.id);
    if (c.type === 'subnet') Object.assign(out, this.subnetAndVpc(c.id));
    if (c.type === 'vpc') out.Vpc = this.component('vpc', c.id);
    return out;
  }
}

// ---------------------------------------------------------------------------------------
// Running an analysis
// ---------------------------------------------------------------------------------------

/** The current network, read in the request's own transaction's store. */
export function snapshot(ctx: RequestContext): NetworkModel {
  const store = (ctx.state.tx as unknown as { store: Store }).store;
  return buildNetworkModel({ store, config: ctx.config }, { now: ctx.now });
}

/**
 * Destination ports to try when the path leaves the port open (or gives a range): the ends
 * of the range and the ports the destination's security groups open inside it.
 */
function candidatePorts(net: CompiledNetwork, destination: string | undefined, protocol: string, range?: { FromPort?: number; ToPort?: number }): number[] {
  const lo = range?.FromPort ?? 0;
  const hi = range?.ToPort ?? 65535;
  const ports = new Set<number>();
  const iface = destination?.startsWith('i-') ? net.instances.get(destination)?.interfaces[0] : destination ? net.interfaces.get(destination) : undefined;
  for (const g of iface?.groups ?? []) {
    for (const r of g.model.ingress) {
      if (r.protocol !== protocol && r.protocol !== '-1') continue;
      const from = r.protocol === '-1' || r.fromPort < 0 ? lo : Math.max(lo, r.fromPort);
      const to = r.protocol === '-1' || r.toPort < 0 ? hi : Math.min(hi, r.toPort);
      if (from <= to) ports.add(from === 0 && to >= 80 ? 80 : from);
    }
  }
  if (range) {
    ports.add(lo);
    ports.add(hi);
  }
  if (ports.size === 0) ports.add(80);
  return [...ports].slice(0, 16);
}

/** Whether the packet as it arrived matches the path's filter at the destination. */
function matchesAtDestination(t: TraceResult, path: PathRecord): boolean {
  const f = path.FilterAtDestination;
  if (!f) return true;
  const h = t.forward.last;
  if (f.DestinationAddress && formatAddr(h.dst) !== f.DestinationAddress) return false;
  if (f.SourceAddress && formatAddr(h.src) !== f.SourceAddress) return false;
  const inRange = (p: number, r: { FromPort?: number; ToPort?: number } | undefined) => !r || (p >= (r.FromPort ?? 0) && p <= (r.ToPort ?? 65535));
  return inRange(h.dport, f.DestinationPortRange) && inRange(h.sport, f.SourcePortRange);
}

interface Outcome {
  result?: TraceResult;
  net: CompiledNetwork;
  explanations: Explanation[];
  failure?: string;
}

/**
 * Takes a blocker as passing, to look further: a security group or ACL allowing the traffic,
 * source/destination check off, a stopped instance running — as what-if assumptions of the
 * trace, on the same compiled network — or a private address with a public one, in a private
 * copy of the model (that one changes address maps, so the copy is compiled). Answers false
 * when it cannot.
 */
function relax(e: Explanation, assume: Assumptions, model: () => NetworkModel): boolean {
  const add = (set: Set<string>, key: string) => !set.has(key) && !!set.add(key);
  if (e.code === 'ENI_SG_RULES_MISMATCH' && e.sgDirection) return add(assume.groups, `${e.component.id}:${e.sgDirection}`);
  if (e.code === 'SUBNET_ACL_RESTRICTION' && e.acl && e.aclDirection) return add(assume.acls, `${e.acl}:${e.aclDirection}`);
  if (e.code === 'ENI_SOURCE_DEST_CHECK_RESTRICTION') return add(assume.sourceDestCheckOff, e.component.id);
  if (e.code === 'BAD_STATE' && e.component.type === 'instance') return add(assume.running, e.component.id);
  if ((e.code === 'IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS' || e.code === 'IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS') && typeof e.address === 'number') {
    const m = model();
    const addr = formatAddr(e.address);
    const i = m.interfaces.find((x) => x.privateIps.includes(addr) && !x.publicIps[addr]);
    if (!i) return false;
    i.publicIps[addr] = `203.0.113.${1 + (m.interfaces.indexOf(i) % 250)}`;
    return true;
  }
  return false;
}

/**
 * A path whose destination is a peering connection ends there: what happens in the far VPC
 * is not part of it. The trace is cut after the connection, and counts as found when the
 * packet got that far.
 */
function endAtPeering(t: TraceResult, pcxId: string): TraceResult {
  const i = t.forward.hops.findIndex((h) => h.type === 'vpc-peering-connection' && h.id === pcxId && h.action === 'forward');
  if (i < 0) return t;
  const forward = { ...t.forward, accepted: true, hops: t.forward.hops.slice(0, i + 1), explanation: undefined };
  return { verdict: 'accepted', forward, explanations: [], source: t.source };
}

function traceOnce(net: CompiledNetwork, path: PathRecord, port: number | undefined, assume?: Assumptions): TraceResult {
  const f = path.FilterAtSource;
  const destinationIp = path.DestinationIp ?? f?.DestinationAddress;
  const destination = destinationIp ?? destinationAddressOf(net, path);
  const req: TraceRequest = {
    source: path.Source!,
    destination,
    protocol: path.Protocol,
    destinationPort: port,
  };
  const sourceIp = path.SourceIp ?? f?.SourceAddress;
  if (sourceIp) req.sourceIp = sourceIp;
  if (f?.SourcePortRange?.FromPort !== undefined) req.sourcePort = f.SourcePortRange.FromPort;
  const t = trace(net, req, assume);
  return path.Destination?.startsWith('pcx-') ? endAtPeering(t, path.Destination) : t;
}

/**
 * What a trace sends to when the path names a destination resource and no address: an
 * interface or instance itself; an internet host for an internet gateway; for a gateway
 * endpoint an address of its service, for a peering connection one of the far VPC's, for a
 * virtual private gateway one of the on-premises networks.
 */
function destinationAddressOf(net: CompiledNetwork, path: PathRecord): string {
  const d = path.Destination!;
  const plus10 = (b: { base: number } | undefined) => (b ? formatAddr((b.base + 10) >>> 0) : undefined);
  if (d.startsWith('igw-')) return DEFAULT_INTERNET_IP;
  if (d.startsWith('vpce-')) {
    const iface = [...net.interfaces.values()].find((i) => i.model.vpcEndpointId === d);
    if (iface) return iface.id;
    return plus10(net.vpcEndpoints.get(d)?.prefixes[0]) ?? d;
  }
  if (d.startsWith('pcx-')) {
    const pcx = net.peerings.get(d);
    const src = path.Source!;
    const from = src.startsWith('i-') ? net.instances.get(src)?.interfaces[0]?.vpc : net.interfaces.get(src)?.vpc;
    const far = pcx && from ? pcx.remoteOf(from.id) : pcx?.accepter;
    return plus10(far?.cidrs.find((b) => b.base6 === undefined)) ?? d;
  }
  if (d.startsWith('vgw-')) {
    const vgw = net.vpnGateways.get(d);
    return plus10(vgw?.connections.flatMap((c) => c.onPremises).find((b) => b.base6 === undefined)) ?? d;
  }
  return d;
}

/** Whether an accepted trace ended at the path's destination resource. */
function reachesDestination(t: TraceResult, path: PathRecord): boolean {
  const d = path.Destination;
  const end = t.forward.end;
  if (!d || !end) return true;
  if (d.startsWith('pcx-')) return t.forward.hops.some((h) => h.type === 'vpc-peering-connection' && h.id === d);
  if (end.kind === 'interface') return end.iface.id === d || end.iface.instance?.id === d || end.iface.model.vpcEndpointId === d;
  if (end.kind === 'internet') return end.igw.id === d;
  if (end.kind === 'aws-service') return end.via.id === d;
  if (end.kind === 'on-premises') return end.vgw.id === d;
  return false;
}

function analyse(ctx: RequestContext, path: PathRecord): Outcome {
  const original = compiledNetwork({ store: (ctx.state.tx as unknown as { store: Store }).store, config: ctx.config }, { now: ctx.now });
  let model: NetworkModel | undefined; // a private copy, made only to relax blockers (the cached network is shared)
  let net = original;
  const range = path.FilterAtSource?.DestinationPortRange ?? path.FilterAtDestination?.DestinationPortRange;
  const ports = path.DestinationPort !== undefined ? [path.DestinationPort] : candidatePorts(net, path.Destination, path.Protocol!, range);
  let result: TraceResult | undefined;
  try {
    for (const port of ports) {
      const t = traceOnce(net, path, port);
      result ??= t;
      if (t.verdict === 'accepted' && reachesDestination(t, path) && matchesAtDestination(t, path)) {
        result = t;
        break;
      }
    }
  } catch (err) {
    if (err instanceof TraceInputError) return { net, explanations: [], failure: err.message };
    throw err;
  }
  const first = result!;
  if (first.verdict === 'accepted' && (!reachesDestination(first, path) || !matchesAtDestination(first, path))) {
    const last = first.forward.hops[first.forward.hops.length - 1];
    return {
      result: first,
      net,
      explanations: [
        {
          code: 'NO_PATH',
          direction: 'forward',
          component: last ? { type: last.type, id: last.id } : { type: 'vpc', id: path.Source! },
          note: reachesDestination(first, path) ? 'the traffic arrives with headers outside the filter at the destination' : 'the traffic reaches another destination',
        },
      ],
    };
  }
  const explanations = [...first.explanations];
  // Further blockers: assume each blocking group or ACL allows the traffic and trace again.
  const port = first.forward.first.dport || ports[0];
  const assume = noAssumptions();
  let cur = first;
  for (let i = 0; i < 12 && cur.verdict === 'dropped'; i++) {
    const e = cur.explanations[0];
    let copied = false;
    const privateModel = () => {
      copied = true;
      return (model ??= copyModel(original.model));
    };
    if (!e || !relax(e, assume, privateModel)) break;
    if (copied) net = compile(model!);
    cur = traceOnce(net, path, port, assume);
    const next = cur.explanations[0];
    if (next && !explanations.some((x) => x.code === next.code && x.component.id === next.component.id && x.direction === next.direction)) explanations.push(next);
  }
  return { result: first, net: original, explanations };
}

function analysisView(a: Readonly<AnalysisRecord>): NetworkInsightsAnalysis {
  return { ...a };
}

export function startNetworkInsightsAnalysis(ctx: RequestContext, input: StartNetworkInsightsAnalysisRequest): StartNetworkInsightsAnalysisResult {
  const pathId = input.NetworkInsightsPathId;
  if (pathId) checkIdShape(kindOf(PATH), pathId);
  const path = requireRecord<PathRecord>(ctx.state, PATH, pathId, 'NetworkInsightsPathId');
  if (input.FilterInArns?.length && input.FilterOutArns?.length) {
    throw new ApiError('InvalidParameterCombination', 'FilterInArns and FilterOutArns cannot be specified together.');
  }
  const tags = tagsFromSpecs(ctx, input.TagSpecifications, ANALYSIS);
  const id = newId('nia');
  const base: AnalysisRecord = {
    NetworkInsightsAnalysisId: id,
    NetworkInsightsAnalysisArn: arnOf(ctx, id),
    NetworkInsightsPathId: path.NetworkInsightsPathId,
    StartDate: ctx.now,
    Status: 'running',
    Tags: tags ?? [],
  };
  if (input.FilterInArns?.length) base.FilterInArns = input.FilterInArns;
  if (input.FilterOutArns?.length) base.FilterOutArns = input.FilterOutArns;
  if (input.AdditionalAccounts?.length) base.AdditionalAccounts = input.AdditionalAccounts;

  const outcome = analyse(ctx, path as PathRecord);
  const rec: AnalysisRecord = { ...base, Status: 'succeeded' };
  if (outcome.failure) {
    rec.Status = 'failed';
    rec.StatusMessage = outcome.failure;
  } else {
    const m = new Mapper(ctx, outcome.net);
    const t = outcome.result!;
    const found = outcome.explanations.length === 0 && t.verdict === 'accepted';
    rec.NetworkPathFound = found;
    if (found) {
      rec.ForwardPathComponents = m.components(t.forward.hops, t.forward.first, t.forward.last);
      rec.ReturnPathComponents = t.reverse ? m.components(t.reverse.hops, t.reverse.first, t.reverse.last) : [];
      rec.Explanations = [];
    } else {
      rec.Explanations = outcome.explanations.map((e) => m.explanation(e));
    }
  }
  ctx.state.put(ANALYSIS, id, rec);
  return { NetworkInsightsAnalysis: analysisView(base) };
}

const ANALYSIS_FILTERS = {
  'path-found': (a: AnalysisRecord) => (a.NetworkPathFound === undefined ? undefined : String(a.NetworkPathFound)),
  status: (a: AnalysisRecord) => a.Status,
};

export function describeNetworkInsightsAnalyses(ctx: RequestContext, input: DescribeNetworkInsightsAnalysesRequest): DescribeNetworkInsightsAnalysesResult {
  for (const id of input.NetworkInsightsAnalysisIds ?? []) checkIdShape(kindOf(ANALYSIS), id);
  if (input.NetworkInsightsPathId) checkIdShape(kindOf(PATH), input.NetworkInsightsPathId);
  let selected = selectByIds<AnalysisRecord>(ctx.state, ANALYSIS, input.NetworkInsightsAnalysisIds) as AnalysisRecord[];
  if (input.NetworkInsightsPathId) selected = selected.filter((a) => a.NetworkInsightsPathId === input.NetworkInsightsPathId);
  const start = input.AnalysisStartTime ? new Date(input.AnalysisStartTime).getTime() : undefined;
  const end = input.AnalysisEndTime ? new Date(input.AnalysisEndTime).getTime() : undefined;
  if (start !== undefined || end !== undefined) {
    selected = selected.filter((a) => {
      const t = new Date(a.StartDate!).getTime();
      return (start === undefined || t >= start) && (end === undefined || t <= end);
    });
  }
  selected = applyFilters(selected, input.Filters, ANALYSIS_FILTERS);
  const page = paginate(selected, input, { min: 1, max: 100 });
  return { NetworkInsightsAnalyses: page.items.map(analysisView), NextToken: page.nextToken };
}

export function deleteNetworkInsightsAnalysis(ctx: RequestContext, input: DeleteNetworkInsightsAnalysisRequest): DeleteNetworkInsightsAnalysisResult {
  const id = input.NetworkInsightsAnalysisId;
  if (id) checkIdShape(kindOf(ANALYSIS), id);
  const a = requireRecord<AnalysisRecord>(ctx.state, ANALYSIS, id, 'NetworkInsightsAnalysisId');
  ctx.state.delete(ANALYSIS, a.NetworkInsightsAnalysisId);
  return { NetworkInsightsAnalysisId: a.NetworkInsightsAnalysisId };
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  CreateNetworkInsightsPath: createNetworkInsightsPath,
  DescribeNetworkInsightsPaths: describeNetworkInsightsPaths,
  DeleteNetworkInsightsPath: deleteNetworkInsightsPath,
  StartNetworkInsightsAnalysis: startNetworkInsightsAnalysis,
  DescribeNetworkInsightsAnalyses: describeNetworkInsightsAnalyses,
  DeleteNetworkInsightsAnalysis: deleteNetworkInsightsAnalysis,
};
