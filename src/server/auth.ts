/**
 * Who is calling, and which service and region they addressed: read from the SigV4
 * credential scope (Authorization header or presigned query), as AWS does.
 *
 * Two modes (config.auth):
 * - "none": nothing is checked; a 12-digit access key is the account, a key listed in the
 *   credentials maps to its account, any other key is config.accountId.
 * - "sigv4": every request must carry a valid AWS Signature Version 4 (Authorization header or
 *   presigned query string) made with one of the configured credentials; the key's account is
 *   the caller's account.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Credential } from '../config.js';
import { ApiError } from '../protocol/errors.js';
import type { Protocol } from '../services/context.js';

export interface Caller {
  accessKeyId: string;
  account: string;
  /** From the credential scope; undefined when the request is unsigned. */
  region?: string;
  /** Signing name from the credential scope ("ec2", "sts", "logs", ...). */
  service?: string;
}

const CREDENTIAL = /Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

/** Access key → credential, built once per credentials list. */
const keyTables = new WeakMap<readonly Credential[], Map<string, Credential>>();

function keyTable(credentials: readonly Credential[]): Map<string, Credential> {
  let table = keyTables.get(credentials);
  if (!table) {
    table = new Map(credentials.map((c) => [c.accessKeyId, c]));
    keyTables.set(credentials, table);
  }
  return table;
}

/** The caller as the request names itself, nothing verified ("none" mode). */
export function identifyCaller(
  headers: IncomingHttpHeaders,
  query: URLSearchParams,
  defaultAccount: string,
  credentials: readonly Credential[] = [],
): Caller {
  let accessKeyId = '';
  let region: string | undefined;
  let service: string | undefined;
  const auth = headers.authorization;
  const m = (typeof auth === 'string' && CREDENTIAL.exec(auth)) || null;
  if (m) {
    [, accessKeyId, , region, service] = m as unknown as [string, string, string, string, string];
  } else {
    const cred = query.get('X-Amz-Credential');
    const parts = cred?.split('/');
    if (parts && parts.length === 5) [accessKeyId, , region, service] = parts as [string, string, string, string];
  }
  const known = accessKeyId ? keyTable(credentials).get(accessKeyId) : undefined;
  const account = known ? known.accountId : /^\d{12}$/.test(accessKeyId) ? accessKeyId : defaultAccount;
  return { accessKeyId: accessKeyId || 'AKIAIOSFODNN7EXAMPLE', account, region, service };
}

// ---------------------------------------------------------------------------------------------
// Signature Version 4 verification
// ---------------------------------------------------------------------------------------------

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** How far X-Amz-Date may be from the server's clock, either way. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
/** Longest X-Amz-Expires of a presigned request: 7 days. */
export const MAX_PRESIGN_EXPIRES_S = 604_800;

/**
 * Why a request was not authenticated. Each protocol names these its own way (see
 * `authApiError`): EC2 answers AuthFailure where STS says SignatureDoesNotMatch or
 * InvalidClientTokenId and JSON services InvalidSignatureException or UnrecognizedClientException.
 */
export type AuthProblem =
  /** No signature at all. */
  | 'missing'
  /** A signature that lacks parts or does not follow the SigV4 format. */
  | 'incomplete'
  /** The access key is not one of the configured credentials. */
  | 'unknownKey'
  /** The security token is missing, unexpected or wrong for the key. */
  | 'invalidToken'
  /** The signature (or the declared payload hash) does not match the request. */
  | 'mismatch'
  /** X-Amz-Date too far from now, or a presigned request past its X-Amz-Expires. */
  | 'expired';

