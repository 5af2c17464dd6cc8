/**
 * Managed prefix lists.
 *
 * AWS-managed lists (com.amazonaws.<region>.s3 and .dynamodb, the destinations of gateway
 * endpoint routes) are the same for every account of a region: they are computed, never
 * stored, and cannot be changed. Customer-managed lists are records of their own, with every
 * version of their entries (up to the versions quota) so that an earlier version can be read
 * or restored. Changes complete at once: a response shows the `*-in-progress` state, the next
 * read the `*-complete` one.
 *
 * `prefixListCidrs` is the lookup the network engine and other families use.
 */
import type {
  AddPrefixListEntry,
  CreateManagedPrefixListRequest,
  CreateManagedPrefixListResult,
  DeleteManagedPrefixListRequest,
  DeleteManagedPrefixListResult,
  DescribeManagedPrefixListsRequest,
  DescribeManagedPrefixListsResult,
  DescribePrefixListsRequest,
  DescribePrefixListsResult,
  GetManagedPrefixListAssociationsRequest,
  GetManagedPrefixListAssociationsResult,
  GetManagedPrefixListEntriesRequest,
  GetManagedPrefixListEntriesResult,
  ManagedPrefixList,
  ModifyManagedPrefixListRequest,
  ModifyManagedPrefixListResult,
  PrefixList,
  PrefixListAssociation,
  RestoreManagedPrefixListVersionRequest,
  RestoreManagedPrefixListVersionResult,
} from '@aws-sdk/client-ec2';
import { createHash } from 'node:crypto';
import { ApiError } from '../../protocol/errors.js';
import { formatCidr, parseCidr } from '../../network/cidr.js';
import type { Handler, RequestContext } from '../context.js';
import { applyFilters, type Tag } from './filters.js';
import { paginate } from './paginate.js';
import { checkIdShape, kindOf, newId, notFound, registerKind } from './resources.js';
import { tagsFromSpecs } from './tags.js';

export const PREFIX_LIST = 'prefix-list';

registerKind({
  kind: PREFIX_LIST,
  prefix: 'pl',
  code: 'InvalidPrefixListID',
  noun: 'prefix list ID',
  malformedCode: 'InvalidPrefixListId.Malformed',
  idField: 'PrefixListId',
});

/** AWS keeps this many versions of a list; older ones are dropped. */
const MAX_VERSIONS = 1000;
/** Entries one Create/Modify request may add. */
const MAX_ENTRIES_PER_REQUEST = 100;
const MAX_NAME_LENGTH = 255;
const MAX_DESCRIPTION_LENGTH = 255;
const RESERVED_NAME_PREFIXES = ['com.amazonaws.', 'com.amazon.', 'com.aws.'];

export interface PrefixListEntryRecord {
  Cidr: string;
  Description?: string;
}

interface VersionRecord {
  version: number;
  entries: PrefixListEntryRecord[];
}

/** A customer-managed list as stored: the AWS shape plus its versions. */
export interface PrefixListRecord extends ManagedPrefixList {
  PrefixListId: string;
  PrefixListName: string;
  AddressFamily: string;
  MaxEntries: number;
  Version: number;
  OwnerId: string;
  State: NonNullable<ManagedPrefixList['State']>;
  PrefixListArn: string;
  _versions: VersionRecord[];
}

// ---------------------------------------------------------------------------------------
// AWS-managed lists
// ---------------------------------------------------------------------------------------

export type AwsManagedService = 's3' | 'dynamodb';

export interface AwsManagedList {
  PrefixListId: string;
  PrefixListName: string;
  service: AwsManagedService;
  cidrs: string[];
}

/**
 * The IDs AWS uses in a few regions (so that IDs copied from AWS examples resolve), with
 * AWS-owned ranges. They only exist inside the simulation.
 */
