import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DeleteNetworkInterfaceCommand,
  DeleteSecurityGroupCommand,
  DeleteVpcCommand,
  DeleteVpcEndpointsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcEndpointServicesCommand,
  DescribeVpcEndpointsCommand,
  type EC2Client,
  GetManagedPrefixListAssociationsCommand,
  ModifyVpcAttributeCommand,
  ModifyVpcEndpointCommand,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import { apiError, errorCode, startTestServer, type TestServer } from './helpers.js';
import { DEFAULT_QUOTAS } from '../src/config.js';

const TRANSITION_MS = 150;
const S3_PL = 'pl-63a5400a';
const DDB_PL = 'pl-02cd2c6b';
const ACCOUNT = '000000000000';
const INTERFACE_SERVICES = [
  'ec2',
  'ec2messages',
  'ssm',
  'ssmmessages',
  'sts',
  'logs',
  'monitoring',
  'kms',
  'secretsmanager',
  'ecr.api',
  'ecr.dkr',
  'sqs',
  'sns',
  'lambda',
  'execute-api',
  'elasticloadbalancing',
  'kinesis-streams',
  'events',
];
const GATEWAY_POLICY = '{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('VPC endpoint services', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer();
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('lists the region catalogue with the fields AWS returns', async () => {
    const out = await ec2.send(new DescribeVpcEndpointServicesCommand({}));
    const names = out.ServiceNames!;
    for (const s of ['s3', 'dynamodb', ...INTERFACE_SERVICES]) assert.ok(names.includes(`com.amazonaws.us-east-1.${s}`), s);
    assert.deepEqual(names, [...names].sort());
    const details = out.ServiceDetails!;
    const s3 = details.filter((d) => d.ServiceName === 'com.amazonaws.us-east-1.s3');
    assert.deepEqual(s3.map((d) => d.ServiceType![0]!.ServiceType), ['Gateway', 'Interface']);
    const s3Gateway = s3[0]!;
    assert.deepEqual(s3Gateway.BaseEndpointDnsNames, ['s3.us-east-1.amazonaws.com']);
    assert.equal(s3Gateway.PrivateDnsName, undefined);
    assert.deepEqual(s3[1]!.PrivateDnsNames!.map((p) => p.PrivateDnsName), [
      '*.s3.us-east-1.amazonaws.com',
      '*.s3-accesspoint.us-east-1.amazonaws.com',
      '*.s3-control.us-east-1.amazonaws.com',
    ]);
    const ddb = details.filter((d) => d.ServiceName === 'com.amazonaws.us-east-1.dynamodb');
    assert.ok(ddb.some((d) => d.ServiceType![0]!.ServiceType === 'Gateway'));
    const ec2Svc = details.find((d) => d.ServiceName === 'com.amazonaws.us-east-1.ec2')!;
    assert.match(ec2Svc.ServiceId!, /^vpce-svc-[0-9a-f]{17}$/);
    assert.deepEqual(ec2Svc.ServiceType, [{ ServiceType: 'Interface' }]);
    assert.deepEqual(ec2Svc.AvailabilityZones, ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f']);
    assert.equal(ec2Svc.Owner, 'amazon');
    assert.deepEqual(ec2Svc.BaseEndpointDnsNames, ['ec2.us-east-1.vpce.amazonaws.com']);
    assert.equal(ec2Svc.PrivateDnsName, 'ec2.us-east-1.amazonaws.com');
    assert.deepEqual(ec2Svc.PrivateDnsNames, [{ PrivateDnsName: 'ec2.us-east-1.amazonaws.com' }]);
    assert.equal(ec2Svc.VpcEndpointPolicySupported, true);
    assert.equal(ec2Svc.AcceptanceRequired, false);
    assert.equal(ec2Svc.ManagesVpcEndpoints, false);
    assert.deepEqual(ec2Svc.SupportedIpAddressTypes, ['ipv4']);
    assert.equal(ec2Svc.PrivateDnsNameVerificationState, 'verified');
    const ecr = details.find((d) => d.ServiceName === 'com.amazonaws.us-east-1.ecr.dkr')!;
    assert.equal(ecr.PrivateDnsName, '*.dkr.ecr.us-east-1.amazonaws.com');
    const again = await ec2.send(new DescribeVpcEndpointServicesCommand({ ServiceNames: ['com.amazonaws.us-east-1.ec2'] }));
    assert.equal(again.ServiceDetails![0]!.ServiceId, ec2Svc.ServiceId);
  });

  it('follows the region: its zones and names', async () => {
    const out = await srv.ec2({ region: 'us-west-1' }).send(new DescribeVpcEndpointServicesCommand({ ServiceNames: ['com.amazonaws.us-west-1.sts'] }));
    assert.deepEqual(out.ServiceDetails![0]!.AvailabilityZones, ['us-west-1b', 'us-west-1c']);
    assert.deepEqual(out.ServiceNames, ['com.amazonaws.us-west-1.sts']);
  });

  it('selects by name and refuses unknown names', async () => {
    const out = await ec2.send(new DescribeVpcEndpointServicesCommand({ ServiceNames: ['com.amazonaws.us-east-1.s3'] }));
    assert.equal(out.ServiceDetails!.length, 2);
    assert.deepEqual(out.ServiceNames, ['com.amazonaws.us-east-1.s3']);
    for (const name of ['com.amazonaws.us-east-1.nope', 'com.amazonaws.us-west-2.s3']) {
      const e = await apiError(() => ec2.send(new DescribeVpcEndpointServicesCommand({ ServiceNames: [name] })));
      assert.equal(e.code, 'InvalidServiceName');
      assert.equal(e.message, `The Vpc Endpoint Service '${name}' does not exist`);
    }
  });

  it('filters by service name, type, region and owner, and pages', async () => {
    const names = async (filters: Array<{ Name: string; Values: string[] }>) =>
      (await ec2.send(new DescribeVpcEndpointServicesCommand({ Filters: filters }))).ServiceDetails!.map(
        (d) => `${d.ServiceName}/${d.ServiceType![0]!.ServiceType}`,
      );
    assert.deepEqual(await names([{ Name: 'service-type', Values: ['Gateway'] }]), [
      'com.amazonaws.us-east-1.dynamodb/Gateway',
      'com.amazonaws.us-east-1.s3/Gateway',
    ]);
    assert.deepEqual(await names([{ Name: 'service-name', Values: ['*.ssm*'] }]), [
      'com.amazonaws.us-east-1.ssm/Interface',
      'com.amazonaws.us-east-1.ssmmessages/Interface',
    ]);
    const all = await names([]);
    assert.deepEqual(await names([{ Name: 'owner', Values: ['amazon'] }]), all);
    assert.deepEqual(await names([{ Name: 'service-region', Values: ['us-east-1'] }]), all);
    assert.deepEqual(await names([{ Name: 'service-region', Values: ['us-west-2'] }]), []);
    assert.deepEqual(await names([{ Name: 'supported-ip-address-types', Values: ['ipv4'] }]), all);
    assert.deepEqual(await names([{ Name: 'tag-key', Values: ['x'] }]), []);
    assert.equal(await errorCode(() => names([{ Name: 'service-id', Values: ['x'] }])), 'InvalidParameterValue');
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await ec2.send(new DescribeVpcEndpointServicesCommand({ MaxResults: 5, NextToken: token }));
      assert.ok(page.ServiceDetails!.length <= 5);
      seen.push(...page.ServiceDetails!.map((d) => `${d.ServiceName}/${d.ServiceType![0]!.ServiceType}`));
      token = page.NextToken;
    } while (token);
    assert.deepEqual(seen, all);
  });
});

