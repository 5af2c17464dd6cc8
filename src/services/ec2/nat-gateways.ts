/**
 * NAT gateways, public and private: create (with secondary addresses), delete, describe, and
 * the secondary-address operations (assign/unassign private IPv4 addresses, associate and
 * disassociate Elastic IPs).
 *
 * A NAT gateway owns a requester-managed interface (type `nat_gateway`) in its subnet; its
 * private addresses live on that interface and its Elastic IPs are associated with them, so
 * DescribeNetworkInterfaces and DescribeAddresses show them as AWS does.
 *
 * A record is AWS's `NatGateway` shape. Its `State` is the state the gateway settles in
 * (`available`, `failed` or `deleted`): that is what route states and the DeleteVpc /
 * DeleteSubnet dependency checks read. The state shown until then (`pending`, `deleting`)
 * comes from `_transition`, derived at read time like instance states. Each address works the
 * same way: `Status` is where it settles, `_op` the operation shown until then.
 */
import type {
  AssignPrivateNatGatewayAddressRequest,
  AssignPrivateNatGatewayAddressResult,
  AssociateNatGatewayAddressRequest,
  AssociateNatGatewayAddressResult,
  CreateNatGatewayRequest,
  CreateNatGatewayResult,
  DeleteNatGatewayRequest,
  DeleteNatGatewayResult,
  DescribeNatGatewaysRequest,
  DescribeNatGatewaysResult,
  DisassociateNatGatewayAddressRequest,
  DisassociateNatGatewayAddressResult,
  NatGateway,
  NatGatewayAddress,
  NetworkInterfaceAssociation,
  UnassignPrivateNatGatewayAddressRequest,
  UnassignPrivateNatGatewayAddressResult,
} from '@aws-sdk/client-ec2';
import { ApiError } from '../../protocol/errors.js';
import { containsIp4, formatIpv4, last4, parseCidr4, parseIpv4 } from '../../network/cidr.js';
import type { Handler, RequestContext } from '../context.js';
import type { AddressRecord } from './addresses.js';
import { applyFilters, type Tag } from './filters.js';
import { vpcInternetGateway } from './internet-gateways.js';
import {
  assignPrivateIpAddresses,
  createRequesterManagedInterface,
  deleteRequesterManagedInterface,
  type EniRecord,
  publicDnsName,
  setAddressAssociation,
  unassignPrivateIpAddresses,
} from './network-interfaces.js';
import { paginate } from './paginate.js';
import { isWellFormedId, newId, registerKind } from './resources.js';
import { isReservedAddress, type SubnetRecord } from './subnets.js';
import { tagsFromSpecs } from './tags.js';

const KIND = 'nat-gateway';

const NAT_KIND = registerKind({
  kind: KIND,
  prefix: 'nat',
  code: 'NatGateway',
  noun: 'NAT gateway',
  notFoundCode: 'NatGatewayNotFound',
  malformedCode: 'NatGatewayMalformed',
  idField: 'NatGatewayId',
  tagType: 'natgateway',
});

/** The account AWS shows as the requester of NAT gateway interfaces. */
const NAT_REQUESTER_ID = '036872051663';
/** A NAT gateway has at most 8 IPv4 addresses: 1 primary and 7 secondary. */
const MAX_ADDRESSES = 8;
/** Failed and deleted NAT gateways stay visible about an hour. */
const VISIBLE_MS = 60 * 60 * 1000;
const MAX_DRAIN_SECONDS = 4000;

type SettledState = 'available' | 'failed' | 'deleted';
type TransitionState = 'pending' | 'deleting';
type AddressOp = 'assigning' | 'associating' | 'unassigning' | 'disassociating';

/** One address of the gateway as stored. */
interface StoredAddress {
  AllocationId?: string;
  NetworkInterfaceId?: string;
  PrivateIp?: string;
  PublicIp?: string;
  AssociationId?: string;
  IsPrimary: boolean;
  Status: 'succeeded' | 'failed';
  FailureMessage?: string;
  /** Shown as `name` until `until`; an address being unassigned or disassociated is gone then. */
  _op?: { name: AddressOp; until: string };
}

export interface NatGatewayRecord {
  NatGatewayId: string;
  SubnetId: string;
  VpcId: string;
  ConnectivityType: 'public' | 'private';
  /** The state the gateway settles in (see the module comment). */
  State: SettledState;
  CreateTime: string;
  DeleteTime?: string;
  FailureCode?: string;
  FailureMessage?: string;
  NatGatewayAddresses: StoredAddress[];
  Tags?: Tag[];
  /** Until `until`, the gateway shows `name` on its way to `State`. */
  _transition?: { name: TransitionState; until: string };
  /** When it reached `failed` or `deleted` (it stays visible an hour after). */
  _settledAt?: string;
  _zone: string;
  _eniId?: string;
}

// ---------------------------------------------------------------------------------------
// State over time

function later(ctx: RequestContext): string | undefined {
  const delay = ctx.config.stateTransitionMs;
  return delay > 0 ? new Date(ctx.now.getTime() + delay).toISOString() : undefined;
}

