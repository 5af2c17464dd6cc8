/**
 * S3's REST endpoint: which requests are S3's (signed for the `s3` service, or addressed to
 * `<bucket>.s3.<host>` / `<bucket>.localhost`), path-style and virtual-hosted addressing, the
 * larger body limit for uploads, `aws-chunked` bodies with trailing checksums (what current
 * SDKs and the AWS CLI send), SigV4 in sigv4 mode, and S3's error documents.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../../protocol/errors.js';
import { findRestOperation, parseRestInput, renderRestError, renderRestOutput, type RestReply } from '../../protocol/rest-xml.js';
import type { App } from '../../server/app.js';
import type { Caller } from '../../server/auth.js';
import { BodyTooLarge, readBodyLimited, sendRaw } from '../../server/raw.js';
import { ScopedState, scopeKey } from '../../state/store.js';
import type { ServiceProvider } from '../context.js';
import { blobStore } from './blobs.js';
import { verifyS3Signature } from './auth.js';
import { FREED, liveBlobs, OBJECT, S3Error } from './index.js';

/** Largest single upload accepted (other services keep the endpoint's own limit). */
export const S3_MAX_BODY_BYTES = 100 * 1024 * 1024;

const ROOTS: Record<string, string> = {
  ListBuckets: 'ListAllMyBucketsResult',
  ListObjects: 'ListBucketResult',
  ListObjectsV2: 'ListBucketResult',
  DeleteObjects: 'DeleteResult',
  CreateMultipartUpload: 'InitiateMultipartUploadResult',
  CompleteMultipartUpload: 'CompleteMultipartUploadResult',
  CopyObject: 'CopyObjectResult',
  UploadPart: 'UploadPartResult',
};

