/**
 * Symbolic reachability: for one source, destination and protocol, the whole set of
 * destination ports (or ICMP types) whose packet and reply get through — or, for one
 * port, the whole set of destination addresses — without tracing every value.
 *
 * Method: atomic predicates (AP Verifier). The walk's decisions depend on the destination
 * port only through security group rules and network ACL entries, and each of those
 * matches an interval of ports. Cut the port range at every bound of every rule that can
 * decide the packet and the range falls apart into classes (atoms) whose ports meet
 * exactly the same rules: every port of a class takes the same path to the same verdict.
 * One concrete trace (trace.ts's traceResolved, with the class's lowest port as
 * representative) then decides the whole class.
 *
 * Which rules "can decide the packet" is found as a fixpoint rather than assumed: start
 * with one class (the whole range); trace its representative; the components the walk
 * met (the security groups of every interface it crossed, every network ACL it checked,
 * both ways) give their rules' bounds as new cuts; trace the representative of every
 * new class; repeat until no walk meets a rule whose bounds are not cuts yet. At that
 * point every class's representative met only rules that are constant over its class, so
 * by induction along the walk every port of the class makes the same decisions: the
 * answer is exact, not sampled, and each class is traced once (as many traces as
 * classes). Adjacent classes with the same verdict and the same explanation codes are
 * merged in the result.
 *
 * Choice: classes are decided by concrete traces rather than by evaluating the rule sets
 * as interval sets along a symbolic path, so that the answer follows every rule of the walk
 * (translations, appliances, peering, endpoints, explanation codes) with no second
 * implementation to keep in step; exposure.ts evaluates rule sets as interval sets directly
 * where the path is the simple one and speed matters.
 *
 * Ports: the forward packet carries the port as its destination port (what security
 * groups and ACLs match); the reply carries it as its source port and is matched by the
 * ACLs on its destination port, the client's ephemeral source port, which stays fixed
 * (DEFAULT_SOURCE_PORT unless given). ICMP: the "port" is the ICMP type (code fixed, 0
 * unless given; ICMPv6 likewise); an echo request (8; ICMPv6 128) is answered by an echo
 * reply (0; 129), so the echo request is always a class of its own. Other protocols carry
 * no port: one class, [0, 0].
 *
 * Addresses (reachableDestinations): the same method over the destination address, with
 * cuts at every block the network names — routes (prefix lists included), ACL entries,
 * security group CIDRs and prefix lists, VPC, subnet and peered blocks, VPN on-premises
 * prefixes, AWS service ranges, the private (RFC 1918) ranges — and every address held by
 * an interface, private or public (group references match members' private addresses).
 * Those cuts are taken from the whole network at once (no fixpoint), so the count of
 * classes grows with the network; `within` narrows the range asked about. The address
 * dimension is IPv4; the port dimension works for both families.
 */
import { type Addr, type CompiledNetwork, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP } from './compile.js';
import { IntervalSet } from './intervals.js';
import { DEFAULT_SOURCE_PORT, type Headers, resolveRequest, type Source, type TraceRequest, type TraceResult, traceResolved } from './trace.js';

export type Verdict = 'accepted' | 'dropped';

/** A class of ports (or addresses) that all meet the same verdict, for the same reasons. */
export interface ValueClass {
  /** Inclusive bounds. */
  ports: [number, number];
  verdict: Verdict;
  /** Explanation codes of the drop (empty when accepted). */
  codes: string[];
}

export interface ReachableSet {
  /** Ports (ICMP types; addresses for reachableDestinations) for which the packet and its reply get through. */
  allowed: IntervalSet;
  /** The whole range asked about, split into classes, in order. */
  classes: ValueClass[];
  /** How many concrete traces were run (one per atom). */
  traces: number;
}

export interface SymbolicOptions {
  /** The sender's source port (TCP/UDP); default DEFAULT_SOURCE_PORT, as in trace. */
  sourcePort?: number;
  /** ICMP code of the probes; default 0. */
  icmpCode?: number;
}

function hasPorts(proto: number): boolean {
  return proto === PROTO_TCP || proto === PROTO_UDP;
}

function isIcmp(proto: number): boolean {
  return proto === PROTO_ICMP || proto === PROTO_ICMPV6;
}

