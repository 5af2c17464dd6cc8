/**
 * AWS Direct Connect (JSON protocol): dedicated connections, private virtual interfaces to a
 * virtual private gateway or a Direct Connect gateway, Direct Connect gateways and their
 * associations with virtual private gateways, locations and tags.
 *
 * Connections and interfaces move through AWS's states over time (requested → pending →
 * available, each step `config.stateTransitionMs`), derived when read. Direct Connect gateways
 * are global resources: they live in the account's "global" scope.
 */
import type {
  Connection,
  DirectConnectGateway,
  DirectConnectGatewayAssociation,
  ResourceTag,
  Tag as DxTag,
  VirtualInterface,
} from '@aws-sdk/client-direct-connect';
import { randomBytes, randomUUID } from 'node:crypto';
import { ApiError } from '../../protocol/errors.js';
import { loadModel } from '../../protocol/model.js';
import type { Handler, RequestContext, ServiceProvider } from '../context.js';
import type { ScopedState } from '../../state/store.js';

const clientError = (message: string) => new ApiError('DirectConnectClientException', message);

const CONNECTION = 'dx-connection';
const VIF = 'dx-virtual-interface';
const GATEWAY = 'dx-gateway';
const ASSOCIATION = 'dx-gateway-association';

interface ConnectionRecord extends Connection {
  connectionId: string;
  _createdAt: string;
}

interface VifRecord extends VirtualInterface {
  virtualInterfaceId: string;
  _createdAt: string;
}

interface GatewayRecord extends DirectConnectGateway {
  directConnectGatewayId: string;
}

interface AssociationRecord extends DirectConnectGatewayAssociation {
  associationId: string;
}

/** VGW records as the EC2 side stores them (AWS VpnGateway shape). */
interface VpnGatewayLike {
  VpnGatewayId: string;
  State?: string;
  VpcAttachments?: Array<{ VpcId?: string; State?: string }>;
}

function dxId(prefix: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(8);
  let s = '';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return `${prefix}-${s}`;
}

function globalState(ctx: RequestContext): ScopedState {
  return ctx.state.other(ctx.account, 'global');
}

const PORT_SPEEDS = ['1Gbps', '10Gbps', '100Gbps', '400Gbps'];

function locationsOf(region: string) {
  return [1, 2].map((n) => ({
    locationCode: `VS${region.replace(/[^a-z0-9]/g, '').toUpperCase()}${n}`,
    locationName: `vpcsim colocation ${n}, ${region}`,
    region,
    availablePortSpeeds: PORT_SPEEDS,
    availableProviders: ['vpcsim Networks'],
    availableMacSecPortSpeeds: ['10Gbps', '100Gbps'],
  }));
}

/** Milliseconds since a record was created, on the request's clock. */
function age(ctx: RequestContext, createdAt: string): number {
  return ctx.now.getTime() - Date.parse(createdAt);
}

function connectionState(ctx: RequestContext, c: Readonly<ConnectionRecord>): string {
  if (c.connectionState === 'deleted' || c.connectionState === 'down') return c.connectionState;
  const step = ctx.config.stateTransitionMs;
  const t = age(ctx, c._createdAt);
  if (t < step) return 'requested';
  if (t < 2 * step) return 'pending';
  return 'available';
}

function connectionView(ctx: RequestContext, c: Readonly<ConnectionRecord>): Connection {
  const { _createdAt: _c, ...rest } = c;
  return { ...rest, connectionState: connectionState(ctx, c) as Connection['connectionState'] };
}

function vifState(ctx: RequestContext, v: Readonly<VifRecord>): string {
  if (v.virtualInterfaceState === 'deleted' || v.virtualInterfaceState === 'deleting') return v.virtualInterfaceState;
  const conn = ctx.state.get<ConnectionRecord>(CONNECTION, v.connectionId!);
  if (!conn || connectionState(ctx, conn) !== 'available') return 'pending';
  if (v.virtualGatewayId) {
    const vgw = ctx.state.get<VpnGatewayLike>('vpn-gateway', v.virtualGatewayId);
    if (!vgw || vgw.State === 'deleted') return 'down';
  }
  return age(ctx, v._createdAt) < ctx.config.stateTransitionMs ? 'pending' : 'available';
}

