/**
 * Symbolic reachability (network/symbolic.ts) against the concrete packet walk: hand-built
 * networks with known answers, and a property test — for hundreds of seeded random networks
 * and random sources, destinations and protocols, every port (and address) the symbolic
 * analysis classifies gets the same verdict and explanation codes from trace() on class
 * bounds, their neighbours and random values.
 *
 *   ENGINE_PROPERTY_SEED=<n> ENGINE_PROPERTY_NETWORKS=<k> node --test dist/test/engine-symbolic.test.js
 * replays the networks from seed n on (a failure names its seed).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatIpv4, parseIpv4 } from '../src/network/cidr.js';
import { compile, type CompiledNetwork, PROTO_ICMP, PROTO_TCP, PROTO_UDP, protocolNumber } from '../src/network/compile.js';
import { IntervalSet } from '../src/network/intervals.js';
import { type AclEntryModel, emptyModel, type NetworkModel, type SecurityGroupRuleModel } from '../src/network/model.js';
import { portUniverse, reachableDestinations, reachableJson, reachableSet, reachableSetFor, type ReachableSet } from '../src/network/symbolic.js';
import { resolveRequest, trace, type TraceRequest } from '../src/network/trace.js';
import { randomNetwork, Rng } from './engine-random-network.js';

// ---------------------------------------------------------------------------------------
// Interval sets
// ---------------------------------------------------------------------------------------

describe('interval sets', () => {
  it('normalise, union, intersect, subtract and complement', () => {
    const a = IntervalSet.of([
      [10, 20],
      [21, 25],
      [5, 7],
      [30, 30],
    ]);
    assert.equal(a.toString(), '5-7,10-25,30');
    const b = IntervalSet.of([
      [0, 6],
      [24, 40],
    ]);
    assert.equal(a.union(b).toString(), '0-7,10-40');
    assert.equal(a.intersect(b).toString(), '5-6,24-25,30');
    assert.equal(a.subtract(b).toString(), '7,10-23');
    assert.equal(b.subtract(a).toString(), '0-4,26-29,31-40');
    assert.equal(a.complement(0, 35).toString(), '0-4,8-9,26-29,31-35');
    assert.equal(a.size, 3 + 16 + 1);
    assert.ok(a.has(30) && a.has(5) && !a.has(8) && !a.has(31));
    assert.ok(IntervalSet.parse('5-7,10-25,30').equals(a));
    assert.ok(IntervalSet.EMPTY.union(IntervalSet.EMPTY).isEmpty);
    assert.equal(IntervalSet.range(0, 0xffffffff).subtract(IntervalSet.range(0x0a000000, 0x0affffff)).count, 2);
  });

  it('agree with plain sets on random inputs', () => {
    const r = new Rng(7);
    const rand = () => {
      const rs: [number, number][] = [];
      for (let k = r.int(0, 5); k > 0; k--) {
        const lo = r.int(0, 60);
        rs.push([lo, lo + r.int(0, 8)]);
      }
      return rs;
    };
    const members = (rs: [number, number][]) => {
      const s = new Set<number>();
      for (const [lo, hi] of rs) for (let x = lo; x <= hi; x++) s.add(x);
      return s;
    };
    for (let n = 0; n < 2000; n++) {
      const ra = rand();
      const rb = rand();
      const a = IntervalSet.of(ra);
      const b = IntervalSet.of(rb);
      const sa = members(ra);
      const sb = members(rb);
      for (let x = -1; x <= 72; x++) {
        assert.equal(a.union(b).has(x), sa.has(x) || sb.has(x));
        assert.equal(a.intersect(b).has(x), sa.has(x) && sb.has(x));
        assert.equal(a.subtract(b).has(x), sa.has(x) && !sb.has(x));
        assert.equal(a.complement(0, 70).has(x), x >= 0 && x <= 70 && !sa.has(x));
      }
      // Normal form: no two intervals touch.
      const bs = a.union(b).bounds;
      for (let i = 2; i < bs.length; i += 2) assert.ok(bs[i]! > bs[i - 1]! + 1);
    }
  });
});

// ---------------------------------------------------------------------------------------
// Known answers
// ---------------------------------------------------------------------------------------

const ALLOW_ALL: AclEntryModel[] = [
  { ruleNumber: 100, action: 'allow', protocol: '-1', cidr: '0.0.0.0/0' },
  { ruleNumber: 32767, action: 'deny', protocol: '-1', cidr: '0.0.0.0/0' },
];
const ALL_OUT: SecurityGroupRuleModel = { id: 'sgr-out', protocol: '-1', fromPort: -1, toPort: -1, cidr: '0.0.0.0/0' };

function tcpIn(id: string, from: number, to: number, cidr = '0.0.0.0/0'): SecurityGroupRuleModel {
  return { id, protocol: 'tcp', fromPort: from, toPort: to, cidr };
}

/**
 * One VPC 10.0.0.0/16: subnet a (client, open) and subnet b (server) with their own ACLs;
 * eni-c (10.0.1.10) in a, eni-s (10.0.2.20) in b with group sg-s.
 */
