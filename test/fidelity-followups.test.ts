/**
 * Fidelity follow-ups across families: what users may not do to what AWS services manage
 * (requester-managed interfaces, a NAT gateway's Elastic IPs, a gateway endpoint's routes),
 * edge associations and detaching an internet gateway, the IPv6 egress rule security groups
 * gain when a VPC gets an IPv6 block, DeleteSubnet while an instance shuts down, and the
 * resource types tags report.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AllocateAddressCommand,
  AssignPrivateIpAddressesCommand,
  AssignPrivateNatGatewayAddressCommand,
  AssociateAddressCommand,
  AssociateNatGatewayAddressCommand,
  AssociateRouteTableCommand,
  AssociateVpcCidrBlockCommand,
  AttachInternetGatewayCommand,
  AttachNetworkInterfaceCommand,
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateCustomerGatewayCommand,
  CreateDhcpOptionsCommand,
  CreateEgressOnlyInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateManagedPrefixListCommand,
  CreateNatGatewayCommand,
  CreateNetworkAclCommand,
  CreateNetworkInterfaceCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  CreateVpcPeeringConnectionCommand,
  CreateVpnConnectionCommand,
  CreateVpnGatewayCommand,
  DeleteInternetGatewayCommand,
  DeleteNatGatewayCommand,
  DeleteNetworkInterfaceCommand,
  DeleteRouteCommand,
  DeleteSubnetCommand,
  DescribeAddressesCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  DetachInternetGatewayCommand,
  DetachNetworkInterfaceCommand,
  DisassociateAddressCommand,
  DisassociateNatGatewayAddressCommand,
  DisassociateRouteTableCommand,
  type EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
  ModifyVpcEndpointCommand,
  type NatGateway,
  type NetworkInterface,
  ReleaseAddressCommand,
  ReplaceRouteCommand,
  ResourceType,
  RevokeSecurityGroupEgressCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  UnassignPrivateIpAddressesCommand,
} from '@aws-sdk/client-ec2';
import { DEFAULT_QUOTAS } from '../src/config.js';
import { allKinds } from '../src/services/ec2/resources.js';
import '../src/services/ec2/index.js';
import { apiError, startTestServer, type TestServer } from './helpers.js';

const AL2023 = 'ami-0a2023c0ffee0a864';
const QUOTAS = { ...DEFAULT_QUOTAS, vpcsPerRegion: 100, internetGatewaysPerRegion: 100, elasticIpsPerRegion: 100 };
const NO_PERMISSION = 'You do not have permission to access the specified resource.';

let seq = 0;
/** A fresh VPC 10.N.0.0/16 with a /24 subnet in us-east-1a, and an attached internet gateway unless told otherwise. */
async function network(ec2: EC2Client, opts: { igw?: boolean } = {}) {
  const n = ++seq;
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${n}.0.0/16` }));
  const vpcId = Vpc!.VpcId!;
  const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.${n}.1.0/24`, AvailabilityZone: 'us-east-1a' }));
  let igwId: string | undefined;
  if (opts.igw !== false) {
    const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
    igwId = InternetGateway!.InternetGatewayId!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }));
  }
  return { vpcId, subnetId: Subnet!.SubnetId!, igwId, n };
}

async function allocate(ec2: EC2Client): Promise<string> {
  return (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId!;
}

async function natGateway(ec2: EC2Client, subnetId: string, allocationId: string): Promise<NatGateway> {
  return (await ec2.send(new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId: allocationId }))).NatGateway!;
}

async function describeNat(ec2: EC2Client, id: string): Promise<NatGateway> {
  return (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] }))).NatGateways![0]!;
}

async function eni(ec2: EC2Client, id: string): Promise<NetworkInterface> {
  return (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [id] }))).NetworkInterfaces![0]!;
}

async function address(ec2: EC2Client, allocationId: string) {
  return (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] }))).Addresses![0]!;
}

