/**
 * `vpcsim trace`: asks a running vpcsim (POST /_vpcsim/trace) where a packet goes — or,
 * with --data-dir or --store, reads the saved state itself, no server needed — and prints
 * the path hop by hop with the verdict (or the JSON with --json).
 *
 * Exit status: 0 when the packet and its reply get through, 1 when they do not, 2 when the
 * request could not be made or was refused.
 */
import { type Json, PACKET_OPTIONS, packetFields, questionCommand, UsageError } from './cli-common.js';

export const TRACE_USAGE = `Usage: vpcsim trace --from SOURCE --to DESTINATION [options]

  --from SOURCE          eni-…, i-…, igw-…, vgw-…, an IPv4 or IPv6 address (an interface's, an
                         on-premises or an internet host's), internet:IP or onprem:IP
  --to DESTINATION       eni-…, i-… or an IPv4 or IPv6 address
  --ipv6                 use the interfaces' IPv6 addresses (implied by an IPv6 address)
  --protocol P           tcp (default), udp, icmp or a protocol number
  --port N               destination port (tcp and udp)
  --source-port N        client port (default 49152)
  --source-ip IP         the address to send from (a secondary address, the outside host's)
  --icmp-type N          ICMP type (default 8, echo request; 128 over IPv6); --icmp-code N
  --account ID           prefer this account when a private address exists in several places
  --region REGION        prefer this region likewise
  --endpoint URL         the vpcsim server [VPCSIM_ENDPOINT] (default http://127.0.0.1:4566)
  --data-dir DIR         trace on the state saved in DIR (SQLite) instead of asking a server
  --store URL            trace on the state in a PostgreSQL store (postgres://…) likewise
  --json                 print the trace as JSON
`;


function pad(s: string, n: number): string {
  return s.length >= n ? `${s} ` : s + ' '.repeat(n - s.length);
}

function endpointOf(h: Json): string {
  if (!h) return '?';
  const ports = h.sourcePort !== undefined ? [`:${h.sourcePort}`, `:${h.destinationPort}`] : ['', ''];
  const icmp = h.icmpType !== undefined ? ` (type ${h.icmpType} code ${h.icmpCode})` : '';
  return `${h.protocol} ${h.sourceAddress}${ports[0]} → ${h.destinationAddress}${ports[1]}${icmp}`;
}

function hopLines(hops: Json[]): string[] {
  return hops.map((h) => `  ${String(h.sequence).padStart(3)}  ${pad(h.component.type, 24)}${pad(h.component.id, 26)}${h.detail}`);
}

/** The trace as a reader wants it: the packet, each path, the verdict and why. */
export function formatTrace(t: Json): string {
  const lines: string[] = [];
  const src = t.source ?? {};
  const from =
    src.kind === 'interface'
      ? `${src.instanceId ? `${src.instanceId} (${src.networkInterfaceId})` : src.networkInterfaceId} in ${src.vpcId}`
      : src.kind === 'internet'
        ? `the internet${src.internetGatewayId ? ` through ${src.internetGatewayId}` : ''}`
        : `on-premises${src.vpnGatewayId ? ` through ${src.vpnGatewayId}` : ''}`;
  lines.push(`${endpointOf(t.packet)}   from ${from}`);
  lines.push('');
  lines.push(`Forward path: ${t.forwardPathAccepted ? 'reaches the destination' : 'blocked'}`);
  lines.push(...hopLines(t.hops));
  if (t.forwardPathAccepted) {
    lines.push('');
    lines.push(`Return path: ${t.returnPathAccepted ? 'reaches the source' : 'blocked'}`);
    lines.push(...hopLines(t.returnHops));
  }
  lines.push('');
  lines.push(`Verdict: ${String(t.verdict).toUpperCase()}`);
  for (const e of t.explanations ?? []) {
    lines.push(`  ${e.explanationCode} at ${e.component.type} ${e.component.id} (${e.direction} path): ${e.message}`);
    if (e.aclRule) lines.push(`    ACL rule ${e.aclRule.ruleNumber === 32767 ? '*' : e.aclRule.ruleNumber} (${e.aclRule.ruleAction}, ${e.aclDirection})`);
    if (e.securityGroups?.length) lines.push(`    security groups: ${e.securityGroups.join(', ')} (${e.securityGroupDirection})`);
    if (e.route) lines.push(`    route: ${e.route.destinationCidr ?? e.route.destinationPrefixListId} → ${e.route.target} (${e.route.state})`);
    if (e.note) lines.push(`    ${e.note}`);
  }
  return lines.join('\n');
}

/** Runs `vpcsim trace …`; resolves to the exit status. */
export function traceCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return questionCommand(
    {
      name: 'trace',
      usage: TRACE_USAGE,
      options: {
        ...PACKET_OPTIONS,
        ipv6: { type: 'boolean' },
        'data-dir': { type: 'string' },
        store: { type: 'string' },
      },
      request: (values) => {
        if (!values.from || !values.to) throw new UsageError('--from and --to are required.');
        return { ...packetFields(values), ipVersion: values.ipv6 ? 6 : undefined };
      },
      path: '/_vpcsim/trace',
      handler: async () => (await import('./server/trace-route.js')).handleTrace,
      format: formatTrace,
      status: (reply) => (reply.verdict === 'accepted' ? 0 : 1),
    },
    args,
    env,
  );
}