export class AuthError extends Error {
  constructor(
    readonly problem: AuthProblem,
    /** What exactly was wrong, in AWS's words where AWS says it (shown by the query and JSON services). */
    message: string,
    /** The query-string (presigned) form was used. */
    readonly presigned = false,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

/** The parts of an HTTP request a signature covers. */
export interface SignedRequest {
  method: string;
  /** The request target exactly as received: raw path and query string. */
  rawUrl: string;
  /** Node's `rawHeaders`: name, value, name, value, ... */
  rawHeaders: readonly string[];
  body: Buffer;
}

export interface Authenticated {
  caller: Caller;
  credential: Credential;
}

/** RFC 3986 percent-encoding of everything but the unreserved characters (A-Z a-z 0-9 - _ . ~). */
export function uriEncode(s: string, keepSlash = false): string {
  let out = '';
  for (const ch of s) {
    if (/[A-Za-z0-9\-_.~]/.test(ch) || (keepSlash && ch === '/')) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** Query string → decoded [name, value] pairs, in order (form-decoding, as the parameters are read). */
function queryPairs(rawQuery: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const piece of rawQuery.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const name = eq < 0 ? piece : piece.slice(0, eq);
    const value = eq < 0 ? '' : piece.slice(eq + 1);
    out.push([safeDecode(name), safeDecode(value)]);
  }
  return out;
}

/** Canonical query string: names and values RFC 3986-encoded, sorted by name, then value. */
export function canonicalQuery(pairs: ReadonlyArray<readonly [string, string]>, omit?: string): string {
  const encoded = pairs
    .filter(([k]) => k !== omit)
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0));
  return encoded.map(([k, v]) => `${k}=${v}`).join('&');
}

/**
 * Canonical URI of a non-S3 service: the path as received, with empty, "." and ".." segments
 * resolved, URI-encoded once more (so each segment ends up encoded twice, as clients sign it).
 */
export function canonicalUri(rawPath: string): string {
  const segments: string[] = [];
  for (const seg of rawPath.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  const joined = `/${segments.join('/')}${segments.length > 0 && rawPath.endsWith('/') ? '/' : ''}`;
  return uriEncode(joined, true);
}

/** Header name (lowercase) → values as received, in order. */
function headerValues(rawHeaders: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const list = out.get(name);
    if (list) list.push(rawHeaders[i + 1]!);
    else out.set(name, [rawHeaders[i + 1]!]);
  }
  return out;
}

/** Canonical headers: lowercase names, values trimmed with runs of spaces collapsed, repeats joined by ",". */
export function canonicalHeaders(headers: Map<string, string[]>, signed: readonly string[]): string {
  return signed
    .map((name) => `${name}:${(headers.get(name) ?? []).map((v) => v.trim().replace(/\s+/g, ' ')).join(',')}\n`)
    .join('');
}

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

/** "20240102T030405Z" → epoch ms, or undefined when it is not ISO 8601 basic format. */
function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se] = m.map(Number) as [number, number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, se);
  const back = new Date(t);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) return undefined;
  return t;
}

export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

interface SignatureParts {
  algorithm: string;
  credential: string;
  signedHeaders: string;
  signature: string;
  amzDate: string;
  securityToken?: string;
  /** Presigned only. */
  expires?: string;
}

const FROM_AUTH_PARAMS = /^\s*([A-Za-z0-9-]+)\s*=\s*(.*?)\s*$/;

function fromAuthorizationHeader(auth: string, headers: Map<string, string[]>): SignatureParts {
  const space = auth.indexOf(' ');
  const algorithm = space < 0 ? auth.trim() : auth.slice(0, space);
  const params = new Map<string, string>();
  for (const piece of (space < 0 ? '' : auth.slice(space + 1)).split(',')) {
    const m = FROM_AUTH_PARAMS.exec(piece);
    if (m) params.set(m[1]!, m[2]!);
  }
  const problems: string[] = [];
  for (const p of ['Credential', 'Signature', 'SignedHeaders']) {
    if (!params.get(p)) problems.push(`Authorization header requires '${p}' parameter.`);
  }
  const xAmzDate = headers.get('x-amz-date')?.[0];
  const date = headers.get('date')?.[0];
  if (!xAmzDate && !date) problems.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (problems.length > 0) throw new AuthError('incomplete', `${problems.join(' ')} Authorization=${auth}`);
  if (algorithm !== ALGORITHM) throw new AuthError('incomplete', `Unsupported AWS 'algorithm': '${algorithm}'`);
  let amzDate = xAmzDate?.trim() ?? '';
  if (!xAmzDate) {
    const t = Date.parse(date!);
    amzDate = Number.isNaN(t) ? date!.trim() : formatAmzDate(t);
  }
  return {
    algorithm,
    credential: params.get('Credential')!,
    signedHeaders: params.get('SignedHeaders')!,
    signature: params.get('Signature')!,
    amzDate,
    securityToken: headers.get('x-amz-security-token')?.[0]?.trim(),
  };
}

const PRESIGN_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders'];

