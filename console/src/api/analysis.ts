/**
 * Path analysis: Reachability Analyzer through the EC2 API (CreateNetworkInsightsPath, or an
 * existing path with the same parameters; StartNetworkInsightsAnalysis;
 * DescribeNetworkInsightsAnalyses until it has finished), and vpcsim's trace endpoint
 * (POST /_vpcsim/trace) for what Reachability Analyzer does not analyse (ICMP, a source given
 * as an address) or a server without that API. Both answer the same normalised result: the
 * verdict, the hops of the forward and return paths with the decision at each (rule, route,
 * translation with its inbound and outbound headers), and the explanations (codes and
 * components) when the path is blocked.
 */
import { describeAll } from './aws.js';
import { AwsError, ec2, filterParams, isUnsupported, type QueryParams, type Session, vpcsimCall } from './client.js';
import { arr, bool, type Rec, str } from './values.js';

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
  /** The Reachability Analyzer analysis this result comes from. */
  analysis?: AnalysisSummary;
  /** Where the path starts (drawn on the map when no hop is listed, e.g. a blocked analysis). */
  source?: string;
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

/** ARN resource types of Reachability Analyzer components → the console's component types. */
const ARN_TYPE: Record<string, string> = {
  natgateway: 'nat-gateway',
  'vpn-gateway': 'vpn-gateway',
};

const PREFIX_TYPE: Record<string, string> = {
  i: 'instance',
  eni: 'network-interface',
  sg: 'security-group',
  acl: 'network-acl',
  rtb: 'route-table',
  subnet: 'subnet',
  vpc: 'vpc',
  igw: 'internet-gateway',
  nat: 'nat-gateway',
  pcx: 'vpc-peering-connection',
  vgw: 'vpn-gateway',
  vpn: 'vpn-connection',
  vpce: 'vpc-endpoint',
  eigw: 'egress-only-internet-gateway',
  tgw: 'transit-gateway',
};

/** The type of a component from its ARN (`arn:aws:ec2:…:natgateway/nat-…`), else from its ID's prefix. */
export function componentType(c: Rec | undefined): string {
  const arn = str(c?.arn);
  const m = /^arn:[^:]+:[^:]+:[^:]*:[^:]*:([^/]+)\//.exec(arn);
  if (m) return ARN_TYPE[m[1]!] ?? m[1]!;
  const id = str(c?.id);
  return PREFIX_TYPE[id.slice(0, id.indexOf('-'))] ?? '';
}

function portsText(ranges: unknown): string {
  const list = arr(ranges);
  if (!list.length) return '';
  return list.map((r) => (str(r.from) === str(r.to) ? str(r.from) : `${str(r.from)}-${str(r.to)}`)).join(',');
}

function protoText(p: unknown): string {
  const s = str(p);
  return s === '6' ? 'tcp' : s === '17' ? 'udp' : s === '1' ? 'icmp' : s === '-1' ? 'all' : s;
}

/** An AnalysisPacketHeader: "tcp 10.0.0.4:49152 → 10.0.10.4:8080". */
export function analysisHeaderText(h: Rec | undefined): string {
  if (!h) return '';
  const addr = (list: unknown) => arr<unknown>(list).map(str).join(',');
  const port = (r: unknown) => {
    const t = portsText(r);
    return t ? `:${t}` : '';
  };
  return `${protoText(h.protocol)} ${addr(h.sourceAddressSet)}${port(h.sourcePortRangeSet)} → ${addr(h.destinationAddressSet)}${port(h.destinationPortRangeSet)}`;
}

/** What a translation changed between two headers: "destination 198.51.100.39 → 10.0.0.4". */
function headerChanges(a: Rec, b: Rec): string[] {
  const addr = (list: unknown) => arr<unknown>(list).map(str).join(',');
  const out: string[] = [];
  const pair = (label: string, x: string, y: string) => {
    if (x !== y) out.push(`${label} ${x || '-'} → ${y || '-'}`);
  };
  pair('source', addr(a.sourceAddressSet), addr(b.sourceAddressSet));
  pair('source port', portsText(a.sourcePortRangeSet), portsText(b.sourcePortRangeSet));
  pair('destination', addr(a.destinationAddressSet), addr(b.destinationAddressSet));
  pair('destination port', portsText(a.destinationPortRangeSet), portsText(b.destinationPortRangeSet));
  return out.length ? out : ['headers changed'];
}

