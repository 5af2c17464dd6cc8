/**
 * The network engine on hand-built models: longest-prefix match, ACL and security group
 * evaluation, and the packet walk's decisions one by one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAddr, formatIpv4, parseIpv4 } from '../src/network/cidr.js';
import { CAcl, CRouteTable } from '../src/network/compile.js';
import type { RouteModel, SecurityGroupRuleModel } from '../src/network/model.js';
import { ALL_OUT, ALLOW_ALL, Builder, route } from './network-builder.js';
import { noAssumptions, trace, type TraceRequest, type TraceResult, traceJson, TraceInputError } from '../src/network/trace.js';

const OPEN_IN: SecurityGroupRuleModel[] = [{ id: 'sgr-in', protocol: '-1', fromPort: -1, toPort: -1, cidr: '0.0.0.0/0' }];

/** One VPC 10.0.0.0/16 with subnets a (10.0.1.0/24) and b (10.0.2.0/24), two open instances. */
function twoSubnets(): Builder {
  return new Builder()
    .vpc('vpc-a', '10.0.0.0/16')
    .subnet('subnet-a', 'vpc-a', '10.0.1.0/24')
    .subnet('subnet-b', 'vpc-a', '10.0.2.0/24')
    .sg('sg-open', 'vpc-a', OPEN_IN)
    .eni('eni-1', 'subnet-a', '10.0.1.10', { instance: 'i-1' })
    .eni('eni-2', 'subnet-b', '10.0.2.20', { instance: 'i-2' })
    .eni('eni-3', 'subnet-a', '10.0.1.30', { instance: 'i-3' });
}

function codes(t: TraceResult): string[] {
  return t.explanations.map((e) => e.code);
}

function components(t: TraceResult, reverse = false): string[] {
  return (reverse ? t.reverse!.hops : t.forward.hops).map((h) => `${h.type}:${h.id}:${h.action}`);
}

function tcp(source: string, destination: string, port: number, extra: Partial<TraceRequest> = {}): TraceRequest {
  return { source, destination, protocol: 'tcp', destinationPort: port, ...extra };
}

// ---------------------------------------------------------------------------------------

describe('engine: addresses', () => {
  it('prints IPv4 addresses as dotted quads that parse back to the same number', () => {
    for (const a of ['0.0.0.0', '255.255.255.255', '10.0.1.17', '100.64.9.100', '1.2.3.4', '192.168.100.10', '9.99.100.255']) assert.equal(formatIpv4(parseIpv4(a)!), a);
    let x = 0x9e3779b9;
    for (let i = 0; i < 20_000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      assert.equal(parseIpv4(formatIpv4(x)), x);
    }
  });

  it('reads only dotted quads: four octets of one to three digits, no leading zero, at most 255', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '1..2.3', '.1.2.3', '1.2.3.', '256.1.1.1', '1.2.3.256', '01.2.3.4', '1.2.3.00', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.x', '1.2.3.1000', '::1', '1.2.3.-4']) {
      assert.equal(parseIpv4(bad), undefined, JSON.stringify(bad));
    }
    assert.equal(parseIpv4('0.0.0.0'), 0);
    assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
    assert.equal(parseIpv4('10.0.100.7'), 0x0a006407);
  });
});

describe('engine: longest prefix match', () => {
  it('picks the most specific route, local before static on equal length, prefix lists after static', () => {
    const rt = new CRouteTable({
      id: 'rtb-1',
      vpcId: 'vpc-a',
      main: true,
      gatewayIds: [],
      routes: [
        route('0.0.0.0/0', 'igw', 'igw-1'),
        route('10.0.0.0/16', 'local', 'local'),
        route('10.0.5.0/24', 'eni', 'eni-fw'),
        route('52.216.0.0/15', 'nat', 'nat-1'),
        { prefixListId: 'pl-s3', prefixListCidrs: ['52.216.0.0/15', '54.231.0.0/16'], target: { kind: 'vpce', id: 'vpce-1' }, state: 'active' },
      ],
    });
    const at = (s: string) => rt.lookup(parseIpv4(s)!)?.model.target.id;
    assert.equal(at('10.0.5.9'), 'eni-fw');
    assert.equal(at('10.0.4.9'), 'local');
    assert.equal(at('8.8.8.8'), 'igw-1');
    assert.equal(at('52.217.1.1'), 'nat-1', 'a static route beats a prefix-list route of equal length');
    assert.equal(at('54.231.9.9'), 'vpce-1');
  });

  it('answers the same through hash buckets as through a linear scan (random tables)', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed);
    for (let round = 0; round < 20; round++) {
      const routes: RouteModel[] = [];
      const count = 30 + (rnd() % 60);
      for (let i = 0; i < count; i++) {
        const prefix = 8 + (rnd() % 25);
        const base = (rnd() * 2) >>> 0;
        const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
        routes.push(route(`${formatIpv4((base & mask) >>> 0)}/${prefix}`, 'eni', `eni-${i}`));
      }
      const big = new CRouteTable({ id: 'rtb-big', vpcId: 'v', main: true, gatewayIds: [], routes });
      for (let k = 0; k < 500; k++) {
        const probe = k % 2 ? (rnd() * 2) >>> 0 : big.routes[k % big.routes.length]!.base + (rnd() % 7);
        const expected = big.routes.find((r) => ((probe & r.mask) >>> 0) === r.base);
        assert.equal(big.lookup(probe >>> 0), expected, `probe ${formatIpv4(probe >>> 0)}`);
      }
    }
  });
});

