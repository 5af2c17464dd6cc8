/**
 * The concrete packet walk: `trace(net, request)` follows one IPv4 packet (TCP, UDP, ICMP
 * or another protocol) through a compiled network as AWS documents the VPC data plane, and
 * then its reply. Every decision becomes a hop naming the component and the rule that made
 * it; a drop becomes an explanation with Reachability Analyzer's explanation code.
 *
 * Semantics:
 * - security groups are stateful: checked on the forward path (egress at the sender,
 *   ingress at the receiver); the reply of an allowed connection passes them;
 * - network ACLs are stateless: checked when a packet leaves a subnet and when it enters
 *   one, both ways (the reply needs its own rules: ephemeral ports); never between two
 *   interfaces of the same subnet;
 * - routing: the sender's subnet's table (explicit association, else main), longest
 *   prefix wins (then local, static, prefix list, propagated), blackhole routes drop;
 * - internet gateway: out only from an address with a public IPv4 (1:1 translation), in
 *   only to a public address mapped to an interface that is up;
 * - NAT gateway: source translated to its private address (then its Elastic IP at the
 *   internet gateway), forwarded by its own subnet's table; never initiates inward; only
 *   for sources in its VPC;
 * - appliances (routes to an interface or instance): source/destination check must be
 *   off, their security groups apply; an appliance that sends to the internet gateway
 *   from an address without a public IP translates like a NAT instance;
 * - peering: active connections, only to addresses in the peer VPC's blocks, delivered
 *   there directly (never transitive, no edge-to-edge);
 * - gateway endpoints: the service's prefix list, sources in the VPC; interface
 *   endpoints are interfaces with security groups;
 * - VPN: on-premises prefixes through the virtual private gateway while a tunnel is up.
 *
 * - IPv6: addresses are global, so nothing translates them: an internet gateway carries
 *   an interface's IPv6 address both ways; an egress-only internet gateway carries IPv6 out
 *   and the replies back in, never a connection initiated from outside; NAT gateways and
 *   VPN connections carry IPv4 only.
 *
 * Pure: no I/O, no clock. Addresses are numbers (IPv4) or bigints (IPv6).
 */
import { keepShape } from '../keep-shape.js';
import { formatAddr, formatIpv4, parseIpv4, parseIpv6 } from './cidr.js';
import {
  type Addr,
  type CAclEntry,
  type CInterface,
  type CompiledNetwork,
  type CRoute,
  type CRouteTable,
  type CSecurityGroup,
  type CSgRule,
  type CSubnet,
  type CVpc,
  type CVpcEndpoint,
  type CVpnConnection,
  type CVpnGateway,
  type CInternetGateway,
  type CPeering,
  inBlock,
  inBlocks,
  PROTO_ALL,
  PROTO_ICMP,
  PROTO_ICMPV6,
  PROTO_TCP,
  PROTO_UDP,
  protocolName,
  protocolNumber,
} from './compile.js';

// ---------------------------------------------------------------------------------------
// Packets, hops, explanations
// ---------------------------------------------------------------------------------------

/** Packet headers. Ports are 0 for protocols without them; ICMP uses type and code. Both addresses are of one family. */
export interface Headers {
  src: Addr;
  dst: Addr;
  proto: number;
  sport: number;
  dport: number;
  icmpType: number;
  icmpCode: number;
}

function copy(h: Headers): Headers {
  return { src: h.src, dst: h.dst, proto: h.proto, sport: h.sport, dport: h.dport, icmpType: h.icmpType, icmpCode: h.icmpCode };
}

function hasPorts(proto: number): boolean {
  return proto === PROTO_TCP || proto === PROTO_UDP;
}

export type ComponentType =
  | 'instance'
  | 'network-interface'
  | 'security-group'
  | 'network-acl'
  | 'route-table'
  | 'subnet'
  | 'vpc'
  | 'internet-gateway'
  | 'egress-only-internet-gateway'
  | 'nat-gateway'
  | 'vpc-peering-connection'
  | 'vpn-gateway'
  | 'vpn-connection'
  | 'vpc-endpoint'
  | 'internet'
  | 'on-premises'
  | 'aws-service';

export type HopAction =
  | 'send'
  | 'receive'
  | 'allow'
  | 'deny'
  | 'return-allowed'
  | 'route'
  | 'no-route'
  | 'blackhole'
  | 'translate'
  | 'forward'
  | 'drop'
  | 'accept';

export class Hop {
  direction: 'ingress' | 'egress' | undefined = undefined;
  aclEntry: CAclEntry | undefined = undefined;
  sgRule: CSgRule | undefined = undefined;
  route: CRoute | undefined = undefined;
  routeTable: string | undefined = undefined;
  /** Headers before and after a translation. */
  inbound: Headers | undefined = undefined;
  outbound: Headers | undefined = undefined;
  note: string | undefined = undefined;
  /** The subnet a network ACL hop guards. */
  subnet: string | undefined = undefined;
  constructor(
    readonly type: ComponentType,
    readonly id: string,
    readonly action: HopAction,
  ) {}
}

export interface Explanation {
  code: string;
  direction: 'forward' | 'return';
  component: { type: ComponentType; id: string };
  acl?: string;
  aclEntry?: CAclEntry;
  aclDirection?: 'ingress' | 'egress';
  securityGroups?: string[];
  sgDirection?: 'ingress' | 'egress';
  routeTable?: string;
  route?: CRoute;
  address?: Addr;
  note?: string;
}

/** Where a packet was accepted. */
export type Endpoint =
  | { kind: 'interface'; iface: CInterface }
  | { kind: 'internet'; igw: CInternetGateway; address: Addr; egressOnly?: boolean }
  | { kind: 'aws-service'; service: string; via: { type: 'vpc-endpoint' | 'internet-gateway'; id: string }; vpce?: CVpcEndpoint; igw?: CInternetGateway; address: Addr }
  | { kind: 'on-premises'; vgw: CVpnGateway; connection: CVpnConnection; address: Addr }
  /** Traffic handed to a peering connection (the reply of traffic that came from it). */
  | { kind: 'peering'; pcx: CPeering; address: Addr };

export interface PathResult {
  accepted: boolean;
  hops: Hop[];
  /** The packet as it left the source and as it arrived (or was dropped). */
  first: Headers;
  last: Headers;
  end?: Endpoint;
  explanation?: Explanation;
}

