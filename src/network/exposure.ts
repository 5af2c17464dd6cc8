/**
 * Internet exposure: which interfaces a host on the internet reaches, on which TCP and UDP
 * ports, and whether it can ping them — for every interface at once, and again after each
 * rule change, without tracing packets.
 *
 * The client. One internet host, the same for every question an index answers: by default
 * an address "at large", that no block or address of the network names except blocks
 * holding every address (0.0.0.0/0) — DEFAULT_INTERNET_IP when it is such an address, else
 * the lowest one — so exactly the rules open to the whole internet count (0.0.0.0/0 and
 * any block or prefix list that holds the client). Its connections come from source port
 * DEFAULT_SOURCE_PORT (49152, in every documented ephemeral range), as trace's do; the
 * reply must pass the network ACLs towards that port. Both can be chosen (`client`,
 * `clientPort`). An answer is exact for that host: port p is in `tcp` exactly when
 * trace(internet:client → one of the interface's public addresses, tcp, p) is accepted,
 * both ways; `publicIps` lists the addresses through which something is reached.
 *
 * What a connection from the internet needs (trace.ts's semantics, step by step):
 * - a public IPv4 address mapped to the interface, the interface up (attached, its
 *   instance running), not a NAT gateway's (they accept no inbound connection);
 * - an internet gateway attached to the VPC; with an edge-associated gateway route table,
 *   its route for the private address must be `local` to this interface;
 * - inbound, the subnet's network ACL: entries in rule-number order, first match, as
 *   interval sets: walking the entries that hold the client, each takes the ports it
 *   matches out of those still undecided and allows or denies them;
 * - inbound, the security groups: the union of the ports of every ingress rule whose block,
 *   prefix list or referenced group holds the client (stateful: the reply passes);
 * - the reply: the subnet's route table must carry the client's address to the VPC's
 *   internet gateway (0.0.0.0/0 or any covering route; blackhole or no route: nothing),
 *   the outbound ACL must allow the client's port (ICMP: the echo reply), and the public
 *   address the reply leaves from must be the one the client sent to.
 * When the subnet's route for the client leads elsewhere (a NAT gateway, an appliance, a
 * peering connection...), the reply's fate does not depend on the service port (ACLs match
 * the reply on the client's port, security groups let replies pass) nor, for an ordinary
 * interface (source/destination check on, no other interface holding its addresses), on
 * which interface of the subnet answers: one concrete trace per subnet and protocol, on a
 * port the inbound sets let through, decides it for all of them (through a NAT gateway the
 * reply leaves from the wrong address: nothing; through a firewall appliance back to the
 * gateway: the inbound sets). What remains — an edge route to a middlebox, an interface
 * that forwards others' traffic or shares an address — is answered by the symbolic walk
 * (symbolic.ts: atomic predicates decided by concrete traces), still exact, only slower.
 * A client address that is not a plain internet host (an AWS service range, a private
 * range, one of the network's public addresses) never gets its reply: nothing is exposed.
 * IPv4 only: IPv6 addresses reachable through the internet gateway are not covered yet.
 *
 * Cost. Everything that does not depend on the interface is computed once per component and
 * kept: per security group its ingress port sets for the client, per set of groups their
 * union, per network ACL its inbound port sets and its verdict on the reply, per (ACL,
 * groups) their intersection, per subnet whether the reply gets out. An interface then
 * costs a few map lookups. Only interfaces with a public address can be exposed; the others
 * are never looked at (beyond one pass building the reverse indexes).
 *
 * Incremental (in the class of APKeep and Delta-net: keep each predicate's result, redo only
 * what a change touches). The index keeps reverse indexes security group → interfaces,
 * network ACL → subnets, route table → subnets (and the gateway it is edge-associated
 * with), subnet → interfaces. A change to a group's rules recomputes that group's sets, drops
 * the unions and intersections that used it and recomputes the exposure of the interfaces
 * holding it; an ACL change does the same through its subnets; a route table change
 * recomputes the reply verdict of its subnets (and, for an edge-associated table, every
 * interface of the VPC). A reply verdict decided by a trace remembers the ACLs and route
 * tables that trace met; changing one of them forgets it. Interfaces answered by the
 * symbolic walk are recomputed after every change. The compiled network the index holds is updated in place (the
 * changed group, ACL or table is replaced by a newly compiled one), so concrete traces on
 * `index.net` see the change too; its `model` is left as it was.
 */
