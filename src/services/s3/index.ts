/**
 * Amazon S3 (REST-XML), the slice tools need to write and read logs: buckets (create, list,
 * head, location, delete) and objects (put, get with ranges and conditions, head, delete,
 * delete many, list v1 and v2 with prefixes, delimiters and continuation), plus copy and
 * multipart uploads for the AWS CLI's `aws s3 cp` of larger files.
 *
 * Buckets are global (one namespace for all accounts, as in AWS): bucket and object records live
 * in the `global/s3` scope, each bucket owned by an account and placed in a region. Object
 * contents are blobs (see blobs.ts); records keep metadata only. `putObject` is the entry for
 * producers such as flow logs.
 */
import type {
  Bucket,
  CompleteMultipartUploadOutput,
  CompleteMultipartUploadRequest,
  CopyObjectOutput,
  CopyObjectRequest,
  CreateBucketOutput,
  CreateBucketRequest,
  CreateMultipartUploadOutput,
  CreateMultipartUploadRequest,
  DeleteObjectsOutput,
  DeleteObjectsRequest,
  GetObjectRequest,
  HeadBucketOutput,
  ListBucketsOutput,
  ListObjectsOutput,
  ListObjectsRequest,
  ListObjectsV2Output,
  ListObjectsV2Request,
  PutObjectOutput,
  PutObjectRequest,
  UploadPartOutput,
  UploadPartRequest,
  AbortMultipartUploadRequest,
  _Object,
} from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import type { Config } from '../../config.js';
import { ApiError } from '../../protocol/errors.js';
import { loadModel } from '../../protocol/model.js';
import { defineIndex, type ScopedState } from '../../state/store.js';
import type { Handler, RequestContext, ServiceProvider } from '../context.js';
import { blobStore } from './blobs.js';
import { checksumOf, type ChecksumAlgorithm, CHECKSUM_ALGORITHMS } from './checksums.js';
import { s3Http } from './http.js';

export const BUCKET = 's3-bucket';
export const OBJECT = 's3-object';
export const UPLOAD = 's3-upload';

defineIndex(OBJECT, 'Bucket');
defineIndex(BUCKET, '_owner');

/** S3 errors carry extra elements (BucketName, Key, ...) in their XML. */
export class S3Error extends ApiError {
  constructor(
    code: string,
    message: string,
    status: number,
    readonly extra: Record<string, string> = {},
  ) {
    super(code, message, status);
  }
}

interface BucketRecord {
  Name: string;
  CreationDate: string;
  BucketRegion: string;
  _owner: string;
}

export interface ObjectRecord {
  Bucket: string;
  Key: string;
  Size: number;
  ETag: string;
  LastModified: string;
  StorageClass: string;
  ContentType?: string;
  ContentEncoding?: string;
  ContentDisposition?: string;
  ContentLanguage?: string;
  CacheControl?: string;
  Expires?: string;
  Metadata?: Record<string, string>;
  Checksum?: { algorithm: ChecksumAlgorithm; value: string };
  PartsCount?: number;
  _blob: string;
}

interface UploadRecord {
  Bucket: string;
  Key: string;
  UploadId: string;
  Initiated: string;
  meta: Omit<ObjectRecord, 'Bucket' | 'Key' | 'Size' | 'ETag' | 'LastModified' | '_blob' | 'Checksum' | 'PartsCount'>;
  parts: Record<string, { ETag: string; Size: number; blob: string }>;
}

/** Blobs a request let go of: removed once it has committed (see http.ts). */
export const FREED = '_freedBlobs';

const MAX_KEY_BYTES = 1024;

export function s3State(ctx: { state: ScopedState }): ScopedState {
  return ctx.state.other('global', 's3');
}

function objectId(bucket: string, key: string): string {
  return `${bucket}/${key}`;
}

/** The canonical user ID S3 shows for an account. */
export function canonicalUserId(account: string): string {
  return createHash('sha256').update(`vpcsim:${account}`).digest('hex');
}

const noSuchBucket = (bucket: string) => new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket });
const accessDenied = () => new S3Error('AccessDenied', 'Access Denied', 403);

function requireBucket(ctx: RequestContext, name: string): Readonly<BucketRecord> {
  const b = s3State(ctx).get<BucketRecord>(BUCKET, name);
  if (!b) throw noSuchBucket(name);
  if (b._owner !== ctx.account) throw accessDenied();
  return b;
}