export interface TraceResult {
  verdict: 'accepted' | 'dropped';
  forward: PathResult;
  /** The reply path (present when the forward path was accepted). */
  reverse?: PathResult;
  explanations: Explanation[];
  source: Source;
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

export type Source =
  | { kind: 'interface'; iface: CInterface }
  | { kind: 'internet'; igw?: CInternetGateway }
  | { kind: 'on-premises'; vgw?: CVpnGateway }
  /** Traffic arriving through a peering connection into `into` (from the other end's blocks). */
  | { kind: 'peering'; pcx: CPeering; into?: CVpc };

export interface TraceRequest {
  /** eni-…, i-…, igw-…, vgw-…, pcx-…, vpce-… (an interface endpoint), an IPv4 or IPv6 address, "internet:IP" or "onprem:IP". */
  source: string;
  /** eni-…, i-… or an IPv4 or IPv6 address. */
  destination: string;
  /** 6: use the interfaces' IPv6 addresses (implied by an IPv6 source or destination address). */
  ipVersion?: 4 | 6;
  /** The address to send from: one of the interface's, or the outside host's. */
  sourceIp?: string;
  /** tcp | udp | icmp | a protocol number; default tcp. */
  protocol?: string | number;
  sourcePort?: number;
  destinationPort?: number;
  icmpType?: number;
  icmpCode?: number;
  /** Preferred account and region when a private address exists in several places. */
  account?: string;
  region?: string;
}

export class TraceInputError extends Error {}

/** A client's source port when none is given: inside every documented ephemeral range. */
export const DEFAULT_SOURCE_PORT = 49152;
/** An outside host when none is given (TEST-NET-2, documentation range). */
export const DEFAULT_INTERNET_IP = '198.51.100.10';
/** An outside IPv6 host when none is given (the documentation prefix 2001:db8::/32). */
export const DEFAULT_INTERNET_IP6 = '2001:db8:ffff::10';

const ICMP_ECHO_REQUEST = 8;
const ICMP_ECHO_REPLY = 0;
const ICMPV6_ECHO_REQUEST = 128;
const ICMPV6_ECHO_REPLY = 129;

/** Longest forwarding chain before the walk gives up (routing loop). */
const MAX_STEPS = 24;


/** Dotted-quad IPv4 to a number, without regular expressions (the same rules as parseIpv4). */
function ip(s: string, what: string): Addr {
  const n = parseIpv4(s) ?? (s.includes(':') ? parseIpv6(s) : undefined);
  if (n === undefined) throw new TraceInputError(`${what} '${s}' is not an IPv4 or IPv6 address, interface ID or instance ID.`);
  return n;
}

function preferScope(list: CInterface[] | undefined, account?: string, region?: string): CInterface | undefined {
  if (!list || list.length === 0) return undefined;
  return (
    list.find((i) => (!account || i.model.account === account) && (!region || i.model.region === region)) ??
    list.find((i) => !account || i.model.account === account) ??
    list[0]
  );
}

function interfaceOf(net: CompiledNetwork, id: string, what: string): CInterface {
  if (id.startsWith('i-')) {
    const inst = net.instances.get(id);
    if (!inst) throw new TraceInputError(`${what} instance ${id} does not exist.`);
    const primary = inst.interfaces[0];
    if (!primary) throw new TraceInputError(`${what} instance ${id} has no network interface.`);
    return primary;
  }
  const iface = net.interfaces.get(id);
  if (!iface) throw new TraceInputError(`${what} network interface ${id} does not exist.`);
  return iface;
}

function onPremisesGatewayFor(net: CompiledNetwork, src: Addr): CVpnGateway | undefined {
  for (const vgw of net.vpnGateways.values()) {
    if (vgw.connections.some((c) => c.model.staticRoutesOnly && inBlocks(c.onPremises, src))) return vgw;
  }
  return undefined;
}

function peered(a: CVpc, b: CVpc): boolean {
  return a === b || a.peerings.some((l) => l.remote.vpc === b);
}

interface Resolved {
  source: Source;
  pkt: Headers;
  /** The interface the destination names, when it names one. */
  destIface?: CInterface;
}

function checkPort(p: number | undefined, what: string): void {
  if (p !== undefined && (!Number.isInteger(p) || p < 0 || p > 65535)) throw new TraceInputError(`${what} ${p} is not a port (0-65535).`);
}

/** Whether an address argument ("IP", "internet:IP", "onprem:IP") is an IPv6 address. */
function isV6(s: string | undefined): boolean {
  if (s === undefined) return false;
  const colon = s.indexOf(':');
  if (colon < 0) return false;
  // "internet:", "onprem:" or "on-premises:" before an address: IPv6 when the rest has a colon too.
  const tagged = colon >= 6 && (s.startsWith('internet:') || s.startsWith('onprem:') || s.startsWith('on-premises:'));
  return !tagged || s.includes(':', colon + 1);
}

/** An address of the request's family (v6 or not), or the error saying both must be of one. */
function ofFamily(a: Addr, v6: boolean, what: string): Addr {
  if ((typeof a === 'bigint') !== v6) throw new TraceInputError(`${what} ${formatAddr(a)} is not an IPv${v6 ? 6 : 4} address; source and destination must be of one family.`);
  return a;
}

/** An interface's first address of the request's family. */
function primaryOf(iface: CInterface, v6: boolean, what: string): Addr {
  if (!v6) return iface.primaryIp;
  const a = iface.ips6[0];
  if (a === undefined) throw new TraceInputError(`${what} ${iface.id} has no IPv6 address.`);
  return a;
}

/** Turns a request into a source and the first packet's headers. */
export function resolveRequest(net: CompiledNetwork, req: TraceRequest): Resolved {
  let proto = protocolNumber(req.protocol ?? 'tcp');
  if (proto === undefined || proto === PROTO_ALL) throw new TraceInputError(`Protocol '${req.protocol}' is not tcp, udp, icmp or a protocol number.`);
  checkPort(req.sourcePort, 'Source port');
  checkPort(req.destinationPort, 'Destination port');
  if (hasPorts(proto) && req.destinationPort === undefined) throw new TraceInputError('A destination port is needed for tcp and udp.');
  if (req.ipVersion !== undefined && req.ipVersion !== 4 && req.ipVersion !== 6) throw new TraceInputError(`IP version ${String(req.ipVersion)} is not 4 or 6.`);
  const v6 = req.ipVersion === 6 || isV6(req.source) || isV6(req.destination) || isV6(req.sourceIp);
  if (v6 && req.ipVersion === 4) throw new TraceInputError('An IPv6 address was given with IP version 4.');
  if (v6 && proto === PROTO_ICMP) proto = PROTO_ICMPV6;

  // Source.
  let source: Source;
  let src: Addr;
  const s = req.source;
  if (s.startsWith('eni-') || s.startsWith('i-')) {
    const iface = interfaceOf(net, s, 'Source');
    source = { kind: 'interface', iface };
    if (req.sourceIp !== undefined) {
      src = ofFamily(ip(req.sourceIp, 'Source address'), v6, 'Source address');
      if (!iface.hasIp(src)) throw new TraceInputError(`${req.sourceIp} is not an address of ${iface.id}.`);
    } else src = primaryOf(iface, v6, 'Source');
  } else if (s.startsWith('vpce-')) {
    const e = net.vpcEndpoints.get(s);
    if (!e) throw new TraceInputError(`Source VPC endpoint ${s} does not exist.`);
    const iface = [...net.interfaces.values()].find((i) => i.model.vpcEndpointId === s);
    if (!iface) throw new TraceInputError(`Source VPC endpoint ${s} has no network interface (only interface endpoints send traffic).`);
    source = { kind: 'interface', iface };
    src = req.sourceIp !== undefined ? ofFamily(ip(req.sourceIp, 'Source address'), v6, 'Source address') : primaryOf(iface, v6, 'Source');
  } else if (s.startsWith('pcx-')) {
    const pcx = net.peerings.get(s);
    if (!pcx) throw new TraceInputError(`Source peering connection ${s} does not exist.`);
    if (!pcx.active) throw new TraceInputError(`Source peering connection ${s} is ${pcx.model.status}, not active.`);
    source = { kind: 'peering', pcx };
    src = req.sourceIp !== undefined ? ofFamily(ip(req.sourceIp, 'Source address'), v6, 'Source address') : 0; // set once the destination's side is known
  } else if (s.startsWith('igw-')) {
    const igw = net.internetGateways.get(s);
    if (!igw) throw new TraceInputError(`Source internet gateway ${s} does not exist.`);
    source = { kind: 'internet', igw };
    src = ofFamily(ip(req.sourceIp ?? (v6 ? DEFAULT_INTERNET_IP6 : DEFAULT_INTERNET_IP), 'Source address'), v6, 'Source address');
  } else if (s.startsWith('vgw-')) {
    const vgw = net.vpnGateways.get(s);
    if (!vgw) throw new TraceInputError(`Source virtual private gateway ${s} does not exist.`);
    source = { kind: 'on-premises', vgw };
    const first = vgw.connections.flatMap((c) => c.onPremises).find((b) => (b.base6 !== undefined) === v6);
    if (req.sourceIp === undefined && !first) throw new TraceInputError(`Give the on-premises source address (sourceIp) for ${s}.`);
    src = req.sourceIp !== undefined ? ofFamily(ip(req.sourceIp, 'Source address'), v6, 'Source address') : first!.base6 !== undefined ? first!.base6 + 10n : (first!.base + 10) >>> 0;
  } else if (s.startsWith('internet:')) {
    source = { kind: 'internet' };
    src = ofFamily(ip(s.slice('internet:'.length), 'Source address'), v6, 'Source address');
  } else if (s.startsWith('onprem:') || s.startsWith('on-premises:')) {
    src = ofFamily(ip(s.slice(s.indexOf(':') + 1), 'Source address'), v6, 'Source address');
    source = { kind: 'on-premises', vgw: onPremisesGatewayFor(net, src) };
  } else {
    src = ofFamily(ip(s, 'Source'), v6, 'Source');
    const owner = typeof src === 'bigint' ? net.byIpv6.get(src) : preferScope(net.byPrivateIp.get(src), req.account, req.region);
    if (owner) source = { kind: 'interface', iface: owner };
    else {
      const vgw = onPremisesGatewayFor(net, src);
      source = vgw ? { kind: 'on-premises', vgw } : { kind: 'internet' };
    }
  }

  // Destination.
  let dst: Addr;
  let destIface: CInterface | undefined;
  const d = req.destination;
  if (d.startsWith('eni-') || d.startsWith('i-')) {
    destIface = interfaceOf(net, d, 'Destination');
    if (v6) dst = primaryOf(destIface, v6, 'Destination');
    else {
      const priv = destIface.primaryIp;
      const pub = destIface.publicIpOf(priv);
      if (source.kind === 'internet') dst = pub || priv;
      else if (source.kind === 'interface' && !peered(source.iface.vpc, destIface.vpc) && pub) dst = pub;
      else dst = priv;
    }
  } else {
    dst = ofFamily(ip(d, 'Destination'), v6, 'Destination');
  }

  if (source.kind === 'peering') {
    // The side the traffic enters is the destination's; it comes from the other side's blocks.
    const pcx = source.pcx;
    const here = [pcx.requester, pcx.accepter].find((e) => (destIface ? e.vpc === destIface.vpc : inBlocks(e.cidrs, dst)));
    if (!here?.vpc) throw new TraceInputError(`The destination is not in either VPC of ${pcx.id}.`);
    const there = here === pcx.requester ? pcx.accepter : pcx.requester;
    source.into = here.vpc;
    if (req.sourceIp === undefined) {
      const b = there.cidrs.find((x) => (x.base6 !== undefined) === v6);
      if (!b) throw new TraceInputError(`Give the source address (sourceIp): ${there.model.vpcId} has no IPv${v6 ? 6 : 4} block.`);
      src = b.base6 !== undefined ? b.base6 + 10n : (b.base + 10) >>> 0;
    } else if (!inBlocks(there.cidrs, src)) {
      throw new TraceInputError(`${req.sourceIp} is not in ${there.model.vpcId}'s blocks: traffic through ${pcx.id} comes from there.`);
    }
  }

  const icmp = proto === PROTO_ICMP || proto === PROTO_ICMPV6;
  const pkt: Headers = {
    src,
    dst,
    proto,
    sport: hasPorts(proto) ? (req.sourcePort ?? DEFAULT_SOURCE_PORT) : 0,
    dport: hasPorts(proto) ? req.destinationPort! : 0,
    icmpType: icmp ? (req.icmpType ?? (proto === PROTO_ICMPV6 ? ICMPV6_ECHO_REQUEST : ICMP_ECHO_REQUEST)) : 0,
    icmpCode: icmp ? (req.icmpCode ?? 0) : 0,
  };
  return { source, pkt, destIface };
}

// ---------------------------------------------------------------------------------------
// The walk
// ---------------------------------------------------------------------------------------

/** A source translation made on the forward path (NAT gateway or NAT instance), undone by the reply. */
interface Translation {
  iface: CInterface;
  origIp: Addr;
  origPort: number;
  newIp: Addr;
  newPort: number;
}

/** What the forward walk leaves for its reply: translations to undo, the gateway used to leave. */
interface Connection {
  translations: Translation[];
  /** The egress-only internet gateway the connection left through (its replies come back through it). */
  egressOnly?: CInternetGateway;
  /** The peering connection the traffic came in through (its replies leave through it). */
  peering?: CPeering;
  assume?: Assumptions;
}

/**
 * Blockers a what-if trace takes as passing (Reachability Analyzer looks past each blocker it
 * names this way, without compiling the network again).
 */
export interface Assumptions {
  /** `interfaceId:ingress|egress`: the interface's security groups allow the packet. */
  groups: Set<string>;
  /** `aclId:ingress|egress`: the network ACL allows the packet. */
  acls: Set<string>;
  /** Interfaces whose source/destination check is taken as off. */
  sourceDestCheckOff: Set<string>;
  /** Instances taken as running. */
  running: Set<string>;
}

export function noAssumptions(): Assumptions {
  return { groups: new Set(), acls: new Set(), sourceDestCheckOff: new Set(), running: new Set() };
}

type Origin = 'vpc' | 'peering' | 'vpn' | 'internet' | 'service';

const PRIVATE_RANGES = [
  { base: 0x0a000000, mask: 0xff000000, prefix: 8 },
  { base: 0xac100000, mask: 0xfff00000, prefix: 12 },
  { base: 0xc0a80000, mask: 0xffff0000, prefix: 16 },
];

class Walk {
  readonly hops: Hop[] = [];
  explanation: Explanation | undefined;
  end: Endpoint | undefined;
  origin: Origin = 'vpc';
  /** The last appliance that forwarded the packet (a possible NAT instance). */
  forwarder: CInterface | undefined;
  steps = 0;
  readonly first: Headers;
  /** The VPC whose view of private addresses group references use. */
  private ownerVpc: CVpc | undefined = undefined;
  private readonly owner = (addr: Addr): CInterface | undefined => this.net.privateOwner(this.ownerVpc!, addr);
  readonly translations: Translation[];

