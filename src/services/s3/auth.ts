/**
 * SigV4 as S3 checks it (sigv4 mode): the path is signed as sent (encoded once, not twice like
 * other services), the payload hash is whatever `x-amz-content-sha256` declares
 * (UNSIGNED-PAYLOAD and streaming forms included) and presigned URLs sign UNSIGNED-PAYLOAD.
 * Failures are S3 errors: AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch,
 * RequestTimeTooSkewed, XAmzContentSHA256Mismatch.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Credential } from '../../config.js';
import { type Caller, canonicalHeaders, canonicalQuery, MAX_CLOCK_SKEW_MS, MAX_PRESIGN_EXPIRES_S, signingKey, uriEncode } from '../../server/auth.js';
import { S3Error } from './index.js';

const ALGORITHM = 'AWS4-HMAC-SHA256';

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, '%20'));
  } catch {
    return s;
  }
}

function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

const sha256Hex = (d: Buffer | string) => createHash('sha256').update(d).digest('hex');

export function verifyS3Signature(credentials: readonly Credential[], method: string, rawUrl: string, rawHeaders: readonly string[], body: Buffer, now = Date.now()): Caller {
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const pairs: Array<[string, string]> = (q < 0 ? '' : rawUrl.slice(q + 1))
    .split('&')
    .filter(Boolean)
    .map((p) => {
      const eq = p.indexOf('=');
      return [decode(eq < 0 ? p : p.slice(0, eq)), decode(eq < 0 ? '' : p.slice(eq + 1))];
    });
  const query = new Map(pairs);
  const headers = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), rawHeaders[i + 1]!]);
  }
  const header = (n: string) => headers.get(n)?.[0];
  const auth = header('authorization');
  const presigned = query.has('X-Amz-Signature') || query.has('X-Amz-Algorithm');
  if (!auth && !presigned) throw new S3Error('AccessDenied', 'Access Denied', 403);

  let credential: string;
  let signedHeaders: string;
  let signature: string;
  let amzDate: string;
  let payloadHash: string;
  if (presigned) {
    if (query.get('X-Amz-Algorithm') !== ALGORITHM) throw new S3Error('AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"', 400);
    credential = query.get('X-Amz-Credential') ?? '';
    signedHeaders = query.get('X-Amz-SignedHeaders') ?? '';
    signature = query.get('X-Amz-Signature') ?? '';
    amzDate = query.get('X-Amz-Date') ?? '';
    payloadHash = 'UNSIGNED-PAYLOAD';
    const expires = Number(query.get('X-Amz-Expires') ?? 'NaN');
    if (!(expires >= 1 && expires <= MAX_PRESIGN_EXPIRES_S)) {
      throw new S3Error('AuthorizationQueryParametersError', 'X-Amz-Expires must be less than a week (in seconds) that is 604800', 400);
    }
    const t = parseAmzDate(amzDate);
    if (t === undefined) throw new S3Error('AuthorizationQueryParametersError', "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"", 400);
    if (now > t + expires * 1000) throw new S3Error('AccessDenied', 'Request has expired', 403, { 'X-Amz-Expires': String(expires) });
  } else {
    const m = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(auth!.trim());
    if (!m) throw new S3Error('InvalidArgument', 'Unsupported Authorization Type', 400, { ArgumentName: 'Authorization' });
    const params = new Map(
      m[1]!.split(',').map((p) => {
        const eq = p.indexOf('=');
        return [p.slice(0, eq).trim(), p.slice(eq + 1).trim()] as [string, string];
      }),
    );
    credential = params.get('Credential') ?? '';
    signedHeaders = params.get('SignedHeaders') ?? '';
    signature = params.get('Signature') ?? '';
    amzDate = header('x-amz-date') ?? '';
    payloadHash = header('x-amz-content-sha256') ?? '';
    if (!payloadHash) throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256', 400);
    const t = parseAmzDate(amzDate);
    if (t === undefined) throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header', 403);
    if (Math.abs(now - t) > MAX_CLOCK_SKEW_MS) {
      throw new S3Error('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', 403, { RequestTime: amzDate, ServerTime: new Date(now).toISOString() });
    }
  }
  const scope = credential.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request' || scope[3] !== 's3') {
    throw new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`, 400);
  }
  const [accessKeyId, date, region] = scope as [string, string, string, string, string];
  const cred = credentials.find((c) => c.accessKeyId === accessKeyId);
  if (!cred) throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', 403, { AWSAccessKeyId: accessKeyId });
  const token = presigned ? query.get('X-Amz-Security-Token') : header('x-amz-security-token');
  if ((token ?? '') !== (cred.sessionToken ?? '')) throw new S3Error('InvalidToken', 'The provided token is malformed or otherwise invalid.', 400);
  if (/^[0-9a-f]{64}$/.test(payloadHash) && payloadHash !== sha256Hex(body)) {
    throw new S3Error('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", 400, { ClientComputedContentSHA256: payloadHash, S3ComputedContentSHA256: sha256Hex(body) });
  }
  const signed = signedHeaders.split(';');
  const canonical = [
    method.toUpperCase(),
    uriEncode(decode(rawPath.replace(/\+/g, '%2B')), true),
    canonicalQuery(pairs, presigned ? 'X-Amz-Signature' : undefined),
    canonicalHeaders(headers, signed),
    signedHeaders,
    payloadHash,
  ].join('\n');
  const stringToSign = [ALGORITHM, amzDate, `${date}/${region}/s3/aws4_request`, sha256Hex(canonical)].join('\n');
  const expected = createHmac('sha256', signingKey(cred.secretAccessKey, date, region, 's3')).update(stringToSign, 'utf8').digest();
  const provided = /^[0-9a-f]{64}$/.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);
  if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) {
    throw new S3Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', 403, {
      AWSAccessKeyId: accessKeyId,
      StringToSign: stringToSign,
      CanonicalRequest: canonical,
    });
  }
  return { accessKeyId, account: cred.accountId, region, service: 's3' };
}
