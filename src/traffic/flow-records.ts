/**
 * Flow log records as AWS writes them (VPC User Guide, "Flow log records"): the value of every
 * field of a record, and a record formatted as one line in a flow log's LogFormat.
 *
 * Pure: no state, no clock. A record is what one interface saw of one flow (5-tuple, action,
 * direction and the packet addresses) during one aggregation window, or a NODATA / SKIPDATA
 * record for the window. A field that does not apply to a record prints as `-`, as AWS prints it.
 */
import { formatIpv4, parseIpv4 } from '../network/cidr.js';
import { FLOW_LOG_FIELDS, formatVersion } from '../services/ec2/flow-logs.js';
import type { InterfaceObservation } from './types.js';

export type LogStatus = 'OK' | 'NODATA' | 'SKIPDATA';

/** The interface a record is about: shared by all its records. */
export interface InterfaceMeta {
  account: string;
  region: string;
  interfaceId: string;
  vpcId: string;
  subnetId: string;
  instanceId?: string;
  azId?: string;
}

/** The fields of a flow that are neither its addresses nor its ports (see FlowKind). */
export type KindFields = Pick<InterfaceObservation, 'protocol' | 'action' | 'flowDirection' | 'trafficPath' | 'pktSrcAwsService' | 'pktDstAwsService'>;

/**
 * What a flow is besides its addresses and ports: protocol, action, direction, traffic path and
 * AWS services. Few combinations occur, and each is one frozen object (flowKind): records hold
 * it instead of six fields of their own (a record is made per flow, interface and window: they
 * are many), and flows compare theirs by identity.
 */
export interface FlowKind extends Readonly<Required<Pick<KindFields, 'protocol' | 'action' | 'flowDirection'>>> {
  readonly trafficPath: number | undefined;
  readonly pktSrcAwsService: string | undefined;
  readonly pktDstAwsService: string | undefined;
  /** Its fields hashed (the part of a flow's hash that is not its addresses and ports). */
  readonly hash: number;
}

/**
 * An address as a record holds it: an IPv4 address as its number (a signed 32-bit integer, which
 * V8 keeps in the field itself), another as its text (see addressOf). A record of a flow then
 * points at no string made for the flow: nothing for the garbage collector to follow from
 * records that live a whole window, and nothing far away in memory to read when it is printed.
 */
export type Address = string | number;

/** The address of a dotted text (and, when known, its number: -1 for an address that is not IPv4). */
export function addressOf(text: string, num?: number): Address {
  if (num === undefined) num = parseIpv4(text) ?? -1;
  return num >= 0 ? num | 0 : text;
}

/** The text of an address. */
export function addressText(a: Address): string {
  return typeof a === 'number' ? formatIpv4(a >>> 0) : a;
}

/**
 * What tells one flow of an interface from another (the fields that are not summed). A record
 * the pipeline makes holds these itself (okRecord), not the observation that started it.
 */
export interface FlowKey {
  srcaddr: Address;
  dstaddr: Address;
  srcport: number;
  dstport: number;
  pktSrcaddr: Address;
  pktDstaddr: Address;
  kind: FlowKind;
}

/** One flow log record before formatting. Times are Unix seconds. */
export interface FlowRecord {
  logStatus: LogStatus;
  iface: InterfaceMeta;
  /** First and last packet second (OK), or the part of the window covered (NODATA, SKIPDATA). */
  start: number;
  end: number;
  /** The flow (for records okRecord makes, the record itself), and what it carried: present on OK records only. */
  flow: FlowKey | undefined;
  packets: number | undefined;
  bytes: number | undefined;
  /** TCP flags seen, OR-ed. */
  tcpFlags: number | undefined;
}

/**
 * The documented fields, numbered for the formatter. Metadata of the interface (account,
 * interface, VPC, subnet, instance, Region, zone) is printed on every record; the flow's own
 * fields only on OK records. Fields of resources vpcsim does not model print `-` (DASH):
 * sublocations (Wavelength, Outposts, Local Zones), ECS tasks and containers, `reject-reason`
 * (AWS prints a reason only for traffic refused by VPC Block Public Access), `resource-id`
 * (regional NAT gateways) and `encryption-status` (VPC encryption controls).
 */
