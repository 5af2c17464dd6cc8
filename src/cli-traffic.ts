/**
 * `vpcsim traffic`: sends simulated traffic to a running vpcsim (POST /_vpcsim/traffic), one
 * flow from the options or a scenario file, and prints what the network did with it; `flush`
 * delivers pending flow log records now; `clock` reads or moves the simulation clock.
 *
 * Exit status: 0 when the request was done (dropped flows included: they are traffic too),
 * 2 when it could not be made or was refused.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { callVpcsim, endpointFrom, int, type Json, PACKET_OPTIONS, packetFields, UsageError } from './cli-common.js';
import { parseDuration } from './traffic/clock.js';

export const TRAFFIC_USAGE = `Usage:
  vpcsim traffic --from SOURCE --to DESTINATION [options]   send one flow (or --count connections)
  vpcsim traffic --scenario FILE                            send a scenario file's traffic
  vpcsim traffic flush                                      deliver pending flow log records now
  vpcsim traffic clock [--advance 10m | --set TIME | --real] read or move the simulation clock

Flow options:
  --from SOURCE          eni-…, i-…, igw-…, vgw-…, an IPv4 address, internet:IP, onprem:IP or tag:Name=VALUE
  --to DESTINATION       eni-…, i-…, an IPv4 address or tag:Name=VALUE
  --protocol P           tcp (default), udp, icmp or a protocol number
  --port N               destination port (tcp and udp)
  --source-port N        first client port (default 49152; each connection takes the next one)
  --source-ip IP         the address to send from
  --icmp-type N          ICMP type (default 8, echo request); --icmp-code N
  --count N              connections (default 1)
  --packets N            packets sent by the source per connection (default 10); --bytes N (default 840)
  --reply-packets N      packets of the reply (default 10); --reply-bytes N (default 840)
  --duration D           how long each connection lasts: 500ms, 30s, 10m (default 1s)
  --account ID           prefer this account when a private address exists in several places
  --region REGION        prefer this region likewise

Clock options:
  --advance D            move the simulated time forward (e.g. 90s, 10m, 2h); windows that close are delivered
  --set TIME             set the simulated time (ISO 8601 or epoch milliseconds), never backwards
  --real                 back to the real clock

Common options:
  --endpoint URL         the vpcsim server [VPCSIM_ENDPOINT] (default http://127.0.0.1:4566)
  --json                 print the server's answer as JSON
`;


function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function deliveredText(d: Json): string {
  if (!d) return 'nothing was due';
  const parts = [plural(d.records ?? 0, 'record')];
  const where: string[] = [];
  if (d.logEvents) where.push(plural(d.logEvents, 'log event'));
  if (d.s3Objects) where.push(plural(d.s3Objects, 'S3 object'));
  if (where.length) parts.push(`(${where.join(', ')})`);
  if (d.failed) parts.push(`, ${d.failed} not delivered`);
  return parts.join(' ');
}

function clockText(c: Json): string {
  return c ? `${c.time} (${c.mode === 'simulated' ? 'simulated' : 'real clock'})` : '?';
}

/** The answer to POST /_vpcsim/traffic as a reader wants it. */
export function formatTraffic(r: Json): string {
  const lines: string[] = [];
  const rows = (r.flows ?? []).map((f: Json) => {
    const what = `${f.protocol} ${f.source} → ${f.destination}${f.ports ? ` ${f.ports}` : ''}`;
    const verdict = f.verdict === 'mixed' ? `MIXED (${f.accepted}/${f.connections} accepted)` : String(f.verdict).toUpperCase();
    const count = f.connections > 1 ? ` ×${f.connections}` : '';
    const why = f.explanationCodes?.length ? `  ${f.explanationCodes.join(', ')}` : '';
    return { what: what + count, verdict, rest: `${f.packets} pkts ${f.bytes} B, reply ${f.replyPackets} pkts ${f.replyBytes} B${why}` };
  });
  const w = Math.min(70, Math.max(0, ...rows.map((x: Json) => x.what.length)));
  const v = Math.max(0, ...rows.map((x: Json) => x.verdict.length));
  for (const x of rows) lines.push(`${x.what.padEnd(w)}  ${x.verdict.padEnd(v)}  ${x.rest}`);
  if (r.truncated) lines.push(`… (${r.flows.length} flows listed)`);
  lines.push('');
  lines.push(
    `${plural(r.connections, 'connection')}: ${r.accepted} accepted, ${r.dropped} dropped; ${plural(r.observations, 'interface observation')} recorded.`,
  );
  lines.push(`Clock: ${clockText(r.clock)}`);
  if (r.delivered) lines.push(`Delivered: ${deliveredText(r.delivered)}`);
  return lines.join('\n');
}

