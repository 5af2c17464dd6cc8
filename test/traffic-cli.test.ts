/**
 * `vpcsim traffic` against a running server, on the network docs/traffic.md builds: one flow,
 * the example scenario files, the clock and flush, and the records read back with
 * @aws-sdk/client-cloudwatch-logs.
 */
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateFlowLogsCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DescribeNatGatewaysCommand,
  type Instance,
  ModifySubnetAttributeCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from './helpers.js';

const BIN = fileURLToPath(new URL('../../bin/vpcsim.js', import.meta.url));
const SCENARIOS = fileURLToPath(new URL('../../scenarios/', import.meta.url));

function vpcsim(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '' } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('vpcsim traffic (command line)', () => {
  let srv: TestServer;
  let logs: CloudWatchLogsClient;
  const web: Instance[] = [];
  let app: Instance;
  let natEni = '';
  let natIp = '';
  let base = 0;

  before(async () => {
    srv = await startTestServer({ stateTransitionMs: 0 });
    const ec2 = srv.ec2();
    logs = new CloudWatchLogsClient({ endpoint: srv.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    // The network of docs/traffic.md.
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
    const pub = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
    const priv = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.0.2.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
    await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: pub, MapPublicIpOnLaunch: { Value: true } }));
    const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpc }));
    const rtPub = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpc }))).RouteTable!.RouteTableId!;
    await ec2.send(new CreateRouteCommand({ RouteTableId: rtPub, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }));
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtPub, SubnetId: pub }));
    const eip = (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId!;
    const nat = (await ec2.send(new CreateNatGatewayCommand({ SubnetId: pub, AllocationId: eip }))).NatGateway!.NatGatewayId!;
    const rtPriv = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpc }))).RouteTable!.RouteTableId!;
    await ec2.send(new CreateRouteCommand({ RouteTableId: rtPriv, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat }));
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtPriv, SubnetId: priv }));
    await ec2.send(new CreateVpcEndpointCommand({ VpcId: vpc, ServiceName: 'com.amazonaws.us-east-1.s3', VpcEndpointType: 'Gateway', RouteTableIds: [rtPriv] }));
    const sgWeb = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpc, GroupName: 'web', Description: 'web servers' }))).GroupId!;
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: sgWeb, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }),
    );
    const sgApp = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpc, GroupName: 'app', Description: 'application servers' }))).GroupId!;
    const run = async (subnet: string, sg: string, name: string) =>
      (
        await ec2.send(
          new RunInstancesCommand({
            ImageId: 'ami-0a2023c0ffee0a864',
            InstanceType: 't3.micro',
            MinCount: 1,
            MaxCount: 1,
            SubnetId: subnet,
            SecurityGroupIds: [sg],
            TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: name }] }],
          }),
        )
      ).Instances![0]!;
    for (const name of ['web-1', 'web-2', 'web-3']) web.push(await run(pub, sgWeb, name));
    app = await run(priv, sgApp, 'app-1');
    const natGw = (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [nat] }))).NatGateways![0]!;
    natEni = natGw.NatGatewayAddresses![0]!.NetworkInterfaceId!;
    natIp = natGw.NatGatewayAddresses![0]!.PrivateIp!;
    await ec2.send(
      new CreateFlowLogsCommand({
        ResourceType: 'VPC',
        ResourceIds: [vpc],
        TrafficType: 'ALL',
        LogDestinationType: 'cloud-watch-logs',
        LogGroupName: '/vpcsim/flow-logs',
        DeliverLogsPermissionArn: 'arn:aws:iam::000000000000:role/flow-logs',
        MaxAggregationInterval: 60,
      }),
    );
    base = Math.ceil((Date.now() + 2_000) / 60_000) * 60_000 + 60_000;
  });
  after(() => srv.close());

  const events = async (eni: string) =>
    (await logs.send(new GetLogEventsCommand({ logGroupName: '/vpcsim/flow-logs', logStreamName: `${eni}-all`, startFromHead: true }))).events!.map((e) => e.message!);

  it('clock: reads it, sets it, refuses to go back', async () => {
    const read = await vpcsim(['traffic', 'clock', '--endpoint', srv.endpoint]);
    assert.equal(read.code, 0, read.stderr);
    assert.match(read.stdout, /^Clock: \d{4}-\d\d-\d\dT.*Z \(real clock\)$/m);
    const set = await vpcsim(['traffic', 'clock', '--set', new Date(base).toISOString(), '--endpoint', srv.endpoint]);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout.split('\n')[0], `Clock: ${new Date(base).toISOString()} (simulated)`);
    const back = await vpcsim(['traffic', 'clock', '--set', new Date(base - 1000).toISOString(), '--endpoint', srv.endpoint]);
    assert.equal(back.code, 2);
    assert.match(back.stderr, /InvalidRequest: The clock only moves forward/);
  });

  it('one flow: prints the verdict; flush delivers both records of the interface', async () => {
    const r = await vpcsim(['traffic', '--from', 'internet:198.18.0.7', '--to', web[0]!.InstanceId!, '--port', '443', '--source-port', '50000', '--packets', '12', '--bytes', '1500', '--endpoint', srv.endpoint]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^tcp internet:198\\.18\\.0\\.7 → ${web[0]!.InstanceId} 50000→443 +ACCEPTED +12 pkts 1500 B, reply 10 pkts 840 B$`, 'm'));
    assert.match(r.stdout, /^1 connection: 1 accepted, 0 dropped; 2 interface observations recorded\.$/m);
    const f = await vpcsim(['traffic', 'flush', '--endpoint', srv.endpoint]);
    assert.equal(f.code, 0, f.stderr);
    assert.equal(f.stdout.trim(), 'Delivered: 2 records (2 log events)');
    const eni = web[0]!.NetworkInterfaces![0]!.NetworkInterfaceId!;
    const ip = web[0]!.PrivateIpAddress!;
    const s = Math.floor(base / 1000);
    assert.deepEqual(await events(eni), [
      `2 000000000000 ${eni} 198.18.0.7 ${ip} 50000 443 6 12 1500 ${s} ${s + 1} ACCEPT OK`,
      `2 000000000000 ${eni} ${ip} 198.18.0.7 443 50000 6 10 840 ${s} ${s + 1} ACCEPT OK`,
    ]);
  });

  it('the example scenarios run against the documented network', async () => {
    const run = async (file: string) => {
      const r = await vpcsim(['traffic', '--scenario', `${SCENARIOS}${file}`, '--json', '--endpoint', srv.endpoint]);
      assert.equal(r.code, 0, `${file}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    };
    const scan = await run('portscan.json');
    assert.deepEqual([scan.connections, scan.accepted, scan.dropped], [1024, 1, 1023]);
    const webTraffic = await run('web.json');
    assert.deepEqual([webTraffic.connections, webTraffic.accepted], [100 * 3 * 10, 3000]);
    const s3 = await run('s3-endpoint.json');
    assert.deepEqual([s3.connections, s3.accepted], [4 * 10 + 5, 45]);
    const egress = await run('nat-egress.json');
    assert.deepEqual([egress.connections, egress.accepted], [21 * 10, 210]);

    const f = await vpcsim(['traffic', 'flush', '--json', '--endpoint', srv.endpoint]);
    assert.equal(f.code, 0, f.stderr);
    assert.ok(JSON.parse(f.stdout).delivered.records > 0);
    // The NAT gateway's interface saw the application's calls on both sides.
    const nat = await events(natEni);
    assert.ok(nat.some((l) => l.includes(` ${app.PrivateIpAddress} ${natIp} `) && l.includes(' 443 6 ')), 'the request reaching the NAT gateway');
    assert.ok(nat.some((l) => l.includes(` ${natIp} 198.18.10.5 `)), 'the translated request leaving it');
    // The application's interface: S3 through the endpoint.
    const appLines = await events(app.NetworkInterfaces![0]!.NetworkInterfaceId!);
    assert.ok(appLines.some((l) => l.includes(` ${app.PrivateIpAddress} 52.216.10.20 `) && l.endsWith('ACCEPT OK')));
  });

  it('usage errors and refused requests exit 2', async () => {
    const none = await vpcsim(['traffic', '--endpoint', srv.endpoint]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--from and --to/);
    const bad = await vpcsim(['traffic', '--from', 'i-0123456789abcdef0', '--to', web[0]!.InstanceId!, '--port', '443', '--endpoint', srv.endpoint]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^vpcsim traffic: InvalidRequest: Source instance i-0123456789abcdef0 does not exist\./m);
    const dur = await vpcsim(['traffic', 'clock', '--advance', 'soon', '--endpoint', srv.endpoint]);
    assert.equal(dur.code, 2);
    assert.match(dur.stderr, /not a duration/);
    const help = await vpcsim(['traffic', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /vpcsim traffic --scenario FILE/);
  });
});
