/**
 * CloudWatch's other wire dialects, read and answered here:
 * - AWS JSON 1.0 (`X-Amz-Target: GraniteServiceVersion20100801.<Operation>`), which current
 *   AWS SDKs send, with query-compatible errors (`x-amzn-query-error: Code;Sender`, so SDKs
 *   report the same codes as over the query protocol);
 * - Smithy RPC v2 CBOR (`POST /service/GraniteServiceVersion20100801/operation/<Operation>`,
 *   `smithy-protocol: rpc-v2-cbor`), which botocore (boto3, the AWS CLI) uses, with the same
 *   query-compatible errors;
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
import { CborError, cborToJsonText, decodeCbor, encodeCborOutput, encodeCborPlain } from '../../protocol/cbor.js';

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

const CBOR_PATH = new RegExp(`^/service/${CLOUDWATCH_TARGET_PREFIX}/operation/([A-Za-z0-9]+)$`);

function cborError(status: number, code: string, message: string, requestId: string): { status: number; headers: Record<string, string>; body: Buffer } {
  return {
    status,
    headers: {
      'Content-Type': 'application/cbor',
      'smithy-protocol': 'rpc-v2-cbor',
      'x-amzn-RequestId': requestId,
      'x-amzn-query-error': `${code};${status < 500 ? 'Sender' : 'Receiver'}`,
    },
    body: encodeCborPlain({ __type: code, message }),
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
      if (req.method === 'POST' && CBOR_PATH.test(_url.pathname)) return true;
      return caller.service === 'monitoring' && req.method === 'POST' && isGzip(req);
    },

    async serve(app: App, req: IncomingMessage, res: ServerResponse, url: URL, claimed: Caller): Promise<void> {
      const target = req.headers['x-amz-target'];
      const json = typeof target === 'string';
      const cborOp = json ? undefined : CBOR_PATH.exec(url.pathname)?.[1];
      const requestId = randomUUID();
      const limit = app.config.maxBodyBytes;
      const fail = (status: number, code: string, message: string) => {
        if (json) return sendRaw(res, jsonError(status, code, message, requestId));
        if (cborOp) return sendRaw(res, cborError(status, code, message, requestId));
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
        const e = authApiError(err, json || cborOp ? 'json' : 'query');
        return fail(e.status, e.code, e.message);
      }
      let body: Buffer;
      try {
        body = decodeContentEncoding(req, raw, limit);
      } catch {
        return fail(400, json ? 'SerializationException' : 'MalformedInput', 'The request body could not be decompressed (Content-Encoding: gzip).');
      }
      let reply: Reply & { requestId?: string };
      if (cborOp) {
        let text: string;
        try {
          text = cborToJsonText(decodeCbor(body));
        } catch (err) {
          if (!(err instanceof CborError)) throw err;
          return fail(400, 'SerializationException', err.message);
        }
        reply = await handleJson(app, provider, cborOp, text, caller);
        const parsed = JSON.parse(reply.body) as Record<string, unknown>;
        if (reply.status !== 200) {
          return sendRaw(res, cborError(reply.status, String(parsed.__type), String(parsed.message), reply.requestId ?? requestId));
        }
        const op = provider.model.operations[cborOp]!;
        sendRaw(res, {
          status: 200,
          headers: { 'Content-Type': 'application/cbor', 'smithy-protocol': 'rpc-v2-cbor', 'x-amzn-RequestId': reply.requestId ?? requestId },
          body: encodeCborOutput(provider.model, op.output, parsed),
        });
      } else if (json) {
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
        const op = json ? target.slice(target.indexOf('.') + 1) : (cborOp ?? 'query');
        console.log(`${new Date().toISOString()} ${caller.account} ${caller.region ?? '-'} ${provider.name}.${op} ${reply.status}`);
      }
    },
  };
}