  constructor(
    readonly net: CompiledNetwork,
    readonly pkt: Headers,
    /** The reply of an allowed connection: security groups pass it; translations are undone. */
    readonly reply: boolean,
    readonly conn: Connection,
  ) {
    this.first = copy(pkt);
    this.translations = conn.translations;
  }

  result(): PathResult {
    return {
      accepted: this.explanation === undefined && this.end !== undefined,
      hops: this.hops,
      first: this.first,
      last: this.pkt,
      end: this.end,
      explanation: this.explanation,
    };
  }

  hop(type: ComponentType, id: string, action: HopAction): Hop {
    const h = new Hop(type, id, action);
    this.hops.push(h);
    return h;
  }

  fail(code: string, type: ComponentType, id: string, extra?: Partial<Explanation>): false {
    this.explanation = { code, direction: this.reply ? 'return' : 'forward', component: { type, id }, ...extra };
    return false;
  }

  // --- Components -----------------------------------------------------------------------

  /** Whether the interface carries traffic (or is assumed to: its instance taken as running). */
  private isUp(iface: CInterface): boolean {
    if (iface.up) return true;
    const a = this.conn.assume;
    return !!a && iface.model.attached && !!iface.instance && a.running.has(iface.instance.id);
  }

  /** The interface or instance is down: not attached, or its instance not running. */
  private down(iface: CInterface): false {
    if (iface.instance && !iface.instance.running) {
      return this.fail('BAD_STATE', 'instance', iface.instance.id, { note: `instance is ${iface.instance.model.state}` });
    }
    return this.fail('BAD_STATE', 'network-interface', iface.id, { note: 'interface is not attached' });
  }

  /** Security groups of `iface` in one direction (or, for a reply, the connection they allowed). */
  private groups(iface: CInterface, egress: boolean): boolean {
    const groups = iface.groups;
    if (this.reply) {
      if (groups.length > 0) {
        const h = this.hop('security-group', groups[0]!.id, 'return-allowed');
        h.direction = egress ? 'egress' : 'ingress';
      }
      return true;
    }
    const p = this.pkt;
    const remote = egress ? p.dst : p.src;
    if (this.conn.assume?.groups.has(`${iface.id}:${egress ? 'egress' : 'ingress'}`)) {
      const h = this.hop('security-group', groups[0]?.id ?? iface.id, 'allow');
      h.direction = egress ? 'egress' : 'ingress';
      h.note = 'assumed to allow (looking past a blocker)';
      return true;
    }
    this.ownerVpc = iface.vpc;
    for (let g = 0; g < groups.length; g++) {
      const rule = groups[g]!.match(egress, remote, p.proto, p.dport, p.icmpType, p.icmpCode, this.owner);
      if (rule === undefined) continue;
      const h = this.hop('security-group', groups[g]!.id, 'allow');
      h.direction = egress ? 'egress' : 'ingress';
      h.sgRule = rule;
      return true;
    }
    const h = this.hop('security-group', groups[0]?.id ?? iface.id, 'deny');
    h.direction = egress ? 'egress' : 'ingress';
    return this.fail('ENI_SG_RULES_MISMATCH', 'network-interface', iface.id, {
      securityGroups: groups.map((g: CSecurityGroup) => g.id),
      sgDirection: egress ? 'egress' : 'ingress',
      address: remote,
    });
  }

  /** The subnet's network ACL in one direction. */
  private acl(subnet: CSubnet, egress: boolean): boolean {
    const acl = subnet.acl;
    if (!acl) return true;
    if (this.conn.assume?.acls.has(`${acl.id}:${egress ? 'egress' : 'ingress'}`)) {
      const h = this.hop('network-acl', acl.id, 'allow');
      h.direction = egress ? 'egress' : 'ingress';
      h.subnet = subnet.id;
      h.note = 'assumed to allow (looking past a blocker)';
      return true;
    }
    const p = this.pkt;
    const entry = acl.evaluate(egress, egress ? p.dst : p.src, p.proto, p.dport, p.icmpType, p.icmpCode);
    const allowed = !!entry && entry.allow;
    const h = this.hop('network-acl', acl.id, allowed ? 'allow' : 'deny');
    h.direction = egress ? 'egress' : 'ingress';
    h.aclEntry = entry;
    h.subnet = subnet.id;
    if (allowed) return true;
    return this.fail('SUBNET_ACL_RESTRICTION', 'network-acl', acl.id, {
      acl: acl.id,
      aclEntry: entry,
      aclDirection: egress ? 'egress' : 'ingress',
    });
  }

  // --- Sending and receiving ------------------------------------------------------------

