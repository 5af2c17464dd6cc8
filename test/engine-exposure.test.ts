/**
 * Internet exposure (network/exposure.ts): known answers (the classic blockers each alone),
 * a property test against concrete traces from the internet on seeded random networks, and
 * incremental answers equal to from-scratch ones after random rule and route changes.
 *
 *   ENGINE_PROPERTY_SEED=<n> ENGINE_PROPERTY_NETWORKS=<k> node --test dist/test/engine-exposure.test.js
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatIpv4, parseIpv4 } from '../src/network/cidr.js';
import { compile, type CompiledNetwork } from '../src/network/compile.js';
import { type Exposure, ExposureIndex, exposureJson, internetClient, internetExposure, isExposed, sameExposure } from '../src/network/exposure.js';
import { type AclEntryModel, emptyModel, type NetworkModel, type RouteModel, type SecurityGroupRuleModel } from '../src/network/model.js';
import { trace, type TraceRequest } from '../src/network/trace.js';
import { randomAclEntries, randomNetwork, randomRoutes, randomSgRules, Rng } from './engine-random-network.js';

const ACCT = { account: '111111111111', region: 'us-east-1' };
const ALLOW_ALL: AclEntryModel[] = [
  { ruleNumber: 100, action: 'allow', protocol: '-1', cidr: '0.0.0.0/0' },
  { ruleNumber: 32767, action: 'deny', protocol: '-1', cidr: '0.0.0.0/0' },
];
const LOCAL: RouteModel = { destination: '10.0.0.0/16', target: { kind: 'local', id: 'local' }, state: 'active', origin: 'CreateRouteTable' };
const DEFAULT_IGW: RouteModel = { destination: '0.0.0.0/0', target: { kind: 'igw', id: 'igw-1' }, state: 'active', origin: 'CreateRoute' };

function tcp(id: string, from: number, to: number, cidr = '0.0.0.0/0'): SecurityGroupRuleModel {
  return { id, protocol: 'tcp', fromPort: from, toPort: to, cidr };
}

/**
 * A public web server: VPC 10.0.0.0/16 with igw-1, subnet-pub (main table: local and
 * 0.0.0.0/0 → igw-1; acl-pub), eni-web 10.0.0.10 ↔ 54.1.1.1 in sg-web, instance i-web.
 */
function webServer(opts: {
  ingress?: SecurityGroupRuleModel[];
  aclIn?: AclEntryModel[];
  aclOut?: AclEntryModel[];
  routes?: RouteModel[];
  publicIp?: string | null;
  igwAttached?: boolean;
  state?: string;
}): NetworkModel {
  const m = emptyModel();
  m.vpcs.push({ id: 'vpc-1', ...ACCT, cidrs: ['10.0.0.0/16'], ipv6Cidrs: [] });
  m.internetGateways.push({ id: 'igw-1', ...ACCT, vpcId: opts.igwAttached === false ? undefined : 'vpc-1' });
  m.routeTables.push({ id: 'rtb-main', vpcId: 'vpc-1', main: true, gatewayIds: [], routes: opts.routes ?? [LOCAL, DEFAULT_IGW] });
  m.networkAcls.push({ id: 'acl-pub', vpcId: 'vpc-1', isDefault: true, ingress: opts.aclIn ?? ALLOW_ALL, egress: opts.aclOut ?? ALLOW_ALL });
  m.subnets.push({ id: 'subnet-pub', vpcId: 'vpc-1', cidr: '10.0.0.0/24', availabilityZone: 'us-east-1a', networkAclId: 'acl-pub' });
  m.securityGroups.push({
    id: 'sg-web',
    name: 'web',
    vpcId: 'vpc-1',
    ...ACCT,
    ingress: opts.ingress ?? [tcp('sgr-ssh', 22, 22)],
    egress: [{ id: 'sgr-out', protocol: '-1', fromPort: -1, toPort: -1, cidr: '0.0.0.0/0' }],
  });
  const pub = opts.publicIp === undefined ? '54.1.1.1' : opts.publicIp;
  m.interfaces.push({
    id: 'eni-web',
    ...ACCT,
    vpcId: 'vpc-1',
    subnetId: 'subnet-pub',
    privateIps: ['10.0.0.10'],
    publicIps: pub ? { '10.0.0.10': pub } : {},
    ipv6Addresses: [],
    groupIds: ['sg-web'],
    sourceDestCheck: true,
    type: 'interface',
    attached: true,
    instanceId: 'i-web',
  });
  m.instances.push({ id: 'i-web', ...ACCT, state: opts.state ?? 'running', vpcId: 'vpc-1', subnetId: 'subnet-pub', interfaceIds: ['eni-web'] });
  return m;
}

