/**
 * Simulated traffic on hand-built networks: what every interface on a flow's path records
 * (decideFlows / observationsFor), as VPC Flow Logs documents it.
 */
import { CloudWatchLogsClient, DescribeLogStreamsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateFlowLogsCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateNetworkAclCommand,
  CreateNetworkAclEntryCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkAclsCommand,
  EC2Client,
  ReplaceNetworkAclAssociationCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { Credential } from '../src/config.js';
import { startTestServer, type TestServer } from './helpers.js';
import type { AclEntryModel } from '../src/network/model.js';
import type { CompiledNetwork } from '../src/network/compile.js';
import { ALLOW_ALL, Builder, route } from './network-builder.js';
import { TraceInputError } from '../src/network/trace.js';
import { ClockError, parseDuration, SimulationClock } from '../src/traffic/clock.js';
import { expandScenario, parsePorts, parseScenario, ScenarioError } from '../src/traffic/scenario.js';
import { decideFlows, isNitro, observationsFor, observationSource } from '../src/traffic/simulate.js';
import type { FlowSpec, InterfaceObservation } from '../src/traffic/types.js';
import { trafficType } from '../src/traffic/flow-records.js';

const ACCOUNT = '111111111111';
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

/**
 * VPC 10.0.0.0/16: public subnet 10.0.1.0/24 (web, 54.0.0.10; NAT gateway 10.0.1.200 / 54.0.0.200),
 * private subnet 10.0.2.0/24 (app, through the NAT gateway; S3 through a gateway endpoint).
 */
function network(opts: { privateAcl?: { ingress: AclEntryModel[]; egress: AclEntryModel[] }; webAcl?: { ingress: AclEntryModel[]; egress: AclEntryModel[] } } = {}): Builder {
  const b = new Builder('sg-web')
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
    const [f] = decide(net, { source: 'internet:198.18.0.7', destination: 'i-web', protocol: 'tcp', destinationPort: 443, packets: 12, bytes: 1500, replyPackets: 9, replyBytes: 7000 });
    assert.equal(f!.trace.verdict, 'accepted');
    assert.deepEqual(f!.observations.map(rec), [
      'eni-web ingress 198.18.0.7 10.0.1.10 49152 443 6 198.18.0.7 10.0.1.10 12 1500 3 ACCEPT - - -',
      'eni-web egress 10.0.1.10 198.18.0.7 443 49152 6 10.0.1.10 198.18.0.7 9 7000 19 ACCEPT 2 - -',
    ]);
    const o = f!.observations[0]!;
    assert.equal(o.account, ACCOUNT);
    assert.equal(o.region, 'us-east-1');
    assert.equal(o.vpcId, 'vpc-1');
    assert.equal(o.subnetId, 'subnet-public');
    assert.equal(o.instanceId, 'i-web');
    assert.equal(o.azId, 'use1-az1');
    assert.equal(trafficType(o), 'IPv4');
    // Within V8's inline literal allocation (see InterfaceObservation).
    assert.ok(Object.keys(o).length <= 24, `${Object.keys(o).length} fields`);
    assert.equal(o.startMs, T0);
    assert.equal(o.endMs, T0 + 1000);
  });

  it('a security group that refuses the connection: one REJECT record at the receiver, SYN only', () => {
    const net = network().build();
    const [f] = decide(net, { source: 'internet:198.18.0.7', destination: 'i-web', protocol: 'tcp', destinationPort: 22 });
    assert.equal(f!.trace.verdict, 'dropped');
    assert.deepEqual(f!.observations.map(rec), ['eni-web ingress 198.18.0.7 10.0.1.10 49152 22 6 198.18.0.7 10.0.1.10 10 840 2 REJECT - - -']);
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
    const [f] = decide(net, { source: 'internet:198.18.1.12', destination: 'i-web', protocol: 'icmp', packets: 4, bytes: 336, replyPackets: 4, replyBytes: 336 });
    assert.equal(f!.trace.verdict, 'dropped');
    assert.deepEqual(f!.observations.map(rec), [
      'eni-web ingress 198.18.1.12 10.0.1.10 0 0 1 198.18.1.12 10.0.1.10 4 336 0 ACCEPT - - -',
      'eni-web egress 10.0.1.10 198.18.1.12 0 0 1 10.0.1.10 198.18.1.12 4 336 0 REJECT 2 - -',
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
    const [f] = decide(net, { source: 'internet:198.18.1.12', destination: 'i-web', protocol: 'tcp', destinationPort: 443 });
    assert.deepEqual(
      f!.observations.map((o) => `${o.flowDirection} ${o.tcpFlags} ${o.action}`),
      ['ingress 2 ACCEPT', 'egress 18 REJECT'],
    );
  });

  it('through a NAT gateway: the instance, and the NAT gateway interface on both sides with the original addresses', () => {
    const net = network().build();
    const [f] = decide(net, { source: 'i-app', destination: '198.18.10.5', protocol: 'tcp', destinationPort: 443, sourcePort: 40000 });
    assert.equal(f!.trace.verdict, 'accepted');
    assert.deepEqual(f!.observations.map(rec), [
      'eni-app egress 10.0.2.20 198.18.10.5 40000 443 6 10.0.2.20 198.18.10.5 10 840 3 ACCEPT 1 - -',
      'eni-nat-1 ingress 10.0.2.20 10.0.1.200 40000 443 6 10.0.2.20 198.18.10.5 10 840 3 ACCEPT - - -',
      'eni-nat-1 egress 10.0.1.200 198.18.10.5 40000 443 6 10.0.1.200 198.18.10.5 10 840 3 ACCEPT 2 - -',
      'eni-nat-1 ingress 198.18.10.5 10.0.1.200 443 40000 6 198.18.10.5 10.0.1.200 10 840 19 ACCEPT - - -',
      'eni-nat-1 egress 10.0.1.200 10.0.2.20 443 40000 6 198.18.10.5 10.0.2.20 10 840 19 ACCEPT 1 - -',
      'eni-app ingress 198.18.10.5 10.0.2.20 443 40000 6 198.18.10.5 10.0.2.20 10 840 19 ACCEPT - - -',
    ]);
    const nat = f!.observations[1]!;
    assert.equal(nat.instanceId, undefined, 'a NAT gateway interface has no instance');
  });

  it('a flow the NAT gateway had no port for ends at its interface', () => {
    const net = network().build();
    const [f] = decide(net, { source: 'i-app', destination: '198.18.10.5', protocol: 'tcp', destinationPort: 443 });
    // Observations made before the NAT gateway dropped it are made anew.
    assert.equal(f!.observations.length, 6);
    f!.natDropped = true;
    const dropped = ['eni-app egress 2', 'eni-nat-1 ingress 2'];
    const show = (o: InterfaceObservation) => `${o.interfaceId} ${o.flowDirection} ${o.tcpFlags}`;
    assert.deepEqual(observationsFor(f!, net).map(show), dropped);
    assert.deepEqual(f!.observations.map(show), dropped);
    const source = observationSource([f!]);
    assert.deepEqual(Array.from({ length: source.count }, (_, k) => show(source.at(k))), dropped);
    // Dropped before its observations are made: the same.
    const [g] = decide(net, { source: 'i-app', destination: '198.18.10.5', protocol: 'tcp', destinationPort: 443 });
    g!.natDropped = true;
    const fromSource = observationSource([g!]);
    assert.deepEqual(Array.from({ length: fromSource.count }, (_, k) => show(fromSource.at(k))), dropped);
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

  it('Nitro-based instances: traffic-path 8 through an internet gateway, 7 through a gateway endpoint', () => {
    const net = network().build();
    const types: Record<string, string> = { 'i-web': 't3.micro', 'i-app': 'm5.large' };
    const options = { instanceType: (id: string) => types[id] };
    const path = (spec: FlowSpec) =>
      decideFlows(net, [spec], T0, options)[0]!.observations.filter((o) => o.flowDirection === 'egress').map((o) => `${o.interfaceId} ${o.trafficPath}`);
    assert.deepEqual(path({ source: 'internet:198.18.0.7', destination: 'i-web', protocol: 'tcp', destinationPort: 443 }), ['eni-web 8']);
    assert.deepEqual(path({ source: 'i-app', destination: '52.216.8.9', protocol: 'tcp', destinationPort: 443 }), ['eni-app 7']);
    // The NAT gateway's own interface is no instance: 2.
    assert.deepEqual(path({ source: 'i-app', destination: '198.18.10.5', protocol: 'tcp', destinationPort: 443 }), ['eni-app 1', 'eni-nat-1 2', 'eni-nat-1 1']);
    types['i-web'] = 't2.micro';
    assert.deepEqual(path({ source: 'internet:198.18.0.7', destination: 'i-web', protocol: 'tcp', destinationPort: 443 }), ['eni-web 2']);
    assert.deepEqual(
      ['t2.micro', 'm4.large', 'c4.xlarge', 'i3.large', 'i3.metal', 'p3.2xlarge', 'p3dn.24xlarge', 't3.nano', 'm5.large', 'c7g.large', 'i3en.large', 'm1.small'].map(isNitro),
      [false, false, false, false, true, false, true, true, true, true, true, false],
    );
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

  it('through a NAT instance: its interface records both sides, with the packet addresses it translated', () => {
    const b = network();
    b.m.routeTables.find((t) => t.id === 'rtb-private')!.routes = [route('10.0.0.0/16', 'local', 'local'), route('0.0.0.0/0', 'eni', 'eni-natinst')];
    b.sg('sg-natinst', 'vpc-1', [{ id: 'sgr-all', protocol: '-1', fromPort: -1, toPort: -1, cidr: '10.0.0.0/16' }]);
    b.eni('eni-natinst', 'subnet-public', '10.0.1.50', { instance: 'i-natinst', publicIp: '54.0.0.50', groupIds: ['sg-natinst'], sourceDestCheck: false });
    const net = b.build();
    const [f] = decide(net, { source: 'i-app', destination: '198.18.10.5', protocol: 'tcp', destinationPort: 443, sourcePort: 40000 });
    assert.equal(f!.trace.verdict, 'accepted', JSON.stringify(f!.trace.explanations));
    assert.deepEqual(f!.observations.map(rec), [
      'eni-app egress 10.0.2.20 198.18.10.5 40000 443 6 10.0.2.20 198.18.10.5 10 840 3 ACCEPT 1 - -',
      'eni-natinst ingress 10.0.2.20 10.0.1.50 40000 443 6 10.0.2.20 198.18.10.5 10 840 3 ACCEPT - - -',
      'eni-natinst egress 10.0.1.50 198.18.10.5 40000 443 6 10.0.1.50 198.18.10.5 10 840 3 ACCEPT 2 - -',
      'eni-natinst ingress 198.18.10.5 10.0.1.50 443 40000 6 198.18.10.5 10.0.1.50 10 840 19 ACCEPT - - -',
      'eni-natinst egress 10.0.1.50 10.0.2.20 443 40000 6 198.18.10.5 10.0.2.20 10 840 19 ACCEPT 1 - -',
      'eni-app ingress 198.18.10.5 10.0.2.20 443 40000 6 198.18.10.5 10.0.2.20 10 840 19 ACCEPT - - -',
    ]);
  });

  it('over a peering connection: the peer VPC’s interface records too; traffic-path 4 within a region', () => {
    const b = network();
    b.vpc('vpc-2', '10.9.0.0/16').subnet('subnet-peer', 'vpc-2', '10.9.1.0/24', { rt: 'rtb-peer' }).table('rtb-peer', 'vpc-2', route('10.0.0.0/16', 'pcx', 'pcx-1'));
    b.sg('sg-peer', 'vpc-2', [{ id: 'sgr-peer', protocol: 'tcp', fromPort: 5432, toPort: 5432, cidr: '10.0.0.0/16' }]);
    b.eni('eni-db', 'subnet-peer', '10.9.1.10', { instance: 'i-db', groupIds: ['sg-peer'] });
    b.m.routeTables.find((t) => t.id === 'rtb-public')!.routes.push(route('10.9.0.0/16', 'pcx', 'pcx-1'));
    b.peering('pcx-1', 'vpc-1', 'vpc-2');
    const net = b.build();
    const [f] = decide(net, { source: 'i-web', destination: 'i-db', protocol: 'tcp', destinationPort: 5432, sourcePort: 45000 });
    assert.equal(f!.trace.verdict, 'accepted', JSON.stringify(f!.trace.explanations));
    assert.deepEqual(
      f!.observations.map((o) => `${o.interfaceId} ${o.vpcId} ${o.flowDirection} ${o.srcaddr}→${o.dstaddr} ${o.trafficPath ?? '-'}`),
      [
        'eni-web vpc-1 egress 10.0.1.10→10.9.1.10 4',
        'eni-db vpc-2 ingress 10.0.1.10→10.9.1.10 -',
        'eni-db vpc-2 egress 10.9.1.10→10.0.1.10 4',
        'eni-web vpc-1 ingress 10.9.1.10→10.0.1.10 -',
      ],
    );
  });

  it('to an interface endpoint: the endpoint’s interface records like a receiver, without an instance', () => {
    const b = network();
    b.sg('sg-vpce', 'vpc-1', [{ id: 'sgr-vpce', protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '10.0.0.0/16' }]);
    b.eni('eni-vpce', 'subnet-private', '10.0.2.77', { groupIds: ['sg-vpce'], type: 'vpc_endpoint', vpcEndpointId: 'vpce-sqs' });
    const net = b.build();
    const [f] = decide(net, { source: 'i-app', destination: '10.0.2.77', protocol: 'tcp', destinationPort: 443, sourcePort: 43000 });
    assert.equal(f!.trace.verdict, 'accepted');
    assert.deepEqual(
      f!.observations.map((o) => `${o.interfaceId} ${o.instanceId ?? '-'} ${o.flowDirection} ${o.srcaddr}:${o.srcport}→${o.dstaddr}:${o.dstport} ${o.action}`),
      [
        'eni-app i-app egress 10.0.2.20:43000→10.0.2.77:443 ACCEPT',
        'eni-vpce - ingress 10.0.2.20:43000→10.0.2.77:443 ACCEPT',
        'eni-vpce - egress 10.0.2.77:443→10.0.2.20:43000 ACCEPT',
        'eni-app i-app ingress 10.0.2.77:443→10.0.2.20:43000 ACCEPT',
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
    const flows = decide(net, { source: 'internet:198.18.0.7', destination: 'i-web', protocol: 'tcp', destinationPort: 443, sourcePort: 60000, count: 3 });
    assert.equal(flows.length, 3);
    assert.deepEqual(
      flows.map((f) => f.observations[0]!.srcport),
      [60000, 60001, 60002],
    );
    assert.throws(
      () => decide(net, { source: 'internet:198.18.0.7', destination: 'i-web', protocol: 'tcp', destinationPort: 443, sourcePort: 65535, count: 2 }),
      TraceInputError,
    );
  });

  it('connections of one flow: each with its own port in the records, decided anew where the reply ACL tells ports apart', () => {
    const net = network({
      webAcl: {
        ingress: [...ALLOW_ALL],
        egress: [
          { ruleNumber: 100, action: 'allow', protocol: '6', cidr: '0.0.0.0/0', fromPort: 1024, toPort: 50000 },
          { ruleNumber: 32767, action: 'deny', protocol: '-1', cidr: '0.0.0.0/0' },
        ],
      },
    }).build();
    const flows = decide(net, { source: 'internet:198.18.0.7', destination: 'i-web', protocol: 'tcp', destinationPort: 443, sourcePort: 49999, count: 4 });
    assert.deepEqual(
      flows.map((f) => [f.sourcePort, f.trace.verdict, f.observations.map((o) => `${o.flowDirection} ${o.srcport}→${o.dstport} ${o.tcpFlags} ${o.action}`)]),
      [
        [49999, 'accepted', ['ingress 49999→443 3 ACCEPT', 'egress 443→49999 19 ACCEPT']],
        [50000, 'accepted', ['ingress 50000→443 3 ACCEPT', 'egress 443→50000 19 ACCEPT']],
        [50001, 'dropped', ['ingress 50001→443 2 ACCEPT', 'egress 443→50001 18 REJECT']],
        [50002, 'dropped', ['ingress 50002→443 2 ACCEPT', 'egress 443→50002 18 REJECT']],
      ],
    );
    assert.equal(flows[0]!.trace, flows[1]!.trace, 'connections decided alike share their trace');
    assert.notEqual(flows[1]!.trace, flows[2]!.trace);
  });

  it('traffic with the instance metadata service or Amazon DNS is not recorded', () => {
    const net = network().build();
    const [meta] = decide(net, { source: 'i-web', destination: '169.254.169.254', protocol: 'tcp', destinationPort: 80 });
    assert.deepEqual(meta!.observations, []);
    const [dns] = decide(net, { source: 'i-web', destination: '10.0.0.2', protocol: 'udp', destinationPort: 53 });
    assert.deepEqual(dns!.observations, []);
  });

  it('IPv6 from the internet: type IPv6, the interface’s IPv6 address on both records', () => {
    const b = network();
    b.m.vpcs[0]!.ipv6Cidrs.push('2600:1f18:aaaa:bb00::/56');
    b.m.subnets.find((x) => x.id === 'subnet-public')!.ipv6Cidr = '2600:1f18:aaaa:bb00::/64';
    b.m.routeTables.find((t) => t.id === 'rtb-public')!.routes.push({ destination: '::/0', target: { kind: 'igw', id: 'igw-1' }, state: 'active', origin: 'CreateRoute' });
    for (const acl of b.m.networkAcls) {
      acl.ingress.unshift({ ruleNumber: 101, action: 'allow', protocol: '-1', ipv6Cidr: '::/0' });
      acl.egress.unshift({ ruleNumber: 101, action: 'allow', protocol: '-1', ipv6Cidr: '::/0' });
    }
    b.m.securityGroups.find((g) => g.id === 'sg-web')!.ingress.push({ id: 'sgr-https6', protocol: 'tcp', fromPort: 443, toPort: 443, ipv6Cidr: '::/0' });
    b.m.interfaces.find((i) => i.id === 'eni-web')!.ipv6Addresses.push('2600:1f18:aaaa:bb00::10');
    const net = b.build();
    const [f] = decide(net, { source: 'internet:2001:db8::7', destination: '2600:1f18:aaaa:bb00::10', protocol: 'tcp', destinationPort: 443, sourcePort: 34892 });
    assert.equal(f!.trace.verdict, 'accepted', JSON.stringify(f!.trace.explanations));
    assert.deepEqual(
      f!.observations.map((o) => `${trafficType(o)} ${o.flowDirection} ${o.srcaddr} ${o.dstaddr} ${o.srcport} ${o.dstport} ${o.action}`),
      ['IPv6 ingress 2001:db8::7 2600:1f18:aaaa:bb00::10 34892 443 ACCEPT', 'IPv6 egress 2600:1f18:aaaa:bb00::10 2001:db8::7 443 34892 ACCEPT'],
    );
    // As the flow log pipeline takes them: IPv6 addresses have no number (their text is hashed).
    const decided = decide(net, { source: 'internet:2001:db8::7', destination: '2600:1f18:aaaa:bb00::10', protocol: 'tcp', destinationPort: 443, sourcePort: 34892 });
    const source = observationSource(decided);
    assert.equal(source.count, 2);
    for (let k = 0; k < source.count; k++) {
      const o = source.at(k);
      assert.deepEqual([o.srcNum, o.dstNum, o.pktSrcNum, o.pktDstNum], [-1, -1, -1, -1]);
    }
  });

  it('start and duration come from the spec or the clock', () => {
    const net = network().build();
    const [f] = decideFlows(net, [{ source: 'internet:198.18.0.7', destination: 'i-web', protocol: 'tcp', destinationPort: 443, startMs: T0 + 5000, durationMs: 30_000 }], T0);
    assert.equal(f!.observations[0]!.startMs, T0 + 5000);
    assert.equal(f!.observations[0]!.endMs, T0 + 35_000);
    assert.throws(() => decideFlows(net, [{ source: 'i-web', destination: 'i-app', protocol: 'tcp', destinationPort: 1, packets: -1 }], T0), TraceInputError);
  });
});

// ---------------------------------------------------------------------------------------
// Through the API: POST /_vpcsim/traffic, flush, clock; records read with the SDKs
// ---------------------------------------------------------------------------------------

const ROLE = 'arn:aws:iam::000000000000:role/flow-logs';
const FORMAT =
  '${version} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${pkt-srcaddr} ${pkt-dstaddr} ${packets} ${bytes} ${start} ${end} ${tcp-flags} ${action} ${flow-direction} ${traffic-path} ${log-status}';

interface Net {
  vpcId: string;
  web: string;
  webEni: string;
  webIp: string;
  app: string;
  appEni: string;
  appIp: string;
  natEni: string;
  natIp: string;
  natId: string;
}

async function buildNetwork(ec2: EC2Client, cidr = '10.40'): Promise<Net> {
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: `${cidr}.0.0/16` }))).Vpc!.VpcId!;
  const pub = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `${cidr}.1.0/24`, AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
  const priv = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `${cidr}.2.0/24`, AvailabilityZone: 'us-east-1b' }))).Subnet!.SubnetId!;
  const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
  await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
  const rtPub = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
  await ec2.send(new CreateRouteCommand({ RouteTableId: rtPub, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }));
  await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtPub, SubnetId: pub }));
  const natEip = (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId!;
  const nat = (await ec2.send(new CreateNatGatewayCommand({ SubnetId: pub, AllocationId: natEip }))).NatGateway!.NatGatewayId!;
  const rtPriv = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
  await ec2.send(new CreateRouteCommand({ RouteTableId: rtPriv, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat }));
  await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtPriv, SubnetId: priv }));

  // The public subnet's ACL lets everything in, and only TCP out: a ping's reply is refused.
  const acl = (await ec2.send(new CreateNetworkAclCommand({ VpcId: vpcId }))).NetworkAcl!.NetworkAclId!;
  await ec2.send(new CreateNetworkAclEntryCommand({ NetworkAclId: acl, RuleNumber: 100, Protocol: '-1', RuleAction: 'allow', Egress: false, CidrBlock: '0.0.0.0/0' }));
  await ec2.send(
    new CreateNetworkAclEntryCommand({ NetworkAclId: acl, RuleNumber: 100, Protocol: '6', RuleAction: 'allow', Egress: true, CidrBlock: '0.0.0.0/0', PortRange: { From: 0, To: 65535 } }),
  );
  const acls = (await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [pub] }] }))).NetworkAcls!;
  const assoc = acls[0]!.Associations!.find((a) => a.SubnetId === pub)!.NetworkAclAssociationId!;
  await ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: assoc, NetworkAclId: acl }));

  const sg = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'web', Description: 'web' }))).GroupId!;
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: sg,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
        { IpProtocol: 'icmp', FromPort: -1, ToPort: -1, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
      ],
    }),
  );
  const run = async (subnet: string, name: string) =>
    (
      await ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-0a2023c0ffee0a864',
          MinCount: 1,
          MaxCount: 1,
          SubnetId: subnet,
          SecurityGroupIds: [sg],
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: name }] }],
        }),
      )
    ).Instances![0]!;
  const web = await run(pub, 'web-1');
  const app = await run(priv, 'app-1');
  const webEip = (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId!;
  await ec2.send(new AssociateAddressCommand({ AllocationId: webEip, InstanceId: web.InstanceId! }));
  const natGw = (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [nat] }))).NatGateways![0]!;
  return {
    vpcId,
    web: web.InstanceId!,
    webEni: web.NetworkInterfaces![0]!.NetworkInterfaceId!,
    webIp: web.PrivateIpAddress!,
    app: app.InstanceId!,
    appEni: app.NetworkInterfaces![0]!.NetworkInterfaceId!,
    appIp: app.PrivateIpAddress!,
    natEni: natGw.NatGatewayAddresses![0]!.NetworkInterfaceId!,
    natIp: natGw.NatGatewayAddresses![0]!.PrivateIp!,
    natId: nat,
  };
}

