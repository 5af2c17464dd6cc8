/**
 * CBOR (RFC 8949) for the Smithy RPC v2 CBOR protocol (`smithy-protocol: rpc-v2-cbor`), which
 * botocore uses for CloudWatch: decoding request bodies into plain values, and encoding model-
 * shaped output (timestamps as tag 1 with epoch seconds, blobs as byte strings).
 */
import type { ServiceModel, ShapeRef } from './model.js';

export class CborError extends Error {}

const MAX_DEPTH = 64;

/** Decodes one CBOR data item. Byte strings become Buffers, tag 1 its epoch-seconds number. */
export function decodeCbor(buf: Buffer): unknown {
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > buf.length) throw new CborError('Unexpected end of CBOR data');
  };
  /** Reads `n` bytes at the position with `read`, and moves past them. */
  const take = <T>(n: number, read: (at: number) => T): T => {
    need(n);
    const v = read(pos);
    pos += n;
    return v;
  };
  const length = (info: number): number | undefined => {
    if (info < 24) return info;
    if (info === 24) {
      need(1);
      return buf[pos++]!;
    }
    if (info === 25) return take(2, (at) => buf.readUInt16BE(at));
    if (info === 26) return take(4, (at) => buf.readUInt32BE(at));
    if (info === 27) {
      const v = take(8, (at) => buf.readBigUInt64BE(at));
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CborError('CBOR integer too large');
      return Number(v);
    }
    if (info === 31) return undefined; // indefinite
    throw new CborError(`Invalid CBOR additional information ${info}`);
  };
  const item = (depth: number): unknown => {
    if (depth > MAX_DEPTH) throw new CborError('CBOR data nested too deeply');
    need(1);
    const initial = buf[pos++]!;
    const major = initial >> 5;
    const info = initial & 0x1f;
    switch (major) {
      case 0: {
        const n = length(info);
        if (n === undefined) throw new CborError('Invalid indefinite integer');
        return n;
      }
      case 1: {
        const n = length(info);
        if (n === undefined) throw new CborError('Invalid indefinite integer');
        return -1 - n;
      }
      case 2:
      case 3: {
        const n = length(info);
        let bytes: Buffer;
        if (n === undefined) {
          const chunks: Buffer[] = [];
          for (;;) {
            need(1);
            if (buf[pos] === 0xff) {
              pos++;
              break;
            }
            const chunk = item(depth + 1);
            chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), 'utf8'));
          }
          bytes = Buffer.concat(chunks);
        } else {
          need(n);
          bytes = buf.subarray(pos, pos + n);
          pos += n;
        }
        return major === 2 ? Buffer.from(bytes) : bytes.toString('utf8');
      }
      case 4: {
        const n = length(info);
        const out: unknown[] = [];
        if (n === undefined) {
          for (;;) {
            need(1);
            if (buf[pos] === 0xff) {
              pos++;
              break;
            }
            out.push(item(depth + 1));
          }
        } else for (let i = 0; i < n; i++) out.push(item(depth + 1));
        return out;
      }
      case 5: {
        const n = length(info);
        const out: Record<string, unknown> = {};
        const entry = () => {
          const k = item(depth + 1);
          if (typeof k !== 'string') throw new CborError('CBOR map keys must be text strings');
          out[k] = item(depth + 1);
        };
        if (n === undefined) {
          for (;;) {
            need(1);
            if (buf[pos] === 0xff) {
              pos++;
              break;
            }
            entry();
          }
        } else for (let i = 0; i < n; i++) entry();
        return out;
      }
      case 6: {
        const tag = length(info);
        const v = item(depth + 1);
        if (tag === 1 && typeof v === 'number') return v;
        throw new CborError(`Unsupported CBOR tag ${tag}`);
      }
      default: {
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22 || info === 23) return null;
        if (info === 25) {
          const h = take(2, (at) => buf.readUInt16BE(at));
          const exp = (h >> 10) & 0x1f;
          const mant = h & 0x3ff;
          const sign = h & 0x8000 ? -1 : 1;
          if (exp === 0) return sign * mant * 2 ** -24;
          if (exp === 31) return mant ? NaN : sign * Infinity;
          return sign * (1 + mant / 1024) * 2 ** (exp - 15);
        }
        if (info === 26) return take(4, (at) => buf.readFloatBE(at));
        if (info === 27) return take(8, (at) => buf.readDoubleBE(at));
        throw new CborError(`Unsupported CBOR simple value ${info}`);
      }
    }
  };
  if (buf.length === 0) return {};
  const v = item(0);
  if (pos !== buf.length) throw new CborError('Unexpected data after the CBOR item');
  return v;
}

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) {
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(n, 1);
    return b;
  }
  if (n < 0x100000000) {
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(n, 1);
    return b;
  }
  const b = Buffer.alloc(9);
  b[0] = (major << 5) | 27;
  b.writeBigUInt64BE(BigInt(n), 1);
  return b;
}

