/**
 * VPC peering connections: requests between two VPCs of the same or different accounts and
 * regions, their acceptance, rejection, deletion, expiry and options.
 *
 * A connection is one record in the global scope, read by both sides: each side sees it in
 * its own account and region. Each side also holds a small record of the same kind and ID in
 * its own scope, carrying the tags that side gave it (AWS applies peering tags only in the
 * account and region that set them), so CreateTags, DeleteTags and DescribeTags work there.
 *
 * Lifecycle (VPC Peering Guide, "VPC peering connection lifecycle"): initiating-request, then
 * pending-acceptance or failed; then active, rejected, expired (7 days unanswered) or deleted.
 * Ended connections stay visible for a while: failed 2 hours to the requester; expired 2 days
 * to both; rejected 2 days to the requester and 2 hours to the accepter; deleted 2 hours to
 * the party that deleted it and 2 days to the other; within one account, 2 hours.
 */
import type {
  AcceptVpcPeeringConnectionRequest,
  AcceptVpcPeeringConnectionResult,
  CreateVpcPeeringConnectionRequest,
  CreateVpcPeeringConnectionResult,
  DeleteVpcPeeringConnectionRequest,
  DeleteVpcPeeringConnectionResult,
  DescribeVpcPeeringConnectionsRequest,
  DescribeVpcPeeringConnectionsResult,
  ModifyVpcPeeringConnectionOptionsRequest,
  ModifyVpcPeeringConnectionOptionsResult,
  PeeringConnectionOptionsRequest,
  RejectVpcPeeringConnectionRequest,
  RejectVpcPeeringConnectionResult,
  Tag,
  VpcPeeringConnection,
  VpcPeeringConnectionOptionsDescription,
  VpcPeeringConnectionVpcInfo,
} from '@aws-sdk/client-ec2';
import { ApiError } from '../../protocol/errors.js';
import { overlaps, parseCidr } from '../../network/cidr.js';
import type { ScopedState } from '../../state/store.js';
import type { Handler, RequestContext } from '../context.js';
import { applyFilters, pluck } from './filters.js';
import { paginate } from './paginate.js';
import { isKnownRegion } from './regions.js';
import { checkIdShape, kindOf, newId, notFound, registerKind, requireRecord } from './resources.js';
import { tagsFromSpecs } from './tags.js';
import type { VpcRecord } from './vpcs.js';

export const PEERING_KIND = 'vpc-peering-connection';

registerKind({
  kind: PEERING_KIND,
  prefix: 'pcx',
  code: 'InvalidVpcPeeringConnectionID',
  noun: 'vpcPeeringConnection ID',
  malformedCode: 'InvalidVpcPeeringConnectionId.Malformed',
  idField: 'VpcPeeringConnectionId',
});

const GLOBAL_ACCOUNT = 'global';
const GLOBAL_REGION = 'global';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** Unaccepted requests expire after one week (not adjustable). */
const EXPIRY_MS = 7 * DAY;

export type PeeringSide = 'requester' | 'accepter';

export interface PeeringEnd {
  account: string;
  region: string;
  vpcId: string;
}

/** The IPv4/IPv6 blocks of one side, as last seen (kept for connections whose VPC is gone). */
interface CidrSnapshot {
  CidrBlock?: string;
  CidrBlockSet?: Array<{ CidrBlock?: string }>;
  Ipv6CidrBlockSet?: Array<{ Ipv6CidrBlock?: string }>;
}

interface PeeringOptions {
  AllowDnsResolutionFromRemoteVpc: boolean;
  AllowEgressFromLocalClassicLinkToRemoteVpc: boolean;
  AllowEgressFromLocalVpcToRemoteClassicLink: boolean;
}

/** The connection, as stored once in the global scope. */
export interface PeeringRecord {
  VpcPeeringConnectionId: string;
  /** Stored code: pending-acceptance | active | rejected | failed | deleted ("expired" is derived). */
  Status: { Code: string; Message: string };
  ExpirationTime: string;
  _requester: PeeringEnd;
  _accepter: PeeringEnd;
  _createdAt: string;
  /** When the connection was rejected, failed or deleted, and by which account. */
  _endedAt?: string;
  _endedBy?: string;
  _options: Record<PeeringSide, PeeringOptions>;
  _cidrs: Partial<Record<PeeringSide, CidrSnapshot>>;
}