function clientServer(opts: { sIngress: SecurityGroupRuleModel[]; bIngress?: AclEntryModel[]; bEgress?: AclEntryModel[] }): NetworkModel {
  const m = emptyModel();
  const acct = { account: '111111111111', region: 'us-east-1' };
  m.vpcs.push({ id: 'vpc-1', ...acct, cidrs: ['10.0.0.0/16'], ipv6Cidrs: [] });
  m.routeTables.push({
    id: 'rtb-main',
    vpcId: 'vpc-1',
    main: true,
    gatewayIds: [],
    routes: [{ destination: '10.0.0.0/16', target: { kind: 'local', id: 'local' }, state: 'active', origin: 'CreateRouteTable' }],
  });
  m.networkAcls.push({ id: 'acl-a', vpcId: 'vpc-1', isDefault: true, ingress: ALLOW_ALL, egress: ALLOW_ALL });
  m.networkAcls.push({ id: 'acl-b', vpcId: 'vpc-1', isDefault: false, ingress: opts.bIngress ?? ALLOW_ALL, egress: opts.bEgress ?? ALLOW_ALL });
  m.subnets.push({ id: 'subnet-a', vpcId: 'vpc-1', cidr: '10.0.1.0/24', availabilityZone: 'us-east-1a', networkAclId: 'acl-a' });
  m.subnets.push({ id: 'subnet-b', vpcId: 'vpc-1', cidr: '10.0.2.0/24', availabilityZone: 'us-east-1a', networkAclId: 'acl-b' });
  m.securityGroups.push({ id: 'sg-c', name: 'c', vpcId: 'vpc-1', ...acct, ingress: [], egress: [ALL_OUT] });
  m.securityGroups.push({ id: 'sg-s', name: 's', vpcId: 'vpc-1', ...acct, ingress: opts.sIngress, egress: [ALL_OUT] });
  const eni = (id: string, subnetId: string, ip: string, group: string) =>
    m.interfaces.push({
      id,
      ...acct,
      vpcId: 'vpc-1',
      subnetId,
      privateIps: [ip],
      publicIps: {},
      ipv6Addresses: [],
      groupIds: [group],
      sourceDestCheck: true,
      type: 'interface',
      attached: true,
    });
  eni('eni-c', 'subnet-a', '10.0.1.10', 'sg-c');
  eni('eni-s', 'subnet-b', '10.0.2.20', 'sg-s');
  return m;
}

function portsFrom(net: CompiledNetwork, req: Omit<TraceRequest, 'destinationPort'>, ports?: [number, number]): ReachableSet {
  return reachableSetFor(net, req as TraceRequest, ports);
}

function classOf(rs: ReachableSet, p: number) {
  return rs.classes.find((c) => c.ports[0] <= p && p <= c.ports[1]);
}

