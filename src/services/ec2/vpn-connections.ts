/**
 * Site-to-Site VPN connections: two IPsec tunnels between a customer gateway and a virtual
 * private gateway, each with an AWS outside address from the public pool, a /30 inside block
 * from 169.254.0.0/16 and a pre-shared key; the customer gateway configuration document;
 * static routes; tunnel options; and tunnel status (VgwTelemetry).
 *
 * Tunnel status is vpcsim's to decide: both tunnels are UP once the connection is available
 * (AWS shows DOWN until the customer side connects), and `setVpnTunnelStatus` — served on
 * POST /_vpcsim/vpn-tunnel-status — sets a tunnel UP or DOWN so failover can be exercised.
 */
import type {
  CreateVpnConnectionRequest,
  CreateVpnConnectionResult,
  CreateVpnConnectionRouteRequest,
  DeleteVpnConnectionRequest,
  DeleteVpnConnectionRouteRequest,
  DescribeVpnConnectionsRequest,
  DescribeVpnConnectionsResult,
  ModifyVpnConnectionOptionsRequest,
  ModifyVpnConnectionOptionsResult,
  ModifyVpnConnectionRequest,
  ModifyVpnConnectionResult,
  ModifyVpnTunnelOptionsRequest,
  ModifyVpnTunnelOptionsResult,
  ModifyVpnTunnelOptionsSpecification,
  TunnelOption,
  VgwTelemetry,
  VpnConnection,
  VpnTunnelOptionsSpecification,
} from '@aws-sdk/client-ec2';
import { randomInt, randomUUID } from 'node:crypto';
import { ApiError } from '../../protocol/errors.js';
import { jsonObject, NOT_A_JSON_OBJECT } from '../../protocol/json-body.js';
import { contains, formatCidr, formatIpv4, hasHostBits, isRfc1918, parseCidr, parseCidr4, parseIpv4, RANGES } from '../../network/cidr.js';
import type { App } from '../../server/app.js';
import { ScopedState, scopeKey } from '../../state/store.js';
import type { Handler, RequestContext } from '../context.js';
import { allocatePublicIp, releasePublicIp } from './addresses.js';
import { customerGatewayAsn, getCustomerGateway, type CustomerGatewayRecord } from './customer-gateways.js';
import { applyFilters, pluck } from './filters.js';
import { newId, registerKind } from './resources.js';
import { tagsFromSpecs } from './tags.js';
import { getVpnGateway, type VpnGatewayRecord } from './vpn-gateways.js';
import {
  DELETED_VISIBLE_MS,
  type DeletedAt,
  generatePreSharedKey,
  invalidValue,
  isLive,
  isValidPreSharedKey,
  markDeleted,
  publicView,
  purgeExpired,
  requireLive,
  selectVisible,
} from './vpn.js';

registerKind({
  kind: 'vpn-connection',
  prefix: 'vpn',
  code: 'InvalidVpnConnectionID',
  noun: 'vpnConnection ID',
  malformedCode: 'InvalidVpnConnectionID',
  idField: 'VpnConnectionId',
});

export interface VpnConnectionRecord extends VpnConnection, DeletedAt {
  VpnConnectionId: string;
  /** The customer gateway's ASN (for the bgp-asn filter). */
  _cgwAsn?: string;
  /** When each deleted static route was deleted (ISO), by destination. */
  _routeDeletedAt?: Record<string, string>;
}

const TUNNELS = 2;

function getConnection(ctx: RequestContext, id: string | undefined): Readonly<VpnConnectionRecord> {
  return requireLive<VpnConnectionRecord>(ctx, 'vpn-connection', id, 'VpnConnectionId');
}

function noTransitGateways(id: string): ApiError {
  return new ApiError('InvalidTransitGatewayID.NotFound', `Transit Gateway ${id} was deleted or does not exist.`);
}

// ---------------------------------------------------------------------------------------------
// Tunnel options

const PHASE_ENCRYPTION = ['AES128', 'AES256', 'AES128-GCM-16', 'AES256-GCM-16'];
const PHASE_INTEGRITY = ['SHA1', 'SHA2-256', 'SHA2-384', 'SHA2-512'];
const PHASE1_DH = [2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24];
const PHASE2_DH = [2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24];
const IKE_VERSIONS = ['ikev1', 'ikev2'];
const DPD_ACTIONS = ['clear', 'none', 'restart'];
const STARTUP_ACTIONS = ['add', 'start'];

const LINK_LOCAL = parseCidr4('169.254.0.0/16')!;
const RESERVED_INSIDE = [
  '169.254.0.0/30',
  '169.254.1.0/30',
  '169.254.2.0/30',
  '169.254.3.0/30',
  '169.254.4.0/30',
  '169.254.5.0/30',
  '169.254.169.252/30',
];

type TunnelSpec = VpnTunnelOptionsSpecification | ModifyVpnTunnelOptionsSpecification;

function checkRange(param: string, v: number | undefined, min: number, max: number): void {
  if (v === undefined) return;
  if (!Number.isInteger(v) || v < min || v > max) throw invalidValue(param, v, `Valid values: ${min} to ${max}.`);
}

function checkList<T>(param: string, list: Array<{ Value?: T }> | undefined, allowed: T[]): Array<{ Value: T }> | undefined {
  if (list === undefined) return undefined;
  const out: Array<{ Value: T }> = [];
  for (const item of list) {
    if (item.Value === undefined || !allowed.includes(item.Value)) {
      throw invalidValue(param, item.Value, `Valid values: ${allowed.join(' | ')}.`);
    }
    if (!out.some((o) => o.Value === item.Value)) out.push({ Value: item.Value });
  }
  return out;
}