/** What each side keeps in its own scope: the ID, and that side's tags. */
interface PeeringLocalRecord {
  VpcPeeringConnectionId: string;
  Tags?: Tag[];
}

const DEFAULT_OPTIONS: PeeringOptions = {
  AllowDnsResolutionFromRemoteVpc: false,
  AllowEgressFromLocalClassicLinkToRemoteVpc: false,
  AllowEgressFromLocalVpcToRemoteClassicLink: false,
};

const FAILED_MESSAGE = 'Failed due to incorrect VPC-ID, Account ID, or overlapping CIDR range';

function registry(ctx: RequestContext): ScopedState {
  return ctx.state.other(GLOBAL_ACCOUNT, GLOBAL_REGION);
}

function scopeOf(ctx: RequestContext, end: PeeringEnd): ScopedState {
  return ctx.state.other(end.account, end.region);
}

function endOf(rec: Readonly<PeeringRecord>, side: PeeringSide): PeeringEnd {
  return side === 'requester' ? rec._requester : rec._accepter;
}

/** The sides of the connection the caller's account and region stand on (both within one scope). */
function sidesOf(rec: Readonly<PeeringRecord>, account: string, region: string): PeeringSide[] {
  const out: PeeringSide[] = [];
  if (rec._requester.account === account && rec._requester.region === region) out.push('requester');
  if (rec._accepter.account === account && rec._accepter.region === region) out.push('accepter');
  return out;
}

/** The connection's status now: an unanswered request past its expiration time has expired. */
export function peeringStatus(rec: Readonly<PeeringRecord>, now: Date): { Code: string; Message: string } {
  if (rec.Status.Code === 'pending-acceptance' && now.getTime() >= Date.parse(rec.ExpirationTime)) {
    return { Code: 'expired', Message: 'Expired' };
  }
  return rec.Status;
}

function sameAccount(rec: Readonly<PeeringRecord>): boolean {
  return rec._requester.account === rec._accepter.account;
}

/** Whether one side still sees the connection (AWS's visibility windows for ended connections). */
function visibleToSide(rec: Readonly<PeeringRecord>, side: PeeringSide, now: Date): boolean {
  const code = peeringStatus(rec, now).Code;
  const t = now.getTime();
  const ended = rec._endedAt ? Date.parse(rec._endedAt) : t;
  switch (code) {
    case 'failed':
      return side === 'requester' && t < ended + 2 * HOUR;
    case 'expired':
      return t < Date.parse(rec.ExpirationTime) + 2 * DAY;
    case 'rejected':
      if (sameAccount(rec)) return t < ended + 2 * HOUR;
      return t < ended + (side === 'requester' ? 2 * DAY : 2 * HOUR);
    case 'deleted':
      if (sameAccount(rec)) return t < ended + 2 * HOUR;
      return t < ended + (endOf(rec, side).account === rec._endedBy ? 2 * HOUR : 2 * DAY);
    default:
      return true;
  }
}

function visibleFrom(rec: Readonly<PeeringRecord>, account: string, region: string, now: Date): boolean {
  return sidesOf(rec, account, region).some((s) => visibleToSide(rec, s, now));
}

/**
 * The peering connection with this ID if the request's account and region see it (as
 * requester or accepter), else undefined. For route targets and other families.
 */
export function findPeering(ctx: RequestContext, pcxId: string): Readonly<PeeringRecord> | undefined {
  if (!ctx.state.get<PeeringLocalRecord>(PEERING_KIND, pcxId)) return undefined;
  const rec = registry(ctx).get<PeeringRecord>(PEERING_KIND, pcxId);
  if (!rec || !visibleFrom(rec, ctx.account, ctx.region, ctx.now)) return undefined;
  return rec;
}

/** True when traffic may flow over the connection. */
export function peeringIsActive(rec: Readonly<PeeringRecord>): boolean {
  return rec.Status.Code === 'active';
}

/**
 * The other end of the connection, seen from the VPC `vpcId` in the request's account and
 * region; undefined when that VPC is not part of the connection.
 */
