import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  AcceptVpcPeeringConnectionCommand,
  AssociateVpcCidrBlockCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  CreateVpcPeeringConnectionCommand,
  DeleteVpcPeeringConnectionCommand,
  DescribeTagsCommand,
  DescribeVpcPeeringConnectionsCommand,
  type EC2Client,
  ModifyVpcAttributeCommand,
  ModifyVpcPeeringConnectionOptionsCommand,
  RejectVpcPeeringConnectionCommand,
  type VpcPeeringConnection,
} from '@aws-sdk/client-ec2';
import { DEFAULT_QUOTAS } from '../src/config.js';
import type { RequestContext } from '../src/services/context.js';
import {
  findPeering,
  hasPendingPeeringRequest,
  peeringIsActive,
  peeringRemoteEnd,
  releaseVpcPeerings,
} from '../src/services/ec2/vpc-peering.js';
import { ScopedState, scopeKey } from '../src/state/store.js';
import { apiError, errorCode, startTestServer, type TestServer } from './helpers.js';

const A1 = '111111111111';
const A2 = '222222222222';
const HOUR = 3600_000;
const DAY = 24 * HOUR;

async function vpc(ec2: EC2Client, cidr: string): Promise<string> {
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }));
  return Vpc!.VpcId!;
}

async function describeOne(ec2: EC2Client, id: string): Promise<VpcPeeringConnection> {
  const { VpcPeeringConnections } = await ec2.send(new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [id] }));
  assert.equal(VpcPeeringConnections!.length, 1);
  return VpcPeeringConnections![0]!;
}

async function ids(ec2: EC2Client, filters?: Array<{ Name: string; Values: string[] }>): Promise<string[]> {
  const { VpcPeeringConnections } = await ec2.send(new DescribeVpcPeeringConnectionsCommand({ Filters: filters }));
  return VpcPeeringConnections!.map((p) => p.VpcPeeringConnectionId!).sort();
}