export function validateTunnelInsideCidr(value: string, param = 'TunnelInsideCidr'): string {
  const c = parseCidr4(value);
  if (!c || c.prefix !== 30 || hasHostBits(value) || !contains(LINK_LOCAL, c)) {
    throw invalidValue(param, value, 'The tunnel inside CIDR must be a /30 block from the 169.254.0.0/16 range.');
  }
  const text = formatCidr(c);
  if (RESERVED_INSIDE.includes(text)) {
    throw invalidValue(param, value, `The CIDR block ${text} is reserved and cannot be used.`);
  }
  return text;
}

/**
 * The options of one tunnel as the request gives them, checked against AWS's rules and
 * shaped as the TunnelOption AWS returns (only what was specified; defaults are implied).
 */
function tunnelOptionsFrom(spec: TunnelSpec, base: Readonly<TunnelOption> = {}): TunnelOption {
  const out: TunnelOption = {};
  if (spec.TunnelInsideIpv6Cidr !== undefined) {
    throw new ApiError('InvalidParameterCombination', 'An ipv6 inside cidr is not allowed for VPNs using an ipv4 inside ip version');
  }
  if (spec.TunnelInsideCidr !== undefined) out.TunnelInsideCidr = validateTunnelInsideCidr(spec.TunnelInsideCidr);
  if (spec.PreSharedKey !== undefined) {
    if (!isValidPreSharedKey(spec.PreSharedKey)) throw new ApiError('InvalidParameterValue', 'Value for parameter PreSharedKey is invalid.');
    out.PreSharedKey = spec.PreSharedKey;
  }
  checkRange('Phase1LifetimeSeconds', spec.Phase1LifetimeSeconds, 900, 28800);
  checkRange('Phase2LifetimeSeconds', spec.Phase2LifetimeSeconds, 900, 3600);
  checkRange('RekeyFuzzPercentage', spec.RekeyFuzzPercentage, 0, 100);
  checkRange('ReplayWindowSize', spec.ReplayWindowSize, 64, 2048);
  checkRange('DPDTimeoutSeconds', spec.DPDTimeoutSeconds, 30, Number.MAX_SAFE_INTEGER);
  const phase1 = spec.Phase1LifetimeSeconds ?? base.Phase1LifetimeSeconds ?? 28800;
  const phase2 = spec.Phase2LifetimeSeconds ?? base.Phase2LifetimeSeconds ?? 3600;
  if (phase2 >= phase1 && (spec.Phase1LifetimeSeconds !== undefined || spec.Phase2LifetimeSeconds !== undefined)) {
    throw invalidValue('Phase2LifetimeSeconds', phase2, 'The phase 2 lifetime must be less than the phase 1 lifetime.');
  }
  if (spec.RekeyMarginTimeSeconds !== undefined) {
    const v = spec.RekeyMarginTimeSeconds;
    if (!Number.isInteger(v) || v < 60 || v > Math.floor(phase2 / 2)) {
      throw invalidValue('RekeyMarginTimeSeconds', v, `Valid values: 60 to half of Phase2LifetimeSeconds (${Math.floor(phase2 / 2)}).`);
    }
  }
  if (spec.DPDTimeoutAction !== undefined && !DPD_ACTIONS.includes(spec.DPDTimeoutAction)) {
    throw invalidValue('DPDTimeoutAction', spec.DPDTimeoutAction, `Valid values: ${DPD_ACTIONS.join(' | ')}.`);
  }
  if (spec.StartupAction !== undefined && !STARTUP_ACTIONS.includes(spec.StartupAction)) {
    throw invalidValue('StartupAction', spec.StartupAction, `Valid values: ${STARTUP_ACTIONS.join(' | ')}.`);
  }
  const logFormat = spec.LogOptions?.CloudWatchLogOptions?.LogOutputFormat;
  if (logFormat !== undefined && logFormat !== 'json' && logFormat !== 'text') {
    throw invalidValue('LogOutputFormat', logFormat, 'Valid values: json | text.');
  }
  if (spec.LogOptions?.CloudWatchLogOptions?.LogEnabled && !spec.LogOptions.CloudWatchLogOptions.LogGroupArn) {
    throw new ApiError('MissingParameter', 'The request must contain the parameter LogGroupArn when LogEnabled is true');
  }
  Object.assign(out, {
    Phase1LifetimeSeconds: spec.Phase1LifetimeSeconds,
    Phase2LifetimeSeconds: spec.Phase2LifetimeSeconds,
    RekeyMarginTimeSeconds: spec.RekeyMarginTimeSeconds,
    RekeyFuzzPercentage: spec.RekeyFuzzPercentage,
    ReplayWindowSize: spec.ReplayWindowSize,
    DpdTimeoutSeconds: spec.DPDTimeoutSeconds,
    DpdTimeoutAction: spec.DPDTimeoutAction,
    Phase1EncryptionAlgorithms: checkList('Phase1EncryptionAlgorithm', spec.Phase1EncryptionAlgorithms, PHASE_ENCRYPTION),
    Phase2EncryptionAlgorithms: checkList('Phase2EncryptionAlgorithm', spec.Phase2EncryptionAlgorithms, PHASE_ENCRYPTION),
    Phase1IntegrityAlgorithms: checkList('Phase1IntegrityAlgorithm', spec.Phase1IntegrityAlgorithms, PHASE_INTEGRITY),
    Phase2IntegrityAlgorithms: checkList('Phase2IntegrityAlgorithm', spec.Phase2IntegrityAlgorithms, PHASE_INTEGRITY),
    Phase1DHGroupNumbers: checkList('Phase1DHGroupNumber', spec.Phase1DHGroupNumbers, PHASE1_DH),
    Phase2DHGroupNumbers: checkList('Phase2DHGroupNumber', spec.Phase2DHGroupNumbers, PHASE2_DH),
    IkeVersions: checkList('IKEVersion', spec.IKEVersions, IKE_VERSIONS),
    StartupAction: spec.StartupAction,
    LogOptions: spec.LogOptions ? { CloudWatchLogOptions: { ...spec.LogOptions.CloudWatchLogOptions } } : undefined,
    EnableTunnelLifecycleControl: spec.EnableTunnelLifecycleControl,
  });
  for (const k of Object.keys(out) as Array<keyof TunnelOption>) if (out[k] === undefined) delete out[k];
  return out;
}

