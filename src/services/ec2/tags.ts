/**
 * Tags on every EC2 resource: validation, TagSpecifications on create, and
 * CreateTags / DeleteTags / DescribeTags.
 */
import type {
  CreateTagsRequest,
  DeleteTagsRequest,
  DescribeTagsRequest,
  DescribeTagsResult,
  TagDescription,
  TagSpecification,
} from '@aws-sdk/client-ec2';
import { ApiError } from '../../protocol/errors.js';
import type { Handler, RequestContext } from '../context.js';
import type { ScopedState } from '../../state/store.js';
import { applyFilters, type Tag } from './filters.js';
import { paginate } from './paginate.js';
import { allKinds, isWellFormedId, kindForId, notFound } from './resources.js';

/** Where the tags being checked come from: AWS words some errors differently for each. */
type TagSource = 'CreateTags' | 'DeleteTags' | 'TagSpecification';

function reservedKey(key: string, source: TagSource): ApiError {
  if (source === 'TagSpecification') {
    return new ApiError('InvalidParameterValue', "Tag keys starting with 'aws:' are reserved for internal use");
  }
  return new ApiError(
    'InvalidParameterValue',
    `Value ( ${key} ) for parameter key is invalid. Tag keys starting with 'aws:' are reserved for internal use`,
  );
}

function checkKey(key: string | undefined, source: TagSource): string {
  if (key === undefined || key.length === 0) {
    throw new ApiError('InvalidTagKey.Malformed', 'The tag key must not be empty.');
  }
  // Lengths count Unicode characters, not UTF-16 units.
  if ([...key].length > 128) throw new ApiError('InvalidParameterValue', 'Tag key exceeds the maximum length of 128 characters');
  if (key.toLowerCase().startsWith('aws:')) throw reservedKey(key, source);
  return key;
}

function checkValue(value: string): string {
  if ([...value].length > 256) throw new ApiError('InvalidParameterValue', 'Tag value exceeds the maximum length of 256 characters');
  return value;
}

/**
 * Checks the tags of a CreateTags call or of TagSpecifications. A key given twice keeps its
 * last value. A tag without a value gets "" in CreateTags; TagSpecifications insist on one.
 */
export function validateTags(tags: Tag[] | undefined, limit: number, source: TagSource = 'CreateTags'): Tag[] {
  const byKey = new Map<string, string>();
  for (const t of tags ?? []) {
    const key = checkKey(t.Key, source);
    if (t.Value === undefined && source === 'TagSpecification') {
      throw new ApiError('InvalidParameterValue', 'Tag value cannot be null. Use empty string instead.');
    }
    byKey.delete(key);
    byKey.set(key, checkValue(t.Value ?? ''));
  }
  if (byKey.size > limit) throw tagLimit(limit);
  return [...byKey].map(([Key, Value]) => ({ Key, Value }));
}

function tagLimit(limit: number): ApiError {
  return new ApiError('TagLimitExceeded', `The resultant tag set must not have more than ${limit} user tags.`);
}

/** Tags for a new resource of `resourceType` from the request's TagSpecifications. */
export function tagsFromSpecs(ctx: RequestContext, specs: TagSpecification[] | undefined, resourceType: string): Tag[] | undefined {
  if (!specs || specs.length === 0) return undefined;
  const tags: Tag[] = [];
  for (const spec of specs) {
    if (!spec.ResourceType) {
      throw new ApiError('MissingParameter', 'The request must contain the parameter TagSpecification.ResourceType');
    }
    if (spec.ResourceType !== resourceType) {
      throw new ApiError(
        'InvalidParameterValue',
        `'${spec.ResourceType}' is not a valid taggable resource type for this operation.`,
      );
    }
    if (!spec.Tags || spec.Tags.length === 0) {
      throw new ApiError('InvalidParameterValue', 'Tag specification must have at least one tag');
    }
    tags.push(...spec.Tags);
  }
  const valid = validateTags(tags, ctx.config.quotas.tagsPerResource, 'TagSpecification');
  return valid.length ? valid : undefined;
}

