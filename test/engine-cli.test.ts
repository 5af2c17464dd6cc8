/**
 * `vpcsim trace` against a running server: the readable path, --json, exit statuses.
 */
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestServer, tempDir, type TestServer } from './helpers.js';

const BIN = fileURLToPath(new URL('../../bin/vpcsim.js', import.meta.url));

function vpcsim(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('vpcsim trace (command line)', () => {
  let srv: TestServer;
  let web = '';
  let db = '';
  let dbIp = '';
  let sgDb = '';
  const dataDir = tempDir();

  before(async () => {
    // Saved in SQLite, so that the state can also be traced without the server.
    srv = await startTestServer({ stateTransitionMs: 0, dataDir });
    const ec2 = srv.ec2();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }));
    const vpcId = Vpc!.VpcId!;
    const { Subnet: a } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.30.1.0/24' }));
    const { Subnet: b } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.30.2.0/24' }));
    const group = async (name: string, port: number) => {
      const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: name, Description: name }));
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: '10.30.0.0/16' }] }] }),
      );
      return GroupId!;
    };
    const sgWeb = await group('web', 443);
    sgDb = await group('db', 5432);
    const run = async (subnet: string, sg: string) => {
      const { Instances } = await ec2.send(
        new RunInstancesCommand({ ImageId: 'ami-0a2023c0ffee0a864', MinCount: 1, MaxCount: 1, SubnetId: subnet, SecurityGroupIds: [sg] }),
      );
      return Instances![0]!;
    };
    web = (await run(a!.SubnetId!, sgWeb)).InstanceId!;
    const dbInstance = await run(b!.SubnetId!, sgDb);
    db = dbInstance.InstanceId!;
    dbIp = dbInstance.PrivateIpAddress!;
    const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: InternetGateway!.InternetGatewayId, VpcId: vpcId }));
    const { AllocationId } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    await ec2.send(new AssociateAddressCommand({ AllocationId, InstanceId: web }));
  });
  after(() => srv.close());

  it('traces the saved state without a server (--data-dir)', async () => {
    const online = await vpcsim(['trace', '--from', web, '--to', db, '--port', '5432', '--json', '--endpoint', srv.endpoint]);
    const offline = await vpcsim(['trace', '--from', web, '--to', db, '--port', '5432', '--json', '--data-dir', dataDir]);
    assert.equal(offline.code, 0, offline.stderr);
    assert.deepEqual(JSON.parse(offline.stdout), JSON.parse(online.stdout));
    const blocked = await vpcsim(['trace', '--from', web, '--to', db, '--port', '22', '--data-dir', dataDir]);
    assert.equal(blocked.code, 1);
    assert.match(blocked.stdout, /ENI_SG_RULES_MISMATCH/);
    const missing = await vpcsim(['trace', '--from', web, '--to', db, '--port', '22', '--data-dir', `${dataDir}/nothing-here`]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /does not exist/);
    const both = await vpcsim(['trace', '--from', web, '--to', db, '--port', '22', '--data-dir', dataDir, '--endpoint', srv.endpoint]);
    assert.equal(both.code, 2);
  });

  it('prints the path hop by hop and exits 0 when the packet gets through', async () => {
    const r = await vpcsim(['trace', '--from', web, '--to', db, '--protocol', 'tcp', '--port', '5432', '--endpoint', srv.endpoint]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^tcp \\S+:49152 → ${dbIp.replace(/\./g, '\\.')}:5432 {3}from ${web} \\(eni-[0-9a-f]+\\) in vpc-`));
    assert.match(r.stdout, /Forward path: reaches the destination/);
    assert.match(r.stdout, /Return path: reaches the source/);
    assert.match(r.stdout, new RegExp(`security-group +${sgDb} +inbound: allowed by sgr-[0-9a-f]+ \\(tcp 5432 10\\.30\\.0\\.0/16\\)`));
    assert.match(r.stdout, /route-table +rtb-[0-9a-f]+ +route 10\.30\.0\.0\/16 → local/);
    assert.match(r.stdout, /Verdict: ACCEPTED$/m);
  });

  it('names the blocking component and exits 1 when it does not', async () => {
    const r = await vpcsim(['trace', '--from', web, '--to', dbIp, '--port', '22'], { VPCSIM_ENDPOINT: srv.endpoint });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /Forward path: blocked/);
    assert.doesNotMatch(r.stdout, /Return path/);
    assert.match(r.stdout, /Verdict: DROPPED/);
    assert.match(r.stdout, new RegExp(`ENI_SG_RULES_MISMATCH at network-interface eni-[0-9a-f]+ \\(forward path\\)`));
    assert.match(r.stdout, new RegExp(`security groups: ${sgDb} \\(ingress\\)`));
  });

  it('prints JSON with --json', async () => {
    const r = await vpcsim(['trace', '--from', web, '--to', db, '--port', '5432', '--endpoint', srv.endpoint, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const t = JSON.parse(r.stdout);
    assert.equal(t.verdict, 'accepted');
    assert.equal(t.packet.destinationPort, 5432);
    assert.equal(t.hops.at(-1).component.id, db);
  });

  it('exits 2 on usage errors, refused requests and unreachable servers', async () => {
    const usage = await vpcsim(['trace', '--to', db]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--from and --to are required/);
    const badPort = await vpcsim(['trace', '--from', web, '--to', db, '--port', 'https']);
    assert.equal(badPort.code, 2);
    assert.match(badPort.stderr, /--port must be a number/);
    const refused = await vpcsim(['trace', '--from', 'i-0123456789abcdef0', '--to', db, '--port', '1', '--endpoint', srv.endpoint]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /InvalidRequest: Source instance i-0123456789abcdef0 does not exist/);
    const down = await vpcsim(['trace', '--from', web, '--to', db, '--port', '1', '--endpoint', 'http://127.0.0.1:9']);
    assert.equal(down.code, 2);
    assert.match(down.stderr, /cannot reach http:\/\/127\.0\.0\.1:9/);
    const help = await vpcsim(['trace', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: vpcsim trace --from SOURCE --to DESTINATION/);
  });
});