function vifView(ctx: RequestContext, v: Readonly<VifRecord>): VirtualInterface {
  const { _createdAt: _c, ...rest } = v;
  const state = vifState(ctx, v);
  const up = state === 'available';
  return {
    ...rest,
    virtualInterfaceState: state as VirtualInterface['virtualInterfaceState'],
    bgpPeers: (v.bgpPeers ?? []).map((p) => ({ ...p, bgpStatus: up ? 'up' : 'down' })),
  };
}

function requireConnection(ctx: RequestContext, id: string | undefined): Readonly<ConnectionRecord> {
  const c = id ? ctx.state.get<ConnectionRecord>(CONNECTION, id) : undefined;
  if (!c) throw clientError(`Connection ${id} does not exist.`);
  return c;
}

function requireVif(ctx: RequestContext, id: string | undefined): Readonly<VifRecord> {
  const v = id ? ctx.state.get<VifRecord>(VIF, id) : undefined;
  if (!v) throw clientError(`Virtual interface ${id} does not exist.`);
  return v;
}

function requireGateway(ctx: RequestContext, id: string | undefined): Readonly<GatewayRecord> {
  const g = id ? globalState(ctx).get<GatewayRecord>(GATEWAY, id) : undefined;
  if (!g) throw clientError(`Direct Connect gateway ${id} does not exist.`);
  return g;
}

function requireVgw(ctx: RequestContext, id: string): Readonly<VpnGatewayLike> {
  const vgw = ctx.state.get<VpnGatewayLike>('vpn-gateway', id);
  if (!vgw || vgw.State === 'deleted') throw clientError(`Virtual private gateway ${id} does not exist in ${ctx.region}.`);
  return vgw;
}

function validateTags(tags: DxTag[] | undefined): DxTag[] | undefined {
  for (const t of tags ?? []) {
    if (!t.key || t.key.length > 128) throw clientError('Tag keys must be 1 to 128 characters long.');
    if ((t.value ?? '').length > 256) throw clientError('Tag values must be at most 256 characters long.');
    if (t.key.startsWith('aws:')) throw clientError("Tag keys starting with 'aws:' are reserved.");
  }
  if ((tags?.length ?? 0) > 50) throw clientError('A resource can have at most 50 tags.');
  return tags?.length ? tags.map((t) => ({ key: t.key, value: t.value })) : undefined;
}

// Connections

function createConnection(ctx: RequestContext, input: { location: string; bandwidth: string; connectionName: string; tags?: DxTag[]; lagId?: string; providerName?: string; requestMACSec?: boolean }) {
  if (!locationsOf(ctx.region).some((l) => l.locationCode === input.location)) {
    throw clientError(`Location ${input.location} is not a valid Direct Connect location in ${ctx.region}. Call DescribeLocations for the list.`);
  }
  if (!PORT_SPEEDS.includes(input.bandwidth)) {
    throw clientError(`Bandwidth ${input.bandwidth} is not available for a dedicated connection. Valid values: ${PORT_SPEEDS.join(', ')}.`);
  }
  if (input.lagId) throw clientError('Link aggregation groups are not supported by vpcsim.');
  const id = dxId('dxcon');
  const rec: ConnectionRecord = {
    ownerAccount: ctx.account,
    connectionId: id,
    connectionName: input.connectionName,
    connectionState: 'requested',
    region: ctx.region,
    location: input.location,
    bandwidth: input.bandwidth,
    awsDevice: `${input.location}-vpcsim-1`,
    awsDeviceV2: `${input.location}-vpcsim-1`,
    awsLogicalDeviceId: `${input.location}-vpcsim-1`,
    jumboFrameCapable: true,
    hasLogicalRedundancy: 'no',
    macSecCapable: input.requestMACSec === true,
    providerName: input.providerName,
    tags: validateTags(input.tags),
    _createdAt: ctx.now.toISOString(),
  };
  ctx.state.put(CONNECTION, id, rec);
  return connectionView(ctx, rec);
}

function describeConnections(ctx: RequestContext, input: { connectionId?: string }) {
  const all = input.connectionId ? [requireConnection(ctx, input.connectionId)] : ctx.state.list<ConnectionRecord>(CONNECTION);
  return { connections: all.map((c) => connectionView(ctx, c)) };
}