const enum F {
  DASH,
  VERSION,
  ACCOUNT,
  INTERFACE,
  SRCADDR,
  DSTADDR,
  SRCPORT,
  DSTPORT,
  PROTOCOL,
  PACKETS,
  BYTES,
  START,
  END,
  ACTION,
  LOG_STATUS,
  VPC,
  SUBNET,
  INSTANCE,
  TCP_FLAGS,
  TYPE,
  PKT_SRCADDR,
  PKT_DSTADDR,
  REGION,
  AZ,
  PKT_SRC_SERVICE,
  PKT_DST_SERVICE,
  FLOW_DIRECTION,
  TRAFFIC_PATH,
}

const FIELD_CODES: Readonly<Record<string, F>> = {
  version: F.VERSION,
  'account-id': F.ACCOUNT,
  'interface-id': F.INTERFACE,
  srcaddr: F.SRCADDR,
  dstaddr: F.DSTADDR,
  srcport: F.SRCPORT,
  dstport: F.DSTPORT,
  protocol: F.PROTOCOL,
  packets: F.PACKETS,
  bytes: F.BYTES,
  start: F.START,
  end: F.END,
  action: F.ACTION,
  'log-status': F.LOG_STATUS,
  'vpc-id': F.VPC,
  'subnet-id': F.SUBNET,
  'instance-id': F.INSTANCE,
  'tcp-flags': F.TCP_FLAGS,
  type: F.TYPE,
  'pkt-srcaddr': F.PKT_SRCADDR,
  'pkt-dstaddr': F.PKT_DSTADDR,
  region: F.REGION,
  'az-id': F.AZ,
  'sublocation-type': F.DASH,
  'sublocation-id': F.DASH,
  'pkt-src-aws-service': F.PKT_SRC_SERVICE,
  'pkt-dst-aws-service': F.PKT_DST_SERVICE,
  'flow-direction': F.FLOW_DIRECTION,
  'traffic-path': F.TRAFFIC_PATH,
  'ecs-cluster-arn': F.DASH,
  'ecs-cluster-name': F.DASH,
  'ecs-container-instance-arn': F.DASH,
  'ecs-container-instance-id': F.DASH,
  'ecs-container-id': F.DASH,
  'ecs-second-container-id': F.DASH,
  'ecs-service-name': F.DASH,
  'ecs-task-definition-arn': F.DASH,
  'ecs-task-arn': F.DASH,
  'ecs-task-id': F.DASH,
  'reject-reason': F.DASH,
  'resource-id': F.DASH,
  'encryption-status': F.DASH,
};

function codeOf(field: string): F {
  const c = FIELD_CODES[field];
  if (c === undefined || !Object.hasOwn(FIELD_CODES, field)) throw new Error(`unknown flow log field ${field}`);
  return c;
}

/** The fields this module can print: every field a LogFormat may name. */
export function knownFields(): string[] {
  return Object.keys(FLOW_LOG_FIELDS).filter((f) => Object.hasOwn(FIELD_CODES, f));
}

/** The value of one field of a record in a format of the given version. */
export function fieldValue(record: FlowRecord, field: string, version: number): string {
  if (field === 'version') return String(version);
  return compileFormat([field]).format(record);
}

/** A compiled LogFormat: the function that turns a record into its line, and the header line. */
export interface CompiledFormat {
  fields: readonly string[];
  version: number;
  /** The field names separated by spaces: the first line of a text file in S3. */
  header: string;
  format(record: FlowRecord): string;
  /** Writes the record's line (the same text as format, without a newline) to a writer. */
  write(w: LineWriter, record: FlowRecord): void;
}

/**
 * Lines written as bytes into one growing buffer: no string per field. Text that is not ASCII is
 * written as UTF-8 (and `line` decodes it as such).
 */
export class LineWriter {
  buf: Buffer;
  pos = 0;
  /** Whether everything written is ASCII (a character per byte). */
  ascii = true;

  constructor(size = 1 << 16) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Empties the writer (its buffer is kept). */
  reset(): void {
    this.pos = 0;
    this.ascii = true;
  }