/** The state the NAT gateway is in at `now`. */
export function natGatewayState(r: Readonly<NatGatewayRecord>, now: Date): NatGateway['State'] {
  const t = r._transition;
  if (t && now.getTime() < Date.parse(t.until)) return t.name;
  return r.State;
}

function isExpired(r: Readonly<NatGatewayRecord>, now: Date): boolean {
  return (r.State === 'failed' || r.State === 'deleted') && !!r._settledAt && now.getTime() - Date.parse(r._settledAt) > VISIBLE_MS;
}

function opActive(a: Readonly<StoredAddress>, now: Date): boolean {
  return !!a._op && now.getTime() < Date.parse(a._op.until);
}

function isLeaving(a: Readonly<StoredAddress>): boolean {
  return a._op?.name === 'unassigning' || a._op?.name === 'disassociating';
}

/** Addresses the gateway still has at `now` (ones whose removal finished are gone). */
function liveAddresses(r: Readonly<NatGatewayRecord>, now: Date): Readonly<StoredAddress>[] {
  return r.NatGatewayAddresses.filter((a) => !(isLeaving(a) && !opActive(a, now)));
}

/** Drops finished removals and finished operation marks from a record being edited. */
function settleAddresses(rec: NatGatewayRecord, now: Date): void {
  rec.NatGatewayAddresses = liveAddresses(rec, now).map((a) => {
    if (!a._op || opActive(a, now)) return { ...a };
    const { _op: _done, ...rest } = a;
    return rest;
  });
}

function visibleRecords(ctx: RequestContext): Readonly<NatGatewayRecord>[] {
  return ctx.state.list<NatGatewayRecord>(KIND).filter((r) => !isExpired(r, ctx.now));
}

/** Removes NAT gateways that failed or were deleted long enough ago that AWS no longer shows them. */
function purgeExpired(ctx: RequestContext): void {
  for (const r of ctx.state.list<NatGatewayRecord>(KIND)) if (isExpired(r, ctx.now)) ctx.state.delete(KIND, r.NatGatewayId);
}

// ---------------------------------------------------------------------------------------
// Views

function addressView(a: Readonly<StoredAddress>, now: Date, shownOp?: AddressOp): NatGatewayAddress {
  const op = opActive(a, now) ? a._op!.name : shownOp;
  const out: NatGatewayAddress = {};
  if (a.AllocationId) out.AllocationId = a.AllocationId;
  if (a.NetworkInterfaceId) out.NetworkInterfaceId = a.NetworkInterfaceId;
  if (a.PrivateIp) out.PrivateIp = a.PrivateIp;
  const settling = op === 'assigning' || op === 'associating';
  if (!settling && a.PublicIp) out.PublicIp = a.PublicIp;
  if (!settling && a.AssociationId) out.AssociationId = a.AssociationId;
  out.IsPrimary = a.IsPrimary;
  if (!op && a.FailureMessage) out.FailureMessage = a.FailureMessage;
  out.Status = op ?? a.Status;
  return out;
}

/** The AWS `NatGateway` shape of a record, as of the request's time. */
export function natGatewayView(ctx: RequestContext, r: Readonly<NatGatewayRecord>): NatGateway {
  const state = natGatewayState(r, ctx.now);
  const addresses = liveAddresses(r, ctx.now).map((a) =>
    addressView(a, ctx.now, state === 'pending' ? (a.AllocationId ? 'associating' : 'assigning') : undefined),
  );
  const out: Record<string, unknown> = {
    CreateTime: r.CreateTime,
    NatGatewayAddresses: addresses,
    NatGatewayId: r.NatGatewayId,
    State: state,
    SubnetId: r.SubnetId,
    VpcId: r.VpcId,
    Tags: (r.Tags ?? []).map((t) => ({ ...t })),
    ConnectivityType: r.ConnectivityType,
  };
  if (r.DeleteTime) out.DeleteTime = r.DeleteTime;
  if (state === 'failed') {
    out.FailureCode = r.FailureCode;
    out.FailureMessage = r.FailureMessage;
  }
  return out as NatGateway;
}

/** What an operation's response shows of addresses it has just started working on. */
function startedView(a: Readonly<StoredAddress>, op: AddressOp, opts: { privateIpGiven: boolean }): NatGatewayAddress {
  const out: NatGatewayAddress = {};
  if (a.AllocationId) out.AllocationId = a.AllocationId;
  if (a.NetworkInterfaceId) out.NetworkInterfaceId = a.NetworkInterfaceId;
  if (a.PrivateIp && opts.privateIpGiven) out.PrivateIp = a.PrivateIp;
  if (op === 'unassigning' || op === 'disassociating') {
    if (a.PublicIp) out.PublicIp = a.PublicIp;
    if (a.AssociationId) out.AssociationId = a.AssociationId;
  }
  out.IsPrimary = a.IsPrimary;
  out.Status = op;
  return out;
}

