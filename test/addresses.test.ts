import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AttachInternetGatewayCommand,
  AttachNetworkInterfaceCommand,
  CreateInternetGatewayCommand,
  CreateNetworkInterfaceCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAddressesAttributeCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  DisassociateAddressCommand,
  type EC2Client,
  type Filter,
  ModifyAddressAttributeCommand,
  type NetworkInterface,
  ReleaseAddressCommand,
  ResetAddressAttributeCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { DEFAULT_QUOTAS } from '../src/config.js';
import { apiError, errorCode, startTestServer, type TestServer } from './helpers.js';

const POOL = /^(198\.51\.100|203\.0\.113|192\.0\.2)\.\d{1,3}$/;
const ACCOUNT = '000000000000';

async function allocate(ec2: EC2Client, name?: string) {
  return ec2.send(
    new AllocateAddressCommand({
      Domain: 'vpc',
      TagSpecifications: name ? [{ ResourceType: 'elastic-ip', Tags: [{ Key: 'Name', Value: name }] }] : undefined,
    }),
  );
}

async function eni(ec2: EC2Client, id: string): Promise<NetworkInterface> {
  const { NetworkInterfaces } = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [id] }));
  return NetworkInterfaces![0]!;
}

/** A VPC (internet gateway attached unless told otherwise), a subnet and an interface in it. */
async function network(ec2: EC2Client, cidr: string, opts: { igw?: boolean; secondary?: number } = {}) {
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }));
  const vpcId = Vpc!.VpcId!;
  const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr.replace('/16', '/24') }));
  let igwId: string | undefined;
  if (opts.igw !== false) {
    const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
    igwId = InternetGateway!.InternetGatewayId!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }));
  }
  const { NetworkInterface } = await ec2.send(
    new CreateNetworkInterfaceCommand({ SubnetId: Subnet!.SubnetId, SecondaryPrivateIpAddressCount: opts.secondary }),
  );
  return { vpcId, subnetId: Subnet!.SubnetId!, igwId, eniId: NetworkInterface!.NetworkInterfaceId!, privateIp: NetworkInterface!.PrivateIpAddress! };
}