function deleteConnection(ctx: RequestContext, input: { connectionId: string }) {
  const c = requireConnection(ctx, input.connectionId);
  const vifs = ctx.state.list<VifRecord>(VIF).filter((v) => v.connectionId === c.connectionId);
  if (vifs.length) {
    throw clientError(`Connection ${c.connectionId} has virtual interfaces (${vifs.map((v) => v.virtualInterfaceId).join(', ')}); delete them first.`);
  }
  ctx.state.delete(CONNECTION, c.connectionId);
  return { ...connectionView(ctx, c), connectionState: 'deleted' };
}

function updateConnection(ctx: RequestContext, input: { connectionId: string; connectionName?: string; encryptionMode?: string }) {
  requireConnection(ctx, input.connectionId);
  const c = ctx.state.edit<ConnectionRecord>(CONNECTION, input.connectionId)!;
  if (input.connectionName !== undefined) c.connectionName = input.connectionName;
  if (input.encryptionMode !== undefined) c.encryptionMode = input.encryptionMode;
  return connectionView(ctx, c);
}

// Virtual interfaces

interface NewPrivateVif {
  virtualInterfaceName: string;
  vlan: number;
  asn: number;
  mtu?: number;
  authKey?: string;
  amazonAddress?: string;
  customerAddress?: string;
  addressFamily?: string;
  virtualGatewayId?: string;
  directConnectGatewayId?: string;
  tags?: DxTag[];
  enableSiteLink?: boolean;
}

function linkLocalPair(): [string, string] {
  const b = randomBytes(2);
  const third = b[0]!;
  const fourth = (b[1]! & 0xfc) % 252;
  return [`169.254.${third}.${fourth + 1}/30`, `169.254.${third}.${fourth + 2}/30`];
}

function createPrivateVirtualInterface(ctx: RequestContext, input: { connectionId: string; newPrivateVirtualInterface: NewPrivateVif }) {
  const conn = requireConnection(ctx, input.connectionId);
  const spec = input.newPrivateVirtualInterface;
  if (!!spec.virtualGatewayId === !!spec.directConnectGatewayId) {
    throw clientError('Specify exactly one of virtualGatewayId or directConnectGatewayId.');
  }
  if (spec.vlan < 1 || spec.vlan > 4094) throw clientError(`VLAN ${spec.vlan} is out of range (1-4094).`);
  if (spec.mtu !== undefined && spec.mtu !== 1500 && spec.mtu !== 9001) throw clientError('MTU must be 1500 or 9001.');
  if (ctx.state.list<VifRecord>(VIF).some((v) => v.connectionId === conn.connectionId && v.vlan === spec.vlan)) {
    throw clientError(`VLAN ${spec.vlan} is already in use on connection ${conn.connectionId}.`);
  }
  if (spec.virtualGatewayId) requireVgw(ctx, spec.virtualGatewayId);
  if (spec.directConnectGatewayId) requireGateway(ctx, spec.directConnectGatewayId);
  const family = spec.addressFamily ?? 'ipv4';
  if (family !== 'ipv4' && family !== 'ipv6') throw clientError(`Address family ${family} is not valid.`);
  const [amazon, customer] = linkLocalPair();
  const amazonAddress = spec.amazonAddress ?? (family === 'ipv4' ? amazon : undefined);
  const customerAddress = spec.customerAddress ?? (family === 'ipv4' ? customer : undefined);
  const id = dxId('dxvif');
  const authKey = spec.authKey ?? randomBytes(12).toString('base64url');
  const rec: VifRecord = {
    ownerAccount: ctx.account,
    virtualInterfaceId: id,
    location: conn.location,
    connectionId: conn.connectionId,
    virtualInterfaceType: 'private',
    virtualInterfaceName: spec.virtualInterfaceName,
    vlan: spec.vlan,
    asn: spec.asn,
    amazonSideAsn: spec.directConnectGatewayId
      ? requireGateway(ctx, spec.directConnectGatewayId).amazonSideAsn
      : (ctx.state.get<{ AmazonSideAsn?: number }>('vpn-gateway', spec.virtualGatewayId!)?.AmazonSideAsn ?? 64512),
    authKey,
    amazonAddress,
    customerAddress,
    addressFamily: family as VirtualInterface['addressFamily'],
    virtualInterfaceState: 'pending',
    customerRouterConfig: '',
    mtu: spec.mtu ?? 1500,
    jumboFrameCapable: true,
    virtualGatewayId: spec.virtualGatewayId,
    directConnectGatewayId: spec.directConnectGatewayId,
    routeFilterPrefixes: [],
    bgpPeers: [
      {
        bgpPeerId: dxId('dxpeer'),
        asn: spec.asn,
        authKey,
        addressFamily: family as 'ipv4',
        amazonAddress,
        customerAddress,
        bgpPeerState: 'available',
        bgpStatus: 'down',
        awsDeviceV2: conn.awsDeviceV2,
        awsLogicalDeviceId: conn.awsLogicalDeviceId,
      },
    ],
    region: ctx.region,
    awsDeviceV2: conn.awsDeviceV2,
    awsLogicalDeviceId: conn.awsLogicalDeviceId,
    tags: validateTags(spec.tags),
    siteLinkEnabled: spec.enableSiteLink ?? false,
    _createdAt: ctx.now.toISOString(),
  };
  ctx.state.put(VIF, id, rec);
  return vifView(ctx, rec);
}

