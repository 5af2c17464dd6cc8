/**
 * Path analysis behind one interface, so the console can use whichever the server has:
 * vpcsim's trace endpoint (POST /_vpcsim/trace) or, where served, the Reachability Analyzer
 * API (CreateNetworkInsightsPath + StartNetworkInsightsAnalysis + DescribeNetworkInsightsAnalyses).
 * Both answer the same normalised result: the verdict, the hops of the forward and return
 * paths with the decision at each, and the explanations (Reachability Analyzer codes).
 */
import { ec2, isUnsupported, type QueryParams, type Session, vpcsimCall } from './client.js';
import { arr, type Rec, str } from './values.js';

export interface PathRequest {
  source: string;
  destination: string;
  protocol: 'tcp' | 'udp' | 'icmp';
  port?: number;
  sourceIp?: string;
}

export interface PathHop {
  sequence: number;
  componentId: string;
  componentType: string;
  action: string;
  direction?: string;
  detail: string;
  /** The rule, route or translation that made the decision, as key → value. */
  facts: Array<[string, string]>;
}

export interface PathExplanation {
  code: string;
  direction: string;
  componentId: string;
  componentType: string;
  message: string;
  facts: Array<[string, string]>;
}

export interface PathResult {
  reachable: boolean;
  engine: string;
  packet?: string;
  forwardAccepted: boolean;
  returnAccepted: boolean;
  destination?: string;
  hops: PathHop[];
  returnHops: PathHop[];
  explanations: PathExplanation[];
}

export interface PathAnalyzer {
  name: string;
  analyze(session: Session, req: PathRequest, signal?: AbortSignal): Promise<PathResult>;
}

function ruleFacts(x: Rec | undefined, prefix: string): Array<[string, string]> {
  if (!x) return [];
  const out: Array<[string, string]> = [];
  const range = x.portRange ? `${x.portRange.from}${x.portRange.to !== x.portRange.from ? `-${x.portRange.to}` : ''}` : undefined;
  if (prefix === 'ACL rule') {
    out.push([prefix, `#${x.ruleNumber === 32767 ? '*' : x.ruleNumber} ${x.ruleAction} ${x.protocol}${range ? ` ${range}` : ''} ${x.cidr ?? ''}`.trim()]);
  } else if (prefix === 'Security group rule') {
    out.push([prefix, `${x.securityGroupRuleId ?? ''} in ${x.securityGroupId ?? ''}: ${x.protocol}${range ? ` ${range}` : ''} ${x.cidr ?? x.prefixListId ?? x.referencedGroupId ?? ''}`.trim()]);
  }
  return out;
}

function headerText(h: Rec | undefined): string {
  if (!h) return '';
  const port = (p: unknown) => (p === undefined ? '' : `:${p}`);
  return `${h.protocol} ${h.sourceAddress}${port(h.sourcePort)} → ${h.destinationAddress}${port(h.destinationPort)}`;
}

function traceHop(h: Rec): PathHop {
  const facts: Array<[string, string]> = [];
  facts.push(...ruleFacts(h.aclRule, 'ACL rule'));
  facts.push(...ruleFacts(h.securityGroupRule, 'Security group rule'));
  if (h.route) {
    const r = h.route;
    const dest = r.destinationCidr ?? (r.destinationPrefixListId ? `${r.destinationPrefixListId} (${r.matchedCidr})` : '');
    facts.push(['Route', `${r.routeTableId ?? ''}: ${dest} → ${r.target ?? ''}${r.state ? ` (${r.state})` : ''}`.trim()]);
  }
  if (h.inboundHeader && h.outboundHeader) {
    const a = headerText(h.inboundHeader);
    const b = headerText(h.outboundHeader);
    if (a !== b) facts.push(['Translation', `${a}  ⇒  ${b}`]);
  }
  return {
    sequence: Number(h.sequence),
    componentId: str(h.component?.id),
    componentType: str(h.component?.type),
    action: str(h.action),
    direction: h.direction ? str(h.direction) : undefined,
    detail: str(h.detail),
    facts,
  };
}

function traceExplanation(e: Rec): PathExplanation {
  const facts: Array<[string, string]> = [];
  if (e.acl) facts.push(['Network ACL', `${e.acl}${e.aclDirection ? ` (${e.aclDirection})` : ''}`]);
  facts.push(...ruleFacts(e.aclRule, 'ACL rule'));
  if (e.securityGroups) facts.push(['Security groups', `${arr<string>(e.securityGroups).join(', ')}${e.securityGroupDirection ? ` (${e.securityGroupDirection})` : ''}`]);
  if (e.routeTableId) facts.push(['Route table', str(e.routeTableId)]);
  if (e.route) facts.push(['Route', `${e.route.destinationCidr ?? e.route.destinationPrefixListId ?? ''} → ${e.route.target ?? ''} (${e.route.state ?? ''})`]);
  if (e.address) facts.push(['Address', str(e.address)]);
  if (e.note) facts.push(['Note', str(e.note)]);
  return {
    code: str(e.explanationCode),
    direction: str(e.direction),
    componentId: str(e.component?.id),
    componentType: str(e.component?.type),
    message: str(e.message),
    facts,
  };
}