async function runInstance(ec2: EC2Client, subnetId: string): Promise<string> {
  const out = await ec2.send(new RunInstancesCommand({ ImageId: AL2023, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro', SubnetId: subnetId }));
  return out.Instances![0]!.InstanceId!;
}

async function expectNoPermission(fn: () => Promise<unknown>): Promise<void> {
  const e = await apiError(fn);
  assert.equal(e.code, 'AuthFailure');
  assert.equal(e.message, NO_PERMISSION);
}

describe('fidelity follow-ups', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({ stateTransitionMs: 0, quotas: QUOTAS });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  describe('requester-managed interfaces', () => {
    it('refuse attribute changes, address changes and attachment; keep detach and delete refused; take tags', async () => {
      const net = await network(ec2);
      const eip = await allocate(ec2);
      const nat = await natGateway(ec2, net.subnetId, eip);
      const natEni = nat.NatGatewayAddresses![0]!.NetworkInterfaceId!;
      const { SecurityGroups } = await ec2.send(
        new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [net.vpcId] }, { Name: 'group-name', Values: ['default'] }] }),
      );
      const defaultSg = SecurityGroups![0]!.GroupId!;
      const before = await eni(ec2, natEni);
      assert.equal(before.RequesterManaged, true);

      await expectNoPermission(() =>
        ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: natEni, Description: { Value: 'mine now' } })),
      );
      await expectNoPermission(() =>
        ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: natEni, SourceDestCheck: { Value: true } })),
      );
      await expectNoPermission(() => ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: natEni, Groups: [defaultSg] })));
      await expectNoPermission(() =>
        ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: natEni, SecondaryPrivateIpAddressCount: 1 })),
      );
      await expectNoPermission(() =>
        ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: natEni, PrivateIpAddresses: [before.PrivateIpAddress!] })),
      );
      const instanceId = await runInstance(ec2, net.subnetId);
      await expectNoPermission(() => ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: natEni, InstanceId: instanceId, DeviceIndex: 1 })));
      const detach = await apiError(() => ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: before.Attachment!.AttachmentId! })));
      assert.equal(detach.code, 'OperationNotPermitted');
      assert.equal(detach.message, "You are not allowed to manage 'ela-attach' attachments.");
      const del = await apiError(() => ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: natEni })));
      assert.equal(del.code, 'InvalidParameterValue');
      assert.equal(del.message, `Network interface '${natEni}' is currently in use.`);

      // Nothing changed, and tags are the one thing users may set.
      await ec2.send(new CreateTagsCommand({ Resources: [natEni], Tags: [{ Key: 'team', Value: 'net' }] }));
      const after = await eni(ec2, natEni);
      assert.equal(after.Description, before.Description);
      assert.equal(after.SourceDestCheck, false);
      assert.deepEqual(after.Groups, []);
      assert.deepEqual(after.PrivateIpAddresses!.map((p) => p.PrivateIpAddress), [before.PrivateIpAddress]);
      assert.deepEqual(after.TagSet, [{ Key: 'team', Value: 'net' }]);

      // The NAT gateway itself still changes its own interface.
      const added = await ec2.send(new AssignPrivateNatGatewayAddressCommand({ NatGatewayId: nat.NatGatewayId, PrivateIpAddressCount: 1 }));
      assert.equal(added.NatGatewayAddresses!.length, 1);
      assert.equal((await eni(ec2, natEni)).PrivateIpAddresses!.length, 2);

      // A user's own interface in the same subnet is unaffected.
      const own = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: net.subnetId }))).NetworkInterface!.NetworkInterfaceId!;
      await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: own, Description: { Value: 'mine' } }));
      assert.equal((await eni(ec2, own)).Description, 'mine');
    });

    it('refuse the same on a VPC endpoint interface, whose groups change only through ModifyVpcEndpoint', async () => {
      const net = await network(ec2, { igw: false });
      const sg = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: net.vpcId, GroupName: 'ep', Description: 'ep' }))).GroupId!;
      const other = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: net.vpcId, GroupName: 'other', Description: 'other' }))).GroupId!;
      const { VpcEndpoint } = await ec2.send(
        new CreateVpcEndpointCommand({
          VpcId: net.vpcId,
          ServiceName: 'com.amazonaws.us-east-1.ec2',
          VpcEndpointType: 'Interface',
          SubnetIds: [net.subnetId],
          SecurityGroupIds: [sg],
          PrivateDnsEnabled: false,
        }),
      );
      const id = VpcEndpoint!.NetworkInterfaceIds![0]!;
      await expectNoPermission(() => ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: id, Groups: [other] })));
      await expectNoPermission(() => ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: 2 })));
      assert.deepEqual((await eni(ec2, id)).Groups!.map((g) => g.GroupId), [sg]);
      await ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: VpcEndpoint!.VpcEndpointId, AddSecurityGroupIds: [other] }));
      assert.deepEqual((await eni(ec2, id)).Groups!.map((g) => g.GroupId).sort(), [sg, other].sort());
    });
  });

  describe("a NAT gateway's Elastic IPs", () => {
    it('cannot be disassociated, moved, released or joined by another address while the gateway holds them', async () => {
      const net = await network(ec2);
      const primary = await allocate(ec2);
      const secondary = await allocate(ec2);
      const spare = await allocate(ec2);
      const nat = await natGateway(ec2, net.subnetId, primary);
      const natEni = nat.NatGatewayAddresses![0]!.NetworkInterfaceId!;
      await ec2.send(new AssociateNatGatewayAddressCommand({ NatGatewayId: nat.NatGatewayId, AllocationIds: [secondary] }));
      const primaryAssoc = (await address(ec2, primary)).AssociationId!;
      const secondaryAssoc = (await address(ec2, secondary)).AssociationId!;
      const instanceId = await runInstance(ec2, net.subnetId);
      const own = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: net.subnetId }))).NetworkInterface!.NetworkInterfaceId!;

      for (const assoc of [primaryAssoc, secondaryAssoc]) {
        await expectNoPermission(() => ec2.send(new DisassociateAddressCommand({ AssociationId: assoc })));
      }
      for (const alloc of [primary, secondary]) {
        await expectNoPermission(() => ec2.send(new AssociateAddressCommand({ AllocationId: alloc, InstanceId: instanceId })));
        await expectNoPermission(() => ec2.send(new AssociateAddressCommand({ AllocationId: alloc, NetworkInterfaceId: own, AllowReassociation: true })));
        await expectNoPermission(() => ec2.send(new ReleaseAddressCommand({ AllocationId: alloc })));
      }
      // Nor may a user put another address on the gateway's interface.
      await expectNoPermission(() => ec2.send(new AssociateAddressCommand({ AllocationId: spare, NetworkInterfaceId: natEni })));

      const view = await describeNat(ec2, nat.NatGatewayId!);
      assert.deepEqual(view.NatGatewayAddresses!.map((a) => [a.AllocationId, a.AssociationId]).sort(), [
        [primary, primaryAssoc],
        [secondary, secondaryAssoc],
      ].sort());
      assert.equal((await address(ec2, primary)).NetworkInterfaceId, natEni);
      assert.equal((await address(ec2, secondary)).NetworkInterfaceId, natEni);
      assert.equal((await address(ec2, spare)).AssociationId, undefined);

      // Through the NAT gateway's own operation the secondary address leaves; then it is the user's again.
      await ec2.send(new DisassociateNatGatewayAddressCommand({ NatGatewayId: nat.NatGatewayId, AssociationIds: [secondaryAssoc] }));
      assert.equal((await address(ec2, secondary)).AssociationId, undefined);
      await ec2.send(new ReleaseAddressCommand({ AllocationId: secondary }));
    });

    it('in a default VPC, ReleaseAddress does not take the address from the gateway either', async () => {
      const { Subnets } = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }));
      const subnetId = Subnets![0]!.SubnetId!;
      const eip = await allocate(ec2);
      const nat = await natGateway(ec2, subnetId, eip);
      await expectNoPermission(() => ec2.send(new ReleaseAddressCommand({ AllocationId: eip })));
      assert.equal((await describeNat(ec2, nat.NatGatewayId!)).NatGatewayAddresses![0]!.AllocationId, eip);
      assert.ok((await address(ec2, eip)).AssociationId);
      await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: nat.NatGatewayId }));
      await ec2.send(new ReleaseAddressCommand({ AllocationId: eip }));
    });
  });

  describe('internet gateway edge associations', () => {
    it('keep the gateway attached until the route table is disassociated; then detach and delete work', async () => {
      const net = await network(ec2);
      const igw = net.igwId!;
      const rtb = (await ec2.send(new CreateRouteTableCommand({ VpcId: net.vpcId }))).RouteTable!.RouteTableId!;
      const assoc = (await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtb, GatewayId: igw }))).AssociationId!;
      const detach = await apiError(() => ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: net.vpcId })));
      assert.equal(detach.code, 'DependencyViolation');
      assert.equal(
        detach.message,
        `The internetGateway '${igw}' is associated with route table '${rtb}'. Disassociate the route table from the gateway before detaching it.`,
      );
      const del = await apiError(() => ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igw })));
      assert.equal(del.code, 'DependencyViolation');
      const still = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] }))).RouteTables![0]!;
      assert.deepEqual(still.Associations!.map((a) => a.GatewayId), [igw]);

      await ec2.send(new DisassociateRouteTableCommand({ AssociationId: assoc }));
      await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: net.vpcId }));
      await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igw }));
      const after = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] }))).RouteTables![0]!;
      assert.deepEqual(after.Associations, []);
    });
  });

  describe('routes of a gateway VPC endpoint', () => {
    it('cannot be deleted or replaced through the route APIs, only by taking the table from the endpoint', async () => {
      const net = await network(ec2);
      const rtb = (await ec2.send(new CreateRouteTableCommand({ VpcId: net.vpcId }))).RouteTable!.RouteTableId!;
      const { VpcEndpoint } = await ec2.send(
        new CreateVpcEndpointCommand({ VpcId: net.vpcId, ServiceName: 'com.amazonaws.us-east-1.s3', VpcEndpointType: 'Gateway', RouteTableIds: [rtb] }),
      );
      const vpce = VpcEndpoint!.VpcEndpointId!;
      const routes = async () => (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] }))).RouteTables![0]!.Routes!;
      const endpointRoute = (await routes()).find((r) => r.GatewayId === vpce)!;
      const pl = endpointRoute.DestinationPrefixListId!;
      assert.match(pl, /^pl-/);
      const expected = `The route identified by ${pl} in route table ${rtb} belongs to VPC endpoint ${vpce} and cannot be modified or deleted. Use ModifyVpcEndpoint to remove the route table from the endpoint.`;

      const del = await apiError(() => ec2.send(new DeleteRouteCommand({ RouteTableId: rtb, DestinationPrefixListId: pl })));
      assert.equal(del.code, 'InvalidParameterValue');
      assert.equal(del.message, expected);
      const rep = await apiError(() => ec2.send(new ReplaceRouteCommand({ RouteTableId: rtb, DestinationPrefixListId: pl, GatewayId: net.igwId })));
      assert.equal(rep.code, 'InvalidParameterValue');
      assert.equal(rep.message, expected);
      assert.deepEqual((await routes()).find((r) => r.DestinationPrefixListId === pl), endpointRoute);

      await ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: vpce, RemoveRouteTableIds: [rtb] }));
      assert.equal((await routes()).find((r) => r.DestinationPrefixListId === pl), undefined);
    });
  });

  describe('security groups when a VPC gets an IPv6 block', () => {
    it('gain an all-traffic ::/0 egress rule when their outbound rules are still the original one', async () => {
      const net = await network(ec2, { igw: false });
      const group = async (name: string) =>
        (await ec2.send(new CreateSecurityGroupCommand({ VpcId: net.vpcId, GroupName: name, Description: name }))).GroupId!;
      const untouched = await group('untouched');
      const revoked = await group('revoked');
      const extended = await group('extended');
      const all = [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }];
      await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: revoked, IpPermissions: all }));
      await ec2.send(
        new AuthorizeSecurityGroupEgressCommand({
          GroupId: extended,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
        }),
      );
      const egress = async () => {
        const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [net.vpcId] }] }));
        return new Map(
          SecurityGroups!.map((g) => [
            g.GroupName!,
            g.IpPermissionsEgress!.flatMap((p) => [
              ...(p.IpRanges ?? []).map((r) => `${p.IpProtocol} ${r.CidrIp}`),
              ...(p.Ipv6Ranges ?? []).map((r) => `${p.IpProtocol} ${r.CidrIpv6}`),
            ]).sort(),
          ]),
        );
      };
      const before = await egress();
      assert.deepEqual(before.get('default'), ['-1 0.0.0.0/0']);

      await ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: net.vpcId, AmazonProvidedIpv6CidrBlock: true }));
      const after = await egress();
      assert.deepEqual(after.get('default'), ['-1 0.0.0.0/0', '-1 ::/0']);
      assert.deepEqual(after.get('untouched'), ['-1 0.0.0.0/0', '-1 ::/0']);
      assert.deepEqual(after.get('revoked'), []);
      assert.deepEqual(after.get('extended'), before.get('extended'));
      assert.deepEqual(before.get('extended'), ['-1 0.0.0.0/0', 'tcp 10.0.0.0/8']);

      // A second IPv6 block adds nothing more.
      await ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: net.vpcId, AmazonProvidedIpv6CidrBlock: true }));
      assert.deepEqual(await egress(), after);
      const untouchedRules = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [untouched] }))).SecurityGroups![0]!;
      assert.equal(untouchedRules.IpPermissionsEgress!.length, 1);
      assert.deepEqual(untouchedRules.IpPermissionsEgress![0]!.Ipv6Ranges, [{ CidrIpv6: '::/0' }]);
    });
  });

  describe('resource types of tags', () => {
    it('every taggable kind reports a value of the EC2 ResourceType enum', () => {
      const valid = new Set<string>(Object.values(ResourceType));
      const reported = allKinds()
        .filter((k) => k.taggable !== false)
        .map((k) => k.tagType ?? k.kind);
      assert.ok(reported.length >= 19);
      for (const t of reported) assert.ok(valid.has(t), `${t} is not an EC2 resource type`);
      assert.ok(reported.includes('natgateway'));
      assert.ok(!reported.includes('nat-gateway'));
    });

    it('TagSpecifications take AWS resource types, and DescribeTags reports them', async () => {
      const spec = (type: string) => [{ ResourceType: type as ResourceType, Tags: [{ Key: 'kind', Value: type }] }];
      const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.240.0.0/16', TagSpecifications: spec('vpc') }));
      const vpcId = Vpc!.VpcId!;
      const { Vpc: peerVpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.241.0.0/16' }));
      const { Subnet } = await ec2.send(
        new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.240.1.0/24', AvailabilityZone: 'us-east-1a', TagSpecifications: spec('subnet') }),
      );
      const subnetId = Subnet!.SubnetId!;
      const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({ TagSpecifications: spec('internet-gateway') }));
      await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: InternetGateway!.InternetGatewayId, VpcId: vpcId }));
      await ec2.send(new CreateEgressOnlyInternetGatewayCommand({ VpcId: vpcId, TagSpecifications: spec('egress-only-internet-gateway') }));
      await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId, TagSpecifications: spec('route-table') }));
      await ec2.send(new CreateNetworkAclCommand({ VpcId: vpcId, TagSpecifications: spec('network-acl') }));
      const sg = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'tagged', Description: 'tagged', TagSpecifications: spec('security-group') }))).GroupId!;
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: sg,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
          TagSpecifications: spec('security-group-rule'),
        }),
      );
      await ec2.send(
        new CreateDhcpOptionsCommand({ DhcpConfigurations: [{ Key: 'domain-name', Values: ['example.internal'] }], TagSpecifications: spec('dhcp-options') }),
      );
      const eip = (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: spec('elastic-ip') }))).AllocationId!;
      await ec2.send(new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId: eip, TagSpecifications: spec('natgateway') }));
      await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId, TagSpecifications: spec('network-interface') }));
      await ec2.send(
        new RunInstancesCommand({ ImageId: AL2023, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro', SubnetId: subnetId, TagSpecifications: spec('instance') }),
      );
      await ec2.send(new CreateManagedPrefixListCommand({ PrefixListName: 'tagged', AddressFamily: 'IPv4', MaxEntries: 2, TagSpecifications: spec('prefix-list') }));
      await ec2.send(
        new CreateVpcEndpointCommand({ VpcId: vpcId, ServiceName: 'com.amazonaws.us-east-1.s3', VpcEndpointType: 'Gateway', TagSpecifications: spec('vpc-endpoint') }),
      );
      await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: vpcId, PeerVpcId: peerVpc!.VpcId, TagSpecifications: spec('vpc-peering-connection') }));
      const cgw = (await ec2.send(new CreateCustomerGatewayCommand({ Type: 'ipsec.1', IpAddress: '198.51.100.77', BgpAsn: 65010, TagSpecifications: spec('customer-gateway') })))
        .CustomerGateway!.CustomerGatewayId!;
      const vgw = (await ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1', TagSpecifications: spec('vpn-gateway') }))).VpnGateway!.VpnGatewayId!;
      await ec2.send(new CreateVpnConnectionCommand({ Type: 'ipsec.1', CustomerGatewayId: cgw, VpnGatewayId: vgw, TagSpecifications: spec('vpn-connection') }));

      const { Tags } = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: ['kind'] }], MaxResults: 1000 }));
      const types = Tags!.map((t) => t.ResourceType!);
      for (const t of Tags!) assert.equal(t.ResourceType, t.Value, `${t.ResourceId} reports ${t.ResourceType}`);
      assert.deepEqual(
        [...new Set(types)].sort(),
        [
          'customer-gateway',
          'dhcp-options',
          'egress-only-internet-gateway',
          'elastic-ip',
          'instance',
          'internet-gateway',
          'natgateway',
          'network-acl',
          'network-interface',
          'prefix-list',
          'route-table',
          'security-group',
          'security-group-rule',
          'subnet',
          'vpc',
          'vpc-endpoint',
          'vpc-peering-connection',
          'vpn-connection',
          'vpn-gateway',
        ],
      );
      const byType = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-type', Values: ['natgateway'] }] }));
      assert.deepEqual(byType.Tags!.map((t) => t.ResourceId!.slice(0, 4)), ['nat-']);

      const wrong = await apiError(() =>
        ec2.send(new CreateNatGatewayCommand({ SubnetId: subnetId, ConnectivityType: 'private', TagSpecifications: spec('nat-gateway') })),
      );
      assert.equal(wrong.code, 'InvalidParameterValue');
      assert.equal(wrong.message, "'nat-gateway' is not a valid taggable resource type for this operation.");
    });
  });
});