function checkKey(key: string): void {
  if (key.length === 0) throw new S3Error('InvalidArgument', 'Key must not be empty.', 400);
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError', 'Your key is too long', 400, { Key: key });
}

/** AWS's bucket naming rules for general purpose buckets. */
export function validBucketName(name: string): boolean {
  if (name.length < 3 || name.length > 63) return false;
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return false;
  if (name.includes('..') || name.includes('.-') || name.includes('-.')) return false;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return false;
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) return false;
  if (/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Buckets.

function createBucket(ctx: RequestContext, input: CreateBucketRequest): CreateBucketOutput {
  const name = input.Bucket!;
  if (!validBucketName(name)) throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', 400, { BucketName: name });
  const lc = input.CreateBucketConfiguration?.LocationConstraint as string | undefined;
  let region: string;
  if (lc === undefined || lc === '') {
    if (ctx.region !== 'us-east-1') {
      throw new S3Error('IllegalLocationConstraintException', 'The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.', 400);
    }
    region = 'us-east-1';
  } else {
    if (lc === 'us-east-1') throw new S3Error('InvalidLocationConstraint', 'The specified location-constraint is not valid', 400, { LocationConstraint: lc });
    if (ctx.region !== 'us-east-1' && lc !== ctx.region) {
      throw new S3Error('IllegalLocationConstraintException', `The ${lc} location constraint is incompatible for the region specific endpoint this request was sent to.`, 400);
    }
    region = lc === 'EU' ? 'eu-west-1' : lc;
  }
  const g = s3State(ctx);
  const existing = g.get<BucketRecord>(BUCKET, name);
  if (existing) {
    if (existing._owner !== ctx.account) {
      throw new S3Error(
        'BucketAlreadyExists',
        'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
        409,
        { BucketName: name },
      );
    }
    // us-east-1 answers a repeated create of one's own bucket with success (a legacy AWS behaviour).
    if (region === 'us-east-1' && existing.BucketRegion === 'us-east-1') return { Location: `/${name}` };
    throw new S3Error('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', 409, { BucketName: name });
  }
  g.put<BucketRecord>(BUCKET, name, { Name: name, CreationDate: ctx.now.toISOString(), BucketRegion: region, _owner: ctx.account });
  return { Location: region === 'us-east-1' ? `/${name}` : `http://${name}.s3.amazonaws.com/` };
}

function listBuckets(ctx: RequestContext, input: { Prefix?: string; MaxBuckets?: number; ContinuationToken?: string; BucketRegion?: string }): ListBucketsOutput {
  let buckets = s3State(ctx).listBy<BucketRecord>(BUCKET, '_owner', ctx.account).slice();
  buckets.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  if (input.Prefix) buckets = buckets.filter((b) => b.Name.startsWith(input.Prefix!));
  if (input.BucketRegion) buckets = buckets.filter((b) => b.BucketRegion === input.BucketRegion);
  if (input.ContinuationToken) buckets = buckets.filter((b) => b.Name > input.ContinuationToken!);
  let token: string | undefined;
  if (input.MaxBuckets !== undefined) {
    if (input.MaxBuckets < 1 || input.MaxBuckets > 10000) throw new S3Error('InvalidArgument', 'Argument max-buckets must be between 1 and 10000.', 400);
    if (buckets.length > input.MaxBuckets) {
      buckets = buckets.slice(0, input.MaxBuckets);
      token = buckets[buckets.length - 1]!.Name;
    }
  }
  return {
    Buckets: buckets.map((b): Bucket => ({ Name: b.Name, CreationDate: new Date(b.CreationDate), BucketRegion: b.BucketRegion })),
    Owner: { ID: canonicalUserId(ctx.account), DisplayName: ctx.account },
    ContinuationToken: token,
    Prefix: input.Prefix,
  };
}

function headBucket(ctx: RequestContext, input: { Bucket?: string }): HeadBucketOutput {
  const b = requireBucket(ctx, input.Bucket!);
  return { BucketRegion: b.BucketRegion, AccessPointAlias: false };
}

function getBucketLocation(ctx: RequestContext, input: { Bucket?: string }): { LocationConstraint?: string } {
  const b = requireBucket(ctx, input.Bucket!);
  return { LocationConstraint: b.BucketRegion === 'us-east-1' ? undefined : b.BucketRegion };
}

function deleteBucket(ctx: RequestContext, input: { Bucket?: string }): Record<string, unknown> {
  const name = input.Bucket!;
  requireBucket(ctx, name);
  const g = s3State(ctx);
  if (g.listBy(OBJECT, 'Bucket', name).length > 0) {
    throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, { BucketName: name });
  }
  const freed: string[] = [];
  for (const u of g.list<UploadRecord>(UPLOAD)) {
    if (u.Bucket !== name) continue;
    for (const p of Object.values(u.parts)) freed.push(p.blob);
    g.delete(UPLOAD, u.UploadId);
  }
  g.delete(BUCKET, name);
  return { [FREED]: freed };
}