describe('symbolic reachability: known answers', () => {
  it('security group 443 and 8000-8100, ACL denying 8050 below allow-all', () => {
    const net = compile(
      clientServer({
        sIngress: [tcpIn('sgr-443', 443, 443), tcpIn('sgr-8000', 8000, 8100)],
        bIngress: [{ ruleNumber: 90, action: 'deny', protocol: '6', cidr: '0.0.0.0/0', fromPort: 8050, toPort: 8050 }, ...ALLOW_ALL],
      }),
    );
    const rs = portsFrom(net, { source: 'eni-c', destination: 'eni-s', protocol: 'tcp' });
    assert.equal(rs.allowed.toString(), '443,8000-8049,8051-8100');
    assert.deepEqual(classOf(rs, 8050)!.codes, ['SUBNET_ACL_RESTRICTION']);
    assert.deepEqual(classOf(rs, 22)!.codes, ['ENI_SG_RULES_MISMATCH']);
    assert.deepEqual(classOf(rs, 65535)!.codes, ['ENI_SG_RULES_MISMATCH']);
    assert.equal(classOf(rs, 8049)!.verdict, 'accepted');
    // The whole range, in order, without gaps.
    assert.equal(rs.classes[0]!.ports[0], 0);
    assert.equal(rs.classes[rs.classes.length - 1]!.ports[1], 65535);
    for (let i = 1; i < rs.classes.length; i++) assert.equal(rs.classes[i]!.ports[0], rs.classes[i - 1]!.ports[1] + 1);
    assert.deepEqual(
      rs.classes.map((c) => `${c.ports[0]}-${c.ports[1]}:${c.verdict}`),
      ['0-442:dropped', '443-443:accepted', '444-7999:dropped', '8000-8049:accepted', '8050-8050:dropped', '8051-8100:accepted', '8101-65535:dropped'],
    );
    // A handful of traces, not 65,536.
    assert.ok(rs.traces <= 12, `${rs.traces} traces`);
    const json = reachableJson(rs);
    assert.equal(json.allowed, '443,8000-8049,8051-8100');
    assert.deepEqual(json.classes[4], { from: 8050, to: 8050, verdict: 'dropped', explanationCodes: ['SUBNET_ACL_RESTRICTION'] });
    // UDP: nothing is open.
    assert.ok(portsFrom(net, { source: 'eni-c', destination: 'eni-s', protocol: 'udp' }).allowed.isEmpty);
  });

  it('a port range asked about narrows the classes', () => {
    const net = compile(clientServer({ sIngress: [tcpIn('sgr-8000', 8000, 8100)] }));
    const rs = portsFrom(net, { source: 'eni-c', destination: 'eni-s', protocol: 'tcp' }, [8050, 9000]);
    assert.equal(rs.allowed.toString(), '8050-8100');
    assert.deepEqual(rs.classes.map((c) => c.ports), [
      [8050, 8100],
      [8101, 9000],
    ]);
  });

  it('an ACL that refuses the reply to ephemeral ports closes every port, on the return path', () => {
    const net = compile(
      clientServer({
        sIngress: [tcpIn('sgr-all', 0, 65535)],
        bEgress: [{ ruleNumber: 10, action: 'deny', protocol: '6', cidr: '0.0.0.0/0', fromPort: 32768, toPort: 65535 }, ...ALLOW_ALL],
      }),
    );
    const rs = portsFrom(net, { source: 'eni-c', destination: 'eni-s', protocol: 'tcp' });
    assert.ok(rs.allowed.isEmpty);
    assert.deepEqual(rs.classes.map((c) => [c.ports, c.verdict, c.codes]), [[[0, 65535], 'dropped', ['SUBNET_ACL_RESTRICTION']]]);
    const t = trace(net, { source: 'eni-c', destination: 'eni-s', protocol: 'tcp', destinationPort: 80 });
    assert.equal(t.explanations[0]!.direction, 'return');
    // From a client port below the denied range, the reply passes.
    assert.equal(portsFrom(net, { source: 'eni-c', destination: 'eni-s', protocol: 'tcp', sourcePort: 32767 }).allowed.toString(), '0-65535');
  });

  it('ICMP types: the echo request alone, and an ACL entry per type', () => {
    const net = compile(
      clientServer({
        sIngress: [{ id: 'sgr-ping', protocol: 'icmp', fromPort: 8, toPort: -1, cidr: '10.0.0.0/16' }, { id: 'sgr-unreach', protocol: 'icmp', fromPort: 3, toPort: 0, cidr: '10.0.0.0/16' }],
        bIngress: [{ ruleNumber: 5, action: 'deny', protocol: '1', cidr: '0.0.0.0/0', icmpType: 3, icmpCode: -1 }, ...ALLOW_ALL],
      }),
    );
    const rs = portsFrom(net, { source: 'eni-c', destination: 'eni-s', protocol: 'icmp' });
    assert.equal(rs.allowed.toString(), '8');
    assert.deepEqual(classOf(rs, 3)!.codes, ['SUBNET_ACL_RESTRICTION']);
    assert.deepEqual(classOf(rs, 4)!.codes, ['ENI_SG_RULES_MISMATCH']);
    assert.equal(rs.classes[rs.classes.length - 1]!.ports[1], 255);
  });

  it('a protocol without ports is one class', () => {
    const net = compile(clientServer({ sIngress: [{ id: 'sgr-any', protocol: '-1', fromPort: -1, toPort: -1, cidr: '10.0.1.0/24' }] }));
    const rs = portsFrom(net, { source: 'eni-c', destination: 'eni-s', protocol: 50 });
    assert.equal(rs.allowed.toString(), '0');
    assert.equal(rs.traces, 1);
    const closed = compile(clientServer({ sIngress: [tcpIn('sgr-x', 1, 2)] }));
    assert.ok(portsFrom(closed, { source: 'eni-c', destination: 'eni-s', protocol: 50 }).allowed.isEmpty);
  });

  it('IPv6: ports and ICMPv6 types over the IPv6 path, as trace() sees them', () => {
    const v6all: AclEntryModel[] = [
      { ruleNumber: 101, action: 'allow', protocol: '-1', ipv6Cidr: '::/0' },
      { ruleNumber: 32768, action: 'deny', protocol: '-1', ipv6Cidr: '::/0' },
    ];
    const m = clientServer({
      sIngress: [
        { id: 'sgr-v6-443', protocol: 'tcp', fromPort: 443, toPort: 443, ipv6Cidr: '2600:1f18:1::/56' },
        { id: 'sgr-v4-80', protocol: 'tcp', fromPort: 80, toPort: 80, cidr: '0.0.0.0/0' },
        { id: 'sgr-v6-ping', protocol: 'icmpv6', fromPort: 128, toPort: -1, ipv6Cidr: '::/0' },
      ],
      bIngress: [{ ruleNumber: 90, action: 'deny', protocol: '6', ipv6Cidr: '::/0', fromPort: 444, toPort: 444 }, ...ALLOW_ALL, ...v6all],
      bEgress: [...ALLOW_ALL, ...v6all],
    });
    m.vpcs[0]!.ipv6Cidrs = ['2600:1f18:1::/56'];
    m.routeTables[0]!.routes.push({ destination: '2600:1f18:1::/56', target: { kind: 'local', id: 'local' }, state: 'active', origin: 'CreateRouteTable' });
    for (const a of m.networkAcls) if (a.id === 'acl-a') a.ingress = a.egress = [...ALLOW_ALL, ...v6all];
    m.subnets[0]!.ipv6Cidr = '2600:1f18:1:1::/64';
    m.subnets[1]!.ipv6Cidr = '2600:1f18:1:2::/64';
    m.interfaces[0]!.ipv6Addresses = ['2600:1f18:1:1::10'];
    m.interfaces[1]!.ipv6Addresses = ['2600:1f18:1:2::20'];
    m.securityGroups[0]!.egress.push({ id: 'sgr-out6', protocol: '-1', fromPort: -1, toPort: -1, ipv6Cidr: '::/0' });
    const net = compile(m);
    const req = { source: 'eni-c', destination: '2600:1f18:1:2::20', protocol: 'tcp' };
    const rs = portsFrom(net, req);
    assert.equal(rs.allowed.toString(), '443');
    for (const p of [79, 80, 442, 443, 444, 445]) {
      assert.equal(trace(net, { ...req, destinationPort: p }).verdict, rs.allowed.has(p) ? 'accepted' : 'dropped', `port ${p}`);
    }
    // Over IPv4 the same pair answers on 80 only.
    assert.equal(portsFrom(net, { source: 'eni-c', destination: 'eni-s', protocol: 'tcp' }).allowed.toString(), '80');
    const ping = portsFrom(net, { ...req, protocol: 'icmp' });
    assert.equal(ping.allowed.toString(), '128');
    assert.equal(trace(net, { ...req, protocol: 'icmp' }).verdict, 'accepted');
  });

  it('destinations: the addresses a port reaches', () => {
    const m = clientServer({ sIngress: [tcpIn('sgr-443', 443, 443, '10.0.1.0/24')] });
    m.interfaces.push({ ...m.interfaces[1]!, id: 'eni-s2', privateIps: ['10.0.2.21'], groupIds: ['sg-c'] });
    const net = compile(m);
    const src = parseIpv4('10.0.1.10')!;
    const rd = reachableDestinations(net, { kind: 'interface', iface: net.interfaces.get('eni-c')! }, src, PROTO_TCP, 443);
    // eni-s (its group allows 443 from subnet a); not eni-s2 (its group allows nothing), nor itself (no rule allows it).
    assert.equal(rd.allowed.ranges().map(([a, b]) => `${formatIpv4(a)}-${formatIpv4(b)}`).join(), '10.0.2.20-10.0.2.20');
    assert.deepEqual(classOf(rd, parseIpv4('10.0.2.21')!)!.codes, ['ENI_SG_RULES_MISMATCH']);
    assert.deepEqual(classOf(rd, parseIpv4('10.0.3.1')!)!.codes, ['UNKNOWN_DESTINATION']);
    assert.deepEqual(classOf(rd, parseIpv4('8.8.8.8')!)!.codes, ['NO_ROUTE_TO_DESTINATION']);
    // Narrowed to one subnet.
    const within = reachableDestinations(net, { kind: 'interface', iface: net.interfaces.get('eni-c')! }, src, PROTO_TCP, 443, [parseIpv4('10.0.2.0')!, parseIpv4('10.0.2.255')!]);
    assert.equal(within.classes[0]!.ports[0], parseIpv4('10.0.2.0'));
    assert.equal(within.classes[within.classes.length - 1]!.ports[1], parseIpv4('10.0.2.255'));
    assert.ok(within.allowed.equals(rd.allowed));
    assert.ok(within.traces < 10);
  });
});