describe('VPC peering connections', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv.close());
  beforeEach(() => srv.reset());

  /** Changes the stored connection directly, to move its clock-dependent fields into the past. */
  function editStored(id: string, change: (r: Record<string, any>) => void): void {
    const tx = srv.app.store.begin();
    const r = tx.edit<Record<string, any>>(scopeKey('global', 'global'), 'vpc-peering-connection', id)!;
    change(r);
    tx.commit();
  }
  const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

  it('same account and region: request, accept, modify, delete, with AWS status codes and messages', async () => {
    const ec2 = srv.ec2();
    const a = await vpc(ec2, '10.0.0.0/16');
    const b = await vpc(ec2, '10.1.0.0/16');
    const before = Date.now();
    const created = await ec2.send(
      new CreateVpcPeeringConnectionCommand({
        VpcId: a,
        PeerVpcId: b,
        TagSpecifications: [{ ResourceType: 'vpc-peering-connection', Tags: [{ Key: 'Name', Value: 'a-b' }] }],
      }),
    );
    const pcx = created.VpcPeeringConnection!;
    assert.match(pcx.VpcPeeringConnectionId!, /^pcx-[0-9a-f]{17}$/);
    assert.deepEqual(pcx.Status, { Code: 'initiating-request', Message: 'Initiating Request to 000000000000' });
    assert.deepEqual(pcx.Tags, [{ Key: 'Name', Value: 'a-b' }]);
    assert.equal(pcx.RequesterVpcInfo!.VpcId, a);
    assert.equal(pcx.RequesterVpcInfo!.CidrBlock, '10.0.0.0/16');
    assert.deepEqual(pcx.RequesterVpcInfo!.CidrBlockSet, [{ CidrBlock: '10.0.0.0/16' }]);
    assert.equal(pcx.RequesterVpcInfo!.OwnerId, '000000000000');
    assert.equal(pcx.RequesterVpcInfo!.Region, 'us-east-1');
    assert.equal(pcx.AccepterVpcInfo!.VpcId, b);
    assert.equal(pcx.AccepterVpcInfo!.OwnerId, '000000000000');
    assert.equal(pcx.AccepterVpcInfo!.CidrBlock, undefined, 'the accepter CIDR is shown only once active');
    const exp = pcx.ExpirationTime!.getTime() - before;
    assert.ok(exp > 7 * DAY - 60_000 && exp < 7 * DAY + 60_000, `expires in 7 days (got ${exp} ms)`);
    const id = pcx.VpcPeeringConnectionId!;

    let d = await describeOne(ec2, id);
    assert.deepEqual(d.Status, { Code: 'pending-acceptance', Message: 'Pending Acceptance by 000000000000' });
    assert.ok(d.ExpirationTime);

    const acc = await ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id }));
    assert.deepEqual(acc.VpcPeeringConnection!.Status, { Code: 'provisioning', Message: 'Provisioning' });
    assert.equal(acc.VpcPeeringConnection!.AccepterVpcInfo!.CidrBlock, '10.1.0.0/16');

    d = await describeOne(ec2, id);
    assert.deepEqual(d.Status, { Code: 'active', Message: 'Active' });
    assert.equal(d.ExpirationTime, undefined);
    assert.equal(d.AccepterVpcInfo!.CidrBlock, '10.1.0.0/16');
    assert.equal(d.AccepterVpcInfo!.PeeringOptions!.AllowDnsResolutionFromRemoteVpc, false);
    assert.equal(d.RequesterVpcInfo!.PeeringOptions!.AllowDnsResolutionFromRemoteVpc, false);

    const again = await apiError(() => ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id })));
    assert.equal(again.code, 'InvalidStateTransition');
    assert.equal(again.message, `Invalid state transition for ${id}, attempted to transition from active to active`);
    const rej = await apiError(() => ec2.send(new RejectVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id })));
    assert.equal(rej.code, 'InvalidStateTransition');
    assert.equal(rej.message, `Invalid state transition for ${id}, attempted to transition from active to rejected`);

    // A secondary block added later shows in the active connection's block set.
    await ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: b, CidrBlock: '10.2.0.0/16' }));
    d = await describeOne(ec2, id);
    assert.deepEqual(d.AccepterVpcInfo!.CidrBlockSet, [{ CidrBlock: '10.1.0.0/16' }, { CidrBlock: '10.2.0.0/16' }]);

    // One account: both sides' options in one call (DNS needs hostnames on both VPCs).
    const dns = await apiError(() =>
      ec2.send(
        new ModifyVpcPeeringConnectionOptionsCommand({
          VpcPeeringConnectionId: id,
          RequesterPeeringConnectionOptions: { AllowDnsResolutionFromRemoteVpc: true },
        }),
      ),
    );
    assert.equal(dns.code, 'InvalidVpcPeeringConnectionState.DnsHostnamesDisabled');
    for (const v of [a, b]) await ec2.send(new ModifyVpcAttributeCommand({ VpcId: v, EnableDnsHostnames: { Value: true } }));
    const mod = await ec2.send(
      new ModifyVpcPeeringConnectionOptionsCommand({
        VpcPeeringConnectionId: id,
        RequesterPeeringConnectionOptions: { AllowDnsResolutionFromRemoteVpc: true },
        AccepterPeeringConnectionOptions: { AllowDnsResolutionFromRemoteVpc: false },
      }),
    );
    assert.equal(mod.RequesterPeeringConnectionOptions!.AllowDnsResolutionFromRemoteVpc, true);
    assert.equal(mod.AccepterPeeringConnectionOptions!.AllowDnsResolutionFromRemoteVpc, false);
    d = await describeOne(ec2, id);
    assert.equal(d.RequesterVpcInfo!.PeeringOptions!.AllowDnsResolutionFromRemoteVpc, true);
    assert.equal(d.AccepterVpcInfo!.PeeringOptions!.AllowDnsResolutionFromRemoteVpc, false);

    const del = await ec2.send(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id }));
    assert.equal(del.Return, true);
    d = await describeOne(ec2, id);
    assert.deepEqual(d.Status, { Code: 'deleted', Message: 'Deleted by 000000000000' });
    const del2 = await apiError(() => ec2.send(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id })));
    assert.equal(del2.code, 'InvalidStateTransition');
    assert.equal(del2.message, `Invalid state transition for ${id}, attempted to transition from deleted to deleting`);
    assert.equal(
      await errorCode(() => ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id }))),
      'InvalidStateTransition',
    );
    const modDeleted = await apiError(() =>
      ec2.send(
        new ModifyVpcPeeringConnectionOptionsCommand({
          VpcPeeringConnectionId: id,
          RequesterPeeringConnectionOptions: { AllowDnsResolutionFromRemoteVpc: false },
        }),
      ),
    );
    assert.equal(modDeleted.code, 'OperationNotPermitted');
    assert.equal(modDeleted.message, `Peering ${id} is not active. Peering options can be added only to active peerings.`);

    // Within one account a deleted connection stays visible for 2 hours.
    editStored(id, (r) => (r._endedAt = ago(2 * HOUR + 60_000)));
    assert.deepEqual(await ids(ec2), []);
    const gone = await apiError(() => describeOne(ec2, id));
    assert.equal(gone.code, 'InvalidVpcPeeringConnectionID.NotFound');
    assert.equal(gone.message, `The vpcPeeringConnection ID '${id}' does not exist`);
  });

  it('overlapping IPv4 blocks (primary or secondary) or a missing peer VPC make the connection fail', async () => {
    const ec2 = srv.ec2();
    const a = await vpc(ec2, '10.0.0.0/16');
    const b = await vpc(ec2, '10.0.128.0/17');
    const c = await vpc(ec2, '10.8.0.0/16');
    const d = await vpc(ec2, '10.9.0.0/16');
    await ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: d, CidrBlock: '10.8.64.0/18' }));

    const failedMsg = 'Failed due to incorrect VPC-ID, Account ID, or overlapping CIDR range';
    const check = async (vpcId: string, peer: string) => {
      const r = await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: vpcId, PeerVpcId: peer }));
      assert.equal(r.VpcPeeringConnection!.Status!.Code, 'initiating-request');
      const desc = await describeOne(ec2, r.VpcPeeringConnection!.VpcPeeringConnectionId!);
      assert.deepEqual(desc.Status, { Code: 'failed', Message: failedMsg });
      return desc.VpcPeeringConnectionId!;
    };
    const primary = await check(a, b);
    await check(c, d); // the peer's secondary block overlaps c's primary
    await check(a, 'vpc-0123456789abcdef0'); // no such VPC
    await check(a, a); // a VPC overlaps itself

    const fromFailed = await apiError(() => ec2.send(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: primary })));
    assert.equal(fromFailed.code, 'InvalidStateTransition');
    assert.equal(fromFailed.message, `Invalid state transition for ${primary}, attempted to transition from failed to deleting`);
    assert.equal(
      await errorCode(() => ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: primary }))),
      'InvalidStateTransition',
    );
    assert.deepEqual(await ids(ec2, [{ Name: 'status-code', Values: ['failed'] }]), (await ids(ec2)).sort());

    // A failed connection is visible to the requester for 2 hours.
    editStored(primary, (r) => (r._endedAt = ago(2 * HOUR + 1000)));
    assert.equal((await ids(ec2)).includes(primary), false);

    // Non-overlapping: pending; not counted as failed.
    const ok = await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: c }));
    assert.equal((await describeOne(ec2, ok.VpcPeeringConnection!.VpcPeeringConnectionId!)).Status!.Code, 'pending-acceptance');
  });

  it('a repeated request returns the existing connection; the reverse request cannot be accepted while one is active', async () => {
    const ec2 = srv.ec2();
    const a = await vpc(ec2, '10.0.0.0/16');
    const b = await vpc(ec2, '10.1.0.0/16');
    const first = (await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: b }))).VpcPeeringConnection!;
    const repeat = (await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: b }))).VpcPeeringConnection!;
    assert.equal(repeat.VpcPeeringConnectionId, first.VpcPeeringConnectionId);
    assert.equal(repeat.Status!.Code, 'pending-acceptance');
    assert.equal((await ids(ec2)).length, 1);

    await ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: first.VpcPeeringConnectionId }));
    const repeatActive = (await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: b }))).VpcPeeringConnection!;
    assert.equal(repeatActive.VpcPeeringConnectionId, first.VpcPeeringConnectionId);
    assert.equal(repeatActive.Status!.Code, 'active');

    const reverse = (await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: b, PeerVpcId: a }))).VpcPeeringConnection!;
    assert.notEqual(reverse.VpcPeeringConnectionId, first.VpcPeeringConnectionId);
    const dup = await apiError(() =>
      ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: reverse.VpcPeeringConnectionId })),
    );
    assert.equal(dup.code, 'VpcPeeringConnectionAlreadyExists');
    assert.equal(dup.message, `The vpc peering connection identified by ${reverse.VpcPeeringConnectionId} already exists.`);
    assert.equal((await describeOne(ec2, reverse.VpcPeeringConnectionId!)).Status!.Code, 'pending-acceptance');

    // Once the first is deleted, a new request between the pair is a new connection.
    await ec2.send(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: first.VpcPeeringConnectionId }));
    const fresh = (await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: b }))).VpcPeeringConnection!;
    assert.notEqual(fresh.VpcPeeringConnectionId, first.VpcPeeringConnectionId);
  });

  it('two accounts: each side sees the connection; only the accepter accepts or rejects; tags are per account', async () => {
    const req = srv.ec2({ accessKeyId: A1 });
    const acc = srv.ec2({ accessKeyId: A2 });
    const a = await vpc(req, '10.0.0.0/16');
    const b = await vpc(acc, '10.1.0.0/16');
    const created = await req.send(
      new CreateVpcPeeringConnectionCommand({
        VpcId: a,
        PeerVpcId: b,
        PeerOwnerId: A2,
        TagSpecifications: [{ ResourceType: 'vpc-peering-connection', Tags: [{ Key: 'side', Value: 'requester' }] }],
      }),
    );
    const id = created.VpcPeeringConnection!.VpcPeeringConnectionId!;
    assert.equal(created.VpcPeeringConnection!.Status!.Message, `Initiating Request to ${A2}`);

    const seen = await describeOne(acc, id);
    assert.deepEqual(seen.Status, { Code: 'pending-acceptance', Message: `Pending Acceptance by ${A2}` });
    assert.equal(seen.RequesterVpcInfo!.OwnerId, A1);
    assert.equal(seen.AccepterVpcInfo!.OwnerId, A2);
    assert.deepEqual(seen.Tags, [], "the requester's tags are not the accepter's");
    assert.deepEqual((await describeOne(req, id)).Tags, [{ Key: 'side', Value: 'requester' }]);

    await acc.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'side', Value: 'accepter' }] }));
    assert.deepEqual((await describeOne(acc, id)).Tags, [{ Key: 'side', Value: 'accepter' }]);
    assert.deepEqual((await describeOne(req, id)).Tags, [{ Key: 'side', Value: 'requester' }]);
    const tagged = await acc.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [id] }] }));
    assert.deepEqual(tagged.Tags, [{ Key: 'side', Value: 'accepter', ResourceId: id, ResourceType: 'vpc-peering-connection' }]);

    const notMine = await apiError(() => req.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id })));
    assert.equal(notMine.code, 'OperationNotPermitted');
    assert.equal(notMine.message, `User ${A1} cannot accept peering ${id}`);
    const notMineReject = await apiError(() => req.send(new RejectVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id })));
    assert.equal(notMineReject.code, 'OperationNotPermitted');
    assert.equal(notMineReject.message, `User ${A1} cannot reject peering ${id}`);
    const accepterDelete = await apiError(() => acc.send(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id })));
    assert.equal(accepterDelete.code, 'OperationNotPermitted');
    assert.equal(accepterDelete.message, `User ${A2} cannot delete peering ${id}`);

    // A third account sees nothing.
    const other = srv.ec2({ accessKeyId: '333333333333' });
    assert.equal(
      await errorCode(() => other.send(new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [id] }))),
      'InvalidVpcPeeringConnectionID.NotFound',
    );
    assert.deepEqual(await ids(other), []);

    await acc.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id }));
    assert.equal((await describeOne(req, id)).Status!.Code, 'active');
    assert.equal((await describeOne(req, id)).AccepterVpcInfo!.CidrBlock, '10.1.0.0/16');

    // Each owner modifies only its own side.
    const wrongSide = await apiError(() =>
      acc.send(
        new ModifyVpcPeeringConnectionOptionsCommand({
          VpcPeeringConnectionId: id,
          RequesterPeeringConnectionOptions: { AllowDnsResolutionFromRemoteVpc: true },
        }),
      ),
    );
    assert.equal(wrongSide.code, 'OperationNotPermitted');
    assert.equal(wrongSide.message, `User ${A2} does not have permission to modify the requester side peering options`);
    await req.send(new ModifyVpcAttributeCommand({ VpcId: a, EnableDnsHostnames: { Value: true } }));
    await acc.send(new ModifyVpcAttributeCommand({ VpcId: b, EnableDnsHostnames: { Value: true } }));
    const mod = await acc.send(
      new ModifyVpcPeeringConnectionOptionsCommand({
        VpcPeeringConnectionId: id,
        AccepterPeeringConnectionOptions: { AllowDnsResolutionFromRemoteVpc: true },
      }),
    );
    assert.equal(mod.AccepterPeeringConnectionOptions!.AllowDnsResolutionFromRemoteVpc, true);
    assert.equal(mod.RequesterPeeringConnectionOptions, undefined);
    assert.equal((await describeOne(req, id)).AccepterVpcInfo!.PeeringOptions!.AllowDnsResolutionFromRemoteVpc, true);

    // The accepter deletes the active connection: 2 hours for it, 2 days for the requester.
    await acc.send(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id }));
    assert.deepEqual((await describeOne(req, id)).Status, { Code: 'deleted', Message: `Deleted by ${A2}` });
    editStored(id, (r) => (r._endedAt = ago(3 * HOUR)));
    assert.deepEqual(await ids(acc), []);
    assert.deepEqual(await ids(req), [id]);
    editStored(id, (r) => (r._endedAt = ago(2 * DAY + 60_000)));
    assert.deepEqual(await ids(req), []);
  });

  it('two accounts: rejection, and its visibility windows', async () => {
    const req = srv.ec2({ accessKeyId: A1 });
    const acc = srv.ec2({ accessKeyId: A2 });
    const a = await vpc(req, '10.0.0.0/16');
    const b = await vpc(acc, '10.1.0.0/16');
    const id = (await req.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: b, PeerOwnerId: A2 })))
      .VpcPeeringConnection!.VpcPeeringConnectionId!;
    const r = await acc.send(new RejectVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id }));
    assert.equal(r.Return, true);
    assert.deepEqual((await describeOne(req, id)).Status, { Code: 'rejected', Message: `Rejected by ${A2}` });
    const accept = await apiError(() => acc.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id })));
    assert.equal(accept.code, 'InvalidStateTransition');
    assert.equal(accept.message, `Invalid state transition for ${id}, attempted to transition from rejected to active`);
    const del = await apiError(() => req.send(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id })));
    assert.equal(del.message, `Invalid state transition for ${id}, attempted to transition from rejected to deleting`);
    const again = await apiError(() => acc.send(new RejectVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id })));
    assert.equal(again.message, `Invalid state transition for ${id}, attempted to transition from rejected to rejected`);

    editStored(id, (x) => (x._endedAt = ago(3 * HOUR)));
    assert.deepEqual(await ids(acc), [], 'the accepter sees a rejected request for 2 hours');
    assert.deepEqual(await ids(req), [id], 'the requester for 2 days');
    editStored(id, (x) => (x._endedAt = ago(2 * DAY + 60_000)));
    assert.deepEqual(await ids(req), []);

    // A new request sweeps what nobody sees any more.
    const c = await vpc(req, '10.5.0.0/16');
    await req.send(new CreateVpcPeeringConnectionCommand({ VpcId: c, PeerVpcId: b, PeerOwnerId: A2 }));
    const tx = srv.app.store.begin();
    assert.equal(tx.get(scopeKey('global', 'global'), 'vpc-peering-connection', id), undefined);
    assert.equal(tx.get(scopeKey(A1, 'us-east-1'), 'vpc-peering-connection', id), undefined);
    tx.rollback();
  });

  it('a failed cross-account request is never shown to the accepter', async () => {
    const req = srv.ec2({ accessKeyId: A1 });
    const acc = srv.ec2({ accessKeyId: A2 });
    const a = await vpc(req, '10.0.0.0/16');
    const b = await vpc(acc, '10.0.0.0/16');
    const id = (await req.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: b, PeerOwnerId: A2 })))
      .VpcPeeringConnection!.VpcPeeringConnectionId!;
    assert.equal((await describeOne(req, id)).Status!.Code, 'failed');
    assert.deepEqual(await ids(acc), []);
    // The peer VPC lives in the peer account: the same ID in the requester's account is not it.
    const wrongAccount = (await req.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: b })))
      .VpcPeeringConnection!.VpcPeeringConnectionId!;
    assert.equal((await describeOne(req, wrongAccount)).Status!.Code, 'failed');
  });

  it('two regions: accepted, rejected and modified only in the accepter region; tags per region', async () => {
    const east = srv.ec2({ region: 'us-east-1' });
    const west = srv.ec2({ region: 'us-west-2' });
    const a = await vpc(east, '10.0.0.0/16');
    const b = await vpc(west, '10.1.0.0/16');
    const created = await east.send(
      new CreateVpcPeeringConnectionCommand({
        VpcId: a,
        PeerVpcId: b,
        PeerRegion: 'us-west-2',
        TagSpecifications: [{ ResourceType: 'vpc-peering-connection', Tags: [{ Key: 'r', Value: 'east' }] }],
      }),
    );
    const id = created.VpcPeeringConnection!.VpcPeeringConnectionId!;
    assert.equal(created.VpcPeeringConnection!.AccepterVpcInfo!.Region, 'us-west-2');
    const w = await describeOne(west, id);
    assert.equal(w.Status!.Code, 'pending-acceptance');
    assert.equal(w.RequesterVpcInfo!.Region, 'us-east-1');
    assert.equal(w.AccepterVpcInfo!.Region, 'us-west-2');
    assert.deepEqual(w.Tags, []);
    assert.deepEqual((await describeOne(east, id)).Tags, [{ Key: 'r', Value: 'east' }]);
    // Another region of the same account does not see it.
    assert.deepEqual(await ids(srv.ec2({ region: 'eu-west-1' })), []);

    const wrongRegion = await apiError(() => east.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id })));
    assert.equal(wrongRegion.code, 'OperationNotPermitted');
    assert.equal(
      wrongRegion.message,
      `Incorrect region (us-east-1) specified for this request. VPC peering connection ${id} must be accepted in region us-west-2`,
    );
    const wrongRegionReject = await apiError(() => east.send(new RejectVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id })));
    assert.equal(wrongRegionReject.code, 'OperationNotPermitted');
    assert.equal(
      wrongRegionReject.message,
      `Incorrect region (us-east-1) specified for this request. VPC peering connection ${id} must be accepted or rejected in region us-west-2`,
    );

    await west.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id }));
    assert.equal((await describeOne(east, id)).Status!.Code, 'active');
    const wrongRegionModify = await apiError(() =>
      west.send(
        new ModifyVpcPeeringConnectionOptionsCommand({
          VpcPeeringConnectionId: id,
          RequesterPeeringConnectionOptions: { AllowDnsResolutionFromRemoteVpc: false },
        }),
      ),
    );
    assert.equal(wrongRegionModify.code, 'OperationNotPermitted');
    assert.match(wrongRegionModify.message, /must be modified in region us-east-1/);
    const mod = await east.send(
      new ModifyVpcPeeringConnectionOptionsCommand({
        VpcPeeringConnectionId: id,
        RequesterPeeringConnectionOptions: { AllowEgressFromLocalVpcToRemoteClassicLink: false },
      }),
    );
    assert.equal(mod.RequesterPeeringConnectionOptions!.AllowDnsResolutionFromRemoteVpc, false);

    await west.send(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id }));
    assert.deepEqual((await describeOne(east, id)).Status, { Code: 'deleted', Message: 'Deleted by 000000000000' });
  });

  it('unaccepted requests expire after 7 days and stay visible 2 days more', async () => {
    const ec2 = srv.ec2();
    const a = await vpc(ec2, '10.0.0.0/16');
    const b = await vpc(ec2, '10.1.0.0/16');
    const id = (await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: b }))).VpcPeeringConnection!
      .VpcPeeringConnectionId!;
    editStored(id, (r) => (r.ExpirationTime = ago(1000)));
    const d = await describeOne(ec2, id);
    assert.deepEqual(d.Status, { Code: 'expired', Message: 'Expired' });
    assert.deepEqual(await ids(ec2, [{ Name: 'status-code', Values: ['expired'] }]), [id]);
    const acc = await apiError(() => ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id })));
    assert.equal(acc.code, 'InvalidStateTransition');
    assert.equal(acc.message, `Invalid state transition for ${id}, attempted to transition from expired to active`);
    assert.equal(
      await errorCode(() => ec2.send(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id }))),
      'InvalidStateTransition',
    );
    // An expired request no longer stands in the way of a new one.
    const fresh = (await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: b }))).VpcPeeringConnection!;
    assert.notEqual(fresh.VpcPeeringConnectionId, id);
    editStored(id, (r) => (r.ExpirationTime = ago(2 * DAY + 1000)));
    assert.deepEqual(await ids(ec2), [fresh.VpcPeeringConnectionId]);
  });

  it('describe: IDs, every documented filter, pagination, errors', async () => {
    const ec2 = srv.ec2();
    const other = srv.ec2({ accessKeyId: A2 });
    const v = [await vpc(ec2, '10.0.0.0/16'), await vpc(ec2, '10.1.0.0/16'), await vpc(ec2, '10.2.0.0/16'), await vpc(ec2, '10.3.0.0/16')];
    const peer = await vpc(other, '10.9.0.0/16');
    const mk = async (x: string, y: string, tag?: string, owner?: string) =>
      (
        await ec2.send(
          new CreateVpcPeeringConnectionCommand({
            VpcId: x,
            PeerVpcId: y,
            PeerOwnerId: owner,
            TagSpecifications: tag ? [{ ResourceType: 'vpc-peering-connection', Tags: [{ Key: 'team', Value: tag }] }] : undefined,
          }),
        )
      ).VpcPeeringConnection!.VpcPeeringConnectionId!;
    const p01 = await mk(v[0]!, v[1]!, 'blue');
    const p02 = await mk(v[0]!, v[2]!, 'green');
    const p03 = await mk(v[0]!, v[3]!);
    const p12 = await mk(v[1]!, v[2]!);
    const p13 = await mk(v[1]!, v[3]!);
    const px = await mk(v[2]!, peer, undefined, A2);
    await ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: p01 }));
    await ec2.send(new RejectVpcPeeringConnectionCommand({ VpcPeeringConnectionId: p02 }));
    const all = [p01, p02, p03, p12, p13, px].sort();
    assert.deepEqual(await ids(ec2), all);

    const f = (Name: string, ...Values: string[]) => ids(ec2, [{ Name, Values }]);
    assert.deepEqual(await f('vpc-peering-connection-id', p03), [p03]);
    assert.deepEqual(await f('requester-vpc-info.vpc-id', v[0]!), [p01, p02, p03].sort());
    assert.deepEqual(await f('accepter-vpc-info.vpc-id', v[3]!), [p03, p13].sort());
    assert.deepEqual(await f('requester-vpc-info.cidr-block', '10.1.0.0/16'), [p12, p13].sort());
    assert.deepEqual(await f('accepter-vpc-info.cidr-block', '10.1.0.0/16'), [p01], 'only active connections show the accepter block');
    assert.deepEqual(await f('requester-vpc-info.owner-id', '000000000000'), all);
    assert.deepEqual(await f('accepter-vpc-info.owner-id', A2), [px]);
    assert.deepEqual(await f('status-code', 'active', 'rejected'), [p01, p02].sort());
    assert.deepEqual(await f('status-message', 'Pending Acceptance by *'), [p03, p12, p13, px].sort());
    assert.deepEqual(await f('status-message', `Pending Acceptance by ${A2}`), [px]);
    const exp = (await describeOne(ec2, p03)).ExpirationTime!.toISOString();
    assert.deepEqual(await f('expiration-time', exp), [p03]);
    assert.deepEqual(await f('tag:team', 'blue'), [p01]);
    assert.deepEqual(await f('tag-key', 'team'), [p01, p02].sort());
    assert.deepEqual(await f('tag-value', 'gr*'), [p02]);
    assert.equal(await errorCode(() => f('no-such-filter', 'x')), 'InvalidParameterValue');

    const page1 = await ec2.send(new DescribeVpcPeeringConnectionsCommand({ MaxResults: 5 }));
    assert.equal(page1.VpcPeeringConnections!.length, 5);
    assert.ok(page1.NextToken);
    const page2 = await ec2.send(new DescribeVpcPeeringConnectionsCommand({ MaxResults: 5, NextToken: page1.NextToken }));
    assert.equal(page2.VpcPeeringConnections!.length, 1);
    assert.equal(page2.NextToken, undefined);
    assert.deepEqual(
      [...page1.VpcPeeringConnections!, ...page2.VpcPeeringConnections!].map((p) => p.VpcPeeringConnectionId).sort(),
      all,
    );

    const missing = await apiError(() =>
      ec2.send(new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [p01, 'pcx-0123456789abcdef0'] })),
    );
    assert.equal(missing.code, 'InvalidVpcPeeringConnectionID.NotFound');
    assert.equal(missing.message, "The vpcPeeringConnection ID 'pcx-0123456789abcdef0' does not exist");
    const bad = await apiError(() => ec2.send(new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: ['pcx-nope'] })));
    assert.equal(bad.code, 'InvalidVpcPeeringConnectionId.Malformed');
    assert.equal(
      await errorCode(() => ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: 'pcx-0123456789abcdef0' }))),
      'InvalidVpcPeeringConnectionID.NotFound',
    );
    assert.equal(
      await errorCode(() => ec2.send(new RejectVpcPeeringConnectionCommand({ VpcPeeringConnectionId: 'vpc-0123456789abcdef0' }))),
      'InvalidVpcPeeringConnectionId.Malformed',
    );
    assert.equal(
      await errorCode(() => ec2.send(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: 'pcx-0123456789abcdef0' }))),
      'InvalidVpcPeeringConnectionID.NotFound',
    );
  });

  it('create: parameter errors', async () => {
    const ec2 = srv.ec2();
    const a = await vpc(ec2, '10.0.0.0/16');
    const b = await vpc(ec2, '10.1.0.0/16');
    const e = (input: Record<string, unknown>) => apiError(() => ec2.send(new CreateVpcPeeringConnectionCommand(input as never)));
    assert.equal((await e({ VpcId: 'vpc-0123456789abcdef0', PeerVpcId: b })).code, 'InvalidVpcID.NotFound');
    assert.equal((await e({ VpcId: 'bogus', PeerVpcId: b })).code, 'InvalidVpcID.Malformed');
    const noPeer = await e({ VpcId: a });
    assert.equal(noPeer.code, 'MissingParameter');
    assert.equal(noPeer.message, 'The request must contain the parameter PeerVpcId');
    assert.equal((await e({ VpcId: a, PeerVpcId: 'nope' })).code, 'InvalidVpcID.Malformed');
    assert.equal((await e({ VpcId: a, PeerVpcId: b, PeerOwnerId: '12' })).code, 'InvalidParameterValue');
    assert.equal((await e({ VpcId: a, PeerVpcId: b, PeerRegion: 'mars-north-1' })).code, 'InvalidParameterValue');
    const wrongType = await e({ VpcId: a, PeerVpcId: b, TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'k', Value: 'v' }] }] });
    assert.equal(wrongType.code, 'InvalidParameterValue');
    assert.deepEqual(await ids(ec2), [], 'failed calls leave nothing behind');
    const noOptions = await apiError(async () => {
      const id = (await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: b }))).VpcPeeringConnection!
        .VpcPeeringConnectionId!;
      await ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id }));
      return ec2.send(new ModifyVpcPeeringConnectionOptionsCommand({ VpcPeeringConnectionId: id }));
    });
    assert.equal(noOptions.code, 'MissingParameter');
  });

  it('helpers for route targets and VPC deletion', async () => {
    const req = srv.ec2({ accessKeyId: A1 });
    const acc = srv.ec2({ accessKeyId: A2 });
    const a = await vpc(req, '10.0.0.0/16');
    const a2 = await vpc(req, '10.4.0.0/16');
    const b = await vpc(acc, '10.1.0.0/16');
    const pending = (await req.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: b, PeerOwnerId: A2 })))
      .VpcPeeringConnection!.VpcPeeringConnectionId!;
    const active = (await req.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: a2 }))).VpcPeeringConnection!
      .VpcPeeringConnectionId!;
    await req.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: active }));

    const withCtx = <T>(account: string, fn: (ctx: RequestContext) => T, commit = false): T => {
      const tx = srv.app.store.begin();
      const ctx = {
        account,
        region: 'us-east-1',
        requestId: 'test',
        state: new ScopedState(tx, scopeKey(account, 'us-east-1')),
        config: srv.config,
        now: new Date(),
        caller: { accessKeyId: account, account },
      } as RequestContext;
      try {
        const out = fn(ctx);
        if (commit) tx.commit();
        else tx.rollback();
        return out;
      } catch (e) {
        tx.rollback();
        throw e;
      }
    };

    withCtx(A1, (ctx) => {
      const p = findPeering(ctx, pending)!;
      assert.ok(p);
      assert.equal(peeringIsActive(p), false);
      const q = findPeering(ctx, active)!;
      assert.equal(peeringIsActive(q), true);
      assert.deepEqual(peeringRemoteEnd(ctx, q, a), { account: A1, region: 'us-east-1', vpcId: a2 });
      assert.deepEqual(peeringRemoteEnd(ctx, p, a), { account: A2, region: 'us-east-1', vpcId: b });
      assert.equal(peeringRemoteEnd(ctx, p, a2), undefined);
      assert.equal(hasPendingPeeringRequest(ctx, a), true);
      assert.equal(hasPendingPeeringRequest(ctx, a2), false);
    });
    withCtx('333333333333', (ctx) => assert.equal(findPeering(ctx, pending), undefined));
    withCtx(A2, (ctx) => {
      assert.ok(findPeering(ctx, pending));
      assert.equal(findPeering(ctx, active), undefined);
      // Another account's request awaits an answer: the accepter VPC cannot go.
      assert.throws(() => releaseVpcPeerings(ctx, b), /has dependencies/);
    });
    // The requester's VPC can go: its connections are deleted with it.
    withCtx(A1, (ctx) => releaseVpcPeerings(ctx, a), true);
    assert.deepEqual((await describeOne(req, pending)).Status, { Code: 'deleted', Message: `Deleted by ${A1}` });
    assert.equal((await describeOne(req, active)).Status!.Code, 'deleted');
    assert.equal((await describeOne(acc, pending)).Status!.Code, 'deleted');
  });
});

