/**
 * The single HTTP endpoint: reads the request, decides which service it is for (credential
 * scope, X-Amz-Target, Action), and hands it to that service's protocol.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderEc2Error } from '../protocol/xml-output.js';
import type { ServiceProvider } from '../services/context.js';
import { type App, handleJson, type Reply } from './app.js';
import { identifyCaller } from './auth.js';
import { VERSION } from '../version.js';
import { setVpnTunnelStatus } from '../services/ec2/vpn-connections.js';

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      reject(new BodyTooLarge());
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: Reply, requestId?: string): void {
  const headers: Record<string, string | number> = {
    'Content-Type': reply.contentType,
    'Content-Length': Buffer.byteLength(reply.body),
    Server: 'vpcsim',
  };
  if (requestId) headers['x-amzn-RequestId'] = requestId;
  if (reply.errorType) headers['x-amzn-ErrorType'] = reply.errorType;
  res.writeHead(reply.status, headers);
  res.end(reply.body);
}

function json(status: number, value: unknown): Reply {
  return { status, contentType: 'application/json', body: JSON.stringify(value) };
}

function xmlError(status: number, code: string, message: string): Reply {
  return { status, contentType: 'text/xml;charset=UTF-8', body: renderEc2Error(code, message, 'vpcsim') };
}

/** Which provider a query-protocol request is for. */
function routeQuery(app: App, service: string | undefined, action: string | null): ServiceProvider | undefined {
  if (service && app.providers.has(service)) return app.providers.get(service);
  if (action) {
    for (const p of app.providers.values()) {
      if ((p.protocol === 'ec2' || p.protocol === 'query') && Object.hasOwn(p.model.operations, action)) return p;
    }
  }
  return app.providers.get('ec2');
}

export async function handle(app: App, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = req.method ?? 'GET';
  let body: Buffer;
  try {
    body = await readBody(req, app.config.maxBodyBytes);
  } catch (err) {
    if (err instanceof BodyTooLarge) {
      send(res, xmlError(413, 'RequestEntityTooLarge', `The request body is larger than ${app.config.maxBodyBytes} bytes.`));
    } else {
      res.destroy();
    }
    return;
  }

  // vpcsim's own endpoints.
  if (url.pathname === '/moto-api/reset' || url.pathname === '/_vpcsim/reset') {
    if (method !== 'POST') return send(res, json(405, { error: 'use POST' }));
    app.reset();
    return send(res, json(200, { status: 'ok' }));
  }
  if (url.pathname === '/_vpcsim/health') {
    return send(res, json(200, { status: 'running', version: VERSION, services: [...app.providers.keys()] }));
  }
  if (url.pathname === '/_vpcsim/vpn-tunnel-status') {
    if (method !== 'POST') return send(res, json(405, { error: 'use POST' }));
    const r = setVpnTunnelStatus(app, body.toString('utf8'));
    return send(res, json(r.status, r.body));
  }

  const caller = identifyCaller(req.headers, url.searchParams, app.config.accountId);
  const contentType = String(req.headers['content-type'] ?? '');
  let params: URLSearchParams;
  if (method === 'POST' && /x-www-form-urlencoded/i.test(contentType)) {
    params = new URLSearchParams(body.toString('utf8'));
    for (const [k, v] of url.searchParams) if (!params.has(k)) params.append(k, v);
  } else if (method === 'GET' || method === 'POST') {
    params = url.searchParams;
    if (method === 'POST' && body.length > 0 && !req.headers['x-amz-target'] && !contentType) {
      params = new URLSearchParams(body.toString('utf8'));
    }
  } else {
    return send(res, xmlError(405, 'InvalidAction', `The HTTP method ${method} is not supported here.`));
  }
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    const dot = target.lastIndexOf('.');
    const prefix = target.slice(0, dot);
    const operation = target.slice(dot + 1);
    const jsonProvider = [...app.providers.values()].find(
      (p) => p.protocol === 'json' && p.model.metadata.targetPrefix === prefix,
    );
    if (!jsonProvider) {
      return send(res, json(400, { __type: 'UnknownOperationException', message: `vpcsim does not serve ${target}.` }));
    }
    const reply = handleJson(app, jsonProvider, operation, body.toString('utf8'), caller);
    if (app.config.logRequests) {
      console.log(`${new Date().toISOString()} ${caller.account} ${caller.region ?? '-'} ${jsonProvider.name}.${operation} ${reply.status}`);
    }
    return send(res, reply, reply.requestId);
  }
  const provider = routeQuery(app, caller.service, params.get('Action'));
  if (!provider || (provider.protocol !== 'ec2' && provider.protocol !== 'query')) {
    return send(res, xmlError(400, 'InvalidAction', `The service ${caller.service ?? '?'} is not served by vpcsim.`));
  }
  const reply = app.handleQuery(provider, params, caller);
  if (app.config.logRequests) {
    console.log(`${new Date().toISOString()} ${caller.account} ${caller.region ?? '-'} ${provider.name}.${params.get('Action')} ${reply.status}`);
  }
  send(res, reply);
}

export function createHttpServer(app: App): Server {
  const server = createServer((req, res) => {
    handle(app, req, res).catch((err) => {
      console.error('vpcsim: request failed:', err);
      if (!res.headersSent) send(res, xmlError(500, 'InternalError', 'An internal error has occurred'));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 120_000;
  return server;
}

export function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