describe('Elastic IP addresses: allocation', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({ quotas: { ...DEFAULT_QUOTAS, elasticIpsPerRegion: 2 } });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('allocates from the public pool, describes and releases', async () => {
    const out = await allocate(ec2, 'web');
    assert.match(out.AllocationId!, /^eipalloc-[0-9a-f]{17}$/);
    assert.match(out.PublicIp!, POOL);
    assert.equal(out.Domain, 'vpc');
    assert.equal(out.PublicIpv4Pool, 'amazon');
    assert.equal(out.NetworkBorderGroup, 'us-east-1');

    const { Addresses } = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [out.AllocationId!] }));
    assert.deepEqual(Addresses, [
      {
        AllocationId: out.AllocationId,
        Domain: 'vpc',
        PublicIp: out.PublicIp,
        PublicIpv4Pool: 'amazon',
        NetworkBorderGroup: 'us-east-1',
        Tags: [{ Key: 'Name', Value: 'web' }],
      },
    ]);
    const byIp = await ec2.send(new DescribeAddressesCommand({ PublicIps: [out.PublicIp!] }));
    assert.equal(byIp.Addresses![0]!.AllocationId, out.AllocationId);

    await ec2.send(new ReleaseAddressCommand({ AllocationId: out.AllocationId }));
    const gone = await apiError(() => ec2.send(new ReleaseAddressCommand({ AllocationId: out.AllocationId })));
    assert.equal(gone.code, 'InvalidAllocationID.NotFound');
    assert.equal(gone.message, `The allocation ID '${out.AllocationId}' does not exist`);
    assert.deepEqual((await ec2.send(new DescribeAddressesCommand({}))).Addresses, []);
  });

  it('allocates a requested address from the pool, once across all accounts and regions', async () => {
    const wanted = '203.0.113.77';
    const out = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc', Address: wanted }));
    assert.equal(out.PublicIp, wanted);

    const otherAccount = srv.ec2({ accessKeyId: '111111111111' });
    const taken = await apiError(() => otherAccount.send(new AllocateAddressCommand({ Address: wanted })));
    assert.equal(taken.code, 'InvalidAddress.NotFound');
    assert.equal(taken.message, `Address '${wanted}' not found.`);
    const west = srv.ec2({ region: 'us-west-2' });
    assert.equal(await errorCode(() => west.send(new AllocateAddressCommand({ Address: wanted }))), 'InvalidAddress.NotFound');
    assert.equal(await errorCode(() => ec2.send(new AllocateAddressCommand({ Address: '8.8.8.8' }))), 'InvalidAddress.NotFound');
    assert.equal(await errorCode(() => ec2.send(new AllocateAddressCommand({ Address: '203.0.113.0' }))), 'InvalidAddress.NotFound');
    assert.equal(await errorCode(() => ec2.send(new AllocateAddressCommand({ Address: 'not-an-ip' }))), 'InvalidParameterValue');

    await ec2.send(new ReleaseAddressCommand({ AllocationId: out.AllocationId }));
    const mine = await otherAccount.send(new AllocateAddressCommand({ Address: wanted }));
    assert.equal(mine.PublicIp, wanted, 'a released address can be allocated again');
    await otherAccount.send(new ReleaseAddressCommand({ AllocationId: mine.AllocationId }));
  });

  it('enforces the Elastic IP quota per region', async () => {
    const a = await allocate(ec2);
    const b = await allocate(ec2);
    assert.notEqual(a.PublicIp, b.PublicIp);
    const e = await apiError(() => allocate(ec2));
    assert.equal(e.code, 'AddressLimitExceeded');
    assert.equal(e.message, 'The maximum number of addresses has been reached.');
    const west = srv.ec2({ region: 'us-west-2' });
    const w = await allocate(west);
    assert.equal(w.NetworkBorderGroup, 'us-west-2');
    await west.send(new ReleaseAddressCommand({ AllocationId: w.AllocationId }));
    await ec2.send(new ReleaseAddressCommand({ AllocationId: a.AllocationId }));
    const c = await allocate(ec2);
    for (const x of [b, c]) await ec2.send(new ReleaseAddressCommand({ AllocationId: x.AllocationId }));
  });

  it('rejects unsupported allocation parameters', async () => {
    assert.equal(await errorCode(() => ec2.send(new AllocateAddressCommand({ Domain: 'standard' }))), 'InvalidParameterValue');
    assert.equal(
      await errorCode(() => ec2.send(new AllocateAddressCommand({ PublicIpv4Pool: 'ipv4pool-ec2-0123456789abcdef0' }))),
      'InvalidPublicIpv4PoolID.NotFound',
    );
    assert.equal(await errorCode(() => ec2.send(new AllocateAddressCommand({ NetworkBorderGroup: 'us-west-2' }))), 'InvalidParameterValue');
    assert.equal(
      await errorCode(() => ec2.send(new AllocateAddressCommand({ TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'a', Value: 'b' }] }] }))),
      'InvalidParameterValue',
    );
    assert.deepEqual((await ec2.send(new DescribeAddressesCommand({}))).Addresses, []);
  });

  it('answers ReleaseAddress parameter mistakes as AWS does', async () => {
    const a = await allocate(ec2);
    const byIp = await apiError(() => ec2.send(new ReleaseAddressCommand({ PublicIp: a.PublicIp })));
    assert.equal(byIp.code, 'InvalidParameterValue');
    assert.equal(byIp.message, 'You must specify an allocation id when releasing a VPC elastic IP address');
    const both = await apiError(() => ec2.send(new ReleaseAddressCommand({ PublicIp: a.PublicIp, AllocationId: a.AllocationId })));
    assert.equal(both.code, 'InvalidParameterCombination');
    assert.equal(both.message, 'You may specify public IP or allocation id, but not both in the same call');
    const notMine = await apiError(() => ec2.send(new ReleaseAddressCommand({ PublicIp: '192.0.2.250' })));
    assert.equal(notMine.code, 'AuthFailure');
    assert.equal(
      await errorCode(() => ec2.send(new ReleaseAddressCommand({ AllocationId: a.AllocationId, NetworkBorderGroup: 'us-east-1-bos-1' }))),
      'InvalidAddress.NotFound',
    );
    assert.equal(
      await errorCode(() => ec2.send(new ReleaseAddressCommand({ AllocationId: 'eipalloc-123' }))),
      'InvalidAllocationID.Malformed',
    );
    await ec2.send(new ReleaseAddressCommand({ AllocationId: a.AllocationId, NetworkBorderGroup: 'us-east-1' }));
  });

  it('describes by public IP, allocation ID and every filter', async () => {
    const a = await allocate(ec2, 'alpha');
    const b = await allocate(ec2, 'beta');
    const ids = async (Filters: Filter[]) =>
      (await ec2.send(new DescribeAddressesCommand({ Filters }))).Addresses!.map((x) => x.AllocationId).sort();
    assert.deepEqual(await ids([{ Name: 'allocation-id', Values: [a.AllocationId!] }]), [a.AllocationId]);
    assert.deepEqual(await ids([{ Name: 'public-ip', Values: [b.PublicIp!] }]), [b.AllocationId]);
    assert.deepEqual(await ids([{ Name: 'domain', Values: ['vpc'] }]), [a.AllocationId, b.AllocationId].sort());
    assert.deepEqual(await ids([{ Name: 'network-border-group', Values: ['us-east-1'] }]), [a.AllocationId, b.AllocationId].sort());
    assert.deepEqual(await ids([{ Name: 'tag:Name', Values: ['alpha'] }]), [a.AllocationId]);
    assert.deepEqual(await ids([{ Name: 'tag-key', Values: ['Name'] }]), [a.AllocationId, b.AllocationId].sort());
    assert.deepEqual(await ids([{ Name: 'tag-value', Values: ['be*'] }]), [b.AllocationId]);
    for (const name of ['association-id', 'instance-id', 'network-interface-id', 'network-interface-owner-id', 'private-ip-address']) {
      assert.deepEqual(await ids([{ Name: name, Values: ['*'] }]), [], `${name} matches nothing while unassociated`);
    }
    assert.equal(
      await errorCode(() => ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'bogus', Values: ['x'] }] }))),
      'InvalidParameterValue',
    );
    const both = await ec2.send(new DescribeAddressesCommand({ PublicIps: [a.PublicIp!, b.PublicIp!] }));
    assert.equal(both.Addresses!.length, 2);
    const missing = await apiError(() => ec2.send(new DescribeAddressesCommand({ PublicIps: ['192.0.2.251'] })));
    assert.equal(missing.code, 'InvalidAddress.NotFound');
    assert.equal(missing.message, "Address '192.0.2.251' not found.");
    assert.equal(
      await errorCode(() => ec2.send(new DescribeAddressesCommand({ AllocationIds: ['eipalloc-0123456789abcdef0'] }))),
      'InvalidAllocationID.NotFound',
    );
    for (const x of [a, b]) await ec2.send(new ReleaseAddressCommand({ AllocationId: x.AllocationId }));
  });

  it('reads, sets and resets the reverse DNS domain name', async () => {
    const a = await allocate(ec2);
    const dashed = a.PublicIp!.replace(/\./g, '-');
    const d1 = await ec2.send(new DescribeAddressesAttributeCommand({ AllocationIds: [a.AllocationId!], Attribute: 'domain-name' }));
    assert.deepEqual(d1.Addresses, [
      { PublicIp: a.PublicIp, AllocationId: a.AllocationId, PtrRecord: `ec2-${dashed}.compute-1.amazonaws.com.` },
    ]);
    const m = await ec2.send(new ModifyAddressAttributeCommand({ AllocationId: a.AllocationId, DomainName: 'www.example.com' }));
    assert.equal(m.Address!.PtrRecordUpdate!.Value, 'www.example.com.');
    assert.equal(m.Address!.PtrRecordUpdate!.Status, 'PENDING');
    const d2 = await ec2.send(new DescribeAddressesAttributeCommand({ AllocationIds: [a.AllocationId!], Attribute: 'domain-name' }));
    assert.equal(d2.Addresses![0]!.PtrRecord, 'www.example.com.');
    assert.equal(
      await errorCode(() => ec2.send(new ModifyAddressAttributeCommand({ AllocationId: a.AllocationId, DomainName: 'not a domain' }))),
      'InvalidParameterValue',
    );
    const r = await ec2.send(new ResetAddressAttributeCommand({ AllocationId: a.AllocationId, Attribute: 'domain-name' }));
    assert.equal(r.Address!.PtrRecord, 'www.example.com.');
    const d3 = await ec2.send(new DescribeAddressesAttributeCommand({ AllocationIds: [a.AllocationId!], Attribute: 'domain-name' }));
    assert.equal(d3.Addresses![0]!.PtrRecord, `ec2-${dashed}.compute-1.amazonaws.com.`);
    assert.equal(
      await errorCode(() => ec2.send(new ModifyAddressAttributeCommand({ AllocationId: 'eipalloc-0123456789abcdef0', DomainName: 'a.example.com' }))),
      'InvalidAllocationID.NotFound',
    );
    await ec2.send(new ReleaseAddressCommand({ AllocationId: a.AllocationId }));
  });
});