/** Runs `vpcsim traffic …`; resolves to the exit status. */
export async function trafficCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const sub = args[0] === 'flush' || args[0] === 'clock' ? args[0] : undefined;
  const rest = sub ? args.slice(1) : args;
  let endpoint: string;
  let asJson: boolean;
  let method: 'GET' | 'POST' = 'POST';
  let path: string;
  let body: unknown;
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: {
        ...PACKET_OPTIONS,
        count: { type: 'string' },
        packets: { type: 'string' },
        bytes: { type: 'string' },
        'reply-packets': { type: 'string' },
        'reply-bytes': { type: 'string' },
        duration: { type: 'string' },
        scenario: { type: 'string' },
        advance: { type: 'string' },
        set: { type: 'string' },
        real: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: true,
    });
    if (values.help) {
      console.log(TRAFFIC_USAGE);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected '${positionals[0]}'.`);
    endpoint = endpointFrom(values, env);
    asJson = !!values.json;
    if (sub === 'flush') {
      path = '/_vpcsim/flush';
      body = {};
    } else if (sub === 'clock') {
      path = '/_vpcsim/clock';
      const moves = [values.advance !== undefined, values.set !== undefined, !!values.real].filter(Boolean).length;
      if (moves > 1) throw new UsageError('give one of --advance, --set, --real.');
      if (values.advance !== undefined) body = { advance: `${parseDuration(values.advance, '--advance')}ms` };
      else if (values.set !== undefined) body = { set: /^\d+$/.test(values.set) ? Number(values.set) : values.set };
      else if (values.real) body = { real: true };
      else method = 'GET';
    } else if (values.scenario !== undefined) {
      if (values.from !== undefined || values.to !== undefined) throw new UsageError('--scenario and --from/--to exclude each other.');
      let scenario: unknown;
      try {
        scenario = JSON.parse(readFileSync(values.scenario, 'utf8'));
      } catch (err) {
        throw new UsageError(`cannot read the scenario ${values.scenario}: ${err instanceof Error ? err.message : err}`);
      }
      path = '/_vpcsim/traffic';
      body = { scenario, account: values.account, region: values.region };
    } else {
      if (!values.from || !values.to) throw new UsageError('--from and --to (or --scenario FILE) are required.');
      path = '/_vpcsim/traffic';
      const flow = {
        ...packetFields(values),
        count: int(values.count, '--count'),
        packets: int(values.packets, '--packets'),
        bytes: int(values.bytes, '--bytes'),
        replyPackets: int(values['reply-packets'], '--reply-packets'),
        replyBytes: int(values['reply-bytes'], '--reply-bytes'),
        durationMs: values.duration !== undefined ? parseDuration(values.duration, '--duration') : undefined,
      };
      body = { flows: [flow] };
    }
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : err}\n\n${TRAFFIC_USAGE}`);
    return 2;
  }

  const r = await callVpcsim('traffic', endpoint, method, path, body);
  if (!r) return 2;
  if (r.status !== 200) {
    console.error(`vpcsim traffic: ${r.reply.error ?? `HTTP ${r.status}`}: ${r.reply.message ?? ''}`);
    return 2;
  }
  if (asJson) console.log(JSON.stringify(r.reply, null, 2));
  else if (sub === 'flush') console.log(`Delivered: ${deliveredText(r.reply.delivered)}`);
  else if (sub === 'clock') {
    console.log(`Clock: ${clockText(r.reply.clock)}`);
    if (r.reply.delivered) console.log(`Delivered: ${deliveredText(r.reply.delivered)}`);
  } else console.log(formatTraffic(r.reply));
  return 0;
}