function describeVirtualInterfaces(ctx: RequestContext, input: { connectionId?: string; virtualInterfaceId?: string }) {
  if (input.connectionId) requireConnection(ctx, input.connectionId);
  let vifs = input.virtualInterfaceId ? [requireVif(ctx, input.virtualInterfaceId)] : ctx.state.list<VifRecord>(VIF);
  if (input.connectionId) vifs = vifs.filter((v) => v.connectionId === input.connectionId);
  return { virtualInterfaces: vifs.map((v) => vifView(ctx, v)) };
}

function deleteVirtualInterface(ctx: RequestContext, input: { virtualInterfaceId: string }) {
  const v = requireVif(ctx, input.virtualInterfaceId);
  ctx.state.delete(VIF, v.virtualInterfaceId);
  return { virtualInterfaceState: 'deleted' };
}

function updateVirtualInterfaceAttributes(ctx: RequestContext, input: { virtualInterfaceId: string; mtu?: number; enableSiteLink?: boolean; virtualInterfaceName?: string }) {
  requireVif(ctx, input.virtualInterfaceId);
  const v = ctx.state.edit<VifRecord>(VIF, input.virtualInterfaceId)!;
  if (input.mtu !== undefined) {
    if (input.mtu !== 1500 && input.mtu !== 9001) throw clientError('MTU must be 1500 or 9001.');
    v.mtu = input.mtu;
  }
  if (input.enableSiteLink !== undefined) v.siteLinkEnabled = input.enableSiteLink;
  if (input.virtualInterfaceName !== undefined) v.virtualInterfaceName = input.virtualInterfaceName;
  return vifView(ctx, v);
}

function describeVirtualGateways(ctx: RequestContext) {
  return {
    virtualGateways: ctx.state
      .list<VpnGatewayLike>('vpn-gateway')
      .filter((g) => g.State !== 'deleted')
      .map((g) => ({ virtualGatewayId: g.VpnGatewayId, virtualGatewayState: g.State ?? 'available' })),
  };
}

// Direct Connect gateways

function createDirectConnectGateway(ctx: RequestContext, input: { directConnectGatewayName: string; amazonSideAsn?: number }) {
  const asn = input.amazonSideAsn ?? 64512;
  const privateAsn = (asn >= 64512 && asn <= 65534) || (asn >= 4200000000 && asn <= 4294967294);
  if (!privateAsn) throw clientError(`The Amazon side ASN ${asn} is not a private ASN (64512-65534 or 4200000000-4294967294).`);
  const rec: GatewayRecord = {
    directConnectGatewayId: randomUUID(),
    directConnectGatewayName: input.directConnectGatewayName,
    amazonSideAsn: asn,
    ownerAccount: ctx.account,
    directConnectGatewayState: 'available',
  };
  globalState(ctx).put(GATEWAY, rec.directConnectGatewayId, rec);
  return { directConnectGateway: rec };
}

function describeDirectConnectGateways(ctx: RequestContext, input: { directConnectGatewayId?: string }) {
  const all = input.directConnectGatewayId ? [requireGateway(ctx, input.directConnectGatewayId)] : globalState(ctx).list<GatewayRecord>(GATEWAY);
  return { directConnectGateways: all };
}

