/**
 * Client tokens (idempotency) on every operation that takes one: a repeated request answers
 * what the first answered and creates nothing more; the same token with other parameters fails
 * with IdempotentParameterMismatch; tokens belong to an account and a region, are
 * case-sensitive and up to 64 ASCII characters, are kept only for requests that succeeded, and
 * survive a restart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AllocateAddressCommand,
  AttachInternetGatewayCommand,
  CreateEgressOnlyInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateManagedPrefixListCommand,
  CreateNatGatewayCommand,
  CreateNetworkAclCommand,
  CreateNetworkInterfaceCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DeleteRouteTableCommand,
  DescribeEgressOnlyInternetGatewaysCommand,
  DescribeInstancesCommand,
  DescribeManagedPrefixListsCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkAclsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeVpcEndpointsCommand,
  type EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { DEFAULT_QUOTAS } from '../src/config.js';
import { loadModel } from '../src/protocol/model.js';
import {
  CLIENT_TOKEN_KIND,
  CLIENT_TOKEN_RETENTION_MS,
  type ClientTokenRecord,
  canonicalJson,
  takesClientToken,
  withClientToken,
} from '../src/server/idempotency.js';
import { MemoryPersistence, ScopedState, Store } from '../src/state/store.js';
import { apiError, startTestServer, tempDir, type TestServer } from './helpers.js';

const AMI = 'ami-0a2023c0ffee0a864';
const MISMATCH = 'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).';

/** The SDK's output without the per-request metadata. */
function body<T extends { $metadata?: unknown }>(out: T): Omit<T, '$metadata'> {
  const { $metadata: _m, ...rest } = out;
  return rest;
}

let seq = 0;
async function network(ec2: EC2Client) {
  const n = ++seq;
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${n}.0.0/16` }));
  const vpcId = Vpc!.VpcId!;
  const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.${n}.1.0/24`, AvailabilityZone: 'us-east-1a' }));
  return { vpcId, subnetId: Subnet!.SubnetId! };
}

async function tablesOf(ec2: EC2Client, vpcId: string): Promise<string[]> {
  const { RouteTables } = await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
  return RouteTables!.map((t) => t.RouteTableId!);
}

