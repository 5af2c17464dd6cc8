/**
 * S3 through @aws-sdk/client-s3 (path-style), raw HTTP (error documents, virtual-hosted
 * addressing, aws-chunked bodies) and the AWS CLI (`aws s3` and `aws s3api`).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { getObjectData, putObject } from '../src/services/s3/index.js';
import { ScopedState, scopeKey } from '../src/state/store.js';
import { awsCli } from './cli.js';
import { apiError, startTestServer, tempDir, type TestServer } from './helpers.js';

function s3Client(srv: TestServer, opts: { region?: string; accessKeyId?: string } = {}): S3Client {
  return new S3Client({
    endpoint: srv.endpoint,
    region: opts.region ?? 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: opts.accessKeyId ?? 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

/** A request with exactly these headers (Host included), through node:http. */
function rawRequest(srv: TestServer, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  const url = new URL(srv.endpoint);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body ?? '')) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const AUTH = 'AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0';

describe('S3', () => {
  let srv: TestServer;
  let s3: S3Client;
  const cli = awsCli(() => srv.endpoint);

  before(async () => {
    srv = await startTestServer();
    s3 = s3Client(srv);
  });
  after(() => srv.close());
  beforeEach(() => srv.reset());

  it('creates, lists, heads and deletes buckets with AWS naming rules and errors', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'flow-logs-bucket' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'another.bucket-1' }));
    // us-east-1 accepts a repeated create of one's own bucket.
    await s3.send(new CreateBucketCommand({ Bucket: 'flow-logs-bucket' }));
    const other = await apiError(() => s3Client(srv, { accessKeyId: '111111111111' }).send(new CreateBucketCommand({ Bucket: 'flow-logs-bucket' })));
    assert.deepEqual([other.code, other.status], ['BucketAlreadyExists', 409]);
    const euClient = s3Client(srv, { region: 'eu-west-1' });
    await euClient.send(new CreateBucketCommand({ Bucket: 'eu-bucket', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    const again = await apiError(() => euClient.send(new CreateBucketCommand({ Bucket: 'eu-bucket', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })));
    assert.deepEqual([again.code, again.status], ['BucketAlreadyOwnedByYou', 409]);
    // Without a LocationConstraint (the SDK adds one; raw requests need not) outside us-east-1.
    const noLc = await rawRequest(srv, 'PUT', '/eu-bucket-2', { Authorization: AUTH.replace('us-east-1', 'eu-west-1') });
    assert.equal(noLc.status, 400);
    assert.match(noLc.body, /<Code>IllegalLocationConstraintException<\/Code>/);

    for (const bad of ['ab', 'UPPER', 'under_score', 'a..b', '192.168.5.4', '-start', 'xn--punycode', 'x'.repeat(64)]) {
      const e = await apiError(() => s3.send(new CreateBucketCommand({ Bucket: bad })));
      assert.deepEqual([e.code, e.status], ['InvalidBucketName', 400], bad);
    }

    const listed = await s3.send(new ListBucketsCommand({}));
    assert.deepEqual(listed.Buckets!.map((b) => [b.Name, b.BucketRegion]), [
      ['another.bucket-1', 'us-east-1'],
      ['eu-bucket', 'eu-west-1'],
      ['flow-logs-bucket', 'us-east-1'],
    ]);
    assert.equal(listed.Owner!.DisplayName, '000000000000');
    assert.match(listed.Owner!.ID!, /^[0-9a-f]{64}$/);
    // Another account sees none of them and may not touch them.
    const stranger = s3Client(srv, { accessKeyId: '222222222222' });
    assert.deepEqual((await stranger.send(new ListBucketsCommand({}))).Buckets, []);
    assert.equal((await apiError(() => stranger.send(new PutObjectCommand({ Bucket: 'flow-logs-bucket', Key: 'x', Body: 'x' })))).code, 'AccessDenied');

    const head = await s3.send(new HeadBucketCommand({ Bucket: 'eu-bucket' }));
    assert.equal(head.BucketRegion, 'eu-west-1');
    assert.equal((await s3.send(new GetBucketLocationCommand({ Bucket: 'eu-bucket' }))).LocationConstraint, 'eu-west-1');
    assert.equal((await s3.send(new GetBucketLocationCommand({ Bucket: 'flow-logs-bucket' }))).LocationConstraint, undefined);
    assert.equal((await apiError(() => s3.send(new HeadBucketCommand({ Bucket: 'missing-bucket' })))).status, 404);

    await s3.send(new PutObjectCommand({ Bucket: 'another.bucket-1', Key: 'k', Body: 'v' }));
    const notEmpty = await apiError(() => s3.send(new DeleteBucketCommand({ Bucket: 'another.bucket-1' })));
    assert.deepEqual([notEmpty.code, notEmpty.message, notEmpty.status], ['BucketNotEmpty', 'The bucket you tried to delete is not empty', 409]);
    await s3.send(new DeleteObjectCommand({ Bucket: 'another.bucket-1', Key: 'k' }));
    const deleted = await s3.send(new DeleteBucketCommand({ Bucket: 'another.bucket-1' }));
    assert.equal(deleted.$metadata.httpStatusCode, 204);
    const gone = await apiError(() => s3.send(new DeleteBucketCommand({ Bucket: 'another.bucket-1' })));
    assert.deepEqual([gone.code, gone.status], ['NoSuchBucket', 404]);
  });

  it('puts and gets objects: ETag, metadata, content headers, ranges, conditions', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'objects' }));
    const body = 'hello, flow logs\n';
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'objects',
        Key: 'dir/file one.log.gz',
        Body: body,
        ContentType: 'text/plain',
        ContentEncoding: 'gzip',
        CacheControl: 'no-cache',
        ContentDisposition: 'attachment',
        Metadata: { owner: 'net-team', 'flow-log-id': 'fl-1' },
      }),
    );
    const md5 = createHash('md5').update(body).digest('hex');
    assert.equal(put.ETag, `"${md5}"`);

    const got = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'dir/file one.log.gz' }));
    assert.equal(await got.Body!.transformToString(), body);
    assert.equal(got.ETag, `"${md5}"`);
    assert.equal(got.ContentType, 'text/plain');
    assert.equal(got.ContentEncoding, 'gzip');
    assert.equal(got.CacheControl, 'no-cache');
    assert.equal(got.ContentDisposition, 'attachment');
    assert.equal(got.ContentLength, body.length);
    assert.deepEqual(got.Metadata, { owner: 'net-team', 'flow-log-id': 'fl-1' });
    assert.ok(Math.abs(got.LastModified!.getTime() - Date.now()) < 60_000);

    const head = await s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'dir/file one.log.gz' }));
    assert.equal(head.ContentLength, body.length);
    assert.equal(head.ETag, `"${md5}"`);

    const part = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'dir/file one.log.gz', Range: 'bytes=7-10' }));
    assert.equal(part.$metadata.httpStatusCode, 206);
    assert.equal(part.ContentRange, `bytes 7-10/${body.length}`);
    assert.equal(await part.Body!.transformToString(), 'flow');
    const suffix = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'dir/file one.log.gz', Range: 'bytes=-5' }));
    assert.equal(await suffix.Body!.transformToString(), 'logs\n');
    const bad = await apiError(() => s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'dir/file one.log.gz', Range: 'bytes=100-' })));
    assert.deepEqual([bad.code, bad.status], ['InvalidRange', 416]);

    const pre = await apiError(() => s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'dir/file one.log.gz', IfMatch: '"nope"' })));
    assert.deepEqual([pre.code, pre.status], ['PreconditionFailed', 412]);
    const notModified = await apiError(() => s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'dir/file one.log.gz', IfNoneMatch: `"${md5}"` })));
    assert.equal(notModified.status, 304);
    const exists = await apiError(() => s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'dir/file one.log.gz', Body: 'x', IfNoneMatch: '*' })));
    assert.deepEqual([exists.code, exists.status], ['PreconditionFailed', 412]);

    const missing = await apiError(() => s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'nope' })));
    assert.deepEqual([missing.code, missing.message, missing.status], ['NoSuchKey', 'The specified key does not exist.', 404]);
    assert.equal((await apiError(() => s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'nope' })))).status, 404);
    assert.equal((await apiError(() => s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' })))).code, 'NoSuchBucket');

    // Binary data round-trips byte for byte; a streamed body arrives aws-chunked with a checksum trailer.
    const gz = gzipSync(Buffer.from('2 000000000000 eni-1 - - - - - - - 1 2 - NODATA\n'));
    await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'bin.gz', Body: gz }));
    const back = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'bin.gz' }))).Body!.transformToByteArray());
    assert.deepEqual(back, gz);
    const streamed = Buffer.alloc(300_000, 7);
    await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'streamed', Body: Readable.from([streamed.subarray(0, 100_000), streamed.subarray(100_000)]), ContentLength: streamed.length }));
    const streamedBack = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'streamed', ChecksumMode: 'ENABLED' }))).Body!.transformToByteArray());
    assert.equal(streamedBack.length, streamed.length);
    assert.ok(streamedBack.equals(streamed));

    // Copy, then delete (idempotent).
    const copied = await s3.send(new CopyObjectCommand({ Bucket: 'objects', Key: 'copy', CopySource: 'objects/dir/file%20one.log.gz' }));
    assert.equal(copied.CopyObjectResult!.ETag, `"${md5}"`);
    assert.deepEqual((await s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'copy' }))).Metadata, { owner: 'net-team', 'flow-log-id': 'fl-1' });
    assert.equal((await s3.send(new DeleteObjectCommand({ Bucket: 'objects', Key: 'copy' }))).$metadata.httpStatusCode, 204);
    assert.equal((await s3.send(new DeleteObjectCommand({ Bucket: 'objects', Key: 'copy' }))).$metadata.httpStatusCode, 204);
    const many = await s3.send(new DeleteObjectsCommand({ Bucket: 'objects', Delete: { Objects: [{ Key: 'bin.gz' }, { Key: 'streamed' }, { Key: 'never-there' }] } }));
    assert.deepEqual(many.Deleted!.map((d) => d.Key), ['bin.gz', 'streamed', 'never-there']);
    assert.deepEqual((await s3.send(new ListObjectsV2Command({ Bucket: 'objects' }))).Contents!.map((o) => o.Key), ['dir/file one.log.gz']);
  });

  it('lists objects v2 and v1: prefix, delimiter, CommonPrefixes, max-keys, continuation, start-after', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'logs' }));
    const keys = [
      'AWSLogs/000000000000/vpcflowlogs/us-east-1/2024/01/01/a.log.gz',
      'AWSLogs/000000000000/vpcflowlogs/us-east-1/2024/01/01/b.log.gz',
      'AWSLogs/000000000000/vpcflowlogs/us-east-1/2024/01/02/c.log.gz',
      'AWSLogs/000000000000/vpcflowlogs/us-east-1/2024/02/01/d.log.gz',
      'other/x',
      'top',
    ];
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: 'logs', Key, Body: Key }));
    const v2 = (input: object) => s3.send(new ListObjectsV2Command({ Bucket: 'logs', ...input }));

    const root = await v2({ Delimiter: '/' });
    assert.deepEqual(root.CommonPrefixes!.map((p) => p.Prefix), ['AWSLogs/', 'other/']);
    assert.deepEqual(root.Contents!.map((o) => o.Key), ['top']);
    assert.equal(root.KeyCount, 3);
    const months = await v2({ Prefix: 'AWSLogs/000000000000/vpcflowlogs/us-east-1/2024/', Delimiter: '/' });
    assert.deepEqual(months.CommonPrefixes!.map((p) => p.Prefix), ['AWSLogs/000000000000/vpcflowlogs/us-east-1/2024/01/', 'AWSLogs/000000000000/vpcflowlogs/us-east-1/2024/02/']);
    assert.equal(months.Contents, undefined);

    // Pages of two, following NextContinuationToken.
    const seen: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 5; i++) {
      const page = await v2({ MaxKeys: 2, ContinuationToken: token });
      seen.push(...page.Contents!.map((o) => o.Key!));
      assert.equal(page.MaxKeys, 2);
      if (!page.IsTruncated) break;
      token = page.NextContinuationToken;
    }
    assert.deepEqual(seen, keys);
    // Pages mixing prefixes and keys.
    const p1 = await v2({ Delimiter: '/', MaxKeys: 1 });
    assert.deepEqual([p1.CommonPrefixes!.map((p) => p.Prefix), p1.IsTruncated], [['AWSLogs/'], true]);
    const p2 = await v2({ Delimiter: '/', MaxKeys: 1, ContinuationToken: p1.NextContinuationToken });
    assert.deepEqual(p2.CommonPrefixes!.map((p) => p.Prefix), ['other/']);
    const p3 = await v2({ Delimiter: '/', MaxKeys: 1, ContinuationToken: p2.NextContinuationToken });
    assert.deepEqual([p3.Contents!.map((o) => o.Key), p3.IsTruncated], [['top'], false]);

    assert.deepEqual((await v2({ StartAfter: 'other/x' })).Contents!.map((o) => o.Key), ['top']);
    const enc = await v2({ Prefix: 'other/', EncodingType: 'url' });
    assert.equal(enc.EncodingType, 'url');
    assert.equal((await apiError(() => v2({ ContinuationToken: 'garbage' }))).code, 'InvalidArgument');
    assert.equal((await apiError(() => s3.send(new ListObjectsV2Command({ Bucket: 'nope-bucket' })))).code, 'NoSuchBucket');

    const v1 = await s3.send(new ListObjectsCommand({ Bucket: 'logs', Delimiter: '/', MaxKeys: 1 }));
    assert.deepEqual([v1.CommonPrefixes!.map((p) => p.Prefix), v1.IsTruncated, v1.NextMarker], [['AWSLogs/'], true, 'AWSLogs/']);
    const v1b = await s3.send(new ListObjectsCommand({ Bucket: 'logs', Marker: 'other/x' }));
    assert.deepEqual(v1b.Contents!.map((o) => o.Key), ['top']);
  });

  it('multipart uploads: parts, completion ETag, errors, abort', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'multi' }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'multi', Key: 'big', ContentType: 'application/octet-stream' }));
    const a = Buffer.alloc(5 * 1024 * 1024, 1);
    const b = Buffer.from('tail');
    const pa = await s3.send(new UploadPartCommand({ Bucket: 'multi', Key: 'big', UploadId, PartNumber: 1, Body: a }));
    const pb = await s3.send(new UploadPartCommand({ Bucket: 'multi', Key: 'big', UploadId, PartNumber: 2, Body: b }));
    const order = await apiError(() => s3.send(new CompleteMultipartUploadCommand({ Bucket: 'multi', Key: 'big', UploadId, MultipartUpload: { Parts: [{ PartNumber: 2, ETag: pb.ETag }, { PartNumber: 1, ETag: pa.ETag }] } })));
    assert.equal(order.code, 'InvalidPartOrder');
    const wrong = await apiError(() => s3.send(new CompleteMultipartUploadCommand({ Bucket: 'multi', Key: 'big', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"0"' }] } })));
    assert.equal(wrong.code, 'InvalidPart');
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'multi', Key: 'big', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: pa.ETag }, { PartNumber: 2, ETag: pb.ETag }] } }));
    const expected = createHash('md5').update(Buffer.concat([createHash('md5').update(a).digest(), createHash('md5').update(b).digest()])).digest('hex');
    assert.equal(done.ETag, `"${expected}-2"`);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'multi', Key: 'big' }));
    assert.equal(head.ContentLength, a.length + b.length);
    assert.equal(head.ContentType, 'application/octet-stream');
    assert.equal((await apiError(() => s3.send(new UploadPartCommand({ Bucket: 'multi', Key: 'big', UploadId, PartNumber: 3, Body: b })))).code, 'NoSuchUpload');

    const second = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'multi', Key: 'aborted' }));
    await s3.send(new UploadPartCommand({ Bucket: 'multi', Key: 'aborted', UploadId: second.UploadId, PartNumber: 1, Body: b }));
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'multi', Key: 'aborted', UploadId: second.UploadId }));
    assert.equal((await apiError(() => s3.send(new HeadObjectCommand({ Bucket: 'multi', Key: 'aborted' })))).status, 404);
  });

  it('answers raw HTTP: error documents, virtual-hosted buckets, aws-chunked with trailers, body limits', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'raw' }));
    const r1 = await fetch(`${srv.endpoint}/raw/missing-key`, { headers: { Authorization: AUTH } });
    assert.equal(r1.status, 404);
    const text = await r1.text();
    assert.match(text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code><Message>The specified key does not exist.<\/Message><Key>missing-key<\/Key><RequestId>[0-9A-F]+<\/RequestId>/);
    assert.ok(r1.headers.get('x-amz-request-id'));

    // Virtual-hosted: the bucket in the Host header.
    const r2 = await rawRequest(srv, 'PUT', '/vh.txt', { Host: 'raw.s3.localhost', 'Content-Type': 'text/plain' }, 'virtual');
    assert.equal(r2.status, 200, r2.body);
    const r2b = await rawRequest(srv, 'GET', '/?list-type=2', { Host: 'raw.s3.us-east-1.localhost.localstack.cloud:4566' });
    assert.match(r2b.body, /<Key>vh\.txt<\/Key>/);
    const r3 = await fetch(`${srv.endpoint}/raw/vh.txt`, { headers: { Authorization: AUTH } });
    assert.equal(await r3.text(), 'virtual');

    // aws-chunked with a signed-chunk header and a CRC32 trailer (what SDKs send for streams).
    const data = Buffer.from('chunked body data');
    const crc = createHash('sha256').update(data).digest('base64');
    const chunked = Buffer.concat([
      Buffer.from(`8;chunk-signature=${'0'.repeat(64)}\r\n`),
      data.subarray(0, 8),
      Buffer.from(`\r\n${(data.length - 8).toString(16)};chunk-signature=${'0'.repeat(64)}\r\n`),
      data.subarray(8),
      Buffer.from(`\r\n0\r\nx-amz-checksum-sha256:${crc}\r\n\r\n`),
    ]);
    const r4 = await fetch(`${srv.endpoint}/raw/chunked`, {
      method: 'PUT',
      headers: {
        Authorization: AUTH,
        'Content-Encoding': 'aws-chunked',
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'x-amz-decoded-content-length': String(data.length),
        'x-amz-trailer': 'x-amz-checksum-sha256',
      },
      body: chunked,
    });
    assert.equal(r4.status, 200, await r4.text());
    assert.equal(r4.headers.get('x-amz-checksum-sha256'), crc);
    const stored = await s3.send(new GetObjectCommand({ Bucket: 'raw', Key: 'chunked' }));
    assert.equal(await stored.Body!.transformToString(), 'chunked body data');
    assert.equal(stored.ContentEncoding, undefined, 'aws-chunked is not stored as the object encoding');
    // A trailer checksum that does not match is refused.
    const r5 = await fetch(`${srv.endpoint}/raw/chunked2`, {
      method: 'PUT',
      headers: { Authorization: AUTH, 'Content-Encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length) },
      body: Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from(`\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n`)]),
    });
    assert.equal(r5.status, 400);
    assert.match(await r5.text(), /<Code>BadDigest<\/Code>/);

    // Uploads may be larger than other services' bodies.
    const big = Buffer.alloc(12 * 1024 * 1024, 3);
    await s3.send(new PutObjectCommand({ Bucket: 'raw', Key: 'big', Body: big }));
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'raw', Key: 'big' }))).ContentLength, big.length);

    const r6 = await fetch(`${srv.endpoint}/raw?acl`, { headers: { Authorization: AUTH } });
    assert.equal(r6.status, 501);
    assert.match(await r6.text(), /<Code>NotImplemented<\/Code>/);
  });

  it('keeps object data on disk under the data directory, and producers write through putObject', async () => {
    const dataDir = tempDir();
    const disk = await startTestServer({ dataDir });
    try {
      const c = s3Client(disk);
      await c.send(new CreateBucketCommand({ Bucket: 'durable' }));
      await c.send(new PutObjectCommand({ Bucket: 'durable', Key: 'k', Body: 'persisted' }));
      const dir = join(dataDir, 's3', 'objects');
      assert.equal(readdirSync(dir).length, 1);
      // Producer path: a flow-log style file into the bucket.
      const state = new ScopedState(disk.app.store.begin(), scopeKey('000000000000', 'us-east-1'));
      const gz = gzipSync('version account-id\n2 000000000000\n');
      assert.equal(putObject(state, disk.config, 'durable', 'AWSLogs/000000000000/vpcflowlogs/us-east-1/2024/01/01/x.log.gz', gz, { ContentType: 'application/gzip' }), true);
      assert.equal(putObject(state, disk.config, 'no-such-bucket', 'k', gz), false);
      state.tx.commit();
      const read = new ScopedState(disk.app.store.begin(), scopeKey('000000000000', 'us-east-1'));
      assert.equal(gunzipSync(getObjectData(read, disk.config, 'durable', 'AWSLogs/000000000000/vpcflowlogs/us-east-1/2024/01/01/x.log.gz')!.body).toString(), 'version account-id\n2 000000000000\n');
      read.tx.rollback();
      await c.send(new DeleteObjectCommand({ Bucket: 'durable', Key: 'AWSLogs/000000000000/vpcflowlogs/us-east-1/2024/01/01/x.log.gz' }));
      assert.equal(readdirSync(dir).length, 1, 'the deleted object’s data is gone');
      // A leftover file no record names is swept when the next server starts.
      writeFileSync(join(dir, '00000000-0000-0000-0000-000000000000'), 'orphan');
    } finally {
      await disk.close();
    }
    const again = await startTestServer({ dataDir });
    try {
      const got = await s3Client(again).send(new GetObjectCommand({ Bucket: 'durable', Key: 'k' }));
      assert.equal(await got.Body!.transformToString(), 'persisted');
      assert.equal(existsSync(join(dataDir, 's3', 'objects', '00000000-0000-0000-0000-000000000000')), false);
      // After a reset the data of the objects that went with it goes too.
      assert.equal(readdirSync(join(dataDir, 's3', 'objects')).length, 1);
      await again.reset();
      assert.deepEqual((await s3Client(again).send(new ListBucketsCommand({}))).Buckets, []);
      assert.equal(readdirSync(join(dataDir, 's3', 'objects')).length, 0);
    } finally {
      await again.close();
    }
  });

  it('checks SigV4 as S3 signs it in sigv4 mode (signed and streaming payloads, wrong secrets, other accounts)', async () => {
    const signed = await startTestServer({
      auth: 'sigv4',
      credentials: [
        { accessKeyId: 'AKIDALICE', secretAccessKey: 'alice-secret', accountId: '111111111111' },
        { accessKeyId: 'AKIDBOB', secretAccessKey: 'bob-secret', accountId: '222222222222' },
      ],
    });
    try {
      const client = (key: string, secret: string) =>
        new S3Client({ endpoint: signed.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: key, secretAccessKey: secret }, maxAttempts: 1 });
      const alice = client('AKIDALICE', 'alice-secret');
      await alice.send(new CreateBucketCommand({ Bucket: 'alice-bucket' }));
      await alice.send(new PutObjectCommand({ Bucket: 'alice-bucket', Key: 'dir/a b+c.txt', Body: 'signed' }));
      await alice.send(new PutObjectCommand({ Bucket: 'alice-bucket', Key: 'streamed', Body: Readable.from([Buffer.from('str'), Buffer.from('eam')]), ContentLength: 6 }));
      assert.equal(await (await alice.send(new GetObjectCommand({ Bucket: 'alice-bucket', Key: 'dir/a b+c.txt' }))).Body!.transformToString(), 'signed');
      assert.equal(await (await alice.send(new GetObjectCommand({ Bucket: 'alice-bucket', Key: 'streamed' }))).Body!.transformToString(), 'stream');
      assert.deepEqual((await alice.send(new ListObjectsV2Command({ Bucket: 'alice-bucket', Prefix: 'dir/' }))).Contents!.map((o) => o.Key), ['dir/a b+c.txt']);
      assert.equal((await alice.send(new ListBucketsCommand({}))).Owner!.DisplayName, '111111111111');

      const wrong = await apiError(() => client('AKIDALICE', 'not-the-secret').send(new ListBucketsCommand({})));
      assert.deepEqual([wrong.code, wrong.status], ['SignatureDoesNotMatch', 403]);
      const unknown = await apiError(() => client('AKIDNOBODY', 'x').send(new ListBucketsCommand({})));
      assert.deepEqual([unknown.code, unknown.status], ['InvalidAccessKeyId', 403]);
      const bob = await apiError(() => client('AKIDBOB', 'bob-secret').send(new GetObjectCommand({ Bucket: 'alice-bucket', Key: 'streamed' })));
      assert.deepEqual([bob.code, bob.status], ['AccessDenied', 403]);
      const anonymous = await rawRequest(signed, 'GET', '/alice-bucket/streamed', { Host: 'alice-bucket.s3.localhost' });
      assert.equal(anonymous.status, 403);
      assert.match(anonymous.body, /<Code>AccessDenied<\/Code>/);
    } finally {
      await signed.close();
    }
  });

  it('works from the AWS CLI: s3 mb / cp / ls / rm / rb and s3api', async () => {
    const dir = tempDir('vpcsim-s3-cli-');
    mkdirSync(join(dir, 'up', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'up', 'one.txt'), 'one\n');
    writeFileSync(join(dir, 'up', 'sub', 'two.txt'), 'two\n');
    writeFileSync(join(dir, 'big.bin'), Buffer.alloc(9 * 1024 * 1024, 5));

    const mb = await cli.aws(['s3', 'mb', 's3://cli-bucket']);
    assert.equal(mb.code, 0, mb.stderr);
    assert.match(mb.stdout, /make_bucket: cli-bucket/);
    const cp = await cli.aws(['s3', 'cp', join(dir, 'up'), 's3://cli-bucket/data/', '--recursive']);
    assert.equal(cp.code, 0, cp.stderr);
    const cpBig = await cli.aws(['s3', 'cp', join(dir, 'big.bin'), 's3://cli-bucket/big.bin']);
    assert.equal(cpBig.code, 0, cpBig.stderr);

    const ls = await cli.aws(['s3', 'ls', 's3://cli-bucket/data/', '--recursive']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /\s4 data\/one\.txt/);
    assert.match(ls.stdout, /\s4 data\/sub\/two\.txt/);
    const lsTop = await cli.aws(['s3', 'ls', 's3://cli-bucket/']);
    assert.match(lsTop.stdout, /PRE data\//);
    assert.match(lsTop.stdout, /9437184 big\.bin/);

    const down = join(dir, 'down.txt');
    const get = await cli.aws(['s3', 'cp', 's3://cli-bucket/data/sub/two.txt', down]);
    assert.equal(get.code, 0, get.stderr);
    assert.equal(readFileSync(down, 'utf8'), 'two\n');
    const bigDown = join(dir, 'big-down.bin');
    assert.equal((await cli.aws(['s3', 'cp', 's3://cli-bucket/big.bin', bigDown])).code, 0);
    assert.equal(readFileSync(bigDown).length, 9 * 1024 * 1024);

    const head = await cli.ok(['s3api', 'head-object', '--bucket', 'cli-bucket', '--key', 'data/one.txt']);
    assert.equal(head.ContentLength, 4);
    assert.equal(head.ETag, `"${createHash('md5').update('one\n').digest('hex')}"`);
    const listed = await cli.ok(['s3api', 'list-objects-v2', '--bucket', 'cli-bucket', '--prefix', 'data/', '--delimiter', '/']);
    assert.deepEqual(listed.CommonPrefixes, [{ Prefix: 'data/sub/' }]);
    assert.deepEqual(listed.Contents.map((o: { Key: string }) => o.Key), ['data/one.txt']);
    await cli.fails(['s3api', 'get-object', '--bucket', 'cli-bucket', '--key', 'nope', join(dir, 'x')], 'NoSuchKey');
    await cli.fails(['s3api', 'create-bucket', '--bucket', 'Bad_Bucket'], 'InvalidBucketName');
    await cli.fails(['s3api', 'delete-bucket', '--bucket', 'cli-bucket'], 'BucketNotEmpty');

    const rm = await cli.aws(['s3', 'rm', 's3://cli-bucket/', '--recursive']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(rm.stdout, /delete: s3:\/\/cli-bucket\/data\/one\.txt/);
    const rb = await cli.aws(['s3', 'rb', 's3://cli-bucket']);
    assert.equal(rb.code, 0, rb.stderr);
    assert.deepEqual((await cli.ok(['s3api', 'list-buckets'])).Buckets, []);
  });
});