function deleteDirectConnectGateway(ctx: RequestContext, input: { directConnectGatewayId: string }) {
  const g = requireGateway(ctx, input.directConnectGatewayId);
  if (globalState(ctx).list<AssociationRecord>(ASSOCIATION).some((a) => a.directConnectGatewayId === g.directConnectGatewayId)) {
    throw clientError(`Direct Connect gateway ${g.directConnectGatewayId} has associations; delete them first.`);
  }
  if (ctx.state.list<VifRecord>(VIF).some((v) => v.directConnectGatewayId === g.directConnectGatewayId)) {
    throw clientError(`Direct Connect gateway ${g.directConnectGatewayId} has virtual interfaces attached; delete them first.`);
  }
  globalState(ctx).delete(GATEWAY, g.directConnectGatewayId);
  return { directConnectGateway: { ...g, directConnectGatewayState: 'deleted' } };
}

function createDirectConnectGatewayAssociation(ctx: RequestContext, input: { directConnectGatewayId: string; gatewayId?: string; virtualGatewayId?: string; addAllowedPrefixesToDirectConnectGateway?: Array<{ cidr?: string }> }) {
  const g = requireGateway(ctx, input.directConnectGatewayId);
  const vgwId = input.gatewayId ?? input.virtualGatewayId;
  if (!vgwId) throw clientError('gatewayId is required.');
  if (!vgwId.startsWith('vgw-')) throw clientError(`Gateway ${vgwId} is not a virtual private gateway; transit gateways are not supported by vpcsim.`);
  const vgw = requireVgw(ctx, vgwId);
  const existing = globalState(ctx).list<AssociationRecord>(ASSOCIATION);
  if (existing.some((a) => a.associatedGateway?.id === vgwId)) {
    throw clientError(`Virtual private gateway ${vgwId} is already associated with a Direct Connect gateway.`);
  }
  const rec: AssociationRecord = {
    directConnectGatewayId: g.directConnectGatewayId,
    directConnectGatewayOwnerAccount: g.ownerAccount,
    associationState: 'associated',
    associatedGateway: { id: vgw.VpnGatewayId, type: 'virtualPrivateGateway', ownerAccount: ctx.account, region: ctx.region },
    associationId: randomUUID(),
    allowedPrefixesToDirectConnectGateway: input.addAllowedPrefixesToDirectConnectGateway?.map((p) => ({ cidr: p.cidr })) ?? [],
    virtualGatewayId: vgw.VpnGatewayId,
    virtualGatewayRegion: ctx.region,
    virtualGatewayOwnerAccount: ctx.account,
  };
  globalState(ctx).put(ASSOCIATION, rec.associationId, rec);
  return { directConnectGatewayAssociation: { ...rec, associationState: 'associating' } };
}

function describeDirectConnectGatewayAssociations(ctx: RequestContext, input: { associationId?: string; associatedGatewayId?: string; directConnectGatewayId?: string; virtualGatewayId?: string; maxResults?: number; nextToken?: string }) {
  let all = globalState(ctx).list<AssociationRecord>(ASSOCIATION);
  if (input.associationId) all = all.filter((a) => a.associationId === input.associationId);
  if (input.directConnectGatewayId) all = all.filter((a) => a.directConnectGatewayId === input.directConnectGatewayId);
  const gw = input.associatedGatewayId ?? input.virtualGatewayId;
  if (gw) all = all.filter((a) => a.associatedGateway?.id === gw);
  const start = input.nextToken ? Number(Buffer.from(input.nextToken, 'base64url').toString()) || 0 : 0;
  const size = input.maxResults ?? 100;
  if (size < 1 || size > 100) throw clientError('maxResults must be between 1 and 100.');
  const page = all.slice(start, start + size);
  const next = start + size < all.length ? Buffer.from(String(start + size)).toString('base64url') : undefined;
  return { directConnectGatewayAssociations: page, nextToken: next };
}

function deleteDirectConnectGatewayAssociation(ctx: RequestContext, input: { associationId?: string; directConnectGatewayId?: string; virtualGatewayId?: string }) {
  const all = globalState(ctx).list<AssociationRecord>(ASSOCIATION);
  const a = input.associationId
    ? all.find((x) => x.associationId === input.associationId)
    : all.find((x) => x.directConnectGatewayId === input.directConnectGatewayId && x.associatedGateway?.id === input.virtualGatewayId);
  if (!a) throw clientError(`Direct Connect gateway association ${input.associationId ?? ''} does not exist.`);
  globalState(ctx).delete(ASSOCIATION, a.associationId);
  return { directConnectGatewayAssociation: { ...a, associationState: 'disassociating' } };
}