describe('fidelity follow-ups over time', () => {
  const TRANSITION_MS = 250;
  const settle = () => sleep(TRANSITION_MS + 100);
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({ stateTransitionMs: TRANSITION_MS, quotas: QUOTAS });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('DeleteSubnet is refused while an instance in it is shutting down, and works once it is terminated', async () => {
    const net = await network(ec2, { igw: false });
    const id = await runInstance(ec2, net.subnetId);
    await settle();
    const out = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    assert.equal(out.TerminatingInstances![0]!.CurrentState!.Name, 'shutting-down');
    const refused = await apiError(() => ec2.send(new DeleteSubnetCommand({ SubnetId: net.subnetId })));
    assert.equal(refused.code, 'DependencyViolation');
    assert.equal(refused.message, `The subnet '${net.subnetId}' has dependencies and cannot be deleted.`);
    await settle();
    await ec2.send(new DeleteSubnetCommand({ SubnetId: net.subnetId }));
    assert.equal((await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [net.vpcId] }] }))).Subnets!.length, 0);
  });

  it('a NAT gateway being deleted keeps its subnet and its Elastic IP until it is gone', async () => {
    const net = await network(ec2);
    const eip = await allocate(ec2);
    const nat = await natGateway(ec2, net.subnetId, eip);
    await settle();
    await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: nat.NatGatewayId }));
    assert.equal((await describeNat(ec2, nat.NatGatewayId!)).State, 'deleting');
    await expectNoPermission(() => ec2.send(new ReleaseAddressCommand({ AllocationId: eip })));
    const refused = await apiError(() => ec2.send(new DeleteSubnetCommand({ SubnetId: net.subnetId })));
    assert.equal(refused.code, 'DependencyViolation');
    await settle();
    assert.equal((await describeNat(ec2, nat.NatGatewayId!)).State, 'deleted');
    await ec2.send(new ReleaseAddressCommand({ AllocationId: eip }));
    await ec2.send(new DeleteSubnetCommand({ SubnetId: net.subnetId }));
  });
});