describe('VPC endpoints', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  let vpcId: string;
  let otherVpc: string;
  let subnetA: string; // us-east-1a
  let subnetA2: string; // us-east-1a
  let subnetB: string; // us-east-1b
  let subnetC: string; // us-east-1c
  let otherSubnet: string; // other VPC
  let rtb1: string;
  let rtb2: string;
  let rtb3: string;
  let otherRtb: string;
  let sgApp: string;
  let sgOps: string;
  let defaultSg: string;
  let otherSg: string;
  let n = 0;

  const endpoint = async (id: string): Promise<VpcEndpoint> =>
    (await ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }))).VpcEndpoints![0]!;
  const routesTo = async (rtb: string, pl: string) =>
    (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] }))).RouteTables![0]!.Routes!.filter(
      (r) => r.DestinationPrefixListId === pl,
    );
  const gateway = async (input: Partial<ConstructorParameters<typeof CreateVpcEndpointCommand>[0]> = {}) =>
    (
      await ec2.send(
        new CreateVpcEndpointCommand({ VpcId: vpcId, ServiceName: 'com.amazonaws.us-east-1.s3', VpcEndpointType: 'Gateway', ...input }),
      )
    ).VpcEndpoint!;
  const iface = async (service: string, input: Partial<ConstructorParameters<typeof CreateVpcEndpointCommand>[0]> = {}) =>
    (
      await ec2.send(
        new CreateVpcEndpointCommand({
          VpcId: vpcId,
          ServiceName: `com.amazonaws.us-east-1.${service}`,
          VpcEndpointType: 'Interface',
          ...input,
        }),
      )
    ).VpcEndpoint!;
  const subnet = async (vpc: string, cidr: string, az: string) =>
    (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: cidr, AvailabilityZone: az }))).Subnet!.SubnetId!;
  const table = async (vpc: string) => (await ec2.send(new CreateRouteTableCommand({ VpcId: vpc }))).RouteTable!.RouteTableId!;
  const group = async (vpc: string) =>
    (await ec2.send(new CreateSecurityGroupCommand({ GroupName: `vpce-${++n}`, Description: 'endpoint', VpcId: vpc }))).GroupId!;

  before(async () => {
    srv = await startTestServer({ stateTransitionMs: TRANSITION_MS });
    ec2 = srv.ec2();
    vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.60.0.0/16' }))).Vpc!.VpcId!;
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
    otherVpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.61.0.0/16' }))).Vpc!.VpcId!;
    subnetA = await subnet(vpcId, '10.60.1.0/24', 'us-east-1a');
    subnetA2 = await subnet(vpcId, '10.60.2.0/24', 'us-east-1a');
    subnetB = await subnet(vpcId, '10.60.3.0/24', 'us-east-1b');
    subnetC = await subnet(vpcId, '10.60.4.0/24', 'us-east-1c');
    otherSubnet = await subnet(otherVpc, '10.61.1.0/24', 'us-east-1a');
    rtb1 = await table(vpcId);
    rtb2 = await table(vpcId);
    rtb3 = await table(vpcId);
    otherRtb = await table(otherVpc);
    sgApp = await group(vpcId);
    sgOps = await group(vpcId);
    otherSg = await group(otherVpc);
    defaultSg = (
      await ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [vpcId] },
            { Name: 'group-name', Values: ['default'] },
          ],
        }),
      )
    ).SecurityGroups![0]!.GroupId!;
  });
  after(() => srv.close());

  describe('gateway endpoints', () => {
    it('route the service prefix list through the endpoint in each chosen table', async () => {
      const e = await gateway({
        RouteTableIds: [rtb1, rtb2],
        TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: [{ Key: 'Name', Value: 's3' }] }],
      });
      assert.match(e.VpcEndpointId!, /^vpce-[0-9a-f]{17}$/);
      assert.equal(e.VpcEndpointType, 'Gateway');
      assert.equal(e.State, 'available');
      assert.equal(e.VpcId, vpcId);
      assert.equal(e.ServiceName, 'com.amazonaws.us-east-1.s3');
      assert.deepEqual(e.RouteTableIds, [rtb1, rtb2]);
      assert.equal(e.PolicyDocument, GATEWAY_POLICY);
      assert.deepEqual(e.SubnetIds, []);
      assert.deepEqual(e.Groups, []);
      assert.deepEqual(e.NetworkInterfaceIds, []);
      assert.deepEqual(e.DnsEntries, []);
      assert.equal(e.PrivateDnsEnabled, false);
      assert.equal(e.RequesterManaged, false);
      assert.equal(e.OwnerId, ACCOUNT);
      assert.ok(e.CreationTimestamp instanceof Date);
      assert.deepEqual(e.Tags, [{ Key: 'Name', Value: 's3' }]);
      for (const rtb of [rtb1, rtb2]) {
        const [route] = await routesTo(rtb, S3_PL);
        assert.deepEqual(route, { DestinationPrefixListId: S3_PL, GatewayId: e.VpcEndpointId, Origin: 'CreateRoute', State: 'active' });
      }
      assert.deepEqual(await routesTo(rtb3, S3_PL), []);
      const assoc = await ec2.send(new GetManagedPrefixListAssociationsCommand({ PrefixListId: S3_PL }));
      assert.deepEqual(assoc.PrefixListAssociations!.map((a) => a.ResourceId).sort(), [rtb1, rtb2].sort());

      // A second S3 gateway endpoint cannot route through the same table.
      const dup = await apiError(() => gateway({ RouteTableIds: [rtb3, rtb1] }));
      assert.equal(dup.code, 'RouteAlreadyExists');
      assert.equal(dup.message, `route table ${rtb1} already has a route with destination-prefix-list-id ${S3_PL}`);
      assert.deepEqual(await routesTo(rtb3, S3_PL), [], 'a failed call adds no route');
      // DynamoDB has its own list.
      const ddb = await gateway({ ServiceName: 'com.amazonaws.us-east-1.dynamodb', RouteTableIds: [rtb1] });
      assert.equal((await routesTo(rtb1, DDB_PL))[0]!.GatewayId, ddb.VpcEndpointId);

      // Modify: move from rtb2 to rtb3.
      await ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: e.VpcEndpointId, RemoveRouteTableIds: [rtb2], AddRouteTableIds: [rtb3] }));
      assert.deepEqual((await endpoint(e.VpcEndpointId!)).RouteTableIds, [rtb1, rtb3]);
      assert.deepEqual(await routesTo(rtb2, S3_PL), []);
      assert.equal((await routesTo(rtb3, S3_PL))[0]!.GatewayId, e.VpcEndpointId);
      const notThere = await apiError(() =>
        ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: e.VpcEndpointId, RemoveRouteTableIds: [rtb2] })),
      );
      assert.equal(notThere.code, 'InvalidParameter');

      // Policies.
      const custom = '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}';
      await ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: e.VpcEndpointId, PolicyDocument: custom }));
      assert.equal((await endpoint(e.VpcEndpointId!)).PolicyDocument, custom);
      await ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: e.VpcEndpointId, ResetPolicy: true }));
      assert.equal((await endpoint(e.VpcEndpointId!)).PolicyDocument, GATEWAY_POLICY);
      assert.equal(
        await errorCode(() => ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: e.VpcEndpointId, ResetPolicy: true, PolicyDocument: custom }))),
        'InvalidParameterCombination',
      );

      // The VPC cannot go while the endpoint exists.
      assert.equal(await errorCode(() => ec2.send(new DeleteVpcCommand({ VpcId: vpcId }))), 'DependencyViolation');

      // Delete: routes go, the endpoint shows as deleted.
      const del = await ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [e.VpcEndpointId!, ddb.VpcEndpointId!] }));
      assert.deepEqual(del.Unsuccessful, []);
      for (const rtb of [rtb1, rtb3]) assert.deepEqual(await routesTo(rtb, S3_PL), []);
      assert.deepEqual(await routesTo(rtb1, DDB_PL), []);
      assert.equal((await endpoint(e.VpcEndpointId!)).State, 'deleted');
      assert.equal(
        await errorCode(() => ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: e.VpcEndpointId, ResetPolicy: true }))),
        'InvalidVpcEndpointId.NotFound',
      );
      // The table is free for a new S3 endpoint.
      const again = await gateway({ RouteTableIds: [rtb1] });
      await ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [again.VpcEndpointId!] }));
    });

    it('accepts a custom policy and refuses invalid ones', async () => {
      const policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}';
      const e = await gateway({ PolicyDocument: policy });
      assert.equal(e.PolicyDocument, policy);
      assert.deepEqual(e.RouteTableIds, []);
      const bad = await apiError(() => gateway({ PolicyDocument: '{"Statement": [' }));
      assert.equal(bad.code, 'InvalidPolicyDocument');
      assert.match(bad.message, /^The Policy Document is not valid\. Syntax error at position \(1,\d+\)$/);
      assert.equal(await errorCode(() => gateway({ PolicyDocument: '"just a string"' })), 'InvalidPolicyDocument');
      const long = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: 'x'.repeat(20_500) }] });
      assert.equal(await errorCode(() => gateway({ PolicyDocument: long })), 'InvalidPolicyDocument');
      await ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [e.VpcEndpointId!] }));
    });

    it('refuses what a gateway endpoint cannot take', async () => {
      const subnets = await apiError(() => gateway({ SubnetIds: [subnetA] }));
      assert.equal(subnets.code, 'InvalidParameter');
      assert.equal(subnets.message, 'Subnet IDs are only supported for Interface and GatewayLoadBalancer type VPC Endpoints.');
      assert.equal(await errorCode(() => gateway({ SecurityGroupIds: [sgApp] })), 'InvalidParameter');
      assert.equal(await errorCode(() => gateway({ PrivateDnsEnabled: true })), 'InvalidParameter');
      const wrongType = await apiError(() =>
        ec2.send(new CreateVpcEndpointCommand({ VpcId: vpcId, ServiceName: 'com.amazonaws.us-east-1.ec2' })),
      );
      assert.equal(wrongType.code, 'InvalidParameter');
      assert.equal(wrongType.message, 'Endpoint type (Gateway) does not match available service types ([Interface]).');
      assert.equal(await errorCode(() => gateway({ VpcEndpointType: 'GatewayLoadBalancer' })), 'InvalidParameter');
      assert.equal(await errorCode(() => gateway({ VpcEndpointType: 'Bogus' as 'Gateway' })), 'InvalidParameterValue');
      const svc = await apiError(() => gateway({ ServiceName: 'com.amazonaws.us-east-1.s4' }));
      assert.equal(svc.code, 'InvalidServiceName');
      assert.equal(svc.message, "The Vpc Endpoint Service 'com.amazonaws.us-east-1.s4' does not exist");
      const vpc = await apiError(() => gateway({ VpcId: 'vpc-0123456789abcdef0' }));
      assert.equal(vpc.code, 'InvalidVpcId.NotFound');
      assert.equal(await errorCode(() => gateway({ VpcId: 'vpc-nope' })), 'InvalidVpcId.Malformed');
      assert.equal(await errorCode(() => gateway({ RouteTableIds: ['rtb-0123456789abcdef0'] })), 'InvalidRouteTableId.NotFound');
      assert.equal(await errorCode(() => gateway({ RouteTableIds: ['bogus'] })), 'InvalidRouteTableId.Malformed');
      assert.equal(await errorCode(() => gateway({ RouteTableIds: [otherRtb] })), 'InvalidParameter');
      const e = await gateway({ RouteTableIds: [rtb2] });
      for (const input of [{ AddSubnetIds: [subnetA] }, { AddSecurityGroupIds: [sgApp] }, { PrivateDnsEnabled: true }]) {
        assert.equal(
          await errorCode(() => ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: e.VpcEndpointId, ...input }))),
          'InvalidParameter',
        );
      }
      await ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [e.VpcEndpointId!] }));
      assert.deepEqual(await routesTo(rtb2, S3_PL), []);
    });

    it('is idempotent with a client token', async () => {
      const a = await gateway({ ClientToken: 'gw-token', RouteTableIds: [rtb3] });
      const b = await ec2.send(
        new CreateVpcEndpointCommand({
          VpcId: vpcId,
          ServiceName: 'com.amazonaws.us-east-1.s3',
          VpcEndpointType: 'Gateway',
          ClientToken: 'gw-token',
          RouteTableIds: [rtb3],
        }),
      );
      assert.equal(b.VpcEndpoint!.VpcEndpointId, a.VpcEndpointId);
      assert.equal(b.ClientToken, 'gw-token');
      assert.equal((await routesTo(rtb3, S3_PL)).length, 1);
      assert.equal(await errorCode(() => gateway({ ClientToken: 'gw-token', RouteTableIds: [rtb2] })), 'IdempotentParameterMismatch');
      await ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [a.VpcEndpointId!] }));
    });
  });

  describe('interface endpoints', () => {
    it('put a requester-managed interface in each subnet, with DNS names, and become available', async () => {
      const e = await iface('ec2', { SubnetIds: [subnetA, subnetB], SecurityGroupIds: [sgApp] });
      const id = e.VpcEndpointId!;
      assert.equal(e.State, 'pending');
      assert.equal(e.VpcEndpointType, 'Interface');
      assert.deepEqual(e.SubnetIds, [subnetA, subnetB]);
      assert.deepEqual(e.Groups, [{ GroupId: sgApp, GroupName: 'vpce-1' }]);
      assert.equal(e.PrivateDnsEnabled, true);
      assert.equal(e.IpAddressType, 'ipv4');
      assert.deepEqual(e.DnsOptions, { DnsRecordIpType: 'ipv4' });
      assert.deepEqual(e.RouteTableIds, []);
      assert.match(e.PolicyDocument!, /"Action": "\*"/);
      assert.deepEqual(JSON.parse(e.PolicyDocument!), { Statement: [{ Action: '*', Effect: 'Allow', Principal: '*', Resource: '*' }] });
      assert.equal(e.NetworkInterfaceIds!.length, 2);

      const dns = e.DnsEntries!;
      assert.equal(dns.length, 4);
      assert.match(dns[0]!.DnsName!, new RegExp(`^${id}-[a-z0-9]{8}\\.ec2\\.us-east-1\\.vpce\\.amazonaws\\.com$`));
      assert.equal(dns[0]!.HostedZoneId, 'Z7HUB22UULQXV');
      const label = dns[0]!.DnsName!.split('.')[0]!;
      assert.equal(dns[1]!.DnsName, `${label}-us-east-1a.ec2.us-east-1.vpce.amazonaws.com`);
      assert.equal(dns[2]!.DnsName, `${label}-us-east-1b.ec2.us-east-1.vpce.amazonaws.com`);
      assert.equal(dns[3]!.DnsName, 'ec2.us-east-1.amazonaws.com');
      assert.match(dns[3]!.HostedZoneId!, /^Z[0-9A-Z]+$/);
      assert.notEqual(dns[3]!.HostedZoneId, 'Z7HUB22UULQXV');

      const { NetworkInterfaces } = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: e.NetworkInterfaceIds }));
      assert.deepEqual(NetworkInterfaces!.map((x) => x.SubnetId).sort(), [subnetA, subnetB].sort());
      for (const eni of NetworkInterfaces!) {
        assert.equal(eni.InterfaceType, 'vpc_endpoint');
        assert.equal(eni.Description, `VPC Endpoint Interface ${id}`);
        assert.equal(eni.RequesterManaged, true);
        assert.equal(eni.RequesterId, '727180483921');
        assert.equal(eni.Status, 'in-use');
        assert.deepEqual(eni.Groups, [{ GroupId: sgApp, GroupName: 'vpce-1' }]);
        assert.equal(eni.VpcId, vpcId);
      }
      assert.equal(
        await errorCode(() => ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: e.NetworkInterfaceIds![0] }))),
        'InvalidParameterValue',
      );
      assert.equal(await errorCode(() => ec2.send(new DeleteSecurityGroupCommand({ GroupId: sgApp }))), 'DependencyViolation');

      await wait(TRANSITION_MS + 50);
      assert.equal((await endpoint(id)).State, 'available');

      // Subnets and groups change the interfaces.
      await ec2.send(
        new ModifyVpcEndpointCommand({ VpcEndpointId: id, AddSubnetIds: [subnetC], RemoveSubnetIds: [subnetA], AddSecurityGroupIds: [sgOps] }),
      );
      const changed = await endpoint(id);
      assert.deepEqual(changed.SubnetIds, [subnetB, subnetC]);
      assert.deepEqual(changed.Groups!.map((g) => g.GroupId), [sgApp, sgOps]);
      const enis = (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: changed.NetworkInterfaceIds }))).NetworkInterfaces!;
      assert.deepEqual(enis.map((x) => x.SubnetId).sort(), [subnetB, subnetC].sort());
      for (const eni of enis) assert.deepEqual(eni.Groups!.map((g) => g.GroupId).sort(), [sgApp, sgOps].sort());
      const removed = e.NetworkInterfaceIds!.find((x) => !changed.NetworkInterfaceIds!.includes(x))!;
      assert.equal(
        await errorCode(() => ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [removed] }))),
        'InvalidNetworkInterfaceID.NotFound',
      );
      assert.ok(changed.DnsEntries!.some((d) => d.DnsName!.includes('-us-east-1c.')));
      assert.ok(!changed.DnsEntries!.some((d) => d.DnsName!.includes('-us-east-1a.')));

      await ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, RemoveSecurityGroupIds: [sgApp] }));
      assert.deepEqual((await endpoint(id)).Groups!.map((g) => g.GroupId), [sgOps]);
      assert.equal(
        await errorCode(() => ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, RemoveSecurityGroupIds: [sgOps] }))),
        'InvalidParameter',
      );
      assert.equal(
        await errorCode(() => ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, RemoveSecurityGroupIds: [sgApp] }))),
        'InvalidParameter',
      );
      assert.equal(
        await errorCode(() => ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, AddSubnetIds: [subnetA2, subnetA] }))),
        'DuplicateSubnetsInSameZone',
      );
      assert.equal(
        await errorCode(() => ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, RemoveSubnetIds: [subnetA] }))),
        'InvalidParameter',
      );
      assert.equal(
        await errorCode(() => ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, AddRouteTableIds: [rtb1] }))),
        'InvalidParameter',
      );

      // Private DNS off: the service name leaves the DNS entries.
      await ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, PrivateDnsEnabled: false }));
      const plain = await endpoint(id);
      assert.equal(plain.PrivateDnsEnabled, false);
      assert.ok(!plain.DnsEntries!.some((d) => d.DnsName === 'ec2.us-east-1.amazonaws.com'));

      // Delete: deleting, then deleted; the interfaces go at once.
      const enisBefore = plain.NetworkInterfaceIds!;
      assert.deepEqual((await ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [id] }))).Unsuccessful, []);
      const deleting = await endpoint(id);
      assert.equal(deleting.State, 'deleting');
      assert.deepEqual(deleting.NetworkInterfaceIds, []);
      assert.deepEqual(deleting.DnsEntries, []);
      const left = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: enisBefore }] }));
      assert.deepEqual(left.NetworkInterfaces, []);
      await wait(TRANSITION_MS + 50);
      assert.equal((await endpoint(id)).State, 'deleted');
      await ec2.send(new DeleteSecurityGroupCommand({ GroupId: sgApp }));
      sgApp = await group(vpcId);
    });

    it('use the VPC default security group when none is given', async () => {
      const e = await iface('sts', { SubnetIds: [subnetA] });
      assert.deepEqual(e.Groups, [{ GroupId: defaultSg, GroupName: 'default' }]);
      const eni = (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: e.NetworkInterfaceIds }))).NetworkInterfaces![0]!;
      assert.deepEqual(eni.Groups, [{ GroupId: defaultSg, GroupName: 'default' }]);
      await ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [e.VpcEndpointId!] }));
    });

    it('need DNS support and hostnames for private DNS, and one owner of the names per VPC', async () => {
      const plainVpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.62.0.0/16' }))).Vpc!.VpcId!;
      const noDns = await apiError(() => iface('ssm', { VpcId: plainVpc }));
      assert.equal(noDns.code, 'InvalidParameter');
      assert.equal(
        noDns.message,
        `Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for ${plainVpc}`,
      );
      const off = await iface('ssm', { VpcId: plainVpc, PrivateDnsEnabled: false });
      assert.equal(off.PrivateDnsEnabled, false);
      assert.equal(off.DnsEntries!.length, 1, 'only the regional name without subnets');

      const first = await iface('kms', { SubnetIds: [subnetA] });
      const conflict = await apiError(() => iface('kms', { SubnetIds: [subnetB] }));
      assert.equal(conflict.code, 'InvalidParameter');
      assert.equal(
        conflict.message,
        `private-dns-enabled cannot be set because there is already a conflicting DNS domain for kms.us-east-1.amazonaws.com in the VPC ${vpcId}`,
      );
      const second = await iface('kms', { SubnetIds: [subnetB], PrivateDnsEnabled: false });
      assert.equal(
        await errorCode(() => ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: second.VpcEndpointId, PrivateDnsEnabled: true }))),
        'InvalidParameter',
      );
      const noNames = await apiError(() => iface('dynamodb', { PrivateDnsEnabled: true }));
      assert.equal(noNames.code, 'InvalidParameter');
      assert.match(noNames.message, /does not provide a private DNS name/);
      const s3 = await apiError(() =>
        iface('s3', { PrivateDnsEnabled: true, DnsOptions: { PrivateDnsOnlyForInboundResolverEndpoint: true } }),
      );
      assert.equal(s3.message, `To set PrivateDnsOnlyForInboundResolverEndpoint to true, the VPC ${vpcId} must have a Gateway endpoint for the service.`);
      const s3Iface = await iface('s3', { SubnetIds: [subnetC] });
      assert.equal(s3Iface.PrivateDnsEnabled, false);
      assert.match(s3Iface.DnsEntries![0]!.DnsName!, /^\*\.vpce-[0-9a-f]{17}-[a-z0-9]{8}\.s3\.us-east-1\.vpce\.amazonaws\.com$/);
      assert.deepEqual(s3Iface.DnsOptions, { DnsRecordIpType: 'ipv4', PrivateDnsOnlyForInboundResolverEndpoint: false });
      await ec2.send(
        new DeleteVpcEndpointsCommand({
          VpcEndpointIds: [off.VpcEndpointId!, first.VpcEndpointId!, second.VpcEndpointId!, s3Iface.VpcEndpointId!],
        }),
      );
    });

    it('refuse subnets and groups that do not fit', async () => {
      const dup = await apiError(() => iface('logs', { SubnetIds: [subnetA, subnetA2] }));
      assert.equal(dup.code, 'DuplicateSubnetsInSameZone');
      assert.equal(
        dup.message,
        `Found another VPC endpoint subnet in the availability zone of ${subnetA2}. VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service.`,
      );
      assert.equal(await errorCode(() => iface('logs', { SubnetIds: [otherSubnet] })), 'InvalidParameter');
      assert.equal(await errorCode(() => iface('logs', { SubnetIds: ['subnet-0123456789abcdef0'] })), 'InvalidSubnetID.NotFound');
      assert.equal(await errorCode(() => iface('logs', { SubnetIds: ['subnet-x'] })), 'InvalidSubnetId.Malformed');
      assert.equal(await errorCode(() => iface('logs', { SubnetIds: [subnetA], SecurityGroupIds: [otherSg] })), 'InvalidParameter');
      assert.equal(
        await errorCode(() => iface('logs', { SubnetIds: [subnetA], SecurityGroupIds: ['sg-0123456789abcdef0'] })),
        'InvalidGroup.NotFound',
      );
      const rt = await apiError(() => iface('logs', { RouteTableIds: [rtb1] }));
      assert.equal(rt.code, 'InvalidParameter');
      assert.equal(rt.message, 'Route table IDs are only supported for Gateway type VPC Endpoint.');
      assert.equal(await errorCode(() => iface('logs', { IpAddressType: 'dualstack' })), 'InvalidParameter');
      assert.equal(await errorCode(() => iface('logs', { IpAddressType: 'ipv5' as 'ipv4' })), 'InvalidParameterValue');
      const wrong = await apiError(() => iface('logs', { ServiceName: 'com.amazonaws.us-east-1.sqs', VpcEndpointType: 'Gateway' }));
      assert.equal(wrong.message, 'Endpoint type (Gateway) does not match available service types ([Interface]).');
      const left = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'interface-type', Values: ['vpc_endpoint'] }] }));
      assert.deepEqual(left.NetworkInterfaces, [], 'failed calls leave no interface behind');
    });
  });

  describe('describe and delete', () => {
    it('filters by every documented filter and pages', async () => {
      const gw = await gateway({ RouteTableIds: [rtb2], TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: [{ Key: 'k', Value: 'gw' }] }] });
      const ep = await iface('sqs', { SubnetIds: [subnetA] });
      const other = (
        await ec2.send(
          new CreateVpcEndpointCommand({ VpcId: otherVpc, ServiceName: 'com.amazonaws.us-east-1.dynamodb', RouteTableIds: [otherRtb] }),
        )
      ).VpcEndpoint!;
      const ids = async (filters: Array<{ Name: string; Values: string[] }>) =>
        (await ec2.send(new DescribeVpcEndpointsCommand({ Filters: [...filters, { Name: 'vpc-endpoint-state', Values: ['available', 'pending'] }] })))
          .VpcEndpoints!.map((e) => e.VpcEndpointId)
          .sort();
      assert.deepEqual(await ids([{ Name: 'vpc-endpoint-type', Values: ['Interface'] }]), [ep.VpcEndpointId]);
      assert.deepEqual(await ids([{ Name: 'vpc-endpoint-type', Values: ['Gateway'] }]), [gw.VpcEndpointId, other.VpcEndpointId].sort());
      assert.deepEqual(await ids([{ Name: 'service-name', Values: ['com.amazonaws.us-east-1.dynamodb'] }]), [other.VpcEndpointId]);
      assert.deepEqual(await ids([{ Name: 'vpc-id', Values: [otherVpc] }]), [other.VpcEndpointId]);
      assert.deepEqual(await ids([{ Name: 'vpc-endpoint-id', Values: [gw.VpcEndpointId!] }]), [gw.VpcEndpointId]);
      assert.deepEqual(await ids([{ Name: 'vpc-endpoint-state', Values: ['pending'] }]), [ep.VpcEndpointId]);
      assert.deepEqual(await ids([{ Name: 'ip-address-type', Values: ['ipv4'] }]), [gw.VpcEndpointId, ep.VpcEndpointId, other.VpcEndpointId].sort());
      assert.deepEqual(await ids([{ Name: 'service-region', Values: ['us-west-2'] }]), []);
      assert.deepEqual(await ids([{ Name: 'tag:k', Values: ['gw'] }]), [gw.VpcEndpointId]);
      assert.deepEqual(await ids([{ Name: 'tag-key', Values: ['k'] }]), [gw.VpcEndpointId]);
      assert.equal(await errorCode(() => ids([{ Name: 'vpc-endpoint-owner', Values: ['x'] }])), 'InvalidParameterValue');
      const deleted = (await ec2.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-endpoint-state', Values: ['deleted'] }] })))
        .VpcEndpoints!;
      assert.ok(deleted.length > 0 && deleted.every((e) => (e.State as string) === 'deleted'));

      const all = (await ec2.send(new DescribeVpcEndpointsCommand({}))).VpcEndpoints!.map((e) => e.VpcEndpointId);
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await ec2.send(new DescribeVpcEndpointsCommand({ MaxResults: 2, NextToken: token }));
        assert.ok(page.VpcEndpoints!.length <= 2);
        seen.push(...page.VpcEndpoints!.map((e) => e.VpcEndpointId!));
        token = page.NextToken;
      } while (token);
      assert.deepEqual(seen, all);

      const missing = await apiError(() => ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: ['vpce-0123456789abcdef0'] })));
      assert.equal(missing.code, 'InvalidVpcEndpointId.NotFound');
      assert.equal(missing.message, "The Vpc Endpoint Id 'vpce-0123456789abcdef0' does not exist");
      assert.equal(
        await errorCode(() => ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: ['vpce-bad'] }))),
        'InvalidVpcEndpointId.Malformed',
      );

      const del = await ec2.send(
        new DeleteVpcEndpointsCommand({ VpcEndpointIds: [gw.VpcEndpointId!, 'vpce-0123456789abcdef0', ep.VpcEndpointId!, other.VpcEndpointId!] }),
      );
      assert.deepEqual(del.Unsuccessful, [
        {
          ResourceId: 'vpce-0123456789abcdef0',
          Error: { Code: 'InvalidVpcEndpointId.NotFound', Message: "The Vpc Endpoint Id 'vpce-0123456789abcdef0' does not exist" },
        },
      ]);
      const twice = await ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [gw.VpcEndpointId!] }));
      assert.equal(twice.Unsuccessful![0]!.Error!.Code, 'InvalidVpcEndpointId.NotFound');
      assert.equal((await endpoint(gw.VpcEndpointId!)).State, 'deleted');
    });
  });
});