// ---------------------------------------------------------------------------------------
// Lookups and checks

function notFound(ids: string[]): ApiError {
  if (ids.length === 1) return new ApiError('NatGatewayNotFound', `NAT gateway ${ids[0]} was not found`);
  return new ApiError('NatGatewayNotFound', `NAT gateways ${ids.join(', ')} were not found`);
}

function checkNatId(id: string): void {
  if (!isWellFormedId(NAT_KIND, id)) throw new ApiError('NatGatewayMalformed', `The NAT gateway ID '${id}' is malformed`);
}

/** The NAT gateway with this ID (still visible), or AWS's error. */
export function getNatGateway(ctx: RequestContext, id: string | undefined): Readonly<NatGatewayRecord> {
  if (id === undefined || id === '') throw new ApiError('MissingParameter', 'The request must contain the parameter NatGatewayId');
  checkNatId(id);
  const r = ctx.state.get<NatGatewayRecord>(KIND, id);
  if (!r || isExpired(r, ctx.now)) throw notFound([id]);
  return r;
}

const SUBNET_ID = /^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/;

function natSubnet(ctx: RequestContext, id: string | undefined): Readonly<SubnetRecord> {
  if (id === undefined || id === '') throw new ApiError('MissingParameter', 'The request must contain the parameter SubnetId');
  if (!SUBNET_ID.test(id)) throw new ApiError('InvalidSubnet', `The subnet ID '${id}' is malformed`);
  const s = ctx.state.get<SubnetRecord>('subnet', id);
  if (!s) throw new ApiError('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`);
  return s;
}

const EIP_ID = /^eipalloc-([0-9a-f]{8}|[0-9a-f]{17})$/;

function elasticIp(ctx: RequestContext, id: string): Readonly<AddressRecord> {
  if (!EIP_ID.test(id)) throw new ApiError('InvalidElasticIpID.Malformed', `The elastic-ip ID '${id}' is malformed`);
  const a = ctx.state.get<AddressRecord>('elastic-ip', id);
  if (!a) throw new ApiError('InvalidElasticIpID.NotFound', `The elasticIp ID '${id}' does not exist`);
  return a;
}

/** True while the Elastic IP is associated with some interface. */
function eipInUse(ctx: RequestContext, a: Readonly<AddressRecord>): boolean {
  if (!a.AssociationId || !a.NetworkInterfaceId) return false;
  const eni = ctx.state.get<EniRecord>('network-interface', a.NetworkInterfaceId);
  if (!eni) return false;
  return eni.Association?.AssociationId === a.AssociationId || eni.PrivateIpAddresses.some((p) => p.Association?.AssociationId === a.AssociationId);
}

function alreadyAssociatedMessage(allocationId: string): string {
  return `Elastic IP address [${allocationId}] is already associated`;
}

function noDuplicates(values: string[], what: string): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) throw new ApiError('InvalidParameterValue', `The ${what} ${v} is specified more than once.`);
    seen.add(v);
  }
}

/** The checks `allocatePrivateIp` makes, without taking the address. */
function checkRequestedIp(subnet: Readonly<SubnetRecord>, ip: string): void {
  const n = parseIpv4(ip);
  if (n === undefined) throw new ApiError('InvalidParameterValue', `Invalid IPv4 address: ${ip}`);
  const cidr = parseCidr4(subnet.CidrBlock)!;
  if (!containsIp4(cidr, n)) throw new ApiError('InvalidParameterValue', `Address ${ip} does not fall within the subnet's address range`);
  if (isReservedAddress(cidr, n)) throw new ApiError('InvalidParameterValue', `Address ${ip} is in subnet's reserved address range`);
  if (subnet._used.includes(ip)) throw new ApiError('InvalidIPAddress.InUse', `Address ${ip} is in use.`);
}

function freeCount(subnet: Readonly<SubnetRecord>): number {
  return subnet.AvailableIpAddressCount ?? 0;
}

function insufficientAddresses(subnet: Readonly<SubnetRecord>): ApiError {
  return new ApiError(
    'InsufficientFreeAddressesInSubnet',
    `The specified subnet '${subnet.SubnetId}' does not have enough free addresses to satisfy the request.`,
  );
}

/** `count` free addresses of the subnet picked at random (as AWS picks NAT gateway addresses). */
function randomFreeIps(subnet: Readonly<SubnetRecord>, count: number, exclude: Iterable<string> = []): string[] {
  if (count <= 0) return [];
  const cidr = parseCidr4(subnet.CidrBlock)!;
  const first = cidr.base + 4;
  const span = last4(cidr) - first; // usable addresses: first .. last4 - 1
  const taken = new Set([...subnet._used, ...exclude]);
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    let found: string | undefined;
    const start = Math.floor(Math.random() * Math.max(span, 1));
    for (let i = 0; i < span && !found; i++) {
      const candidate = formatIpv4(first + ((start + i) % span));
      if (!taken.has(candidate)) found = candidate;
    }
    if (!found) throw insufficientAddresses(subnet);
    taken.add(found);
    out.push(found);
  }
  return out;
}