/** POST /_vpcsim/trace: one packet through the current state. */
export const traceAnalyzer: PathAnalyzer = {
  name: 'vpcsim trace',
  async analyze(session, req, signal) {
    const body: Rec = { region: session.region, source: req.source, destination: req.destination, protocol: req.protocol };
    // Signed requests act in the signer's account; otherwise the account is named.
    if (!session.secretAccessKey) body.account = session.account;
    if (req.protocol !== 'icmp' && req.port !== undefined) body.destinationPort = req.port;
    if (req.protocol === 'icmp') body.icmpType = 8;
    if (req.sourceIp) body.sourceIp = req.sourceIp;
    const t = await vpcsimCall<Rec>(session, '/_vpcsim/trace', body, signal);
    const dest = t.destination;
    return {
      reachable: t.verdict === 'accepted',
      engine: 'vpcsim trace',
      packet: headerText(t.packet),
      forwardAccepted: !!t.forwardPathAccepted,
      returnAccepted: !!t.returnPathAccepted,
      destination: dest ? [dest.kind, dest.networkInterfaceId ?? dest.address, dest.instanceId].filter(Boolean).join(' ') : undefined,
      hops: arr(t.hops).map(traceHop),
      returnHops: arr(t.returnHops).map(traceHop),
      explanations: arr(t.explanations).map(traceExplanation),
    };
  },
};

/** Reachability Analyzer's API, as AWS serves it (used when the server has it). */
export const reachabilityAnalyzer: PathAnalyzer = {
  name: 'Reachability Analyzer',
  async analyze(session, req, signal) {
    const ip = /^\d+\.\d+\.\d+\.\d+$/;
    const params: QueryParams = { Protocol: req.protocol === 'icmp' ? 'tcp' : req.protocol };
    if (ip.test(req.source)) params.SourceIp = req.source;
    else params.Source = req.source;
    if (ip.test(req.destination)) params.DestinationIp = req.destination;
    else params.Destination = req.destination;
    if (req.port !== undefined) params.DestinationPort = req.port;
    if (req.sourceIp) params.SourceIp = req.sourceIp;
    const path = await ec2(session, 'CreateNetworkInsightsPath', params, signal);
    const pathId = str(path.value.networkInsightsPath?.networkInsightsPathId);
    const started = await ec2(session, 'StartNetworkInsightsAnalysis', { NetworkInsightsPathId: pathId }, signal);
    const analysisId = str(started.value.networkInsightsAnalysis?.networkInsightsAnalysisId);
    let a: Rec = started.value.networkInsightsAnalysis ?? {};
    for (let i = 0; i < 60 && str(a.status) === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const d = await ec2(session, 'DescribeNetworkInsightsAnalyses', { 'NetworkInsightsAnalysisId.1': analysisId }, signal);
      a = arr(d.value.networkInsightsAnalysisSet)[0] ?? a;
    }
    const hop = (c: Rec): PathHop => {
      const comp = c.component ?? {};
      const facts: Array<[string, string]> = [];
      if (c.aclRule) facts.push(['ACL rule', `#${str(c.aclRule.ruleNumber)} ${str(c.aclRule.ruleAction)} ${str(c.aclRule.protocol)} ${str(c.aclRule.cidr)}`]);
      if (c.securityGroupRule) facts.push(['Security group rule', `${str(c.securityGroupRule.securityGroupId)} ${str(c.securityGroupRule.protocol)} ${str(c.securityGroupRule.cidr)}`]);
      if (c.routeTableRoute) facts.push(['Route', `${str(c.routeTableRoute.destinationCidr)} → ${str(c.routeTableRoute.gatewayId || c.routeTableRoute.natGatewayId || c.routeTableRoute.networkInterfaceId || c.routeTableRoute.vpcPeeringConnectionId)}`]);
      const id = str(comp.id);
      return {
        sequence: Number(c.sequenceNumber),
        componentId: id,
        componentType: id.split('-')[0] ?? '',
        action: '',
        detail: facts.map(([, v]) => v).join('; '),
        facts,
      };
    };
    return {
      reachable: a.networkPathFound === 'true' || a.networkPathFound === true,
      engine: 'Reachability Analyzer',
      forwardAccepted: a.networkPathFound === 'true',
      returnAccepted: a.networkPathFound === 'true',
      hops: arr(a.forwardPathComponentSet).map(hop),
      returnHops: arr(a.returnPathComponentSet).map(hop),
      explanations: arr(a.explanationSet).map((e) => ({
        code: str(e.explanationCode),
        direction: str(e.direction) || 'forward',
        componentId: str(e.component?.id),
        componentType: str(e.component?.id).split('-')[0] ?? '',
        message: str(e.explanationCode),
        facts: [],
      })),
    };
  },
};

/**
 * The analyzer to use: vpcsim's trace endpoint while it is served (it reports every
 * decision), else the Reachability Analyzer API.
 */
export async function analyzePath(session: Session, req: PathRequest, signal?: AbortSignal): Promise<PathResult> {
  try {
    return await traceAnalyzer.analyze(session, req, signal);
  } catch (err) {
    if (!isUnsupported(err)) throw err;
    return reachabilityAnalyzer.analyze(session, req, signal);
  }
}
