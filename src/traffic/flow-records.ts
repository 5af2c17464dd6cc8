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

/** One flow log record before formatting. Times are Unix seconds. */
export interface FlowRecord {
  logStatus: LogStatus;
  iface: InterfaceMeta;
  /** First and last packet second (OK), or the part of the window covered (NODATA, SKIPDATA). */
  start: number;
  end: number;
  // The flow: present on OK records only.
  srcaddr?: string;
  dstaddr?: string;
  srcport?: number;
  dstport?: number;
  protocol?: number;
  packets?: number;
  bytes?: number;
  tcpFlags?: number;
  action?: 'ACCEPT' | 'REJECT';
  flowDirection?: 'ingress' | 'egress';
  type?: 'IPv4' | 'IPv6';
  pktSrcaddr?: string;
  pktDstaddr?: string;
  trafficPath?: number;
  pktSrcAwsService?: string;
  pktDstAwsService?: string;
}

const dash = '-';
const str = (v: string | number | undefined): string => (v === undefined || v === '' ? dash : String(v));

type Getter = (r: FlowRecord) => string;

/**
 * The value of each documented field. Metadata of the interface (account, interface, VPC,
 * subnet, instance, Region, zone) is printed on every record; the flow's own fields only on OK
 * records. Fields of resources vpcsim does not model print `-`: sublocations (Wavelength,
 * Outposts, Local Zones), ECS tasks and containers, `reject-reason` (AWS prints a reason only
 * for traffic refused by VPC Block Public Access), `resource-id` (regional NAT gateways) and
 * `encryption-status` (VPC encryption controls).
 */
const GETTERS: Readonly<Record<string, Getter>> = {
  'account-id': (r) => r.iface.account,
  'interface-id': (r) => r.iface.interfaceId,
  srcaddr: (r) => str(r.srcaddr),
  dstaddr: (r) => str(r.dstaddr),
  srcport: (r) => str(r.srcport),
  dstport: (r) => str(r.dstport),
  protocol: (r) => str(r.protocol),
  packets: (r) => str(r.packets),
  bytes: (r) => str(r.bytes),
  start: (r) => String(r.start),
  end: (r) => String(r.end),
  action: (r) => str(r.action),
  'log-status': (r) => r.logStatus,
  'vpc-id': (r) => str(r.iface.vpcId),
  'subnet-id': (r) => str(r.iface.subnetId),
  'instance-id': (r) => str(r.iface.instanceId),
  'tcp-flags': (r) => str(r.tcpFlags),
  type: (r) => str(r.type),
  'pkt-srcaddr': (r) => str(r.pktSrcaddr),
  'pkt-dstaddr': (r) => str(r.pktDstaddr),
  region: (r) => str(r.iface.region),
  'az-id': (r) => str(r.iface.azId),
  'sublocation-type': () => dash,
  'sublocation-id': () => dash,
  'pkt-src-aws-service': (r) => str(r.pktSrcAwsService),
  'pkt-dst-aws-service': (r) => str(r.pktDstAwsService),
  'flow-direction': (r) => str(r.flowDirection),
  // Egress only: AWS prints `-` for ingress records.
  'traffic-path': (r) => (r.flowDirection === 'egress' ? str(r.trafficPath) : dash),
  'ecs-cluster-arn': () => dash,
  'ecs-cluster-name': () => dash,
  'ecs-container-instance-arn': () => dash,
  'ecs-container-instance-id': () => dash,
  'ecs-container-id': () => dash,
  'ecs-second-container-id': () => dash,
  'ecs-service-name': () => dash,
  'ecs-task-definition-arn': () => dash,
  'ecs-task-arn': () => dash,
  'ecs-task-id': () => dash,
  'reject-reason': () => dash,
  'resource-id': () => dash,
  'encryption-status': () => dash,
};

/** The fields this module can print: every field a LogFormat may name. */
export function knownFields(): string[] {
  return Object.keys(FLOW_LOG_FIELDS).filter((f) => f === 'version' || Object.hasOwn(GETTERS, f));
}