const KNOWN: Record<string, Record<AwsManagedService, { id: string; cidrs: string[] }>> = {
  'us-east-1': {
    s3: {
      id: 'pl-63a5400a',
      cidrs: ['16.15.176.0/20', '16.182.0.0/16', '18.34.0.0/19', '18.34.232.0/21', '3.5.0.0/19', '52.216.0.0/15', '54.231.0.0/16'],
    },
    dynamodb: { id: 'pl-02cd2c6b', cidrs: ['3.218.180.0/22', '3.218.184.0/22', '52.119.224.0/20', '52.94.0.0/22'] },
  },
  'us-west-2': {
    s3: { id: 'pl-68a54001', cidrs: ['18.34.244.0/22', '18.34.48.0/20', '3.5.76.0/22', '3.5.80.0/21', '52.218.128.0/17', '52.92.128.0/17'] },
    dynamodb: { id: 'pl-00a54069', cidrs: ['35.71.64.0/22', '52.119.232.0/21', '52.94.8.0/24'] },
  },
};

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** A stable list for regions without a known one: ID and ranges derived from the region. */
function derivedList(region: string, service: AwsManagedService): { id: string; cidrs: string[] } {
  const h = digest(`vpcsim:aws-managed-prefix-list:${region}:${service}`);
  const id = `pl-${h.subarray(0, 4).toString('hex')}`;
  const cidrs =
    service === 's3'
      ? [`3.5.${h[4]! & 0xe0}.0/19`, `52.${192 + (h[5]! % 32)}.${h[6]! & 0x80}.0/17`, `54.${224 + (h[7]! % 16)}.0.0/16`]
      : [`3.218.${h[8]! & 0xfc}.0/22`, `52.119.${h[9]! & 0xf0}.0/20`, `52.94.${h[10]! & 0xfc}.0/22`];
  return { id, cidrs };
}

/** The AWS-managed lists of a region. */
export function awsManagedPrefixLists(region: string): AwsManagedList[] {
  return (['dynamodb', 's3'] as const).map((service) => {
    const known = KNOWN[region]?.[service] ?? derivedList(region, service);
    return {
      PrefixListId: known.id,
      PrefixListName: `com.amazonaws.${region}.${service}`,
      service,
      cidrs: [...known.cidrs].sort(),
    };
  });
}

/** The AWS-managed list of a gateway endpoint service in a region. */
export function awsManagedPrefixListFor(region: string, service: AwsManagedService): AwsManagedList {
  return awsManagedPrefixLists(region).find((l) => l.service === service)!;
}

function awsManagedById(region: string, id: string): AwsManagedList | undefined {
  return awsManagedPrefixLists(region).find((l) => l.PrefixListId === id);
}

/** An AWS-managed list as DescribeManagedPrefixLists shows it: owned by "AWS", no size or version. */
function awsManagedView(region: string, l: AwsManagedList): ManagedPrefixList {
  return {
    PrefixListId: l.PrefixListId,
    AddressFamily: 'IPv4',
    State: 'create-complete',
    PrefixListArn: `arn:aws:ec2:${region}:aws:prefix-list/${l.PrefixListId}`,
    PrefixListName: l.PrefixListName,
    Tags: [],
    OwnerId: 'AWS',
  };
}

// ---------------------------------------------------------------------------------------
// Lookups for other families
// ---------------------------------------------------------------------------------------

/** A prefix list this account and region can use (customer-managed or AWS-managed), as AWS shows it. */
export function findPrefixList(ctx: RequestContext, id: string): Readonly<ManagedPrefixList> | undefined {
  const own = ctx.state.get<PrefixListRecord>(PREFIX_LIST, id);
  if (own) return own;
  const aws = awsManagedById(ctx.region, id);
  return aws ? awsManagedView(ctx.region, aws) : undefined;
}

/** The CIDR blocks of a prefix list's current version, or undefined if no such list exists. */
export function prefixListCidrs(ctx: RequestContext, plId: string): string[] | undefined {
  const own = ctx.state.get<PrefixListRecord>(PREFIX_LIST, plId);
  if (own) return currentEntries(own).map((e) => e.Cidr);
  return awsManagedById(ctx.region, plId)?.cidrs.slice();
}

function currentEntries(r: Readonly<PrefixListRecord>): PrefixListEntryRecord[] {
  return r._versions.find((v) => v.version === r.Version)?.entries ?? [];
}

/** Route tables and security groups of this account and region that refer to the list. */
function associations(ctx: RequestContext, id: string): PrefixListAssociation[] {
  const out: PrefixListAssociation[] = [];
  const tables = ctx.state
    .list<{ RouteTableId: string; Routes?: Array<{ DestinationPrefixListId?: string }> }>('route-table')
    .filter((t) => (t.Routes ?? []).some((r) => r.DestinationPrefixListId === id))
    .map((t) => t.RouteTableId);
  const groups = new Set(
    ctx.state
      .list<{ GroupId: string; PrefixListId?: string }>('security-group-rule')
      .filter((r) => r.PrefixListId === id)
      .map((r) => r.GroupId),
  );
  for (const rt of [...tables].sort()) out.push({ ResourceId: rt, ResourceOwner: ctx.account });
  for (const sg of [...groups].sort()) out.push({ ResourceId: sg, ResourceOwner: ctx.account });
  return out;
}

