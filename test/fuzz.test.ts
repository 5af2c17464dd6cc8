/**
 * Bad input: a bounded, seeded fuzz of the endpoint. More than 10,000 malformed or hostile
 * requests (broken query strings and encodings, invalid UTF-8, huge and deeply nested
 * parameters, wrong types, invalid CIDRs and IDs, hostile text in tags and descriptions,
 * unknown actions, versions, methods and protocols, JSON for Direct Connect and the other
 * JSON services, AWS-query services, vpcsim's own endpoints, raw HTTP, bodies over the
 * limit, hostile credential scopes, and create-then-mutate sequences that reach deep into
 * the handlers) must each get a well-formed AWS error (4xx, in the envelope of the protocol
 * that was spoken) or a correct answer: never a 5xx, never a hang, never a crash; afterwards
 * the state passes the integrity check (test/integrity.ts).
 *
 * The server runs in a worker thread (test/fuzz-worker.ts), so that a request that never
 * finishes is caught by its timeout even if it keeps the server busy, and a crash shows.
 * Requests go in a few lanes side by side, each with its own generator and accounts.
 *
 * The generator is deterministic: VPCSIM_FUZZ_SEED=<n> replays a run's requests (the seed
 * is printed with every failure, with the failing request in full; replies can still differ
 * a little where time passes or lanes share the default account), VPCSIM_FUZZ_REQUESTS=<n>
 * changes its length.
 *
 * Also here: the request body and parameter count limits answer 4xx with a clear message.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { ServiceModel, Shape, ShapeRef } from '../src/protocol/model.js';
import { MAX_PARAMS } from '../src/protocol/query-input.js';
import { allKinds } from '../src/services/ec2/resources.js';
import { allProviders } from '../src/services/registry.js';
import type { WorkerStats } from './fuzz-worker.js';
import { defaultConfig } from '../src/config.js';
import { startTestServer, type TestServer } from './helpers.js';
import { checkIntegrity } from './integrity.js';
import { CreateSubnetCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';

const SEED = parseSeed(process.env.VPCSIM_FUZZ_SEED ?? '0x5eed');
const REQUESTS = Number(process.env.VPCSIM_FUZZ_REQUESTS ?? 12_000);
/** The fuzzed server's body limit: room for 1 MB values, cheap to exceed. */
const MAX_BODY = 4 * 1024 * 1024;
/** A request that takes longer than this is a hang. */
const TIMEOUT_MS = 15_000;
const HEALTH_EVERY = 250;
/** Independent request streams sent side by side (each deterministic on its own). */
const LANES = 3;
const EC2_VERSION = '2016-11-15';

function parseSeed(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`VPCSIM_FUZZ_SEED must be a number, not ${text}`);
  return n >>> 0;
}

// ---------------------------------------------------------------------------------------
// Deterministic randomness
// ---------------------------------------------------------------------------------------

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[this.int(16)];
    return s;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  /** One of `choices`, by weight. */
  weighted<T>(choices: ReadonlyArray<readonly [number, T]>): T {
    const total = choices.reduce((n, [w]) => n + w, 0);
    let r = this.next() * total;
    for (const [w, v] of choices) {
      r -= w;
      if (r < 0) return v;
    }
    return choices[choices.length - 1]![1];
  }
}

// ---------------------------------------------------------------------------------------
// Requests, replies, and what a good reply is
// ---------------------------------------------------------------------------------------

interface FuzzRequest {
  /** Which generator made it. */
  label: string;
  method: string;
  /** Path and query string, sent as given. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Sent over a plain socket, byte for byte (what fetch would refuse to send). */
  raw?: Buffer;
  /**
   * The envelope an error must come in: JSON for X-Amz-Target requests, else XML; vpcsim's
   * own endpoints answer JSON objects, errors as {error, message}.
   */
  expect: 'xml' | 'json' | 'own';
  /** The operation a 200 must answer (EC2/STS: the root element `${action}Response`). */
  action?: string;
}

interface Reply {
  status: number;
  contentType: string;
  body: Buffer;
  ms: number;
}

async function send(endpoint: string, req: FuzzRequest): Promise<Reply> {
  const t0 = performance.now();
  if (req.raw) return { ...(await sendRaw(endpoint, req.raw)), ms: performance.now() - t0 };
  const r = await fetch(`${endpoint}${req.path}`, {
    method: req.method,
    headers: req.headers,
    body: req.body ? new Uint8Array(req.body) : undefined,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const body = Buffer.from(await r.arrayBuffer());
  return { status: r.status, contentType: r.headers.get('content-type') ?? '', body, ms: performance.now() - t0 };
}

/** Writes the bytes, reads until the server closes (raw requests say `Connection: close`). */
function sendRaw(endpoint: string, bytes: Buffer): Promise<Omit<Reply, 'ms'>> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer within ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    sock.on('data', (c: Buffer) => chunks.push(c));
    // A reset after the answer (the server closing while bytes were still coming) is fine.
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearTimeout(timer);
      let all = Buffer.concat(chunks);
      // Interim answers (100 Continue) come first; the real one follows.
      while (/^HTTP\/1\.[01] 1\d\d /.test(all.subarray(0, 16).toString('latin1')) && all.indexOf('\r\n\r\n') >= 0) {
        all = all.subarray(all.indexOf('\r\n\r\n') + 4);
      }
      const end = all.indexOf('\r\n\r\n');
      const head = (end < 0 ? all : all.subarray(0, end)).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (!m) {
        reject(new Error(`no HTTP answer (${all.length} bytes: ${JSON.stringify(head.slice(0, 200))})`));
        return;
      }
      let body = end < 0 ? Buffer.alloc(0) : all.subarray(end + 4);
      const len = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (len) body = body.subarray(0, Number(len[1]));
      const ct = /\r\ncontent-type:\s*([^\r\n]*)/i.exec(head);
      resolve({ status: Number(m[1]), contentType: ct?.[1] ?? '', body });
    });
    sock.write(bytes);
  });
}

interface XNode {
  name: string;
  children: XNode[];
  text: string;
}

/**
 * A strict XML 1.0 well-formedness check (elements, attributes, references, comments,
 * CDATA, processing instructions; no DTDs), returning the element tree.
 */