export function peeringRemoteEnd(ctx: RequestContext, rec: Readonly<PeeringRecord>, vpcId: string): PeeringEnd | undefined {
  const here = (e: PeeringEnd) => e.account === ctx.account && e.region === ctx.region && e.vpcId === vpcId;
  if (here(rec._requester)) return rec._accepter;
  if (here(rec._accepter)) return rec._requester;
  return undefined;
}

/** The visible connection, or AWS's not-found / malformed error. */
function requirePeering(ctx: RequestContext, id: string | undefined): Readonly<PeeringRecord> {
  const kind = kindOf(PEERING_KIND);
  if (id === undefined || id === '') {
    throw new ApiError('MissingParameter', 'The request must contain the parameter VpcPeeringConnectionId');
  }
  checkIdShape(kind, id);
  const rec = findPeering(ctx, id);
  if (!rec) throw notFound(kind, [id]);
  return rec;
}

function editPeering(ctx: RequestContext, id: string): PeeringRecord {
  return registry(ctx).edit<PeeringRecord>(PEERING_KIND, id)!;
}

function invalidTransition(id: string, from: string, to: string): ApiError {
  return new ApiError('InvalidStateTransition', `Invalid state transition for ${id}, attempted to transition from ${from} to ${to}`);
}

// ---- VPC blocks ----------------------------------------------------------------------------

function liveVpc(ctx: RequestContext, end: PeeringEnd): Readonly<VpcRecord> | undefined {
  return scopeOf(ctx, end).get<VpcRecord>('vpc', end.vpcId);
}

function usable(state: string | undefined): boolean {
  return state === 'associated' || state === 'associating';
}

function cidrsOf(vpc: Readonly<VpcRecord>): CidrSnapshot {
  const v4 = (vpc.CidrBlockAssociationSet ?? []).filter((a) => usable(a.CidrBlockState?.State)).map((a) => a.CidrBlock!);
  const v6 = (vpc.Ipv6CidrBlockAssociationSet ?? []).filter((a) => usable(a.Ipv6CidrBlockState?.State)).map((a) => a.Ipv6CidrBlock!);
  return {
    CidrBlock: vpc.CidrBlock,
    CidrBlockSet: v4.map((c) => ({ CidrBlock: c })),
    Ipv6CidrBlockSet: v6.length ? v6.map((c) => ({ Ipv6CidrBlock: c })) : undefined,
  };
}

/** True when any IPv4 block (or IPv6 block) of one VPC overlaps any block of the other. */
function cidrsOverlap(a: CidrSnapshot, b: CidrSnapshot): boolean {
  const blocks = (s: CidrSnapshot) =>
    [...(s.CidrBlockSet ?? []).map((x) => x.CidrBlock), ...(s.Ipv6CidrBlockSet ?? []).map((x) => x.Ipv6CidrBlock)]
      .map((c) => (c ? parseCidr(c) : undefined))
      .filter((c) => c !== undefined);
  const bb = blocks(b);
  return blocks(a).some((x) => bb.some((y) => x.version === y.version && overlaps(x, y)));
}

// ---- Views ---------------------------------------------------------------------------------

function vpcInfo(ctx: RequestContext, rec: Readonly<PeeringRecord>, side: PeeringSide, code: string): VpcPeeringConnectionVpcInfo {
  const end = endOf(rec, side);
  const live = code === 'active' || code === 'pending-acceptance' || code === 'initiating-request' || code === 'provisioning';
  const vpc = live ? liveVpc(ctx, end) : undefined;
  const cidrs = vpc ? cidrsOf(vpc) : rec._cidrs[side];
  // The accepter's blocks are shown once the connection is active; the requester's always.
  const showCidrs = side === 'requester' || code === 'active' || code === 'provisioning';
  const showOptions = side === 'requester' || code === 'active' || code === 'provisioning';
  return {
    CidrBlock: showCidrs ? cidrs?.CidrBlock : undefined,
    CidrBlockSet: showCidrs ? cidrs?.CidrBlockSet : undefined,
    Ipv6CidrBlockSet: showCidrs ? cidrs?.Ipv6CidrBlockSet : undefined,
    OwnerId: end.account,
    PeeringOptions: showOptions ? { ...rec._options[side] } : undefined,
    VpcId: end.vpcId,
    Region: end.region,
  };
}