/** Inside /30 blocks in use by live connections on the gateway (other than `except`). */
function insideCidrsInUse(ctx: RequestContext, vgwId: string | undefined, except?: string): Set<string> {
  const used = new Set<string>();
  if (!vgwId) return used;
  for (const c of ctx.state.list<VpnConnectionRecord>('vpn-connection')) {
    if (c.VpnGatewayId !== vgwId || !isLive(c) || c.VpnConnectionId === except) continue;
    for (const t of c.Options?.TunnelOptions ?? []) if (t.TunnelInsideCidr) used.add(t.TunnelInsideCidr);
  }
  return used;
}

/** A free /30 from 169.254.0.0/16, at random as AWS picks them. */
function pickInsideCidr(used: Set<string>): string {
  const blocks = 1 << 14;
  const start = randomInt(blocks);
  for (let i = 0; i < blocks; i++) {
    const text = formatCidr({ version: 4, base: LINK_LOCAL.base + ((start + i) % blocks) * 4, prefix: 30 });
    if (!RESERVED_INSIDE.includes(text) && !used.has(text)) return text;
  }
  throw new ApiError('InsufficientFreeAddresses', 'No free tunnel inside CIDR blocks remain on this gateway.');
}

function insideCidrTaken(cidr: string, vgwId: string | undefined): ApiError {
  return invalidValue(
    'TunnelInsideCidr',
    cidr,
    vgwId ? `The CIDR block is already in use by another VPN tunnel on ${vgwId}.` : 'The CIDR block is already in use by the other tunnel.',
  );
}

// ---------------------------------------------------------------------------------------------
// The customer gateway configuration document