function rangeText(r: Rec | undefined): string {
  if (!r || r.from === undefined) return '';
  return str(r.from) === str(r.to) ? str(r.from) : `${str(r.from)}-${str(r.to)}`;
}

function raAclRuleText(r: Rec): string {
  const n = str(r.ruleNumber);
  const range = rangeText(r.portRange);
  return `#${n === '32767' ? '*' : n} ${str(r.ruleAction)} ${protoText(r.protocol)}${range ? ` ${range}` : ''} ${str(r.cidr)} (${bool(r.egress) ? 'outbound' : 'inbound'})`.replace(/\s+/g, ' ');
}

function raSgRuleText(r: Rec): string {
  const range = rangeText(r.portRange);
  const peer = str(r.cidr) || str(r.prefixListId) || str(r.securityGroupId);
  return `${str(r.direction)} ${protoText(r.protocol)}${range ? ` ${range}` : ''} ${str(r.direction) === 'egress' ? 'to' : 'from'} ${peer}`.replace(/\s+/g, ' ');
}

function raRouteTarget(r: Rec): string {
  return (
    str(r.gatewayId) ||
    str(r.natGatewayId) ||
    str(r.networkInterfaceId) ||
    str(r.instanceId) ||
    str(r.vpcPeeringConnectionId) ||
    str(r.transitGatewayId) ||
    str(r.egressOnlyInternetGatewayId) ||
    str(r.localGatewayId) ||
    str(r.carrierGatewayId) ||
    str(r.coreNetworkArn)
  );
}

function raRouteText(r: Rec): string {
  const dest = str(r.destinationCidr) || str(r.destinationPrefixListId);
  return `${dest} → ${raRouteTarget(r)}${str(r.state) ? ` (${str(r.state)})` : ''}`;
}

/** One ForwardPathComponents / ReturnPathComponents entry as a hop. */
export function analysisHop(c: Rec, index: number, count: number): PathHop {
  const comp = c.component ?? {};
  const id = str(comp.id);
  const type = componentType(comp);
  const facts: Array<[string, string]> = [];
  const details: string[] = [];
  let action = 'forward';
  if (c.securityGroupRule) {
    const t = raSgRuleText(c.securityGroupRule);
    facts.push(['Security group rule', t]);
    details.push(`${str(c.securityGroupRule.direction) || 'traffic'} allowed by rule ${t.replace(/^(ingress|egress) /, '')}`);
    action = 'allow';
  }
  if (c.aclRule) {
    const t = raAclRuleText(c.aclRule);
    facts.push(['ACL rule', t]);
    details.push(`${bool(c.aclRule.egress) ? 'outbound' : 'inbound'} ${str(c.aclRule.ruleAction) === 'deny' ? 'denied' : 'allowed'} by rule ${t.split(' ')[0]}`);
    action = str(c.aclRule.ruleAction) === 'deny' ? 'deny' : 'allow';
  }
  if (c.routeTableRoute) {
    const t = raRouteText(c.routeTableRoute);
    facts.push(['Route', t]);
    details.push(`route ${t}`);
    action = 'route';
  }
  const inbound = analysisHeaderText(c.inboundHeader);
  const outbound = analysisHeaderText(c.outboundHeader);
  if (inbound) facts.push(['Inbound header', inbound]);
  if (outbound) facts.push(['Outbound header', outbound]);
  if (inbound && outbound && inbound !== outbound) {
    const changes = headerChanges(c.inboundHeader, c.outboundHeader);
    facts.push(['Translation', changes.join('; ')]);
    details.push(`translates the ${changes.map((x) => x.split(' ')[0]).join(' and ')}`);
    action = 'translate';
  } else if (!c.securityGroupRule && !c.aclRule && !c.routeTableRoute) {
    if (index === 0 && outbound) {
      action = 'send';
      details.push(`sends ${outbound}`);
    } else if (index === count - 1 && inbound) {
      action = 'receive';
      details.push(`receives ${inbound}`);
    }
  }
  if (c.attachedTo) facts.push(['Attached to', str(c.attachedTo.id)]);
  if (c.subnet) facts.push(['Subnet', str(c.subnet.id)]);
  if (c.vpc) facts.push(['VPC', str(c.vpc.id)]);
  if (c.serviceName) facts.push(['Service', str(c.serviceName)]);
  return {
    sequence: Number(c.sequenceNumber) || index + 1,
    componentId: id,
    componentType: type,
    action,
    detail: details.join('; '),
    facts,
  };
}

