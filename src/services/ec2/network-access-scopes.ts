/**
 * Network Access Analyzer: Network Access Scopes (MatchPaths minus ExcludePaths, each path a
 * source, a destination and the resources it goes through, described by resource and packet
 * header statements) and their analyses.
 *
 * An analysis is computed when it starts, from one snapshot of the network compiled once
 * (the same engine as Reachability Analyzer and POST /_vpcsim/trace): the Start response
 * reports it `running`, every later read `succeeded` with its findings. A finding is a
 * network path, forward only, from a source (a network interface, or the internet through
 * an internet gateway) to a destination (a network interface, or the internet through an
 * internet gateway) that a MatchPath matches and no ExcludePath does.
 *
 * Ports are not traced one by one: the destination ports are cut into classes at the bounds
 * of the scope's port statements and, as a fixpoint, of the rules the traced packets meet
 * (sender's egress, receiver's ingress, ACLs in the direction met); one packet per class
 * decides for the whole class. A finding reports the union of the classes that get through as
 * its destination port ranges. Outside addresses are chosen the same way: one address per
 * block the rules of the VPC name (cut at both ends of each block).
 *
 * Pairs of interfaces are not all traced: interfaces fall into classes that every decision of
 * a forward trace treats alike (subnet, security groups in order, kind, instance or not, the
 * primary address between the same cuts of every block the network and the scope name). The
 * first pair of two classes is traced port class by port class; every other pair of the same
 * two classes (and the same matches by resource) takes its port classes and its components,
 * with its own interfaces, instances and addresses. Without address statements, a class pair
 * that found nothing is not visited again.
 *
 * An analysis is bounded: past `findingsPerAccessScopeAnalysis` findings or
 * `accessScopeAnalysisMs` milliseconds (quotas) it stops and ends `failed`, its StatusMessage
 * saying how to narrow the scope, instead of holding the server for minutes.
 */
import { randomUUID } from 'node:crypto';
import type {
  AccessScopeAnalysisFinding,
  AccessScopePath,
  AccessScopePathRequest,
  AnalysisPacketHeader,
  CreateNetworkInsightsAccessScopeRequest,
  CreateNetworkInsightsAccessScopeResult,
  DeleteNetworkInsightsAccessScopeAnalysisRequest,
  DeleteNetworkInsightsAccessScopeAnalysisResult,
  DeleteNetworkInsightsAccessScopeRequest,
  DeleteNetworkInsightsAccessScopeResult,
  DescribeNetworkInsightsAccessScopeAnalysesRequest,
  DescribeNetworkInsightsAccessScopeAnalysesResult,
  DescribeNetworkInsightsAccessScopesRequest,
  DescribeNetworkInsightsAccessScopesResult,
  GetNetworkInsightsAccessScopeAnalysisFindingsRequest,
  GetNetworkInsightsAccessScopeAnalysisFindingsResult,
  GetNetworkInsightsAccessScopeContentRequest,
  GetNetworkInsightsAccessScopeContentResult,
  NetworkInsightsAccessScope,
  NetworkInsightsAccessScopeAnalysis,
  NetworkInsightsAccessScopeContent,
  PacketHeaderStatement,
  PathComponent,
  PathStatement,
  PathStatementRequest,
  PortRange,
  ResourceStatement,
  StartNetworkInsightsAccessScopeAnalysisRequest,
  StartNetworkInsightsAccessScopeAnalysisResult,
  ThroughResourcesStatement,
} from '@aws-sdk/client-ec2';
import { type Cidr4, containsIp4, formatIpv4, isRfc1918, parseCidr, parseIpv4, parseIpv6 } from '../../network/cidr.js';
import { type Addr, type CInterface, type CInternetGateway, type CVpnGateway, type CompiledNetwork, PROTO_TCP, PROTO_UDP } from '../../network/compile.js';
import { cutIndex } from '../../network/intervals.js';
import { forEachNamedBlock } from '../../network/symbolic.js';
import { DEFAULT_INTERNET_IP, DEFAULT_SOURCE_PORT, type Hop, trace, TraceInputError, type TraceRequest, type TraceResult } from '../../network/trace.js';
import { ApiError } from '../../protocol/errors.js';
import type { Handler, RequestContext } from '../context.js';
import { applyFilters } from './filters.js';
import type { Store } from '../../state/store.js';
import { compiledNetwork } from './network-cache.js';
import { idOfArnOrId, Mapper } from './network-insights.js';
import { paginate } from './paginate.js';
import { findPrefixList, prefixListCidrs } from './prefix-lists.js';
import { checkIdShape, kindOf, newId, registerKind, requireRecord, selectByIds } from './resources.js';
import { tagsFromSpecs } from './tags.js';

registerKind({
  kind: 'network-insights-access-scope',
  prefix: 'nis',
  code: 'InvalidNetworkInsightsAccessScopeId',
  noun: 'network insights access scope ID',
  idField: 'NetworkInsightsAccessScopeId',
});
registerKind({
  kind: 'network-insights-access-scope-analysis',
  prefix: 'nisa',
  code: 'InvalidNetworkInsightsAccessScopeAnalysisId',
  noun: 'network insights access scope analysis ID',
  idField: 'NetworkInsightsAccessScopeAnalysisId',
});

const SCOPE = 'network-insights-access-scope';
const ANALYSIS = 'network-insights-access-scope-analysis';

interface ScopeRecord extends NetworkInsightsAccessScope {
  NetworkInsightsAccessScopeId: string;
  _matchPaths: AccessScopePath[];
  _excludePaths: AccessScopePath[];
}

interface AnalysisRecord extends NetworkInsightsAccessScopeAnalysis {
  NetworkInsightsAccessScopeAnalysisId: string;
  NetworkInsightsAccessScopeId: string;
  _findings: Array<StoredFinding | AccessScopeAnalysisFinding>;
  _templates?: PathComponent[][];
}

function arn(ctx: RequestContext, type: string, id: string): string {
  return `arn:aws:ec2:${ctx.region}:${ctx.account}:${type}/${id}`;
}

// ---------------------------------------------------------------------------------------
// Statements: what AWS accepts
// ---------------------------------------------------------------------------------------

type Place = 'Source' | 'Destination' | 'ThroughResources';

const ENDS: Place[] = ['Source', 'Destination'];
const ALL: Place[] = ['Source', 'Destination', 'ThroughResources'];

/** Resource types a resource statement may name, and where (Network Access Analyzer guide, resource statements). */
const RESOURCE_TYPES: Record<string, Place[]> = {
  'AWS::EC2::InternetGateway': ENDS,
  'AWS::EC2::NetworkInterface': ENDS,
  'AWS::EC2::Instance': ENDS,
  'AWS::EC2::Subnet': ENDS,
  'AWS::EC2::VPC': ENDS,
  'AWS::EC2::SecurityGroup': ENDS,
  'AWS::EC2::VPNGateway': ENDS,
  'AWS::EC2::NatGateway': ['ThroughResources'],
  'AWS::EC2::VPCEndpoint': ['Destination', 'ThroughResources'],
  'AWS::EC2::VPCEndpointService': ALL,
  'AWS::EC2::VPCPeeringConnection': ALL,
  'AWS::EC2::TransitGateway': ['ThroughResources'],
  'AWS::EC2::TransitGatewayAttachment': ALL,
  'AWS::ElasticLoadBalancing::LoadBalancer': ['ThroughResources'],
  'AWS::ElasticLoadBalancingV2::LoadBalancer': ['ThroughResources'],
  'AWS::NetworkFirewall::Firewall': ['ThroughResources'],
};

/** ID prefixes a resource statement may name, and where. */
const RESOURCE_PREFIXES: Record<string, Place[]> = {
  i: ENDS,
  eni: ENDS,
  igw: ENDS,
  sg: ENDS,
  subnet: ENDS,
  vpc: ENDS,
  vgw: ENDS,
  nat: ['ThroughResources'],
  vpce: ALL,
  'vpce-svc': ALL,
  pcx: ALL,
  'tgw-attach': ALL,
  tgw: ['ThroughResources'],
};