import { formatIpv4, parseIpv4 } from './cidr.js';
import {
  CAcl,
  type CInterface,
  type CompiledNetwork,
  compile,
  CRouteTable,
  CSecurityGroup,
  type CSubnet,
  inBlocks,
  PROTO_ALL,
  PROTO_ICMP,
  PROTO_TCP,
  PROTO_UDP,
} from './compile.js';
import { ALL_PORTS, IntervalSet } from './intervals.js';
import type { AclEntryModel, NetworkModel, RouteModel, SecurityGroupRuleModel } from './model.js';
import { forEachNamedBlock, reachableSet } from './symbolic.js';
import { DEFAULT_INTERNET_IP, DEFAULT_SOURCE_PORT, type Source, traceResolved } from './trace.js';

/** What the internet client reaches on one interface. */
export interface Exposure {
  tcp: IntervalSet;
  udp: IntervalSet;
  /** An echo request (ICMP type 8, code 0) and its echo reply get through. */
  icmp: boolean;
  /** The public addresses the client reaches the interface through. */
  publicIps: string[];
}

export interface ExposureOptions {
  /** The internet host (default: an address at large, see the file header). */
  client?: number | string;
  /** The client's source port (default DEFAULT_SOURCE_PORT). */
  clientPort?: number;
}

interface PortSets {
  tcp: IntervalSet;
  udp: IntervalSet;
  icmp: boolean;
}

const NOTHING: PortSets = Object.freeze({ tcp: IntervalSet.EMPTY, udp: IntervalSet.EMPTY, icmp: false });
const EVERYTHING: PortSets = Object.freeze({ tcp: ALL_PORTS, udp: ALL_PORTS, icmp: true });

/** Reply verdicts of a subnet: out through the internet gateway for each protocol, or another path. */
type Reply = { kind: 'igw'; tcp: boolean; udp: boolean; icmp: boolean } | { kind: 'none' } | { kind: 'other' };

const ICMP_ECHO_REQUEST = 8;
const ICMP_ECHO_REPLY = 0;

function emptyExposure(publicIps: string[] = []): Exposure {
  return { tcp: IntervalSet.EMPTY, udp: IntervalSet.EMPTY, icmp: false, publicIps };
}

export function isExposed(e: Exposure): boolean {
  return e.icmp || !e.tcp.isEmpty || !e.udp.isEmpty;
}

export function sameExposure(a: Exposure, b: Exposure): boolean {
  return a.icmp === b.icmp && a.tcp.equals(b.tcp) && a.udp.equals(b.udp) && a.publicIps.join() === b.publicIps.join();
}

const PRIVATE = [
  [0x0a000000, 0x0affffff],
  [0xac100000, 0xac1fffff],
  [0xc0a80000, 0xc0a8ffff],
] as const;

/** Whether a packet addressed to `ip` from inside would reach a plain internet host (trace's internet()). */
function plainInternetHost(net: CompiledNetwork, ip: number): boolean {
  if (net.byPublicIp.has(ip)) return false;
  if (net.awsServiceOf(ip) !== undefined) return false;
  for (const [lo, hi] of PRIVATE) if (ip >= lo && ip <= hi) return false;
  return true;
}

/**
 * An internet address at large: named by no block of the network but 0.0.0.0/0 and held by
 * no interface; DEFAULT_INTERNET_IP when it qualifies, else the lowest such unicast address.
 */