describe('engine: network ACL evaluation', () => {
  const acl = new CAcl({
    id: 'acl-1',
    vpcId: 'v',
    isDefault: false,
    ingress: [
      { ruleNumber: 200, action: 'allow', protocol: '6', cidr: '0.0.0.0/0', fromPort: 22, toPort: 22 },
      { ruleNumber: 100, action: 'deny', protocol: '6', cidr: '203.0.113.0/24', fromPort: 0, toPort: 65535 },
      { ruleNumber: 110, action: 'allow', protocol: '1', cidr: '0.0.0.0/0', icmpType: 8, icmpCode: -1 },
      { ruleNumber: 32767, action: 'deny', protocol: '-1', cidr: '0.0.0.0/0' },
    ],
    egress: [],
  });
  const ev = (src: string, proto: number, port: number, icmpType = 0) => acl.evaluate(false, parseIpv4(src)!, proto, port, icmpType, 0)?.model.ruleNumber;

  it('evaluates the lowest rule number first; the first match decides', () => {
    assert.equal(ev('203.0.113.5', 6, 22), 100, 'deny 100 comes before allow 200');
    assert.equal(ev('198.51.100.5', 6, 22), 200);
    assert.equal(ev('198.51.100.5', 6, 23), 32767);
    assert.equal(ev('198.51.100.5', 1, 0, 8), 110);
    assert.equal(ev('198.51.100.5', 1, 0, 0), 32767, 'only echo requests are allowed');
    assert.equal(ev('198.51.100.5', 17, 22), 32767, 'tcp rules do not cover udp');
    assert.equal(acl.evaluate(true, 1, 6, 22, 0, 0), undefined, 'no egress rule: nothing matches');
  });
});

