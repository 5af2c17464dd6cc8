/**
 * End to end with the AWS CLI and `vpcsim traffic`: a user builds a VPC with a public web server
 * and a private application server behind a NAT gateway, turns on flow logs to CloudWatch Logs
 * and to S3, sends traffic, flushes, and reads back exactly what AWS would have written — the
 * log streams and their records (both sides of each flow, ACCEPT and REJECT, the NAT gateway's
 * interface with the packets' original addresses), the same records as gzip files in S3's Hive
 * layout, the NAT gateway's CloudWatch metrics — then asks Reachability Analyzer and Network
 * Access Analyzer about the same network.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { AWS, awsCli } from './cli.js';
import { startTestServer, tempDir, type TestServer } from './helpers.js';

const BIN = fileURLToPath(new URL('../../bin/vpcsim.js', import.meta.url));
const ACCOUNT = '000000000000';
const GROUP = '/vpc/shop-flows';
const BUCKET = 'shop-flow-logs';
const PREFIX = 'vpc';
/** Fields of versions 2 to 5, in AWS's order. */
const FIELDS = [
  'version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log-status',
  'vpc-id', 'subnet-id', 'instance-id', 'tcp-flags', 'type', 'pkt-srcaddr', 'pkt-dstaddr',
  'region', 'az-id', 'pkt-src-aws-service', 'pkt-dst-aws-service', 'flow-direction', 'traffic-path',
];
const LOG_FORMAT = FIELDS.map((f) => `\${${f}}`).join(' ');
/** The default format (version 2), as DescribeFlowLogs shows it. */
const DEFAULT_FORMAT = '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}';
const INTERNET_TO_INTERFACES = [
  {
    Source: { ResourceStatement: { ResourceTypes: ['AWS::EC2::InternetGateway'] } },
    Destination: { ResourceStatement: { ResourceTypes: ['AWS::EC2::NetworkInterface'] } },
  },
];

/* eslint-disable @typescript-eslint/no-explicit-any */