  /** Room for n more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  str(s: string): void {
    const n = s.length;
    let pos = this.pos;
    if (pos + n > this.buf.length) this.reserve(n);
    const buf = this.buf;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) {
        this.ascii = false;
        this.reserve(n * 3);
        this.pos = pos + this.buf.write(s.slice(i), pos, 'utf8');
        return;
      }
      buf[pos++] = c;
    }
    this.pos = pos;
  }

  byte(c: number): void {
    if (this.pos >= this.buf.length) this.reserve(1);
    this.buf[this.pos++] = c;
  }

  /** A non-negative integer (anything else as its string). */
  num(v: number): void {
    // Room for any number's text (a double's is at most 24 characters).
    this.reserve(32);
    this.pos = putNum(this, this.pos, v, putSlow, DIGIT_PAIRS);
  }

  /** The text from `from` to `to` (default: the end). */
  text(from: number, to = this.pos): string {
    return this.ascii ? this.buf.toString('latin1', from, to) : this.buf.toString('utf8', from, to);
  }

  /** Everything another writer holds, after what this one holds. */
  append(other: LineWriter, from = 0, to = other.pos): void {
    this.reserve(to - from);
    other.buf.copy(this.buf, this.pos, from, to);
    this.pos += to - from;
    if (!other.ascii) this.ascii = false;
  }