describe('engine: trace inside a VPC', () => {
  it('accepts between two open instances, with hop-by-hop rules and the reply path', () => {
    const net = twoSubnets().build();
    const t = trace(net, tcp('i-1', 'i-2', 443));
    assert.equal(t.verdict, 'accepted');
    assert.deepEqual(components(t), [
      'instance:i-1:send',
      'network-interface:eni-1:send',
      'security-group:sg-open:allow',
      'network-acl:acl-vpc-a:allow',
      'route-table:rtb-main-vpc-a:route',
      'network-acl:acl-vpc-a:allow',
      'security-group:sg-open:allow',
      'network-interface:eni-2:receive',
      'instance:i-2:receive',
    ]);
    assert.equal(t.forward.hops[4]!.route!.model.target.kind, 'local');
    assert.equal(t.forward.hops[3]!.aclEntry!.model.ruleNumber, 100);
    assert.equal(t.forward.hops[2]!.sgRule!.model.id, 'sgr-out');
    assert.ok(t.reverse!.accepted);
    assert.equal(t.reverse!.first.src, parseIpv4('10.0.2.20'));
    assert.equal(t.reverse!.first.sport, 443);
    assert.equal(t.reverse!.first.dport, 49152);
    assert.ok(components(t, true).includes('security-group:sg-open:return-allowed'));
    const json = traceJson(t);
    assert.equal(json.verdict, 'accepted');
    assert.equal((json.hops as Array<{ detail: string }>)[3]!.detail, 'outbound from subnet-a: allowed by rule 100 (allow all traffic 0.0.0.0/0)');
  });

  it('looks past blockers it is told to assume away, without compiling again', () => {
    const b = twoSubnets();
    b.acl('acl-closed', 'vpc-a', [{ ruleNumber: 32767, action: 'deny', protocol: '-1', cidr: '0.0.0.0/0' }], [...ALLOW_ALL]);
    b.m.subnets.find((x) => x.id === 'subnet-b')!.networkAclId = 'acl-closed';
    b.m.securityGroups[0]!.ingress = [];
    b.m.instances.find((i) => i.id === 'i-2')!.state = 'stopped';
    const net = b.build();
    const assume = noAssumptions();
    assert.deepEqual(codes(trace(net, tcp('i-1', 'i-2', 443, { sourceIp: '10.0.1.10' }), assume)), ['SUBNET_ACL_RESTRICTION']);
    assume.acls.add('acl-closed:ingress');
    assert.deepEqual(codes(trace(net, tcp('i-1', 'i-2', 443), assume)), ['BAD_STATE']);
    assume.running.add('i-2');
    const sg = trace(net, tcp('i-1', 'i-2', 443), assume);
    assert.deepEqual(codes(sg), ['ENI_SG_RULES_MISMATCH']);
    assert.equal(sg.explanations[0]!.component.id, 'eni-2');
    assume.groups.add('eni-2:ingress');
    const t = trace(net, tcp('i-1', 'i-2', 443), assume);
    assert.equal(t.verdict, 'accepted', JSON.stringify(traceJson(t).explanations));
    assert.ok(t.forward.hops.some((h) => h.type === 'network-acl' && h.note?.startsWith('assumed')));
    // The network itself is untouched: without the assumptions the first blocker is back.
    assert.deepEqual(codes(trace(net, tcp('i-1', 'i-2', 443))), ['SUBNET_ACL_RESTRICTION']);
  });

  it('does not check ACLs between two interfaces of the same subnet', () => {
    const b = twoSubnets().acl('acl-deny', 'vpc-a', [{ ruleNumber: 32767, action: 'deny', protocol: '-1', cidr: '0.0.0.0/0' }], [
      { ruleNumber: 32767, action: 'deny', protocol: '-1', cidr: '0.0.0.0/0' },
    ]);
    b.m.subnets.find((s) => s.id === 'subnet-a')!.networkAclId = 'acl-deny';
    const net = b.build();
    assert.equal(trace(net, tcp('eni-1', 'eni-3', 22)).verdict, 'accepted');
    const across = trace(net, tcp('eni-1', 'eni-2', 22));
    assert.equal(across.verdict, 'dropped');
    assert.deepEqual(codes(across), ['SUBNET_ACL_RESTRICTION']);
    assert.equal(across.explanations[0]!.aclDirection, 'egress');
    assert.equal(across.explanations[0]!.aclEntry!.model.ruleNumber, 32767);
  });

  it('blocks with the security group of either side (ENI_SG_RULES_MISMATCH)', () => {
    const b = twoSubnets()
      .sg('sg-web', 'vpc-a', [{ id: 'sgr-https', protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '10.0.0.0/16' }])
      .sg('sg-mute', 'vpc-a', OPEN_IN, []);
    b.m.interfaces.find((i) => i.id === 'eni-2')!.groupIds = ['sg-web'];
    b.m.interfaces.find((i) => i.id === 'eni-3')!.groupIds = ['sg-mute'];
    const net = b.build();
    assert.equal(trace(net, tcp('eni-1', 'eni-2', 443)).verdict, 'accepted');
    const ssh = trace(net, tcp('eni-1', 'eni-2', 22));
    assert.deepEqual(codes(ssh), ['ENI_SG_RULES_MISMATCH']);
    assert.equal(ssh.explanations[0]!.component.id, 'eni-2');
    assert.equal(ssh.explanations[0]!.sgDirection, 'ingress');
    const out = trace(net, tcp('eni-3', 'eni-1', 443));
    assert.deepEqual(codes(out), ['ENI_SG_RULES_MISMATCH']);
    assert.equal(out.explanations[0]!.component.id, 'eni-3');
    assert.equal(out.explanations[0]!.sgDirection, 'egress');
  });

  it('matches rules that reference a group by its members’ private addresses, and prefix lists', () => {
    const b = twoSubnets()
      .sg('sg-app', 'vpc-a', OPEN_IN)
      .sg('sg-db', 'vpc-a', [
        { id: 'sgr-ref', protocol: 'tcp', fromPort: 5432, toPort: 5432, groupId: 'sg-app' },
        { id: 'sgr-pl', protocol: 'tcp', fromPort: 6379, toPort: 6379, prefixListId: 'pl-1', prefixListCidrs: ['10.0.1.30/32'] },
      ]);
    b.m.interfaces.find((i) => i.id === 'eni-1')!.groupIds = ['sg-app'];
    b.m.interfaces.find((i) => i.id === 'eni-2')!.groupIds = ['sg-db'];
    const net = b.build();
    const ok = trace(net, tcp('eni-1', 'eni-2', 5432));
    assert.equal(ok.verdict, 'accepted');
    assert.equal(ok.forward.hops.find((h) => h.sgRule?.model.id === 'sgr-ref')?.id, 'sg-db');
    assert.deepEqual(codes(trace(net, tcp('eni-3', 'eni-2', 5432))), ['ENI_SG_RULES_MISMATCH'], 'eni-3 is not in sg-app');
    assert.equal(trace(net, tcp('eni-3', 'eni-2', 6379)).verdict, 'accepted');
    assert.deepEqual(codes(trace(net, tcp('eni-1', 'eni-2', 6379))), ['ENI_SG_RULES_MISMATCH']);
  });

  it('lets replies through security groups but not through ACLs without ephemeral rules', () => {
    const b = twoSubnets().acl(
      'acl-web',
      'vpc-a',
      [
        { ruleNumber: 100, action: 'allow', protocol: '6', cidr: '0.0.0.0/0', fromPort: 443, toPort: 443 },
        { ruleNumber: 32767, action: 'deny', protocol: '-1', cidr: '0.0.0.0/0' },
      ],
      [
        { ruleNumber: 100, action: 'allow', protocol: '6', cidr: '0.0.0.0/0', fromPort: 443, toPort: 443 },
        { ruleNumber: 32767, action: 'deny', protocol: '-1', cidr: '0.0.0.0/0' },
      ],
    );
    b.m.subnets.find((s) => s.id === 'subnet-b')!.networkAclId = 'acl-web';
    let net = b.build();
    const t = trace(net, tcp('eni-1', 'eni-2', 443));
    assert.ok(t.forward.accepted, 'the request gets in');
    assert.equal(t.reverse!.accepted, false);
    assert.equal(t.verdict, 'dropped');
    assert.deepEqual(codes(t), ['SUBNET_ACL_RESTRICTION']);
    assert.equal(t.explanations[0]!.direction, 'return');
    assert.equal(t.explanations[0]!.aclDirection, 'egress');
    b.m.networkAcls.find((a) => a.id === 'acl-web')!.egress.unshift({ ruleNumber: 90, action: 'allow', protocol: '6', cidr: '0.0.0.0/0', fromPort: 32768, toPort: 65535 });
    net = b.build();
    assert.equal(trace(net, tcp('eni-1', 'eni-2', 443)).verdict, 'accepted');
    assert.equal(trace(net, tcp('eni-1', 'eni-2', 443, { sourcePort: 1025 })).verdict, 'dropped', 'a low client port is outside the ephemeral rule');
  });

  it('drops on blackhole routes and missing routes; stopped instances are a bad state', () => {
    const b = twoSubnets().routes('vpc-a', route('10.9.0.0/16', 'nat', 'nat-gone', 'blackhole'));
    b.m.instances.find((i) => i.id === 'i-2')!.state = 'stopped';
    const net = b.build();
    assert.deepEqual(codes(trace(net, tcp('eni-1', '10.9.1.1', 80))), ['BAD_STATE_ROUTE']);
    assert.deepEqual(codes(trace(net, tcp('eni-1', '172.16.0.1', 80))), ['NO_ROUTE_TO_DESTINATION']);
    const stopped = trace(net, tcp('eni-1', 'eni-2', 80));
    assert.deepEqual(codes(stopped), ['BAD_STATE']);
    assert.equal(stopped.explanations[0]!.component.id, 'i-2');
    assert.deepEqual(codes(trace(net, tcp('eni-1', '10.0.1.99', 80))), ['UNKNOWN_DESTINATION']);
  });

  it('handles ICMP echo (request type 8, reply type 0) and ACL ICMP rules', () => {
    const b = twoSubnets().acl(
      'acl-icmp',
      'vpc-a',
      [
        { ruleNumber: 100, action: 'allow', protocol: '1', cidr: '0.0.0.0/0', icmpType: 8, icmpCode: -1 },
        { ruleNumber: 32767, action: 'deny', protocol: '-1', cidr: '0.0.0.0/0' },
      ],
      [
        { ruleNumber: 100, action: 'allow', protocol: '1', cidr: '0.0.0.0/0', icmpType: 0, icmpCode: -1 },
        { ruleNumber: 32767, action: 'deny', protocol: '-1', cidr: '0.0.0.0/0' },
      ],
    );
    b.m.subnets.find((s) => s.id === 'subnet-b')!.networkAclId = 'acl-icmp';
    const net = b.build();
    const t = trace(net, { source: 'eni-1', destination: 'eni-2', protocol: 'icmp' });
    assert.equal(t.verdict, 'accepted');
    assert.equal(t.reverse!.first.icmpType, 0);
    assert.equal(trace(net, { source: 'eni-1', destination: 'eni-2', protocol: 'icmp', icmpType: 13 }).verdict, 'dropped');
  });

  it('refuses requests that name nothing', () => {
    const net = twoSubnets().build();
    assert.throws(() => trace(net, tcp('eni-nope', 'eni-2', 1)), TraceInputError);
    assert.throws(() => trace(net, tcp('eni-1', 'eni-2', 70000)), TraceInputError);
    assert.throws(() => trace(net, { source: 'eni-1', destination: 'eni-2', protocol: 'tcp' }), /destination port/);
    assert.throws(() => trace(net, tcp('eni-1', '2600::1', 1)), /IPv6/);
    assert.throws(() => trace(net, tcp('eni-1', 'eni-2', 1, { sourceIp: '10.0.1.99' })), /not an address of eni-1/);
  });
});