// ---------------------------------------------------------------------------------------------
// Objects.

export interface PutObjectOptions {
  ContentType?: string;
  ContentEncoding?: string;
  ContentDisposition?: string;
  ContentLanguage?: string;
  CacheControl?: string;
  Expires?: Date;
  Metadata?: Record<string, string>;
  Checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

function md5Hex(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

/** Writes an object: stores the data, then the record. Returns the record and the blob it replaced. */
function storeObject(config: Config, g: ScopedState, bucket: string, key: string, body: Buffer, opts: PutObjectOptions, now: Date, etag?: string, parts?: number): { record: ObjectRecord; freed?: string } {
  const previous = g.get<ObjectRecord>(OBJECT, objectId(bucket, key));
  const blob = blobStore(config).write(body);
  const record: ObjectRecord = {
    Bucket: bucket,
    Key: key,
    Size: body.length,
    ETag: etag ?? `"${md5Hex(body)}"`,
    LastModified: now.toISOString(),
    StorageClass: 'STANDARD',
    _blob: blob,
  };
  for (const k of ['ContentType', 'ContentEncoding', 'ContentDisposition', 'ContentLanguage', 'CacheControl'] as const) {
    if (opts[k] !== undefined) record[k] = opts[k];
  }
  if (opts.Expires) record.Expires = opts.Expires.toISOString();
  if (opts.Metadata && Object.keys(opts.Metadata).length) record.Metadata = { ...opts.Metadata };
  if (opts.Checksum) record.Checksum = opts.Checksum;
  if (parts) record.PartsCount = parts;
  g.put(OBJECT, objectId(bucket, key), record);
  return { record, freed: previous?._blob };
}

/**
 * For producers (flow logs to S3 and the like): writes an object into an existing bucket of
 * any owner, as an AWS service delivering logs does. Returns false when the bucket does not
 * exist. The blob an overwritten object held is removed at once.
 */
export function putObject(state: ScopedState, config: Config, bucket: string, key: string, body: Buffer, opts: PutObjectOptions = {}, now: Date = new Date()): boolean {
  const g = state.other('global', 's3');
  if (!g.get(BUCKET, bucket)) return false;
  const { freed } = storeObject(config, g, bucket, key, body, opts, now);
  if (freed) blobStore(config).remove(freed);
  return true;
}

/** For producers and tests: whether a bucket exists, and its owner and region. */
export function bucketInfo(state: ScopedState, bucket: string): { owner: string; region: string } | undefined {
  const b = state.other('global', 's3').get<BucketRecord>(BUCKET, bucket);
  return b ? { owner: b._owner, region: b.BucketRegion } : undefined;
}

/** For readers: an object's data and record. */
export function getObjectData(state: ScopedState, config: Config, bucket: string, key: string): { record: Readonly<ObjectRecord>; body: Buffer } | undefined {
  const r = state.other('global', 's3').get<ObjectRecord>(OBJECT, objectId(bucket, key));
  return r ? { record: r, body: blobStore(config).read(r._blob) } : undefined;
}

function checkChecksums(input: Record<string, unknown>, body: Buffer): PutObjectOptions['Checksum'] {
  if (typeof input.ContentMD5 === 'string') {
    const given = input.ContentMD5;
    if (!/^[A-Za-z0-9+/]{22}==$/.test(given)) throw new S3Error('InvalidDigest', 'The Content-MD5 you specified was invalid.', 400, { 'Content-MD5': given });
    if (createHash('md5').update(body).digest('base64') !== given) {
      throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400, { ExpectedDigest: given });
    }
  }
  let stored: PutObjectOptions['Checksum'];
  for (const alg of CHECKSUM_ALGORITHMS) {
    const given = input[`Checksum${alg}`];
    if (typeof given !== 'string') continue;
    const actual = checksumOf(alg, body);
    if (actual !== undefined && actual !== given) {
      throw new S3Error('BadDigest', `The ${alg} you specified did not match the calculated checksum.`, 400);
    }
    stored = { algorithm: alg, value: given };
  }
  return stored;
}

function objectOptions(input: Record<string, unknown>): PutObjectOptions {
  const o: PutObjectOptions = {};
  for (const k of ['ContentType', 'ContentEncoding', 'ContentDisposition', 'ContentLanguage', 'CacheControl'] as const) {
    if (typeof input[k] === 'string' && input[k] !== '') o[k] = input[k] as string;
  }
  if (input.Expires instanceof Date) o.Expires = input.Expires;
  if (input.Metadata) o.Metadata = input.Metadata as Record<string, string>;
  return o;
}

function checksumHeaders(r: Readonly<ObjectRecord>): Record<string, string> {
  return r.Checksum ? { [`Checksum${r.Checksum.algorithm}`]: r.Checksum.value } : {};
}

function putObjectHandler(ctx: RequestContext, input: PutObjectRequest & { Body?: Buffer }): PutObjectOutput {
  const bucket = input.Bucket!;
  const key = input.Key!;
  checkKey(key);
  requireBucket(ctx, bucket);
  const body = input.Body ?? Buffer.alloc(0);
  const g = s3State(ctx);
  if (input.IfNoneMatch !== undefined) {
    if (input.IfNoneMatch !== '*') throw new S3Error('NotImplemented', 'A header you provided implies functionality that is not implemented', 501, { Header: 'If-None-Match' });
    if (g.get(OBJECT, objectId(bucket, key))) throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, { Condition: 'If-None-Match' });
  }
  const checksum = checkChecksums(input as unknown as Record<string, unknown>, body);
  const opts = { ...objectOptions(input as unknown as Record<string, unknown>), Checksum: checksum };
  const { record, freed } = storeObject(ctx.config, g, bucket, key, body, opts, ctx.now);
  return { ETag: record.ETag, ServerSideEncryption: 'AES256', ...checksumHeaders(record), [FREED]: freed ? [freed] : [] } as PutObjectOutput;
}