export function internetClient(net: CompiledNetwork): number {
  const preferred = parseIpv4(DEFAULT_INTERNET_IP)!;
  let taken = net.byPublicIp.has(preferred) || net.byPrivateIp.has(preferred);
  for (const n of net.natGateways.values()) if (n.privateIp === preferred || n.publicIp === preferred) taken = true;
  forEachNamedBlock(
    net,
    (lo, hi) => {
      if (preferred >= lo && preferred <= hi && !(lo === 0 && hi === 0xffffffff)) taken = true;
    },
    false,
  );
  if (!taken) return preferred;
  const named: [number, number][] = [];
  forEachNamedBlock(net, (lo, hi) => {
    if (!(lo === 0 && hi === 0xffffffff)) named.push([lo, hi]);
  });
  // Not "this network", loopback, link-local, multicast or reserved either.
  named.push([0, 0x00ffffff], [0x7f000000, 0x7fffffff], [0xa9fe0000, 0xa9feffff], [0xe0000000, 0xffffffff]);
  const free = IntervalSet.of(named).complement(0, 0xffffffff);
  return free.min ?? preferred;
}

interface Candidate {
  iface: CInterface;
  /** Public address → the private address it maps to. */
  pubs: { pub: number; priv: number }[];
  /** The public address as text, once needed (interfaces with one public address). */
  shown?: string[];
}

export class ExposureIndex {
  readonly client: number;
  readonly clientPort: number;
  private readonly clientPlain: boolean;
  private readonly source: Source = { kind: 'internet' };

  /** Interfaces with a public address, by ID. */
  private readonly candidates = new Map<string, Candidate>();
  private readonly exposures = new Map<string, Exposure>();
  /** Candidates answered by the symbolic walk: recomputed on every change. */
  private readonly walked = new Set<string>();

  // Per-component results.
  private readonly sgSets = new Map<string, PortSets>();
  private readonly groupSets = new Map<string, PortSets>();
  private readonly aclSets = new Map<string, PortSets>();
  private readonly aclReply = new Map<string, PortSets>();
  /** ACL ID → groups key → inbound sets. */
  private readonly comboSets = new Map<string, Map<string, PortSets>>();
  /** Security group ID → the "aclId|groups key" intersections it took part in. */
  private readonly comboOfSg = new Map<string, Set<string>>();
  private readonly subnetReply = new Map<string, Reply>();
  /**
   * Replies that leave another way than straight to the internet gateway (a NAT gateway, an
   * appliance, a peering connection...): the verdict of one concrete trace per subnet and
   * protocol (by subnet ID: TCP, UDP, ICMP), with the ACLs and route tables those traces
   * met (a change to one of those forgets the subnet's verdicts).
   */
  private readonly otherReply = new Map<string, (boolean | undefined)[]>();
  private readonly otherReplyOfAcl = new Map<string, Set<string>>();
  private readonly otherReplyOfTable = new Map<string, Set<string>>();
  /** Public addresses held by more than one interface (their replies are walked one by one). */
  private readonly sharedPublic = new Set<number>();
  /** Which unions of groups used a group. */
  private readonly keysOfSg = new Map<string, Set<string>>();

  // Reverse indexes (over every interface and subnet, so the compiled network stays whole).
  private readonly ifacesOfSg = new Map<string, Set<CInterface>>();
  private readonly subnetsOfAcl = new Map<string, Set<CSubnet>>();
  private readonly subnetsOfTable = new Map<string, Set<CSubnet>>();
  private readonly candidatesOfSubnet = new Map<string, Set<string>>();

  constructor(
    /** The compiled network, updated in place by the update methods. */
    readonly net: CompiledNetwork,
    opts: ExposureOptions = {},
  ) {
    const c = opts.client;
    this.client = c === undefined ? internetClient(net) : typeof c === 'number' ? c : (parseIpv4(c) ?? internetClient(net));
    this.clientPort = opts.clientPort ?? DEFAULT_SOURCE_PORT;
    this.clientPlain = plainInternetHost(net, this.client);

    const seenPublic = new Set<number>();
    for (const iface of net.interfaces.values()) {
      for (const pub of iface.publicIps) {
        if (!pub) continue;
        if (seenPublic.has(pub)) this.sharedPublic.add(pub);
        seenPublic.add(pub);
      }
    }
    for (const iface of net.interfaces.values()) {
      for (const g of iface.groups) add(this.ifacesOfSg, g.id, iface);
      const pubs: { pub: number; priv: number }[] = [];
      for (let k = 0; k < iface.ips.length; k++) {
        const pub = iface.publicIps[k]!;
        if (pub) pubs.push({ pub, priv: iface.ips[k]! });
      }
      if (pubs.length === 0) continue;
      this.candidates.set(iface.id, { iface, pubs });
      add(this.candidatesOfSubnet, iface.subnet.id, iface.id);
    }
    for (const s of net.subnets.values()) {
      if (s.acl) add(this.subnetsOfAcl, s.acl.id, s);
      if (s.routeTable) add(this.subnetsOfTable, s.routeTable.id, s);
    }
    for (const c of this.candidates.values()) this.exposures.set(c.iface.id, this.compute(c));
  }