  /** The bytes written so far (a view: valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** Room made before each line: every fast write below is bounded (strings up to SHORT characters). */
const LINE_ROOM = 4096;
const SHORT = 64;

function putSlow(w: LineWriter, pos: number, s: string): number {
  w.pos = pos;
  w.str(s);
  w.reserve(LINE_ROOM);
  return w.pos;
}

/**
 * Code that writes a string at `pos` in `buf`: ASCII up to SHORT characters in place, anything
 * else through LineWriter.str (which may give the writer a new buffer: `buf` is read again).
 * With `opt`, an absent or empty string is `-`. Inline code, not a call: a line has a dozen
 * fields, and calls to helpers are more than the optimizing compiler inlines into one function.
 */
function strCode(expr: string, opt: boolean): string {
  const put =
    'const n = s.length; let i = 0; ' +
    'if (n <= SHORT) for (; i < n; i++) { const c = s.charCodeAt(i); if (c > 127) break; buf[pos + i] = c; } ' +
    'if (i === n) pos += n; else { pos = putSlow(w, pos, s); buf = w.buf; }';
  return opt ? `{ const s = ${expr}; if (s === undefined || s === '') buf[pos++] = 45; else { ${put} } }` : `{ const s = ${expr}; ${put} }`;
}

/**
 * Each octet's text for IPv4 addresses: at 4 × octet its length, then its (up to) three digits'
 * character codes.
 */
const OCTETS = Uint8Array.from({ length: 1024 }, (_, k) => {
  const text = String(k >> 2);
  return (k & 3) === 0 ? text.length : (text.charCodeAt((k & 3) - 1) || 0);
});

/**
 * Code that writes an address (see Address) at `pos`: an IPv4 address from its number, octet by
 * octet (three digits written each time, the position moved by the octet's length: the line
 * has room), another as its text; an absent one is `-`.
 */
function addrCode(expr: string): string {
  const ipv4 =
    'for (let sh = 24; sh >= 0; sh -= 8) { const q = ((s >>> sh) & 255) << 2; buf[pos] = OCTETS[q + 1]; buf[pos + 1] = OCTETS[q + 2]; buf[pos + 2] = OCTETS[q + 3]; pos += OCTETS[q]; if (sh !== 0) buf[pos++] = 46; }';
  return `{ const a = ${expr}; if (typeof a === 'number') { const s = a; ${ipv4} } else ${strCode('a', true)} }`;
}

/** The two digits of 0-99 as character codes (numbers are written two digits at a time). */
const DIGIT_PAIRS = Uint8Array.from({ length: 200 }, (_, k) => 48 + (k % 2 === 0 ? ((k / 20) | 0) : (k >> 1) % 10));

/**
 * Code that writes a non-negative integer at `pos` (anything else as its string); with `opt`,
 * undefined is `-`.
 */
function numCode(expr: string, opt: boolean): string {
  const put =
    'if (v >= 0 && v <= 2147483647 && (v | 0) === v) { ' +
    'const n = v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10; ' +
    'let p = pos + n; let x = v; while (x >= 100) { const q = (x / 100) | 0; const d = 2 * (x - q * 100); buf[--p] = PAIRS[d + 1]; buf[--p] = PAIRS[d]; x = q; } ' +
    'if (x >= 10) { buf[--p] = PAIRS[2 * x + 1]; buf[--p] = PAIRS[2 * x]; } else buf[--p] = 48 + x; pos += n; ' +
    '} else { pos = putSlow(w, pos, String(v)); buf = w.buf; }';
  return opt ? `{ const v = ${expr}; if (v === undefined) buf[pos++] = 45; else { ${put} } }` : `{ const v = ${expr}; ${put} }`;
}

/** Writes a number at `pos` as a format writes one (numCode), returns the position after it. */
const putNum = new Function('w', 'pos', 'value', 'putSlow', 'PAIRS', `let buf = w.buf; ${numCode('value', false)} return pos;`) as (
  w: LineWriter,
  pos: number,
  v: number,
  slow: typeof putSlow,
  pairs: Uint8Array,
) => number;

/**
 * How each field is written, as code of the generated writer: `r` is the record, `f` its flow
 * (undefined for NODATA and SKIPDATA), `m` its interface, `pos` the position in `buf` (`w.buf`).
 */
const FIELD_CODE: Readonly<Record<F, string>> = {
  [F.DASH]: 'buf[pos++] = 45;',
  [F.VERSION]: numCode('version', false),
  [F.ACCOUNT]: strCode('m.account', false),
  [F.INTERFACE]: strCode('m.interfaceId', false),
  [F.SRCADDR]: addrCode('f === undefined ? undefined : f.srcaddr'),
  [F.DSTADDR]: addrCode('f === undefined ? undefined : f.dstaddr'),
  [F.SRCPORT]: numCode('f === undefined ? undefined : f.srcport', true),
  [F.DSTPORT]: numCode('f === undefined ? undefined : f.dstport', true),
  [F.PROTOCOL]: numCode('f === undefined ? undefined : f.kind.protocol', true),
  [F.PACKETS]: numCode('r.packets', true),
  [F.BYTES]: numCode('r.bytes', true),
  [F.START]: numCode('r.start', false),
  [F.END]: numCode('r.end', false),
  [F.ACTION]: strCode('f === undefined ? undefined : f.kind.action', true),
  [F.LOG_STATUS]: strCode('r.logStatus', false),
  [F.VPC]: strCode('m.vpcId', true),
  [F.SUBNET]: strCode('m.subnetId', true),
  [F.INSTANCE]: strCode('m.instanceId', true),
  [F.TCP_FLAGS]: numCode('r.tcpFlags', true),
  [F.TYPE]: strCode('f === undefined ? undefined : trafficType(f)', true),
  [F.PKT_SRCADDR]: addrCode('f === undefined ? undefined : f.pktSrcaddr'),
  [F.PKT_DSTADDR]: addrCode('f === undefined ? undefined : f.pktDstaddr'),
  [F.REGION]: strCode('m.region', true),
  [F.AZ]: strCode('m.azId', true),
  [F.PKT_SRC_SERVICE]: strCode('f === undefined ? undefined : f.kind.pktSrcAwsService', true),
  [F.PKT_DST_SERVICE]: strCode('f === undefined ? undefined : f.kind.pktDstAwsService', true),
  [F.FLOW_DIRECTION]: strCode('f === undefined ? undefined : f.kind.flowDirection', true),
  // Egress only: AWS prints `-` for ingress records.
  [F.TRAFFIC_PATH]: numCode("f !== undefined && f.kind.flowDirection === 'egress' ? f.kind.trafficPath : undefined", true),
};

type Writer = (w: LineWriter, r: FlowRecord) => void;

/** Fields that print the interface's metadata (or nothing of the record): the same on every record of an interface. */
const META_FIELDS: ReadonlySet<F> = new Set([F.DASH, F.VERSION, F.ACCOUNT, F.INTERFACE, F.VPC, F.SUBNET, F.INSTANCE, F.REGION, F.AZ]);

/**
 * The line writer of a format, generated as straight-line code from FIELD_CODE (the fields are
 * checked names: no text from outside goes into the code). Two or more metadata fields in a row
 * (the default format's `version account-id interface-id`) are one run of bytes, made once per
 * interface and copied into each of its lines (one TypedArray.set: a byte loop costs three times as much).
 */
function generateWriter(codes: readonly F[], version: number, withRuns = true): Writer {
  // Segments of the line: a run of metadata fields (index into the runs), or one other field.
  const segments: Array<{ run: number; codes: F[] }> = [];
  let runs = 0;
  for (let i = 0; i < codes.length; ) {
    let j = i;
    while (j < codes.length && META_FIELDS.has(codes[j]!)) j++;
    if (withRuns && j - i >= 2) {
      segments.push({ run: runs++, codes: codes.slice(i, j) });
      i = j;
    } else {
      segments.push({ run: -1, codes: [codes[i]!] });
      i++;
    }
  }
  const fieldsCode = (cs: readonly F[]) => cs.map((c) => FIELD_CODE[c]).join(' buf[pos++] = 32; ');
  const body = [
    // The runs of the last interface written (its lines come one after another).
    'let lastMeta;',
    'let runs;',
    'return function writeLine(w, r) {',
    '  w.reserve(LINE_ROOM);',
    '  const f = r.flow;',
    '  const m = r.iface;',
    '  let pos = w.pos;',
    '  let buf = w.buf;',
    ...(runs > 0
      ? ['  if (m !== lastMeta) {', '    lastMeta = m;', '    runs = metaRuns(m);', '  }']
      : []),
    segments
      .map((g) =>
        g.run < 0
          ? '  ' + fieldsCode(g.codes)
          : `  if (runs === undefined) { ${fieldsCode(g.codes)} } else { const b = runs[${g.run}]; buf.set(b, pos); pos += b.length; }`,
      )
      .join('\n  buf[pos++] = 32;\n'),
    '  w.pos = pos;',
    '};',
  ].join('\n');
  const make = new Function('putSlow', 'trafficType', 'version', 'LINE_ROOM', 'SHORT', 'PAIRS', 'OCTETS', 'metaRuns', body) as (...args: unknown[]) => Writer;
  // Each run's fields, written the plain way.
  const runWriters = segments.filter((g) => g.run >= 0).map((g) => generateWriter(g.codes, version, false));
  // Kept per interface (its metadata object): lines of interfaces in turn find theirs again.
  const made = new WeakMap<InterfaceMeta, Uint8Array[] | null>();
  const metaRuns = (m: InterfaceMeta): Uint8Array[] | undefined => {
    let got = made.get(m);
    if (got === undefined) made.set(m, (got = runsOf(m) ?? null));
    return got ?? undefined;
  };
  let runScratch: LineWriter | undefined;
  const runsOf = (m: InterfaceMeta): Uint8Array[] | undefined => {
    const w = (runScratch ??= new LineWriter(1024));
    w.reset();
    const out: Uint8Array[] = [];
    for (const write of runWriters) {
      const from = w.pos;
      // Metadata fields read only the record's interface.
      write(w, statusRecord('NODATA', m, 0, 0));
      out.push(new Uint8Array(w.buf.subarray(from, w.pos)));
    }
    // Text that is not ASCII goes through the writer's own path (which notes it).
    for (const b of out) for (let k = 0; k < b.length; k++) if (b[k]! > 0x7f) return undefined;
    return out;
  };
  return make(putSlow, trafficType, version, LINE_ROOM, SHORT, DIGIT_PAIRS, OCTETS, metaRuns);
}

let scratchWriter: LineWriter | undefined;
/** A writer for one line at a time (emptied on each call). */
function scratch(): LineWriter {
  scratchWriter ??= new LineWriter(1024);
  scratchWriter.reset();
  return scratchWriter;
}

const compiled = new Map<string, CompiledFormat>();

/** Compiles (and caches) the formatter of a list of fields, in order. */
export function compileFormat(fields: readonly string[]): CompiledFormat {
  const key = fields.join(' ');
  const hit = compiled.get(key);
  if (hit) return hit;
  const version = formatVersion(fields);
  const write = generateWriter(fields.map(codeOf), version);
  const format = (r: FlowRecord): string => {
    const w = scratch();
    write(w, r);
    return w.text(0);
  };
  const out: CompiledFormat = { fields: [...fields], version, header: key, format, write };
  compiled.set(key, out);
  return out;
}

/** Formats a record as a line of the given fields. */
export function formatRecord(record: FlowRecord, fields: readonly string[]): string {
  return compileFormat(fields).format(record);
}

/** The interface metadata of an observation, shared by all records of that interface. */
export function interfaceMeta(o: Pick<InterfaceObservation, 'account' | 'region' | 'interfaceId' | 'vpcId' | 'subnetId' | 'instanceId' | 'azId'>): InterfaceMeta {
  return { account: o.account, region: o.region, interfaceId: o.interfaceId, vpcId: o.vpcId, subnetId: o.subnetId, instanceId: o.instanceId, azId: o.azId };
}

/**
 * An OK record from one observation (or a part of it): packets and bytes as given. `iface` is
 * the interface's metadata (defaults to the observation's own).
 */
export function recordOf(o: InterfaceObservation, startMs: number, endMs: number, packets: number, bytes: number, tcpFlags: number, iface: InterfaceMeta = interfaceMeta(o)): FlowRecord {
  const key = flowKeyOf(o);
  return okRecord(key, key.kind, Math.floor(startMs / 1000), Math.floor(endMs / 1000), packets, bytes, tcpFlags, iface);
}

/** Kinds by code (see kindCode): those without AWS services and with a small traffic path. (Every slot made: an array written far past its end would become a dictionary.) */
const KINDS_BY_CODE: Array<FlowKind | undefined> = new Array<FlowKind | undefined>(1 << 14).fill(undefined);
/** The others, by their fields as text. */
const KINDS_BY_TEXT = new Map<string, FlowKind>();

/**
 * A number for the kinds most flows are of (no AWS service, protocol 0-255, traffic path up to
 * 14), else -1.
 */
function kindCode(o: KindFields): number {
  const p = o.protocol;
  const tp = o.trafficPath;
  if (o.pktSrcAwsService !== undefined || o.pktDstAwsService !== undefined || !(p >= 0 && p <= 255 && (p | 0) === p)) return -1;
  let path = 0;
  if (tp !== undefined) {
    if (!(tp >= 0 && tp <= 14 && (tp | 0) === tp)) return -1;
    path = tp + 1;
  }
  return p | (o.action === 'ACCEPT' ? 0x100 : 0) | (o.flowDirection === 'ingress' ? 0x200 : 0) | (path << 10);
}

/** FNV-1a steps over an integer's two halves and a string's characters (undefined is a step of its own). */
function mixInt(h: number, n: number): number {
  h = Math.imul(h ^ (n & 0xffff), 16777619);
  return Math.imul(h ^ (n >>> 16), 16777619);
}
function mixString(h: number, s: string | undefined): number {
  if (s === undefined) return Math.imul(h ^ 0xff, 16777619);
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return Math.imul(h ^ (0x20 | (s.length << 8)), 16777619);
}

function newKind(o: KindFields): FlowKind {
  let hash = mixInt(2166136261, o.protocol);
  hash = mixInt(hash, (o.action === 'ACCEPT' ? 1 : 0) | (o.flowDirection === 'ingress' ? 2 : 0));
  hash = mixInt(hash, o.trafficPath ?? 0xffff);
  hash = mixString(hash, o.pktSrcAwsService);
  hash = mixString(hash, o.pktDstAwsService);
  return Object.freeze({
    protocol: o.protocol,
    action: o.action,
    flowDirection: o.flowDirection,
    trafficPath: o.trafficPath,
    pktSrcAwsService: o.pktSrcAwsService,
    pktDstAwsService: o.pktDstAwsService,
    hash,
  });
}

/** The kind of a flow (of an observation): the one object for its combination of fields. */
export function flowKind(o: KindFields): FlowKind {
  const code = kindCode(o);
  if (code >= 0) return (KINDS_BY_CODE[code] ??= newKind(o));
  const text = [o.protocol, o.action, o.flowDirection, o.trafficPath ?? '', o.pktSrcAwsService ?? '', o.pktDstAwsService ?? ''].map((v) => JSON.stringify(v)).join(',');
  let kind = KINDS_BY_TEXT.get(text);
  if (!kind) KINDS_BY_TEXT.set(text, (kind = newKind(o)));
  return kind;
}

/** A flow's key from an observation (or anything with its fields: addresses as text, or as records hold them). */
export function flowKeyOf(
  o: { srcaddr: Address; dstaddr: Address; pktSrcaddr: Address; pktDstaddr: Address } & Pick<InterfaceObservation, 'srcport' | 'dstport'> & KindFields,
): FlowKey {
  const addr = (a: Address) => (typeof a === 'number' ? a | 0 : addressOf(a));
  return { srcaddr: addr(o.srcaddr), dstaddr: addr(o.dstaddr), srcport: o.srcport, dstport: o.dstport, pktSrcaddr: addr(o.pktSrcaddr), pktDstaddr: addr(o.pktDstaddr), kind: flowKind(o) };
}

/**
 * A record as the pipeline makes it: its flow's key fields are its own (an OK record's `flow` is
 * the record itself), one object per record. The observation that started it is not kept (it may
 * go), and delivery finds the key where it finds the record.
 */
type OwnKeyRecord = FlowRecord & { [K in keyof FlowKey]: FlowKey[K] | undefined };

/** An OK record of a flow (addresses and ports of `o`, and `kind`) for [startSec, endSec]: the same shape as statusRecord's. */
export function okRecord(o: Omit<FlowKey, 'kind'>, kind: FlowKind, startSec: number, endSec: number, packets: number, bytes: number, tcpFlags: number, iface: InterfaceMeta): FlowRecord {
  const r: OwnKeyRecord = {
    logStatus: 'OK',
    iface,
    start: startSec,
    end: endSec,
    flow: undefined,
    packets,
    bytes,
    tcpFlags,
    srcaddr: o.srcaddr,
    dstaddr: o.dstaddr,
    srcport: o.srcport,
    dstport: o.dstport,
    pktSrcaddr: o.pktSrcaddr,
    pktDstaddr: o.pktDstaddr,
    kind,
  };
  r.flow = r as FlowKey;
  return r;
}

/** A NODATA or SKIPDATA record of an interface for [startSec, endSec]. */
export function statusRecord(status: 'NODATA' | 'SKIPDATA', iface: InterfaceMeta, startSec: number, endSec: number): FlowRecord {
  const r: OwnKeyRecord = {
    logStatus: status,
    iface,
    start: startSec,
    end: endSec,
    flow: undefined,
    packets: undefined,
    bytes: undefined,
    tcpFlags: undefined,
    srcaddr: undefined,
    dstaddr: undefined,
    srcport: undefined,
    dstport: undefined,
    pktSrcaddr: undefined,
    pktDstaddr: undefined,
    kind: undefined,
  };
  return r;
}

/** The `type` field of a flow: the family of its addresses. */
export function trafficType(f: { srcaddr: Address }): 'IPv4' | 'IPv6' {
  return typeof f.srcaddr === 'string' && f.srcaddr.indexOf(':') >= 0 ? 'IPv6' : 'IPv4';
}

/**
 * The aggregation key of an observation: every field that is not summed (5-tuple, action,
 * direction, packet addresses, traffic path, AWS services). Observations with the same key
 * in the same window of the same interface become one record.
 */
export function aggregationKey(o: InterfaceObservation): string {
  return (
    o.srcaddr + ' ' + o.dstaddr + ' ' + o.srcport + ' ' + o.dstport + ' ' + o.protocol + ' ' + o.action + ' ' + o.flowDirection + ' ' +
    o.pktSrcaddr + ' ' + o.pktDstaddr + ' ' + (o.trafficPath ?? '') + ' ' + (o.pktSrcAwsService ?? '') + ' ' + (o.pktDstAwsService ?? '')
  );
}
