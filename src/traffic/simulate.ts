/**
 * Simulated traffic, decided by the network engine: each flow a user describes becomes one
 * connection per source port, traced forward and back (network/trace.ts), and then what
 * every network interface on the way saw of it, as VPC Flow Logs record it:
 *
 * - the sender's interface records the packets it sends (egress), the receiver's the packets
 *   it receives (ingress); the reply is recorded the other way round;
 * - `srcaddr` of an egress record and `dstaddr` of an ingress record are the interface's
 *   primary private address; `pkt-srcaddr`/`pkt-dstaddr` are the packet's own addresses
 *   (they differ at intermediate interfaces: NAT gateways, NAT instances, appliances);
 * - a NAT gateway's interface records the packet from the instance (ingress), the
 *   translated packet to the destination (egress), the reply (ingress) and the reply
 *   passed back to the instance (egress);
 * - a packet a security group or network ACL drops is a REJECT record where it was dropped:
 *   at the sender's egress (outbound rules), at the receiver's ingress (inbound rules);
 *   a reply the ACL drops (ACLs are stateless) is a REJECT record too, after ACCEPT records
 *   of the request; drops for other reasons (routes, gateways) leave what was recorded before;
 * - tcp-flags: SYN then FIN from the client (3), SYN-ACK then FIN from the server (19); a
 *   connection that is never answered only shows its SYN (2) and, if the server's SYN-ACK
 *   was dropped, 18;
 * - traffic-path (egress records): 1 within the VPC, 2 internet gateway or gateway
 *   endpoint (8 and 7 from Nitro-based instances), 3 virtual private gateway, 4 intra-region
 *   peering, 5 inter-region peering;
 * - pkt-src-aws-service / pkt-dst-aws-service: the AWS service whose published ranges hold
 *   the packet's address (e.g. S3);
 * - traffic with the instance metadata service, Amazon Time Sync, Amazon DNS or the VPC
 *   router is not logged;
 * - IPv6 flows are `type` IPv6, with the interface's IPv6 address in srcaddr/dstaddr.
 *
 * Pure: no I/O; time comes from the caller.
 */
import { keepShape, keepUntilNext } from '../keep-shape.js';
import { formatAddr, parseIpv6 } from '../network/cidr.js';
import { type Addr, type CAcl, type CAclEntry, type CInterface, type CompiledNetwork, PROTO_TCP, PROTO_UDP } from '../network/compile.js';
import { cutIndex } from '../network/intervals.js';
import { addressCuts } from '../network/symbolic.js';
import { type Endpoint, type Explanation, Hop, type Headers, type PathResult, resolveRequest, type Source, TraceInputError, type TraceResult, traceResolved } from '../network/trace.js';
import { zonesOf } from '../services/ec2/regions.js';
import { orderByGroup } from './group-order.js';
import type { DecidedFlow, FlowSpec, InterfaceObservation, ObservationSource } from './types.js';

/** Packets and bytes of one direction of a flow when the spec does not say. */
export const DEFAULT_PACKETS = 10;
export const DEFAULT_BYTES = 840;
/** How long a flow lasts when the spec does not say. */
export const DEFAULT_DURATION_MS = 1_000;

const TCP_FIN = 1;
const TCP_SYN = 2;
const TCP_SYN_ACK = 18;

/** Something that tells the time (epoch ms). */
export interface TimeSource {
  now(): number;
}

const LINK_LOCAL_METADATA = 0xa9fea9fe; // 169.254.169.254
const LINK_LOCAL_TIME = 0xa9fea97b; // 169.254.169.123
const LINK_LOCAL_DNS = 0xa9fea9fd; // 169.254.169.253
/** The same services over IPv6 (Nitro): fd00:ec2::254, ::123, ::253. */
const UNLOGGED_V6 = new Set<bigint>(['fd00:ec2::254', 'fd00:ec2::123', 'fd00:ec2::253'].map((a) => parseIpv6(a)!));

function checkCount(n: unknown, what: string): number | undefined {
  if (n === undefined) return undefined;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new TraceInputError(`${what} must be a non-negative integer.`);
  return n;
}

/** How many connections a spec stands for (its `count`, default 1). */
export function connectionsOf(spec: FlowSpec): number {
  const c = spec.count ?? 1;
  if (!Number.isInteger(c) || c < 1) throw new TraceInputError('count must be a positive integer.');
  return c;
}

/**
 * Decides every flow: one trace (request and reply) per connection, and what each interface saw.
 *
 * The connections of one spec differ only in their client port, which only the network ACLs
 * on the reply path look at: a connection whose reply meets the same ACL entries as the one
 * before shares its trace (whose headers show the first connection's port; `sourcePort` and
 * the observations carry each connection's own).
 *
 * Flows of different specs are decided alike when they provably are (see `DecisionCache`):
 * the engine then walks once, and each flow gets that walk with its own addresses and port.
 */
export function decideFlows(net: CompiledNetwork, specs: readonly FlowSpec[], clock: TimeSource | number, options: DecideOptions = {}): DecidedFlow[] {
  const now = typeof clock === 'number' ? clock : clock.now();
  const out: DecidedFlow[] = [];
  const ctx = new ObservationContext(net, options.instanceType);
  const cache = options.shareDecisions === false ? undefined : new DecisionCache(ctx, options.stats);
  for (const spec of specs) {
    const count = connectionsOf(spec);
    const packets = checkCount(spec.packets, 'packets') ?? DEFAULT_PACKETS;
    const bytes = checkCount(spec.bytes, 'bytes') ?? DEFAULT_BYTES;
    const replyPackets = checkCount(spec.replyPackets, 'replyPackets') ?? DEFAULT_PACKETS;
    const replyBytes = checkCount(spec.replyBytes, 'replyBytes') ?? DEFAULT_BYTES;
    const duration = checkCount(spec.durationMs, 'durationMs') ?? DEFAULT_DURATION_MS;
    const start = checkCount(spec.startMs, 'startMs') ?? now;
    const resolved = resolveRequest(net, spec);
    const firstPort = resolved.pkt.sport;
    if (count > 1 && resolved.pkt.sport !== 0 && firstPort + count - 1 > 65535) {
      throw new TraceInputError(`count ${count} from source port ${firstPort} goes past port 65535.`);
    }
    let plan: Decision | undefined;
    for (let i = 0; i < count; i++) {
      const sport = firstPort === 0 ? 0 : firstPort + i;
      if (!plan || !plan.fits(sport)) {
        const pkt: Headers = { ...resolved.pkt, sport };
        if (cache) plan = cache.plan(resolved.source, pkt);
        else {
          plan = new Plan(ctx, traceResolved(net, resolved.source, pkt));
          if (options.stats) options.stats.walks++;
        }
      }
      const accepted = plan.decision.forward.accepted;
      out.push(new Connection(spec, plan, start, start + duration, packets, bytes, accepted ? replyPackets : 0, accepted ? replyBytes : 0, sport));
    }
  }
  // Two connections (and their walks) and the decision cache of the batch, kept until the next
  // batch (see keepUntilNext): once they are collected, V8 drops the code compiled for them (the
  // code that looks plans up, among others) and the next batch compiles it again.
  if (out.length > 0) keepUntilNext('decided connections', [out[0]!, out[out.length - 1]!]);
  keepUntilNext('decision cache', cache);
  return out;
}

/**
 * A decided connection: the plan that decided it (a walk, or a walk shared with the rewrite that
 * makes this connection's own trace when first asked for). What each interface saw is made
 * from the plan's templates when asked for: `observations` makes and keeps them, and
 * `observationSource` makes them one at a time without keeping any.
 */