describe('client tokens on every operation that takes one', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({ stateTransitionMs: 0, quotas: { ...DEFAULT_QUOTAS, vpcsPerRegion: 50 } });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('the model decides which operations take a token', () => {
    const model = srv.app.providers.get('ec2')!.model;
    for (const op of ['CreateRouteTable', 'CreateNetworkAcl', 'CreateNatGateway', 'RunInstances', 'CreateNetworkInterface',
      'CreateVpcEndpoint', 'CreateEgressOnlyInternetGateway', 'CreateManagedPrefixList']) {
      assert.equal(takesClientToken(model, op), true, op);
    }
    for (const op of ['CreateVpc', 'CreateSubnet', 'CreateSecurityGroup', 'NoSuchOperation']) assert.equal(takesClientToken(model, op), false, op);
  });

  it('CreateRouteTable: a retry answers the same and creates nothing; other parameters fail', async () => {
    const a = await network(ec2);
    const b = await network(ec2);
    const input = { VpcId: a.vpcId, ClientToken: 'rtb-token', TagSpecifications: [{ ResourceType: 'route-table' as const, Tags: [{ Key: 'k', Value: 'v' }] }] };
    const first = await ec2.send(new CreateRouteTableCommand(input));
    const second = await ec2.send(new CreateRouteTableCommand(input));
    assert.deepEqual(body(second), body(first));
    assert.equal(first.ClientToken, 'rtb-token');
    assert.equal((await tablesOf(ec2, a.vpcId)).length, 2, 'main + one');
    for (const changed of [{ ...input, VpcId: b.vpcId }, { ...input, TagSpecifications: [] }, { VpcId: a.vpcId, ClientToken: 'rtb-token' }]) {
      const e = await apiError(() => ec2.send(new CreateRouteTableCommand(changed)));
      assert.deepEqual(e, { code: 'IdempotentParameterMismatch', message: MISMATCH, status: 400 });
    }
    assert.equal((await tablesOf(ec2, b.vpcId)).length, 1);
  });

  it('CreateNetworkAcl', async () => {
    const a = await network(ec2);
    const b = await network(ec2);
    const first = await ec2.send(new CreateNetworkAclCommand({ VpcId: a.vpcId, ClientToken: 'acl-token' }));
    const second = await ec2.send(new CreateNetworkAclCommand({ VpcId: a.vpcId, ClientToken: 'acl-token' }));
    assert.deepEqual(body(second), body(first));
    const { NetworkAcls } = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'vpc-id', Values: [a.vpcId] }] }));
    assert.equal(NetworkAcls!.length, 2, 'default + one');
    assert.equal((await apiError(() => ec2.send(new CreateNetworkAclCommand({ VpcId: b.vpcId, ClientToken: 'acl-token' })))).code, 'IdempotentParameterMismatch');
  });

  it('CreateNatGateway', async () => {
    const net = await network(ec2);
    const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: InternetGateway!.InternetGatewayId, VpcId: net.vpcId }));
    const { AllocationId } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const input = { SubnetId: net.subnetId, AllocationId, ClientToken: 'nat-token' };
    const first = await ec2.send(new CreateNatGatewayCommand(input));
    const second = await ec2.send(new CreateNatGatewayCommand(input));
    assert.deepEqual(body(second), body(first));
    assert.equal(first.ClientToken, 'nat-token');
    const { NatGateways } = await ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'vpc-id', Values: [net.vpcId] }] }));
    assert.equal(NatGateways!.length, 1);
    const e = await apiError(() => ec2.send(new CreateNatGatewayCommand({ ...input, ConnectivityType: 'private', AllocationId: undefined })));
    assert.equal(e.code, 'IdempotentParameterMismatch');
  });

  it('RunInstances: the same reservation, one instance, the token in the description', async () => {
    const net = await network(ec2);
    const input = { ImageId: AMI, InstanceType: 't3.micro' as const, MinCount: 1, MaxCount: 1, SubnetId: net.subnetId, ClientToken: 'run-token' };
    const first = await ec2.send(new RunInstancesCommand(input));
    const second = await ec2.send(new RunInstancesCommand(input));
    assert.deepEqual(body(second), body(first));
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'client-token', Values: ['run-token'] }] }));
    assert.equal(Reservations!.flatMap((r) => r.Instances!).length, 1);
    assert.equal(Reservations![0]!.Instances![0]!.ClientToken, 'run-token');
    assert.equal(Reservations![0]!.ReservationId, first.ReservationId);
    const e = await apiError(() => ec2.send(new RunInstancesCommand({ ...input, InstanceType: 't3.small' })));
    assert.equal(e.code, 'IdempotentParameterMismatch');
    const more = await apiError(() => ec2.send(new RunInstancesCommand({ ...input, MaxCount: 2 })));
    assert.equal(more.code, 'IdempotentParameterMismatch');
  });

  it('CreateNetworkInterface', async () => {
    const net = await network(ec2);
    const input = { SubnetId: net.subnetId, Description: 'x', ClientToken: 'eni-token' };
    const first = await ec2.send(new CreateNetworkInterfaceCommand(input));
    const second = await ec2.send(new CreateNetworkInterfaceCommand(input));
    assert.deepEqual(body(second), body(first));
    const { NetworkInterfaces } = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'subnet-id', Values: [net.subnetId] }] }));
    assert.equal(NetworkInterfaces!.length, 1);
    assert.equal((await apiError(() => ec2.send(new CreateNetworkInterfaceCommand({ ...input, Description: 'y' })))).code, 'IdempotentParameterMismatch');
  });

  it('CreateVpcEndpoint', async () => {
    const net = await network(ec2);
    const rtb = (await ec2.send(new CreateRouteTableCommand({ VpcId: net.vpcId }))).RouteTable!.RouteTableId!;
    const input = { VpcId: net.vpcId, ServiceName: 'com.amazonaws.us-east-1.s3', VpcEndpointType: 'Gateway' as const, RouteTableIds: [rtb], ClientToken: 'vpce-token' };
    const first = await ec2.send(new CreateVpcEndpointCommand(input));
    const second = await ec2.send(new CreateVpcEndpointCommand(input));
    assert.deepEqual(body(second), body(first));
    const { VpcEndpoints } = await ec2.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [net.vpcId] }] }));
    assert.equal(VpcEndpoints!.length, 1);
    assert.equal((await apiError(() => ec2.send(new CreateVpcEndpointCommand({ ...input, RouteTableIds: [] })))).code, 'IdempotentParameterMismatch');
  });

  it('CreateEgressOnlyInternetGateway', async () => {
    const a = await network(ec2);
    const b = await network(ec2);
    const first = await ec2.send(new CreateEgressOnlyInternetGatewayCommand({ VpcId: a.vpcId, ClientToken: 'eigw-token' }));
    const second = await ec2.send(new CreateEgressOnlyInternetGatewayCommand({ VpcId: a.vpcId, ClientToken: 'eigw-token' }));
    assert.deepEqual(body(second), body(first));
    const { EgressOnlyInternetGateways } = await ec2.send(new DescribeEgressOnlyInternetGatewaysCommand({}));
    assert.equal(EgressOnlyInternetGateways!.filter((g) => g.Attachments![0]!.VpcId === a.vpcId).length, 1);
    const e = await apiError(() => ec2.send(new CreateEgressOnlyInternetGatewayCommand({ VpcId: b.vpcId, ClientToken: 'eigw-token' })));
    assert.equal(e.code, 'IdempotentParameterMismatch');
  });

  it('CreateManagedPrefixList', async () => {
    const input = { PrefixListName: 'pl-a', AddressFamily: 'IPv4', MaxEntries: 5, Entries: [{ Cidr: '10.0.0.0/16' }], ClientToken: 'pl-token' };
    const first = await ec2.send(new CreateManagedPrefixListCommand(input));
    const second = await ec2.send(new CreateManagedPrefixListCommand(input));
    assert.deepEqual(body(second), body(first));
    const { PrefixLists } = await ec2.send(new DescribeManagedPrefixListsCommand({ Filters: [{ Name: 'prefix-list-name', Values: ['pl-a'] }] }));
    assert.equal(PrefixLists!.length, 1);
    const e = await apiError(() => ec2.send(new CreateManagedPrefixListCommand({ ...input, Entries: [{ Cidr: '10.1.0.0/16' }] })));
    assert.equal(e.code, 'IdempotentParameterMismatch');
  });

  it('a retry after the resource is gone still answers the first result, and creates nothing', async () => {
    const net = await network(ec2);
    const first = await ec2.send(new CreateRouteTableCommand({ VpcId: net.vpcId, ClientToken: 'gone-token' }));
    await ec2.send(new DeleteRouteTableCommand({ RouteTableId: first.RouteTable!.RouteTableId }));
    const again = await ec2.send(new CreateRouteTableCommand({ VpcId: net.vpcId, ClientToken: 'gone-token' }));
    assert.deepEqual(body(again), body(first));
    assert.equal((await tablesOf(ec2, net.vpcId)).length, 1, 'only the main table');
  });

  it('tokens are case-sensitive, per operation, and requests without one are never merged', async () => {
    const net = await network(ec2);
    const lower = await ec2.send(new CreateRouteTableCommand({ VpcId: net.vpcId, ClientToken: 'case-token' }));
    const upper = await ec2.send(new CreateRouteTableCommand({ VpcId: net.vpcId, ClientToken: 'CASE-TOKEN' }));
    assert.notEqual(upper.RouteTable!.RouteTableId, lower.RouteTable!.RouteTableId);
    // The SDK fills in a fresh token of its own when none is given.
    const auto1 = await ec2.send(new CreateRouteTableCommand({ VpcId: net.vpcId }));
    const auto2 = await ec2.send(new CreateRouteTableCommand({ VpcId: net.vpcId }));
    assert.notEqual(auto1.ClientToken, auto2.ClientToken);
    assert.notEqual(auto1.RouteTable!.RouteTableId, auto2.RouteTable!.RouteTableId);
    const acl = await ec2.send(new CreateNetworkAclCommand({ VpcId: net.vpcId, ClientToken: 'case-token' }));
    assert.match(acl.NetworkAcl!.NetworkAclId!, /^acl-/);
    assert.equal((await tablesOf(ec2, net.vpcId)).length, 5);
  });

  it('a request that failed leaves no token behind; neither does a dry run', async () => {
    const net = await network(ec2);
    const bad = await apiError(() => ec2.send(new CreateRouteTableCommand({ VpcId: 'vpc-0000000000000000f', ClientToken: 'retry-token' })));
    assert.equal(bad.code, 'InvalidVpcID.NotFound');
    const dry = await apiError(() => ec2.send(new CreateRouteTableCommand({ VpcId: net.vpcId, ClientToken: 'retry-token', DryRun: true })));
    assert.equal(dry.code, 'DryRunOperation');
    const ok = await ec2.send(new CreateRouteTableCommand({ VpcId: net.vpcId, ClientToken: 'retry-token' }));
    assert.match(ok.RouteTable!.RouteTableId!, /^rtb-/);
    // A dry run with a used token is still only a dry run.
    const dry2 = await apiError(() => ec2.send(new CreateRouteTableCommand({ VpcId: net.vpcId, ClientToken: 'retry-token', DryRun: true })));
    assert.equal(dry2.code, 'DryRunOperation');
    assert.deepEqual(body(await ec2.send(new CreateRouteTableCommand({ VpcId: net.vpcId, ClientToken: 'retry-token' }))), body(ok));
  });

  it('refuses tokens longer than 64 characters or not ASCII', async () => {
    const net = await network(ec2);
    const ok = await ec2.send(new CreateRouteTableCommand({ VpcId: net.vpcId, ClientToken: 't'.repeat(64) }));
    assert.equal(ok.ClientToken, 't'.repeat(64));
    for (const token of ['t'.repeat(65), 'jeton-é']) {
      const e = await apiError(() => ec2.send(new CreateRouteTableCommand({ VpcId: net.vpcId, ClientToken: token })));
      assert.equal(e.code, 'InvalidParameterValue');
      assert.match(e.message, /parameter clientToken is invalid/);
    }
    assert.equal((await tablesOf(ec2, net.vpcId)).length, 2);
  });

  it('accounts and regions have their own tokens', async () => {
    const net = await network(ec2);
    const first = await ec2.send(new CreateNetworkAclCommand({ VpcId: net.vpcId, ClientToken: 'shared-token' }));
    const other = srv.ec2({ accessKeyId: '111122223333' });
    const west = srv.ec2({ region: 'us-west-2' });
    for (const client of [other, west]) {
      // The same token with different parameters (another VPC) is a new request there.
      const { Vpc } = await client.send(new CreateVpcCommand({ CidrBlock: '10.200.0.0/16' }));
      const out = await client.send(new CreateNetworkAclCommand({ VpcId: Vpc!.VpcId, ClientToken: 'shared-token' }));
      assert.notEqual(out.NetworkAcl!.NetworkAclId, first.NetworkAcl!.NetworkAclId);
      assert.equal(out.NetworkAcl!.VpcId, Vpc!.VpcId);
      // ... and a retry there answers that request.
      const again = await client.send(new CreateNetworkAclCommand({ VpcId: Vpc!.VpcId, ClientToken: 'shared-token' }));
      assert.deepEqual(body(again), body(out));
    }
    // The first account's own retry still answers its own result.
    assert.deepEqual(body(await ec2.send(new CreateNetworkAclCommand({ VpcId: net.vpcId, ClientToken: 'shared-token' }))), body(first));
  });

  it('compares parameters, not the order they came in', async () => {
    const net = await network(ec2);
    const auth = 'AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00';
    const send = (pairs: [string, string][]) =>
      fetch(`${srv.endpoint}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth },
        body: new URLSearchParams([['Action', 'CreateRouteTable'], ['Version', '2016-11-15'], ...pairs]).toString(),
      }).then(async (r) => ({ status: r.status, text: await r.text() }));
    const tags: [string, string][] = [
      ['TagSpecification.1.ResourceType', 'route-table'],
      ['TagSpecification.1.Tag.1.Key', 'a'],
      ['TagSpecification.1.Tag.1.Value', '1'],
    ];
    const one = await send([['VpcId', net.vpcId], ['ClientToken', 'order-token'], ...tags]);
    const two = await send([...tags.reverse(), ['ClientToken', 'order-token'], ['VpcId', net.vpcId]]);
    assert.equal(one.status, 200);
    assert.equal(two.status, 200);
    const id = (xml: string) => /<routeTableId>([^<]+)<\/routeTableId>/.exec(xml)![1];
    assert.equal(id(two.text), id(one.text));
    assert.equal((await tablesOf(ec2, net.vpcId)).length, 2);
  });

  it('canonical JSON ignores key order and undefined members, keeps list order', () => {
    assert.equal(canonicalJson({ b: 1, a: [2, { d: undefined, c: 'x' }] }), canonicalJson({ a: [2, { c: 'x' }], b: 1 }));
    assert.notEqual(canonicalJson({ a: [1, 2] }), canonicalJson({ a: [2, 1] }));
    assert.equal(canonicalJson({ t: new Date('2024-01-01T00:00:00Z') }), '{"t":"2024-01-01T00:00:00.000Z"}');
  });
});

describe('client tokens survive a restart', () => {
  it('a retry after a restart answers the first result; a mismatch is still refused', async () => {
    const dataDir = tempDir();
    let srv = await startTestServer({ dataDir, stateTransitionMs: 0 });
    let ec2 = srv.ec2();
    const net = await network(ec2);
    const input = { ImageId: AMI, InstanceType: 't3.micro' as const, MinCount: 1, MaxCount: 1, SubnetId: net.subnetId, ClientToken: 'durable-run' };
    const run = await ec2.send(new RunInstancesCommand(input));
    const rtb = await ec2.send(new CreateRouteTableCommand({ VpcId: net.vpcId, ClientToken: 'durable-rtb' }));
    await srv.close();

    srv = await startTestServer({ dataDir, stateTransitionMs: 0 });
    ec2 = srv.ec2();
    try {
      assert.deepEqual(body(await ec2.send(new RunInstancesCommand(input))), body(run));
      assert.deepEqual(body(await ec2.send(new CreateRouteTableCommand({ VpcId: net.vpcId, ClientToken: 'durable-rtb' }))), body(rtb));
      const { Reservations } = await ec2.send(new DescribeInstancesCommand({}));
      assert.equal(Reservations!.flatMap((r) => r.Instances!).length, 1);
      assert.equal((await tablesOf(ec2, net.vpcId)).length, 2);
      const e = await apiError(() => ec2.send(new RunInstancesCommand({ ...input, InstanceType: 't3.nano' })));
      assert.equal(e.code, 'IdempotentParameterMismatch');
    } finally {
      await srv.close();
    }
  });
});

describe('client token records', () => {
  const model = loadModel('ec2-2016-11-15');
  const store = new Store(new MemoryPersistence());
  const scope = 'idempotency-unit/us-east-1';
  const t0 = Date.parse('2024-03-01T00:00:00Z');
  let runs = 0;
  const call = (token: string, at: number, input: Record<string, unknown> = { VpcId: 'vpc-1' }) => {
    const tx = store.begin();
    const state = new ScopedState(tx, scope);
    const out = withClientToken(model, 'CreateRouteTable', { ...input, ClientToken: token }, state, new Date(at), () => ({ n: ++runs }));
    tx.commit();
    return out;
  };
  const records = () => [...(store.table(scope, CLIENT_TOKEN_KIND)?.values() ?? [])] as ClientTokenRecord[];

  it('are kept for 24 hours after the request, then the token is new again and the record goes', () => {
    assert.deepEqual(call('a', t0), { n: 1 });
    assert.deepEqual(call('a', t0 + CLIENT_TOKEN_RETENTION_MS - 1), { n: 1 });
    assert.deepEqual(records().map((r) => [r.operation, r.token, r.at]), [['CreateRouteTable', 'a', new Date(t0).toISOString()]]);
    assert.throws(() => call('a', t0 + 1000, { VpcId: 'vpc-2' }), { code: 'IdempotentParameterMismatch' });
    // Expired: the token starts a new request (with any parameters).
    assert.deepEqual(call('a', t0 + CLIENT_TOKEN_RETENTION_MS, { VpcId: 'vpc-2' }), { n: 2 });
    assert.deepEqual(call('b', t0 + CLIENT_TOKEN_RETENTION_MS + 1), { n: 3 });
    // Two hours after the last sweep, a new token sweeps the expired ones away.
    assert.deepEqual(call('c', t0 + 2 * CLIENT_TOKEN_RETENTION_MS + 2 * 3600_000), { n: 4 });
    assert.deepEqual(records().map((r) => r.token), ['c']);
  });

  it('a rolled-back request leaves no record', () => {
    const tx = store.begin();
    const state = new ScopedState(tx, scope);
    withClientToken(model, 'CreateRouteTable', { VpcId: 'vpc-9', ClientToken: 'rolled' }, state, new Date(t0), () => ({}));
    tx.rollback();
    assert.equal(records().some((r) => r.token === 'rolled'), false);
  });
});
