/**
 * Customer gateways: the on-premises end of a Site-to-Site VPN connection, as AWS knows it
 * (outside IP address, BGP ASN, device name). Create is idempotent: an identical request
 * returns the existing gateway.
 */
import type {
  CreateCustomerGatewayRequest,
  CreateCustomerGatewayResult,
  CustomerGateway,
  DeleteCustomerGatewayRequest,
  DescribeCustomerGatewaysRequest,
  DescribeCustomerGatewaysResult,
} from '@aws-sdk/client-ec2';
import { ApiError } from '../../protocol/errors.js';
import { parseIpv4, parseIpv6 } from '../../network/cidr.js';
import type { Handler, RequestContext } from '../context.js';
import { applyFilters } from './filters.js';
import { newId, registerKind } from './resources.js';
import { tagsFromSpecs } from './tags.js';
import {
  type DeletedAt,
  invalidValue,
  isLive,
  markDeleted,
  publicView,
  purgeExpired,
  requireLive,
  selectVisible,
} from './vpn.js';

registerKind({
  kind: 'customer-gateway',
  prefix: 'cgw',
  code: 'InvalidCustomerGatewayID',
  noun: 'customerGateway ID',
  malformedCode: 'InvalidCustomerGatewayId.Malformed',
  idField: 'CustomerGatewayId',
});

export interface CustomerGatewayRecord extends CustomerGateway, DeletedAt {
  CustomerGatewayId: string;
}

const MAX_BGP_ASN = 2_147_483_647;
const MAX_BGP_ASN_EXTENDED = 4_294_967_295;
/** ASNs AWS keeps for itself in some regions. */
const RESERVED_ASNS: Record<string, number[]> = { 'us-east-1': [7224], 'eu-west-1': [9059] };

export function getCustomerGateway(ctx: RequestContext, id: string | undefined, param = 'CustomerGatewayId'): Readonly<CustomerGatewayRecord> {
  return requireLive<CustomerGatewayRecord>(ctx, 'customer-gateway', id, param);
}

/** The gateway's ASN, whichever member holds it. */
export function customerGatewayAsn(g: Readonly<CustomerGateway>): string | undefined {
  return g.BgpAsnExtended ?? g.BgpAsn;
}

export function customerGatewayView(g: Readonly<CustomerGatewayRecord>): CustomerGateway {
  return publicView(g);
}

function checkType(type: string | undefined): void {
  if (type !== 'ipsec.1') throw invalidValue('type', type, 'Valid values: ipsec.1');
}

function validateAsn(ctx: RequestContext, input: CreateCustomerGatewayRequest): { BgpAsn?: string; BgpAsnExtended?: string } {
  if (input.BgpAsn !== undefined && input.BgpAsnExtended !== undefined) {
    throw new ApiError('InvalidParameterCombination', 'Specify either BgpAsn or BgpAsnExtended, not both.');
  }
  if (input.BgpAsnExtended !== undefined) {
    const asn = input.BgpAsnExtended;
    if (!Number.isInteger(asn) || asn <= MAX_BGP_ASN || asn > MAX_BGP_ASN_EXTENDED) {
      throw invalidValue('BgpAsnExtended', asn, 'Valid values: 2147483648 to 4294967295.');
    }
    return { BgpAsnExtended: String(asn) };
  }
  const asn = input.BgpAsn ?? 65000;
  if (!Number.isInteger(asn) || asn < 1 || asn > MAX_BGP_ASN) {
    throw invalidValue('BgpAsn', asn, 'Valid values: 1 to 2147483647; use BgpAsnExtended for larger ASNs.');
  }
  if (RESERVED_ASNS[ctx.region]?.includes(asn)) {
    throw invalidValue('BgpAsn', asn, `The ASN ${asn} is reserved in ${ctx.region}.`);
  }
  return { BgpAsn: String(asn) };
}

function validateIpAddress(ip: string): void {
  const v4 = parseIpv4(ip);
  if (v4 !== undefined) {
    const first = v4 >>> 24;
    // 0.0.0.0/8, loopback, multicast and reserved ranges never name a gateway.
    if (first === 0 || first === 127 || first >= 224 || v4 === 0xffffffff) throw invalidValue('ipAddress', ip);
    return;
  }
  if (parseIpv6(ip) !== undefined) return;
  throw invalidValue('ipAddress', ip);
}