/** The range the "port" of `proto` lives in. */
export function portUniverse(proto: number): [number, number] {
  if (hasPorts(proto)) return [0, 65535];
  if (isIcmp(proto)) return [0, 255];
  return [0, 0];
}

function packet(srcIp: Addr, dst: Addr, proto: number, port: number, opts: SymbolicOptions): Headers {
  const ports = hasPorts(proto);
  const icmp = isIcmp(proto);
  return {
    src: srcIp,
    dst,
    proto,
    sport: ports ? (opts.sourcePort ?? DEFAULT_SOURCE_PORT) : 0,
    dport: ports ? port : 0,
    icmpType: icmp ? port : 0,
    icmpCode: icmp ? (opts.icmpCode ?? 0) : 0,
  };
}

function codesOf(t: TraceResult): string[] {
  return t.explanations.map((e) => e.code);
}

/** Sorted distinct cut points → classes [c_i, c_{i+1} - 1]. */
function sortedCuts(cuts: Set<number>): number[] {
  return [...cuts].sort((a, b) => a - b);
}

/**
 * The port bounds (as cut points: lo and hi + 1) of the rules of the components a trace
 * met; adds to `cuts`, returns whether any cut is new.
 */
class PortCutter {
  private readonly seenSg = new Set<string>();
  private readonly seenAcl = new Set<string>();
  private readonly seenIface = new Set<string>();

  constructor(
    private readonly net: CompiledNetwork,
    private readonly proto: number,
    private readonly cuts: Set<number>,
    private readonly lo: number,
    private readonly hi: number,
  ) {}

  private cut(a: number, b: number): boolean {
    // A rule's interval [a, b] cuts at a and b + 1 (inside the universe only).
    let fresh = false;
    if (a > this.lo && a <= this.hi && !this.cuts.has(a)) {
      this.cuts.add(a);
      fresh = true;
    }
    const e = b + 1;
    if (e > this.lo && e <= this.hi && !this.cuts.has(e)) {
      this.cuts.add(e);
      fresh = true;
    }
    return fresh;
  }

  private group(id: string): boolean {
    if (this.seenSg.has(id)) return false;
    this.seenSg.add(id);
    const g = this.net.securityGroups.get(id);
    if (!g) return false;
    let fresh = false;
    for (const rules of [g.ingress, g.egress]) {
      for (const r of rules) {
        if (r.protocol !== this.proto) continue;
        if (hasPorts(this.proto)) fresh = this.cut(r.fromPort, r.toPort) || fresh;
        else if (isIcmp(this.proto) && r.fromPort !== -1) fresh = this.cut(r.fromPort, r.fromPort) || fresh;
      }
    }
    return fresh;
  }

  private acl(id: string): boolean {
    if (this.seenAcl.has(id)) return false;
    this.seenAcl.add(id);
    const a = this.net.acls.get(id);
    if (!a) return false;
    let fresh = false;
    for (const entries of [a.ingress, a.egress]) {
      for (const e of entries) {
        if (e.protocol !== this.proto) continue;
        if (hasPorts(this.proto)) fresh = this.cut(e.fromPort, e.toPort) || fresh;
        else if (isIcmp(this.proto) && e.icmpType !== -1) fresh = this.cut(e.icmpType, e.icmpType) || fresh;
      }
    }
    return fresh;
  }

  private iface(id: string): boolean {
    if (this.seenIface.has(id)) return false;
    this.seenIface.add(id);
    const i = this.net.interfaces.get(id);
    if (!i) return false;
    let fresh = false;
    for (const g of i.groups) fresh = this.group(g.id) || fresh;
    return fresh;
  }

  /** Every component the trace met, forward and back. */
  met(t: TraceResult): boolean {
    let fresh = false;
    for (const path of [t.forward, t.reverse]) {
      if (!path) continue;
      for (const h of path.hops) {
        if (h.type === 'security-group') fresh = this.group(h.id) || fresh;
        else if (h.type === 'network-acl') fresh = this.acl(h.id) || fresh;
        else if (h.type === 'network-interface') fresh = this.iface(h.id) || fresh;
      }
      const x = path.explanation;
      if (x) {
        if (x.component.type === 'network-interface') fresh = this.iface(x.component.id) || fresh;
        if (x.component.type === 'network-acl') fresh = this.acl(x.component.id) || fresh;
        if (x.acl) fresh = this.acl(x.acl) || fresh;
        for (const g of x.securityGroups ?? []) fresh = this.group(g) || fresh;
      }
    }
    return fresh;
  }
}

