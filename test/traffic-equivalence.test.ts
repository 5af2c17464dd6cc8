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
import { compile, type CompiledNetwork } from '../src/network/compile.js';
import { resolveRequest } from '../src/network/trace.js';
import { decideFlows } from '../src/traffic/simulate.js';
import type { FlowSpec } from '../src/traffic/types.js';
import { randomNetwork, Rng } from './engine-random-network.js';

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
      const walked = decideFlows(net, specs, 1_700_000_000_000, { shareDecisions: false });
      const stats = { walks: 0, shared: 0 };
      const decided = decideFlows(net, specs, 1_700_000_000_000, { stats });
      assert.equal(decided.length, walked.length, `seed ${seed}`);
      for (let i = 0; i < walked.length; i++) {
        const a = walked[i]!;
        const b = decided[i]!;
        const what = `seed ${seed}, flow ${i}: ${JSON.stringify(a.spec)}`;
        assert.deepStrictEqual(b.trace, a.trace, what);
        // The shared walk: the same hops and verdict, and this connection's headers through `own`.
        assert.equal(b.decision.verdict, a.trace.verdict, what);
        assert.deepStrictEqual(b.decision.forward.hops.map((h) => `${h.type} ${h.id} ${h.action}`), a.trace.forward.hops.map((h) => `${h.type} ${h.id} ${h.action}`), what);
        assert.deepStrictEqual(b.own(b.decision.forward.first, false), a.trace.forward.first, what);
        if (a.trace.reverse) assert.deepStrictEqual(b.own(b.decision.reverse!.first, true), a.trace.reverse.first, what);
        assert.deepStrictEqual(b.observations, a.observations, what);
        assert.equal(b.sourcePort, a.sourcePort, what);
        assert.equal(b.replyPackets, a.replyPackets, what);
      }
      flows += walked.length;
      shared += stats.shared;
    }
    // The comparison means something: many flows took a shared walk.
    assert.ok(shared > flows / 20, `only ${shared} of ${flows} flows shared a walk`);
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
