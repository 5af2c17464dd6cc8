/**
 * Renders a typed output object (keys = the model's member names) as the XML the
 * EC2-query and AWS-query protocols return, using the model's element names.
 */
import type { ServiceModel, Shape, ShapeRef } from './model.js';

const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
/** Anything escapeXml would change; most strings have none and are returned as they are. */
const NEEDS_WORK = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF&<>"'\r]/;

export function escapeXml(s: string): string {
  if (!NEEDS_WORK.test(s)) return s;
  let out = s.replace(INVALID_XML_CHARS, '\uFFFD');
  if (!/[&<>"'\r]/.test(out)) return out;
  out = out
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;');
  return out;
}

export type Flavor = 'ec2' | 'query';

function lcfirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function formatScalar(shape: Shape, value: unknown): string {
  if (shape.type === 'timestamp') {
    const d = value instanceof Date ? value : new Date(value as string | number);
    return Number.isNaN(d.getTime()) ? escapeXml(String(value)) : d.toISOString();
  }
  if (shape.type === 'blob') {
    return Buffer.isBuffer(value) ? value.toString('base64') : escapeXml(String(value));
  }
  return escapeXml(String(value));
}

/** A structure's members as [member name, element name, ref], computed once per shape. */
const memberLists = new WeakMap<Shape, Array<[string, string, ShapeRef]>>();

function memberList(shape: Shape): Array<[string, string, ShapeRef]> {
  let list = memberLists.get(shape);
  if (!list) {
    list = Object.entries(shape.members ?? {}).map(([name, ref]) => [name, ref.locationName ?? name, ref]);
    memberLists.set(shape, list);
  }
  return list;
}

class Writer {
  readonly parts: string[] = [];
  constructor(
    private readonly model: ServiceModel,
    private readonly flavor: Flavor,
  ) {}

  members(shape: Shape, value: Record<string, unknown>): void {
    const known = shape.members ?? {};
    for (const [memberName, element, ref] of memberList(shape)) {
      const v = value[memberName];
      if (v === undefined || v === null) continue;
      this.element(element, ref, v);
    }
    // Members newer than the bundled model (AWS keeps adding output fields that current SDKs
    // read) are written by the protocol's naming convention. `_` marks internal fields.
    for (const memberName in value) {
      if (memberName.charCodeAt(0) === 95 /* _ */ || Object.hasOwn(known, memberName)) continue;
      const v = value[memberName];
      if (v === undefined || v === null) continue;
      this.untyped(this.flavor === 'ec2' ? lcfirst(memberName) : memberName, v);
    }
  }

  /** A value the model does not describe: structures by their keys, lists as items. */
  untyped(name: string, value: unknown): void {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      const item = this.flavor === 'ec2' ? 'item' : 'member';
      this.parts.push(`<${name}>`);
      for (const v of value) this.untyped(item, v);
      this.parts.push(`</${name}>`);
    } else if (value instanceof Date) {
      this.parts.push(`<${name}>${value.toISOString()}</${name}>`);
    } else if (typeof value === 'object') {
      this.parts.push(`<${name}>`);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (!k.startsWith('_')) this.untyped(this.flavor === 'ec2' ? lcfirst(k) : k, v);
      }
      this.parts.push(`</${name}>`);
    } else {
      this.parts.push(`<${name}>${escapeXml(String(value))}</${name}>`);
    }
  }

  element(name: string, ref: ShapeRef, value: unknown): void {
    const shape = this.model.shapes[ref.shape]!;
    switch (shape.type) {
      case 'structure':
        this.parts.push(`<${name}>`);
        this.members(shape, value as Record<string, unknown>);
        this.parts.push(`</${name}>`);
        return;
      case 'list': {
        const items = value as unknown[];
        const memberRef = shape.member!;
        if (shape.flattened || ref.flattened) {
          for (const item of items) this.element(name, memberRef, item);
          return;
        }
        const itemName = memberRef.locationName ?? (this.flavor === 'ec2' ? 'item' : 'member');
        this.parts.push(`<${name}>`);
        for (const item of items) this.element(itemName, memberRef, item);
        this.parts.push(`</${name}>`);
        return;
      }
      case 'map': {
        const entries = Object.entries(value as Record<string, unknown>);
        const k = shape.key!.locationName ?? 'key';
        const v = shape.value!.locationName ?? 'value';
        if (!shape.flattened) this.parts.push(`<${name}>`);
        for (const [key, val] of entries) {
          this.parts.push(shape.flattened ? `<${name}>` : '<entry>');
          this.element(k, shape.key!, key);
          this.element(v, shape.value!, val);
          this.parts.push(shape.flattened ? `</${name}>` : '</entry>');
        }
        if (!shape.flattened) this.parts.push(`</${name}>`);
        return;
      }
      default:
        this.parts.push(`<${name}>${formatScalar(shape, value)}</${name}>`);
    }
  }
}

const HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** EC2: `<OpResponse xmlns=...><requestId/>...members...</OpResponse>` */
export function renderEc2Response(
  model: ServiceModel,
  operation: string,
  outputRef: ShapeRef | undefined,
  output: Record<string, unknown>,
  requestId: string,
): string {
  const w = new Writer(model, 'ec2');
  const ns = `http://ec2.amazonaws.com/doc/${model.metadata.apiVersion}/`;
  w.parts.push(`${HEADER}<${operation}Response xmlns="${ns}"><requestId>${requestId}</requestId>`);
  if (outputRef) {
    const shape = model.shapes[outputRef.shape]!;
    w.members(shape, output);
  } else {
    w.parts.push('<return>true</return>');
  }
  w.parts.push(`</${operation}Response>`);
  return w.parts.join('');
}

/** AWS query: `<OpResponse><OpResult>...</OpResult><ResponseMetadata>...` */
export function renderQueryResponse(
  model: ServiceModel,
  operation: string,
  outputRef: (ShapeRef & { resultWrapper?: string }) | undefined,
  output: Record<string, unknown>,
  requestId: string,
): string {
  const w = new Writer(model, 'query');
  const ns = model.metadata.xmlNamespace ?? '';
  w.parts.push(`${HEADER}<${operation}Response xmlns="${ns}">`);
  if (outputRef) {
    const shape = model.shapes[outputRef.shape]!;
    const wrapper = outputRef.resultWrapper ?? `${operation}Result`;
    w.parts.push(`<${wrapper}>`);
    w.members(shape, output);
    w.parts.push(`</${wrapper}>`);
  }
  w.parts.push(`<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`);
  return w.parts.join('');
}

export function renderEc2Error(code: string, message: string, requestId: string): string {
  return (
    `${HEADER}<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>` +
    `</Error></Errors><RequestID>${requestId}</RequestID></Response>`
  );
}

export function renderQueryError(code: string, message: string, requestId: string, sender: boolean): string {
  return (
    `${HEADER}<ErrorResponse><Error><Type>${sender ? 'Sender' : 'Receiver'}</Type><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}