/** What Reachability Analyzer's explanation codes mean (AWS's wording, shortened). */
const CODE_TEXT: Record<string, string> = {
  ENI_SG_RULES_MISMATCH: 'The security groups of the network interface have no rule that allows this traffic.',
  SUBNET_ACL_RESTRICTION: "The subnet's network ACL does not allow this traffic.",
  NO_ROUTE_TO_DESTINATION: 'The route table has no route to the destination.',
  BAD_STATE: 'The component is not in a state that forwards traffic.',
  BAD_STATE_ATTACHMENT: 'The gateway is not attached to the VPC.',
  BAD_STATE_ROUTE: 'The route is not active (its target is gone): a blackhole.',
  BAD_STATE_VPN: 'The VPN connection has no tunnel up.',
  ENI_SOURCE_DEST_CHECK_RESTRICTION: 'The network interface checks source/destination and the traffic is not its own.',
  IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS: 'The internet gateway has no public address mapped to this private address.',
  IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS: 'The source has no public IPv4 address for the internet gateway to translate to.',
  NGW_REQUIRES_SOURCE_IN_VPC: "The NAT gateway translates only traffic from its VPC's addresses.",
  NO_PATH: 'No path from the source reaches the destination.',
  NO_POSSIBLE_DESTINATION: 'No component accepts traffic for this destination.',
  PCX_REQUIRES_ADDRESS_IN_VPC_CIDR: "The peering connection carries only traffic between the two VPCs' CIDR blocks.",
  UNKNOWN_DESTINATION: 'The destination address belongs to nothing known.',
  UNSUPPORTED_COMPONENT: 'A component on the path is not analysed.',
  VPCE_GATEWAY_EGRESS_SOURCE_ADDRESS_RESTRICTION: 'A gateway endpoint carries only traffic from addresses in its VPC.',
  VPCE_GATEWAY_PROTOCOL_RESTRICTION: 'A gateway endpoint carries only TCP.',
};

export function explanationText(code: string): string {
  return CODE_TEXT[code] ?? code.toLowerCase().replace(/_/g, ' ');
}

function ids(list: unknown): string {
  return arr(list)
    .map((x) => str(x.id))
    .filter(Boolean)
    .join(', ');
}

/** One Explanations entry. */
export function analysisExplanation(e: Rec): PathExplanation {
  const facts: Array<[string, string]> = [];
  const one = (label: string, c: Rec | undefined) => {
    if (c && str(c.id)) facts.push([label, str(c.id)]);
  };
  one('Network interface', e.networkInterface);
  one('Attached to', e.attachedTo);
  if (arr(e.securityGroupSet).length) facts.push(['Security groups', ids(e.securityGroupSet)]);
  one('Security group', e.securityGroup);
  if (e.securityGroupRule) facts.push(['Security group rule', raSgRuleText(e.securityGroupRule)]);
  one('Network ACL', e.acl);
  if (e.aclRule) facts.push(['ACL rule', raAclRuleText(e.aclRule)]);
  one('Route table', e.routeTable);
  if (e.routeTableRoute) facts.push(['Route', raRouteText(e.routeTableRoute)]);
  one('Internet gateway', e.internetGateway);
  one('NAT gateway', e.natGateway);
  one('Peering connection', e.vpcPeeringConnection);
  one('VPN gateway', e.vpnGateway);
  one('VPN connection', e.vpnConnection);
  one('VPC endpoint', e.vpcEndpoint);
  one('Subnet', e.subnet);
  one('VPC', e.vpc);
  const addresses = arr<unknown>(e.addressSet).map(str).filter(Boolean);
  if (addresses.length) facts.push(['Addresses', addresses.join(', ')]);
  else if (str(e.address)) facts.push(['Address', str(e.address)]);
  if (arr(e.cidrSet).length) facts.push(['CIDRs', arr<unknown>(e.cidrSet).map(str).join(', ')]);
  if (str(e.missingComponent)) facts.push(['Missing', str(e.missingComponent)]);
  if (str(e.state)) facts.push(['State', str(e.state)]);
  const code = str(e.explanationCode);
  const dir = str(e.direction);
  return {
    code,
    direction: dir === 'return' ? 'return' : 'forward',
    componentId: str(e.component?.id),
    componentType: componentType(e.component),
    message: `${explanationText(code)}${dir === 'ingress' || dir === 'egress' ? ` (${dir === 'ingress' ? 'inbound' : 'outbound'})` : ''}`,
    facts,
  };
}

