/**
 * The single HTTP endpoint: reads the request, decides which service it is for (credential
 * scope, X-Amz-Target, Action), and hands it to that service's protocol.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { checkAuthConfig } from '../config.js';
import { renderJsonError } from '../protocol/json-protocol.js';
import { jsonObject } from '../protocol/json-body.js';
import { renderEc2Error, renderQueryError } from '../protocol/xml-output.js';
import type { Protocol, ServiceProvider } from '../services/context.js';
import { type App, handleJson, type Reply } from './app.js';
import { authApiError, type Authenticated, AuthError, type Caller, identifyCaller, type SignedRequest, verifySigV4 } from './auth.js';
import { VERSION } from '../version.js';
import { setVpnTunnelStatus } from '../services/ec2/vpn-connections.js';
import { handleTrace } from './trace-route.js';
import { handleExposure } from './exposure-route.js';
import { handleTrafficEndpoint, isTrafficPath, resumeTraffic, stopTraffic } from './traffic-route.js';
import { isConsolePath, serveConsole } from './console-static.js';
import { BodyTooLarge, readBodyLimited } from './raw.js';

/**
 * Waits (a little) for the rest of a refused body: answering while the client is still
 * sending, and then closing, makes the connection reset and can lose the answer.
 */
function drained(req: IncomingMessage, ms: number): Promise<void> {
  if (req.complete || req.readableEnded || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, ms);
    req.once('end', done);
    req.once('close', done);
    req.once('error', done);
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

function signedRequest(req: IncomingMessage, body: Buffer): SignedRequest {
  return { method: req.method ?? 'GET', rawUrl: req.url ?? '/', rawHeaders: req.rawHeaders, body };
}

/** A failed SigV4 verification, answered in the protocol of the service addressed. */
function authErrorReply(err: AuthError, protocol: Protocol, provider?: ServiceProvider): Reply {
  const e = authApiError(err, protocol);
  const requestId = randomUUID();
  if (protocol === 'json') {
    const version = provider?.model.metadata.jsonVersion ?? '1.1';
    return { status: e.status, contentType: `application/x-amz-json-${version}`, body: renderJsonError(e.code, e.message), errorType: e.code };
  }
  const body = protocol === 'ec2' ? renderEc2Error(e.code, e.message, requestId) : renderQueryError(e.code, e.message, requestId, true);
  return { status: e.status, contentType: 'text/xml;charset=UTF-8', body };
}

/**
 * vpcsim's own state-changing endpoints in sigv4 mode: they need a signed request too (any
 * service in the credential scope), and `admin` ones a credential marked admin. Returns the
 * signer, or the reply refusing the request. In "none" mode everything is open.
 */
function authorizeOwnEndpoint(app: App, req: IncomingMessage, body: Buffer, admin: boolean): { signer?: Authenticated; refusal?: Reply } {
  if (app.config.auth !== 'sigv4') return {};
  let signer: Authenticated;
  try {
    signer = verifySigV4(signedRequest(req, body), app.config.credentials);
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    const e = authApiError(err, 'json');
    return { refusal: json(e.status, { error: e.code, message: e.message }) };
  }
  if (admin && !signer.credential.admin) {
    return {
      refusal: json(403, { error: 'AccessDenied', message: `Access key ${signer.caller.accessKeyId} is not marked admin; only admin credentials may reset vpcsim.` }),
    };
  }
  return { signer };
}

/**
 * vpcsim's own JSON endpoints (tunnel status, trace, exposure) in sigv4 mode act in the signer's
 * account (and region, unless the body names one); only an admin key may name another account.
 */
function scopeToSigner(body: string, signer: Authenticated | undefined): { body: string; refusal?: Reply } {
  if (!signer) return { body };
  const o = jsonObject(body);
  if (!o) return { body }; // the endpoint answers malformed bodies itself
  if (o.account !== undefined && o.account !== signer.caller.account && !signer.credential.admin) {
    return { body, refusal: json(403, { error: 'AccessDenied', message: `Access key ${signer.caller.accessKeyId} may only act in account ${signer.caller.account}.` }) };
  }
  o.account ??= signer.caller.account;
  if (signer.caller.region) o.region ??= signer.caller.region;
  return { body: JSON.stringify(o) };
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
  const method = req.method ?? 'GET';
  // JSON-protocol requests get their errors in JSON, from the first one on.
  const jsonRequest = typeof req.headers['x-amz-target'] === 'string';
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://localhost');
  } catch {
    req.resume();
    return send(res, xmlError(400, 'InvalidURI', "Couldn't parse the specified URI."));
  }
  // The console's static files (and a browser opening the endpoint's root is sent there).
  if (isConsolePath(url.pathname)) {
    const r = serveConsole(method, url.pathname);
    res.writeHead(r.status, { ...r.headers, Server: 'vpcsim' });
    req.resume();
    res.end(method === 'HEAD' ? undefined : r.body);
    return;
  }
  if (method === 'GET' && url.pathname === '/' && !url.search && !req.headers.authorization && /text\/html/.test(String(req.headers.accept ?? ''))) {
    req.resume();
    res.writeHead(302, { Location: '/console/', 'Content-Length': 0, Server: 'vpcsim' });
    res.end();
    return;
  }

  // Services that read and answer their own requests (S3's REST API, CloudWatch's JSON).
  if (!url.pathname.startsWith('/_vpcsim/') && !url.pathname.startsWith('/moto-api/')) {
    const early = identifyCaller(req.headers, url.searchParams, app.config.accountId, app.config.credentials);
    for (const p of app.providers.values()) {
      if (p.http?.claims(req, url, early)) return p.http.serve(app, req, res, url, early);
    }
  }
  let body: Buffer;
  try {
    body = await readBodyLimited(req, app.config.maxBodyBytes);
  } catch (err) {
    if (err instanceof BodyTooLarge) {
      const message = err.message;
      const reply: Reply = jsonRequest
        ? { status: 413, contentType: 'application/x-amz-json-1.1', body: JSON.stringify({ __type: 'RequestEntityTooLarge', message }), errorType: 'RequestEntityTooLarge' }
        : xmlError(413, 'RequestEntityTooLarge', message);
      await drained(req, 2_000);
      send(res, reply);
    } else {
      res.destroy();
    }
    return;
  }

  // vpcsim's own endpoints.
  if (url.pathname === '/moto-api/reset' || url.pathname === '/_vpcsim/reset') {
    if (method !== 'POST') return send(res, json(405, { error: 'use POST' }));
    const { refusal } = authorizeOwnEndpoint(app, req, body, true);
    if (refusal) return send(res, refusal);
    await app.reset();
    return send(res, json(200, { status: 'ok' }));
  }
  if (url.pathname === '/_vpcsim/health') {
    return send(res, json(200, { status: 'running', version: VERSION, services: [...app.providers.keys()] }));
  }
  if (url.pathname === '/_vpcsim/vpn-tunnel-status') {
    if (method !== 'POST') return send(res, json(405, { error: 'use POST' }));
    const { signer, refusal } = authorizeOwnEndpoint(app, req, body, false);
    if (refusal) return send(res, refusal);
    const scoped = scopeToSigner(body.toString('utf8'), signer);
    if (scoped.refusal) return send(res, scoped.refusal);
    const r = await app.exclusive(() => setVpnTunnelStatus(app, scoped.body));
    return send(res, json(r.status, r.body));
  }
  // Questions about the current state, answered in the caller's account when requests are signed.
  const question = url.pathname === '/_vpcsim/trace' ? handleTrace : url.pathname === '/_vpcsim/exposure' ? handleExposure : undefined;
  if (question) {
    if (method !== 'POST') return send(res, json(405, { error: 'use POST' }));
    const { signer, refusal } = authorizeOwnEndpoint(app, req, body, false);
    if (refusal) return send(res, refusal);
    const scoped = scopeToSigner(body.toString('utf8'), signer);
    if (scoped.refusal) return send(res, scoped.refusal);
    await app.sync();
    const r = question(app, scoped.body);
    return send(res, json(r.status, r.body));
  }

  if (isTrafficPath(url.pathname)) {
    const { signer, refusal } = method === 'GET' ? {} : authorizeOwnEndpoint(app, req, body, false);
    if (refusal) return send(res, refusal);
    const actor = signer && { account: signer.caller.account, region: signer.caller.region, admin: !!signer.credential.admin, accessKeyId: signer.caller.accessKeyId };
    const r = await handleTrafficEndpoint(app, method, url.pathname, body.toString('utf8'), actor);
    return send(res, json(r.status, r.body));
  }

  const claimed = identifyCaller(req.headers, url.searchParams, app.config.accountId, app.config.credentials);
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
  const dot = typeof target === 'string' ? target.lastIndexOf('.') : -1;
  const jsonProvider =
    typeof target === 'string'
      ? [...app.providers.values()].find((p) => p.protocol === 'json' && p.model.metadata.targetPrefix === target.slice(0, dot))
      : undefined;
  const queryProvider = typeof target === 'string' ? undefined : routeQuery(app, claimed.service, params.get('Action'));

  // sigv4 mode: the signature decides who is calling; without it, the request names itself.
  let caller: Caller = claimed;
  if (app.config.auth === 'sigv4') {
    const protocol: Protocol = typeof target === 'string' ? 'json' : (queryProvider?.protocol ?? 'ec2');
    const addressed = jsonProvider ?? queryProvider;
    try {
      caller = verifySigV4(signedRequest(req, body), app.config.credentials, Date.now(), addressed?.name).caller;
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      const reply = authErrorReply(err, protocol, addressed);
      if (app.config.logRequests) {
        console.log(`${new Date().toISOString()} - ${claimed.region ?? '-'} ${addressed?.name ?? '?'}.auth ${authApiError(err, protocol).code} ${reply.status}`);
      }
      return send(res, reply);
    }
  }

  if (typeof target === 'string') {
    const operation = target.slice(dot + 1);
    if (!jsonProvider) {
      return send(res, json(400, { __type: 'UnknownOperationException', message: `vpcsim does not serve ${target}.` }));
    }
    const pending = handleJson(app, jsonProvider, operation, body.toString('utf8'), caller);
    const reply = pending instanceof Promise ? await pending : pending;
    if (app.config.logRequests) {
      console.log(`${new Date().toISOString()} ${caller.account} ${caller.region ?? '-'} ${jsonProvider.name}.${operation} ${reply.status}`);
    }
    return send(res, reply, reply.requestId);
  }
  const provider = queryProvider;
  if (!provider || (provider.protocol !== 'ec2' && provider.protocol !== 'query')) {
    return send(res, xmlError(400, 'InvalidAction', `The service ${caller.service ?? '?'} is not served by vpcsim.`));
  }
  const pending = app.handleQuery(provider, params, caller);
  const reply = pending instanceof Promise ? await pending : pending;
  if (app.config.logRequests) {
    console.log(`${new Date().toISOString()} ${caller.account} ${caller.region ?? '-'} ${provider.name}.${params.get('Action')} ${reply.status}`);
  }
  send(res, reply);
}

