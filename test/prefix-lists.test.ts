import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupEgressCommand,
  CreateInternetGatewayCommand,
  CreateManagedPrefixListCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DeleteManagedPrefixListCommand,
  DeleteRouteCommand,
  DescribeManagedPrefixListsCommand,
  DescribePrefixListsCommand,
  DescribeRouteTablesCommand,
  DescribeTagsCommand,
  type EC2Client,
  GetManagedPrefixListAssociationsCommand,
  GetManagedPrefixListEntriesCommand,
  ModifyManagedPrefixListCommand,
  RestoreManagedPrefixListVersionCommand,
  RevokeSecurityGroupEgressCommand,
} from '@aws-sdk/client-ec2';
import { apiError, errorCode, startTestServer, type TestServer, inside } from './helpers.js';
import { DEFAULT_QUOTAS } from '../src/config.js';
import { prefixListCidrs } from '../src/services/ec2/prefix-lists.js';

const ACCOUNT = '000000000000';


describe('AWS-managed prefix lists', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer();
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('lists the S3 and DynamoDB lists of the region with AWS IDs and CIDRs', async () => {
    const { PrefixLists } = await ec2.send(new DescribePrefixListsCommand({}));
    const byName = new Map(PrefixLists!.map((p) => [p.PrefixListName, p]));
    assert.equal(PrefixLists!.length, 2);
    const s3 = byName.get('com.amazonaws.us-east-1.s3')!;
    const ddb = byName.get('com.amazonaws.us-east-1.dynamodb')!;
    assert.equal(s3.PrefixListId, 'pl-63a5400a');
    assert.equal(ddb.PrefixListId, 'pl-02cd2c6b');
    assert.ok(s3.Cidrs!.includes('52.216.0.0/15'));
    assert.ok(ddb.Cidrs!.length > 0);
    for (const c of [...s3.Cidrs!, ...ddb.Cidrs!]) assert.match(c, /^\d+\.\d+\.\d+\.\d+\/\d+$/);
  });

  it('gives every region its own stable lists', async () => {
    const west = srv.ec2({ region: 'eu-north-1' });
    const a = (await west.send(new DescribePrefixListsCommand({}))).PrefixLists!;
    const b = (await west.send(new DescribePrefixListsCommand({}))).PrefixLists!;
    assert.deepEqual(a, b);
    assert.deepEqual(a.map((p) => p.PrefixListName).sort(), ['com.amazonaws.eu-north-1.dynamodb', 'com.amazonaws.eu-north-1.s3']);
    assert.ok(a.every((p) => /^pl-[0-9a-f]{8}$/.test(p.PrefixListId!) && p.PrefixListId !== 'pl-63a5400a'));
    const oregon = (await srv.ec2({ region: 'us-west-2' }).send(new DescribePrefixListsCommand({}))).PrefixLists!;
    assert.equal(oregon.find((p) => p.PrefixListName === 'com.amazonaws.us-west-2.s3')!.PrefixListId, 'pl-68a54001');
  });

  it('filters DescribePrefixLists by ID and name, and refuses unknown or malformed IDs', async () => {
    const byName = await ec2.send(
      new DescribePrefixListsCommand({ Filters: [{ Name: 'prefix-list-name', Values: ['*.dynamodb'] }] }),
    );
    assert.deepEqual(byName.PrefixLists!.map((p) => p.PrefixListId), ['pl-02cd2c6b']);
    const byId = await ec2.send(new DescribePrefixListsCommand({ Filters: [{ Name: 'prefix-list-id', Values: ['pl-63a5400a'] }] }));
    assert.deepEqual(byId.PrefixLists!.map((p) => p.PrefixListName), ['com.amazonaws.us-east-1.s3']);
    const ids = await ec2.send(new DescribePrefixListsCommand({ PrefixListIds: ['pl-63a5400a'] }));
    assert.equal(ids.PrefixLists!.length, 1);
    const unknown = await apiError(() => ec2.send(new DescribePrefixListsCommand({ PrefixListIds: ['pl-0123456789abcdef0'] })));
    assert.equal(unknown.code, 'InvalidPrefixListID.NotFound');
    assert.match(unknown.message, /pl-0123456789abcdef0/);
    assert.equal(await errorCode(() => ec2.send(new DescribePrefixListsCommand({ PrefixListIds: ['pl-xyz'] }))), 'InvalidPrefixListId.Malformed');
    assert.equal(
      await errorCode(() => ec2.send(new DescribePrefixListsCommand({ Filters: [{ Name: 'owner-id', Values: ['AWS'] }] }))),
      'InvalidParameterValue',
    );
  });

  it('shows them in DescribeManagedPrefixLists as owned by AWS, with their entries', async () => {
    const { PrefixLists } = await ec2.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: ['pl-63a5400a'] }));
    const s3 = PrefixLists![0]!;
    assert.equal(s3.OwnerId, 'AWS');
    assert.equal(s3.AddressFamily, 'IPv4');
    assert.equal(s3.State, 'create-complete');
    assert.equal(s3.PrefixListName, 'com.amazonaws.us-east-1.s3');
    assert.equal(s3.PrefixListArn, 'arn:aws:ec2:us-east-1:aws:prefix-list/pl-63a5400a');
    assert.equal(s3.MaxEntries, undefined);
    assert.equal(s3.Version, undefined);
    const { Entries } = await ec2.send(new GetManagedPrefixListEntriesCommand({ PrefixListId: 'pl-63a5400a' }));
    const cidrs = (await ec2.send(new DescribePrefixListsCommand({ PrefixListIds: ['pl-63a5400a'] }))).PrefixLists![0]!.Cidrs!;
    assert.deepEqual(Entries!.map((e) => e.Cidr).sort(), [...cidrs].sort());
    const aws = await ec2.send(new DescribeManagedPrefixListsCommand({ Filters: [{ Name: 'owner-id', Values: ['AWS'] }] }));
    assert.equal(aws.PrefixLists!.length, 2);
  });

  it('refuses to modify, restore or delete them', async () => {
    for (const call of [
      () => ec2.send(new ModifyManagedPrefixListCommand({ PrefixListId: 'pl-63a5400a', CurrentVersion: 1, PrefixListName: 'x' })),
      () => ec2.send(new RestoreManagedPrefixListVersionCommand({ PrefixListId: 'pl-63a5400a', CurrentVersion: 1, PreviousVersion: 1 })),
      () => ec2.send(new DeleteManagedPrefixListCommand({ PrefixListId: 'pl-02cd2c6b' })),
    ]) {
      const e = await apiError(call);
      assert.equal(e.code, 'InvalidPrefixListModification');
      assert.match(e.message, /AWS-managed/);
    }
    assert.equal((await ec2.send(new DescribePrefixListsCommand({}))).PrefixLists!.length, 2);
  });

  it('can be a route destination', async () => {
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.40.0.0/16' }))).Vpc!.VpcId!;
    const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
    const rtb = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
    await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationPrefixListId: 'pl-02cd2c6b', GatewayId: igw }));
    const t = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] }))).RouteTables![0]!;
    const route = t.Routes!.find((r) => r.DestinationPrefixListId === 'pl-02cd2c6b')!;
    assert.equal(route.GatewayId, igw);
    assert.equal(route.State, 'active');
    const assoc = await ec2.send(new GetManagedPrefixListAssociationsCommand({ PrefixListId: 'pl-02cd2c6b' }));
    assert.deepEqual(assoc.PrefixListAssociations, [{ ResourceId: rtb, ResourceOwner: ACCOUNT }]);
  });

  it('answers prefixListCidrs for the network engine', () => {
    const cidrs = inside(srv, (ctx) => prefixListCidrs(ctx, 'pl-63a5400a'));
    assert.ok(cidrs!.includes('54.231.0.0/16'));
    assert.equal(inside(srv, (ctx) => prefixListCidrs(ctx, 'pl-0123456789abcdef0')), undefined);
  });
});

