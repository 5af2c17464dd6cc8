/**
 * Compiles a NetworkModel once into the structures a packet walk needs: per route table a
 * longest-prefix-match table, per network ACL and security group an evaluator over
 * numbers, address→interface maps per VPC (private) and across the whole network
 * (public), and the gateways, peering links and VPN connections of each VPC.
 *
 * IPv4 addresses are unsigned 32-bit numbers, IPv6 addresses bigints (`Addr`). A block
 * of either family lives in the same lists; a number never matches an IPv6 block and a
 * bigint never an IPv4 one, so the IPv4 paths keep their plain number arithmetic.
 */
import { parseCidr4, parseCidr6, parseIpv4, parseIpv6 } from './cidr.js';
import type {
  AclEntryModel,
  InstanceModel,
  InterfaceModel,
  NatGatewayModel,
  NetworkAclModel,
  NetworkModel,
  PeeringConnectionModel,
  PeeringEndModel,
  RouteModel,
  RouteTableModel,
  SecurityGroupModel,
  SecurityGroupRuleModel,
  SubnetModel,
  VpcEndpointModel,
  VpcModel,
  VpnConnectionModel,
  VpnGatewayModel,
} from './model.js';

export const PROTO_ALL = -1;
export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMPV6 = 58;

/** "tcp" / "6" / "-1" / "all" → protocol number (-1 = all); undefined when not a protocol. */
export function protocolNumber(p: string | number | undefined): number | undefined {
  if (p === undefined) return undefined;
  if (typeof p === 'number') return Number.isInteger(p) && p >= -1 && p <= 255 ? p : undefined;
  switch (p.toLowerCase()) {
    case '-1':
    case 'all':
      return PROTO_ALL;
    case 'tcp':
      return PROTO_TCP;
    case 'udp':
      return PROTO_UDP;
    case 'icmp':
      return PROTO_ICMP;
    case 'icmpv6':
      return PROTO_ICMPV6;
  }
  if (!/^\d{1,3}$/.test(p)) return undefined;
  const n = Number(p);
  return n <= 255 ? n : undefined;
}