class Connection implements DecidedFlow {
  readonly #plan: Decision;
  #observations: InterfaceObservation[] | undefined;
  #natDropped = false;
  constructor(
    readonly spec: FlowSpec,
    plan: Decision,
    public startMs: number,
    public endMs: number,
    public packets: number,
    public bytes: number,
    public replyPackets: number,
    public replyBytes: number,
    public sourcePort: number,
  ) {
    this.#plan = plan;
  }
  get trace(): TraceResult {
    return this.#plan.trace;
  }
  get decision(): TraceResult {
    return this.#plan.decision;
  }
  own(h: Headers, reply: boolean): Headers {
    return this.#plan.own(h, reply);
  }
  get observations(): InterfaceObservation[] {
    return (this.#observations ??= this.#natDropped ? droppedObservations(this.#plan.ctx, this, this.sourcePort) : this.#plan.observations(this, this.sourcePort));
  }
  set observations(made: InterfaceObservation[]) {
    this.#observations = made;
  }
  get natDropped(): boolean | undefined {
    return this.#natDropped || undefined;
  }
  /** A connection the NAT gateway dropped ends at its interface: observations are made anew. */
  set natDropped(dropped: boolean | undefined) {
    const now = dropped === true;
    if (now === this.#natDropped) return;
    this.#natDropped = now;
    this.#observations = undefined;
  }
  /** The plan whose templates make its observations, while they are not made (see observationSource). */
  get unmade(): Decision | undefined {
    return this.#observations === undefined && !this.#natDropped ? this.#plan : undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Flows decided alike
// ---------------------------------------------------------------------------------------

/** `make(net)`, made once per compiled network (a network is not changed once compiled). */
function perNetwork<T extends object>(make: (net: CompiledNetwork) => T): (net: CompiledNetwork) => T {
  const made = new WeakMap<CompiledNetwork, T>();
  return (net) => {
    let v = made.get(net);
    if (!v) made.set(net, (v = make(net)));
    return v;
  };
}

/**
 * The IPv4 address atoms of a network: the ranges between consecutive cut points, cut at every
 * block the network names (routes, ACL entries, security group blocks, VPC, subnet, peered,
 * VPN, AWS service and endpoint blocks, the private ranges: `addressCuts`), with every address
 * that is someone's (interfaces' private and public addresses, NAT gateways') and every address
 * flow logs leave out (metadata, time sync, Amazon DNS, the VPC router) an atom of its own.
 *
 * The engine looks at an address only through membership in those blocks and equality with
 * those addresses, so two packets alike but for addresses in the same atoms meet the same
 * rules, routes and gateways: the same hops with the same verdict, only with their own
 * addresses in the headers.
 */
class AddressAtoms {
  private readonly cuts: Float64Array;
  private readonly single: Uint8Array;
  constructor(net: CompiledNetwork) {
    const cuts = addressCuts(net);
    const singles: number[] = [LINK_LOCAL_METADATA, LINK_LOCAL_TIME, LINK_LOCAL_DNS];
    for (const ip of net.byPublicIp.keys()) singles.push(ip);
    for (const ip of net.byPrivateIp.keys()) singles.push(ip);
    for (const n of net.natGateways.values()) {
      if (n.privateIp) singles.push(n.privateIp);
      if (n.publicIp) singles.push(n.publicIp);
    }
    for (const v of net.vpcs.values()) {
      const primary = v.cidrs.find((b) => b.base6 === undefined);
      if (primary) singles.push((primary.base + 2) >>> 0);
      if (v.cidrs[0] && v.cidrs[0].base6 === undefined) singles.push((v.cidrs[0].base + 2) >>> 0);
    }
    for (const sn of net.subnets.values()) if (sn.block && sn.block.base6 === undefined) singles.push((sn.block.base + 1) >>> 0);
    for (const a of singles) {
      const x = a >>> 0;
      cuts.add(x);
      if (x + 1 < 0x100000000) cuts.add(x + 1);
    }
    const sorted = [...cuts].sort((a, b) => a - b);
    this.cuts = Float64Array.from(sorted);
    this.single = new Uint8Array(sorted.length);
    for (let i = 0; i < sorted.length; i++) {
      const hi = i + 1 < sorted.length ? sorted[i + 1]! : 0x100000000;
      this.single[i] = hi - sorted[i]! === 1 ? 1 : 0;
    }
  }
  /** The index of the atom holding `a`. */
  of(a: number): number {
    return cutIndex(this.cuts, a);
  }
  /** Whether the atom holds one address only. */
  isSingle(atom: number): boolean {
    return this.single[atom] === 1;
  }
}

const atomsOf = perNetwork((net) => new AddressAtoms(net));

/**
 * The port atoms of a network: destination ports between consecutive bounds of every port
 * range a network ACL entry or security group rule names. The engine looks at a server port
 * only through those ranges, so flows alike but for server ports in the same atom are decided
 * alike.
 */
class PortAtoms {
  private readonly cuts: number[];
  constructor(net: CompiledNetwork) {
    const cuts = new Set<number>([0, 1]);
    const range = (from: number, to: number) => {
      if (from >= 0 && from <= 65535) cuts.add(from);
      if (to >= -1 && to < 65535) cuts.add(to + 1);
    };
    for (const a of net.acls.values()) for (const e of [...a.ingress, ...a.egress]) range(e.fromPort, e.toPort);
    for (const g of net.securityGroups.values()) for (const r of [...g.ingress, ...g.egress]) range(r.fromPort, r.toPort);
    this.cuts = [...cuts].sort((a, b) => a - b);
  }
  /** The index of the atom holding `port`. */
  of(port: number): number {
    return cutIndex(this.cuts, port);
  }
}

const portAtomsOf = perNetwork((net) => new PortAtoms(net));

/**
 * Interfaces the engine treats alike, as the ends of a flow between two of the network's own
 * interfaces: the same subnet, security groups, type, source/destination check, account,
 * attachment and instance state (and the instance's kind: Nitro or not), primary addresses in
 * the same atom of the blocks the network names (`addressCuts`, without the interfaces' own
 * addresses). The engine looks at an interface through exactly these, besides its ID and
 * addresses, so a walk between two interfaces is, with the IDs and addresses replaced, the walk
 * between any two others of the same classes (`Plan.learnSharing` checks that the walk shows
 * them nowhere else: no note, no third interface).
 *
 * Left out (class -1): interfaces a route sends traffic to (appliances, NAT instances),
 * NAT gateways' and endpoints' interfaces, and addresses more than one interface holds.
 */
class InterfaceClasses {
  private readonly cuts: Float64Array;
  private readonly routed = new Set<CInterface>();
  private readonly keys = new Map<CInterface, string | null>();
  constructor(private readonly net: CompiledNetwork) {
    this.cuts = Float64Array.from([...addressCuts(net, false)].sort((a, b) => a - b));
    for (const rt of net.routeTables.values()) {
      for (const r of [...rt.routes, ...rt.routes6]) {
        const t = r.model.target;
        if (t.kind === 'eni') {
          const i = net.interfaces.get(t.id);
          if (i) this.routed.add(i);
        } else if (t.kind === 'instance') {
          for (const i of net.instances.get(t.id)?.interfaces ?? []) this.routed.add(i);
        }
      }
    }
  }
  /** The interface whose primary address `addr` is, when it is the only one holding it. */
  owner(addr: number): CInterface | undefined {
    const owners = this.net.byPrivateIp.get(addr);
    return owners && owners.length === 1 && owners[0]!.primaryIp === addr ? owners[0] : undefined;
  }
  /**
   * What an interface's class is made of, but for its instance's kind (which the batch's
   * instance types tell): null when it is left out.
   */
  keyOf(iface: CInterface): string | null {
    let k = this.keys.get(iface);
    if (k === undefined) {
      k = null;
      const m = iface.model;
      const inst = iface.instance;
      const addr = iface.primaryIp;
      if (!this.routed.has(iface) && !iface.nat && !m.vpcEndpointId && this.owner(addr) === iface) {
        k = [
          iface.subnet.id,
          m.groupIds.join(','),
          m.type,
          m.sourceDestCheck,
          m.account,
          m.attached,
          iface.up,
          inst ? `${inst.model.state}/${inst.interfaces.length}` : '-',
          (iface.publicIps[0] ?? 0) !== 0,
          iface.ips6.length > 0,
          cutIndex(this.cuts, addr),
        ].join('|');
      }
      this.keys.set(iface, k);
    }
    return k;
  }
}

const classesOf = perNetwork((net) => new InterfaceClasses(net));

/** At most this many keys are kept (a batch of all-different flows does not keep every walk alive). */
const MAX_KEYS = 4_096;
/** Keys of plans between two single addresses kept (see DecisionCache.pairs). */
const MAX_PAIR_KEYS = 256;

/** What a source is, as far as the engine can tell sources apart: its interface or gateway (or its kind). */
function sourceComponent(s: Source): unknown {
  switch (s.kind) {
    case 'interface':
      return s.iface;
    case 'internet':
      return s.igw ?? 'internet';
    case 'on-premises':
      return s.vgw ?? 'on-premises';
    case 'peering':
      return s.into ? `${s.pcx.id}:${s.into.id}` : s.pcx;
  }
}

/** `Plan.sharing` of a plan between two interfaces that other interfaces of their classes may share. */
const CLASS_SHARING = 7;

/** Plans kept per equivalence key (the different client port classes of one key). */
const PLANS_PER_KEY = 8;

/**
 * Plans by key (source component → protocol and port class → source atom → destination atom
 * and whether equal to the source), at most `limit` keys: past it the table starts anew (a
 * batch of all-different flows does not keep every walk alive).
 */
class PlanTable {
  private byKey = new Map<unknown, Map<number, Map<number, Map<number, Plan[]>>>>();
  private keys = 0;
  constructor(private readonly limit: number) {}

  /** The plans of a key (an empty list, kept, for a new key). */
  list(comp: unknown, protoKey: number, aSrc: number, dstKey: number): Plan[] {
    let byProto = this.byKey.get(comp);
    if (!byProto) this.byKey.set(comp, (byProto = new Map()));
    let bySrc = byProto.get(protoKey);
    if (!bySrc) byProto.set(protoKey, (bySrc = new Map()));
    let byAddr = bySrc.get(aSrc);
    if (!byAddr) bySrc.set(aSrc, (byAddr = new Map()));
    let list = byAddr.get(dstKey);
    if (!list) {
      if (++this.keys > this.limit) {
        byAddr = new Map();
        this.byKey = new Map([[comp, new Map([[protoKey, new Map([[aSrc, byAddr]])]])]]);
        this.keys = 1;
      }
      byAddr.set(dstKey, (list = []));
    }
    return list;
  }
}

/**
 * Decisions of one batch, shared by flows the engine provably decides alike: the same source,
 * protocol, destination port (ICMP type and code), IPv4 addresses in the same atoms
 * (`AddressAtoms`), and a client port the reply path's network ACLs treat alike (`Plan.fits`).
 * A walk whose notes print an address or port that differs is only shared by flows with that
 * same address or port. Anything else (IPv6) is traced on its own.
 */
class DecisionCache {
  private readonly atoms: AddressAtoms;
  private readonly ports: PortAtoms;
  /** Plans that flows with other addresses may share (an address of an atom of many). */
  private readonly shared = new PlanTable(MAX_KEYS);
  /**
   * Plans between two addresses that are atoms of their own (two of the network's interfaces,
   * say): only flows between the same two addresses share them, so fewer are kept.
   */
  private readonly pairs = new PlanTable(MAX_PAIR_KEYS);
  /** Plans between two interfaces, by the interfaces' classes (`InterfaceClasses`). */
  private readonly byClass = new PlanTable(MAX_KEYS);
  private readonly classes: InterfaceClasses;
  /** Class numbers of this batch's interfaces (the class key with the instance's kind). */
  private readonly classNumbers = new Map<CInterface, number>();
  private readonly numbers = new Map<string, number>();
  constructor(
    private readonly ctx: ObservationContext,
    private readonly stats?: { walks: number; shared: number },
  ) {
    this.atoms = atomsOf(ctx.net);
    this.ports = portAtomsOf(ctx.net);
    this.classes = classesOf(ctx.net);
  }

  /** The class number of an interface sending from or receiving at `addr` (-1: none). */
  private classOf(iface: CInterface, addr: number): number {
    if (addr !== iface.primaryIp) return -1;
    let n = this.classNumbers.get(iface);
    if (n === undefined) {
      const key = this.classes.keyOf(iface);
      if (key === null) n = -1;
      else {
        const full = `${key}|${this.ctx.nitro(iface)}`;
        n = this.numbers.get(full);
        if (n === undefined) this.numbers.set(full, (n = this.numbers.size));
      }
      this.classNumbers.set(iface, n);
    }
    return n;
  }

  plan(source: Source, pkt: Headers): Decision {
    const net = this.ctx.net;
    // IPv6: walked on its own.
    if (typeof pkt.src !== 'number' || typeof pkt.dst !== 'number') {
      if (this.stats) this.stats.walks++;
      return new Plan(this.ctx, traceResolved(net, source, pkt));
    }
    const aSrc = this.atoms.of(pkt.src);
    const aDst = this.atoms.of(pkt.dst);
    const comp = sourceComponent(source);
    const ports = pkt.proto === PROTO_TCP || pkt.proto === PROTO_UDP;
    const protoKey = pkt.proto * 0x1000000 + (ports ? this.ports.of(pkt.dport) : 0x10000 + pkt.icmpType * 256 + pkt.icmpCode);
    // Keys kept to small integers (no heap number per lookup).
    const dstKey = aDst * 2 + (pkt.src === pkt.dst ? 1 : 0);
    let sharing = (this.atoms.isSingle(aSrc) ? 0 : 1) | (this.atoms.isSingle(aDst) ? 0 : 2);
    let list: Plan[] | undefined;
    let to: CInterface | undefined;
    if (sharing === 0 && source.kind === 'interface' && pkt.src !== pkt.dst) {
      // Between two of the network's interfaces: shared by interfaces of the same classes.
      const from = this.classOf(source.iface, pkt.src);
      to = from >= 0 ? this.classes.owner(pkt.dst) : undefined;
      const into = to && to !== source.iface ? this.classOf(to, pkt.dst) : -1;
      if (into >= 0) {
        list = this.byClass.list(from, protoKey, 0, into);
        sharing = CLASS_SHARING;
      }
    }
    list ??= (sharing === 0 ? this.pairs : this.shared).list(comp, protoKey, aSrc, dstKey);
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!;
      if (!p.shareable(pkt)) continue;
      if (this.stats) this.stats.shared++;
      return p.sameAs(pkt) ? p : p.derive(source, pkt, to);
    }
    const p = new Plan(this.ctx, traceResolved(net, source, pkt));
    if (this.stats) this.stats.walks++;
    p.sharing = sharing;
    if (sharing === CLASS_SHARING) p.ends = [(source as { iface: CInterface }).iface, to!];
    if (list.length >= PLANS_PER_KEY) list.shift();
    list.push(p);
    return p;
  }
}

/** Whether a string shows an address or a port as a word of its own. */
function mentions(text: string, word: string): boolean {
  let at = text.indexOf(word);
  while (at >= 0) {
    const before = at === 0 ? '' : text[at - 1]!;
    const after = text[at + word.length] ?? '';
    if (!/[0-9.]/.test(before) && !/[0-9]/.test(after) && !(after === '.' && /[0-9]/.test(text[at + word.length + 1] ?? ''))) return true;
    at = text.indexOf(word, at + 1);
  }
  return false;
}

function notesOf(t: TraceResult): string[] {
  const notes: string[] = [];
  for (const path of [t.forward, t.reverse]) {
    if (!path) continue;
    for (const h of path.hops) if (h.note !== undefined) notes.push(h.note);
    if (path.explanation?.note !== undefined) notes.push(path.explanation.note);
  }
  for (const e of t.explanations) if (e.note !== undefined) notes.push(e.note);
  return notes;
}

/** IDs of an interface and its instance. */
function idsOf(i: CInterface): string[] {
  return i.instance ? [i.id, i.instance.id] : [i.id];
}

/**
 * Whether a walk between two interfaces shows them only as its ends: no note names either
 * (by ID or address), and no other interface or instance is on its way or at its end.
 */
function showsOnlyAsEnds(t: TraceResult, notes: string[], ends: [CInterface, CInterface]): boolean {
  const ids = new Set([...idsOf(ends[0]), ...idsOf(ends[1])]);
  for (const n of notes) for (const id of ids) if (n.includes(id)) return false;
  // No address but the two (a public address the packet took on, say, is the interface's own).
  const a = t.forward.first.src;
  const b = t.forward.first.dst;
  const two = (h: Headers | undefined) => h === undefined || ((h.src === a || h.src === b) && (h.dst === a || h.dst === b));
  for (const path of [t.forward, t.reverse]) {
    if (!path) continue;
    if (!two(path.first) || !two(path.last)) return false;
    for (const h of path.hops) {
      if ((h.type === 'network-interface' || h.type === 'instance') && !ids.has(h.id)) return false;
      if (!two(h.inbound) || !two(h.outbound)) return false;
    }
    if (path.end?.kind === 'interface' && !ends.includes(path.end.iface)) return false;
    if (path.end && path.end.kind !== 'interface') return false;
  }
  return true;
}

/** Two interfaces in place of two others of the same classes (sender, receiver). */
class InterfaceSwap {
  /** Interface and instance IDs, made when first asked for (most connections never are). */
  private ids: Map<string, string> | undefined;
  constructor(
    readonly fromA: CInterface,
    readonly toA: CInterface,
    readonly fromB: CInterface,
    readonly toB: CInterface,
  ) {}
  iface(i: CInterface): CInterface {
    return i === this.fromA ? this.toA : i === this.fromB ? this.toB : i;
  }
  id(id: string): string {
    if (!this.ids) {
      this.ids = new Map();
      for (const [from, to] of [
        [this.fromA, this.toA],
        [this.fromB, this.toB],
      ] as const) {
        this.ids.set(from.id, to.id);
        if (from.instance && to.instance) this.ids.set(from.instance.id, to.instance.id);
      }
    }
    return this.ids.get(id) ?? id;
  }
}

/** A trace with its client's addresses and port replaced: what the engine decides for that client. */
class TraceRewrite {
  private explanations: Map<Explanation, Explanation> | undefined;
  private srcText: string | undefined;
  private dstText: string | undefined;
  constructor(
    private readonly fromSrc: Addr,
    private readonly toSrc: Addr,
    private readonly fromDst: Addr,
    private readonly toDst: Addr,
    /** The client port, when it changes. */
    private readonly sport: number | undefined,
    /** The server port, when it changes. */
    readonly dport: number | undefined,
    /** The interfaces at the ends, when they change (`InterfaceClasses`). */
    readonly swap: InterfaceSwap | undefined,
  ) {}
  addr(a: Addr): Addr {
    return a === this.fromSrc ? this.toSrc : a === this.fromDst ? this.toDst : a;
  }
  /** An address as flow logs print it: this connection's own two printed once, whichever interfaces' observations ask. */
  print(ctx: ObservationContext, a: Addr): string {
    if (a === this.toSrc) return (this.srcText ??= ctx.print(a));
    if (a === this.toDst) return (this.dstText ??= ctx.print(a));
    return ctx.print(a);
  }
  headers(h: Headers, reply: boolean): Headers {
    const client = this.sport ?? (reply ? h.dport : h.sport);
    const server = this.dport ?? (reply ? h.sport : h.dport);
    return {
      src: this.addr(h.src),
      dst: this.addr(h.dst),
      proto: h.proto,
      sport: reply ? server : client,
      dport: reply ? client : server,
      icmpType: h.icmpType,
      icmpCode: h.icmpCode,
    };
  }
  explanation(e: Explanation | undefined): Explanation | undefined {
    if (!e) return e;
    this.explanations ??= new Map();
    let x = this.explanations.get(e);
    if (!x) {
      x = { ...e };
      if ('address' in e && e.address !== undefined) x.address = this.addr(e.address);
      if (this.swap) {
        const id = this.swap.id(e.component.id);
        if (id !== e.component.id) x.component = { type: e.component.type, id };
      }
      this.explanations.set(e, x);
    }
    return x;
  }
  endpoint(e: Endpoint | undefined): Endpoint | undefined {
    if (!e) return e;
    if (e.kind === 'interface') return this.swap && this.swap.iface(e.iface) !== e.iface ? { kind: 'interface', iface: this.swap.iface(e.iface) } : e;
    return { ...e, address: this.addr(e.address) };
  }
  path(p: PathResult, reply: boolean): PathResult {
    const hops = new Array<Hop>(p.hops.length);
    for (let i = 0; i < hops.length; i++) {
      const h = p.hops[i]!;
      const id = this.swap ? this.swap.id(h.id) : h.id;
      if (h.inbound === undefined && h.outbound === undefined && id === h.id) {
        // Nothing of the packet's: the hop as it is (traces are not changed once made).
        hops[i] = h;
        continue;
      }
      const c = new Hop(h.type, id, h.action);
      c.direction = h.direction;
      c.aclEntry = h.aclEntry;
      c.sgRule = h.sgRule;
      c.route = h.route;
      c.routeTable = h.routeTable;
      c.inbound = h.inbound && this.headers(h.inbound, reply);
      c.outbound = h.outbound && this.headers(h.outbound, reply);
      c.note = h.note;
      c.subnet = h.subnet;
      hops[i] = c;
    }
    const first = this.headers(p.first, reply);
    const last = this.headers(p.last, reply);
    // The engine's paths hold exactly these keys (end and explanation possibly undefined).
    const out: PathResult = { accepted: p.accepted, hops, first, last, end: this.endpoint(p.end), explanation: this.explanation(p.explanation) };
    if (!('end' in p)) delete out.end;
    if (!('explanation' in p)) delete out.explanation;
    return out;
  }
  rewriteTrace(t: TraceResult, source: Source): TraceResult {
    const out: TraceResult = { ...t, forward: this.path(t.forward, false), explanations: [], source };
    if (t.reverse) out.reverse = this.path(t.reverse, true);
    out.explanations = t.explanations.length === 0 ? [] : t.explanations.map((e) => this.explanation(e)!);
    return out;
  }
}

// ---------------------------------------------------------------------------------------
// Observations
// ---------------------------------------------------------------------------------------

export interface DecideOptions {
  /** An instance's type (e.g. t3.micro), for what depends on it: Nitro-based instances' traffic-path codes. */
  instanceType?: (instanceId: string) => string | undefined;
  /**
   * false: every connection not sharing its spec's trace is walked on its own, even when a flow
   * before it was provably decided alike (for comparisons; the result is the same).
   */
  shareDecisions?: boolean;
  /** Counted when given: connections walked by the engine, and those that took a walk shared with a flow before. */
  stats?: { walks: number; shared: number };
}

/**
 * Instance families not built on the AWS Nitro System (Xen): their traffic through an internet
 * gateway or a gateway endpoint is traffic-path 2; Nitro-based instances show 8 and 7.
 */
const XEN_FAMILIES = new Set(['t1', 't2', 'm1', 'm2', 'm3', 'm4', 'c1', 'c3', 'c4', 'r3', 'r4', 'x1', 'x1e', 'i2', 'i3', 'd2', 'h1', 'g2', 'g3', 'g3s', 'p2', 'p3', 'f1', 'cc1', 'cc2', 'cg1', 'cr1', 'hi1', 'hs1']);
const NITRO_EXCEPTIONS = new Set(['i3.metal', 'p3dn.24xlarge']);

/** Whether an instance type is Nitro-based (an unknown type counts as Nitro: every new family is). */
export function isNitro(instanceType: string): boolean {
  if (NITRO_EXCEPTIONS.has(instanceType)) return true;
  const dot = instanceType.indexOf('.');
  return !XEN_FAMILIES.has(dot < 0 ? instanceType : instanceType.slice(0, dot));
}

/** The network's own IPv4 addresses as printed, kept with the network (see ObservationContext.print). */
const printedAddresses = perNetwork(() => new Map<number, string>());

/** Caches for one batch: service names, printed addresses, instance types. */
class ObservationContext {
  private readonly services = new Map<string, Map<Addr, string | null>>();
  private lastAddr: Addr = -1;
  private lastPrinted = '';
  private otherAddr: Addr = -1;
  private otherPrinted = '';
  private readonly printed: Map<number, string>;
  private readonly nitroByInstance = new Map<string, boolean>();
  constructor(
    readonly net: CompiledNetwork,
    private readonly instanceType?: (instanceId: string) => string | undefined,
  ) {
    this.printed = printedAddresses(net);
  }
  /** Whether the interface belongs to a Nitro-based instance (false when the type is not known). */
  nitro(iface: CInterface): boolean {
    const id = iface.instance?.id;
    if (!id || !this.instanceType) return false;
    let v = this.nitroByInstance.get(id);
    if (v === undefined) {
      const type = this.instanceType(id);
      v = type !== undefined && isNitro(type);
      this.nitroByInstance.set(id, v);
    }
    return v;
  }
  /** The AWS service name (as flow logs print it) of an address. */
  service(addr: Addr, region: string): string | undefined {
    let byAddr = this.services.get(region);
    if (!byAddr) this.services.set(region, (byAddr = new Map()));
    let v = byAddr.get(addr);
    if (v === undefined) {
      v = this.net.awsServices.length === 0 ? null : (this.net.awsServiceOf(addr, region)?.service.toUpperCase() ?? null);
      byAddr.set(addr, v);
    }
    return v ?? undefined;
  }
  /**
   * An address as flow logs print it. The last one is remembered (a connection prints its peer's
   * on each side), and the network's own IPv4 addresses once printed: connections share those
   * strings instead of each keeping copies.
   */
  print(addr: Addr): string {
    if (addr === this.lastAddr) return this.lastPrinted;
    if (addr === this.otherAddr) return this.otherPrinted;
    let s = typeof addr === 'number' ? this.printed.get(addr) : undefined;
    if (s === undefined) {
      s = formatAddr(addr);
      if (typeof addr === 'number' && (this.net.byPrivateIp.has(addr) || this.net.byPublicIp.has(addr))) this.printed.set(addr, s);
      else {
        // Someone else's (an internet peer, say): kept while the connection prints it again.
        this.otherAddr = addr;
        this.otherPrinted = s;
      }
    }
    this.lastAddr = addr;
    this.lastPrinted = s;
    return s;
  }
}

/** A reply-path network ACL decision: which entry matched, for the client port it saw. */
interface AclCheck {
  acl: CAcl;
  egress: boolean;
  remote: Addr;
  proto: number;
  icmpType: number;
  icmpCode: number;
  entry: CAclEntry | undefined;
}

/** One trace and what it makes each interface record, for every connection that shares it. */
class Plan {
  private checksMade = false;
  private checkList: AclCheck[] | undefined;
  private made: Templates | undefined;
  /** Whether flows with other addresses in the same atoms may share the trace (rewritten). */
  private addressesShared = false;
  /** Whether flows with other client ports (that `fits`) may share the trace (rewritten). */
  private portsShared = false;
  /** Whether flows with other server ports of the same port atom may share the trace (rewritten). */
  private serverPortsShared = false;
  /**
   * For a plan kept for sharing: which of its addresses may vary (1 source, 2 destination);
   * what may be shared is worked out when a second flow comes (`learnSharing`).
   */
  sharing: number | undefined;
  /** For a plan between two interfaces shared by their classes: the two (sender, receiver). */
  ends: [CInterface, CInterface] | undefined;
  constructor(
    readonly ctx: ObservationContext,
    /** The walk. */
    readonly decision: TraceResult,
  ) {}

  /** The trace of this plan's connections: the walk itself. */
  get trace(): TraceResult {
    return this.decision;
  }

  /** The reply path's ACL decisions (worked out when first asked). */
  private get checks(): AclCheck[] | undefined {
    if (!this.checksMade) {
      this.checkList = replyAclChecks(this.ctx.net, this.trace);
      this.checksMade = true;
    }
    return this.checkList;
  }

  /** Whether a connection from client port `sport` would be decided alike. */
  fits(sport: number): boolean {
    const checks = this.checks;
    if (!checks) return false;
    for (let i = 0; i < checks.length; i++) {
      const c = checks[i]!;
      if (c.acl.evaluate(c.egress, c.remote, c.proto, sport, c.icmpType, c.icmpCode) !== c.entry) return false;
    }
    return true;
  }

  /**
   * Finds out what flows of the same key may share this trace: other addresses of the atoms
   * that hold more than one (`srcVaries`, `dstVaries`) unless a note prints the address; other
   * client ports when every header of the request carries the client port as its source port
   * and every header of the reply as its destination port, and no note prints it.
   */
  private learnSharing(srcVaries: boolean, dstVaries: boolean): void {
    const t = this.trace;
    const first = t.forward.first;
    const notes = notesOf(t);
    this.addressesShared = !notes.some((n) => (srcVaries && mentions(n, formatAddr(first.src))) || (dstVaries && mentions(n, formatAddr(first.dst))));
    if (this.ends && this.addressesShared) this.addressesShared = showsOnlyAsEnds(t, notes, this.ends);
    let ports = this.checks !== undefined && !notes.some((n) => mentions(n, String(first.sport)));
    const same = (h: Headers | undefined, reply: boolean) => h === undefined || (reply ? h.dport : h.sport) === first.sport;
    for (const [path, reply] of [
      [t.forward, false],
      [t.reverse, true],
    ] as const) {
      if (!ports || !path) continue;
      if (!same(path.first, reply) || !same(path.last, reply)) ports = false;
      for (const h of path.hops) if (!same(h.inbound, reply) || !same(h.outbound, reply)) ports = false;
    }
    this.portsShared = ports;
    // The server port: the request's destination port and the reply's source port throughout.
    let server = (first.proto === PROTO_TCP || first.proto === PROTO_UDP) && !notes.some((n) => mentions(n, String(first.dport)));
    const sameServer = (h: Headers | undefined, reply: boolean) => h === undefined || (reply ? h.sport : h.dport) === first.dport;
    for (const [path, reply] of [
      [t.forward, false],
      [t.reverse, true],
    ] as const) {
      if (!server || !path) continue;
      if (!sameServer(path.first, reply) || !sameServer(path.last, reply)) server = false;
      for (const h of path.hops) if (!sameServer(h.inbound, reply) || !sameServer(h.outbound, reply)) server = false;
    }
    this.serverPortsShared = server;
  }

  /** Whether this trace, rewritten, is what the engine decides for `pkt` (of the same key). */
  shareable(pkt: Headers): boolean {
    if (this.sharing === undefined) return false;
    if (this.sharing >= 0) {
      this.learnSharing((this.sharing & 1) !== 0, (this.sharing & 2) !== 0);
      this.sharing = -1;
    }
    const first = this.trace.forward.first;
    if (!this.addressesShared && (pkt.src !== first.src || pkt.dst !== first.dst)) return false;
    if (pkt.dport !== first.dport && !this.serverPortsShared) return false;
    if (pkt.sport === first.sport) return true;
    return this.portsShared && this.fits(pkt.sport);
  }

  sameAs(pkt: Headers): boolean {
    const first = this.trace.forward.first;
    return pkt.src === first.src && pkt.dst === first.dst && pkt.sport === first.sport && pkt.dport === first.dport;
  }

  /** This plan for a packet it is `shareable` with (`to`: the interface it is for, between two interfaces). */
  derive(source: Source, pkt: Headers, to?: CInterface): SharedPlan {
    const first = this.trace.forward.first;
    const ends = this.ends;
    const swap = ends && to && source.kind === 'interface' && (ends[0] !== source.iface || ends[1] !== to) ? new InterfaceSwap(ends[0], source.iface, ends[1], to) : undefined;
    return new SharedPlan(this, source, first.src, pkt.src, first.dst, pkt.dst, pkt.sport === first.sport ? undefined : pkt.sport, pkt.dport === first.dport ? undefined : pkt.dport, swap);
  }

  /** What the walk makes each interface record (worked out when first asked). */
  templates(): Templates {
    this.made ??= templates(this.ctx, this.trace, false);
    return this.made;
  }

  /** The rewrite of its connections' addresses and ports: none (they are the walk's). */
  get rewrite(): TraceRewrite | undefined {
    return undefined;
  }

  own(h: Headers): Headers {
    return h;
  }

  observations(flow: DecidedFlow, sport: number): InterfaceObservation[] {
    return observationsOf(this.ctx, this.templates(), flow, sport, undefined);
  }
}

/**
 * A plan's walk taken by a connection with other addresses or ports (`Plan.shareable`): the
 * rewrite, and the connection's own trace made from the walk when first asked for.
 */
class SharedPlan extends TraceRewrite {
  #trace: TraceResult | undefined;
  #own: Plan | undefined;
  /** The walk (the base plan's). */
  readonly decision: TraceResult;
  readonly ctx: ObservationContext;
  constructor(
    /** The plan whose walk this is (its observation templates are shared by all who share it). */
    private readonly base: Plan,
    private readonly source: Source,
    fromSrc: Addr,
    toSrc: Addr,
    fromDst: Addr,
    toDst: Addr,
    sport: number | undefined,
    dport: number | undefined,
    swap: InterfaceSwap | undefined,
  ) {
    super(fromSrc, toSrc, fromDst, toDst, sport, dport, swap);
    this.decision = base.decision;
    this.ctx = base.ctx;
  }

  get trace(): TraceResult {
    return (this.#trace ??= this.rewriteTrace(this.decision, this.source));
  }

  own(h: Headers, reply: boolean): Headers {
    return this.headers(h, reply);
  }

  /** Whether a connection from client port `sport` is decided as this one (its own trace's reply ACLs). */
  fits(sport: number): boolean {
    return (this.#own ??= new Plan(this.ctx, this.trace)).fits(sport);
  }

  templates(): Templates {
    return this.base.templates();
  }

  get rewrite(): TraceRewrite {
    return this;
  }

  observations(flow: DecidedFlow, sport: number): InterfaceObservation[] {
    return observationsOf(this.ctx, this.base.templates(), flow, sport, this);
  }
}

/** A plan, or a plan's walk shared by a connection. */
type Decision = Plan | SharedPlan;

/** The ACL decisions of a trace's reply path (undefined when its ports are not the client's). */
function replyAclChecks(net: CompiledNetwork, t: TraceResult): AclCheck[] | undefined {
  const first = t.forward.first;
  if (first.proto !== PROTO_TCP && first.proto !== PROTO_UDP) return [];
  if (!t.reverse) return [];
  const checks: AclCheck[] = [];
  let pkt = t.reverse.first;
  for (const h of t.reverse.hops) {
    if (h.outbound && h.action === 'translate') pkt = h.outbound;
    if (h.type !== 'network-acl') continue;
    const acl = net.acls.get(h.id);
    if (!acl) return undefined;
    const egress = h.direction === 'egress';
    if (pkt.dport !== first.sport) return undefined;
    checks.push({ acl, egress, remote: egress ? pkt.dst : pkt.src, proto: pkt.proto, icmpType: pkt.icmpType, icmpCode: pkt.icmpCode, entry: h.aclEntry });
  }
  return checks;
}

/** One interface seeing one packet of a path. */
interface Touch {
  iface: CInterface;
  direction: 'ingress' | 'egress';
  pkt: Headers;
  reject: boolean;
}

/** Addresses whose traffic flow logs leave out: metadata, time sync, Amazon DNS, the VPC router. */
function unlogged(addr: Addr, iface: CInterface): boolean {
  if (typeof addr === 'bigint') return UNLOGGED_V6.has(addr);
  if (addr === LINK_LOCAL_METADATA || addr === LINK_LOCAL_TIME || addr === LINK_LOCAL_DNS) return true;
  const primary = iface.vpc.cidrs[0];
  if (primary && addr === ((primary.base + 2) >>> 0)) return true;
  const sb = iface.subnet.block;
  if (sb && addr === ((sb.base + 1) >>> 0)) return true;
  return false;
}

/** The interface a route hop hands the packet to, when it is an interface. */
function routeTargetInterface(net: CompiledNetwork, target: { kind: string; id: string; interfaceId?: string }): CInterface | undefined {
  if (target.kind === 'eni') return net.interfaces.get(target.id);
  if (target.kind === 'instance') return target.interfaceId ? net.interfaces.get(target.interfaceId) : net.instances.get(target.id)?.interfaces[0];
  if (target.kind === 'nat') return net.natGateways.get(target.id)?.iface;
  return undefined;
}

/** The interfaces a path's packet passed, in order, with where it was rejected. */
function touchesOf(net: CompiledNetwork, path: PathResult, natStop: boolean): Touch[] {
  const touches: Touch[] = [];
  let pkt: Headers = { ...path.first };
  let target: CInterface | undefined;
  const hops = path.hops;
  for (let i = 0; i < hops.length; i++) {
    const h = hops[i]!;
    switch (h.type) {
      case 'network-interface': {
        const iface = net.interfaces.get(h.id);
        if (!iface) break;
        if (h.action === 'send') touches.push({ iface, direction: 'egress', pkt: { ...pkt }, reject: false });
        else if (h.action === 'receive') touches.push({ iface, direction: 'ingress', pkt: { ...pkt }, reject: false });
        else if (h.action === 'forward') {
          touches.push({ iface, direction: 'ingress', pkt: { ...pkt }, reject: false });
          touches.push({ iface, direction: 'egress', pkt: { ...pkt }, reject: false });
        } else if (h.action === 'translate' && h.outbound) {
          const last = touches[touches.length - 1];
          if (last && last.iface === iface && last.direction === 'egress') {
            // A NAT instance translating what it forwards: the packet leaves translated.
            last.pkt = { ...h.outbound };
          } else {
            // The reply reaching a NAT instance: it comes in, and leaves restored.
            touches.push({ iface, direction: 'ingress', pkt: { ...(h.inbound ?? pkt) }, reject: false });
            touches.push({ iface, direction: 'egress', pkt: { ...h.outbound }, reject: false });
          }
          pkt = { ...h.outbound };
        }
        break;
      }
      case 'nat-gateway': {
        if (h.action !== 'translate' || !h.outbound) break;
        const iface = net.natGateways.get(h.id)?.iface;
        if (iface) {
          touches.push({ iface, direction: 'ingress', pkt: { ...(h.inbound ?? pkt) }, reject: false });
          if (natStop) return touches;
          touches.push({ iface, direction: 'egress', pkt: { ...h.outbound }, reject: false });
        }
        pkt = { ...h.outbound };
        break;
      }
      case 'internet-gateway':
        if (h.action === 'translate' && h.outbound) pkt = { ...h.outbound };
        break;
      case 'route-table':
        target = h.route ? routeTargetInterface(net, h.route.model.target) : undefined;
        break;
      default:
        break;
    }
  }
  // Where the packet was dropped, when a security group or network ACL dropped it.
  const e = path.explanation;
  if (!path.accepted && e) {
    const last = hops[hops.length - 1];
    const dir = e.code === 'ENI_SG_RULES_MISMATCH' ? e.sgDirection : e.code === 'SUBNET_ACL_RESTRICTION' ? e.aclDirection : undefined;
    if (dir === 'egress') {
      const t = touches[touches.length - 1];
      if (t && t.direction === 'egress') t.reject = true;
    } else if (dir === 'ingress') {
      let receiver: CInterface | undefined;
      if (e.code === 'ENI_SG_RULES_MISMATCH') receiver = net.interfaces.get(e.component.id);
      else {
        receiver = target;
        if (!receiver || !receiver.hasIp(pkt.dst)) {
          const subnet = last?.subnet ? net.subnets.get(last.subnet) : undefined;
          receiver = subnet?.vpc.owner(pkt.dst) ?? target;
        }
      }
      if (receiver) touches.push({ iface: receiver, direction: 'ingress', pkt: { ...pkt }, reject: true });
    }
  }
  return touches;
}

/** traffic-path of a packet leaving `iface` towards `dst`, from its subnet's route. */
function trafficPath(net: CompiledNetwork, iface: CInterface, dst: Addr, nitro: boolean): number | undefined {
  const route = iface.subnet.routeTable?.lookup(dst);
  if (!route) return undefined;
  const t = route.model.target;
  switch (t.kind) {
    case 'local':
    case 'nat':
    case 'eni':
    case 'instance':
      return 1;
    case 'igw':
      return nitro ? 8 : 2;
    case 'vpce':
      return nitro ? 7 : 2;
    case 'vgw':
      return 3;
    case 'pcx': {
      const pcx = net.peerings.get(t.id);
      const remote = pcx?.remoteOf(iface.vpc.id);
      if (!remote) return undefined;
      return remote.model.region === iface.model.region ? 4 : 5;
    }
    default:
      return undefined;
  }
}

const zoneIds = new Map<string, string | undefined>();
function azIdOf(region: string, zone: string | undefined): string | undefined {
  if (!zone) return undefined;
  const key = `${region}/${zone}`;
  if (!zoneIds.has(key)) zoneIds.set(key, zonesOf(region).find((z) => z.ZoneName === zone)?.ZoneId);
  return zoneIds.get(key);
}

/** What one interface recorded of one direction, for the trace's first connection. */
function observation(ctx: ObservationContext, t: Touch, tcpFlags: number): InterfaceObservation {
  const iface = t.iface;
  const p = t.pkt;
  const ingress = t.direction === 'ingress';
  const v6 = typeof p.src === 'bigint';
  // The interface's own address: its primary private IPv4 address (AWS shows it whatever the
  // packet's address), or for IPv6 the packet's address when it holds it, else its first one.
  const mine = ingress ? p.dst : p.src;
  const own: Addr = v6 ? (iface.hasIp(mine) ? mine : (iface.ips6[0] ?? mine)) : iface.primaryIp;
  const region = iface.model.region;
  const svcSrc = ctx.service(p.src, region);
  const svcDst = ctx.service(p.dst, region);
  return observationOf(
    {
      account: iface.model.account,
      region,
      vpcId: iface.vpc.id,
      subnetId: iface.subnet.id,
      azId: azIdOf(region, iface.subnet.model.availabilityZone ?? iface.model.availabilityZone),
      protocol: p.proto,
      tcpFlags: p.proto === PROTO_TCP ? tcpFlags : 0,
      action: t.reject ? 'REJECT' : 'ACCEPT',
      flowDirection: t.direction,
      trafficPath: ingress ? undefined : trafficPath(ctx.net, iface, p.dst, ctx.nitro(iface)),
      pktSrcAwsService: svcSrc,
      pktDstAwsService: svcDst,
    },
    iface.id,
    iface.instance?.id,
    ctx.print(ingress ? p.src : own),
    ctx.print(ingress ? own : p.dst),
    p.sport,
    p.dport,
    ctx.print(p.src),
    ctx.print(p.dst),
    0,
    0,
    0,
    0,
  );
}

/** An address as InterfaceObservation's numbers hold it: an IPv4 address's number, -1 for IPv6. */
function addrNum(a: Addr): number {
  return typeof a === 'number' ? a : -1;
}

/** What an interface records as srcaddr, dstaddr, pkt-srcaddr and pkt-dstaddr, as numbers (see observation). */
function addressNumbers(t: Touch): number[] {
  const p = t.pkt;
  // IPv4: the interface's primary address on its side; IPv6 addresses have no number.
  const own = typeof p.src === 'bigint' ? -1 : t.iface.primaryIp;
  return t.direction === 'ingress' ? [addrNum(p.src), own, addrNum(p.src), addrNum(p.dst)] : [own, addrNum(p.dst), addrNum(p.src), addrNum(p.dst)];
}

/** What an observation takes from the interface and the path, whatever the connection. */
type ObservationBase = Pick<
  InterfaceObservation,
  | 'account'
  | 'region'
  | 'vpcId'
  | 'subnetId'
  | 'azId'
  | 'protocol'
  | 'tcpFlags'
  | 'action'
  | 'flowDirection'
  | 'trafficPath'
  | 'pktSrcAwsService'
  | 'pktDstAwsService'
>;

/**
 * An observation with every field present (those that do not apply undefined): one object
 * shape for all of them, which keeps the code that reads them fast.
 */
function observationOf(
  t: ObservationBase,
  interfaceId: string,
  instanceId: string | undefined,
  srcaddr: string,
  dstaddr: string,
  srcport: number,
  dstport: number,
  pktSrcaddr: string,
  pktDstaddr: string,
  packets: number,
  bytes: number,
  startMs: number,
  endMs: number,
): InterfaceObservation {
  return {
    interfaceId,
    account: t.account,
    region: t.region,
    vpcId: t.vpcId,
    subnetId: t.subnetId,
    instanceId,
    azId: t.azId,
    srcaddr,
    dstaddr,
    srcport,
    dstport,
    protocol: t.protocol,
    pktSrcaddr,
    pktDstaddr,
    packets,
    bytes,
    tcpFlags: t.tcpFlags,
    action: t.action,
    flowDirection: t.flowDirection,
    trafficPath: t.trafficPath,
    pktSrcAwsService: t.pktSrcAwsService,
    pktDstAwsService: t.pktDstAwsService,
    startMs,
    endMs,
  };
}

/**
 * The object ConnectionObservations writes each observation into: every field of observationOf's
 * and the address numbers (which observations made to be kept leave out: within the 24 fields V8
 * allocates inline).
 */
function scratchObservation(): InterfaceObservation {
  return {
    interfaceId: '',
    account: '',
    region: '',
    vpcId: '',
    subnetId: '',
    instanceId: undefined,
    azId: undefined,
    srcaddr: '',
    dstaddr: '',
    srcport: 0,
    dstport: 0,
    protocol: 0,
    pktSrcaddr: '',
    pktDstaddr: '',
    packets: 0,
    bytes: 0,
    tcpFlags: 0,
    action: 'ACCEPT',
    flowDirection: 'ingress',
    trafficPath: undefined,
    pktSrcAwsService: undefined,
    pktDstAwsService: undefined,
    startMs: 0,
    endMs: 0,
    srcNum: -1,
    dstNum: -1,
    pktSrcNum: -1,
    pktDstNum: -1,
  };
}

/** What a trace makes each interface record, and the packet addresses (source, destination) each saw. */
interface Templates {
  forward: InterfaceObservation[];
  reverse: InterfaceObservation[];
  /** The interface of each observation (request, then reply). */
  ifaces: CInterface[];
  /** Each observation's srcaddr, dstaddr, pkt-srcaddr and pkt-dstaddr as numbers (see addrNum), four by four. */
  nums: number[];
  rawForward: Addr[];
  rawReverse: Addr[];
  logged: boolean;
}

function rawAddresses(touches: Touch[]): Addr[] {
  const out: Addr[] = [];
  for (const t of touches) out.push(t.pkt.src, t.pkt.dst);
  return out;
}

/** What a trace makes each interface record (packets, bytes and times of the first connection). */
function templates(ctx: ObservationContext, t: TraceResult, natDropped: boolean): Templates {
  const net = ctx.net;
  const forward = touchesOf(net, t.forward, natDropped);
  const replied = !natDropped && t.forward.accepted && t.reverse !== undefined;
  const reverse = replied ? touchesOf(net, t.reverse!, false) : [];
  // Flows with an address flow logs do not record leave no trace at all.
  const f = t.forward.first;
  for (const touch of forward) if (unlogged(f.src, touch.iface) || unlogged(f.dst, touch.iface)) return { forward: [], reverse: [], ifaces: [], nums: [], rawForward: [], rawReverse: [], logged: false };
  const tcp = f.proto === PROTO_TCP;
  const established = t.verdict === 'accepted' && !natDropped;
  // The client's flags: SYN, and FIN when the connection was established and closed.
  const clientFlags = tcp ? TCP_SYN | (established ? TCP_FIN : 0) : 0;
  // The server's: SYN-ACK, and FIN when its answers got through.
  const serverFlags = tcp ? TCP_SYN_ACK | (established ? TCP_FIN : 0) : 0;
  return {
    forward: forward.map((touch) => observation(ctx, touch, clientFlags)),
    reverse: reverse.map((touch) => observation(ctx, touch, serverFlags)),
    ifaces: [...forward, ...reverse].map((touch) => touch.iface),
    nums: [...forward, ...reverse].flatMap(addressNumbers),
    rawForward: rawAddresses(forward),
    rawReverse: rawAddresses(reverse),
    logged: true,
  };
}

/**
 * What every interface on the flow's path saw, request then reply. A flow with `natDropped`
 * (the NAT gateway could not allocate a port) ends at the NAT gateway's interface.
 */
export function observationsFor(flow: DecidedFlow, net: CompiledNetwork, options: DecideOptions = {}): InterfaceObservation[] {
  const ctx = new ObservationContext(net, options.instanceType);
  const sport = flow.sourcePort ?? flow.trace.forward.first.sport;
  return flow.natDropped === true ? droppedObservations(ctx, flow, sport) : observationsOf(undefined, templates(ctx, flow.trace, false), flow, sport, undefined);
}

/** What the interfaces saw of a connection the NAT gateway dropped: up to the gateway's interface, from its own trace. */
function droppedObservations(ctx: ObservationContext, flow: DecidedFlow, sport: number): InterfaceObservation[] {
  return observationsOf(undefined, templates(ctx, flow.trace, true), flow, sport, undefined);
}

/**
 * What each interface saw of one connection: the walk's templates with the connection's client
 * port, traffic and times, and for a walk shared with other addresses (`rw`) its own addresses
 * (the packet's, and the peer's in srcaddr/dstaddr).
 */
function observationsOf(ctx: ObservationContext | undefined, t: Templates, flow: DecidedFlow, sport: number, rw: TraceRewrite | undefined): InterfaceObservation[] {
  const n = slotsOf(t);
  const out = new Array<InterfaceObservation>(n);
  for (let j = 0; j < n; j++) out[j] = observationAt(ctx, t, flow, sport, rw, j, undefined);
  return out;
}

/** How many observations a walk's templates make per connection (request, then reply). */
function slotsOf(t: Templates): number {
  return t.logged ? t.forward.length + t.reverse.length : 0;
}

/** The template of observation `j` (request, then reply). */
function templateAt(t: Templates, j: number): InterfaceObservation {
  return j < t.forward.length ? t.forward[j]! : t.reverse[j - t.forward.length]!;
}

/** The interface of observation `j` of a connection, without making the observation. */
function interfaceAt(t: Templates, rw: TraceRewrite | undefined, j: number): CInterface {
  const iface = t.ifaces[j]!;
  const swap = rw?.swap;
  return swap ? swap.iface(iface) : iface;
}

/**
 * Observation `j` of a connection (request, then reply): the template with the connection's
 * client port, traffic and times, and its own addresses when it shares the walk (`rw`). A new
 * object, or every field written into `into`.
 */
function observationAt(
  ctx: ObservationContext | undefined,
  t: Templates,
  flow: DecidedFlow,
  sport: number,
  rw: TraceRewrite | undefined,
  j: number,
  into: InterfaceObservation | undefined,
): InterfaceObservation {
  const reply = j >= t.forward.length;
  const i = reply ? j - t.forward.length : j;
  const o = templateAt(t, j);
  let srcport = o.srcport;
  let dstport = o.dstport;
  if (!reply && srcport !== 0) srcport = sport;
  if (reply && dstport !== 0) dstport = sport;
  let srcaddr = o.srcaddr;
  let dstaddr = o.dstaddr;
  let pktSrcaddr = o.pktSrcaddr;
  let pktDstaddr = o.pktDstaddr;
  const nums = t.nums;
  let srcNum = nums[4 * j]!;
  let dstNum = nums[4 * j + 1]!;
  let pktSrcNum = nums[4 * j + 2]!;
  let pktDstNum = nums[4 * j + 3]!;
  let interfaceId = o.interfaceId;
  let instanceId = o.instanceId;
  if (rw && ctx) {
    const from = rw.swap ? t.ifaces[j]! : undefined;
    const to = from && rw.swap!.iface(from);
    if (to !== from) {
      // Another interface of the same class: its IDs, and its own address (IPv4: the primary).
      interfaceId = to!.id;
      instanceId = to!.instance?.id;
      if (o.flowDirection === 'egress') {
        srcaddr = ctx.print(to!.primaryIp);
        srcNum = to!.primaryIp;
      } else {
        dstaddr = ctx.print(to!.primaryIp);
        dstNum = to!.primaryIp;
      }
    }
    if (rw.dport !== undefined) {
      if (reply) srcport = rw.dport;
      else dstport = rw.dport;
    }
    const raw = reply ? t.rawReverse : t.rawForward;
    const ps = raw[2 * i]!;
    const pd = raw[2 * i + 1]!;
    const ns = rw.addr(ps);
    const nd = rw.addr(pd);
    if (ns !== ps) {
      pktSrcaddr = rw.print(ctx, ns);
      pktSrcNum = addrNum(ns);
      if (o.flowDirection === 'ingress') {
        srcaddr = pktSrcaddr;
        srcNum = pktSrcNum;
      }
    }
    if (nd !== pd) {
      pktDstaddr = rw.print(ctx, nd);
      pktDstNum = addrNum(nd);
      if (o.flowDirection === 'egress') {
        dstaddr = pktDstaddr;
        dstNum = pktDstNum;
      }
    }
  }
  const packets = reply ? flow.replyPackets : flow.packets;
  const bytes = reply ? flow.replyBytes : flow.bytes;
  if (into === undefined) return observationOf(o, interfaceId, instanceId, srcaddr, dstaddr, srcport, dstport, pktSrcaddr, pktDstaddr, packets, bytes, flow.startMs, flow.endMs);
  into.interfaceId = interfaceId;
  into.account = o.account;
  into.region = o.region;
  into.vpcId = o.vpcId;
  into.subnetId = o.subnetId;
  into.instanceId = instanceId;
  into.azId = o.azId;
  into.srcaddr = srcaddr;
  into.dstaddr = dstaddr;
  into.srcport = srcport;
  into.dstport = dstport;
  into.protocol = o.protocol;
  into.pktSrcaddr = pktSrcaddr;
  into.pktDstaddr = pktDstaddr;
  into.packets = packets;
  into.bytes = bytes;
  into.tcpFlags = o.tcpFlags;
  into.action = o.action;
  into.flowDirection = o.flowDirection;
  into.trafficPath = o.trafficPath;
  into.pktSrcAwsService = o.pktSrcAwsService;
  into.pktDstAwsService = o.pktDstAwsService;
  into.startMs = flow.startMs;
  into.endMs = flow.endMs;
  into.srcNum = srcNum;
  into.dstNum = dstNum;
  into.pktSrcNum = pktSrcNum;
  into.pktDstNum = pktDstNum;
  return into;
}

/**
 * The observations of a batch of connections for the flow log pipeline, one at a time: those of
 * a connection not made yet (see Connection) are written from its plan's templates into one
 * object, reused from one observation to the next, and none is kept.
 */
export function observationSource(flows: readonly DecidedFlow[]): ObservationSource {
  const source = new ConnectionObservations(flows);
  // The code that fills and reads the scratch observation is compiled against that very object.
  keepUntilNext('scratch observation', source.scratch);
  return source;
}

class ConnectionObservations implements ObservationSource {
  readonly count: number;
  /** Per observation: its connection (index into flows), and its place among the connection's. */
  private readonly flowAt: Int32Array;
  private readonly slotAt: Int32Array;
  /** Per observation: its interface's group (0, 1, ... in order of first appearance). */
  private readonly groupOf: Int32Array;
  private readonly groups: number;
  /** Per connection: the plan that makes its observations, or undefined when they are made. */
  private readonly plans: Array<Decision | undefined>;
  /** The observation `at` fills and returns (valid until the next call). */
  readonly scratch = scratchObservation();
  constructor(private readonly flows: readonly DecidedFlow[]) {
    const plans = new Array<Decision | undefined>(flows.length);
    const counts = new Int32Array(flows.length);
    let n = 0;
    for (let f = 0; f < flows.length; f++) {
      const flow = flows[f]!;
      const plan = flow instanceof Connection ? flow.unmade : undefined;
      plans[f] = plan;
      counts[f] = plan ? slotsOf(plan.templates()) : flow.observations.length;
      n += counts[f]!;
    }
    this.plans = plans;
    this.count = n;
    this.flowAt = new Int32Array(n);
    this.slotAt = new Int32Array(n);
    this.groupOf = new Int32Array(n);
    // Interfaces numbered as they come.
    const groupNumbers = new Map<string, number>();
    let last: string | undefined;
    let g = -1;
    let k = 0;
    for (let f = 0; f < flows.length; f++) {
      const plan = plans[f];
      const t = plan?.templates();
      const made = plan ? undefined : flows[f]!.observations;
      for (let j = 0; j < counts[f]!; j++, k++) {
        this.flowAt[k] = f;
        this.slotAt[k] = j;
        const id = t ? interfaceAt(t, plan!.rewrite, j).id : made![j]!.interfaceId;
        if (id !== last) {
          last = id;
          const known = groupNumbers.get(id);
          if (known === undefined) groupNumbers.set(id, (g = groupNumbers.size));
          else g = known;
        }
        this.groupOf[k] = g;
      }
    }
    this.groups = groupNumbers.size;
  }
  interfaceId(k: number): string {
    const f = this.flowAt[k]!;
    const plan = this.plans[f];
    if (plan === undefined) return this.flows[f]!.observations[this.slotAt[k]!]!.interfaceId;
    return interfaceAt(plan.templates(), plan.rewrite, this.slotAt[k]!).id;
  }
  groupOrder(): Int32Array {
    return orderByGroup(this.groupOf, this.groups);
  }
  at(k: number): InterfaceObservation {
    const f = this.flowAt[k]!;
    const flow = this.flows[f]!;
    const plan = this.plans[f];
    if (plan === undefined) return flow.observations[this.slotAt[k]!]!;
    return observationAt(plan.ctx, plan.templates(), flow, (flow as Connection).sourcePort, plan.rewrite, this.slotAt[k]!, this.scratch);
  }
}

// A source (and its scratch observation) kept for its shape (see keepShape): every batch makes one and lets it go.
keepShape(new ConnectionObservations([]));
