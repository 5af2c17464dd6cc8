/**
 * State survives a clean restart and a SIGKILL in the middle of a stream of mutations:
 * every acknowledged change is there afterwards, and no change is half-applied.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteVpcCommand,
  DescribeNetworkAclsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { tempDir } from './helpers.js';
import { spawnServer } from './process.js';

function client(endpoint: string): EC2Client {
  return new EC2Client({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

describe('durability', () => {
  it('keeps state across a clean restart', async () => {
    const dir = tempDir();
    let srv = await spawnServer(['--data-dir', dir]);
    let ec2 = client(srv.endpoint);
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.7.0.0/16' }));
    await ec2.send(new CreateSubnetCommand({ VpcId: Vpc!.VpcId!, CidrBlock: '10.7.1.0/24' }));
    const before = await ec2.send(new DescribeVpcsCommand({}));
    await srv.stop();

    srv = await spawnServer(['--data-dir', dir]);
    ec2 = client(srv.endpoint);
    try {
      const after = await ec2.send(new DescribeVpcsCommand({}));
      assert.deepEqual(
        after.Vpcs!.map((v) => v.VpcId).sort(),
        before.Vpcs!.map((v) => v.VpcId).sort(),
        'same VPCs, and no second default VPC',
      );
      const subnets = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [Vpc!.VpcId!] }] }));
      assert.deepEqual(subnets.Subnets!.map((s) => s.CidrBlock), ['10.7.1.0/24']);
    } finally {
      await srv.stop();
    }
  });

  it('loses no acknowledged change and applies none by half when killed with SIGKILL', async () => {
    const dir = tempDir();
    let srv = await spawnServer(['--data-dir', dir, '--quota', 'vpcsPerRegion=100000']);
    let ec2 = client(srv.endpoint);
    const acknowledged: string[] = [];
    const deleted: string[] = [];
    // A delete sent but not answered when the server died may or may not have been applied.
    const deleting: string[] = [];
    let stop = false;
    // Four concurrent writers create VPCs (each with its main route table, default ACL and
    // default group, in one transaction) and delete every third one.
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${(w * 50 + i) % 250}.0.0/16` }));
          acknowledged.push(Vpc!.VpcId!);
          if (i % 3 === 0) {
            deleting.push(Vpc!.VpcId!);
            await ec2.send(new DeleteVpcCommand({ VpcId: Vpc!.VpcId! }));
            deleted.push(Vpc!.VpcId!);
          }
        } catch {
          return; // the server went away
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    await new Promise((r) => setTimeout(r, 1500));
    await srv.kill();
    stop = true;
    await Promise.all(writers);
    assert.ok(acknowledged.length > 20, `only ${acknowledged.length} VPCs were created before the kill`);

    srv = await spawnServer(['--data-dir', dir, '--quota', 'vpcsPerRegion=100000']);
    ec2 = client(srv.endpoint);
    try {
      const { Vpcs } = await ec2.send(new DescribeVpcsCommand({}));
      const present = new Set(Vpcs!.map((v) => v.VpcId!));
      for (const id of acknowledged) {
        if (deleted.includes(id)) assert.ok(!present.has(id), `${id} was deleted (acknowledged) but is back`);
        else if (!deleting.includes(id)) assert.ok(present.has(id), `${id} was acknowledged but is missing`);
      }
      // Integrity: every VPC has exactly one main route table, one default ACL, one default group,
      // and nothing refers to a VPC that does not exist.
      const rts = (await ec2.send(new DescribeRouteTablesCommand({}))).RouteTables!;
      const acls = (await ec2.send(new DescribeNetworkAclsCommand({}))).NetworkAcls!;
      const sgs = (await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups!;
      for (const id of present) {
        assert.equal(rts.filter((r) => r.VpcId === id && r.Associations?.some((a) => a.Main)).length, 1, `main table of ${id}`);
        assert.equal(acls.filter((a) => a.VpcId === id && a.IsDefault).length, 1, `default ACL of ${id}`);
        assert.equal(sgs.filter((g) => g.VpcId === id && g.GroupName === 'default').length, 1, `default group of ${id}`);
      }
      for (const r of [...rts, ...acls, ...sgs]) assert.ok(present.has(r.VpcId!), `orphan of ${r.VpcId}`);
    } finally {
      await srv.stop();
    }
  });
});