function web(opts: Parameters<typeof webServer>[0]): Exposure {
  return ExposureIndex.fromModel(webServer(opts)).get('eni-web');
}

describe('internet exposure: known answers', () => {
  it('security group 22 only → tcp 22, nothing else', () => {
    const e = web({});
    assert.equal(e.tcp.toString(), '22');
    assert.ok(e.udp.isEmpty);
    assert.equal(e.icmp, false);
    assert.deepEqual(e.publicIps, ['54.1.1.1']);
    const all = internetExposure(compile(webServer({})));
    assert.deepEqual([...all.keys()], ['eni-web']);
  });

  it('no public IP → nothing', () => {
    const e = web({ publicIp: null });
    assert.ok(!isExposed(e));
    assert.equal(internetExposure(compile(webServer({ publicIp: null }))).size, 0);
  });

  it('no route to the internet gateway → nothing', () => {
    assert.ok(!isExposed(web({ routes: [LOCAL] })));
    // A blackhole default route neither.
    assert.ok(!isExposed(web({ routes: [LOCAL, { ...DEFAULT_IGW, state: 'blackhole' }] })));
    // A covering route other than 0.0.0.0/0 does.
    assert.equal(web({ routes: [LOCAL, { ...DEFAULT_IGW, destination: '128.0.0.0/1' }, { ...DEFAULT_IGW, destination: '0.0.0.0/1' }] }).tcp.toString(), '22');
  });

  it('no internet gateway attached → nothing; instance stopped → nothing', () => {
    assert.ok(!isExposed(web({ igwAttached: false })));
    assert.ok(!isExposed(web({ state: 'stopped' })));
  });

  it('network ACL refusing the reply to ephemeral ports → nothing', () => {
    const e = web({ aclOut: [{ ruleNumber: 10, action: 'deny', protocol: '6', cidr: '0.0.0.0/0', fromPort: 1024, toPort: 65535 }, ...ALLOW_ALL] });
    assert.ok(!isExposed(e));
    // Allowing only 1024-65535 out (the usual ephemeral rule) is enough.
    const ok = web({
      aclOut: [{ ruleNumber: 10, action: 'allow', protocol: '6', cidr: '0.0.0.0/0', fromPort: 1024, toPort: 65535 }, ALLOW_ALL[1]!],
      ingress: [tcp('sgr-ssh', 22, 22), { id: 'sgr-dns', protocol: 'udp', fromPort: 53, toPort: 53, cidr: '0.0.0.0/0' }],
    });
    assert.equal(ok.tcp.toString(), '22');
    assert.ok(ok.udp.isEmpty); // the UDP reply has no rule out
  });

  it('ACL order: deny 8050 below allow-all, security group 443 and 8000-8100', () => {
    const e = web({
      ingress: [tcp('sgr-443', 443, 443), tcp('sgr-8000', 8000, 8100)],
      aclIn: [{ ruleNumber: 90, action: 'deny', protocol: '6', cidr: '0.0.0.0/0', fromPort: 8050, toPort: 8050 }, ...ALLOW_ALL],
    });
    assert.equal(e.tcp.toString(), '443,8000-8049,8051-8100');
    // An allow below a deny of the same ports wins: first match.
    const f = web({
      ingress: [tcp('sgr-all', 0, 65535)],
      aclIn: [
        { ruleNumber: 10, action: 'allow', protocol: '6', cidr: '0.0.0.0/0', fromPort: 80, toPort: 80 },
        { ruleNumber: 20, action: 'deny', protocol: '6', cidr: '0.0.0.0/0', fromPort: 0, toPort: 1023 },
        ...ALLOW_ALL,
      ],
    });
    assert.equal(f.tcp.toString(), '80,1024-65535');
    assert.equal(f.udp.toString(), '');
  });

  it('rules for a block: only for clients in it; ICMP echo; all traffic', () => {
    const ingress = [tcp('sgr-office', 22, 22, '203.0.113.0/24'), { id: 'sgr-ping', protocol: 'icmp', fromPort: 8, toPort: -1, cidr: '0.0.0.0/0' }];
    const atLarge = ExposureIndex.fromModel(webServer({ ingress }));
    assert.notEqual(atLarge.client, parseIpv4('203.0.113.5'));
    assert.ok(atLarge.get('eni-web').tcp.isEmpty);
    assert.equal(atLarge.get('eni-web').icmp, true);
    const office = ExposureIndex.fromModel(webServer({ ingress }), { client: '203.0.113.5' });
    assert.equal(office.get('eni-web').tcp.toString(), '22');
    const open = web({ ingress: [{ id: 'sgr-any', protocol: '-1', fromPort: -1, toPort: -1, cidr: '0.0.0.0/0' }] });
    assert.equal(open.tcp.toString(), '0-65535');
    assert.equal(open.udp.toString(), '0-65535');
    assert.equal(open.icmp, true);
  });

  it('the client at large is named by no rule; DEFAULT_INTERNET_IP when possible', () => {
    assert.equal(formatIpv4(internetClient(compile(webServer({})))), '198.51.100.10');
    const named = compile(webServer({ ingress: [tcp('sgr-x', 1, 1, '198.51.100.0/24')] }));
    const c = internetClient(named);
    assert.notEqual(formatIpv4(c), '198.51.100.10');
    assert.ok(![...named.securityGroups.values()].some((g) => g.ingress.some((r) => r.blocks.some((b) => b.prefix > 0 && ((c & b.mask) >>> 0) === b.base))));
  });

  it('an edge route through a firewall appliance is answered by the symbolic walk', () => {
    const m = webServer({ ingress: [tcp('sgr-web', 80, 80), tcp('sgr-ssh', 22, 22)] });
    m.subnets.push({ id: 'subnet-fw', vpcId: 'vpc-1', cidr: '10.0.9.0/24', availabilityZone: 'us-east-1a', networkAclId: 'acl-pub' });
    m.securityGroups.push({ id: 'sg-fw', name: 'fw', vpcId: 'vpc-1', ...ACCT, ingress: [tcp('sgr-fw', 80, 80)], egress: [{ id: 'sgr-fw-out', protocol: '-1', fromPort: -1, toPort: -1, cidr: '0.0.0.0/0' }] });
    m.interfaces.push({ id: 'eni-fw', ...ACCT, vpcId: 'vpc-1', subnetId: 'subnet-fw', privateIps: ['10.0.9.5'], publicIps: {}, ipv6Addresses: [], groupIds: ['sg-fw'], sourceDestCheck: false, type: 'interface', attached: true });
    m.routeTables.push({ id: 'rtb-edge', vpcId: 'vpc-1', main: false, gatewayIds: ['igw-1'], routes: [LOCAL, { destination: '10.0.0.0/24', target: { kind: 'eni', id: 'eni-fw' }, state: 'active' }] });
    const index = ExposureIndex.fromModel(m);
    // The firewall only passes 80.
    assert.equal(index.get('eni-web').tcp.toString(), '80');
    checkAgainstTraces(index, [22, 80, 81], 'edge');
  });

  it('replies that leave another way: through a NAT gateway → nothing; through a firewall appliance → the ports', () => {
    const build = (via: 'nat' | 'eni') => {
      const m = webServer({ ingress: [tcp('sgr-web', 80, 80)], routes: [LOCAL, { destination: '0.0.0.0/0', target: { kind: via, id: via === 'nat' ? 'nat-1' : 'eni-fw' }, state: 'active' }] });
      m.routeTables.push({ id: 'rtb-edge-out', vpcId: 'vpc-1', main: false, gatewayIds: [], routes: [LOCAL, DEFAULT_IGW] });
      m.subnets.push({ id: 'subnet-out', vpcId: 'vpc-1', cidr: '10.0.9.0/24', availabilityZone: 'us-east-1a', networkAclId: 'acl-pub', routeTableId: 'rtb-edge-out' });
      m.securityGroups.push({ id: 'sg-fw', name: 'fw', vpcId: 'vpc-1', ...ACCT, ingress: [{ id: 'sgr-fw', protocol: '-1', fromPort: -1, toPort: -1, cidr: '0.0.0.0/0' }], egress: [{ id: 'sgr-fw-out', protocol: '-1', fromPort: -1, toPort: -1, cidr: '0.0.0.0/0' }] });
      const base = { ...ACCT, vpcId: 'vpc-1', subnetId: 'subnet-out', ipv6Addresses: [], attached: true };
      if (via === 'nat') {
        m.interfaces.push({ ...base, id: 'eni-nat', privateIps: ['10.0.9.5'], publicIps: { '10.0.9.5': '54.9.9.9' }, groupIds: [], sourceDestCheck: false, type: 'nat_gateway', natGatewayId: 'nat-1' });
        m.natGateways.push({ id: 'nat-1', vpcId: 'vpc-1', subnetId: 'subnet-out', connectivity: 'public', state: 'available', interfaceId: 'eni-nat', privateIp: '10.0.9.5', publicIp: '54.9.9.9' });
      } else {
        m.interfaces.push({ ...base, id: 'eni-fw', privateIps: ['10.0.9.5'], publicIps: {}, groupIds: ['sg-fw'], sourceDestCheck: false, type: 'interface' });
      }
      return ExposureIndex.fromModel(m);
    };
    const nat = build('nat');
    assert.ok(!isExposed(nat.get('eni-web')));
    checkAgainstTraces(nat, [80], 'nat');
    const fw = build('eni');
    assert.equal(fw.get('eni-web').tcp.toString(), '80');
    checkAgainstTraces(fw, [80, 81], 'firewall');
    // The verdict of the way out is kept per subnet, and forgotten when a table it used changes.
    const changed = fw.updateRoutes('rtb-edge-out', [LOCAL]);
    assert.ok(!isExposed(changed.get('eni-web')!));
    checkAgainstTraces(fw, [80], 'firewall without its route');
  });

  it('exposureJson: the exposed interfaces with their ports', () => {
    const index = ExposureIndex.fromModel(webServer({ ingress: [tcp('sgr-443', 443, 443), tcp('sgr-8000', 8000, 8100)] }));
    assert.deepEqual(exposureJson(index), {
      client: { address: '198.51.100.10', sourcePort: 49152 },
      interfaces: [
        {
          networkInterfaceId: 'eni-web',
          instanceId: 'i-web',
          vpcId: 'vpc-1',
          subnetId: 'subnet-pub',
          publicIps: ['54.1.1.1'],
          tcp: [
            { from: 443, to: 443 },
            { from: 8000, to: 8100 },
          ],
          udp: [],
          icmp: false,
        },
      ],
    });
  });

  it('updates: a security group rule, ACL entries and routes change the answer', () => {
    const index = ExposureIndex.fromModel(webServer({}));
    let changed = index.updateSecurityGroupRules('sg-web', [tcp('sgr-ssh', 22, 22), tcp('sgr-http', 80, 80)]);
    assert.deepEqual([...changed.keys()], ['eni-web']);
    assert.equal(changed.get('eni-web')!.tcp.toString(), '22,80');
    changed = index.updateAclEntries('acl-pub', [{ ruleNumber: 5, action: 'deny', protocol: '6', cidr: '0.0.0.0/0', fromPort: 22, toPort: 22 }, ...ALLOW_ALL]);
    assert.equal(changed.get('eni-web')!.tcp.toString(), '80');
    assert.equal(index.get('eni-web').tcp.toString(), '80');
    changed = index.updateRoutes('rtb-main', [LOCAL]);
    assert.ok(!isExposed(changed.get('eni-web')!));
    assert.equal(index.exposed().size, 0);
    // The index's compiled network follows: a concrete trace sees the change.
    assert.equal(trace(index.net, { source: 'internet:198.51.100.10', destination: '54.1.1.1', protocol: 'tcp', destinationPort: 80 }).verdict, 'dropped');
    index.updateRoutes('rtb-main', [LOCAL, DEFAULT_IGW]);
    assert.equal(trace(index.net, { source: 'internet:198.51.100.10', destination: '54.1.1.1', protocol: 'tcp', destinationPort: 80 }).verdict, 'accepted');
    assert.equal(index.get('eni-web').tcp.toString(), '80');
    assert.throws(() => index.updateSecurityGroupRules('sg-nope', []), /sg-nope/);
  });
});

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