function fromQuery(q: Map<string, string>): SignatureParts {
  if (PRESIGN_PARAMS.some((p) => !q.get(p))) {
    throw new AuthError(
      'incomplete',
      `AWS query-string parameters must include ${PRESIGN_PARAMS.map((p) => `'${p}'`).join(', ')}. Re-examine the query-string parameters.`,
      true,
    );
  }
  const algorithm = q.get('X-Amz-Algorithm')!;
  if (algorithm !== ALGORITHM) throw new AuthError('incomplete', `Unsupported AWS 'algorithm': '${algorithm}'`, true);
  return {
    algorithm,
    credential: q.get('X-Amz-Credential')!,
    signedHeaders: q.get('X-Amz-SignedHeaders')!,
    signature: q.get('X-Amz-Signature')!,
    amzDate: q.get('X-Amz-Date')!,
    securityToken: q.get('X-Amz-Security-Token'),
    expires: q.get('X-Amz-Expires'),
  };
}

/** What the query and JSON services say about a mismatch: AWS shows what it signed, to help fix a signer. */
function mismatchMessage(canonicalRequest: string, stringToSign: string): string {
  return (
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key ' +
    'and signing method. Consult the service documentation for details.\n\n' +
    `The Canonical String for this request should have been\n'${canonicalRequest}'\n\n` +
    `The String-to-Sign should have been\n'${stringToSign}'\n`
  );
}

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/**
 * Verifies the request's Signature Version 4 against the configured credentials and returns
 * the caller; throws AuthError otherwise. `expectedService`, when known, is the signing name
 * the credential scope must carry.
 */