function checkDrain(value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 1 || value > MAX_DRAIN_SECONDS) {
    throw new ApiError(
      'InvalidParameterValue',
      `Value (${value}) for parameter MaxDrainDurationSeconds is invalid. Valid values are between 1 and ${MAX_DRAIN_SECONDS}.`,
    );
  }
}

function requireAvailable(ctx: RequestContext, r: Readonly<NatGatewayRecord>): void {
  const state = natGatewayState(r, ctx.now);
  if (state !== 'available' || !r._eniId) {
    throw new ApiError('IncorrectState', `The NAT gateway ${r.NatGatewayId} is in state ${state}; the operation requires an available NAT gateway.`);
  }
}

/** One address operation at a time: AWS refuses another while one is under way. */
function checkNoOperationInProgress(ctx: RequestContext, r: Readonly<NatGatewayRecord>): void {
  const busy = r.NatGatewayAddresses.filter((a) => opActive(a, ctx.now));
  if (busy.length === 0) return;
  const op = busy[0]!._op!.name;
  const eips = op === 'associating' || op === 'disassociating';
  const items = busy.filter((a) => a._op!.name === op).map((a) => (eips ? a.AllocationId : a.PrivateIp));
  throw new ApiError('OperationInProgress', `Service is currently ${op.toUpperCase()} the following ${eips ? 'EIPs' : 'private IPs'}: [${items.join(', ')}].`);
}

function checkAddressLimits(ctx: RequestContext, r: Readonly<NatGatewayRecord> | undefined, adding: number, addingEips: number): void {
  const live = r ? liveAddresses(r, ctx.now) : [];
  if (live.length + adding > MAX_ADDRESSES) {
    throw new ApiError(
      'PrivateIpAddressLimitExceeded',
      `A NAT gateway can have at most ${MAX_ADDRESSES} IPv4 addresses (1 primary and ${MAX_ADDRESSES - 1} secondary).`,
    );
  }
  const quota = ctx.config.quotas.elasticIpsPerNatGateway;
  const eips = live.filter((a) => a.AllocationId).length;
  if (addingEips > 0 && eips + addingEips > quota) {
    throw new ApiError('AddressLimitExceeded', `The maximum number of Elastic IP addresses per NAT gateway (${quota}) has been reached.`);
  }
}

function checkZoneQuota(ctx: RequestContext, zone: string): void {
  const quota = ctx.config.quotas.natGatewaysPerAz;
  const counted = visibleRecords(ctx).filter((r) => {
    if (r._zone !== zone) return false;
    const s = natGatewayState(r, ctx.now);
    return s === 'pending' || s === 'available' || s === 'deleting';
  }).length;
  if (counted >= quota) {
    throw new ApiError('NatGatewayLimitExceeded', `Performing this operation would exceed the limit of ${quota} NAT gateways`);
  }
}

// ---------------------------------------------------------------------------------------
// The interface and its Elastic IPs

/** Associates an Elastic IP with one private address of the gateway's interface. */
function associateEip(ctx: RequestContext, eniId: string, privateIp: string, allocationId: string): NetworkInterfaceAssociation {
  const addr = ctx.state.edit<AddressRecord>('elastic-ip', allocationId)!;
  const assoc: NetworkInterfaceAssociation = {
    AllocationId: addr.AllocationId,
    AssociationId: newId('eipassoc'),
    IpOwnerId: ctx.account,
    PublicDnsName: publicDnsName(ctx.region, addr.PublicIp),
    PublicIp: addr.PublicIp,
  };
  setAddressAssociation(ctx, eniId, privateIp, assoc);
  addr.AssociationId = assoc.AssociationId;
  addr.NetworkInterfaceId = eniId;
  addr.NetworkInterfaceOwnerId = ctx.account;
  addr.PrivateIpAddress = privateIp;
  delete addr.InstanceId;
  return assoc;
}

function natInterface(ctx: RequestContext, r: Readonly<NatGatewayRecord>): Readonly<EniRecord> {
  return ctx.state.get<EniRecord>('network-interface', r._eniId!)!;
}

// ---------------------------------------------------------------------------------------
// CreateNatGateway

/** The Create response: a pending gateway shows only what was asked for. */
function createdView(ctx: RequestContext, r: Readonly<NatGatewayRecord>, givenIps: Set<string>): NatGateway {
  const view = natGatewayView(ctx, r);
  if (view.State !== 'pending') return view;
  view.NatGatewayAddresses = liveAddresses(r, ctx.now).map((a) =>
    startedView({ ...a, NetworkInterfaceId: undefined }, a.AllocationId ? 'associating' : 'assigning', {
      privateIpGiven: !!a.PrivateIp && givenIps.has(a.PrivateIp),
    }),
  );
  return view;
}

interface Failure {
  code: string;
  message: string;
}

