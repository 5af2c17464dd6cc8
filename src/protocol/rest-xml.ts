/**
 * The REST-XML protocol (S3), driven by the service model: which operation a request is (HTTP
 * method, path template, query markers such as `?list-type=2`), its input from the path,
 * query string, headers and body, and the output as headers plus an XML (or raw) body.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from './errors.js';
import type { Operation, ServiceModel, Shape, ShapeRef } from './model.js';

export interface RestRequest {
  method: string;
  /** Path labels: S3's {Bucket} and {Key+}. */
  labels: Record<string, string | undefined>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface Route {
  op: string;
  method: string;
  labels: string[];
  greedy: boolean;
  literals: Array<[string, string | undefined]>;
  /** Required query parameters and headers (e.g. UploadPart's uploadId, CopyObject's x-amz-copy-source). */
  requiredQuery: string[];
  requiredHeaders: string[];
}

const routeCache = new WeakMap<ServiceModel, Route[]>();

function routes(model: ServiceModel): Route[] {
  let list = routeCache.get(model);
  if (list) return list;
  list = [];
  for (const [name, op] of Object.entries(model.operations) as Array<[string, Operation]>) {
    const uri = op.http?.requestUri ?? '/';
    const [path = '/', qs = ''] = uri.split('?');
    const labels = [...path.matchAll(/\{(\w+)(\+)?\}/g)].map((m) => m[1]!);
    const literals: Array<[string, string | undefined]> = qs
      ? qs.split('&').filter(Boolean).map((p) => {
          const eq = p.indexOf('=');
          return eq < 0 ? [p, undefined] : [p.slice(0, eq), p.slice(eq + 1)];
        })
      : [];
    const input = op.input ? model.shapes[op.input.shape] : undefined;
    const requiredQuery: string[] = [];
    const requiredHeaders: string[] = [];
    for (const r of input?.required ?? []) {
      const ref = input!.members![r]!;
      if (ref.location === 'querystring') requiredQuery.push(ref.locationName ?? r);
      if (ref.location === 'header') requiredHeaders.push((ref.locationName ?? r).toLowerCase());
    }
    list.push({ op: name, method: op.http?.method ?? 'POST', labels, greedy: /\+\}/.test(path), literals, requiredQuery, requiredHeaders });
  }
  routeCache.set(model, list);
  return list;
}

/** The operation a request is for: the route whose labels and query markers fit best. */
export function findRestOperation(model: ServiceModel, req: Pick<RestRequest, 'method' | 'labels' | 'query' | 'headers'>): string | undefined {
  const present = Object.entries(req.labels)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k]) => k)
    .sort()
    .join(',');
  let best: Route | undefined;
  for (const r of routes(model)) {
    if (r.method !== req.method) continue;
    if ([...r.labels].sort().join(',') !== present) continue;
    const fits =
      r.literals.every(([k, v]) => req.query.has(k) && (v === undefined || req.query.get(k) === v)) &&
      r.requiredQuery.every((k) => req.query.has(k)) &&
      r.requiredHeaders.every((h) => req.headers[h] !== undefined);
    if (!fits) continue;
    const score = (x: Route) => x.literals.length * 100 + x.requiredQuery.length + x.requiredHeaders.length;
    if (!best || score(r) > score(best)) best = r;
  }
  return best?.op;
}

function shape(model: ServiceModel, ref: ShapeRef): Shape {
  return model.shapes[ref.shape]!;
}

function scalar(model: ServiceModel, ref: ShapeRef, raw: string, where: string): unknown {
  const s = shape(model, ref);
  switch (s.type) {
    case 'integer':
    case 'long': {
      if (!/^-?\d+$/.test(raw.trim())) throw new ApiError('InvalidArgument', `Invalid value '${raw}' for ${where}.`);
      return Number(raw);
    }
    case 'double':
    case 'float':
      return Number(raw);
    case 'boolean':
      return raw.trim().toLowerCase() === 'true';
    case 'timestamp': {
      const d = /^\d+(\.\d+)?$/.test(raw) ? new Date(Number(raw) * 1000) : new Date(raw);
      if (Number.isNaN(d.getTime())) throw new ApiError('InvalidArgument', `Invalid date '${raw}' for ${where}.`);
      return d;
    }
    case 'blob':
      return Buffer.from(raw, 'base64');
    default:
      return raw;
  }
}