/** Fields of a NetworkInsightsAnalysis the console shows. */
export interface AnalysisSummary {
  analysisId: string;
  pathId: string;
  status: string;
  statusMessage?: string;
  startDate: string;
  found?: boolean;
}

export function analysisSummary(a: Rec): AnalysisSummary {
  return {
    analysisId: str(a.networkInsightsAnalysisId),
    pathId: str(a.networkInsightsPathId),
    status: str(a.status),
    statusMessage: str(a.statusMessage) || undefined,
    startDate: str(a.startDate),
    found: a.networkPathFound === undefined || a.networkPathFound === '' ? undefined : bool(a.networkPathFound),
  };
}

/** A finished NetworkInsightsAnalysis as the console's result. */
export function analysisResult(a: Rec): PathResult {
  const fwd = arr(a.forwardPathComponentSet);
  const ret = arr(a.returnPathComponentSet);
  const hops = fwd.map((c, i) => analysisHop(c, i, fwd.length));
  const returnHops = ret.map((c, i) => analysisHop(c, i, ret.length));
  const explanations = arr(a.explanationSet).map(analysisExplanation);
  const found = bool(a.networkPathFound);
  const packet = fwd.length ? analysisHeaderText(fwd[0]!.outboundHeader) || undefined : undefined;
  const failed = str(a.status) === 'failed';
  const last = hops[hops.length - 1];
  return {
    reachable: found,
    engine: 'Reachability Analyzer',
    packet,
    forwardAccepted: found || (hops.length > 0 && !explanations.some((e) => e.direction === 'forward')),
    returnAccepted: found,
    destination: last ? `${last.componentType} ${last.componentId}` : undefined,
    hops,
    returnHops,
    explanations: failed
      ? [{ code: 'ANALYSIS_FAILED', direction: 'forward', componentId: '', componentType: '', message: str(a.statusMessage) || 'The analysis failed.', facts: [] }]
      : explanations,
    analysis: analysisSummary(a),
  };
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
/** Resources a Reachability Analyzer path may start at. */
const RA_SOURCES = /^(i|eni|igw|vgw|vpce|pcx|tgw)-[0-9a-f]+$/;
const RA_DESTINATIONS = /^(i|eni|igw|vgw|vpce|pcx|tgw)-[0-9a-f]+$/;

/** Whether Reachability Analyzer can answer this request (TCP or UDP, from a resource, to a resource or an address). */
export function analyzerCanAnswer(req: PathRequest): boolean {
  return req.protocol !== 'icmp' && RA_SOURCES.test(req.source) && (RA_DESTINATIONS.test(req.destination) || IPV4.test(req.destination));
}

function same(a: unknown, b: unknown): boolean {
  return str(a) === str(b);
}

/** A path of the account with exactly these parameters, or a new one. */
async function findOrCreatePath(session: Session, req: PathRequest, signal?: AbortSignal): Promise<string> {
  const destIsIp = IPV4.test(req.destination);
  const filters: Record<string, string[]> = { source: [req.source], protocol: [req.protocol] };
  if (!destIsIp) filters.destination = [req.destination];
  try {
    const r = await describeAll(session, 'DescribeNetworkInsightsPaths', 'networkInsightsPathSet', filterParams(filters), signal);
    const hit = r.items.find(
      (p) =>
        same(p.source, req.source) &&
        same(p.protocol, req.protocol) &&
        same(p.destination, destIsIp ? '' : req.destination) &&
        same(p.filterAtSource?.destinationAddress, destIsIp ? req.destination : '') &&
        same(p.destinationIp, '') &&
        same(destIsIp ? p.filterAtSource?.destinationPortRange?.fromPort : p.destinationPort, req.port ?? '') &&
        same(destIsIp ? p.filterAtSource?.sourceAddress : p.sourceIp, req.sourceIp ?? '') &&
        !p.filterAtDestination,
    );
    if (hit) return str(hit.networkInsightsPathId);
  } catch (err) {
    if (isUnsupported(err)) throw err;
    // A path that cannot be looked up is simply created again.
  }
  const params: QueryParams = { ClientToken: crypto.randomUUID(), Source: req.source, Protocol: req.protocol, 'TagSpecification.1.ResourceType': 'network-insights-path', 'TagSpecification.1.Tag.1.Key': 'Name', 'TagSpecification.1.Tag.1.Value': 'vpcsim console' };
  // With a filter at the source, the source address and port go in the filter too (AWS refuses
  // FilterAtSource together with SourceIp or DestinationPort).
  if (destIsIp) {
    params['FilterAtSource.DestinationAddress'] = req.destination;
    if (req.port !== undefined) {
      params['FilterAtSource.DestinationPortRange.FromPort'] = req.port;
      params['FilterAtSource.DestinationPortRange.ToPort'] = req.port;
    }
    if (req.sourceIp) params['FilterAtSource.SourceAddress'] = req.sourceIp;
  } else {
    params.Destination = req.destination;
    if (req.port !== undefined) params.DestinationPort = req.port;
    if (req.sourceIp) params.SourceIp = req.sourceIp;
  }
  const path = await ec2(session, 'CreateNetworkInsightsPath', params, signal);
  return str(path.value.networkInsightsPath?.networkInsightsPathId);
}

/** One analysis by ID (or undefined when it is gone). */
export async function describeAnalysis(session: Session, analysisId: string, signal?: AbortSignal): Promise<Rec | undefined> {
  const d = await ec2(session, 'DescribeNetworkInsightsAnalyses', { 'NetworkInsightsAnalysisId.1': analysisId }, signal);
  return arr(d.value.networkInsightsAnalysisSet)[0];
}

/** Starts an analysis of a path and waits for it to finish. */
export async function runAnalysis(session: Session, pathId: string, signal?: AbortSignal): Promise<Rec> {
  const started = await ec2(session, 'StartNetworkInsightsAnalysis', { NetworkInsightsPathId: pathId, ClientToken: crypto.randomUUID() }, signal);
  let a: Rec = started.value.networkInsightsAnalysis ?? {};
  const analysisId = str(a.networkInsightsAnalysisId);
  for (let i = 0; str(a.status) === 'running' || !str(a.status); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** i)));
    if (i > 40) throw new AwsError('Timeout', `The analysis ${analysisId} is still running.`, 0);
    a = (await describeAnalysis(session, analysisId, signal)) ?? a;
  }
  return a;
}