const BASE_SEED = Number(process.env.ENGINE_PROPERTY_SEED ?? 1);
const NETWORKS = Number(process.env.ENGINE_PROPERTY_NETWORKS ?? 200);

function req(client: number, pub: string, protocol: string, port: number): TraceRequest {
  return protocol === 'icmp'
    ? { source: `internet:${formatIpv4(client)}`, destination: pub, protocol, icmpType: 8 }
    : { source: `internet:${formatIpv4(client)}`, destination: pub, protocol, destinationPort: port };
}

let traceChecks = 0;
let acceptedChecks = 0;

/** Every interface with a public address: the exposure says exactly which traces from the client are accepted. */
function checkAgainstTraces(index: ExposureIndex, extraPorts: number[], what: string, r?: Rng): void {
  const net: CompiledNetwork = index.net;
  for (const iface of net.interfaces.values()) {
    const pubs = iface.publicIps.filter((p) => p !== 0).map(formatIpv4);
    if (pubs.length === 0) continue;
    const e = index.get(iface.id);
    for (const p of e.publicIps) assert.ok(pubs.includes(p), `${what}: ${iface.id} lists ${p}`);
    for (const protocol of ['tcp', 'udp'] as const) {
      const set = e[protocol];
      const ports = new Set(extraPorts);
      for (const [a, b] of set.ranges()) for (const x of [a - 1, a, b, b + 1]) if (x >= 0 && x <= 65535) ports.add(x);
      if (r) for (let k = 0; k < 6; k++) ports.add(r.int(0, 65535));
      for (const port of ports) {
        const verdicts = pubs.map((pub) => trace(net, req(index.client, pub, protocol, port)).verdict);
        const accepted = verdicts.includes('accepted');
        assert.equal(set.has(port), accepted, `${what}: ${iface.id} ${protocol} ${port} from ${formatIpv4(index.client)}: exposure ${set.has(port)}, traces ${verdicts.join()}`);
        traceChecks++;
        if (accepted) acceptedChecks++;
      }
    }
    const pings = pubs.map((pub) => trace(net, req(index.client, pub, 'icmp', 0)).verdict);
    assert.equal(e.icmp, pings.includes('accepted'), `${what}: ${iface.id} icmp: exposure ${e.icmp}, traces ${pings.join()}`);
    if (isExposed(e)) assert.ok(e.publicIps.length > 0);
  }
}