export function createNatGateway(ctx: RequestContext, input: CreateNatGatewayRequest): CreateNatGatewayResult {
  purgeExpired(ctx);
  const given = new Set([input.PrivateIpAddress, ...(input.SecondaryPrivateIpAddresses ?? [])].filter((ip): ip is string => !!ip));
  const subnet = natSubnet(ctx, input.SubnetId);
  const type = input.ConnectivityType ?? 'public';
  if (type !== 'public' && type !== 'private') {
    throw new ApiError('InvalidParameterValue', `Value (${type}) for parameter ConnectivityType is invalid. Valid values: public, private`);
  }
  const secondaryEips = input.SecondaryAllocationIds ?? [];
  const secondaryIps = input.SecondaryPrivateIpAddresses ?? [];
  const secondaryCount = input.SecondaryPrivateIpAddressCount;
  if (type === 'public') {
    if (!input.AllocationId) {
      throw new ApiError('MissingParameter', 'The request must include the AllocationId parameter. Add the required parameter and retry the request.');
    }
    if (secondaryCount !== undefined) {
      throw new ApiError(
        'InvalidParameterCombination',
        'SecondaryPrivateIpAddressCount can only be specified for a private NAT gateway. For a public NAT gateway, specify SecondaryAllocationIds.',
      );
    }
    if (secondaryIps.length > 0 && secondaryIps.length !== secondaryEips.length) {
      throw new ApiError(
        'InvalidParameterValue',
        'The number of SecondaryPrivateIpAddresses must match the number of SecondaryAllocationIds.',
      );
    }
  } else {
    if (input.AllocationId || secondaryEips.length > 0) {
      throw new ApiError('InvalidParameterCombination', 'An Elastic IP address cannot be associated with a private NAT gateway.');
    }
    if (secondaryIps.length > 0 && secondaryCount !== undefined) {
      throw new ApiError(
        'InvalidParameterCombination',
        'The parameters SecondaryPrivateIpAddresses and SecondaryPrivateIpAddressCount cannot be specified together.',
      );
    }
  }
  if (secondaryCount !== undefined && (!Number.isInteger(secondaryCount) || secondaryCount < 1)) {
    throw new ApiError(
      'InvalidParameterValue',
      `Value (${secondaryCount}) for parameter SecondaryPrivateIpAddressCount is invalid. Expected a positive integer.`,
    );
  }
  const secondaries = type === 'public' ? secondaryEips.length : secondaryIps.length + (secondaryCount ?? 0);
  checkAddressLimits(ctx, undefined, 1 + secondaries, type === 'public' ? 1 + secondaryEips.length : 0);

  const allocationIds = type === 'public' ? [input.AllocationId!, ...secondaryEips] : [];
  noDuplicates(allocationIds, 'allocation ID');
  const eips = allocationIds.map((id) => elasticIp(ctx, id));
  const requestedIps = [input.PrivateIpAddress, ...secondaryIps].filter((ip): ip is string => ip !== undefined);
  noDuplicates(requestedIps, 'private IP address');
  for (const ip of requestedIps) checkRequestedIp(subnet, ip);
  const tags = tagsFromSpecs(ctx, input.TagSpecifications, 'natgateway');
  checkZoneQuota(ctx, subnet.AvailabilityZone!);

  const id = newId('nat');
  const until = later(ctx);
  const rec: NatGatewayRecord = {
    NatGatewayId: id,
    SubnetId: subnet.SubnetId,
    VpcId: subnet.VpcId,
    ConnectivityType: type,
    State: 'available',
    CreateTime: ctx.now.toISOString(),
    NatGatewayAddresses: [],
    Tags: tags,
    _zone: subnet.AvailabilityZone!,
  };
  if (until) rec._transition = { name: 'pending', until };

  // What AWS finds out while provisioning, after the call has returned.
  let failure: Failure | undefined;
  if (type === 'public' && !vpcInternetGateway(ctx, subnet.VpcId)) {
    failure = { code: 'Gateway.NotAttached', message: `Network ${subnet.VpcId} has no Internet gateway attached` };
  } else if (freeCount(subnet) < 1 + secondaries) {
    failure = { code: 'InsufficientFreeAddressesInSubnet', message: 'Subnet has insufficient free addresses to create this NAT gateway' };
  } else {
    const taken = eips.find((a) => eipInUse(ctx, a));
    if (taken) failure = { code: 'Resource.AlreadyAssociated', message: alreadyAssociatedMessage(taken.AllocationId) };
  }

  if (failure) {
    rec.State = 'failed';
    rec.FailureCode = failure.code;
    rec.FailureMessage = failure.message;
    rec._settledAt = until ?? ctx.now.toISOString();
    const primary: StoredAddress = { IsPrimary: true, Status: 'failed', FailureMessage: failure.message };
    if (input.AllocationId) primary.AllocationId = input.AllocationId;
    if (failure.code === 'Resource.AlreadyAssociated') {
      // The interface had been created (and was released when the gateway failed).
      primary.NetworkInterfaceId = newId('eni');
      primary.PrivateIp = input.PrivateIpAddress ?? randomFreeIps(subnet, 1, given)[0];
    }
    rec.NatGatewayAddresses = [primary];
    ctx.state.put(KIND, id, rec);
    return { ClientToken: input.ClientToken, NatGateway: createdView(ctx, rec, given) };
  }

  const primaryIp = input.PrivateIpAddress ?? randomFreeIps(subnet, 1, given)[0]!;
  const eni = createRequesterManagedInterface(ctx, {
    subnetId: subnet.SubnetId,
    description: `Interface for NAT Gateway ${id}`,
    interfaceType: 'nat_gateway',
    requesterId: NAT_REQUESTER_ID,
    privateIp: primaryIp,
  });
  const eniId = eni.NetworkInterfaceId!;
  ctx.state.edit<EniRecord>('network-interface', eniId)!.SourceDestCheck = false;
  rec._eniId = eniId;

  const primary: StoredAddress = { NetworkInterfaceId: eniId, PrivateIp: primaryIp, IsPrimary: true, Status: 'succeeded' };
  if (type === 'public') {
    const assoc = associateEip(ctx, eniId, primaryIp, input.AllocationId!);
    primary.AllocationId = input.AllocationId;
    primary.PublicIp = assoc.PublicIp;
    primary.AssociationId = assoc.AssociationId;
  }
  rec.NatGatewayAddresses.push(primary);

  const chosen = new Set([...given, primaryIp]);
  const autoCount = type === 'public' ? secondaryEips.length - secondaryIps.length : (secondaryCount ?? 0);
  const secondaryList = [...secondaryIps, ...randomFreeIps(ctx.state.get<SubnetRecord>('subnet', subnet.SubnetId)!, Math.max(0, autoCount), chosen)];
  if (secondaryList.length > 0) assignPrivateIpAddresses(ctx, { NetworkInterfaceId: eniId, PrivateIpAddresses: secondaryList });
  secondaryList.forEach((ip, i) => {
    const entry: StoredAddress = { NetworkInterfaceId: eniId, PrivateIp: ip, IsPrimary: false, Status: 'succeeded' };
    if (type === 'public') {
      const assoc = associateEip(ctx, eniId, ip, secondaryEips[i]!);
      entry.AllocationId = secondaryEips[i];
      entry.PublicIp = assoc.PublicIp;
      entry.AssociationId = assoc.AssociationId;
    }
    rec.NatGatewayAddresses.push(entry);
  });

  ctx.state.put(KIND, id, rec);
  return { ClientToken: input.ClientToken, NatGateway: createdView(ctx, rec, given) };
}