// ---------------------------------------------------------------------------------------
// The property: symbolic == concrete
// ---------------------------------------------------------------------------------------

const BASE_SEED = Number(process.env.ENGINE_PROPERTY_SEED ?? 1);
const NETWORKS = Number(process.env.ENGINE_PROPERTY_NETWORKS ?? 250);

const INTERNET = ['198.51.100.10', '203.0.113.9', '93.184.216.34', '8.8.8.8', '1.2.3.4'];

function publicAddresses(m: NetworkModel): string[] {
  return m.interfaces.flatMap((i) => Object.values(i.publicIps));
}

function randomRequest(r: Rng, m: NetworkModel, ifaces: NetworkModel['interfaces']): Omit<TraceRequest, 'destinationPort'> {
  const protocol = r.pick(['tcp', 'tcp', 'tcp', 'udp', 'udp', 'icmp', '50']);
  const pubs = publicAddresses(m);
  if (r.chance(0.25) && pubs.length > 0) {
    return { source: `internet:${r.pick(INTERNET)}`, destination: r.pick(pubs), protocol };
  }
  const src = r.pick(ifaces);
  const d = r.int(0, 9);
  let destination: string;
  if (d <= 3) destination = r.pick(ifaces.filter((i) => i.vpcId === src.vpcId)).privateIps[0]!;
  else if (d <= 5) destination = r.pick(ifaces).privateIps[0]!;
  else if (d <= 7 && pubs.length > 0) destination = r.pick(pubs);
  else if (d <= 8) destination = r.pick(INTERNET);
  else destination = `10.${r.int(0, 2)}.${r.int(0, 3)}.${r.int(0, 255)}`;
  return { source: src.id, destination, protocol, sourceIp: r.chance(0.2) ? r.pick(src.privateIps) : undefined };
}