/** Merges adjacent classes with the same verdict and codes; builds the allowed set. */
function summarise(points: number[], hi: number, results: Map<number, { verdict: Verdict; codes: string[] }>, traces: number): ReachableSet {
  const classes: ValueClass[] = [];
  const allowed: [number, number][] = [];
  for (let i = 0; i < points.length; i++) {
    const a = points[i]!;
    const b = i + 1 < points.length ? points[i + 1]! - 1 : hi;
    const r = results.get(a)!;
    const last = classes[classes.length - 1];
    if (last && last.verdict === r.verdict && last.codes.join() === r.codes.join() && last.ports[1] + 1 === a) last.ports[1] = b;
    else classes.push({ ports: [a, b], verdict: r.verdict, codes: r.codes });
    if (r.verdict === 'accepted') allowed.push([a, b]);
  }
  return { allowed: IntervalSet.of(allowed), classes, traces };
}

/**
 * The destination ports (ICMP types) from `srcIp` at `source` to `dst` over `proto` for
 * which the packet and its reply get through, and the classes of the range asked about
 * (default: every port; ICMP: every type) with their verdicts and explanation codes.
 */
export function reachableSet(
  net: CompiledNetwork,
  source: Source,
  srcIp: Addr,
  dst: Addr,
  proto: number,
  ports?: [number, number],
  opts: SymbolicOptions = {},
): ReachableSet {
  const universe = portUniverse(proto);
  const lo = Math.max(universe[0], ports?.[0] ?? universe[0]);
  const hi = Math.min(universe[1], ports?.[1] ?? universe[1]);
  if (lo > hi) return { allowed: IntervalSet.EMPTY, classes: [], traces: 0 };
  const cuts = new Set<number>([lo]);
  const cutter = new PortCutter(net, proto, cuts, lo, hi);
  if (isIcmp(proto)) {
    // The echo request (8; ICMPv6 128) is answered with an echo reply (0; 129): its reply
    // differs from its neighbours'.
    const echo = proto === PROTO_ICMP ? 8 : 128;
    for (const c of [echo, echo + 1]) if (c > lo && c <= hi) cuts.add(c);
  }
  const results = new Map<number, { verdict: Verdict; codes: string[] }>();
  let traces = 0;
  for (;;) {
    let fresh = false;
    for (const p of sortedCuts(cuts)) {
      if (results.has(p)) continue;
      const t = traceResolved(net, source, packet(srcIp, dst, proto, p, opts));
      traces++;
      results.set(p, { verdict: t.verdict, codes: codesOf(t) });
      if (cutter.met(t)) fresh = true;
    }
    if (!fresh) break;
  }
  return summarise(sortedCuts(cuts), hi, results, traces);
}

/** reachableSet for a trace request (its destination port, if any, is ignored: every port is asked). */
export function reachableSetFor(net: CompiledNetwork, req: TraceRequest, ports?: [number, number]): ReachableSet {
  const r = resolveRequest(net, { ...req, destinationPort: req.destinationPort ?? 0 });
  return reachableSet(net, r.source, r.pkt.src, r.pkt.dst, r.pkt.proto, ports, { sourcePort: req.sourcePort, icmpCode: req.icmpCode });
}

// ---------------------------------------------------------------------------------------
// The address dimension
// ---------------------------------------------------------------------------------------

const V4_END = 0x100000000;

/**
 * Calls `visit(lo, hi)` for every address block the network names (routes, ACL entries,
 * security group blocks, VPC, subnet, peered, VPN, AWS service and endpoint blocks, the
 * private ranges) and, with lo = hi, every address an interface or NAT gateway holds
 * (unless `addresses` is false).
 */