function peeringView(ctx: RequestContext, rec: Readonly<PeeringRecord>, status?: { Code: string; Message: string }): VpcPeeringConnection {
  const st = status ?? peeringStatus(rec, ctx.now);
  const local = ctx.state.get<PeeringLocalRecord>(PEERING_KIND, rec.VpcPeeringConnectionId);
  const pendingLike = st.Code === 'pending-acceptance' || st.Code === 'initiating-request' || st.Code === 'expired';
  return {
    AccepterVpcInfo: vpcInfo(ctx, rec, 'accepter', st.Code),
    ExpirationTime: pendingLike ? (rec.ExpirationTime as unknown as Date) : undefined,
    RequesterVpcInfo: vpcInfo(ctx, rec, 'requester', st.Code),
    Status: { Code: st.Code as NonNullable<VpcPeeringConnection['Status']>['Code'], Message: st.Message },
    Tags: local?.Tags ? local.Tags.map((t) => ({ ...t })) : [],
    VpcPeeringConnectionId: rec.VpcPeeringConnectionId,
  };
}

// ---- Housekeeping --------------------------------------------------------------------------

/** Forgets connections (and each side's local record) once their visibility windows have passed. */
function sweep(ctx: RequestContext): void {
  const reg = registry(ctx);
  for (const rec of reg.list<PeeringRecord>(PEERING_KIND)) {
    let anyVisible = false;
    for (const side of ['requester', 'accepter'] as const) {
      const end = endOf(rec, side);
      const visible = visibleFrom(rec, end.account, end.region, ctx.now);
      if (visible) anyVisible = true;
      else if (scopeOf(ctx, end).get(PEERING_KIND, rec.VpcPeeringConnectionId)) {
        scopeOf(ctx, end).delete(PEERING_KIND, rec.VpcPeeringConnectionId);
      }
    }
    if (!anyVisible) reg.delete(PEERING_KIND, rec.VpcPeeringConnectionId);
  }
}

function connectionsOfVpc(ctx: RequestContext, end: PeeringEnd): Readonly<PeeringRecord>[] {
  const same = (e: PeeringEnd) => e.account === end.account && e.region === end.region && e.vpcId === end.vpcId;
  return registry(ctx)
    .list<PeeringRecord>(PEERING_KIND)
    .filter((r) => same(r._requester) || same(r._accepter));
}

function samePair(a: Readonly<PeeringRecord>, b: Readonly<PeeringRecord>): boolean {
  const eq = (x: PeeringEnd, y: PeeringEnd) => x.account === y.account && x.region === y.region && x.vpcId === y.vpcId;
  return (
    (eq(a._requester, b._requester) && eq(a._accepter, b._accepter)) ||
    (eq(a._requester, b._accepter) && eq(a._accepter, b._requester))
  );
}

// ---- Operations ----------------------------------------------------------------------------