export function parseXml(s: string): XNode {
  const bad = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.exec(s);
  if (bad) throw new Error(`character U+${bad[0].codePointAt(0)!.toString(16)} at ${bad.index} is not allowed in XML`);
  const NAME = /[A-Za-z_:\u00C0-\u02FF\u0370-\u1FFF\u200C\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD][A-Za-z0-9_:.\u00B7\u00C0-\u02FF\u0300-\u036F\u0370-\u1FFF\u200C\u200D\u203F\u2040\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD-]*/y;
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at offset ${i}: ${JSON.stringify(s.slice(Math.max(0, i - 40), i + 40))}`);
  };
  const name = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(s);
    if (!m) fail('expected a name');
    i += m![0].length;
    return m![0];
  };
  const ws = (): number => {
    const start = i;
    while (i < s.length && ' \t\r\n'.includes(s[i]!)) i++;
    return i - start;
  };
  /** Text up to `stop` with its references checked; returns it unescaped. */
  const chars = (stop: string, forbidden: string): string => {
    let out = '';
    while (i < s.length && !stop.includes(s[i]!)) {
      const c = s[i]!;
      if (forbidden.includes(c)) fail(`'${c}' not allowed here`);
      if (c === ']' && s.startsWith(']]>', i)) fail("']]>' in character data");
      if (c === '&') {
        const m = /^&(?:(lt|gt|amp|quot|apos)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));/.exec(s.slice(i, i + 12));
        if (!m) fail('bad entity or character reference');
        if (m![1]) out += { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }[m![1]]!;
        else {
          const cp = m![2] ? Number(m![2]) : parseInt(m![3]!, 16);
          const ok = cp === 9 || cp === 10 || cp === 13 || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
          if (!ok) fail(`character reference to U+${cp.toString(16)} is not allowed`);
          out += String.fromCodePoint(cp);
        }
        i += m![0].length;
      } else {
        out += c;
        i++;
      }
    }
    return out;
  };
  const misc = (): void => {
    for (;;) {
      ws();
      if (s.startsWith('<!--', i)) comment();
      else if (s.startsWith('<?', i)) pi();
      else return;
    }
  };
  const comment = (): void => {
    const end = s.indexOf('-->', i + 4);
    if (end < 0 || s.slice(i + 4, end).includes('--')) fail('bad comment');
    i = end + 3;
  };
  const pi = (): void => {
    i += 2;
    if (name().toLowerCase() === 'xml') fail('misplaced XML declaration');
    const end = s.indexOf('?>', i);
    if (end < 0) fail('unterminated processing instruction');
    i = end + 2;
  };
  const element = (depth: number): XNode => {
    if (depth > 200) fail('nesting too deep');
    if (s[i] !== '<') fail("expected '<'");
    i++;
    const node: XNode = { name: name(), children: [], text: '' };
    const attrs = new Set<string>();
    for (;;) {
      const spaced = ws() > 0;
      if (s.startsWith('/>', i)) {
        i += 2;
        return node;
      }
      if (s[i] === '>') {
        i++;
        break;
      }
      if (!spaced) fail('expected whitespace before an attribute');
      const a = name();
      if (attrs.has(a)) fail(`attribute ${a} repeated`);
      attrs.add(a);
      ws();
      if (s[i] !== '=') fail("expected '='");
      i++;
      ws();
      const q = s[i];
      if (q !== '"' && q !== "'") fail('expected a quoted attribute value');
      i++;
      chars(q!, '<');
      if (s[i] !== q) fail('unterminated attribute value');
      i++;
    }
    for (;;) {
      if (i >= s.length) fail(`element <${node.name}> is not closed`);
      if (s.startsWith('</', i)) {
        i += 2;
        const end = name();
        if (end !== node.name) fail(`</${end}> closes <${node.name}>`);
        ws();
        if (s[i] !== '>') fail("expected '>'");
        i++;
        return node;
      }
      if (s.startsWith('<!--', i)) comment();
      else if (s.startsWith('<![CDATA[', i)) {
        const end = s.indexOf(']]>', i + 9);
        if (end < 0) fail('unterminated CDATA');
        node.text += s.slice(i + 9, end);
        i = end + 3;
      } else if (s.startsWith('<?', i)) pi();
      else if (s.startsWith('<!', i)) fail('declarations are not allowed in content');
      else if (s[i] === '<') node.children.push(element(depth + 1));
      else node.text += chars('<', '');
    }
  };
  if (s.startsWith('<?xml')) {
    const m = /^<\?xml\s+version\s*=\s*(["'])1\.[0-9]+\1(\s+encoding\s*=\s*(["'])[A-Za-z][A-Za-z0-9._-]*\3)?(\s+standalone\s*=\s*(["'])(yes|no)\5)?\s*\?>/.exec(s);
    if (!m) fail('bad XML declaration');
    i = m![0].length;
  }
  misc();
  if (s.startsWith('<!DOCTYPE', i)) fail('DTDs are not expected');
  const root = element(0);
  misc();
  if (i !== s.length) fail('content after the root element');
  return root;
}

function child(n: XNode | undefined, name: string): XNode | undefined {
  return n?.children.find((c) => c.name === name);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** What is wrong with this reply to this request; undefined when it is a good one. */
function problemWith(req: FuzzRequest, reply: Reply): string | undefined {
  const { status } = reply;
  if (status >= 500) return `server error ${status}`;
  if (status < 200 || (status >= 300 && status < 400) || (status > 200 && status < 300)) return `unexpected status ${status}`;
  if (reply.ms > TIMEOUT_MS) return `took ${Math.round(reply.ms)} ms`;
  if (req.method === 'HEAD') return undefined;
  let text: string;
  try {
    text = utf8.decode(reply.body);
  } catch {
    return 'the body is not valid UTF-8';
  }
  const isJson = /json/i.test(reply.contentType);
  if (req.expect === 'own') {
    if (!isJson) return `expected a JSON answer, got content-type ${reply.contentType}`;
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return 'the body is not valid JSON';
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'the JSON body is not an object';
    if (status !== 200 && typeof (doc as { error?: unknown }).error !== 'string') return 'the JSON error has no error field';
    return undefined;
  }
  if (req.expect === 'json') {
    if (!isJson) return `expected a JSON answer, got content-type ${reply.contentType}`;
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return 'the body is not valid JSON';
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'the JSON body is not an object';
    if (status === 200) return undefined;
    const e = doc as { __type?: unknown; message?: unknown };
    if (typeof e.__type !== 'string' || e.__type === '') return 'the JSON error has no __type';
    if (typeof e.message !== 'string') return 'the JSON error has no message';
    return undefined;
  }
  if (!/xml/i.test(reply.contentType)) return `expected an XML answer, got content-type ${reply.contentType}`;
  let root: XNode;
  try {
    root = parseXml(text);
  } catch (err) {
    return `the XML body is not well-formed: ${(err as Error).message}`;
  }
  if (status === 200) {
    if (req.action && root.name !== `${req.action}Response`) return `answer <${root.name}> to ${req.action}`;
    if (!/^[A-Z][A-Za-z0-9]*Response$/.test(root.name)) return `answer with root <${root.name}>`;
    if (!child(root, 'requestId') && !child(child(root, 'ResponseMetadata'), 'RequestId')) return 'answer without a request ID';
    return undefined;
  }
  let error: XNode | undefined;
  if (root.name === 'Response') {
    error = child(child(root, 'Errors'), 'Error');
    if (!child(root, 'RequestID')) return 'EC2 error without RequestID';
  } else if (root.name === 'ErrorResponse') {
    error = child(root, 'Error');
    if (!child(error, 'Type')) return 'query error without Type';
    if (!child(root, 'RequestId')) return 'query error without RequestId';
  } else return `error with root <${root.name}>`;
  const code = child(error, 'Code')?.text;
  if (!code) return 'error without a Code';
  if (!child(error, 'Message')) return 'error without a Message';
  if (code === 'InternalError') return 'InternalError';
  return undefined;
}

function errorCodeOf(reply: Reply): string {
  const text = reply.body.toString('utf8');
  return /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? /"__type":"([^"]*)"/.exec(text)?.[1] ?? '';
}

// ---------------------------------------------------------------------------------------
// What the generators draw from
// ---------------------------------------------------------------------------------------

const providers = allProviders();
const ec2 = providers.find((p) => p.name === 'ec2')!;
const sts = providers.find((p) => p.name === 'sts')!;
const dx = providers.find((p) => p.model.metadata.targetPrefix === 'OvertureService')!;
/** Every JSON-protocol service (Direct Connect first), and every AWS-query one (STS, ...). */
const JSON_PROVIDERS = providers.filter((p) => p.protocol === 'json' && p.model.metadata.targetPrefix && Object.keys(p.handlers).length);
const QUERY_PROVIDERS = providers.filter((p) => p.protocol === 'query' && Object.keys(p.handlers).length);
const EC2_MODEL = ec2.model;
const EC2_ACTIONS = Object.keys(ec2.handlers).sort();
const EC2_UNIMPLEMENTED = Object.keys(EC2_MODEL.operations)
  .filter((o) => !Object.hasOwn(ec2.handlers, o))
  .sort();
const DX_OPS = Object.keys(dx.handlers).sort();
const DX_PREFIX = dx.model.metadata.targetPrefix!;

const ID_PREFIXES = [
  ...new Set([
    ...allKinds().map((k) => k.prefix),
    ...['ami', 'vpce', 'vpce-svc', 'pl', 'pcx', 'nat', 'cgw', 'vgw', 'vpn', 'eipassoc', 'rtbassoc', 'aclassoc', 'sgr'],
    ...['eni-attach', 'subnet-cidr-assoc', 'vpc-cidr-assoc', 'dxcon', 'dxvif', 'igw', 'eigw', 'dopt', 'i', 'sg', 'acl'],
  ]),
].sort();

/** Fragments of hostile text: XML specials, control characters, odd Unicode, protocol bytes. */
const PIECES = [
  '<', '>', '&', '"', "'", ']]>', '<![CDATA[', '&amp;', '&#0;', '&#x1F;', '<!--', '<?xml', '</Response>',
  '\u0000', '\u0001', '\u0008', '\u000b', '\u000c', '\u001f', '\u007f', '\u0085', '\t', '\r\n', '\r', '\n',
  '\uFFFE', '\uFFFF', '\uD800', '\uDFFF', '\uFEFF', '😀', '🦄\u200d', '\u202E', '\u200B', '\u0301', 'é', 'ｅ',
  '中文', 'Ω', 'ß', 'İ', 'aws:', 'AWS:', ' ', '%', '%00', '%zz', '+', '=', '&Action=DeleteVpc', '.', '*', '?',
  '\\', '${x}', '{{x}}', '__proto__', 'constructor', 'toString', 'Name', 'default', 'a', 'x', '0', '-1', 'null',
  "'; DROP TABLE records; --", '../..', 'vpc-', 'sg-12345678', '10.0.0.0/16', 'item', '<item>',
];

const BAD_CIDRS = [
  '10.0.0.0/33', '::/200', '1.2.3', '256.0.0.0/8', '10.0.0.0/-1', '10.0.0.0/', '/16', '10.0.0.0/16/16',
  '10.0.0.0.0/8', '1.2.3.4/abc', '0x0a.0.0.0/8', '010.0.0.0/8', ' 10.0.0.0/16', '10.0.0.0 /16', '10.0.0.1/8',
  'fe80::/129', ':::/64', '2001:db8::g/64', '10.0.0.0/08', '10.0.0.0/+8', '１０.0.0.0/8', '10.0.0.0/16\u0000',
  '', '10.0.0.0/1e1', '10.0.0.0/0x10', '2001:db8::/-1', '2001:db8:::/48', '::ffff:10.0.0.0/104', '1.1.1.1/32/',
  '10.0.0.0/9999999999999999999', '*', '0.0.0.0/0.0.0.0', '10.0.0.0/255.255.0.0', 'a.b.c.d/8',
];
const BAD_IPS = ['1.2.3', '256.1.1.1', '10.0.0.-1', '::1', '', '0x0a000001', '10.0.0.1/32', ' 10.0.0.5', '10.0.0.05', '1.2.3.4.5', '::', 'localhost'];
const BAD_INTS = ['', 'abc', '1.5', '1e3', '0x10', '99999999999999999999', '2147483648', '-2147483649', '9223372036854775808', ' 5', '5 ', '+5', '-0', '０', 'NaN', 'Infinity', '1,000', '٣', '-', '--1'];
const BAD_BOOLS = ['', 'yes', 'no', '1', '0', 'TRUE', 'True', 'on', 'null', 'truee', ' true', 'true\u0000'];
const BAD_TIMES = ['notadate', '2024-13-45T00:00:00Z', '99999999999999999999', '', '1e400', '-1', '2024-02-30T00:00:00Z', 'T', '1.5.5', '+275760-09-13T00:00:00.001Z'];
const BAD_LIST_INDEXES = ['0', '-1', '99999999', '100001', '1e2', '01', 'x', '+1', '１', '18446744073709551616', '1.5', ' 1', 'NaN'];
const PROTOCOLS = ['tcp', 'udp', 'icmp', 'icmpv6', '-1', '6', '17', '1', '58', 'all', '999', '256', '-2', 'TCP', '47', '50', ''];
const FILTER_NAMES = [
  'vpc-id', 'subnet-id', 'tag:Name', 'tag-key', 'tag-value', 'cidr', 'cidr-block', 'cidrBlock', 'state', 'owner-id',
  'group-id', 'group-name', 'availability-zone', 'ip-permission.from-port', 'ip-permission.cidr', 'association.main',
  'attachment.state', 'is-default', 'isDefault', 'resource-id', 'resource-type', 'key', 'value', 'default',
  'network-acl-id', 'route-table-id', 'route.destination-cidr-block', 'entry.rule-number', 'private-ip-address',
  'addresses.private-ip-address', 'instance-state-name', 'domain', 'public-ip', 'description', 'egress',
  'tag:', 'tag:<>&', '__proto__', 'constructor', 'hasOwnProperty', '', '*', 'vpc-id\u0000',
];

// ---------------------------------------------------------------------------------------
// IDs and CIDRs the server has handed out, so that generated requests find real resources
// ---------------------------------------------------------------------------------------

class Pool {
  private readonly byKey = new Map<string, string[]>();
  readonly cidrs: string[] = [];
  readonly ips: string[] = [];
  private readonly anyIds: string[] = [];

  private static push(list: string[], v: string, cap = 64): void {
    if (list.includes(v)) return;
    list.push(v);
    if (list.length > cap) list.shift();
  }

  learn(text: string): void {
    for (const m of text.matchAll(/<([a-zA-Z]*Id)>([^<]{1,100})<\/\1>/g)) this.add(m[1]!, m[2]!);
    for (const m of text.matchAll(/"([a-zA-Z]*Id)":"([^"\\]{1,100})"/g)) this.add(m[1]!, m[2]!);
    for (const m of text.matchAll(/<(?:cidrBlock|cidrIp|cidrIpv4|destinationCidrBlock)>(\d+\.\d+\.\d+\.\d+\/\d+)</g)) {
      Pool.push(this.cidrs, m[1]!);
    }
    for (const m of text.matchAll(/<(?:privateIpAddress|publicIp)>(\d+\.\d+\.\d+\.\d+)</g)) Pool.push(this.ips, m[1]!);
  }

  add(key: string, value: string): void {
    const k = key.toLowerCase();
    const list = this.byKey.get(k) ?? [];
    Pool.push(list, value);
    this.byKey.set(k, list);
    if (/^[a-z]+(-[a-z]+)*-[0-9a-z]{8,17}$/.test(value)) Pool.push(this.anyIds, value, 256);
  }

  /** A known value for a member called `key` ("VpcId", "GroupIds", ...). */
  get(rng: Rng, key: string): string | undefined {
    const k = key.toLowerCase().replace(/ids$/, 'id');
    const list = this.byKey.get(k) ?? (k.endsWith('associationid') ? this.byKey.get('associationid') : undefined);
    return list?.length ? rng.pick(list) : undefined;
  }

  anyId(rng: Rng): string | undefined {
    return this.anyIds.length ? rng.pick(this.anyIds) : undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------

function hostileText(rng: Rng): string {
  const r = rng.next();
  if (r < 0.03) return rng.pick(['a', 'x', '<', '😀']).repeat(rng.pick([255, 256, 257, 1000, 4096, 65536]));
  let s = '';
  for (let n = rng.between(0, 5); n > 0; n--) s += rng.chance(0.3) ? rng.hex(rng.between(1, 8)) : rng.pick(PIECES);
  return s;
}

function fakeId(rng: Rng, prefix = rng.pick(ID_PREFIXES)): string {
  switch (rng.int(12)) {
    case 0:
    case 1:
    case 2:
    case 3:
      return `${prefix}-${rng.hex(17)}`;
    case 4:
      return `${prefix}-${rng.hex(8)}`;
    case 5:
      return `${prefix}-`;
    case 6:
      return `${prefix}-${rng.hex(16)}`;
    case 7:
      return `${prefix}-${rng.hex(17).toUpperCase()}`;
    case 8:
      return `${prefix}-${rng.hex(18)}`;
    case 9:
      return rng.chance(0.5) ? `${prefix}_${rng.hex(17)}` : `${prefix.toUpperCase()}-${rng.hex(17)}`;
    case 10:
      return `${prefix}-zzzzzzzzzzzzzzzzz`;
    default:
      return `${prefix}-${rng.hex(8)}${rng.pick(PIECES)}`;
  }
}

function ip4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function parse4(cidr: string): { base: number; prefix: number } | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) return undefined;
  const base = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  return { base, prefix: Number(m[5]) };
}

/** A block inside `cidr` (or the block itself), of a size a subnet can have. */
function subBlock(rng: Rng, cidr: string, minPrefix = 16, maxPrefix = 28): string {
  const c = parse4(cidr);
  if (!c) return cidr;
  const prefix = rng.between(Math.max(c.prefix, minPrefix), Math.max(c.prefix, maxPrefix));
  const slots = 2 ** (prefix - c.prefix);
  const offset = rng.int(Math.min(slots, 4096)) * 2 ** (32 - prefix);
  return `${ip4((c.base + offset) >>> 0)}/${prefix}`;
}

function cidrValue(rng: Rng, pool: Pool): string {
  const r = rng.next();
  if (r < 0.45 && pool.cidrs.length) return subBlock(rng, rng.pick(pool.cidrs));
  if (r < 0.75) {
    return rng.pick([
      () => `10.${rng.int(256)}.0.0/16`,
      () => `10.${rng.int(256)}.${rng.int(256)}.0/24`,
      () => `172.${rng.between(16, 31)}.${rng.int(16) * 16}.0/20`,
      () => `192.168.${rng.int(256)}.${rng.int(16) * 16}/28`,
      () => '0.0.0.0/0',
      () => `${ip4(rng.int(2 ** 32))}/32`,
      () => `${ip4(rng.int(2 ** 32))}/${rng.int(33)}`,
      () => `2600:1f18:${rng.hex(4)}:${rng.hex(2)}00::/56`,
      () => `2600:1f18:${rng.hex(4)}:${rng.hex(4)}::/64`,
      () => '::/0',
    ])();
  }
  return rng.pick(BAD_CIDRS);
}

function ipValue(rng: Rng, pool: Pool): string {
  const r = rng.next();
  if (r < 0.3 && pool.ips.length) return rng.pick(pool.ips);
  if (r < 0.6 && pool.cidrs.length) {
    const c = parse4(rng.pick(pool.cidrs));
    if (c) return ip4((c.base + rng.int(Math.min(2 ** (32 - c.prefix), 4096))) >>> 0);
  }
  if (r < 0.8) return ip4(rng.int(2 ** 32));
  return rng.pick(BAD_IPS);
}

function idValue(rng: Rng, pool: Pool, key: string): string {
  const r = rng.next();
  if (r < 0.6) return pool.get(rng, key) ?? pool.anyId(rng) ?? fakeId(rng);
  if (r < 0.7) return pool.anyId(rng) ?? fakeId(rng);
  if (r < 0.95) return fakeId(rng);
  return hostileText(rng);
}

function intValue(rng: Rng, name: string): string {
  if (rng.chance(0.12)) return rng.pick(BAD_INTS);
  if (/Port|^From$|^To$/.test(name)) return String(rng.pick([-1, 0, 1, 22, 80, 443, 1024, 65535, 65536, -2, rng.int(65536)]));
  if (/MaxResults/.test(name)) return String(rng.pick([1, 4, 5, 6, 10, 100, 1000, 1001, 0, -1]));
  if (/RuleNumber/.test(name)) return String(rng.pick([0, 1, 100, 32766, 32767, 32768, rng.between(1, 32766)]));
  if (/Count|MinCount|MaxCount|Number|Quantity|Length/.test(name)) return String(rng.pick([0, 1, 1, 2, 3, 5, 10, 100, 1_000_000]));
  if (/^(Type|Code)$/.test(name)) return String(rng.pick([-1, 0, 3, 8, 255, 256]));
  if (/Asn/.test(name)) return String(rng.pick([1, 64512, 65534, 4294967295, 4294967296, 0, 7224]));
  return String(rng.pick([-1, 0, 1, 2, 10, 100, 1500, 9001, 2147483647, rng.int(100000)]));
}

function stringValue(rng: Rng, pool: Pool, name: string, shape: Shape): string {
  if (shape.enum) {
    if (rng.chance(0.85)) return rng.pick(shape.enum);
    return rng.pick([rng.pick(shape.enum).toUpperCase(), `${rng.pick(shape.enum)} `, '', hostileText(rng)]);
  }
  if (name === 'Resources' || name === 'ResourceId' || name === 'ResourceIds') return pool.anyId(rng) ?? fakeId(rng);
  if (/Ids?$/.test(name) && !/^(Owner|User|Account|Kms|Key)/.test(name)) return idValue(rng, pool, name);
  if (/Cidr|Prefix$/.test(name)) return cidrValue(rng, pool);
  if (/(^|Private|Public|Customer)Ip(Address)?$|IpAddress$/.test(name)) return ipValue(rng, pool);
  if (/Protocol$/.test(name)) return rng.pick(PROTOCOLS);
  if (/AvailabilityZone$/.test(name)) return rng.pick(['us-east-1a', 'us-east-1b', 'us-east-1f', 'us-east-1z', 'eu-west-1a', '', 'use1-az1']);
  if (/AvailabilityZoneId$/.test(name)) return rng.pick(['use1-az1', 'use1-az6', 'use1-az9', 'euw1-az1', '']);
  if (name === 'NextToken') {
    return rng.pick(['', 'garbage', Buffer.from('vpcsim:5').toString('base64url'), Buffer.from('vpcsim:-1').toString('base64url'), Buffer.from('vpcsim:99999999999').toString('base64url'), '%%%', hostileText(rng)]);
  }
  if (name === 'InstanceType') return rng.pick(['t3.micro', 't2.nano', 'm5.large', 'c5.24xlarge', 'x1.bogus', '']);
  if (name === 'ServiceName') return rng.pick(['com.amazonaws.us-east-1.s3', 'com.amazonaws.us-east-1.dynamodb', 'com.amazonaws.us-east-1.ec2', 'com.amazonaws.eu-west-1.s3', 'bogus', '']);
  if (name === 'ClientToken') return rng.pick(['', 'token-1', 'token-2', hostileText(rng)]);
  if (name === 'PolicyDocument') return rng.pick(['{}', '{"Statement":[]}', '{', hostileText(rng)]);
  if (name === 'OwnerId' || name === 'UserId' || name === 'AccountId') return rng.pick(['123456789012', '000000000000', 'amazon', 'self', '', hostileText(rng)]);
  if (/Arn$/.test(name)) return rng.pick(['arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1', 'arn:', '', hostileText(rng)]);
  if (name === 'Region' || name === 'RegionName') return rng.pick(['us-east-1', 'eu-west-1', 'xx-fake-1', '', hostileText(rng)]);
  return hostileText(rng);
}

function scalarValue(rng: Rng, pool: Pool, name: string, shape: Shape): string {
  switch (shape.type) {
    case 'boolean':
      return rng.chance(0.9) ? rng.pick(['true', 'false']) : rng.pick(BAD_BOOLS);
    case 'integer':
    case 'long':
      return intValue(rng, name);
    case 'double':
    case 'float':
      return rng.pick(['1.5', '0', '-1', '100', 'NaN', 'Infinity', '1e309', '', 'x']);
    case 'timestamp':
      return rng.chance(0.8) ? new Date(Date.UTC(2020 + rng.int(10), rng.int(12), rng.between(1, 28))).toISOString() : rng.pick(BAD_TIMES);
    case 'blob':
      return rng.chance(0.7) ? rng.bytes(rng.int(64)).toString('base64') : hostileText(rng);
    default:
      return stringValue(rng, pool, name, shape);
  }
}

// ---------------------------------------------------------------------------------------
// Model-driven EC2 parameters
// ---------------------------------------------------------------------------------------

type Pairs = Array<[string, string]>;

function ucfirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function wireName(memberName: string, ref: ShapeRef, flavor: 'ec2' | 'query' = 'ec2'): string {
  if (flavor === 'query') return ref.locationName ?? memberName;
  return ref.queryName ?? ucfirst(ref.locationName ?? memberName);
}

function listIndexes(rng: Rng, n: number): string[] {
  const out: string[] = [];
  for (let i = 1; i <= n; i++) out.push(rng.chance(0.03) ? rng.pick(BAD_LIST_INDEXES) : String(i));
  return out;
}

class ParamWriter {
  constructor(
    private readonly rng: Rng,
    private readonly pool: Pool,
    private readonly model: ServiceModel,
    /** Chance that an optional member is filled. */
    private readonly density: number,
    /** EC2 lists are `Name.N`; AWS-query lists are `Name.member.N` unless flattened. */
    private readonly flavor: 'ec2' | 'query' = 'ec2',
  ) {}

  structure(shape: Shape, prefix: string, depth: number, out: Pairs, skip: ReadonlySet<string> = new Set()): void {
    const rng = this.rng;
    for (const [name, ref] of Object.entries(shape.members ?? {})) {
      const wire = wireName(name, ref, this.flavor);
      if (skip.has(wire)) continue;
      const key = prefix ? `${prefix}.${wire}` : wire;
      if (name === 'DryRun') {
        if (rng.chance(0.04)) out.push([key, rng.chance(0.8) ? 'true' : rng.pick(BAD_BOOLS)]);
        continue;
      }
      const required = shape.required?.includes(name) ?? false;
      if (!rng.chance(required ? 0.92 : this.density / (depth + 1))) continue;
      this.member(name, ref, key, depth, out);
    }
  }

  member(name: string, ref: ShapeRef, key: string, depth: number, out: Pairs): void {
    const rng = this.rng;
    const shape = this.model.shapes[ref.shape]!;
    switch (shape.type) {
      case 'structure':
        if (depth < 5) this.structure(shape, key, depth + 1, out);
        return;
      case 'list': {
        if (this.flavor === 'ec2' && (name === 'Filters' || name === 'Filter')) {
          filters(rng, this.pool, key, out);
          return;
        }
        const n = rng.weighted([[1, 0], [6, 1], [3, 2], [1, 3], [0.2, rng.between(4, 30)]] as const);
        if (n === 0) {
          out.push([key, '']);
          return;
        }
        const item = shape.member!;
        const itemName = name.replace(/s$/, '');
        const base = this.flavor === 'query' && !shape.flattened && !rng.chance(0.05) ? `${key}.${item.locationName ?? 'member'}` : key;
        for (const idx of listIndexes(rng, n)) this.member(itemName, item, `${base}.${idx}`, depth + 1, out);
        return;
      }
      case 'map': {
        const n = rng.between(0, 2);
        const base = this.flavor === 'query' && !shape.flattened ? `${key}.entry` : key;
        for (let i = 1; i <= n; i++) {
          out.push([`${base}.${i}.${shape.key?.locationName ?? 'key'}`, hostileText(rng)]);
          this.member('Value', shape.value!, `${base}.${i}.${shape.value?.locationName ?? 'value'}`, depth + 1, out);
        }
        return;
      }
      default:
        out.push([key, scalarValue(rng, this.pool, name, shape)]);
    }
  }
}

/** Filter.N.Name / Filter.N.Value.M with plausible and hostile names and patterns. */
function filters(rng: Rng, pool: Pool, key: string, out: Pairs): void {
  const n = rng.weighted([[1, 0], [5, 1], [3, 2], [1, 3]] as const);
  if (n === 0) out.push([key, '']);
  for (const idx of listIndexes(rng, n)) {
    if (rng.chance(0.95)) out.push([`${key}.${idx}.Name`, rng.pick(FILTER_NAMES)]);
    const m = rng.weighted([[1, 0], [6, 1], [3, 2], [0.3, rng.between(3, 250)]] as const);
    for (let j = 1; j <= m; j++) {
      const v = rng.pick([
        () => pool.anyId(rng) ?? fakeId(rng),
        () => cidrValue(rng, pool),
        () => rng.pick(['*', '?', '\\', '\\*', '*-*', 'available', 'true', 'false', 'default', '[', '(', '$^', '.*', '']),
        () => `${'*a'.repeat(rng.between(2, 40))}*b`,
        () => '?'.repeat(rng.between(1, 300)),
        () => hostileText(rng),
      ])();
      out.push([`${key}.${idx}.Value.${j}`, v]);
    }
  }
}

function randomParams(rng: Rng, pool: Pool, action: string, density = 0.35, skip?: ReadonlySet<string>): Pairs {
  const op = EC2_MODEL.operations[action]!;
  const out: Pairs = [];
  if (op.input) new ParamWriter(rng, pool, EC2_MODEL, density).structure(EC2_MODEL.shapes[op.input.shape]!, '', 0, out, skip);
  return out;
}

// ---------------------------------------------------------------------------------------
// Building requests
// ---------------------------------------------------------------------------------------

const REGIONS = ['us-east-1', 'us-east-1', 'us-east-1', 'us-east-1', 'eu-west-1', 'ap-northeast-1'];

function authorization(region: string, service: string, key = 'AKIDFUZZEXAMPLE'): string {
  return (
    `AWS4-HMAC-SHA256 Credential=${key}/20240101/${region}/${service}/aws4_request, ` +
    'SignedHeaders=content-type;host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000'
  );
}

function formBody(pairs: Pairs): string {
  return new URLSearchParams(pairs).toString();
}

/** Access keys of 12 digits are accounts of their own. */
const ACCOUNT_KEYS = ['AKIDFUZZEXAMPLE', 'AKIDFUZZEXAMPLE', '111122223333', '444455556666'];
/** The account of unsigned requests and of keys that are not 12 digits. */
const DEFAULT_ACCOUNT = defaultConfig().accountId;

function ec2Request(label: string, action: string, pairs: Pairs, opts: { region?: string; get?: boolean; version?: string; key?: string } = {}): FuzzRequest {
  const all: Pairs = [['Action', action], ['Version', opts.version ?? EC2_VERSION], ...pairs];
  const encoded = formBody(all);
  const headers = { authorization: authorization(opts.region ?? 'us-east-1', 'ec2', opts.key) };
  if (opts.get && encoded.length < 6000) return { label, method: 'GET', path: `/?${encoded}`, headers, expect: 'xml', action };
  return {
    label,
    method: 'POST',
    path: '/',
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: Buffer.from(encoded),
    expect: 'xml',
    action,
  };
}

function rawPost(label: string, body: Buffer | string, headers: Record<string, string> = {}, path = '/'): FuzzRequest {
  return {
    label,
    method: 'POST',
    path,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...headers },
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    expect: headers['x-amz-target'] !== undefined ? 'json' : 'xml',
  };
}

function dxRequest(label: string, op: string, body: Buffer | string, target = `${DX_PREFIX}.${op}`, provider = dx): FuzzRequest {
  return {
    label,
    method: 'POST',
    path: '/',
    headers: {
      'content-type': `application/x-amz-json-${provider.model.metadata.jsonVersion ?? '1.1'}`,
      'x-amz-target': target,
      authorization: authorization('us-east-1', provider.name),
    },
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    expect: 'json',
    action: op,
  };
}

// ---------------------------------------------------------------------------------------
// Generators: each yields requests and receives the replies
// ---------------------------------------------------------------------------------------

type Gen = Generator<FuzzRequest, void, Reply>;

function grab(reply: Reply, tag: string): string | undefined {
  if (reply.status !== 200) return undefined;
  return new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(reply.body.toString('utf8'))?.[1];
}

function tagPairs(rng: Rng, prefix: string, n = rng.between(1, 3)): Pairs {
  const out: Pairs = [];
  for (let i = 1; i <= n; i++) {
    out.push([`${prefix}.${i}.Key`, rng.chance(0.3) ? rng.pick(['Name', 'env', 'aws:x', 'a'.repeat(128), 'a'.repeat(129)]) : hostileText(rng)]);
    if (rng.chance(0.9)) out.push([`${prefix}.${i}.Value`, hostileText(rng)]);
  }
  return out;
}

function tagSpec(rng: Rng, type: string): Pairs {
  if (!rng.chance(0.5)) return [];
  return [['TagSpecification.1.ResourceType', rng.chance(0.9) ? type : rng.pick(['vpc', 'bogus', ''])], ...tagPairs(rng, 'TagSpecification.1.Tag')];
}

function permission(rng: Rng, pool: Pool, prefix: string, groupIds: string[]): Pairs {
  const out: Pairs = [[`${prefix}.IpProtocol`, rng.pick(PROTOCOLS)]];
  const from = rng.pick([-1, 0, 22, 80, 443, 1024, 65535, 65536, 8, 3]);
  if (rng.chance(0.85)) out.push([`${prefix}.FromPort`, String(from)]);
  if (rng.chance(0.85)) out.push([`${prefix}.ToPort`, String(rng.chance(0.6) ? from : rng.pick([-1, 0, 80, 65535, from + 10, from - 10]))]);
  const peers = rng.between(0, 3);
  for (let i = 1; i <= peers; i++) {
    switch (rng.int(4)) {
      case 0:
        out.push([`${prefix}.IpRanges.${i}.CidrIp`, cidrValue(rng, pool)]);
        if (rng.chance(0.4)) out.push([`${prefix}.IpRanges.${i}.Description`, hostileText(rng)]);
        break;
      case 1:
        out.push([`${prefix}.Ipv6Ranges.${i}.CidrIpv6`, rng.pick(['::/0', `2600:1f18:${rng.hex(4)}::/48`, '2001:db8::/129', cidrValue(rng, pool)])]);
        break;
      case 2:
        out.push([`${prefix}.Groups.${i}.GroupId`, groupIds.length && rng.chance(0.7) ? rng.pick(groupIds) : idValue(rng, pool, 'GroupId')]);
        break;
      default:
        out.push([`${prefix}.PrefixListIds.${i}.PrefixListId`, idValue(rng, pool, 'PrefixListId')]);
    }
  }
  return out;
}

/**
 * A world built step by step and then mutated: a VPC, subnets, and a random walk over the
 * operations that change it, with parameters that are mostly valid and sometimes not.
 */
function* scenario(rng: Rng, pool: Pool): Gen {
  const region = rng.pick(REGIONS);
  const key = rng.pick(ACCOUNT_KEYS);
  const call = (action: string, pairs: Pairs): FuzzRequest => {
    // Now and then a few random extra members of the operation, on top of the chosen ones.
    const extra = rng.chance(0.15) ? randomParams(rng, pool, action, 0.15, new Set(pairs.map(([k]) => k.split('.')[0]!))) : [];
    return ec2Request('scenario', action, [...pairs, ...extra], { region, key, get: rng.chance(0.1) });
  };
  let vpcCidr = rng.pick([
    `10.${rng.int(256)}.0.0/16`,
    `10.${rng.int(256)}.${rng.int(16) * 16}.0/20`,
    `172.${rng.between(16, 31)}.0.0/16`,
    `192.168.${rng.int(256)}.0/24`,
    `10.${rng.int(256)}.0.0/28`,
  ]);
  let reply = yield call('CreateVpc', [
    ['CidrBlock', vpcCidr],
    ...(rng.chance(0.3) ? ([['AmazonProvidedIpv6CidrBlock', 'true']] as Pairs) : []),
    ...tagSpec(rng, 'vpc'),
  ]);
  let vpcId = grab(reply, 'vpcId');
  if (!vpcId) {
    // Over the VPC quota (or a bad CreateVpc): work in one of the account's VPCs instead.
    reply = yield ec2Request('scenario', 'DescribeVpcs', [], { region, key });
    if (reply.status !== 200) return;
    const items = child(parseXml(reply.body.toString('utf8')), 'vpcSet')?.children ?? [];
    if (!items.length) return;
    const vpc = rng.pick(items);
    vpcId = child(vpc, 'vpcId')?.text;
    vpcCidr = child(vpc, 'cidrBlock')?.text ?? vpcCidr;
  }
  if (!vpcId) return;
  const subnets: string[] = [];
  const groups: string[] = [];
  const tables: string[] = [];
  const acls: string[] = [];
  const enis: string[] = [];
  const instances: string[] = [];
  const allocations: string[] = [];
  const gateways: string[] = [];
  const rtAssocs: string[] = [];
  const ruleIds: string[] = [];
  const ips: string[] = [];
  const peerings: string[] = [];
  const prefixLists: string[] = [];
  const cgws: string[] = [];
  const vgws: string[] = [];
  const vpns: string[] = [];
  for (let n = rng.between(1, 4); n > 0; n--) {
    reply = yield call('CreateSubnet', [
      ['VpcId', vpcId],
      ['CidrBlock', rng.chance(0.85) ? subBlock(rng, vpcCidr, 20, 28) : cidrValue(rng, pool)],
      ...(rng.chance(0.5) ? ([['AvailabilityZone', `${region}${rng.pick(['a', 'b', 'c', 'z'])}`]] as Pairs) : []),
      ...tagSpec(rng, 'subnet'),
    ]);
    const id = grab(reply, 'subnetId');
    if (id) subnets.push(id);
  }
  const any = (list: string[], key: string) => (list.length && rng.chance(0.85) ? rng.pick(list) : idValue(rng, pool, key));
  const steps: Array<() => FuzzRequest> = [
    () => call('CreateSecurityGroup', [['VpcId', vpcId], ['GroupName', rng.chance(0.5) ? `g-${rng.hex(6)}` : hostileText(rng)], ['GroupDescription', rng.chance(0.5) ? 'fuzz' : hostileText(rng)], ...tagSpec(rng, 'security-group')]),
    () => call(rng.pick(['AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress']), [['GroupId', any(groups, 'GroupId')], ...permission(rng, pool, 'IpPermissions.1', groups), ...(rng.chance(0.3) ? permission(rng, pool, 'IpPermissions.2', groups) : [])]),
    () => call(rng.pick(['RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress']), rng.chance(0.5) && ruleIds.length ? [['GroupId', any(groups, 'GroupId')], ['SecurityGroupRuleId.1', rng.pick(ruleIds)]] : [['GroupId', any(groups, 'GroupId')], ...permission(rng, pool, 'IpPermissions.1', groups)]),
    () => call('ModifySecurityGroupRules', [['GroupId', any(groups, 'GroupId')], ['SecurityGroupRule.1.SecurityGroupRuleId', any(ruleIds, 'SecurityGroupRuleId')], ['SecurityGroupRule.1.SecurityGroupRule.IpProtocol', rng.pick(PROTOCOLS)], ['SecurityGroupRule.1.SecurityGroupRule.FromPort', intValue(rng, 'FromPort')], ['SecurityGroupRule.1.SecurityGroupRule.ToPort', intValue(rng, 'ToPort')], ['SecurityGroupRule.1.SecurityGroupRule.CidrIpv4', cidrValue(rng, pool)], ['SecurityGroupRule.1.SecurityGroupRule.Description', hostileText(rng)]]),
    () => call('CreateRouteTable', [['VpcId', vpcId], ...tagSpec(rng, 'route-table')]),
    () => call(rng.pick(['CreateRoute', 'ReplaceRoute']), [['RouteTableId', any(tables, 'RouteTableId')], [rng.chance(0.8) ? 'DestinationCidrBlock' : 'DestinationIpv6CidrBlock', cidrValue(rng, pool)], rng.pick<[string, string]>([['GatewayId', any(gateways, 'InternetGatewayId')], ['GatewayId', 'local'], ['NetworkInterfaceId', any(enis, 'NetworkInterfaceId')], ['InstanceId', any(instances, 'InstanceId')], ['NatGatewayId', idValue(rng, pool, 'NatGatewayId')], ['VpcPeeringConnectionId', idValue(rng, pool, 'VpcPeeringConnectionId')]])]),
    () => call('DeleteRoute', [['RouteTableId', any(tables, 'RouteTableId')], ['DestinationCidrBlock', cidrValue(rng, pool)]]),
    () => call('AssociateRouteTable', [['RouteTableId', any(tables, 'RouteTableId')], rng.chance(0.85) ? ['SubnetId', any(subnets, 'SubnetId')] : ['GatewayId', any(gateways, 'InternetGatewayId')]]),
    () => call('DisassociateRouteTable', [['AssociationId', any(rtAssocs, 'AssociationId')]]),
    () => call('ReplaceRouteTableAssociation', [['AssociationId', any(rtAssocs, 'AssociationId')], ['RouteTableId', any(tables, 'RouteTableId')]]),
    () => call('CreateInternetGateway', tagSpec(rng, 'internet-gateway')),
    () => call(rng.pick(['AttachInternetGateway', 'DetachInternetGateway']), [['InternetGatewayId', any(gateways, 'InternetGatewayId')], ['VpcId', rng.chance(0.9) ? vpcId : idValue(rng, pool, 'VpcId')]]),
    () => call('CreateNetworkAcl', [['VpcId', vpcId], ...tagSpec(rng, 'network-acl')]),
    () => call(rng.pick(['CreateNetworkAclEntry', 'ReplaceNetworkAclEntry']), [['NetworkAclId', any(acls, 'NetworkAclId')], ['RuleNumber', intValue(rng, 'RuleNumber')], ['Protocol', rng.pick(PROTOCOLS)], ['RuleAction', rng.pick(['allow', 'deny', 'ALLOW', 'maybe'])], ['Egress', rng.pick(['true', 'false'])], [rng.chance(0.8) ? 'CidrBlock' : 'Ipv6CidrBlock', cidrValue(rng, pool)], ...(rng.chance(0.6) ? ([['PortRange.From', intValue(rng, 'From')], ['PortRange.To', intValue(rng, 'To')]] as Pairs) : []), ...(rng.chance(0.2) ? ([['Icmp.Type', intValue(rng, 'Type')], ['Icmp.Code', intValue(rng, 'Code')]] as Pairs) : [])]),
    () => call('DeleteNetworkAclEntry', [['NetworkAclId', any(acls, 'NetworkAclId')], ['RuleNumber', intValue(rng, 'RuleNumber')], ['Egress', rng.pick(['true', 'false'])]]),
    () => call('ReplaceNetworkAclAssociation', [['AssociationId', idValue(rng, pool, 'NetworkAclAssociationId')], ['NetworkAclId', any(acls, 'NetworkAclId')]]),
    () => call('CreateNetworkInterface', [['SubnetId', any(subnets, 'SubnetId')], ...(rng.chance(0.3) ? ([['PrivateIpAddress', ipValue(rng, pool)]] as Pairs) : []), ...(rng.chance(0.3) ? ([['SecondaryPrivateIpAddressCount', String(rng.pick([1, 2, 5, 20, 49, 50, 1000]))]] as Pairs) : []), ...(groups.length && rng.chance(0.5) ? ([['SecurityGroupId.1', rng.pick(groups)]] as Pairs) : []), ...(rng.chance(0.4) ? ([['Description', hostileText(rng)]] as Pairs) : []), ...tagSpec(rng, 'network-interface')]),
    () => call('AssignPrivateIpAddresses', [['NetworkInterfaceId', any(enis, 'NetworkInterfaceId')], rng.chance(0.5) ? ['SecondaryPrivateIpAddressCount', String(rng.pick([1, 2, 3, 100]))] : ['PrivateIpAddress.1', ipValue(rng, pool)]]),
    () => call('UnassignPrivateIpAddresses', [['NetworkInterfaceId', any(enis, 'NetworkInterfaceId')], ['PrivateIpAddress.1', ips.length && rng.chance(0.7) ? rng.pick(ips) : ipValue(rng, pool)]]),
    () => call('ModifyNetworkInterfaceAttribute', [['NetworkInterfaceId', any(enis, 'NetworkInterfaceId')], rng.pick<[string, string]>([['Description.Value', hostileText(rng)], ['SourceDestCheck.Value', rng.pick(['true', 'false', 'maybe'])], ['SecurityGroupId.1', any(groups, 'GroupId')]])]),
    () => call('DeleteNetworkInterface', [['NetworkInterfaceId', any(enis, 'NetworkInterfaceId')]]),
    () => call('RunInstances', [['ImageId', idValue(rng, pool, 'ImageId')], ['MinCount', String(rng.pick([1, 1, 2, 0, 50]))], ['MaxCount', String(rng.pick([1, 2, 3]))], ['SubnetId', any(subnets, 'SubnetId')], ['InstanceType', rng.pick(['t3.micro', 't2.nano', 'bogus.size'])], ...(rng.chance(0.3) ? ([['PrivateIpAddress', ipValue(rng, pool)]] as Pairs) : [])]),
    () => call(rng.pick(['TerminateInstances', 'StopInstances', 'StartInstances']), [['InstanceId.1', any(instances, 'InstanceId')]]),
    () => call('AllocateAddress', [['Domain', rng.pick(['vpc', 'standard', 'bogus'])]]),
    () => call('AssociateAddress', [['AllocationId', any(allocations, 'AllocationId')], rng.chance(0.5) ? ['NetworkInterfaceId', any(enis, 'NetworkInterfaceId')] : ['InstanceId', any(instances, 'InstanceId')]]),
    () => call(rng.pick(['DisassociateAddress', 'ReleaseAddress']), rng.chance(0.5) ? [['AllocationId', any(allocations, 'AllocationId')]] : [['AssociationId', idValue(rng, pool, 'AssociationId')]]),
    () => call('CreateNatGateway', [['SubnetId', any(subnets, 'SubnetId')], ...(rng.chance(0.6) ? ([['AllocationId', any(allocations, 'AllocationId')]] as Pairs) : ([['ConnectivityType', 'private']] as Pairs))]),
    () => call('CreateVpcEndpoint', [['VpcId', vpcId], ['ServiceName', rng.pick([`com.amazonaws.${region}.s3`, `com.amazonaws.${region}.dynamodb`, `com.amazonaws.${region}.ec2`, 'bogus'])], ...(rng.chance(0.5) ? ([['RouteTableId.1', any(tables, 'RouteTableId')]] as Pairs) : ([['VpcEndpointType', 'Interface'], ['SubnetId.1', any(subnets, 'SubnetId')]] as Pairs))]),
    () => call('CreateTags', [['ResourceId.1', rng.pick([vpcId, ...subnets, ...groups, ...tables, ...acls, ...enis, fakeId(rng)])], ...tagPairs(rng, 'Tag')]),
    () => call('DeleteTags', [['ResourceId.1', rng.pick([vpcId, ...subnets, ...groups, fakeId(rng)])], ...tagPairs(rng, 'Tag', 1)]),
    () => call('AssociateVpcCidrBlock', [['VpcId', vpcId], rng.chance(0.8) ? ['CidrBlock', cidrValue(rng, pool)] : ['AmazonProvidedIpv6CidrBlock', 'true']]),
    () => call('DisassociateVpcCidrBlock', [['AssociationId', idValue(rng, pool, 'AssociationId')]]),
    () => call('ModifySubnetAttribute', [['SubnetId', any(subnets, 'SubnetId')], rng.pick<[string, string]>([['MapPublicIpOnLaunch.Value', rng.pick(['true', 'false', 'x'])], ['AssignIpv6AddressOnCreation.Value', 'true'], ['EnableDns64.Value', 'true'], ['PrivateDnsHostnameTypeOnLaunch', rng.pick(['ip-name', 'resource-name', 'x'])]])]),
    () => call('ModifyVpcAttribute', [['VpcId', vpcId], rng.pick<[string, string]>([['EnableDnsHostnames.Value', rng.pick(['true', 'false'])], ['EnableDnsSupport.Value', rng.pick(['true', 'false'])]])]),
    () => call(rng.pick(['DescribeSubnets', 'DescribeRouteTables', 'DescribeNetworkAcls', 'DescribeSecurityGroups', 'DescribeNetworkInterfaces', 'DescribeSecurityGroupRules', 'DescribeInstances', 'DescribeTags', 'DescribeAddresses']), rng.chance(0.7) ? [['Filter.1.Name', rng.pick(['vpc-id', 'tag-value', 'tag-key', 'description'])], ['Filter.1.Value.1', rng.chance(0.7) ? vpcId : rng.pick(['*', `${'*a'.repeat(20)}*b`, hostileText(rng)])]] : []),
    () => call('DeleteSubnet', [['SubnetId', any(subnets, 'SubnetId')]]),
    () => call('DeleteSecurityGroup', [['GroupId', any(groups, 'GroupId')]]),
    () => call('DeleteRouteTable', [['RouteTableId', any(tables, 'RouteTableId')]]),
    () => call('DeleteNetworkAcl', [['NetworkAclId', any(acls, 'NetworkAclId')]]),
    // Peering, with this VPC as either side.
    () => call('CreateVpcPeeringConnection', rng.chance(0.7) ? [['VpcId', vpcId], ['PeerVpcId', idValue(rng, pool, 'VpcId')]] : [['VpcId', idValue(rng, pool, 'VpcId')], ['PeerVpcId', vpcId], ...(rng.chance(0.3) ? ([['PeerOwnerId', rng.pick(['111122223333', '000000000000'])], ['PeerRegion', rng.pick(REGIONS)]] as Pairs) : [])]),
    () => call(rng.pick(['AcceptVpcPeeringConnection', 'AcceptVpcPeeringConnection', 'RejectVpcPeeringConnection', 'DeleteVpcPeeringConnection']), [['VpcPeeringConnectionId', any(peerings, 'VpcPeeringConnectionId')]]),
    () => call('ModifyVpcPeeringConnectionOptions', [['VpcPeeringConnectionId', any(peerings, 'VpcPeeringConnectionId')], [`${rng.pick(['Accepter', 'Requester'])}PeeringConnectionOptions.AllowDnsResolutionFromRemoteVpc`, rng.pick(['true', 'false'])]]),
    () => call('CreateRoute', [['RouteTableId', any(tables, 'RouteTableId')], ['DestinationCidrBlock', cidrValue(rng, pool)], ['VpcPeeringConnectionId', any(peerings, 'VpcPeeringConnectionId')]]),
    // Managed prefix lists: versions, entries, references from rules and routes.
    () => call('CreateManagedPrefixList', [['PrefixListName', rng.chance(0.7) ? `pl-${rng.hex(4)}` : hostileText(rng)], ['MaxEntries', String(rng.pick([1, 2, 5, 10, 1000, 0]))], ['AddressFamily', rng.pick(['IPv4', 'IPv6', 'ipv4'])], ...Array.from({ length: rng.between(0, 3) }, (_, i): Pairs => [[`Entry.${i + 1}.Cidr`, cidrValue(rng, pool)], [`Entry.${i + 1}.Description`, hostileText(rng)]]).flat()]),
    () => call('ModifyManagedPrefixList', [['PrefixListId', any(prefixLists, 'PrefixListId')], ...(rng.chance(0.7) ? ([['CurrentVersion', String(rng.pick([1, 2, 3, 0, 99]))]] as Pairs) : []), rng.chance(0.6) ? ['AddEntry.1.Cidr', cidrValue(rng, pool)] : ['RemoveEntry.1.Cidr', cidrValue(rng, pool)], ...(rng.chance(0.2) ? ([['MaxEntries', String(rng.pick([1, 3, 20]))]] as Pairs) : [])]),
    () => call('RestoreManagedPrefixListVersion', [['PrefixListId', any(prefixLists, 'PrefixListId')], ['PreviousVersion', String(rng.pick([1, 2, 0]))], ['CurrentVersion', String(rng.pick([1, 2, 3]))]]),
    () => call(rng.pick(['AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress']), [['GroupId', any(groups, 'GroupId')], ['IpPermissions.1.IpProtocol', '-1'], ['IpPermissions.1.PrefixListIds.1.PrefixListId', any(prefixLists, 'PrefixListId')]]),
    () => call('CreateRoute', [['RouteTableId', any(tables, 'RouteTableId')], ['DestinationPrefixListId', any(prefixLists, 'PrefixListId')], ['GatewayId', any(gateways, 'InternetGatewayId')]]),
    () => call('DeleteManagedPrefixList', [['PrefixListId', any(prefixLists, 'PrefixListId')]]),
    // Site-to-site VPN: customer gateway, virtual private gateway, connection, routes, tunnels.
    () => call('CreateCustomerGateway', [['Type', rng.pick(['ipsec.1', 'ipsec.2'])], ['BgpAsn', String(rng.pick([65000, 64512, 7224, 0, 4294967295]))], ['IpAddress', ipValue(rng, pool)]]),
    () => call('CreateVpnGateway', [['Type', 'ipsec.1'], ...(rng.chance(0.3) ? ([['AmazonSideAsn', String(rng.pick([64512, 65000, 4294967294, 1]))]] as Pairs) : [])]),
    () => call(rng.pick(['AttachVpnGateway', 'AttachVpnGateway', 'DetachVpnGateway']), [['VpcId', vpcId], ['VpnGatewayId', any(vgws, 'VpnGatewayId')]]),
    () => call('CreateVpnConnection', [['Type', 'ipsec.1'], ['CustomerGatewayId', any(cgws, 'CustomerGatewayId')], ['VpnGatewayId', any(vgws, 'VpnGatewayId')], ...(rng.chance(0.5) ? ([['Options.StaticRoutesOnly', rng.pick(['true', 'false'])]] as Pairs) : []), ...(rng.chance(0.2) ? ([['Options.TunnelOptions.1.TunnelInsideCidr', rng.pick(['169.254.10.0/30', '169.254.169.252/30', '10.0.0.0/30', '169.254.1.0/29'])]] as Pairs) : [])]),
    () => call(rng.pick(['CreateVpnConnectionRoute', 'DeleteVpnConnectionRoute']), [['VpnConnectionId', any(vpns, 'VpnConnectionId')], ['DestinationCidrBlock', cidrValue(rng, pool)]]),
    () => call(rng.pick(['EnableVgwRoutePropagation', 'DisableVgwRoutePropagation']), [['GatewayId', any(vgws, 'VpnGatewayId')], ['RouteTableId', any(tables, 'RouteTableId')]]),
    () => call('ModifyVpnTunnelOptions', [['VpnConnectionId', any(vpns, 'VpnConnectionId')], ['VpnTunnelOutsideIpAddress', ipValue(rng, pool)], [rng.pick(['TunnelOptions.TunnelInsideCidr', 'TunnelOptions.PreSharedKey', 'TunnelOptions.DPDTimeoutSeconds']), rng.pick(['169.254.20.0/30', 'abcdefgh12345678', '30', hostileText(rng)])]]),
    () => call(rng.pick(['DeleteVpnConnection', 'DeleteVpnGateway', 'DeleteCustomerGateway']), [[rng.pick(['VpnConnectionId', 'VpnGatewayId', 'CustomerGatewayId']), rng.pick([...vpns, ...vgws, ...cgws, fakeId(rng)])]]),
    // Egress-only internet gateways, DHCP options, the default VPC.
    () => call('CreateEgressOnlyInternetGateway', [['VpcId', vpcId]]),
    () => call('CreateRoute', [['RouteTableId', any(tables, 'RouteTableId')], ['DestinationIpv6CidrBlock', rng.pick(['::/0', `2600:1f18:${rng.hex(4)}::/48`])], ['EgressOnlyInternetGatewayId', idValue(rng, pool, 'EgressOnlyInternetGatewayId')]]),
    () => call('CreateDhcpOptions', [['DhcpConfiguration.1.Key', rng.pick(['domain-name-servers', 'domain-name', 'ntp-servers', 'netbios-node-type', 'bogus'])], ['DhcpConfiguration.1.Value.1', rng.pick(['AmazonProvidedDNS', '10.0.0.2', 'example.com', '2', hostileText(rng)])]]),
    () => call('AssociateDhcpOptions', [['VpcId', vpcId], ['DhcpOptionsId', rng.chance(0.2) ? 'default' : idValue(rng, pool, 'DhcpOptionsId')]]),
    () => call(rng.pick(['CreateDefaultVpc', 'CreateDefaultSubnet']), [['AvailabilityZone', `${region}${rng.pick(['a', 'b', 'c'])}`]].slice(0, rng.int(2)) as Pairs),
    // A packet through what has been built so far, by vpcsim's own trace endpoint.
    () => ({
      label: 'scenario',
      method: 'POST',
      path: '/_vpcsim/trace',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({
        source: rng.pick([...enis, ...instances, ...gateways, ...vgws, `internet:${ip4(rng.int(2 ** 32))}`, ipValue(rng, pool)].filter(Boolean)),
        destination: rng.pick([...enis, ...instances, ipValue(rng, pool), ip4(rng.int(2 ** 32))].filter(Boolean)),
        protocol: rng.pick(['tcp', 'udp', 'icmp', '-1', 'all']),
        port: rng.pick([22, 80, 443, 0, 65535]),
        account: /^\d{12}$/.test(key) ? key : DEFAULT_ACCOUNT,
        region,
      })),
      expect: 'own',
    }),
  ];
  // Traces read everything built so far: worth more than one draw.
  steps.push(steps[steps.length - 1]!, steps[steps.length - 1]!);
  for (let n = rng.between(4, 24); n > 0; n--) {
    reply = yield rng.pick(steps)();
    const text = reply.status === 200 ? reply.body.toString('utf8') : '';
    const collect = (tag: string, list: string[]) => {
      for (const m of text.matchAll(new RegExp(`<${tag}>([^<]+)</${tag}>`, 'g'))) if (!list.includes(m[1]!)) list.push(m[1]!);
    };
    collect('groupId', groups);
    collect('routeTableId', tables);
    collect('networkAclId', acls);
    collect('networkInterfaceId', enis);
    collect('instanceId', instances);
    collect('allocationId', allocations);
    collect('internetGatewayId', gateways);
    collect('routeTableAssociationId', rtAssocs);
    collect('associationId', rtAssocs);
    collect('securityGroupRuleId', ruleIds);
    collect('privateIpAddress', ips);
    collect('subnetId', subnets);
    collect('vpcPeeringConnectionId', peerings);
    collect('prefixListId', prefixLists);
    collect('customerGatewayId', cgws);
    collect('vpnGatewayId', vgws);
    collect('vpnConnectionId', vpns);
  }
  if (rng.chance(0.7)) {
    // Tear down, in an order that sometimes leaves dependencies in place.
    const teardown: FuzzRequest[] = [
      ...instances.map((id) => call('TerminateInstances', [['InstanceId.1', id]])),
      ...enis.map((id) => call('DeleteNetworkInterface', [['NetworkInterfaceId', id]])),
      ...subnets.map((id) => call('DeleteSubnet', [['SubnetId', id]])),
      ...groups.map((id) => call('DeleteSecurityGroup', [['GroupId', id]])),
      ...tables.map((id) => call('DeleteRouteTable', [['RouteTableId', id]])),
      ...acls.map((id) => call('DeleteNetworkAcl', [['NetworkAclId', id]])),
      ...gateways.map((id) => call('DetachInternetGateway', [['InternetGatewayId', id], ['VpcId', vpcId]])),
      call('DeleteVpc', [['VpcId', vpcId]]),
    ];
    if (rng.chance(0.3)) teardown.reverse();
    for (const r of teardown) yield r;
  }
}

/** Any implemented EC2 action, a random subset of its members filled with random values. */
function* modelDriven(rng: Rng, pool: Pool): Gen {
  const action = rng.pick(EC2_ACTIONS);
  yield ec2Request('model', action, randomParams(rng, pool, action, rng.pick([0.1, 0.3, 0.6])), {
    region: rng.pick(REGIONS),
    get: rng.chance(0.15),
  });
}

/** Every ID-taking member of an action given unknown, malformed or wrong-kind IDs. */
function* badIds(rng: Rng, pool: Pool): Gen {
  const action = rng.pick(EC2_ACTIONS);
  const shape = EC2_MODEL.shapes[EC2_MODEL.operations[action]!.input?.shape ?? '']!;
  const idMembers = Object.entries(shape?.members ?? {}).filter(([n]) => /Ids?$/.test(n));
  if (!idMembers.length) return;
  const pairs: Pairs = [];
  for (const [name, ref] of idMembers) {
    if (!rng.chance(0.7)) continue;
    const list = EC2_MODEL.shapes[ref.shape]!.type === 'list';
    const wire = wireName(name, ref);
    const n = list ? rng.between(1, 3) : 1;
    for (let i = 1; i <= n; i++) {
      const v = rng.chance(0.2) ? (pool.anyId(rng) ?? fakeId(rng)) : fakeId(rng);
      pairs.push([list ? `${wire}.${i}` : wire, v]);
    }
  }
  yield ec2Request('ids', action, [...pairs, ...randomParams(rng, pool, action, 0.2, new Set(pairs.map(([k]) => k.split('.')[0]!)))]);
}

/** Invalid CIDRs where CIDRs go. */
function* badCidrs(rng: Rng, pool: Pool): Gen {
  const vpc = pool.get(rng, 'VpcId') ?? fakeId(rng, 'vpc');
  const cidr = rng.pick(BAD_CIDRS);
  const [action, pairs] = rng.pick<[string, Pairs]>([
    ['CreateVpc', [['CidrBlock', cidr]]],
    ['CreateSubnet', [['VpcId', vpc], ['CidrBlock', cidr]]],
    ['CreateSubnet', [['VpcId', vpc], ['CidrBlock', '10.0.0.0/24'], ['Ipv6CidrBlock', cidr]]],
    ['AssociateVpcCidrBlock', [['VpcId', vpc], ['CidrBlock', cidr]]],
    ['AssociateVpcCidrBlock', [['VpcId', vpc], ['Ipv6CidrBlock', cidr]]],
    ['CreateRoute', [['RouteTableId', pool.get(rng, 'RouteTableId') ?? fakeId(rng, 'rtb')], ['DestinationCidrBlock', cidr], ['GatewayId', 'local']]],
    ['CreateRoute', [['RouteTableId', pool.get(rng, 'RouteTableId') ?? fakeId(rng, 'rtb')], ['DestinationIpv6CidrBlock', cidr], ['GatewayId', pool.get(rng, 'InternetGatewayId') ?? 'igw-1']]],
    ['CreateNetworkAclEntry', [['NetworkAclId', pool.get(rng, 'NetworkAclId') ?? fakeId(rng, 'acl')], ['RuleNumber', '10'], ['Protocol', '-1'], ['RuleAction', 'allow'], ['Egress', 'false'], ['CidrBlock', cidr]]],
    ['AuthorizeSecurityGroupIngress', [['GroupId', pool.get(rng, 'GroupId') ?? fakeId(rng, 'sg')], ['IpPermissions.1.IpProtocol', 'tcp'], ['IpPermissions.1.FromPort', '22'], ['IpPermissions.1.ToPort', '22'], ['IpPermissions.1.IpRanges.1.CidrIp', cidr]]],
    ['AuthorizeSecurityGroupEgress', [['GroupId', pool.get(rng, 'GroupId') ?? fakeId(rng, 'sg')], ['IpPermissions.1.IpProtocol', '-1'], ['IpPermissions.1.Ipv6Ranges.1.CidrIpv6', cidr]]],
    ['AuthorizeSecurityGroupIngress', [['GroupId', pool.get(rng, 'GroupId') ?? fakeId(rng, 'sg')], ['IpProtocol', 'tcp'], ['FromPort', '1'], ['ToPort', '2'], ['CidrIp', cidr]]],
    ['CreateManagedPrefixList', [['PrefixListName', 'p'], ['MaxEntries', '5'], ['AddressFamily', 'IPv4'], ['Entry.1.Cidr', cidr]]],
    ['CreateVpnConnectionRoute', [['VpnConnectionId', pool.get(rng, 'VpnConnectionId') ?? fakeId(rng, 'vpn')], ['DestinationCidrBlock', cidr]]],
    ['DescribeSubnets', [['Filter.1.Name', 'cidr-block'], ['Filter.1.Value.1', cidr]]],
  ]);
  yield ec2Request('cidr', action, pairs);
}

/** Hostile tag keys and values, then reading them back. */
function* hostileTags(rng: Rng, pool: Pool): Gen {
  const id = pool.anyId(rng) ?? fakeId(rng);
  const reply = yield ec2Request('tags', 'CreateTags', [['ResourceId.1', id], ...tagPairs(rng, 'Tag', rng.between(1, 5))]);
  if (reply.status === 200 || rng.chance(0.3)) {
    yield ec2Request('tags', rng.pick(['DescribeTags', 'DescribeVpcs', 'DescribeSubnets', 'DescribeSecurityGroups']), rng.chance(0.5) ? [['Filter.1.Name', rng.pick(['resource-id', 'tag-key', 'tag-value', 'key', 'value'])], ['Filter.1.Value.1', rng.chance(0.5) ? id : hostileText(rng)]] : []);
  }
  if (rng.chance(0.5)) {
    yield ec2Request('tags', 'CreateSecurityGroup', [['GroupName', hostileText(rng)], ['GroupDescription', hostileText(rng)], ['VpcId', pool.get(rng, 'VpcId') ?? fakeId(rng, 'vpc')]]);
  }
}

/** The query string itself broken: bad percent-encodings, stray separators, cut short. */
function* brokenQuery(rng: Rng, pool: Pool): Gen {
  const action = rng.pick(EC2_ACTIONS);
  let s = formBody([['Action', action], ['Version', EC2_VERSION], ...randomParams(rng, pool, action, 0.3)]);
  const insert = ['%', '%z', '%zz', '%F', '%FF', '%C0%80', '%ED%A0%80', '%F4%90%80%80', '%00', '&', '=', '&&', '==', '+', '%2', ';', '%25', '%%', '%u0041', '&=', '=&'];
  for (let n = rng.between(1, 4); n > 0; n--) {
    const at = rng.int(s.length + 1);
    switch (rng.int(6)) {
      case 0:
      case 1:
        s = s.slice(0, at) + rng.pick(insert) + s.slice(at);
        break;
      case 2:
        s = s.slice(0, at) + s.slice(Math.min(s.length, at + rng.between(1, 10)));
        break;
      case 3:
        s = s.slice(0, at);
        break;
      case 4:
        s = s + '&' + s.slice(0, at);
        break;
      default:
        s = s.replace(rng.chance(0.5) ? '=' : '&', rng.chance(0.5) ? '&' : '=');
    }
  }
  if (rng.chance(0.3)) yield { label: 'query', method: 'GET', path: `/?${s}`, headers: {}, expect: 'xml' };
  else yield rawPost('query', s);
}

/** Bytes that are not UTF-8, in values, names and the Action. */
function* invalidUtf8(rng: Rng, pool: Pool): Gen {
  const junk = () => {
    const b = rng.pick([
      () => Buffer.from([0xff]),
      () => Buffer.from([0xfe, 0xff]),
      () => Buffer.from([0xc3, 0x28]),
      () => Buffer.from([0xe2, 0x82]),
      () => Buffer.from([0xed, 0xa0, 0x80]),
      () => Buffer.from([0xf4, 0x90, 0x80, 0x80]),
      () => Buffer.from([0xc0, 0x80]),
      () => Buffer.from([0x80, 0x80, 0x80]),
      () => rng.bytes(rng.between(1, 40)),
    ])();
    return b;
  };
  const id = pool.anyId(rng) ?? fakeId(rng);
  const parts = rng.pick([
    () => [Buffer.from(`Action=CreateTags&Version=${EC2_VERSION}&ResourceId.1=${id}&Tag.1.Key=`), junk(), Buffer.from('&Tag.1.Value='), junk()],
    () => [Buffer.from(`Action=CreateSecurityGroup&Version=${EC2_VERSION}&GroupName=g`), junk(), Buffer.from('&GroupDescription='), junk()],
    () => [Buffer.from('Action=Describe'), junk(), Buffer.from(`&Version=${EC2_VERSION}`)],
    () => [Buffer.from(`Action=DescribeVpcs&Version=${EC2_VERSION}&Filter.1.Name=`), junk(), Buffer.from('&Filter.1.Value.1='), junk()],
    () => [Buffer.from(`Action=DescribeVpcs&Version=${EC2_VERSION}&`), junk(), Buffer.from('=1')],
    () => [junk(), Buffer.from('='), junk()],
  ])();
  yield rawPost('utf8', Buffer.concat(parts));
}

/** Values of a megabyte: in values, names, the Action, the Version, filter patterns. */
function* hugeValues(rng: Rng, pool: Pool): Gen {
  const size = rng.pick([1 << 16, 1 << 20]);
  const big = rng.pick([() => 'a'.repeat(size), () => '*'.repeat(size), () => `${'*a'.repeat(size / 2)}b`, () => '.'.repeat(size), () => hostileText(rng).repeat(Math.max(1, Math.floor(size / 64))).slice(0, size)])();
  const id = pool.anyId(rng) ?? fakeId(rng);
  const [action, pairs] = rng.pick<[string, Pairs]>([
    ['CreateTags', [['ResourceId.1', id], ['Tag.1.Key', 'k'], ['Tag.1.Value', big]]],
    ['CreateTags', [['ResourceId.1', id], ['Tag.1.Key', big]]],
    ['CreateSecurityGroup', [['GroupName', 'g'], ['GroupDescription', big]]],
    ['DescribeVpcs', [['Filter.1.Name', 'tag-value'], ['Filter.1.Value.1', big]]],
    ['DescribeVpcs', [['VpcId.1', big]]],
    ['DescribeVpcs', [[big, '1']]],
    ['DescribeVpcs', [['NextToken', big]]],
    [big.slice(0, size), []],
  ]);
  if (rng.chance(0.1)) {
    yield ec2Request('huge', 'DescribeVpcs', pairs, { version: big });
    return;
  }
  const req = ec2Request('huge', action, pairs);
  if (req.body && req.body.length > MAX_BODY) req.action = undefined;
  yield req;
}

/** More parameters than the limit, or exactly as many. */
function* manyParams(rng: Rng, pool: Pool): Gen {
  const n = rng.pick([MAX_PARAMS - 2, MAX_PARAMS + 1, MAX_PARAMS + rng.between(2, 5000)]);
  const shape = rng.int(4);
  const pairs: Pairs = [];
  for (let i = 1; i <= n; i++) {
    if (shape === 0) pairs.push([`VpcId.${i}`, fakeId(rng, 'vpc')]);
    else if (shape === 1) pairs.push([`Filter.1.Value.${i}`, 'x']);
    else if (shape === 2) pairs.push([`Junk${i}`, '']);
    else pairs.push([`Filter.${(i % 1000) + 1}.Value.${Math.floor(i / 1000) + 1}`, 'v']);
  }
  if (shape === 1) pairs.unshift(['Filter.1.Name', 'tag-key']);
  void pool;
  yield ec2Request('params', 'DescribeVpcs', pairs);
}

/** Names nested deeper than any shape, and list indexes of every odd kind. */
function* nesting(rng: Rng, pool: Pool): Gen {
  const action = rng.pick(['DescribeVpcs', 'CreateTags', 'AuthorizeSecurityGroupIngress', 'RunInstances', 'CreateVpc', 'DescribeSubnets']);
  const pairs: Pairs = [];
  if (rng.chance(0.5)) {
    const depth = rng.pick([3, 5, 11, 12, 13, 20, 100, 1000, 10_000]);
    const segs: string[] = [];
    for (let i = 0; i < depth; i++) segs.push(i % 2 ? '1' : rng.pick(['A', 'B', 'C', 'Filter', 'Value', 'IpPermissions', 'Groups', 'Tag']));
    pairs.push([segs.join('.'), 'x']);
    pairs.push([rng.pick(['Filter.1.Value.1.Extra', 'Filter.1.Name.1', 'TagSpecification.1.Tag.1.Key.1', 'IpPermissions.1.IpRanges.1.CidrIp.1.X', 'VpcId.1.X', 'Filter..1', 'Filter.1.', '.Filter', 'Filter.1.Value.', '.']), 'x']);
  } else {
    const idx = rng.pick(BAD_LIST_INDEXES);
    pairs.push(...rng.pick<Pairs>([
      [[`VpcId.${idx}`, pool.get(rng, 'VpcId') ?? fakeId(rng, 'vpc')]],
      [[`Filter.${idx}.Name`, 'vpc-id'], [`Filter.${idx}.Value.1`, 'x']],
      [['Filter.1.Name', 'vpc-id'], [`Filter.1.Value.${idx}`, 'x']],
      [[`ResourceId.${idx}`, pool.anyId(rng) ?? 'vpc-1'], [`Tag.${idx}.Key`, 'k']],
      [['Filter.1.Name', 'vpc-id'], ['Filter.1.Value.1', 'a'], ['Filter.1.Value.99999', 'b'], ['Filter.1.Value.3', 'c']],
      [['VpcId', 'vpc-1'], ['VpcId.1', 'vpc-2']],
      [['Filter', 'x']],
      [['Filter.1', 'x']],
    ]));
  }
  yield ec2Request('nesting', action, pairs);
}

/** Wrong types for integers, booleans, enums and timestamps, anywhere in an input. */
function* wrongTypes(rng: Rng, pool: Pool): Gen {
  const action = rng.pick(EC2_ACTIONS);
  const out: Pairs = [];
  const walk = (shape: Shape, prefix: string, depth: number): void => {
    for (const [name, ref] of Object.entries(shape.members ?? {})) {
      const s = EC2_MODEL.shapes[ref.shape]!;
      const key = `${prefix}${wireName(name, ref)}`;
      if (s.type === 'structure' && depth < 3) walk(s, `${key}.`, depth + 1);
      else if (s.type === 'list' && depth < 3) {
        const m = EC2_MODEL.shapes[s.member!.shape]!;
        if (m.type === 'structure') walk(m, `${key}.1.`, depth + 1);
      } else if (['integer', 'long', 'boolean', 'timestamp', 'double'].includes(s.type) || s.enum) {
        if (rng.chance(0.5)) {
          const bad = s.type === 'boolean' ? BAD_BOOLS : s.type === 'timestamp' ? BAD_TIMES : s.enum ? ['', 'bogus', s.enum[0]!.toUpperCase(), hostileText(rng)] : BAD_INTS;
          out.push([key, rng.pick(bad)]);
        }
      }
    }
  };
  const op = EC2_MODEL.operations[action]!;
  if (op.input) walk(EC2_MODEL.shapes[op.input.shape]!, '', 0);
  if (!out.length) return;
  yield ec2Request('types', action, [...out, ...randomParams(rng, pool, action, 0.3, new Set(out.map(([k]) => k.split('.')[0]!)))]);
}

/** Unknown actions and versions, other methods, content types, paths and protocols. */
function* protocolNoise(rng: Rng, pool: Pool): Gen {
  const ok = formBody([['Action', 'DescribeVpcs'], ['Version', EC2_VERSION]]);
  switch (rng.int(12)) {
    case 0: {
      const action = rng.pick(['', 'describeVpcs', 'DescribeVpcs ', ' DescribeVpcs', 'DESCRIBEVPCS', 'DescribeVpc', 'Describe', 'toString', '__proto__', 'constructor', 'hasOwnProperty', 'GetCallerIdentity', 'AssumeRole', hostileText(rng), `${rng.pick(EC2_ACTIONS)}x`]);
      yield { ...ec2Request('action', action, []), action: undefined };
      return;
    }
    case 1:
      yield ec2Request('unimplemented', rng.pick(EC2_UNIMPLEMENTED), randomParams(rng, pool, rng.pick(EC2_ACTIONS), 0.1));
      return;
    case 2: {
      const version = rng.pick(['2016-11-16', '1999-01-01', '2006-01-01', '2005-12-31', 'abc', '2016-13-45', '', '2016-11-15 ', '2016-11-15T00:00:00Z', '9999-12-31', '2016-02-30', hostileText(rng)]);
      const r = ec2Request('version', 'DescribeVpcs', [], { version });
      yield { ...r, action: undefined };
      return;
    }
    case 3:
      yield { label: 'action', method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(formBody([['Version', EC2_VERSION], ...randomParams(rng, pool, 'DescribeVpcs')])), expect: 'xml' };
      return;
    case 4: {
      const method = rng.pick(['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'GET', 'POST']);
      const hasBody = method !== 'GET' && method !== 'HEAD';
      yield { label: 'method', method, path: hasBody ? '/' : `/?${ok}`, headers: hasBody ? { 'content-type': 'application/x-www-form-urlencoded' } : {}, body: hasBody ? Buffer.from(ok) : undefined, expect: 'xml' };
      return;
    }
    case 5: {
      const ct = rng.pick(['application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded; charset=latin1', 'application/xml', 'application/octet-stream', 'x-www-form-urlencoded', 'APPLICATION/X-WWW-FORM-URLENCODED', hostileText(rng).replace(/[^\x20-\x7e]/g, '')]);
      const body = rng.pick([ok, JSON.stringify({ Action: 'DescribeVpcs', Version: EC2_VERSION }), '<DescribeVpcs/>', '']);
      const r = rawPost('content-type', body, { 'content-type': ct });
      yield r;
      return;
    }
    case 6:
      // JSON to the EC2 endpoint, as if EC2 spoke it.
      yield { label: 'json-to-ec2', method: 'POST', path: '/', headers: { 'content-type': 'application/json', authorization: authorization('us-east-1', 'ec2') }, body: Buffer.from(JSON.stringify({ Action: 'CreateVpc', CidrBlock: '10.0.0.0/16', Filters: [{ Name: 'x' }] })), expect: 'xml' };
      return;
    case 7: {
      const target = rng.pick(['Foo.Bar', '', '.', 'AmazonEC2.DescribeVpcs', 'OvertureService', 'OvertureService.', '.DescribeConnections', 'OvertureService.DescribeConnections.x', 'AWSSecurityTokenServiceV20110615.GetCallerIdentity', 'Logs_20140328.DescribeLogGroups', `${DX_PREFIX}.${rng.pick(Object.keys(dx.model.operations).filter((o) => !DX_OPS.includes(o)))}`, `${DX_PREFIX}.toString`, `${DX_PREFIX}.__proto__`, hostileText(rng).replace(/[^\x20-\x7e]/g, '')]);
      yield { label: 'target', method: 'POST', path: '/', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target }, body: Buffer.from(rng.pick(['{}', '', ok, '{"a":1}'])), expect: 'json' };
      return;
    }
    case 8: {
      const path = rng.pick(['/foo', '//', '/%', '/..%2f..', '/_vpcsim/unknown', '/_vpcsim', '/moto-api', '/?', '/%00', '/index.html', `/${hostileText(rng)}`]);
      yield { label: 'path', method: 'GET', path: `${path}${path.includes('?') ? '&' : '?'}${ok}`, headers: {}, expect: 'xml' };
      return;
    }
    case 9: {
      // Whatever the credential scope says: services vpcsim does not serve, odd regions, long keys.
      // Not S3: its REST API claims such requests and is outside the protocols fuzzed here.
      const service = rng.pick(['ec2', 'sts', 'sqs', 'logs', 'directconnect', '', 'EC2']);
      const region = rng.pick(['us-east-1', 'eu-west-1', 'xx-fake-1', 'US-EAST-1', 'a', 'us-east-1a']);
      const key = rng.pick(['AKIDFUZZEXAMPLE', '123456789012', '000000000000', '99999999999999', 'x'.repeat(200)]);
      yield { label: 'scope', method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: authorization(region, service, key) }, body: Buffer.from(ok), expect: 'xml' };
      return;
    }
    case 10: {
      // STS speaks the AWS query protocol, with its own error envelope.
      const pairs: Pairs = [['Action', rng.pick(['GetCallerIdentity', 'GetCallerIdentity', 'AssumeRole', 'Bogus'])], ['Version', rng.pick(['2011-06-15', '2011-06-15', '2099-01-01'])]];
      if (rng.chance(0.4)) pairs.push([rng.pick(['Junk', 'RoleArn', 'Policy.member.1', 'x.1.y']), hostileText(rng)]);
      yield { label: 'sts', method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: authorization('us-east-1', 'sts') }, body: Buffer.from(formBody(pairs)), expect: 'xml' };
      return;
    }
    default: {
      // A repeated Action or Version: the first one counts.
      const body = `Action=DescribeVpcs&Version=${EC2_VERSION}&Action=${rng.pick(['DeleteVpc', 'Bogus', ''])}&Version=${rng.pick(['2016-11-15', 'x'])}`;
      yield rawPost('repeat', body);
    }
  }
}

/** A JSON value for a shape of the Direct Connect model: mostly right, sometimes not. */
function jsonValue(rng: Rng, pool: Pool, model: ServiceModel, ref: ShapeRef, name: string, depth: number): unknown {
  const shape = model.shapes[ref.shape]!;
  if (rng.chance(0.06)) return rng.pick<unknown>([null, true, 1.5, -1, '', [], {}, 'x', [[[]]], { a: { b: {} } }, 2 ** 53 + 1]);
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      if (depth > 5) return out;
      for (const [m, r] of Object.entries(shape.members ?? {})) {
        if ((shape.required ?? []).includes(m) ? rng.chance(0.9) : rng.chance(0.4)) out[r.locationName ?? m] = jsonValue(rng, pool, model, r, m, depth + 1);
      }
      if (rng.chance(0.05)) out[rng.pick(['unknown', '__proto__', 'constructor'])] = { x: 1 };
      return out;
    }
    case 'list':
      return Array.from({ length: rng.pick([0, 1, 1, 2, 3]) }, () => jsonValue(rng, pool, model, shape.member!, name.replace(/s$/, ''), depth + 1));
    case 'map': {
      const out: Record<string, unknown> = {};
      for (let i = rng.int(3); i > 0; i--) out[hostileText(rng)] = jsonValue(rng, pool, model, shape.value!, 'value', depth + 1);
      return out;
    }
    case 'integer':
    case 'long':
      return rng.chance(0.9) ? Number(intValue(rng, name)) || rng.pick([0, 1, 100, 4094, 4095, 65000, -1]) : rng.pick<unknown>(['12', 1.5, 1e300]);
    case 'boolean':
      return rng.chance(0.9) ? rng.chance(0.5) : 'true';
    case 'double':
    case 'float':
      return rng.pick([1.5, 0, -1, 1e308]);
    case 'timestamp':
      return rng.pick<unknown>([1700000000, '2024-01-01T00:00:00Z', 'notadate', -1e20]);
    default: {
      if (shape.enum && rng.chance(0.8)) return rng.pick(shape.enum);
      if (/[iI]d$/.test(name)) {
        const known = name === 'virtualGatewayId' ? pool.get(rng, 'VpnGatewayId') : pool.get(rng, name);
        return rng.chance(0.8) && known ? known : rng.pick(['dxcon-fgxyz123', 'dxvif-abc', 'vgw-12345678', fakeId(rng), '']);
      }
      if (/location/i.test(name)) return rng.pick(['EqDC2', 'EqSe2', 'bogus', '']);
      if (/bandwidth/i.test(name)) return rng.pick(['1Gbps', '10Gbps', '50Mbps', '3Tbps', '']);
      if (/Asn/i.test(name)) return rng.pick(['65000', 'x']);
      return hostileText(rng);
    }
  }
}

/** Direct Connect over the AWS JSON protocol: model-shaped bodies, malformed JSON, deep nesting. */
function* jsonService(rng: Rng, pool: Pool): Gen {
  const provider = rng.chance(0.7) ? dx : rng.pick(JSON_PROVIDERS);
  const op = rng.pick(Object.keys(provider.handlers).sort());
  const input = provider.model.operations[op]!.input;
  const r = rng.next();
  let body: string;
  if (r < 0.65 && input) body = JSON.stringify(jsonValue(rng, pool, provider.model, input, 'input', 0));
  else if (r < 0.85) {
    body = rng.pick([
      '{', '}', '[]', 'null', '"x"', '1', 'true', '{"a":', '{"a":1,}', "{'a':1}", '\u0000', '{"a":"\\ud800"}', '{"connectionId":"\\u0000"}',
      '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{}}}', '{"tags":[{"key":"a"}]}', '{"connectionId":1}', '{"vlan":"x"}',
      '{"connectionName":["a"]}', '{"bandwidth":{}}', '{"location":null}', '﻿{}', ' {} ', '{}{}', '{"a":1e999}', '{"a":-0}',
    ]);
  } else if (r < 0.93) {
    const depth = rng.pick([50, 1000, 100_000]);
    body = rng.chance(0.5) ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    if (rng.chance(0.3)) body = `{"tags":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  } else {
    body = JSON.stringify({ connectionName: 'x'.repeat(rng.pick([1000, 1 << 20])), location: 'EqDC2', bandwidth: '1Gbps' });
  }
  yield dxRequest(provider === dx ? 'directconnect' : provider.name, op, body, `${provider.model.metadata.targetPrefix}.${op}`, provider);
}