describe('VPC peering quotas', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({
      quotas: { ...DEFAULT_QUOTAS, outstandingVpcPeeringConnectionsPerVpc: 2, activeVpcPeeringConnectionsPerVpc: 1 },
    });
  });
  after(() => srv.close());

  it('outstanding requests per VPC, and active connections per VPC on accept', async () => {
    const ec2 = srv.ec2();
    const a = await vpc(ec2, '10.0.0.0/16');
    const b = await vpc(ec2, '10.1.0.0/16');
    const c = await vpc(ec2, '10.2.0.0/16');
    const d = await vpc(ec2, '10.3.0.0/16');
    const ab = (await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: b }))).VpcPeeringConnection!
      .VpcPeeringConnectionId!;
    const ac = (await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: c }))).VpcPeeringConnection!
      .VpcPeeringConnectionId!;
    const over = await apiError(() => ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: d })));
    assert.equal(over.code, 'OutstandingVpcPeeringConnectionLimitExceeded');
    // Requests to a VPC do not count against its own outstanding requests.
    const da = (await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: d, PeerVpcId: a }))).VpcPeeringConnection!
      .VpcPeeringConnectionId!;

    await ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: ab }));
    const active = await apiError(() => ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: ac })));
    assert.equal(active.code, 'ActiveVpcPeeringConnectionPerVpcLimitExceeded');
    assert.equal(
      await errorCode(() => ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: da }))),
      'ActiveVpcPeeringConnectionPerVpcLimitExceeded',
      'the accepter VPC counts too',
    );
    // Accepting one freed a slot for a new outstanding request.
    const ad = (await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: a, PeerVpcId: d }))).VpcPeeringConnection!;
    assert.notEqual(ad.VpcPeeringConnectionId, da, 'a request in the other direction is a connection of its own');
    assert.equal(ad.Status!.Code, 'initiating-request');
    assert.equal((await describeOne(ec2, ac)).Status!.Code, 'pending-acceptance');
  });
});
