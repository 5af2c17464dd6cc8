/**
 * Simulated traffic on hand-built networks: what every interface on a flow's path records
 * (decideFlows / observationsFor), as VPC Flow Logs documents it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compile, type CompiledNetwork } from '../src/network/compile.js';
import { type AclEntryModel, emptyModel, type InterfaceModel, type NetworkModel, type RouteModel, type SecurityGroupRuleModel } from '../src/network/model.js';
import { TraceInputError } from '../src/network/trace.js';
import { decideFlows, observationsFor } from '../src/traffic/simulate.js';
import type { FlowSpec, InterfaceObservation } from '../src/traffic/types.js';

const ACCOUNT = '111111111111';
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

const ALLOW_ALL: AclEntryModel[] = [
  { ruleNumber: 100, action: 'allow', protocol: '-1', cidr: '0.0.0.0/0' },
  { ruleNumber: 32767, action: 'deny', protocol: '-1', cidr: '0.0.0.0/0' },
];
const ALL_OUT: SecurityGroupRuleModel = { id: 'sgr-out', protocol: '-1', fromPort: -1, toPort: -1, cidr: '0.0.0.0/0' };

function route(destination: string, kind: RouteModel['target']['kind'], id: string): RouteModel {
  return { destination, target: { kind, id }, state: 'active', origin: kind === 'local' ? 'CreateRouteTable' : 'CreateRoute' };
}

class Builder {
  readonly m: NetworkModel = emptyModel();
  vpc(id: string, cidr: string): this {
    this.m.vpcs.push({ id, account: ACCOUNT, region: 'us-east-1', cidrs: [cidr], ipv6Cidrs: [] });
    this.m.routeTables.push({ id: `rtb-main-${id}`, vpcId: id, main: true, routes: [route(cidr, 'local', 'local')], gatewayIds: [] });
    this.m.networkAcls.push({ id: `acl-${id}`, vpcId: id, isDefault: true, ingress: [...ALLOW_ALL], egress: [...ALLOW_ALL] });
    return this;
  }
  subnet(id: string, vpcId: string, cidr: string, opts: { rt?: string; acl?: string } = {}): this {
    this.m.subnets.push({ id, vpcId, cidr, availabilityZone: 'us-east-1a', routeTableId: opts.rt, networkAclId: opts.acl ?? `acl-${vpcId}` });
    return this;
  }
  table(id: string, vpcId: string, ...routes: RouteModel[]): this {
    const vpc = this.m.vpcs.find((v) => v.id === vpcId)!;
    this.m.routeTables.push({ id, vpcId, main: false, routes: [route(vpc.cidrs[0]!, 'local', 'local'), ...routes], gatewayIds: [] });
    return this;
  }
  acl(id: string, vpcId: string, ingress: AclEntryModel[], egress: AclEntryModel[]): this {
    this.m.networkAcls.push({ id, vpcId, isDefault: false, ingress, egress });
    return this;
  }
  sg(id: string, vpcId: string, ingress: SecurityGroupRuleModel[], egress: SecurityGroupRuleModel[] = [ALL_OUT]): this {
    this.m.securityGroups.push({ id, name: id, vpcId, account: ACCOUNT, region: 'us-east-1', ingress, egress });
    return this;
  }
  eni(id: string, subnetId: string, ip: string, opts: Partial<InterfaceModel> & { publicIp?: string; instance?: string } = {}): this {
    const subnet = this.m.subnets.find((s) => s.id === subnetId)!;
    const { publicIp, instance, ...rest } = opts;
    this.m.interfaces.push({
      id,
      account: ACCOUNT,
      region: 'us-east-1',
      vpcId: subnet.vpcId,
      subnetId,
      privateIps: [ip],
      publicIps: publicIp ? { [ip]: publicIp } : {},
      ipv6Addresses: [],
      groupIds: ['sg-web'],
      sourceDestCheck: true,
      type: 'interface',
      attached: true,
      instanceId: instance,
      ...rest,
    });
    if (instance) this.m.instances.push({ id: instance, account: ACCOUNT, region: 'us-east-1', state: 'running', interfaceIds: [id] });
    return this;
  }
  igw(id: string, vpcId: string): this {
    this.m.internetGateways.push({ id, account: ACCOUNT, region: 'us-east-1', vpcId });
    return this;
  }
  nat(id: string, subnetId: string, ip: string, publicIp: string): this {
    const subnet = this.m.subnets.find((s) => s.id === subnetId)!;
    this.eni(`eni-${id}`, subnetId, ip, { groupIds: [], sourceDestCheck: false, type: 'nat_gateway', natGatewayId: id, publicIp });
    this.m.natGateways.push({ id, vpcId: subnet.vpcId, subnetId, connectivity: 'public', state: 'available', interfaceId: `eni-${id}`, privateIp: ip, publicIp });
    return this;
  }
  build(): CompiledNetwork {
    return compile(structuredClone(this.m));
  }
}

/**
 * VPC 10.0.0.0/16: public subnet 10.0.1.0/24 (web, 54.0.0.10; NAT gateway 10.0.1.200 / 54.0.0.200),
 * private subnet 10.0.2.0/24 (app, through the NAT gateway; S3 through a gateway endpoint).
 */