function vpcsim(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '' } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('AWS CLI end to end: traffic, flow logs to CloudWatch Logs and S3, NAT gateway metrics, analyzers', () => {
  let srv: TestServer;
  const { ok } = awsCli(() => srv.endpoint);
  const home = tempDir('vpcsim-cli-home-');

  /** `aws <args>` writing bytes to stdout (`aws s3 cp s3://… -`): what a pipe would receive. */
  function awsBytes(args: string[]): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      execFile(
        AWS,
        [...args, '--endpoint-url', srv.endpoint],
        {
          encoding: 'buffer',
          env: {
            PATH: process.env.PATH,
            HOME: home,
            AWS_ACCESS_KEY_ID: 'test',
            AWS_SECRET_ACCESS_KEY: 'test',
            AWS_DEFAULT_REGION: 'us-east-1',
            AWS_PAGER: '',
            AWS_EC2_METADATA_DISABLED: 'true',
            AWS_MAX_ATTEMPTS: '1',
          },
          timeout: 60_000,
        },
        (err, stdout, stderr) => (err ? reject(new Error(`aws ${args.join(' ')}: ${stderr.toString()}`)) : resolve(stdout)),
      );
    });
  }

  // What the network is made of, filled in as the CLI creates it.
  let vpcId = '';
  let pubSubnet = '';
  let privSubnet = '';
  let azId = '';
  let igwId = '';
  let natId = '';
  let natEni = '';
  let natIp = '';
  let natPublicIp = '';
  let web = '';
  let webEni = '';
  let webIp = '';
  let webPublicIp = '';
  let app = '';
  let appEni = '';
  let appIp = '';
  let cwlFlowLog = '';
  let s3FlowLog = '';
  let rejectFlowLog = '';
  /** Simulated time of the traffic: a minute boundary after the flow logs exist. */
  let base = 0;

  before(async () => {
    srv = await startTestServer({ stateTransitionMs: 0 });
  });
  after(() => srv.close());

  it('builds the network with the CLI: subnets, internet and NAT gateways, routes, a network ACL, instances, an Elastic IP', async () => {
    vpcId = (await ok(['ec2', 'create-vpc', '--cidr-block', '10.60.0.0/16', '--tag-specifications', 'ResourceType=vpc,Tags=[{Key=Name,Value=shop}]'])).Vpc.VpcId;
    const [pub, priv, igw, natEip, webEip, sgWeb, rtPub, rtPriv, acl] = await Promise.all([
      ok(['ec2', 'create-subnet', '--vpc-id', vpcId, '--cidr-block', '10.60.1.0/24', '--availability-zone', 'us-east-1a']),
      ok(['ec2', 'create-subnet', '--vpc-id', vpcId, '--cidr-block', '10.60.2.0/24', '--availability-zone', 'us-east-1a']),
      ok(['ec2', 'create-internet-gateway']),
      ok(['ec2', 'allocate-address', '--domain', 'vpc']),
      ok(['ec2', 'allocate-address', '--domain', 'vpc']),
      ok(['ec2', 'create-security-group', '--vpc-id', vpcId, '--group-name', 'web', '--description', 'web servers']),
      ok(['ec2', 'create-route-table', '--vpc-id', vpcId]),
      ok(['ec2', 'create-route-table', '--vpc-id', vpcId]),
      ok(['ec2', 'create-network-acl', '--vpc-id', vpcId]),
    ]);
    pubSubnet = pub.Subnet.SubnetId;
    privSubnet = priv.Subnet.SubnetId;
    azId = pub.Subnet.AvailabilityZoneId;
    assert.match(azId, /^use1-az\d$/);
    igwId = igw.InternetGateway.InternetGatewayId;
    natPublicIp = natEip.PublicIp;
    webPublicIp = webEip.PublicIp;
    const aclId: string = acl.NetworkAcl.NetworkAclId;

    // t2.micro is not Nitro-based: AWS documents traffic-path 2 (not 8) for its traffic through an internet gateway.
    // The application server keeps the VPC's default security group (all outbound traffic allowed).
    const run = (subnet: string, name: string, sg: string[]) =>
      ok([
        'ec2', 'run-instances', '--image-id', 'ami-0a2023c0ffee0a864', '--instance-type', 't2.micro', '--count', '1',
        '--subnet-id', subnet, ...sg, '--tag-specifications', `ResourceType=instance,Tags=[{Key=Name,Value=${name}}]`,
      ]);
    // The private subnet's ACL: HTTPS out and the replies (ephemeral ports) in, nothing else (DNS to the internet is refused).
    const entry = (egress: boolean, ports: string) =>
      ok([
        'ec2', 'create-network-acl-entry', '--network-acl-id', aclId, egress ? '--egress' : '--ingress', '--rule-number', '100',
        '--protocol', 'tcp', '--port-range', ports, '--cidr-block', '0.0.0.0/0', '--rule-action', 'allow',
      ]);
    const [webRun, appRun, privAcl] = await Promise.all([
      run(pubSubnet, 'web-1', ['--security-group-ids', sgWeb.GroupId]),
      run(privSubnet, 'app-1', []),
      ok(['ec2', 'describe-network-acls', '--filters', `Name=association.subnet-id,Values=${privSubnet}`]),
      ok(['ec2', 'attach-internet-gateway', '--internet-gateway-id', igwId, '--vpc-id', vpcId]),
      ok(['ec2', 'authorize-security-group-ingress', '--group-id', sgWeb.GroupId, '--protocol', 'tcp', '--port', '443', '--cidr', '0.0.0.0/0']),
      ok(['ec2', 'associate-route-table', '--route-table-id', rtPub.RouteTable.RouteTableId, '--subnet-id', pubSubnet]),
      ok(['ec2', 'associate-route-table', '--route-table-id', rtPriv.RouteTable.RouteTableId, '--subnet-id', privSubnet]),
      entry(true, 'From=443,To=443'),
      entry(false, 'From=1024,To=65535'),
    ]);
    const webInst = webRun.Instances[0];
    const appInst = appRun.Instances[0];
    web = webInst.InstanceId;
    webEni = webInst.NetworkInterfaces[0].NetworkInterfaceId;
    webIp = webInst.PrivateIpAddress;
    app = appInst.InstanceId;
    appEni = appInst.NetworkInterfaces[0].NetworkInterfaceId;
    appIp = appInst.PrivateIpAddress;
    assert.match(webIp, /^10\.60\.1\.\d+$/);
    assert.match(appIp, /^10\.60\.2\.\d+$/);
    assert.deepEqual(appInst.SecurityGroups.map((g: any) => g.GroupName), ['default']);
    const assoc = privAcl.NetworkAcls[0].Associations.find((a: any) => a.SubnetId === privSubnet).NetworkAclAssociationId;

    const [nat] = await Promise.all([
      ok(['ec2', 'create-nat-gateway', '--subnet-id', pubSubnet, '--allocation-id', natEip.AllocationId]),
      ok(['ec2', 'create-route', '--route-table-id', rtPub.RouteTable.RouteTableId, '--destination-cidr-block', '0.0.0.0/0', '--gateway-id', igwId]),
      ok(['ec2', 'associate-address', '--allocation-id', webEip.AllocationId, '--instance-id', web]),
      ok(['ec2', 'replace-network-acl-association', '--association-id', assoc, '--network-acl-id', aclId]),
    ]);
    natId = nat.NatGateway.NatGatewayId;
    await ok(['ec2', 'wait', 'nat-gateway-available', '--nat-gateway-ids', natId]);
    const [natShown, , eipShown] = await Promise.all([
      ok(['ec2', 'describe-nat-gateways', '--nat-gateway-ids', natId]),
      ok(['ec2', 'create-route', '--route-table-id', rtPriv.RouteTable.RouteTableId, '--destination-cidr-block', '0.0.0.0/0', '--nat-gateway-id', natId]),
      ok(['ec2', 'describe-addresses', '--query', 'Addresses[].[PublicIp,InstanceId,NetworkInterfaceId]']),
    ]);
    const addr = natShown.NatGateways[0].NatGatewayAddresses[0];
    assert.equal(natShown.NatGateways[0].State, 'available');
    assert.equal(addr.PublicIp, natPublicIp);
    natEni = addr.NetworkInterfaceId;
    natIp = addr.PrivateIp;
    assert.match(natIp, /^10\.60\.1\.\d+$/);
    assert.deepEqual(
      [...eipShown].sort(),
      [
        [natPublicIp, null, natEni],
        [webPublicIp, web, webEni],
      ].sort(),
    );
  });

  it('turns on flow logs: the VPC to CloudWatch Logs and to S3 in a custom format, the web server’s rejected traffic in the default format', async () => {
    await Promise.all([ok(['logs', 'create-log-group', '--log-group-name', GROUP]), ok(['s3', 'mb', `s3://${BUCKET}`])]);
    const [cwl, s3, rejects] = await Promise.all([
      ok([
        'ec2', 'create-flow-logs', '--resource-type', 'VPC', '--resource-ids', vpcId, '--traffic-type', 'ALL',
        '--log-group-name', GROUP, '--deliver-logs-permission-arn', `arn:aws:iam::${ACCOUNT}:role/flow-logs`,
        '--max-aggregation-interval', '60', '--log-format', LOG_FORMAT,
      ]),
      ok([
        'ec2', 'create-flow-logs', '--resource-type', 'VPC', '--resource-ids', vpcId, '--traffic-type', 'ALL',
        '--log-destination-type', 's3', '--log-destination', `arn:aws:s3:::${BUCKET}/${PREFIX}/`,
        '--destination-options', 'FileFormat=plain-text,HiveCompatiblePartitions=true,PerHourPartition=true',
        '--max-aggregation-interval', '60', '--log-format', LOG_FORMAT,
      ]),
      // The web server's rejected traffic alone, in the default format, to the same log group named by its ARN.
      ok([
        'ec2', 'create-flow-logs', '--resource-type', 'NetworkInterface', '--resource-ids', webEni, '--traffic-type', 'REJECT',
        '--log-destination-type', 'cloud-watch-logs', '--log-destination', `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${GROUP}`,
        '--deliver-logs-permission-arn', `arn:aws:iam::${ACCOUNT}:role/flow-logs`, '--max-aggregation-interval', '60',
      ]),
    ]);
    assert.deepEqual([cwl.Unsuccessful, s3.Unsuccessful, rejects.Unsuccessful], [[], [], []]);
    rejectFlowLog = rejects.FlowLogIds[0];
    cwlFlowLog = cwl.FlowLogIds[0];
    s3FlowLog = s3.FlowLogIds[0];
    assert.match(cwlFlowLog, /^fl-[0-9a-f]{17}$/);
    assert.match(s3FlowLog, /^fl-[0-9a-f]{17}$/);

    const described = await ok(['ec2', 'describe-flow-logs']);
    const byId = new Map<string, any>(described.FlowLogs.map((f: any) => [f.FlowLogId, f]));
    assert.deepEqual([...byId.keys()].sort(), [cwlFlowLog, s3FlowLog, rejectFlowLog].sort());
    const c = byId.get(cwlFlowLog);
    assert.deepEqual(
      [c.LogDestinationType, c.LogGroupName, c.TrafficType, c.MaxAggregationInterval, c.LogFormat, c.FlowLogStatus],
      ['cloud-watch-logs', GROUP, 'ALL', 60, LOG_FORMAT, 'ACTIVE'],
    );
    const s = byId.get(s3FlowLog);
    assert.deepEqual(
      [s.LogDestinationType, s.LogDestination, s.LogFormat, s.DestinationOptions],
      ['s3', `arn:aws:s3:::${BUCKET}/${PREFIX}/`, LOG_FORMAT, { FileFormat: 'plain-text', HiveCompatiblePartitions: true, PerHourPartition: true }],
    );
    const r = byId.get(rejectFlowLog);
    assert.deepEqual(
      [r.ResourceId, r.TrafficType, r.LogDestinationType, r.LogGroupName, r.LogDestination, r.LogFormat],
      [webEni, 'REJECT', 'cloud-watch-logs', GROUP, `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${GROUP}`, DEFAULT_FORMAT],
    );

    // Simulated time from the next minute boundary on, after the flow logs were created.
    base = Math.ceil((Date.now() + 2_000) / 60_000) * 60_000 + 60_000;
    const set = await vpcsim(['traffic', 'clock', '--set', new Date(base).toISOString(), '--endpoint', srv.endpoint]);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout.split('\n')[0], `Clock: ${new Date(base).toISOString()} (simulated)`);
  });

  it('sends traffic with vpcsim traffic: HTTPS to the web server, SSH refused by its group, the application out through the NAT gateway', async () => {
    const send = async (args: string[]) => {
      const r = await vpcsim(['traffic', ...args, '--json', '--endpoint', srv.endpoint]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const [https, ssh, egress, dns] = await Promise.all([
      send(['--from', 'internet:198.18.0.7', '--to', web, '--port', '443', '--source-port', '50000', '--packets', '12', '--bytes', '1500', '--reply-packets', '9', '--reply-bytes', '7000']),
      send(['--from', 'internet:198.18.0.7', '--to', web, '--port', '22', '--source-port', '50001', '--packets', '2', '--bytes', '120']),
      send(['--from', app, '--to', '198.18.10.5', '--port', '443', '--source-port', '40000', '--packets', '10', '--bytes', '1000', '--reply-packets', '20', '--reply-bytes', '24000']),
      send(['--from', app, '--to', '198.18.53.53', '--protocol', 'udp', '--port', '53', '--source-port', '40001', '--packets', '1', '--bytes', '60']),
    ]);
    const summary = (r: any) => [r.connections, r.accepted, r.observations, r.flows[0].verdict, r.flows[0].ports, r.flows[0].explanationCodes];
    assert.deepEqual(summary(https), [1, 1, 2, 'accepted', '50000→443', []]);
    assert.deepEqual(summary(ssh), [1, 0, 1, 'dropped', '50001→22', ['ENI_SG_RULES_MISMATCH']]);
    assert.deepEqual(summary(egress), [1, 1, 6, 'accepted', '40000→443', []]);
    assert.deepEqual(summary(dns), [1, 0, 1, 'dropped', '40001→53', ['SUBNET_ACL_RESTRICTION']]);
    assert.deepEqual([https.flows[0].packets, https.flows[0].bytes, https.flows[0].replyPackets, https.flows[0].replyBytes], [12, 1500, 9, 7000]);
    assert.deepEqual([ssh.flows[0].replyPackets, ssh.flows[0].replyBytes], [0, 0], 'a refused connection has no reply');
    assert.equal(https.flows[0].startTime, new Date(base).toISOString());
    for (const r of [https, ssh, egress, dns]) assert.equal(r.delivered, undefined, 'the window is still open');

    const flushed = await vpcsim(['traffic', 'flush', '--endpoint', srv.endpoint]);
    assert.equal(flushed.code, 0, flushed.stderr);
    // 10 records, each to both VPC flow logs (10 log events and one S3 object), and the web server's REJECT record once more.
    assert.equal(flushed.stdout.trim(), 'Delivered: 21 records (11 log events, 1 S3 object)');
  });

  /** The records AWS writes for the traffic above, in the flow logs' format. */
  function expected(): { web: string[]; nat: string[]; app: string[]; sshDefault: string } {
    const s = Math.floor(base / 1000);
    const e = s + 1;
    // version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
    // vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path
    const line = (
      eni: string, subnet: string, instance: string,
      src: string, dst: string, sport: number, dport: number, proto: number, packets: number, bytes: number, action: string,
      flags: number, pktSrc: string, pktDst: string, direction: string, path: string,
    ) =>
      `5 ${ACCOUNT} ${eni} ${src} ${dst} ${sport} ${dport} ${proto} ${packets} ${bytes} ${s} ${e} ${action} OK ` +
      `${vpcId} ${subnet} ${instance} ${flags} IPv4 ${pktSrc} ${pktDst} us-east-1 ${azId} - - ${direction} ${path}`;
    const w = (...a: [string, string, number, number, number, number, number, string, number, string, string, string, string]) => line(webEni, pubSubnet, web, ...a);
    const n = (...a: [string, string, number, number, number, number, number, string, number, string, string, string, string]) => line(natEni, pubSubnet, '-', ...a);
    const p = (...a: [string, string, number, number, number, number, number, string, number, string, string, string, string]) => line(appEni, privSubnet, app, ...a);
    return {
      sshDefault: `2 ${ACCOUNT} ${webEni} 198.18.0.7 ${webIp} 50001 22 6 2 120 ${s} ${e} REJECT OK`,
      web: [
        w('198.18.0.7', webIp, 50000, 443, 6, 12, 1500, 'ACCEPT', 3, '198.18.0.7', webIp, 'ingress', '-'),
        w(webIp, '198.18.0.7', 443, 50000, 6, 9, 7000, 'ACCEPT', 19, webIp, '198.18.0.7', 'egress', '2'),
        w('198.18.0.7', webIp, 50001, 22, 6, 2, 120, 'REJECT', 2, '198.18.0.7', webIp, 'ingress', '-'),
      ],
      nat: [
        n(appIp, natIp, 40000, 443, 6, 10, 1000, 'ACCEPT', 3, appIp, '198.18.10.5', 'ingress', '-'),
        n(natIp, '198.18.10.5', 40000, 443, 6, 10, 1000, 'ACCEPT', 3, natIp, '198.18.10.5', 'egress', '2'),
        n('198.18.10.5', natIp, 443, 40000, 6, 20, 24000, 'ACCEPT', 19, '198.18.10.5', natIp, 'ingress', '-'),
        n(natIp, appIp, 443, 40000, 6, 20, 24000, 'ACCEPT', 19, '198.18.10.5', appIp, 'egress', '1'),
      ],
      app: [
        p(appIp, '198.18.10.5', 40000, 443, 6, 10, 1000, 'ACCEPT', 3, appIp, '198.18.10.5', 'egress', '1'),
        p('198.18.10.5', appIp, 443, 40000, 6, 20, 24000, 'ACCEPT', 19, '198.18.10.5', appIp, 'ingress', '-'),
        p(appIp, '198.18.53.53', 40001, 53, 17, 1, 60, 'REJECT', 0, appIp, '198.18.53.53', 'egress', '1'),
      ],
    };
  }

  // Everything below reads what was delivered (or analyses the network): side by side, as several shells would.
  describe('after the flush', { concurrency: true }, () => {
    it('CloudWatch Logs: one stream per interface with traffic, the exact records on both sides of each flow', async () => {
      const [streams, webStreams, webEvents, webRejects, others] = await Promise.all([
        ok(['logs', 'describe-log-streams', '--log-group-name', GROUP]),
        ok(['logs', 'describe-log-streams', '--log-group-name', GROUP, '--log-stream-name-prefix', webEni, '--query', 'logStreams[].logStreamName']),
        ok(['logs', 'get-log-events', '--log-group-name', GROUP, '--log-stream-name', `${webEni}-all`, '--start-from-head']),
        ok(['logs', 'get-log-events', '--log-group-name', GROUP, '--log-stream-name', `${webEni}-reject`, '--start-from-head']),
        ok(['logs', 'filter-log-events', '--log-group-name', GROUP, '--log-stream-names', `${natEni}-all`, `${appEni}-all`]),
      ]);
      const natEvents = { events: others.events.filter((ev: any) => ev.logStreamName === `${natEni}-all`) };
      const appEvents = { events: others.events.filter((ev: any) => ev.logStreamName === `${appEni}-all`) };
      assert.equal(others.events.length, 7);
      assert.deepEqual(
        streams.logStreams.map((x: any) => x.logStreamName).sort(),
        [`${appEni}-all`, `${natEni}-all`, `${webEni}-all`, `${webEni}-reject`].sort(),
      );
      for (const x of streams.logStreams) {
        assert.equal(x.arn, `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${GROUP}:log-stream:${x.logStreamName}`);
        assert.equal(x.firstEventTimestamp, base);
      }
      assert.deepEqual(webStreams.sort(), [`${webEni}-all`, `${webEni}-reject`]);
      const want = expected();
      const messages = (r: any) => r.events.map((ev: any) => ev.message).sort();
      assert.deepEqual(messages(webEvents), [...want.web].sort());
      assert.deepEqual(messages(natEvents), [...want.nat].sort());
      assert.deepEqual(messages(appEvents), [...want.app].sort());
      assert.deepEqual(messages(webRejects), [want.sshDefault]);
      for (const r of [webEvents, natEvents, appEvents]) for (const ev of r.events) assert.equal(ev.timestamp, base, 'the timestamp is the record start');

      // The NAT gateway's interface shows the application as the packets' source on the way out,
      // and as their destination on the way back.
      const natFields = natEvents.events.map((ev: any) => ev.message.split(' '));
      const at = (name: string) => FIELDS.indexOf(name);
      assert.deepEqual(
        natFields.filter((f: string[]) => f[at('pkt-srcaddr')] === appIp).map((f: string[]) => [f[at('srcaddr')], f[at('dstaddr')], f[at('flow-direction')]]),
        [[appIp, natIp, 'ingress']],
      );
    });

    it('CloudWatch Logs: space-delimited filter patterns pick the SSH records, the REJECT records, the large replies', async () => {
      const [ssh, rejects, large] = await Promise.all([
        ok(['logs', 'filter-log-events', '--log-group-name', GROUP, '--filter-pattern', '[version, account, eni, source, destination, srcport, destport="22", ...]']),
        ok([
          'logs', 'filter-log-events', '--log-group-name', GROUP,
          '--filter-pattern', `[version, account, eni, source, destination, srcport, destport, protocol, packets, bytes, start, end, action="REJECT", status="OK", ${FIELDS.slice(14).map((f) => f.replace(/-/g, '_')).join(', ')}]`,
        ]),
        ok(['logs', 'filter-log-events', '--log-group-name', GROUP, '--filter-pattern', '[version, account, eni, source, destination, srcport, destport, protocol, packets, bytes>5000, ...]']),
      ]);
      const want = expected();
      // Both flow logs of the web server recorded it; the pattern reads the seventh field of either format.
      assert.deepEqual(
        ssh.events.map((ev: any) => [ev.logStreamName, ev.message]).sort(),
        [
          [`${webEni}-all`, want.web[2]],
          [`${webEni}-reject`, want.sshDefault],
        ].sort(),
      );
      // 27 fields and no ellipsis: the default format's 14-field lines do not match.
      assert.deepEqual(rejects.events.map((ev: any) => ev.message).sort(), [want.web[2], want.app[2]].sort());
      // Numeric comparison: the replies of 7000 and 24000 bytes, wherever they were recorded.
      assert.deepEqual(large.events.map((ev: any) => ev.message).sort(), [want.web[1], want.nat[2], want.nat[3], want.app[1]].sort());
    });

    it('S3: one gzip object in the Hive-compatible hourly layout, a header line and the same records', async () => {
      // `aws s3 ls` prints text, not JSON: date, time, size, key.
      const ls = (await awsBytes(['s3', 'ls', `s3://${BUCKET}/`, '--recursive'])).toString().trim().split('\n');
      assert.equal(ls.length, 1, ls.join('\n'));
      const m = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +(\d+) (\S+)$/.exec(ls[0]!);
      assert.ok(m, ls[0]);
      const key = m[2]!;
      const t = new Date(base).toISOString(); // YYYY-MM-DDTHH:mm:…
      const [yyyy, mm, dd, hh, mi] = [t.slice(0, 4), t.slice(5, 7), t.slice(8, 10), t.slice(11, 13), t.slice(14, 16)];
      const dir = `${PREFIX}/AWSLogs/aws-account-id=${ACCOUNT}/aws-service=vpcflowlogs/aws-region=us-east-1/year=${yyyy}/month=${mm}/day=${dd}/hour=${hh}/`;
      const file = `${ACCOUNT}_vpcflowlogs_us-east-1_${s3FlowLog}_${yyyy}${mm}${dd}T${hh}${mi}Z_`;
      assert.ok(key.startsWith(dir + file), `${key} should start with ${dir}${file}`);
      assert.match(key.slice((dir + file).length), /^[0-9a-f]{8}\.log\.gz$/);

      const [body, status] = await Promise.all([
        awsBytes(['s3', 'cp', `s3://${BUCKET}/${key}`, '-']),
        ok(['ec2', 'describe-flow-logs', '--filter', 'Name=deliver-log-status,Values=SUCCESS', '--query', 'FlowLogs[].[FlowLogId,DeliverLogsStatus]']),
      ]);
      assert.equal(body.length, Number(m[1]), 'the size aws s3 ls shows');
      assert.equal(body[0], 0x1f, 'gzip');
      assert.equal(body[1], 0x8b, 'gzip');
      const lines = gunzipSync(body).toString('utf8').split('\n').filter(Boolean);
      assert.equal(lines[0], FIELDS.join(' '));
      const want = expected();
      assert.deepEqual(lines.slice(1).sort(), [...want.web, ...want.nat, ...want.app].sort());

      assert.deepEqual(status.sort(), [[cwlFlowLog, 'SUCCESS'], [rejectFlowLog, 'SUCCESS'], [s3FlowLog, 'SUCCESS']].sort());
    });

    it('CloudWatch: the NAT gateway metrics match the traffic the application sent', async () => {
      const window = ['--start-time', new Date(base - 60_000).toISOString(), '--end-time', new Date(base + 120_000).toISOString()];
      const query = (id: string, metric: string, stat = 'Sum') => ({
        Id: id,
        MetricStat: { Metric: { Namespace: 'AWS/NATGateway', MetricName: metric, Dimensions: [{ Name: 'NatGatewayId', Value: natId }] }, Period: 60, Stat: stat },
      });
      const [stats, data, listed] = await Promise.all([
        ok([
          'cloudwatch', 'get-metric-statistics', '--namespace', 'AWS/NATGateway', '--metric-name', 'BytesOutToDestination',
          '--dimensions', `Name=NatGatewayId,Value=${natId}`, ...window, '--period', '60', '--statistics', 'Sum',
        ]),
        ok([
          'cloudwatch', 'get-metric-data', ...window,
          '--metric-data-queries',
          JSON.stringify([
            query('bytesIn', 'BytesInFromSource'),
            query('packetsOut', 'PacketsOutToDestination'),
            query('bytesBack', 'BytesInFromDestination'),
            query('bytesToSource', 'BytesOutToSource'),
            query('packetsToSource', 'PacketsOutToSource'),
            query('attempts', 'ConnectionAttemptCount'),
            query('established', 'ConnectionEstablishedCount'),
            query('active', 'ActiveConnectionCount', 'Maximum'),
            query('portErrors', 'ErrorPortAllocation'),
            query('dropped', 'PacketsDropCount'),
          ]),
        ]),
        ok(['cloudwatch', 'list-metrics', '--namespace', 'AWS/NATGateway']),
      ]);
      assert.equal(stats.Label, 'BytesOutToDestination');
      assert.deepEqual(
        stats.Datapoints.map((d: any) => [Date.parse(d.Timestamp), d.Sum, d.Unit]),
        [[base, 1000, 'Bytes']],
        'the 1000 bytes the application sent, in the minute it sent them',
      );
      const values = Object.fromEntries(data.MetricDataResults.map((r: any) => [r.Id, [r.StatusCode, r.Timestamps.map(Date.parse), r.Values]]));
      const one = (v: number) => ['Complete', [base], [v]];
      assert.deepEqual(values, {
        bytesIn: one(1000),
        packetsOut: one(10),
        bytesBack: one(24000),
        bytesToSource: one(24000),
        packetsToSource: one(20),
        attempts: one(1),
        established: one(1),
        active: one(1),
        portErrors: one(0),
        dropped: one(0),
      });
      assert.deepEqual(
        listed.Metrics.map((m: any) => m.MetricName).sort(),
        [
          'ActiveConnectionCount', 'BytesInFromDestination', 'BytesInFromSource', 'BytesOutToDestination', 'BytesOutToSource',
          'ConnectionAttemptCount', 'ConnectionEstablishedCount', 'ErrorPortAllocation', 'IdleTimeoutCount', 'PacketsDropCount',
          'PacketsInFromDestination', 'PacketsInFromSource', 'PacketsOutToDestination', 'PacketsOutToSource',
        ],
      );
      for (const m of listed.Metrics) assert.deepEqual([m.Namespace, m.Dimensions], ['AWS/NATGateway', [{ Name: 'NatGatewayId', Value: natId }]]);
    });

    it('Reachability Analyzer: the internet reaches the web server on 443 through its Elastic IP', async () => {
      const created = await ok(['ec2', 'create-network-insights-path', '--source', igwId, '--destination', web, '--protocol', 'tcp', '--destination-port', '443']);
      const nip: string = created.NetworkInsightsPath.NetworkInsightsPathId;
      assert.match(nip, /^nip-[0-9a-f]{17}$/);
      const started = await ok(['ec2', 'start-network-insights-analysis', '--network-insights-path-id', nip]);
      assert.equal(started.NetworkInsightsAnalysis.Status, 'running');
      const described = await ok(['ec2', 'describe-network-insights-analyses', '--network-insights-path-id', nip]);
      assert.equal(described.NetworkInsightsAnalyses.length, 1);
      const a = described.NetworkInsightsAnalyses[0];
      assert.deepEqual([a.NetworkInsightsAnalysisId, a.Status, a.NetworkPathFound], [started.NetworkInsightsAnalysis.NetworkInsightsAnalysisId, 'succeeded', true]);
      const ids = a.ForwardPathComponents.map((c: any) => c.Component.Id);
      assert.equal(ids[0], igwId);
      assert.ok(ids.includes(webEni), ids.join(' '));
      assert.ok(!ids.includes(appEni), ids.join(' '));
      assert.equal(ids.at(-1), web);
      // The internet gateway translates the Elastic IP to the web server's private address.
      const igwHop = a.ForwardPathComponents[0];
      assert.deepEqual([igwHop.InboundHeader?.DestinationAddresses, igwHop.OutboundHeader?.DestinationAddresses], [[webPublicIp], [webIp]]);
    });

    it('Network Access Analyzer: from the internet gateway, only the web server’s interface is reachable, on 443', async () => {
      const created = await ok(['ec2', 'create-network-insights-access-scope', '--match-paths', JSON.stringify(INTERNET_TO_INTERFACES)]);
      const nis: string = created.NetworkInsightsAccessScope.NetworkInsightsAccessScopeId;
      assert.match(nis, /^nis-[0-9a-f]{17}$/);
      const started = await ok(['ec2', 'start-network-insights-access-scope-analysis', '--network-insights-access-scope-id', nis]);
      const nisa: string = started.NetworkInsightsAccessScopeAnalysis.NetworkInsightsAccessScopeAnalysisId;
      const found = await ok(['ec2', 'get-network-insights-access-scope-analysis-findings', '--network-insights-access-scope-analysis-id', nisa]);
      assert.equal(found.AnalysisStatus, 'succeeded');
      assert.equal(found.AnalysisFindings.length, 1, JSON.stringify(found.AnalysisFindings));
      const f = found.AnalysisFindings[0];
      assert.equal(f.NetworkInsightsAccessScopeId, nis);
      assert.equal(f.NetworkInsightsAccessScopeAnalysisId, nisa);
      const components: string[] = f.FindingComponents.map((c: any) => c.Component?.Id).filter(Boolean);
      assert.equal(components[0], igwId);
      assert.ok(components.includes(webEni), components.join(' '));
      assert.ok(!components.includes(appEni), 'the application server is not reachable from the internet');
      assert.ok(!components.includes(natEni), 'nor is the NAT gateway');
      assert.equal(components.at(-1), web);
      const ports = f.FindingComponents.flatMap((c: any) => c.OutboundHeader?.DestinationPortRanges ?? c.InboundHeader?.DestinationPortRanges ?? []);
      assert.ok(ports.length > 0);
      for (const p of ports) assert.deepEqual(p, { From: 443, To: 443 });
    });
  });

  it('two minutes later: NODATA for the idle minute of each interface, in CloudWatch Logs and in S3', async () => {
    const moved = await vpcsim(['traffic', 'clock', '--advance', '2m', '--json', '--endpoint', srv.endpoint]);
    assert.equal(moved.code, 0, moved.stderr);
    const answer = JSON.parse(moved.stdout);
    assert.equal(answer.clock.now, base + 120_000);
    // The minute of the traffic was delivered by the flush; the next one had no traffic: one NODATA record per interface and flow log.
    assert.deepEqual(answer.delivered, { records: 7, logEvents: 4, s3Objects: 1 });

    const s = Math.floor(base / 1000) + 60;
    const e = s + 59;
    const nodata = (eni: string, subnet: string, instance: string) =>
      `5 ${ACCOUNT} ${eni} - - - - - - - ${s} ${e} - NODATA ${vpcId} ${subnet} ${instance} - - - - us-east-1 ${azId} - - - -`;
    const want = [nodata(webEni, pubSubnet, web), nodata(natEni, pubSubnet, '-'), nodata(appEni, privSubnet, app)].sort();
    const rejectNodata = `2 ${ACCOUNT} ${webEni} - - - - - - - ${s} ${e} - NODATA`;
    const [found, ls] = await Promise.all([
      ok(['logs', 'filter-log-events', '--log-group-name', GROUP, '--filter-pattern', '[version, account, eni, source, destination, srcport, destport, protocol, packets, bytes, start, end, action, status="NODATA", ...]']),
      awsBytes(['s3', 'ls', `s3://${BUCKET}/${PREFIX}/`, '--recursive']),
    ]);
    assert.deepEqual(found.events.map((ev: any) => ev.message).sort(), [...want, rejectNodata].sort());
    for (const ev of found.events) assert.equal(ev.timestamp, s * 1000);
    const keys = ls.toString().trim().split('\n').map((l) => l.split(/\s+/)[3]!).sort();
    assert.equal(keys.length, 2);
    const t = new Date(base + 120_000).toISOString();
    const later = `${PREFIX}/AWSLogs/aws-account-id=${ACCOUNT}/aws-service=vpcflowlogs/aws-region=us-east-1/year=${t.slice(0, 4)}/month=${t.slice(5, 7)}/day=${t.slice(8, 10)}/hour=${t.slice(11, 13)}/${ACCOUNT}_vpcflowlogs_us-east-1_${s3FlowLog}_${t.slice(0, 4)}${t.slice(5, 7)}${t.slice(8, 10)}T${t.slice(11, 13)}${t.slice(14, 16)}Z_`;
    const second = keys.find((k) => k.startsWith(later));
    assert.ok(second, `${keys.join(' ')} should hold ${later}…`);
    const lines = gunzipSync(await awsBytes(['s3', 'cp', `s3://${BUCKET}/${second}`, '-'])).toString('utf8').split('\n').filter(Boolean);
    assert.deepEqual([lines[0], ...lines.slice(1).sort()], [FIELDS.join(' '), ...want]);
  });
});