function xml(text: string | number | undefined): string {
  return String(text ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

const ENCRYPTION_NAMES: Record<string, string> = {
  AES128: 'aes-128-cbc',
  AES256: 'aes-256-cbc',
  'AES128-GCM-16': 'aes-128-gcm-16',
  'AES256-GCM-16': 'aes-256-gcm-16',
};
const IKE_INTEGRITY_NAMES: Record<string, string> = { SHA1: 'sha1', 'SHA2-256': 'sha256', 'SHA2-384': 'sha384', 'SHA2-512': 'sha512' };
const IPSEC_INTEGRITY_NAMES: Record<string, string> = {
  SHA1: 'hmac-sha1-96',
  'SHA2-256': 'hmac-sha256-128',
  'SHA2-384': 'hmac-sha384-192',
  'SHA2-512': 'hmac-sha512-256',
};

function first<T>(list: Array<{ Value?: T }> | undefined): T | undefined {
  return list?.[0]?.Value;
}

function insideAddresses(cidr: string): { vgw: string; cgw: string } {
  const base = parseCidr4(cidr)!.base;
  return { vgw: formatIpv4(base + 1), cgw: formatIpv4(base + 2) };
}

/**
 * The CustomerGatewayConfiguration: AWS's generic `vpn_connection` XML document, one
 * `ipsec_tunnel` per tunnel with both ends' outside and inside addresses, the IKE and IPsec
 * parameters, the pre-shared key, and the BGP ASNs when the connection uses BGP.
 */
export function customerGatewayConfiguration(
  conn: Readonly<VpnConnectionRecord>,
  cgw: Readonly<CustomerGatewayRecord> | undefined,
  vgw: Readonly<VpnGatewayRecord> | undefined,
): string {
  const bgp = !conn.Options?.StaticRoutesOnly;
  const cgwAsn = cgw ? customerGatewayAsn(cgw) : undefined;
  const vgwAsn = vgw?.AmazonSideAsn ?? 64512;
  const lines: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<vpn_connection id="${xml(conn.VpnConnectionId)}">`,
    `  <customer_gateway_id>${xml(conn.CustomerGatewayId)}</customer_gateway_id>`,
    conn.VpnGatewayId ? `  <vpn_gateway_id>${xml(conn.VpnGatewayId)}</vpn_gateway_id>` : '  <vpn_gateway_id />',
    `  <vpn_connection_type>${xml(conn.Type)}</vpn_connection_type>`,
  ];
  if (!bgp) lines.push('  <vpn_connection_attributes>NoBGPVPNConnection</vpn_connection_attributes>');
  const side = (name: string, outside: string | undefined, inside: string, asn: string | number | undefined): string[] => {
    const out = [
      `    <${name}>`,
      '      <tunnel_outside_address>',
      `        <ip_address>${xml(outside)}</ip_address>`,
      '      </tunnel_outside_address>',
      '      <tunnel_inside_address>',
      `        <ip_address>${xml(inside)}</ip_address>`,
      '        <network_mask>255.255.255.252</network_mask>',
      '        <network_cidr>30</network_cidr>',
      '      </tunnel_inside_address>',
    ];
    if (bgp) out.push('      <bgp>', `        <asn>${xml(asn)}</asn>`, '        <hold_time>30</hold_time>', '      </bgp>');
    out.push(`    </${name}>`);
    return out;
  };
  for (const t of conn.Options?.TunnelOptions ?? []) {
    const inside = insideAddresses(t.TunnelInsideCidr!);
    const p1Enc = ENCRYPTION_NAMES[first(t.Phase1EncryptionAlgorithms) ?? 'AES128']!;
    const p2Enc = ENCRYPTION_NAMES[first(t.Phase2EncryptionAlgorithms) ?? 'AES128']!;
    const p1Int = IKE_INTEGRITY_NAMES[first(t.Phase1IntegrityAlgorithms) ?? 'SHA1']!;
    const p2Int = IPSEC_INTEGRITY_NAMES[first(t.Phase2IntegrityAlgorithms) ?? 'SHA1']!;
    lines.push(
      '  <ipsec_tunnel>',
      ...side('customer_gateway', cgw?.IpAddress, inside.cgw, cgwAsn),
      ...side('vpn_gateway', t.OutsideIpAddress, inside.vgw, vgwAsn),
      '    <ike>',
      `      <authentication_protocol>${p1Int}</authentication_protocol>`,
      `      <encryption_protocol>${p1Enc}</encryption_protocol>`,
      `      <lifetime>${t.Phase1LifetimeSeconds ?? 28800}</lifetime>`,
      `      <perfect_forward_secrecy>group${first(t.Phase1DHGroupNumbers) ?? 2}</perfect_forward_secrecy>`,
      '      <mode>main</mode>',
      `      <pre_shared_key>${xml(t.PreSharedKey)}</pre_shared_key>`,
      '    </ike>',
      '    <ipsec>',
      '      <protocol>esp</protocol>',
      `      <authentication_protocol>${p2Int}</authentication_protocol>`,
      `      <encryption_protocol>${p2Enc}</encryption_protocol>`,
      `      <lifetime>${t.Phase2LifetimeSeconds ?? 3600}</lifetime>`,
      `      <perfect_forward_secrecy>group${first(t.Phase2DHGroupNumbers) ?? 2}</perfect_forward_secrecy>`,
      '      <mode>tunnel</mode>',
      '      <clear_df_bit>true</clear_df_bit>',
      '      <fragmentation_before_encryption>true</fragmentation_before_encryption>',
      '      <tcp_mss_adjustment>1379</tcp_mss_adjustment>',
      '      <dead_peer_detection>',
      '        <interval>10</interval>',
      '        <retries>3</retries>',
      '      </dead_peer_detection>',
      '    </ipsec>',
      '  </ipsec_tunnel>',
    );
  }
  lines.push('</vpn_connection>');
  return lines.join('\n');
}

/** Rewrites the configuration document after the connection's gateways or tunnels changed. */
function refreshConfiguration(ctx: RequestContext, conn: VpnConnectionRecord): void {
  const cgw = conn.CustomerGatewayId ? ctx.state.get<CustomerGatewayRecord>('customer-gateway', conn.CustomerGatewayId) : undefined;
  const vgw = conn.VpnGatewayId ? ctx.state.get<VpnGatewayRecord>('vpn-gateway', conn.VpnGatewayId) : undefined;
  conn._cgwAsn = cgw ? customerGatewayAsn(cgw) : undefined;
  conn.CustomerGatewayConfiguration = customerGatewayConfiguration(conn, cgw, vgw);
}

// ---------------------------------------------------------------------------------------------
// Views

function activeRoutes(c: Readonly<VpnConnectionRecord>): number {
  return (c.Routes ?? []).filter((r) => r.State === 'available').length;
}

function telemetryView(c: Readonly<VpnConnectionRecord>): VgwTelemetry[] | undefined {
  return c.VgwTelemetry?.map((t) => {
    const up = t.Status === 'UP' && c.State === 'available';
    const bgp = !c.Options?.StaticRoutesOnly;
    return {
      ...t,
      Status: up ? 'UP' : 'DOWN',
      AcceptedRouteCount: up && !bgp ? activeRoutes(c) : 0,
      StatusMessage: up && bgp ? '0 BGP ROUTES' : '',
    };
  });
}

export function vpnConnectionView(ctx: RequestContext, c: Readonly<VpnConnectionRecord>): VpnConnection {
  const v = publicView(c);
  const showConfig = c.State === 'pending' || c.State === 'available';
  const routes = (c.Routes ?? []).filter((r) => {
    if (r.State !== 'deleted') return true;
    const at = c._routeDeletedAt?.[r.DestinationCidrBlock ?? ''];
    return !at || ctx.now.getTime() - Date.parse(at) < DELETED_VISIBLE_MS;
  });
  return {
    ...v,
    CustomerGatewayConfiguration: showConfig ? v.CustomerGatewayConfiguration : undefined,
    Routes: routes,
    VgwTelemetry: telemetryView(c),
  };
}

// ---------------------------------------------------------------------------------------------
// Operations

function checkIpv4Cidr(param: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const c = parseCidr(value);
  if (!c || c.version !== 4) throw invalidValue(param, value, 'This is not a valid CIDR block.');
  return formatCidr(c);
}

function rejectIpv6NetworkCidrs(input: { LocalIpv6NetworkCidr?: string; RemoteIpv6NetworkCidr?: string }): void {
  if (input.LocalIpv6NetworkCidr !== undefined || input.RemoteIpv6NetworkCidr !== undefined) {
    throw new ApiError(
      'InvalidParameterCombination',
      'IPv6 network CIDRs are not allowed for VPNs using an ipv4 inside ip version',
    );
  }
}

function isPublicIpv4(ip: string): boolean {
  const n = parseIpv4(ip);
  if (n === undefined) return false;
  const c = { version: 4 as const, base: n, prefix: 32 };
  return !isRfc1918(c) && !contains(RANGES.sharedAddressSpace, c) && !contains(RANGES.linkLocal, c);
}

/** Checks that the gateway can take one more connection to this customer gateway. */
function checkGatewayCapacity(ctx: RequestContext, vgwId: string, cgw: Readonly<CustomerGatewayRecord>, except?: string): void {
  const onGateway = ctx.state
    .list<VpnConnectionRecord>('vpn-connection')
    .filter((c) => c.VpnGatewayId === vgwId && isLive(c) && c.VpnConnectionId !== except);
  if (onGateway.length >= ctx.config.quotas.vpnConnectionsPerVpnGateway) {
    throw new ApiError('VpnConnectionLimitExceeded', `The maximum number of VPN connections for ${vgwId} has been reached.`);
  }
  if (cgw.IpAddress) {
    const clash = onGateway.some((c) => {
      const other = c.CustomerGatewayId ? ctx.state.get<CustomerGatewayRecord>('customer-gateway', c.CustomerGatewayId) : undefined;
      return other?.IpAddress === cgw.IpAddress;
    });
    if (clash) throw new ApiError('InvalidCustomerGateway.DuplicateIpAddress', 'Conflict among chosen gateway IP addresses.');
  }
}

export function createVpnConnection(ctx: RequestContext, input: CreateVpnConnectionRequest): CreateVpnConnectionResult {
  if (input.Type !== 'ipsec.1') throw invalidValue('type', input.Type, 'Valid values: ipsec.1');
  const cgw = getCustomerGateway(ctx, input.CustomerGatewayId);
  if (input.VpnGatewayId !== undefined && input.TransitGatewayId !== undefined) {
    throw new ApiError('InvalidParameterCombination', 'Specify either VpnGatewayId or TransitGatewayId, not both.');
  }
  if (input.TransitGatewayId !== undefined) throw noTransitGateways(input.TransitGatewayId);
  const vgw = input.VpnGatewayId !== undefined ? getVpnGateway(ctx, input.VpnGatewayId) : undefined;
  const opts = input.Options ?? {};
  if (opts.EnableAcceleration) {
    throw new ApiError('InvalidParameterCombination', 'Acceleration is supported only for VPN connections attached to a transit gateway.');
  }
  if (opts.TunnelInsideIpVersion !== undefined && opts.TunnelInsideIpVersion !== 'ipv4') {
    if (opts.TunnelInsideIpVersion !== 'ipv6') throw invalidValue('TunnelInsideIpVersion', opts.TunnelInsideIpVersion, 'Valid values: ipv4 | ipv6.');
    throw new ApiError('InvalidParameterCombination', 'IPv6 tunnels are supported only for VPN connections attached to a transit gateway.');
  }
  if (opts.OutsideIpAddressType !== undefined && opts.OutsideIpAddressType !== 'PublicIpv4') {
    if (!['PrivateIpv4', 'Ipv6'].includes(opts.OutsideIpAddressType)) {
      throw invalidValue('OutsideIpAddressType', opts.OutsideIpAddressType, 'Valid values: PrivateIpv4 | PublicIpv4 | Ipv6.');
    }
    throw new ApiError(
      'InvalidParameterCombination',
      `OutsideIpAddressType ${opts.OutsideIpAddressType} is supported only for VPN connections attached to a transit gateway.`,
    );
  }
  if (opts.TransportTransitGatewayAttachmentId !== undefined) {
    throw new ApiError('InvalidParameterCombination', 'TransportTransitGatewayAttachmentId requires a transit gateway.');
  }
  rejectIpv6NetworkCidrs(opts);
  const local = checkIpv4Cidr('LocalIpv4NetworkCidr', opts.LocalIpv4NetworkCidr) ?? '0.0.0.0/0';
  const remote = checkIpv4Cidr('RemoteIpv4NetworkCidr', opts.RemoteIpv4NetworkCidr) ?? '0.0.0.0/0';
  if (cgw.IpAddress && !isPublicIpv4(cgw.IpAddress)) {
    throw invalidValue(
      'CustomerGatewayId',
      cgw.CustomerGatewayId,
      `The customer gateway IP address ${cgw.IpAddress} is not a public IPv4 address, as OutsideIpAddressType PublicIpv4 requires.`,
    );
  }
  const specs = opts.TunnelOptions ?? [];
  if (specs.length > TUNNELS) {
    throw invalidValue('TunnelOptions', specs.length, 'A VPN connection has two tunnels; specify at most two sets of tunnel options.');
  }
  const tunnelOptions: TunnelOption[] = [];
  for (let i = 0; i < TUNNELS; i++) tunnelOptions.push(specs[i] ? tunnelOptionsFrom(specs[i]!) : {});
  const tags = tagsFromSpecs(ctx, input.TagSpecifications, 'vpn-connection');

  purgeExpired(ctx, 'vpn-connection');
  const live = ctx.state.list<VpnConnectionRecord>('vpn-connection').filter(isLive);
  if (live.length >= ctx.config.quotas.vpnConnectionsPerRegion) {
    throw new ApiError('VpnConnectionLimitExceeded', 'The maximum number of VPN connections has been reached.');
  }
  if (vgw) checkGatewayCapacity(ctx, vgw.VpnGatewayId, cgw);

  // Inside blocks: as given (unique on the gateway and between the tunnels), else picked.
  const used = insideCidrsInUse(ctx, vgw?.VpnGatewayId);
  for (const t of tunnelOptions) {
    if (!t.TunnelInsideCidr) continue;
    if (used.has(t.TunnelInsideCidr)) throw insideCidrTaken(t.TunnelInsideCidr, vgw?.VpnGatewayId);
    used.add(t.TunnelInsideCidr);
  }
  const id = newId('vpn');
  const now = ctx.now.toISOString();
  for (const t of tunnelOptions) {
    if (!t.TunnelInsideCidr) {
      t.TunnelInsideCidr = pickInsideCidr(used);
      used.add(t.TunnelInsideCidr);
    }
    t.PreSharedKey ??= generatePreSharedKey();
    t.OutsideIpAddress = allocatePublicIp(ctx);
  }
  const conn: VpnConnectionRecord = {
    Category: 'VPN',
    CustomerGatewayId: cgw.CustomerGatewayId,
    State: 'available',
    Type: 'ipsec.1',
    VpnConnectionId: id,
    VpnGatewayId: vgw?.VpnGatewayId,
    GatewayAssociationState: vgw ? 'associated' : 'not-associated',
    Options: {
      EnableAcceleration: false,
      StaticRoutesOnly: opts.StaticRoutesOnly ?? false,
      LocalIpv4NetworkCidr: local,
      RemoteIpv4NetworkCidr: remote,
      OutsideIpAddressType: 'PublicIpv4',
      TunnelInsideIpVersion: 'ipv4',
      TunnelOptions: tunnelOptions.map((t) => ({ OutsideIpAddress: t.OutsideIpAddress, ...t })),
    },
    Routes: [],
    Tags: tags,
    VgwTelemetry: tunnelOptions.map((t) => ({
      OutsideIpAddress: t.OutsideIpAddress,
      Status: 'UP',
      StatusMessage: '',
      LastStatusChange: now as unknown as Date,
      AcceptedRouteCount: 0,
    })),
  };
  refreshConfiguration(ctx, conn);
  ctx.state.put('vpn-connection', id, conn);
  // AWS answers while the tunnels are still being provisioned; available by the next call.
  const { VgwTelemetry: _t, ...view } = vpnConnectionView(ctx, conn);
  return { VpnConnection: { ...view, State: 'pending', CustomerGatewayConfiguration: conn.CustomerGatewayConfiguration } };
}

export function deleteVpnConnection(ctx: RequestContext, input: DeleteVpnConnectionRequest): void {
  const conn = getConnection(ctx, input.VpnConnectionId);
  const rec = markDeleted<VpnConnectionRecord>(ctx, 'vpn-connection', conn.VpnConnectionId);
  rec.GatewayAssociationState = 'not-associated';
  for (const t of rec.VgwTelemetry ?? []) {
    if (t.Status === 'UP') {
      t.Status = 'DOWN';
      t.LastStatusChange = ctx.now.toISOString() as unknown as Date;
    }
    if (t.OutsideIpAddress) releasePublicIp(ctx, t.OutsideIpAddress);
  }
}

function staticRouteConnection(ctx: RequestContext, id: string | undefined): Readonly<VpnConnectionRecord> {
  const conn = getConnection(ctx, id);
  if (!conn.Options?.StaticRoutesOnly) {
    throw new ApiError('InvalidVpnConnection.InvalidType', 'The specified VPN connection does not support static routes.');
  }
  if (conn.State !== 'available') {
    throw new ApiError('InvalidVpnConnection.InvalidState', 'The VPN connection must be in the available state to complete the request.');
  }
  return conn;
}

export function createVpnConnectionRoute(ctx: RequestContext, input: CreateVpnConnectionRouteRequest): void {
  const cidr = checkIpv4Cidr('DestinationCidrBlock', input.DestinationCidrBlock)!;
  const conn = staticRouteConnection(ctx, input.VpnConnectionId);
  const existing = conn.Routes?.find((r) => r.DestinationCidrBlock === cidr);
  if (existing?.State === 'available') return;
  const rec = ctx.state.edit<VpnConnectionRecord>('vpn-connection', conn.VpnConnectionId)!;
  rec.Routes = [...(rec.Routes ?? []).filter((r) => r.DestinationCidrBlock !== cidr), { DestinationCidrBlock: cidr, Source: 'Static', State: 'available' }];
  if (rec._routeDeletedAt) delete rec._routeDeletedAt[cidr];
}

export function deleteVpnConnectionRoute(ctx: RequestContext, input: DeleteVpnConnectionRouteRequest): void {
  const cidr = checkIpv4Cidr('DestinationCidrBlock', input.DestinationCidrBlock)!;
  const conn = staticRouteConnection(ctx, input.VpnConnectionId);
  if (!conn.Routes?.some((r) => r.DestinationCidrBlock === cidr && r.State === 'available')) {
    throw new ApiError('InvalidRoute.NotFound', `The specified route ${input.DestinationCidrBlock} does not exist`);
  }
  const rec = ctx.state.edit<VpnConnectionRecord>('vpn-connection', conn.VpnConnectionId)!;
  rec.Routes = rec.Routes!.map((r) => (r.DestinationCidrBlock === cidr ? { ...r, State: 'deleted' } : r));
  rec._routeDeletedAt = { ...(rec._routeDeletedAt ?? {}), [cidr]: ctx.now.toISOString() };
}

const VPN_FILTERS = {
  'customer-gateway-configuration': (c: VpnConnectionRecord) => c.CustomerGatewayConfiguration,
  'customer-gateway-id': (c: VpnConnectionRecord) => c.CustomerGatewayId,
  state: (c: VpnConnectionRecord) => c.State,
  'option.static-routes-only': (c: VpnConnectionRecord) => c.Options?.StaticRoutesOnly ?? false,
  'route.destination-cidr-block': (c: VpnConnectionRecord) => pluck(c.Routes, (r) => r.DestinationCidrBlock),
  'bgp-asn': (c: VpnConnectionRecord) => c._cgwAsn,
  type: (c: VpnConnectionRecord) => c.Type,
  'vpn-connection-id': (c: VpnConnectionRecord) => c.VpnConnectionId,
  'vpn-gateway-id': (c: VpnConnectionRecord) => c.VpnGatewayId,
  'transit-gateway-id': (c: VpnConnectionRecord) => c.TransitGatewayId,
};

export function describeVpnConnections(ctx: RequestContext, input: DescribeVpnConnectionsRequest): DescribeVpnConnectionsResult {
  const selected = applyFilters(
    selectVisible<VpnConnectionRecord>(ctx, 'vpn-connection', input.VpnConnectionIds) as VpnConnectionRecord[],
    input.Filters,
    VPN_FILTERS,
  );
  return { VpnConnections: selected.map((c) => vpnConnectionView(ctx, c)) };
}

export function modifyVpnConnection(ctx: RequestContext, input: ModifyVpnConnectionRequest): ModifyVpnConnectionResult {
  const conn = getConnection(ctx, input.VpnConnectionId);
  if (input.CustomerGatewayId === undefined && input.VpnGatewayId === undefined && input.TransitGatewayId === undefined) {
    throw new ApiError('MissingParameter', 'The request must contain one of the parameters CustomerGatewayId, VpnGatewayId or TransitGatewayId');
  }
  if (input.VpnGatewayId !== undefined && input.TransitGatewayId !== undefined) {
    throw new ApiError('InvalidParameterCombination', 'Specify either VpnGatewayId or TransitGatewayId, not both.');
  }
  if (input.TransitGatewayId !== undefined) throw noTransitGateways(input.TransitGatewayId);
  const cgw = input.CustomerGatewayId !== undefined ? getCustomerGateway(ctx, input.CustomerGatewayId) : getCustomerGateway(ctx, conn.CustomerGatewayId);
  const vgw = input.VpnGatewayId !== undefined ? getVpnGateway(ctx, input.VpnGatewayId) : undefined;
  if (cgw.IpAddress && !isPublicIpv4(cgw.IpAddress)) {
    throw invalidValue('CustomerGatewayId', cgw.CustomerGatewayId, `The customer gateway IP address ${cgw.IpAddress} is not a public IPv4 address.`);
  }
  const targetVgw = vgw?.VpnGatewayId ?? conn.VpnGatewayId;
  if (targetVgw) checkGatewayCapacity(ctx, targetVgw, cgw, conn.VpnConnectionId);
  const rec = ctx.state.edit<VpnConnectionRecord>('vpn-connection', conn.VpnConnectionId)!;
  rec.CustomerGatewayId = cgw.CustomerGatewayId;
  if (vgw && vgw.VpnGatewayId !== conn.VpnGatewayId) {
    rec.VpnGatewayId = vgw.VpnGatewayId;
    rec.GatewayAssociationState = 'associated';
    // Inside blocks must stay unique on the new gateway: clashing ones are picked afresh.
    const used = insideCidrsInUse(ctx, vgw.VpnGatewayId, conn.VpnConnectionId);
    for (const t of rec.Options?.TunnelOptions ?? []) {
      if (!t.TunnelInsideCidr || used.has(t.TunnelInsideCidr)) t.TunnelInsideCidr = pickInsideCidr(used);
      used.add(t.TunnelInsideCidr);
    }
  }
  refreshConfiguration(ctx, rec);
  return { VpnConnection: vpnConnectionView(ctx, rec) };
}

export function modifyVpnConnectionOptions(ctx: RequestContext, input: ModifyVpnConnectionOptionsRequest): ModifyVpnConnectionOptionsResult {
  const conn = getConnection(ctx, input.VpnConnectionId);
  rejectIpv6NetworkCidrs(input);
  const local = checkIpv4Cidr('LocalIpv4NetworkCidr', input.LocalIpv4NetworkCidr);
  const remote = checkIpv4Cidr('RemoteIpv4NetworkCidr', input.RemoteIpv4NetworkCidr);
  if (local === undefined && remote === undefined) {
    throw new ApiError('MissingParameter', 'The request must contain one of the parameters LocalIpv4NetworkCidr or RemoteIpv4NetworkCidr');
  }
  const rec = ctx.state.edit<VpnConnectionRecord>('vpn-connection', conn.VpnConnectionId)!;
  rec.Options = { ...rec.Options };
  if (local !== undefined) rec.Options.LocalIpv4NetworkCidr = local;
  if (remote !== undefined) rec.Options.RemoteIpv4NetworkCidr = remote;
  return { VpnConnection: vpnConnectionView(ctx, rec) };
}

export function modifyVpnTunnelOptions(ctx: RequestContext, input: ModifyVpnTunnelOptionsRequest): ModifyVpnTunnelOptionsResult {
  const conn = getConnection(ctx, input.VpnConnectionId);
  const index = conn.Options?.TunnelOptions?.findIndex((t) => t.OutsideIpAddress === input.VpnTunnelOutsideIpAddress) ?? -1;
  if (index < 0) {
    throw invalidValue('VpnTunnelOutsideIpAddress', input.VpnTunnelOutsideIpAddress, `It is not a tunnel of ${conn.VpnConnectionId}.`);
  }
  const current = conn.Options!.TunnelOptions![index]!;
  const changes = tunnelOptionsFrom(input.TunnelOptions ?? {}, current);
  if (changes.TunnelInsideCidr && changes.TunnelInsideCidr !== current.TunnelInsideCidr) {
    const used = insideCidrsInUse(ctx, conn.VpnGatewayId, conn.VpnConnectionId);
    conn.Options!.TunnelOptions!.forEach((t, i) => i !== index && t.TunnelInsideCidr && used.add(t.TunnelInsideCidr));
    if (used.has(changes.TunnelInsideCidr)) throw insideCidrTaken(changes.TunnelInsideCidr, conn.VpnGatewayId);
  }
  const rec = ctx.state.edit<VpnConnectionRecord>('vpn-connection', conn.VpnConnectionId)!;
  const tunnels = rec.Options!.TunnelOptions!;
  tunnels[index] = { ...tunnels[index], ...changes };
  refreshConfiguration(ctx, rec);
  return { VpnConnection: vpnConnectionView(ctx, rec) };
}

// ---------------------------------------------------------------------------------------------
// Tunnel status (vpcsim's own endpoint)

export interface TunnelStatusReply {
  status: number;
  body: Record<string, unknown>;
}

/** Sets one tunnel UP or DOWN inside its own transaction; `body` is the JSON request. */
export function setVpnTunnelStatus(app: Pick<App, 'store' | 'config'>, body: string): TunnelStatusReply {
  const req = jsonObject(body);
  if (!req) return { status: 400, body: { error: 'InvalidRequest', message: NOT_A_JSON_OBJECT } };
  const str = (k: string) => (typeof req[k] === 'string' ? (req[k] as string) : undefined);
  const vpnConnectionId = str('vpnConnectionId');
  const outsideIpAddress = str('outsideIpAddress');
  const status = str('status');
  if (!vpnConnectionId || !outsideIpAddress || (status !== 'UP' && status !== 'DOWN')) {
    return {
      status: 400,
      body: { error: 'InvalidRequest', message: 'Expected {vpnConnectionId, outsideIpAddress, status: "UP" | "DOWN", account?, region?}.' },
    };
  }
  const account = str('account') ?? app.config.accountId;
  const region = str('region') ?? app.config.defaultRegion;
  const tx = app.store.begin();
  try {
    const state = new ScopedState(tx, scopeKey(account, region));
    const ctx: RequestContext = {
      account,
      region,
      requestId: randomUUID(),
      state,
      config: app.config,
      now: new Date(),
      caller: { accessKeyId: '', account, region },
    };
    const conn = getConnection(ctx, vpnConnectionId);
    const rec = ctx.state.edit<VpnConnectionRecord>('vpn-connection', conn.VpnConnectionId)!;
    const tunnel = rec.VgwTelemetry?.find((t) => t.OutsideIpAddress === outsideIpAddress);
    if (!tunnel) {
      tx.rollback();
      return {
        status: 404,
        body: { error: 'InvalidParameterValue', message: `${outsideIpAddress} is not a tunnel outside address of ${conn.VpnConnectionId}.` },
      };
    }
    if (tunnel.Status !== status) {
      tunnel.Status = status;
      tunnel.LastStatusChange = ctx.now.toISOString() as unknown as Date;
    }
    tx.commit();
    return { status: 200, body: { vpnConnectionId, outsideIpAddress, status, vgwTelemetry: telemetryView(rec) } };
  } catch (err) {
    tx.rollback();
    if (err instanceof ApiError) {
      return { status: err.code.endsWith('.NotFound') ? 404 : 400, body: { error: err.code, message: err.message } };
    }
    throw err;
  }
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  CreateVpnConnection: createVpnConnection,
  DeleteVpnConnection: deleteVpnConnection,
  DescribeVpnConnections: describeVpnConnections,
  CreateVpnConnectionRoute: createVpnConnectionRoute,
  DeleteVpnConnectionRoute: deleteVpnConnectionRoute,
  ModifyVpnConnection: modifyVpnConnection,
  ModifyVpnConnectionOptions: modifyVpnConnectionOptions,
  ModifyVpnTunnelOptions: modifyVpnTunnelOptions,
};