function parseRange(range: string, size: number): { start: number; end: number } | undefined | 'unsatisfiable' {
  const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

function checkConditions(input: Record<string, unknown>, r: Readonly<ObjectRecord>): void {
  const etag = r.ETag;
  const modified = Math.floor(Date.parse(r.LastModified) / 1000) * 1000;
  const matchEtag = (list: string) => list.split(',').map((s) => s.trim()).some((t) => t === '*' || t === etag || `"${t}"` === etag);
  if (typeof input.IfMatch === 'string' && !matchEtag(input.IfMatch)) {
    throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, { Condition: 'If-Match' });
  }
  if (input.IfUnmodifiedSince instanceof Date && input.IfMatch === undefined && modified > input.IfUnmodifiedSince.getTime()) {
    throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, { Condition: 'If-Unmodified-Since' });
  }
  if (typeof input.IfNoneMatch === 'string' && matchEtag(input.IfNoneMatch)) throw new S3Error('NotModified', 'Not Modified', 304);
  if (input.IfModifiedSince instanceof Date && input.IfNoneMatch === undefined && modified <= input.IfModifiedSince.getTime()) {
    throw new S3Error('NotModified', 'Not Modified', 304);
  }
}

function readObject(ctx: RequestContext, input: GetObjectRequest, withBody: boolean): Record<string, unknown> {
  const bucket = input.Bucket!;
  const key = input.Key!;
  requireBucket(ctx, bucket);
  const r = s3State(ctx).get<ObjectRecord>(OBJECT, objectId(bucket, key));
  if (!r) {
    throw new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
  }
  checkConditions(input as unknown as Record<string, unknown>, r);
  const out: Record<string, unknown> = {
    AcceptRanges: 'bytes',
    LastModified: new Date(r.LastModified),
    ETag: r.ETag,
    ContentLength: r.Size,
    ContentType: r.ContentType ?? 'binary/octet-stream',
    ContentEncoding: r.ContentEncoding,
    ContentDisposition: r.ContentDisposition,
    ContentLanguage: r.ContentLanguage,
    CacheControl: r.CacheControl,
    Expires: r.Expires ? new Date(r.Expires) : undefined,
    Metadata: r.Metadata,
    ServerSideEncryption: 'AES256',
    PartsCount: r.PartsCount,
  };
  if (r.StorageClass !== 'STANDARD') out.StorageClass = r.StorageClass;
  let range: { start: number; end: number } | undefined;
  if (input.Range !== undefined) {
    const parsed = parseRange(input.Range, r.Size);
    if (parsed === 'unsatisfiable') {
      throw new S3Error('InvalidRange', 'The requested range is not satisfiable', 416, { RangeRequested: input.Range, ActualObjectSize: String(r.Size) });
    }
    range = parsed;
  }
  if (range) {
    out.ContentRange = `bytes ${range.start}-${range.end}/${r.Size}`;
    out.ContentLength = range.end - range.start + 1;
  } else if (input.ChecksumMode === 'ENABLED') Object.assign(out, checksumHeaders(r));
  // Overrides a presigned or signed GET may ask for.
  const overrides: Array<[keyof GetObjectRequest, string]> = [
    ['ResponseContentType', 'ContentType'],
    ['ResponseContentEncoding', 'ContentEncoding'],
    ['ResponseContentDisposition', 'ContentDisposition'],
    ['ResponseContentLanguage', 'ContentLanguage'],
    ['ResponseCacheControl', 'CacheControl'],
  ];
  for (const [from, to] of overrides) if (typeof input[from] === 'string') out[to] = input[from];
  if (withBody) {
    const data = blobStore(ctx.config).read(r._blob);
    out.Body = range ? data.subarray(range.start, range.end + 1) : data;
  }
  return out;
}