// ---------------------------------------------------------------------------------------
// DeleteNatGateway

export function deleteNatGateway(ctx: RequestContext, input: DeleteNatGatewayRequest): DeleteNatGatewayResult {
  purgeExpired(ctx);
  const current = getNatGateway(ctx, input.NatGatewayId);
  const state = natGatewayState(current, ctx.now);
  // Deleting a gateway already on its way out changes nothing (AWS answers without error).
  if (state === 'deleting' || state === 'deleted') return { NatGatewayId: current.NatGatewayId };
  const rec = ctx.state.edit<NatGatewayRecord>(KIND, current.NatGatewayId)!;
  settleAddresses(rec, ctx.now);
  // The interface goes, and with it the Elastic IP associations (the addresses stay allocated).
  if (rec._eniId) {
    deleteRequesterManagedInterface(ctx, rec._eniId);
    delete rec._eniId;
  }
  rec.NatGatewayAddresses = rec.NatGatewayAddresses.map(({ _op: _o, ...a }) => a);
  const until = later(ctx);
  rec.State = 'deleted';
  rec.DeleteTime = ctx.now.toISOString();
  if (until) rec._transition = { name: 'deleting', until };
  else delete rec._transition;
  rec._settledAt = until ?? ctx.now.toISOString();
  return { NatGatewayId: rec.NatGatewayId };
}

// ---------------------------------------------------------------------------------------
// DescribeNatGateways

const NAT_FILTERS = {
  'nat-gateway-id': (n: NatGateway) => n.NatGatewayId,
  state: (n: NatGateway) => n.State,
  'subnet-id': (n: NatGateway) => n.SubnetId,
  'vpc-id': (n: NatGateway) => n.VpcId,
};

export function describeNatGateways(ctx: RequestContext, input: DescribeNatGatewaysRequest): DescribeNatGatewaysResult {
  let records: Readonly<NatGatewayRecord>[];
  if (input.NatGatewayIds?.length) {
    const ids = [...new Set(input.NatGatewayIds)];
    ids.forEach(checkNatId);
    records = [];
    const missing: string[] = [];
    for (const id of ids) {
      const r = ctx.state.get<NatGatewayRecord>(KIND, id);
      if (r && !isExpired(r, ctx.now)) records.push(r);
      else missing.push(id);
    }
    if (missing.length) throw notFound(missing);
  } else {
    records = visibleRecords(ctx);
  }
  const views = records.map((r) => natGatewayView(ctx, r));
  const selected = applyFilters(views, input.Filter, NAT_FILTERS);
  const page = paginate(selected, input, { min: 5, max: 1000 });
  return { NatGateways: page.items, NextToken: page.nextToken };
}