export function createVpcPeeringConnection(
  ctx: RequestContext,
  input: CreateVpcPeeringConnectionRequest,
): CreateVpcPeeringConnectionResult {
  const vpc = requireRecord<VpcRecord>(ctx.state, 'vpc', input.VpcId, 'VpcId');
  if (input.PeerVpcId === undefined || input.PeerVpcId === '') {
    throw new ApiError('MissingParameter', 'The request must contain the parameter PeerVpcId');
  }
  checkIdShape(kindOf('vpc'), input.PeerVpcId);
  const peerOwner = input.PeerOwnerId ?? ctx.account;
  if (!/^\d{12}$/.test(peerOwner)) {
    throw new ApiError('InvalidParameterValue', `Value (${peerOwner}) for parameter peerOwnerId is invalid. An AWS account ID has 12 digits.`);
  }
  const peerRegion = input.PeerRegion ?? ctx.region;
  if (peerRegion !== ctx.region && !isKnownRegion(peerRegion)) {
    throw new ApiError('InvalidParameterValue', `Value (${peerRegion}) for parameter PeerRegion is invalid. The region does not exist.`);
  }
  const tags = tagsFromSpecs(ctx, input.TagSpecifications, PEERING_KIND);
  sweep(ctx);

  const requester: PeeringEnd = { account: ctx.account, region: ctx.region, vpcId: vpc.VpcId };
  const accepter: PeeringEnd = { account: peerOwner, region: peerRegion, vpcId: input.PeerVpcId };
  const mine = connectionsOfVpc(ctx, requester);

  // AWS answers a repeated request (same requester and accepter VPC) with the connection
  // that is already pending or active, rather than an error.
  const same = (x: PeeringEnd, y: PeeringEnd) => x.account === y.account && x.region === y.region && x.vpcId === y.vpcId;
  const existing = mine.find((r) => {
    const code = peeringStatus(r, ctx.now).Code;
    return (code === 'pending-acceptance' || code === 'active') && same(r._requester, requester) && same(r._accepter, accepter);
  });
  if (existing) return { VpcPeeringConnection: peeringView(ctx, existing) };

  const outstanding = mine.filter((r) => same(r._requester, requester) && peeringStatus(r, ctx.now).Code === 'pending-acceptance').length;
  if (outstanding >= ctx.config.quotas.outstandingVpcPeeringConnectionsPerVpc) {
    throw new ApiError(
      'OutstandingVpcPeeringConnectionLimitExceeded',
      `The maximum number of outstanding VPC peering connection requests (${ctx.config.quotas.outstandingVpcPeeringConnectionsPerVpc}) for ${vpc.VpcId} has been reached.`,
    );
  }

  const requesterCidrs = cidrsOf(vpc);
  const peerVpc = liveVpc(ctx, accepter);
  const accepterCidrs = peerVpc ? cidrsOf(peerVpc) : undefined;
  // AWS cannot validate the accepter at request time: a missing peer VPC or overlapping
  // blocks make the new connection fail rather than the call.
  const fails = !accepterCidrs || cidrsOverlap(requesterCidrs, accepterCidrs);

  const id = newId('pcx');
  const now = ctx.now.toISOString();
  const rec: PeeringRecord = {
    VpcPeeringConnectionId: id,
    Status: fails ? { Code: 'failed', Message: FAILED_MESSAGE } : { Code: 'pending-acceptance', Message: `Pending Acceptance by ${peerOwner}` },
    ExpirationTime: new Date(ctx.now.getTime() + EXPIRY_MS).toISOString(),
    _requester: requester,
    _accepter: accepter,
    _createdAt: now,
    _endedAt: fails ? now : undefined,
    _options: { requester: { ...DEFAULT_OPTIONS }, accepter: { ...DEFAULT_OPTIONS } },
    _cidrs: { requester: requesterCidrs, accepter: accepterCidrs },
  };
  registry(ctx).put(PEERING_KIND, id, rec);
  ctx.state.put<PeeringLocalRecord>(PEERING_KIND, id, { VpcPeeringConnectionId: id, Tags: tags });
  // The accepter is told of the request (a failed one never reaches it).
  if (!fails && sidesOf(rec, ctx.account, ctx.region).length === 1) {
    scopeOf(ctx, accepter).put<PeeringLocalRecord>(PEERING_KIND, id, { VpcPeeringConnectionId: id });
  }
  return {
    VpcPeeringConnection: peeringView(ctx, rec, { Code: 'initiating-request', Message: `Initiating Request to ${peerOwner}` }),
  };
}

