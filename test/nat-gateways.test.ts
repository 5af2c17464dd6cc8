import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AllocateAddressCommand,
  AssignPrivateNatGatewayAddressCommand,
  AssociateAddressCommand,
  AssociateNatGatewayAddressCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  type CreateNatGatewayCommandInput,
  CreateNetworkInterfaceCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteNatGatewayCommand,
  DeleteNetworkInterfaceCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeAddressesCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DisassociateNatGatewayAddressCommand,
  type EC2Client,
  type NatGateway,
  type NetworkInterface,
  UnassignPrivateNatGatewayAddressCommand,
  waitUntilNatGatewayAvailable,
} from '@aws-sdk/client-ec2';
import { DEFAULT_QUOTAS } from '../src/config.js';
import { apiError, errorCode, startTestServer, type TestServer } from './helpers.js';

const ACCOUNT = '000000000000';
/** Transition time the servers below use; `settle()` waits a little longer. */
const TRANSITION_MS = 150;
const settle = () => sleep(TRANSITION_MS + 100);

/** The first of `candidates` (last octets in the subnet `prefix`1.0/24) not among `held`: NAT gateways pick their addresses at random. */
const freeIp = (prefix: string, held: Array<string | undefined>, candidates: number[]): string =>
  candidates.map((k) => `${prefix}1.${k}`).find((ip) => !held.includes(ip))!;
const QUOTAS = { ...DEFAULT_QUOTAS, vpcsPerRegion: 200, internetGatewaysPerRegion: 200, elasticIpsPerRegion: 200 };