function deleteObject(ctx: RequestContext, input: { Bucket?: string; Key?: string }): Record<string, unknown> {
  requireBucket(ctx, input.Bucket!);
  const g = s3State(ctx);
  const id = objectId(input.Bucket!, input.Key!);
  const r = g.get<ObjectRecord>(OBJECT, id);
  if (!r) return {};
  g.delete(OBJECT, id);
  return { [FREED]: [r._blob] };
}

function deleteObjects(ctx: RequestContext, input: DeleteObjectsRequest): DeleteObjectsOutput {
  requireBucket(ctx, input.Bucket!);
  const objects = input.Delete?.Objects ?? [];
  if (objects.length === 0 || objects.length > 1000) {
    throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);
  }
  const g = s3State(ctx);
  const freed: string[] = [];
  const deleted: Array<{ Key?: string }> = [];
  for (const o of objects) {
    const id = objectId(input.Bucket!, o.Key!);
    const r = g.get<ObjectRecord>(OBJECT, id);
    if (r) {
      freed.push(r._blob);
      g.delete(OBJECT, id);
    }
    deleted.push({ Key: o.Key });
  }
  return { Deleted: input.Delete?.Quiet ? undefined : deleted, [FREED]: freed } as DeleteObjectsOutput;
}

function copyObject(ctx: RequestContext, input: CopyObjectRequest): CopyObjectOutput {
  const bucket = input.Bucket!;
  const key = input.Key!;
  checkKey(key);
  requireBucket(ctx, bucket);
  let source = input.CopySource!;
  try {
    source = decodeURIComponent(source.split('?')[0]!);
  } catch {
    throw new S3Error('InvalidArgument', 'Invalid copy source encoding', 400);
  }
  if (source.startsWith('/')) source = source.slice(1);
  const slash = source.indexOf('/');
  if (slash <= 0) throw new S3Error('InvalidArgument', 'Invalid copy source object key', 400);
  const srcBucket = source.slice(0, slash);
  const srcKey = source.slice(slash + 1);
  requireBucket(ctx, srcBucket);
  const g = s3State(ctx);
  const src = g.get<ObjectRecord>(OBJECT, objectId(srcBucket, srcKey));
  if (!src) throw new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: srcKey });
  const replace = input.MetadataDirective === 'REPLACE';
  if (srcBucket === bucket && srcKey === key && !replace) {
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      400,
    );
  }
  const opts: PutObjectOptions = replace
    ? objectOptions(input as unknown as Record<string, unknown>)
    : {
        ContentType: src.ContentType,
        ContentEncoding: src.ContentEncoding,
        ContentDisposition: src.ContentDisposition,
        ContentLanguage: src.ContentLanguage,
        CacheControl: src.CacheControl,
        Expires: src.Expires ? new Date(src.Expires) : undefined,
        Metadata: src.Metadata,
      };
  opts.Checksum = src.Checksum;
  const data = blobStore(ctx.config).read(src._blob);
  const { record, freed } = storeObject(ctx.config, g, bucket, key, data, opts, ctx.now, src.PartsCount ? src.ETag : undefined);
  return { CopyObjectResult: { ETag: record.ETag, LastModified: new Date(record.LastModified) }, [FREED]: freed ? [freed] : [] } as CopyObjectOutput;
}