function probe(req: Omit<TraceRequest, 'destinationPort'>, proto: number, value: number): TraceRequest {
  if (proto === PROTO_TCP || proto === PROTO_UDP) return { ...req, destinationPort: value };
  if (proto === PROTO_ICMP) return { ...req, icmpType: value };
  return { ...req };
}

function valuesToCheck(r: Rng, rs: ReachableSet, lo: number, hi: number, randoms: number): number[] {
  const vs = new Set<number>();
  for (const c of rs.classes) for (const x of [c.ports[0] - 1, c.ports[0], c.ports[0] + 1, c.ports[1] - 1, c.ports[1], c.ports[1] + 1]) if (x >= lo && x <= hi) vs.add(x);
  for (let k = 0; k < randoms; k++) vs.add(r.int(lo, hi));
  return [...vs];
}

describe('symbolic reachability: property against concrete traces', () => {
  it(`agrees with trace() on ${NETWORKS} random networks (seeds ${BASE_SEED}…)`, () => {
    let queries = 0;
    let checks = 0;
    let accepted = 0;
    let addressChecks = 0;
    let openQueries = 0;
    for (let seed = BASE_SEED; seed < BASE_SEED + NETWORKS; seed++) {
      try {
        const { model, interfaces } = randomNetwork(seed);
        const net = compile(structuredClone(model));
        const r = new Rng(seed * 7919 + 1);
        for (let q = 0; q < 8; q++) {
          const req = randomRequest(r, model, interfaces);
          const proto = protocolNumber(req.protocol)!;
          const resolved = resolveRequest(net, probe(req, proto, 0));
          const rs = reachableSet(net, resolved.source, resolved.pkt.src, resolved.pkt.dst, proto);
          queries++;
          if (!rs.allowed.isEmpty) openQueries++;
          const [lo, hi] = portUniverse(proto);
          assert.equal(rs.classes[0]!.ports[0], lo);
          assert.equal(rs.classes[rs.classes.length - 1]!.ports[1], hi);
          for (const v of valuesToCheck(r, rs, lo, hi, 16)) {
            const t = trace(net, probe(req, proto, v));
            const c = classOf(rs, v)!;
            const what = `${JSON.stringify(probe(req, proto, v))}: symbolic ${c.verdict} ${c.codes.join()} (class ${c.ports.join('-')}), trace ${t.verdict} ${t.explanations.map((e) => e.code).join()}`;
            assert.equal(t.verdict, rs.allowed.has(v) ? 'accepted' : 'dropped', what);
            assert.equal(t.verdict, c.verdict, what);
            assert.deepEqual(
              t.explanations.map((e) => e.code),
              c.codes,
              what,
            );
            checks++;
            if (t.verdict === 'accepted') accepted++;
          }
        }
        // The address dimension, once per network: from an interface, one port, over every address.
        const src = r.pick(interfaces);
        const proto = r.pick([PROTO_TCP, PROTO_UDP, PROTO_ICMP]);
        const port = proto === PROTO_ICMP ? 8 : r.pick([22, 443, 8080, 53, 49152]);
        const srcIp = parseIpv4(src.privateIps[0]!)!;
        const rd = reachableDestinations(net, { kind: 'interface', iface: net.interfaces.get(src.id)! }, srcIp, proto, port);
        const addrs = new Set<number>();
        for (const c of rd.classes) {
          for (const x of [c.ports[0] - 1, c.ports[0], c.ports[1], c.ports[1] + 1]) if (x >= 0 && x <= 0xffffffff && r.chance(0.35)) addrs.add(x);
          const span = c.ports[1] - c.ports[0];
          if (span > 1) addrs.add(c.ports[0] + r.int(1, Math.min(span - 1, 1e9)));
        }
        for (let k = 0; k < 10; k++) addrs.add(r.int(0, 0xffffffff));
        for (const a of addrs) {
          const req = probe({ source: src.id, destination: formatIpv4(a), protocol: proto === PROTO_ICMP ? 'icmp' : proto === PROTO_TCP ? 'tcp' : 'udp' }, proto, port);
          const t = trace(net, req);
          const c = classOf(rd, a)!;
          const what = `${JSON.stringify(req)}: symbolic ${c.verdict} ${c.codes.join()}, trace ${t.verdict} ${t.explanations.map((e) => e.code).join()}`;
          assert.equal(t.verdict, rd.allowed.has(a) ? 'accepted' : 'dropped', what);
          assert.deepEqual(
            t.explanations.map((e) => e.code),
            c.codes,
            what,
          );
          addressChecks++;
        }
      } catch (e) {
        (e as Error).message = `seed ${seed} (replay: ENGINE_PROPERTY_SEED=${seed} ENGINE_PROPERTY_NETWORKS=1): ${(e as Error).message}`;
        throw e;
      }
    }
    console.log(`symbolic property: ${NETWORKS} networks, ${queries} port queries (${openQueries} with something open), ${checks} port checks (${accepted} accepted), ${addressChecks} address checks`);
    // The generator must produce both outcomes in quantity, or the property says little.
    assert.ok(accepted > checks / 20, `${accepted} of ${checks} accepted`);
    assert.ok(checks - accepted > checks / 2);
    assert.ok(openQueries > queries / 10, `${openQueries} of ${queries} queries find something open`);
  });
});
