/**
 * Route tables through @aws-sdk/client-ec2: tables, routes and their targets, route
 * states, associations (subnet, gateway, main), filters and pagination.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AssociateRouteTableCommand,
  AssociateVpcCidrBlockCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteInternetGatewayCommand,
  DeleteRouteCommand,
  DeleteRouteTableCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeRouteTablesCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  DisassociateVpcCidrBlockCommand,
  type EC2Client,
  type Filter,
  ReplaceRouteCommand,
  ReplaceRouteTableAssociationCommand,
  type RouteTable,
  AcceptVpcPeeringConnectionCommand,
  AttachNetworkInterfaceCommand,
  AttachVpnGatewayCommand,
  CreateEgressOnlyInternetGatewayCommand,
  CreateNetworkInterfaceCommand,
  DeleteEgressOnlyInternetGatewayCommand,
  CreateVpcPeeringConnectionCommand,
  CreateVpnGatewayCommand,
  DeleteNetworkInterfaceCommand,
  DeleteVpcPeeringConnectionCommand,
  DetachNetworkInterfaceCommand,
  DetachVpnGatewayCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { DEFAULT_QUOTAS } from '../src/config.js';
import { scopeKey } from '../src/state/store.js';
import { apiError, errorCode, startTestServer, type TestServer } from './helpers.js';

const ACCOUNT = '000000000000';
const RTB_ID = /^rtb-[0-9a-f]{17}$/;
const ASSOC_ID = /^rtbassoc-[0-9a-f]{17}$/;

/** Writes a record straight into the server's state (for kinds whose API does not exist yet). */
function putRecord(srv: TestServer, kind: string, id: string, value: object, region = 'us-east-1'): void {
  const tx = srv.app.store.begin();
  tx.put(scopeKey(ACCOUNT, region), kind, id, value);
  tx.commit();
}

function hexId(prefix: string): string {
  let s = '';
  for (let i = 0; i < 17; i++) s += Math.floor(Math.random() * 16).toString(16);
  return `${prefix}-${s}`;
}

async function vpc(ec2: EC2Client, cidr: string, opts: { ipv6?: boolean } = {}): Promise<string> {
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: cidr, AmazonProvidedIpv6CidrBlock: opts.ipv6 }));
  return Vpc!.VpcId!;
}

async function subnet(ec2: EC2Client, vpcId: string, cidr: string): Promise<string> {
  const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr }));
  return Subnet!.SubnetId!;
}

async function table(ec2: EC2Client, vpcId: string, name?: string): Promise<string> {
  const { RouteTable } = await ec2.send(
    new CreateRouteTableCommand({
      VpcId: vpcId,
      TagSpecifications: name ? [{ ResourceType: 'route-table', Tags: [{ Key: 'Name', Value: name }] }] : undefined,
    }),
  );
  return RouteTable!.RouteTableId!;
}

async function igw(ec2: EC2Client, vpcId?: string): Promise<string> {
  const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
  const id = InternetGateway!.InternetGatewayId!;
  if (vpcId) await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: id, VpcId: vpcId }));
  return id;
}

async function eni(ec2: EC2Client, subnetId: string): Promise<string> {
  const { NetworkInterface } = await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId }));
  return NetworkInterface!.NetworkInterfaceId!;
}

/** A running instance in the subnet, and its primary interface. */
async function instance(ec2: EC2Client, subnetId: string): Promise<{ id: string; eni: string }> {
  const { Instances } = await ec2.send(
    new RunInstancesCommand({ ImageId: 'ami-0a2023c0ffee0a864', InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SubnetId: subnetId }),
  );
  return { id: Instances![0]!.InstanceId!, eni: Instances![0]!.NetworkInterfaces![0]!.NetworkInterfaceId! };
}

async function describe1(ec2: EC2Client, id: string): Promise<RouteTable> {
  const { RouteTables } = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [id] }));
  assert.equal(RouteTables!.length, 1);
  return RouteTables![0]!;
}

async function mainTableOf(ec2: EC2Client, vpcId: string): Promise<RouteTable> {
  const { RouteTables } = await ec2.send(
    new DescribeRouteTablesCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'association.main', Values: ['true'] },
      ],
    }),
  );
  assert.equal(RouteTables!.length, 1, 'exactly one main table');
  return RouteTables![0]!;
}

async function ids(ec2: EC2Client, filters: Filter[]): Promise<string[]> {
  const { RouteTables } = await ec2.send(new DescribeRouteTablesCommand({ Filters: filters }));
  return RouteTables!.map((t) => t.RouteTableId!).sort();
}

function routeTo(t: RouteTable, destination: string) {
  return t.Routes!.find((r) => (r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock ?? r.DestinationPrefixListId) === destination);
}

