import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateConnectionCommand,
  CreateDirectConnectGatewayAssociationCommand,
  CreateDirectConnectGatewayCommand,
  CreatePrivateVirtualInterfaceCommand,
  DeleteConnectionCommand,
  DeleteDirectConnectGatewayAssociationCommand,
  DeleteDirectConnectGatewayCommand,
  DeleteVirtualInterfaceCommand,
  DescribeConnectionsCommand,
  DescribeDirectConnectGatewayAssociationsCommand,
  DescribeDirectConnectGatewaysCommand,
  DescribeLocationsCommand,
  DescribeTagsCommand,
  DescribeVirtualGatewaysCommand,
  DescribeVirtualInterfacesCommand,
  DirectConnectClient,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-direct-connect';
import { AttachVpnGatewayCommand, CreateVpcCommand, CreateVpnGatewayCommand } from '@aws-sdk/client-ec2';
import { apiError, startTestServer, type TestServer } from './helpers.js';

const STEP_MS = 150;

describe('Direct Connect', () => {
  let srv: TestServer;
  let dx: DirectConnectClient;
  let location: string;

  before(async () => {
    srv = await startTestServer({ stateTransitionMs: STEP_MS });
    dx = new DirectConnectClient({
      endpoint: srv.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    const { locations } = await dx.send(new DescribeLocationsCommand({}));
    assert.ok(locations!.length > 0);
    assert.ok(locations!.every((l) => l.region === 'us-east-1'));
    location = locations![0]!.locationCode!;
  });
  after(() => srv.close());

  it('moves a connection through requested → pending → available', async () => {
    const c = await dx.send(new CreateConnectionCommand({ location, bandwidth: '1Gbps', connectionName: 'primary' }));
    assert.match(c.connectionId!, /^dxcon-[a-z0-9]{8}$/);
    assert.equal(c.connectionState, 'requested');
    assert.equal(c.ownerAccount, '000000000000');
    await new Promise((r) => setTimeout(r, STEP_MS + 20));
    const mid = await dx.send(new DescribeConnectionsCommand({ connectionId: c.connectionId }));
    assert.equal(mid.connections![0]!.connectionState, 'pending');
    await new Promise((r) => setTimeout(r, STEP_MS + 20));
    const done = await dx.send(new DescribeConnectionsCommand({ connectionId: c.connectionId }));
    assert.equal(done.connections![0]!.connectionState, 'available');
    const deleted = await dx.send(new DeleteConnectionCommand({ connectionId: c.connectionId }));
    assert.equal(deleted.connectionState, 'deleted');
    const gone = await apiError(() => dx.send(new DescribeConnectionsCommand({ connectionId: c.connectionId })));
    assert.equal(gone.code, 'DirectConnectClientException');
    assert.equal(gone.status, 400);
  });

  it('refuses bad locations, bandwidths and malformed bodies', async () => {
    const badLocation = await apiError(() => dx.send(new CreateConnectionCommand({ location: 'Nowhere', bandwidth: '1Gbps', connectionName: 'x' })));
    assert.equal(badLocation.code, 'DirectConnectClientException');
    assert.match(badLocation.message, /Nowhere/);
    const badSpeed = await apiError(() => dx.send(new CreateConnectionCommand({ location, bandwidth: '3Gbps', connectionName: 'x' })));
    assert.equal(badSpeed.code, 'DirectConnectClientException');
    const raw = await fetch(srv.endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'OvertureService.CreateConnection' },
      body: JSON.stringify({ location, bandwidth: 1, connectionName: 'x' }),
    });
    assert.equal(raw.status, 400);
    assert.equal((await raw.json()).__type, 'SerializationException');
    const missing = await fetch(srv.endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'OvertureService.CreateConnection' },
      body: JSON.stringify({ location }),
    });
    assert.equal(missing.status, 400);
    assert.equal(missing.headers.get('x-amzn-errortype'), 'DirectConnectClientException');
  });

  it('creates private virtual interfaces to a Direct Connect gateway and a virtual private gateway', async () => {
    const c = await dx.send(new CreateConnectionCommand({ location, bandwidth: '10Gbps', connectionName: 'vifs' }));
    const { directConnectGateway: gw } = await dx.send(
      new CreateDirectConnectGatewayCommand({ directConnectGatewayName: 'corp', amazonSideAsn: 64600 }),
    );
    assert.equal(gw!.directConnectGatewayState, 'available');
    const listed = await dx.send(new DescribeDirectConnectGatewaysCommand({}));
    assert.ok(listed.directConnectGateways!.some((g) => g.directConnectGatewayId === gw!.directConnectGatewayId));
    const badAsn = await apiError(() => dx.send(new CreateDirectConnectGatewayCommand({ directConnectGatewayName: 'x', amazonSideAsn: 100 })));
    assert.equal(badAsn.code, 'DirectConnectClientException');

    const vif = await dx.send(
      new CreatePrivateVirtualInterfaceCommand({
        connectionId: c.connectionId,
        newPrivateVirtualInterface: { virtualInterfaceName: 'to-gw', vlan: 101, asn: 65010, directConnectGatewayId: gw!.directConnectGatewayId },
      }),
    );
    assert.match(vif.virtualInterfaceId!, /^dxvif-[a-z0-9]{8}$/);
    assert.equal(vif.virtualInterfaceType, 'private');
    assert.equal(vif.amazonSideAsn, 64600);
    assert.equal(vif.virtualInterfaceState, 'pending');
    assert.match(vif.amazonAddress!, /^169\.254\.\d+\.\d+\/30$/);
    const dupVlan = await apiError(() =>
      dx.send(
        new CreatePrivateVirtualInterfaceCommand({
          connectionId: c.connectionId,
          newPrivateVirtualInterface: { virtualInterfaceName: 'dup', vlan: 101, asn: 65010, directConnectGatewayId: gw!.directConnectGatewayId },
        }),
      ),
    );
    assert.equal(dupVlan.code, 'DirectConnectClientException');
    const both = await apiError(() =>
      dx.send(
        new CreatePrivateVirtualInterfaceCommand({
          connectionId: c.connectionId,
          newPrivateVirtualInterface: { virtualInterfaceName: 'none', vlan: 102, asn: 65010 },
        }),
      ),
    );
    assert.equal(both.code, 'DirectConnectClientException');

    await new Promise((r) => setTimeout(r, 3 * STEP_MS + 30));
    const { virtualInterfaces } = await dx.send(new DescribeVirtualInterfacesCommand({ connectionId: c.connectionId }));
    assert.equal(virtualInterfaces!.length, 1);
    assert.equal(virtualInterfaces![0]!.virtualInterfaceState, 'available');
    assert.equal(virtualInterfaces![0]!.bgpPeers![0]!.bgpStatus, 'up');

    // A virtual private gateway, attached to a VPC, associated with the Direct Connect gateway.
    const ec2 = srv.ec2();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.60.0.0/16' }));
    const { VpnGateway } = await ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1' }));
    await ec2.send(new AttachVpnGatewayCommand({ VpcId: Vpc!.VpcId!, VpnGatewayId: VpnGateway!.VpnGatewayId! }));
    const vgws = await dx.send(new DescribeVirtualGatewaysCommand({}));
    assert.ok(vgws.virtualGateways!.some((g) => g.virtualGatewayId === VpnGateway!.VpnGatewayId));
    const { directConnectGatewayAssociation: assoc } = await dx.send(
      new CreateDirectConnectGatewayAssociationCommand({ directConnectGatewayId: gw!.directConnectGatewayId, gatewayId: VpnGateway!.VpnGatewayId }),
    );
    assert.equal(assoc!.associatedGateway!.type, 'virtualPrivateGateway');
    const again = await apiError(() =>
      dx.send(new CreateDirectConnectGatewayAssociationCommand({ directConnectGatewayId: gw!.directConnectGatewayId, gatewayId: VpnGateway!.VpnGatewayId })),
    );
    assert.equal(again.code, 'DirectConnectClientException');
    const assocs = await dx.send(new DescribeDirectConnectGatewayAssociationsCommand({ directConnectGatewayId: gw!.directConnectGatewayId }));
    assert.equal(assocs.directConnectGatewayAssociations!.length, 1);
    assert.equal(assocs.directConnectGatewayAssociations![0]!.associationState, 'associated');

    const toVgw = await dx.send(
      new CreatePrivateVirtualInterfaceCommand({
        connectionId: c.connectionId,
        newPrivateVirtualInterface: { virtualInterfaceName: 'to-vgw', vlan: 102, asn: 65010, virtualGatewayId: VpnGateway!.VpnGatewayId },
      }),
    );
    assert.equal(toVgw.virtualGatewayId, VpnGateway!.VpnGatewayId);

    // Deletion order: the gateway refuses while associated, the connection while it has interfaces.
    assert.equal((await apiError(() => dx.send(new DeleteDirectConnectGatewayCommand({ directConnectGatewayId: gw!.directConnectGatewayId })))).code, 'DirectConnectClientException');
    assert.equal((await apiError(() => dx.send(new DeleteConnectionCommand({ connectionId: c.connectionId })))).code, 'DirectConnectClientException');
    await dx.send(new DeleteDirectConnectGatewayAssociationCommand({ associationId: assoc!.associationId }));
    for (const v of [vif, toVgw]) {
      assert.equal((await dx.send(new DeleteVirtualInterfaceCommand({ virtualInterfaceId: v.virtualInterfaceId }))).virtualInterfaceState, 'deleted');
    }
    await dx.send(new DeleteDirectConnectGatewayCommand({ directConnectGatewayId: gw!.directConnectGatewayId }));
    await dx.send(new DeleteConnectionCommand({ connectionId: c.connectionId }));
  });

  it('tags connections by ARN', async () => {
    const c = await dx.send(new CreateConnectionCommand({ location, bandwidth: '1Gbps', connectionName: 'tagged', tags: [{ key: 'team', value: 'net' }] }));
    const arn = `arn:aws:directconnect:us-east-1:000000000000:dxcon/${c.connectionId}`;
    await dx.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: 'env', value: 'test' }] }));
    let tags = await dx.send(new DescribeTagsCommand({ resourceArns: [arn] }));
    assert.deepEqual(tags.resourceTags![0]!.tags, [
      { key: 'team', value: 'net' },
      { key: 'env', value: 'test' },
    ]);
    await dx.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['team'] }));
    tags = await dx.send(new DescribeTagsCommand({ resourceArns: [arn] }));
    assert.deepEqual(tags.resourceTags![0]!.tags, [{ key: 'env', value: 'test' }]);
    const bad = await apiError(() => dx.send(new DescribeTagsCommand({ resourceArns: ['arn:aws:directconnect:us-east-1:000000000000:dxcon/dxcon-zzzzzzzz'] })));
    assert.equal(bad.code, 'DirectConnectClientException');
  });

  it('keeps accounts apart', async () => {
    const other = new DirectConnectClient({
      endpoint: srv.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: '111122223333', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    await other.send(new CreateConnectionCommand({ location, bandwidth: '1Gbps', connectionName: 'theirs' }));
    const mine = await dx.send(new DescribeConnectionsCommand({}));
    assert.ok(mine.connections!.every((c) => c.ownerAccount === '000000000000'));
    const theirs = await other.send(new DescribeConnectionsCommand({}));
    assert.deepEqual(theirs.connections!.map((c) => c.connectionName), ['theirs']);
  });
});
