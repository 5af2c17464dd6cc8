/**
 * Elastic IP addresses, and the pool every public IPv4 address comes from (Elastic IPs and
 * addresses auto-assigned at launch). Public addresses are unique across all accounts and
 * regions of this vpcsim, as on the internet: the registry lives in a global scope.
 *
 * An association lives on the network interface record (its `Association` and the matching
 * `PrivateIpAddresses[].Association`, as DescribeNetworkInterfaces shows it; set through
 * network-interfaces.ts) and on the address record (AssociationId, NetworkInterfaceId,
 * PrivateIpAddress). The instance an address is associated with is always read from the
 * interface's current attachment.
 */
import type {
  Address,
  AddressAttribute,
  AllocateAddressRequest,
  AllocateAddressResult,
  AssociateAddressRequest,
  AssociateAddressResult,
  DescribeAddressesAttributeRequest,
  DescribeAddressesAttributeResult,
  DescribeAddressesRequest,
  DescribeAddressesResult,
  DisassociateAddressRequest,
  ModifyAddressAttributeRequest,
  ModifyAddressAttributeResult,
  NetworkInterfaceAssociation,
  ReleaseAddressRequest,
  ResetAddressAttributeRequest,
  ResetAddressAttributeResult,
} from '@aws-sdk/client-ec2';
import { ApiError } from '../../protocol/errors.js';
import { containsIp4, formatIpv4, parseCidr4, parseIpv4, size4 } from '../../network/cidr.js';
import { DEFAULT_INTERNET_IP } from '../../network/trace.js';
import type { Handler, RequestContext } from '../context.js';
import { applyFilters } from './filters.js';
import { paginate } from './paginate.js';
import { getInstance, instanceStateName } from './instances.js';
import { vpcInternetGateway } from './internet-gateways.js';
import {
  type EniRecord,
  getNetworkInterface,
  interfacesOfInstance,
  publicDnsName,
  requireUserManaged,
  serviceManaged,
  setAddressAssociation,
} from './network-interfaces.js';
import { natGatewayState, type NatGatewayRecord } from './nat-gateways.js';
import { newId, requireRecord, selectByIds } from './resources.js';
import { tagsFromSpecs } from './tags.js';

const GLOBAL_ACCOUNT = 'global';
const GLOBAL_REGION = 'global';
const PUBLIC_IP_KIND = 'public-ip';
const KIND = 'elastic-ip';

interface PublicIpRecord {
  ip: string;
  account: string;
  region: string;
}

export interface AddressRecord extends Address {
  AllocationId: string;
  PublicIp: string;
  /** Reverse DNS (PTR) domain name set with ModifyAddressAttribute. */
  _ptrDomainName?: string;
}

function registry(ctx: RequestContext) {
  return ctx.state.other(GLOBAL_ACCOUNT, GLOBAL_REGION);
}

function poolBlocks(ctx: RequestContext) {
  return ctx.config.publicIpPool.map((c) => parseCidr4(c)).filter((c) => c !== undefined);
}

/**
 * Takes a free public IPv4 address from the configured pool (random, like AWS). Never the
 * simulation's stand-in internet host (DEFAULT_INTERNET_IP, where traces from an internet gateway
 * start): an address the network held would make that host one of its own.
 */
export function allocatePublicIp(ctx: RequestContext): string {
  const reg = registry(ctx);
  const blocks = poolBlocks(ctx);
  const total = blocks.reduce((n, b) => n + size4(b), 0);
  // Usable addresses skip each block's network and broadcast address.
  const pick = (k: number): string | undefined => {
    for (const b of blocks) {
      const usable = size4(b) - 2;
      if (k < usable) return formatIpv4(b.base + 1 + k);
      k -= usable;
    }
    return undefined;
  };
  const usableTotal = total - 2 * blocks.length;
  const start = Math.floor(Math.random() * Math.max(usableTotal, 1));
  for (let i = 0; i < usableTotal; i++) {
    const ip = pick((start + i) % usableTotal);
    if (ip && ip !== DEFAULT_INTERNET_IP && !reg.get(PUBLIC_IP_KIND, ip)) {
      reg.put<PublicIpRecord>(PUBLIC_IP_KIND, ip, { ip, account: ctx.account, region: ctx.region });
      return ip;
    }
  }
  throw new ApiError('AddressLimitExceeded', 'The public IPv4 address pool is exhausted.');
}

