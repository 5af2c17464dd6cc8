/**
 * Flows decided alike share one walk of the engine (simulate.ts, DecisionCache): for seeded
 * random networks and random flows — many of them from or to addresses in the same address
 * atoms, with client ports the reply path's ACLs may treat differently — decideFlows with
 * shared decisions gives exactly what it gives when every flow is walked on its own: the same
 * traces (hops, headers, explanations, endpoints) and the same observations.
 *
 *   TRAFFIC_EQUIVALENCE_SEED=<n> TRAFFIC_EQUIVALENCE_NETWORKS=<k> node --test dist/test/traffic-equivalence.test.js
 * replays the networks from seed n on (a failure names its seed).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIpv4 } from '../src/network/cidr.js';
import { compile, type CompiledNetwork } from '../src/network/compile.js';
import { resolveRequest } from '../src/network/trace.js';
import { decideFlows, observationSource } from '../src/traffic/simulate.js';
import type { FlowSpec } from '../src/traffic/types.js';
import { randomNetwork, Rng } from './engine-random-network.js';
import { ALL_OUT, ALLOW_ALL, Builder, route } from './network-builder.js';

const FIRST_SEED = Number(process.env.TRAFFIC_EQUIVALENCE_SEED ?? 1);
const NETWORKS = Number(process.env.TRAFFIC_EQUIVALENCE_NETWORKS ?? 150);
const FLOWS = 300;

const PORTS = [22, 53, 80, 443, 1023, 1024, 3306, 8080, 32768, 49151, 49152, 49153, 60999, 65535];

/** An address from a small pool, so that flows often meet in the same atoms (and sometimes the same address). */
function address(r: Rng, net: CompiledNetwork, vpcs: number): string {
  const k = r.int(0, 9);
  if (k <= 2) return `198.51.100.${r.int(1, 20)}`;
  if (k === 3) return `203.0.113.${r.int(1, 254)}`;
  if (k === 4) return `${r.int(1, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
  if (k <= 6) return `10.${r.int(0, vpcs)}.${r.int(0, 3)}.${r.pick([1, 2, 3, 10, 11, 12, 13, 100, 101, 200, 250, r.int(0, 255)])}`;
  if (k === 7) return `169.254.169.${r.pick([123, 253, 254, 1])}`;
  const pubs = [...net.byPublicIp.keys()];
  if (pubs.length > 0) {
    const p = r.pick(pubs);
    return `${p >>> 24}.${(p >>> 16) & 255}.${(p >>> 8) & 255}.${p & 255}`;
  }
  return `54.0.0.${r.int(1, 9)}`;
}

function randomFlow(r: Rng, net: CompiledNetwork, enis: string[], vpcs: number): FlowSpec {
  const igws = [...net.internetGateways.keys()];
  const instances = [...net.instances.keys()];
  const s = r.int(0, 9);
  let source: string;
  let sourceIp: string | undefined;
  if (s <= 2) source = r.pick(enis);
  else if (s === 3 && instances.length > 0) source = r.pick(instances);
  else if (s <= 6) source = `internet:${address(r, net, vpcs)}`;
  else if (s === 7 && igws.length > 0) {
    source = r.pick(igws);
    sourceIp = address(r, net, vpcs);
  } else source = address(r, net, vpcs);
  const d = r.int(0, 9);
  const destination = d <= 3 ? r.pick(enis) : d === 4 && instances.length > 0 ? r.pick(instances) : address(r, net, vpcs);
  const proto = r.pick(['tcp', 'tcp', 'tcp', 'udp', 'icmp']);
  const spec: FlowSpec = { source, destination, protocol: proto };
  if (sourceIp) spec.sourceIp = sourceIp;
  if (proto !== 'icmp') {
    spec.destinationPort = r.pick(PORTS);
    if (r.chance(0.7)) spec.sourcePort = r.chance(0.5) ? r.pick(PORTS) : r.int(1024, 65535);
    if (r.chance(0.1)) spec.count = r.int(2, 4);
    if (spec.count && (spec.sourcePort ?? 0) + spec.count > 65535) delete spec.count;
  } else if (r.chance(0.3)) spec.icmpType = r.pick([0, 3, 8, 11]);
  return spec;
}

/** decideFlows with shared decisions against every flow walked on its own: the same in every respect. */
function compareWithWalks(net: CompiledNetwork, specs: FlowSpec[], label: string): { walks: number; shared: number } {
  const walked = decideFlows(net, specs, 1_700_000_000_000, { shareDecisions: false });
  // As the flow log pipeline takes them: made one at a time into one object, none kept.
  const source = observationSource(decideFlows(net, specs, 1_700_000_000_000));
  const all = walked.flatMap((f) => f.observations);
  assert.equal(source.count, all.length, label);
  // Grouped by interface as the pipeline takes them: interfaces in order of first appearance, each one's observations in order.
  const groups = new Map<string, number[]>();
  for (let k = 0; k < all.length; k++) {
    const id = all[k]!.interfaceId;
    if (!groups.has(id)) groups.set(id, []);
    groups.get(id)!.push(k);
  }
  assert.deepStrictEqual([...source.groupOrder!()], [...groups.values()].flat(), label);
  for (let k = 0; k < all.length; k++) {
    assert.equal(source.interfaceId(k), all[k]!.interfaceId, `${label}, observation ${k}`);
    const { srcNum, dstNum, pktSrcNum, pktDstNum, ...o } = source.at(k);
    assert.deepStrictEqual(o, all[k], `${label}, observation ${k}`);
    // The address numbers say what the text says (flow logs hash those instead of the text).
    assert.deepStrictEqual([srcNum, dstNum, pktSrcNum, pktDstNum], [o.srcaddr, o.dstaddr, o.pktSrcaddr, o.pktDstaddr].map((a) => parseIpv4(a) ?? -1), `${label}, observation ${k}`);
  }
  const stats = { walks: 0, shared: 0 };
  const decided = decideFlows(net, specs, 1_700_000_000_000, { stats });
  assert.equal(decided.length, walked.length, label);
  for (let i = 0; i < walked.length; i++) {
    const a = walked[i]!;
    const b = decided[i]!;
    const what = `${label}, flow ${i}: ${JSON.stringify(a.spec)}`;
    assert.deepStrictEqual(b.trace, a.trace, what);
    // The shared walk: the same verdict, and this connection's headers through `own`.
    assert.equal(b.decision.verdict, a.trace.verdict, what);
    assert.deepStrictEqual(b.own(b.decision.forward.first, false), a.trace.forward.first, what);
    if (a.trace.reverse) assert.deepStrictEqual(b.own(b.decision.reverse!.first, true), a.trace.reverse.first, what);
    assert.deepStrictEqual(b.observations, a.observations, what);
    assert.equal(b.sourcePort, a.sourcePort, what);
    assert.equal(b.replyPackets, a.replyPackets, what);
  }
  return stats;
}

describe('shared decisions', () => {
  it(`give exactly what walking every flow gives (${NETWORKS} random networks from seed ${FIRST_SEED}, ${FLOWS} flows each)`, () => {
    let flows = 0;
    let shared = 0;
    for (let seed = FIRST_SEED; seed < FIRST_SEED + NETWORKS; seed++) {
      const { model, interfaces } = randomNetwork(seed, { internet: seed % 2 === 0 });
      const net = compile(model);
      const r = new Rng(seed * 7919 + 1);
      const enis = interfaces.map((i) => i.id);
      const specs: FlowSpec[] = [];
      while (specs.length < FLOWS) {
        const spec = randomFlow(r, net, enis, model.vpcs.length);
        try {
          resolveRequest(net, spec);
        } catch {
          continue;
        }
        specs.push(spec);
        // The same flow again from a neighbour address or another client port.
        if (r.chance(0.3) && spec.source.startsWith('internet:')) {
          const ip = spec.source.slice('internet:'.length).split('.').map(Number);
          ip[3] = (ip[3]! + r.int(1, 3)) & 255;
          specs.push({ ...spec, source: `internet:${ip.join('.')}`, sourcePort: r.int(1024, 65535) });
        }
        // Another server port, often a neighbour (the same port atom, or just across a bound).
        if (r.chance(0.3) && spec.destinationPort !== undefined && spec.destinationPort < 65535) {
          specs.push({ ...spec, destinationPort: r.chance(0.5) ? spec.destinationPort + 1 : r.int(0, 65535) });
        }
      }
      const stats = compareWithWalks(net, specs, `seed ${seed}`);
      flows += specs.length;
      shared += stats.shared;
    }
    // The comparison means something: many flows took a shared walk.
    assert.ok(shared > flows / 20, `only ${shared} of ${flows} flows shared a walk`);
  });

  it(`give exactly what walking every flow gives between interfaces of the same classes (${NETWORKS} random networks)`, () => {
    let flows = 0;
    let shared = 0;
    for (let seed = FIRST_SEED; seed < FIRST_SEED + NETWORKS; seed++) {
      const { model, interfaces } = randomNetwork(seed, { internet: seed % 2 === 0 });
      // Every interface with a twin: the same in all but its ID and addresses (often of the same class).
      for (const i of [...model.interfaces]) {
        if (i.type !== 'interface') continue;
        const twin = (ip: string) => ip.replace(/\.(\d+)$/, (_, d) => `.${Number(d) + 50}`);
        const id = `${i.id}-twin`;
        const instanceId = i.instanceId && `${i.instanceId}-twin`;
        const publicIps: Record<string, string> = {};
        for (const [p, pub] of Object.entries(i.publicIps)) publicIps[twin(p)] = pub.replace(/^54\./, '55.');
        model.interfaces.push({ ...i, id, instanceId, privateIps: i.privateIps.map(twin), publicIps });
        const inst = model.instances.find((x) => x.id === i.instanceId);
        if (inst && instanceId) model.instances.push({ ...inst, id: instanceId, interfaceIds: [id] });
      }
      const net = compile(model);
      const r = new Rng(seed * 104729 + 3);
      const enis = [...interfaces.map((i) => i.id), ...interfaces.filter((i) => i.type === 'interface').map((i) => `${i.id}-twin`)];
      const specs: FlowSpec[] = [];
      for (const source of enis) {
        for (const destination of enis) {
          if (!r.chance(0.3)) continue;
          const protocol = r.pick(['tcp', 'tcp', 'udp', 'icmp']);
          const spec: FlowSpec = { source, destination, protocol };
          if (protocol !== 'icmp') {
            spec.destinationPort = r.pick(PORTS);
            spec.sourcePort = r.int(1024, 65535);
          }
          try {
            resolveRequest(net, spec);
          } catch {
            continue;
          }
          specs.push(spec);
        }
      }
      const stats = compareWithWalks(net, specs, `seed ${seed}`);
      flows += specs.length;
      shared += stats.shared;
    }
    assert.ok(shared > flows / 40, `only ${shared} of ${flows} flows shared a walk`);
  });

  it('share one walk among the pairs of two tiers of alike interfaces, with their own IDs and addresses', () => {
    const b = new Builder('sg-web')
      .vpc('vpc-1', '10.0.0.0/16')
      .subnet('subnet-web', 'vpc-1', '10.0.1.0/24')
      .acl('acl-app', 'vpc-1', [{ ruleNumber: 50, action: 'deny', protocol: '6', cidr: '10.0.1.0/24', fromPort: 22, toPort: 22 }, ...ALLOW_ALL], ALLOW_ALL)
      .subnet('subnet-app', 'vpc-1', '10.0.2.0/24', { acl: 'acl-app' })
      .sg('sg-web', 'vpc-1', [])
      .sg('sg-app', 'vpc-1', [{ id: 'sgr-app', protocol: '6', fromPort: 8080, toPort: 8080, groupId: 'sg-web' }], [ALL_OUT]);
    for (let k = 0; k < 20; k++) b.eni(`eni-web-${k}`, 'subnet-web', `10.0.1.${10 + k}`, { instance: `i-web-${k}`, state: k === 7 ? 'stopped' : 'running' });
    for (let k = 0; k < 20; k++) b.eni(`eni-app-${k}`, 'subnet-app', `10.0.2.${10 + k}`, { instance: `i-app-${k}`, groupIds: ['sg-app'] });
    // An appliance other subnets route through: a class of its own.
    b.table('rtb-x', 'vpc-1', route('10.9.0.0/16', 'eni', 'eni-app-3'));
    const net = b.build();
    const specs: FlowSpec[] = [];
    for (let w = 0; w < 20; w++) {
      for (let a = 0; a < 20; a++) {
        specs.push({ source: `eni-web-${w}`, destination: `eni-app-${a}`, destinationPort: 8080, sourcePort: 30_000 + w * 20 + a });
        if (a % 4 === 0) specs.push({ source: `i-web-${w}`, destination: `10.0.2.${10 + a}`, destinationPort: 22, sourcePort: 40_000 + w });
      }
    }
    const stats = compareWithWalks(net, specs, 'two tiers');
    // Classes: running web servers, the stopped one; application servers. Each pair of classes
    // walks once per port (8080 accepted, 22 denied by the ACL): 6 walks. The appliance is left
    // out of the classes: each web server walks to it on its own (20 more).
    assert.ok(stats.walks <= 26, `${stats.walks} walks`);
    assert.equal(stats.walks + stats.shared, specs.length);
    const decided = decideFlows(net, specs, 0);
    const f = decided.find((x) => x.spec.source === 'eni-web-5' && x.spec.destination === 'eni-app-9')!;
    assert.deepStrictEqual(
      f.observations.map((o) => `${o.interfaceId} ${o.instanceId} ${o.flowDirection} ${o.srcaddr}:${o.srcport} > ${o.dstaddr}:${o.dstport} ${o.action}`),
      [
        'eni-web-5 i-web-5 egress 10.0.1.15:30109 > 10.0.2.19:8080 ACCEPT',
        'eni-app-9 i-app-9 ingress 10.0.1.15:30109 > 10.0.2.19:8080 ACCEPT',
        'eni-app-9 i-app-9 egress 10.0.2.19:8080 > 10.0.1.15:30109 ACCEPT',
        'eni-web-5 i-web-5 ingress 10.0.2.19:8080 > 10.0.1.15:30109 ACCEPT',
      ],
    );
    const ssh = decided.find((x) => x.spec.source === 'i-web-2' && x.spec.destination === '10.0.2.18')!;
    assert.equal(ssh.trace.verdict, 'dropped');
    assert.deepStrictEqual(
      ssh.observations.map((o) => `${o.interfaceId} ${o.flowDirection} ${o.action}`),
      ['eni-web-2 egress ACCEPT', 'eni-app-8 ingress REJECT'],
    );
  });

  it('share one walk among 1,000 distinct internet clients of one server', () => {
    const { model, interfaces } = randomNetwork(2, { internet: true });
    const net = compile(model);
    const server = interfaces.find((i) => Object.keys(i.publicIps).length > 0) ?? interfaces[0]!;
    const specs: FlowSpec[] = Array.from({ length: 1_000 }, (_, k) => ({
      source: `internet:198.18.${k >> 8}.${k & 255}`,
      destination: server.id,
      destinationPort: 443,
      sourcePort: 1024 + k * 37,
    }));
    const walked = decideFlows(net, specs, 0, { shareDecisions: false });
    const stats = { walks: 0, shared: 0 };
    const decided = decideFlows(net, specs, 0, { stats });
    assert.equal(decided.length, walked.length);
    for (let i = 0; i < walked.length; i++) {
      assert.deepStrictEqual(decided[i]!.trace, walked[i]!.trace, `flow ${i}`);
      assert.deepStrictEqual(decided[i]!.observations, walked[i]!.observations, `flow ${i}`);
      assert.deepStrictEqual({ ...decided[i]! }, { ...walked[i]! }, `flow ${i}`);
    }
    assert.ok(stats.walks < 20, `${stats.walks} walks`);
    assert.equal(stats.walks + stats.shared, 1_000);
    assert.equal(decided[5]!.trace.forward.first.sport, 1024 + 5 * 37);
    assert.equal(decided[5]!.observations[0]?.srcaddr ?? '198.18.0.5', '198.18.0.5');
  });
});