describe('engine: internet gateway and NAT', () => {
  function internet(): Builder {
    return twoSubnets()
      .igw('igw-1', 'vpc-a')
      .table('rtb-public', 'vpc-a', route('0.0.0.0/0', 'igw', 'igw-1'))
      .table('rtb-private', 'vpc-a', route('0.0.0.0/0', 'nat', 'nat-1'))
      .subnet('subnet-pub', 'vpc-a', '10.0.0.0/24', { rt: 'rtb-public' })
      .subnet('subnet-priv', 'vpc-a', '10.0.9.0/24', { rt: 'rtb-private' })
      .nat('nat-1', 'subnet-pub', '10.0.0.5', '3.3.3.3')
      .eni('eni-web', 'subnet-pub', '10.0.0.10', { instance: 'i-web', publicIp: '3.3.3.10' })
      .eni('eni-bare', 'subnet-pub', '10.0.0.11', { instance: 'i-bare' })
      .eni('eni-app', 'subnet-priv', '10.0.9.10', { instance: 'i-app' });
  }

  it('translates an instance’s private address 1:1 at the internet gateway, both ways', () => {
    const net = internet().build();
    const out = trace(net, tcp('i-web', '93.184.216.34', 443));
    assert.equal(out.verdict, 'accepted');
    const igwHop = out.forward.hops.find((h) => h.type === 'internet-gateway')!;
    assert.equal(formatAddr(igwHop.inbound!.src), '10.0.0.10');
    assert.equal(formatAddr(igwHop.outbound!.src), '3.3.3.10');
    assert.equal(out.forward.end!.kind, 'internet');
    const inbound = trace(net, tcp('internet:198.51.100.7', 'i-web', 22));
    assert.equal(inbound.verdict, 'accepted');
    assert.equal(formatAddr(inbound.forward.first.dst), '3.3.3.10', 'the internet reaches the public address');
    assert.equal(formatAddr(inbound.forward.last.dst), '10.0.0.10');
    assert.equal(formatAddr(inbound.reverse!.last.src), '3.3.3.10', 'the reply leaves from the public address');
  });

  it('needs a public address to go out and to be reached', () => {
    const net = internet().build();
    assert.deepEqual(codes(trace(net, tcp('i-bare', '93.184.216.34', 443))), ['IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS']);
    const inbound = trace(net, tcp('igw-1', 'i-bare', 22));
    assert.deepEqual(codes(inbound), ['IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS']);
    assert.equal(inbound.explanations[0]!.component.id, 'igw-1');
  });

  it('sends private instances out through the NAT gateway and brings the replies back', () => {
    const net = internet().build();
    const t = trace(net, tcp('i-app', '93.184.216.34', 443));
    assert.equal(t.verdict, 'accepted', JSON.stringify(traceJson(t).explanations));
    const nat = t.forward.hops.find((h) => h.type === 'nat-gateway')!;
    assert.equal(formatAddr(nat.outbound!.src), '10.0.0.5');
    const igw = t.forward.hops.find((h) => h.type === 'internet-gateway')!;
    assert.equal(formatAddr(igw.outbound!.src), '3.3.3.3');
    assert.deepEqual(
      t.reverse!.hops.filter((h) => h.action === 'translate').map((h) => `${h.type}:${formatAddr(h.outbound!.dst)}`),
      ['internet-gateway:10.0.0.5', 'nat-gateway:10.0.9.10'],
    );
    assert.equal(t.reverse!.end?.kind, 'interface');
  });

  it('never lets the internet in through the NAT gateway', () => {
    const net = internet().build();
    const t = trace(net, tcp('internet:198.51.100.7', '3.3.3.3', 443));
    assert.equal(t.verdict, 'dropped');
    assert.deepEqual(codes(t), ['NO_POSSIBLE_DESTINATION']);
    assert.equal(t.explanations[0]!.component.id, 'nat-1');
    assert.deepEqual(codes(trace(net, tcp('internet:198.51.100.7', 'i-app', 443))), ['IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS']);
  });

  it('drops the reply of an inbound connection that returns through the NAT gateway', () => {
    const b = internet()
      .table('rtb-web', 'vpc-a', route('0.0.0.0/0', 'nat', 'nat-1'))
      .subnet('subnet-web', 'vpc-a', '10.0.7.0/24', { rt: 'rtb-web' })
      .eni('eni-web2', 'subnet-web', '10.0.7.10', { instance: 'i-web2', publicIp: '3.3.3.70' });
    const t = trace(b.build(), tcp('internet:198.51.100.7', 'i-web2', 22));
    assert.ok(t.forward.accepted);
    assert.equal(t.verdict, 'dropped');
    assert.deepEqual(codes(t), ['NO_ROUTE_TO_DESTINATION']);
    assert.equal(t.explanations[0]!.direction, 'return');
    assert.match(t.explanations[0]!.note!, /from 3\.3\.3\.3, not from 3\.3\.3\.70/);
  });

  it('forwards through an appliance only with source/destination check off; a NAT instance translates', () => {
    const b = internet();
    b.eni('eni-nati', 'subnet-pub', '10.0.0.50', { instance: 'i-nati', publicIp: '3.3.3.50' });
    b.m.routeTables.find((t) => t.id === 'rtb-private')!.routes[1] = route('0.0.0.0/0', 'instance', 'i-nati');
    let net = b.build();
    assert.deepEqual(codes(trace(net, tcp('i-app', '93.184.216.34', 443))), ['ENI_SOURCE_DEST_CHECK_RESTRICTION']);
    b.m.interfaces.find((i) => i.id === 'eni-nati')!.sourceDestCheck = false;
    net = b.build();
    const t = trace(net, tcp('i-app', '93.184.216.34', 443));
    assert.equal(t.verdict, 'accepted', JSON.stringify(traceJson(t).explanations));
    assert.equal(formatAddr(t.forward.hops.find((h) => h.type === 'internet-gateway')!.outbound!.src), '3.3.3.50');
    assert.equal(t.reverse!.end?.kind, 'interface');
  });

  it('routes inbound internet traffic through the gateway’s own route table (edge association)', () => {
    const b = internet();
    b.eni('eni-fw', 'subnet-b', '10.0.2.99', { instance: 'i-fw' });
    b.table('rtb-edge', 'vpc-a', route('10.0.0.0/24', 'eni', 'eni-fw'));
    b.m.routeTables.find((t) => t.id === 'rtb-edge')!.gatewayIds.push('igw-1');
    let net = b.build();
    let t = trace(net, tcp('internet:198.51.100.7', 'i-web', 443));
    assert.deepEqual(codes(t), ['ENI_SOURCE_DEST_CHECK_RESTRICTION'], 'the firewall must not check source/destination');
    assert.ok(components(t).includes('route-table:rtb-edge:route'));
    b.m.interfaces.find((i) => i.id === 'eni-fw')!.sourceDestCheck = false;
    net = b.build();
    t = trace(net, tcp('internet:198.51.100.7', 'i-web', 443));
    assert.ok(t.forward.accepted, JSON.stringify(traceJson(t).explanations));
    assert.deepEqual(
      components(t).filter((c) => c.includes('forward')),
      ['instance:i-fw:forward', 'network-interface:eni-fw:forward'],
    );
    assert.equal(t.forward.end?.kind, 'interface');
  });

  it('delivers to interface endpoints through their security groups', () => {
    const b = internet().sg('sg-vpce', 'vpc-a', [{ id: 'sgr-vpce', protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '10.0.0.0/16' }]);
    b.eni('eni-vpce', 'subnet-b', '10.0.2.77', { groupIds: ['sg-vpce'], type: 'vpc_endpoint', vpcEndpointId: 'vpce-sqs' });
    const net = b.build();
    const t = trace(net, tcp('i-app', '10.0.2.77', 443));
    assert.equal(t.verdict, 'accepted');
    assert.deepEqual(components(t).slice(-2), ['network-interface:eni-vpce:receive', 'vpc-endpoint:vpce-sqs:accept']);
    assert.deepEqual(codes(trace(net, tcp('i-app', '10.0.2.77', 80))), ['ENI_SG_RULES_MISMATCH']);
  });

  it('gives up on routing loops', () => {
    const b = internet();
    b.eni('eni-fw1', 'subnet-a', '10.0.1.50', { sourceDestCheck: false });
    b.eni('eni-fw2', 'subnet-b', '10.0.2.50', { sourceDestCheck: false });
    b.table('rtb-loop-a', 'vpc-a', route('8.0.0.0/8', 'eni', 'eni-fw2'));
    b.table('rtb-loop-b', 'vpc-a', route('8.0.0.0/8', 'eni', 'eni-fw1'));
    b.m.subnets.find((s) => s.id === 'subnet-a')!.routeTableId = 'rtb-loop-a';
    b.m.subnets.find((s) => s.id === 'subnet-b')!.routeTableId = 'rtb-loop-b';
    const t = trace(b.build(), tcp('eni-1', '8.8.8.8', 53));
    assert.deepEqual(codes(t), ['NO_PATH']);
  });
});