export function forEachNamedBlock(net: CompiledNetwork, visit: (lo: number, hi: number) => void, addresses = true): void {
  const block = (base: number, mask: number) => {
    if (base < 0) return; // an IPv6 block
    const lo = base >>> 0;
    visit(lo, lo + (~mask >>> 0));
  };
  const blocks = (bs: readonly { base: number; mask: number }[]) => {
    for (const b of bs) block(b.base, b.mask);
  };
  for (const rt of net.routeTables.values()) for (const r of rt.routes) block(r.base, r.mask);
  for (const a of net.acls.values()) {
    for (const e of a.ingress) block(e.base, e.mask);
    for (const e of a.egress) block(e.base, e.mask);
  }
  for (const g of net.securityGroups.values()) {
    for (const r of g.ingress) blocks(r.blocks);
    for (const r of g.egress) blocks(r.blocks);
  }
  for (const v of net.vpcs.values()) blocks(v.cidrs);
  for (const s of net.subnets.values()) if (s.block) block(s.block.base, s.block.mask);
  for (const p of net.peerings.values()) {
    blocks(p.requester.cidrs);
    blocks(p.accepter.cidrs);
  }
  for (const c of net.vpnConnections.values()) blocks(c.onPremises);
  for (const s of net.awsServices) blocks(s.blocks);
  for (const e of net.vpcEndpoints.values()) blocks(e.prefixes);
  block(0x0a000000, 0xff000000);
  block(0xac100000, 0xfff00000);
  block(0xc0a80000, 0xffff0000);
  if (!addresses) return;
  for (const i of net.interfaces.values()) {
    for (const ip of i.ips) visit(ip, ip);
    for (const ip of i.publicIps) if (ip) visit(ip, ip);
  }
  for (const n of net.natGateways.values()) {
    if (n.privateIp) visit(n.privateIp, n.privateIp);
    if (n.publicIp) visit(n.publicIp, n.publicIp);
  }
}

/** Every address bound the network names, as cut points (a block's first address and its last + 1). */
export function addressCuts(net: CompiledNetwork, addresses = true): Set<number> {
  const cuts = new Set<number>([0]);
  forEachNamedBlock(
    net,
    (lo, hi) => {
      cuts.add(lo);
      if (hi + 1 < V4_END) cuts.add(hi + 1);
    },
    addresses,
  );
  return cuts;
}

/**
 * The destination addresses that `srcIp` at `source` reaches over `proto` on `port` (ICMP:
 * type), packet and reply; `within` narrows the addresses asked about (default: all).
 */
export function reachableDestinations(
  net: CompiledNetwork,
  source: Source,
  srcIp: number,
  proto: number,
  port: number,
  within?: [number, number],
  opts: SymbolicOptions & { cuts?: Set<number> } = {},
): ReachableSet {
  const lo = Math.max(0, within?.[0] ?? 0);
  const hi = Math.min(0xffffffff, within?.[1] ?? 0xffffffff);
  if (lo > hi) return { allowed: IntervalSet.EMPTY, classes: [], traces: 0 };
  const all = opts.cuts ?? addressCuts(net);
  const points = [lo];
  for (const c of all) if (c > lo && c <= hi) points.push(c);
  // The source address itself is a class of its own (a packet to oneself).
  for (const c of [srcIp, srcIp + 1]) if (c > lo && c <= hi && !all.has(c)) points.push(c);
  points.sort((a, b) => a - b);
  const uniq = points.filter((p, i) => i === 0 || p !== points[i - 1]);
  const results = new Map<number, { verdict: Verdict; codes: string[] }>();
  for (const a of uniq) {
    const t = traceResolved(net, source, packet(srcIp, a, proto, port, opts));
    results.set(a, { verdict: t.verdict, codes: codesOf(t) });
  }
  return summarise(uniq, hi, results, uniq.length);
}

export interface ReachableJson {
  /** "443,8000-8049,8051-8100" */
  allowed: string;
  classes: { from: number; to: number; verdict: Verdict; explanationCodes: string[] }[];
  traces: number;
}

/** A result as JSON, for the API and the CLI (bounds as numbers: ports, ICMP types or IPv4 addresses). */
export function reachableJson(rs: ReachableSet): ReachableJson {
  return {
    allowed: rs.allowed.toString(),
    classes: rs.classes.map((c) => ({ from: c.ports[0], to: c.ports[1], verdict: c.verdict, explanationCodes: c.codes })),
    traces: rs.traces,
  };
}