  /** The packet leaves interface `iface` (its own traffic). */
  send(iface: CInterface): boolean {
    if (!this.isUp(iface)) return this.down(iface);
    if (iface.instance) this.hop('instance', iface.instance.id, 'send');
    this.hop('network-interface', iface.id, 'send');
    if (!iface.nat && !this.groups(iface, true)) return false;
    return this.routeFrom(iface.subnet, iface);
  }

  /** Delivers the packet to `iface`, entering its subnet from `from` (undefined: from outside). */
  deliver(iface: CInterface, from: CSubnet | undefined): boolean {
    if (from !== iface.subnet && !this.acl(iface.subnet, false)) return false;
    return this.arrive(iface);
  }

  /** The packet reaches the interface it is addressed to. */
  arrive(iface: CInterface): boolean {
    if (!this.isUp(iface)) return this.down(iface);
    const p = this.pkt;
    if (this.reply) {
      // The reply of a translated connection: the translator restores the original address.
      for (let i = this.translations.length - 1; i >= 0; i--) {
        const t = this.translations[i]!;
        if (t.iface !== iface || t.newIp !== p.dst || t.newPort !== p.dport) continue;
        const before = copy(p);
        p.dst = t.origIp;
        p.dport = t.origPort;
        const h = this.hop(iface.nat ? 'nat-gateway' : 'network-interface', iface.nat ? iface.nat.id : iface.id, 'translate');
        h.inbound = before;
        h.outbound = copy(p);
        this.translations.splice(i, 1);
        return this.routeFrom(iface.subnet, iface);
      }
    }
    if (iface.nat) {
      this.hop('nat-gateway', iface.nat.id, 'drop');
      return this.fail('NO_POSSIBLE_DESTINATION', 'nat-gateway', iface.nat.id, {
        address: p.dst,
        note: 'a NAT gateway does not accept connections initiated towards it',
      });
    }
    if (!this.groups(iface, false)) return false;
    this.hop('network-interface', iface.id, 'receive');
    if (iface.instance) this.hop('instance', iface.instance.id, 'receive');
    else if (iface.model.vpcEndpointId) this.hop('vpc-endpoint', iface.model.vpcEndpointId, 'accept');
    this.end = { kind: 'interface', iface };
    return true;
  }

  // --- Routing ---------------------------------------------------------------------------

  private applianceOf(route: CRoute): CInterface | undefined {
    const t = route.model.target;
    if (t.kind === 'eni') return this.net.interfaces.get(t.id);
    if (t.interfaceId) return this.net.interfaces.get(t.interfaceId);
    return this.net.instances.get(t.id)?.interfaces[0];
  }

  private subnetHolding(vpc: CVpc, addr: Addr): CSubnet | undefined {
    for (const s of vpc.subnets) if (s.holds(addr)) return s;
    return undefined;
  }

  /** Routes the packet with `subnet`'s route table; `sender` is the interface it leaves. */
  routeFrom(subnet: CSubnet, sender: CInterface | undefined): boolean {
    if (++this.steps > MAX_STEPS) {
      return this.fail('NO_PATH', 'subnet', subnet.id, { note: 'the packet loops between appliances' });
    }
    const rt = subnet.routeTable;
    if (!rt) return this.fail('NO_ROUTE_TO_DESTINATION', 'subnet', subnet.id, { address: this.pkt.dst });
    const dst = this.pkt.dst;
    const route = rt.lookup(dst);
    if (!route) {
      const h = this.hop('route-table', rt.id, 'no-route');
      h.routeTable = rt.id;
      return this.fail('NO_ROUTE_TO_DESTINATION', 'route-table', rt.id, { routeTable: rt.id, address: dst });
    }
    const target = route.model.target;

    // Whether the packet leaves the subnet (then the subnet's ACL sees it go).
    let next: CSubnet | undefined;
    if (route.active) {
      if (target.kind === 'local') next = subnet.vpc.owner(dst)?.subnet ?? this.subnetHolding(subnet.vpc, dst);
      else if (target.kind === 'eni' || target.kind === 'instance') next = this.applianceOf(route)?.subnet;
      else if (target.kind === 'nat') next = this.net.natGateways.get(target.id)?.subnet;
      if (next !== subnet && !this.acl(subnet, true)) return false;
    }
    const h = this.hop('route-table', rt.id, route.active ? 'route' : 'blackhole');
    h.route = route;
    h.routeTable = rt.id;
    if (!route.active) {
      return this.fail('BAD_STATE_ROUTE', 'route-table', rt.id, { routeTable: rt.id, route, address: dst });
    }

    switch (target.kind) {
      case 'local': {
        const owner = subnet.vpc.owner(dst);
        if (!owner) return this.fail('UNKNOWN_DESTINATION', 'vpc', subnet.vpc.id, { address: dst, note: 'no interface holds this address' });
        if (owner === sender) return this.arrive(owner);
        return this.deliver(owner, subnet);
      }
      case 'igw':
        return this.internetGatewayOut(subnet, route, rt);
      case 'eigw':
        return this.egressOnlyOut(subnet, route, rt);
      case 'nat':
        return this.natGateway(subnet, target.id);
      case 'eni':
      case 'instance':
        return this.appliance(subnet, route);
      case 'pcx':
        return this.peering(subnet, target.id);
      case 'vgw':
        return this.vpnGatewayOut(subnet, target.id);
      case 'vpce':
        return this.gatewayEndpoint(subnet, target.id);
      default:
        return this.fail('UNSUPPORTED_COMPONENT', 'route-table', rt.id, { routeTable: rt.id, route, note: `${target.kind} targets are not traced yet` });
    }
  }

  /** A gateway's own route table (edge association) decides where inbound traffic goes. */
  private edgeRoute(rt: CRouteTable, vpc: CVpc): boolean {
    const dst = this.pkt.dst;
    const route = rt.lookup(dst);
    if (!route) {
      const h = this.hop('route-table', rt.id, 'no-route');
      h.routeTable = rt.id;
      return this.fail('NO_ROUTE_TO_DESTINATION', 'route-table', rt.id, { routeTable: rt.id, address: dst });
    }
    const h = this.hop('route-table', rt.id, route.active ? 'route' : 'blackhole');
    h.route = route;
    h.routeTable = rt.id;
    if (!route.active) return this.fail('BAD_STATE_ROUTE', 'route-table', rt.id, { routeTable: rt.id, route, address: dst });
    const kind = route.model.target.kind;
    if (kind === 'eni' || kind === 'instance') return this.appliance(undefined, route);
    if (kind === 'local') {
      const owner = vpc.owner(dst);
      if (!owner) return this.fail('UNKNOWN_DESTINATION', 'vpc', vpc.id, { address: dst, note: 'no interface holds this address' });
      return this.deliver(owner, undefined);
    }
    return this.fail('UNSUPPORTED_COMPONENT', 'route-table', rt.id, { routeTable: rt.id, route });
  }

  /** A route to an interface or instance: the appliance receives and forwards the packet. */
  private appliance(from: CSubnet | undefined, route: CRoute): boolean {
    const a = this.applianceOf(route);
    if (!a) return this.fail('BAD_STATE_ROUTE', 'route-table', route.model.target.id, { route });
    if (!this.isUp(a)) return this.down(a);
    if (from !== a.subnet && !this.acl(a.subnet, false)) return false;
    if (a.hasIp(this.pkt.dst)) return this.arrive(a);
    if (!this.groups(a, false)) return false;
    if (a.model.sourceDestCheck && !this.conn.assume?.sourceDestCheckOff.has(a.id)) {
      this.hop('network-interface', a.id, 'drop');
      return this.fail('ENI_SOURCE_DEST_CHECK_RESTRICTION', 'network-interface', a.id, {
        note: 'source/destination check is enabled: the interface only sends and receives its own traffic',
      });
    }
    if (a.instance) this.hop('instance', a.instance.id, 'forward');
    this.hop('network-interface', a.id, 'forward');
    if (!this.groups(a, true)) return false;
    this.forwarder = a;
    return this.routeFrom(a.subnet, a);
  }