export function createHttpServer(app: App): Server {
  checkAuthConfig(app.config);
  const server = createServer((req, res) => {
    handle(app, req, res).catch((err) => {
      console.error('vpcsim: request failed:', err);
      if (!res.headersSent) send(res, xmlError(500, 'InternalError', 'An internal error has occurred'));
      else res.destroy();
    });
  });
  // Requests Node's HTTP parser refuses (bad request line, header or length, headers too
  // large) still get an answer in the EC2 error envelope, when Node would answer them itself:
  // unless an answer to an earlier request on the connection is being written.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const [status, code, message] =
        err.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'RequestHeaderSectionTooLarge', 'The request headers are too large.']
          : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? [408, 'RequestTimeout', 'The request was not received in time.']
            : [400, 'MalformedHTTPRequest', `The request is not valid HTTP/1.1 (${err.code ?? 'parse error'}).`];
      const body = renderEc2Error(code, message, 'vpcsim');
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: text/xml;charset=UTF-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nServer: vpcsim\r\nConnection: close\r\n\r\n${body}`,
      );
      // The client has a moment to read the answer; then the connection goes, whatever it does.
      socket.once('finish', () => setTimeout(() => socket.destroy(), 1_000).unref());
    } else {
      socket.destroy();
    }
  });
  server.once('listening', () => resumeTraffic(app));
  server.once('close', () => stopTraffic(app));
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

