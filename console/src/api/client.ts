/**
 * Talking to vpcsim through the AWS APIs themselves, from the browser (same origin):
 * EC2 Query and the AWS query protocol as form-encoded POSTs answered in XML, the JSON
 * protocol (CloudWatch Logs, Direct Connect) with X-Amz-Target.
 *
 * Who is calling is told as AWS is told: by the credential scope of an
 * `Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request`
 * header. With no secret key the key is the 12-digit account itself and the signature is a
 * placeholder (vpcsim's default `--auth none` reads only the scope); with an access key and
 * secret the request is signed with Signature Version 4 (for `--auth sigv4`).
 */
import { elementToValue, parseXml, type XObject, xmlError } from './xml.js';
import type { Rec } from './values.js';

export interface Session {
  /** 12-digit account (used as the access key when no credentials are given). */
  account: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
}

export const DEFAULT_ACCOUNT = '000000000000';

export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message ? `${code}: ${message}` : code);
  }
}

/** True when the server does not serve the operation at all (older vpcsim, API not built yet). */
export function isUnsupported(err: unknown): boolean {
  return (
    err instanceof AwsError &&
    ['InvalidAction', 'UnsupportedOperation', 'UnknownOperationException', 'UnknownOperation', 'NotServed', 'NotFound'].includes(err.code)
  );
}

const enc = new TextEncoder();