/** AWS-query services (STS, ...): any operation, model-shaped parameters, hostile values. */
function* queryService(rng: Rng, pool: Pool): Gen {
  const provider = rng.pick(QUERY_PROVIDERS);
  const op = rng.pick(Object.keys(provider.handlers).sort());
  const input = provider.model.operations[op]!.input;
  const pairs: Pairs = [['Action', op], ['Version', rng.chance(0.95) ? provider.model.metadata.apiVersion : rng.pick(['2099-01-01', '', 'x'])]];
  if (input) new ParamWriter(rng, pool, provider.model, rng.pick([0.2, 0.5, 0.8]), 'query').structure(provider.model.shapes[input.shape]!, '', 0, pairs);
  const form = formBody(pairs);
  const auth = authorization(rng.pick(REGIONS), provider.name);
  if (rng.chance(0.2) && form.length < 6000) {
    yield { label: provider.name, method: 'GET', path: `/?${form}`, headers: { authorization: auth }, expect: 'xml', action: op };
  } else {
    yield { label: provider.name, method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth }, body: Buffer.from(form), expect: 'xml', action: op };
  }
}

/** vpcsim's own endpoints (packet trace, VPN tunnel status) with hostile JSON. */
function* ownEndpoints(rng: Rng, pool: Pool): Gen {
  const ids = (key: string) => pool.get(rng, key) ?? fakeId(rng);
  const anyValue = (): unknown =>
    rng.pick<() => unknown>([
      () => pool.anyId(rng) ?? fakeId(rng),
      () => ipValue(rng, pool),
      () => `internet:${ipValue(rng, pool)}`,
      () => `onprem:${ipValue(rng, pool)}`,
      () => hostileText(rng),
      () => rng.pick<unknown>([null, 1, -1, true, [], {}, 1e308, '']),
    ])();
  let path: string;
  let body: string;
  if (rng.chance(0.7)) {
    path = '/_vpcsim/trace';
    const doc: Record<string, unknown> = {
      source: rng.chance(0.7) ? ids(rng.pick(['NetworkInterfaceId', 'InstanceId', 'InternetGatewayId', 'VpnGatewayId'])) : anyValue(),
      destination: rng.chance(0.7) ? ids(rng.pick(['NetworkInterfaceId', 'InstanceId'])) : anyValue(),
    };
    if (rng.chance(0.7)) doc.protocol = rng.pick<unknown>(['tcp', 'udp', 'icmp', '-1', 6, 17, 1, 58, 256, -1, 'all', '', null, {}]);
    for (const k of ['port', 'destinationPort', 'sourcePort', 'icmpType', 'icmpCode']) {
      if (rng.chance(0.3)) doc[k] = rng.pick<unknown>([0, 22, 80, 443, 65535, 65536, -1, '80', '8o', 1.5, 1e20, null, []]);
    }
    if (rng.chance(0.3)) doc.sourceIp = anyValue();
    if (rng.chance(0.2)) doc.account = rng.pick<unknown>(['123456789012', '111122223333', '', 1, hostileText(rng)]);
    if (rng.chance(0.2)) doc.region = rng.pick<unknown>(['us-east-1', 'eu-west-1', 'xx-fake-1', '', 1]);
    body = JSON.stringify(doc);
  } else {
    path = '/_vpcsim/vpn-tunnel-status';
    body = JSON.stringify({
      vpnConnectionId: rng.chance(0.8) ? ids('VpnConnectionId') : anyValue(),
      outsideIpAddress: rng.chance(0.8) ? ipValue(rng, pool) : anyValue(),
      status: rng.pick<unknown>(['UP', 'DOWN', 'up', '', null]),
      ...(rng.chance(0.2) ? { account: anyValue(), region: anyValue() } : {}),
    });
  }
  if (rng.chance(0.15)) body = rng.pick(['', '{', '[]', 'null', '"x"', '{"source":', `${'['.repeat(10_000)}${']'.repeat(10_000)}`]);
  yield { label: 'own', method: rng.chance(0.95) ? 'POST' : 'PUT', path, headers: { 'content-type': 'application/json' }, body: Buffer.from(body), expect: 'own' };
}