describe('engine: peering', () => {
  function chain(): Builder {
    return new Builder()
      .vpc('vpc-a', '10.1.0.0/16')
      .vpc('vpc-b', '10.2.0.0/16')
      .vpc('vpc-c', '10.3.0.0/16')
      .subnet('subnet-a', 'vpc-a', '10.1.1.0/24')
      .subnet('subnet-b', 'vpc-b', '10.2.1.0/24')
      .subnet('subnet-c', 'vpc-c', '10.3.1.0/24')
      .sg('sg-open', 'vpc-a', OPEN_IN)
      .eni('eni-a', 'subnet-a', '10.1.1.10')
      .eni('eni-b', 'subnet-b', '10.2.1.10')
      .eni('eni-c', 'subnet-c', '10.3.1.10')
      .peering('pcx-ab', 'vpc-a', 'vpc-b')
      .peering('pcx-bc', 'vpc-b', 'vpc-c')
      .routes('vpc-a', route('10.2.0.0/16', 'pcx', 'pcx-ab'), route('10.3.0.0/16', 'pcx', 'pcx-ab'))
      .routes('vpc-b', route('10.1.0.0/16', 'pcx', 'pcx-ab'), route('10.3.0.0/16', 'pcx', 'pcx-bc'))
      .routes('vpc-c', route('10.2.0.0/16', 'pcx', 'pcx-bc'), route('10.1.0.0/16', 'pcx', 'pcx-bc'));
  }

  it('carries traffic to the peer VPC and back', () => {
    const t = trace(chain().build(), tcp('eni-a', 'eni-b', 5432));
    assert.equal(t.verdict, 'accepted');
    assert.ok(components(t).includes('vpc-peering-connection:pcx-ab:forward'));
    assert.ok(components(t, true).includes('vpc-peering-connection:pcx-ab:forward'));
  });

  it('traces traffic arriving through a peering connection, and its reply leaving through it', () => {
    const t = trace(chain().build(), tcp('pcx-ab', 'eni-b', 5432));
    assert.equal(t.verdict, 'accepted', JSON.stringify(traceJson(t).explanations));
    assert.equal(t.source.kind, 'peering');
    assert.equal(formatAddr(t.forward.first.src), '10.1.0.10', 'from the far side’s block');
    assert.equal(t.reverse!.end!.kind, 'peering');
    // Not transitive from the connection either: pcx-ab does not lead into vpc-c.
    assert.throws(() => trace(chain().build(), tcp('pcx-ab', 'eni-c', 5432)), TraceInputError);
    // A source address outside the far VPC cannot come through the connection.
    assert.throws(() => trace(chain().build(), tcp('pcx-ab', 'eni-b', 5432, { sourceIp: '10.3.0.5' })), TraceInputError);
    // The ACL on the way in still decides.
    const b = chain();
    b.acl('acl-closed', 'vpc-b', [{ ruleNumber: 32767, action: 'deny', protocol: '-1', cidr: '0.0.0.0/0' }], [...ALLOW_ALL]);
    b.m.subnets.find((x) => x.id === 'subnet-b')!.networkAclId = 'acl-closed';
    assert.deepEqual(codes(trace(b.build(), tcp('pcx-ab', 'eni-b', 5432))), ['SUBNET_ACL_RESTRICTION']);
  });

  it('is not transitive', () => {
    const t = trace(chain().build(), tcp('eni-a', 'eni-c', 5432));
    assert.deepEqual(codes(t), ['PCX_REQUIRES_ADDRESS_IN_VPC_CIDR']);
    assert.equal(t.explanations[0]!.component.id, 'pcx-ab');
  });

  it('needs the peer’s route back and an active connection', () => {
    const b = chain();
    b.m.routeTables.find((t) => t.id === 'rtb-main-vpc-b')!.routes.splice(1, 1);
    const t = trace(b.build(), tcp('eni-a', 'eni-b', 5432));
    assert.ok(t.forward.accepted);
    assert.equal(t.verdict, 'dropped');
    assert.deepEqual(codes(t), ['NO_ROUTE_TO_DESTINATION']);
    assert.equal(t.explanations[0]!.direction, 'return');
    const c = chain();
    c.m.peeringConnections[0]!.status = 'deleted';
    c.m.routeTables.find((t) => t.id === 'rtb-main-vpc-a')!.routes[1]!.state = 'blackhole';
    assert.deepEqual(codes(trace(c.build(), tcp('eni-a', 'eni-b', 5432))), ['BAD_STATE_ROUTE']);
  });
});