describe('Elastic IP addresses: association with network interfaces', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({ quotas: { ...DEFAULT_QUOTAS, vpcsPerRegion: 20 } });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('needs an internet gateway on the interface VPC', async () => {
    const net = await network(ec2, '10.40.0.0/16', { igw: false });
    const a = await allocate(ec2);
    const e = await apiError(() => ec2.send(new AssociateAddressCommand({ AllocationId: a.AllocationId, NetworkInterfaceId: net.eniId })));
    assert.equal(e.code, 'Gateway.NotAttached');
    assert.equal(e.message, `Network ${net.vpcId} is not attached to any internet gateway`);
    assert.equal((await eni(ec2, net.eniId)).Association, undefined);
    await ec2.send(new ReleaseAddressCommand({ AllocationId: a.AllocationId }));
  });

  it('associates, shows the association on both sides, blocks detach and release, and disassociates', async () => {
    const net = await network(ec2, '10.41.0.0/16');
    const a = await allocate(ec2);
    const { AssociationId } = await ec2.send(new AssociateAddressCommand({ AllocationId: a.AllocationId, NetworkInterfaceId: net.eniId }));
    assert.match(AssociationId!, /^eipassoc-[0-9a-f]{17}$/);

    const iface = await eni(ec2, net.eniId);
    const expected = { AllocationId: a.AllocationId, AssociationId, IpOwnerId: ACCOUNT, PublicDnsName: '', PublicIp: a.PublicIp };
    assert.deepEqual(iface.Association, expected);
    const primary = iface.PrivateIpAddresses!.find((p) => p.Primary)!;
    assert.equal(primary.PrivateIpAddress, net.privateIp);
    assert.deepEqual(primary.Association, expected);

    const { Addresses } = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [a.AllocationId!] }));
    assert.equal(Addresses![0]!.AssociationId, AssociationId);
    assert.equal(Addresses![0]!.NetworkInterfaceId, net.eniId);
    assert.equal(Addresses![0]!.NetworkInterfaceOwnerId, ACCOUNT);
    assert.equal(Addresses![0]!.PrivateIpAddress, net.privateIp);
    assert.equal(Addresses![0]!.InstanceId, undefined);
    const filtered = async (Name: string, value: string) =>
      (await ec2.send(new DescribeAddressesCommand({ Filters: [{ Name, Values: [value] }] }))).Addresses!.map((x) => x.AllocationId);
    assert.deepEqual(await filtered('association-id', AssociationId!), [a.AllocationId]);
    assert.deepEqual(await filtered('network-interface-id', net.eniId), [a.AllocationId]);
    assert.deepEqual(await filtered('network-interface-owner-id', ACCOUNT), [a.AllocationId]);
    assert.deepEqual(await filtered('private-ip-address', net.privateIp), [a.AllocationId]);

    // Associating again with the same target changes nothing.
    const again = await ec2.send(new AssociateAddressCommand({ AllocationId: a.AllocationId, NetworkInterfaceId: net.eniId }));
    assert.equal(again.AssociationId, AssociationId);

    const detach = await apiError(() => ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: net.igwId, VpcId: net.vpcId })));
    assert.equal(detach.code, 'DependencyViolation');
    assert.equal(
      detach.message,
      `Network ${net.vpcId} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`,
    );
    const inUse = await apiError(() => ec2.send(new ReleaseAddressCommand({ AllocationId: a.AllocationId })));
    assert.equal(inUse.code, 'InvalidIPAddress.InUse');
    assert.equal(inUse.message, `Address ${a.PublicIp} is in use.`);

    const byIp = await apiError(() => ec2.send(new DisassociateAddressCommand({ PublicIp: a.PublicIp })));
    assert.equal(byIp.code, 'InvalidParameterValue');
    assert.equal(byIp.message, 'You must specify an association id when unmapping an address from a VPC instance');

    await ec2.send(new DisassociateAddressCommand({ AssociationId }));
    const clean = await eni(ec2, net.eniId);
    assert.equal(clean.Association, undefined);
    assert.equal(clean.PrivateIpAddresses!.find((p) => p.Primary)!.Association, undefined);
    const after = (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [a.AllocationId!] }))).Addresses![0]!;
    assert.equal(after.AssociationId, undefined);
    assert.equal(after.NetworkInterfaceId, undefined);
    const twice = await apiError(() => ec2.send(new DisassociateAddressCommand({ AssociationId })));
    assert.equal(twice.code, 'InvalidAssociationID.NotFound');
    assert.equal(twice.message, `The association ID '${AssociationId}' does not exist`);

    await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: net.igwId, VpcId: net.vpcId }));
    await ec2.send(new ReleaseAddressCommand({ AllocationId: a.AllocationId }));
  });

  it('moves an address between interfaces unless AllowReassociation is false', async () => {
    const one = await network(ec2, '10.42.0.0/16');
    const { NetworkInterface } = await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: one.subnetId }));
    const twoId = NetworkInterface!.NetworkInterfaceId!;
    const a = await allocate(ec2);
    const first = await ec2.send(new AssociateAddressCommand({ AllocationId: a.AllocationId, NetworkInterfaceId: one.eniId }));

    const refused = await apiError(() =>
      ec2.send(new AssociateAddressCommand({ AllocationId: a.AllocationId, NetworkInterfaceId: twoId, AllowReassociation: false })),
    );
    assert.equal(refused.code, 'Resource.AlreadyAssociated');
    assert.equal(refused.message, `resource ${a.AllocationId} is already associated with associate-id ${first.AssociationId}`);
    assert.equal((await eni(ec2, one.eniId)).Association?.PublicIp, a.PublicIp);

    const moved = await ec2.send(new AssociateAddressCommand({ AllocationId: a.AllocationId, NetworkInterfaceId: twoId }));
    assert.notEqual(moved.AssociationId, first.AssociationId);
    assert.equal((await eni(ec2, one.eniId)).Association, undefined);
    assert.equal((await eni(ec2, twoId)).Association?.AssociationId, moved.AssociationId);
    const { Addresses } = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [a.AllocationId!] }));
    assert.equal(Addresses![0]!.NetworkInterfaceId, twoId);

    // A second address on the same private IP replaces the first, which stays allocated.
    const b = await allocate(ec2);
    const second = await ec2.send(new AssociateAddressCommand({ AllocationId: b.AllocationId, NetworkInterfaceId: twoId }));
    assert.equal((await eni(ec2, twoId)).Association?.PublicIp, b.PublicIp);
    const both = (await ec2.send(new DescribeAddressesCommand({}))).Addresses!;
    assert.equal(both.find((x) => x.AllocationId === a.AllocationId)!.AssociationId, undefined);
    assert.equal(both.find((x) => x.AllocationId === b.AllocationId)!.AssociationId, second.AssociationId);

    await ec2.send(new DisassociateAddressCommand({ AssociationId: second.AssociationId }));
    for (const x of [a, b]) await ec2.send(new ReleaseAddressCommand({ AllocationId: x.AllocationId }));
  });

  it('associates with a secondary private IP', async () => {
    const net = await network(ec2, '10.43.0.0/16', { secondary: 1 });
    const iface = await eni(ec2, net.eniId);
    const secondary = iface.PrivateIpAddresses!.find((p) => !p.Primary)!.PrivateIpAddress!;
    const a = await allocate(ec2);
    const { AssociationId } = await ec2.send(
      new AssociateAddressCommand({ AllocationId: a.AllocationId, NetworkInterfaceId: net.eniId, PrivateIpAddress: secondary }),
    );
    const now = await eni(ec2, net.eniId);
    assert.equal(now.Association, undefined, 'the interface-level association is the primary IP one');
    assert.equal(now.PrivateIpAddresses!.find((p) => !p.Primary)!.Association?.AssociationId, AssociationId);
    assert.equal(now.PrivateIpAddresses!.find((p) => p.Primary)!.Association, undefined);
    const { Addresses } = await ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'private-ip-address', Values: [secondary] }] }));
    assert.equal(Addresses![0]!.AllocationId, a.AllocationId);

    const wrong = await apiError(() =>
      ec2.send(new AssociateAddressCommand({ AllocationId: a.AllocationId, NetworkInterfaceId: net.eniId, PrivateIpAddress: '10.43.9.9' })),
    );
    assert.equal(wrong.code, 'InvalidParameterValue');
    await ec2.send(new DisassociateAddressCommand({ AssociationId }));
    assert.equal((await eni(ec2, net.eniId)).PrivateIpAddresses!.find((p) => !p.Primary)!.Association, undefined);
    await ec2.send(new ReleaseAddressCommand({ AllocationId: a.AllocationId }));
  });

  it('answers AssociateAddress parameter mistakes as AWS does', async () => {
    const net = await network(ec2, '10.44.0.0/16');
    const a = await allocate(ec2);
    const byIp = await apiError(() => ec2.send(new AssociateAddressCommand({ PublicIp: a.PublicIp, NetworkInterfaceId: net.eniId })));
    assert.equal(byIp.code, 'InvalidParameterCombination');
    assert.equal(byIp.message, 'You must specify an allocation id when mapping an address to a VPC instance');
    assert.equal(
      await errorCode(() =>
        ec2.send(new AssociateAddressCommand({ AllocationId: a.AllocationId, NetworkInterfaceId: net.eniId, InstanceId: 'i-0123456789abcdef0' })),
      ),
      'InvalidParameterCombination',
    );
    assert.equal(await errorCode(() => ec2.send(new AssociateAddressCommand({ AllocationId: a.AllocationId }))), 'MissingParameter');
    assert.equal(
      await errorCode(() => ec2.send(new AssociateAddressCommand({ AllocationId: a.AllocationId, NetworkInterfaceId: 'eni-0123456789abcdef0' }))),
      'InvalidNetworkInterfaceID.NotFound',
    );
    assert.equal(
      await errorCode(() => ec2.send(new AssociateAddressCommand({ AllocationId: a.AllocationId, InstanceId: 'i-0123456789abcdef0' }))),
      'InvalidInstanceID.NotFound',
    );
    assert.equal(
      await errorCode(() => ec2.send(new AssociateAddressCommand({ AllocationId: 'eipalloc-0123456789abcdef0', NetworkInterfaceId: net.eniId }))),
      'InvalidAllocationID.NotFound',
    );
    assert.equal(await errorCode(() => ec2.send(new DisassociateAddressCommand({}))), 'MissingParameter');
    assert.equal(
      await errorCode(() => ec2.send(new DisassociateAddressCommand({ AssociationId: 'eipassoc-0123456789abcdef0' }))),
      'InvalidAssociationID.NotFound',
    );
    assert.equal(await errorCode(() => ec2.send(new DisassociateAddressCommand({ PublicIp: '198.18.0.1' }))), 'AuthFailure'); // never in the pool
    assert.deepEqual((await eni(ec2, net.eniId)).Association, undefined);
    await ec2.send(new ReleaseAddressCommand({ AllocationId: a.AllocationId }));
  });

  it('in the default VPC, names the address and releasing it disassociates', async () => {
    const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
    const { Subnets } = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [Vpcs![0]!.VpcId!] }] }));
    const { NetworkInterface } = await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: Subnets![0]!.SubnetId }));
    const eniId = NetworkInterface!.NetworkInterfaceId!;
    const a = await allocate(ec2);
    await ec2.send(new AssociateAddressCommand({ AllocationId: a.AllocationId, NetworkInterfaceId: eniId }));
    const dashed = a.PublicIp!.replace(/\./g, '-');
    assert.equal((await eni(ec2, eniId)).Association?.PublicDnsName, `ec2-${dashed}.compute-1.amazonaws.com`);

    await ec2.send(new ReleaseAddressCommand({ AllocationId: a.AllocationId }));
    assert.equal((await eni(ec2, eniId)).Association, undefined);
    assert.deepEqual((await ec2.send(new DescribeAddressesCommand({}))).Addresses, []);
  });
});

