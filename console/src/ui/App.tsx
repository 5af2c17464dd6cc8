/**
 * The console: pick an account, region and VPC; the map, details and path explorer; the flow
 * logs view. The region is read again every 2.5 s while the page is visible, and the page
 * renders again only when an answer changed.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { PathResult } from '../api/analysis.js';
import { loadRegion, loadRegions, type RegionSnapshot } from '../api/aws.js';
import { DEFAULT_ACCOUNT, type Session } from '../api/client.js';
import { nameTag, str } from '../api/values.js';
import { buildVpcView, regionIndex } from '../model.js';
import type { Layout } from '../layout.js';
import { Details } from './Details.js';
import { Empty } from './common.js';
import { FlowLogs } from './FlowLogs.js';
import { MapView } from './MapView.js';
import { PathExplorer } from './PathExplorer.js';
import { buildOverlay } from './path-overlay.js';

export const POLL_MS = 2500;

type Tab = 'map' | 'flowlogs';
type Panel = 'details' | 'path';

function initial() {
  const q = new URLSearchParams(location.search);
  return {
    account: q.get('account') ?? localStorage.getItem('vpcsim.account') ?? DEFAULT_ACCOUNT,
    region: q.get('region') ?? localStorage.getItem('vpcsim.region') ?? 'us-east-1',
    vpc: q.get('vpc') ?? undefined,
    tab: (q.get('tab') as Tab) ?? 'map',
    selected: q.get('selected') ?? undefined,
  };
}

export function App() {
  const init = useMemo(initial, []);
  const [accountInput, setAccountInput] = useState(init.account);
  const [keyId, setKeyId] = useState(sessionStorage.getItem('vpcsim.keyId') ?? '');
  const [secret, setSecret] = useState(sessionStorage.getItem('vpcsim.secret') ?? '');
  const [showCreds, setShowCreds] = useState(false);
  const [region, setRegion] = useState(init.region);
  const session = useMemo<Session>(
    () => ({ account: /^\d{12}$/.test(accountInput) ? accountInput : DEFAULT_ACCOUNT, region, accessKeyId: keyId || undefined, secretAccessKey: secret || undefined }),
    [accountInput, region, keyId, secret],
  );
  const [regions, setRegions] = useState<string[]>([]);
  const [snap, setSnap] = useState<RegionSnapshot | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();
  const [vpcId, setVpcId] = useState<string | undefined>(init.vpc);
  const [tab, setTab] = useState<Tab>(init.tab === 'flowlogs' ? 'flowlogs' : 'map');
  const [panel, setPanel] = useState<Panel>('details');
  const [selected, setSelected] = useState<string | undefined>(init.selected);
  const [path, setPath] = useState<PathResult | undefined>();
  const [focus, setFocus] = useState<string | undefined>();
  const [live, setLive] = useState(true);
  const [tick, setTick] = useState(0);
  const [layout, setLayout] = useState<Layout | undefined>();
  const lastSig = useRef<string>('');

  useEffect(() => {
    loadRegions(session)
      .then(setRegions)
      .catch((e) => setLoadError(e instanceof Error ? e.message : String(e)));
  }, [session]);

  // Live refresh.
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ctl = new AbortController();
    lastSig.current = '';
    setSnap(undefined);
    const poll = async () => {
      if (stopped) return;
      if (!document.hidden) {
        try {
          const s = await loadRegion(session, ctl.signal);
          if (stopped) return;
          setLoadError(undefined);
          if (s.signature !== lastSig.current) {
            lastSig.current = s.signature;
            setSnap(s);
          }
          setTick((t) => t + 1);
        } catch (e) {
          if (stopped) return;
          setLoadError(e instanceof Error ? e.message : String(e));
        }
      }
      if (live && !stopped) timer = setTimeout(poll, POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      ctl.abort();
      if (timer) clearTimeout(timer);
    };
  }, [session, live]);

  // Keep the choice in the address and for the next visit.
  useEffect(() => {
    localStorage.setItem('vpcsim.account', session.account);
    localStorage.setItem('vpcsim.region', region);
    const q = new URLSearchParams({ account: session.account, region });
    if (vpcId) q.set('vpc', vpcId);
    if (tab !== 'map') q.set('tab', tab);
    if (selected) q.set('selected', selected);
    history.replaceState(null, '', `${location.pathname}?${q}`);
  }, [session.account, region, vpcId, tab, selected]);
  useEffect(() => {
    if (keyId) sessionStorage.setItem('vpcsim.keyId', keyId);
    else sessionStorage.removeItem('vpcsim.keyId');
    if (secret) sessionStorage.setItem('vpcsim.secret', secret);
    else sessionStorage.removeItem('vpcsim.secret');
  }, [keyId, secret]);

  const vpcs = useMemo(() => [...(snap?.vpcs ?? [])].sort((a, b) => Number(a.isDefault === 'true') - Number(b.isDefault === 'true') || str(a.vpcId).localeCompare(str(b.vpcId))), [snap]);
  // A VPC that is gone (or none chosen yet): the first non-default one.
  useEffect(() => {
    if (!snap) return;
    if (!vpcId || !snap.vpcs.some((v) => v.vpcId === vpcId)) setVpcId(str(vpcs[0]?.vpcId) || undefined);
  }, [snap, vpcId, vpcs]);

  const view = useMemo(() => (snap && vpcId ? buildVpcView(snap, vpcId) : undefined), [snap, vpcId]);
  const index = useMemo(() => (snap ? regionIndex(snap) : new Map()), [snap]);
  const known = useCallback((id: string) => index.has(id), [index]);
  const select = useCallback(
    (id: string) => {
      setSelected(id);
      setPanel('details');
      const hit = index.get(id);
      // Following a link to another VPC's resource shows that VPC.
      const otherVpc = hit?.kind === 'vpc' ? id : str(hit?.rec.vpcId);
      if (otherVpc && otherVpc !== vpcId && view && !view.index.has(id)) setVpcId(otherVpc);
    },
    [index, vpcId, view],
  );
  const overlay = useMemo(() => (path && layout ? buildOverlay(path, layout) : undefined), [path, layout]);
  const sel = selected ? index.get(selected) : undefined;
  const subnetView = view?.subnets.find((s) => s.id === selected);

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          vpcsim <span>console</span>
        </div>
        <label>
          Account
          <input
            value={accountInput}
            onChange={(e) => setAccountInput(e.target.value.trim())}
            className={`account ${/^\d{12}$/.test(accountInput) ? '' : 'invalid'}`}
            maxLength={12}
            inputMode="numeric"
            title="12-digit account ID"
            data-testid="account"
          />
        </label>
        <label>
          Region
          <select value={region} onChange={(e) => setRegion(e.target.value)} data-testid="region">
            {(regions.length ? regions : [region]).map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label>
          VPC
          <select value={vpcId ?? ''} onChange={(e) => setVpcId(e.target.value)} data-testid="vpc" disabled={!vpcs.length}>
            {vpcs.map((v) => (
              <option key={str(v.vpcId)} value={str(v.vpcId)}>
                {str(v.vpcId)} {nameTag(v) ? `· ${nameTag(v)}` : ''} · {str(v.cidrBlock)}
                {v.isDefault === 'true' ? ' (default)' : ''}
              </option>
            ))}
          </select>
        </label>
        <nav className="tabs">
          <button type="button" className={tab === 'map' ? 'active' : ''} onClick={() => setTab('map')} data-testid="tab-map">
            Resource map
          </button>
          <button type="button" className={tab === 'flowlogs' ? 'active' : ''} onClick={() => setTab('flowlogs')} data-testid="tab-flowlogs">
            Flow logs
          </button>
        </nav>
        <div className="spacer" />
        <button type="button" className={`live ${live ? 'on' : ''}`} onClick={() => setLive(!live)} title="Refresh every 2.5 s" data-testid="live">
          <span className="live-dot" /> {live ? 'Live' : 'Paused'}
        </button>
        <button type="button" onClick={() => setShowCreds(!showCreds)} title="Credentials for a server started with --auth sigv4">
          Credentials
        </button>
        {showCreds && (
          <div className="creds">
            <p className="muted">
              Only for a vpcsim started with <code>--auth sigv4</code>: requests are then signed with these (kept for this tab only).
            </p>
            <label>
              Access key ID <input value={keyId} onChange={(e) => setKeyId(e.target.value.trim())} />
            </label>
            <label>
              Secret access key <input type="password" value={secret} onChange={(e) => setSecret(e.target.value)} />
            </label>
            <button type="button" onClick={() => setShowCreds(false)}>
              Done
            </button>
          </div>
        )}
      </header>
      {loadError && (
        <div className="banner error" role="alert">
          {loadError}
        </div>
      )}
      {snap && snap.problems.length > 0 && (
        <div className="banner warn" title={snap.problems.join('\n')}>
          Some resources could not be read: {snap.problems[0]}
        </div>
      )}
      {tab === 'map' ? (
        <main className="main">
          <div className="map-area">
            {!snap ? (
              <Empty title="Loading…" />
            ) : !view ? (
              <Empty title={`No VPCs in ${region}`} testId="no-vpcs">
                Create one with <code>aws ec2 create-vpc --cidr-block 10.0.0.0/16</code>.
              </Empty>
            ) : (
              <MapView view={view} selected={selected} onSelect={select} overlay={overlay} focus={focus} onLayout={setLayout} />
            )}
          </div>
          <aside className="side">
            <div className="side-tabs">
              <button type="button" className={panel === 'details' ? 'active' : ''} onClick={() => setPanel('details')} data-testid="panel-details">
                Details
              </button>
              <button type="button" className={panel === 'path' ? 'active' : ''} onClick={() => setPanel('path')} data-testid="panel-path">
                Path explorer
              </button>
            </div>
            <div className="side-body">
              {panel === 'details' ? (
                sel && selected ? (
                  <Details
                    key={selected}
                    id={selected}
                    kind={sel.kind}
                    rec={sel.rec}
                    session={session}
                    known={known}
                    onSelect={select}
                    lookup={(id) => index.get(id)}
                    subnetFacts={subnetView}
                  />
                ) : (
                  <Empty title="Select a resource">Click anything on the map to see its attributes, rules, routes and tags.</Empty>
                )
              ) : snap ? (
                <PathExplorer session={session} snap={snap} vpcId={vpcId} result={path} onResult={setPath} onFocus={setFocus} onSelect={select} known={known} />
              ) : null}
            </div>
          </aside>
        </main>
      ) : (
        <main className="main-flow">
          <FlowLogs session={session} snap={snap} vpcId={vpcId} tick={Math.floor(tick / 4)} />
        </main>
      )}
    </div>
  );
}