// ---------------------------------------------------------------------------------------
// Secondary private addresses

export function assignPrivateNatGatewayAddress(
  ctx: RequestContext,
  input: AssignPrivateNatGatewayAddressRequest,
): AssignPrivateNatGatewayAddressResult {
  const r = getNatGateway(ctx, input.NatGatewayId);
  const listed = input.PrivateIpAddresses ?? [];
  const count = input.PrivateIpAddressCount;
  if (listed.length > 0 && count !== undefined) {
    throw new ApiError('InvalidParameterCombination', 'The parameters PrivateIpAddresses and PrivateIpAddressCount cannot be specified together.');
  }
  if (listed.length === 0 && count === undefined) {
    throw new ApiError('MissingParameter', 'Either the parameter PrivateIpAddresses or PrivateIpAddressCount must be specified.');
  }
  if (count !== undefined && (!Number.isInteger(count) || count < 1 || count > 31)) {
    throw new ApiError('InvalidParameterValue', `Value (${count}) for parameter PrivateIpAddressCount is invalid. Valid values are between 1 and 31.`);
  }
  requireAvailable(ctx, r);
  checkNoOperationInProgress(ctx, r);
  const adding = listed.length || count!;
  checkAddressLimits(ctx, r, adding, 0);
  const subnet = ctx.state.get<SubnetRecord>('subnet', r.SubnetId)!;
  noDuplicates(listed, 'private IP address');
  for (const ip of listed) checkRequestedIp(subnet, ip);
  if (freeCount(subnet) < adding) throw insufficientAddresses(subnet);
  const ips = [...listed, ...randomFreeIps(subnet, count ?? 0)];
  assignPrivateIpAddresses(ctx, { NetworkInterfaceId: r._eniId!, PrivateIpAddresses: ips });

  const rec = ctx.state.edit<NatGatewayRecord>(KIND, r.NatGatewayId)!;
  settleAddresses(rec, ctx.now);
  const until = later(ctx);
  const added: StoredAddress[] = ips.map((ip) => {
    const a: StoredAddress = { NetworkInterfaceId: r._eniId!, PrivateIp: ip, IsPrimary: false, Status: 'succeeded' };
    if (until) a._op = { name: 'assigning', until };
    return a;
  });
  rec.NatGatewayAddresses.push(...added);
  return {
    NatGatewayId: r.NatGatewayId,
    NatGatewayAddresses: added.map((a) => startedView(a, 'assigning', { privateIpGiven: listed.includes(a.PrivateIp!) })),
  };
}