  private internetGatewayOut(subnet: CSubnet, route: CRoute, rt: CRouteTable): boolean {
    const igw = this.net.internetGateways.get(route.model.target.id);
    if (!igw || igw.vpc !== subnet.vpc) {
      return this.fail('BAD_STATE_ATTACHMENT', 'internet-gateway', route.model.target.id, { routeTable: rt.id, route });
    }
    const p = this.pkt;
    const vpc = subnet.vpc;
    if (typeof p.src === 'bigint') {
      // IPv6 addresses are global: the gateway carries them as they are, for addresses of the VPC.
      if (!inBlocks(vpc.cidrs6, p.src)) {
        this.hop('internet-gateway', igw.id, 'drop');
        return this.fail('IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS', 'internet-gateway', igw.id, { address: p.src, note: `the source address is not in ${vpc.id}'s IPv6 blocks` });
      }
      this.hop('internet-gateway', igw.id, 'forward');
      return this.internet(igw);
    }
    let pub = 0;
    const owner = vpc.byPrivateIp.get(p.src);
    if (owner && this.isUp(owner)) pub = owner.publicIpOf(p.src);
    const fw = this.forwarder;
    if (!pub && fw && !fw.hasIp(p.src) && fw.publicIpOf(fw.primaryIp)) {
      // An appliance with a public address sending others' traffic out: a NAT instance.
      const before = copy(p);
      const t: Translation = { iface: fw, origIp: p.src, origPort: p.sport, newIp: fw.primaryIp, newPort: p.sport };
      p.src = fw.primaryIp;
      this.translations.push(t);
      const h = this.hop('network-interface', fw.id, 'translate');
      h.inbound = before;
      h.outbound = copy(p);
      pub = fw.publicIpOf(fw.primaryIp);
    }
    if (!pub) {
      this.hop('internet-gateway', igw.id, 'drop');
      return this.fail('IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS', 'internet-gateway', igw.id, {
        address: p.src,
        note: 'the source address has no public IPv4 address',
      });
    }
    const before = copy(p);
    p.src = pub;
    const h = this.hop('internet-gateway', igw.id, 'translate');
    h.inbound = before;
    h.outbound = copy(p);
    return this.internet(igw);
  }

  /** IPv6 out through an egress-only internet gateway; its replies come back through it. */
  private egressOnlyOut(subnet: CSubnet, route: CRoute, rt: CRouteTable): boolean {
    const id = route.model.target.id;
    const attached = this.net.egressOnlyInternetGateways.get(id);
    if (!attached || attached.vpc !== subnet.vpc) {
      return this.fail('BAD_STATE_ATTACHMENT', 'egress-only-internet-gateway', id, { routeTable: rt.id, route });
    }
    const p = this.pkt;
    if (typeof p.src !== 'bigint' || !inBlocks(subnet.vpc.cidrs6, p.src)) {
      this.hop('egress-only-internet-gateway', id, 'drop');
      return this.fail('NO_ROUTE_TO_DESTINATION', 'egress-only-internet-gateway', id, {
        address: p.src,
        note: 'an egress-only internet gateway only carries IPv6 traffic from addresses of its VPC',
      });
    }
    this.hop('egress-only-internet-gateway', id, 'forward');
    if (!this.reply) this.conn.egressOnly = attached;
    return this.internet(attached);
  }

  /** The packet is on the internet, sent through `igw`. */
  private internet(igw: CInternetGateway): boolean {
    const p = this.pkt;
    // Another VPC's public address (IPv4) or interface (IPv6, global): back in from the internet.
    if (typeof p.dst === 'bigint' ? this.net.byIpv6.has(p.dst) : this.net.byPublicIp.has(p.dst)) {
      this.hop('internet', 'internet', 'forward');
      return this.fromInternet();
    }
    const svc = this.net.awsServiceOf(p.dst, igw.vpc?.model.region);
    if (svc) {
      this.hop('aws-service', svc.service, 'accept');
      this.end = { kind: 'aws-service', service: svc.service, via: { type: 'internet-gateway', id: igw.id }, igw, address: p.dst };
      return true;
    }
    for (const r of typeof p.dst === 'bigint' ? [] : PRIVATE_RANGES) {
      if (inBlock(r, p.dst)) {
        return this.fail('IGW_DESTINATION_ADDRESS_NOT_IN_RFC1918_EGRESS', 'internet-gateway', igw.id, {
          address: p.dst,
          note: 'private (RFC 1918) addresses are not reachable on the internet',
        });
      }
    }
    this.hop('internet', 'internet', 'accept');
    this.end = { kind: 'internet', igw, address: p.dst };
    return true;
  }

  /** A packet from the internet arrives at the internet gateway holding its destination address. */
  fromInternet(via?: CInternetGateway): boolean {
    const p = this.pkt;
    this.origin = 'internet';
    this.forwarder = undefined;
    if (typeof p.dst === 'bigint') return this.fromInternet6(p.dst, via);
    const hit = this.net.byPublicIp.get(p.dst);
    if (!hit) {
      const holder = this.net.byPrivateIp.get(p.dst)?.[0];
      const igw = via ?? holder?.vpc.igw;
      if (igw) {
        this.hop('internet-gateway', igw.id, 'drop');
        return this.fail('IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS', 'internet-gateway', igw.id, {
          address: p.dst,
          note: holder ? `${holder.id} has no public IPv4 address` : 'no public IPv4 address maps to this address',
        });
      }
      return this.fail('UNKNOWN_DESTINATION', 'internet', 'internet', { address: p.dst, note: 'no interface holds this public address' });
    }
    const iface = hit.iface;
    const vpc = iface.vpc;
    const igw = vpc.igw;
    if (!igw) {
      return this.fail('NO_ROUTE_TO_DESTINATION', 'vpc', vpc.id, { address: p.dst, note: 'no internet gateway is attached to the VPC' });
    }
    if (via && via !== igw) {
      this.hop('internet-gateway', via.id, 'drop');
      return this.fail('IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS', 'internet-gateway', via.id, {
        address: p.dst,
        note: `the address belongs to ${vpc.id}, behind ${igw.id}`,
      });
    }
    if (!this.isUp(iface)) {
      this.hop('internet-gateway', igw.id, 'drop');
      return this.fail('IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS', 'internet-gateway', igw.id, {
        address: p.dst,
        note: `${iface.id} is not attached to a running instance`,
      });
    }
    const before = copy(p);
    p.dst = hit.privateIp;
    const h = this.hop('internet-gateway', igw.id, 'translate');
    h.inbound = before;
    h.outbound = copy(p);
    if (igw.routeTable) return this.edgeRoute(igw.routeTable, vpc);
    return this.deliver(iface, undefined);
  }

  /** An IPv6 packet from the internet: no translation; an egress-only gateway passes only replies. */
  private fromInternet6(dst: bigint, via: CInternetGateway | undefined): boolean {
    const iface = this.net.byIpv6.get(dst);
    if (!iface) return this.fail('UNKNOWN_DESTINATION', 'internet', 'internet', { address: dst, note: 'no interface holds this IPv6 address' });
    const vpc = iface.vpc;
    const eigw = this.reply ? this.conn.egressOnly : undefined;
    if (eigw && eigw.vpc === vpc) {
      const h = this.hop('egress-only-internet-gateway', eigw.id, 'forward');
      h.note = 'reply of a connection initiated from the VPC';
      return this.deliver(iface, undefined);
    }
    const igw = vpc.igw;
    if (!igw) {
      if (vpc.eigw) {
        this.hop('egress-only-internet-gateway', vpc.eigw, 'drop');
        return this.fail('NO_ROUTE_TO_DESTINATION', 'egress-only-internet-gateway', vpc.eigw, {
          address: dst,
          note: 'an egress-only internet gateway does not accept connections initiated from the internet',
        });
      }
      return this.fail('NO_ROUTE_TO_DESTINATION', 'vpc', vpc.id, { address: dst, note: 'no internet gateway is attached to the VPC' });
    }
    if (via && via !== igw) {
      this.hop('internet-gateway', via.id, 'drop');
      return this.fail('IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS', 'internet-gateway', via.id, { address: dst, note: `the address belongs to ${vpc.id}, behind ${igw.id}` });
    }
    if (!this.isUp(iface)) {
      this.hop('internet-gateway', igw.id, 'drop');
      return this.fail('IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS', 'internet-gateway', igw.id, { address: dst, note: `${iface.id} is not attached to a running instance` });
    }
    this.hop('internet-gateway', igw.id, 'forward');
    if (igw.routeTable) return this.edgeRoute(igw.routeTable, vpc);
    return this.deliver(iface, undefined);
  }

  private natGateway(from: CSubnet, natId: string): boolean {
    const nat = this.net.natGateways.get(natId);
    if (!nat || !nat.available || !nat.iface || !nat.subnet) {
      return this.fail('BAD_STATE', 'nat-gateway', natId, { note: `NAT gateway is ${nat?.model.state ?? 'unknown'}` });
    }
    if (this.origin !== 'vpc') {
      this.hop('nat-gateway', nat.id, 'drop');
      return this.fail('NGW_REQUIRES_SOURCE_IN_VPC', 'nat-gateway', nat.id, {
        address: this.pkt.src,
        note: `a NAT gateway does not forward traffic that arrived through ${this.origin === 'vpn' ? 'a VPN connection' : this.origin === 'peering' ? 'a peering connection' : 'the internet'}`,
      });
    }
    const p = this.pkt;
    if (typeof p.src === 'bigint') {
      this.hop('nat-gateway', nat.id, 'drop');
      return this.fail('UNSUPPORTED_COMPONENT', 'nat-gateway', nat.id, { address: p.dst, note: 'NAT gateways translate IPv4 only (NAT64 is not simulated)' });
    }
    if (from !== nat.subnet && !this.acl(nat.subnet, false)) return false;
    const before = copy(p);
    this.translations.push({ iface: nat.iface, origIp: p.src, origPort: p.sport, newIp: nat.privateIp, newPort: p.sport });
    p.src = nat.privateIp;
    const h = this.hop('nat-gateway', nat.id, 'translate');
    h.inbound = before;
    h.outbound = copy(p);
    this.forwarder = undefined;
    return this.routeFrom(nat.subnet, nat.iface);
  }