export function acceptVpcPeeringConnection(
  ctx: RequestContext,
  input: AcceptVpcPeeringConnectionRequest,
): AcceptVpcPeeringConnectionResult {
  const rec = requirePeering(ctx, input.VpcPeeringConnectionId);
  const id = rec.VpcPeeringConnectionId;
  if (ctx.account !== rec._accepter.account) {
    throw new ApiError('OperationNotPermitted', `User ${ctx.account} cannot accept peering ${id}`);
  }
  if (ctx.region !== rec._accepter.region) {
    throw new ApiError(
      'OperationNotPermitted',
      `Incorrect region (${ctx.region}) specified for this request. VPC peering connection ${id} must be accepted in region ${rec._accepter.region}`,
    );
  }
  const code = peeringStatus(rec, ctx.now).Code;
  if (code !== 'pending-acceptance') throw invalidTransition(id, code, 'active');

  const reqVpc = liveVpc(ctx, rec._requester);
  const accVpc = liveVpc(ctx, rec._accepter);
  if (!reqVpc || !accVpc || cidrsOverlap(cidrsOf(reqVpc), cidrsOf(accVpc))) {
    // The accepter's VPC changed (or went) since the request: the connection fails.
    const failed = editPeering(ctx, id);
    failed.Status = { Code: 'failed', Message: FAILED_MESSAGE };
    failed._endedAt = ctx.now.toISOString();
    return { VpcPeeringConnection: peeringView(ctx, failed) };
  }
  const others = registry(ctx)
    .list<PeeringRecord>(PEERING_KIND)
    .filter((r) => r.VpcPeeringConnectionId !== id && peeringStatus(r, ctx.now).Code === 'active');
  if (others.some((r) => samePair(r, rec))) {
    throw new ApiError('VpcPeeringConnectionAlreadyExists', `The vpc peering connection identified by ${id} already exists.`);
  }
  const limit = ctx.config.quotas.activeVpcPeeringConnectionsPerVpc;
  for (const end of [rec._requester, rec._accepter]) {
    const active = connectionsOfVpc(ctx, end).filter((r) => r.VpcPeeringConnectionId !== id && r.Status.Code === 'active').length;
    if (active >= limit) {
      throw new ApiError(
        'ActiveVpcPeeringConnectionPerVpcLimitExceeded',
        `The maximum number of active VPC peering connections (${limit}) for ${end.vpcId} has been reached.`,
      );
    }
  }
  const r = editPeering(ctx, id);
  r.Status = { Code: 'active', Message: 'Active' };
  r._cidrs = { requester: cidrsOf(reqVpc), accepter: cidrsOf(accVpc) };
  // AWS answers with the connection provisioning; it is active by the next call.
  return { VpcPeeringConnection: peeringView(ctx, r, { Code: 'provisioning', Message: 'Provisioning' }) };
}

export function rejectVpcPeeringConnection(
  ctx: RequestContext,
  input: RejectVpcPeeringConnectionRequest,
): RejectVpcPeeringConnectionResult {
  const rec = requirePeering(ctx, input.VpcPeeringConnectionId);
  const id = rec.VpcPeeringConnectionId;
  if (ctx.account !== rec._accepter.account) {
    throw new ApiError('OperationNotPermitted', `User ${ctx.account} cannot reject peering ${id}`);
  }
  if (ctx.region !== rec._accepter.region) {
    throw new ApiError(
      'OperationNotPermitted',
      `Incorrect region (${ctx.region}) specified for this request. VPC peering connection ${id} must be accepted or rejected in region ${rec._accepter.region}`,
    );
  }
  const code = peeringStatus(rec, ctx.now).Code;
  if (code !== 'pending-acceptance') throw invalidTransition(id, code, 'rejected');
  const r = editPeering(ctx, id);
  r.Status = { Code: 'rejected', Message: `Rejected by ${ctx.account}` };
  r._endedAt = ctx.now.toISOString();
  r._endedBy = ctx.account;
  return { Return: true };
}

function markDeleted(ctx: RequestContext, id: string): void {
  const r = editPeering(ctx, id);
  r.Status = { Code: 'deleted', Message: `Deleted by ${ctx.account}` };
  r._endedAt = ctx.now.toISOString();
  r._endedBy = ctx.account;
  for (const side of ['requester', 'accepter'] as const) {
    const vpc = liveVpc(ctx, endOf(r, side));
    if (vpc) r._cidrs[side] = cidrsOf(vpc);
  }
}

export function deleteVpcPeeringConnection(
  ctx: RequestContext,
  input: DeleteVpcPeeringConnectionRequest,
): DeleteVpcPeeringConnectionResult {
  const rec = requirePeering(ctx, input.VpcPeeringConnectionId);
  const id = rec.VpcPeeringConnectionId;
  const code = peeringStatus(rec, ctx.now).Code;
  if (code !== 'active' && code !== 'pending-acceptance') throw invalidTransition(id, code, 'deleting');
  // A pending request can be withdrawn only by the requester's owner; the accepter rejects it.
  if (code === 'pending-acceptance' && ctx.account !== rec._requester.account) {
    throw new ApiError('OperationNotPermitted', `User ${ctx.account} cannot delete peering ${id}`);
  }
  markDeleted(ctx, id);
  return { Return: true };
}