describe('customer-managed prefix lists', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  let n = 0;
  const create = async (input: Partial<ConstructorParameters<typeof CreateManagedPrefixListCommand>[0]> = {}) =>
    (
      await ec2.send(
        new CreateManagedPrefixListCommand({ PrefixListName: `list-${++n}`, AddressFamily: 'IPv4', MaxEntries: 5, ...input }),
      )
    ).PrefixList!;
  const describeOne = async (id: string) =>
    (await ec2.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: [id] }))).PrefixLists![0]!;
  const entries = async (id: string, version?: number) =>
    (await ec2.send(new GetManagedPrefixListEntriesCommand({ PrefixListId: id, TargetVersion: version }))).Entries!;

  before(async () => {
    srv = await startTestServer();
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('creates a list: in progress in the response, complete afterwards, at version 1', async () => {
    const pl = await create({
      PrefixListName: 'corp',
      Entries: [{ Cidr: '10.1.0.0/16', Description: 'office' }, { Cidr: '192.168.1.7/24' }],
      TagSpecifications: [{ ResourceType: 'prefix-list', Tags: [{ Key: 'team', Value: 'net' }] }],
    });
    assert.match(pl.PrefixListId!, /^pl-[0-9a-f]{17}$/);
    assert.equal(pl.State, 'create-in-progress');
    assert.equal(pl.Version, 1);
    assert.equal(pl.MaxEntries, 5);
    assert.equal(pl.AddressFamily, 'IPv4');
    assert.equal(pl.OwnerId, ACCOUNT);
    assert.equal(pl.PrefixListArn, `arn:aws:ec2:us-east-1:${ACCOUNT}:prefix-list/${pl.PrefixListId}`);
    assert.deepEqual(pl.Tags, [{ Key: 'team', Value: 'net' }]);
    const later = await describeOne(pl.PrefixListId!);
    assert.equal(later.State, 'create-complete');
    assert.deepEqual(await entries(pl.PrefixListId!), [{ Cidr: '10.1.0.0/16', Description: 'office' }, { Cidr: '192.168.1.0/24' }]);
    const tags = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [pl.PrefixListId!] }] }));
    assert.equal(tags.Tags![0]!.ResourceType, 'prefix-list');
  });

  it('creates IPv6 lists and refuses entries of the other family', async () => {
    const v6 = await create({ AddressFamily: 'IPv6', Entries: [{ Cidr: '2001:db8::/32' }] });
    assert.equal(v6.AddressFamily, 'IPv6');
    assert.deepEqual(await entries(v6.PrefixListId!), [{ Cidr: '2001:db8::/32' }]);
    assert.equal(await errorCode(() => create({ AddressFamily: 'IPv6', Entries: [{ Cidr: '10.0.0.0/8' }] })), 'InvalidParameterValue');
    assert.equal(await errorCode(() => create({ Entries: [{ Cidr: '2001:db8::/32' }] })), 'InvalidParameterValue');
  });

  it('validates names, sizes, entries and the address family', async () => {
    for (const name of ['com.amazonaws.probe', 'com.amazon.probe', 'com.aws.probe']) {
      const e = await apiError(() => create({ PrefixListName: name }));
      assert.equal(e.code, 'InvalidParameterValue');
      assert.equal(e.message, 'The prefix list name cannot begin with (com.amazonaws., com.amazon., com.aws.).');
    }
    assert.equal((await create({ PrefixListName: 'com.amazonaws-probe' })).PrefixListName, 'com.amazonaws-probe');
    assert.equal(await errorCode(() => create({ PrefixListName: 'x'.repeat(256) })), 'InvalidParameterValue');
    for (const max of [0, 1001]) {
      const e = await apiError(() => create({ MaxEntries: max }));
      assert.equal(e.code, 'InvalidParameterValue');
      assert.equal(e.message, 'Must specify a max size between 1 and 1000');
    }
    assert.equal(
      await errorCode(() => create({ MaxEntries: 1, Entries: [{ Cidr: '10.0.0.0/8' }, { Cidr: '11.0.0.0/8' }] })),
      'InvalidParameterValue',
    );
    const many = Array.from({ length: 101 }, (_, i) => ({ Cidr: `10.${i}.0.0/16` }));
    const tooMany = await apiError(() => create({ MaxEntries: 200, Entries: many }));
    assert.equal(tooMany.code, 'InvalidParameterValue');
    assert.match(tooMany.message, /cannot exceeds limit \(100\)/);
    assert.equal(await errorCode(() => create({ Entries: [{ Cidr: 'nope' }] })), 'InvalidParameterValue');
    assert.equal(
      await errorCode(() => create({ Entries: [{ Cidr: '10.0.0.0/8' }, { Cidr: '10.0.0.0/8' }] })),
      'InvalidPrefixListModification',
    );
    assert.equal(await errorCode(() => create({ AddressFamily: 'IPv5' })), 'InvalidParameterValue');
    assert.equal(await errorCode(() => create({ Entries: [{ Cidr: '10.0.0.0/8', Description: 'd'.repeat(256) }] })), 'InvalidParameterValue');
  });

  it('is idempotent with a client token', async () => {
    const a = await create({ PrefixListName: 'same', ClientToken: 'tok-1' });
    n--;
    const b = await create({ PrefixListName: 'same', ClientToken: 'tok-1' });
    assert.equal(b.PrefixListId, a.PrefixListId);
    assert.equal(await errorCode(() => create({ PrefixListName: 'other', ClientToken: 'tok-1' })), 'IdempotentParameterMismatch');
  });

  it('modifies entries into new versions, readable by TargetVersion', async () => {
    const pl = await create({ Entries: [{ Cidr: '10.0.0.0/16', Description: 'a' }] });
    const id = pl.PrefixListId!;
    const m = await ec2.send(
      new ModifyManagedPrefixListCommand({ PrefixListId: id, CurrentVersion: 1, AddEntries: [{ Cidr: '10.1.0.0/16', Description: 'b' }] }),
    );
    assert.equal(m.PrefixList!.State, 'modify-in-progress');
    assert.equal(m.PrefixList!.Version, 2);
    const now = await describeOne(id);
    assert.equal(now.State, 'modify-complete');
    assert.equal(now.Version, 2);
    // Remove and re-add one CIDR in one call: a new description.
    await ec2.send(
      new ModifyManagedPrefixListCommand({
        PrefixListId: id,
        CurrentVersion: 2,
        RemoveEntries: [{ Cidr: '10.0.0.0/16' }],
        AddEntries: [{ Cidr: '10.0.0.0/16', Description: 'renamed' }],
      }),
    );
    assert.deepEqual(await entries(id), [
      { Cidr: '10.0.0.0/16', Description: 'renamed' },
      { Cidr: '10.1.0.0/16', Description: 'b' },
    ]);
    assert.deepEqual(await entries(id, 1), [{ Cidr: '10.0.0.0/16', Description: 'a' }]);
    assert.equal((await entries(id, 2)).length, 2);
    assert.equal(await errorCode(() => entries(id, 9)), 'InvalidParameterValue');
    // Renaming and resizing do not make versions.
    await ec2.send(new ModifyManagedPrefixListCommand({ PrefixListId: id, CurrentVersion: 3, PrefixListName: 'renamed-list' }));
    await ec2.send(new ModifyManagedPrefixListCommand({ PrefixListId: id, MaxEntries: 10 }));
    const after = await describeOne(id);
    assert.equal(after.Version, 3);
    assert.equal(after.PrefixListName, 'renamed-list');
    assert.equal(after.MaxEntries, 10);
  });

  it('refuses stale versions and invalid changes', async () => {
    const pl = await create({ MaxEntries: 2, Entries: [{ Cidr: '10.0.0.0/16' }] });
    const id = pl.PrefixListId!;
    const stale = await apiError(() =>
      ec2.send(new ModifyManagedPrefixListCommand({ PrefixListId: id, CurrentVersion: 7, AddEntries: [{ Cidr: '10.2.0.0/16' }] })),
    );
    assert.equal(stale.code, 'PrefixListVersionMismatch');
    assert.equal(stale.message, 'The prefix list has the incorrect version number.');
    const both = await apiError(() =>
      ec2.send(new ModifyManagedPrefixListCommand({ PrefixListId: id, MaxEntries: 4, AddEntries: [{ Cidr: '10.2.0.0/16' }] })),
    );
    assert.equal(both.code, 'InvalidParameterCombination');
    assert.equal(both.message, 'You cannot modify the entries and the maximum entries for the prefix list in the same request.');
    assert.equal(
      await errorCode(() => ec2.send(new ModifyManagedPrefixListCommand({ PrefixListId: id, RemoveEntries: [{ Cidr: '10.9.0.0/16' }] }))),
      'InvalidPrefixListModification',
    );
    assert.equal(
      await errorCode(() => ec2.send(new ModifyManagedPrefixListCommand({ PrefixListId: id, AddEntries: [{ Cidr: '10.0.0.0/16' }] }))),
      'InvalidPrefixListModification',
    );
    assert.equal(
      await errorCode(() =>
        ec2.send(new ModifyManagedPrefixListCommand({ PrefixListId: id, AddEntries: [{ Cidr: '10.2.0.0/16' }, { Cidr: '10.3.0.0/16' }] })),
      ),
      'InvalidParameterValue',
    );
    assert.equal(
      await errorCode(() =>
        ec2.send(new ModifyManagedPrefixListCommand({ PrefixListId: id, AddEntries: [{ Cidr: '2001:db8::/32' }] })),
      ),
      'InvalidParameterValue',
    );
    await ec2.send(new ModifyManagedPrefixListCommand({ PrefixListId: id, AddEntries: [{ Cidr: '10.2.0.0/16' }] }));
    assert.equal(
      await errorCode(() => ec2.send(new ModifyManagedPrefixListCommand({ PrefixListId: id, MaxEntries: 1 }))),
      'InvalidParameterValue',
    );
    assert.equal(
      await errorCode(() => ec2.send(new ModifyManagedPrefixListCommand({ PrefixListId: id, PrefixListName: 'com.aws.mine' }))),
      'InvalidParameterValue',
    );
    assert.equal((await describeOne(id)).Version, 2, 'failed calls change nothing');
    const missing = await apiError(() => ec2.send(new ModifyManagedPrefixListCommand({ PrefixListId: 'pl-0123456789abcdef0', CurrentVersion: 1 })));
    assert.equal(missing.code, 'InvalidPrefixListID.NotFound');
    assert.equal(missing.message, 'The prefix list (pl-0123456789abcdef0) does not exist.');
  });

  it('restores an earlier version as a new one', async () => {
    const pl = await create({ Entries: [{ Cidr: '10.0.0.0/16' }] });
    const id = pl.PrefixListId!;
    await ec2.send(
      new ModifyManagedPrefixListCommand({
        PrefixListId: id,
        CurrentVersion: 1,
        RemoveEntries: [{ Cidr: '10.0.0.0/16' }],
        AddEntries: [{ Cidr: '172.16.0.0/12' }],
      }),
    );
    const r = await ec2.send(new RestoreManagedPrefixListVersionCommand({ PrefixListId: id, PreviousVersion: 1, CurrentVersion: 2 }));
    assert.equal(r.PrefixList!.State, 'restore-in-progress');
    assert.equal(r.PrefixList!.Version, 3);
    assert.equal((await describeOne(id)).State, 'restore-complete');
    assert.deepEqual(await entries(id), [{ Cidr: '10.0.0.0/16' }]);
    assert.deepEqual(await entries(id, 2), [{ Cidr: '172.16.0.0/12' }]);
    assert.equal(
      await errorCode(() => ec2.send(new RestoreManagedPrefixListVersionCommand({ PrefixListId: id, PreviousVersion: 1, CurrentVersion: 2 }))),
      'PrefixListVersionMismatch',
    );
    assert.equal(
      await errorCode(() => ec2.send(new RestoreManagedPrefixListVersionCommand({ PrefixListId: id, PreviousVersion: 42, CurrentVersion: 3 }))),
      'InvalidParameterValue',
    );
  });

  it('describes with every filter and pages', async () => {
    const a = await create({ PrefixListName: 'filter-alpha', TagSpecifications: [{ ResourceType: 'prefix-list', Tags: [{ Key: 'f', Value: '1' }] }] });
    const b = await create({ PrefixListName: 'filter-beta' });
    const names = async (filters: Array<{ Name: string; Values: string[] }>) =>
      (await ec2.send(new DescribeManagedPrefixListsCommand({ Filters: filters }))).PrefixLists!.map((p) => p.PrefixListId).sort();
    assert.deepEqual(await names([{ Name: 'prefix-list-name', Values: ['filter-*'] }]), [a.PrefixListId, b.PrefixListId].sort());
    assert.deepEqual(await names([{ Name: 'prefix-list-id', Values: [b.PrefixListId!] }]), [b.PrefixListId]);
    assert.deepEqual(await names([{ Name: 'tag:f', Values: ['1'] }]), [a.PrefixListId]);
    const own = await names([{ Name: 'owner-id', Values: [ACCOUNT] }]);
    assert.ok(own.includes(a.PrefixListId) && !own.includes('pl-63a5400a'));
    assert.equal(await errorCode(() => names([{ Name: 'prefix-list-owner', Values: ['x'] }])), 'InvalidParameterValue');
    const all = (await ec2.send(new DescribeManagedPrefixListsCommand({}))).PrefixLists!;
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await ec2.send(new DescribeManagedPrefixListsCommand({ MaxResults: 3, NextToken: token }));
      assert.ok(page.PrefixLists!.length <= 3);
      seen.push(...page.PrefixLists!.map((p) => p.PrefixListId!));
      token = page.NextToken;
    } while (token);
    assert.deepEqual(seen, all.map((p) => p.PrefixListId));
    assert.equal(await errorCode(() => ec2.send(new DescribeManagedPrefixListsCommand({ MaxResults: 101 }))), 'InvalidParameterValue');
    const missing = await apiError(() => ec2.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: ['pl-0123456789abcdef0'] })));
    assert.equal(missing.code, 'InvalidPrefixListID.NotFound');
  });

  it('pages entries', async () => {
    const pl = await create({ MaxEntries: 10, Entries: Array.from({ length: 7 }, (_, i) => ({ Cidr: `10.${i}.0.0/16` })) });
    const first = await ec2.send(new GetManagedPrefixListEntriesCommand({ PrefixListId: pl.PrefixListId, MaxResults: 5 }));
    assert.equal(first.Entries!.length, 5);
    const second = await ec2.send(
      new GetManagedPrefixListEntriesCommand({ PrefixListId: pl.PrefixListId, MaxResults: 5, NextToken: first.NextToken }),
    );
    assert.equal(second.Entries!.length, 2);
    assert.equal(second.NextToken, undefined);
    assert.equal(
      await errorCode(() => ec2.send(new GetManagedPrefixListEntriesCommand({ PrefixListId: 'pl-0123456789abcdef0' }))),
      'InvalidPrefixListID.NotFound',
    );
  });

  it('reports its route tables and security groups, and fails to delete while they refer to it', async () => {
    const pl = await create({ Entries: [{ Cidr: '198.18.0.0/15' }] });
    const id = pl.PrefixListId!;
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.50.0.0/16' }))).Vpc!.VpcId!;
    const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
    const rtb = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
    await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationPrefixListId: id, GatewayId: igw }));
    const sg = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'pl-user', Description: 'd', VpcId: vpcId }))).GroupId!;
    const perm = [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: id }] }];
    await ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: sg, IpPermissions: perm }));

    const assoc = await ec2.send(new GetManagedPrefixListAssociationsCommand({ PrefixListId: id }));
    assert.deepEqual(assoc.PrefixListAssociations, [
      { ResourceId: rtb, ResourceOwner: ACCOUNT },
      { ResourceId: sg, ResourceOwner: ACCOUNT },
    ]);
    assert.equal(
      await errorCode(() => ec2.send(new GetManagedPrefixListAssociationsCommand({ PrefixListId: id, MaxResults: 4 }))),
      'InvalidParameterValue',
    );

    const del = await ec2.send(new DeleteManagedPrefixListCommand({ PrefixListId: id }));
    assert.equal(del.PrefixList!.State, 'delete-in-progress');
    const failed = await describeOne(id);
    assert.equal(failed.State, 'delete-failed');
    assert.match(failed.StateMessage!, new RegExp(`${rtb}.*${sg}`));
    // Still there and usable.
    await ec2.send(new ModifyManagedPrefixListCommand({ PrefixListId: id, CurrentVersion: 1, AddEntries: [{ Cidr: '203.0.113.0/24' }] }));
    assert.equal((await describeOne(id)).State, 'modify-complete');

    await ec2.send(new DeleteRouteCommand({ RouteTableId: rtb, DestinationPrefixListId: id }));
    await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: sg, IpPermissions: perm }));
    assert.deepEqual((await ec2.send(new GetManagedPrefixListAssociationsCommand({ PrefixListId: id }))).PrefixListAssociations, []);
    const gone = await ec2.send(new DeleteManagedPrefixListCommand({ PrefixListId: id }));
    assert.equal(gone.PrefixList!.State, 'delete-in-progress');
    assert.equal(
      await errorCode(() => ec2.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: [id] }))),
      'InvalidPrefixListID.NotFound',
    );
    assert.equal(await errorCode(() => ec2.send(new DeleteManagedPrefixListCommand({ PrefixListId: id }))), 'InvalidPrefixListID.NotFound');
  });

  it('gives its current CIDRs to prefixListCidrs', async () => {
    const pl = await create({ Entries: [{ Cidr: '10.7.0.0/16' }, { Cidr: '10.8.0.0/16' }] });
    assert.deepEqual(inside(srv, (ctx) => prefixListCidrs(ctx, pl.PrefixListId!))!.sort(), ['10.7.0.0/16', '10.8.0.0/16']);
  });
});

describe('prefix list quota', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ quotas: { ...DEFAULT_QUOTAS, prefixListsPerRegion: 2 } });
  });
  after(() => srv.close());

  it('allows the configured number of lists per region', async () => {
    const ec2 = srv.ec2();
    const make = (name: string) => ec2.send(new CreateManagedPrefixListCommand({ PrefixListName: name, AddressFamily: 'IPv4', MaxEntries: 1 }));
    await make('one');
    await make('two');
    assert.equal(await errorCode(() => make('three')), 'PrefixListLimitExceeded');
    // Another region has its own quota.
    await srv.ec2({ region: 'us-west-2' }).send(new CreateManagedPrefixListCommand({ PrefixListName: 'w', AddressFamily: 'IPv4', MaxEntries: 1 }));
  });
});