function network(opts: { privateAcl?: { ingress: AclEntryModel[]; egress: AclEntryModel[] }; webAcl?: { ingress: AclEntryModel[]; egress: AclEntryModel[] } } = {}): Builder {
  const b = new Builder()
    .vpc('vpc-1', '10.0.0.0/16')
    .igw('igw-1', 'vpc-1')
    .table('rtb-public', 'vpc-1', route('0.0.0.0/0', 'igw', 'igw-1'))
    .table('rtb-private', 'vpc-1', route('0.0.0.0/0', 'nat', 'nat-1'), {
      prefixListId: 'pl-s3',
      prefixListCidrs: ['52.216.0.0/15'],
      target: { kind: 'vpce', id: 'vpce-s3' },
      state: 'active',
    });
  if (opts.webAcl) b.acl('acl-web', 'vpc-1', opts.webAcl.ingress, opts.webAcl.egress);
  if (opts.privateAcl) b.acl('acl-private', 'vpc-1', opts.privateAcl.ingress, opts.privateAcl.egress);
  b.subnet('subnet-public', 'vpc-1', '10.0.1.0/24', { rt: 'rtb-public', acl: opts.webAcl ? 'acl-web' : undefined })
    .subnet('subnet-private', 'vpc-1', '10.0.2.0/24', { rt: 'rtb-private', acl: opts.privateAcl ? 'acl-private' : undefined })
    .sg('sg-web', 'vpc-1', [
      { id: 'sgr-https', protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '0.0.0.0/0' },
      { id: 'sgr-ping', protocol: 'icmp', fromPort: -1, toPort: -1, cidr: '0.0.0.0/0' },
    ])
    .sg('sg-app', 'vpc-1', [{ id: 'sgr-app', protocol: 'tcp', fromPort: 8080, toPort: 8080, cidr: '10.0.0.0/16' }], [])
    .eni('eni-web', 'subnet-public', '10.0.1.10', { instance: 'i-web', publicIp: '54.0.0.10' })
    .eni('eni-app', 'subnet-private', '10.0.2.20', { instance: 'i-app', groupIds: ['sg-web'] })
    .eni('eni-locked', 'subnet-private', '10.0.2.30', { instance: 'i-locked', groupIds: ['sg-app'] })
    .nat('nat-1', 'subnet-public', '10.0.1.200', '54.0.0.200');
  b.m.vpcEndpoints.push({
    id: 'vpce-s3',
    vpcId: 'vpc-1',
    type: 'Gateway',
    serviceName: 'com.amazonaws.us-east-1.s3',
    state: 'available',
    routeTableIds: ['rtb-private'],
    prefixListId: 'pl-s3',
    prefixListCidrs: ['52.216.0.0/15'],
    interfaceIds: [],
  });
  b.m.awsServices.push({ service: 's3', region: 'us-east-1', prefixListId: 'pl-s3', cidrs: ['52.216.0.0/15'] });
  return b;
}