describe('engine: endpoints and VPN', () => {
  function edge(): Builder {
    const b = twoSubnets();
    b.m.vpcEndpoints.push({
      id: 'vpce-s3',
      vpcId: 'vpc-a',
      type: 'Gateway',
      serviceName: 'com.amazonaws.us-east-1.s3',
      state: 'available',
      routeTableIds: ['rtb-main-vpc-a'],
      prefixListId: 'pl-s3',
      prefixListCidrs: ['52.216.0.0/15'],
      interfaceIds: [],
    });
    b.m.awsServices.push({ service: 's3', region: 'us-east-1', prefixListId: 'pl-s3', cidrs: ['52.216.0.0/15'] });
    b.routes('vpc-a', { prefixListId: 'pl-s3', prefixListCidrs: ['52.216.0.0/15'], target: { kind: 'vpce', id: 'vpce-s3' }, state: 'active' });
    b.m.vpnGateways.push({ id: 'vgw-1', account: '111111111111', region: 'us-east-1', vpcId: 'vpc-a', state: 'available' });
    b.m.vpnConnections.push({
      id: 'vpn-1',
      vpnGatewayId: 'vgw-1',
      customerGatewayId: 'cgw-1',
      state: 'available',
      staticRoutesOnly: true,
      tunnels: [
        { outsideIp: '18.0.0.1', status: 'UP' },
        { outsideIp: '18.0.0.2', status: 'UP' },
      ],
      onPremisesCidrs: ['192.168.0.0/16'],
    });
    b.routes('vpc-a', route('192.168.0.0/16', 'vgw', 'vgw-1'));
    return b;
  }

  it('reaches S3 through the gateway endpoint (tcp), not udp', () => {
    const net = edge().build();
    const t = trace(net, tcp('eni-1', '52.216.10.10', 443));
    assert.equal(t.verdict, 'accepted');
    assert.equal(t.forward.end?.kind, 'aws-service');
    assert.ok(components(t).includes('vpc-endpoint:vpce-s3:forward'));
    assert.deepEqual(codes(trace(net, { source: 'eni-1', destination: '52.216.10.10', protocol: 'udp', destinationPort: 53 })), [
      'VPCE_GATEWAY_PROTOCOL_RESTRICTION',
    ]);
  });

  it('reaches on-premises while one tunnel is up; both down is BAD_STATE_VPN', () => {
    const b = edge();
    let t = trace(b.build(), tcp('eni-1', '192.168.1.5', 22));
    assert.equal(t.verdict, 'accepted');
    assert.equal(t.forward.hops.find((h) => h.type === 'vpn-connection')!.note, 'tunnel 18.0.0.1 (UP)');
    b.m.vpnConnections[0]!.tunnels[0]!.status = 'DOWN';
    t = trace(b.build(), tcp('eni-1', '192.168.1.5', 22));
    assert.equal(t.verdict, 'accepted');
    assert.match(t.forward.hops.find((h) => h.type === 'vpn-connection')!.note!, /18\.0\.0\.2 \(UP\) carries the traffic; 18\.0\.0\.1 DOWN/);
    b.m.vpnConnections[0]!.tunnels[1]!.status = 'DOWN';
    t = trace(b.build(), tcp('eni-1', '192.168.1.5', 22));
    assert.deepEqual(codes(t), ['BAD_STATE_VPN']);
    assert.equal(t.explanations[0]!.component.id, 'vpn-1');
  });

  it('lets on-premises in through the gateway, but not out through the NAT gateway', () => {
    const b = edge();
    const net = b.build();
    const t = trace(net, tcp('onprem:192.168.1.5', 'eni-2', 22));
    assert.equal(t.verdict, 'accepted', JSON.stringify(traceJson(t).explanations));
    assert.equal(t.source.kind, 'on-premises');
    assert.equal(t.reverse!.end?.kind, 'on-premises');
    assert.equal(trace(net, tcp('192.168.1.5', 'eni-2', 22)).source.kind, 'on-premises', 'an on-premises address is recognised');
  });
});