/** Takes one particular address from the pool, if it is a usable pool address and free. */
function claimPublicIp(ctx: RequestContext, ip: string): boolean {
  const n = parseIpv4(ip);
  if (n === undefined) return false;
  const inPool = poolBlocks(ctx).some((b) => containsIp4(b, n) && n !== b.base && n !== b.base + size4(b) - 1);
  const reg = registry(ctx);
  if (!inPool || reg.get(PUBLIC_IP_KIND, ip)) return false;
  reg.put<PublicIpRecord>(PUBLIC_IP_KIND, ip, { ip, account: ctx.account, region: ctx.region });
  return true;
}

/** Returns a public address to the pool. */
export function releasePublicIp(ctx: RequestContext, ip: string): void {
  registry(ctx).delete(PUBLIC_IP_KIND, ip);
}

// ---------------------------------------------------------------------------------------
// Associations

/** The interface the address is associated with, if that association still stands. */
function associatedInterface(ctx: RequestContext, a: Readonly<AddressRecord>): Readonly<EniRecord> | undefined {
  if (!a.AssociationId || !a.NetworkInterfaceId) return undefined;
  const eni = ctx.state.get<EniRecord>('network-interface', a.NetworkInterfaceId);
  if (!eni) return undefined;
  const live =
    eni.Association?.AssociationId === a.AssociationId ||
    eni.PrivateIpAddresses.some((p) => p.Association?.AssociationId === a.AssociationId);
  return live ? eni : undefined;
}

/**
 * An address a service holds on its own interface (a NAT gateway's) is that service's to
 * move: AWS refuses users who release, disassociate or reassociate it (AuthFailure).
 */
function requireNotServiceHeld(ctx: RequestContext, a: Readonly<AddressRecord>): void {
  const eni = associatedInterface(ctx, a);
  if (eni) requireUserManaged(eni);
  // A NAT gateway being deleted still holds its addresses until it is gone.
  const deleting = ctx.state
    .list<NatGatewayRecord>('nat-gateway')
    .some((n) => natGatewayState(n, ctx.now) === 'deleting' && n.NatGatewayAddresses.some((x) => x.AllocationId === a.AllocationId));
  if (deleting) throw serviceManaged();
}

function clearAssociationFields(a: AddressRecord): void {
  delete a.AssociationId;
  delete a.NetworkInterfaceId;
  delete a.NetworkInterfaceOwnerId;
  delete a.PrivateIpAddress;
  delete a.InstanceId;
}

/**
 * Removes the address's association from its interface (an instance whose auto-assigned
 * public IP it had replaced gets a new one, as AWS does) and from the address.
 */
function unmapFromInterface(ctx: RequestContext, a: AddressRecord): void {
  const eni = associatedInterface(ctx, a);
  if (eni) {
    const slot = eni.PrivateIpAddresses.find((p) => p.Association?.AssociationId === a.AssociationId);
    setAddressAssociation(ctx, eni.NetworkInterfaceId, slot?.PrivateIpAddress ?? eni.PrivateIpAddress, undefined);
  }
  clearAssociationFields(a);
}