// ---------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------

function plNotFound(id: string): ApiError {
  return new ApiError('InvalidPrefixListID.NotFound', `The prefix list (${id}) does not exist.`);
}

function missing(name: string): ApiError {
  return new ApiError('MissingParameter', `The request must contain the parameter ${name}`);
}

/** The list an operation on one list names: customer-managed, AWS-managed, or the NotFound error. */
function lookup(ctx: RequestContext, id: string | undefined): { own?: Readonly<PrefixListRecord>; aws?: AwsManagedList } {
  if (id === undefined || id === '') throw missing('PrefixListId');
  checkIdShape(kindOf(PREFIX_LIST), id);
  const own = ctx.state.get<PrefixListRecord>(PREFIX_LIST, id);
  if (own) return { own };
  const aws = awsManagedById(ctx.region, id);
  if (aws) return { aws };
  throw plNotFound(id);
}

/** A customer-managed list to change (AWS-managed lists cannot be). */
function ownList(ctx: RequestContext, id: string | undefined, verb: 'modified' | 'deleted' | 'restored'): Readonly<PrefixListRecord> {
  const { own, aws } = lookup(ctx, id);
  if (aws) {
    throw new ApiError(
      'InvalidPrefixListModification',
      `The prefix list ${aws.PrefixListId} is an AWS-managed prefix list and cannot be ${verb}.`,
    );
  }
  return own!;
}

function checkName(name: string | undefined): string {
  if (name === undefined || name === '') throw missing('PrefixListName');
  if ([...name].length > MAX_NAME_LENGTH) {
    throw new ApiError('InvalidParameterValue', `The prefix list name cannot be longer than ${MAX_NAME_LENGTH} characters.`);
  }
  if (RESERVED_NAME_PREFIXES.some((p) => name.startsWith(p))) {
    throw new ApiError('InvalidParameterValue', `The prefix list name cannot begin with (${RESERVED_NAME_PREFIXES.join(', ')}).`);
  }
  return name;
}

function checkMaxEntries(ctx: RequestContext, n: number | undefined): number {
  const limit = ctx.config.quotas.entriesPerPrefixList;
  if (n === undefined || !Number.isInteger(n) || n < 1 || n > limit) {
    throw new ApiError('InvalidParameterValue', `Must specify a max size between 1 and ${limit}`);
  }
  return n;
}

function checkRequestSize(entries: readonly unknown[] | undefined): void {
  if ((entries?.length ?? 0) > MAX_ENTRIES_PER_REQUEST) {
    throw new ApiError('InvalidParameterValue', `The number of entries per request cannot exceeds limit (${MAX_ENTRIES_PER_REQUEST}).`);
  }
}

/** Entries from the request, canonicalised and of the list's address family. */
function parseEntries(entries: AddPrefixListEntry[] | undefined, family: string): PrefixListEntryRecord[] {
  const out: PrefixListEntryRecord[] = [];
  for (const e of entries ?? []) {
    if (e.Cidr === undefined || e.Cidr === '') throw missing('Entry.Cidr');
    const c = parseCidr(e.Cidr.trim());
    if (!c) {
      throw new ApiError('InvalidParameterValue', `Value (${e.Cidr}) for parameter cidr is invalid. This is not a valid CIDR block.`);
    }
    if ((c.version === 6) !== (family === 'IPv6')) {
      throw new ApiError('InvalidParameterValue', `The CIDR (${e.Cidr}) does not match the address family (${family}) of the prefix list.`);
    }
    if (e.Description !== undefined && [...e.Description].length > MAX_DESCRIPTION_LENGTH) {
      throw new ApiError('InvalidParameterValue', `The description of a prefix list entry cannot be longer than ${MAX_DESCRIPTION_LENGTH} characters.`);
    }
    out.push(e.Description === undefined ? { Cidr: formatCidr(c) } : { Cidr: formatCidr(c), Description: e.Description });
  }
  return out;
}