  static fromModel(model: NetworkModel, opts?: ExposureOptions): ExposureIndex {
    return new ExposureIndex(compile(model), opts);
  }

  /** The exposure of one interface (nothing for an unknown interface or one without a public address). */
  get(interfaceId: string): Exposure {
    return this.exposures.get(interfaceId) ?? emptyExposure();
  }

  /** Every interface the client reaches on something, by ID. */
  exposed(): Map<string, Exposure> {
    const out = new Map<string, Exposure>();
    for (const [id, e] of this.exposures) if (isExposed(e)) out.set(id, e);
    return out;
  }

  /** Every interface with a public address, exposed or not. */
  all(): ReadonlyMap<string, Exposure> {
    return this.exposures;
  }

  // --- Updates --------------------------------------------------------------------------

  /** Replaces a security group's rules; answers the new exposure of the interfaces it touches. */
  updateSecurityGroupRules(sgId: string, ingress: SecurityGroupRuleModel[], egress?: SecurityGroupRuleModel[]): Map<string, Exposure> {
    const old = this.net.securityGroups.get(sgId);
    if (!old) throw new Error(`Security group ${sgId} is not in the network.`);
    const g = new CSecurityGroup({ ...old.model, ingress, egress: egress ?? old.model.egress });
    this.net.securityGroups.set(sgId, g);
    const ifaces = this.ifacesOfSg.get(sgId) ?? new Set<CInterface>();
    for (const i of ifaces) i.groups = i.groups.map((x) => (x === old ? g : x));
    this.sgSets.delete(sgId);
    for (const k of this.keysOfSg.get(sgId) ?? []) this.groupSets.delete(k);
    this.keysOfSg.delete(sgId);
    for (const k of this.comboOfSg.get(sgId) ?? []) {
      const bar = k.indexOf('|');
      this.comboSets.get(k.slice(0, bar))?.delete(k.slice(bar + 1));
    }
    this.comboOfSg.delete(sgId);
    const ids = new Set<string>();
    for (const i of ifaces) if (this.candidates.has(i.id)) ids.add(i.id);
    return this.recompute(ids);
  }

  /** Replaces a network ACL's entries (either direction may be left as it is). */
  updateAclEntries(aclId: string, ingress?: AclEntryModel[], egress?: AclEntryModel[]): Map<string, Exposure> {
    const old = this.net.acls.get(aclId);
    if (!old) throw new Error(`Network ACL ${aclId} is not in the network.`);
    const a = new CAcl({ ...old.model, ingress: ingress ?? old.model.ingress, egress: egress ?? old.model.egress });
    this.net.acls.set(aclId, a);
    const subnets = this.subnetsOfAcl.get(aclId) ?? new Set<CSubnet>();
    for (const s of subnets) s.acl = a;
    this.aclSets.delete(aclId);
    this.aclReply.delete(aclId);
    this.comboSets.delete(aclId);
    const ids = new Set<string>();
    for (const s of subnets) {
      this.subnetReply.delete(s.id);
      for (const id of this.candidatesOfSubnet.get(s.id) ?? []) ids.add(id);
    }
    this.forgetOtherReplies(this.otherReplyOfAcl, aclId, ids);
    return this.recompute(ids);
  }