function invalid(message: string): ApiError {
  return new ApiError('InvalidParameterValue', message);
}

function prefixOf(id: string): string {
  if (id.startsWith('vpce-svc-')) return 'vpce-svc';
  if (id.startsWith('tgw-attach-')) return 'tgw-attach';
  const dash = id.indexOf('-');
  return dash > 0 ? id.slice(0, dash) : '';
}

function checkResourceStatement(s: ResourceStatement | undefined, place: Place, where: string): ResourceStatement | undefined {
  if (!s) return undefined;
  const resources = s.Resources ?? [];
  const types = s.ResourceTypes ?? [];
  if (resources.length && types.length) {
    throw new ApiError('InvalidParameterCombination', `${where}.ResourceStatement can list either Resources or ResourceTypes, not both.`);
  }
  for (const t of types) {
    const places = RESOURCE_TYPES[t];
    if (!places) throw invalid(`The resource type '${t}' in ${where}.ResourceStatement.ResourceTypes is not supported.`);
    if (!places.includes(place)) throw invalid(`The resource type '${t}' cannot be used in ${where}.`);
  }
  for (const r of resources) {
    if (r.startsWith('arn:')) {
      const service = r.split(':')[2] ?? '';
      if (service === 'resource-groups') continue;
      if (service !== 'ec2') {
        if (place !== 'ThroughResources') throw invalid(`The resource '${r}' can only be used in ThroughResources.`);
        continue;
      }
    }
    const id = idOfArnOrId(r);
    const places = RESOURCE_PREFIXES[prefixOf(id)];
    if (!places) throw invalid(`The resource '${r}' in ${where}.ResourceStatement.Resources is not a supported resource ID or ARN.`);
    if (!places.includes(place)) throw invalid(`The resource '${r}' cannot be used in ${where}.`);
  }
  const out: ResourceStatement = {};
  if (resources.length) out.Resources = [...resources];
  if (types.length) out.ResourceTypes = [...types];
  return resources.length || types.length ? out : undefined;
}

const PORT = /^(\d{1,5})(?:-(\d{1,5}))?$/;

function parsePortRange(s: string): { from: number; to: number } | undefined {
  const m = PORT.exec(s.trim());
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from > 65535 || to > 65535 || from > to) return undefined;
  return { from, to };
}

function isAddressOrCidr(s: string): boolean {
  if (s.includes('/')) return parseCidr(s) !== undefined;
  return parseIpv4(s) !== undefined || parseIpv6(s) !== undefined;
}

function checkPacketHeader(ctx: RequestContext, h: PacketHeaderStatement | undefined, where: string): PacketHeaderStatement | undefined {
  if (!h) return undefined;
  const w = `${where}.PacketHeaderStatement`;
  if (h.SourceAddresses?.length && h.SourcePrefixLists?.length) {
    throw new ApiError('InvalidParameterCombination', `${w}: SourceAddresses and SourcePrefixLists cannot be specified together.`);
  }
  if (h.DestinationAddresses?.length && h.DestinationPrefixLists?.length) {
    throw new ApiError('InvalidParameterCombination', `${w}: DestinationAddresses and DestinationPrefixLists cannot be specified together.`);
  }
  for (const field of ['SourceAddresses', 'DestinationAddresses'] as const) {
    for (const a of h[field] ?? []) if (!isAddressOrCidr(a)) throw invalid(`The value '${a}' of ${w}.${field} is not a valid IP address or CIDR block.`);
  }
  for (const field of ['SourcePorts', 'DestinationPorts'] as const) {
    for (const p of h[field] ?? []) if (!parsePortRange(p)) throw invalid(`The value '${p}' of ${w}.${field} is not a port or port range (0-65535).`);
  }
  for (const p of h.Protocols ?? []) {
    const v = String(p).toLowerCase();
    if (v !== 'tcp' && v !== 'udp') throw invalid(`Value (${p}) for parameter ${w}.Protocols is invalid. Valid values are tcp and udp.`);
  }
  for (const field of ['SourcePrefixLists', 'DestinationPrefixLists'] as const) {
    for (const pl of h[field] ?? []) {
      const id = idOfArnOrId(pl);
      if (!id.startsWith('pl-')) throw invalid(`The value '${pl}' of ${w}.${field} is not a prefix list ID or ARN.`);
      if (!findPrefixList(ctx, id)) throw new ApiError('InvalidPrefixListID.NotFound', `The prefix list ID '${id}' does not exist`);
    }
  }
  const out: PacketHeaderStatement = {};
  if (h.SourceAddresses?.length) out.SourceAddresses = [...h.SourceAddresses];
  if (h.DestinationAddresses?.length) out.DestinationAddresses = [...h.DestinationAddresses];
  if (h.SourcePorts?.length) out.SourcePorts = [...h.SourcePorts];
  if (h.DestinationPorts?.length) out.DestinationPorts = [...h.DestinationPorts];
  if (h.SourcePrefixLists?.length) out.SourcePrefixLists = [...h.SourcePrefixLists];
  if (h.DestinationPrefixLists?.length) out.DestinationPrefixLists = [...h.DestinationPrefixLists];
  if (h.Protocols?.length) out.Protocols = h.Protocols.map((p) => String(p).toLowerCase() as 'tcp' | 'udp');
  if (Object.keys(out).length === 0) throw invalid(`${w} must specify at least one field.`);
  return out;
}

function checkPathStatement(ctx: RequestContext, s: PathStatementRequest | undefined, place: 'Source' | 'Destination', where: string): PathStatement | undefined {
  if (!s) return undefined;
  const out: PathStatement = {};
  const header = checkPacketHeader(ctx, s.PacketHeaderStatement, `${where}.${place}`);
  const resources = checkResourceStatement(s.ResourceStatement, place, `${where}.${place}`);
  if (header) out.PacketHeaderStatement = header;
  if (resources) out.ResourceStatement = resources;
  return header || resources ? out : undefined;
}

function checkPath(ctx: RequestContext, p: AccessScopePathRequest, where: string): AccessScopePath {
  const out: AccessScopePath = {};
  const source = checkPathStatement(ctx, p.Source, 'Source', where);
  const destination = checkPathStatement(ctx, p.Destination, 'Destination', where);
  if (source) out.Source = source;
  if (destination) out.Destination = destination;
  const through: ThroughResourcesStatement[] = [];
  for (const [i, t] of (p.ThroughResources ?? []).entries()) {
    const r = checkResourceStatement(t.ResourceStatement, 'ThroughResources', `${where}.ThroughResources.${i + 1}`);
    if (r) through.push({ ResourceStatement: r });
  }
  if (through.length) out.ThroughResources = through;
  return out;
}

// ---------------------------------------------------------------------------------------
// Scopes
// ---------------------------------------------------------------------------------------

function scopeView(s: Readonly<ScopeRecord>): NetworkInsightsAccessScope {
  const { _matchPaths: _m, _excludePaths: _e, ...view } = s;
  return view;
}

function contentView(s: Readonly<ScopeRecord>): NetworkInsightsAccessScopeContent {
  const out: NetworkInsightsAccessScopeContent = { NetworkInsightsAccessScopeId: s.NetworkInsightsAccessScopeId, MatchPaths: s._matchPaths };
  if (s._excludePaths.length) out.ExcludePaths = s._excludePaths;
  return out;
}

export function createNetworkInsightsAccessScope(ctx: RequestContext, input: CreateNetworkInsightsAccessScopeRequest): CreateNetworkInsightsAccessScopeResult {
  if (!input.MatchPaths?.length) throw new ApiError('MissingParameter', 'The request must contain the parameter MatchPath');
  const matchPaths = input.MatchPaths.map((p, i) => checkPath(ctx, p, `MatchPath.${i + 1}`));
  const excludePaths = (input.ExcludePaths ?? []).map((p, i) => checkPath(ctx, p, `ExcludePath.${i + 1}`));
  const tags = tagsFromSpecs(ctx, input.TagSpecifications, SCOPE);
  const id = newId('nis');
  const rec: ScopeRecord = {
    NetworkInsightsAccessScopeId: id,
    NetworkInsightsAccessScopeArn: arn(ctx, SCOPE, id),
    CreatedDate: ctx.now,
    UpdatedDate: ctx.now,
    Tags: tags ?? [],
    _matchPaths: matchPaths,
    _excludePaths: excludePaths,
  };
  ctx.state.put(SCOPE, id, rec);
  return { NetworkInsightsAccessScope: scopeView(rec), NetworkInsightsAccessScopeContent: contentView(rec) };
}