export function protocolName(p: number): string {
  switch (p) {
    case PROTO_ALL:
      return 'all';
    case PROTO_TCP:
      return 'tcp';
    case PROTO_UDP:
      return 'udp';
    case PROTO_ICMP:
      return 'icmp';
    case PROTO_ICMPV6:
      return 'icmpv6';
  }
  return String(p);
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** An address: IPv4 as an unsigned 32-bit number, IPv6 as a bigint. */
export type Addr = number | bigint;

const ALL_ONES_128 = (1n << 128n) - 1n;

/**
 * A parsed block. IPv4: `base`/`mask` numbers. IPv6: `base6`/`mask6` bigints, and `base`
 * is -1 so that no IPv4 address (`(ip & mask) >>> 0` is never negative) matches it.
 */
export interface Block {
  base: number;
  mask: number;
  prefix: number;
  base6?: bigint;
  mask6?: bigint;
}

function maskOf6(prefix: number): bigint {
  return prefix === 0 ? 0n : (ALL_ONES_128 << BigInt(128 - prefix)) & ALL_ONES_128;
}

function block(cidr: string | undefined): Block | undefined {
  if (!cidr) return undefined;
  const c = parseCidr4(cidr);
  if (c) return { base: c.base, mask: maskOf(c.prefix), prefix: c.prefix };
  const c6 = parseCidr6(cidr);
  return c6 ? { base: -1, mask: 0, prefix: c6.prefix, base6: c6.base, mask6: maskOf6(c6.prefix) } : undefined;
}

/** Parses an IPv4 or IPv6 address. */
export function parseAddr(s: string): Addr | undefined {
  return parseIpv4(s) ?? parseIpv6(s);
}

/** Whether an IPv6 address is in an (IPv6) block. */
function inBlock6(b: Block, ip: bigint): boolean {
  return b.base6 !== undefined && (ip & b.mask6!) === b.base6;
}

function blocks(cidrs: readonly string[] | undefined): Block[] {
  const out: Block[] = [];
  for (const c of cidrs ?? []) {
    const b = block(c);
    if (b) out.push(b);
  }
  return out;
}

export function inBlock(b: Block, ip: Addr): boolean {
  if (typeof ip === 'bigint') return inBlock6(b, ip);
  return ((ip & b.mask) >>> 0) === b.base;
}

export function inBlocks(bs: readonly Block[], ip: Addr): boolean {
  if (typeof ip === 'bigint') {
    for (let i = 0; i < bs.length; i++) if (inBlock6(bs[i]!, ip)) return true;
    return false;
  }
  for (let i = 0; i < bs.length; i++) {
    const b = bs[i]!;
    if (((ip & b.mask) >>> 0) === b.base) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// Route tables: longest prefix match
// ---------------------------------------------------------------------------------------

/** Among routes of equal prefix length: local, then static CIDR, then prefix list, then propagated. */
function routeRank(r: RouteModel): number {
  if (r.target.kind === 'local') return 0;
  if (r.origin === 'EnableVgwRoutePropagation') return 3;
  if (r.prefixListId) return 2;
  return 1;
}

export class CRoute {
  constructor(
    readonly model: RouteModel,
    readonly base: number,
    readonly mask: number,
    readonly prefix: number,
    readonly rank: number,
    /** The destination as shown: the block, or the prefix list ID. */
    readonly destination: string,
    /** An IPv6 route's block (then `base` is -1). */
    readonly block6?: Block,
  ) {}
  get active(): boolean {
    return this.model.state === 'active';
  }
}

/** Above this many entries, lookups go through per-prefix-length hash buckets. */
const LINEAR_LIMIT = 24;

export class CRouteTable {
  /** IPv4 routes, most specific first (then by rank). */
  readonly routes: CRoute[];
  /** IPv6 routes, most specific first (then by rank). */
  readonly routes6: CRoute[];
  private readonly lengths: number[] = [];
  private readonly buckets: Map<number, CRoute>[] = [];
  vpc!: CVpc;

  constructor(readonly model: RouteTableModel) {
    const routes: CRoute[] = [];
    const routes6: CRoute[] = [];
    const add = (r: RouteModel, b: Block | undefined, rank: number, shown: string) => {
      if (!b) return;
      if (b.base6 !== undefined) routes6.push(new CRoute(r, -1, 0, b.prefix, rank, shown, b));
      else routes.push(new CRoute(r, b.base, b.mask, b.prefix, rank, shown));
    };
    for (const r of model.routes) {
      const rank = routeRank(r);
      if (r.destination !== undefined) add(r, block(r.destination), rank, r.destination);
      else if (r.prefixListCidrs) {
        for (const c of r.prefixListCidrs) add(r, block(c), rank, r.prefixListId ?? c);
      }
    }
    const order = (a: CRoute, b: CRoute) => b.prefix - a.prefix || a.rank - b.rank;
    routes.sort(order);
    routes6.sort(order);
    this.routes = routes;
    this.routes6 = routes6;
    if (routes.length > LINEAR_LIMIT) {
      for (const r of routes) {
        let i = this.lengths.indexOf(r.prefix);
        if (i < 0) {
          i = this.lengths.length;
          this.lengths.push(r.prefix);
          this.buckets.push(new Map());
        }
        // Sorted by rank within a length, so the first one kept wins.
        if (!this.buckets[i]!.has(r.base)) this.buckets[i]!.set(r.base, r);
      }
    }
  }

  get id(): string {
    return this.model.id;
  }

  /** The route that carries `ip`: longest prefix, then local > static > prefix list > propagated. */
  lookup(ip: Addr): CRoute | undefined {
    if (typeof ip === 'bigint') {
      for (const r of this.routes6) if (inBlock6(r.block6!, ip)) return r;
      return undefined;
    }
    const routes = this.routes;
    if (this.lengths.length === 0) {
      for (let i = 0; i < routes.length; i++) {
        const r = routes[i]!;
        if (((ip & r.mask) >>> 0) === r.base) return r;
      }
      return undefined;
    }
    const lengths = this.lengths;
    for (let i = 0; i < lengths.length; i++) {
      const hit = this.buckets[i]!.get((ip & maskOf(lengths[i]!)) >>> 0);
      if (hit) return hit;
    }
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Network ACLs
// ---------------------------------------------------------------------------------------

export class CAclEntry {
  readonly protocol: number;
  readonly base: number;
  readonly mask: number;
  /** The entry's block (IPv4 or IPv6). */
  readonly block: Block;
  readonly fromPort: number;
  readonly toPort: number;
  readonly icmpType: number;
  readonly icmpCode: number;
  readonly allow: boolean;
  constructor(
    readonly model: AclEntryModel,
    b: Block,
  ) {
    this.protocol = protocolNumber(model.protocol) ?? PROTO_ALL;
    this.base = b.base;
    this.mask = b.mask;
    this.block = b;
    this.fromPort = model.fromPort ?? 0;
    this.toPort = model.toPort ?? 65535;
    this.icmpType = model.icmpType ?? -1;
    this.icmpCode = model.icmpCode ?? -1;
    this.allow = model.action === 'allow';
  }
}

/** Whether a rule's protocol and ports/ICMP fields cover the packet. */
function portsMatch(
  protocol: number,
  fromPort: number,
  toPort: number,
  icmpType: number,
  icmpCode: number,
  pProto: number,
  pPort: number,
  pIcmpType: number,
  pIcmpCode: number,
): boolean {
  if (protocol === PROTO_ALL) return true;
  if (protocol !== pProto) return false;
  if (protocol === PROTO_TCP || protocol === PROTO_UDP) return pPort >= fromPort && pPort <= toPort;
  if (protocol === PROTO_ICMP || protocol === PROTO_ICMPV6) {
    return (icmpType === -1 || icmpType === pIcmpType) && (icmpCode === -1 || icmpCode === pIcmpCode);
  }
  return true;
}

export class CAcl {
  readonly ingress: CAclEntry[];
  readonly egress: CAclEntry[];
  constructor(readonly model: NetworkAclModel) {
    const compileDir = (entries: AclEntryModel[]) => {
      const out: CAclEntry[] = [];
      for (const e of [...entries].sort((a, b) => a.ruleNumber - b.ruleNumber)) {
        const b = block(e.cidr ?? e.ipv6Cidr);
        if (b) out.push(new CAclEntry(e, b));
      }
      return out;
    };
    this.ingress = compileDir(model.ingress);
    this.egress = compileDir(model.egress);
  }

  get id(): string {
    return this.model.id;
  }

  /**
   * The first entry (lowest rule number) matching the packet; `remote` is the source
   * address for ingress and the destination for egress; ports are destination ports.
   */
  evaluate(egress: boolean, remote: Addr, proto: number, dstPort: number, icmpType: number, icmpCode: number): CAclEntry | undefined {
    const entries = egress ? this.egress : this.ingress;
    const v6 = typeof remote === 'bigint';
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (v6 ? !inBlock6(e.block, remote) : ((remote & e.mask) >>> 0) !== e.base) continue;
      if (!portsMatch(e.protocol, e.fromPort, e.toPort, e.icmpType, e.icmpCode, proto, dstPort, icmpType, icmpCode)) continue;
      return e;
    }
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Security groups
// ---------------------------------------------------------------------------------------

export class CSgRule {
  readonly protocol: number;
  readonly fromPort: number;
  readonly toPort: number;
  /** CIDR or prefix-list blocks (empty for a group reference). */
  readonly blocks: Block[];
  readonly refGroupId: string | undefined;
  constructor(
    readonly model: SecurityGroupRuleModel,
    readonly group: CSecurityGroup,
  ) {
    this.protocol = protocolNumber(model.protocol) ?? PROTO_ALL;
    const tcpUdp = this.protocol === PROTO_TCP || this.protocol === PROTO_UDP;
    // -1 means every port (or every ICMP type/code).
    this.fromPort = tcpUdp && model.fromPort === -1 ? 0 : model.fromPort;
    this.toPort = tcpUdp && model.toPort === -1 ? 65535 : model.toPort;
    if (model.cidr) this.blocks = blocks([model.cidr]);
    else if (model.ipv6Cidr) this.blocks = blocks([model.ipv6Cidr]);
    else if (model.prefixListCidrs) this.blocks = blocks(model.prefixListCidrs);
    else this.blocks = [];
    this.refGroupId = model.groupId;
  }

  matchesPorts(proto: number, dstPort: number, icmpType: number, icmpCode: number): boolean {
    return portsMatch(this.protocol, this.fromPort, this.toPort, this.fromPort, this.toPort, proto, dstPort, icmpType, icmpCode);
  }
}

/** Finds the interface holding a private address, for rules that reference a group. */
export type OwnerLookup = (addr: Addr) => CInterface | undefined;

export class CSecurityGroup {
  readonly ingress: CSgRule[];
  readonly egress: CSgRule[];
  constructor(readonly model: SecurityGroupModel) {
    this.ingress = model.ingress.map((r) => new CSgRule(r, this));
    this.egress = model.egress.map((r) => new CSgRule(r, this));
  }
  get id(): string {
    return this.model.id;
  }

  /**
   * The first rule (in the group's order) allowing a packet to or from `remote`; rules
   * referencing a group match the private addresses of that group's members.
   */
  match(egress: boolean, remote: Addr, proto: number, port: number, icmpType: number, icmpCode: number, owner: OwnerLookup): CSgRule | undefined {
    const rules = egress ? this.egress : this.ingress;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      const rp = r.protocol;
      if (rp !== PROTO_ALL) {
        if (rp !== proto) continue;
        if (rp === PROTO_TCP || rp === PROTO_UDP) {
          if (port < r.fromPort || port > r.toPort) continue;
        } else if (rp === PROTO_ICMP || rp === PROTO_ICMPV6) {
          if ((r.fromPort !== -1 && r.fromPort !== icmpType) || (r.toPort !== -1 && r.toPort !== icmpCode)) continue;
        }
      }
      if (r.refGroupId !== undefined) {
        const o = owner(remote);
        if (o !== undefined && o.inGroup(r.refGroupId)) return r;
        continue;
      }
      const bs = r.blocks;
      if (typeof remote === 'bigint') {
        for (let k = 0; k < bs.length; k++) if (inBlock6(bs[k]!, remote)) return r;
        continue;
      }
      for (let k = 0; k < bs.length; k++) {
        const b = bs[k]!;
        if (((remote & b.mask) >>> 0) === b.base) return r;
      }
    }
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// VPCs, subnets, interfaces, gateways
// ---------------------------------------------------------------------------------------

export class CVpc {
  readonly cidrs: Block[];
  readonly cidrs6: Block[];
  /** Private IPv4 address → the interface holding it. */
  readonly byPrivateIp = new Map<number, CInterface>();
  /** IPv6 address → the interface holding it. */
  readonly byIpv6 = new Map<bigint, CInterface>();
  readonly subnets: CSubnet[] = [];
  igw: CInternetGateway | undefined;
  eigw: string | undefined;
  vgw: CVpnGateway | undefined;
  /** Active peering connections of this VPC. */
  readonly peerings: CPeeringLink[] = [];
  mainRouteTable: CRouteTable | undefined;
  constructor(readonly model: VpcModel) {
    this.cidrs = blocks(model.cidrs);
    this.cidrs6 = blocks(model.ipv6Cidrs);
  }
  get id(): string {
    return this.model.id;
  }
  /** The interface holding an address of this VPC (IPv4 private or IPv6). */
  owner(ip: Addr): CInterface | undefined {
    return typeof ip === 'bigint' ? this.byIpv6.get(ip) : this.byPrivateIp.get(ip);
  }
}

export class CSubnet {
  readonly block: Block | undefined;
  readonly block6: Block | undefined;
  routeTable: CRouteTable | undefined;
  acl: CAcl | undefined;
  constructor(
    readonly model: SubnetModel,
    readonly vpc: CVpc,
  ) {
    this.block = block(model.cidr);
    this.block6 = block(model.ipv6Cidr);
  }
  holds(ip: Addr): boolean {
    const b = typeof ip === 'bigint' ? this.block6 : this.block;
    return b !== undefined && inBlock(b, ip);
  }
  get id(): string {
    return this.model.id;
  }
}

export class CInstance {
  interfaces: CInterface[] = [];
  readonly running: boolean;
  constructor(readonly model: InstanceModel) {
    this.running = model.state === 'running';
  }
  get id(): string {
    return this.model.id;
  }
}

export class CInterface {
  /** Private IPv4 addresses, primary first. */
  readonly ips: number[];
  /** Public IPv4 address of each private address (0 = none), parallel to `ips`. */
  readonly publicIps: number[];
  /** IPv6 addresses. */
  readonly ips6: bigint[];
  groups: CSecurityGroup[] = [];
  instance: CInstance | undefined;
  nat: CNatGateway | undefined;
  /** True while it can carry traffic: attached, and its instance (if any) running. Set by compile(). */
  up = false;
  constructor(
    readonly model: InterfaceModel,
    readonly vpc: CVpc,
    readonly subnet: CSubnet,
  ) {
    this.ips = [];
    this.publicIps = [];
    this.ips6 = [];
    for (const s of model.ipv6Addresses ?? []) {
      const ip = parseIpv6(s);
      if (ip !== undefined) this.ips6.push(ip);
    }
    for (const s of model.privateIps) {
      const ip = parseIpv4(s);
      if (ip === undefined) continue;
      this.ips.push(ip);
      const pub = model.publicIps[s];
      this.publicIps.push(pub !== undefined ? (parseIpv4(pub) ?? 0) : 0);
    }
  }
  get id(): string {
    return this.model.id;
  }
  get primaryIp(): number {
    return this.ips[0] ?? 0;
  }
  hasIp(ip: Addr): boolean {
    return typeof ip === 'bigint' ? this.ips6.includes(ip) : this.ips.includes(ip);
  }
  /** The public address of one of its private addresses (0 when none). */
  publicIpOf(privateIp: Addr): number {
    if (typeof privateIp === 'bigint') return 0;
    const i = this.ips.indexOf(privateIp);
    return i < 0 ? 0 : this.publicIps[i]!;
  }
  inGroup(groupId: string): boolean {
    const gs = this.model.groupIds;
    for (let i = 0; i < gs.length; i++) if (gs[i] === groupId) return true;
    return false;
  }
}

export class CInternetGateway {
  routeTable: CRouteTable | undefined;
  constructor(
    readonly id: string,
    readonly vpc: CVpc | undefined,
  ) {}
}

export class CNatGateway {
  readonly privateIp: number;
  readonly publicIp: number;
  iface: CInterface | undefined;
  constructor(
    readonly model: NatGatewayModel,
    readonly vpc: CVpc | undefined,
    readonly subnet: CSubnet | undefined,
  ) {
    this.privateIp = parseIpv4(model.privateIp ?? '') ?? 0;
    this.publicIp = parseIpv4(model.publicIp ?? '') ?? 0;
  }
  get id(): string {
    return this.model.id;
  }
  get available(): boolean {
    return this.model.state === 'available';
  }
}

export interface CPeeringEnd {
  model: PeeringEndModel;
  vpc: CVpc | undefined;
  cidrs: Block[];
}

export class CPeering {
  readonly requester: CPeeringEnd;
  readonly accepter: CPeeringEnd;
  constructor(
    readonly model: PeeringConnectionModel,
    vpcs: Map<string, CVpc>,
  ) {
    const end = (m: PeeringEndModel): CPeeringEnd => ({ model: m, vpc: vpcs.get(m.vpcId), cidrs: blocks([...m.cidrs, ...(m.ipv6Cidrs ?? [])]) });
    this.requester = end(model.requester);
    this.accepter = end(model.accepter);
  }
  get id(): string {
    return this.model.id;
  }
  get active(): boolean {
    return this.model.status === 'active';
  }
  /** The other end, seen from `vpcId`; undefined when the VPC is not an end. */
  remoteOf(vpcId: string): CPeeringEnd | undefined {
    if (this.requester.model.vpcId === vpcId) return this.accepter;
    if (this.accepter.model.vpcId === vpcId) return this.requester;
    return undefined;
  }
}

export interface CPeeringLink {
  peering: CPeering;
  remote: CPeeringEnd;
}

export class CVpnConnection {
  readonly onPremises: Block[];
  constructor(readonly model: VpnConnectionModel) {
    this.onPremises = blocks(model.onPremisesCidrs);
  }
  get id(): string {
    return this.model.id;
  }
  get available(): boolean {
    return this.model.state === 'available';
  }
  /** The tunnel carrying traffic: the first one UP (the second takes over when the first is down). */
  upTunnel(): number {
    const ts = this.model.tunnels;
    for (let i = 0; i < ts.length; i++) if (ts[i]!.status === 'UP') return i;
    return -1;
  }
  /** Whether the connection's on-premises side holds `ip` (a BGP connection holds anything routed to it). */
  reaches(ip: Addr): boolean {
    if (typeof ip === 'bigint') return inBlocks(this.onPremises, ip);
    return !this.model.staticRoutesOnly || inBlocks(this.onPremises, ip);
  }
}

export class CVpnGateway {
  readonly connections: CVpnConnection[] = [];
  routeTable: CRouteTable | undefined;
  constructor(
    readonly model: VpnGatewayModel,
    readonly vpc: CVpc | undefined,
  ) {}
  get id(): string {
    return this.model.id;
  }
}

export class CVpcEndpoint {
  readonly prefixes: Block[];
  constructor(
    readonly model: VpcEndpointModel,
    readonly vpc: CVpc | undefined,
  ) {
    this.prefixes = blocks(model.prefixListCidrs);
  }
  get id(): string {
    return this.model.id;
  }
  get available(): boolean {
    return this.model.state === 'available';
  }
  /** "s3" of "com.amazonaws.us-east-1.s3". */
  get service(): string {
    const parts = this.model.serviceName.split('.');
    return parts[parts.length - 1] ?? this.model.serviceName;
  }
}

export interface CAwsService {
  service: string;
  region: string;
  prefixListId: string;
  blocks: Block[];
}

/** The compiled network: everything the walk looks up, by ID and by address. */
export class CompiledNetwork {
  readonly vpcs = new Map<string, CVpc>();
  readonly subnets = new Map<string, CSubnet>();
  readonly routeTables = new Map<string, CRouteTable>();
  readonly acls = new Map<string, CAcl>();
  readonly securityGroups = new Map<string, CSecurityGroup>();
  readonly interfaces = new Map<string, CInterface>();
  readonly instances = new Map<string, CInstance>();
  readonly internetGateways = new Map<string, CInternetGateway>();
  readonly natGateways = new Map<string, CNatGateway>();
  readonly peerings = new Map<string, CPeering>();
  readonly vpcEndpoints = new Map<string, CVpcEndpoint>();
  readonly vpnGateways = new Map<string, CVpnGateway>();
  readonly vpnConnections = new Map<string, CVpnConnection>();
  /** Public IPv4 address → the interface and the private address it maps to. */
  readonly byPublicIp = new Map<number, { iface: CInterface; privateIp: number }>();
  /** Private IPv4 address → every interface holding it (VPCs may overlap). */
  readonly byPrivateIp = new Map<number, CInterface[]>();
  /** IPv6 address → the interface holding it (IPv6 addresses are globally unique). */
  readonly byIpv6 = new Map<bigint, CInterface>();
  /** Egress-only internet gateways (as gateways of their VPC: IPv6 out, replies in). */
  readonly egressOnlyInternetGateways = new Map<string, CInternetGateway>();
  readonly awsServices: CAwsService[] = [];

  constructor(readonly model: NetworkModel) {}

  /** The AWS service whose published ranges hold `ip`, preferring the given region. */
  awsServiceOf(ip: Addr, region?: string): CAwsService | undefined {
    let any: CAwsService | undefined;
    for (const s of this.awsServices) {
      if (!inBlocks(s.blocks, ip)) continue;
      if (!region || s.region === region) return s;
      any ??= s;
    }
    return any;
  }

  /** The interface holding private address `ip` in `vpc` or in a VPC peered with it. */
  privateOwner(vpc: CVpc, ip: Addr): CInterface | undefined {
    const own = vpc.owner(ip);
    if (own) return own;
    for (const link of vpc.peerings) {
      if (link.remote.vpc && inBlocks(link.remote.cidrs, ip)) {
        const hit = link.remote.vpc.owner(ip);
        if (hit) return hit;
      }
    }
    return undefined;
  }
}

export function compile(model: NetworkModel): CompiledNetwork {
  const net = new CompiledNetwork(model);
  for (const v of model.vpcs) net.vpcs.set(v.id, new CVpc(v));

  for (const t of model.routeTables) {
    const rt = new CRouteTable(t);
    const vpc = net.vpcs.get(t.vpcId);
    if (vpc) {
      rt.vpc = vpc;
      if (t.main) vpc.mainRouteTable = rt;
    }
    net.routeTables.set(t.id, rt);
  }
  for (const a of model.networkAcls) net.acls.set(a.id, new CAcl(a));
  for (const g of model.securityGroups) net.securityGroups.set(g.id, new CSecurityGroup(g));

  for (const s of model.subnets) {
    const vpc = net.vpcs.get(s.vpcId);
    if (!vpc) continue;
    const subnet = new CSubnet(s, vpc);
    subnet.routeTable = (s.routeTableId ? net.routeTables.get(s.routeTableId) : undefined) ?? vpc.mainRouteTable;
    subnet.acl = s.networkAclId ? net.acls.get(s.networkAclId) : undefined;
    vpc.subnets.push(subnet);
    net.subnets.set(s.id, subnet);
  }

  for (const i of model.instances) net.instances.set(i.id, new CInstance(i));

  for (const m of model.interfaces) {
    const vpc = net.vpcs.get(m.vpcId);
    const subnet = net.subnets.get(m.subnetId);
    if (!vpc || !subnet) continue;
    const iface = new CInterface(m, vpc, subnet);
    iface.groups = m.groupIds.map((g) => net.securityGroups.get(g)).filter((g): g is CSecurityGroup => !!g);
    if (m.instanceId) iface.instance = net.instances.get(m.instanceId);
    iface.up = m.attached && (iface.instance ? iface.instance.running : true);
    net.interfaces.set(m.id, iface);
    for (let k = 0; k < iface.ips.length; k++) {
      const ip = iface.ips[k]!;
      vpc.byPrivateIp.set(ip, iface);
      const list = net.byPrivateIp.get(ip);
      if (list) list.push(iface);
      else net.byPrivateIp.set(ip, [iface]);
      const pub = iface.publicIps[k]!;
      if (pub) net.byPublicIp.set(pub, { iface, privateIp: ip });
    }
    for (const ip6 of iface.ips6) {
      vpc.byIpv6.set(ip6, iface);
      net.byIpv6.set(ip6, iface);
    }
  }
  for (const inst of net.instances.values()) {
    inst.interfaces = inst.model.interfaceIds.map((id) => net.interfaces.get(id)).filter((x): x is CInterface => !!x);
  }

  for (const g of model.internetGateways) {
    const vpc = g.vpcId ? net.vpcs.get(g.vpcId) : undefined;
    const igw = new CInternetGateway(g.id, vpc);
    if (vpc) vpc.igw = igw;
    net.internetGateways.set(g.id, igw);
  }

  for (const g of model.egressOnlyInternetGateways) {
    const vpc = g.vpcId ? net.vpcs.get(g.vpcId) : undefined;
    if (vpc) vpc.eigw = g.id;
    net.egressOnlyInternetGateways.set(g.id, new CInternetGateway(g.id, vpc));
  }

  for (const n of model.natGateways) {
    const nat = new CNatGateway(n, net.vpcs.get(n.vpcId), net.subnets.get(n.subnetId));
    nat.iface = n.interfaceId ? net.interfaces.get(n.interfaceId) : undefined;
    if (nat.iface) nat.iface.nat = nat;
    net.natGateways.set(n.id, nat);
  }

  for (const p of model.peeringConnections) {
    const pcx = new CPeering(p, net.vpcs);
    net.peerings.set(p.id, pcx);
    if (!pcx.active) continue;
    for (const [here, remote] of [
      [pcx.requester, pcx.accepter],
      [pcx.accepter, pcx.requester],
    ] as const) {
      here.vpc?.peerings.push({ peering: pcx, remote });
    }
  }

  for (const e of model.vpcEndpoints) net.vpcEndpoints.set(e.id, new CVpcEndpoint(e, net.vpcs.get(e.vpcId)));

  for (const g of model.vpnGateways) {
    const vpc = g.vpcId ? net.vpcs.get(g.vpcId) : undefined;
    const vgw = new CVpnGateway(g, vpc);
    if (vpc) vpc.vgw = vgw;
    net.vpnGateways.set(g.id, vgw);
  }
  for (const c of model.vpnConnections) {
    const conn = new CVpnConnection(c);
    net.vpnConnections.set(c.id, conn);
    if (c.vpnGatewayId) net.vpnGateways.get(c.vpnGatewayId)?.connections.push(conn);
  }

  // Edge associations: a gateway's inbound traffic is routed by the table associated with it.
  for (const rt of net.routeTables.values()) {
    for (const gw of rt.model.gatewayIds) {
      const igw = net.internetGateways.get(gw);
      if (igw) igw.routeTable = rt;
      const vgw = net.vpnGateways.get(gw);
      if (vgw) vgw.routeTable = rt;
    }
  }

  for (const s of model.awsServices) {
    net.awsServices.push({ service: s.service, region: s.region, prefixListId: s.prefixListId, blocks: blocks(s.cidrs) });
  }
  return net;
}