/**
 * Hostile regions and services in the credential scope, from the Authorization header (no
 * '/', ',' or spaces fit there) or from a presigned X-Amz-Credential (anything fits).
 */
function* hostileScope(rng: Rng, pool: Pool): Gen {
  const region = rng.pick([
    () => rng.pick(['', 'us-east-1 ', 'US-EAST-1', 'us-east-1a', 'aws-global', 'cn-north-1', 'us-gov-west-1', 'local', 'xx-fake-1']),
    () => hostileText(rng),
    () => 'r'.repeat(rng.pick([64, 1000, 5000])),
    () => rng.pick(['<x>', '&amp;', '"\'', '..', '%00', '*', '?']),
  ])();
  const service = rng.pick(['ec2', 'ec2', 'sts', 'directconnect', 'logs', 'monitoring', 'sqs', '', 'EC2', hostileText(rng)].filter((x) => x !== 's3'));
  const action = rng.pick(['DescribeVpcs', 'DescribeAvailabilityZones', 'DescribeRegions', 'CreateVpc', 'CreateDefaultVpc', 'DescribeSubnets', rng.pick(EC2_ACTIONS)]);
  const pairs: Pairs = [['Action', action], ['Version', EC2_VERSION], ...randomParams(rng, pool, action, 0.2)];
  if (action === 'CreateVpc' && !pairs.some(([k]) => k === 'CidrBlock')) pairs.push(['CidrBlock', '10.0.0.0/16']);
  const key = rng.pick(['AKIDFUZZEXAMPLE', '111122223333']);
  const headerSafe = /^[\x21-\x7e]+$/.test(region) && !/[/,]/.test(region) && /^[\x21-\x7e]+$/.test(service) && !/[/,]/.test(service);
  if (headerSafe && rng.chance(0.5)) {
    const body = formBody(pairs);
    yield { label: 'region', method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: authorization(region, service, key) }, body: Buffer.from(body), expect: 'xml' };
  } else {
    pairs.push(['X-Amz-Credential', `${key}/20240101/${region}/${service}/aws4_request`], ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'], ['X-Amz-Signature', '00']);
    const body = formBody(pairs);
    if (body.length < 6000 && rng.chance(0.5)) yield { label: 'region', method: 'GET', path: `/?${body}`, headers: {}, expect: 'xml' };
    else yield { label: 'region', method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(body), expect: 'xml' };
  }
}