export function describeNetworkInsightsAccessScopes(ctx: RequestContext, input: DescribeNetworkInsightsAccessScopesRequest): DescribeNetworkInsightsAccessScopesResult {
  // AWS documents no filters for this call; tag filters work as on every resource.
  const selected = applyFilters(selectByIds<ScopeRecord>(ctx.state, SCOPE, input.NetworkInsightsAccessScopeIds) as ScopeRecord[], input.Filters, {});
  const page = paginate(selected, input, { min: 1, max: 100 });
  return { NetworkInsightsAccessScopes: page.items.map(scopeView), NextToken: page.nextToken };
}

export function getNetworkInsightsAccessScopeContent(ctx: RequestContext, input: GetNetworkInsightsAccessScopeContentRequest): GetNetworkInsightsAccessScopeContentResult {
  const s = requireRecord<ScopeRecord>(ctx.state, SCOPE, input.NetworkInsightsAccessScopeId, 'NetworkInsightsAccessScopeId');
  return { NetworkInsightsAccessScopeContent: contentView(s) };
}

export function deleteNetworkInsightsAccessScope(ctx: RequestContext, input: DeleteNetworkInsightsAccessScopeRequest): DeleteNetworkInsightsAccessScopeResult {
  const s = requireRecord<ScopeRecord>(ctx.state, SCOPE, input.NetworkInsightsAccessScopeId, 'NetworkInsightsAccessScopeId');
  // As for Reachability Analyzer's paths (AnalysisExistsForNetworkInsightsPath), a scope with analyses is kept.
  const analyses = ctx.state
    .list<AnalysisRecord>(ANALYSIS)
    .filter((a) => a.NetworkInsightsAccessScopeId === s.NetworkInsightsAccessScopeId)
    .map((a) => a.NetworkInsightsAccessScopeAnalysisId);
  if (analyses.length) {
    throw new ApiError(
      'AnalysisExistsForNetworkInsightsAccessScope',
      `At least one analysis [${analyses.join(', ')}] exists for access scope ${s.NetworkInsightsAccessScopeId}. Delete all the analyses before deleting this access scope.`,
    );
  }
  ctx.state.delete(SCOPE, s.NetworkInsightsAccessScopeId);
  return { NetworkInsightsAccessScopeId: s.NetworkInsightsAccessScopeId };
}

// ---------------------------------------------------------------------------------------
// Analyses: sets of ports and addresses
// ---------------------------------------------------------------------------------------

interface Range {
  from: number;
  to: number;
}

/** Merges ranges into the fewest sorted, disjoint ranges. */
function mergeRanges(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a.from - b.from);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else out.push({ ...r });
  }
  return out;
}

/** A packet constraint: every listed set must hold the value (the statements of one path, AND-ed). */
interface Constraint {
  src: Cidr4[][];
  dst: Cidr4[][];
  sports: Range[][];
  dports: Range[][];
  protocols: number[][];
}

function emptyConstraint(): Constraint {
  return { src: [], dst: [], sports: [], dports: [], protocols: [] };
}

class MissingComponent extends Error {}

function cidrs(values: string[]): Cidr4[] {
  const out: Cidr4[] = [];
  for (const v of values) {
    const c = parseCidr(v.includes('/') ? v : `${v}/${v.includes(':') ? 128 : 32}`);
    if (c?.version === 4) out.push(c);
  }
  return out;
}

function addHeader(ctx: RequestContext, c: Constraint, h: PacketHeaderStatement | undefined): void {
  if (!h) return;
  const lists = (pls: string[]) =>
    pls.flatMap((pl) => {
      const got = prefixListCidrs(ctx, idOfArnOrId(pl));
      if (!got) throw new MissingComponent(pl);
      return got;
    });
  if (h.SourceAddresses?.length) c.src.push(cidrs(h.SourceAddresses));
  if (h.SourcePrefixLists?.length) c.src.push(cidrs(lists(h.SourcePrefixLists)));
  if (h.DestinationAddresses?.length) c.dst.push(cidrs(h.DestinationAddresses));
  if (h.DestinationPrefixLists?.length) c.dst.push(cidrs(lists(h.DestinationPrefixLists)));
  if (h.SourcePorts?.length) c.sports.push(h.SourcePorts.map((p) => parsePortRange(p)!));
  if (h.DestinationPorts?.length) c.dports.push(h.DestinationPorts.map((p) => parsePortRange(p)!));
  if (h.Protocols?.length) c.protocols.push(h.Protocols.map((p) => (p === 'udp' ? PROTO_UDP : PROTO_TCP)));
}

function pathConstraint(ctx: RequestContext, p: AccessScopePath): Constraint {
  const c = emptyConstraint();
  addHeader(ctx, c, p.Source?.PacketHeaderStatement);
  addHeader(ctx, c, p.Destination?.PacketHeaderStatement);
  return c;
}

/** IPv6 packets match no IPv4 block (the statements' IPv6 blocks are kept but not analysed). */
const addrIn = (lists: Cidr4[][], ip: Addr) => lists.every((l) => typeof ip === 'number' && l.some((c) => containsIp4(c, ip)));
const portIn = (lists: Range[][], port: number) => lists.every((l) => l.some((r) => port >= r.from && port <= r.to));
const protoIn = (lists: number[][], proto: number) => lists.every((l) => l.includes(proto));

// ---------------------------------------------------------------------------------------
// Analyses: sources, destinations and their statements
// ---------------------------------------------------------------------------------------

type Endpoint =
  | { kind: 'eni'; id: string; iface: CInterface }
  | { kind: 'igw'; id: string; igw: CInternetGateway }
  | { kind: 'vgw'; id: string; vgw: CVpnGateway };

function matchesResources(ep: Endpoint, s: ResourceStatement | undefined): boolean {
  if (!s) return true;
  if (s.Resources?.length) {
    const ids = new Set(s.Resources.map(idOfArnOrId));
    if (ep.kind !== 'eni') return ids.has(ep.id);
    const i = ep.iface;
    return ids.has(i.id) || (!!i.instance && ids.has(i.instance.id)) || ids.has(i.subnet.id) || ids.has(i.vpc.id) || i.model.groupIds.some((g) => ids.has(g));
  }
  const types = s.ResourceTypes ?? [];
  if (ep.kind === 'igw') return types.includes('AWS::EC2::InternetGateway');
  if (ep.kind === 'vgw') return types.includes('AWS::EC2::VPNGateway');
  return types.some((t) => {
    switch (t) {
      case 'AWS::EC2::NetworkInterface':
      case 'AWS::EC2::Subnet':
      case 'AWS::EC2::VPC':
        return true;
      case 'AWS::EC2::Instance':
        return !!ep.iface.instance;
      case 'AWS::EC2::SecurityGroup':
        return ep.iface.model.groupIds.length > 0;
      case 'AWS::EC2::VPCEndpoint':
        return !!ep.iface.model.vpcEndpointId;
    }
    return false;
  });
}

const HOP_TYPES: Record<string, string> = {
  'AWS::EC2::NatGateway': 'nat-gateway',
  'AWS::EC2::VPCPeeringConnection': 'vpc-peering-connection',
  'AWS::EC2::VPCEndpoint': 'vpc-endpoint',
};