describe('VPC endpoint quotas', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({
      stateTransitionMs: 0,
      quotas: { ...DEFAULT_QUOTAS, gatewayEndpointsPerRegion: 1, interfaceEndpointsPerVpc: 1 },
    });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('counts gateway endpoints per region and interface endpoints per VPC', async () => {
    const vpcA = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.70.0.0/16' }))).Vpc!.VpcId!;
    const vpcB = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.71.0.0/16' }))).Vpc!.VpcId!;
    const gw = (await ec2.send(new CreateVpcEndpointCommand({ VpcId: vpcA, ServiceName: 'com.amazonaws.us-east-1.s3' }))).VpcEndpoint!;
    const second = await apiError(() => ec2.send(new CreateVpcEndpointCommand({ VpcId: vpcB, ServiceName: 'com.amazonaws.us-east-1.dynamodb' })));
    assert.equal(second.code, 'VpcEndpointLimitExceeded');
    const make = (vpc: string) =>
      ec2.send(
        new CreateVpcEndpointCommand({
          VpcId: vpc,
          ServiceName: 'com.amazonaws.us-east-1.sns',
          VpcEndpointType: 'Interface',
          PrivateDnsEnabled: false,
        }),
      );
    await make(vpcA);
    assert.equal(await errorCode(() => make(vpcA)), 'VpcEndpointLimitExceeded');
    await make(vpcB);
    // A deleted endpoint no longer counts.
    await ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [gw.VpcEndpointId!] }));
    await ec2.send(new CreateVpcEndpointCommand({ VpcId: vpcB, ServiceName: 'com.amazonaws.us-east-1.dynamodb' }));
  });
});