/** Bodies over the limit, declared or not. */
function* overLimit(rng: Rng): Gen {
  const size = MAX_BODY + rng.pick([1, 1024, 1 << 20]);
  const body = Buffer.alloc(size, 'a');
  body.write(`Action=DescribeVpcs&Version=${EC2_VERSION}&x=`);
  if (rng.chance(0.5)) yield rawPost('over-limit', body);
  else yield dxRequest('over-limit', 'DescribeConnections', body);
}

/** Bytes fetch would not send: odd request lines, bad lengths, chunked bodies, huge headers. */
function* rawHttp(rng: Rng): Gen {
  const q = `Action=DescribeVpcs&Version=${EC2_VERSION}`;
  const form = 'Content-Type: application/x-www-form-urlencoded\r\n';
  const text = rng.pick([
    () => `GET /?${q}&X=\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    () => `GET /?${q} HTTP/1.0\r\n\r\n`,
    () => `POST / HTTP/1.1\r\nHost: x\r\n${form}Content-Length: abc\r\nConnection: close\r\n\r\n${q}`,
    () => `POST / HTTP/1.1\r\nHost: x\r\n${form}Content-Length: 5\r\nContent-Length: 6\r\nConnection: close\r\n\r\n${q}`,
    () => `POST / HTTP/1.1\r\nHost: x\r\n${form}Content-Length: ${MAX_BODY * 10}\r\nConnection: close\r\n\r\n${q}`,
    () => `POST / HTTP/1.1\r\nHost: x\r\n${form}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${q.length.toString(16)}\r\n${q}\r\n0\r\n\r\n`,
    () => `POST / HTTP/1.1\r\nHost: x\r\n${form}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n${q}\r\n0\r\n\r\n`,
    () => `POST / HTTP/1.1\r\nHost: x\r\n${form}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunkedOver()}`,
    () => `FOO BAR BAZ\r\n\r\n`,
    () => `GET / HTTP/2.0\r\nConnection: close\r\n\r\n`,
    () => `GET /?${q} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\nConnection: close\r\n\r\n`,
    () => `GET /?${q} HTTP/1.1\r\nHost: x\r\nX-Bad\u0000: 1\r\nConnection: close\r\n\r\n`,
    () => `GET /?${q} HTTP/1.1\r\nHost: x\r\nX-Fold: a\r\n b\r\nConnection: close\r\n\r\n`,
    () => `POST / HTTP/1.1\r\nHost: x\r\n${form}Expect: 100-continue\r\nContent-Length: ${q.length}\r\nConnection: close\r\n\r\n${q}`,
    () => `GET /?${q}\u0000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    () => `POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: ${DX_PREFIX}.DescribeConnections\r\nContent-Type: application/x-amz-json-1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunkedOver()}`,
  ])();
  const expect = text.includes('X-Amz-Target') ? 'json' : 'xml';
  yield { label: 'raw-http', method: text.split(' ')[0]!, path: '', headers: {}, raw: Buffer.from(text, 'latin1'), expect };
}