function duplicateEntry(e: PrefixListEntryRecord): ApiError {
  return new ApiError(
    'InvalidPrefixListModification',
    `An entry with the CIDR (${e.Cidr}) and description (${e.Description ?? ''}) already exists.`,
  );
}

/** Adds entries to a list of entries, refusing a CIDR it already holds. */
function addEntries(current: PrefixListEntryRecord[], add: PrefixListEntryRecord[]): PrefixListEntryRecord[] {
  const out = current.map((e) => ({ ...e }));
  for (const e of add) {
    if (out.some((o) => o.Cidr === e.Cidr)) throw duplicateEntry(e);
    out.push({ ...e });
  }
  return out;
}

function checkCount(count: number, max: number): void {
  if (count > max) {
    throw new ApiError(
      'InvalidParameterValue',
      `The prefix list would have ${count} entries, more than its maximum number of entries (${max}).`,
    );
  }
}

function versionMismatch(): ApiError {
  return new ApiError('PrefixListVersionMismatch', 'The prefix list has the incorrect version number.');
}

function sorted(entries: readonly PrefixListEntryRecord[]): PrefixListEntryRecord[] {
  return [...entries].sort((a, b) => (a.Cidr < b.Cidr ? -1 : a.Cidr > b.Cidr ? 1 : 0));
}

/** Stores a new version of the entries (dropping the oldest beyond the quota). */
function pushVersion(rec: PrefixListRecord, entries: PrefixListEntryRecord[]): void {
  rec.Version += 1;
  rec._versions.push({ version: rec.Version, entries });
  if (rec._versions.length > MAX_VERSIONS) rec._versions.splice(0, rec._versions.length - MAX_VERSIONS);
}

/** The list as AWS shows it; `state` overrides the stored one (a change in progress). */
function listView(r: Readonly<PrefixListRecord>, state?: ManagedPrefixList['State']): ManagedPrefixList {
  const out: ManagedPrefixList = {
    PrefixListId: r.PrefixListId,
    AddressFamily: r.AddressFamily,
    State: state ?? r.State,
    PrefixListArn: r.PrefixListArn,
    PrefixListName: r.PrefixListName,
    MaxEntries: r.MaxEntries,
    Version: r.Version,
    Tags: (r.Tags ?? []).map((t) => ({ ...t })),
    OwnerId: r.OwnerId,
  };
  if (r.StateMessage && state === undefined) out.StateMessage = r.StateMessage;
  return out;
}

// ---------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------

export function createManagedPrefixList(ctx: RequestContext, input: CreateManagedPrefixListRequest): CreateManagedPrefixListResult {
  const name = checkName(input.PrefixListName);
  const family = input.AddressFamily;
  if (family !== 'IPv4' && family !== 'IPv6') {
    throw new ApiError('InvalidParameterValue', `Value (${family}) for parameter addressFamily is invalid. Valid values: IPv4, IPv6`);
  }
  const max = checkMaxEntries(ctx, input.MaxEntries);
  checkRequestSize(input.Entries);
  const entries = addEntries([], parseEntries(input.Entries, family));
  checkCount(entries.length, max);
  const tags = tagsFromSpecs(ctx, input.TagSpecifications, PREFIX_LIST);
  const quota = ctx.config.quotas.prefixListsPerRegion;
  if (ctx.state.list<PrefixListRecord>(PREFIX_LIST).length >= quota) {
    throw new ApiError('PrefixListLimitExceeded', `The maximum number of prefix lists (${quota}) has been reached.`);
  }
  const id = newId('pl');
  const rec: PrefixListRecord = {
    PrefixListId: id,
    AddressFamily: family,
    State: 'create-complete',
    PrefixListArn: `arn:aws:ec2:${ctx.region}:${ctx.account}:prefix-list/${id}`,
    PrefixListName: name,
    MaxEntries: max,
    Version: 1,
    Tags: tags,
    OwnerId: ctx.account,
    _versions: [{ version: 1, entries }],
  };
  ctx.state.put(PREFIX_LIST, id, rec);
  return { PrefixList: listView(rec, 'create-in-progress') };
}

const LIST_FILTERS = {
  'owner-id': (l: ManagedPrefixList) => l.OwnerId,
  'prefix-list-id': (l: ManagedPrefixList) => l.PrefixListId,
  'prefix-list-name': (l: ManagedPrefixList) => l.PrefixListName,
};