/** Merges tags into a record's tag list (same key → new value). */
export function mergeTags(existing: Tag[] | undefined, add: Tag[], limit: number): Tag[] {
  const out = (existing ?? []).map((t) => ({ ...t }));
  for (const t of add) {
    const hit = out.find((e) => e.Key === t.Key);
    if (hit) hit.Value = t.Value;
    else out.push({ Key: t.Key, Value: t.Value });
  }
  if (out.length > limit) throw tagLimit(limit);
  return out;
}

interface Taggable {
  Tags?: Tag[];
}

/** The kind of the resource an ID names: InvalidID when no taggable kind has that shape. */
function resolveForTagging(state: ScopedState, id: string): { kind: string } {
  const kind = kindForId(id);
  if (!kind || kind.taggable === false || !isWellFormedId(kind, id)) {
    throw new ApiError('InvalidID', `The ID '${id}' is not valid`);
  }
  if (!state.get(kind.kind, id)) throw notFound(kind, [id]);
  return { kind: kind.kind };
}

/** At most this many resources in one CreateTags / DeleteTags call. */
const MAX_TAG_RESOURCES = 1000;

function resourceIds(ids: string[] | undefined): string[] {
  const list = ids ?? [];
  if (list.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter ResourceId');
  if (list.length > MAX_TAG_RESOURCES) {
    throw new ApiError('InvalidParameterValue', `You can tag at most ${MAX_TAG_RESOURCES} resources in one request.`);
  }
  return [...new Set(list)];
}

export function createTags(ctx: RequestContext, input: CreateTagsRequest): void {
  const limit = ctx.config.quotas.tagsPerResource;
  const ids = resourceIds(input.Resources);
  const tags = validateTags(input.Tags, limit, 'CreateTags');
  for (const id of ids) {
    const { kind } = resolveForTagging(ctx.state, id);
    const rec = ctx.state.edit<Taggable>(kind, id)!;
    rec.Tags = mergeTags(rec.Tags, tags, limit);
  }
}

export function deleteTags(ctx: RequestContext, input: DeleteTagsRequest): void {
  const ids = resourceIds(input.Resources);
  for (const t of input.Tags ?? []) checkKey(t.Key, 'DeleteTags');
  for (const id of ids) {
    const { kind } = resolveForTagging(ctx.state, id);
    const rec = ctx.state.edit<Taggable>(kind, id)!;
    if (!input.Tags || input.Tags.length === 0) {
      delete rec.Tags;
      continue;
    }
    // A key alone deletes the tag whatever its value; a key with a value (even "") only on a match.
    const remaining = (rec.Tags ?? []).filter(
      (t) => !input.Tags!.some((d) => d.Key === t.Key && (d.Value === undefined || d.Value === t.Value)),
    );
    if (remaining.length) rec.Tags = remaining;
    else delete rec.Tags;
  }
}

export function describeTags(ctx: RequestContext, input: DescribeTagsRequest): DescribeTagsResult {
  const all: Array<TagDescription & { Tags: Tag[] }> = [];
  for (const kind of allKinds()) {
    if (kind.taggable === false) continue;
    for (const rec of ctx.state.list<Record<string, unknown> & Taggable>(kind.kind)) {
      const id = rec[kind.idField] as string;
      const resourceTags = rec.Tags ?? [];
      for (const t of resourceTags) {
        // `Tags` lets `tag:<key>` select by any tag of the same resource.
        all.push({ Key: t.Key, Value: t.Value, ResourceId: id, ResourceType: (kind.tagType ?? kind.kind) as TagDescription['ResourceType'], Tags: resourceTags });
      }
    }
  }
  const selected = applyFilters(all, input.Filters, {
    key: (d) => d.Key,
    value: (d) => d.Value,
    'resource-id': (d) => d.ResourceId,
    'resource-type': (d) => d.ResourceType,
  });
  const page = paginate(selected, input);
  return {
    Tags: page.items.map(({ Key, Value, ResourceId, ResourceType }) => ({ Key, Value, ResourceId, ResourceType })),
    NextToken: page.nextToken,
  };
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  CreateTags: createTags,
  DeleteTags: deleteTags,
  DescribeTags: describeTags,
};