/** A chunked body larger than the limit (no Content-Length to refuse it by). */
function chunkedOver(): string {
  const chunk = 'a'.repeat(1 << 20);
  const n = Math.ceil(MAX_BODY / chunk.length) + 1;
  return `${`${chunk.length.toString(16)}\r\n${chunk}\r\n`.repeat(n)}0\r\n\r\n`;
}

/** The mix, by weight (per draw; a scenario yields many requests). */
function* everything(rng: Rng, pool: Pool): Gen {
  const gens: ReadonlyArray<readonly [number, () => Gen]> = [
    [40, () => modelDriven(rng, pool)],
    [5, () => scenario(rng, pool)],
    [6, () => badIds(rng, pool)],
    [5, () => badCidrs(rng, pool)],
    [4, () => hostileTags(rng, pool)],
    [5, () => brokenQuery(rng, pool)],
    [2, () => invalidUtf8(rng, pool)],
    [3, () => nesting(rng, pool)],
    [3, () => wrongTypes(rng, pool)],
    [5, () => protocolNoise(rng, pool)],
    [6, () => jsonService(rng, pool)],
    [2, () => queryService(rng, pool)],
    [2, () => ownEndpoints(rng, pool)],
    [1.5, () => hostileScope(rng, pool)],
    [0.25, () => hugeValues(rng, pool)],
    [0.1, () => manyParams(rng, pool)],
    [0.08, () => overLimit(rng)],
    [0.8, () => rawHttp(rng)],
  ];
  for (;;) yield* rng.weighted(gens)();
}