/** Earlier analyses of a path, newest first. */
export async function listAnalyses(session: Session, pathId: string, signal?: AbortSignal): Promise<AnalysisSummary[]> {
  const r = await describeAll(session, 'DescribeNetworkInsightsAnalyses', 'networkInsightsAnalysisSet', { NetworkInsightsPathId: pathId }, signal);
  return r.items.map(analysisSummary).sort((a, b) => b.startDate.localeCompare(a.startDate) || b.analysisId.localeCompare(a.analysisId));
}

/** Reachability Analyzer's API, as AWS serves it. */
export const reachabilityAnalyzer: PathAnalyzer = {
  name: 'Reachability Analyzer',
  async analyze(session, req, signal) {
    const pathId = await findOrCreatePath(session, req, signal);
    return analysisResult(await runAnalysis(session, pathId, signal));
  },
};

/**
 * Reachability Analyzer answers what it can (TCP and UDP from a resource); ICMP, sources
 * given as an address, and servers without the API go to vpcsim's trace endpoint.
 */
export async function analyzePath(session: Session, req: PathRequest, signal?: AbortSignal): Promise<PathResult> {
  const withSource = (r: PathResult): PathResult => ({ ...r, source: req.source });
  if (!analyzerCanAnswer(req)) return withSource(await traceAnalyzer.analyze(session, req, signal));
  try {
    return withSource(await reachabilityAnalyzer.analyze(session, req, signal));
  } catch (err) {
    if (!isUnsupported(err)) throw err;
    return withSource(await traceAnalyzer.analyze(session, req, signal));
  }
}