function addressView(ctx: RequestContext, a: Readonly<AddressRecord>): Address {
  const out: Address = {
    AllocationId: a.AllocationId,
    Domain: a.Domain,
    PublicIp: a.PublicIp,
    PublicIpv4Pool: a.PublicIpv4Pool,
    NetworkBorderGroup: a.NetworkBorderGroup,
    Tags: a.Tags,
  };
  const eni = associatedInterface(ctx, a);
  if (eni) {
    out.AssociationId = a.AssociationId;
    out.NetworkInterfaceId = a.NetworkInterfaceId;
    out.NetworkInterfaceOwnerId = a.NetworkInterfaceOwnerId;
    out.PrivateIpAddress = a.PrivateIpAddress;
    if (eni.Attachment?.InstanceId) out.InstanceId = eni.Attachment.InstanceId;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Operations

export function allocateAddress(ctx: RequestContext, input: AllocateAddressRequest): AllocateAddressResult {
  if (input.Domain !== undefined && input.Domain !== 'vpc') {
    throw new ApiError('InvalidParameterValue', `Value (${input.Domain}) for parameter domain is invalid. Only 'vpc' is supported.`);
  }
  if (input.CustomerOwnedIpv4Pool !== undefined || input.IpamPoolId !== undefined) {
    throw new ApiError('UnsupportedOperation', 'Customer-owned and IPAM address pools are not supported by vpcsim.');
  }
  if (input.PublicIpv4Pool !== undefined && input.PublicIpv4Pool !== 'amazon') {
    throw new ApiError('InvalidPublicIpv4PoolID.NotFound', `The publicIpv4Pool ID '${input.PublicIpv4Pool}' does not exist`);
  }
  if (input.NetworkBorderGroup !== undefined && input.NetworkBorderGroup !== ctx.region) {
    throw new ApiError('InvalidParameterValue', `Invalid network border group: ${input.NetworkBorderGroup}`);
  }
  if (input.Address !== undefined && parseIpv4(input.Address) === undefined) {
    throw new ApiError('InvalidParameterValue', `Value (${input.Address}) for parameter address is invalid. This is not a valid IP address.`);
  }
  const tags = tagsFromSpecs(ctx, input.TagSpecifications, 'elastic-ip');
  if (ctx.state.list(KIND).length >= ctx.config.quotas.elasticIpsPerRegion) {
    throw new ApiError('AddressLimitExceeded', 'The maximum number of addresses has been reached.');
  }
  let ip: string;
  if (input.Address !== undefined) {
    if (!claimPublicIp(ctx, input.Address)) throw new ApiError('InvalidAddress.NotFound', `Address '${input.Address}' not found.`);
    ip = input.Address;
  } else {
    ip = allocatePublicIp(ctx);
  }
  const rec: AddressRecord = {
    AllocationId: newId('eipalloc'),
    Domain: 'vpc',
    PublicIp: ip,
    PublicIpv4Pool: 'amazon',
    NetworkBorderGroup: ctx.region,
    Tags: tags,
  };
  ctx.state.put(KIND, rec.AllocationId, rec);
  return {
    PublicIp: rec.PublicIp,
    AllocationId: rec.AllocationId,
    PublicIpv4Pool: rec.PublicIpv4Pool,
    NetworkBorderGroup: rec.NetworkBorderGroup,
    Domain: rec.Domain,
  };
}

function notYours(ip: string): ApiError {
  return new ApiError('AuthFailure', `The address '${ip}' does not belong to you.`);
}

function byPublicIp(ctx: RequestContext, ip: string): Readonly<AddressRecord> | undefined {
  return ctx.state.list<AddressRecord>(KIND).find((a) => a.PublicIp === ip);
}

export function releaseAddress(ctx: RequestContext, input: ReleaseAddressRequest): void {
  if (input.AllocationId !== undefined && input.PublicIp !== undefined) {
    throw new ApiError('InvalidParameterCombination', 'You may specify public IP or allocation id, but not both in the same call');
  }
  if (input.AllocationId === undefined) {
    if (input.PublicIp === undefined) throw new ApiError('MissingParameter', 'The request must contain the parameter AllocationId');
    if (!byPublicIp(ctx, input.PublicIp)) throw notYours(input.PublicIp);
    throw new ApiError('InvalidParameterValue', 'You must specify an allocation id when releasing a VPC elastic IP address');
  }
  const current = requireRecord<AddressRecord>(ctx.state, KIND, input.AllocationId, 'AllocationId');
  if (input.NetworkBorderGroup !== undefined && input.NetworkBorderGroup !== current.NetworkBorderGroup) {
    throw new ApiError('InvalidAddress.NotFound', `Address '${current.PublicIp}' not found in network border group '${input.NetworkBorderGroup}'.`);
  }
  requireNotServiceHeld(ctx, current);
  const eni = associatedInterface(ctx, current);
  if (eni) {
    // In a default VPC, releasing disassociates; elsewhere the address must be disassociated first.
    const inDefaultVpc = !!eni.VpcId && ctx.state.get<{ IsDefault?: boolean }>('vpc', eni.VpcId)?.IsDefault === true;
    if (!inDefaultVpc) throw new ApiError('InvalidIPAddress.InUse', `Address ${current.PublicIp} is in use.`);
    unmapFromInterface(ctx, ctx.state.edit<AddressRecord>(KIND, current.AllocationId)!);
  }
  releasePublicIp(ctx, current.PublicIp);
  ctx.state.delete(KIND, current.AllocationId);
}

/** The interface AssociateAddress targets: the one given, or the instance's only interface. */
function targetInterface(ctx: RequestContext, input: AssociateAddressRequest): Readonly<EniRecord> {
  if (input.InstanceId !== undefined && input.NetworkInterfaceId !== undefined) {
    throw new ApiError('InvalidParameterCombination', 'You can specify either an instance ID or a network interface ID, but not both.');
  }
  if (input.NetworkInterfaceId !== undefined) return getNetworkInterface(ctx, input.NetworkInterfaceId);
  if (input.InstanceId === undefined) {
    throw new ApiError('MissingParameter', 'Either an instance ID or a network interface ID must be specified.');
  }
  const inst = getInstance(ctx, input.InstanceId);
  const state = instanceStateName(inst, ctx.now);
  const enis = interfacesOfInstance(ctx, inst.InstanceId);
  if (state === 'terminated' || state === 'shutting-down' || enis.length === 0) {
    throw new ApiError('IncorrectInstanceState', `The instance '${inst.InstanceId}' is not in a valid state for this operation.`);
  }
  if (enis.length > 1) {
    throw new ApiError(
      'InvalidInstanceID',
      `There are multiple interfaces attached to instance '${inst.InstanceId}'. Please specify an interface ID for the operation instead.`,
    );
  }
  return enis[0]!;
}

export function associateAddress(ctx: RequestContext, input: AssociateAddressRequest): AssociateAddressResult {
  if (input.AllocationId === undefined) {
    if (input.PublicIp === undefined) throw new ApiError('MissingParameter', 'The request must contain the parameter AllocationId');
    if (!byPublicIp(ctx, input.PublicIp)) throw notYours(input.PublicIp);
    throw new ApiError('InvalidParameterCombination', 'You must specify an allocation id when mapping an address to a VPC instance');
  }
  const current = requireRecord<AddressRecord>(ctx.state, KIND, input.AllocationId, 'AllocationId');
  const target = targetInterface(ctx, input);
  requireUserManaged(target);
  requireNotServiceHeld(ctx, current);
  const privateIp = input.PrivateIpAddress ?? target.PrivateIpAddress;
  const slot = target.PrivateIpAddresses.find((p) => p.PrivateIpAddress === privateIp);
  if (!slot) {
    throw new ApiError(
      'InvalidParameterValue',
      `The private IP address ${privateIp} is not assigned to network interface '${target.NetworkInterfaceId}'.`,
    );
  }
  if (!vpcInternetGateway(ctx, target.VpcId)) {
    throw new ApiError('Gateway.NotAttached', `Network ${target.VpcId} is not attached to any internet gateway`);
  }

  const live = associatedInterface(ctx, current);
  if (live && live.NetworkInterfaceId === target.NetworkInterfaceId && current.PrivateIpAddress === privateIp) {
    return { AssociationId: current.AssociationId }; // already there: idempotent
  }
  const addr = ctx.state.edit<AddressRecord>(KIND, current.AllocationId)!;
  if (live && input.AllowReassociation === false) {
    throw new ApiError('Resource.AlreadyAssociated', `resource ${addr.AllocationId} is already associated with associate-id ${addr.AssociationId}`);
  }
  unmapFromInterface(ctx, addr);

  // Another Elastic IP on that private address is disassociated and stays allocated; an
  // auto-assigned public IP goes back to the pool (setAddressAssociation does that).
  const previous = target.PrivateIpAddresses.find((p) => p.PrivateIpAddress === privateIp)?.Association;
  if (previous?.AllocationId && ctx.state.get(KIND, previous.AllocationId)) {
    clearAssociationFields(ctx.state.edit<AddressRecord>(KIND, previous.AllocationId)!);
  }
  const assoc: NetworkInterfaceAssociation = {
    AllocationId: addr.AllocationId,
    AssociationId: newId('eipassoc'),
    IpOwnerId: ctx.account,
    PublicDnsName: publicDnsName(ctx.region, addr.PublicIp),
    PublicIp: addr.PublicIp,
  };
  setAddressAssociation(ctx, target.NetworkInterfaceId, privateIp, assoc);

  addr.AssociationId = assoc.AssociationId;
  addr.NetworkInterfaceId = target.NetworkInterfaceId;
  addr.NetworkInterfaceOwnerId = target.OwnerId ?? ctx.account;
  addr.PrivateIpAddress = privateIp;
  if (target.Attachment?.InstanceId) addr.InstanceId = target.Attachment.InstanceId;
  return { AssociationId: assoc.AssociationId };
}

export function disassociateAddress(ctx: RequestContext, input: DisassociateAddressRequest): void {
  if (input.AssociationId !== undefined && input.PublicIp !== undefined) {
    throw new ApiError('InvalidParameterCombination', 'You may specify public IP or association id, but not both in the same call');
  }
  if (input.AssociationId === undefined) {
    if (input.PublicIp === undefined) throw new ApiError('MissingParameter', 'The request must contain the parameter AssociationId');
    if (!byPublicIp(ctx, input.PublicIp)) throw notYours(input.PublicIp);
    throw new ApiError('InvalidParameterValue', 'You must specify an association id when unmapping an address from a VPC instance');
  }
  const id = input.AssociationId;
  const found = ctx.state.list<AddressRecord>(KIND).find((a) => a.AssociationId === id && associatedInterface(ctx, a));
  if (!found) throw new ApiError('InvalidAssociationID.NotFound', `The association ID '${id}' does not exist`);
  requireNotServiceHeld(ctx, found);
  unmapFromInterface(ctx, ctx.state.edit<AddressRecord>(KIND, found.AllocationId)!);
}

const ADDRESS_FILTERS = {
  'allocation-id': (a: Address) => a.AllocationId,
  'association-id': (a: Address) => a.AssociationId,
  domain: (a: Address) => a.Domain,
  'instance-id': (a: Address) => a.InstanceId,
  'network-border-group': (a: Address) => a.NetworkBorderGroup,
  'network-interface-id': (a: Address) => a.NetworkInterfaceId,
  'network-interface-owner-id': (a: Address) => a.NetworkInterfaceOwnerId,
  'private-ip-address': (a: Address) => a.PrivateIpAddress,
  'public-ip': (a: Address) => a.PublicIp,
};

export function describeAddresses(ctx: RequestContext, input: DescribeAddressesRequest): DescribeAddressesResult {
  let records = selectByIds<AddressRecord>(ctx.state, KIND, input.AllocationIds);
  if (input.PublicIps?.length) {
    const wanted = [...new Set(input.PublicIps)];
    const missing = wanted.filter((ip) => !records.some((a) => a.PublicIp === ip));
    if (missing.length) throw new ApiError('InvalidAddress.NotFound', `Address '${missing.join(', ')}' not found.`);
    records = records.filter((a) => wanted.includes(a.PublicIp));
  }
  const views = records.map((a) => addressView(ctx, a));
  return { Addresses: applyFilters(views, input.Filters, ADDRESS_FILTERS) };
}

// ---------------------------------------------------------------------------------------
// Reverse DNS (the domain-name attribute)

function ptrRecord(ctx: RequestContext, a: Readonly<AddressRecord>): string {
  return `${a._ptrDomainName ?? publicDnsName(ctx.region, a.PublicIp)}.`;
}

function checkAttribute(name: string | undefined): void {
  if (name !== undefined && name !== 'domain-name') {
    throw new ApiError('InvalidParameterValue', `Value (${name}) for parameter attribute is invalid. Valid values: domain-name`);
  }
}

export function describeAddressesAttribute(ctx: RequestContext, input: DescribeAddressesAttributeRequest): DescribeAddressesAttributeResult {
  checkAttribute(input.Attribute);
  const records = selectByIds<AddressRecord>(ctx.state, KIND, input.AllocationIds);
  const page = paginate(records, input, { min: 1, max: 50 });
  return {
    Addresses: page.items.map((a): AddressAttribute => ({ PublicIp: a.PublicIp, AllocationId: a.AllocationId, PtrRecord: ptrRecord(ctx, a) })),
    NextToken: page.nextToken,
  };
}

const PTR_DOMAIN = /^(?=.{1,253}\.?$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\.?$/;

export function modifyAddressAttribute(ctx: RequestContext, input: ModifyAddressAttributeRequest): ModifyAddressAttributeResult {
  const current = requireRecord<AddressRecord>(ctx.state, KIND, input.AllocationId, 'AllocationId');
  const domain = input.DomainName;
  if (domain === undefined) throw new ApiError('MissingParameter', 'The request must contain the parameter DomainName');
  if (!PTR_DOMAIN.test(domain)) {
    throw new ApiError('InvalidParameterValue', `Value (${domain}) for parameter domainName is invalid. It is not a valid domain name.`);
  }
  const before = ptrRecord(ctx, current);
  const a = ctx.state.edit<AddressRecord>(KIND, current.AllocationId)!;
  a._ptrDomainName = domain.replace(/\.$/, '');
  return {
    Address: {
      PublicIp: a.PublicIp,
      AllocationId: a.AllocationId,
      PtrRecord: before,
      PtrRecordUpdate: { Value: `${a._ptrDomainName}.`, Status: 'PENDING' },
    },
  };
}

export function resetAddressAttribute(ctx: RequestContext, input: ResetAddressAttributeRequest): ResetAddressAttributeResult {
  checkAttribute(input.Attribute);
  const current = requireRecord<AddressRecord>(ctx.state, KIND, input.AllocationId, 'AllocationId');
  const before = ptrRecord(ctx, current);
  const a = ctx.state.edit<AddressRecord>(KIND, current.AllocationId)!;
  delete a._ptrDomainName;
  return {
    Address: {
      PublicIp: a.PublicIp,
      AllocationId: a.AllocationId,
      PtrRecord: before,
      PtrRecordUpdate: { Value: ptrRecord(ctx, a), Status: 'PENDING' },
    },
  };
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  AllocateAddress: allocateAddress,
  ReleaseAddress: releaseAddress,
  AssociateAddress: associateAddress,
  DisassociateAddress: disassociateAddress,
  DescribeAddresses: describeAddresses,
  DescribeAddressesAttribute: describeAddressesAttribute,
  ModifyAddressAttribute: modifyAddressAttribute,
  ResetAddressAttribute: resetAddressAttribute,
};