  private peering(from: CSubnet, pcxId: string): boolean {
    const pcx = this.net.peerings.get(pcxId);
    if (!pcx || !pcx.active) {
      return this.fail('BAD_STATE', 'vpc-peering-connection', pcxId, { note: `peering connection is ${pcx?.model.status ?? 'unknown'}` });
    }
    const remote = pcx.remoteOf(from.vpc.id);
    if (!remote) return this.fail('BAD_STATE', 'vpc-peering-connection', pcx.id, { note: `${from.vpc.id} is not part of the connection` });
    const p = this.pkt;
    if (this.reply && this.conn.peering === pcx && inBlocks(remote.cidrs, p.dst)) {
      // The reply of traffic that came in through this connection leaves through it.
      this.hop('vpc-peering-connection', pcx.id, 'forward');
      this.end = { kind: 'peering', pcx, address: p.dst };
      return true;
    }
    if (!inBlocks(remote.cidrs, p.dst)) {
      this.hop('vpc-peering-connection', pcx.id, 'drop');
      return this.fail('PCX_REQUIRES_ADDRESS_IN_VPC_CIDR', 'vpc-peering-connection', pcx.id, {
        address: p.dst,
        note: `${formatAddr(p.dst)} is not in ${remote.model.vpcId}'s blocks (${[...remote.model.cidrs, ...(remote.model.ipv6Cidrs ?? [])].join(', ')})`,
      });
    }
    this.hop('vpc-peering-connection', pcx.id, 'forward');
    this.origin = 'peering';
    this.forwarder = undefined;
    const owner = remote.vpc?.owner(p.dst);
    if (!owner) return this.fail('UNKNOWN_DESTINATION', 'vpc', remote.model.vpcId, { address: p.dst, note: 'no interface holds this address' });
    return this.deliver(owner, undefined);
  }

  private vpnGatewayOut(from: CSubnet, vgwId: string): boolean {
    const vgw = this.net.vpnGateways.get(vgwId);
    if (!vgw || vgw.vpc !== from.vpc) return this.fail('BAD_STATE_ATTACHMENT', 'vpn-gateway', vgwId);
    const p = this.pkt;
    this.hop('vpn-gateway', vgw.id, 'forward');
    let blocked: CVpnConnection | undefined;
    for (const c of vgw.connections) {
      if (!c.reaches(p.dst)) continue;
      const t = c.available ? c.upTunnel() : -1;
      if (t < 0) {
        blocked ??= c;
        continue;
      }
      const h = this.hop('vpn-connection', c.id, 'forward');
      h.note = tunnelNote(c, t);
      this.hop('on-premises', c.model.customerGatewayId ?? 'on-premises', 'accept');
      this.end = { kind: 'on-premises', vgw, connection: c, address: p.dst };
      return true;
    }
    if (blocked) {
      return this.fail('BAD_STATE_VPN', 'vpn-connection', blocked.id, {
        address: p.dst,
        note: blocked.available ? 'every tunnel of the VPN connection is down' : `VPN connection is ${blocked.model.state}`,
      });
    }
    return this.fail('NO_ROUTE_TO_DESTINATION', 'vpn-gateway', vgw.id, { address: p.dst, note: 'no VPN connection of the gateway reaches this address' });
  }

  /** A packet arrives through a peering connection into `vpc`. */
  fromPeering(pcx: CPeering, vpc: CVpc | undefined): boolean {
    const p = this.pkt;
    this.origin = 'peering';
    this.conn.peering = pcx;
    this.hop('vpc-peering-connection', pcx.id, 'forward');
    if (!vpc) return this.fail('BAD_STATE', 'vpc-peering-connection', pcx.id, { note: 'the destination is in neither VPC of the connection' });
    const owner = vpc.owner(p.dst);
    if (!owner) return this.fail('UNKNOWN_DESTINATION', 'vpc', vpc.id, { address: p.dst, note: 'no interface holds this address' });
    return this.deliver(owner, undefined);
  }

  /** A packet from on-premises enters the VPC through its virtual private gateway. */
  fromVpnGateway(vgw: CVpnGateway | undefined): boolean {
    const p = this.pkt;
    this.origin = 'vpn';
    if (!vgw) return this.fail('NO_PATH', 'on-premises', 'on-premises', { address: p.src, note: 'no VPN connection serves this on-premises address' });
    const vpc = vgw.vpc;
    if (!vpc) return this.fail('BAD_STATE_ATTACHMENT', 'vpn-gateway', vgw.id, { note: 'the gateway is not attached to a VPC' });
    let chosen: CVpnConnection | undefined;
    let tunnel = -1;
    let any: CVpnConnection | undefined;
    for (const c of vgw.connections) {
      any ??= c;
      const t = c.available ? c.upTunnel() : -1;
      if (t < 0) continue;
      if (!chosen || (c.model.staticRoutesOnly && inBlocks(c.onPremises, p.src))) {
        chosen = c;
        tunnel = t;
      }
    }
    if (!chosen) {
      return any
        ? this.fail('BAD_STATE_VPN', 'vpn-connection', any.id, { note: 'every tunnel of the VPN connection is down' })
        : this.fail('BAD_STATE_VPN', 'vpn-gateway', vgw.id, { note: 'the gateway has no VPN connection' });
    }
    this.hop('on-premises', chosen.model.customerGatewayId ?? 'on-premises', 'send');
    const h = this.hop('vpn-connection', chosen.id, 'forward');
    h.note = tunnelNote(chosen, tunnel);
    this.hop('vpn-gateway', vgw.id, 'forward');
    if (vgw.routeTable) return this.edgeRoute(vgw.routeTable, vpc);
    if (!inBlocks(vpc.cidrs, p.dst) && !inBlocks(vpc.cidrs6, p.dst)) {
      return this.fail('NO_ROUTE_TO_DESTINATION', 'vpn-gateway', vgw.id, { address: p.dst, note: `the address is not in ${vpc.id}` });
    }
    const owner = vpc.owner(p.dst);
    if (!owner) return this.fail('UNKNOWN_DESTINATION', 'vpc', vpc.id, { address: p.dst, note: 'no interface holds this address' });
    return this.deliver(owner, undefined);
  }

  private gatewayEndpoint(from: CSubnet, vpceId: string): boolean {
    const e = this.net.vpcEndpoints.get(vpceId);
    if (!e || !e.available) return this.fail('BAD_STATE', 'vpc-endpoint', vpceId, { note: `endpoint is ${e?.model.state ?? 'unknown'}` });
    const p = this.pkt;
    if (!inBlocks(from.vpc.cidrs, p.src)) {
      this.hop('vpc-endpoint', e.id, 'drop');
      return this.fail('VPCE_GATEWAY_EGRESS_SOURCE_ADDRESS_RESTRICTION', 'vpc-endpoint', e.id, {
        address: p.src,
        note: 'a gateway endpoint only carries traffic from addresses in its VPC',
      });
    }
    if (p.proto !== PROTO_TCP && p.proto !== PROTO_ICMP) {
      this.hop('vpc-endpoint', e.id, 'drop');
      return this.fail('VPCE_GATEWAY_PROTOCOL_RESTRICTION', 'vpc-endpoint', e.id, { note: `${protocolName(p.proto)} is not carried by gateway endpoints` });
    }
    this.hop('vpc-endpoint', e.id, 'forward');
    this.hop('aws-service', e.service, 'accept');
    this.end = { kind: 'aws-service', service: e.service, via: { type: 'vpc-endpoint', id: e.id }, vpce: e, address: p.dst };
    return true;
  }