// ---------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------

function show(req: FuzzRequest): string {
  const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);
  const lines = [`[${req.label}] ${req.method} ${clip(req.path, 600)}`];
  for (const [k, v] of Object.entries(req.headers)) lines.push(`  ${k}: ${clip(v, 200)}`);
  const bytes = req.raw ?? req.body;
  if (bytes) lines.push(`  body (${bytes.length} bytes): ${JSON.stringify(clip(bytes.toString('latin1'), 1500))}`);
  return lines.join('\n');
}

class FuzzServer {
  private worker!: Worker;
  endpoint = '';
  exited: string | undefined;
  private readonly waiting = new Map<string, (v: unknown) => void>();

  async start(): Promise<void> {
    this.worker = new Worker(new URL('./fuzz-worker.js', import.meta.url), { workerData: { maxBodyBytes: MAX_BODY } });
    this.worker.on('message', (m: { type: string; endpoint?: string; stats?: WorkerStats }) => {
      if (m.type === 'ready') this.endpoint = m.endpoint!;
      this.waiting.get(m.type)?.(m);
    });
    this.worker.on('error', (err) => (this.exited = `the server thread crashed: ${err.stack ?? err}`));
    this.worker.on('exit', (code) => (this.exited ??= `the server thread exited with code ${code}`));
    await this.next('ready');
  }

