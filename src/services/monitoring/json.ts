/**
 * CloudWatch's other wire dialects, read and answered here:
 * - AWS JSON 1.0 (`X-Amz-Target: GraniteServiceVersion20100801.<Operation>`), which current
 *   AWS SDKs send, with query-compatible errors (`x-amzn-query-error: Code;Sender`, so SDKs
 *   report the same codes as over the query protocol);
 * - query-protocol requests whose body is gzip-compressed (`Content-Encoding: gzip`, which SDKs
 *   use for large PutMetricData calls).
 * Everything else (plain query requests from the AWS CLI) goes the endpoint's usual way.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { type App, handleJson, type Reply } from '../../server/app.js';
import { authApiError, AuthError, type Caller } from '../../server/auth.js';
import { authenticate, BodyTooLarge, decodeContentEncoding, readBodyLimited, sendRaw } from '../../server/raw.js';
import { renderQueryError } from '../../protocol/xml-output.js';
import type { ServiceProvider } from '../context.js';

export const CLOUDWATCH_TARGET_PREFIX = 'GraniteServiceVersion20100801';
const JSON_TYPE = 'application/x-amz-json-1.0';

function jsonError(status: number, code: string, message: string, requestId: string): { status: number; headers: Record<string, string>; body: string } {
  return {
    status,
    headers: {
      'Content-Type': JSON_TYPE,
      'x-amzn-RequestId': requestId,
      'x-amzn-query-error': `${code};${status < 500 ? 'Sender' : 'Receiver'}`,
    },
    body: JSON.stringify({ __type: code, message }),
  };
}

function isGzip(req: IncomingMessage): boolean {
  return /(^|,)\s*gzip\s*($|,)/i.test(String(req.headers['content-encoding'] ?? ''));
}

export function cloudWatchHttp(provider: ServiceProvider): NonNullable<ServiceProvider['http']> {
  return {
    claims(req: IncomingMessage, _url: URL, caller: Caller): boolean {
      const target = req.headers['x-amz-target'];
      if (typeof target === 'string') return target.startsWith(`${CLOUDWATCH_TARGET_PREFIX}.`);
      return caller.service === 'monitoring' && req.method === 'POST' && isGzip(req);
    },

    async serve(app: App, req: IncomingMessage, res: ServerResponse, url: URL, claimed: Caller): Promise<void> {
      const target = req.headers['x-amz-target'];
      const json = typeof target === 'string';
      const requestId = randomUUID();
      const limit = app.config.maxBodyBytes;
      const fail = (status: number, code: string, message: string) => {
        if (json) return sendRaw(res, jsonError(status, code, message, requestId));
        return sendRaw(res, { status, headers: { 'Content-Type': 'text/xml;charset=UTF-8' }, body: renderQueryError(code, message, requestId, status < 500) });
      };
      let raw: Buffer;
      try {
        raw = await readBodyLimited(req, limit);
      } catch (err) {
        if (err instanceof BodyTooLarge) return fail(413, 'RequestEntityTooLarge', err.message);
        res.destroy();
        return;
      }
      let caller: Caller;
      try {
        caller = authenticate(app, req, raw, claimed, provider.name);
      } catch (err) {
        if (!(err instanceof AuthError)) throw err;
        const e = authApiError(err, json ? 'json' : 'query');
        return fail(e.status, e.code, e.message);
      }
      let body: Buffer;
      try {
        body = decodeContentEncoding(req, raw, limit);
      } catch {
        return fail(400, json ? 'SerializationException' : 'MalformedInput', 'The request body could not be decompressed (Content-Encoding: gzip).');
      }
      let reply: Reply & { requestId?: string };
      if (json) {
        const operation = target.slice(target.indexOf('.') + 1);
        reply = await handleJson(app, provider, operation, body.toString('utf8'), caller);
        if (reply.status !== 200) {
          const parsed = JSON.parse(reply.body) as { __type: string; message: string };
          return sendRaw(res, jsonError(reply.status, parsed.__type, parsed.message, reply.requestId ?? requestId));
        }
        sendRaw(res, { status: 200, headers: { 'Content-Type': JSON_TYPE, 'x-amzn-RequestId': reply.requestId ?? requestId }, body: reply.body });
      } else {
        const params = new URLSearchParams(body.toString('utf8'));
        for (const [k, v] of url.searchParams) if (!params.has(k)) params.append(k, v);
        reply = await app.handleQuery(provider, params, caller);
        sendRaw(res, { status: reply.status, headers: { 'Content-Type': reply.contentType }, body: reply.body });
      }
      if (app.config.logRequests) {
        const op = json ? target.slice(target.indexOf('.') + 1) : 'query';
        console.log(`${new Date().toISOString()} ${caller.account} ${caller.region ?? '-'} ${provider.name}.${op} ${reply.status}`);
      }
    },
  };
}