/** An observation in flow log words, to compare whole records. */
function rec(o: InterfaceObservation): string {
  return [
    o.interfaceId,
    o.flowDirection,
    o.srcaddr,
    o.dstaddr,
    o.srcport,
    o.dstport,
    o.protocol,
    o.pktSrcaddr,
    o.pktDstaddr,
    o.packets,
    o.bytes,
    o.tcpFlags,
    o.action,
    o.trafficPath ?? '-',
    o.pktSrcAwsService ?? '-',
    o.pktDstAwsService ?? '-',
  ].join(' ');
}

function decide(net: CompiledNetwork, spec: FlowSpec) {
  return decideFlows(net, [spec], { now: () => T0 });
}

describe('traffic: what each interface records', () => {
  it('a connection from the internet: the receiver records the request (ingress) and its reply (egress)', () => {
    const net = network().build();
    const [f] = decide(net, { source: 'internet:198.51.100.7', destination: 'i-web', protocol: 'tcp', destinationPort: 443, packets: 12, bytes: 1500, replyPackets: 9, replyBytes: 7000 });
    assert.equal(f!.trace.verdict, 'accepted');
    assert.deepEqual(f!.observations.map(rec), [
      'eni-web ingress 198.51.100.7 10.0.1.10 49152 443 6 198.51.100.7 10.0.1.10 12 1500 3 ACCEPT - - -',
      'eni-web egress 10.0.1.10 198.51.100.7 443 49152 6 10.0.1.10 198.51.100.7 9 7000 19 ACCEPT 2 - -',
    ]);
    const o = f!.observations[0]!;
    assert.equal(o.account, ACCOUNT);
    assert.equal(o.region, 'us-east-1');
    assert.equal(o.vpcId, 'vpc-1');
    assert.equal(o.subnetId, 'subnet-public');
    assert.equal(o.instanceId, 'i-web');
    assert.equal(o.azId, 'use1-az1');
    assert.equal(o.type, 'IPv4');
    assert.equal(o.startMs, T0);
    assert.equal(o.endMs, T0 + 1000);
  });

  it('a security group that refuses the connection: one REJECT record at the receiver, SYN only', () => {
    const net = network().build();
    const [f] = decide(net, { source: 'internet:198.51.100.7', destination: 'i-web', protocol: 'tcp', destinationPort: 22 });
    assert.equal(f!.trace.verdict, 'dropped');
    assert.deepEqual(f!.observations.map(rec), ['eni-web ingress 198.51.100.7 10.0.1.10 49152 22 6 198.51.100.7 10.0.1.10 10 840 2 REJECT - - -']);
    assert.equal(f!.replyPackets, 0);
  });

  it('a ping whose reply the network ACL drops: ACCEPT for the request, REJECT for the reply (the AWS example)', () => {
    const net = network({
      webAcl: {
        ingress: [...ALLOW_ALL],
        egress: [
          { ruleNumber: 100, action: 'allow', protocol: '6', cidr: '0.0.0.0/0', fromPort: 0, toPort: 65535 },
          { ruleNumber: 32767, action: 'deny', protocol: '-1', cidr: '0.0.0.0/0' },
        ],
      },
    }).build();
    const [f] = decide(net, { source: 'internet:203.0.113.12', destination: 'i-web', protocol: 'icmp', packets: 4, bytes: 336, replyPackets: 4, replyBytes: 336 });
    assert.equal(f!.trace.verdict, 'dropped');
    assert.deepEqual(f!.observations.map(rec), [
      'eni-web ingress 203.0.113.12 10.0.1.10 0 0 1 203.0.113.12 10.0.1.10 4 336 0 ACCEPT - - -',
      'eni-web egress 10.0.1.10 203.0.113.12 0 0 1 10.0.1.10 203.0.113.12 4 336 0 REJECT 2 - -',
    ]);
  });

  it('a TCP reply dropped by the ACL: the client SYN accepted, the server SYN-ACK rejected', () => {
    const net = network({
      webAcl: {
        ingress: [...ALLOW_ALL],
        egress: [
          { ruleNumber: 100, action: 'allow', protocol: '6', cidr: '0.0.0.0/0', fromPort: 1024, toPort: 32767 },
          { ruleNumber: 32767, action: 'deny', protocol: '-1', cidr: '0.0.0.0/0' },
        ],
      },
    }).build();
    const [f] = decide(net, { source: 'internet:203.0.113.12', destination: 'i-web', protocol: 'tcp', destinationPort: 443 });
    assert.deepEqual(
      f!.observations.map((o) => `${o.flowDirection} ${o.tcpFlags} ${o.action}`),
      ['ingress 2 ACCEPT', 'egress 18 REJECT'],
    );
  });

  it('through a NAT gateway: the instance, and the NAT gateway interface on both sides with the original addresses', () => {
    const net = network().build();
    const [f] = decide(net, { source: 'i-app', destination: '203.0.113.5', protocol: 'tcp', destinationPort: 443, sourcePort: 40000 });
    assert.equal(f!.trace.verdict, 'accepted');
    assert.deepEqual(f!.observations.map(rec), [
      'eni-app egress 10.0.2.20 203.0.113.5 40000 443 6 10.0.2.20 203.0.113.5 10 840 3 ACCEPT 1 - -',
      'eni-nat-1 ingress 10.0.2.20 10.0.1.200 40000 443 6 10.0.2.20 203.0.113.5 10 840 3 ACCEPT - - -',
      'eni-nat-1 egress 10.0.1.200 203.0.113.5 40000 443 6 10.0.1.200 203.0.113.5 10 840 3 ACCEPT 2 - -',
      'eni-nat-1 ingress 203.0.113.5 10.0.1.200 443 40000 6 203.0.113.5 10.0.1.200 10 840 19 ACCEPT - - -',
      'eni-nat-1 egress 10.0.1.200 10.0.2.20 443 40000 6 203.0.113.5 10.0.2.20 10 840 19 ACCEPT 1 - -',
      'eni-app ingress 203.0.113.5 10.0.2.20 443 40000 6 203.0.113.5 10.0.2.20 10 840 19 ACCEPT - - -',
    ]);
    const nat = f!.observations[1]!;
    assert.equal(nat.instanceId, undefined, 'a NAT gateway interface has no instance');
  });

  it('a flow the NAT gateway had no port for ends at its interface', () => {
    const net = network().build();
    const [f] = decide(net, { source: 'i-app', destination: '203.0.113.5', protocol: 'tcp', destinationPort: 443 });
    f!.natDropped = true;
    assert.deepEqual(
      observationsFor(f!, net).map((o) => `${o.interfaceId} ${o.flowDirection} ${o.tcpFlags}`),
      ['eni-app egress 2', 'eni-nat-1 ingress 2'],
    );
  });

  it('to S3 through a gateway endpoint: traffic-path 2 and the service name on both records', () => {
    const net = network().build();
    const [f] = decide(net, { source: 'i-app', destination: '52.216.8.9', protocol: 'tcp', destinationPort: 443, sourcePort: 41000 });
    assert.equal(f!.trace.verdict, 'accepted');
    assert.deepEqual(f!.observations.map(rec), [
      'eni-app egress 10.0.2.20 52.216.8.9 41000 443 6 10.0.2.20 52.216.8.9 10 840 3 ACCEPT 2 - S3',
      'eni-app ingress 52.216.8.9 10.0.2.20 443 41000 6 52.216.8.9 10.0.2.20 10 840 19 ACCEPT - S3 -',
    ]);
  });

  it('within the VPC: the sender (egress, traffic-path 1) and the receiver (ingress), both ways', () => {
    const net = network().build();
    const [f] = decide(net, { source: 'i-web', destination: 'i-locked', protocol: 'tcp', destinationPort: 8080, sourcePort: 50000 });
    assert.deepEqual(
      f!.observations.map((o) => `${o.interfaceId} ${o.flowDirection} ${o.srcaddr}:${o.srcport} ${o.dstaddr}:${o.dstport} ${o.action} ${o.trafficPath ?? '-'}`),
      [
        'eni-web egress 10.0.1.10:50000 10.0.2.30:8080 ACCEPT 1',
        'eni-locked ingress 10.0.1.10:50000 10.0.2.30:8080 ACCEPT -',
        'eni-locked egress 10.0.2.30:8080 10.0.1.10:50000 ACCEPT 1',
        'eni-web ingress 10.0.2.30:8080 10.0.1.10:50000 ACCEPT -',
      ],
    );
  });

  it('a sender whose security group has no outbound rule: REJECT egress at the sender', () => {
    const net = network().build();
    const [f] = decide(net, { source: 'i-locked', destination: 'i-web', protocol: 'tcp', destinationPort: 443 });
    assert.deepEqual(f!.observations.map((o) => `${o.interfaceId} ${o.flowDirection} ${o.action} ${o.tcpFlags}`), ['eni-locked egress REJECT 2']);
  });

  it('the receiver subnet’s ACL refusing the request: ACCEPT egress at the sender, REJECT ingress at the receiver', () => {
    const net = network({
      privateAcl: {
        ingress: [
          { ruleNumber: 100, action: 'deny', protocol: '6', cidr: '10.0.1.0/24', fromPort: 8080, toPort: 8080 },
          ...ALLOW_ALL,
        ],
        egress: [...ALLOW_ALL],
      },
    }).build();
    const [f] = decide(net, { source: 'i-web', destination: 'i-locked', protocol: 'tcp', destinationPort: 8080 });
    assert.deepEqual(
      f!.observations.map((o) => `${o.interfaceId} ${o.flowDirection} ${o.action}`),
      ['eni-web egress ACCEPT', 'eni-locked ingress REJECT'],
    );
  });

  it('count: one connection per source port, each recorded', () => {
    const net = network().build();
    const flows = decide(net, { source: 'internet:198.51.100.7', destination: 'i-web', protocol: 'tcp', destinationPort: 443, sourcePort: 60000, count: 3 });
    assert.equal(flows.length, 3);
    assert.deepEqual(
      flows.map((f) => f.observations[0]!.srcport),
      [60000, 60001, 60002],
    );
    assert.throws(
      () => decide(net, { source: 'internet:198.51.100.7', destination: 'i-web', protocol: 'tcp', destinationPort: 443, sourcePort: 65535, count: 2 }),
      TraceInputError,
    );
  });

  it('traffic with the instance metadata service or Amazon DNS is not recorded', () => {
    const net = network().build();
    const [meta] = decide(net, { source: 'i-web', destination: '169.254.169.254', protocol: 'tcp', destinationPort: 80 });
    assert.deepEqual(meta!.observations, []);
    const [dns] = decide(net, { source: 'i-web', destination: '10.0.0.2', protocol: 'udp', destinationPort: 53 });
    assert.deepEqual(dns!.observations, []);
  });

  it('start and duration come from the spec or the clock', () => {
    const net = network().build();
    const [f] = decideFlows(net, [{ source: 'internet:198.51.100.7', destination: 'i-web', protocol: 'tcp', destinationPort: 443, startMs: T0 + 5000, durationMs: 30_000 }], T0);
    assert.equal(f!.observations[0]!.startMs, T0 + 5000);
    assert.equal(f!.observations[0]!.endMs, T0 + 35_000);
    assert.throws(() => decideFlows(net, [{ source: 'i-web', destination: 'i-app', protocol: 'tcp', destinationPort: 1, packets: -1 }], T0), TraceInputError);
  });
});