// ---------------------------------------------------------------------------------------------
// Listing.

function urlEncodeKey(s: string): string {
  return encodeURIComponent(s).replace(/%2F/g, '/').replace(/%20/g, '+');
}

interface ListCore {
  contents: Readonly<ObjectRecord>[];
  prefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned. */
  last?: string;
}

function listCore(ctx: RequestContext, bucket: string, prefix: string, delimiter: string | undefined, after: string | undefined, maxKeys: number): ListCore {
  const all = s3State(ctx)
    .listBy<ObjectRecord>(OBJECT, 'Bucket', bucket)
    .filter((o) => o.Key.startsWith(prefix))
    .sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0));
  const contents: Readonly<ObjectRecord>[] = [];
  const prefixes: string[] = [];
  let last: string | undefined;
  let truncated = false;
  for (const o of all) {
    if (after !== undefined && (o.Key <= after || (delimiter && after.endsWith(delimiter) && o.Key.startsWith(after)))) continue;
    let cp: string | undefined;
    if (delimiter) {
      const at = o.Key.indexOf(delimiter, prefix.length);
      if (at >= 0) cp = o.Key.slice(0, at + delimiter.length);
    }
    if (cp !== undefined && cp === prefixes[prefixes.length - 1]) continue;
    if (contents.length + prefixes.length >= maxKeys) {
      truncated = true;
      break;
    }
    if (cp !== undefined) {
      prefixes.push(cp);
      last = cp;
    } else {
      contents.push(o);
      last = o.Key;
    }
  }
  return { contents, prefixes, truncated, last };
}

function checkMaxKeys(maxKeys: number | undefined): number {
  if (maxKeys === undefined) return 1000;
  if (maxKeys < 0) throw new S3Error('InvalidArgument', 'Argument maxKeys must be an integer between 0 and 2147483647', 400, { ArgumentName: 'maxKeys' });
  return Math.min(maxKeys, 1000);
}

function objectSummary(o: Readonly<ObjectRecord>, encode: boolean, owner?: string): _Object {
  const out: _Object = { Key: encode ? urlEncodeKey(o.Key) : o.Key, LastModified: new Date(o.LastModified), ETag: o.ETag, Size: o.Size, StorageClass: o.StorageClass as _Object['StorageClass'] };
  if (o.Checksum) out.ChecksumAlgorithm = [o.Checksum.algorithm as never];
  if (owner) out.Owner = { ID: canonicalUserId(owner), DisplayName: owner };
  return out;
}

function listObjectsV2(ctx: RequestContext, input: ListObjectsV2Request): ListObjectsV2Output {
  const bucket = requireBucket(ctx, input.Bucket!);
  const encode = input.EncodingType !== undefined;
  if (encode && input.EncodingType !== 'url') throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', 400, { ArgumentName: 'encoding-type' });
  const maxKeys = checkMaxKeys(input.MaxKeys);
  const prefix = input.Prefix ?? '';
  let after = input.StartAfter;
  if (input.ContinuationToken !== undefined) {
    let decoded: string;
    try {
      decoded = Buffer.from(input.ContinuationToken, 'base64').toString('utf8');
    } catch {
      decoded = '';
    }
    if (!decoded.startsWith('vpcsim:')) {
      throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', 400, { ArgumentName: 'continuation-token' });
    }
    after = decoded.slice(7);
  }
  const core = listCore(ctx, input.Bucket!, prefix, input.Delimiter || undefined, after, maxKeys);
  const enc = (s: string | undefined) => (s === undefined ? undefined : encode ? urlEncodeKey(s) : s);
  return {
    IsTruncated: core.truncated,
    Contents: core.contents.length ? core.contents.map((o) => objectSummary(o, encode, input.FetchOwner ? bucket._owner : undefined)) : undefined,
    Name: input.Bucket,
    Prefix: enc(prefix),
    Delimiter: enc(input.Delimiter),
    MaxKeys: maxKeys,
    CommonPrefixes: core.prefixes.length ? core.prefixes.map((p) => ({ Prefix: enc(p) })) : undefined,
    EncodingType: input.EncodingType,
    KeyCount: core.contents.length + core.prefixes.length,
    ContinuationToken: input.ContinuationToken,
    NextContinuationToken: core.truncated && core.last !== undefined ? Buffer.from(`vpcsim:${core.last}`).toString('base64') : undefined,
    StartAfter: enc(input.StartAfter),
  };
}