/** The bucket a virtual-hosted request names in its Host header. */
function virtualHostBucket(headers: IncomingHttpHeaders): string | undefined {
  const host = String(headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  const m = /^(.+?)\.s3(?:[.-][^.]+)*\.[^.]+/.exec(host) ?? /^(.+)\.localhost$/.exec(host);
  if (!m) return undefined;
  const bucket = m[1]!;
  if (bucket === 's3' || /^\d+$/.test(bucket)) return undefined;
  return bucket;
}

function requestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

/** `aws-chunked` body: `<hex size>[;chunk-signature=…]\r\n<data>\r\n … 0\r\n<trailers>\r\n\r\n`. */
export function decodeAwsChunked(body: Buffer): { data: Buffer; trailers: Record<string, string> } {
  const parts: Buffer[] = [];
  const trailers: Record<string, string> = {};
  let i = 0;
  const bad = () => new S3Error('IncompleteBody', 'The request body terminated unexpectedly', 400);
  for (;;) {
    const eol = body.indexOf('\r\n', i);
    if (eol < 0) throw bad();
    const header = body.toString('latin1', i, eol);
    const size = parseInt(header.split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size) || size < 0) throw bad();
    i = eol + 2;
    if (size === 0) break;
    if (i + size > body.length) throw bad();
    parts.push(body.subarray(i, i + size));
    i += size;
    if (body.toString('latin1', i, i + 2) !== '\r\n') throw bad();
    i += 2;
  }
  // Trailers until an empty line (or the end of the body).
  while (i < body.length) {
    const eol = body.indexOf('\r\n', i);
    const line = body.toString('latin1', i, eol < 0 ? body.length : eol);
    i = eol < 0 ? body.length : eol + 2;
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { data: Buffer.concat(parts), trailers };
}

function errorReply(err: unknown, id: string, resource: string): RestReply {
  let e: ApiError;
  if (err instanceof ApiError) e = err;
  else {
    console.error('vpcsim: internal error:', err);
    e = new ApiError('InternalError', 'We encountered an internal error. Please try again.', 500);
  }
  const extra = err instanceof S3Error ? err.extra : {};
  let code = e.code;
  let status = e.status;
  if (code === 'UnsupportedOperation') {
    code = 'NotImplemented';
    status = 501;
  }
  return {
    status,
    headers: { 'Content-Type': 'application/xml', 'x-amz-request-id': id, 'x-amz-id-2': id },
    body: status === 304 ? '' : renderRestError(code, e.message, id, { ...extra, ...(extra.Key || extra.BucketName ? {} : { Resource: resource }) }),
  };
}

type Runner = (provider: ServiceProvider, operation: string, input: Record<string, unknown>, caller: Caller, requestId: string) => Record<string, unknown> | Promise<Record<string, unknown>>;

function runner(app: App): Runner {
  const withRun = app as unknown as { run?: Runner };
  return typeof withRun.run === 'function' ? withRun.run.bind(app) : app.invoke.bind(app);
}

/**
 * Removes blobs no record names: those left by a crash between writing data and committing its
 * record (once per server), and those of a state that was reset (noticed when the store's
 * object table is a new one).
 */
const lastTable = new WeakMap<App, { table: unknown }>();
function sweepIfNeeded(app: App): void {
  const scope = scopeKey('global', 's3');
  const table = app.store.table(scope, OBJECT);
  const last = lastTable.get(app);
  lastTable.set(app, { table });
  if (last && (last.table === undefined || last.table === table)) return;
  const tx = app.store.begin();
  try {
    const live = liveBlobs(new ScopedState(tx, scope));
    blobStore(app.config).sweep((id) => live.has(id));
  } finally {
    tx.rollback();
  }
}

export function s3Http(provider: ServiceProvider): NonNullable<ServiceProvider['http']> {
  return {
    claims(req: IncomingMessage, _url: URL, caller: Caller): boolean {
      if (req.headers['x-amz-target'] !== undefined) return false;
      return caller.service === 's3' || virtualHostBucket(req.headers) !== undefined;
    },

    async serve(app: App, req: IncomingMessage, res: ServerResponse, url: URL, claimed: Caller): Promise<void> {
      sweepIfNeeded(app);
      const id = requestId();
      const method = (req.method ?? 'GET').toUpperCase();
      const head = method === 'HEAD';
      const rawUrl = req.url ?? '/';
      const rawPath = rawUrl.split('?')[0]!;
      const reply = (r: RestReply) => sendRaw(res, { status: r.status, headers: { 'x-amz-request-id': id, 'x-amz-id-2': id, ...r.headers }, body: r.body }, head || r.status === 304 || r.status === 204);
      const fail = (err: unknown) => reply(errorReply(err, id, rawPath));

      // Bucket and key, path-style or virtual-hosted.
      let bucket: string | undefined;
      let key: string | undefined;
      try {
        const vhost = virtualHostBucket(req.headers);
        const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
        if (vhost) {
          bucket = vhost;
          key = path === '' ? undefined : decodeURIComponent(path);
        } else {
          const slash = path.indexOf('/');
          bucket = decodeURIComponent(slash < 0 ? path : path.slice(0, slash)) || undefined;
          const rest = slash < 0 ? '' : path.slice(slash + 1);
          key = rest === '' ? undefined : decodeURIComponent(rest);
        }
      } catch {
        req.resume();
        return fail(new S3Error('InvalidURI', "Couldn't parse the specified URI.", 400, { URI: rawPath }));
      }

      const upload = method === 'PUT' || method === 'POST';
      const limit = upload ? Math.max(S3_MAX_BODY_BYTES, app.config.maxBodyBytes) : app.config.maxBodyBytes;
      let raw: Buffer;
      try {
        raw = await readBodyLimited(req, limit);
      } catch (err) {
        if (err instanceof BodyTooLarge) {
          res.setHeader('Connection', 'close');
          return fail(new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400, { ProposedSize: String(req.headers['content-length'] ?? ''), MaxSizeAllowed: String(limit) }));
        }
        res.destroy();
        return;
      }

      let caller = claimed;
      if (app.config.auth === 'sigv4') {
        try {
          caller = verifyS3Signature(app.config.credentials, method, rawUrl, req.rawHeaders, raw);
        } catch (err) {
          return fail(err);
        }
      }

      // aws-chunked: the data without chunk framing, trailing checksums as headers.
      const headers: IncomingHttpHeaders = { ...req.headers };
      let body = raw;
      const encodings = String(headers['content-encoding'] ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const sha = String(headers['x-amz-content-sha256'] ?? '');
      if (encodings.includes('aws-chunked') || sha.startsWith('STREAMING-')) {
        try {
          const decoded = decodeAwsChunked(raw);
          body = decoded.data;
          for (const [k, v] of Object.entries(decoded.trailers)) headers[k] = v;
        } catch (err) {
          return fail(err);
        }
        const declared = headers['x-amz-decoded-content-length'];
        if (declared !== undefined && Number(declared) !== body.length) {
          return fail(new S3Error('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header', 400));
        }
        const rest = encodings.filter((e) => e !== 'aws-chunked');
        if (rest.length) headers['content-encoding'] = rest.join(',');
        else delete headers['content-encoding'];
      }

      const labels = { Bucket: bucket, Key: key };
      const operation = findRestOperation(provider.model, { method: head ? 'HEAD' : method, labels, query: url.searchParams, headers });
      if (!operation) {
        return fail(new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405, { Method: method, ResourceType: key ? 'OBJECT' : 'BUCKET' }));
      }
      if (!provider.handlers[operation]) {
        return fail(new S3Error('NotImplemented', `vpcsim does not implement ${operation} yet.`, 501));
      }
      try {
        const input = parseRestInput(provider.model, operation, { method, labels, query: url.searchParams, headers, body });
        const output = await runner(app)(provider, operation, input, caller, id);
        const freed = (output as Record<string, unknown>)[FREED];
        if (Array.isArray(freed)) {
          const blobs = blobStore(app.config);
          for (const b of freed) blobs.remove(b as string);
        }
        if (app.config.logRequests) console.log(`${new Date().toISOString()} ${caller.account} ${caller.region ?? '-'} s3.${operation} 200`);
        if (operation === 'GetBucketLocation') {
          const lc = (output as { LocationConstraint?: string }).LocationConstraint;
          return reply({
            status: 200,
            headers: { 'Content-Type': 'application/xml' },
            body: `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${lc ?? ''}</LocationConstraint>`,
          });
        }
        const op = provider.model.operations[operation]!;
        let status = (op.http as { responseCode?: number } | undefined)?.responseCode ?? 200;
        if ((operation === 'GetObject' || operation === 'HeadObject') && (output as { ContentRange?: string }).ContentRange) status = 206;
        const rendered = renderRestOutput(provider.model, operation, output, ROOTS[operation] ?? `${operation}Result`, status);
        if (operation === 'GetObject' || operation === 'HeadObject') {
          const size = (output as { ContentLength?: number }).ContentLength ?? 0;
          rendered.headers['Content-Length'] = String(size);
        }
        if (operation === 'HeadBucket') rendered.headers['x-amz-bucket-region'] ??= String((output as { BucketRegion?: string }).BucketRegion ?? '');
        return reply(rendered);
      } catch (err) {
        if (app.config.logRequests) console.log(`${new Date().toISOString()} ${caller.account} ${caller.region ?? '-'} s3.${operation} ${(err as ApiError).status ?? 500}`);
        return fail(err);
      }
    },
  };
}