  /** Replaces a route table's routes. */
  updateRoutes(routeTableId: string, routes: RouteModel[]): Map<string, Exposure> {
    const old = this.net.routeTables.get(routeTableId);
    if (!old) throw new Error(`Route table ${routeTableId} is not in the network.`);
    const rt = new CRouteTable({ ...old.model, routes });
    if (old.vpc) {
      rt.vpc = old.vpc;
      if (old.vpc.mainRouteTable === old) old.vpc.mainRouteTable = rt;
    }
    this.net.routeTables.set(routeTableId, rt);
    const ids = new Set<string>();
    const subnets = this.subnetsOfTable.get(routeTableId) ?? new Set<CSubnet>();
    for (const s of subnets) {
      s.routeTable = rt;
      this.subnetReply.delete(s.id);
      for (const id of this.candidatesOfSubnet.get(s.id) ?? []) ids.add(id);
    }
    for (const igw of this.net.internetGateways.values()) {
      if (igw.routeTable !== old) continue;
      igw.routeTable = rt;
      for (const c of this.candidates.values()) if (c.iface.vpc === igw.vpc) ids.add(c.iface.id);
    }
    for (const vgw of this.net.vpnGateways.values()) if (vgw.routeTable === old) vgw.routeTable = rt;
    this.forgetOtherReplies(this.otherReplyOfTable, routeTableId, ids);
    return this.recompute(ids);
  }

  /** Forgets the other-way reply verdicts a component took part in; their subnets' interfaces are to be recomputed. */
  private forgetOtherReplies(keysOf: Map<string, Set<string>>, id: string, ids: Set<string>): void {
    for (const subnetId of keysOf.get(id) ?? []) {
      this.otherReply.delete(subnetId);
      for (const c of this.candidatesOfSubnet.get(subnetId) ?? []) ids.add(c);
    }
    keysOf.delete(id);
  }

  private recompute(ids: Set<string>): Map<string, Exposure> {
    for (const id of this.walked) ids.add(id);
    const out = new Map<string, Exposure>();
    for (const id of ids) {
      const c = this.candidates.get(id)!;
      const e = this.compute(c);
      this.exposures.set(id, e);
      out.set(id, e);
    }
    return out;
  }

  // --- Per component ----------------------------------------------------------------------

  /** Ports a security group's ingress rules open to the client. */
  private sg(g: CSecurityGroup): PortSets {
    const hit = this.sgSets.get(g.id);
    if (hit) return hit;
    const H = this.client;
    const vpc = this.net.vpcs.get(g.model.vpcId);
    const owner = vpc ? this.net.privateOwner(vpc, H) : undefined;
    const tcp: [number, number][] = [];
    const udp: [number, number][] = [];
    let icmp = false;
    let all = false;
    for (const r of g.ingress) {
      const holds = r.refGroupId !== undefined ? owner !== undefined && owner.inGroup(r.refGroupId) : inBlocks(r.blocks, H);
      if (!holds) continue;
      if (r.protocol === PROTO_ALL) all = true;
      else if (r.protocol === PROTO_TCP) tcp.push([r.fromPort, r.toPort]);
      else if (r.protocol === PROTO_UDP) udp.push([r.fromPort, r.toPort]);
      else if (r.protocol === PROTO_ICMP) {
        if ((r.fromPort === -1 || r.fromPort === ICMP_ECHO_REQUEST) && (r.toPort === -1 || r.toPort === 0)) icmp = true;
      }
    }
    const sets = all ? EVERYTHING : { tcp: IntervalSet.of(tcp), udp: IntervalSet.of(udp), icmp };
    this.sgSets.set(g.id, sets);
    return sets;
  }

  /** The union over an interface's groups (cached per set of groups). */
  private groups(iface: CInterface): { key: string; sets: PortSets } {
    const gs = iface.groups;
    if (gs.length === 0) return { key: '', sets: NOTHING };
    if (gs.length === 1) return { key: gs[0]!.id, sets: this.sg(gs[0]!) };
    const key = gs.map((g) => g.id).join(',');
    let sets = this.groupSets.get(key);
    if (!sets) {
      let tcp = IntervalSet.EMPTY;
      let udp = IntervalSet.EMPTY;
      let icmp = false;
      for (const g of gs) {
        const s = this.sg(g);
        tcp = tcp.union(s.tcp);
        udp = udp.union(s.udp);
        icmp ||= s.icmp;
        add(this.keysOfSg, g.id, key);
      }
      sets = { tcp, udp, icmp };
      this.groupSets.set(key, sets);
    }
    return { key, sets };
  }