export function parseRestInput(model: ServiceModel, opName: string, req: RestRequest): Record<string, unknown> {
  const op = model.operations[opName]!;
  const out: Record<string, unknown> = {};
  if (!op.input) return out;
  const input = shape(model, op.input);
  for (const [name, ref] of Object.entries(input.members ?? {})) {
    const loc = ref.location;
    const wire = ref.locationName ?? name;
    if (loc === 'uri') {
      const v = req.labels[wire];
      if (v !== undefined) out[name] = v;
    } else if (loc === 'querystring') {
      const s = shape(model, ref);
      if (s.type === 'list') {
        const all = req.query.getAll(wire);
        if (all.length) out[name] = all;
      } else if (req.query.has(wire)) out[name] = scalar(model, ref, req.query.get(wire)!, wire);
    } else if (loc === 'header') {
      const v = req.headers[wire.toLowerCase()];
      if (v !== undefined) out[name] = scalar(model, ref, Array.isArray(v) ? v.join(',') : v, wire);
    } else if (loc === 'headers') {
      const prefix = wire.toLowerCase();
      const map: Record<string, string> = {};
      for (const [h, v] of Object.entries(req.headers)) {
        if (h.startsWith(prefix) && v !== undefined) map[h.slice(prefix.length)] = Array.isArray(v) ? v.join(',') : v;
      }
      if (Object.keys(map).length) out[name] = map;
    } else if (input.payload === name) {
      const s = shape(model, ref);
      if (s.type === 'blob' || s.type === 'string') out[name] = req.body;
      else if (s.type === 'structure' && req.body.length > 0) {
        const root = parseXml(req.body.toString('utf8'));
        out[name] = readStructure(model, s, root);
      }
    }
  }
  for (const r of input.required ?? []) {
    if (out[r] === undefined) {
      throw new ApiError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// XML in: a small parser for request bodies (elements, text, entities; no DTDs).

export interface XmlNode {
  name: string;
  children: XmlNode[];
  text: string;
}

function malformed(): ApiError {
  return new ApiError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_, e: string) => {
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'amp') return '&';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

export function parseXml(text: string): XmlNode {
  let i = 0;
  const skipMisc = () => {
    for (;;) {
      while (i < text.length && /\s/.test(text[i]!)) i++;
      if (text.startsWith('<?', i)) {
        const end = text.indexOf('?>', i);
        if (end < 0) throw malformed();
        i = end + 2;
      } else if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i);
        if (end < 0) throw malformed();
        i = end + 3;
      } else if (text.startsWith('<!', i)) {
        throw malformed();
      } else return;
    }
  };
  const element = (): XmlNode => {
    if (text[i] !== '<') throw malformed();
    const m = /^<([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(text.slice(i, i + 4096));
    if (!m) throw malformed();
    i += m[0].length;
    const name = m[1]!.includes(':') ? m[1]!.split(':').pop()! : m[1]!;
    const node: XmlNode = { name, children: [], text: '' };
    if (m[3] === '/') return node;
    for (;;) {
      const lt = text.indexOf('<', i);
      if (lt < 0) throw malformed();
      node.text += decodeEntities(text.slice(i, lt));
      i = lt;
      if (text.startsWith('</', i)) {
        const close = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(text.slice(i, i + 512));
        if (!close || close[1] !== m[1]) throw malformed();
        i += close[0].length;
        return node;
      }
      if (text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i);
        if (end < 0) throw malformed();
        node.text += text.slice(i + 9, end);
        i = end + 3;
      } else if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i);
        if (end < 0) throw malformed();
        i = end + 3;
      } else node.children.push(element());
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (i !== text.length) throw malformed();
  return root;
}

function readValue(model: ServiceModel, ref: ShapeRef, node: XmlNode): unknown {
  const s = shape(model, ref);
  if (s.type === 'structure') return readStructure(model, s, node);
  if (s.type === 'list') return node.children.map((c) => readValue(model, s.member!, c));
  return scalar(model, ref, node.text, node.name);
}

function readStructure(model: ServiceModel, s: Shape, node: XmlNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, ref] of Object.entries(s.members ?? {})) {
    const ms = shape(model, ref);
    if (ms.type === 'list' && (ms.flattened || ref.flattened)) {
      const item = ref.locationName ?? ms.member!.locationName ?? name;
      const items = node.children.filter((c) => c.name === item);
      if (items.length) out[name] = items.map((c) => readValue(model, ms.member!, c));
      continue;
    }
    const child = node.children.find((c) => c.name === (ref.locationName ?? name));
    if (child) out[name] = readValue(model, ref, child);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// XML out.

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export function escapeXml(s: string): string {
  return s.replace(/[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return `&#x${c.charCodeAt(0).toString(16)};`;
    }
  });
}

function xmlScalar(s: Shape, v: unknown): string {
  if (s.type === 'timestamp') return (v instanceof Date ? v : new Date(v as string | number)).toISOString();
  if (s.type === 'blob') return Buffer.isBuffer(v) ? v.toString('base64') : String(v);
  return escapeXml(String(v));
}

function writeMember(model: ServiceModel, name: string, ref: ShapeRef, v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = shape(model, ref);
  const tag = ref.locationName ?? name;
  if (s.type === 'list') {
    const items = v as unknown[];
    if (s.flattened || ref.flattened) {
      const item = ref.locationName ?? s.member!.locationName ?? name;
      return items.map((x) => writeMember(model, item, { ...s.member!, locationName: item }, x)).join('');
    }
    const item = s.member!.locationName ?? 'member';
    return `<${tag}>${items.map((x) => writeMember(model, item, { ...s.member!, locationName: item }, x)).join('')}</${tag}>`;
  }
  if (s.type === 'structure') return `<${tag}>${writeStructureBody(model, s, v as Record<string, unknown>)}</${tag}>`;
  return `<${tag}>${xmlScalar(s, v)}</${tag}>`;
}

function writeStructureBody(model: ServiceModel, s: Shape, v: Record<string, unknown>): string {
  let out = '';
  for (const [name, ref] of Object.entries(s.members ?? {})) {
    if (ref.location) continue;
    out += writeMember(model, name, ref, v[name]);
  }
  return out;
}

function headerValue(model: ServiceModel, ref: ShapeRef, v: unknown): string {
  const s = shape(model, ref);
  if (s.type === 'timestamp') return (v instanceof Date ? v : new Date(v as string | number)).toUTCString();
  return String(v);
}

export interface RestReply {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

/**
 * The output: header members as headers, the payload member (blob) as the body, or the body
 * members as XML under `root`.
 */
export function renderRestOutput(model: ServiceModel, opName: string, output: Record<string, unknown>, root: string, status = 200): RestReply {
  const op = model.operations[opName]!;
  const headers: Record<string, string> = {};
  if (!op.output) return { status, headers, body: '' };
  const s = shape(model, op.output);
  for (const [name, ref] of Object.entries(s.members ?? {})) {
    const v = output[name];
    if (v === undefined || v === null) continue;
    if (ref.location === 'header') headers[ref.locationName ?? name] = headerValue(model, ref, v);
    else if (ref.location === 'headers') {
      for (const [k, x] of Object.entries(v as Record<string, string>)) headers[`${ref.locationName ?? ''}${k}`] = x;
    }
  }
  if (s.payload) {
    const v = output[s.payload];
    const ps = shape(model, s.members![s.payload]!);
    if (ps.type === 'blob' || ps.type === 'string') return { status, headers, body: v === undefined ? '' : Buffer.isBuffer(v) ? v : String(v) };
    if (ps.type === 'structure') {
      headers['Content-Type'] = 'application/xml';
      const tag = s.members![s.payload]!.locationName ?? s.payload;
      const inner = writeStructureBody(model, ps, (v ?? {}) as Record<string, unknown>);
      return { status, headers, body: `<?xml version="1.0" encoding="UTF-8"?>\n<${tag} xmlns="${S3_XMLNS}">${inner}</${tag}>` };
    }
  }
  const body = writeStructureBody(model, s, output);
  const hasBody = Object.values(s.members ?? {}).some((r) => !r.location);
  if (!hasBody) return { status, headers, body: '' };
  headers['Content-Type'] = 'application/xml';
  return { status, headers, body: `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_XMLNS}">${body}</${root}>` };
}

/** S3's error document. `extra` adds elements such as BucketName or Key. */
export function renderRestError(code: string, message: string, requestId: string, extra: Record<string, string> = {}): string {
  const more = Object.entries(extra)
    .map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>${more}<RequestId>${requestId}</RequestId><HostId>${requestId}</HostId></Error>`;
}