export function unassignPrivateNatGatewayAddress(
  ctx: RequestContext,
  input: UnassignPrivateNatGatewayAddressRequest,
): UnassignPrivateNatGatewayAddressResult {
  const r = getNatGateway(ctx, input.NatGatewayId);
  const ips = [...new Set(input.PrivateIpAddresses ?? [])];
  if (ips.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter PrivateIpAddresses');
  checkDrain(input.MaxDrainDurationSeconds);
  requireAvailable(ctx, r);
  checkNoOperationInProgress(ctx, r);
  const live = liveAddresses(r, ctx.now);
  for (const ip of ips) {
    const entry = live.find((a) => a.PrivateIp === ip);
    if (!entry) {
      throw new ApiError('InvalidParameterValue', `The private IP address ${ip} is not assigned to NAT gateway ${r.NatGatewayId}.`);
    }
    if (entry.IsPrimary) {
      throw new ApiError('InvalidParameterValue', `The primary private IP address ${ip} of NAT gateway ${r.NatGatewayId} cannot be unassigned.`);
    }
    if (entry.AllocationId) {
      throw new ApiError(
        'InvalidParameterValue',
        `The private IP address ${ip} is associated with Elastic IP address ${entry.AllocationId}. Disassociate the Elastic IP address first.`,
      );
    }
  }
  return removeAddresses(ctx, r, (a) => ips.includes(a.PrivateIp ?? ''), 'unassigning');
}

/** Starts removing addresses: they leave the interface now and show `op` until the transition ends. */
function removeAddresses(
  ctx: RequestContext,
  r: Readonly<NatGatewayRecord>,
  which: (a: Readonly<StoredAddress>) => boolean,
  op: 'unassigning' | 'disassociating',
): { NatGatewayId: string; NatGatewayAddresses: NatGatewayAddress[] } {
  const rec = ctx.state.edit<NatGatewayRecord>(KIND, r.NatGatewayId)!;
  settleAddresses(rec, ctx.now);
  const leaving = rec.NatGatewayAddresses.filter(which);
  // Unassigning a private address from the interface also ends its Elastic IP association.
  unassignPrivateIpAddresses(ctx, { NetworkInterfaceId: rec._eniId!, PrivateIpAddresses: leaving.map((a) => a.PrivateIp!) });
  const until = later(ctx);
  const shown = leaving.map((a) => startedView(a, op, { privateIpGiven: true }));
  if (until) for (const a of leaving) a._op = { name: op, until };
  else rec.NatGatewayAddresses = rec.NatGatewayAddresses.filter((a) => !leaving.includes(a));
  return { NatGatewayId: rec.NatGatewayId, NatGatewayAddresses: shown };
}

// ---------------------------------------------------------------------------------------
// Secondary Elastic IPs

function requirePublic(r: Readonly<NatGatewayRecord>): void {
  if (r.ConnectivityType !== 'public') {
    throw new ApiError('InvalidParameterValue', `NAT gateway ${r.NatGatewayId} is a private NAT gateway; Elastic IP addresses can only be associated with a public NAT gateway.`);
  }
}

export function associateNatGatewayAddress(ctx: RequestContext, input: AssociateNatGatewayAddressRequest): AssociateNatGatewayAddressResult {
  const r = getNatGateway(ctx, input.NatGatewayId);
  const allocationIds = input.AllocationIds ?? [];
  if (allocationIds.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter AllocationIds');
  const listed = input.PrivateIpAddresses ?? [];
  if (listed.length > 0 && listed.length !== allocationIds.length) {
    throw new ApiError('InvalidParameterValue', 'The number of PrivateIpAddresses must match the number of AllocationIds.');
  }
  requirePublic(r);
  requireAvailable(ctx, r);
  checkNoOperationInProgress(ctx, r);
  noDuplicates(allocationIds, 'allocation ID');
  const eips = allocationIds.map((id) => elasticIp(ctx, id));
  for (const a of eips) {
    if (eipInUse(ctx, a)) throw new ApiError('Resource.AlreadyAssociated', alreadyAssociatedMessage(a.AllocationId));
  }
  checkAddressLimits(ctx, r, allocationIds.length, allocationIds.length);
  const subnet = ctx.state.get<SubnetRecord>('subnet', r.SubnetId)!;
  noDuplicates(listed, 'private IP address');
  for (const ip of listed) checkRequestedIp(subnet, ip);
  if (freeCount(subnet) < allocationIds.length) throw insufficientAddresses(subnet);
  const ips = listed.length > 0 ? [...listed] : randomFreeIps(subnet, allocationIds.length);
  const eniId = natInterface(ctx, r).NetworkInterfaceId;
  assignPrivateIpAddresses(ctx, { NetworkInterfaceId: eniId, PrivateIpAddresses: ips });

  const rec = ctx.state.edit<NatGatewayRecord>(KIND, r.NatGatewayId)!;
  settleAddresses(rec, ctx.now);
  const until = later(ctx);
  const added = ips.map((ip, i) => {
    const assoc = associateEip(ctx, eniId, ip, allocationIds[i]!);
    const a: StoredAddress = {
      AllocationId: allocationIds[i],
      NetworkInterfaceId: eniId,
      PrivateIp: ip,
      PublicIp: assoc.PublicIp,
      AssociationId: assoc.AssociationId,
      IsPrimary: false,
      Status: 'succeeded',
    };
    if (until) a._op = { name: 'associating', until };
    return a;
  });
  rec.NatGatewayAddresses.push(...added);
  return {
    NatGatewayId: r.NatGatewayId,
    NatGatewayAddresses: added.map((a) => startedView(a, 'associating', { privateIpGiven: listed.length > 0 })),
  };
}

export function disassociateNatGatewayAddress(
  ctx: RequestContext,
  input: DisassociateNatGatewayAddressRequest,
): DisassociateNatGatewayAddressResult {
  const r = getNatGateway(ctx, input.NatGatewayId);
  const ids = [...new Set(input.AssociationIds ?? [])];
  if (ids.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter AssociationIds');
  checkDrain(input.MaxDrainDurationSeconds);
  requirePublic(r);
  requireAvailable(ctx, r);
  checkNoOperationInProgress(ctx, r);
  const live = liveAddresses(r, ctx.now);
  for (const id of ids) {
    const entry = live.find((a) => a.AssociationId === id);
    if (!entry) throw new ApiError('InvalidAssociationID.NotFound', `The association ID '${id}' does not exist`);
    if (entry.IsPrimary) {
      throw new ApiError('InvalidParameterValue', `The primary Elastic IP address of NAT gateway ${r.NatGatewayId} cannot be disassociated.`);
    }
  }
  return removeAddresses(ctx, r, (a) => ids.includes(a.AssociationId ?? ''), 'disassociating');
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  CreateNatGateway: createNatGateway,
  DeleteNatGateway: deleteNatGateway,
  DescribeNatGateways: describeNatGateways,
  AssignPrivateNatGatewayAddress: assignPrivateNatGatewayAddress,
  UnassignPrivateNatGatewayAddress: unassignPrivateNatGatewayAddress,
  AssociateNatGatewayAddress: associateNatGatewayAddress,
  DisassociateNatGatewayAddress: disassociateNatGatewayAddress,
};