/** Every list the account sees in this region: AWS-managed first, then its own. */
function allLists(ctx: RequestContext): ManagedPrefixList[] {
  return [
    ...awsManagedPrefixLists(ctx.region).map((l) => awsManagedView(ctx.region, l)),
    ...ctx.state.list<PrefixListRecord>(PREFIX_LIST).map((r) => listView(r)),
  ];
}

/** The lists named by ID (each must exist), or all of them. */
function selectLists<T extends { PrefixListId?: string }>(all: T[], ids: string[] | undefined): T[] {
  if (!ids || ids.length === 0) return all;
  const kind = kindOf(PREFIX_LIST);
  const unique = [...new Set(ids)];
  for (const id of unique) checkIdShape(kind, id);
  const missingIds = unique.filter((id) => !all.some((l) => l.PrefixListId === id));
  if (missingIds.length) throw notFound(kind, missingIds);
  return all.filter((l) => unique.includes(l.PrefixListId!));
}

export function describeManagedPrefixLists(ctx: RequestContext, input: DescribeManagedPrefixListsRequest): DescribeManagedPrefixListsResult {
  const selected = applyFilters(selectLists(allLists(ctx), input.PrefixListIds), input.Filters, LIST_FILTERS);
  const page = paginate(selected, input, { min: 1, max: 100 });
  return { PrefixLists: page.items, NextToken: page.nextToken };
}

/** The older call: AWS services' lists with their CIDRs. */
export function describePrefixLists(ctx: RequestContext, input: DescribePrefixListsRequest): DescribePrefixListsResult {
  const lists: Array<PrefixList & { Tags?: Tag[] }> = awsManagedPrefixLists(ctx.region).map((l) => ({
    Cidrs: l.cidrs.slice(),
    PrefixListId: l.PrefixListId,
    PrefixListName: l.PrefixListName,
  }));
  const selected = applyFilters(
    selectLists(lists, input.PrefixListIds),
    input.Filters,
    { 'prefix-list-id': (l) => l.PrefixListId, 'prefix-list-name': (l) => l.PrefixListName },
    { tags: false },
  );
  const page = paginate(selected, input, { min: 5, max: 1000 });
  return { PrefixLists: page.items, NextToken: page.nextToken };
}

export function getManagedPrefixListEntries(ctx: RequestContext, input: GetManagedPrefixListEntriesRequest): GetManagedPrefixListEntriesResult {
  const { own, aws } = lookup(ctx, input.PrefixListId);
  let entries: PrefixListEntryRecord[];
  if (aws) {
    entries = aws.cidrs.map((Cidr) => ({ Cidr }));
  } else if (input.TargetVersion !== undefined) {
    const v = own!._versions.find((x) => x.version === input.TargetVersion);
    if (!v) {
      throw new ApiError(
        'InvalidParameterValue',
        `The specified version (${input.TargetVersion}) does not exist for prefix list ${own!.PrefixListId}.`,
      );
    }
    entries = v.entries;
  } else {
    entries = currentEntries(own!);
  }
  const page = paginate(sorted(entries), input, { min: 1, max: 100 });
  return { Entries: page.items.map((e) => ({ ...e })), NextToken: page.nextToken };
}

export function getManagedPrefixListAssociations(
  ctx: RequestContext,
  input: GetManagedPrefixListAssociationsRequest,
): GetManagedPrefixListAssociationsResult {
  const { own, aws } = lookup(ctx, input.PrefixListId);
  const page = paginate(associations(ctx, (own ?? aws)!.PrefixListId), input, { min: 5, max: 255 });
  return { PrefixListAssociations: page.items, NextToken: page.nextToken };
}