function encodeNumber(v: number, integer: boolean): Buffer {
  if (integer && Number.isSafeInteger(v)) return v >= 0 ? head(0, v) : head(1, -1 - v);
  const b = Buffer.alloc(9);
  b[0] = 0xfb;
  b.writeDoubleBE(v, 1);
  return b;
}

function encodeString(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([head(3, bytes.length), bytes]);
}

/** Encodes a plain value without a model (error bodies and the like). */
export function encodeCborPlain(v: unknown): Buffer {
  if (v === null || v === undefined) return Buffer.from([0xf6]);
  if (typeof v === 'boolean') return Buffer.from([v ? 0xf5 : 0xf4]);
  if (typeof v === 'number') return encodeNumber(v, Number.isInteger(v));
  if (typeof v === 'string') return encodeString(v);
  if (Buffer.isBuffer(v)) return Buffer.concat([head(2, v.length), v]);
  if (Array.isArray(v)) return Buffer.concat([head(4, v.length), ...v.map(encodeCborPlain)]);
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, x]) => [encodeString(k), encodeCborPlain(x)])]);
}

/**
 * Encodes model-shaped output as rendered for JSON (member names as keys, timestamps as epoch
 * seconds, blobs as base64): timestamps become tag 1, blobs byte strings.
 */
export function encodeCborOutput(model: ServiceModel, ref: ShapeRef | undefined, v: unknown): Buffer {
  if (!ref) return encodeCborPlain(v ?? {});
  const shape = model.shapes[ref.shape]!;
  if (v === undefined || v === null) return Buffer.from([0xf6]);
  switch (shape.type) {
    case 'structure': {
      const o = v as Record<string, unknown>;
      const parts: Buffer[] = [];
      let n = 0;
      for (const [name, m] of Object.entries(shape.members ?? {})) {
        const key = m.locationName ?? name;
        if (o[key] === undefined || o[key] === null) continue;
        parts.push(encodeString(key), encodeCborOutput(model, m, o[key]));
        n++;
      }
      return Buffer.concat([head(5, n), ...parts]);
    }
    case 'list': {
      const items = v as unknown[];
      return Buffer.concat([head(4, items.length), ...items.map((i) => encodeCborOutput(model, shape.member!, i))]);
    }
    case 'map': {
      const entries = Object.entries(v as Record<string, unknown>);
      return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, i]) => [encodeString(k), encodeCborOutput(model, shape.value!, i)])]);
    }
    case 'timestamp':
      return Buffer.concat([Buffer.from([0xc1]), encodeNumber(Number(v), Number.isInteger(Number(v)))]);
    case 'blob': {
      const b = Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'base64');
      return Buffer.concat([head(2, b.length), b]);
    }
    case 'integer':
    case 'long':
      return encodeNumber(Number(v), true);
    case 'double':
    case 'float':
      return encodeNumber(Number(v), false);
    case 'boolean':
      return Buffer.from([v ? 0xf5 : 0xf4]);
    default:
      return encodeString(String(v));
  }
}

/** Decoded CBOR input as JSON text for the JSON reader: byte strings as base64. */
export function cborToJsonText(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (x && typeof x === 'object' && (x as { type?: string }).type === 'Buffer' && Array.isArray((x as { data?: unknown }).data)) {
      return Buffer.from((x as { data: number[] }).data).toString('base64');
    }
    return x;
  });
}
