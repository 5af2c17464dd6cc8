/**
 * Reading a region's network through the AWS APIs: every Describe call the console needs,
 * gathered into one snapshot. An operation this server does not serve yet reads as empty
 * (and is noted), so the console keeps working against older or newer servers.
 */
import { AwsError, ec2, filterParams, isUnsupported, jsonCall, listParam, type QueryParams, type Session } from './client.js';
import { arr, type Rec, str } from './values.js';

export interface RegionSnapshot {
  vpcs: Rec[];
  subnets: Rec[];
  routeTables: Rec[];
  internetGateways: Rec[];
  egressOnlyGateways: Rec[];
  natGateways: Rec[];
  vpcEndpoints: Rec[];
  peerings: Rec[];
  vpnGateways: Rec[];
  vpnConnections: Rec[];
  customerGateways: Rec[];
  networkInterfaces: Rec[];
  instances: Rec[];
  securityGroups: Rec[];
  networkAcls: Rec[];
  addresses: Rec[];
  dxGateways: Rec[];
  dxVirtualInterfaces: Rec[];
  dxConnections: Rec[];
  dxAssociations: Rec[];
  /** Operations that failed, with why. */
  problems: string[];
  /** Identity of the answers (without request IDs): equal when nothing changed. */
  signature: string;
  at: number;
}

/** Every page of an EC2 Describe call; `listKey` is the wire name of the list. */
export async function describeAll(session: Session, action: string, listKey: string, params: QueryParams = {}, signal?: AbortSignal) {
  const items: Rec[] = [];
  let text = '';
  let token: string | undefined;
  for (let page = 0; page < 100; page++) {
    const r = await ec2(session, action, { ...params, NextToken: token }, signal);
    text += r.text;
    items.push(...arr(r.value[listKey]));
    token = str(r.value.nextToken) || undefined;
    if (!token) break;
  }
  return { items, text };
}

export async function loadRegions(session: Session): Promise<string[]> {
  const r = await ec2(session, 'DescribeRegions');
  return arr(r.value.regionInfo)
    .map((x) => str(x.regionName))
    .filter(Boolean)
    .sort();
}

const EC2_LISTS: Array<[keyof RegionSnapshot, string, string]> = [
  ['vpcs', 'DescribeVpcs', 'vpcSet'],
  ['subnets', 'DescribeSubnets', 'subnetSet'],
  ['routeTables', 'DescribeRouteTables', 'routeTableSet'],
  ['internetGateways', 'DescribeInternetGateways', 'internetGatewaySet'],
  ['egressOnlyGateways', 'DescribeEgressOnlyInternetGateways', 'egressOnlyInternetGatewaySet'],
  ['natGateways', 'DescribeNatGateways', 'natGatewaySet'],
  ['vpcEndpoints', 'DescribeVpcEndpoints', 'vpcEndpointSet'],
  ['peerings', 'DescribeVpcPeeringConnections', 'vpcPeeringConnectionSet'],
  ['vpnGateways', 'DescribeVpnGateways', 'vpnGatewaySet'],
  ['vpnConnections', 'DescribeVpnConnections', 'vpnConnectionSet'],
  ['customerGateways', 'DescribeCustomerGateways', 'customerGatewaySet'],
  ['networkInterfaces', 'DescribeNetworkInterfaces', 'networkInterfaceSet'],
  ['securityGroups', 'DescribeSecurityGroups', 'securityGroupInfo'],
  ['networkAcls', 'DescribeNetworkAcls', 'networkAclSet'],
  ['addresses', 'DescribeAddresses', 'addressesSet'],
];

async function dx<T>(session: Session, op: string, input: unknown): Promise<T> {
  return jsonCall<T>(session, 'directconnect', `OvertureService.${op}`, input);
}

export async function loadRegion(session: Session, signal?: AbortSignal): Promise<RegionSnapshot> {
  const snap = { problems: [] as string[], at: Date.now() } as unknown as RegionSnapshot;
  const texts: string[] = [];
  const note = (op: string, err: unknown) => {
    if (signal?.aborted) throw err;
    if (!isUnsupported(err)) snap.problems.push(`${op}: ${err instanceof Error ? err.message : String(err)}`);
  };
  let fatal: unknown;
  const jobs: Array<Promise<void>> = EC2_LISTS.map(async ([field, action, key]) => {
    try {
      const r = await describeAll(session, action, key, {}, signal);
      (snap[field] as Rec[]) = r.items;
      texts.push(action, r.text);
    } catch (err) {
      (snap[field] as Rec[]) = [];
      // Without the VPCs there is no map: say why instead of showing an empty region.
      if (action === 'DescribeVpcs') fatal = err;
      else note(action, err);
    }
  });
  jobs.push(
    (async () => {
      try {
        const r = await describeAll(session, 'DescribeInstances', 'reservationSet', {}, signal);
        snap.instances = r.items.flatMap((res) => arr(res.instancesSet));
        texts.push('DescribeInstances', r.text);
      } catch (err) {
        snap.instances = [];
        note('DescribeInstances', err);
      }
    })(),
  );
  jobs.push(
    (async () => {
      snap.dxGateways = [];
      snap.dxVirtualInterfaces = [];
      snap.dxConnections = [];
      try {
        const [gws, vifs, conns] = await Promise.all([
          dx<{ directConnectGateways?: Rec[] }>(session, 'DescribeDirectConnectGateways', {}),
          dx<{ virtualInterfaces?: Rec[] }>(session, 'DescribeVirtualInterfaces', {}),
          dx<{ connections?: Rec[] }>(session, 'DescribeConnections', {}),
        ]);
        snap.dxGateways = arr(gws.directConnectGateways);
        snap.dxVirtualInterfaces = arr(vifs.virtualInterfaces);
        snap.dxConnections = arr(conns.connections);
        texts.push(JSON.stringify([gws, vifs, conns]));
      } catch (err) {
        note('Direct Connect', err);
      }
    })(),
  );
  await Promise.all(jobs);
  if (fatal) throw fatal;
  // Direct Connect gateway associations, asked per gateway.
  snap.dxAssociations = [];
  await Promise.all(
    snap.dxGateways.map(async (g) => {
      try {
        const r = await dx<{ directConnectGatewayAssociations?: Rec[] }>(session, 'DescribeDirectConnectGatewayAssociations', {
          directConnectGatewayId: g.directConnectGatewayId,
        });
        snap.dxAssociations.push(...arr(r.directConnectGatewayAssociations));
        texts.push(JSON.stringify(r));
      } catch (err) {
        note('DescribeDirectConnectGatewayAssociations', err);
      }
    }),
  );
  texts.sort();
  snap.signature = texts.join('\n');
  return snap;
}

/** Flow logs of the region (empty when this server does not serve DescribeFlowLogs). */
export async function loadFlowLogs(session: Session): Promise<{ flowLogs: Rec[]; supported: boolean; error?: string }> {
  try {
    const r = await describeAll(session, 'DescribeFlowLogs', 'flowLogSet');
    return { flowLogs: r.items, supported: true };
  } catch (err) {
    if (isUnsupported(err)) return { flowLogs: [], supported: false };
    return { flowLogs: [], supported: true, error: err instanceof Error ? err.message : String(err) };
  }
}

export { AwsError, filterParams, listParam };
