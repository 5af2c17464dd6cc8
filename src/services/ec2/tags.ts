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
import { allKinds, kindForId, notFound } from './resources.js';

export function validateTags(tags: Tag[] | undefined, limit: number): Tag[] {
  const out: Tag[] = [];
  const seen = new Set<string>();
  for (const t of tags ?? []) {
    const key = t.Key;
    if (key === undefined) throw new ApiError('MissingParameter', 'The request must contain the parameter Tag.Key');
    if (key.length === 0) throw new ApiError('InvalidParameterValue', 'Tag key must not be empty');
    if ([...key].length > 128) {
      throw new ApiError('InvalidParameterValue', `Tag key exceeds the maximum length of 128 characters: '${key.slice(0, 40)}...'`);
    }
    if (key.toLowerCase().startsWith('aws:')) {
      throw new ApiError('InvalidParameterValue', `Tag keys starting with 'aws:' are reserved for internal use`);
    }
    const value = t.Value ?? '';
    if ([...value].length > 256) {
      throw new ApiError('InvalidParameterValue', `Tag value exceeds the maximum length of 256 characters for key '${key}'`);
    }
    if (seen.has(key)) {
      throw new ApiError('InvalidParameterValue', `Duplicate tag key '${key}' specified.`);
    }
    seen.add(key);
    out.push({ Key: key, Value: value });
  }
  if (out.length > limit) throw tagLimit(limit);
  return out;
}

function tagLimit(limit: number): ApiError {
  return new ApiError('TagLimitExceeded', `The maximum number of tags per resource (${limit}) has been exceeded.`);
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
    tags.push(...(spec.Tags ?? []));
  }
  const valid = validateTags(tags, ctx.config.quotas.tagsPerResource);
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

function resolveForTagging(state: ScopedState, id: string): { kind: string } {
  const kind = kindForId(id);
  if (!kind || kind.taggable === false) throw new ApiError('InvalidID', `The ID '${id}' is not valid`);
  if (!state.get(kind.kind, id)) throw notFound(kind, [id]);
  return { kind: kind.kind };
}

export function createTags(ctx: RequestContext, input: CreateTagsRequest): void {
  const tags = validateTags(input.Tags, ctx.config.quotas.tagsPerResource);
  const ids = input.Resources ?? [];
  if (ids.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter ResourceId');
  if (ids.length > 1000) throw new ApiError('InvalidParameterValue', 'You can tag at most 1000 resources in one request.');
  for (const id of ids) {
    const { kind } = resolveForTagging(ctx.state, id);
    const rec = ctx.state.edit<Taggable>(kind, id)!;
    rec.Tags = mergeTags(rec.Tags, tags, ctx.config.quotas.tagsPerResource);
  }
}

export function deleteTags(ctx: RequestContext, input: DeleteTagsRequest): void {
  const ids = input.Resources ?? [];
  if (ids.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter ResourceId');
  for (const id of ids) {
    const { kind } = resolveForTagging(ctx.state, id);
    const rec = ctx.state.edit<Taggable>(kind, id)!;
    if (!input.Tags || input.Tags.length === 0) {
      delete rec.Tags;
      continue;
    }
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
      for (const t of rec.Tags ?? []) {
        all.push({ Key: t.Key, Value: t.Value, ResourceId: id, ResourceType: kind.kind as TagDescription['ResourceType'], Tags: [t] });
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
