/**
 * The shapes simulated traffic passes between its stages:
 *
 *   flows (API, CLI, scenario files)
 *     → simulate.ts: each flow decided by the network engine (trace, forward and reply)
 *     → DecidedFlow: the flow, its trace, and what every interface on the path saw
 *     → flow-log-delivery.ts: InterfaceObservation → flow log records, aggregated per interval,
 *       delivered to CloudWatch Logs or S3
 *     → nat-metrics.ts: DecidedFlow → AWS/NATGateway metrics
 */
import type { Headers, TraceRequest, TraceResult } from '../network/trace.js';

/** One flow as a user describes it: the packet as a trace takes it, and how much traffic. */
export interface FlowSpec extends Omit<TraceRequest, 'ipVersion'> {
  /** Packets and bytes sent by the source (the reply carries `replyPackets`/`replyBytes`). */
  packets?: number;
  bytes?: number;
  replyPackets?: number;
  replyBytes?: number;
  /** When the flow starts (epoch ms; default: the simulation clock) and how long it lasts. */
  startMs?: number;
  durationMs?: number;
  /** How many times the same flow repeats, each with the next source port (a connection each). */
  count?: number;
}

/**
 * What one network interface saw of one direction of a flow: the fields a flow log record
 * is made of, before aggregation. Addresses are dotted strings; absent fields print as `-`.
 * The record's `type` (IPv4 or IPv6) is the family of `srcaddr` (see trafficType).
 *
 * At most 24 fields: V8 allocates object literals of up to 24 properties inline and larger ones
 * through the runtime, about eight times slower (one of these is made per interface per
 * connection; test/traffic.test.ts checks the count).
 */
export interface InterfaceObservation {
  interfaceId: string;
  /** The interface owner's account and region (the flow log's scope). */
  account: string;
  region: string;
  vpcId: string;
  subnetId: string;
  instanceId?: string;
  azId?: string;
  /** The packet's addresses at the interface (after any translation before it). */
  srcaddr: string;
  dstaddr: string;
  srcport: number;
  dstport: number;
  protocol: number;
  /** The packet's original addresses (pkt-srcaddr/pkt-dstaddr), e.g. behind a NAT gateway. */
  pktSrcaddr: string;
  pktDstaddr: string;
  packets: number;
  bytes: number;
  /** TCP flags seen (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32), OR-ed. */
  tcpFlags: number;
  action: 'ACCEPT' | 'REJECT';
  flowDirection: 'ingress' | 'egress';
  /** traffic-path code, egress only (1 same VPC, 2 internet gateway or gateway endpoint, 3 virtual private gateway, 4 intra-region peering, 5 inter-region peering, ...). */
  trafficPath?: number;
  pktSrcAwsService?: string;
  pktDstAwsService?: string;
  startMs: number;
  endMs: number;
  /**
   * The four addresses above as numbers, when their maker has them: an IPv4 address's number,
   * -1 for another. Flow logs hash a flow's addresses from these instead of reading the text.
   */
  srcNum?: number;
  dstNum?: number;
  pktSrcNum?: number;
  pktDstNum?: number;
}

/**
 * Observations handed over one at a time: how many, each one's interface (known without making
 * it), and each one. What `at` returns may be overwritten by the next call: read it, keep nothing.
 */
export interface ObservationSource {
  readonly count: number;
  interfaceId(k: number): string;
  at(k: number): InterfaceObservation;
  /** The positions grouped by interface (see group-order.ts), when the source knows them at less cost than asking interfaceId for each. */
  groupOrder?(): Int32Array;
}

/** A flow after the engine decided it: one connection. */
export interface DecidedFlow {
  spec: FlowSpec;
  /**
   * This connection's trace. Connections the engine provably decides alike share one walk
   * (`decision`); their own traces are made from it when first asked for.
   */
  readonly trace: TraceResult;
  /**
   * The walk that decided this connection: its hops, actions, verdict and explanation codes are
   * this connection's, its headers and addresses possibly another connection's decided alike
   * (`own` gives this connection's). Reading it costs nothing; reading `trace` may.
   */
  readonly decision: TraceResult;
  /** A header of `decision` as this connection's packet has it (its own addresses and ports). */
  own(h: Headers, reply: boolean): Headers;
  startMs: number;
  endMs: number;
  packets: number;
  bytes: number;
  replyPackets: number;
  replyBytes: number;
  /**
   * What every interface on the path saw, request then reply. A decided connection makes them
   * when this is first read; the flow log pipeline takes them through `observationSource`
   * (simulate.ts) instead, made one at a time and never kept.
   */
  observations: InterfaceObservation[];
  /** Set when the NAT gateway had no port to allocate for the connection (it goes no further). */
  natDropped?: boolean;
  /** The connection's client port. */
  sourcePort?: number;
}
