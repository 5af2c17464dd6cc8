/**
 * `vpcsim exposure`: which interfaces the internet reaches, on which ports — from a running
 * vpcsim (POST /_vpcsim/exposure) or a saved state (--data-dir, --store).
 *
 * Exit status: 0 when the answer was printed (exposed or not), 2 when it could not be had.
 */
import { type Json, questionCommand } from './cli-common.js';

export const EXPOSURE_USAGE = `Usage: vpcsim exposure [options]

Every interface the internet reaches, on which TCP and UDP ports and whether it answers ping:
its security groups, its subnet's network ACL (both ways) and the route back to an internet
gateway all let the traffic through.

  --account ID           only this account's interfaces
  --region REGION        only this region's
  --vpc VPC              only this VPC's
  --client IP            the internet host asking (default: a host no rule singles out)
  --endpoint URL         the vpcsim server [VPCSIM_ENDPOINT] (default http://127.0.0.1:4566)
  --data-dir DIR         answer from the state saved in DIR (SQLite), no server needed
  --store URL            answer from a PostgreSQL store likewise
  --json                 print the answer as JSON
`;

function ranges(rs: Array<{ from: number; to: number }>): string {
  return rs.length === 0 ? '-' : rs.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`)).join(',');
}

export function formatExposure(r: Json): string {
  const rows: string[][] = [['INTERFACE', 'INSTANCE', 'PUBLIC IP', 'TCP', 'UDP', 'PING']];
  for (const i of r.interfaces as Json[]) {
    rows.push([i.networkInterfaceId, i.instanceId ?? '-', (i.publicIps as string[]).join(','), ranges(i.tcp), ranges(i.udp), i.icmp ? 'yes' : 'no']);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const lines = rows.map((row) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd());
  const n = rows.length - 1;
  lines.push('', `${n} interface${n === 1 ? '' : 's'} reachable from the internet (client ${r.client.address}:${r.client.sourcePort}).`);
  return lines.join('\n');
}

/** Runs `vpcsim exposure …`; resolves to the exit status. */
export function exposureCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return questionCommand(
    {
      name: 'exposure',
      usage: EXPOSURE_USAGE,
      options: {
        account: { type: 'string' },
        region: { type: 'string' },
        vpc: { type: 'string' },
        client: { type: 'string' },
        endpoint: { type: 'string' },
        'data-dir': { type: 'string' },
        store: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      request: (values) => ({ account: values.account, region: values.region, vpcId: values.vpc, client: values.client }),
      path: '/_vpcsim/exposure',
      handler: async () => (await import('./server/exposure-route.js')).handleExposure,
      format: formatExposure,
      status: () => 0,
    },
    args,
    env,
  );
}