export function createCustomerGateway(ctx: RequestContext, input: CreateCustomerGatewayRequest): CreateCustomerGatewayResult {
  checkType(input.Type);
  const ip = input.IpAddress ?? input.PublicIp;
  if (ip === undefined || ip === '') {
    if (!input.CertificateArn) throw new ApiError('MissingParameter', 'The request must contain the parameter ipAddress');
  } else {
    validateIpAddress(ip);
  }
  if (input.CertificateArn !== undefined && !/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/.+$/.test(input.CertificateArn)) {
    throw invalidValue('CertificateArn', input.CertificateArn);
  }
  if (input.DeviceName !== undefined && [...input.DeviceName].length > 255) {
    throw invalidValue('DeviceName', input.DeviceName, 'The device name can be up to 255 characters.');
  }
  const asn = validateAsn(ctx, input);
  const tags = tagsFromSpecs(ctx, input.TagSpecifications, 'customer-gateway');
  purgeExpired(ctx, 'customer-gateway');
  const live = ctx.state.list<CustomerGatewayRecord>('customer-gateway').filter(isLive);
  // An identical request returns the existing gateway instead of creating another.
  const same = live.find(
    (g) =>
      g.Type === input.Type &&
      g.IpAddress === ip &&
      g.BgpAsn === asn.BgpAsn &&
      g.BgpAsnExtended === asn.BgpAsnExtended &&
      g.DeviceName === input.DeviceName &&
      g.CertificateArn === input.CertificateArn,
  );
  if (same) return { CustomerGateway: customerGatewayView(same) };
  if (live.length >= ctx.config.quotas.customerGatewaysPerRegion) {
    throw new ApiError('CustomerGatewayLimitExceeded', 'The maximum number of customer gateways has been reached.');
  }
  const cgw: CustomerGatewayRecord = {
    ...asn,
    CustomerGatewayId: newId('cgw'),
    IpAddress: ip || undefined,
    CertificateArn: input.CertificateArn,
    State: 'available',
    Type: input.Type,
    DeviceName: input.DeviceName,
    Tags: tags,
  };
  ctx.state.put('customer-gateway', cgw.CustomerGatewayId, cgw);
  return { CustomerGateway: customerGatewayView(cgw) };
}

export function deleteCustomerGateway(ctx: RequestContext, input: DeleteCustomerGatewayRequest): void {
  const cgw = getCustomerGateway(ctx, input.CustomerGatewayId);
  const inUse = ctx.state
    .list<{ CustomerGatewayId?: string; State?: string }>('vpn-connection')
    .some((c) => c.CustomerGatewayId === cgw.CustomerGatewayId && c.State !== 'deleted');
  if (inUse) throw new ApiError('IncorrectState', 'The customer gateway is in use.');
  markDeleted<CustomerGatewayRecord>(ctx, 'customer-gateway', cgw.CustomerGatewayId);
}

const CGW_FILTERS = {
  'bgp-asn': (g: CustomerGatewayRecord) => customerGatewayAsn(g),
  'customer-gateway-id': (g: CustomerGatewayRecord) => g.CustomerGatewayId,
  'ip-address': (g: CustomerGatewayRecord) => g.IpAddress,
  state: (g: CustomerGatewayRecord) => g.State,
  type: (g: CustomerGatewayRecord) => g.Type,
};

export function describeCustomerGateways(ctx: RequestContext, input: DescribeCustomerGatewaysRequest): DescribeCustomerGatewaysResult {
  const selected = applyFilters(
    selectVisible<CustomerGatewayRecord>(ctx, 'customer-gateway', input.CustomerGatewayIds) as CustomerGatewayRecord[],
    input.Filters,
    CGW_FILTERS,
  );
  return { CustomerGateways: selected.map(customerGatewayView) };
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  CreateCustomerGateway: createCustomerGateway,
  DeleteCustomerGateway: deleteCustomerGateway,
  DescribeCustomerGateways: describeCustomerGateways,
};
