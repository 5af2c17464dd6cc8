/**
 * Flow log records as AWS writes them (VPC User Guide, "Flow log records"): the value of every
 * field of a record, and a record formatted as one line in a flow log's LogFormat.
 *
 * Pure: no state, no clock. A record is what one interface saw of one flow (5-tuple, action,
 * direction and the packet addresses) during one aggregation window, or a NODATA / SKIPDATA
 * record for the window. A field that does not apply to a record prints as `-`, as AWS prints it.
 */
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

/**
 * What tells one flow of an interface from another (the fields that are not summed): an
 * InterfaceObservation is one, so a record refers to the observation that started it.
 */
export type FlowKey = Pick<
  InterfaceObservation,
  'srcaddr' | 'dstaddr' | 'srcport' | 'dstport' | 'protocol' | 'action' | 'flowDirection' | 'type' | 'pktSrcaddr' | 'pktDstaddr' | 'trafficPath' | 'pktSrcAwsService' | 'pktDstAwsService'
>;

/** One flow log record before formatting. Times are Unix seconds. */
export interface FlowRecord {
  logStatus: LogStatus;
  iface: InterfaceMeta;
  /** First and last packet second (OK), or the part of the window covered (NODATA, SKIPDATA). */
  start: number;
  end: number;
  /** The flow, and what it carried: present on OK records only. */
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
  const w = scratch();
  writeField(w, codeOf(field), record, version);
  return w.text(0);
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
  private ascii = true;

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
    if (!(v >= 0 && v < 2147483648 && (v | 0) === v)) {
      this.str(String(v));
      return;
    }
    const digits = v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
    let pos = this.pos + digits;
    if (pos > this.buf.length) this.reserve(digits);
    const buf = this.buf;
    this.pos = pos;
    let x = v;
    while (x >= 10) {
      const q = (x / 10) | 0;
      buf[--pos] = 48 + x - q * 10;
      x = q;
    }
    buf[--pos] = 48 + x;
  }

  /** The text from `from` to the end. */
  text(from: number): string {
    return this.ascii ? this.buf.toString('latin1', from, this.pos) : this.buf.toString('utf8', from, this.pos);
  }

  /** The bytes written so far (a view: valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

const DASH = 45;

function optStr(w: LineWriter, v: string | undefined): void {
  if (v === undefined || v === '') w.byte(DASH);
  else w.str(v);
}

function optNum(w: LineWriter, v: number | undefined): void {
  if (v === undefined) w.byte(DASH);
  else w.num(v);
}

/** Writes one field of a record (`-` for what does not apply to it). */
function writeField(w: LineWriter, code: F, r: FlowRecord, version: number): void {
  const f = r.flow;
  switch (code) {
    case F.VERSION:
      return w.num(version);
    case F.ACCOUNT:
      return w.str(r.iface.account);
    case F.INTERFACE:
      return w.str(r.iface.interfaceId);
    case F.SRCADDR:
      return optStr(w, f?.srcaddr);
    case F.DSTADDR:
      return optStr(w, f?.dstaddr);
    case F.SRCPORT:
      return optNum(w, f?.srcport);
    case F.DSTPORT:
      return optNum(w, f?.dstport);
    case F.PROTOCOL:
      return optNum(w, f?.protocol);
    case F.PACKETS:
      return optNum(w, r.packets);
    case F.BYTES:
      return optNum(w, r.bytes);
    case F.START:
      return w.num(r.start);
    case F.END:
      return w.num(r.end);
    case F.ACTION:
      return optStr(w, f?.action);
    case F.LOG_STATUS:
      return w.str(r.logStatus);
    case F.VPC:
      return optStr(w, r.iface.vpcId);
    case F.SUBNET:
      return optStr(w, r.iface.subnetId);
    case F.INSTANCE:
      return optStr(w, r.iface.instanceId);
    case F.TCP_FLAGS:
      return optNum(w, r.tcpFlags);
    case F.TYPE:
      return optStr(w, f?.type);
    case F.PKT_SRCADDR:
      return optStr(w, f?.pktSrcaddr);
    case F.PKT_DSTADDR:
      return optStr(w, f?.pktDstaddr);
    case F.REGION:
      return optStr(w, r.iface.region);
    case F.AZ:
      return optStr(w, r.iface.azId);
    case F.PKT_SRC_SERVICE:
      return optStr(w, f?.pktSrcAwsService);
    case F.PKT_DST_SERVICE:
      return optStr(w, f?.pktDstAwsService);
    case F.FLOW_DIRECTION:
      return optStr(w, f?.flowDirection);
    case F.TRAFFIC_PATH:
      // Egress only: AWS prints `-` for ingress records.
      return f?.flowDirection === 'egress' ? optNum(w, f.trafficPath) : w.byte(DASH);
    default:
      return w.byte(DASH);
  }
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
  const codes = Uint8Array.from(fields, codeOf);
  const n = codes.length;
  const write = (w: LineWriter, r: FlowRecord): void => {
    writeField(w, codes[0]!, r, version);
    for (let i = 1; i < n; i++) {
      w.byte(32);
      writeField(w, codes[i]!, r, version);
    }
  };
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
  return { logStatus: 'OK', iface, start: Math.floor(startMs / 1000), end: Math.floor(endMs / 1000), flow: o, packets, bytes, tcpFlags };
}

/** A NODATA or SKIPDATA record of an interface for [startSec, endSec]. */
export function statusRecord(status: 'NODATA' | 'SKIPDATA', iface: InterfaceMeta, startSec: number, endSec: number): FlowRecord {
  return { logStatus: status, iface, start: startSec, end: endSec, flow: undefined, packets: undefined, bytes: undefined, tcpFlags: undefined };
}

/**
 * The aggregation key of an observation: every field that is not summed (5-tuple, action,
 * direction, packet addresses, type, traffic path, AWS services). Observations with the same key
 * in the same window of the same interface become one record.
 */
export function aggregationKey(o: InterfaceObservation): string {
  return (
    o.srcaddr + ' ' + o.dstaddr + ' ' + o.srcport + ' ' + o.dstport + ' ' + o.protocol + ' ' + o.action + ' ' + o.flowDirection + ' ' +
    o.pktSrcaddr + ' ' + o.pktDstaddr + ' ' + o.type + ' ' + (o.trafficPath ?? '') + ' ' + (o.pktSrcAwsService ?? '') + ' ' + (o.pktDstAwsService ?? '')
  );
}