function listObjects(ctx: RequestContext, input: ListObjectsRequest): ListObjectsOutput {
  const bucket = requireBucket(ctx, input.Bucket!);
  const encode = input.EncodingType !== undefined;
  if (encode && input.EncodingType !== 'url') throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', 400, { ArgumentName: 'encoding-type' });
  const maxKeys = checkMaxKeys(input.MaxKeys);
  const prefix = input.Prefix ?? '';
  const core = listCore(ctx, input.Bucket!, prefix, input.Delimiter || undefined, input.Marker || undefined, maxKeys);
  const enc = (s: string | undefined) => (s === undefined ? undefined : encode ? urlEncodeKey(s) : s);
  return {
    IsTruncated: core.truncated,
    Marker: enc(input.Marker ?? ''),
    NextMarker: core.truncated && input.Delimiter ? enc(core.last) : undefined,
    Contents: core.contents.length ? core.contents.map((o) => objectSummary(o, encode, bucket._owner)) : undefined,
    Name: input.Bucket,
    Prefix: enc(prefix),
    Delimiter: enc(input.Delimiter),
    MaxKeys: maxKeys,
    CommonPrefixes: core.prefixes.length ? core.prefixes.map((p) => ({ Prefix: enc(p) })) : undefined,
    EncodingType: input.EncodingType,
  };
}

// ---------------------------------------------------------------------------------------------
// Multipart uploads.

const MIN_PART = 5 * 1024 * 1024;

function requireUpload(ctx: RequestContext, bucket: string, key: string, uploadId: string): Readonly<UploadRecord> {
  const u = s3State(ctx).get<UploadRecord>(UPLOAD, uploadId);
  if (!u || u.Bucket !== bucket || u.Key !== key) {
    throw new S3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', 404, { UploadId: uploadId });
  }
  return u;
}

function createMultipartUpload(ctx: RequestContext, input: CreateMultipartUploadRequest): CreateMultipartUploadOutput {
  checkKey(input.Key!);
  requireBucket(ctx, input.Bucket!);
  const id = randomBytes(32).toString('base64url');
  const meta = objectOptions(input as unknown as Record<string, unknown>);
  s3State(ctx).put<UploadRecord>(UPLOAD, id, {
    Bucket: input.Bucket!,
    Key: input.Key!,
    UploadId: id,
    Initiated: ctx.now.toISOString(),
    meta: { ...meta, Expires: meta.Expires?.toISOString(), StorageClass: 'STANDARD' },
    parts: {},
  });
  return { Bucket: input.Bucket, Key: input.Key, UploadId: id, ServerSideEncryption: 'AES256' };
}

function uploadPart(ctx: RequestContext, input: UploadPartRequest & { Body?: Buffer }): UploadPartOutput {
  requireBucket(ctx, input.Bucket!);
  const n = input.PartNumber!;
  if (n < 1 || n > 10000) throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', 400, { ArgumentName: 'partNumber' });
  requireUpload(ctx, input.Bucket!, input.Key!, input.UploadId!);
  const body = input.Body ?? Buffer.alloc(0);
  checkChecksums(input as unknown as Record<string, unknown>, body);
  const blob = blobStore(ctx.config).write(body);
  const u = s3State(ctx).edit<UploadRecord>(UPLOAD, input.UploadId!)!;
  const old = u.parts[String(n)];
  const etag = `"${md5Hex(body)}"`;
  u.parts[String(n)] = { ETag: etag, Size: body.length, blob };
  const out: Record<string, unknown> = { ETag: etag, ServerSideEncryption: 'AES256', [FREED]: old ? [old.blob] : [] };
  for (const alg of CHECKSUM_ALGORITHMS) if (typeof (input as unknown as Record<string, unknown>)[`Checksum${alg}`] === 'string') out[`Checksum${alg}`] = (input as unknown as Record<string, unknown>)[`Checksum${alg}`];
  return out as UploadPartOutput;
}