const PEERING_FILTERS = {
  'accepter-vpc-info.cidr-block': (p: VpcPeeringConnection) => [
    p.AccepterVpcInfo?.CidrBlock,
    ...pluck(p.AccepterVpcInfo?.CidrBlockSet, (c) => c.CidrBlock),
  ],
  'accepter-vpc-info.owner-id': (p: VpcPeeringConnection) => p.AccepterVpcInfo?.OwnerId,
  'accepter-vpc-info.vpc-id': (p: VpcPeeringConnection) => p.AccepterVpcInfo?.VpcId,
  'expiration-time': (p: VpcPeeringConnection) => (p.ExpirationTime ? new Date(p.ExpirationTime).toISOString() : undefined),
  'requester-vpc-info.cidr-block': (p: VpcPeeringConnection) => [
    p.RequesterVpcInfo?.CidrBlock,
    ...pluck(p.RequesterVpcInfo?.CidrBlockSet, (c) => c.CidrBlock),
  ],
  'requester-vpc-info.owner-id': (p: VpcPeeringConnection) => p.RequesterVpcInfo?.OwnerId,
  'requester-vpc-info.vpc-id': (p: VpcPeeringConnection) => p.RequesterVpcInfo?.VpcId,
  'status-code': (p: VpcPeeringConnection) => p.Status?.Code,
  'status-message': (p: VpcPeeringConnection) => p.Status?.Message,
  'vpc-peering-connection-id': (p: VpcPeeringConnection) => p.VpcPeeringConnectionId,
};

export function describeVpcPeeringConnections(
  ctx: RequestContext,
  input: DescribeVpcPeeringConnectionsRequest,
): DescribeVpcPeeringConnectionsResult {
  const kind = kindOf(PEERING_KIND);
  let records: Readonly<PeeringRecord>[];
  const ids = input.VpcPeeringConnectionIds;
  if (ids && ids.length) {
    const unique = [...new Set(ids)];
    for (const id of unique) checkIdShape(kind, id);
    const missing: string[] = [];
    records = [];
    for (const id of unique) {
      const r = findPeering(ctx, id);
      if (r) records.push(r);
      else missing.push(id);
    }
    if (missing.length) throw notFound(kind, missing);
  } else {
    records = ctx.state
      .list<PeeringLocalRecord>(PEERING_KIND)
      .map((l) => findPeering(ctx, l.VpcPeeringConnectionId))
      .filter((r) => r !== undefined);
  }
  const views = applyFilters(
    records.map((r) => peeringView(ctx, r)),
    input.Filters,
    PEERING_FILTERS,
  );
  const page = paginate(views, input);
  return { VpcPeeringConnections: page.items, NextToken: page.nextToken };
}

function optionsChange(o: PeeringConnectionOptionsRequest | undefined): Partial<PeeringOptions> | undefined {
  if (!o) return undefined;
  const out: Partial<PeeringOptions> = {};
  if (o.AllowDnsResolutionFromRemoteVpc !== undefined) out.AllowDnsResolutionFromRemoteVpc = o.AllowDnsResolutionFromRemoteVpc;
  if (o.AllowEgressFromLocalClassicLinkToRemoteVpc !== undefined) {
    out.AllowEgressFromLocalClassicLinkToRemoteVpc = o.AllowEgressFromLocalClassicLinkToRemoteVpc;
  }
  if (o.AllowEgressFromLocalVpcToRemoteClassicLink !== undefined) {
    out.AllowEgressFromLocalVpcToRemoteClassicLink = o.AllowEgressFromLocalVpcToRemoteClassicLink;
  }
  return out;
}

function dnsEnabled(vpc: Readonly<VpcRecord> | undefined): boolean {
  return !!vpc && vpc._attributes.enableDnsSupport && vpc._attributes.enableDnsHostnames;
}

