/**
 * Which interfaces the internet reaches, on which ports: POST /_vpcsim/exposure and
 * `vpcsim exposure`, against state built through the EC2 API.
 */
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestServer, tempDir, type TestServer } from './helpers.js';

const BIN = fileURLToPath(new URL('../../bin/vpcsim.js', import.meta.url));

function vpcsim(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

describe('internet exposure (POST /_vpcsim/exposure, vpcsim exposure)', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  const dataDir = tempDir();
  let vpcId = '';
  let webEni = '';
  let web = '';
  let webIp = '';
  let sgWeb = '';

  const exposure = async (body: unknown): Promise<{ status: number; json: Json }> => {
    const r = await fetch(`${srv.endpoint}/_vpcsim/exposure`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: r.status, json: await r.json() };
  };

  before(async () => {
    srv = await startTestServer({ stateTransitionMs: 0, dataDir });
    ec2 = srv.ec2();
    vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.50.0.0/16' }))).Vpc!.VpcId!;
    const pub = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.50.1.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
    const priv = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.50.2.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
    const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
    const rt = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
    await ec2.send(new CreateRouteCommand({ RouteTableId: rt, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }));
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rt, SubnetId: pub }));
    sgWeb = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'web', Description: 'web' }))).GroupId!;
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sgWeb,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
          { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '198.18.7.0/24' }] },
        ],
      }),
    );
    const run = async (subnet: string) =>
      (await ec2.send(new RunInstancesCommand({ ImageId: 'ami-0a2023c0ffee0a864', MinCount: 1, MaxCount: 1, SubnetId: subnet, SecurityGroupIds: [sgWeb] }))).Instances![0]!;
    const w = await run(pub);
    web = w.InstanceId!;
    webEni = w.NetworkInterfaces![0]!.NetworkInterfaceId!;
    await run(priv); // same group, no public address: not exposed
    const { AllocationId, PublicIp } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    await ec2.send(new AssociateAddressCommand({ AllocationId, InstanceId: web }));
    webIp = PublicIp!;
  });
  after(() => srv.close());

  it('names the public web server and its open ports, not the private instance', async () => {
    const r = await exposure({ vpcId });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.deepEqual(r.json.interfaces, [
      { networkInterfaceId: webEni, instanceId: web, vpcId, subnetId: r.json.interfaces[0].subnetId, publicIps: [webIp], tcp: [{ from: 443, to: 443 }], udp: [], icmp: false },
    ]);
    // From the one block SSH is open to, 22 is reachable too.
    const admin = await exposure({ vpcId, client: '198.18.7.9' });
    assert.deepEqual(admin.json.interfaces[0].tcp, [{ from: 22, to: 22 }, { from: 443, to: 443 }]);
    assert.equal(admin.json.client.address, '198.18.7.9');
    // Filters: another VPC has nothing of it.
    assert.deepEqual((await exposure({ vpcId: 'vpc-00000000000000000' })).json.interfaces, []);
    assert.deepEqual((await exposure({ account: '999999999999' })).json.interfaces, []);
  });

  it('follows the state at once: a new rule opens a port', async () => {
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sgWeb, IpPermissions: [{ IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
    const r = await exposure({ vpcId });
    assert.deepEqual(r.json.interfaces[0].udp, [{ from: 53, to: 53 }]);
  });

  it('answers bad requests with 400, only POST', async () => {
    assert.equal((await exposure('[1]')).status, 400);
    assert.match((await exposure({ client: 'nowhere' })).json.message, /not an IPv4 address/);
    assert.equal((await exposure({ clientPort: 70000 })).status, 400);
    assert.equal((await fetch(`${srv.endpoint}/_vpcsim/exposure`)).status, 405);
  });

  it('vpcsim exposure prints a table, JSON, and answers from a saved state without a server', async () => {
    const table = await vpcsim(['exposure', '--vpc', vpcId, '--endpoint', srv.endpoint]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`^${webEni} +${web} +${webIp.replace(/\./g, '\\.')} +443 +53 +no$`, 'm'));
    assert.match(table.stdout, /1 interface reachable from the internet/);
    const online = await vpcsim(['exposure', '--vpc', vpcId, '--json', '--endpoint', srv.endpoint]);
    const offline = await vpcsim(['exposure', '--vpc', vpcId, '--json', '--data-dir', dataDir]);
    assert.equal(offline.code, 0, offline.stderr);
    assert.deepEqual(JSON.parse(offline.stdout), JSON.parse(online.stdout));
    assert.equal((await vpcsim(['exposure', '--bogus'])).code, 2);
  });
});