  /** Ports a network ACL lets in from the client: first match by rule number. */
  private aclIn(acl: CAcl): PortSets {
    const hit = this.aclSets.get(acl.id);
    if (hit) return hit;
    const H = this.client;
    let tcpLeft = ALL_PORTS;
    let udpLeft = ALL_PORTS;
    let tcp = IntervalSet.EMPTY;
    let udp = IntervalSet.EMPTY;
    let icmp: boolean | undefined;
    for (const e of acl.ingress) {
      if (((H & e.mask) >>> 0) !== e.base) continue;
      if (e.protocol === PROTO_ALL) {
        if (e.allow) {
          tcp = tcp.union(tcpLeft);
          udp = udp.union(udpLeft);
        }
        tcpLeft = udpLeft = IntervalSet.EMPTY;
        icmp ??= e.allow;
        break;
      }
      if (e.protocol === PROTO_TCP || e.protocol === PROTO_UDP) {
        const left = e.protocol === PROTO_TCP ? tcpLeft : udpLeft;
        const m = left.intersect(IntervalSet.range(e.fromPort, e.toPort));
        if (m.isEmpty) continue;
        if (e.protocol === PROTO_TCP) {
          if (e.allow) tcp = tcp.union(m);
          tcpLeft = tcpLeft.subtract(m);
        } else {
          if (e.allow) udp = udp.union(m);
          udpLeft = udpLeft.subtract(m);
        }
      } else if (e.protocol === PROTO_ICMP && icmp === undefined) {
        if ((e.icmpType === -1 || e.icmpType === ICMP_ECHO_REQUEST) && (e.icmpCode === -1 || e.icmpCode === 0)) icmp = e.allow;
      }
    }
    const sets = { tcp, udp, icmp: icmp ?? false };
    this.aclSets.set(acl.id, sets);
    return sets;
  }

  /** Whether a network ACL lets the reply out to the client (per protocol). */
  private aclOut(acl: CAcl): PortSets {
    const hit = this.aclReply.get(acl.id);
    if (hit) return hit;
    const H = this.client;
    const ok = (proto: number, port: number, type: number) => acl.evaluate(true, H, proto, port, type, 0)?.allow === true;
    const sets = {
      tcp: ok(PROTO_TCP, this.clientPort, 0) ? ALL_PORTS : IntervalSet.EMPTY,
      udp: ok(PROTO_UDP, this.clientPort, 0) ? ALL_PORTS : IntervalSet.EMPTY,
      icmp: ok(PROTO_ICMP, 0, ICMP_ECHO_REPLY),
    };
    this.aclReply.set(acl.id, sets);
    return sets;
  }

  /** How a subnet's reply to the client leaves. */
  private reply(subnet: CSubnet): Reply {
    const hit = this.subnetReply.get(subnet.id);
    if (hit) return hit;
    let r: Reply;
    const route = subnet.routeTable?.lookup(this.client);
    if (!route || !route.active) r = { kind: 'none' };
    else if (route.model.target.kind !== 'igw') r = { kind: 'other' };
    else {
      const igw = this.net.internetGateways.get(route.model.target.id);
      if (!igw || igw.vpc !== subnet.vpc) r = { kind: 'none' };
      else {
        const out = subnet.acl ? this.aclOut(subnet.acl) : EVERYTHING;
        r = { kind: 'igw', tcp: !out.tcp.isEmpty, udp: !out.udp.isEmpty, icmp: out.icmp };
      }
    }
    this.subnetReply.set(subnet.id, r);
    return r;
  }

  /** Inbound ACL ∩ security groups for an interface (cached per ACL and set of groups). */
  private inbound(iface: CInterface): PortSets {
    const acl = iface.subnet.acl;
    const g = this.groups(iface);
    if (!acl) return g.sets;
    let byGroups = this.comboSets.get(acl.id);
    if (!byGroups) this.comboSets.set(acl.id, (byGroups = new Map()));
    let sets = byGroups.get(g.key);
    if (!sets) {
      const a = this.aclIn(acl);
      sets = { tcp: a.tcp.intersect(g.sets.tcp), udp: a.udp.intersect(g.sets.udp), icmp: a.icmp && g.sets.icmp };
      byGroups.set(g.key, sets);
      for (const x of iface.groups) add(this.comboOfSg, x.id, `${acl.id}|${g.key}`);
    }
    return sets;
  }

