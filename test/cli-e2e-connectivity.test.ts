/**
 * End to end with the AWS CLI: connecting VPCs to the world as a user does it from a shell —
 * NAT gateways with the CLI's waiters, VPC peering (one account and two), VPC endpoints,
 * managed prefix lists, Site-to-Site VPN with route propagation and tunnel failover, and
 * Direct Connect — asserting on the JSON the CLI prints and the error codes it reports.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_QUOTAS } from '../src/config.js';
import { awsCli } from './cli.js';
import { startTestServer, type TestServer } from './helpers.js';

interface Route {
  DestinationCidrBlock?: string;
  DestinationPrefixListId?: string;
  GatewayId?: string;
  NatGatewayId?: string;
  VpcPeeringConnectionId?: string;
  Origin: string;
  State: string;
}

// The scenarios share nothing but the server, so two at a time run side by side as two shells would.
describe('AWS CLI end to end: NAT gateways, peering, endpoints, prefix lists, VPN, Direct Connect', { concurrency: 2 }, () => {
  let srv: TestServer;
  const { aws, ok, fails } = awsCli(() => srv.endpoint);

  before(async () => {
    srv = await startTestServer({ stateTransitionMs: 200, quotas: { ...DEFAULT_QUOTAS, vpcsPerRegion: 20 } });
  });
  after(() => srv.close());

  async function mainRouteTable(vpcId: string, opts?: { accessKey?: string }): Promise<string> {
    const ids = await ok(
      ['ec2', 'describe-route-tables', '--filters', `Name=vpc-id,Values=${vpcId}`, 'Name=association.main,Values=true', '--query', 'RouteTables[].RouteTableId'],
      opts,
    );
    assert.equal(ids.length, 1);
    return ids[0];
  }

  async function routes(routeTableId: string): Promise<Route[]> {
    return ok(['ec2', 'describe-route-tables', '--route-table-ids', routeTableId, '--query', 'RouteTables[0].Routes']);
  }

  it('gives a private subnet a NAT gateway, waits for it, routes through it, and leaves a blackhole when it is deleted', async () => {
    const vpcId = (await ok(['ec2', 'create-vpc', '--cidr-block', '10.10.0.0/16'])).Vpc.VpcId;
    const [subnet, igw, eip, rt] = await Promise.all([
      ok(['ec2', 'create-subnet', '--vpc-id', vpcId, '--cidr-block', '10.10.1.0/24', '--availability-zone', 'us-east-1a']),
      ok(['ec2', 'create-internet-gateway']),
      ok(['ec2', 'allocate-address', '--domain', 'vpc']),
      ok(['ec2', 'create-route-table', '--vpc-id', vpcId]),
    ]);
    const subnetId: string = subnet.Subnet.SubnetId;
    const igwId: string = igw.InternetGateway.InternetGatewayId;
    const rtId: string = rt.RouteTable.RouteTableId;

    // Without an internet gateway a public NAT gateway fails, and the waiter says so.
    const early = (await ok(['ec2', 'create-nat-gateway', '--subnet-id', subnetId, '--allocation-id', eip.AllocationId])).NatGateway;
    const waited = await aws(['ec2', 'wait', 'nat-gateway-available', '--nat-gateway-ids', early.NatGatewayId]);
    assert.notEqual(waited.code, 0);
    assert.match(waited.stderr, /Waiter NatGatewayAvailable failed: .*terminal failure state/);
    const failed = (await ok(['ec2', 'describe-nat-gateways', '--nat-gateway-ids', early.NatGatewayId])).NatGateways[0];
    assert.deepEqual([failed.State, failed.FailureCode], ['failed', 'Gateway.NotAttached']);

    await ok(['ec2', 'attach-internet-gateway', '--internet-gateway-id', igwId, '--vpc-id', vpcId]);
    const created = await ok([
      'ec2', 'create-nat-gateway', '--subnet-id', subnetId, '--allocation-id', eip.AllocationId,
      '--tag-specifications', 'ResourceType=natgateway,Tags=[{Key=Name,Value=egress}]',
    ]);
    const nat = created.NatGateway;
    assert.match(nat.NatGatewayId, /^nat-[0-9a-f]{17}$/);
    assert.deepEqual([nat.State, nat.SubnetId, nat.VpcId, nat.ConnectivityType], ['pending', subnetId, vpcId, 'public']);
    assert.deepEqual(nat.Tags, [{ Key: 'Name', Value: 'egress' }]);

    await ok(['ec2', 'wait', 'nat-gateway-available', '--nat-gateway-ids', nat.NatGatewayId]);
    const [shown, address] = await Promise.all([
      ok(['ec2', 'describe-nat-gateways', '--filter', 'Name=tag:Name,Values=egress', 'Name=state,Values=available']),
      ok(['ec2', 'describe-addresses', '--allocation-ids', eip.AllocationId]),
    ]);
    assert.equal(shown.NatGateways.length, 1);
    const available = shown.NatGateways[0];
    assert.equal(available.NatGatewayId, nat.NatGatewayId);
    assert.equal(available.NatGatewayAddresses.length, 1);
    const natAddress = available.NatGatewayAddresses[0];
    assert.equal(natAddress.AllocationId, eip.AllocationId);
    assert.equal(natAddress.PublicIp, eip.PublicIp);
    assert.match(natAddress.PrivateIp, /^10\.10\.1\.\d+$/);
    assert.match(natAddress.NetworkInterfaceId, /^eni-/);
    assert.equal(address.Addresses[0].NetworkInterfaceId, natAddress.NetworkInterfaceId, 'the Elastic IP sits on the NAT gateway interface');
    assert.equal(address.Addresses[0].PrivateIpAddress, natAddress.PrivateIp);

    await ok(['ec2', 'create-route', '--route-table-id', rtId, '--destination-cidr-block', '0.0.0.0/0', '--nat-gateway-id', nat.NatGatewayId]);
    const natRoute = (await routes(rtId)).find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
    assert.deepEqual(natRoute, { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat.NatGatewayId, Origin: 'CreateRoute', State: 'active' });

    assert.deepEqual(await ok(['ec2', 'delete-nat-gateway', '--nat-gateway-id', nat.NatGatewayId]), { NatGatewayId: nat.NatGatewayId });
    await ok(['ec2', 'wait', 'nat-gateway-deleted', '--nat-gateway-ids', nat.NatGatewayId]);
    const [deleted, afterDelete] = await Promise.all([
      ok(['ec2', 'describe-nat-gateways', '--nat-gateway-ids', nat.NatGatewayId, '--query', 'NatGateways[0].State']),
      routes(rtId),
    ]);
    assert.equal(deleted, 'deleted');
    assert.deepEqual(
      afterDelete.map((r) => [r.DestinationCidrBlock, r.NatGatewayId ?? r.GatewayId, r.State]),
      [
        ['10.10.0.0/16', 'local', 'active'],
        ['0.0.0.0/0', nat.NatGatewayId, 'blackhole'],
      ],
    );
    // The Elastic IP is free again.
    await ok(['ec2', 'release-address', '--allocation-id', eip.AllocationId]);
  });

  it('peers two VPCs of one account and routes between them; overlapping ranges fail', async () => {
    const [a, b, overlapping] = await Promise.all([
      ok(['ec2', 'create-vpc', '--cidr-block', '10.21.0.0/16']),
      ok(['ec2', 'create-vpc', '--cidr-block', '10.22.0.0/16']),
      ok(['ec2', 'create-vpc', '--cidr-block', '10.21.128.0/17']),
    ]);
    const vpcA: string = a.Vpc.VpcId;
    const vpcB: string = b.Vpc.VpcId;
    const request = (await ok(['ec2', 'create-vpc-peering-connection', '--vpc-id', vpcA, '--peer-vpc-id', vpcB])).VpcPeeringConnection;
    const pcx: string = request.VpcPeeringConnectionId;
    assert.match(pcx, /^pcx-[0-9a-f]{17}$/);
    assert.equal(request.Status.Code, 'initiating-request');
    assert.deepEqual([request.RequesterVpcInfo.VpcId, request.RequesterVpcInfo.CidrBlock, request.AccepterVpcInfo.VpcId], [vpcA, '10.21.0.0/16', vpcB]);

    const accepted = (await ok(['ec2', 'accept-vpc-peering-connection', '--vpc-peering-connection-id', pcx])).VpcPeeringConnection;
    assert.equal(accepted.AccepterVpcInfo.CidrBlock, '10.22.0.0/16');
    const [active, rtA, rtB] = await Promise.all([
      ok(['ec2', 'describe-vpc-peering-connections', '--filters', `Name=requester-vpc-info.vpc-id,Values=${vpcA}`, 'Name=status-code,Values=active']),
      mainRouteTable(vpcA),
      mainRouteTable(vpcB),
    ]);
    assert.deepEqual(active.VpcPeeringConnections.map((p: { VpcPeeringConnectionId: string }) => p.VpcPeeringConnectionId), [pcx]);
    assert.deepEqual(active.VpcPeeringConnections[0].Status, { Code: 'active', Message: 'Active' });

    await Promise.all([
      ok(['ec2', 'create-route', '--route-table-id', rtA, '--destination-cidr-block', '10.22.0.0/16', '--vpc-peering-connection-id', pcx]),
      ok(['ec2', 'create-route', '--route-table-id', rtB, '--destination-cidr-block', '10.21.0.0/16', '--vpc-peering-connection-id', pcx]),
    ]);
    const viaPeering = await ok([
      'ec2', 'describe-route-tables', '--filters', `Name=route.vpc-peering-connection-id,Values=${pcx}`,
      '--query', 'RouteTables[].{Id:RouteTableId,Routes:Routes[?VpcPeeringConnectionId].[DestinationCidrBlock,State]}',
    ]);
    assert.deepEqual(
      viaPeering.sort((x: { Id: string }, y: { Id: string }) => (x.Id === rtA ? -1 : y.Id === rtA ? 1 : 0)),
      [
        { Id: rtA, Routes: [['10.22.0.0/16', 'active']] },
        { Id: rtB, Routes: [['10.21.0.0/16', 'active']] },
      ],
    );

    const clash = (await ok(['ec2', 'create-vpc-peering-connection', '--vpc-id', vpcA, '--peer-vpc-id', overlapping.Vpc.VpcId])).VpcPeeringConnection;
    const status = await ok(['ec2', 'describe-vpc-peering-connections', '--vpc-peering-connection-ids', clash.VpcPeeringConnectionId, '--query', 'VpcPeeringConnections[0].Status']);
    assert.equal(status.Code, 'failed');
    assert.match(status.Message, /overlapping CIDR/);
    await fails(['ec2', 'accept-vpc-peering-connection', '--vpc-peering-connection-id', clash.VpcPeeringConnectionId], 'InvalidStateTransition');
  });

  it('peers VPCs of two accounts: the requester names the owner, only the accepter accepts', async () => {
    const alice = { accessKey: '111111111111' };
    const bob = { accessKey: '222222222222' };
    const [va, vb] = await Promise.all([
      ok(['ec2', 'create-vpc', '--cidr-block', '10.31.0.0/16'], alice),
      ok(['ec2', 'create-vpc', '--cidr-block', '10.32.0.0/16'], bob),
    ]);
    const request = (
      await ok(['ec2', 'create-vpc-peering-connection', '--vpc-id', va.Vpc.VpcId, '--peer-vpc-id', vb.Vpc.VpcId, '--peer-owner-id', '222222222222'], alice)
    ).VpcPeeringConnection;
    const pcx: string = request.VpcPeeringConnectionId;
    assert.deepEqual([request.RequesterVpcInfo.OwnerId, request.AccepterVpcInfo.OwnerId], ['111111111111', '222222222222']);

    const [pending, strangers] = await Promise.all([
      ok(['ec2', 'describe-vpc-peering-connections', '--filters', 'Name=status-code,Values=pending-acceptance'], bob),
      aws(['ec2', 'describe-vpc-peering-connections', '--vpc-peering-connection-ids', pcx]),
    ]);
    assert.deepEqual(pending.VpcPeeringConnections.map((p: { VpcPeeringConnectionId: string }) => p.VpcPeeringConnectionId), [pcx]);
    assert.deepEqual(pending.VpcPeeringConnections[0].Status, { Code: 'pending-acceptance', Message: 'Pending Acceptance by 222222222222' });
    assert.notEqual(strangers.code, 0, 'a third account does not see it');
    assert.match(strangers.stderr, /\(InvalidVpcPeeringConnectionID\.NotFound\)/);

    await fails(['ec2', 'accept-vpc-peering-connection', '--vpc-peering-connection-id', pcx], 'OperationNotPermitted', alice);
    const accepted = (await ok(['ec2', 'accept-vpc-peering-connection', '--vpc-peering-connection-id', pcx], bob)).VpcPeeringConnection;
    assert.equal(accepted.AccepterVpcInfo.CidrBlock, '10.32.0.0/16');
    const seen = await ok(['ec2', 'describe-vpc-peering-connections', '--vpc-peering-connection-ids', pcx, '--query', 'VpcPeeringConnections[0].[Status.Code,AccepterVpcInfo.OwnerId]'], alice);
    assert.deepEqual(seen, ['active', '222222222222']);
  });

  it('reaches S3 through a gateway endpoint and SSM through an interface endpoint with private DNS', async () => {
    const [gatewayServices, vpc] = await Promise.all([
      ok(['ec2', 'describe-vpc-endpoint-services', '--filters', 'Name=service-type,Values=Gateway', '--query', 'ServiceNames']),
      ok(['ec2', 'create-vpc', '--cidr-block', '10.40.0.0/16']),
    ]);
    assert.deepEqual(gatewayServices, ['com.amazonaws.us-east-1.dynamodb', 'com.amazonaws.us-east-1.s3']);
    const vpcId: string = vpc.Vpc.VpcId;
    const [subnet, rt] = await Promise.all([
      ok(['ec2', 'create-subnet', '--vpc-id', vpcId, '--cidr-block', '10.40.1.0/24', '--availability-zone', 'us-east-1a']),
      ok(['ec2', 'create-route-table', '--vpc-id', vpcId]),
    ]);
    const subnetId: string = subnet.Subnet.SubnetId;
    const rtId: string = rt.RouteTable.RouteTableId;

    const gateway = (
      await ok(['ec2', 'create-vpc-endpoint', '--vpc-id', vpcId, '--service-name', 'com.amazonaws.us-east-1.s3', '--route-table-ids', rtId])
    ).VpcEndpoint;
    assert.match(gateway.VpcEndpointId, /^vpce-[0-9a-f]{17}$/);
    assert.deepEqual([gateway.VpcEndpointType, gateway.State, gateway.RouteTableIds], ['Gateway', 'available', [rtId]]);
    const [withEndpoint, s3List] = await Promise.all([
      routes(rtId),
      ok(['ec2', 'describe-prefix-lists', '--filters', 'Name=prefix-list-name,Values=com.amazonaws.us-east-1.s3']),
    ]);
    const plId: string = s3List.PrefixLists[0].PrefixListId;
    assert.match(plId, /^pl-[0-9a-f]+$/);
    assert.ok(s3List.PrefixLists[0].Cidrs.length > 0);
    assert.deepEqual(
      withEndpoint.find((r) => r.DestinationPrefixListId),
      { DestinationPrefixListId: plId, GatewayId: gateway.VpcEndpointId, Origin: 'CreateRoute', State: 'active' },
    );

    const ssm = ['ec2', 'create-vpc-endpoint', '--vpc-id', vpcId, '--vpc-endpoint-type', 'Interface', '--service-name', 'com.amazonaws.us-east-1.ssm', '--subnet-ids', subnetId, '--private-dns-enabled'];
    const refused = await fails(ssm, 'InvalidParameter');
    assert.match(refused, /enableDnsHostnames/);
    await ok(['ec2', 'modify-vpc-attribute', '--vpc-id', vpcId, '--enable-dns-hostnames', '{"Value":true}']);
    const [ssmService, created] = await Promise.all([
      ok(['ec2', 'describe-vpc-endpoint-services', '--service-names', 'com.amazonaws.us-east-1.ssm', '--query', 'ServiceDetails[].[ServiceType[0].ServiceType,PrivateDnsName]']),
      ok(ssm),
    ]);
    assert.deepEqual(ssmService, [['Interface', 'ssm.us-east-1.amazonaws.com']]);
    const iface = created.VpcEndpoint;
    assert.deepEqual([iface.VpcEndpointType, iface.State, iface.PrivateDnsEnabled, iface.SubnetIds], ['Interface', 'pending', true, [subnetId]]);
    const dnsNames: string[] = iface.DnsEntries.map((d: { DnsName: string }) => d.DnsName);
    assert.ok(dnsNames.includes('ssm.us-east-1.amazonaws.com'), dnsNames.join(' '));
    assert.ok(dnsNames.some((n) => n.startsWith(`${iface.VpcEndpointId}-`) && n.endsWith('.ssm.us-east-1.vpce.amazonaws.com')), dnsNames.join(' '));
    assert.equal(iface.NetworkInterfaceIds.length, 1);
    const eniId: string = iface.NetworkInterfaceIds[0];

    const [state, eni] = await Promise.all([
      ok(['ec2', 'describe-vpc-endpoints', '--filters', `Name=vpc-id,Values=${vpcId}`, '--query', 'VpcEndpoints[].[VpcEndpointId,State]']),
      ok(['ec2', 'describe-network-interfaces', '--network-interface-ids', eniId]),
    ]);
    assert.deepEqual(
      state.sort(),
      [
        [gateway.VpcEndpointId, 'available'],
        [iface.VpcEndpointId, 'available'],
      ].sort(),
    );
    const ni = eni.NetworkInterfaces[0];
    assert.deepEqual([ni.InterfaceType, ni.RequesterManaged, ni.SubnetId], ['vpc_endpoint', true, subnetId]);
    assert.match(ni.Description, new RegExp(`^VPC Endpoint Interface ${iface.VpcEndpointId}$`));
    await fails(['ec2', 'delete-network-interface', '--network-interface-id', eniId], 'InvalidParameterValue');

    const removed = await ok(['ec2', 'delete-vpc-endpoints', '--vpc-endpoint-ids', gateway.VpcEndpointId, iface.VpcEndpointId, 'vpce-0123456789abcdef0']);
    assert.deepEqual(removed.Unsuccessful.map((u: { ResourceId: string; Error: { Code: string } }) => [u.ResourceId, u.Error.Code]), [
      ['vpce-0123456789abcdef0', 'InvalidVpcEndpointId.NotFound'],
    ]);
    const [leftRoutes, gone] = await Promise.all([
      routes(rtId),
      aws(['ec2', 'describe-network-interfaces', '--network-interface-ids', eniId]),
    ]);
    assert.deepEqual(leftRoutes.map((r) => r.DestinationCidrBlock ?? r.DestinationPrefixListId), ['10.40.0.0/16'], 'the prefix list route went with the endpoint');
    assert.notEqual(gone.code, 0, 'the endpoint interface went with it');
    assert.match(gone.stderr, /\(InvalidNetworkInterfaceID\.NotFound\)/);
  });

  it('keeps office ranges in a managed prefix list with versions', async () => {
    const created = (
      await ok(['ec2', 'create-managed-prefix-list', '--prefix-list-name', 'offices', '--max-entries', '5', '--address-family', 'IPv4', '--entries', 'Cidr=203.0.113.0/24,Description=hq'])
    ).PrefixList;
    const pl: string = created.PrefixListId;
    assert.match(pl, /^pl-[0-9a-f]{17}$/);
    assert.deepEqual([created.State, created.Version, created.MaxEntries, created.OwnerId], ['create-in-progress', 1, 5, '000000000000']);
    assert.equal(created.PrefixListArn, `arn:aws:ec2:us-east-1:000000000000:prefix-list/${pl}`);

    const modified = (
      await ok([
        'ec2', 'modify-managed-prefix-list', '--prefix-list-id', pl, '--current-version', '1',
        '--add-entries', 'Cidr=198.51.100.0/24,Description=branch', '--remove-entries', 'Cidr=203.0.113.0/24',
      ])
    ).PrefixList;
    assert.equal(modified.State, 'modify-in-progress');
    await fails(['ec2', 'modify-managed-prefix-list', '--prefix-list-id', pl, '--current-version', '1', '--add-entries', 'Cidr=192.0.2.0/24'], 'PrefixListVersionMismatch');

    const [current, first, described] = await Promise.all([
      ok(['ec2', 'get-managed-prefix-list-entries', '--prefix-list-id', pl]),
      ok(['ec2', 'get-managed-prefix-list-entries', '--prefix-list-id', pl, '--target-version', '1']),
      ok(['ec2', 'describe-managed-prefix-lists', '--filters', 'Name=prefix-list-name,Values=offices']),
    ]);
    assert.deepEqual(current.Entries, [{ Cidr: '198.51.100.0/24', Description: 'branch' }]);
    assert.deepEqual(first.Entries, [{ Cidr: '203.0.113.0/24', Description: 'hq' }]);
    assert.deepEqual(
      described.PrefixLists.map((p: { PrefixListId: string; State: string; Version: number }) => [p.PrefixListId, p.State, p.Version]),
      [[pl, 'modify-complete', 2]],
    );
  });

  it('connects an office over Site-to-Site VPN with propagated routes, and withdraws them when both tunnels go down', async () => {
    const [vpc, cgw, vgw] = await Promise.all([
      ok(['ec2', 'create-vpc', '--cidr-block', '10.50.0.0/16']),
      ok(['ec2', 'create-customer-gateway', '--type', 'ipsec.1', '--public-ip', '8.8.4.4', '--bgp-asn', '65010']),
      ok(['ec2', 'create-vpn-gateway', '--type', 'ipsec.1']),
    ]);
    const vpcId: string = vpc.Vpc.VpcId;
    const cgwId: string = cgw.CustomerGateway.CustomerGatewayId;
    const vgwId: string = vgw.VpnGateway.VpnGatewayId;
    assert.deepEqual([cgw.CustomerGateway.State, cgw.CustomerGateway.IpAddress, cgw.CustomerGateway.BgpAsn], ['available', '8.8.4.4', '65010']);
    assert.deepEqual([vgw.VpnGateway.State, vgw.VpnGateway.AmazonSideAsn], ['available', 64512]);

    const attached = await ok(['ec2', 'attach-vpn-gateway', '--vpn-gateway-id', vgwId, '--vpc-id', vpcId]);
    assert.deepEqual(attached.VpcAttachment, { State: 'attaching', VpcId: vpcId });

    const conn = (
      await ok(['ec2', 'create-vpn-connection', '--type', 'ipsec.1', '--customer-gateway-id', cgwId, '--vpn-gateway-id', vgwId, '--options', 'StaticRoutesOnly=true'])
    ).VpnConnection;
    const vpnId: string = conn.VpnConnectionId;
    assert.match(vpnId, /^vpn-[0-9a-f]{17}$/);
    assert.deepEqual([conn.State, conn.Options.StaticRoutesOnly, conn.Options.TunnelOptions.length], ['pending', true, 2]);
    assert.match(conn.CustomerGatewayConfiguration, /<vpn_connection id="vpn-/);
    await ok(['ec2', 'wait', 'vpn-connection-available', '--vpn-connection-ids', vpnId]);

    const rtId = await mainRouteTable(vpcId);
    await Promise.all([
      ok(['ec2', 'create-vpn-connection-route', '--vpn-connection-id', vpnId, '--destination-cidr-block', '192.168.0.0/16']),
      ok(['ec2', 'enable-vgw-route-propagation', '--route-table-id', rtId, '--gateway-id', vgwId]),
    ]);
    const [table, described] = await Promise.all([
      ok(['ec2', 'describe-route-tables', '--route-table-ids', rtId]),
      ok(['ec2', 'describe-vpn-connections', '--vpn-connection-ids', vpnId]),
    ]);
    assert.deepEqual(table.RouteTables[0].PropagatingVgws, [{ GatewayId: vgwId }]);
    assert.deepEqual(
      table.RouteTables[0].Routes.find((r: Route) => r.DestinationCidrBlock === '192.168.0.0/16'),
      { DestinationCidrBlock: '192.168.0.0/16', GatewayId: vgwId, Origin: 'EnableVgwRoutePropagation', State: 'active' },
    );
    const c = described.VpnConnections[0];
    assert.equal(c.State, 'available');
    assert.deepEqual(c.Routes, [{ DestinationCidrBlock: '192.168.0.0/16', Source: 'Static', State: 'available' }]);
    const outside: string[] = c.VgwTelemetry.map((t: { OutsideIpAddress: string }) => t.OutsideIpAddress);
    assert.deepEqual(outside, c.Options.TunnelOptions.map((t: { OutsideIpAddress: string }) => t.OutsideIpAddress));
    assert.deepEqual(c.VgwTelemetry.map((t: { Status: string }) => t.Status), ['UP', 'UP']);

    const tunnel = async (outsideIpAddress: string, status: 'UP' | 'DOWN') => {
      const r = await fetch(`${srv.endpoint}/_vpcsim/vpn-tunnel-status`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ vpnConnectionId: vpnId, outsideIpAddress, status }),
      });
      assert.equal(r.status, 200, await r.clone().text());
      return r.json();
    };
    await tunnel(outside[0]!, 'DOWN');
    const [oneDown, stillRouted] = await Promise.all([
      ok(['ec2', 'describe-vpn-connections', '--vpn-connection-ids', vpnId, '--query', 'VpnConnections[0].VgwTelemetry[].[OutsideIpAddress,Status]']),
      routes(rtId),
    ]);
    assert.deepEqual(oneDown, [
      [outside[0], 'DOWN'],
      [outside[1], 'UP'],
    ]);
    assert.ok(stillRouted.some((r) => r.DestinationCidrBlock === '192.168.0.0/16'), 'the other tunnel carries the route');

    await tunnel(outside[1]!, 'DOWN');
    const [bothDown, withdrawn] = await Promise.all([
      ok(['ec2', 'describe-vpn-connections', '--vpn-connection-ids', vpnId, '--query', 'VpnConnections[0].VgwTelemetry[].Status']),
      routes(rtId),
    ]);
    assert.deepEqual(bothDown, ['DOWN', 'DOWN']);
    assert.deepEqual(withdrawn.map((r) => r.DestinationCidrBlock), ['10.50.0.0/16'], 'no tunnel, no propagated route');
  });

  it('orders a Direct Connect connection, reaches a Direct Connect gateway over a private virtual interface, and tears down in order', async () => {
    const locations = (await ok(['directconnect', 'describe-locations'])).locations;
    assert.ok(locations.length > 0);
    for (const l of locations) assert.equal(l.region, 'us-east-1');
    const location: string = locations[0].locationCode;
    assert.ok(locations[0].availablePortSpeeds.includes('1Gbps'));

    await fails(['directconnect', 'create-connection', '--location', 'NOWHERE1', '--bandwidth', '1Gbps', '--connection-name', 'x'], 'DirectConnectClientException');
    const [conn, gw] = await Promise.all([
      ok(['directconnect', 'create-connection', '--location', location, '--bandwidth', '1Gbps', '--connection-name', 'dc-primary']),
      ok(['directconnect', 'create-direct-connect-gateway', '--direct-connect-gateway-name', 'corp', '--amazon-side-asn', '64600']),
    ]);
    const connId: string = conn.connectionId;
    assert.match(connId, /^dxcon-[a-z0-9]{8}$/);
    assert.deepEqual([conn.connectionState, conn.location, conn.bandwidth, conn.connectionName, conn.ownerAccount], ['requested', location, '1Gbps', 'dc-primary', '000000000000']);
    const gwId: string = gw.directConnectGateway.directConnectGatewayId;
    assert.deepEqual([gw.directConnectGateway.directConnectGatewayState, gw.directConnectGateway.amazonSideAsn], ['available', 64600]);

    // Poll as a user would: requested, then pending, then available.
    const seen: string[] = [];
    for (let i = 0; i < 10 && seen.at(-1) !== 'available'; i++) {
      const listed = (await ok(['directconnect', 'describe-connections'])).connections;
      assert.deepEqual(listed.map((x: { connectionId: string }) => x.connectionId), [connId]);
      seen.push(listed[0].connectionState);
    }
    assert.equal(seen.at(-1), 'available');
    assert.deepEqual(seen.filter((x) => !['requested', 'pending', 'available'].includes(x)), [], seen.join(' '));

    const vif = await ok([
      'directconnect', 'create-private-virtual-interface', '--connection-id', connId,
      '--new-private-virtual-interface', `virtualInterfaceName=corp-vif,vlan=101,asn=65000,directConnectGatewayId=${gwId}`,
    ]);
    const vifId: string = vif.virtualInterfaceId;
    assert.match(vifId, /^dxvif-[a-z0-9]{8}$/);
    assert.deepEqual(
      [vif.virtualInterfaceType, vif.vlan, vif.asn, vif.amazonSideAsn, vif.directConnectGatewayId, vif.connectionId],
      ['private', 101, 65000, 64600, gwId, connId],
    );
    await fails(
      ['directconnect', 'create-private-virtual-interface', '--connection-id', connId, '--new-private-virtual-interface', `virtualInterfaceName=again,vlan=101,asn=65000,directConnectGatewayId=${gwId}`],
      'DirectConnectClientException',
    );
    const vifs = (await ok(['directconnect', 'describe-virtual-interfaces', '--connection-id', connId])).virtualInterfaces;
    assert.deepEqual(vifs.map((v: { virtualInterfaceId: string; virtualInterfaceState: string }) => [v.virtualInterfaceId, v.virtualInterfaceState]), [[vifId, 'available']]);

    // Out of order: the connection and the gateway still carry the interface.
    await Promise.all([
      fails(['directconnect', 'delete-connection', '--connection-id', connId], 'DirectConnectClientException'),
      fails(['directconnect', 'delete-direct-connect-gateway', '--direct-connect-gateway-id', gwId], 'DirectConnectClientException'),
    ]);
    assert.deepEqual(await ok(['directconnect', 'delete-virtual-interface', '--virtual-interface-id', vifId]), { virtualInterfaceState: 'deleted' });
    const [deletedConn, deletedGw] = await Promise.all([
      ok(['directconnect', 'delete-connection', '--connection-id', connId]),
      ok(['directconnect', 'delete-direct-connect-gateway', '--direct-connect-gateway-id', gwId]),
    ]);
    assert.equal(deletedConn.connectionState, 'deleted');
    assert.equal(deletedGw.directConnectGateway.directConnectGatewayState, 'deleted');
    const [conns, gws] = await Promise.all([ok(['directconnect', 'describe-connections']), ok(['directconnect', 'describe-direct-connect-gateways'])]);
    assert.deepEqual([conns.connections, gws.directConnectGateways], [[], []]);
  });
});