export function modifyManagedPrefixList(ctx: RequestContext, input: ModifyManagedPrefixListRequest): ModifyManagedPrefixListResult {
  const current = ownList(ctx, input.PrefixListId, 'modified');
  if (input.CurrentVersion !== undefined && input.CurrentVersion !== current.Version) throw versionMismatch();
  const changesEntries = (input.AddEntries?.length ?? 0) > 0 || (input.RemoveEntries?.length ?? 0) > 0;
  if (changesEntries && input.MaxEntries !== undefined) {
    throw new ApiError(
      'InvalidParameterCombination',
      'You cannot modify the entries and the maximum entries for the prefix list in the same request.',
    );
  }
  const rec = ctx.state.edit<PrefixListRecord>(PREFIX_LIST, current.PrefixListId)!;
  if (input.PrefixListName !== undefined) rec.PrefixListName = checkName(input.PrefixListName);
  if (input.MaxEntries !== undefined) {
    const max = checkMaxEntries(ctx, input.MaxEntries);
    const count = currentEntries(rec).length;
    if (max < count) {
      throw new ApiError(
        'InvalidParameterValue',
        `The maximum number of entries (${max}) cannot be less than the number of entries (${count}) in the prefix list.`,
      );
    }
    rec.MaxEntries = max;
  }
  if (changesEntries) {
    checkRequestSize(input.AddEntries);
    checkRequestSize(input.RemoveEntries);
    // Removals first, so one call can replace an entry (remove and add the same CIDR).
    let entries = currentEntries(rec).map((e) => ({ ...e }));
    for (const r of input.RemoveEntries ?? []) {
      if (r.Cidr === undefined || r.Cidr === '') throw missing('RemoveEntry.Cidr');
      const c = parseCidr(r.Cidr.trim());
      const cidr = c ? formatCidr(c) : r.Cidr;
      if (!entries.some((e) => e.Cidr === cidr)) {
        throw new ApiError('InvalidPrefixListModification', `The CIDR (${r.Cidr}) does not exist in the prefix list.`);
      }
      entries = entries.filter((e) => e.Cidr !== cidr);
    }
    entries = addEntries(entries, parseEntries(input.AddEntries, rec.AddressFamily));
    checkCount(entries.length, rec.MaxEntries);
    pushVersion(rec, entries);
  }
  rec.State = 'modify-complete';
  delete rec.StateMessage;
  return { PrefixList: listView(rec, 'modify-in-progress') };
}

export function restoreManagedPrefixListVersion(
  ctx: RequestContext,
  input: RestoreManagedPrefixListVersionRequest,
): RestoreManagedPrefixListVersionResult {
  const current = ownList(ctx, input.PrefixListId, 'restored');
  if (input.CurrentVersion !== current.Version) throw versionMismatch();
  const previous = current._versions.find((v) => v.version === input.PreviousVersion);
  if (!previous) {
    throw new ApiError(
      'InvalidParameterValue',
      `The specified version (${input.PreviousVersion}) does not exist for prefix list ${current.PrefixListId}.`,
    );
  }
  checkCount(previous.entries.length, current.MaxEntries);
  const rec = ctx.state.edit<PrefixListRecord>(PREFIX_LIST, current.PrefixListId)!;
  pushVersion(
    rec,
    previous.entries.map((e) => ({ ...e })),
  );
  rec.State = 'restore-complete';
  delete rec.StateMessage;
  return { PrefixList: listView(rec, 'restore-in-progress') };
}

/**
 * Deletes a list. As on AWS the call itself succeeds while the list is still referenced: the
 * list then ends in `delete-failed`, with a message naming what refers to it, and stays usable.
 */
export function deleteManagedPrefixList(ctx: RequestContext, input: DeleteManagedPrefixListRequest): DeleteManagedPrefixListResult {
  const current = ownList(ctx, input.PrefixListId, 'deleted');
  const users = associations(ctx, current.PrefixListId);
  const view = listView(current, 'delete-in-progress');
  if (users.length > 0) {
    const rec = ctx.state.edit<PrefixListRecord>(PREFIX_LIST, current.PrefixListId)!;
    rec.State = 'delete-failed';
    rec.StateMessage = `The prefix list ${current.PrefixListId} is referenced by ${users
      .map((u) => u.ResourceId)
      .join(', ')} and cannot be deleted.`;
    return { PrefixList: view };
  }
  ctx.state.delete(PREFIX_LIST, current.PrefixListId);
  return { PrefixList: view };
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  CreateManagedPrefixList: createManagedPrefixList,
  DescribeManagedPrefixLists: describeManagedPrefixLists,
  DescribePrefixLists: describePrefixLists,
  GetManagedPrefixListEntries: getManagedPrefixListEntries,
  GetManagedPrefixListAssociations: getManagedPrefixListAssociations,
  ModifyManagedPrefixList: modifyManagedPrefixList,
  RestoreManagedPrefixListVersion: restoreManagedPrefixListVersion,
  DeleteManagedPrefixList: deleteManagedPrefixList,
};