  /**
   * Whether the reply gets back to the client when the subnet's route for the client is
   * not the internet gateway. The reply path does not depend on the service port (ACLs
   * match the reply on the client's port; security groups let replies pass) nor, for an
   * ordinary interface, on which interface of the subnet answers: one trace per subnet
   * and protocol, on a port the forward path lets through, decides it for all.
   */
  private replyOtherWay(iface: CInterface, pub: number, proto: number, open: IntervalSet): boolean {
    const slot = proto === PROTO_TCP ? 0 : proto === PROTO_UDP ? 1 : 2;
    let known = this.otherReply.get(iface.subnet.id);
    if (known === undefined) this.otherReply.set(iface.subnet.id, (known = [undefined, undefined, undefined]));
    if (known[slot] !== undefined) return known[slot]!;
    const key = iface.subnet.id;
    let port = open.min!;
    if (port === this.clientPort && open.size > 1) port = open.has(port + 1) ? port + 1 : open.bounds[2]!;
    const icmp = proto === PROTO_ICMP;
    const t = traceResolved(this.net, this.source, {
      src: this.client,
      dst: pub,
      proto,
      sport: icmp ? 0 : this.clientPort,
      dport: icmp ? 0 : port,
      icmpType: icmp ? ICMP_ECHO_REQUEST : 0,
      icmpCode: 0,
    });
    const ok = t.verdict === 'accepted';
    known[slot] = ok;
    for (const path of [t.forward, t.reverse]) {
      for (const h of path?.hops ?? []) {
        if (h.type === 'network-acl') add(this.otherReplyOfAcl, h.id, key);
        else if (h.routeTable) add(this.otherReplyOfTable, h.routeTable, key);
      }
    }
    // The subnet's own ACL and table, even when the walk stopped before them.
    if (iface.subnet.acl) add(this.otherReplyOfAcl, iface.subnet.acl.id, key);
    if (iface.subnet.routeTable) add(this.otherReplyOfTable, iface.subnet.routeTable.id, key);
    return ok;
  }

  // --- Per interface ----------------------------------------------------------------------

  private compute(c: Candidate): Exposure {
    const { iface } = c;
    this.walked.delete(iface.id);
    const vpc = iface.vpc;
    const igw = vpc.igw;
    if (!this.clientPlain || !iface.up || !igw || iface.nat) return emptyExposure();
    const net = this.net;
    const direct: number[] = [];
    let allOrdinary = true;
    const walk: number[] = [];
    for (const { pub, priv } of c.pubs) {
      const hit = net.byPublicIp.get(pub);
      if (!hit || hit.iface !== iface || hit.privateIp !== priv) continue;
      if (igw.routeTable) {
        const route = igw.routeTable.lookup(priv);
        if (!route || !route.active) continue;
        const kind = route.model.target.kind;
        if (kind === 'eni' || kind === 'instance') {
          walk.push(pub);
          continue;
        }
        if (kind !== 'local') continue;
        const owner = vpc.byPrivateIp.get(priv);
        if (!owner) continue;
        if (owner !== iface) {
          walk.push(pub);
          continue;
        }
      }
      // The reply leaves from the public address of whoever holds the private one.
      const holder = vpc.byPrivateIp.get(priv);
      if (!holder || !holder.up || holder.publicIpOf(priv) !== pub) continue;
      direct.push(pub);
      if (allOrdinary && !isOrdinary(net, iface, pub, priv, this.sharedPublic)) allOrdinary = false;
    }
    let tcp = IntervalSet.EMPTY;
    let udp = IntervalSet.EMPTY;
    let icmp = false;
    const reached: number[] = [];
    if (direct.length > 0) {
      const r = this.reply(iface.subnet);
      if (r.kind === 'other') {
        if (allOrdinary) {
          const s = this.inbound(iface);
          const pub = direct[0]!;
          tcp = !s.tcp.isEmpty && this.replyOtherWay(iface, pub, PROTO_TCP, s.tcp) ? s.tcp : IntervalSet.EMPTY;
          udp = !s.udp.isEmpty && this.replyOtherWay(iface, pub, PROTO_UDP, s.udp) ? s.udp : IntervalSet.EMPTY;
          icmp = s.icmp && this.replyOtherWay(iface, pub, PROTO_ICMP, IntervalSet.point(ICMP_ECHO_REQUEST));
          if (icmp || !tcp.isEmpty || !udp.isEmpty) reached.push(...direct);
        } else walk.push(...direct);
      } else if (r.kind === 'igw') {
        const s = this.inbound(iface);
        tcp = r.tcp ? s.tcp : IntervalSet.EMPTY;
        udp = r.udp ? s.udp : IntervalSet.EMPTY;
        icmp = r.icmp && s.icmp;
        if (icmp || !tcp.isEmpty || !udp.isEmpty) reached.push(...direct);
      }
    }
    if (walk.length > 0) {
      this.walked.add(iface.id);
      for (const pub of walk) {
        const t = reachableSet(net, this.source, this.client, pub, PROTO_TCP, undefined, { sourcePort: this.clientPort }).allowed;
        const u = reachableSet(net, this.source, this.client, pub, PROTO_UDP, undefined, { sourcePort: this.clientPort }).allowed;
        const i = !reachableSet(net, this.source, this.client, pub, PROTO_ICMP, [ICMP_ECHO_REQUEST, ICMP_ECHO_REQUEST]).allowed.isEmpty;
        tcp = tcp.union(t);
        udp = udp.union(u);
        icmp ||= i;
        if (i || !t.isEmpty || !u.isEmpty) reached.push(pub);
      }
    }
    if (reached.length === 0) return emptyExposure();
    // The usual case — one public address, reached — shares one list per interface.
    if (reached.length === 1 && c.pubs.length === 1) return { tcp, udp, icmp, publicIps: (c.shown ??= [formatIpv4(reached[0]!)]) };
    return { tcp, udp, icmp, publicIps: [...new Set(reached)].sort((a, b) => a - b).map(formatIpv4) };
  }
}

