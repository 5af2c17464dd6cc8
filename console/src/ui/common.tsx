import { type ReactNode } from 'react';

export type Select = (id: string) => void;

export function Table(props: { columns: string[]; rows: ReactNode[][]; empty?: string; testId?: string; className?: string }) {
  return (
    <table className={`table ${props.className ?? ''}`} data-testid={props.testId}>
      <thead>
        <tr>
          {props.columns.map((c) => (
            <th key={c}>{c}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.length === 0 ? (
          <tr>
            <td colSpan={props.columns.length} className="muted">
              {props.empty ?? 'None'}
            </td>
          </tr>
        ) : (
          props.rows.map((r, i) => (
            <tr key={i}>
              {r.map((c, j) => (
                <td key={j}>{c}</td>
              ))}
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}

const ID = /^(vpc|subnet|rtb|igw|eigw|nat|vpce|pcx|vgw|vpn|cgw|eni|i|sg|acl|dxvif|dxcon|eipalloc|pl|sgr)-[0-9a-f]{8,17}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A resource ID: a link when the resource is known, plain text otherwise. */
export function IdLink(props: { id: string; known: (id: string) => boolean; onSelect: Select }) {
  if (!props.id) return <span className="muted">-</span>;
  if (!ID.test(props.id) || !props.known(props.id)) return <span className="mono">{props.id}</span>;
  return (
    <button type="button" className="link mono" onClick={() => props.onSelect(props.id)}>
      {props.id}
    </button>
  );
}

export function StateBadge(props: { state: string }) {
  const s = props.state.toLowerCase();
  const tone = /^(available|active|running|attached|associated|in-use|up|accepted|ok|allow|provisioned)$/.test(s)
    ? 'ok'
    : /^(pending|provisioning|attaching|associating|modifying|initiating-request|pending-acceptance|requested|ordering|creating|stopping|shutting-down|down|confirming|verifying)$/.test(s)
      ? 'warn'
      : s
        ? 'bad'
        : 'none';
  if (!s) return null;
  return <span className={`state state-${tone}`}>{props.state}</span>;
}

export function Empty(props: { title: string; children?: ReactNode; testId?: string }) {
  return (
    <div className="empty" data-testid={props.testId}>
      <div className="empty-title">{props.title}</div>
      {props.children && <div className="empty-body">{props.children}</div>}
    </div>
  );
}

export function protocolName(p: unknown): string {
  const s = String(p ?? '');
  switch (s) {
    case '-1':
    case 'all':
      return 'All';
    case '6':
    case 'tcp':
      return 'TCP';
    case '17':
    case 'udp':
      return 'UDP';
    case '1':
    case 'icmp':
      return 'ICMP';
    case '58':
    case 'icmpv6':
      return 'ICMPv6';
    default:
      return s || '-';
  }
}

export function portRange(from: unknown, to: unknown, protocol: unknown): string {
  const p = protocolName(protocol);
  if (p === 'All') return 'All';
  if (p === 'ICMP' || p === 'ICMPv6') {
    const t = String(from ?? '-1');
    return t === '-1' ? 'All' : `type ${t}${String(to ?? '-1') !== '-1' ? ` code ${to}` : ''}`;
  }
  if (from === undefined || from === '' || from === null) return 'All';
  if (String(from) === '-1') return 'All';
  return String(from) === String(to) || to === undefined || to === '' ? String(from) : `${from}-${to}`;
}