function completeMultipartUpload(ctx: RequestContext, input: CompleteMultipartUploadRequest): CompleteMultipartUploadOutput {
  requireBucket(ctx, input.Bucket!);
  const u = requireUpload(ctx, input.Bucket!, input.Key!, input.UploadId!);
  const parts = input.MultipartUpload?.Parts ?? [];
  if (parts.length === 0) throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);
  let prev = 0;
  for (const p of parts) {
    if (p.PartNumber! <= prev) throw new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.', 400, { UploadId: u.UploadId });
    prev = p.PartNumber!;
  }
  const chosen: Array<{ ETag: string; Size: number; blob: string }> = [];
  parts.forEach((p, i) => {
    const have = u.parts[String(p.PartNumber)];
    const etag = p.ETag?.startsWith('"') ? p.ETag : `"${p.ETag}"`;
    if (!have || have.ETag !== etag) {
      throw new S3Error('InvalidPart', 'One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.', 400, { UploadId: u.UploadId, PartNumber: String(p.PartNumber), ETag: p.ETag ?? '' });
    }
    if (i < parts.length - 1 && have.Size < MIN_PART) {
      throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', 400, { ProposedSize: String(have.Size), MinSizeAllowed: String(MIN_PART) });
    }
    chosen.push(have);
  });
  const blobs = blobStore(ctx.config);
  const data = Buffer.concat(chosen.map((p) => blobs.read(p.blob)));
  const digest = createHash('md5');
  for (const p of chosen) digest.update(Buffer.from(p.ETag.slice(1, -1), 'hex'));
  const etag = `"${digest.digest('hex')}-${chosen.length}"`;
  const g = s3State(ctx);
  const meta = u.meta as PutObjectOptions & { Expires?: unknown };
  const { freed } = storeObject(ctx.config, g, u.Bucket, u.Key, data, { ...meta, Expires: typeof meta.Expires === 'string' ? new Date(meta.Expires) : undefined }, ctx.now, etag, chosen.length);
  g.delete(UPLOAD, u.UploadId);
  const freedAll = Object.values(u.parts).map((p) => p.blob);
  if (freed) freedAll.push(freed);
  return {
    Location: `/${u.Bucket}/${encodeURIComponent(u.Key).replace(/%2F/g, '/')}`,
    Bucket: u.Bucket,
    Key: u.Key,
    ETag: etag,
    ServerSideEncryption: 'AES256',
    [FREED]: freedAll,
  } as CompleteMultipartUploadOutput;
}

function abortMultipartUpload(ctx: RequestContext, input: AbortMultipartUploadRequest): Record<string, unknown> {
  requireBucket(ctx, input.Bucket!);
  const u = requireUpload(ctx, input.Bucket!, input.Key!, input.UploadId!);
  s3State(ctx).delete(UPLOAD, u.UploadId);
  return { [FREED]: Object.values(u.parts).map((p) => p.blob) };
}

const handlers: Record<string, Handler> = {
  CreateBucket: createBucket,
  ListBuckets: listBuckets,
  HeadBucket: headBucket,
  GetBucketLocation: getBucketLocation,
  DeleteBucket: deleteBucket,
  PutObject: putObjectHandler,
  GetObject: (ctx, input) => readObject(ctx, input, true),
  HeadObject: (ctx, input) => readObject(ctx, input, false),
  DeleteObject: deleteObject,
  DeleteObjects: deleteObjects,
  CopyObject: copyObject,
  ListObjectsV2: listObjectsV2,
  ListObjects: listObjects,
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPart,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
};

/** Every blob a record still names (for the sweep of leftovers on start). */
export function liveBlobs(g: ScopedState): Set<string> {
  const ids = new Set<string>();
  for (const o of g.list<ObjectRecord>(OBJECT)) ids.add(o._blob);
  for (const u of g.list<UploadRecord>(UPLOAD)) for (const p of Object.values(u.parts)) ids.add(p.blob);
  return ids;
}

export function s3Provider(): ServiceProvider {
  const provider: ServiceProvider = {
    name: 's3',
    model: loadModel('s3-2006-03-01'),
    protocol: 'rest-xml',
    handlers,
  };
  provider.http = s3Http(provider);
  return provider;
}