export function modifyVpcPeeringConnectionOptions(
  ctx: RequestContext,
  input: ModifyVpcPeeringConnectionOptionsRequest,
): ModifyVpcPeeringConnectionOptionsResult {
  const rec = requirePeering(ctx, input.VpcPeeringConnectionId);
  const id = rec.VpcPeeringConnectionId;
  const changes: Partial<Record<PeeringSide, Partial<PeeringOptions>>> = {
    requester: optionsChange(input.RequesterPeeringConnectionOptions),
    accepter: optionsChange(input.AccepterPeeringConnectionOptions),
  };
  if (!changes.requester && !changes.accepter) {
    throw new ApiError(
      'MissingParameter',
      'The request must contain the parameter AccepterPeeringConnectionOptions or RequesterPeeringConnectionOptions',
    );
  }
  if (peeringStatus(rec, ctx.now).Code !== 'active') {
    throw new ApiError('OperationNotPermitted', `Peering ${id} is not active. Peering options can be added only to active peerings.`);
  }
  // Each owner modifies its own side, in its own VPC's region.
  for (const side of ['requester', 'accepter'] as const) {
    if (!changes[side]) continue;
    const end = endOf(rec, side);
    if (end.account !== ctx.account) {
      throw new ApiError('OperationNotPermitted', `User ${ctx.account} does not have permission to modify the ${side} side peering options`);
    }
    if (end.region !== ctx.region) {
      throw new ApiError(
        'OperationNotPermitted',
        `Incorrect region (${ctx.region}) specified for this request. The ${side} side peering options of ${id} must be modified in region ${end.region}`,
      );
    }
  }
  const wantsDns = changes.requester?.AllowDnsResolutionFromRemoteVpc === true || changes.accepter?.AllowDnsResolutionFromRemoteVpc === true;
  if (wantsDns && !(dnsEnabled(liveVpc(ctx, rec._requester)) && dnsEnabled(liveVpc(ctx, rec._accepter)))) {
    throw new ApiError(
      'InvalidVpcPeeringConnectionState.DnsHostnamesDisabled',
      'To enable DNS hostname resolution for the VPC peering connection, DNS hostname support must be enabled for the VPCs.',
    );
  }
  const r = editPeering(ctx, id);
  const out: ModifyVpcPeeringConnectionOptionsResult = {};
  for (const side of ['requester', 'accepter'] as const) {
    const change = changes[side];
    if (!change) continue;
    r._options[side] = { ...r._options[side], ...change };
    const view: VpcPeeringConnectionOptionsDescription = { ...r._options[side] };
    if (side === 'requester') out.RequesterPeeringConnectionOptions = view;
    else out.AccepterPeeringConnectionOptions = view;
  }
  return out;
}

/**
 * What deleting the VPC `vpcId` (in the request's account and region) does to its peering
 * connections: refused while another account's request to it awaits an answer (it must be
 * rejected first); otherwise its pending and active connections are deleted with it.
 * Call before removing the VPC.
 */
export function releaseVpcPeerings(ctx: RequestContext, vpcId: string): void {
  const end: PeeringEnd = { account: ctx.account, region: ctx.region, vpcId };
  const conns = connectionsOfVpc(ctx, end);
  const isAccepter = (r: Readonly<PeeringRecord>) =>
    r._accepter.account === ctx.account && r._accepter.region === ctx.region && r._accepter.vpcId === vpcId;
  for (const r of conns) {
    if (peeringStatus(r, ctx.now).Code === 'pending-acceptance' && isAccepter(r) && r._requester.account !== ctx.account) {
      throw new ApiError('DependencyViolation', `The vpc '${vpcId}' has dependencies and cannot be deleted.`);
    }
  }
  for (const r of conns) {
    const code = peeringStatus(r, ctx.now).Code;
    if (code === 'pending-acceptance' || code === 'active') markDeleted(ctx, r.VpcPeeringConnectionId);
  }
}

/** True while the VPC has a request of its own awaiting acceptance (AWS then refuses new IPv4 blocks). */
export function hasPendingPeeringRequest(ctx: RequestContext, vpcId: string): boolean {
  return connectionsOfVpc(ctx, { account: ctx.account, region: ctx.region, vpcId }).some(
    (r) =>
      r._requester.account === ctx.account &&
      r._requester.region === ctx.region &&
      r._requester.vpcId === vpcId &&
      peeringStatus(r, ctx.now).Code === 'pending-acceptance',
  );
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  CreateVpcPeeringConnection: createVpcPeeringConnection,
  AcceptVpcPeeringConnection: acceptVpcPeeringConnection,
  RejectVpcPeeringConnection: rejectVpcPeeringConnection,
  DeleteVpcPeeringConnection: deleteVpcPeeringConnection,
  DescribeVpcPeeringConnections: describeVpcPeeringConnections,
  ModifyVpcPeeringConnectionOptions: modifyVpcPeeringConnectionOptions,
};