/**
 * Whether the reply from `pub` can only be told from its subnet's: the interface does not
 * forward others' traffic (source/destination check on), no other interface holds its
 * public or private address.
 */
function isOrdinary(net: CompiledNetwork, iface: CInterface, pub: number, priv: number, shared: Set<number>): boolean {
  return iface.model.sourceDestCheck && !shared.has(pub) && (net.byPrivateIp.get(priv)?.length ?? 0) === 1;
}

function add<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  const s = m.get(k);
  if (s) s.add(v);
  else m.set(k, new Set([v]));
}

/** Which interfaces the internet reaches, on which ports: every exposed interface by ID. */
export function internetExposure(net: CompiledNetwork, opts?: ExposureOptions): Map<string, Exposure> {
  return new ExposureIndex(net, opts).exposed();
}

export interface ExposureJson {
  client: { address: string; sourcePort: number };
  interfaces: {
    networkInterfaceId: string;
    instanceId?: string;
    vpcId: string;
    subnetId: string;
    publicIps: string[];
    tcp: { from: number; to: number }[];
    udp: { from: number; to: number }[];
    icmp: boolean;
  }[];
}

const rangesJson = (s: IntervalSet) => s.ranges().map(([from, to]) => ({ from, to }));

/** The exposed interfaces as JSON (sorted by interface ID), for the API and the CLI. */
export function exposureJson(index: ExposureIndex): ExposureJson {
  const rows: ExposureJson['interfaces'] = [];
  for (const [id, e] of index.exposed()) {
    const iface = index.net.interfaces.get(id)!;
    rows.push({
      networkInterfaceId: id,
      instanceId: iface.instance?.id,
      vpcId: iface.vpc.id,
      subnetId: iface.subnet.id,
      publicIps: e.publicIps,
      tcp: rangesJson(e.tcp),
      udp: rangesJson(e.udp),
      icmp: e.icmp,
    });
  }
  rows.sort((a, b) => (a.networkInterfaceId < b.networkInterfaceId ? -1 : a.networkInterfaceId > b.networkInterfaceId ? 1 : 0));
  return { client: { address: formatIpv4(index.client), sourcePort: index.clientPort }, interfaces: rows };
}