function modelPorts(m: NetworkModel): number[] {
  const ports = new Set<number>([0, 22, 443, 49151, 49152, 49153, 65535]);
  const add = (a?: number, b?: number) => {
    for (const x of [a, b]) if (x !== undefined && x >= 0) for (const y of [x - 1, x, x + 1]) if (y >= 0 && y <= 65535) ports.add(y);
  };
  for (const g of m.securityGroups) for (const r of [...g.ingress, ...g.egress]) add(r.fromPort, r.toPort);
  for (const a of m.networkAcls) for (const e of [...a.ingress, ...a.egress]) add(e.fromPort, e.toPort);
  return [...ports];
}

function clientFor(r: Rng): string | undefined {
  return r.pick([undefined, undefined, '198.51.100.10', '203.0.113.9', '93.184.216.34', '54.0.0.1', `${r.int(1, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`]);
}

describe('internet exposure: properties', () => {
  it(`agrees with traces from the internet on ${NETWORKS} random networks (seeds ${BASE_SEED}…)`, () => {
    traceChecks = 0;
    acceptedChecks = 0;
    let exposedIfaces = 0;
    for (let seed = BASE_SEED; seed < BASE_SEED + NETWORKS; seed++) {
      try {
        const { model } = randomNetwork(seed, { internet: seed % 2 === 0 });
        const r = new Rng(seed * 31 + 7);
        const index = new ExposureIndex(compile(structuredClone(model)), { client: clientFor(r) });
        checkAgainstTraces(index, modelPorts(model).filter(() => r.chance(0.15)), `seed ${seed}`, r);
        exposedIfaces += index.exposed().size;
        assert.deepEqual([...internetExposure(index.net, { client: index.client }).keys()].sort(), [...index.exposed().keys()].sort());
      } catch (e) {
        (e as Error).message = `seed ${seed} (replay: ENGINE_PROPERTY_SEED=${seed} ENGINE_PROPERTY_NETWORKS=1): ${(e as Error).message}`;
        throw e;
      }
    }
    console.log(`exposure property: ${NETWORKS} networks, ${exposedIfaces} exposed interfaces, ${traceChecks} port checks (${acceptedChecks} accepted)`);
    assert.ok(exposedIfaces > NETWORKS / 4, `${exposedIfaces} exposed interfaces`);
    assert.ok(acceptedChecks > traceChecks / 20, `${acceptedChecks} of ${traceChecks} accepted`);
  });

  it(`incremental answers equal from-scratch ones after random changes (${Math.ceil(NETWORKS / 2)} networks)`, () => {
    let updates = 0;
    let changedAnswers = 0;
    for (let seed = BASE_SEED; seed < BASE_SEED + Math.ceil(NETWORKS / 2); seed++) {
      try {
        const { model } = randomNetwork(seed, { internet: seed % 2 === 0 });
        const r = new Rng(seed * 131 + 3);
        const index = ExposureIndex.fromModel(structuredClone(model), { client: clientFor(r) });
        const vpcs = model.vpcs.length;
        for (let step = 0; step < 12; step++) {
          const before = new Map([...index.all()].map(([id, e]) => [id, e]));
          let answered: Map<string, Exposure>;
          const kind = r.int(0, 2);
          if (kind === 0) {
            const g = r.pick(model.securityGroups);
            const groups = model.securityGroups.filter((x) => x.vpcId === g.vpcId).map((x) => x.id);
            g.ingress = randomSgRules(r, vpcs, groups, r.int(0, 6), r.chance(0.5));
            answered = index.updateSecurityGroupRules(g.id, structuredClone(g.ingress));
          } else if (kind === 1) {
            const a = r.pick(model.networkAcls);
            const which = r.int(0, 2);
            if (which !== 1) a.ingress = randomAclEntries(r, vpcs);
            if (which !== 0) a.egress = randomAclEntries(r, vpcs);
            answered = index.updateAclEntries(a.id, which !== 1 ? structuredClone(a.ingress) : undefined, which !== 0 ? structuredClone(a.egress) : undefined);
          } else {
            const t = r.pick(model.routeTables);
            const v = Number(t.vpcId.slice(4));
            const vpc = model.vpcs.find((x) => x.id === t.vpcId)!;
            t.routes = randomRoutes(r, {
              vpc: v,
              vpcs,
              cidr: vpc.cidrs[0]!,
              igw: `igw-${v}`,
              nat: model.natGateways.find((n) => n.vpcId === t.vpcId)?.id,
              enis: model.interfaces.filter((i) => i.vpcId === t.vpcId && i.type === 'interface').map((i) => i.id),
              peerings: model.peeringConnections
                .filter((p) => p.requester.vpcId === t.vpcId || p.accepter.vpcId === t.vpcId)
                .map((p) => ({ id: p.id, peer: Number((p.requester.vpcId === t.vpcId ? p.accepter : p.requester).vpcId.slice(4)) })),
              internet: r.chance(0.5),
            });
            answered = index.updateRoutes(t.id, structuredClone(t.routes));
          }
          updates++;
          const fresh = new ExposureIndex(compile(structuredClone(model)), { client: index.client });
          assert.equal(fresh.all().size, index.all().size);
          for (const [id, e] of fresh.all()) {
            const got = index.get(id);
            assert.ok(sameExposure(got, e), `step ${step}: ${id}: incremental tcp ${got.tcp} udp ${got.udp} icmp ${got.icmp} ${got.publicIps}; from scratch tcp ${e.tcp} udp ${e.udp} icmp ${e.icmp} ${e.publicIps}`);
            const was = before.get(id)!;
            if (!sameExposure(was, e)) {
              changedAnswers++;
              assert.ok(answered.has(id), `step ${step}: ${id} changed but was not answered`);
            }
          }
        }
        // The index's compiled network is the updated network: concrete traces agree with the answers.
        checkAgainstTraces(index, [22, 80, 443], `seed ${seed} after updates`, r);
      } catch (e) {
        (e as Error).message = `seed ${seed} (replay: ENGINE_PROPERTY_SEED=${seed} ENGINE_PROPERTY_NETWORKS=2): ${(e as Error).message}`;
        throw e;
      }
    }
    console.log(`exposure incremental property: ${updates} updates, ${changedAnswers} changed answers`);
    assert.ok(changedAnswers > updates / 10, `${changedAnswers} changed answers in ${updates} updates`);
  });
});