// Locations and tags

function describeLocations(ctx: RequestContext) {
  return { locations: locationsOf(ctx.region) };
}

const ARN = /^arn:aws:directconnect:([a-z0-9-]+):(\d{12}):(dxcon|dxvif|dx-gateway)\/(.+)$/;

function taggedRecord(ctx: RequestContext, arn: string, write: boolean): { tags?: DxTag[] } {
  const m = ARN.exec(arn);
  if (!m || m[2] !== ctx.account) throw clientError(`Resource ${arn} is not a valid Direct Connect resource ARN of this account.`);
  const [, region, , type, id] = m as unknown as [string, string, string, string, string];
  const kind = type === 'dxcon' ? CONNECTION : type === 'dxvif' ? VIF : GATEWAY;
  const state = type === 'dx-gateway' ? globalState(ctx) : ctx.state.other(ctx.account, region);
  const rec = write ? state.edit<{ tags?: DxTag[] }>(kind, id) : state.get<{ tags?: DxTag[] }>(kind, id);
  if (!rec) throw clientError(`Resource ${arn} does not exist.`);
  return rec;
}

function tagResource(ctx: RequestContext, input: { resourceArn: string; tags: DxTag[] }) {
  const rec = taggedRecord(ctx, input.resourceArn, true);
  const merged = [...(rec.tags ?? [])];
  for (const t of validateTags(input.tags) ?? []) {
    const hit = merged.find((x) => x.key === t.key);
    if (hit) hit.value = t.value;
    else merged.push(t);
  }
  if (merged.length > 50) throw new ApiError('TooManyTagsException', 'A resource can have at most 50 tags.');
  rec.tags = merged;
  return {};
}

function untagResource(ctx: RequestContext, input: { resourceArn: string; tagKeys: string[] }) {
  const rec = taggedRecord(ctx, input.resourceArn, true);
  rec.tags = (rec.tags ?? []).filter((t) => !input.tagKeys.includes(t.key!));
  return {};
}

function describeTags(ctx: RequestContext, input: { resourceArns: string[] }) {
  const resourceTags: ResourceTag[] = input.resourceArns.map((arn) => ({ resourceArn: arn, tags: taggedRecord(ctx, arn, false).tags ?? [] }));
  return { resourceTags };
}

const handlers: Record<string, Handler> = {
  CreateConnection: createConnection,
  DescribeConnections: describeConnections,
  DeleteConnection: deleteConnection,
  UpdateConnection: updateConnection,
  CreatePrivateVirtualInterface: createPrivateVirtualInterface,
  DescribeVirtualInterfaces: describeVirtualInterfaces,
  DeleteVirtualInterface: deleteVirtualInterface,
  UpdateVirtualInterfaceAttributes: updateVirtualInterfaceAttributes,
  DescribeVirtualGateways: describeVirtualGateways,
  CreateDirectConnectGateway: createDirectConnectGateway,
  DescribeDirectConnectGateways: describeDirectConnectGateways,
  DeleteDirectConnectGateway: deleteDirectConnectGateway,
  CreateDirectConnectGatewayAssociation: createDirectConnectGatewayAssociation,
  DescribeDirectConnectGatewayAssociations: describeDirectConnectGatewayAssociations,
  DeleteDirectConnectGatewayAssociation: deleteDirectConnectGatewayAssociation,
  DescribeLocations: describeLocations,
  TagResource: tagResource,
  UntagResource: untagResource,
  DescribeTags: describeTags,
};

export function directConnectProvider(): ServiceProvider {
  return {
    name: 'directconnect',
    model: loadModel('directconnect-2012-10-25'),
    protocol: 'json',
    handlers,
    jsonErrors: {
      serialization: (m) => new ApiError('SerializationException', m),
      validation: (m) => new ApiError('DirectConnectClientException', m),
    },
  };
}

/** Virtual interfaces that are up, for the network engine: on-premises traffic enters here. */
export function availableVirtualInterfaces(ctx: RequestContext): VirtualInterface[] {
  return ctx.state
    .list<VifRecord>(VIF)
    .map((v) => vifView(ctx, v))
    .filter((v) => v.virtualInterfaceState === 'available');
}