/** Whether the path's hops go through every through-statement, in order. */
function goesThrough(hops: Hop[], through: ThroughResourcesStatement[] | undefined): boolean {
  let at = 0;
  for (const t of through ?? []) {
    const s = t.ResourceStatement;
    if (!s) continue;
    const ids = new Set((s.Resources ?? []).map(idOfArnOrId));
    const types = new Set((s.ResourceTypes ?? []).map((x) => HOP_TYPES[x]).filter((x): x is string => !!x));
    let found = false;
    for (; at < hops.length; at++) {
      const h = hops[at]!;
      if (ids.has(h.id) || types.has(h.type)) {
        found = true;
        at++;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

/** A packet that got through, with what it took. */
interface Passage {
  trace: TraceResult;
  src: Addr;
  dst: Addr;
  sport: number;
}

function pathMatches(p: AccessScopePath, c: Constraint, from: Endpoint, to: Endpoint, proto: number, pass: Passage, dport: number): boolean {
  if (!matchesResources(from, p.Source?.ResourceStatement) || !matchesResources(to, p.Destination?.ResourceStatement)) return false;
  if (!protoIn(c.protocols, proto) || !portIn(c.dports, dport) || !portIn(c.sports, pass.sport)) return false;
  if (!addrIn(c.src, pass.src)) return false;
  const last = pass.trace.forward.last.dst;
  if (!addrIn(c.dst, pass.dst) && !addrIn(c.dst, last)) return false;
  return goesThrough(pass.trace.forward.hops, p.ThroughResources);
}

// ---------------------------------------------------------------------------------------
// Analyses: running one
// ---------------------------------------------------------------------------------------

interface Finding {
  from: Endpoint;
  to: Endpoint;
  proto: number;
  ports: Range[];
  first: Passage;
  /** When `first` is another pair's packet of the same classes: that pair, whose interfaces and addresses this finding's replace. */
  like?: { from: CInterface; to: CInterface };
}

function isInternetAddress(ip: number): boolean {
  return !isRfc1918({ version: 4, base: ip, prefix: 32 });
}

/** Address boundaries of one VPC's rules: where a decision about an outside address can change. */
interface VpcCuts {
  addresses: Set<number>;
}

function cutsOf(net: CompiledNetwork, vpcId: string, cache: Map<string, VpcCuts>): VpcCuts {
  const hit = cache.get(vpcId);
  if (hit) return hit;
  const cuts: VpcCuts = { addresses: new Set() };
  // A block [base, base + size) cuts the address space at both ends.
  const block = (base: number, mask: number) => {
    cuts.addresses.add(base);
    const end = base + ((~mask >>> 0) + 1);
    if (end < 0x100000000) cuts.addresses.add(end);
  };
  const vpc = net.vpcs.get(vpcId);
  const groups = new Set<string>();
  for (const s of vpc?.subnets ?? []) {
    for (const e of [...(s.acl?.ingress ?? []), ...(s.acl?.egress ?? [])]) {
      block(e.base, e.mask);
    }
  }
  for (const i of net.interfaces.values()) if (i.vpc === vpc) for (const g of i.groups) groups.add(g.id);
  for (const gid of groups) {
    const g = net.securityGroups.get(gid);
    for (const r of [...(g?.ingress ?? []), ...(g?.egress ?? [])]) {
      for (const b of r.blocks) if (b.base6 === undefined) block(b.base, b.mask);
    }
  }
  cache.set(vpcId, cuts);
  return cuts;
}

interface Run {
  ctx: RequestContext;
  net: CompiledNetwork;
  match: Array<{ path: AccessScopePath; c: Constraint }>;
  exclude: Array<{ path: AccessScopePath; c: Constraint }>;
  cuts: Map<string, VpcCuts>;
  /** Port boundaries of every statement of the scope. */
  statementPorts: Set<number>;
  statementAddresses: number[];
  /** Interfaces grouped into classes that every decision treats alike (see InterfaceClasses). */
  classes: InterfaceClasses;
  /** Port classes of a representative pair, by (path, protocol, source class, destination class). */
  shared: Map<string, SharedPorts>;
  budget: Budget;
}

function endpointVpc(ep: Endpoint): string | undefined {
  return ep.kind === 'eni' ? ep.iface.vpc.id : ep.kind === 'igw' ? ep.igw.vpc?.id : ep.vgw.vpc?.id;
}

/** On-premises addresses to try behind a virtual private gateway: one in each block its VPN connections serve. */
function onPremisesAddresses(run: Run, vgw: CVpnGateway, allowed: Cidr4[][]): number[] {
  const candidates = new Set<number>();
  for (const c of vgw.connections) {
    for (const b of c.onPremises) if (b.base6 === undefined) candidates.add(b.prefix < 31 ? (b.base + 10) >>> 0 : b.base);
  }
  for (const a of run.statementAddresses) candidates.add(a);
  return [...candidates].filter((a) => addrIn(allowed, a) && vgw.connections.some((c) => c.onPremises.some((b) => b.base6 === undefined && ((a & b.mask) >>> 0) === b.base))).slice(0, 64);
}

/** Internet addresses to try on the outside end of a path: one per block a rule or statement names. */
function internetAddresses(run: Run, inside: Endpoint, allowed: Cidr4[][]): number[] {
  const candidates = new Set<number>([parseIpv4(DEFAULT_INTERNET_IP)!]);
  const v = endpointVpc(inside);
  if (v) for (const a of cutsOf(run.net, v, run.cuts).addresses) candidates.add(a === 0 ? parseIpv4(DEFAULT_INTERNET_IP)! : a);
  for (const a of run.statementAddresses) candidates.add(a);
  return [...candidates].filter((a) => isInternetAddress(a) && addrIn(allowed, a)).slice(0, 64);
}

function sourcePort(c: Constraint): number | undefined {
  if (portIn(c.sports, DEFAULT_SOURCE_PORT)) return DEFAULT_SOURCE_PORT;
  for (const l of c.sports) for (const r of l) if (portIn(c.sports, r.from)) return r.from;
  return undefined;
}

function traceQuietly(run: Run, req: TraceRequest): TraceResult | undefined {
  const b = run.budget;
  if ((++b.traces & 15) === 0 && performance.now() > b.deadline) throw new OverBudget(`more than ${run.ctx.config.quotas.accessScopeAnalysisMs} ms`);
  try {
    return trace(run.net, req);
  } catch (err) {
    if (err instanceof TraceInputError) return undefined;
    throw err;
  }
}

function arrivesAt(t: TraceResult, to: Endpoint): boolean {
  const end = t.forward.end;
  if (!t.forward.accepted || !end) return false;
  if (to.kind === 'eni') return end.kind === 'interface' && end.iface === to.iface;
  if (to.kind === 'vgw') return end.kind === 'on-premises' && end.vgw.id === to.id;
  return end.kind === 'internet' && end.igw.id === to.id;
}

/** The packets (by source and destination address) one MatchPath allows between two endpoints. */
interface Packet {
  source: string;
  sourceIp: string;
  destination: string;
  src: number;
  dst: number;
}

function packetsFor(run: Run, from: Endpoint, to: Endpoint, c: Constraint): Packet[] {
  const out: Packet[] = [];
  if (from.kind === 'eni' && to.kind === 'eni') {
    const srcIps = from.iface.ips.filter((ip) => addrIn(c.src, ip)).slice(0, 1);
    const dstIps = [...to.iface.ips, ...to.iface.publicIps.filter((p) => p !== 0)];
    const preferred = !c.dst.length ? [] : dstIps.filter((ip) => addrIn(c.dst, ip)).slice(0, 1);
    for (const s of srcIps) {
      if (!c.dst.length) out.push({ source: from.id, sourceIp: formatIpv4(s), destination: to.id, src: s, dst: to.iface.primaryIp });
      else for (const d of preferred) out.push({ source: from.id, sourceIp: formatIpv4(s), destination: formatIpv4(d), src: s, dst: d });
    }
  } else if (from.kind === 'igw' && to.kind === 'eni') {
    if (c.dst.length && ![...to.iface.ips, ...to.iface.publicIps].some((ip) => ip !== 0 && addrIn(c.dst, ip))) return out;
    for (const s of internetAddresses(run, to, c.src)) out.push({ source: from.id, sourceIp: formatIpv4(s), destination: to.id, src: s, dst: to.iface.primaryIp });
  } else if (from.kind === 'eni' && to.kind === 'igw') {
    const srcIps = from.iface.ips.filter((ip) => addrIn(c.src, ip)).slice(0, 1);
    for (const s of srcIps) for (const d of internetAddresses(run, from, c.dst)) out.push({ source: from.id, sourceIp: formatIpv4(s), destination: formatIpv4(d), src: s, dst: d });
  } else if (from.kind === 'vgw' && to.kind === 'eni') {
    if (c.dst.length && !to.iface.ips.some((ip) => addrIn(c.dst, ip))) return out;
    for (const s of onPremisesAddresses(run, from.vgw, c.src)) out.push({ source: from.id, sourceIp: formatIpv4(s), destination: to.id, src: s, dst: to.iface.primaryIp });
  } else if (from.kind === 'eni' && to.kind === 'vgw') {
    const srcIps = from.iface.ips.filter((ip) => addrIn(c.src, ip)).slice(0, 1);
    for (const s of srcIps) for (const d of onPremisesAddresses(run, to.vgw, c.dst)) out.push({ source: from.id, sourceIp: formatIpv4(s), destination: formatIpv4(d), src: s, dst: d });
  }
  return out;
}

/**
 * Adds the port bounds of the rules that decided (or could decide) a trace's forward packet
 * to `cuts`: the egress rules of the interface that sent it, the ingress rules of the one that
 * received it (both of an appliance it crossed), the entries of each network ACL it met in the
 * direction it met them. Answers whether any cut is new.
 */
function cutsMet(net: CompiledNetwork, t: TraceResult, proto: number, cuts: Set<number>, seen: Set<string>): boolean {
  let fresh = false;
  const cut = (a: number, b: number) => {
    for (const x of [a, b + 1]) {
      if (x > 0 && x <= 65535 && !cuts.has(x)) {
        cuts.add(x);
        fresh = true;
      }
    }
  };
  const groups = (ifaceId: string, egress: boolean) => {
    const key = `${ifaceId}/${egress ? 'out' : 'in'}`;
    if (seen.has(key)) return;
    seen.add(key);
    for (const g of net.interfaces.get(ifaceId)?.groups ?? []) for (const r of egress ? g.egress : g.ingress) if (r.protocol === proto) cut(r.fromPort, r.toPort);
  };
  const acl = (id: string, egress: boolean) => {
    const key = `${id}/${egress ? 'out' : 'in'}`;
    if (seen.has(key)) return;
    seen.add(key);
    const a = net.acls.get(id);
    for (const e of (egress ? a?.egress : a?.ingress) ?? []) if (e.protocol === proto) cut(e.fromPort, e.toPort);
  };
  const path = t.forward;
  for (const h of path.hops) {
    if (h.type === 'network-acl') acl(h.id, h.direction === 'egress');
    else if (h.type === 'network-interface') {
      if (h.action !== 'receive') groups(h.id, true);
      if (h.action !== 'send') groups(h.id, false);
    }
  }
  const x = path.explanation;
  if (x?.acl) acl(x.acl, x.aclDirection === 'egress');
  if (x?.component.type === 'network-interface') {
    groups(x.component.id, true);
    groups(x.component.id, false);
  }
  return fresh;
}

/**
 * The destination ports on which one packet (source, destination, protocol) gets through and
 * matches `path` and no exclude path: the port range is cut at the bounds of the scope's port
 * statements and, as a fixpoint, of every rule the traced packets meet; one trace per class
 * decides the class (every port of it meets the same rules).
 */
function openPorts(run: Run, path: AccessScopePath, c: Constraint, from: Endpoint, to: Endpoint, proto: number, sport: number, pk: Packet): Array<{ range: Range; pass: Passage }> {
  const cuts = new Set<number>([0, ...[...run.statementPorts].filter((p) => p > 0 && p <= 65535)]);
  const seen = new Set<string>();
  const results = new Map<number, Passage | undefined>();
  for (;;) {
    let fresh = false;
    for (const port of [...cuts].sort((a, b) => a - b)) {
      if (results.has(port)) continue;
      if (!portIn(c.dports, port)) {
        results.set(port, undefined);
        continue;
      }
      const t = traceQuietly(run, { source: pk.source, sourceIp: pk.sourceIp, destination: pk.destination, protocol: proto, sourcePort: sport, destinationPort: port });
      if (!t) {
        results.set(port, undefined);
        continue;
      }
      if (cutsMet(run.net, t, proto, cuts, seen)) fresh = true;
      let pass: Passage | undefined = { trace: t, src: t.forward.first.src, dst: t.forward.first.dst, sport };
      if (!arrivesAt(t, to) || !pathMatches(path, c, from, to, proto, pass, port)) pass = undefined;
      else if (run.exclude.some((x) => pathMatches(x.path, x.c, from, to, proto, pass!, port))) pass = undefined;
      results.set(port, pass);
    }
    if (!fresh) break;
  }
  const points = [...cuts].sort((a, b) => a - b);
  const out: Array<{ range: Range; pass: Passage }> = [];
  for (let k = 0; k < points.length; k++) {
    const pass = results.get(points[k]!);
    if (pass) out.push({ range: { from: points[k]!, to: k + 1 < points.length ? points[k + 1]! - 1 : 65535 }, pass });
  }
  return out;
}

/**
 * Interfaces that every decision of a forward trace between two interfaces treats alike:
 * same subnet (so the same route table and network ACL), same security groups in the same
 * order (the rule a path reports is the first that allows it), same kind (an interface of a
 * NAT gateway or VPC endpoint answers differently), an instance or none, and primary
 * addresses between the same two cuts of every block the network or the scope names (routes,
 * ACL entries, security group rules, VPCs, subnets, peered and on-premises blocks,
 * statements). A security group rule naming a group decides by the group set of the
 * address's owner, which is part of the class. For two classes, one pair of members is traced
 * port class by port class; every other pair gets its port classes and that pair's components
 * with its own interfaces, instances and addresses. When those could appear elsewhere on the
 * path (a route through one of them), the pair is traced once at the first open port instead,
 * and traced in full if that trace does not agree.
 */
interface InterfaceClasses {
  cuts: number[];
  byIface: Map<CInterface, number>;
  /** Class keys (and exclude-path bits) by number: short keys for the pairs' maps. */
  numbers: Map<string, number>;
  /** Per endpoint: which exclude paths its resources match, as source and as destination. */
  asSource: Map<Endpoint, number>;
  asDestination: Map<Endpoint, number>;
}

const V4_END = 0x100000000;

function interfaceClasses(net: CompiledNetwork, blocks: Cidr4[]): InterfaceClasses {
  const set = new Set<number>([0]);
  const add = (lo: number, hi: number) => {
    set.add(lo);
    if (hi + 1 < V4_END) set.add(hi + 1);
  };
  forEachNamedBlock(net, add, false);
  for (const b of blocks) add(b.base >>> 0, (b.base >>> 0) + 2 ** (32 - b.prefix) - 1);
  const cuts = [...set].sort((a, b) => a - b);
  return { cuts, byIface: new Map(), numbers: new Map(), asSource: new Map(), asDestination: new Map() };
}

function numberOf(cl: InterfaceClasses, key: string): number {
  let n = cl.numbers.get(key);
  if (n === undefined) cl.numbers.set(key, (n = cl.numbers.size));
  return n;
}

function classOf(run: Run, i: CInterface): number {
  const cl = run.classes;
  let k = cl.byIface.get(i);
  if (k === undefined) {
    const m = i.model;
    k = numberOf(cl, `c|${i.subnet.id}|${m.groupIds.join(',')}|${m.type}|${m.sourceDestCheck}|${i.instance ? 'i' : ''}|${i.nat?.id ?? ''}|${m.vpcEndpointId ?? ''}|${cutIndex(cl.cuts, i.primaryIp)}`);
    cl.byIface.set(i, k);
  }
  return k;
}

function excludeBits(run: Run, ep: Endpoint, source: boolean): number {
  const map = source ? run.classes.asSource : run.classes.asDestination;
  let bits = map.get(ep);
  if (bits === undefined) {
    bits = numberOf(run.classes, `x|${run.exclude.map(({ path }) => (matchesResources(ep, source ? path.Source?.ResourceStatement : path.Destination?.ResourceStatement) ? '1' : '0')).join('')}`);
    map.set(ep, bits);
  }
  return bits;
}

/** The analysis would take more than the budget allows: it stops and fails, saying why. */
class OverBudget extends Error {}

interface Budget {
  maxFindings: number;
  /** The instant (performance.now()) at which the analysis stops: the request holds the server meanwhile. */
  deadline: number;
  traces: number;
}

function addFinding(
  run: Run,
  findings: Map<string, Finding>,
  key: string,
  from: Endpoint,
  to: Endpoint,
  proto: number,
  range: Range,
  pass: () => Passage | undefined,
): boolean {
  const f = findings.get(key);
  if (f) {
    f.ports = mergeRanges([...f.ports, range]);
    return true;
  }
  const first = pass();
  if (!first) return false;
  if (findings.size >= run.budget.maxFindings) throw new OverBudget(`more than ${run.budget.maxFindings} findings`);
  findings.set(key, { from, to, proto, ports: [range], first });
  return true;
}

/** What one pair of two classes found: its port classes, and its first packet through with the pair. */
interface SharedPorts {
  ranges: Range[];
  first?: Passage;
  from: CInterface;
  to: CInterface;
  /** Whether other pairs' components are this one's with their own interfaces, instances and addresses. */
  template: boolean;
}

/**
 * Whether a path's components can stand for another pair's: the two interfaces (and their
 * instances) appear as the path's ends only, never as a route's target or a hop between.
 */
function templatable(p: Passage | undefined, from: CInterface, to: CInterface): boolean {
  if (!p) return false;
  const ends = new Set([from.id, to.id, from.instance?.id, to.instance?.id].filter((x): x is string => !!x));
  let count = 0;
  for (const h of p.trace.forward.hops) {
    if (ends.has(h.id)) count++;
    const target = h.route?.model.target;
    if (target && ends.has(target.id ?? '')) return false;
  }
  return count <= ends.size;
}

/**
 * A pair of interfaces for one packet: the port classes of the first pair of the same two
 * classes, and one trace of this pair at the first open port for its components. Undefined
 * when the pair must be traced in full (a public destination address, or a trace that does
 * not agree with its class).
 */
function sharedPorts(run: Run, index: number, path: AccessScopePath, c: Constraint, from: Endpoint, to: Endpoint, proto: number, sport: number, pk: Packet, findings: Map<string, Finding>): boolean {
  if (from.kind !== 'eni' || to.kind !== 'eni' || pk.dst !== to.iface.primaryIp) return false;
  const key = `${index},${proto},${classOf(run, from.iface)},${classOf(run, to.iface)},${cutIndex(run.classes.cuts, pk.src)},${excludeBits(run, from, true)},${excludeBits(run, to, false)}`;
  const known = run.shared.get(key);
  const fkey = `${from.id}|${to.id}|${proto}`;
  if (!known) {
    const open = openPorts(run, path, c, from, to, proto, sport, pk);
    const first = open[0]?.pass;
    run.shared.set(key, { ranges: mergeRanges(open.map((o) => o.range)), first, from: from.iface, to: to.iface, template: templatable(first, from.iface, to.iface) });
    for (const { range, pass } of open) addFinding(run, findings, fkey, from, to, proto, range, () => pass);
    return true;
  }
  if (!known.ranges.length) return true;
  if (known.template && known.first) {
    const f = findings.get(fkey);
    if (f) f.ports = mergeRanges([...f.ports, ...known.ranges]);
    else {
      if (findings.size >= run.budget.maxFindings) throw new OverBudget(`more than ${run.budget.maxFindings} findings`);
      findings.set(fkey, { from, to, proto, ports: known.ranges.slice(), first: known.first, like: { from: known.from, to: known.to } });
    }
    return true;
  }
  let agreed = true;
  for (const range of known.ranges) {
    const ok = addFinding(run, findings, fkey, from, to, proto, range, () => {
      const port = range.from;
      const t = traceQuietly(run, { source: pk.source, sourceIp: pk.sourceIp, destination: pk.destination, protocol: proto, sourcePort: sport, destinationPort: port });
      if (!t) return undefined;
      const pass: Passage = { trace: t, src: t.forward.first.src, dst: t.forward.first.dst, sport };
      if (!arrivesAt(t, to) || !pathMatches(path, c, from, to, proto, pass, port)) return undefined;
      if (run.exclude.some((x) => pathMatches(x.path, x.c, from, to, proto, pass, port))) return undefined;
      return pass;
    });
    if (!ok) {
      agreed = false;
      break;
    }
  }
  return agreed;
}

function analysePair(run: Run, from: Endpoint, to: Endpoint, findings: Map<string, Finding>): void {
  // The internet reaches a VPC, and is reached from it, through that VPC's own gateway.
  if (from.kind === 'igw' && to.kind === 'eni' && from.igw.vpc !== to.iface.vpc) return;
  if (from.kind === 'eni' && to.kind === 'igw' && to.igw.vpc !== from.iface.vpc) return;
  if (from.kind === 'vgw' && to.kind === 'eni' && from.vgw.vpc !== to.iface.vpc) return;
  if (from.kind === 'eni' && to.kind === 'vgw' && to.vgw.vpc !== from.iface.vpc) return;
  for (const [index, { path, c }] of run.match.entries()) {
    if (!matchesResources(from, path.Source?.ResourceStatement) || !matchesResources(to, path.Destination?.ResourceStatement)) continue;
    const sport = sourcePort(c);
    if (sport === undefined) continue;
    const packets = packetsFor(run, from, to, c);
    for (const proto of [PROTO_TCP, PROTO_UDP]) {
      if (!protoIn(c.protocols, proto)) continue;
      const key = `${from.id}|${to.id}|${proto}`;
      for (const pk of packets) {
        if (sharedPorts(run, index, path, c, from, to, proto, sport, pk, findings)) continue;
        for (const { range, pass } of openPorts(run, path, c, from, to, proto, sport, pk)) addFinding(run, findings, key, from, to, proto, range, () => pass);
      }
    }
  }
}

function widen(h: AnalysisPacketHeader | undefined, ports: PortRange[]): void {
  if (h?.DestinationPortRanges) h.DestinationPortRanges = ports;
}

/**
 * Findings share what is the same among them (a packet header of their template, a list of
 * port ranges): one object each, frozen when stored.
 */
class Interner {
  private readonly headers = new Map<string, AnalysisPacketHeader>();
  private readonly ports = new Map<string, PortRange[]>();
  portRanges(ranges: Range[]): PortRange[] {
    const key = ranges.map((r) => `${r.from}-${r.to}`).join(',');
    let hit = this.ports.get(key);
    if (!hit) {
      hit = ranges.map((r) => ({ From: r.from, To: r.to }));
      this.ports.set(key, hit);
    }
    return hit;
  }
  header(h: AnalysisPacketHeader | undefined): AnalysisPacketHeader | undefined {
    if (!h) return h;
    const key = JSON.stringify(h);
    const hit = this.headers.get(key);
    if (hit) return hit;
    this.headers.set(key, h);
    return h;
  }
}

interface Outcome {
  findings: StoredFinding[];
  templates?: PathComponent[][];
  analyzedEnis: number;
  failure?: string;
}

function analyse(ctx: RequestContext, scope: Readonly<ScopeRecord>): Outcome {
  const store = (ctx.state.tx as unknown as { store: Store }).store;
  const net = compiledNetwork({ store, config: ctx.config }, { now: ctx.now });
  const mine = (account: string, region: string) => account === ctx.account && region === ctx.region;
  const interfaces = [...net.interfaces.values()].filter((i) => mine(i.model.account, i.model.region));
  const endpoints: Endpoint[] = [
    ...[...net.internetGateways.values()].filter((g) => g.vpc && mine(g.vpc.model.account, g.vpc.model.region)).map((igw): Endpoint => ({ kind: 'igw', id: igw.id, igw })),
    ...[...net.vpnGateways.values()].filter((g) => g.vpc && mine(g.vpc.model.account, g.vpc.model.region)).map((vgw): Endpoint => ({ kind: 'vgw', id: vgw.id, vgw })),
    ...interfaces.filter((i) => i.up).map((iface): Endpoint => ({ kind: 'eni', id: iface.id, iface })),
  ];
  let run: Run;
  try {
    const ports = new Set<number>();
    const addresses: number[] = [];
    const blocks: Cidr4[] = [];
    const paths = (list: AccessScopePath[]) =>
      list.map((path) => {
        const c = pathConstraint(ctx, path);
        for (const l of [...c.dports, ...c.sports]) for (const r of l) {
          ports.add(r.from);
          if (r.to < 65535) ports.add(r.to + 1);
        }
        for (const l of [...c.src, ...c.dst]) for (const b of l) {
          addresses.push(b.base);
          blocks.push(b);
        }
        return { path, c };
      });
    const match = paths(scope._matchPaths);
    const exclude = paths(scope._excludePaths);
    const budget: Budget = { maxFindings: ctx.config.quotas.findingsPerAccessScopeAnalysis, deadline: performance.now() + ctx.config.quotas.accessScopeAnalysisMs, traces: 0 };
    run = { ctx, net, match, exclude, cuts: new Map(), statementPorts: ports, statementAddresses: addresses, classes: interfaceClasses(net, blocks), shared: new Map(), budget };
  } catch (err) {
    if (err instanceof MissingComponent) return { findings: [], analyzedEnis: interfaces.length, failure: `The request failed due to missing component ${err.message}` };
    throw err;
  }
  // Resources the scope names must exist.
  for (const { path } of [...run.match, ...run.exclude]) {
    for (const s of [path.Source?.ResourceStatement, path.Destination?.ResourceStatement, ...(path.ThroughResources ?? []).map((t) => t.ResourceStatement)]) {
      for (const r of s?.Resources ?? []) {
        if (r.startsWith('arn:') && r.split(':')[2] !== 'ec2') continue;
        const id = idOfArnOrId(r);
        const known =
          net.interfaces.has(id) || net.instances.has(id) || net.internetGateways.has(id) || net.subnets.has(id) || net.vpcs.has(id) ||
          net.securityGroups.has(id) || net.natGateways.has(id) || net.vpcEndpoints.has(id) || net.peerings.has(id) || net.vpnGateways.has(id);
        if (!known) return { findings: [], analyzedEnis: interfaces.length, failure: `The request failed due to missing component ${r}` };
      }
    }
  }
  // Pairs any MatchPath selects by resource, each once; the paths' headers are checked per pair.
  const found = new Map<string, Finding>();
  const sources = endpoints.filter((e) => run.match.some(({ path }) => matchesResources(e, path.Source?.ResourceStatement)));
  const destinations = endpoints.filter((e) => run.match.some(({ path }) => matchesResources(e, path.Destination?.ResourceStatement)));
  try {
    // Without address statements every pair of interfaces sends one packet per path, primary
    // address to primary address: two pairs of the same classes (and the same matches by
    // resource) find the same, so a class pair that found nothing is not visited again.
    const plain = [...run.match, ...run.exclude].every(({ c }) => !c.src.length && !c.dst.length);
    const ids = new Map<string, number>();
    const endpointIds = new Map<Endpoint, number>();
    const idOf = (ep: Endpoint, source: boolean): number => {
      const cached = source ? endpointIds.get(ep) : undefined;
      if (cached !== undefined) return cached;
      if (ep.kind !== 'eni') return -1;
      const bits = run.match.map(({ path }) => (matchesResources(ep, source ? path.Source?.ResourceStatement : path.Destination?.ResourceStatement) ? '1' : '0')).join('');
      const key = `${source}|${classOf(run, ep.iface)}|${bits}|${excludeBits(run, ep, source)}`;
      let id = ids.get(key);
      if (id === undefined) ids.set(key, (id = ids.size));
      if (source) endpointIds.set(ep, id);
      return id;
    };
    const destinationIds = new Map<Endpoint, number>(destinations.map((d) => [d, idOf(d, false)]));
    const dead = new Set<number>();
    let pairs = 0;
    for (const from of sources) {
      const f = plain ? idOf(from, true) : -1;
      for (const to of destinations) {
        if (from === to || (from.kind !== 'eni' && to.kind !== 'eni')) continue;
        if ((++pairs & 63) === 0 && performance.now() > run.budget.deadline) throw new OverBudget(`more than ${ctx.config.quotas.accessScopeAnalysisMs} ms`);
        const t = destinationIds.get(to)!;
        const k = f >= 0 && t >= 0 ? f * 1048576 + t : -1;
        if (k >= 0 && dead.has(k)) continue;
        const before = found.size;
        analysePair(run, from, to, found);
        if (k >= 0 && found.size === before) dead.add(k);
      }
    }
  } catch (err) {
    if (!(err instanceof OverBudget)) throw err;
    return {
      findings: [],
      analyzedEnis: interfaces.length,
      failure:
        `The analysis was stopped: it would take ${err.message} (${sources.length} sources, ${destinations.length} destinations). ` +
        'Narrow the Network Access Scope: name fewer sources or destinations (a subnet, a security group, an instance instead of every network interface), ' +
        'or add protocols, ports or addresses to its packet header statements.',
    };
  }
  const m = new Mapper(ctx, net);
  const shared = new Interner();
  const templates: PathComponent[][] = [];
  const templateOf = new Map<Passage, number>();
  const refs = new Map<CInterface, { eni: [string, string, string]; instance?: [string, string, string] }>();
  const ipOf = new Map<CInterface, string>();
  const ip = (i: CInterface) => {
    let s = ipOf.get(i);
    if (s === undefined) ipOf.set(i, (s = formatIpv4(i.primaryIp)));
    return s;
  };
  const out: StoredFinding[] = [];
  for (const f of found.values()) {
    const t = f.first.trace;
    let index = templateOf.get(f.first);
    if (index === undefined) {
      const template = m.components(t.forward.hops, t.forward.first, t.forward.last);
      // The first component carries the packet as it set out (a path from on premises starts at the VPN connection).
      if (template[0] && !template[0].OutboundHeader) template[0].OutboundHeader = m.header(t.forward.first);
      for (const c of template) {
        if (c.InboundHeader) c.InboundHeader = shared.header(c.InboundHeader);
        if (c.OutboundHeader) c.OutboundHeader = shared.header(c.OutboundHeader);
      }
      templateOf.set(f.first, (index = templates.length));
      templates.push(template);
    }
    const stored: StoredFinding = { FindingId: randomUUID(), t: index, p: shared.portRanges(f.ports) };
    if (f.like && f.from.kind === 'eni' && f.to.kind === 'eni') {
      const r: Array<[string, string, string]> = [];
      const a: Array<[string, string]> = [];
      for (const [was, now] of [
        [f.like.from, f.from.iface],
        [f.like.to, f.to.iface],
      ] as const) {
        if (was === now) continue;
        let ids = refs.get(now);
        if (!ids) {
          const eni = m.component('network-interface', now.id);
          const inst = now.instance ? m.component('instance', now.instance.id) : undefined;
          ids = { eni: ['', eni.Id!, eni.Arn!], instance: inst ? ['', inst.Id!, inst.Arn!] : undefined };
          refs.set(now, ids);
        }
        r.push([was.id, ids.eni[1], ids.eni[2]]);
        if (was.instance && ids.instance) r.push([was.instance.id, ids.instance[1], ids.instance[2]]);
        a.push([ip(was), ip(now)]);
      }
      if (r.length) stored.r = r;
      if (a.length) stored.a = a;
    }
    out.push(stored);
  }
  return { findings: out, templates, analyzedEnis: interfaces.length };
}

/**
 * A finding as stored: the index of its template (the components of the first pair of its
 * classes, with the headers as traced), its port ranges, and what it puts in place of that
 * pair's interfaces, instances (`r`: old ID, new ID, new ARN) and addresses (`a`: old, new).
 * Stored this way a finding is a few small objects; its components are made when read.
 */
interface StoredFinding {
  FindingId: string;
  t: number;
  p: PortRange[];
  r?: Array<[string, string, string]>;
  a?: Array<[string, string]>;
}

function findingView(a: Readonly<AnalysisRecord>, stored: Readonly<StoredFinding | AccessScopeAnalysisFinding>): AccessScopeAnalysisFinding {
  // Analyses stored before findings were kept by template hold them whole.
  if ('FindingComponents' in stored) return stored as AccessScopeAnalysisFinding;
  const f = stored as Readonly<StoredFinding>;
  const template = a._templates?.[f.t] ?? [];
  const refs = new Map<string, { Id: string; Arn: string }>((f.r ?? []).map(([was, Id, Arn]) => [was, { Id, Arn }]));
  const ips = new Map<string, string>(f.a ?? []);
  const ref = (x: PathComponent['Component']) => (x?.Id && refs.get(x.Id)) || x;
  const addrs = (l: string[]) => (ips.size ? l.map((x) => ips.get(x) ?? x) : [...l]);
  const made = new Map<AnalysisPacketHeader, AnalysisPacketHeader>();
  const header = (h: AnalysisPacketHeader): AnalysisPacketHeader => {
    const hit = made.get(h);
    if (hit) return hit;
    const out: AnalysisPacketHeader = { ...h };
    made.set(h, out);
    if (h.SourceAddresses) out.SourceAddresses = addrs(h.SourceAddresses);
    if (h.DestinationAddresses) out.DestinationAddresses = addrs(h.DestinationAddresses);
    widen(out, f.p);
    return out;
  };
  return {
    NetworkInsightsAccessScopeAnalysisId: a.NetworkInsightsAccessScopeAnalysisId,
    NetworkInsightsAccessScopeId: a.NetworkInsightsAccessScopeId,
    FindingId: f.FindingId,
    FindingComponents: template.map((c0) => {
      const c: PathComponent = { ...c0 };
      if (c.Component) c.Component = ref(c.Component);
      if (c.AttachedTo) c.AttachedTo = ref(c.AttachedTo);
      if (c.InboundHeader) c.InboundHeader = header(c.InboundHeader);
      if (c.OutboundHeader) c.OutboundHeader = header(c.OutboundHeader);
      return c;
    }),
  };
}

// ---------------------------------------------------------------------------------------
// Analyses: the API
// ---------------------------------------------------------------------------------------

function analysisView(a: Readonly<AnalysisRecord>): NetworkInsightsAccessScopeAnalysis {
  const { _findings: _f, _templates: _t, ...view } = a;
  return view;
}

export function startNetworkInsightsAccessScopeAnalysis(
  ctx: RequestContext,
  input: StartNetworkInsightsAccessScopeAnalysisRequest,
): StartNetworkInsightsAccessScopeAnalysisResult {
  const scope = requireRecord<ScopeRecord>(ctx.state, SCOPE, input.NetworkInsightsAccessScopeId, 'NetworkInsightsAccessScopeId');
  const tags = tagsFromSpecs(ctx, input.TagSpecifications, ANALYSIS);
  const id = newId('nisa');
  const base: AnalysisRecord = {
    NetworkInsightsAccessScopeAnalysisId: id,
    NetworkInsightsAccessScopeAnalysisArn: arn(ctx, ANALYSIS, id),
    NetworkInsightsAccessScopeId: scope.NetworkInsightsAccessScopeId,
    Status: 'running',
    StartDate: ctx.now,
    FindingsFound: 'unknown',
    Tags: tags ?? [],
    _findings: [],
  };
  const outcome = analyse(ctx, scope);
  const rec: AnalysisRecord = { ...base, EndDate: ctx.now, AnalyzedEniCount: outcome.analyzedEnis };
  if (outcome.failure) {
    rec.Status = 'failed';
    rec.StatusMessage = outcome.failure;
  } else {
    rec.Status = 'succeeded';
    rec.FindingsFound = outcome.findings.length ? 'true' : 'false';
    rec._findings = outcome.findings;
    rec._templates = outcome.templates ?? [];
  }
  ctx.state.put(ANALYSIS, id, rec);
  return { NetworkInsightsAccessScopeAnalysis: analysisView(base) };
}

export function describeNetworkInsightsAccessScopeAnalyses(
  ctx: RequestContext,
  input: DescribeNetworkInsightsAccessScopeAnalysesRequest,
): DescribeNetworkInsightsAccessScopeAnalysesResult {
  if (input.NetworkInsightsAccessScopeId) checkIdShape(kindOf(SCOPE), input.NetworkInsightsAccessScopeId);
  let selected = selectByIds<AnalysisRecord>(ctx.state, ANALYSIS, input.NetworkInsightsAccessScopeAnalysisIds) as AnalysisRecord[];
  if (input.NetworkInsightsAccessScopeId) selected = selected.filter((a) => a.NetworkInsightsAccessScopeId === input.NetworkInsightsAccessScopeId);
  const begin = input.AnalysisStartTimeBegin ? new Date(input.AnalysisStartTimeBegin).getTime() : undefined;
  const end = input.AnalysisStartTimeEnd ? new Date(input.AnalysisStartTimeEnd).getTime() : undefined;
  if (begin !== undefined || end !== undefined) {
    selected = selected.filter((a) => {
      const t = new Date(a.StartDate!).getTime();
      return (begin === undefined || t >= begin) && (end === undefined || t <= end);
    });
  }
  // AWS documents no filters for this call; tag filters work as on every resource.
  selected = applyFilters(selected, input.Filters, {});
  const page = paginate(selected, input, { min: 1, max: 100 });
  return { NetworkInsightsAccessScopeAnalyses: page.items.map(analysisView), NextToken: page.nextToken };
}

export function getNetworkInsightsAccessScopeAnalysisFindings(
  ctx: RequestContext,
  input: GetNetworkInsightsAccessScopeAnalysisFindingsRequest,
): GetNetworkInsightsAccessScopeAnalysisFindingsResult {
  const a = requireRecord<AnalysisRecord>(ctx.state, ANALYSIS, input.NetworkInsightsAccessScopeAnalysisId, 'NetworkInsightsAccessScopeAnalysisId');
  const page = paginate(a._findings, input, { min: 1, max: 1000 });
  return {
    NetworkInsightsAccessScopeAnalysisId: a.NetworkInsightsAccessScopeAnalysisId,
    AnalysisStatus: a.Status,
    AnalysisFindings: page.items.map((f) => findingView(a, f)),
    NextToken: page.nextToken,
  };
}

export function deleteNetworkInsightsAccessScopeAnalysis(
  ctx: RequestContext,
  input: DeleteNetworkInsightsAccessScopeAnalysisRequest,
): DeleteNetworkInsightsAccessScopeAnalysisResult {
  const a = requireRecord<AnalysisRecord>(ctx.state, ANALYSIS, input.NetworkInsightsAccessScopeAnalysisId, 'NetworkInsightsAccessScopeAnalysisId');
  ctx.state.delete(ANALYSIS, a.NetworkInsightsAccessScopeAnalysisId);
  return { NetworkInsightsAccessScopeAnalysisId: a.NetworkInsightsAccessScopeAnalysisId };
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  CreateNetworkInsightsAccessScope: createNetworkInsightsAccessScope,
  DescribeNetworkInsightsAccessScopes: describeNetworkInsightsAccessScopes,
  GetNetworkInsightsAccessScopeContent: getNetworkInsightsAccessScopeContent,
  DeleteNetworkInsightsAccessScope: deleteNetworkInsightsAccessScope,
  StartNetworkInsightsAccessScopeAnalysis: startNetworkInsightsAccessScopeAnalysis,
  DescribeNetworkInsightsAccessScopeAnalyses: describeNetworkInsightsAccessScopeAnalyses,
  GetNetworkInsightsAccessScopeAnalysisFindings: getNetworkInsightsAccessScopeAnalysisFindings,
  DeleteNetworkInsightsAccessScopeAnalysis: deleteNetworkInsightsAccessScopeAnalysis,
};