  /** The reply of a service reached through a gateway endpoint. */
  fromGatewayEndpoint(e: CVpcEndpoint, service: string): boolean {
    this.origin = 'service';
    this.hop('aws-service', service, 'send');
    this.hop('vpc-endpoint', e.id, 'forward');
    const vpc = e.vpc;
    const owner = vpc?.owner(this.pkt.dst);
    if (!vpc || !owner) return this.fail('UNKNOWN_DESTINATION', 'vpc-endpoint', e.id, { address: this.pkt.dst });
    return this.deliver(owner, undefined);
  }
}

// A walk kept for its shape (see keepShape): every trace makes two and lets them go.
keepShape(new Walk(undefined as unknown as CompiledNetwork, { src: 0, dst: 0, proto: 0, sport: 0, dport: 0, icmpType: 0, icmpCode: 0 }, false, { translations: [] }));

function tunnelNote(c: CVpnConnection, t: number): string {
  const tunnel = c.model.tunnels[t]!;
  const down = c.model.tunnels.slice(0, t).map((x) => x.outsideIp);
  return down.length > 0
    ? `tunnel ${tunnel.outsideIp} (UP) carries the traffic; ${down.join(', ')} DOWN`
    : `tunnel ${tunnel.outsideIp} (UP)`;
}

// ---------------------------------------------------------------------------------------
// trace()
// ---------------------------------------------------------------------------------------

function replyHeaders(h: Headers): Headers {
  const icmp = h.proto === PROTO_ICMP;
  const icmp6 = h.proto === PROTO_ICMPV6;
  return {
    src: h.dst,
    dst: h.src,
    proto: h.proto,
    sport: h.dport,
    dport: h.sport,
    icmpType: icmp && h.icmpType === ICMP_ECHO_REQUEST ? ICMP_ECHO_REPLY : icmp6 && h.icmpType === ICMPV6_ECHO_REQUEST ? ICMPV6_ECHO_REPLY : h.icmpType,
    icmpCode: h.icmpCode,
  };
}

/** Traces a resolved packet from its source, then its reply. */
export function traceResolved(net: CompiledNetwork, source: Source, pkt: Headers, assume?: Assumptions): TraceResult {
  if (typeof pkt.src !== typeof pkt.dst) throw new TraceInputError('Source and destination addresses must be of one family (IPv4 or IPv6).');
  const conn: Connection = { translations: [], assume };
  const fwd = new Walk(net, pkt, false, conn);
  if (source.kind === 'interface') fwd.send(source.iface);
  else if (source.kind === 'peering') fwd.fromPeering(source.pcx, source.into);
  else if (source.kind === 'internet') {
    fwd.hop('internet', 'internet', 'send');
    fwd.fromInternet(source.igw);
  } else fwd.fromVpnGateway(source.vgw);
  const forward = fwd.result();
  if (!forward.accepted) {
    return { verdict: 'dropped', forward, explanations: [forward.explanation!], source };
  }

  // The reply: from where the packet arrived, back to the address it came from.
  const end = forward.end!;
  const back = new Walk(net, replyHeaders(forward.last), true, conn);
  switch (end.kind) {
    case 'interface':
      back.send(end.iface);
      break;
    case 'internet':
      back.hop('internet', 'internet', 'send');
      back.fromInternet();
      break;
    case 'aws-service':
      if (end.vpce) back.fromGatewayEndpoint(end.vpce, end.service);
      else {
        back.hop('aws-service', end.service, 'send');
        back.fromInternet();
      }
      break;
    case 'on-premises':
      back.fromVpnGateway(end.vgw);
      break;
    case 'peering':
      // Only replies end at a peering connection; a forward path never does.
      back.fromPeering(end.pcx, undefined);
      break;
  }
  const reverse = back.result();
  if (reverse.accepted) {
    // The reply must come back to the sender, from the address the sender talked to.
    const rEnd = reverse.end!;
    let mismatch: string | undefined;
    if (source.kind === 'interface' && (rEnd.kind !== 'interface' || rEnd.iface !== source.iface)) {
      mismatch = 'the reply does not reach the source interface';
    } else if (source.kind === 'internet' && (rEnd.kind !== 'internet' || reverse.last.src !== forward.first.dst)) {
      mismatch = `the reply reaches the internet from ${formatAddr(reverse.last.src)}, not from ${formatAddr(forward.first.dst)} that the client sent to`;
    } else if (source.kind === 'on-premises' && rEnd.kind !== 'on-premises') {
      mismatch = 'the reply does not go back through the VPN';
    } else if (source.kind === 'peering' && (rEnd.kind !== 'peering' || rEnd.pcx !== source.pcx)) {
      mismatch = `the reply does not go back through ${source.pcx.id}`;
    }
    if (mismatch) {
      reverse.accepted = false;
      const last = reverse.hops[reverse.hops.length - 1];
      reverse.explanation = {
        code: 'NO_ROUTE_TO_DESTINATION',
        direction: 'return',
        component: last ? { type: last.type, id: last.id } : { type: 'internet', id: 'internet' },
        address: reverse.last.dst,
        note: mismatch,
      };
    }
  }
  return {
    verdict: reverse.accepted ? 'accepted' : 'dropped',
    forward,
    reverse,
    explanations: reverse.accepted ? [] : [reverse.explanation!],
    source,
  };
}

/** Traces the packet a request describes (throws TraceInputError for a request that names nothing). */
export function trace(net: CompiledNetwork, req: TraceRequest, assume?: Assumptions): TraceResult {
  const r = resolveRequest(net, req);
  return traceResolved(net, r.source, r.pkt, assume);
}

// ---------------------------------------------------------------------------------------
// Rendering (JSON for the API and the CLI)
// ---------------------------------------------------------------------------------------

export interface HeadersJson {
  sourceAddress: string;
  destinationAddress: string;
  protocol: string;
  sourcePort?: number;
  destinationPort?: number;
  icmpType?: number;
  icmpCode?: number;
}

export function headersJson(h: Headers): HeadersJson {
  const out: HeadersJson = { sourceAddress: formatAddr(h.src), destinationAddress: formatAddr(h.dst), protocol: protocolName(h.proto) };
  if (hasPorts(h.proto)) {
    out.sourcePort = h.sport;
    out.destinationPort = h.dport;
  } else if (h.proto === PROTO_ICMP || h.proto === PROTO_ICMPV6) {
    out.icmpType = h.icmpType;
    out.icmpCode = h.icmpCode;
  }
  return out;
}

function portRange(from: number | undefined, to: number | undefined): { from: number; to: number } | undefined {
  if (from === undefined || to === undefined) return undefined;
  return { from, to };
}

function aclRuleJson(e: CAclEntry, egress: boolean): Record<string, unknown> {
  const m = e.model;
  const out: Record<string, unknown> = {
    ruleNumber: m.ruleNumber,
    ruleAction: m.action,
    egress,
    protocol: protocolName(e.protocol),
    cidr: m.cidr ?? m.ipv6Cidr,
  };
  if (e.protocol === PROTO_TCP || e.protocol === PROTO_UDP) out.portRange = portRange(e.fromPort, e.toPort);
  if (e.protocol === PROTO_ICMP || e.protocol === PROTO_ICMPV6) out.icmpTypeCode = { type: e.icmpType, code: e.icmpCode };
  return out;
}

function sgRuleJson(r: CSgRule, direction: 'ingress' | 'egress' | undefined): Record<string, unknown> {
  const m = r.model;
  const out: Record<string, unknown> = {
    securityGroupId: r.group.id,
    securityGroupRuleId: m.id,
    direction,
    protocol: protocolName(r.protocol),
  };
  if (r.protocol === PROTO_TCP || r.protocol === PROTO_UDP) out.portRange = portRange(r.fromPort, r.toPort);
  if (r.protocol === PROTO_ICMP || r.protocol === PROTO_ICMPV6) out.icmpTypeCode = { type: r.fromPort, code: r.toPort };
  if (m.cidr) out.cidr = m.cidr;
  if (m.ipv6Cidr) out.ipv6Cidr = m.ipv6Cidr;
  if (m.prefixListId) out.prefixListId = m.prefixListId;
  if (m.groupId) out.referencedGroupId = m.groupId;
  return out;
}

function routeJson(r: CRoute): Record<string, unknown> {
  const m = r.model;
  const out: Record<string, unknown> = {};
  if (m.destination) out.destinationCidr = m.destination;
  if (m.prefixListId) {
    out.destinationPrefixListId = m.prefixListId;
    out.matchedCidr = matchedCidr(r);
  }
  out.target = m.target.id;
  out.targetType = m.target.kind;
  out.state = m.state;
  if (m.origin) out.origin = m.origin;
  return out;
}

function matchedCidr(r: CRoute): string {
  return `${r.block6 ? formatAddr(r.block6.base6!) : formatIpv4(r.base)}/${r.prefix}`;
}

function routeText(r: CRoute): string {
  return `${r.model.destination ?? `${r.model.prefixListId} (${matchedCidr(r)})`} → ${r.model.target.id}`;
}

function aclText(e: CAclEntry | undefined): string {
  if (!e) return 'no rule matches';
  const m = e.model;
  const what = e.protocol === PROTO_ALL ? 'all traffic' : e.protocol === PROTO_TCP || e.protocol === PROTO_UDP ? `${protocolName(e.protocol)} ${e.fromPort === e.toPort ? e.fromPort : `${e.fromPort}-${e.toPort}`}` : protocolName(e.protocol);
  return `rule ${m.ruleNumber >= 32767 ? '*' : m.ruleNumber} (${m.action} ${what} ${m.cidr ?? m.ipv6Cidr})`;
}

function sgText(r: CSgRule): string {
  const m = r.model;
  const what =
    r.protocol === PROTO_ALL
      ? 'all traffic'
      : r.protocol === PROTO_TCP || r.protocol === PROTO_UDP
        ? `${protocolName(r.protocol)} ${r.fromPort === r.toPort ? r.fromPort : `${r.fromPort}-${r.toPort}`}`
        : protocolName(r.protocol);
  const peer = m.cidr ?? m.ipv6Cidr ?? m.prefixListId ?? m.groupId ?? '?';
  return `${m.id} (${what} ${peer})`;
}

function hopDetail(h: Hop): string {
  const dir = h.direction === 'egress' ? 'outbound' : 'inbound';
  switch (h.type) {
    case 'network-acl':
      if (!h.aclEntry && h.note) return `${dir} ${h.direction === 'egress' ? 'from' : 'to'} ${h.subnet}: ${h.note}`;
      return `${dir} ${h.direction === 'egress' ? 'from' : 'to'} ${h.subnet}: ${h.action === 'allow' ? 'allowed by' : 'denied by'} ${aclText(h.aclEntry)}`;
    case 'security-group':
      if (h.action === 'return-allowed') return `${dir}: reply of an allowed connection (security groups are stateful)`;
      if (h.action === 'allow') return `${dir}: ${h.sgRule ? `allowed by ${sgText(h.sgRule)}` : (h.note ?? 'allowed')}`;
      return `${dir}: no rule allows the packet`;
    case 'route-table':
      if (h.action === 'no-route') return 'no route matches the destination';
      if (h.action === 'blackhole') return `route ${routeText(h.route!)} is a blackhole`;
      return `route ${routeText(h.route!)}`;
    default: {
      const base = h.action;
      const tr = h.inbound && h.outbound ? translationText(h.inbound, h.outbound) : '';
      return [base, tr, h.note].filter(Boolean).join(': ');
    }
  }
}

function translationText(a: Headers, b: Headers): string {
  const parts: string[] = [];
  if (a.src !== b.src) parts.push(`source ${formatAddr(a.src)} → ${formatAddr(b.src)}`);
  if (a.dst !== b.dst) parts.push(`destination ${formatAddr(a.dst)} → ${formatAddr(b.dst)}`);
  if (a.dport !== b.dport) parts.push(`destination port ${a.dport} → ${b.dport}`);
  return parts.join(', ');
}

export function hopJson(h: Hop, sequence: number): Record<string, unknown> {
  const out: Record<string, unknown> = { sequence, component: { type: h.type, id: h.id }, action: h.action };
  if (h.direction) out.direction = h.direction;
  if (h.subnet) out.subnetId = h.subnet;
  out.detail = hopDetail(h);
  if (h.aclEntry) out.aclRule = aclRuleJson(h.aclEntry, h.direction === 'egress');
  if (h.sgRule) out.securityGroupRule = sgRuleJson(h.sgRule, h.direction);
  if (h.route) out.route = { routeTableId: h.routeTable, ...routeJson(h.route) };
  else if (h.routeTable) out.route = { routeTableId: h.routeTable };
  if (h.inbound) out.inboundHeader = headersJson(h.inbound);
  if (h.outbound) out.outboundHeader = headersJson(h.outbound);
  if (h.note) out.note = h.note;
  return out;
}

const MESSAGES: Record<string, string> = {
  ENI_SG_RULES_MISMATCH: 'No security group rule of the network interface allows this traffic.',
  SUBNET_ACL_RESTRICTION: 'The subnet’s network ACL does not allow this traffic.',
  NO_ROUTE_TO_DESTINATION: 'No route carries the traffic to its destination.',
  BAD_STATE_ROUTE: 'The route that matches is not in a functional state (blackhole).',
  BAD_STATE: 'This component is not in a functional state.',
  BAD_STATE_ATTACHMENT: 'The attachment between these components is not in a functional state.',
  BAD_STATE_VPN: 'This VPN connection is not in a functional state.',
  IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS: 'The internet gateway only sends traffic out from addresses that have a public IPv4 address.',
  IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS: 'The internet gateway only delivers inbound traffic to private addresses that have a public IPv4 address.',
  IGW_DESTINATION_ADDRESS_NOT_IN_RFC1918_EGRESS: 'The internet gateway does not send traffic to private (RFC 1918) addresses.',
  ENI_SOURCE_DEST_CHECK_RESTRICTION: 'The network interface only sends and receives its own traffic while source/destination check is enabled.',
  NGW_REQUIRES_SOURCE_IN_VPC: 'The NAT gateway only translates traffic from sources in its VPC.',
  PCX_REQUIRES_ADDRESS_IN_VPC_CIDR: 'The peering connection only carries traffic to addresses in the peer VPC’s CIDR blocks.',
  VPCE_GATEWAY_EGRESS_SOURCE_ADDRESS_RESTRICTION: 'The gateway endpoint only carries traffic from addresses in its VPC.',
  VPCE_GATEWAY_PROTOCOL_RESTRICTION: 'The gateway endpoint does not carry this protocol.',
  NO_POSSIBLE_DESTINATION: 'There is no destination for this traffic at this component.',
  UNKNOWN_DESTINATION: 'No resource holds the destination address.',
  UNSUPPORTED_COMPONENT: 'This component is not supported by the analysis.',
  NO_PATH: 'No path exists.',
};

export function explanationJson(e: Explanation): Record<string, unknown> {
  const out: Record<string, unknown> = {
    explanationCode: e.code,
    direction: e.direction,
    component: { ...e.component },
    message: MESSAGES[e.code] ?? e.code,
  };
  if (e.acl) out.acl = e.acl;
  if (e.aclEntry) out.aclRule = aclRuleJson(e.aclEntry, e.aclDirection === 'egress');
  if (e.aclDirection) out.aclDirection = e.aclDirection;
  if (e.securityGroups) out.securityGroups = e.securityGroups;
  if (e.sgDirection) out.securityGroupDirection = e.sgDirection;
  if (e.routeTable) out.routeTableId = e.routeTable;
  if (e.route) out.route = routeJson(e.route);
  if (e.address !== undefined) out.address = formatAddr(e.address);
  if (e.note) out.note = e.note;
  return out;
}

function endpointJson(e: Endpoint | undefined): Record<string, unknown> | undefined {
  if (!e) return undefined;
  switch (e.kind) {
    case 'interface':
      return { kind: 'interface', networkInterfaceId: e.iface.id, instanceId: e.iface.instance?.id };
    case 'internet':
      return { kind: 'internet', address: formatAddr(e.address), internetGatewayId: e.igw.id };
    case 'aws-service':
      return { kind: 'aws-service', service: e.service, address: formatAddr(e.address), via: e.via };
    case 'on-premises':
      return { kind: 'on-premises', address: formatAddr(e.address), vpnGatewayId: e.vgw.id, vpnConnectionId: e.connection.id };
    case 'peering':
      return { kind: 'peering', address: formatAddr(e.address), vpcPeeringConnectionId: e.pcx.id };
  }
}

/** The trace as JSON: the verdict, both paths hop by hop, and the explanations. */
export function traceJson(t: TraceResult): Record<string, unknown> {
  const src = t.source;
  return {
    verdict: t.verdict,
    source:
      src.kind === 'interface'
        ? { kind: 'interface', networkInterfaceId: src.iface.id, instanceId: src.iface.instance?.id, vpcId: src.iface.vpc.id }
        : src.kind === 'internet'
          ? { kind: 'internet', internetGatewayId: src.igw?.id }
          : src.kind === 'peering'
            ? { kind: 'peering', vpcPeeringConnectionId: src.pcx.id, vpcId: src.into?.id }
            : { kind: 'on-premises', vpnGatewayId: src.vgw?.id },
    packet: headersJson(t.forward.first),
    forwardPathAccepted: t.forward.accepted,
    returnPathAccepted: t.reverse?.accepted ?? false,
    destination: endpointJson(t.forward.end),
    hops: t.forward.hops.map((h, i) => hopJson(h, i + 1)),
    returnHops: (t.reverse?.hops ?? []).map((h, i) => hopJson(h, i + 1)),
    explanations: t.explanations.map(explanationJson),
  };
}