describe('route tables', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({
      quotas: { ...DEFAULT_QUOTAS, vpcsPerRegion: 100, internetGatewaysPerRegion: 100 },
      stateTransitionMs: 0,
    });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  describe('CreateRouteTable', () => {
    it('creates a table with a local route for each VPC block, tags and the client token', async () => {
      const vpcId = await vpc(ec2, '10.10.0.0/16');
      await ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: vpcId, CidrBlock: '10.11.0.0/16' }));
      const out = await ec2.send(
        new CreateRouteTableCommand({
          VpcId: vpcId,
          ClientToken: 'token-create-1',
          TagSpecifications: [{ ResourceType: 'route-table', Tags: [{ Key: 'Name', Value: 'private' }] }],
        }),
      );
      assert.equal(out.ClientToken, 'token-create-1');
      const t = out.RouteTable!;
      assert.match(t.RouteTableId!, RTB_ID);
      assert.equal(t.VpcId, vpcId);
      assert.equal(t.OwnerId, ACCOUNT);
      assert.deepEqual(t.Associations, []);
      assert.deepEqual(t.PropagatingVgws, []);
      assert.deepEqual(t.Tags, [{ Key: 'Name', Value: 'private' }]);
      assert.deepEqual(t.Routes, [
        { DestinationCidrBlock: '10.10.0.0/16', GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' },
        { DestinationCidrBlock: '10.11.0.0/16', GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' },
      ]);
      const again = await describe1(ec2, t.RouteTableId!);
      assert.deepEqual(again, t);
    });

    it('gives a dual-stack VPC an IPv6 local route too', async () => {
      const vpcId = await vpc(ec2, '10.12.0.0/16', { ipv6: true });
      const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }));
      const v6 = Vpcs![0]!.Ipv6CidrBlockAssociationSet![0]!.Ipv6CidrBlock!;
      const t = await describe1(ec2, await table(ec2, vpcId));
      assert.deepEqual(t.Routes, [
        { DestinationCidrBlock: '10.12.0.0/16', GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' },
        { DestinationIpv6CidrBlock: v6, GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' },
      ]);
    });

    it('is idempotent with the same client token, and refuses the token for another VPC', async () => {
      const a = await vpc(ec2, '10.13.0.0/16');
      const b = await vpc(ec2, '10.14.0.0/16');
      const first = await ec2.send(new CreateRouteTableCommand({ VpcId: a, ClientToken: 'same-token' }));
      const second = await ec2.send(new CreateRouteTableCommand({ VpcId: a, ClientToken: 'same-token' }));
      assert.equal(second.RouteTable!.RouteTableId, first.RouteTable!.RouteTableId);
      assert.equal((await ids(ec2, [{ Name: 'vpc-id', Values: [a] }])).length, 2, 'main + one');
      const e = await apiError(() => ec2.send(new CreateRouteTableCommand({ VpcId: b, ClientToken: 'same-token' })));
      assert.equal(e.code, 'IdempotentParameterMismatch');
    });

    it('refuses an unknown or malformed VPC and a wrong tag resource type', async () => {
      const e = await apiError(() => ec2.send(new CreateRouteTableCommand({ VpcId: 'vpc-0123456789abcdef0' })));
      assert.equal(e.code, 'InvalidVpcID.NotFound');
      assert.equal(e.message, "The vpc ID 'vpc-0123456789abcdef0' does not exist");
      assert.equal(await errorCode(() => ec2.send(new CreateRouteTableCommand({ VpcId: 'nope' }))), 'InvalidVpcID.Malformed');
      const vpcId = await vpc(ec2, '10.15.0.0/16');
      const bad = await apiError(() =>
        ec2.send(new CreateRouteTableCommand({ VpcId: vpcId, TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'a', Value: 'b' }] }] })),
      );
      assert.equal(bad.code, 'InvalidParameterValue');
    });
  });

  describe('DeleteRouteTable', () => {
    it('deletes a custom table, refuses the main table and a table with associations', async () => {
      const vpcId = await vpc(ec2, '10.20.0.0/16');
      const sub = await subnet(ec2, vpcId, '10.20.1.0/24');
      const main = await mainTableOf(ec2, vpcId);
      const e = await apiError(() => ec2.send(new DeleteRouteTableCommand({ RouteTableId: main.RouteTableId })));
      assert.equal(e.code, 'DependencyViolation');
      assert.equal(e.message, `The routeTable '${main.RouteTableId}' has dependencies and cannot be deleted.`);

      const rtb = await table(ec2, vpcId);
      const { AssociationId } = await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtb, SubnetId: sub }));
      const busy = await apiError(() => ec2.send(new DeleteRouteTableCommand({ RouteTableId: rtb })));
      assert.equal(busy.code, 'DependencyViolation');
      assert.equal(busy.message, `The routeTable '${rtb}' has dependencies and cannot be deleted.`);

      await ec2.send(new DisassociateRouteTableCommand({ AssociationId }));
      await ec2.send(new DeleteRouteTableCommand({ RouteTableId: rtb }));
      const gone = await apiError(() => ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] })));
      assert.equal(gone.code, 'InvalidRouteTableID.NotFound');
      assert.equal(gone.message, `The routeTable ID '${rtb}' does not exist`);
      assert.equal(await errorCode(() => ec2.send(new DeleteRouteTableCommand({ RouteTableId: rtb }))), 'InvalidRouteTableID.NotFound');
      assert.equal(await errorCode(() => ec2.send(new DeleteRouteTableCommand({ RouteTableId: 'rtb-zz' }))), 'InvalidRouteTableID.Malformed');
    });

    it('the VPC can only be deleted once its custom tables are gone', async () => {
      const vpcId = await vpc(ec2, '10.21.0.0/16');
      const rtb = await table(ec2, vpcId);
      assert.equal(await errorCode(() => ec2.send(new DeleteVpcCommand({ VpcId: vpcId }))), 'DependencyViolation');
      await ec2.send(new DeleteRouteTableCommand({ RouteTableId: rtb }));
      await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }));
      assert.deepEqual(await ids(ec2, [{ Name: 'vpc-id', Values: [vpcId] }]), [], 'the main table went with the VPC');
    });
  });

  describe('CreateRoute', () => {
    it('adds a route to an attached internet gateway, active, with origin CreateRoute', async () => {
      const vpcId = await vpc(ec2, '10.30.0.0/16', { ipv6: true });
      const gw = await igw(ec2, vpcId);
      const rtb = await table(ec2, vpcId);
      const out = await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: gw }));
      assert.equal(out.Return, true);
      await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationIpv6CidrBlock: '::/0', GatewayId: gw }));
      const t = await describe1(ec2, rtb);
      assert.deepEqual(routeTo(t, '0.0.0.0/0'), { DestinationCidrBlock: '0.0.0.0/0', GatewayId: gw, Origin: 'CreateRoute', State: 'active' });
      assert.deepEqual(routeTo(t, '::/0'), { DestinationIpv6CidrBlock: '::/0', GatewayId: gw, Origin: 'CreateRoute', State: 'active' });
    });

    it('canonicalises the destination, allows overlapping but not identical destinations', async () => {
      const vpcId = await vpc(ec2, '10.31.0.0/16');
      const gw = await igw(ec2, vpcId);
      const rtb = await table(ec2, vpcId);
      await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '100.68.0.18/18', GatewayId: gw }));
      await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '100.68.0.0/24', GatewayId: gw }));
      await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: gw }));
      const t = await describe1(ec2, rtb);
      assert.deepEqual(
        t.Routes!.map((r) => r.DestinationCidrBlock),
        ['10.31.0.0/16', '100.68.0.0/18', '100.68.0.0/24', '0.0.0.0/0'],
      );
      const dup = await apiError(() => ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '100.68.0.0/18', GatewayId: gw })));
      assert.equal(dup.code, 'RouteAlreadyExists');
      assert.equal(dup.message, 'The route identified by 100.68.0.0/18 already exists.');
    });

    it('needs exactly one destination and exactly one target', async () => {
      const vpcId = await vpc(ec2, '10.32.0.0/16');
      const gw = await igw(ec2, vpcId);
      const rtb = await table(ec2, vpcId);
      const noDest = await apiError(() => ec2.send(new CreateRouteCommand({ RouteTableId: rtb, GatewayId: gw })));
      assert.equal(noDest.code, 'MissingParameter');
      assert.equal(noDest.message, 'The request must contain the parameter destinationCidrBlock or destinationIpv6CidrBlock');
      const twoDest = await apiError(() =>
        ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', DestinationIpv6CidrBlock: '::/0', GatewayId: gw })),
      );
      assert.equal(twoDest.code, 'InvalidParameterCombination');
      const noTarget = await apiError(() => ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0' })));
      assert.equal(noTarget.code, 'MissingParameter');
      assert.match(noTarget.message, /^The request must contain exactly one of gatewayId, .*natGatewayId, .* or instanceId$/);
      const twoTargets = await apiError(() =>
        ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: gw, NatGatewayId: 'nat-0123456789abcdef0' })),
      );
      assert.equal(twoTargets.code, 'InvalidParameterCombination');
      assert.equal(twoTargets.message, noTarget.message);
      const badCidr = await apiError(() => ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '::/0', GatewayId: gw })));
      assert.equal(badCidr.code, 'InvalidParameterValue');
      assert.equal(badCidr.message, 'Value (::/0) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.');
      const badV6 = await apiError(() => ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationIpv6CidrBlock: '10.0.0.0/8', GatewayId: gw })));
      assert.equal(badV6.code, 'InvalidParameterValue');
      const noTable = await apiError(() =>
        ec2.send(new CreateRouteCommand({ RouteTableId: 'rtb-0123456789abcdef0', DestinationCidrBlock: '0.0.0.0/0', GatewayId: gw })),
      );
      assert.equal(noTable.code, 'InvalidRouteTableID.NotFound');
      assert.equal((await describe1(ec2, rtb)).Routes!.length, 1, 'nothing was added');
    });

    it('answers each target kind that does not exist with its own NotFound code', async () => {
      const vpcId = await vpc(ec2, '10.33.0.0/16');
      const rtb = await table(ec2, vpcId);
      const dest = { RouteTableId: rtb, DestinationCidrBlock: '192.168.0.0/16' };
      const cases: Array<[Record<string, string>, string, string?]> = [
        [{ GatewayId: 'igw-0123456789abcdef0' }, 'InvalidGatewayID.NotFound', "The gateway ID 'igw-0123456789abcdef0' does not exist"],
        [{ GatewayId: 'vgw-0123456789abcdef0' }, 'InvalidGatewayID.NotFound'],
        [{ GatewayId: 'vpce-0123456789abcdef0' }, 'InvalidGatewayID.NotFound'],
        [{ GatewayId: 'nat-0123456789abcdef0' }, 'InvalidGatewayID.NotFound', "The gateway ID 'nat-0123456789abcdef0' does not exist"],
        [{ NatGatewayId: 'nat-0123456789abcdef0' }, 'InvalidNatGatewayID.NotFound', "The natGateway ID 'nat-0123456789abcdef0' does not exist"],
        [
          { VpcPeeringConnectionId: 'pcx-0123456789abcdef0' },
          'InvalidVpcPeeringConnectionID.NotFound',
          "The vpcPeeringConnection ID 'pcx-0123456789abcdef0' does not exist",
        ],
        [{ InstanceId: 'i-0123456789abcdef0' }, 'InvalidInstanceID.NotFound', "The instance ID 'i-0123456789abcdef0' does not exist"],
        [
          { NetworkInterfaceId: 'eni-0123456789abcdef0' },
          'InvalidNetworkInterfaceID.NotFound',
          "The networkInterface ID 'eni-0123456789abcdef0' does not exist",
        ],
        [{ TransitGatewayId: 'tgw-0123456789abcdef0' }, 'InvalidTransitGatewayID.NotFound'],
        [{ LocalGatewayId: 'lgw-0123456789abcdef0' }, 'InvalidLocalGatewayID.NotFound'],
        [{ CarrierGatewayId: 'cagw-0123456789abcdef0' }, 'InvalidCarrierGatewayID.NotFound'],
        [{ VpcEndpointId: 'vpce-0123456789abcdef0' }, 'InvalidVpcEndpointId.NotFound'],
        [{ CoreNetworkArn: `arn:aws:networkmanager::${ACCOUNT}:core-network/core-network-0123456789abcdef0` }, 'InvalidCoreNetworkArn.NotFound'],
      ];
      for (const [target, code, message] of cases) {
        const e = await apiError(() => ec2.send(new CreateRouteCommand({ ...dest, ...target })));
        assert.equal(e.code, code, JSON.stringify(target));
        if (message) assert.equal(e.message, message);
      }
      const v6 = await apiError(() =>
        ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationIpv6CidrBlock: '::/0', EgressOnlyInternetGatewayId: 'eigw-0123456789abcdef0' })),
      );
      assert.equal(v6.code, 'InvalidEgressOnlyInternetGatewayId.NotFound');
      const pl = await apiError(() =>
        ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationPrefixListId: 'pl-0123456789abcdef0', GatewayId: 'igw-0123456789abcdef0' })),
      );
      assert.equal(pl.code, 'InvalidPrefixListID.NotFound');
      assert.equal((await describe1(ec2, rtb)).Routes!.length, 1);
    });

    it('needs the internet gateway attached to the table’s VPC', async () => {
      const vpcId = await vpc(ec2, '10.34.0.0/16');
      const other = await vpc(ec2, '10.35.0.0/16');
      const rtb = await table(ec2, vpcId);
      const loose = await igw(ec2);
      const e = await apiError(() => ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: loose })));
      assert.equal(e.code, 'InvalidParameterValue');
      assert.equal(e.message, `route table ${rtb} and network gateway ${loose} belong to different networks`);
      const elsewhere = await igw(ec2, other);
      const e2 = await apiError(() => ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: elsewhere })));
      assert.equal(e2.message, `route table ${rtb} and network gateway ${elsewhere} belong to different networks`);
    });

    it('applies AWS’s rules for destinations inside the VPC and reserved ranges', async () => {
      const vpcId = await vpc(ec2, '10.36.0.0/16');
      await subnet(ec2, vpcId, '10.36.1.0/24');
      const gw = await igw(ec2, vpcId);
      const rtb = await table(ec2, vpcId);
      for (const d of ['10.36.0.0/16', '10.36.1.0/24', '10.36.2.0/24']) {
        const e = await apiError(() => ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: d, GatewayId: gw })));
        assert.equal(e.code, 'InvalidParameterValue');
        assert.equal(
          e.message,
          `The destination CIDR block ${d} is equal to or more specific than one of this VPC's CIDR blocks. This route can target only an interface or an instance.`,
        );
      }
      // Larger than the VPC block is fine: the local route is more specific.
      await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '10.0.0.0/8', GatewayId: gw }));
      for (const d of ['169.254.168.0/22', '169.254.169.0/24']) {
        const e = await apiError(() => ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: d, GatewayId: gw })));
        assert.equal(e.code, 'InvalidParameterValue', d);
      }
      await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '169.254.0.0/16', GatewayId: gw }));
    });

    it('lets interfaces, instances and NAT gateways take routes more specific than local, for whole subnets only', async () => {
      const vpcId = await vpc(ec2, '10.37.0.0/16');
      const sub = await subnet(ec2, vpcId, '10.37.1.0/24');
      const rtb = await table(ec2, vpcId);
      const nic = await eni(ec2, sub);
      const nat = hexId('nat');
      putRecord(srv, 'nat-gateway', nat, { NatGatewayId: nat, VpcId: vpcId, SubnetId: sub, State: 'available' });
      await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '10.37.1.0/24', NetworkInterfaceId: nic }));
      const notSubnet = await apiError(() =>
        ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '10.37.1.0/25', NetworkInterfaceId: nic })),
      );
      assert.equal(notSubnet.code, 'InvalidParameterValue');
      await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat }));
      const dupLocal = await apiError(() =>
        ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '10.37.0.0/16', NetworkInterfaceId: nic })),
      );
      assert.equal(dupLocal.code, 'RouteAlreadyExists', 'the local route holds that destination');
      assert.equal(dupLocal.message, 'The route identified by 10.37.0.0/16 already exists.');
      const t = await describe1(ec2, rtb);
      assert.deepEqual(routeTo(t, '10.37.1.0/24'), {
        DestinationCidrBlock: '10.37.1.0/24',
        NetworkInterfaceId: nic,
        Origin: 'CreateRoute',
        State: 'blackhole',
      }, 'an interface attached to nothing carries no traffic');
      assert.deepEqual(routeTo(t, '0.0.0.0/0'), { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat, Origin: 'CreateRoute', State: 'active' });

      const other = await vpc(ec2, '10.39.0.0/16');
      const foreign = await eni(ec2, await subnet(ec2, other, '10.39.1.0/24'));
      const cross = await apiError(() => ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '1.0.0.0/8', NetworkInterfaceId: foreign })));
      assert.equal(cross.code, 'InvalidParameterValue');
      assert.equal(cross.message, `route table ${rtb} and interface ${foreign} belong to different networks`);
    });

    it('routes to an instance through its interface; several interfaces need the interface named', async () => {
      const vpcId = await vpc(ec2, '10.38.0.0/16');
      const sub = await subnet(ec2, vpcId, '10.38.1.0/24');
      const rtb = await table(ec2, vpcId);
      const inst = await instance(ec2, sub);
      await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', InstanceId: inst.id }));
      await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '192.168.0.0/16', NetworkInterfaceId: inst.eni }));
      let t = await describe1(ec2, rtb);
      const expected = { InstanceId: inst.id, InstanceOwnerId: ACCOUNT, NetworkInterfaceId: inst.eni, Origin: 'CreateRoute', State: 'active' };
      assert.deepEqual(routeTo(t, '0.0.0.0/0'), { DestinationCidrBlock: '0.0.0.0/0', ...expected });
      assert.deepEqual(routeTo(t, '192.168.0.0/16'), { DestinationCidrBlock: '192.168.0.0/16', ...expected });
      assert.deepEqual(await ids(ec2, [{ Name: 'route.instance-id', Values: [inst.id] }]), [rtb]);

      // The instance stops: both routes are blackholes; it starts again: active.
      await ec2.send(new StopInstancesCommand({ InstanceIds: [inst.id] }));
      t = await describe1(ec2, rtb);
      assert.equal(routeTo(t, '0.0.0.0/0')!.State, 'blackhole');
      assert.equal(routeTo(t, '192.168.0.0/16')!.State, 'blackhole');
      await ec2.send(new StartInstancesCommand({ InstanceIds: [inst.id] }));
      assert.equal(routeTo(await describe1(ec2, rtb), '0.0.0.0/0')!.State, 'active');

      const second = await eni(ec2, sub);
      await ec2.send(new AttachNetworkInterfaceCommand({ InstanceId: inst.id, NetworkInterfaceId: second, DeviceIndex: 1 }));
      const e = await apiError(() => ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '172.16.0.0/12', InstanceId: inst.id })));
      assert.equal(e.code, 'InvalidInstanceID');
      assert.equal(e.message, `There are multiple interfaces attached to instance '${inst.id}'. Please specify an interface ID for the operation instead.`);

      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [inst.id] }));
      assert.equal(routeTo(await describe1(ec2, rtb), '0.0.0.0/0')!.State, 'blackhole');
      const gone = await apiError(() => ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '172.16.0.0/12', InstanceId: inst.id })));
      assert.equal(gone.code, 'InvalidInstanceID.NotFound');
    });

    it('enforces the routes-per-table quota per address family, not counting local routes', async () => {
      const small = await startTestServer({ quotas: { ...DEFAULT_QUOTAS, routesPerRouteTable: 3 } });
      try {
        const c = small.ec2();
        const vpcId = await vpc(c, '10.40.0.0/16', { ipv6: true });
        const gw = await igw(c, vpcId);
        const rtb = await table(c, vpcId);
        for (const d of ['1.0.0.0/8', '2.0.0.0/8', '3.0.0.0/8']) {
          await c.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: d, GatewayId: gw }));
        }
        const e = await apiError(() => c.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '4.0.0.0/8', GatewayId: gw })));
        assert.equal(e.code, 'RouteLimitExceeded');
        await c.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationIpv6CidrBlock: '::/0', GatewayId: gw }));
        await c.send(new DeleteRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '1.0.0.0/8' }));
        await c.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '4.0.0.0/8', GatewayId: gw }));
      } finally {
        await small.close();
      }
    });

    it('enforces the route-tables-per-VPC quota, the main table included', async () => {
      const small = await startTestServer({ quotas: { ...DEFAULT_QUOTAS, routeTablesPerVpc: 2 } });
      try {
        const c = small.ec2();
        const vpcId = await vpc(c, '10.41.0.0/16');
        await table(c, vpcId);
        const e = await apiError(() => c.send(new CreateRouteTableCommand({ VpcId: vpcId })));
        assert.equal(e.code, 'RouteTableLimitExceeded');
      } finally {
        await small.close();
      }
    });
  });

  describe('route state', () => {
    it('turns blackhole when the internet gateway is detached or deleted, active again when reattached', async () => {
      const vpcId = await vpc(ec2, '10.50.0.0/16');
      const gw = await igw(ec2, vpcId);
      const rtb = await table(ec2, vpcId);
      await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: gw }));
      assert.equal(routeTo(await describe1(ec2, rtb), '0.0.0.0/0')!.State, 'active');

      await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: gw, VpcId: vpcId }));
      assert.equal(routeTo(await describe1(ec2, rtb), '0.0.0.0/0')!.State, 'blackhole');
      assert.deepEqual(await ids(ec2, [{ Name: 'route.state', Values: ['blackhole'] }, { Name: 'vpc-id', Values: [vpcId] }]), [rtb]);
      assert.equal(routeTo(await describe1(ec2, rtb), '10.50.0.0/16')!.State, 'active', 'the local route stays active');

      await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: gw, VpcId: vpcId }));
      assert.equal(routeTo(await describe1(ec2, rtb), '0.0.0.0/0')!.State, 'active');

      await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: gw, VpcId: vpcId }));
      await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: gw }));
      const t = await describe1(ec2, rtb);
      assert.deepEqual(routeTo(t, '0.0.0.0/0'), { DestinationCidrBlock: '0.0.0.0/0', GatewayId: gw, Origin: 'CreateRoute', State: 'blackhole' });
    });

    it('follows NAT gateways and interfaces', async () => {
      const vpcId = await vpc(ec2, '10.51.0.0/16');
      const sub = await subnet(ec2, vpcId, '10.51.1.0/24');
      const rtb = await table(ec2, vpcId);
      const nat = hexId('nat');
      putRecord(srv, 'nat-gateway', nat, { NatGatewayId: nat, VpcId: vpcId, SubnetId: sub, State: 'available' });
      const inst = await instance(ec2, sub);
      const nic = await eni(ec2, sub);
      await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat }));
      await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '192.168.0.0/16', NetworkInterfaceId: nic }));
      let t = await describe1(ec2, rtb);
      assert.equal(routeTo(t, '0.0.0.0/0')!.State, 'active');
      assert.equal(routeTo(t, '192.168.0.0/16')!.State, 'blackhole', 'not attached yet');
      assert.equal(routeTo(t, '192.168.0.0/16')!.InstanceId, undefined);

      const { AttachmentId } = await ec2.send(new AttachNetworkInterfaceCommand({ InstanceId: inst.id, NetworkInterfaceId: nic, DeviceIndex: 1 }));
      t = await describe1(ec2, rtb);
      assert.deepEqual(routeTo(t, '192.168.0.0/16'), {
        DestinationCidrBlock: '192.168.0.0/16',
        InstanceId: inst.id,
        InstanceOwnerId: ACCOUNT,
        NetworkInterfaceId: nic,
        Origin: 'CreateRoute',
        State: 'active',
      });
      await ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId }));
      assert.equal(routeTo(await describe1(ec2, rtb), '192.168.0.0/16')!.State, 'blackhole');
      await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: nic }));
      assert.equal(routeTo(await describe1(ec2, rtb), '192.168.0.0/16')!.State, 'blackhole');

      putRecord(srv, 'nat-gateway', nat, { NatGatewayId: nat, VpcId: vpcId, SubnetId: sub, State: 'deleted' });
      t = await describe1(ec2, rtb);
      assert.equal(routeTo(t, '0.0.0.0/0')!.State, 'blackhole');
      const e = await apiError(() => ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '1.0.0.0/8', NatGatewayId: nat })));
      assert.equal(e.code, 'InvalidNatGatewayID.NotFound', 'a deleted NAT gateway takes no new routes');
    });

    it('follows egress-only internet gateways, which carry IPv6 routes only', async () => {
      const vpcId = await vpc(ec2, '10.56.0.0/16', { ipv6: true });
      const other = await vpc(ec2, '10.57.0.0/16', { ipv6: true });
      const rtb = await table(ec2, vpcId);
      const made = await ec2.send(new CreateEgressOnlyInternetGatewayCommand({ VpcId: vpcId }));
      const eigw = made.EgressOnlyInternetGateway!.EgressOnlyInternetGatewayId!;
      const elsewhere = (await ec2.send(new CreateEgressOnlyInternetGatewayCommand({ VpcId: other }))).EgressOnlyInternetGateway!
        .EgressOnlyInternetGatewayId!;
      const v4 = await apiError(() => ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', EgressOnlyInternetGatewayId: eigw })));
      assert.equal(v4.code, 'InvalidParameterValue');
      const cross = await apiError(() =>
        ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationIpv6CidrBlock: '::/0', EgressOnlyInternetGatewayId: elsewhere })),
      );
      assert.equal(cross.message, `route table ${rtb} and network gateway ${elsewhere} belong to different networks`);
      await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationIpv6CidrBlock: '::/0', EgressOnlyInternetGatewayId: eigw }));
      assert.deepEqual(routeTo(await describe1(ec2, rtb), '::/0'), {
        DestinationIpv6CidrBlock: '::/0',
        EgressOnlyInternetGatewayId: eigw,
        Origin: 'CreateRoute',
        State: 'active',
      });
      assert.deepEqual(await ids(ec2, [{ Name: 'route.egress-only-internet-gateway-id', Values: [eigw] }]), [rtb]);
      await ec2.send(new DeleteEgressOnlyInternetGatewayCommand({ EgressOnlyInternetGatewayId: eigw }));
      assert.equal(routeTo(await describe1(ec2, rtb), '::/0')!.State, 'blackhole');
    });

    it('follows virtual private gateways', async () => {
      const vpcId = await vpc(ec2, '10.55.0.0/16');
      const rtb = await table(ec2, vpcId);
      const { VpnGateway } = await ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1' }));
      const vgw = VpnGateway!.VpnGatewayId!;
      const loose = await apiError(() => ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '192.168.0.0/16', GatewayId: vgw })));
      assert.equal(loose.message, `route table ${rtb} and network gateway ${vgw} belong to different networks`);
      await ec2.send(new AttachVpnGatewayCommand({ VpnGatewayId: vgw, VpcId: vpcId }));
      await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '192.168.0.0/16', GatewayId: vgw }));
      assert.deepEqual(routeTo(await describe1(ec2, rtb), '192.168.0.0/16'), {
        DestinationCidrBlock: '192.168.0.0/16',
        GatewayId: vgw,
        Origin: 'CreateRoute',
        State: 'active',
      });
      await ec2.send(new DetachVpnGatewayCommand({ VpnGatewayId: vgw, VpcId: vpcId }));
      assert.equal(routeTo(await describe1(ec2, rtb), '192.168.0.0/16')!.State, 'blackhole');
    });

    it('follows VPC peering connections: blackhole until accepted, active, blackhole once deleted', async () => {
      const vpcId = await vpc(ec2, '10.52.0.0/16');
      const peer = await vpc(ec2, '10.53.0.0/16');
      const third = await vpc(ec2, '10.54.0.0/16');
      const rtb = await table(ec2, vpcId);
      const { VpcPeeringConnection } = await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: vpcId, PeerVpcId: peer }));
      const pcx = VpcPeeringConnection!.VpcPeeringConnectionId!;
      await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '10.53.0.0/16', VpcPeeringConnectionId: pcx }));
      assert.deepEqual(routeTo(await describe1(ec2, rtb), '10.53.0.0/16'), {
        DestinationCidrBlock: '10.53.0.0/16',
        VpcPeeringConnectionId: pcx,
        Origin: 'CreateRoute',
        State: 'blackhole',
      });
      await ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcx }));
      assert.equal(routeTo(await describe1(ec2, rtb), '10.53.0.0/16')!.State, 'active');
      assert.deepEqual(
        await ids(ec2, [{ Name: 'route.vpc-peering-connection-id', Values: [pcx] }]),
        [rtb],
      );
      const thirdTable = await table(ec2, third);
      const stranger = await apiError(() =>
        ec2.send(new CreateRouteCommand({ RouteTableId: thirdTable, DestinationCidrBlock: '10.53.0.0/16', VpcPeeringConnectionId: pcx })),
      );
      assert.equal(stranger.code, 'InvalidParameterValue');
      assert.match(stranger.message, /belong to different networks$/);
      await ec2.send(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcx }));
      assert.equal(routeTo(await describe1(ec2, rtb), '10.53.0.0/16')!.State, 'blackhole');
      const gone = await apiError(() =>
        ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '10.99.0.0/16', VpcPeeringConnectionId: pcx })),
      );
      assert.equal(gone.code, 'InvalidVpcPeeringConnectionID.NotFound');
    });

    it('the default VPC routes 0.0.0.0/0 to its internet gateway', async () => {
      const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
      const main = await mainTableOf(ec2, Vpcs![0]!.VpcId!);
      const route = routeTo(main, '0.0.0.0/0')!;
      assert.match(route.GatewayId!, /^igw-/);
      assert.equal(route.State, 'active');
      assert.equal(route.Origin, 'CreateRoute');
      assert.deepEqual(routeTo(main, '172.31.0.0/16'), {
        DestinationCidrBlock: '172.31.0.0/16',
        GatewayId: 'local',
        Origin: 'CreateRouteTable',
        State: 'active',
      });
    });
  });

  describe('ReplaceRoute and DeleteRoute', () => {
    it('replaces a route’s target', async () => {
      const vpcId = await vpc(ec2, '10.60.0.0/16');
      const sub = await subnet(ec2, vpcId, '10.60.1.0/24');
      const gw = await igw(ec2, vpcId);
      const rtb = await table(ec2, vpcId);
      await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: gw }));
      const nat = hexId('nat');
      putRecord(srv, 'nat-gateway', nat, { NatGatewayId: nat, VpcId: vpcId, SubnetId: sub, State: 'available' });
      await ec2.send(new ReplaceRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat }));
      assert.deepEqual(routeTo(await describe1(ec2, rtb), '0.0.0.0/0'), {
        DestinationCidrBlock: '0.0.0.0/0',
        NatGatewayId: nat,
        Origin: 'CreateRoute',
        State: 'active',
      });
      await ec2.send(new ReplaceRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: gw }));
      assert.deepEqual(routeTo(await describe1(ec2, rtb), '0.0.0.0/0'), {
        DestinationCidrBlock: '0.0.0.0/0',
        GatewayId: gw,
        Origin: 'CreateRoute',
        State: 'active',
      });
    });

    it('replaces the local route’s target with an interface and restores it with LocalTarget', async () => {
      const vpcId = await vpc(ec2, '10.61.0.0/16');
      const sub = await subnet(ec2, vpcId, '10.61.1.0/24');
      const gw = await igw(ec2, vpcId);
      const rtb = await table(ec2, vpcId);
      const inst = await instance(ec2, sub);
      const eni = inst.eni;
      const toIgw = await apiError(() => ec2.send(new ReplaceRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '10.61.0.0/16', GatewayId: gw })));
      assert.equal(toIgw.code, 'InvalidParameterValue');
      await ec2.send(new ReplaceRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '10.61.0.0/16', NetworkInterfaceId: eni }));
      assert.deepEqual(routeTo(await describe1(ec2, rtb), '10.61.0.0/16'), {
        DestinationCidrBlock: '10.61.0.0/16',
        InstanceId: inst.id,
        InstanceOwnerId: ACCOUNT,
        NetworkInterfaceId: eni,
        Origin: 'CreateRouteTable',
        State: 'active',
      });
      const stillLocal = await apiError(() => ec2.send(new DeleteRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '10.61.0.0/16' })));
      assert.equal(stillLocal.code, 'InvalidParameterValue');
      await ec2.send(new ReplaceRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '10.61.0.0/16', LocalTarget: true }));
      assert.deepEqual(routeTo(await describe1(ec2, rtb), '10.61.0.0/16'), {
        DestinationCidrBlock: '10.61.0.0/16',
        GatewayId: 'local',
        Origin: 'CreateRouteTable',
        State: 'active',
      });
    });

    it('refuses replacing a missing route, LocalTarget on a non-local route, and bad target counts', async () => {
      const vpcId = await vpc(ec2, '10.62.0.0/16');
      const gw = await igw(ec2, vpcId);
      const rtb = await table(ec2, vpcId);
      const missing = await apiError(() => ec2.send(new ReplaceRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: gw })));
      assert.equal(missing.code, 'InvalidRoute.NotFound');
      assert.equal(missing.message, `no route with destination-cidr-block 0.0.0.0/0 in route table ${rtb}`);
      await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: gw }));
      const notLocal = await apiError(() => ec2.send(new ReplaceRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', LocalTarget: true })));
      assert.equal(notLocal.code, 'InvalidParameterValue');
      const both = await apiError(() =>
        ec2.send(new ReplaceRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: gw, LocalTarget: true })),
      );
      assert.equal(both.code, 'InvalidParameterCombination');
      const none = await apiError(() => ec2.send(new ReplaceRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0' })));
      assert.equal(none.code, 'MissingParameter');
      const ghost = await apiError(() =>
        ec2.send(new ReplaceRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-0123456789abcdef0' })),
      );
      assert.equal(ghost.code, 'InvalidGatewayID.NotFound');
      assert.equal(routeTo(await describe1(ec2, rtb), '0.0.0.0/0')!.GatewayId, gw, 'unchanged');
    });

    it('deletes routes, but not the local route or a route that is not there', async () => {
      const vpcId = await vpc(ec2, '10.63.0.0/16', { ipv6: true });
      const gw = await igw(ec2, vpcId);
      const rtb = await table(ec2, vpcId);
      await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: gw }));
      await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationIpv6CidrBlock: '::/0', GatewayId: gw }));
      await ec2.send(new DeleteRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0' }));
      await ec2.send(new DeleteRouteCommand({ RouteTableId: rtb, DestinationIpv6CidrBlock: '::/0' }));
      const t = await describe1(ec2, rtb);
      assert.deepEqual(
        t.Routes!.map((r) => r.Origin),
        ['CreateRouteTable', 'CreateRouteTable'],
      );
      const again = await apiError(() => ec2.send(new DeleteRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0' })));
      assert.equal(again.code, 'InvalidRoute.NotFound');
      assert.equal(again.message, `no route with destination-cidr-block 0.0.0.0/0 in route table ${rtb}`);
      const again6 = await apiError(() => ec2.send(new DeleteRouteCommand({ RouteTableId: rtb, DestinationIpv6CidrBlock: '::/0' })));
      assert.equal(again6.code, 'InvalidRoute.NotFound');
      const local = await apiError(() => ec2.send(new DeleteRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '10.63.0.0/16' })));
      assert.equal(local.code, 'InvalidParameterValue');
      assert.equal(local.message, `cannot remove local route 10.63.0.0/16 in route table ${rtb}`);
      const noDest = await apiError(() => ec2.send(new DeleteRouteCommand({ RouteTableId: rtb })));
      assert.equal(noDest.code, 'MissingParameter');
    });

    it('keeps local routes in step with the VPC’s blocks', async () => {
      const vpcId = await vpc(ec2, '10.64.0.0/16');
      const rtb = await table(ec2, vpcId);
      const { CidrBlockAssociation } = await ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: vpcId, CidrBlock: '10.65.0.0/16' }));
      const main = await mainTableOf(ec2, vpcId);
      for (const t of [await describe1(ec2, rtb), main]) {
        assert.deepEqual(
          t.Routes!.map((r) => r.DestinationCidrBlock),
          ['10.64.0.0/16', '10.65.0.0/16'],
        );
      }
      await ec2.send(new DisassociateVpcCidrBlockCommand({ AssociationId: CidrBlockAssociation!.AssociationId }));
      assert.deepEqual(
        (await describe1(ec2, rtb)).Routes!.map((r) => r.DestinationCidrBlock),
        ['10.64.0.0/16'],
      );
    });
  });

  describe('associations', () => {
    it('associates a subnet explicitly, once, within the same VPC', async () => {
      const vpcId = await vpc(ec2, '10.70.0.0/16');
      const other = await vpc(ec2, '10.71.0.0/16');
      const sub = await subnet(ec2, vpcId, '10.70.1.0/24');
      const foreign = await subnet(ec2, other, '10.71.1.0/24');
      const a = await table(ec2, vpcId);
      const b = await table(ec2, vpcId);
      const out = await ec2.send(new AssociateRouteTableCommand({ RouteTableId: a, SubnetId: sub }));
      assert.match(out.AssociationId!, ASSOC_ID);
      assert.deepEqual(out.AssociationState, { State: 'associated' });
      assert.deepEqual((await describe1(ec2, a)).Associations, [
        { Main: false, RouteTableAssociationId: out.AssociationId, RouteTableId: a, SubnetId: sub, AssociationState: { State: 'associated' } },
      ]);
      for (const rtb of [a, b]) {
        const e = await apiError(() => ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtb, SubnetId: sub })));
        assert.equal(e.code, 'Resource.AlreadyAssociated');
        assert.equal(e.message, `resource ${sub} is already associated with route table ${a}`);
      }
      const cross = await apiError(() => ec2.send(new AssociateRouteTableCommand({ RouteTableId: a, SubnetId: foreign })));
      assert.equal(cross.code, 'InvalidParameterValue');
      assert.equal(cross.message, `Route table ${a} and subnet ${foreign} belong to different networks.`);
      assert.equal(await errorCode(() => ec2.send(new AssociateRouteTableCommand({ RouteTableId: a }))), 'MissingParameter');
      assert.equal(
        await errorCode(() => ec2.send(new AssociateRouteTableCommand({ RouteTableId: a, SubnetId: sub, GatewayId: 'igw-0123456789abcdef0' }))),
        'InvalidParameterCombination',
      );
      assert.equal(
        await errorCode(() => ec2.send(new AssociateRouteTableCommand({ RouteTableId: a, SubnetId: 'subnet-0123456789abcdef0' }))),
        'InvalidSubnetID.NotFound',
      );
      assert.equal(
        await errorCode(() => ec2.send(new AssociateRouteTableCommand({ RouteTableId: 'rtb-0123456789abcdef0', SubnetId: sub }))),
        'InvalidRouteTableID.NotFound',
      );
    });

    it('disassociates a subnet, but never the main association', async () => {
      const vpcId = await vpc(ec2, '10.72.0.0/16');
      const sub = await subnet(ec2, vpcId, '10.72.1.0/24');
      const rtb = await table(ec2, vpcId);
      const { AssociationId } = await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtb, SubnetId: sub }));
      await ec2.send(new DisassociateRouteTableCommand({ AssociationId }));
      assert.deepEqual((await describe1(ec2, rtb)).Associations, []);
      const again = await apiError(() => ec2.send(new DisassociateRouteTableCommand({ AssociationId })));
      assert.equal(again.code, 'InvalidAssociationID.NotFound');
      assert.equal(again.message, `The association ID '${AssociationId}' does not exist`);
      const main = await mainTableOf(ec2, vpcId);
      const mainAssoc = main.Associations!.find((a) => a.Main)!.RouteTableAssociationId!;
      const e = await apiError(() => ec2.send(new DisassociateRouteTableCommand({ AssociationId: mainAssoc })));
      assert.equal(e.code, 'InvalidParameterValue');
      assert.equal(e.message, `Cannot disassociate the main route table association ${mainAssoc}`);
    });

    it('moves a subnet association to another table with ReplaceRouteTableAssociation', async () => {
      const vpcId = await vpc(ec2, '10.73.0.0/16');
      const other = await vpc(ec2, '10.74.0.0/16');
      const sub = await subnet(ec2, vpcId, '10.73.1.0/24');
      const a = await table(ec2, vpcId);
      const b = await table(ec2, vpcId);
      const foreign = await table(ec2, other);
      const { AssociationId } = await ec2.send(new AssociateRouteTableCommand({ RouteTableId: a, SubnetId: sub }));
      const out = await ec2.send(new ReplaceRouteTableAssociationCommand({ AssociationId, RouteTableId: b }));
      assert.match(out.NewAssociationId!, ASSOC_ID);
      assert.notEqual(out.NewAssociationId, AssociationId);
      assert.deepEqual(out.AssociationState, { State: 'associated' });
      assert.deepEqual((await describe1(ec2, a)).Associations, []);
      assert.deepEqual((await describe1(ec2, b)).Associations, [
        { Main: false, RouteTableAssociationId: out.NewAssociationId, RouteTableId: b, SubnetId: sub, AssociationState: { State: 'associated' } },
      ]);
      const stale = await apiError(() => ec2.send(new ReplaceRouteTableAssociationCommand({ AssociationId, RouteTableId: a })));
      assert.equal(stale.code, 'InvalidAssociationID.NotFound');
      const cross = await apiError(() =>
        ec2.send(new ReplaceRouteTableAssociationCommand({ AssociationId: out.NewAssociationId, RouteTableId: foreign })),
      );
      assert.equal(cross.code, 'InvalidParameterValue');
      const noTable = await apiError(() =>
        ec2.send(new ReplaceRouteTableAssociationCommand({ AssociationId: out.NewAssociationId, RouteTableId: 'rtb-0123456789abcdef0' })),
      );
      assert.equal(noTable.code, 'InvalidRouteTableID.NotFound');
    });

    it('makes another table the main one by replacing the main association', async () => {
      const vpcId = await vpc(ec2, '10.75.0.0/16');
      const oldMain = await mainTableOf(ec2, vpcId);
      const mainAssoc = oldMain.Associations!.find((a) => a.Main)!.RouteTableAssociationId!;
      const next = await table(ec2, vpcId, 'next-main');
      const out = await ec2.send(new ReplaceRouteTableAssociationCommand({ AssociationId: mainAssoc, RouteTableId: next }));
      assert.match(out.NewAssociationId!, ASSOC_ID);
      const main = await mainTableOf(ec2, vpcId);
      assert.equal(main.RouteTableId, next);
      assert.deepEqual(main.Associations, [
        { Main: true, RouteTableAssociationId: out.NewAssociationId, RouteTableId: next, AssociationState: { State: 'associated' } },
      ]);
      assert.deepEqual((await describe1(ec2, oldMain.RouteTableId!)).Associations, []);
      // The new main table cannot be deleted; the former one now can.
      assert.equal(await errorCode(() => ec2.send(new DeleteRouteTableCommand({ RouteTableId: next }))), 'DependencyViolation');
      await ec2.send(new DeleteRouteTableCommand({ RouteTableId: oldMain.RouteTableId }));
      // And the VPC deletes cleanly with its new main table.
      await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }));
      assert.equal(await errorCode(() => ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [next] }))), 'InvalidRouteTableID.NotFound');
    });

    it('drops the association of a deleted subnet', async () => {
      const vpcId = await vpc(ec2, '10.76.0.0/16');
      const sub = await subnet(ec2, vpcId, '10.76.1.0/24');
      const rtb = await table(ec2, vpcId);
      await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtb, SubnetId: sub }));
      await ec2.send(new DeleteSubnetCommand({ SubnetId: sub }));
      assert.deepEqual((await describe1(ec2, rtb)).Associations, []);
      await ec2.send(new DeleteRouteTableCommand({ RouteTableId: rtb }));
    });

    it('associates an attached internet gateway with a gateway route table', async () => {
      const vpcId = await vpc(ec2, '10.77.0.0/16');
      const sub = await subnet(ec2, vpcId, '10.77.1.0/24');
      const gw = await igw(ec2, vpcId);
      const edge = await table(ec2, vpcId);
      const out = await ec2.send(new AssociateRouteTableCommand({ RouteTableId: edge, GatewayId: gw }));
      assert.match(out.AssociationId!, ASSOC_ID);
      assert.deepEqual((await describe1(ec2, edge)).Associations, [
        { Main: false, RouteTableAssociationId: out.AssociationId, RouteTableId: edge, GatewayId: gw, AssociationState: { State: 'associated' } },
      ]);
      const second = await table(ec2, vpcId);
      const twice = await apiError(() => ec2.send(new AssociateRouteTableCommand({ RouteTableId: second, GatewayId: gw })));
      assert.equal(twice.code, 'Resource.AlreadyAssociated');
      assert.equal(twice.message, `resource ${gw} is already associated with route table ${edge}`);

      // A gateway route table only routes to the VPC, through interfaces or GWLB endpoints.
      const toIgw = await apiError(() => ec2.send(new CreateRouteCommand({ RouteTableId: edge, DestinationCidrBlock: '10.77.1.0/24', GatewayId: gw })));
      assert.equal(toIgw.code, 'InvalidParameterValue');
      const inst = await instance(ec2, sub);
      const eni = inst.eni;
      const viaInstance = await apiError(() =>
        ec2.send(new CreateRouteCommand({ RouteTableId: edge, DestinationCidrBlock: '10.77.1.0/24', InstanceId: inst.id })),
      );
      assert.equal(viaInstance.code, 'InvalidParameterValue', 'gateway route tables take interfaces, not instances');
      const outside = await apiError(() =>
        ec2.send(new CreateRouteCommand({ RouteTableId: edge, DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: eni })),
      );
      assert.equal(outside.code, 'InvalidParameterValue');
      await ec2.send(new CreateRouteCommand({ RouteTableId: edge, DestinationCidrBlock: '10.77.1.0/24', NetworkInterfaceId: eni }));
      assert.equal(routeTo(await describe1(ec2, edge), '10.77.1.0/24')!.State, 'active');

      // A table with an internet route cannot become a gateway route table.
      await ec2.send(new DisassociateRouteTableCommand({ AssociationId: out.AssociationId }));
      const publicTable = await table(ec2, vpcId);
      await ec2.send(new CreateRouteCommand({ RouteTableId: publicTable, DestinationCidrBlock: '0.0.0.0/0', GatewayId: gw }));
      const refused = await apiError(() => ec2.send(new AssociateRouteTableCommand({ RouteTableId: publicTable, GatewayId: gw })));
      assert.equal(refused.code, 'InvalidParameterValue');

      const loose = await igw(ec2);
      const detached = await apiError(() => ec2.send(new AssociateRouteTableCommand({ RouteTableId: edge, GatewayId: loose })));
      assert.equal(detached.code, 'InvalidParameterValue');
      assert.equal(detached.message, `route table ${edge} and network gateway ${loose} belong to different networks`);
      const unknown = await apiError(() => ec2.send(new AssociateRouteTableCommand({ RouteTableId: edge, GatewayId: 'igw-0123456789abcdef0' })));
      assert.equal(unknown.code, 'InvalidGatewayID.NotFound');
    });
  });

  describe('DescribeRouteTables', () => {
    let vpcId: string;
    let other: string;
    let gw: string;
    let web: string;
    let db: string;
    let lonely: string;
    let main: RouteTable;
    let sub: string;
    let webAssoc: string;

    before(async () => {
      vpcId = await vpc(ec2, '10.80.0.0/16', { ipv6: true });
      other = await vpc(ec2, '10.81.0.0/16');
      sub = await subnet(ec2, vpcId, '10.80.1.0/24');
      gw = await igw(ec2, vpcId);
      web = await table(ec2, vpcId, 'web-public');
      db = await table(ec2, vpcId, 'db-private');
      lonely = await table(ec2, other, 'web-other');
      await ec2.send(new CreateRouteCommand({ RouteTableId: web, DestinationCidrBlock: '0.0.0.0/0', GatewayId: gw }));
      await ec2.send(new CreateRouteCommand({ RouteTableId: web, DestinationIpv6CidrBlock: '::/0', GatewayId: gw }));
      webAssoc = (await ec2.send(new AssociateRouteTableCommand({ RouteTableId: web, SubnetId: sub }))).AssociationId!;
      await ec2.send(new CreateTagsCommand({ Resources: [db], Tags: [{ Key: 'tier', Value: 'data' }] }));
      main = await mainTableOf(ec2, vpcId);
    });

    it('filters by VPC, IDs, owner and tags (with wildcards)', async () => {
      assert.deepEqual(await ids(ec2, [{ Name: 'vpc-id', Values: [vpcId] }]), [main.RouteTableId!, web, db].sort());
      assert.deepEqual(await ids(ec2, [{ Name: 'route-table-id', Values: [web, lonely] }]), [web, lonely].sort());
      assert.deepEqual(await ids(ec2, [{ Name: 'vpc-id', Values: [vpcId, other] }, { Name: 'route-table-id', Values: ['rtb-*'] }]).then((x) => x.length), 5);
      assert.deepEqual(await ids(ec2, [{ Name: 'tag:Name', Values: ['web*'] }]), [web, lonely].sort());
      assert.deepEqual(await ids(ec2, [{ Name: 'tag:Name', Values: ['?b-private'] }]), [db]);
      assert.deepEqual(await ids(ec2, [{ Name: 'tag-key', Values: ['tier'] }]), [db]);
      assert.deepEqual(await ids(ec2, [{ Name: 'tag-value', Values: ['data'] }]), [db]);
      assert.deepEqual(await ids(ec2, [{ Name: 'owner-id', Values: [ACCOUNT] }, { Name: 'vpc-id', Values: [other] }]).then((x) => x.length), 2);
      assert.deepEqual(await ids(ec2, [{ Name: 'owner-id', Values: ['111111111111'] }]), []);
    });

    it('filters by association (main, subnet, association and table IDs)', async () => {
      const scope = { Name: 'vpc-id', Values: [vpcId] };
      assert.deepEqual(await ids(ec2, [scope, { Name: 'association.main', Values: ['true'] }]), [main.RouteTableId!]);
      // Tables without any association match neither value.
      assert.deepEqual(await ids(ec2, [scope, { Name: 'association.main', Values: ['false'] }]), [web]);
      assert.deepEqual(await ids(ec2, [{ Name: 'association.subnet-id', Values: [sub] }]), [web]);
      assert.deepEqual(await ids(ec2, [{ Name: 'association.route-table-association-id', Values: [webAssoc] }]), [web]);
      assert.deepEqual(await ids(ec2, [{ Name: 'association.route-table-id', Values: [web, db] }]), [web], 'db has no association');
      assert.deepEqual(await ids(ec2, [{ Name: 'association.gateway-id', Values: ['igw-*'] }, scope]), []);
    });

    it('filters by route fields', async () => {
      const scope = { Name: 'vpc-id', Values: [vpcId] };
      assert.deepEqual(await ids(ec2, [scope, { Name: 'route.destination-cidr-block', Values: ['0.0.0.0/0'] }]), [web]);
      assert.deepEqual(await ids(ec2, [scope, { Name: 'route.destination-cidr-block', Values: ['10.80.*'] }]), [main.RouteTableId!, web, db].sort());
      assert.deepEqual(await ids(ec2, [scope, { Name: 'route.destination-ipv6-cidr-block', Values: ['::/0'] }]), [web]);
      assert.deepEqual(await ids(ec2, [scope, { Name: 'route.gateway-id', Values: ['igw-*'] }]), [web]);
      assert.deepEqual(await ids(ec2, [scope, { Name: 'route.gateway-id', Values: ['local'] }]), [main.RouteTableId!, web, db].sort());
      assert.deepEqual(await ids(ec2, [scope, { Name: 'route.origin', Values: ['CreateRoute'] }]), [web]);
      assert.deepEqual(await ids(ec2, [scope, { Name: 'route.state', Values: ['active'] }]), [main.RouteTableId!, web, db].sort());
      assert.deepEqual(await ids(ec2, [scope, { Name: 'route.state', Values: ['blackhole'] }]), []);
      for (const name of [
        'route.destination-prefix-list-id',
        'route.egress-only-internet-gateway-id',
        'route.instance-id',
        'route.nat-gateway-id',
        'route.transit-gateway-id',
        'route.vpc-peering-connection-id',
      ]) {
        assert.deepEqual(await ids(ec2, [scope, { Name: name, Values: ['*'] }]), [], name);
      }
      const bad = await apiError(() => ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'route.bogus', Values: ['x'] }] })));
      assert.equal(bad.code, 'InvalidParameterValue');
    });

    it('reports an unknown table ID', async () => {
      const e = await apiError(() => ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [web, 'rtb-0123456789abcdef0'] })));
      assert.equal(e.code, 'InvalidRouteTableID.NotFound');
      assert.equal(e.message, "The routeTable ID 'rtb-0123456789abcdef0' does not exist");
    });

    it('paginates with MaxResults and NextToken', async () => {
      const pageVpc = await vpc(ec2, '10.82.0.0/16');
      const made = [(await mainTableOf(ec2, pageVpc)).RouteTableId!];
      for (let i = 0; i < 7; i++) made.push(await table(ec2, pageVpc));
      const filters = [{ Name: 'vpc-id', Values: [pageVpc] }];
      const first = await ec2.send(new DescribeRouteTablesCommand({ Filters: filters, MaxResults: 5 }));
      assert.equal(first.RouteTables!.length, 5);
      assert.ok(first.NextToken);
      const second = await ec2.send(new DescribeRouteTablesCommand({ Filters: filters, MaxResults: 5, NextToken: first.NextToken }));
      assert.equal(second.RouteTables!.length, 3);
      assert.equal(second.NextToken, undefined);
      assert.deepEqual([...first.RouteTables!, ...second.RouteTables!].map((t) => t.RouteTableId).sort(), made.sort());
      for (const n of [4, 101]) {
        assert.equal(await errorCode(() => ec2.send(new DescribeRouteTablesCommand({ MaxResults: n }))), 'InvalidParameterValue', String(n));
      }
      assert.equal(
        await errorCode(() => ec2.send(new DescribeRouteTablesCommand({ MaxResults: 5, NextToken: 'garbage' }))),
        'InvalidPaginationToken',
      );
    });
  });
});
