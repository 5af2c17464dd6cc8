/**
 * Path explorer: a source and a destination (instances, interfaces, gateways or addresses),
 * a protocol and port; a Reachability Analyzer analysis answers whether traffic gets there
 * and back, hop by hop, with the rule, route or translation deciding at each hop — or what
 * blocks it and why. Earlier analyses of the same path can be opened again.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import {
  analysisResult,
  type AnalysisSummary,
  analyzePath,
  describeAnalysis,
  listAnalyses,
  type PathExplanation,
  type PathHop,
  type PathRequest,
  type PathResult,
} from '../api/analysis.js';
import type { RegionSnapshot } from '../api/aws.js';
import type { Session } from '../api/client.js';
import { arr, nameTag, str } from '../api/values.js';
import { type Select } from './common.js';

interface Props {
  session: Session;
  snap: RegionSnapshot;
  vpcId?: string;
  result?: PathResult;
  onResult: (r: PathResult | undefined) => void;
  onFocus: (id: string | undefined) => void;
  onSelect: Select;
  known: (id: string) => boolean;
}

interface Choice {
  value: string;
  label: string;
}

function choices(snap: RegionSnapshot, vpcId: string | undefined, forSource: boolean): Choice[] {
  const out: Choice[] = [];
  const mine = (v: unknown) => !vpcId || v === vpcId;
  const sorted = <T extends { vpcId?: unknown }>(xs: T[]) => [...xs].sort((a, b) => Number(mine(b.vpcId)) - Number(mine(a.vpcId)));
  for (const i of sorted(snap.instances)) {
    if (str(i.instanceState?.name) === 'terminated') continue;
    out.push({ value: str(i.instanceId), label: `Instance ${nameTag(i) ?? ''} ${str(i.privateIpAddress)} ${str(i.ipAddress)}`.replace(/\s+/g, ' ') });
  }
  for (const e of sorted(snap.networkInterfaces)) {
    out.push({ value: str(e.networkInterfaceId), label: `Interface ${str(e.interfaceType) || 'interface'} ${str(e.privateIpAddress)} ${str(e.association?.publicIp)}`.replace(/\s+/g, ' ') });
  }
  if (forSource) {
    for (const g of snap.internetGateways) if (arr(g.attachmentSet).some((a) => mine(a.vpcId))) out.push({ value: str(g.internetGatewayId), label: 'Internet gateway (a host on the internet)' });
    for (const g of snap.vpnGateways) if (arr(g.attachments).some((a) => mine(a.vpcId))) out.push({ value: str(g.vpnGatewayId), label: 'Virtual private gateway (on-premises host)' });
  }
  return out;
}

function HopTable(props: { hops: PathHop[]; title: string; onFocus: Props['onFocus']; onSelect: Select; known: Props['known']; testId: string; active?: number }) {
  if (props.hops.length === 0) return null;
  return (
    <section className="section">
      <h3>{props.title}</h3>
      <ol className="hops" data-testid={props.testId}>
        {props.hops.map((h, i) => (
          <li
            key={h.sequence}
            data-component={h.componentId}
            data-action={h.action}
            className={`hop hop-${h.action}${props.active === i ? ' hop-active' : ''}`}
            onMouseEnter={() => props.onFocus(h.componentId)}
            onMouseLeave={() => props.onFocus(undefined)}
          >
            <span className="hop-n">{h.sequence}</span>
            <div className="hop-body">
              <div className="hop-title">
                <span className="hop-type">{h.componentType}</span>{' '}
                {props.known(h.componentId) ? (
                  <button type="button" className="link mono" onClick={() => props.onSelect(h.componentId)}>
                    {h.componentId}
                  </button>
                ) : (
                  <span className="mono">{h.componentId}</span>
                )}{' '}
                <span className={`hop-action action-${h.action}`}>{h.action}</span>
              </div>
              <div className="hop-detail">{h.detail}</div>
              {h.facts.length > 0 && (
                <dl className="facts">
                  {h.facts.map(([k, v], i) => (
                    <div key={i}>
                      <dt>{k}</dt>
                      <dd className="mono">{v}</dd>
                    </div>
                  ))}
                </dl>
              )}
            </div>
          </li>
        ))}
      </ol>
    </section>
  );
}

function Explanations(props: { items: PathExplanation[]; onFocus: Props['onFocus'] }) {
  if (!props.items.length) return null;
  return (
    <section className="section">
      <h3>Explanations</h3>
      <ul className="explanations" data-testid="explanations">
        {props.items.map((e, i) => (
          <li key={i} className="explanation" data-code={e.code} data-component={e.componentId} onMouseEnter={() => props.onFocus(e.componentId)} onMouseLeave={() => props.onFocus(undefined)}>
            <div>
              <span className="code">{e.code}</span> <span className="muted">{e.direction} path</span>
            </div>
            <div>
              {e.componentType} <span className="mono">{e.componentId}</span>
            </div>
            <div>{e.message}</div>
            {e.facts.length > 0 && (
              <dl className="facts">
                {e.facts.map(([k, v], j) => (
                  <div key={j}>
                    <dt>{k}</dt>
                    <dd className="mono">{v}</dd>
                  </div>
                ))}
              </dl>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function History(props: { session: Session; result: PathResult; onOpen: (r: PathResult) => void }) {
  const a = props.result.analysis!;
  const [items, setItems] = useState<AnalysisSummary[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let live = true;
    listAnalyses(props.session, a.pathId)
      .then((x) => live && setItems(x))
      .catch((err) => live && setError(err instanceof Error ? err.message : String(err)));
    return () => {
      live = false;
    };
  }, [props.session, a.pathId, a.analysisId]);
  const open = async (id: string) => {
    try {
      const rec = await describeAnalysis(props.session, id);
      if (rec) props.onOpen({ ...analysisResult(rec), source: props.result.source });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <section className="section">
      <h3>
        Analyses of path <span className="mono">{a.pathId}</span>
      </h3>
      {error && <div className="error">{error}</div>}
      {!items ? (
        <div className="muted">Loading…</div>
      ) : (
        <ul className="analyses" data-testid="analysis-history">
          {items.slice(0, 20).map((x) => (
            <li key={x.analysisId} className={x.analysisId === a.analysisId ? 'current' : ''} data-analysis={x.analysisId}>
              <button type="button" className="link mono" onClick={() => void open(x.analysisId)} disabled={x.analysisId === a.analysisId}>
                {x.analysisId}
              </button>{' '}
              <span className="muted">{x.startDate ? new Date(x.startDate).toLocaleString() : ''}</span>{' '}
              <span className={x.found ? 'allow' : x.found === false ? 'deny' : 'muted'}>{x.status === 'succeeded' ? (x.found ? 'reachable' : 'not reachable') : x.status}</span>
            </li>
          ))}
          {items.length > 20 && <li className="muted">and {items.length - 20} older</li>}
        </ul>
      )}
    </section>
  );
}

export function PathExplorer(props: Props) {
  const [source, setSource] = useState('');
  const [destination, setDestination] = useState('');
  const [protocol, setProtocol] = useState<PathRequest['protocol']>('tcp');
  const [port, setPort] = useState('443');
  const [sourceIp, setSourceIp] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const abort = useRef<AbortController | undefined>(undefined);
  const srcChoices = useMemo(() => choices(props.snap, props.vpcId, true), [props.snap, props.vpcId]);
  const dstChoices = useMemo(() => choices(props.snap, props.vpcId, false), [props.snap, props.vpcId]);

  const run = async (e: React.FormEvent) => {
    e.preventDefault();
    abort.current?.abort();
    const ctl = new AbortController();
    abort.current = ctl;
    setBusy(true);
    setError(undefined);
    props.onResult(undefined);
    try {
      const req: PathRequest = { source: source.trim(), destination: destination.trim(), protocol };
      if (protocol !== 'icmp' && port.trim()) req.port = Number(port);
      if (sourceIp.trim()) req.sourceIp = sourceIp.trim();
      props.onResult(await analyzePath(props.session, req, ctl.signal));
    } catch (err) {
      if (!ctl.signal.aborted) setError(err instanceof Error ? err.message : String(err));
    } finally {
      if (abort.current === ctl) setBusy(false);
    }
  };

  const r = props.result;
  // Stepping through the hops (forward, then return): the current one is focused on the map.
  const [step, setStep] = useState<number | undefined>();
  const steps = useMemo(() => (r ? [...r.hops.map((h) => ({ h, back: false })), ...r.returnHops.map((h) => ({ h, back: true }))] : []), [r]);
  useEffect(() => setStep(undefined), [r]);
  const go = (i: number) => {
    const n = Math.max(0, Math.min(steps.length - 1, i));
    setStep(n);
    props.onFocus(steps[n]?.h.componentId);
  };
  const cur = step === undefined ? undefined : steps[step];
  return (
    <div className="path-explorer" data-testid="path-explorer">
      <form className="path-form" onSubmit={run}>
        <label>
          Source
          <input list="path-sources" value={source} onChange={(e) => setSource(e.target.value)} placeholder="i-…, eni-…, igw-…, vgw-… or an IP" required data-testid="path-source" />
        </label>
        <datalist id="path-sources">
          {srcChoices.map((c) => (
            <option key={c.value} value={c.value} label={c.label} />
          ))}
        </datalist>
        <label>
          Destination
          <input list="path-destinations" value={destination} onChange={(e) => setDestination(e.target.value)} placeholder="i-…, eni-… or an IP" required data-testid="path-destination" />
        </label>
        <datalist id="path-destinations">
          {dstChoices.map((c) => (
            <option key={c.value} value={c.value} label={c.label} />
          ))}
        </datalist>
        <div className="row">
          <label>
            Protocol
            <select value={protocol} onChange={(e) => setProtocol(e.target.value as PathRequest['protocol'])} data-testid="path-protocol">
              <option value="tcp">TCP</option>
              <option value="udp">UDP</option>
              <option value="icmp">ICMP (echo)</option>
            </select>
          </label>
          <label>
            Destination port
            <input type="number" min={0} max={65535} value={protocol === 'icmp' ? '' : port} disabled={protocol === 'icmp'} onChange={(e) => setPort(e.target.value)} data-testid="path-port" />
          </label>
        </div>
        <label>
          Source address <span className="muted">(optional: one of the source's, or an outside host's)</span>
          <input value={sourceIp} onChange={(e) => setSourceIp(e.target.value)} placeholder="e.g. 198.51.100.10" data-testid="path-source-ip" />
        </label>
        <div className="row">
          <button type="submit" className="primary" disabled={busy} data-testid="path-run">
            {busy ? 'Analyzing…' : 'Analyze path'}
          </button>
          {r && (
            <button type="button" onClick={() => props.onResult(undefined)}>
              Clear
            </button>
          )}
        </div>
      </form>
      {error && (
        <div className="error" role="alert" data-testid="path-error">
          {error}
        </div>
      )}
      {r && (
        <div className="path-result" data-testid="path-result">
          <div className={`verdict ${r.reachable ? 'verdict-ok' : 'verdict-bad'}`} data-testid="path-verdict">
            {r.reachable ? '✓ Reachable' : '✕ Not reachable'}
            <span className="verdict-sub">
              {r.packet && <span className="mono">{r.packet}</span>}
              <span>
                forward {r.forwardAccepted ? 'accepted' : 'dropped'} · return {r.returnAccepted ? 'accepted' : r.forwardAccepted ? 'dropped' : 'not sent'} · {r.engine}
              </span>
              {r.analysis && (
                <span>
                  analysis{' '}
                  <span className="mono" data-testid="analysis-id">
                    {r.analysis.analysisId}
                  </span>{' '}
                  · {r.analysis.status}
                  {r.analysis.startDate ? ` · ${new Date(r.analysis.startDate).toLocaleTimeString()}` : ''}
                </span>
              )}
            </span>
          </div>
          <Explanations items={r.explanations} onFocus={props.onFocus} />
          {steps.length > 0 && (
            <div className="stepper" data-testid="hop-stepper">
              <button type="button" onClick={() => go(step === undefined ? 0 : step - 1)} disabled={step === 0} data-testid="hop-prev">
                ◀
              </button>
              <button type="button" onClick={() => go(step === undefined ? 0 : step + 1)} disabled={step === steps.length - 1} data-testid="hop-next">
                ▶
              </button>
              <span data-testid="hop-step">
                {cur ? (
                  <>
                    {cur.back ? 'return' : 'forward'} hop {cur.h.sequence} of {cur.back ? r.returnHops.length : r.hops.length}: {cur.h.componentType} <span className="mono">{cur.h.componentId}</span>
                    {cur.h.detail ? ` — ${cur.h.detail}` : ''}
                  </>
                ) : (
                  <span className="muted">Step through the path hop by hop</span>
                )}
              </span>
            </div>
          )}
          <HopTable
            hops={r.hops}
            title={`Forward path (${r.hops.length} hops)`}
            onFocus={props.onFocus}
            onSelect={props.onSelect}
            known={props.known}
            testId="hops-forward"
            active={cur && !cur.back ? step : undefined}
          />
          <HopTable
            hops={r.returnHops}
            title={`Return path (${r.returnHops.length} hops)`}
            onFocus={props.onFocus}
            onSelect={props.onSelect}
            known={props.known}
            testId="hops-return"
            active={cur?.back && step !== undefined ? step - r.hops.length : undefined}
          />
          {r.analysis && <History session={props.session} result={r} onOpen={props.onResult} />}
        </div>
      )}
    </div>
  );
}