  private next(type: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no '${type}' from the server thread`)), 30_000);
      this.waiting.set(type, (v) => {
        clearTimeout(timer);
        this.waiting.delete(type);
        resolve(v);
      });
    });
  }

  async stats(): Promise<WorkerStats> {
    const p = this.next('stats');
    this.worker.postMessage({ type: 'stats' });
    return ((await p) as { stats: WorkerStats }).stats;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const p = this.next('closed').catch(() => undefined);
    this.worker.postMessage({ type: 'close' });
    await p;
    await this.worker.terminate();
  }

  async kill(): Promise<void> {
    await this.worker.terminate();
  }
}

async function healthy(endpoint: string): Promise<string | undefined> {
  try {
    const r = await fetch(`${endpoint}/_vpcsim/health`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const body = (await r.json()) as { status?: string };
    return r.status === 200 && body.status === 'running' ? undefined : `health check answered ${r.status}`;
  } catch (err) {
    return `health check failed: ${(err as Error).message}`;
  }
}

describe('fuzz: malformed and hostile requests', () => {
  const server = new FuzzServer();

  before(async () => {
    await server.start();
  });

  after(async () => {
    await server.stop();
  });

  it(`answers ${REQUESTS} hostile requests with AWS errors or correct answers, and keeps its state sound`, { timeout: 240_000 }, async (t) => {
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const codes = new Map<string, number>();
    const labels = new Map<string, number>();
    const labelMs = new Map<string, number>();
    const labelOk = new Map<string, number>();
    let sent = 0;
    let stop = false;
    let slowest = { ms: 0, what: '' };
    const started = performance.now();
    const header = `fuzz seed ${SEED} (rerun with VPCSIM_FUZZ_SEED=${SEED})`;

    /**
     * One lane: its own generator, pool and accounts (lane 0 keeps the keys as generated,
     * the others map them to accounts of their own), so that lanes running side by side
     * do not change each other's requests.
     */
    const runLane = async (lane: number, count: number): Promise<void> => {
      const rng = new Rng(SEED ^ Math.imul(lane, 0x9e3779b9));
      const pool = new Pool();
      const gen = everything(rng, pool);
      const accountOf = (key: string) => (lane === 0 ? key : /^\d{12}$/.test(key) ? `${key.slice(0, 11)}${lane}` : `${lane}`.repeat(12));
      let reply: Reply | undefined;
      for (let n = 1; n <= count && !stop; n++) {
        const req = gen.next(reply as Reply).value as FuzzRequest;
        if (req.headers.authorization) {
          req.headers.authorization = req.headers.authorization.replace(/Credential=([^/]*)\//, (_m, key: string) => `Credential=${accountOf(key)}/`);
        }
        if (lane > 0 && req.expect === 'own' && req.body) {
          // The accounts a trace or tunnel request names move with the lane's keys.
          try {
            const doc = JSON.parse(req.body.toString('utf8')) as Record<string, unknown>;
            if (typeof doc.account === 'string') {
              doc.account = accountOf(doc.account === DEFAULT_ACCOUNT ? 'AKIDFUZZEXAMPLE' : doc.account);
              req.body = Buffer.from(JSON.stringify(doc));
            }
          } catch {
            // Malformed on purpose: sent as generated.
          }
        }
        const id = `lane ${lane} #${n}`;
        sent++;
        labels.set(req.label, (labels.get(req.label) ?? 0) + 1);
        try {
          reply = await send(server.endpoint, req);
        } catch (err) {
          failures.push(`${id} ${show(req)}\n  → no answer: ${(err as Error).message}`);
          reply = { status: 0, contentType: '', body: Buffer.alloc(0), ms: 0 };
        }
        labelMs.set(req.label, (labelMs.get(req.label) ?? 0) + reply.ms);
        if (reply.status) {
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
          const code = reply.status === 200 ? '' : errorCodeOf(reply);
          if (code) codes.set(code, (codes.get(code) ?? 0) + 1);
          if (reply.ms > slowest.ms) slowest = { ms: reply.ms, what: `${id} [${req.label}] ${req.action ?? ''}` };
          const problem = problemWith(req, reply);
          if (problem) {
            failures.push(`${id} ${show(req)}\n  → ${reply.status} ${problem}\n  ${JSON.stringify(reply.body.toString('utf8').slice(0, 800))}`);
          } else if (reply.status === 200) {
            pool.learn(reply.body.toString('utf8'));
            labelOk.set(req.label, (labelOk.get(req.label) ?? 0) + 1);
          }
        }
        if (server.exited) {
          failures.push(`${id} ${show(req)}\n  → ${server.exited}`);
          stop = true;
        } else if (n % HEALTH_EVERY === 0 || failures.length > 0) {
          const sick = await healthy(server.endpoint);
          if (sick) {
            failures.push(`after ${id}: ${sick}`);
            stop = true;
          } else if (lane === 0 && n % (HEALTH_EVERY * 4) === 0) {
            // The integrity check along the way too, to narrow down where state went wrong.
            const { problems } = await server.stats();
            if (problems.length) {
              failures.push(`after ${id} (and the other lanes' requests so far): the state fails its integrity check\n  ${problems.slice(0, 10).join('\n  ')}`);
              stop = true;
            }
          }
        }
        if (failures.length >= 25) stop = true;
      }
    };
    await Promise.all(Array.from({ length: LANES }, (_, lane) => runLane(lane, Math.ceil(REQUESTS / LANES))));
    const seconds = (performance.now() - started) / 1000;

    const top = [...codes].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([c, n]) => `${c}=${n}`);
    t.diagnostic(`${header}: ${sent} requests in ${seconds.toFixed(1)} s; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    t.diagnostic(`generators (requests) ${JSON.stringify(Object.fromEntries(labels))}`);
    t.diagnostic(`generators (200 answers) ${JSON.stringify(Object.fromEntries(labelOk))}`);
    t.diagnostic(`generators (ms) ${JSON.stringify(Object.fromEntries([...labelMs].map(([k, v]) => [k, Math.round(v)])))}`);
    t.diagnostic(`top error codes ${top.join(' ')}; slowest ${Math.round(slowest.ms)} ms (${slowest.what})`);
    assert.equal(failures.length, 0, `${header}: ${failures.length} bad replies (first ones below)\n\n${failures.slice(0, 10).join('\n\n')}`);
    assert.ok(sent >= Math.min(REQUESTS, 10_000), `only ${sent} requests were sent`);
    assert.equal(await healthy(server.endpoint), undefined);

    const stats = await server.stats();
    const reached = Object.values(stats.handlerCalls).reduce((a, b) => a + b, 0);
    const reachedOps = new Set(Object.keys(stats.handlerCalls).filter((k) => k.startsWith('ec2.')).map((k) => k.slice(4)));
    const unreached = EC2_ACTIONS.filter((a) => !reachedOps.has(a));
    t.diagnostic(`${reached} of ${sent} requests reached a handler; ${reachedOps.size} of ${EC2_ACTIONS.length} EC2 operations reached${unreached.length ? ` (not: ${unreached.join(', ')})` : ''}`);
    assert.deepEqual(stats.problems, [], `${header}: the state fails its integrity check`);
    assert.ok(reached > sent / 2, `${header}: only ${reached} of ${sent} requests reached an operation handler`);
    assert.ok(unreached.length <= EC2_ACTIONS.length / 20, `${header}: operations never reached: ${unreached.join(', ')}`);
  });
});

describe('fuzz: the checks themselves', () => {
  const xmlReq: FuzzRequest = { label: 'check', method: 'POST', path: '/', headers: {}, expect: 'xml', action: 'DescribeVpcs' };
  const jsonReq: FuzzRequest = { ...xmlReq, expect: 'json' };
  const reply = (status: number, body: string, contentType = 'text/xml;charset=UTF-8'): Reply => ({ status, contentType, body: Buffer.from(body), ms: 1 });
  const ec2Error = (code: string) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>m &amp; &lt;x&gt;</Message></Error></Errors><RequestID>r</RequestID></Response>`;

  it('refuses documents that are not well-formed XML', () => {
    for (const bad of ['<a>&</a>', '<a>\u0000</a>', '<a><b></a>', '<a>]]></a>', '<a x="1" x="2"/>', '<a>&#0;</a>', '<a/><b/>', '<a>&bogus;</a>', '<a x=1/>', '<a>\uD800</a>', '<!DOCTYPE a><a/>', 'text', '<a>', '<a></A>']) {
      assert.throws(() => parseXml(bad), Error, JSON.stringify(bad));
    }
    const root = parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a x="&quot;1&quot;"><b>&lt;&amp;&gt;&#13;&#x1F600;</b><!-- c --><c/><![CDATA[<raw>]]></a>');
    assert.equal(root.name, 'a');
    assert.equal(child(root, 'b')?.text, '<&>\r😀');
    assert.equal(root.text, '<raw>');
  });

  it('accepts AWS error envelopes and correct answers, and nothing else', () => {
    assert.equal(problemWith(xmlReq, reply(400, ec2Error('InvalidParameterValue'))), undefined);
    assert.equal(problemWith(xmlReq, reply(400, '<ErrorResponse><Error><Type>Sender</Type><Code>X</Code><Message>m</Message></Error><RequestId>r</RequestId></ErrorResponse>')), undefined);
    assert.equal(problemWith(xmlReq, reply(200, '<DescribeVpcsResponse xmlns="x"><requestId>r</requestId><vpcSet/></DescribeVpcsResponse>')), undefined);
    assert.equal(problemWith(jsonReq, reply(400, '{"__type":"ValidationException","message":"m"}', 'application/x-amz-json-1.1')), undefined);
    assert.match(problemWith(xmlReq, reply(500, ec2Error('InternalError')))!, /server error 500/);
    assert.match(problemWith(xmlReq, reply(400, ec2Error('InternalError')))!, /InternalError/);
    assert.match(problemWith(xmlReq, reply(400, ''))!, /not well-formed/);
    assert.match(problemWith(xmlReq, reply(400, '<Response><Errors><Error><Code>X</Code></Error></Errors><RequestID>r</RequestID></Response>'))!, /without a Message/);
    assert.match(problemWith(xmlReq, reply(400, '<Oops/>'))!, /root <Oops>/);
    assert.match(problemWith(xmlReq, reply(400, '{"__type":"X","message":"m"}', 'application/json'))!, /expected an XML answer/);
    assert.match(problemWith(xmlReq, reply(200, '<DeleteVpcResponse><requestId>r</requestId></DeleteVpcResponse>'))!, /answer <DeleteVpcResponse> to DescribeVpcs/);
    assert.match(problemWith(jsonReq, reply(400, '{"message":"m"}', 'application/json'))!, /no __type/);
    assert.match(problemWith(jsonReq, reply(400, ec2Error('X')))!, /expected a JSON answer/);
    assert.match(problemWith(xmlReq, { ...reply(400, ''), body: Buffer.from([0x3c, 0x61, 0xff, 0x3e]) })!, /not valid UTF-8/);
    assert.match(problemWith(xmlReq, reply(302, ''))!, /unexpected status/);
  });

  it('the integrity check finds broken state', async () => {
    const srv = await startTestServer();
    try {
      const ec2 = srv.ec2();
      const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }))).Vpc!;
      const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: '10.1.0.0/24' }))).Subnet!;
      const store = srv.app.store;
      assert.deepEqual(checkIntegrity(store), []);
      const scope = store.scopeNames().find((sc) => store.table(sc, 'vpc')?.has(vpc.VpcId!))!;
      const main = [...store.table(scope, 'route-table')!.values()].find((t) => (t as { VpcId: string }).VpcId === vpc.VpcId) as { RouteTableId: string };
      const tx = store.begin();
      const edited = tx.edit<Record<string, unknown>>(scope, 'subnet', subnet.SubnetId!)!;
      edited.AvailableIpAddressCount = 1;
      tx.put(scope, 'subnet', 'subnet-0123456789abcdef0', { ...edited, SubnetId: 'subnet-0123456789abcdef0', CidrBlock: '10.1.0.128/25', AvailableIpAddressCount: 123 });
      tx.delete(scope, 'route-table', main.RouteTableId);
      tx.put(scope, 'security-group-rule', 'sgr-0123456789abcdef0', { SecurityGroupRuleId: 'sgr-0123456789abcdef0', GroupId: 'sg-0123456789abcdef0' });
      tx.put(scope, 'network-interface', 'eni-0123456789abcdef0', { NetworkInterfaceId: 'eni-0123456789abcdef0', SubnetId: 'subnet-00000000000000000', PrivateIpAddresses: [] });
      tx.commit();
      const problems = checkIntegrity(store).join('\n');
      assert.match(problems, new RegExp(`subnet ${subnet.SubnetId} \\(10\\.1\\.0\\.0/24\\) reports 1 free addresses, expected 251`));
      assert.match(problems, /subnets subnet-\S+ \(10\.1\.0\.0\/24\) and subnet-0123456789abcdef0 \(10\.1\.0\.128\/25\) of vpc-\S+ overlap/);
      assert.match(problems, new RegExp(`VPC ${vpc.VpcId} has 0 main route tables`));
      assert.match(problems, /security group rule sgr-0123456789abcdef0 is in missing group sg-0123456789abcdef0/);
      assert.match(problems, /network interface eni-0123456789abcdef0 is in missing subnet subnet-00000000000000000/);
      assert.match(problems, /subnet subnet-0123456789abcdef0 has 0 network ACL associations/);
    } finally {
      await srv.close();
    }
  });

  it('generates the same requests from the same seed', () => {
    const take = (seed: number) => {
      const gen = everything(new Rng(seed), new Pool());
      const empty: Reply = { status: 400, contentType: '', body: Buffer.alloc(0), ms: 0 };
      const out: string[] = [];
      let r = gen.next();
      for (let i = 0; i < 200; i++) {
        const req = r.value as FuzzRequest;
        out.push(`${req.method} ${req.path} ${(req.raw ?? req.body ?? Buffer.alloc(0)).toString('latin1').slice(0, 300)}`);
        r = gen.next(empty);
      }
      return out;
    };
    assert.deepEqual(take(42), take(42));
    assert.notDeepEqual(take(42), take(43));
  });
});

// ---------------------------------------------------------------------------------------
// The limits, each with a clear error
// ---------------------------------------------------------------------------------------

describe('request limits', () => {
  let srv: TestServer;
  const LIMIT = 64 * 1024;

  before(async () => {
    srv = await startTestServer({ maxBodyBytes: LIMIT });
  });

  after(async () => {
    await srv.close();
  });

  function envelope(text: string): { code: string; message: string } {
    const root = parseXml(text);
    assert.equal(root.name, 'Response', text);
    const error = child(child(root, 'Errors'), 'Error');
    return { code: child(error, 'Code')?.text ?? '', message: child(error, 'Message')?.text ?? '' };
  }

  it('answers a body over the limit with 413 RequestEntityTooLarge naming the limit', async () => {
    const body = `Action=DescribeVpcs&Version=${EC2_VERSION}&x=${'a'.repeat(LIMIT)}`;
    const r = await fetch(srv.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    assert.equal(r.status, 413);
    const e = envelope(await r.text());
    assert.equal(e.code, 'RequestEntityTooLarge');
    assert.match(e.message, new RegExp(`larger than ${LIMIT} bytes`));
  });

  it('answers a chunked body that grows over the limit with 413 too', async () => {
    const piece = 'a'.repeat(16 * 1024);
    const raw = `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${`${piece.length.toString(16)}\r\n${piece}\r\n`.repeat(8)}0\r\n\r\n`;
    const r = await sendRaw(srv.endpoint, Buffer.from(raw));
    assert.equal(r.status, 413);
    assert.equal(envelope(r.body.toString('utf8')).code, 'RequestEntityTooLarge');
  });

  it('answers a body just under the limit normally', async () => {
    const body = `Action=DescribeVpcs&Version=${EC2_VERSION}`;
    const r = await fetch(srv.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.padEnd(LIMIT - 10, ' ') });
    // Trailing spaces become part of the Version value: an error, but from the protocol, not the limit.
    assert.notEqual(r.status, 413);
    assert.ok(r.status < 500);
  });

  it(`answers more than ${MAX_PARAMS} parameters with 400 InvalidParameterValue naming the limit`, async () => {
    const big = await startTestServer();
    try {
      const pairs: Pairs = [['Action', 'DescribeVpcs'], ['Version', EC2_VERSION]];
      for (let i = 1; i <= MAX_PARAMS + 1; i++) pairs.push([`VpcId.${i}`, 'vpc-1']);
      const r = await fetch(big.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: formBody(pairs) });
      assert.equal(r.status, 400);
      const e = envelope(await r.text());
      assert.equal(e.code, 'InvalidParameterValue');
      assert.match(e.message, new RegExp(`more than ${MAX_PARAMS} parameters`));
    } finally {
      await big.close();
    }
  });

  it('answers a parameter name nested deeper than any input with 400 UnknownParameter', async () => {
    const name = Array.from({ length: 40 }, (_, i) => (i % 2 ? '1' : 'Filter')).join('.');
    const r = await fetch(srv.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: formBody([['Action', 'DescribeVpcs'], ['Version', EC2_VERSION], [name, 'x']]) });
    assert.equal(r.status, 400);
    const e = envelope(await r.text());
    assert.equal(e.code, 'UnknownParameter');
    assert.match(e.message, /The parameter Filter\.1\.Filter/);
  });

  it('answers a JSON body over the limit with 413 in the JSON protocol', async () => {
    const r = await fetch(srv.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${DX_PREFIX}.DescribeConnections` },
      body: JSON.stringify({ connectionId: 'x'.repeat(LIMIT) }),
    });
    assert.equal(r.status, 413);
    const body = (await r.json()) as { __type?: string; message?: string };
    assert.equal(body.__type, 'RequestEntityTooLarge');
    assert.match(body.message ?? '', new RegExp(`larger than ${LIMIT} bytes`));
  });
});