async function post(srv: TestServer, path: string, body: unknown): Promise<{ status: number; body: Record<string, any> }> {
  const r = await fetch(`${srv.endpoint}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as Record<string, any> };
}

describe('traffic through the API, flow logs read back with the SDKs', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  let logs: CloudWatchLogsClient;
  let n: Net;
  /** The simulated time the traffic starts at: a minute boundary after the flow log exists. */
  let base: number;

  before(async () => {
    srv = await startTestServer({ stateTransitionMs: 0 });
    ec2 = srv.ec2();
    logs = new CloudWatchLogsClient({ endpoint: srv.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    n = await buildNetwork(ec2);
    await ec2.send(
      new CreateFlowLogsCommand({
        ResourceType: 'VPC',
        ResourceIds: [n.vpcId],
        TrafficType: 'ALL',
        LogGroupName: '/vpc/traffic',
        DeliverLogsPermissionArn: ROLE,
        MaxAggregationInterval: 60,
        LogFormat: FORMAT,
      }),
    );
    base = Math.ceil((Date.now() + 2_000) / 60_000) * 60_000 + 60_000;
    const set = await post(srv, '/_vpcsim/clock', { set: new Date(base).toISOString() });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual(set.body.clock, { now: base, time: new Date(base).toISOString(), mode: 'simulated' });
  });
  after(() => srv.close());

  const events = async (eni: string) => {
    const r = await logs.send(new GetLogEventsCommand({ logGroupName: '/vpc/traffic', logStreamName: `${eni}-all`, startFromHead: true }));
    return r.events!.map((e) => e.message!).sort();
  };

  it('records both sides of each flow, the NAT gateway interface with the original addresses, and REJECT for a refused reply', async () => {
    const r = await post(srv, '/_vpcsim/traffic', {
      flows: [
        { source: 'internet:198.18.0.7', destination: n.web, protocol: 'tcp', port: 443, sourcePort: 50000, packets: 12, bytes: 1500, replyPackets: 9, replyBytes: 7000 },
        { source: 'internet:198.18.1.12', destination: 'tag:Name=web-1', protocol: 'icmp', packets: 4, bytes: 336, replyPackets: 4, replyBytes: 336 },
        { source: n.app, destination: '198.18.10.5', protocol: 'tcp', destinationPort: 443, sourcePort: 40000 },
        { source: 'internet:198.18.0.7', destination: n.web, protocol: 'tcp', destinationPort: 22, sourcePort: 50001, packets: 2, bytes: 120 },
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(
      r.body.flows.map((f: any) => [f.destination, f.protocol, f.ports ?? '-', f.verdict, f.explanationCodes]),
      [
        [n.web, 'tcp', '50000→443', 'accepted', []],
        [n.web, 'icmp', '-', 'dropped', ['SUBNET_ACL_RESTRICTION']],
        ['198.18.10.5', 'tcp', '40000→443', 'accepted', []],
        [n.web, 'tcp', '50001→22', 'dropped', ['ENI_SG_RULES_MISMATCH']],
      ],
    );
    assert.equal(r.body.connections, 4);
    assert.equal(r.body.accepted, 2);
    assert.equal(r.body.observations, 2 + 2 + 6 + 1);
    assert.equal(r.body.delivered, undefined, 'the window is still open');

    const flushed = await post(srv, '/_vpcsim/flush', {});
    assert.equal(flushed.status, 200);
    assert.equal(flushed.body.delivered.records, 11);
    assert.equal(flushed.body.delivered.logEvents, 11);

    const s = Math.floor(base / 1000);
    const e = s + 1;
    assert.deepEqual(await events(n.webEni), [
      `5 ${n.webEni} ${n.webIp} 198.18.0.7 443 50000 6 ${n.webIp} 198.18.0.7 9 7000 ${s} ${e} 19 ACCEPT egress 2 OK`,
      `5 ${n.webEni} ${n.webIp} 198.18.1.12 0 0 1 ${n.webIp} 198.18.1.12 4 336 ${s} ${e} 0 REJECT egress 2 OK`,
      `5 ${n.webEni} 198.18.0.7 ${n.webIp} 50000 443 6 198.18.0.7 ${n.webIp} 12 1500 ${s} ${e} 3 ACCEPT ingress - OK`,
      `5 ${n.webEni} 198.18.0.7 ${n.webIp} 50001 22 6 198.18.0.7 ${n.webIp} 2 120 ${s} ${e} 2 REJECT ingress - OK`,
      `5 ${n.webEni} 198.18.1.12 ${n.webIp} 0 0 1 198.18.1.12 ${n.webIp} 4 336 ${s} ${e} 0 ACCEPT ingress - OK`,
    ].sort());
    assert.deepEqual(await events(n.natEni), [
      `5 ${n.natEni} ${n.appIp} ${n.natIp} 40000 443 6 ${n.appIp} 198.18.10.5 10 840 ${s} ${e} 3 ACCEPT ingress - OK`,
      `5 ${n.natEni} ${n.natIp} 198.18.10.5 40000 443 6 ${n.natIp} 198.18.10.5 10 840 ${s} ${e} 3 ACCEPT egress 2 OK`,
      `5 ${n.natEni} 198.18.10.5 ${n.natIp} 443 40000 6 198.18.10.5 ${n.natIp} 10 840 ${s} ${e} 19 ACCEPT ingress - OK`,
      `5 ${n.natEni} ${n.natIp} ${n.appIp} 443 40000 6 198.18.10.5 ${n.appIp} 10 840 ${s} ${e} 19 ACCEPT egress 1 OK`,
    ].sort());
    assert.deepEqual(await events(n.appEni), [
      `5 ${n.appEni} ${n.appIp} 198.18.10.5 40000 443 6 ${n.appIp} 198.18.10.5 10 840 ${s} ${e} 3 ACCEPT egress 1 OK`,
      `5 ${n.appEni} 198.18.10.5 ${n.appIp} 443 40000 6 198.18.10.5 ${n.appIp} 10 840 ${s} ${e} 19 ACCEPT ingress - OK`,
    ].sort());
  });

  it('the NAT gateway counts the connection that went through it (AWS/NATGateway)', async () => {
    const cw = new CloudWatchClient({ endpoint: srv.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    const sum = async (metric: string) =>
      (
        await cw.send(
          new GetMetricStatisticsCommand({
            Namespace: 'AWS/NATGateway',
            MetricName: metric,
            Dimensions: [{ Name: 'NatGatewayId', Value: n.natId }],
            StartTime: new Date(base - 60_000),
            EndTime: new Date(base + 120_000),
            Period: 60,
            Statistics: ['Sum'],
          }),
        )
      ).Datapoints!.reduce((a, d) => a + (d.Sum ?? 0), 0);
    assert.equal(await sum('BytesOutToDestination'), 840);
    assert.equal(await sum('PacketsInFromDestination'), 10);
    assert.equal(await sum('ConnectionEstablishedCount'), 1);
  });

  it('moving the simulated clock delivers the windows that closed; GET /_vpcsim/clock reads it', async () => {
    const before = await fetch(`${srv.endpoint}/_vpcsim/clock`).then((r) => r.json() as Promise<any>);
    const t0 = before.clock.now as number;
    const r = await post(srv, '/_vpcsim/traffic', {
      flows: [{ source: 'internet:198.18.0.99', destination: n.web, protocol: 'tcp', destinationPort: 443, sourcePort: 55555, durationMs: 5_000 }],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const moved = await post(srv, '/_vpcsim/clock', { advanceSeconds: 120 });
    assert.equal(moved.status, 200);
    assert.equal(moved.body.clock.now, t0 + 120_000);
    assert.ok(moved.body.delivered.records >= 2, JSON.stringify(moved.body));
    const lines = (await events(n.webEni)).filter((l) => l.includes('55555'));
    assert.equal(lines.length, 2);
    const again = await post(srv, '/_vpcsim/clock', { advance: '1m' });
    assert.equal(again.body.clock.now, t0 + 180_000);
    const back = await post(srv, '/_vpcsim/clock', { set: t0 });
    assert.equal(back.status, 400);
    assert.match(back.body.message, /only moves forward/);
  });

  it('scenario: a port scan of ports 1-1024 is one REJECT per closed port and an answered 443', async () => {
    const r = await post(srv, '/_vpcsim/traffic', {
      scenario: {
        name: 'portscan',
        steps: [{ name: 'scan', flows: [{ source: 'internet:198.18.66.66', destination: 'tag:Name=web-1', protocol: 'tcp', ports: '1-1024', sourcePort: 61000, packets: 1, bytes: 44, replyPackets: 1, replyBytes: 44 }] }],
      },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.connections, 1024);
    assert.equal(r.body.accepted, 1);
    assert.equal(r.body.observations, 1023 + 2);
    await post(srv, '/_vpcsim/flush', {});
    const scan = (await events(n.webEni)).filter((l) => l.includes('198.18.66.66'));
    assert.equal(scan.filter((l) => / REJECT ingress /.test(l)).length, 1023);
    assert.equal(scan.filter((l) => / ACCEPT /.test(l)).length, 2);
  });

  it('delivers to S3 too: gzip text with the fields of the flow log, the service name of S3 addresses', async () => {
    const s3 = new S3Client({ endpoint: srv.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, forcePathStyle: true, maxAttempts: 1 });
    await s3.send(new CreateBucketCommand({ Bucket: 'traffic-logs' }));
    await ec2.send(
      new CreateFlowLogsCommand({
        ResourceType: 'NetworkInterface',
        ResourceIds: [n.appEni],
        TrafficType: 'ALL',
        LogDestinationType: 's3',
        LogDestination: 'arn:aws:s3:::traffic-logs/flows',
        MaxAggregationInterval: 60,
        LogFormat: '${version} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${action} ${flow-direction} ${traffic-path} ${pkt-src-aws-service} ${pkt-dst-aws-service} ${log-status}',
      }),
    );
    const r = await post(srv, '/_vpcsim/traffic', { flows: [{ source: 'tag:Name=app-1', destination: '52.216.10.20', protocol: 'tcp', port: 443, sourcePort: 42000 }] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.accepted, 1);
    const flushed = await post(srv, '/_vpcsim/flush', {});
    assert.equal(flushed.body.delivered.s3Objects, 1);
    const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: 'traffic-logs' }))).Contents ?? []).map((o) => o.Key!);
    assert.equal(keys.length, 1);
    assert.match(keys[0]!, /^flows\/AWSLogs\/000000000000\/vpcflowlogs\/us-east-1\/\d{4}\/\d\d\/\d\d\/000000000000_vpcflowlogs_us-east-1_fl-[0-9a-f]+_\d{8}T\d{4}Z_[0-9a-f]{8}\.log\.gz$/);
    const body = await (await s3.send(new GetObjectCommand({ Bucket: 'traffic-logs', Key: keys[0]! }))).Body!.transformToByteArray();
    const lines = gunzipSync(Buffer.from(body)).toString().split('\n');
    assert.equal(lines[0], 'version interface-id srcaddr dstaddr srcport dstport action flow-direction traffic-path pkt-src-aws-service pkt-dst-aws-service log-status');
    assert.deepEqual(lines.slice(1).filter(Boolean).sort(), [
      `5 ${n.appEni} ${n.appIp} 52.216.10.20 42000 443 ACCEPT egress 1 - S3 OK`,
      `5 ${n.appEni} 52.216.10.20 ${n.appIp} 443 42000 ACCEPT ingress - S3 - OK`,
    ].sort());
  });

  it('refuses bad bodies with 400 InvalidRequest', async () => {
    const cases: Array<[unknown, RegExp]> = [
      ['not json', /JSON object/],
      [{}, /flows.*scenario/],
      [{ flows: [] }, /non-empty/],
      [{ flows: [{ source: n.app, destination: n.web, port: 443 }], account: 1 }, /account must be a string/],
      [{ flows: [{ source: n.app, destination: n.web, port: 443, count: 0 }] }, /count must be a positive integer/],
      [{ flows: [{ source: n.app, destination: n.web, protocol: 'tcp', port: 443, sourcePort: 65535, count: 2 }] }, /goes past port 65535/],
      [{ flows: ['x'] }, /flows\[0\] must be an object/],
      [{ flows: [{}] }, /^flows\[0\] needs a "source"\.$/],
      [{ flows: [{ source: n.app, port: 443 }] }, /^flows\[0\] needs a "destination" or "destinations"\.$/],
      [{ flows: [{ source: 'i-0123456789abcdef0', destination: n.web, protocol: 'tcp', port: 443 }] }, /does not exist/],
      [{ flows: [{ source: n.app, destination: n.web, protocol: 'tcp' }] }, /destination port/],
      [{ flows: [{ source: n.app, destination: n.web, protocol: 'tcp', port: 'https' }] }, /destinationPort must be an integer/],
      [{ flows: [{ source: n.app, destination: n.web, protocol: 'tcp', port: 443, count: 100_001 }] }, /At most 100000 connections/],
      [{ flows: [{ source: n.app, destination: 'tag:Name=nothing', protocol: 'tcp', port: 443 }] }, /No instance or network interface has the tag Name=nothing/],
      [{ scenario: { steps: [] } }, /non-empty list/],
      [{ scenario: { steps: [{ every: 'often', repeat: 2, flows: [{ source: n.app, destination: n.web, port: 443 }] }] } }, /not a duration/],
      [{ scenario: { steps: [{ every: '1s', for: '2d', flows: [{ source: 'internet:198.18.0.1', hosts: 10, destination: n.web, port: 443 }] }] } }, /At most 100000 connections/],
    ];
    for (const [body, message] of cases) {
      const r = await post(srv, '/_vpcsim/traffic', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error, 'InvalidRequest');
      assert.match(r.body.message, message, JSON.stringify(body));
    }
    const clock = await post(srv, '/_vpcsim/clock', { advanceSeconds: 1, set: 5 });
    assert.equal(clock.status, 400);
    const get = await fetch(`${srv.endpoint}/_vpcsim/traffic`);
    assert.equal(get.status, 405);
  });

  it('creates the log stream of an interface only when it has traffic', async () => {
    const streams = (await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/vpc/traffic' }))).logStreams!.map((s) => s.logStreamName).sort();
    assert.deepEqual(streams, [`${n.appEni}-all`, `${n.natEni}-all`, `${n.webEni}-all`].sort());
  });
});

describe('traffic in sigv4 mode', () => {
  const ALICE: Credential = { accessKeyId: 'AKIAALICE00000000001', secretAccessKey: 'alice-secret', accountId: '111111111111' };
  const BOB: Credential = { accessKeyId: 'AKIABOB0000000000002', secretAccessKey: 'bob-secret', accountId: '222222222222' };

  it('needs a signature, and a signer only simulates traffic of its own account', async () => {
    const srv = await startTestServer({ auth: 'sigv4', credentials: [ALICE, BOB], stateTransitionMs: 0 });
    try {
      const aliceEc2 = new EC2Client({
        endpoint: srv.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: ALICE.accessKeyId, secretAccessKey: ALICE.secretAccessKey },
        maxAttempts: 1,
      });
      const n = await buildNetwork(aliceEc2, '10.50');
      const url = new URL(srv.endpoint);
      const signed = async (cred: Credential, body: unknown) => {
        const text = JSON.stringify(body);
        const req = await new SignatureV4({ service: 'ec2', region: 'us-east-1', credentials: cred, sha256: Sha256 }).sign({
          method: 'POST',
          protocol: 'http:',
          hostname: url.hostname,
          port: Number(url.port),
          path: '/_vpcsim/traffic',
          query: {},
          headers: { host: url.host, 'content-type': 'application/json' },
          body: text,
        });
        const r = await fetch(`${srv.endpoint}/_vpcsim/traffic`, { method: 'POST', headers: req.headers as Record<string, string>, body: text });
        return { status: r.status, body: (await r.json()) as Record<string, any> };
      };
      const flow = { flows: [{ source: 'internet:198.18.0.7', destination: n.web, protocol: 'tcp', port: 443 }] };
      const unsigned = await post(srv, '/_vpcsim/traffic', flow);
      assert.equal(unsigned.status, 403);
      const byAlice = await signed(ALICE, flow);
      assert.equal(byAlice.status, 200, JSON.stringify(byAlice.body));
      assert.equal(byAlice.body.accepted, 1);
      const byBob = await signed(BOB, flow);
      assert.equal(byBob.status, 403);
      assert.equal(byBob.body.error, 'AccessDenied');
      const bobNamesAlice = await signed(BOB, { ...flow, account: ALICE.accountId });
      assert.equal(bobNamesAlice.status, 403);
    } finally {
      await srv.close();
    }
  });
});

describe('traffic: reset', () => {
  it('a reset brings the real clock back', async () => {
    const srv = await startTestServer();
    try {
      const future = Date.now() + 3_600_000;
      assert.equal((await post(srv, '/_vpcsim/clock', { set: future })).body.clock.mode, 'simulated');
      await srv.reset();
      const after = (await fetch(`${srv.endpoint}/_vpcsim/clock`).then((r) => r.json())) as { clock: { mode: string; now: number } };
      assert.equal(after.clock.mode, 'real');
      assert.ok(after.clock.now < future);
    } finally {
      await srv.close();
    }
  });
});

describe('traffic: scenarios and the clock', () => {
  it('expands steps over time: every/for, repeat, at; hosts, destinations and ports; fresh client ports each round', () => {
    const specs = expandScenario(
      parseScenario({
        steps: [
          { name: 'a', every: '1m', for: '3m', flows: [{ source: 'internet:198.18.0.254', hosts: 3, destinations: ['i-1', 'i-2'], protocol: 'tcp', destinationPort: 443, duration: '2s' }] },
          { name: 'b', at: '30s', every: 10, repeat: 2, flows: [{ source: 'i-1', destination: '10.0.0.9', protocol: 'udp', ports: '53,123-124' }] },
          { flows: [{ source: 'i-1', destination: '10.0.0.9', protocol: 'icmp' }] },
        ],
      }),
      T0,
      1000,
    );
    const a = specs.filter((x) => x.destinationPort === 443);
    assert.equal(a.length, 3 * 3 * 2);
    assert.deepEqual([...new Set(a.map((x) => x.source))], ['internet:198.18.0.254', 'internet:198.18.0.255', 'internet:198.18.1.0']);
    assert.deepEqual([...new Set(a.map((x) => x.startMs! - T0))], [0, 60_000, 120_000]);
    assert.deepEqual([...new Set(a.map((x) => x.sourcePort ?? 49152))], [49152, 49153, 49154]);
    assert.ok(a.every((x) => x.durationMs === 2000 && !('hosts' in x) && !('destinations' in x) && !('duration' in x)));
    const b = specs.filter((x) => x.protocol === 'udp');
    assert.deepEqual(
      b.map((x) => [x.startMs! - T0, x.destinationPort]),
      [[30_000, 53], [30_000, 123], [30_000, 124], [40_000, 53], [40_000, 123], [40_000, 124]],
    );
    // Client ports wrap around within the ephemeral range.
    const many = expandScenario({ steps: [{ every: 1, repeat: 16386, flows: [{ source: 'i-1', destination: 'i-2', destinationPort: 1 }] }] }, T0, 20_000);
    assert.deepEqual(many.slice(16382).map((x) => x.sourcePort), [65534, 65535, 49152, 49153]);
    const icmp = specs.filter((x) => x.protocol === 'icmp');
    assert.deepEqual(icmp.map((x) => [x.startMs, x.sourcePort]), [[T0, undefined]]);
  });

  it('refuses malformed scenarios and too many connections', () => {
    const bad: Array<[unknown, RegExp]> = [
      [[], /JSON object with "steps"/],
      [{ steps: [{}] }, /needs "flows"/],
      [{ steps: [{ flows: [{ destination: 'x' }] }] }, /needs a "source"/],
      [{ steps: [{ flows: [{ source: 'x' }] }] }, /"destination" or "destinations"/],
    ];
    for (const [v, msg] of bad) assert.throws(() => parseScenario(v), (e: Error) => e instanceof ScenarioError && msg.test(e.message));
    const flows = [{ source: 'i-1', destination: 'i-2', destinationPort: 1 }];
    assert.throws(() => expandScenario({ steps: [{ repeat: 2, flows }] }, T0, 10), /need "every"/);
    assert.throws(() => expandScenario({ steps: [{ every: '1s', repeat: 2, for: '1m', flows }] }, T0, 10), /not both/);
    assert.throws(() => expandScenario({ steps: [{ every: '1s', for: '1m', flows }] }, T0, 10), /At most 10 connections/);
    assert.throws(() => expandScenario({ steps: [{ flows: [{ source: 'i-1', destination: 'i-2', hosts: 2 }] }] }, T0, 10), /hosts needs an address source/);
    assert.throws(() => parsePorts('20-10'), /empty/);
    assert.throws(() => parsePorts('70000'), /not a port/);
    assert.deepEqual(parsePorts([22, 80]), [22, 80]);
  });

  it('the clock: real until moved, then simulated and only forward', () => {
    let real = 1_000_000;
    const c = new SimulationClock(() => real);
    assert.deepEqual([c.now(), c.mode], [1_000_000, 'real']);
    real += 5;
    assert.equal(c.advance(60_000), 1_060_005);
    real += 5;
    assert.deepEqual([c.now(), c.mode], [1_060_005, 'simulated'], 'simulated time stands still between moves');
    assert.equal(c.set(2_000_000), 2_000_000);
    assert.throws(() => c.set(1_999_999), ClockError);
    assert.throws(() => c.advance(-1), ClockError);
    assert.throws(() => c.real(), /ahead of the real clock/);
    real = 3_000_000;
    assert.deepEqual([c.real(), c.mode], [3_000_000, 'real']);
    assert.deepEqual([parseDuration('90'), parseDuration('500ms'), parseDuration('10m'), parseDuration('1.5h'), parseDuration('1d'), parseDuration(2)], [90_000, 500, 600_000, 5_400_000, 86_400_000, 2000]);
    assert.throws(() => parseDuration('soon'), /not a duration/);
  });
});