export function verifySigV4(
  req: SignedRequest,
  credentials: readonly Credential[],
  now: number = Date.now(),
  expectedService?: string,
): Authenticated {
  const q = req.rawUrl.indexOf('?');
  const rawPath = q < 0 ? req.rawUrl : req.rawUrl.slice(0, q);
  const rawQuery = q < 0 ? '' : req.rawUrl.slice(q + 1);
  const pairs = queryPairs(rawQuery);
  const query = new Map<string, string>();
  for (const [k, v] of pairs) if (!query.has(k)) query.set(k, v);
  const headers = headerValues(req.rawHeaders);
  const auth = headers.get('authorization')?.[0];
  const presigned = query.has('X-Amz-Algorithm') || query.has('X-Amz-Signature') || query.has('X-Amz-Credential');

  if (auth !== undefined && presigned) {
    throw new AuthError(
      'incomplete',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified',
    );
  }
  if (auth === undefined && !presigned) {
    throw new AuthError('missing', 'Request is missing Authentication Token');
  }
  const parts = presigned ? fromQuery(query) : fromAuthorizationHeader(auth!, headers);

  // Credential scope: key/date/region/service/aws4_request.
  const scopeParts = parts.credential.split('/');
  if (scopeParts.length !== 5 || scopeParts.some((p) => p === '')) {
    throw new AuthError(
      'incomplete',
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${parts.credential}'`,
      presigned,
    );
  }
  const [accessKeyId, scopeDate, region, service, terminator] = scopeParts as [string, string, string, string, string];
  const requestTime = parseAmzDate(parts.amzDate);
  if (requestTime === undefined) {
    throw new AuthError(
      'incomplete',
      `Date must be in ISO-8601 'basic format'. Got '${parts.amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`,
      presigned,
    );
  }
  if (terminator !== 'aws4_request') {
    throw new AuthError('mismatch', `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`, presigned);
  }
  if (scopeDate !== parts.amzDate.slice(0, 8)) {
    throw new AuthError(
      'mismatch',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${parts.amzDate.slice(0, 8)}', from '${parts.amzDate}'.`,
      presigned,
    );
  }
  if (expectedService !== undefined && service !== expectedService) {
    throw new AuthError('mismatch', `Credential should be scoped to correct service: '${expectedService}'.`, presigned);
  }

  // Time: X-Amz-Date within the allowed skew; presigned requests also until they expire.
  const nowStamp = formatAmzDate(now);
  if (presigned && parts.expires !== undefined) {
    const expires = /^\d+$/.test(parts.expires) ? Number(parts.expires) : NaN;
    if (!(expires >= 1 && expires <= MAX_PRESIGN_EXPIRES_S)) {
      throw new AuthError('incomplete', `X-Amz-Expires must be an integer between 1 and ${MAX_PRESIGN_EXPIRES_S} (seconds), got '${parts.expires}'.`, true);
    }
    if (now > requestTime + expires * 1000) {
      throw new AuthError('expired', `Signature expired: ${formatAmzDate(requestTime + expires * 1000)} is now earlier than ${nowStamp}.`, true);
    }
  } else if (now - requestTime > MAX_CLOCK_SKEW_MS) {
    throw new AuthError(
      'expired',
      `Signature expired: ${parts.amzDate} is now earlier than ${formatAmzDate(now - MAX_CLOCK_SKEW_MS)} (${nowStamp} - 5 min.)`,
      presigned,
    );
  }
  if (requestTime - now > MAX_CLOCK_SKEW_MS) {
    throw new AuthError(
      'expired',
      `Signature not yet current: ${parts.amzDate} is still later than ${formatAmzDate(now + MAX_CLOCK_SKEW_MS)} (${nowStamp} + 5 min.)`,
      presigned,
    );
  }

  const credential = keyTable(credentials).get(accessKeyId);
  if (!credential) throw new AuthError('unknownKey', 'The security token included in the request is invalid.', presigned);
  if ((parts.securityToken ?? '') !== (credential.sessionToken ?? '')) {
    throw new AuthError('invalidToken', 'The security token included in the request is invalid.', presigned);
  }

  // Canonical request.
  const signedHeaders = parts.signedHeaders.split(';');
  if (!signedHeaders.includes('host')) {
    throw new AuthError('mismatch', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.", presigned);
  }
  const bodyHash = sha256Hex(req.body);
  const declared = headers.get('x-amz-content-sha256')?.[0]?.trim();
  if (declared !== undefined) {
    // The declared hash is what gets signed, so it must be the body's: a body swapped under a
    // valid signature is caught here. An unsigned payload is only acceptable with no payload.
    const ok = declared === 'UNSIGNED-PAYLOAD' ? req.body.length === 0 : declared.toLowerCase() === bodyHash;
    if (!ok) throw new AuthError('mismatch', 'The provided x-amz-content-sha256 header does not match what was computed.', presigned);
  }
  const canonicalRequest = [
    req.method.toUpperCase(),
    canonicalUri(rawPath),
    canonicalQuery(pairs, presigned ? 'X-Amz-Signature' : undefined),
    canonicalHeaders(headers, signedHeaders),
    parts.signedHeaders,
    declared ?? bodyHash,
  ].join('\n');
  const scope = `${scopeDate}/${region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, parts.amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const expected = createHmac('sha256', signingKey(credential.secretAccessKey, scopeDate, region, service))
    .update(stringToSign, 'utf8')
    .digest();
  const provided = /^[0-9a-f]{64}$/.test(parts.signature) ? Buffer.from(parts.signature, 'hex') : Buffer.alloc(0);
  if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) {
    throw new AuthError('mismatch', mismatchMessage(canonicalRequest, stringToSign), presigned);
  }
  return { caller: { accessKeyId, account: credential.accountId, region, service }, credential };
}

/** The error a verification failure is answered with, in the dialect of the addressed protocol. */
export function authApiError(err: AuthError, protocol: Protocol): ApiError {
  const { problem, message, presigned } = err;
  if (protocol === 'ec2') {
    // EC2 does not explain a rejected signature: wrong secret, unknown key, tampered request and
    // wrong session token are all AuthFailure (401).
    switch (problem) {
      case 'missing':
        return new ApiError(
          'MissingAuthenticationToken',
          'The request must contain either a valid (registered) AWS access key ID or X.509 certificate.',
          403,
        );
      case 'incomplete':
        return new ApiError('IncompleteSignature', message, 400);
      case 'expired':
        return new ApiError('RequestExpired', 'Request has expired.', 400);
      default:
        return new ApiError('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
    }
  }
  if (protocol === 'json') {
    switch (problem) {
      case 'missing':
        return new ApiError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
      case 'incomplete':
        return new ApiError('IncompleteSignatureException', message, 400);
      case 'unknownKey':
      case 'invalidToken':
        return new ApiError('UnrecognizedClientException', message, 400);
      case 'expired':
        return new ApiError('InvalidSignatureException', message, 400);
      case 'mismatch':
        return new ApiError('InvalidSignatureException', message, 400);
    }
  }
  // AWS query protocol (STS and the like).
  switch (problem) {
    case 'missing':
      return new ApiError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
    case 'incomplete':
      return new ApiError('IncompleteSignature', message, 400);
    case 'unknownKey':
    case 'invalidToken':
      return new ApiError('InvalidClientTokenId', message, 403);
    case 'expired':
      return presigned ? new ApiError('RequestExpired', 'Request has expired.', 400) : new ApiError('SignatureDoesNotMatch', message, 403);
    case 'mismatch':
      return new ApiError('SignatureDoesNotMatch', message.startsWith('The request signature') ? message : `${MISMATCH} ${message}`, 403);
  }
  return new ApiError('IncompleteSignature', message, 400);
}