let cidrSeq = 0;
/** A fresh VPC (10.N.0.0/16) with one /24 subnet, and an internet gateway unless told otherwise. */
async function network(ec2: EC2Client, opts: { igw?: boolean; zone?: string; subnetCidr?: string } = {}) {
  const n = ++cidrSeq;
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${n}.0.0/16` }));
  const vpcId = Vpc!.VpcId!;
  const { Subnet } = await ec2.send(
    new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: opts.subnetCidr?.replace('N', String(n)) ?? `10.${n}.1.0/24`, AvailabilityZone: opts.zone ?? 'us-east-1a' }),
  );
  if (opts.igw !== false) {
    const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: InternetGateway!.InternetGatewayId, VpcId: vpcId }));
  }
  return { vpcId, subnetId: Subnet!.SubnetId!, cidr: Subnet!.CidrBlock!, prefix: `10.${n}.` };
}

async function allocate(ec2: EC2Client) {
  const out = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
  return { allocationId: out.AllocationId!, publicIp: out.PublicIp! };
}

async function createNat(ec2: EC2Client, input: CreateNatGatewayCommandInput): Promise<NatGateway> {
  return (await ec2.send(new CreateNatGatewayCommand(input))).NatGateway!;
}

async function nat(ec2: EC2Client, id: string): Promise<NatGateway> {
  const { NatGateways } = await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] }));
  assert.equal(NatGateways!.length, 1);
  return NatGateways![0]!;
}

async function eni(ec2: EC2Client, id: string): Promise<NetworkInterface> {
  const { NetworkInterfaces } = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [id] }));
  return NetworkInterfaces![0]!;
}

async function address(ec2: EC2Client, allocationId: string) {
  const { Addresses } = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] }));
  return Addresses![0]!;
}

async function natInterfaces(ec2: EC2Client, vpcId: string): Promise<NetworkInterface[]> {
  const { NetworkInterfaces } = await ec2.send(
    new DescribeNetworkInterfacesCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'interface-type', Values: ['nat_gateway'] },
      ],
    }),
  );
  return NetworkInterfaces!;
}

async function freeAddresses(ec2: EC2Client, subnetId: string): Promise<number> {
  const { Subnets } = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }));
  return Subnets![0]!.AvailableIpAddressCount!;
}

function inSubnet(ip: string | undefined, prefix: string): boolean {
  return !!ip && ip.startsWith(prefix);
}

describe('NAT gateways: public', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({ stateTransitionMs: TRANSITION_MS, quotas: QUOTAS });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('creates a pending gateway that becomes available, with its Elastic IP on a requester-managed interface', async () => {
    const net = await network(ec2);
    const eip = await allocate(ec2);
    const before = await freeAddresses(ec2, net.subnetId);
    const created = await createNat(ec2, {
      SubnetId: net.subnetId,
      AllocationId: eip.allocationId,
      TagSpecifications: [{ ResourceType: 'natgateway', Tags: [{ Key: 'Name', Value: 'egress' }] }],
    });
    assert.match(created.NatGatewayId!, /^nat-[0-9a-f]{17}$/);
    assert.equal(created.State, 'pending');
    assert.equal(created.ConnectivityType, 'public');
    assert.equal(created.VpcId, net.vpcId);
    assert.equal(created.SubnetId, net.subnetId);
    assert.ok(created.CreateTime instanceof Date);
    assert.deepEqual(created.Tags, [{ Key: 'Name', Value: 'egress' }]);
    assert.deepEqual(created.NatGatewayAddresses, [{ AllocationId: eip.allocationId, IsPrimary: true, Status: 'associating' }]);

    const pending = await nat(ec2, created.NatGatewayId!);
    assert.equal(pending.State, 'pending');
    const pa = pending.NatGatewayAddresses![0]!;
    assert.equal(pa.Status, 'associating');
    assert.equal(pa.PublicIp, undefined);
    assert.ok(inSubnet(pa.PrivateIp, net.prefix));
    assert.match(pa.NetworkInterfaceId!, /^eni-/);

    await settle();
    const ready = await nat(ec2, created.NatGatewayId!);
    assert.equal(ready.State, 'available');
    assert.equal(ready.FailureCode, undefined);
    const a = ready.NatGatewayAddresses![0]!;
    assert.equal(a.AllocationId, eip.allocationId);
    assert.equal(a.PublicIp, eip.publicIp);
    assert.match(a.AssociationId!, /^eipassoc-[0-9a-f]{17}$/);
    assert.equal(a.IsPrimary, true);
    assert.equal(a.Status, 'succeeded');
    assert.equal(a.PrivateIp, pa.PrivateIp);

    // The interface, as DescribeNetworkInterfaces shows it.
    const ni = await eni(ec2, a.NetworkInterfaceId!);
    assert.equal(ni.InterfaceType, 'nat_gateway');
    assert.equal(ni.Description, `Interface for NAT Gateway ${created.NatGatewayId}`);
    assert.equal(ni.RequesterManaged, true);
    assert.equal(ni.RequesterId, '036872051663');
    assert.equal(ni.SourceDestCheck, false);
    assert.equal(ni.Status, 'in-use');
    assert.deepEqual(ni.Groups, []);
    assert.equal(ni.SubnetId, net.subnetId);
    assert.equal(ni.PrivateIpAddress, a.PrivateIp);
    assert.equal(ni.Attachment?.InstanceOwnerId, 'amazon-aws');
    assert.equal(ni.Association?.PublicIp, eip.publicIp);
    assert.equal(ni.Association?.AllocationId, eip.allocationId);
    assert.equal(ni.Association?.AssociationId, a.AssociationId);
    assert.equal(ni.Association?.IpOwnerId, ACCOUNT);

    // The Elastic IP, as DescribeAddresses shows it.
    const ad = await address(ec2, eip.allocationId);
    assert.equal(ad.AssociationId, a.AssociationId);
    assert.equal(ad.NetworkInterfaceId, a.NetworkInterfaceId);
    assert.equal(ad.PrivateIpAddress, a.PrivateIp);
    assert.equal(ad.NetworkInterfaceOwnerId, ACCOUNT);
    assert.equal(ad.InstanceId, undefined);

    assert.equal(await freeAddresses(ec2, net.subnetId), before - 1);
    // Users cannot delete the gateway's interface.
    assert.equal(await errorCode(() => ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: a.NetworkInterfaceId }))), 'InvalidParameterValue');
  });

  it('works with the NatGatewayAvailable waiter (aws ec2 wait nat-gateway-available)', async () => {
    const net = await network(ec2);
    const eip = await allocate(ec2);
    const created = await createNat(ec2, { SubnetId: net.subnetId, AllocationId: eip.allocationId });
    const result = await waitUntilNatGatewayAvailable(
      { client: ec2, maxWaitTime: 20, minDelay: 1, maxDelay: 1 },
      { NatGatewayIds: [created.NatGatewayId!] },
    );
    assert.equal(result.state, 'SUCCESS');
    assert.equal((await nat(ec2, created.NatGatewayId!)).State, 'available');
  });

  it('uses the private IP address asked for', async () => {
    const net = await network(ec2);
    const eip = await allocate(ec2);
    const ip = `${net.prefix}1.77`;
    const created = await createNat(ec2, { SubnetId: net.subnetId, AllocationId: eip.allocationId, PrivateIpAddress: ip });
    assert.equal(created.NatGatewayAddresses![0]!.PrivateIp, ip);
    await settle();
    const ready = await nat(ec2, created.NatGatewayId!);
    assert.equal(ready.NatGatewayAddresses![0]!.PrivateIp, ip);
    assert.equal((await eni(ec2, ready.NatGatewayAddresses![0]!.NetworkInterfaceId!)).PrivateIpAddress, ip);
  });

  it('refuses bad requests with AWS error codes', async () => {
    const net = await network(ec2);
    const eip = await allocate(ec2);
    const missing = await apiError(() => ec2.send(new CreateNatGatewayCommand({ SubnetId: net.subnetId })));
    assert.equal(missing.code, 'MissingParameter');
    assert.equal(missing.message, 'The request must include the AllocationId parameter. Add the required parameter and retry the request.');
    const badSubnet = await apiError(() => ec2.send(new CreateNatGatewayCommand({ SubnetId: 'InvalidSubnet', AllocationId: eip.allocationId })));
    assert.deepEqual(badSubnet, { code: 'InvalidSubnet', message: "The subnet ID 'InvalidSubnet' is malformed", status: 400 });
    const noSubnet = await apiError(() =>
      ec2.send(new CreateNatGatewayCommand({ SubnetId: 'subnet-0123456789abcdef0', AllocationId: eip.allocationId })),
    );
    assert.equal(noSubnet.code, 'InvalidSubnetID.NotFound');
    assert.equal(noSubnet.message, "The subnet ID 'subnet-0123456789abcdef0' does not exist");
    const badEip = await apiError(() => ec2.send(new CreateNatGatewayCommand({ SubnetId: net.subnetId, AllocationId: 'MalformedElasticIpId' })));
    assert.deepEqual(badEip, { code: 'InvalidElasticIpID.Malformed', message: "The elastic-ip ID 'MalformedElasticIpId' is malformed", status: 400 });
    const noEip = await apiError(() =>
      ec2.send(new CreateNatGatewayCommand({ SubnetId: net.subnetId, AllocationId: 'eipalloc-0123456789abcdef0' })),
    );
    assert.equal(noEip.code, 'InvalidElasticIpID.NotFound');
    assert.equal(noEip.message, "The elasticIp ID 'eipalloc-0123456789abcdef0' does not exist");
    assert.equal(
      await errorCode(() =>
        ec2.send(new CreateNatGatewayCommand({ SubnetId: net.subnetId, AllocationId: eip.allocationId, ConnectivityType: 'bogus' as 'public' })),
      ),
      'InvalidParameterValue',
    );
    assert.equal(
      await errorCode(() => ec2.send(new CreateNatGatewayCommand({ SubnetId: net.subnetId, AllocationId: eip.allocationId, PrivateIpAddress: '10.250.0.5' }))),
      'InvalidParameterValue',
    );
    assert.equal(
      await errorCode(() =>
        ec2.send(new CreateNatGatewayCommand({ SubnetId: net.subnetId, AllocationId: eip.allocationId, PrivateIpAddress: `${net.prefix}1.1` })),
      ),
      'InvalidParameterValue',
    );
    const { NetworkInterface } = await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: net.subnetId }));
    assert.equal(
      await errorCode(() =>
        ec2.send(
          new CreateNatGatewayCommand({ SubnetId: net.subnetId, AllocationId: eip.allocationId, PrivateIpAddress: NetworkInterface!.PrivateIpAddress }),
        ),
      ),
      'InvalidIPAddress.InUse',
    );
    assert.equal(
      await errorCode(() =>
        ec2.send(new CreateNatGatewayCommand({ SubnetId: net.subnetId, AllocationId: eip.allocationId, SecondaryPrivateIpAddressCount: 1 })),
      ),
      'InvalidParameterCombination',
    );
    const eip2 = await allocate(ec2);
    assert.equal(
      await errorCode(() =>
        ec2.send(
          new CreateNatGatewayCommand({
            SubnetId: net.subnetId,
            AllocationId: eip.allocationId,
            SecondaryAllocationIds: [eip2.allocationId],
            SecondaryPrivateIpAddresses: [`${net.prefix}1.20`, `${net.prefix}1.21`],
          }),
        ),
      ),
      'InvalidParameterValue',
    );
    assert.equal(
      await errorCode(() =>
        ec2.send(new CreateNatGatewayCommand({ SubnetId: net.subnetId, AllocationId: eip.allocationId, SecondaryAllocationIds: [eip.allocationId] })),
      ),
      'InvalidParameterValue',
    );
    // Two Elastic IPs per public NAT gateway by default.
    const eip3 = await allocate(ec2);
    const tooMany = await apiError(() =>
      ec2.send(
        new CreateNatGatewayCommand({
          SubnetId: net.subnetId,
          AllocationId: eip.allocationId,
          SecondaryAllocationIds: [eip2.allocationId, eip3.allocationId],
        }),
      ),
    );
    assert.equal(tooMany.code, 'AddressLimitExceeded');
    // Nothing was created by the refused calls.
    const { NatGateways } = await ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'vpc-id', Values: [net.vpcId] }] }));
    assert.equal(NatGateways!.length, 0);
  });

  it('creates a gateway with a secondary Elastic IP', async () => {
    const net = await network(ec2);
    const eip = await allocate(ec2);
    const eip2 = await allocate(ec2);
    const secondaryIp = `${net.prefix}1.50`;
    const created = await createNat(ec2, {
      SubnetId: net.subnetId,
      AllocationId: eip.allocationId,
      SecondaryAllocationIds: [eip2.allocationId],
      SecondaryPrivateIpAddresses: [secondaryIp],
    });
    assert.equal(created.NatGatewayAddresses!.length, 2);
    await settle();
    const ready = await nat(ec2, created.NatGatewayId!);
    const second = ready.NatGatewayAddresses!.find((a) => !a.IsPrimary)!;
    assert.equal(second.AllocationId, eip2.allocationId);
    assert.equal(second.PrivateIp, secondaryIp);
    assert.equal(second.PublicIp, eip2.publicIp);
    assert.equal(second.Status, 'succeeded');
    const ni = await eni(ec2, second.NetworkInterfaceId!);
    const slot = ni.PrivateIpAddresses!.find((p) => p.PrivateIpAddress === secondaryIp)!;
    assert.equal(slot.Primary, false);
    assert.equal(slot.Association?.PublicIp, eip2.publicIp);
    assert.equal((await address(ec2, eip2.allocationId)).PrivateIpAddress, secondaryIp);
  });
});

describe('NAT gateways: private', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({ stateTransitionMs: TRANSITION_MS, quotas: QUOTAS });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('creates a private gateway without an Elastic IP, even in a VPC without an internet gateway', async () => {
    const net = await network(ec2, { igw: false });
    const created = await createNat(ec2, { SubnetId: net.subnetId, ConnectivityType: 'private', SecondaryPrivateIpAddressCount: 2 });
    assert.equal(created.State, 'pending');
    assert.equal(created.ConnectivityType, 'private');
    assert.deepEqual(created.NatGatewayAddresses![0], { IsPrimary: true, Status: 'assigning' });
    await settle();
    const ready = await nat(ec2, created.NatGatewayId!);
    assert.equal(ready.State, 'available');
    const addrs = ready.NatGatewayAddresses!;
    assert.equal(addrs.length, 3);
    assert.equal(addrs.filter((a) => a.IsPrimary).length, 1);
    for (const a of addrs) {
      assert.ok(inSubnet(a.PrivateIp, net.prefix));
      assert.equal(a.PublicIp, undefined);
      assert.equal(a.AllocationId, undefined);
      assert.equal(a.Status, 'succeeded');
    }
    assert.equal(new Set(addrs.map((a) => a.PrivateIp)).size, 3);
    const ni = await eni(ec2, addrs[0]!.NetworkInterfaceId!);
    assert.deepEqual(
      ni.PrivateIpAddresses!.map((p) => p.PrivateIpAddress).sort(),
      addrs.map((a) => a.PrivateIp).sort(),
    );
    assert.equal(ni.Association, undefined);
  });

  it('takes the secondary addresses asked for', async () => {
    const net = await network(ec2, { igw: false });
    const ips = [`${net.prefix}1.30`, `${net.prefix}1.31`];
    const created = await createNat(ec2, {
      SubnetId: net.subnetId,
      ConnectivityType: 'private',
      PrivateIpAddress: `${net.prefix}1.29`,
      SecondaryPrivateIpAddresses: ips,
    });
    await settle();
    const ready = await nat(ec2, created.NatGatewayId!);
    assert.deepEqual(
      ready.NatGatewayAddresses!.map((a) => [a.PrivateIp, a.IsPrimary]),
      [
        [`${net.prefix}1.29`, true],
        [ips[0], false],
        [ips[1], false],
      ],
    );
  });

  it('refuses Elastic IPs, conflicting address parameters and more than 8 addresses', async () => {
    const net = await network(ec2);
    const eip = await allocate(ec2);
    assert.equal(
      await errorCode(() => ec2.send(new CreateNatGatewayCommand({ SubnetId: net.subnetId, ConnectivityType: 'private', AllocationId: eip.allocationId }))),
      'InvalidParameterCombination',
    );
    assert.equal(
      await errorCode(() =>
        ec2.send(
          new CreateNatGatewayCommand({
            SubnetId: net.subnetId,
            ConnectivityType: 'private',
            SecondaryPrivateIpAddresses: [`${net.prefix}1.40`],
            SecondaryPrivateIpAddressCount: 1,
          }),
        ),
      ),
      'InvalidParameterCombination',
    );
    assert.equal(
      await errorCode(() => ec2.send(new CreateNatGatewayCommand({ SubnetId: net.subnetId, ConnectivityType: 'private', SecondaryPrivateIpAddressCount: 0 }))),
      'InvalidParameterValue',
    );
    assert.equal(
      await errorCode(() => ec2.send(new CreateNatGatewayCommand({ SubnetId: net.subnetId, ConnectivityType: 'private', SecondaryPrivateIpAddressCount: 8 }))),
      'PrivateIpAddressLimitExceeded',
    );
    assert.equal(
      await errorCode(() =>
        ec2.send(
          new CreateNatGatewayCommand({
            SubnetId: net.subnetId,
            ConnectivityType: 'private',
            SecondaryPrivateIpAddresses: [`${net.prefix}1.40`, `${net.prefix}1.40`],
          }),
        ),
      ),
      'InvalidParameterValue',
    );
    // 1 primary + 7 secondary is the most.
    const ok = await createNat(ec2, { SubnetId: net.subnetId, ConnectivityType: 'private', SecondaryPrivateIpAddressCount: 7 });
    assert.equal(ok.NatGatewayAddresses!.length, 8);
  });
});

describe('NAT gateways: failures', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({ stateTransitionMs: TRANSITION_MS, quotas: QUOTAS });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('fails with Gateway.NotAttached when the VPC has no internet gateway', async () => {
    const net = await network(ec2, { igw: false });
    const eip = await allocate(ec2);
    const created = await createNat(ec2, { SubnetId: net.subnetId, AllocationId: eip.allocationId });
    assert.equal(created.State, 'pending');
    assert.equal((await nat(ec2, created.NatGatewayId!)).State, 'pending');
    await settle();
    const failed = await nat(ec2, created.NatGatewayId!);
    assert.equal(failed.State, 'failed');
    assert.equal(failed.FailureCode, 'Gateway.NotAttached');
    assert.equal(failed.FailureMessage, `Network ${net.vpcId} has no Internet gateway attached`);
    assert.equal(failed.NatGatewayAddresses![0]!.AllocationId, eip.allocationId);
    assert.equal(failed.NatGatewayAddresses![0]!.Status, 'failed');
    // No interface is left behind, the Elastic IP is free, the subnet can go.
    assert.deepEqual(await natInterfaces(ec2, net.vpcId), []);
    assert.equal((await address(ec2, eip.allocationId)).AssociationId, undefined);
    const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: net.vpcId }));
    assert.equal(
      await errorCode(() =>
        ec2.send(new CreateRouteCommand({ RouteTableId: RouteTable!.RouteTableId, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: created.NatGatewayId })),
      ),
      'InvalidNatGatewayID.NotFound',
    );
    await ec2.send(new DeleteSubnetCommand({ SubnetId: net.subnetId }));
  });

  it('the NatGatewayAvailable waiter stops on a failed gateway', async () => {
    const net = await network(ec2, { igw: false });
    const eip = await allocate(ec2);
    const created = await createNat(ec2, { SubnetId: net.subnetId, AllocationId: eip.allocationId });
    await assert.rejects(
      waitUntilNatGatewayAvailable({ client: ec2, maxWaitTime: 10, minDelay: 1, maxDelay: 1 }, { NatGatewayIds: [created.NatGatewayId!] }),
      /failed/i,
    );
  });

  it('fails with Resource.AlreadyAssociated when the Elastic IP is associated elsewhere', async () => {
    const net = await network(ec2);
    const eip = await allocate(ec2);
    const { NetworkInterface } = await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: net.subnetId }));
    const { AssociationId } = await ec2.send(
      new AssociateAddressCommand({ AllocationId: eip.allocationId, NetworkInterfaceId: NetworkInterface!.NetworkInterfaceId }),
    );
    const created = await createNat(ec2, { SubnetId: net.subnetId, AllocationId: eip.allocationId });
    assert.equal(created.State, 'pending');
    await settle();
    const failed = await nat(ec2, created.NatGatewayId!);
    assert.equal(failed.State, 'failed');
    assert.equal(failed.FailureCode, 'Resource.AlreadyAssociated');
    assert.equal(failed.FailureMessage, `Elastic IP address [${eip.allocationId}] is already associated`);
    // The address stays where it was.
    const ad = await address(ec2, eip.allocationId);
    assert.equal(ad.AssociationId, AssociationId);
    assert.equal(ad.NetworkInterfaceId, NetworkInterface!.NetworkInterfaceId);
    assert.deepEqual(await natInterfaces(ec2, net.vpcId), []);
  });

  it('a second NAT gateway with the same Elastic IP fails', async () => {
    const net = await network(ec2);
    const eip = await allocate(ec2);
    const first = await createNat(ec2, { SubnetId: net.subnetId, AllocationId: eip.allocationId });
    const second = await createNat(ec2, { SubnetId: net.subnetId, AllocationId: eip.allocationId });
    await settle();
    assert.equal((await nat(ec2, first.NatGatewayId!)).State, 'available');
    const failed = await nat(ec2, second.NatGatewayId!);
    assert.equal(failed.State, 'failed');
    assert.equal(failed.FailureCode, 'Resource.AlreadyAssociated');
  });

  it('fails with InsufficientFreeAddressesInSubnet when the subnet is full', async () => {
    const net = await network(ec2, { subnetCidr: '10.N.9.0/28' });
    // A /28 has 11 usable addresses: one interface with 11 addresses fills it.
    await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: net.subnetId, SecondaryPrivateIpAddressCount: 10 }));
    assert.equal(await freeAddresses(ec2, net.subnetId), 0);
    const eip = await allocate(ec2);
    const created = await createNat(ec2, { SubnetId: net.subnetId, AllocationId: eip.allocationId });
    await settle();
    const failed = await nat(ec2, created.NatGatewayId!);
    assert.equal(failed.State, 'failed');
    assert.equal(failed.FailureCode, 'InsufficientFreeAddressesInSubnet');
    assert.equal(failed.FailureMessage, 'Subnet has insufficient free addresses to create this NAT gateway');
  });
});

describe('NAT gateways: deletion and routes', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({ stateTransitionMs: TRANSITION_MS, quotas: QUOTAS });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  async function routeState(routeTableId: string): Promise<string | undefined> {
    const { RouteTables } = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [routeTableId] }));
    return RouteTables![0]!.Routes!.find((r) => r.DestinationCidrBlock === '0.0.0.0/0')?.State;
  }

  it('deletes: deleting then deleted, interface released, Elastic IP kept, routes blackhole', async () => {
    const net = await network(ec2);
    const eip = await allocate(ec2);
    const created = await createNat(ec2, { SubnetId: net.subnetId, AllocationId: eip.allocationId });
    await settle();
    const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: net.vpcId }));
    const rtb = RouteTable!.RouteTableId!;
    await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: created.NatGatewayId }));
    assert.equal(await routeState(rtb), 'active');
    assert.equal((await natInterfaces(ec2, net.vpcId)).length, 1);
    // A VPC with a NAT gateway cannot be deleted.
    assert.equal(await errorCode(() => ec2.send(new DeleteVpcCommand({ VpcId: net.vpcId }))), 'DependencyViolation');
    assert.equal(await errorCode(() => ec2.send(new DeleteSubnetCommand({ SubnetId: net.subnetId }))), 'DependencyViolation');

    const out = await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: created.NatGatewayId }));
    assert.equal(out.NatGatewayId, created.NatGatewayId);
    const deleting = await nat(ec2, created.NatGatewayId!);
    assert.equal(deleting.State, 'deleting');
    assert.ok(deleting.DeleteTime instanceof Date);
    assert.equal(await routeState(rtb), 'blackhole');
    assert.deepEqual(await natInterfaces(ec2, net.vpcId), []);
    const ad = await address(ec2, eip.allocationId);
    assert.equal(ad.AllocationId, eip.allocationId);
    assert.equal(ad.AssociationId, undefined);
    assert.equal(ad.NetworkInterfaceId, undefined);

    await settle();
    const deleted = await nat(ec2, created.NatGatewayId!);
    assert.equal(deleted.State, 'deleted');
    assert.equal(await routeState(rtb), 'blackhole');
    const { NatGateways } = await ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'state', Values: ['deleted'] }] }));
    assert.ok(NatGateways!.some((n) => n.NatGatewayId === created.NatGatewayId));
    // Deleting again is harmless; the subnet can now go.
    assert.equal((await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: created.NatGatewayId }))).NatGatewayId, created.NatGatewayId);
    await ec2.send(new DeleteSubnetCommand({ SubnetId: net.subnetId }));
    // The Elastic IP can be used again.
    const again = await network(ec2);
    const reuse = await createNat(ec2, { SubnetId: again.subnetId, AllocationId: eip.allocationId });
    await settle();
    assert.equal((await nat(ec2, reuse.NatGatewayId!)).State, 'available');
  });

  it('deletes a pending gateway', async () => {
    const net = await network(ec2);
    const eip = await allocate(ec2);
    const created = await createNat(ec2, { SubnetId: net.subnetId, AllocationId: eip.allocationId });
    await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: created.NatGatewayId }));
    assert.equal((await nat(ec2, created.NatGatewayId!)).State, 'deleting');
    await settle();
    assert.equal((await nat(ec2, created.NatGatewayId!)).State, 'deleted');
  });

  it('answers NatGatewayNotFound and NatGatewayMalformed for unknown or bad IDs', async () => {
    const missing = await apiError(() => ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: 'nat-0123456789abcdef0' })));
    assert.deepEqual(missing, { code: 'NatGatewayNotFound', message: 'NAT gateway nat-0123456789abcdef0 was not found', status: 400 });
    const described = await apiError(() => ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: ['nat-0123456789abcdef0'] })));
    assert.equal(described.code, 'NatGatewayNotFound');
    assert.equal(await errorCode(() => ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: ['natgw-1'] }))), 'NatGatewayMalformed');
    assert.equal(await errorCode(() => ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: 'nat-xyz' }))), 'NatGatewayMalformed');
  });
});

describe('NAT gateways: idempotency, quota, filters', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({ stateTransitionMs: TRANSITION_MS, quotas: { ...QUOTAS, natGatewaysPerAz: 2 } });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('is idempotent with a ClientToken', async () => {
    const net = await network(ec2, { zone: 'us-east-1f' });
    const eip = await allocate(ec2);
    const input = { SubnetId: net.subnetId, AllocationId: eip.allocationId, ClientToken: 'token-nat-1' };
    const a = await createNat(ec2, input);
    const b = await createNat(ec2, input);
    assert.equal(b.NatGatewayId, a.NatGatewayId);
    const { NatGateways } = await ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'vpc-id', Values: [net.vpcId] }] }));
    assert.equal(NatGateways!.length, 1);
    const mismatch = await apiError(() => ec2.send(new CreateNatGatewayCommand({ ...input, PrivateIpAddress: `${net.prefix}1.90` })));
    assert.equal(mismatch.code, 'IdempotentParameterMismatch');
  });

  it('allows 5 (here 2) NAT gateways per Availability Zone; failed ones do not count, deleting ones do', async () => {
    const netA = await network(ec2, { zone: 'us-east-1b' });
    const netB = await network(ec2, { zone: 'us-east-1c' });
    const broken = await network(ec2, { zone: 'us-east-1b', igw: false });
    const failing = await createNat(ec2, { SubnetId: broken.subnetId, AllocationId: (await allocate(ec2)).allocationId });
    await settle();
    assert.equal((await nat(ec2, failing.NatGatewayId!)).State, 'failed');
    const first = await createNat(ec2, { SubnetId: netA.subnetId, ConnectivityType: 'private' });
    await createNat(ec2, { SubnetId: netA.subnetId, ConnectivityType: 'private' });
    const over = await apiError(() => ec2.send(new CreateNatGatewayCommand({ SubnetId: netA.subnetId, ConnectivityType: 'private' })));
    assert.equal(over.code, 'NatGatewayLimitExceeded');
    assert.equal(over.message, 'Performing this operation would exceed the limit of 2 NAT gateways');
    // Another zone has its own quota.
    await createNat(ec2, { SubnetId: netB.subnetId, ConnectivityType: 'private' });
    // A deleting gateway still counts; a deleted one does not.
    await settle();
    await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: first.NatGatewayId }));
    assert.equal(await errorCode(() => ec2.send(new CreateNatGatewayCommand({ SubnetId: netA.subnetId, ConnectivityType: 'private' }))), 'NatGatewayLimitExceeded');
    await settle();
    await createNat(ec2, { SubnetId: netA.subnetId, ConnectivityType: 'private' });
  });

  it('filters by id, state, subnet, VPC and tags, and pages', async () => {
    const net = await network(ec2, { zone: 'us-east-1d' });
    const other = await network(ec2, { zone: 'us-east-1e' });
    const tagged = await createNat(ec2, {
      SubnetId: net.subnetId,
      ConnectivityType: 'private',
      TagSpecifications: [{ ResourceType: 'natgateway', Tags: [{ Key: 'team', Value: 'blue' }] }],
    });
    const plain = await createNat(ec2, { SubnetId: other.subnetId, ConnectivityType: 'private' });
    const ids = async (filter: { Name: string; Values: string[] }[]) =>
      ((await ec2.send(new DescribeNatGatewaysCommand({ Filter: filter }))).NatGateways ?? []).map((n) => n.NatGatewayId).sort();
    assert.deepEqual(await ids([{ Name: 'nat-gateway-id', Values: [tagged.NatGatewayId!] }]), [tagged.NatGatewayId]);
    assert.deepEqual(await ids([{ Name: 'subnet-id', Values: [other.subnetId] }]), [plain.NatGatewayId]);
    assert.deepEqual(await ids([{ Name: 'vpc-id', Values: [net.vpcId, other.vpcId] }]), [tagged.NatGatewayId, plain.NatGatewayId].sort());
    assert.deepEqual(await ids([{ Name: 'tag:team', Values: ['bl*'] }]), [tagged.NatGatewayId]);
    assert.deepEqual(await ids([{ Name: 'tag-key', Values: ['team'] }]), [tagged.NatGatewayId]);
    assert.deepEqual(await ids([{ Name: 'tag-value', Values: ['blue'] }]), [tagged.NatGatewayId]);
    assert.deepEqual(
      await ids([
        { Name: 'state', Values: ['pending'] },
        { Name: 'vpc-id', Values: [net.vpcId] },
      ]),
      [tagged.NatGatewayId],
    );
    await settle();
    assert.deepEqual(
      await ids([
        { Name: 'state', Values: ['available'] },
        { Name: 'vpc-id', Values: [net.vpcId, other.vpcId] },
      ]),
      [tagged.NatGatewayId, plain.NatGatewayId].sort(),
    );
    await ec2.send(new CreateTagsCommand({ Resources: [plain.NatGatewayId!], Tags: [{ Key: 'team', Value: 'red' }] }));
    assert.deepEqual(await ids([{ Name: 'tag:team', Values: ['red'] }]), [plain.NatGatewayId]);
    assert.equal(await errorCode(() => ids([{ Name: 'bogus', Values: ['x'] }])), 'InvalidParameterValue');

    // Pagination: MaxResults 5 to 1000.
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await ec2.send(new DescribeNatGatewaysCommand({ MaxResults: 5, NextToken: token }));
      assert.ok(page.NatGateways!.length <= 5);
      seen.push(...page.NatGateways!.map((n) => n.NatGatewayId!));
      token = page.NextToken;
    } while (token);
    const all = (await ec2.send(new DescribeNatGatewaysCommand({}))).NatGateways!.map((n) => n.NatGatewayId!);
    assert.ok(all.length > 5);
    assert.deepEqual(seen, all);
    assert.equal(await errorCode(() => ec2.send(new DescribeNatGatewaysCommand({ MaxResults: 4 }))), 'InvalidParameterValue');
    assert.equal(await errorCode(() => ec2.send(new DescribeNatGatewaysCommand({ MaxResults: 1001 }))), 'InvalidParameterValue');
  });
});

describe('NAT gateways: secondary addresses', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({ stateTransitionMs: TRANSITION_MS, quotas: { ...QUOTAS, elasticIpsPerNatGateway: 3 } });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('assigns and unassigns private addresses of a private NAT gateway', async () => {
    const net = await network(ec2, { igw: false });
    const created = await createNat(ec2, { SubnetId: net.subnetId, ConnectivityType: 'private' });
    const id = created.NatGatewayId!;
    // Not before it is available.
    assert.equal(await errorCode(() => ec2.send(new AssignPrivateNatGatewayAddressCommand({ NatGatewayId: id, PrivateIpAddressCount: 1 }))), 'IncorrectState');
    await settle();
    const eniId = (await nat(ec2, id)).NatGatewayAddresses![0]!.NetworkInterfaceId!;

    const byCount = await ec2.send(new AssignPrivateNatGatewayAddressCommand({ NatGatewayId: id, PrivateIpAddressCount: 2 }));
    assert.equal(byCount.NatGatewayId, id);
    assert.deepEqual(byCount.NatGatewayAddresses, [
      { NetworkInterfaceId: eniId, IsPrimary: false, Status: 'assigning' },
      { NetworkInterfaceId: eniId, IsPrimary: false, Status: 'assigning' },
    ]);
    const during = await nat(ec2, id);
    assert.deepEqual(during.NatGatewayAddresses!.map((a) => a.Status), ['succeeded', 'assigning', 'assigning']);
    const busy = await apiError(() => ec2.send(new AssignPrivateNatGatewayAddressCommand({ NatGatewayId: id, PrivateIpAddressCount: 1 })));
    assert.equal(busy.code, 'OperationInProgress');
    assert.match(busy.message, /^Service is currently ASSIGNING the following private IPs: \[/);
    await settle();
    const after1 = await nat(ec2, id);
    assert.deepEqual(after1.NatGatewayAddresses!.map((a) => a.Status), ['succeeded', 'succeeded', 'succeeded']);
    assert.equal((await eni(ec2, eniId)).PrivateIpAddresses!.length, 3);

    const listedIp = freeIp(net.prefix, after1.NatGatewayAddresses!.map((a) => a.PrivateIp), [200, 199, 198, 197]);
    const byList = await ec2.send(new AssignPrivateNatGatewayAddressCommand({ NatGatewayId: id, PrivateIpAddresses: [listedIp] }));
    assert.deepEqual(byList.NatGatewayAddresses, [{ NetworkInterfaceId: eniId, PrivateIp: listedIp, IsPrimary: false, Status: 'assigning' }]);
    await settle();

    // Errors: both or neither parameter, count out of range, the 8-address limit, addresses in use.
    assert.equal(
      await errorCode(() =>
        ec2.send(new AssignPrivateNatGatewayAddressCommand({ NatGatewayId: id, PrivateIpAddresses: [`${net.prefix}1.201`], PrivateIpAddressCount: 1 })),
      ),
      'InvalidParameterCombination',
    );
    assert.equal(await errorCode(() => ec2.send(new AssignPrivateNatGatewayAddressCommand({ NatGatewayId: id }))), 'MissingParameter');
    assert.equal(
      await errorCode(() => ec2.send(new AssignPrivateNatGatewayAddressCommand({ NatGatewayId: id, PrivateIpAddressCount: 32 }))),
      'InvalidParameterValue',
    );
    assert.equal(
      await errorCode(() => ec2.send(new AssignPrivateNatGatewayAddressCommand({ NatGatewayId: id, PrivateIpAddressCount: 5 }))),
      'PrivateIpAddressLimitExceeded',
    );
    assert.equal(
      await errorCode(() => ec2.send(new AssignPrivateNatGatewayAddressCommand({ NatGatewayId: id, PrivateIpAddresses: [listedIp] }))),
      'InvalidIPAddress.InUse',
    );
    assert.equal(
      await errorCode(() => ec2.send(new AssignPrivateNatGatewayAddressCommand({ NatGatewayId: 'nat-0123456789abcdef0', PrivateIpAddressCount: 1 }))),
      'NatGatewayNotFound',
    );

    // Unassign.
    const primaryIp = after1.NatGatewayAddresses![0]!.PrivateIp!;
    assert.equal(
      await errorCode(() => ec2.send(new UnassignPrivateNatGatewayAddressCommand({ NatGatewayId: id, PrivateIpAddresses: [primaryIp] }))),
      'InvalidParameterValue',
    );
    // An address of the subnet the gateway does not hold.
    const notHeld = freeIp(net.prefix, (await nat(ec2, id)).NatGatewayAddresses!.map((a) => a.PrivateIp), [250, 249, 248, 247, 246, 245]);
    assert.equal(
      await errorCode(() => ec2.send(new UnassignPrivateNatGatewayAddressCommand({ NatGatewayId: id, PrivateIpAddresses: [notHeld] }))),
      'InvalidParameterValue',
    );
    assert.equal(
      await errorCode(() =>
        ec2.send(new UnassignPrivateNatGatewayAddressCommand({ NatGatewayId: id, PrivateIpAddresses: [listedIp], MaxDrainDurationSeconds: 0 })),
      ),
      'InvalidParameterValue',
    );
    const freeBefore = await freeAddresses(ec2, net.subnetId);
    const un = await ec2.send(new UnassignPrivateNatGatewayAddressCommand({ NatGatewayId: id, PrivateIpAddresses: [listedIp], MaxDrainDurationSeconds: 30 }));
    assert.deepEqual(un.NatGatewayAddresses, [{ NetworkInterfaceId: eniId, PrivateIp: listedIp, IsPrimary: false, Status: 'unassigning' }]);
    assert.equal((await nat(ec2, id)).NatGatewayAddresses!.find((a) => a.PrivateIp === listedIp)?.Status, 'unassigning');
    await settle();
    const final = await nat(ec2, id);
    assert.equal(final.NatGatewayAddresses!.length, 3);
    assert.ok(!final.NatGatewayAddresses!.some((a) => a.PrivateIp === listedIp));
    assert.ok(!(await eni(ec2, eniId)).PrivateIpAddresses!.some((p) => p.PrivateIpAddress === listedIp));
    assert.equal(await freeAddresses(ec2, net.subnetId), freeBefore + 1);
  });

  it('associates and disassociates secondary Elastic IPs of a public NAT gateway', async () => {
    const net = await network(ec2);
    const eip = await allocate(ec2);
    const eip2 = await allocate(ec2);
    const created = await createNat(ec2, { SubnetId: net.subnetId, AllocationId: eip.allocationId });
    const id = created.NatGatewayId!;
    await settle();
    const primary = (await nat(ec2, id)).NatGatewayAddresses![0]!;
    const eniId = primary.NetworkInterfaceId!;

    const assoc = await ec2.send(new AssociateNatGatewayAddressCommand({ NatGatewayId: id, AllocationIds: [eip2.allocationId] }));
    assert.deepEqual(assoc.NatGatewayAddresses, [
      { AllocationId: eip2.allocationId, NetworkInterfaceId: eniId, IsPrimary: false, Status: 'associating' },
    ]);
    const eip3 = await allocate(ec2);
    const busy = await apiError(() => ec2.send(new AssociateNatGatewayAddressCommand({ NatGatewayId: id, AllocationIds: [eip3.allocationId] })));
    assert.equal(busy.code, 'OperationInProgress');
    assert.equal(busy.message, `Service is currently ASSOCIATING the following EIPs: [${eip2.allocationId}].`);
    await settle();
    const second = (await nat(ec2, id)).NatGatewayAddresses!.find((a) => a.AllocationId === eip2.allocationId)!;
    assert.equal(second.Status, 'succeeded');
    assert.equal(second.PublicIp, eip2.publicIp);
    assert.equal(second.IsPrimary, false);
    assert.ok(inSubnet(second.PrivateIp, net.prefix));
    assert.match(second.AssociationId!, /^eipassoc-/);
    const ad = await address(ec2, eip2.allocationId);
    assert.equal(ad.NetworkInterfaceId, eniId);
    assert.equal(ad.PrivateIpAddress, second.PrivateIp);
    assert.equal(ad.AssociationId, second.AssociationId);
    const slot = (await eni(ec2, eniId)).PrivateIpAddresses!.find((p) => p.PrivateIpAddress === second.PrivateIp)!;
    assert.equal(slot.Association?.PublicIp, eip2.publicIp);

    // Errors: an address in use, the Elastic IP quota, the primary, unknown associations.
    const { NetworkInterface } = await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: net.subnetId }));
    const eip4 = await allocate(ec2);
    await ec2.send(new AssociateAddressCommand({ AllocationId: eip4.allocationId, NetworkInterfaceId: NetworkInterface!.NetworkInterfaceId }));
    const inUse = await apiError(() => ec2.send(new AssociateNatGatewayAddressCommand({ NatGatewayId: id, AllocationIds: [eip4.allocationId] })));
    assert.deepEqual(inUse, { code: 'Resource.AlreadyAssociated', message: `Elastic IP address [${eip4.allocationId}] is already associated`, status: 400 });
    const eip5 = await allocate(ec2);
    assert.equal(
      await errorCode(() => ec2.send(new AssociateNatGatewayAddressCommand({ NatGatewayId: id, AllocationIds: [eip3.allocationId, eip5.allocationId] }))),
      'AddressLimitExceeded',
    );
    assert.equal(
      await errorCode(() => ec2.send(new AssociateNatGatewayAddressCommand({ NatGatewayId: id, AllocationIds: ['eipalloc-0123456789abcdef0'] }))),
      'InvalidElasticIpID.NotFound',
    );
    assert.equal(
      await errorCode(() =>
        ec2.send(new AssociateNatGatewayAddressCommand({ NatGatewayId: id, AllocationIds: [eip3.allocationId], PrivateIpAddresses: ['10.250.0.1', '10.250.0.2'] })),
      ),
      'InvalidParameterValue',
    );
    assert.equal(
      await errorCode(() => ec2.send(new DisassociateNatGatewayAddressCommand({ NatGatewayId: id, AssociationIds: [primary.AssociationId!] }))),
      'InvalidParameterValue',
    );
    assert.equal(
      await errorCode(() => ec2.send(new DisassociateNatGatewayAddressCommand({ NatGatewayId: id, AssociationIds: ['eipassoc-0123456789abcdef0'] }))),
      'InvalidAssociationID.NotFound',
    );
    assert.equal(
      await errorCode(() =>
        ec2.send(new UnassignPrivateNatGatewayAddressCommand({ NatGatewayId: id, PrivateIpAddresses: [second.PrivateIp!] })),
      ),
      'InvalidParameterValue',
    );

    // Disassociate the secondary: the Elastic IP stays allocated, its private address goes.
    const dis = await ec2.send(new DisassociateNatGatewayAddressCommand({ NatGatewayId: id, AssociationIds: [second.AssociationId!] }));
    assert.deepEqual(dis.NatGatewayAddresses, [
      {
        AllocationId: eip2.allocationId,
        NetworkInterfaceId: eniId,
        PrivateIp: second.PrivateIp,
        PublicIp: eip2.publicIp,
        AssociationId: second.AssociationId,
        IsPrimary: false,
        Status: 'disassociating',
      },
    ]);
    assert.equal((await nat(ec2, id)).NatGatewayAddresses!.find((a) => a.AllocationId === eip2.allocationId)?.Status, 'disassociating');
    await settle();
    const after1 = await nat(ec2, id);
    assert.deepEqual(after1.NatGatewayAddresses!.map((a) => a.AllocationId), [eip.allocationId]);
    const freed = await address(ec2, eip2.allocationId);
    assert.equal(freed.AssociationId, undefined);
    assert.equal(freed.NetworkInterfaceId, undefined);
    assert.equal((await eni(ec2, eniId)).PrivateIpAddresses!.length, 1);

    // With the private address asked for.
    const ip = freeIp(net.prefix, (await eni(ec2, eniId)).PrivateIpAddresses!.map((a) => a.PrivateIpAddress), [123, 124, 125]);
    const withIp = await ec2.send(new AssociateNatGatewayAddressCommand({ NatGatewayId: id, AllocationIds: [eip2.allocationId], PrivateIpAddresses: [ip] }));
    assert.equal(withIp.NatGatewayAddresses![0]!.PrivateIp, ip);
    await settle();
    assert.equal((await address(ec2, eip2.allocationId)).PrivateIpAddress, ip);
  });

  it('refuses Elastic IPs on a private NAT gateway', async () => {
    const net = await network(ec2, { igw: false });
    const eip = await allocate(ec2);
    const created = await createNat(ec2, { SubnetId: net.subnetId, ConnectivityType: 'private' });
    await settle();
    assert.equal(
      await errorCode(() => ec2.send(new AssociateNatGatewayAddressCommand({ NatGatewayId: created.NatGatewayId, AllocationIds: [eip.allocationId] }))),
      'InvalidParameterValue',
    );
    assert.equal(
      await errorCode(() =>
        ec2.send(new DisassociateNatGatewayAddressCommand({ NatGatewayId: created.NatGatewayId, AssociationIds: ['eipassoc-0123456789abcdef0'] })),
      ),
      'InvalidParameterValue',
    );
  });
});