describe('engine: IPv6', () => {
  /** A dual-stack VPC: a public subnet (IGW for ::/0) and a private one (egress-only IGW for ::/0). */
  function dual(opts: { eigwOnly?: boolean } = {}): Builder {
    const b = new Builder().vpc('vpc-1', '10.0.0.0/16');
    const vpc = b.m.vpcs[0]!;
    vpc.ipv6Cidrs.push('2600:1f18:aaaa:bb00::/56');
    b.m.routeTables[0]!.routes.push(route('2600:1f18:aaaa:bb00::/56', 'local', 'local'));
    b.m.networkAcls[0]!.ingress.push(
      { ruleNumber: 101, action: 'allow', protocol: '-1', ipv6Cidr: '::/0' },
      { ruleNumber: 32768, action: 'deny', protocol: '-1', ipv6Cidr: '::/0' },
    );
    b.m.networkAcls[0]!.egress.push(
      { ruleNumber: 101, action: 'allow', protocol: '-1', ipv6Cidr: '::/0' },
      { ruleNumber: 32768, action: 'deny', protocol: '-1', ipv6Cidr: '::/0' },
    );
    b.table('rtb-pub', 'vpc-1', route('0.0.0.0/0', 'igw', 'igw-1'), route('::/0', 'igw', 'igw-1'));
    b.table('rtb-priv', 'vpc-1', route('::/0', 'eigw', 'eigw-1'));
    b.m.routeTables.find((t) => t.id === 'rtb-pub')!.routes.push(route('2600:1f18:aaaa:bb00::/56', 'local', 'local'));
    b.m.routeTables.find((t) => t.id === 'rtb-priv')!.routes.push(route('2600:1f18:aaaa:bb00::/56', 'local', 'local'));
    b.subnet('subnet-pub', 'vpc-1', '10.0.0.0/24', { rt: opts.eigwOnly ? 'rtb-priv' : 'rtb-pub' });
    b.subnet('subnet-priv', 'vpc-1', '10.0.1.0/24', { rt: 'rtb-priv' });
    b.m.subnets[0]!.ipv6Cidr = '2600:1f18:aaaa:bb00::/64';
    b.m.subnets[1]!.ipv6Cidr = '2600:1f18:aaaa:bb01::/64';
    b.sg('sg-open', 'vpc-1', [
      { id: 'sgr-web6', protocol: 'tcp', fromPort: 443, toPort: 443, ipv6Cidr: '::/0' },
      { id: 'sgr-ssh4', protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '0.0.0.0/0' },
      { id: 'sgr-icmp6', protocol: 'icmpv6', fromPort: -1, toPort: -1, ipv6Cidr: '2600:1f18:aaaa:bb00::/56' },
    ], [ALL_OUT, { id: 'sgr-out6', protocol: '-1', fromPort: -1, toPort: -1, ipv6Cidr: '::/0' }]);
    b.eni('eni-web', 'subnet-pub', '10.0.0.10', { instance: 'i-web', ipv6Addresses: ['2600:1f18:aaaa:bb00::10'] });
    b.eni('eni-app', 'subnet-priv', '10.0.1.10', { instance: 'i-app', ipv6Addresses: ['2600:1f18:aaaa:bb01::10'] });
    b.eni('eni-v4only', 'subnet-priv', '10.0.1.20');
    b.igw('igw-1', 'vpc-1');
    b.m.egressOnlyInternetGateways.push({ id: 'eigw-1', vpcId: 'vpc-1' });
    return b;
  }

  it('routes IPv6 inside the VPC with the local route, security groups and ACL entries for IPv6', () => {
    const net = dual().build();
    const t = trace(net, { source: 'i-web', destination: 'i-app', protocol: 'icmp', ipVersion: 6 });
    assert.equal(t.verdict, 'accepted', JSON.stringify(traceJson(t).explanations));
    assert.equal(formatAddr(t.forward.first.src), '2600:1f18:aaaa:bb00::10');
    assert.equal(formatAddr(t.forward.first.dst), '2600:1f18:aaaa:bb01::10');
    assert.equal(t.forward.first.proto, 58, 'icmp over IPv6 is ICMPv6');
    assert.equal(t.reverse!.first.icmpType, 129, 'the echo reply');
    const sg = t.forward.hops.find((h) => h.type === 'security-group' && h.direction === 'ingress')!;
    assert.equal(sg.sgRule!.model.id, 'sgr-icmp6');
    const acl = t.forward.hops.find((h) => h.type === 'network-acl' && h.direction === 'ingress')!;
    assert.equal(acl.aclEntry!.model.ruleNumber, 101, 'the IPv6 entry, not the IPv4 one');
    // The IPv4 rule for 22 does not open IPv6.
    assert.deepEqual(codes(trace(net, tcp('i-web', 'i-app', 22, { ipVersion: 6 }))), ['ENI_SG_RULES_MISMATCH']);
    // An IPv6-only ACL deny applies to IPv6 and not to IPv4.
    const b = dual();
    b.m.networkAcls[0]!.ingress.unshift({ ruleNumber: 50, action: 'deny', protocol: '6', ipv6Cidr: '::/0', fromPort: 22, toPort: 22 });
    b.m.securityGroups[0]!.ingress.push({ id: 'sgr-ssh6', protocol: 'tcp', fromPort: 22, toPort: 22, ipv6Cidr: '::/0' });
    const n2 = b.build();
    assert.deepEqual(codes(trace(n2, tcp('i-web', 'i-app', 22, { ipVersion: 6 }))), ['SUBNET_ACL_RESTRICTION']);
    assert.equal(trace(n2, tcp('i-web', 'i-app', 22)).verdict, 'accepted');
  });

  it('carries IPv6 through the internet gateway both ways without translation', () => {
    const net = dual().build();
    const inbound = trace(net, tcp('igw-1', 'i-web', 443, { ipVersion: 6 }));
    assert.equal(inbound.verdict, 'accepted', JSON.stringify(traceJson(inbound).explanations));
    assert.equal(formatAddr(inbound.forward.first.src), '2001:db8:ffff::10');
    assert.equal(formatAddr(inbound.forward.last.dst), '2600:1f18:aaaa:bb00::10', 'no translation');
    assert.ok(!inbound.forward.hops.some((h) => h.action === 'translate'));
    const out = trace(net, tcp('i-web', '2606:4700::1111', 443));
    assert.equal(out.verdict, 'accepted');
    assert.equal(out.forward.end!.kind, 'internet');
    assert.equal(formatAddr(out.reverse!.last.dst), '2600:1f18:aaaa:bb00::10');
    // Only 443 is open to the internet over IPv6.
    assert.deepEqual(codes(trace(net, tcp('internet:2001:db8::7', 'i-web', 80, { ipVersion: 6 }))), ['ENI_SG_RULES_MISMATCH']);
  });

  it('lets an egress-only internet gateway carry connections out and their replies in, never inward connections', () => {
    const net = dual().build();
    const out = trace(net, tcp('i-app', '2606:4700::1111', 443));
    assert.equal(out.verdict, 'accepted', JSON.stringify(traceJson(out).explanations));
    assert.ok(out.forward.hops.some((h) => h.type === 'egress-only-internet-gateway' && h.id === 'eigw-1'));
    assert.ok(out.reverse!.hops.some((h) => h.type === 'egress-only-internet-gateway'), 'the reply comes back through it');
    // The app's address is reachable only through the egress-only gateway: the VPC's IGW does
    // carry it in (AWS routes inbound by destination), so take the IGW away to see the refusal.
    const b = dual({ eigwOnly: true });
    b.m.internetGateways = [];
    const n2 = b.build();
    const inbound = trace(n2, tcp('internet:2001:db8::7', 'i-app', 443));
    assert.deepEqual(codes(inbound), ['NO_ROUTE_TO_DESTINATION']);
    assert.equal(inbound.explanations[0]!.component.id, 'eigw-1');
  });

  it('refuses mixed families and interfaces without IPv6, and keeps NAT gateways IPv4-only', () => {
    const net = dual().build();
    assert.throws(() => trace(net, tcp('i-web', 'eni-v4only', 443, { ipVersion: 6 })), TraceInputError);
    assert.throws(() => trace(net, tcp('i-web', '2606:4700::1', 443, { sourceIp: '10.0.0.10' })), TraceInputError);
    assert.throws(() => trace(net, tcp('i-web', '2606:4700::1', 443, { ipVersion: 4 })), TraceInputError);
    assert.equal(traceJson(trace(net, tcp('i-web', 'i-app', 443, { ipVersion: 6 }))).packet && true, true);
    const json = traceJson(trace(net, tcp('i-web', 'i-app', 443, { ipVersion: 6 })));
    assert.equal((json.packet as { destinationAddress: string }).destinationAddress, '2600:1f18:aaaa:bb01::10');
  });
});