describe('Elastic IP addresses: association with instances', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  let subnetId: string;
  let defaultVpcId: string;
  before(async () => {
    srv = await startTestServer();
    ec2 = srv.ec2();
    const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
    defaultVpcId = Vpcs![0]!.VpcId!;
    const { Subnets } = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [defaultVpcId] }] }));
    subnetId = Subnets![0]!.SubnetId!;
  });
  after(() => srv.close());

  async function launch(): Promise<string> {
    const { Instances } = await ec2.send(
      new RunInstancesCommand({ ImageId: 'ami-0a2023c0ffee0a864', InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SubnetId: subnetId }),
    );
    return Instances![0]!.InstanceId!;
  }
  async function running(instanceId: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      if (Reservations![0]!.Instances![0]!.State?.Name === 'running') return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${instanceId} did not reach running`);
  }
  async function publicIp(instanceId: string): Promise<string | undefined> {
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    return Reservations![0]!.Instances![0]!.PublicIpAddress;
  }

  it('replaces the auto-assigned public IP, which goes back to the pool, and gives a new one on disassociation', async () => {
    const instanceId = await launch();
    const autoIp = await publicIp(instanceId);
    assert.match(autoIp!, POOL, 'a default subnet maps a public IP on launch');

    // While the instance has a public IP, the default VPC gateway cannot be detached.
    const { InternetGateways } = await ec2.send(
      new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [defaultVpcId] }] }),
    );
    const detach = await apiError(() =>
      ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: InternetGateways![0]!.InternetGatewayId, VpcId: defaultVpcId })),
    );
    assert.equal(detach.code, 'DependencyViolation');

    const a = await allocate(ec2);
    const { AssociationId } = await ec2.send(new AssociateAddressCommand({ AllocationId: a.AllocationId, InstanceId: instanceId }));
    assert.equal(await publicIp(instanceId), a.PublicIp);
    const { Addresses } = await ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'instance-id', Values: [instanceId] }] }));
    assert.equal(Addresses!.length, 1);
    assert.equal(Addresses![0]!.InstanceId, instanceId);
    assert.equal(Addresses![0]!.AssociationId, AssociationId);

    // The replaced address is free again: it can be allocated as an Elastic IP.
    const recovered = await ec2.send(new AllocateAddressCommand({ Address: autoIp }));
    assert.equal(recovered.PublicIp, autoIp);
    await ec2.send(new ReleaseAddressCommand({ AllocationId: recovered.AllocationId }));

    await ec2.send(new DisassociateAddressCommand({ AssociationId }));
    const fresh = await publicIp(instanceId);
    assert.match(fresh!, POOL);
    assert.notEqual(fresh, a.PublicIp);
    const after = (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [a.AllocationId!] }))).Addresses![0]!;
    assert.equal(after.InstanceId, undefined);

    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    const gone = await apiError(() => ec2.send(new AssociateAddressCommand({ AllocationId: a.AllocationId, InstanceId: instanceId })));
    assert.equal(gone.code, 'IncorrectInstanceState');
    await ec2.send(new ReleaseAddressCommand({ AllocationId: a.AllocationId }));
  });

  it('needs a network interface ID for an instance with several interfaces', async () => {
    const instanceId = await launch();
    await running(instanceId);
    const { NetworkInterface } = await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId }));
    const second = NetworkInterface!.NetworkInterfaceId!;
    await ec2.send(new AttachNetworkInterfaceCommand({ InstanceId: instanceId, NetworkInterfaceId: second, DeviceIndex: 1 }));
    const a = await allocate(ec2);
    const e = await apiError(() => ec2.send(new AssociateAddressCommand({ AllocationId: a.AllocationId, InstanceId: instanceId })));
    assert.equal(e.code, 'InvalidInstanceID');
    assert.equal(
      e.message,
      `There are multiple interfaces attached to instance '${instanceId}'. Please specify an interface ID for the operation instead.`,
    );
    const { AssociationId } = await ec2.send(new AssociateAddressCommand({ AllocationId: a.AllocationId, NetworkInterfaceId: second }));
    const { Addresses } = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [a.AllocationId!] }));
    assert.equal(Addresses![0]!.InstanceId, instanceId, 'an interface attached to an instance names the instance');
    assert.equal(Addresses![0]!.NetworkInterfaceId, second);
    await ec2.send(new DisassociateAddressCommand({ AssociationId }));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    await ec2.send(new ReleaseAddressCommand({ AllocationId: a.AllocationId }));
  });
});

describe('Elastic IP addresses: the pool', () => {
  let small: TestServer;
  before(async () => {
    // Six usable addresses, one of them the internet host traces from an internet gateway start at.
    small = await startTestServer({ publicIpPool: ['198.51.100.8/29'], quotas: { ...DEFAULT_QUOTAS, elasticIpsPerRegion: 50 } });
  });
  after(() => small.close());

  it('never hands out the simulation\'s internet host (198.51.100.10) at random, but gives it when asked by address', async () => {
    const ec2 = small.ec2();
    const got: string[] = [];
    for (let i = 0; i < 5; i++) got.push((await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).PublicIp!);
    assert.deepEqual(got.sort(), ['198.51.100.11', '198.51.100.12', '198.51.100.13', '198.51.100.14', '198.51.100.9']);
    assert.equal(await errorCode(() => ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))), 'AddressLimitExceeded');
    assert.equal((await ec2.send(new AllocateAddressCommand({ Domain: 'vpc', Address: '198.51.100.10' }))).PublicIp, '198.51.100.10');
  });
});