/** The value of one field of a record in a format of the given version. */
export function fieldValue(record: FlowRecord, field: string, version: number): string {
  if (field === 'version') return String(version);
  const g = GETTERS[field];
  if (!g) throw new Error(`unknown flow log field ${field}`);
  return g(record);
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

  /** Room for n more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  str(s: string): void {
    const n = s.length;
    this.reserve(n);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) {
        this.ascii = false;
        this.reserve(n * 3);
        this.pos += this.buf.write(s, this.pos, 'utf8');
        return;
      }
      buf[pos++] = c;
    }
    this.pos = pos;
  }

  byte(c: number): void {
    this.reserve(1);
    this.buf[this.pos++] = c;
  }

  num(v: number): void {
    if (!(v >= 0 && v <= 0xffffffff && Math.floor(v) === v)) {
      this.str(String(v));
      return;
    }
    let digits = 1;
    for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
    this.reserve(digits);
    const buf = this.buf;
    let pos = this.pos + digits;
    this.pos = pos;
    let x = v;
    do {
      const q = Math.floor(x / 10);
      buf[--pos] = 48 + x - q * 10;
      x = q;
    } while (x > 0);
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

type Writer = (w: LineWriter, r: FlowRecord) => void;

const DASH = 45;
const optStr = (w: LineWriter, v: string | undefined): void => (v === undefined || v === '' ? w.byte(DASH) : w.str(v));
const optNum = (w: LineWriter, v: number | undefined): void => (v === undefined ? w.byte(DASH) : w.num(v));

/** What GETTERS print, written to a LineWriter; fields not listed here always print `-`. */
const WRITERS: Readonly<Record<string, Writer>> = {
  'account-id': (w, r) => w.str(r.iface.account),
  'interface-id': (w, r) => w.str(r.iface.interfaceId),
  srcaddr: (w, r) => optStr(w, r.srcaddr),
  dstaddr: (w, r) => optStr(w, r.dstaddr),
  srcport: (w, r) => optNum(w, r.srcport),
  dstport: (w, r) => optNum(w, r.dstport),
  protocol: (w, r) => optNum(w, r.protocol),
  packets: (w, r) => optNum(w, r.packets),
  bytes: (w, r) => optNum(w, r.bytes),
  start: (w, r) => w.num(r.start),
  end: (w, r) => w.num(r.end),
  action: (w, r) => optStr(w, r.action),
  'log-status': (w, r) => w.str(r.logStatus),
  'vpc-id': (w, r) => optStr(w, r.iface.vpcId),
  'subnet-id': (w, r) => optStr(w, r.iface.subnetId),
  'instance-id': (w, r) => optStr(w, r.iface.instanceId),
  'tcp-flags': (w, r) => optNum(w, r.tcpFlags),
  type: (w, r) => optStr(w, r.type),
  'pkt-srcaddr': (w, r) => optStr(w, r.pktSrcaddr),
  'pkt-dstaddr': (w, r) => optStr(w, r.pktDstaddr),
  region: (w, r) => optStr(w, r.iface.region),
  'az-id': (w, r) => optStr(w, r.iface.azId),
  'pkt-src-aws-service': (w, r) => optStr(w, r.pktSrcAwsService),
  'pkt-dst-aws-service': (w, r) => optStr(w, r.pktDstAwsService),
  'flow-direction': (w, r) => optStr(w, r.flowDirection),
  'traffic-path': (w, r) => (r.flowDirection === 'egress' ? optNum(w, r.trafficPath) : w.byte(DASH)),
};

const writeDash: Writer = (w) => w.byte(DASH);

const compiled = new Map<string, CompiledFormat>();

/** Compiles (and caches) the formatter of a list of fields, in order. */
export function compileFormat(fields: readonly string[]): CompiledFormat {
  const key = fields.join(' ');
  const hit = compiled.get(key);
  if (hit) return hit;
  const version = formatVersion(fields);
  const v = String(version);
  const getters: Getter[] = fields.map((f) => {
    if (f === 'version') return () => v;
    const g = GETTERS[f];
    if (!g) throw new Error(`unknown flow log field ${f}`);
    return g;
  });
  const n = getters.length;
  const format = (r: FlowRecord): string => {
    let line = getters[0]!(r);
    for (let i = 1; i < n; i++) line += ' ' + getters[i]!(r);
    return line;
  };
  const writers: Writer[] = fields.map((f) => (f === 'version' ? (w: LineWriter) => w.str(v) : (WRITERS[f] ?? writeDash)));
  const write = (w: LineWriter, r: FlowRecord): void => {
    writers[0]!(w, r);
    for (let i = 1; i < n; i++) {
      w.byte(32);
      writers[i]!(w, r);
    }
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
  return {
    logStatus: 'OK',
    iface,
    start: Math.floor(startMs / 1000),
    end: Math.floor(endMs / 1000),
    srcaddr: o.srcaddr,
    dstaddr: o.dstaddr,
    srcport: o.srcport,
    dstport: o.dstport,
    protocol: o.protocol,
    packets,
    bytes,
    tcpFlags,
    action: o.action,
    flowDirection: o.flowDirection,
    type: o.type,
    pktSrcaddr: o.pktSrcaddr,
    pktDstaddr: o.pktDstaddr,
    trafficPath: o.trafficPath,
    pktSrcAwsService: o.pktSrcAwsService,
    pktDstAwsService: o.pktDstAwsService,
  };
}

/** A NODATA or SKIPDATA record of an interface for [startSec, endSec]. */
export function statusRecord(status: 'NODATA' | 'SKIPDATA', iface: InterfaceMeta, startSec: number, endSec: number): FlowRecord {
  return { logStatus: status, iface, start: startSec, end: endSec };
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