function hex(buf: ArrayBuffer): string {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256(data: string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', enc.encode(data)));
}

async function hmac(key: ArrayBuffer | Uint8Array, data: string): Promise<ArrayBuffer> {
  const k = await crypto.subtle.importKey('raw', key as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return crypto.subtle.sign('HMAC', k, enc.encode(data));
}

function amzDate(now: Date): { date: string; stamp: string } {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return { date: stamp.slice(0, 8), stamp };
}

/** RFC 3986 encoding, as Signature Version 4 wants it. */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A canonical query string: parameters sorted, names and values encoded. */
export function canonicalQuery(query: Record<string, string>): string {
  return Object.keys(query)
    .sort()
    .map((k) => `${uriEncode(k)}=${uriEncode(query[k]!)}`)
    .join('&');
}

/** Headers that identify (and, with a secret key, sign) one request (POST unless told; `query` is canonical). */
export async function authHeaders(
  session: Session,
  service: string,
  path: string,
  headers: Record<string, string>,
  body: string,
  method = 'POST',
  query = '',
): Promise<Record<string, string>> {
  const { date, stamp } = amzDate(new Date());
  const scope = `${date}/${session.region}/${service}/aws4_request`;
  const out: Record<string, string> = { ...headers, 'X-Amz-Date': stamp };
  const canSign = !!session.secretAccessKey && !!session.accessKeyId && typeof crypto !== 'undefined' && !!crypto.subtle;
  if (!canSign) {
    const key = session.accessKeyId || session.account || DEFAULT_ACCOUNT;
    out.Authorization = `AWS4-HMAC-SHA256 Credential=${key}/${scope}, SignedHeaders=host;x-amz-date, Signature=0`;
    return out;
  }
  const signed: Record<string, string> = { host: location.host };
  for (const [k, v] of Object.entries(out)) signed[k.toLowerCase()] = v.trim().replace(/\s+/g, ' ');
  const names = Object.keys(signed).sort();
  const canonical = [
    method,
    path.split('/').map((s) => uriEncode(decodeURIComponent(s))).join('/'),
    query,
    names.map((n) => `${n}:${signed[n]}\n`).join(''),
    names.join(';'),
    out['x-amz-content-sha256'] ?? (await sha256(body)),
  ].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', stamp, scope, await sha256(canonical)].join('\n');
  let key: ArrayBuffer = await hmac(enc.encode(`AWS4${session.secretAccessKey}`), date);
  for (const part of [session.region, service, 'aws4_request']) key = await hmac(key, part);
  const signature = hex(await hmac(key, toSign));
  out.Authorization = `AWS4-HMAC-SHA256 Credential=${session.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return out;
}

export type QueryParams = Record<string, string | number | boolean | undefined>;

function formBody(params: QueryParams): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.append(k, String(v));
  return u.toString();
}

/** One request in the EC2 Query or AWS query protocol: the parsed XML answer (without requestId). */
export async function queryCall(
  session: Session,
  service: string,
  version: string,
  action: string,
  params: QueryParams = {},
  signal?: AbortSignal,
): Promise<{ value: Rec; text: string }> {
  const body = formBody({ Action: action, Version: version, ...params });
  const headers = await authHeaders(session, service, '/', { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' }, body);
  const res = await fetch('/', { method: 'POST', headers, body, signal });
  const text = await res.text();
  let root: Element;
  try {
    root = parseXml(text);
  } catch {
    throw new AwsError(res.ok ? 'InvalidResponse' : `HTTP${res.status}`, text.slice(0, 200), res.status);
  }
  const err = xmlError(root);
  if (err || !res.ok) throw new AwsError(err?.code ?? `HTTP${res.status}`, err?.message ?? '', res.status);
  const value = elementToValue(root);
  const obj: XObject = typeof value === 'object' && !Array.isArray(value) ? value : {};
  delete obj.requestId;
  // The AWS query protocol wraps the answer in <ActionResult> and adds <ResponseMetadata>.
  delete obj.ResponseMetadata;
  const inner = obj[`${action}Result`];
  const result = inner && typeof inner === 'object' && !Array.isArray(inner) ? inner : obj;
  return { value: result, text: text.replace(/<requestId>[^<]*<\/requestId>|<RequestId>[^<]*<\/RequestId>/g, '') };
}

export function ec2(session: Session, action: string, params: QueryParams = {}, signal?: AbortSignal) {
  return queryCall(session, 'ec2', '2016-11-15', action, params, signal);
}

/** EC2 list parameters: `Name.1`, `Name.2`, … */
export function listParam(name: string, values: readonly string[]): QueryParams {
  const out: QueryParams = {};
  values.forEach((v, i) => (out[`${name}.${i + 1}`] = v));
  return out;
}

/** EC2 filters: `Filter.N.Name` / `Filter.N.Value.M`. */
export function filterParams(filters: Record<string, readonly string[]>): QueryParams {
  const out: QueryParams = {};
  Object.entries(filters).forEach(([name, values], i) => {
    out[`Filter.${i + 1}.Name`] = name;
    values.forEach((v, j) => (out[`Filter.${i + 1}.Value.${j + 1}`] = v));
  });
  return out;
}

/** An AWS JSON-protocol call (X-Amz-Target). */
export async function jsonCall<T = Record<string, unknown>>(
  session: Session,
  service: string,
  target: string,
  input: unknown,
  jsonVersion = '1.1',
  signal?: AbortSignal,
): Promise<T> {
  const body = JSON.stringify(input ?? {});
  const headers = await authHeaders(session, service, '/', { 'Content-Type': `application/x-amz-json-${jsonVersion}`, 'X-Amz-Target': target }, body);
  const res = await fetch('/', { method: 'POST', headers, body, signal });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    throw new AwsError(`HTTP${res.status}`, text.slice(0, 200), res.status);
  }
  if (!res.ok) {
    const type = String(parsed.__type ?? res.headers.get('x-amzn-ErrorType') ?? `HTTP${res.status}`);
    const code = type.split('#').pop()!.split(':')[0]!;
    throw new AwsError(code, String(parsed.message ?? parsed.Message ?? ''), res.status);
  }
  return parsed as T;
}

/** vpcsim's own JSON endpoints (/_vpcsim/...), identified like the AWS APIs. */
export async function vpcsimCall<T = Record<string, unknown>>(session: Session, path: string, input: unknown, signal?: AbortSignal): Promise<T> {
  const body = JSON.stringify(input ?? {});
  const headers = await authHeaders(session, 'ec2', path, { 'Content-Type': 'application/json' }, body);
  const res = await fetch(path, { method: 'POST', headers, body, signal });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    // Not a JSON answer: this server does not have the endpoint.
    throw new AwsError('NotServed', `${path} is not served by this vpcsim.`, res.status);
  }
  if (!res.ok) {
    const code = res.status === 404 ? 'NotFound' : String(parsed.error ?? parsed.__type ?? `HTTP${res.status}`);
    throw new AwsError(code, String(parsed.message ?? text.slice(0, 200)), res.status);
  }
  return parsed as T;
}

/**
 * A GET of S3's REST API (path-style: /bucket/key?query), signed for `s3`: the body as bytes,
 * or an AwsError from S3's XML error document.
 */
export async function s3Get(session: Session, bucket: string, key: string, query: Record<string, string> = {}, signal?: AbortSignal): Promise<Uint8Array> {
  const path = `/${uriEncode(bucket)}${key ? `/${key.split('/').map(uriEncode).join('/')}` : ''}`;
  const qs = canonicalQuery(query);
  const headers = await authHeaders(session, 's3', path, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, '', 'GET', qs);
  const res = await fetch(qs ? `${path}?${qs}` : path, { method: 'GET', headers, signal });
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (!res.ok) {
    const text = new TextDecoder().decode(bytes);
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `HTTP${res.status}`;
    const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? '';
    throw new AwsError(code, message, res.status);
  }
  return bytes;
}
