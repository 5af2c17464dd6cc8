/**
 * Reading and answering requests for services that handle their own HTTP (S3's REST API,
 * CloudWatch's JSON dialect): the body with a service-specific size limit, Content-Encoding,
 * SigV4 in sigv4 mode, and writing a reply with arbitrary headers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { App } from './app.js';
import { AuthError, type Authenticated, type Caller, verifySigV4 } from './auth.js';

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`The request body is larger than ${limit} bytes.`);
  }
}

/** The whole body, or BodyTooLarge past `limit` bytes (the rest is read and dropped so the answer reaches the client). */
export function readBodyLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      reject(new BodyTooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        chunks.length = 0;
        req.off('data', onData);
        req.resume();
        reject(new BodyTooLarge(limit));
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Undoes `Content-Encoding: gzip` (CloudWatch's request compression); other bodies as they are. */
export function decodeContentEncoding(req: IncomingMessage, body: Buffer, limit: number): Buffer {
  const enc = String(req.headers['content-encoding'] ?? '').toLowerCase();
  if (!enc.split(',').some((e) => e.trim() === 'gzip') || body.length === 0) return body;
  const out = gunzipSync(body, { maxOutputLength: limit });
  return out;
}

/**
 * The caller of a request: as it names itself in "none" mode, verified in "sigv4" mode
 * (throws AuthError when the signature does not hold).
 */
export function authenticate(app: App, req: IncomingMessage, body: Buffer, claimed: Caller, service: string): Caller {
  if (app.config.auth !== 'sigv4') return claimed;
  const signed = { method: req.method ?? 'GET', rawUrl: req.url ?? '/', rawHeaders: req.rawHeaders, body };
  const ok: Authenticated = verifySigV4(signed, app.config.credentials, Date.now(), service);
  return ok.caller;
}

export { AuthError };

export interface RawReply {
  status: number;
  headers: Record<string, string | number>;
  body?: Buffer | string;
}

export function sendRaw(res: ServerResponse, reply: RawReply, headOnly = false): void {
  const body = reply.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(reply.body) ? reply.body : Buffer.from(reply.body, 'utf8');
  const headers: Record<string, string | number> = { Server: 'vpcsim', ...reply.headers };
  if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) headers['Content-Length'] = body.length;
  res.writeHead(reply.status, headers);
  res.end(headOnly ? undefined : body);
}
