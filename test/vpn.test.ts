import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AttachVpnGatewayCommand,
  CreateCustomerGatewayCommand,
  type CreateCustomerGatewayCommandInput,
  CreateTagsCommand,
  CreateVpcCommand,
  CreateVpnConnectionCommand,
  type CreateVpnConnectionCommandInput,
  CreateVpnConnectionRouteCommand,
  CreateVpnGatewayCommand,
  DeleteCustomerGatewayCommand,
  DeleteVpcCommand,
  DeleteVpnConnectionCommand,
  DeleteVpnConnectionRouteCommand,
  DeleteVpnGatewayCommand,
  DescribeCustomerGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeTagsCommand,
  DescribeVpnConnectionsCommand,
  DescribeVpnGatewaysCommand,
  DetachVpnGatewayCommand,
  DisableVgwRoutePropagationCommand,
  type EC2Client,
  EnableVgwRoutePropagationCommand,
  type Filter,
  ModifyVpnConnectionCommand,
  ModifyVpnConnectionOptionsCommand,
  ModifyVpnTunnelOptionsCommand,
  type VpnConnection,
} from '@aws-sdk/client-ec2';
import { DEFAULT_QUOTAS } from '../src/config.js';
import { parseCidr4, parseIpv4 } from '../src/network/cidr.js';
import type { RequestContext } from '../src/services/context.js';
import { propagatedRoutes } from '../src/services/ec2/vpn-gateways.js';
import { ScopedState, scopeKey } from '../src/state/store.js';
import { apiError, errorCode, startTestServer, type TestServer } from './helpers.js';

// ---------------------------------------------------------------------------------------------
// A small XML reader: enough to check that the configuration document is well formed and to
// look into it (elements, attributes, text; the declaration is skipped).

interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

function parseXml(src: string): XmlNode {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`bad XML at ${i}: ${why}`);
  };
  const skipSpace = () => {
    while (i < src.length && /\s/.test(src[i]!)) i++;
  };
  const unescape = (s: string) =>
    s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  skipSpace();
  if (src.startsWith('<?xml', i)) {
    const end = src.indexOf('?>', i);
    if (end < 0) fail('unterminated declaration');
    i = end + 2;
  }
  const element = (): XmlNode => {
    skipSpace();
    if (src[i] !== '<') fail('expected <');
    i++;
    const name = /^[A-Za-z_][\w.-]*/.exec(src.slice(i))?.[0] ?? fail('expected a name');
    i += name.length;
    const attrs: Record<string, string> = {};
    for (;;) {
      skipSpace();
      if (src.startsWith('/>', i)) {
        i += 2;
        return { name, attrs, children: [], text: '' };
      }
      if (src[i] === '>') {
        i++;
        break;
      }
      const m = /^([A-Za-z_][\w.-]*)="([^"<]*)"/.exec(src.slice(i)) ?? fail('bad attribute');
      attrs[m[1]!] = unescape(m[2]!);
      i += m[0].length;
    }
    const children: XmlNode[] = [];
    let text = '';
    for (;;) {
      if (i >= src.length) fail(`unterminated <${name}>`);
      if (src.startsWith('</', i)) {
        i += 2;
        if (!src.startsWith(`${name}>`, i)) fail(`mismatched </...> for <${name}>`);
        i += name.length + 1;
        return { name, attrs, children, text: children.length ? '' : unescape(text) };
      }
      if (src[i] === '<') children.push(element());
      else {
        if (src[i] === '&' && !/^&(lt|gt|amp|quot|apos);/.test(src.slice(i))) fail('bare &');
        text += src[i++];
      }
    }
  };
  const root = element();
  skipSpace();
  if (i !== src.length) fail('content after the root element');
  return root;
}

function child(n: XmlNode, ...path: string[]): XmlNode {
  let cur = n;
  for (const p of path) {
    const next = cur.children.find((c) => c.name === p);
    assert.ok(next, `<${cur.name}> has a <${p}>`);
    cur = next;
  }
  return cur;
}

function all(n: XmlNode, name: string): XmlNode[] {
  return n.children.filter((c) => c.name === name);
}

// ---------------------------------------------------------------------------------------------

const QUOTAS = { ...DEFAULT_QUOTAS, vpcsPerRegion: 100, vpnGatewaysPerRegion: 100, customerGatewaysPerRegion: 200, vpnConnectionsPerRegion: 200 };

let ipCounter = 0;
/** A fresh public customer gateway address, outside the pool tunnel addresses come from. */
function nextIp(): string {
  ipCounter++;
  return `8.${Math.floor(ipCounter / 250)}.${ipCounter % 250}.${(ipCounter * 7) % 250 + 1}`;
}

async function newCgw(ec2: EC2Client, extra: Partial<CreateCustomerGatewayCommandInput> = {}): Promise<string> {
  const { CustomerGateway } = await ec2.send(new CreateCustomerGatewayCommand({ Type: 'ipsec.1', IpAddress: nextIp(), ...extra }));
  return CustomerGateway!.CustomerGatewayId!;
}

async function newVgw(ec2: EC2Client, asn?: number): Promise<string> {
  const { VpnGateway } = await ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1', AmazonSideAsn: asn }));
  return VpnGateway!.VpnGatewayId!;
}

let vpcCounter = 0;
async function newVpc(ec2: EC2Client): Promise<string> {
  vpcCounter++;
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${vpcCounter}.0.0/16` }));
  return Vpc!.VpcId!;
}

async function newConnection(
  ec2: EC2Client,
  opts: Partial<CreateVpnConnectionCommandInput> & { staticOnly?: boolean } = {},
): Promise<VpnConnection> {
  const { staticOnly, ...rest } = opts;
  const input: CreateVpnConnectionCommandInput = {
    Type: 'ipsec.1',
    CustomerGatewayId: rest.CustomerGatewayId ?? (await newCgw(ec2)),
    VpnGatewayId: rest.VpnGatewayId ?? (rest.TransitGatewayId ? undefined : await newVgw(ec2)),
    ...rest,
  };
  if (staticOnly !== undefined) input.Options = { ...input.Options, StaticRoutesOnly: staticOnly };
  const { VpnConnection } = await ec2.send(new CreateVpnConnectionCommand(input));
  return VpnConnection!;
}

async function describeConnection(ec2: EC2Client, id: string): Promise<VpnConnection> {
  const { VpnConnections } = await ec2.send(new DescribeVpnConnectionsCommand({ VpnConnectionIds: [id] }));
  assert.equal(VpnConnections?.length, 1);
  return VpnConnections![0]!;
}

async function connectionIds(ec2: EC2Client, filters: Filter[]): Promise<string[]> {
  const { VpnConnections } = await ec2.send(new DescribeVpnConnectionsCommand({ Filters: filters }));
  return VpnConnections!.map((c) => c.VpnConnectionId!).sort();
}

async function tunnelStatus(srv: TestServer, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${srv.endpoint}/_vpcsim/vpn-tunnel-status`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

function inPool(ip: string): boolean {
  const n = parseIpv4(ip)!;
  return ['198.51.100.0/24', '203.0.113.0/24', '192.0.2.0/24'].some((c) => {
    const b = parseCidr4(c)!;
    return n >= b.base && n < b.base + 256;
  });
}

describe('customer gateways', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({ quotas: QUOTAS });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('creates an available ipsec.1 gateway with BGP ASN 65000 by default', async () => {
    const { CustomerGateway: g } = await ec2.send(
      new CreateCustomerGatewayCommand({
        Type: 'ipsec.1',
        IpAddress: '8.8.4.4',
        DeviceName: 'edge-1',
        TagSpecifications: [{ ResourceType: 'customer-gateway', Tags: [{ Key: 'Name', Value: 'office' }] }],
      }),
    );
    assert.match(g!.CustomerGatewayId!, /^cgw-[0-9a-f]{17}$/);
    assert.equal(g!.BgpAsn, '65000');
    assert.equal(g!.IpAddress, '8.8.4.4');
    assert.equal(g!.State, 'available');
    assert.equal(g!.Type, 'ipsec.1');
    assert.equal(g!.DeviceName, 'edge-1');
    assert.deepEqual(g!.Tags, [{ Key: 'Name', Value: 'office' }]);
  });

  it('returns the existing gateway for an identical request, and a new one when the device name differs', async () => {
    const input = { Type: 'ipsec.1' as const, IpAddress: '9.9.9.9', BgpAsn: 65010 };
    const a = (await ec2.send(new CreateCustomerGatewayCommand(input))).CustomerGateway!;
    const b = (await ec2.send(new CreateCustomerGatewayCommand(input))).CustomerGateway!;
    assert.equal(b.CustomerGatewayId, a.CustomerGatewayId);
    const c = (await ec2.send(new CreateCustomerGatewayCommand({ ...input, DeviceName: 'second' }))).CustomerGateway!;
    assert.notEqual(c.CustomerGatewayId, a.CustomerGatewayId);
    const d = (await ec2.send(new CreateCustomerGatewayCommand({ ...input, BgpAsn: 65011 }))).CustomerGateway!;
    assert.notEqual(d.CustomerGatewayId, a.CustomerGatewayId);
  });

  it('takes 4-byte ASNs in BgpAsnExtended', async () => {
    const { CustomerGateway: g } = await ec2.send(
      new CreateCustomerGatewayCommand({ Type: 'ipsec.1', IpAddress: nextIp(), BgpAsnExtended: 4_200_000_001 }),
    );
    assert.equal(g!.BgpAsnExtended, '4200000001');
    assert.equal(g!.BgpAsn, undefined);
  });

  it('rejects bad requests with AWS error codes', async () => {
    const bad = (input: Partial<CreateCustomerGatewayCommandInput>) =>
      errorCode(() => ec2.send(new CreateCustomerGatewayCommand({ Type: 'ipsec.1', IpAddress: nextIp(), ...input } as CreateCustomerGatewayCommandInput)));
    assert.equal(await bad({ Type: 'ipsec.2' as 'ipsec.1' }), 'InvalidParameterValue');
    assert.equal(await bad({ IpAddress: undefined }), 'MissingParameter');
    assert.equal(await bad({ IpAddress: 'not-an-ip' }), 'InvalidParameterValue');
    assert.equal(await bad({ IpAddress: '224.0.0.1' }), 'InvalidParameterValue');
    assert.equal(await bad({ BgpAsn: 65000, BgpAsnExtended: 4_200_000_000 }), 'InvalidParameterCombination');
    assert.equal(await bad({ BgpAsn: 0 }), 'InvalidParameterValue');
    assert.equal(await bad({ BgpAsnExtended: 65000 }), 'InvalidParameterValue');
    assert.equal(await bad({ BgpAsn: 7224 }), 'InvalidParameterValue', '7224 is reserved in us-east-1');
    assert.equal(await bad({ DeviceName: 'x'.repeat(256) }), 'InvalidParameterValue');
    const e = await apiError(() => ec2.send(new CreateCustomerGatewayCommand({ Type: 'ipsec.1' })));
    assert.equal(e.code, 'MissingParameter');
    assert.match(e.message, /ipAddress/);
  });

  it('needs no IP address when a certificate ARN is given', async () => {
    const arn = 'arn:aws:acm:us-east-1:000000000000:certificate/1234abcd-12ab-34cd-56ef-1234567890ab';
    const { CustomerGateway: g } = await ec2.send(new CreateCustomerGatewayCommand({ Type: 'ipsec.1', CertificateArn: arn }));
    assert.equal(g!.CertificateArn, arn);
    assert.equal(g!.IpAddress, undefined);
    assert.equal(
      await errorCode(() => ec2.send(new CreateCustomerGatewayCommand({ Type: 'ipsec.1', CertificateArn: 'nope' }))),
      'InvalidParameterValue',
    );
  });

  it('describes by ID and with every filter', async () => {
    const ip = nextIp();
    const id = await newCgw(ec2, { IpAddress: ip, BgpAsn: 64999, TagSpecifications: [{ ResourceType: 'customer-gateway', Tags: [{ Key: 'team', Value: 'net' }] }] });
    const ids = async (filters: Filter[]) =>
      (await ec2.send(new DescribeCustomerGatewaysCommand({ Filters: filters }))).CustomerGateways!.map((g) => g.CustomerGatewayId);
    const byId = await ec2.send(new DescribeCustomerGatewaysCommand({ CustomerGatewayIds: [id] }));
    assert.equal(byId.CustomerGateways![0]!.IpAddress, ip);
    assert.deepEqual(await ids([{ Name: 'bgp-asn', Values: ['64999'] }]), [id]);
    assert.deepEqual(await ids([{ Name: 'customer-gateway-id', Values: [id] }]), [id]);
    assert.deepEqual(await ids([{ Name: 'ip-address', Values: [ip] }]), [id]);
    assert.ok((await ids([{ Name: 'state', Values: ['available'] }])).includes(id));
    assert.ok((await ids([{ Name: 'type', Values: ['ipsec.1'] }])).includes(id));
    assert.deepEqual(await ids([{ Name: 'tag:team', Values: ['net'] }]), [id]);
    assert.deepEqual(await ids([{ Name: 'tag-key', Values: ['team'] }]), [id]);
    assert.deepEqual(await ids([{ Name: 'ip-address', Values: [ip] }, { Name: 'state', Values: ['deleted'] }]), []);
    assert.equal(await errorCode(() => ec2.send(new DescribeCustomerGatewaysCommand({ Filters: [{ Name: 'nope', Values: ['x'] }] }))), 'InvalidParameterValue');
  });

  it('reports malformed and unknown IDs', async () => {
    const malformed = await apiError(() => ec2.send(new DescribeCustomerGatewaysCommand({ CustomerGatewayIds: ['cgw-xyz'] })));
    assert.equal(malformed.code, 'InvalidCustomerGatewayId.Malformed');
    const missing = await apiError(() => ec2.send(new DescribeCustomerGatewaysCommand({ CustomerGatewayIds: ['cgw-0123456789abcdef0'] })));
    assert.equal(missing.code, 'InvalidCustomerGatewayID.NotFound');
    assert.equal(missing.message, "The customerGateway ID 'cgw-0123456789abcdef0' does not exist");
    assert.equal(
      await errorCode(() => ec2.send(new DeleteCustomerGatewayCommand({ CustomerGatewayId: 'cgw-0123456789abcdef0' }))),
      'InvalidCustomerGatewayID.NotFound',
    );
  });

  it('refuses to delete a gateway in use, then deletes it into the deleted state', async () => {
    const cgw = await newCgw(ec2);
    const conn = await newConnection(ec2, { CustomerGatewayId: cgw });
    const inUse = await apiError(() => ec2.send(new DeleteCustomerGatewayCommand({ CustomerGatewayId: cgw })));
    assert.equal(inUse.code, 'IncorrectState');
    assert.equal(inUse.message, 'The customer gateway is in use.');
    await ec2.send(new DeleteVpnConnectionCommand({ VpnConnectionId: conn.VpnConnectionId }));
    await ec2.send(new DeleteCustomerGatewayCommand({ CustomerGatewayId: cgw }));
    const { CustomerGateways } = await ec2.send(new DescribeCustomerGatewaysCommand({ CustomerGatewayIds: [cgw] }));
    assert.equal(CustomerGateways![0]!.State, 'deleted');
    assert.equal(await errorCode(() => ec2.send(new DeleteCustomerGatewayCommand({ CustomerGatewayId: cgw }))), 'InvalidCustomerGatewayID.NotFound');
    assert.equal(
      await errorCode(() => ec2.send(new CreateVpnConnectionCommand({ Type: 'ipsec.1', CustomerGatewayId: cgw, VpnGatewayId: conn.VpnGatewayId }))),
      'InvalidCustomerGatewayID.NotFound',
    );
  });

  it('a deleted gateway is not returned for an identical request', async () => {
    const ip = nextIp();
    const first = await newCgw(ec2, { IpAddress: ip });
    await ec2.send(new DeleteCustomerGatewayCommand({ CustomerGatewayId: first }));
    const second = await newCgw(ec2, { IpAddress: ip });
    assert.notEqual(second, first);
  });

  it('carries tags through CreateTags and DescribeTags', async () => {
    const id = await newCgw(ec2);
    await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'env', Value: 'lab' }] }));
    const { Tags } = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [id] }] }));
    assert.deepEqual(Tags, [{ Key: 'env', Value: 'lab', ResourceId: id, ResourceType: 'customer-gateway' }]);
  });
});

describe('virtual private gateways', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({ quotas: QUOTAS });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('creates an available ipsec.1 gateway with Amazon-side ASN 64512 and no attachments', async () => {
    const { VpnGateway: g } = await ec2.send(
      new CreateVpnGatewayCommand({ Type: 'ipsec.1', TagSpecifications: [{ ResourceType: 'vpn-gateway', Tags: [{ Key: 'Name', Value: 'vgw' }] }] }),
    );
    assert.match(g!.VpnGatewayId!, /^vgw-[0-9a-f]{17}$/);
    assert.equal(g!.State, 'available');
    assert.equal(g!.Type, 'ipsec.1');
    assert.equal(g!.AmazonSideAsn, 64512);
    assert.deepEqual(g!.VpcAttachments, []);
    assert.deepEqual(g!.Tags, [{ Key: 'Name', Value: 'vgw' }]);
    assert.equal(g!.AvailabilityZone, undefined);
  });

  it('takes a private Amazon-side ASN and an Availability Zone, and rejects others', async () => {
    const { VpnGateway: g } = await ec2.send(
      new CreateVpnGatewayCommand({ Type: 'ipsec.1', AmazonSideAsn: 4_200_000_000, AvailabilityZone: 'us-east-1a' }),
    );
    assert.equal(g!.AmazonSideAsn, 4_200_000_000);
    assert.equal(g!.AvailabilityZone, 'us-east-1a');
    for (const asn of [65000 - 1000, 65535, 100, 4_294_967_295]) {
      assert.equal(await errorCode(() => ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1', AmazonSideAsn: asn }))), 'InvalidParameterValue', String(asn));
    }
    assert.equal(
      await errorCode(() => ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1', AvailabilityZone: 'eu-west-1a' }))),
      'InvalidParameterValue',
    );
    assert.equal(await errorCode(() => ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.2' as 'ipsec.1' }))), 'InvalidParameterValue');
  });

  it('answers DryRun without creating anything', async () => {
    const before = (await ec2.send(new DescribeVpnGatewaysCommand({}))).VpnGateways!.length;
    assert.equal(await errorCode(() => ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1', DryRun: true }))), 'DryRunOperation');
    assert.equal((await ec2.send(new DescribeVpnGatewaysCommand({}))).VpnGateways!.length, before);
  });

  it('attaches to one VPC (attaching, then attached), one gateway per VPC', async () => {
    const vgw = await newVgw(ec2);
    const vpc = await newVpc(ec2);
    const { VpcAttachment } = await ec2.send(new AttachVpnGatewayCommand({ VpcId: vpc, VpnGatewayId: vgw }));
    assert.deepEqual(VpcAttachment, { State: 'attaching', VpcId: vpc });
    const { VpnGateways } = await ec2.send(new DescribeVpnGatewaysCommand({ VpnGatewayIds: [vgw] }));
    assert.deepEqual(VpnGateways![0]!.VpcAttachments, [{ State: 'attached', VpcId: vpc }]);
    // Attaching again to the same VPC changes nothing.
    const again = await ec2.send(new AttachVpnGatewayCommand({ VpcId: vpc, VpnGatewayId: vgw }));
    assert.equal(again.VpcAttachment!.State, 'attached');
    // The gateway cannot attach to a second VPC...
    const other = await newVpc(ec2);
    assert.equal(
      await errorCode(() => ec2.send(new AttachVpnGatewayCommand({ VpcId: other, VpnGatewayId: vgw }))),
      'VpnGatewayAttachmentLimitExceeded',
    );
    // ... nor the VPC take a second gateway.
    const second = await newVgw(ec2);
    const e = await apiError(() => ec2.send(new AttachVpnGatewayCommand({ VpcId: vpc, VpnGatewayId: second })));
    assert.equal(e.code, 'InvalidVpcState');
    assert.equal(e.message, `VPC ${vpc} is currently attached to the Virtual Private Gateway ${vgw}`);
    assert.equal(
      await errorCode(() => ec2.send(new AttachVpnGatewayCommand({ VpcId: 'vpc-0123456789abcdef0', VpnGatewayId: second }))),
      'InvalidVpcID.NotFound',
    );
    assert.equal(
      await errorCode(() => ec2.send(new AttachVpnGatewayCommand({ VpcId: vpc, VpnGatewayId: 'vgw-0123456789abcdef0' }))),
      'InvalidVpnGatewayID.NotFound',
    );
  });

  it('keeps an attached VPC from being deleted', async () => {
    const vgw = await newVgw(ec2);
    const vpc = await newVpc(ec2);
    await ec2.send(new AttachVpnGatewayCommand({ VpcId: vpc, VpnGatewayId: vgw }));
    assert.equal(await errorCode(() => ec2.send(new DeleteVpcCommand({ VpcId: vpc }))), 'DependencyViolation');
    await ec2.send(new DetachVpnGatewayCommand({ VpcId: vpc, VpnGatewayId: vgw }));
    await ec2.send(new DeleteVpcCommand({ VpcId: vpc }));
  });

  it('detaches (detached) and reports attachments that do not exist', async () => {
    const vgw = await newVgw(ec2);
    const vpc = await newVpc(ec2);
    const missing = await apiError(() => ec2.send(new DetachVpnGatewayCommand({ VpcId: vpc, VpnGatewayId: vgw })));
    assert.equal(missing.code, 'InvalidVpnGatewayAttachment.NotFound');
    assert.equal(missing.message, `The attachment with vpn gateway ID '${vgw}' and vpc ID '${vpc}' does not exist`);
    await ec2.send(new AttachVpnGatewayCommand({ VpcId: vpc, VpnGatewayId: vgw }));
    const other = await newVpc(ec2);
    assert.equal(
      await errorCode(() => ec2.send(new DetachVpnGatewayCommand({ VpcId: other, VpnGatewayId: vgw }))),
      'InvalidVpnGatewayAttachment.NotFound',
    );
    await ec2.send(new DetachVpnGatewayCommand({ VpcId: vpc, VpnGatewayId: vgw }));
    const { VpnGateways } = await ec2.send(new DescribeVpnGatewaysCommand({ VpnGatewayIds: [vgw] }));
    assert.deepEqual(VpnGateways![0]!.VpcAttachments, [{ State: 'detached', VpcId: vpc }]);
    assert.equal(
      await errorCode(() => ec2.send(new DetachVpnGatewayCommand({ VpcId: vpc, VpnGatewayId: vgw }))),
      'InvalidVpnGatewayAttachment.NotFound',
    );
    // Once detached it can attach elsewhere.
    await ec2.send(new AttachVpnGatewayCommand({ VpcId: other, VpnGatewayId: vgw }));
    const after = await ec2.send(new DescribeVpnGatewaysCommand({ VpnGatewayIds: [vgw] }));
    assert.deepEqual(after.VpnGateways![0]!.VpcAttachments, [{ State: 'attached', VpcId: other }]);
  });

  it('refuses to delete a gateway that is attached or has VPN connections, then deletes it', async () => {
    const vgw = await newVgw(ec2);
    const vpc = await newVpc(ec2);
    await ec2.send(new AttachVpnGatewayCommand({ VpcId: vpc, VpnGatewayId: vgw }));
    const attached = await apiError(() => ec2.send(new DeleteVpnGatewayCommand({ VpnGatewayId: vgw })));
    assert.equal(attached.code, 'IncorrectState');
    assert.equal(attached.message, 'The VPN gateway is in use.');
    await ec2.send(new DetachVpnGatewayCommand({ VpcId: vpc, VpnGatewayId: vgw }));
    const conn = await newConnection(ec2, { VpnGatewayId: vgw });
    assert.equal(await errorCode(() => ec2.send(new DeleteVpnGatewayCommand({ VpnGatewayId: vgw }))), 'IncorrectState');
    await ec2.send(new DeleteVpnConnectionCommand({ VpnConnectionId: conn.VpnConnectionId }));
    await ec2.send(new DeleteVpnGatewayCommand({ VpnGatewayId: vgw }));
    const { VpnGateways } = await ec2.send(new DescribeVpnGatewaysCommand({ VpnGatewayIds: [vgw] }));
    assert.equal(VpnGateways![0]!.State, 'deleted');
    assert.equal(await errorCode(() => ec2.send(new DeleteVpnGatewayCommand({ VpnGatewayId: vgw }))), 'InvalidVpnGatewayID.NotFound');
    assert.equal(
      await errorCode(() => ec2.send(new AttachVpnGatewayCommand({ VpcId: vpc, VpnGatewayId: vgw }))),
      'InvalidVpnGatewayID.NotFound',
    );
  });

  it('describes with every filter', async () => {
    const vgw = await newVgw(ec2, 65123);
    const vpc = await newVpc(ec2);
    await ec2.send(new AttachVpnGatewayCommand({ VpcId: vpc, VpnGatewayId: vgw }));
    await ec2.send(new CreateTagsCommand({ Resources: [vgw], Tags: [{ Key: 'site', Value: 'paris' }] }));
    const { VpnGateway: zoned } = await ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1', AvailabilityZone: 'us-east-1b' }));
    const ids = async (filters: Filter[]) =>
      (await ec2.send(new DescribeVpnGatewaysCommand({ Filters: filters }))).VpnGateways!.map((g) => g.VpnGatewayId).sort();
    assert.deepEqual(await ids([{ Name: 'amazon-side-asn', Values: ['65123'] }]), [vgw]);
    assert.deepEqual(await ids([{ Name: 'attachment.vpc-id', Values: [vpc] }]), [vgw]);
    assert.ok((await ids([{ Name: 'attachment.state', Values: ['attached'] }])).includes(vgw));
    assert.deepEqual(await ids([{ Name: 'availability-zone', Values: ['us-east-1b'] }]), [zoned!.VpnGatewayId]);
    assert.ok((await ids([{ Name: 'state', Values: ['available'] }])).includes(vgw));
    assert.ok((await ids([{ Name: 'type', Values: ['ipsec.1'] }])).includes(vgw));
    assert.deepEqual(await ids([{ Name: 'vpn-gateway-id', Values: [vgw] }]), [vgw]);
    assert.deepEqual(await ids([{ Name: 'tag:site', Values: ['par*'] }]), [vgw]);
    assert.deepEqual(await ids([{ Name: 'tag-value', Values: ['paris'] }]), [vgw]);
    assert.equal((await apiError(() => ec2.send(new DescribeVpnGatewaysCommand({ VpnGatewayIds: ['vgw-1'] })))).code, 'InvalidVpnGatewayID.Malformed');
    const missing = await apiError(() => ec2.send(new DescribeVpnGatewaysCommand({ VpnGatewayIds: ['vgw-0123456789abcdef0'] })));
    assert.equal(missing.code, 'InvalidVpnGatewayID.NotFound');
    assert.equal(missing.message, "The vpnGateway ID 'vgw-0123456789abcdef0' does not exist");
  });
});

describe('VPN connections', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({ quotas: QUOTAS });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('creates a connection: pending in the answer, then available with two tunnels', async () => {
    const cgw = await newCgw(ec2);
    const vgw = await newVgw(ec2);
    const created = await newConnection(ec2, {
      CustomerGatewayId: cgw,
      VpnGatewayId: vgw,
      staticOnly: true,
      TagSpecifications: [{ ResourceType: 'vpn-connection', Tags: [{ Key: 'Name', Value: 'office' }] }],
    });
    assert.match(created.VpnConnectionId!, /^vpn-[0-9a-f]{17}$/);
    assert.equal(created.State, 'pending');
    assert.equal(created.Category, 'VPN');
    assert.ok(created.CustomerGatewayConfiguration!.startsWith('<?xml'));
    const c = await describeConnection(ec2, created.VpnConnectionId!);
    assert.equal(c.State, 'available');
    assert.equal(c.Type, 'ipsec.1');
    assert.equal(c.Category, 'VPN');
    assert.equal(c.CustomerGatewayId, cgw);
    assert.equal(c.VpnGatewayId, vgw);
    assert.deepEqual(c.Tags, [{ Key: 'Name', Value: 'office' }]);
    assert.deepEqual(c.Routes, []);
    assert.equal(c.Options!.StaticRoutesOnly, true);
    assert.equal(c.Options!.EnableAcceleration, false);
    assert.equal(c.Options!.LocalIpv4NetworkCidr, '0.0.0.0/0');
    assert.equal(c.Options!.RemoteIpv4NetworkCidr, '0.0.0.0/0');
    assert.equal(c.Options!.TunnelInsideIpVersion, 'ipv4');
    assert.equal(c.Options!.OutsideIpAddressType, 'PublicIpv4');
    const tunnels = c.Options!.TunnelOptions!;
    assert.equal(tunnels.length, 2);
    const ips = tunnels.map((t) => t.OutsideIpAddress!);
    assert.notEqual(ips[0], ips[1], 'distinct outside addresses');
    for (const ip of ips) assert.ok(inPool(ip), `${ip} comes from the public pool`);
    const insides = tunnels.map((t) => t.TunnelInsideCidr!);
    assert.notEqual(insides[0], insides[1]);
    for (const cidr of insides) {
      const b = parseCidr4(cidr)!;
      assert.equal(b.prefix, 30);
      assert.ok(cidr.startsWith('169.254.'));
    }
    for (const t of tunnels) assert.match(t.PreSharedKey!, /^[A-Za-z0-9._]{32}$/);
    // Both tunnels in the telemetry, UP, with their own outside address.
    assert.equal(c.VgwTelemetry!.length, 2);
    assert.deepEqual(c.VgwTelemetry!.map((t) => t.OutsideIpAddress), ips);
    for (const t of c.VgwTelemetry!) {
      assert.equal(t.Status, 'UP');
      assert.equal(t.AcceptedRouteCount, 0);
      assert.ok(t.LastStatusChange instanceof Date && !Number.isNaN(t.LastStatusChange.getTime()));
    }
  });

  it('writes a configuration document that parses as XML and names both tunnels (static routing)', async () => {
    const cgwIp = nextIp();
    const cgw = await newCgw(ec2, { IpAddress: cgwIp });
    const c0 = await newConnection(ec2, { CustomerGatewayId: cgw, staticOnly: true });
    const c = await describeConnection(ec2, c0.VpnConnectionId!);
    const doc = parseXml(c.CustomerGatewayConfiguration!);
    assert.equal(doc.name, 'vpn_connection');
    assert.equal(doc.attrs.id, c.VpnConnectionId);
    assert.equal(child(doc, 'customer_gateway_id').text, cgw);
    assert.equal(child(doc, 'vpn_gateway_id').text, c.VpnGatewayId);
    assert.equal(child(doc, 'vpn_connection_type').text, 'ipsec.1');
    assert.equal(child(doc, 'vpn_connection_attributes').text, 'NoBGPVPNConnection');
    const tunnels = all(doc, 'ipsec_tunnel');
    assert.equal(tunnels.length, 2);
    tunnels.forEach((t, i) => {
      const opts = c.Options!.TunnelOptions![i]!;
      const base = parseCidr4(opts.TunnelInsideCidr!)!.base;
      assert.equal(child(t, 'customer_gateway', 'tunnel_outside_address', 'ip_address').text, cgwIp);
      assert.equal(child(t, 'vpn_gateway', 'tunnel_outside_address', 'ip_address').text, opts.OutsideIpAddress);
      assert.equal(parseIpv4(child(t, 'vpn_gateway', 'tunnel_inside_address', 'ip_address').text), base + 1);
      assert.equal(parseIpv4(child(t, 'customer_gateway', 'tunnel_inside_address', 'ip_address').text), base + 2);
      assert.equal(child(t, 'customer_gateway', 'tunnel_inside_address', 'network_cidr').text, '30');
      assert.equal(child(t, 'ike', 'pre_shared_key').text, opts.PreSharedKey);
      assert.equal(child(t, 'ike', 'lifetime').text, '28800');
      assert.equal(child(t, 'ike', 'mode').text, 'main');
      assert.equal(child(t, 'ipsec', 'protocol').text, 'esp');
      assert.equal(child(t, 'ipsec', 'lifetime').text, '3600');
      assert.equal(child(t, 'ipsec', 'dead_peer_detection', 'retries').text, '3');
      assert.equal(t.children.find((x) => x.name === 'customer_gateway')!.children.some((x) => x.name === 'bgp'), false);
    });
  });

  it('puts both ASNs in the document of a BGP connection', async () => {
    const cgw = await newCgw(ec2, { BgpAsn: 65501 });
    const vgw = await newVgw(ec2, 65502);
    const c = await newConnection(ec2, { CustomerGatewayId: cgw, VpnGatewayId: vgw });
    const doc = parseXml(c.CustomerGatewayConfiguration!);
    assert.equal(doc.children.some((x) => x.name === 'vpn_connection_attributes'), false);
    for (const t of all(doc, 'ipsec_tunnel')) {
      assert.equal(child(t, 'customer_gateway', 'bgp', 'asn').text, '65501');
      assert.equal(child(t, 'vpn_gateway', 'bgp', 'asn').text, '65502');
      assert.equal(child(t, 'vpn_gateway', 'bgp', 'hold_time').text, '30');
    }
    const d = await describeConnection(ec2, c.VpnConnectionId!);
    assert.equal(d.Options!.StaticRoutesOnly, false);
    assert.equal(d.VgwTelemetry![0]!.StatusMessage, '0 BGP ROUTES');
  });

  it('uses the tunnel options given: inside CIDR, pre-shared key, lifetimes, algorithms', async () => {
    const c0 = await newConnection(ec2, {
      Options: {
        StaticRoutesOnly: true,
        LocalIpv4NetworkCidr: '192.168.0.0/16',
        RemoteIpv4NetworkCidr: '10.0.0.0/8',
        TunnelOptions: [
          {
            TunnelInsideCidr: '169.254.100.0/30',
            PreSharedKey: 'first_key.1',
            Phase1LifetimeSeconds: 14400,
            Phase2LifetimeSeconds: 1800,
            Phase1EncryptionAlgorithms: [{ Value: 'AES256' }],
            Phase2IntegrityAlgorithms: [{ Value: 'SHA2-256' }],
            Phase1DHGroupNumbers: [{ Value: 14 }],
            IKEVersions: [{ Value: 'ikev2' }],
            DPDTimeoutSeconds: 45,
            DPDTimeoutAction: 'restart',
            StartupAction: 'start',
          },
          { PreSharedKey: 'Second_Key_2' },
        ],
      },
    });
    const c = await describeConnection(ec2, c0.VpnConnectionId!);
    const [t1, t2] = c.Options!.TunnelOptions!;
    assert.equal(c.Options!.LocalIpv4NetworkCidr, '192.168.0.0/16');
    assert.equal(c.Options!.RemoteIpv4NetworkCidr, '10.0.0.0/8');
    assert.equal(t1!.TunnelInsideCidr, '169.254.100.0/30');
    assert.equal(t1!.PreSharedKey, 'first_key.1');
    assert.equal(t1!.Phase1LifetimeSeconds, 14400);
    assert.equal(t1!.Phase2LifetimeSeconds, 1800);
    assert.deepEqual(t1!.Phase1EncryptionAlgorithms, [{ Value: 'AES256' }]);
    assert.deepEqual(t1!.Phase1DHGroupNumbers, [{ Value: 14 }]);
    assert.deepEqual(t1!.IkeVersions, [{ Value: 'ikev2' }]);
    assert.equal(t1!.DpdTimeoutSeconds, 45);
    assert.equal(t1!.DpdTimeoutAction, 'restart');
    assert.equal(t1!.StartupAction, 'start');
    assert.equal(t2!.PreSharedKey, 'Second_Key_2');
    assert.notEqual(t2!.TunnelInsideCidr, '169.254.100.0/30');
    const tunnel1 = all(parseXml(c.CustomerGatewayConfiguration!), 'ipsec_tunnel')[0]!;
    assert.equal(child(tunnel1, 'ike', 'encryption_protocol').text, 'aes-256-cbc');
    assert.equal(child(tunnel1, 'ike', 'lifetime').text, '14400');
    assert.equal(child(tunnel1, 'ike', 'perfect_forward_secrecy').text, 'group14');
    assert.equal(child(tunnel1, 'ipsec', 'authentication_protocol').text, 'hmac-sha256-128');
    assert.equal(child(tunnel1, 'ipsec', 'lifetime').text, '1800');
    assert.equal(child(tunnel1, 'vpn_gateway', 'tunnel_inside_address', 'ip_address').text, '169.254.100.1');
    assert.equal(child(tunnel1, 'customer_gateway', 'tunnel_inside_address', 'ip_address').text, '169.254.100.2');
  });

  it('validates tunnel options as AWS does', async () => {
    const vgw = await newVgw(ec2);
    const create = (tunnel: Record<string, unknown>, more: Record<string, unknown>[] = []) =>
      apiError(() =>
        ec2.send(
          new CreateVpnConnectionCommand({
            Type: 'ipsec.1',
            CustomerGatewayId: undefined as unknown as string,
            VpnGatewayId: vgw,
            Options: { TunnelOptions: [tunnel, ...more] },
          } as CreateVpnConnectionCommandInput),
        ),
      );
    const cgw = await newCgw(ec2);
    const bad = async (tunnel: Record<string, unknown>, more: Record<string, unknown>[] = []) => {
      const e = await apiError(() =>
        ec2.send(new CreateVpnConnectionCommand({ Type: 'ipsec.1', CustomerGatewayId: cgw, VpnGatewayId: vgw, Options: { TunnelOptions: [tunnel, ...more] } })),
      );
      return e;
    };
    assert.equal((await create({ DPDTimeoutSeconds: 30 })).code, 'MissingParameter', 'no customer gateway');
    for (const cidr of ['169.254.10.0/29', '169.254.5.0/30', '169.254.169.252/30', '10.0.0.0/30', '169.254.10.1/30', 'nope']) {
      assert.equal((await bad({ TunnelInsideCidr: cidr })).code, 'InvalidParameterValue', cidr);
    }
    for (const psk of ['0abcdefgh', 'short', 'has+plus+sign', 'x'.repeat(65)]) {
      const e = await bad({ PreSharedKey: psk });
      assert.equal(e.code, 'InvalidParameterValue', psk);
      assert.equal(e.message, 'Value for parameter PreSharedKey is invalid.');
    }
    assert.equal((await bad({ Phase1LifetimeSeconds: 899 })).code, 'InvalidParameterValue');
    assert.equal((await bad({ Phase2LifetimeSeconds: 3601 })).code, 'InvalidParameterValue');
    assert.equal((await bad({ Phase1LifetimeSeconds: 1000, Phase2LifetimeSeconds: 1000 })).code, 'InvalidParameterValue');
    assert.equal((await bad({ RekeyMarginTimeSeconds: 59 })).code, 'InvalidParameterValue');
    assert.equal((await bad({ RekeyFuzzPercentage: 101 })).code, 'InvalidParameterValue');
    assert.equal((await bad({ ReplayWindowSize: 32 })).code, 'InvalidParameterValue');
    assert.equal((await bad({ DPDTimeoutSeconds: 29 })).code, 'InvalidParameterValue');
    assert.equal((await bad({ DPDTimeoutAction: 'explode' })).code, 'InvalidParameterValue');
    assert.equal((await bad({ Phase1EncryptionAlgorithms: [{ Value: 'DES' }] })).code, 'InvalidParameterValue');
    assert.equal((await bad({ Phase1DHGroupNumbers: [{ Value: 5 }] })).code, 'InvalidParameterValue');
    assert.equal((await bad({ IKEVersions: [{ Value: 'ikev3' }] })).code, 'InvalidParameterValue');
    assert.equal((await bad({ StartupAction: 'later' })).code, 'InvalidParameterValue');
    assert.equal((await bad({ TunnelInsideIpv6Cidr: 'fd00::/126' })).code, 'InvalidParameterCombination');
    assert.equal(
      (await bad({ DPDTimeoutSeconds: 30 }, [{ DPDTimeoutSeconds: 30 }, { DPDTimeoutSeconds: 30 }])).code,
      'InvalidParameterValue',
      'three tunnel option sets',
    );
    // The same inside block twice in one connection, or again on the same gateway.
    assert.equal((await bad({ TunnelInsideCidr: '169.254.20.0/30' }, [{ TunnelInsideCidr: '169.254.20.0/30' }])).code, 'InvalidParameterValue');
    await newConnection(ec2, { VpnGatewayId: vgw, Options: { TunnelOptions: [{ TunnelInsideCidr: '169.254.21.0/30' }] } });
    const taken = await bad({ TunnelInsideCidr: '169.254.21.0/30' });
    assert.equal(taken.code, 'InvalidParameterValue');
    // On another gateway the block is free.
    await newConnection(ec2, { Options: { TunnelOptions: [{ TunnelInsideCidr: '169.254.21.0/30' }] } });
  });

  it('rejects bad connection requests with AWS error codes', async () => {
    const cgw = await newCgw(ec2);
    const vgw = await newVgw(ec2);
    const send = (input: Partial<CreateVpnConnectionCommandInput>) =>
      apiError(() =>
        ec2.send(new CreateVpnConnectionCommand({ Type: 'ipsec.1', CustomerGatewayId: cgw, VpnGatewayId: vgw, ...input } as CreateVpnConnectionCommandInput)),
      );
    const tgw = await send({ VpnGatewayId: undefined, TransitGatewayId: 'tgw-0123456789abcdef0' });
    assert.equal(tgw.code, 'InvalidTransitGatewayID.NotFound');
    assert.equal((await send({ TransitGatewayId: 'tgw-0123456789abcdef0' })).code, 'InvalidParameterCombination');
    assert.equal((await send({ CustomerGatewayId: 'cgw-0123456789abcdef0' })).code, 'InvalidCustomerGatewayID.NotFound');
    assert.equal((await send({ VpnGatewayId: 'vgw-0123456789abcdef0' })).code, 'InvalidVpnGatewayID.NotFound');
    assert.equal((await send({ Type: 'ipsec.2' as 'ipsec.1' })).code, 'InvalidParameterValue');
    assert.equal((await send({ Options: { EnableAcceleration: true } })).code, 'InvalidParameterCombination');
    assert.equal((await send({ Options: { TunnelInsideIpVersion: 'ipv6' } })).code, 'InvalidParameterCombination');
    assert.equal((await send({ Options: { OutsideIpAddressType: 'PrivateIpv4' } })).code, 'InvalidParameterCombination');
    assert.equal((await send({ Options: { LocalIpv4NetworkCidr: '10.0.0.0/33' } })).code, 'InvalidParameterValue');
    assert.equal((await send({ Options: { LocalIpv6NetworkCidr: '::/0' } })).code, 'InvalidParameterCombination');
    const privateCgw = await newCgw(ec2, { IpAddress: '10.1.2.3' });
    assert.equal((await send({ CustomerGatewayId: privateCgw })).code, 'InvalidParameterValue');
    // A gateway takes one connection per customer gateway address.
    await newConnection(ec2, { CustomerGatewayId: cgw, VpnGatewayId: vgw });
    const dup = await send({});
    assert.equal(dup.code, 'InvalidCustomerGateway.DuplicateIpAddress');
  });

  it('may be created without a gateway, not associated with any', async () => {
    const cgw = await newCgw(ec2);
    const { VpnConnection: c } = await ec2.send(new CreateVpnConnectionCommand({ Type: 'ipsec.1', CustomerGatewayId: cgw }));
    assert.equal(c!.VpnGatewayId, undefined);
    assert.equal(c!.GatewayAssociationState, 'not-associated');
    assert.equal(all(parseXml(c!.CustomerGatewayConfiguration!), 'ipsec_tunnel').length, 2);
  });

  it('manages static routes on a static connection', async () => {
    const c = await newConnection(ec2, { staticOnly: true });
    const id = c.VpnConnectionId!;
    await ec2.send(new CreateVpnConnectionRouteCommand({ VpnConnectionId: id, DestinationCidrBlock: '192.168.10.0/24' }));
    await ec2.send(new CreateVpnConnectionRouteCommand({ VpnConnectionId: id, DestinationCidrBlock: '172.16.0.0/16' }));
    await ec2.send(new CreateVpnConnectionRouteCommand({ VpnConnectionId: id, DestinationCidrBlock: '172.16.0.0/16' }));
    let d = await describeConnection(ec2, id);
    assert.deepEqual(d.Routes, [
      { DestinationCidrBlock: '192.168.10.0/24', Source: 'Static', State: 'available' },
      { DestinationCidrBlock: '172.16.0.0/16', Source: 'Static', State: 'available' },
    ]);
    assert.deepEqual(d.VgwTelemetry!.map((t) => t.AcceptedRouteCount), [2, 2]);
    assert.deepEqual(await connectionIds(ec2, [{ Name: 'route.destination-cidr-block', Values: ['172.16.0.0/16'] }]), [id]);
    await ec2.send(new DeleteVpnConnectionRouteCommand({ VpnConnectionId: id, DestinationCidrBlock: '192.168.10.0/24' }));
    d = await describeConnection(ec2, id);
    assert.deepEqual(
      d.Routes!.map((r) => `${r.DestinationCidrBlock} ${r.State}`),
      ['192.168.10.0/24 deleted', '172.16.0.0/16 available'],
    );
    assert.deepEqual(d.VgwTelemetry!.map((t) => t.AcceptedRouteCount), [1, 1]);
    const gone = await apiError(() => ec2.send(new DeleteVpnConnectionRouteCommand({ VpnConnectionId: id, DestinationCidrBlock: '192.168.10.0/24' })));
    assert.equal(gone.code, 'InvalidRoute.NotFound');
    assert.equal(
      await errorCode(() => ec2.send(new DeleteVpnConnectionRouteCommand({ VpnConnectionId: id, DestinationCidrBlock: '10.99.0.0/16' }))),
      'InvalidRoute.NotFound',
    );
    // Created again, the route is available again.
    await ec2.send(new CreateVpnConnectionRouteCommand({ VpnConnectionId: id, DestinationCidrBlock: '192.168.10.0/24' }));
    d = await describeConnection(ec2, id);
    assert.deepEqual(d.Routes!.map((r) => `${r.DestinationCidrBlock} ${r.State}`).sort(), ['172.16.0.0/16 available', '192.168.10.0/24 available']);
    assert.equal(
      await errorCode(() => ec2.send(new CreateVpnConnectionRouteCommand({ VpnConnectionId: id, DestinationCidrBlock: 'not-a-cidr' }))),
      'InvalidParameterValue',
    );
    assert.equal(
      await errorCode(() => ec2.send(new CreateVpnConnectionRouteCommand({ VpnConnectionId: 'vpn-0123456789abcdef0', DestinationCidrBlock: '10.0.0.0/8' }))),
      'InvalidVpnConnectionID.NotFound',
    );
  });

  it('refuses static routes on a BGP connection', async () => {
    const c = await newConnection(ec2, { staticOnly: false });
    const e = await apiError(() =>
      ec2.send(new CreateVpnConnectionRouteCommand({ VpnConnectionId: c.VpnConnectionId, DestinationCidrBlock: '10.0.0.0/8' })),
    );
    assert.equal(e.code, 'InvalidVpnConnection.InvalidType');
    assert.equal(e.message, 'The specified VPN connection does not support static routes.');
    assert.equal(
      await errorCode(() => ec2.send(new DeleteVpnConnectionRouteCommand({ VpnConnectionId: c.VpnConnectionId, DestinationCidrBlock: '10.0.0.0/8' }))),
      'InvalidVpnConnection.InvalidType',
    );
  });

  it('deletes into the deleted state, still describable, without its configuration', async () => {
    const c = await newConnection(ec2, { staticOnly: true });
    const id = c.VpnConnectionId!;
    await ec2.send(new DeleteVpnConnectionCommand({ VpnConnectionId: id }));
    const d = await describeConnection(ec2, id);
    assert.equal(d.State, 'deleted');
    assert.equal(d.CustomerGatewayConfiguration, undefined);
    assert.deepEqual(d.VgwTelemetry!.map((t) => t.Status), ['DOWN', 'DOWN']);
    assert.deepEqual(await connectionIds(ec2, [{ Name: 'vpn-connection-id', Values: [id] }, { Name: 'state', Values: ['deleted'] }]), [id]);
    const again = await apiError(() => ec2.send(new DeleteVpnConnectionCommand({ VpnConnectionId: id })));
    assert.equal(again.code, 'InvalidVpnConnectionID.NotFound');
    assert.equal(again.message, `The vpnConnection ID '${id}' does not exist`);
    assert.equal(
      await errorCode(() => ec2.send(new CreateVpnConnectionRouteCommand({ VpnConnectionId: id, DestinationCidrBlock: '10.0.0.0/8' }))),
      'InvalidVpnConnectionID.NotFound',
    );
    // Its gateway now takes a new connection to the same customer gateway.
    await newConnection(ec2, { CustomerGatewayId: c.CustomerGatewayId, VpnGatewayId: c.VpnGatewayId });
  });

  it('reports malformed and unknown connection IDs', async () => {
    assert.equal(
      await errorCode(() => ec2.send(new DescribeVpnConnectionsCommand({ VpnConnectionIds: ['vpn-zz'] }))),
      'InvalidVpnConnectionID',
    );
    assert.equal(
      await errorCode(() => ec2.send(new DescribeVpnConnectionsCommand({ VpnConnectionIds: ['vpn-0123456789abcdef0'] }))),
      'InvalidVpnConnectionID.NotFound',
    );
  });

  it('describes with every filter', async () => {
    const cgw = await newCgw(ec2, { BgpAsn: 65321 });
    const vgw = await newVgw(ec2);
    const s = await newConnection(ec2, {
      CustomerGatewayId: cgw,
      VpnGatewayId: vgw,
      staticOnly: true,
      TagSpecifications: [{ ResourceType: 'vpn-connection', Tags: [{ Key: 'role', Value: 'primary' }] }],
    });
    await ec2.send(new CreateVpnConnectionRouteCommand({ VpnConnectionId: s.VpnConnectionId, DestinationCidrBlock: '10.200.0.0/16' }));
    const b = await newConnection(ec2, { staticOnly: false });
    const sid = s.VpnConnectionId!;
    const bid = b.VpnConnectionId!;
    const has = async (filters: Filter[], id: string) => (await connectionIds(ec2, filters)).includes(id);
    assert.deepEqual(await connectionIds(ec2, [{ Name: 'customer-gateway-id', Values: [cgw] }]), [sid]);
    assert.deepEqual(await connectionIds(ec2, [{ Name: 'vpn-gateway-id', Values: [vgw] }]), [sid]);
    assert.deepEqual(await connectionIds(ec2, [{ Name: 'bgp-asn', Values: ['65321'] }]), [sid]);
    assert.deepEqual(await connectionIds(ec2, [{ Name: 'vpn-connection-id', Values: [sid, bid] }]), [sid, bid].sort());
    assert.deepEqual(await connectionIds(ec2, [{ Name: 'route.destination-cidr-block', Values: ['10.200.0.0/16'] }]), [sid]);
    assert.deepEqual(await connectionIds(ec2, [{ Name: 'tag:role', Values: ['primary'] }]), [sid]);
    assert.deepEqual(await connectionIds(ec2, [{ Name: 'tag-key', Values: ['role'] }]), [sid]);
    assert.ok(await has([{ Name: 'option.static-routes-only', Values: ['true'] }], sid));
    assert.equal(await has([{ Name: 'option.static-routes-only', Values: ['true'] }], bid), false);
    assert.ok(await has([{ Name: 'option.static-routes-only', Values: ['false'] }], bid));
    assert.ok(await has([{ Name: 'state', Values: ['available'] }], sid));
    assert.ok(await has([{ Name: 'type', Values: ['ipsec.1'] }], bid));
    assert.deepEqual(await connectionIds(ec2, [{ Name: 'customer-gateway-configuration', Values: [`*${sid}*`] }]), [sid]);
    assert.deepEqual(await connectionIds(ec2, [{ Name: 'transit-gateway-id', Values: ['tgw-*'] }]), []);
  });

  it('ModifyVpnConnection moves a connection to another gateway or customer gateway', async () => {
    const c = await newConnection(ec2, { staticOnly: true });
    const id = c.VpnConnectionId!;
    const vgw2 = await newVgw(ec2, 65444);
    const { VpnConnection: moved } = await ec2.send(new ModifyVpnConnectionCommand({ VpnConnectionId: id, VpnGatewayId: vgw2 }));
    assert.equal(moved!.VpnGatewayId, vgw2);
    const d = await describeConnection(ec2, id);
    assert.equal(d.VpnGatewayId, vgw2);
    assert.equal(child(parseXml(d.CustomerGatewayConfiguration!), 'vpn_gateway_id').text, vgw2);
    const cgwIp = nextIp();
    const cgw2 = await newCgw(ec2, { IpAddress: cgwIp });
    await ec2.send(new ModifyVpnConnectionCommand({ VpnConnectionId: id, CustomerGatewayId: cgw2 }));
    const d2 = await describeConnection(ec2, id);
    assert.equal(d2.CustomerGatewayId, cgw2);
    const t = all(parseXml(d2.CustomerGatewayConfiguration!), 'ipsec_tunnel')[0]!;
    assert.equal(child(t, 'customer_gateway', 'tunnel_outside_address', 'ip_address').text, cgwIp);
    assert.equal(
      await errorCode(() => ec2.send(new ModifyVpnConnectionCommand({ VpnConnectionId: id, TransitGatewayId: 'tgw-0123456789abcdef0' }))),
      'InvalidTransitGatewayID.NotFound',
    );
    assert.equal(await errorCode(() => ec2.send(new ModifyVpnConnectionCommand({ VpnConnectionId: id }))), 'MissingParameter');
    assert.equal(
      await errorCode(() => ec2.send(new ModifyVpnConnectionCommand({ VpnConnectionId: id, VpnGatewayId: 'vgw-0123456789abcdef0' }))),
      'InvalidVpnGatewayID.NotFound',
    );
  });

  it('ModifyVpnConnectionOptions changes the local and remote network CIDRs', async () => {
    const c = await newConnection(ec2);
    const { VpnConnection } = await ec2.send(
      new ModifyVpnConnectionOptionsCommand({ VpnConnectionId: c.VpnConnectionId, LocalIpv4NetworkCidr: '192.168.0.0/16' }),
    );
    assert.equal(VpnConnection!.Options!.LocalIpv4NetworkCidr, '192.168.0.0/16');
    assert.equal(VpnConnection!.Options!.RemoteIpv4NetworkCidr, '0.0.0.0/0');
    assert.equal(
      await errorCode(() => ec2.send(new ModifyVpnConnectionOptionsCommand({ VpnConnectionId: c.VpnConnectionId, RemoteIpv4NetworkCidr: 'x' }))),
      'InvalidParameterValue',
    );
    assert.equal(await errorCode(() => ec2.send(new ModifyVpnConnectionOptionsCommand({ VpnConnectionId: c.VpnConnectionId }))), 'MissingParameter');
  });

  it('ModifyVpnTunnelOptions changes one tunnel and its part of the document', async () => {
    const c = await describeConnection(ec2, (await newConnection(ec2)).VpnConnectionId!);
    const [t1, t2] = c.Options!.TunnelOptions!;
    const { VpnConnection } = await ec2.send(
      new ModifyVpnTunnelOptionsCommand({
        VpnConnectionId: c.VpnConnectionId,
        VpnTunnelOutsideIpAddress: t2!.OutsideIpAddress,
        TunnelOptions: { PreSharedKey: 'rotated.key_1', TunnelInsideCidr: '169.254.200.4/30' },
      }),
    );
    const after = VpnConnection!.Options!.TunnelOptions!;
    assert.equal(after[0]!.PreSharedKey, t1!.PreSharedKey);
    assert.equal(after[1]!.PreSharedKey, 'rotated.key_1');
    assert.equal(after[1]!.TunnelInsideCidr, '169.254.200.4/30');
    assert.equal(after[1]!.OutsideIpAddress, t2!.OutsideIpAddress);
    const tunnel2 = all(parseXml(VpnConnection!.CustomerGatewayConfiguration!), 'ipsec_tunnel')[1]!;
    assert.equal(child(tunnel2, 'ike', 'pre_shared_key').text, 'rotated.key_1');
    assert.equal(child(tunnel2, 'vpn_gateway', 'tunnel_inside_address', 'ip_address').text, '169.254.200.5');
    assert.equal(
      await errorCode(() =>
        ec2.send(new ModifyVpnTunnelOptionsCommand({ VpnConnectionId: c.VpnConnectionId, VpnTunnelOutsideIpAddress: '1.2.3.4', TunnelOptions: { DPDTimeoutSeconds: 40 } })),
      ),
      'InvalidParameterValue',
    );
    assert.equal(
      await errorCode(() =>
        ec2.send(
          new ModifyVpnTunnelOptionsCommand({
            VpnConnectionId: c.VpnConnectionId,
            VpnTunnelOutsideIpAddress: t1!.OutsideIpAddress,
            TunnelOptions: { TunnelInsideCidr: '169.254.200.4/30' },
          }),
        ),
      ),
      'InvalidParameterValue',
      'the other tunnel has that block',
    );
    assert.equal(
      await errorCode(() =>
        ec2.send(
          new ModifyVpnTunnelOptionsCommand({
            VpnConnectionId: c.VpnConnectionId,
            VpnTunnelOutsideIpAddress: t1!.OutsideIpAddress,
            TunnelOptions: { PreSharedKey: 'bad key' },
          }),
        ),
      ),
      'InvalidParameterValue',
    );
  });
});

describe('tunnel status endpoint', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({ quotas: QUOTAS });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('sets a tunnel DOWN and UP again, as DescribeVpnConnections shows', async () => {
    const c = await describeConnection(ec2, (await newConnection(ec2, { staticOnly: true })).VpnConnectionId!);
    const [ip1, ip2] = c.VgwTelemetry!.map((t) => t.OutsideIpAddress!);
    const before = c.VgwTelemetry![0]!.LastStatusChange!.getTime();
    await new Promise((r) => setTimeout(r, 5));
    const down = await tunnelStatus(srv, { vpnConnectionId: c.VpnConnectionId, outsideIpAddress: ip1, status: 'DOWN' });
    assert.equal(down.status, 200);
    assert.equal(down.json.status, 'DOWN');
    let d = await describeConnection(ec2, c.VpnConnectionId!);
    assert.deepEqual(d.VgwTelemetry!.map((t) => [t.OutsideIpAddress, t.Status]), [
      [ip1, 'DOWN'],
      [ip2, 'UP'],
    ]);
    assert.ok(d.VgwTelemetry![0]!.LastStatusChange!.getTime() > before);
    assert.equal(d.VgwTelemetry![1]!.LastStatusChange!.getTime(), before);
    const up = await tunnelStatus(srv, { account: '000000000000', region: 'us-east-1', vpnConnectionId: c.VpnConnectionId, outsideIpAddress: ip1, status: 'UP' });
    assert.equal(up.status, 200);
    d = await describeConnection(ec2, c.VpnConnectionId!);
    assert.deepEqual(d.VgwTelemetry!.map((t) => t.Status), ['UP', 'UP']);
  });

  it('rejects bad requests', async () => {
    const c = await describeConnection(ec2, (await newConnection(ec2)).VpnConnectionId!);
    const ip = c.VgwTelemetry![0]!.OutsideIpAddress!;
    assert.equal((await fetch(`${srv.endpoint}/_vpcsim/vpn-tunnel-status`)).status, 405);
    assert.equal((await tunnelStatus(srv, 'not json')).status, 400);
    assert.equal((await tunnelStatus(srv, { vpnConnectionId: c.VpnConnectionId, outsideIpAddress: ip, status: 'SIDEWAYS' })).status, 400);
    assert.equal((await tunnelStatus(srv, { vpnConnectionId: c.VpnConnectionId, status: 'DOWN' })).status, 400);
    const unknown = await tunnelStatus(srv, { vpnConnectionId: 'vpn-0123456789abcdef0', outsideIpAddress: ip, status: 'DOWN' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error, 'InvalidVpnConnectionID.NotFound');
    assert.equal((await tunnelStatus(srv, { vpnConnectionId: c.VpnConnectionId, outsideIpAddress: '1.2.3.4', status: 'DOWN' })).status, 404);
    assert.equal(
      (await tunnelStatus(srv, { region: 'eu-west-1', vpnConnectionId: c.VpnConnectionId, outsideIpAddress: ip, status: 'DOWN' })).status,
      404,
      'another region does not have it',
    );
    const d = await describeConnection(ec2, c.VpnConnectionId!);
    assert.deepEqual(d.VgwTelemetry!.map((t) => t.Status), ['UP', 'UP'], 'nothing changed');
  });
});

describe('VGW route propagation', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({ quotas: QUOTAS });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  async function mainTable(vpc: string): Promise<string> {
    const { RouteTables } = await ec2.send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc] }, { Name: 'association.main', Values: ['true'] }] }),
    );
    return RouteTables![0]!.RouteTableId!;
  }

  async function propagating(rtb: string): Promise<string[]> {
    const { RouteTables } = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] }));
    return (RouteTables![0]!.PropagatingVgws ?? []).map((p) => p.GatewayId!);
  }

  /** propagatedRoutes over the committed state, as DescribeRouteTables would call it. */
  function propagated(rtb: string): string[] {
    const state = new ScopedState(srv.app.store.begin(), scopeKey('000000000000', 'us-east-1'));
    const ctx = { account: '000000000000', region: 'us-east-1', state, config: srv.config, now: new Date() } as RequestContext;
    const table = state.get<Parameters<typeof propagatedRoutes>[1]>('route-table', rtb)!;
    return propagatedRoutes(ctx, table).map((r) => `${r.DestinationCidrBlock} ${r.GatewayId} ${r.Origin} ${r.State}`);
  }

  it('enables and disables propagation, as PropagatingVgws shows', async () => {
    const vpc = await newVpc(ec2);
    const vgw = await newVgw(ec2);
    await ec2.send(new AttachVpnGatewayCommand({ VpcId: vpc, VpnGatewayId: vgw }));
    const rtb = await mainTable(vpc);
    assert.deepEqual(await propagating(rtb), []);
    await ec2.send(new EnableVgwRoutePropagationCommand({ RouteTableId: rtb, GatewayId: vgw }));
    assert.deepEqual(await propagating(rtb), [vgw]);
    await ec2.send(new EnableVgwRoutePropagationCommand({ RouteTableId: rtb, GatewayId: vgw }));
    assert.deepEqual(await propagating(rtb), [vgw], 'enabling twice lists it once');
    await ec2.send(new DisableVgwRoutePropagationCommand({ RouteTableId: rtb, GatewayId: vgw }));
    assert.deepEqual(await propagating(rtb), []);
  });

  it('reports unknown tables and gateways, and gateways not attached to the VPC', async () => {
    const vpc = await newVpc(ec2);
    const rtb = await mainTable(vpc);
    const vgw = await newVgw(ec2);
    const e = await apiError(() => ec2.send(new EnableVgwRoutePropagationCommand({ RouteTableId: rtb, GatewayId: vgw })));
    assert.equal(e.code, 'Gateway.NotAttached');
    assert.equal(e.message, `resource ${vgw} is not attached to network ${vpc}`);
    assert.equal(
      await errorCode(() => ec2.send(new EnableVgwRoutePropagationCommand({ RouteTableId: 'rtb-0123456789abcdef0', GatewayId: vgw }))),
      'InvalidRouteTableID.NotFound',
    );
    assert.equal(
      await errorCode(() => ec2.send(new EnableVgwRoutePropagationCommand({ RouteTableId: rtb, GatewayId: 'vgw-0123456789abcdef0' }))),
      'InvalidVpnGatewayID.NotFound',
    );
    assert.equal(
      await errorCode(() => ec2.send(new EnableVgwRoutePropagationCommand({ RouteTableId: rtb, GatewayId: 'igw-0123456789abcdef0' }))),
      'InvalidVpnGatewayID.Malformed',
    );
    assert.equal(
      await errorCode(() => ec2.send(new DisableVgwRoutePropagationCommand({ RouteTableId: 'rtb-0123456789abcdef0', GatewayId: vgw }))),
      'InvalidRouteTableID.NotFound',
    );
  });

  it('ends with the attachment: detaching removes the gateway from PropagatingVgws', async () => {
    const vpc = await newVpc(ec2);
    const vgw = await newVgw(ec2);
    await ec2.send(new AttachVpnGatewayCommand({ VpcId: vpc, VpnGatewayId: vgw }));
    const rtb = await mainTable(vpc);
    await ec2.send(new EnableVgwRoutePropagationCommand({ RouteTableId: rtb, GatewayId: vgw }));
    await ec2.send(new DetachVpnGatewayCommand({ VpcId: vpc, VpnGatewayId: vgw }));
    assert.deepEqual(await propagating(rtb), []);
  });

  it('propagates the static routes of available connections with a tunnel up', async () => {
    const vpc = await newVpc(ec2);
    const vgw = await newVgw(ec2);
    await ec2.send(new AttachVpnGatewayCommand({ VpcId: vpc, VpnGatewayId: vgw }));
    const rtb = await mainTable(vpc);
    const c = await describeConnection(ec2, (await newConnection(ec2, { VpnGatewayId: vgw, staticOnly: true })).VpnConnectionId!);
    const id = c.VpnConnectionId!;
    await ec2.send(new CreateVpnConnectionRouteCommand({ VpnConnectionId: id, DestinationCidrBlock: '192.168.50.0/24' }));
    await ec2.send(new CreateVpnConnectionRouteCommand({ VpnConnectionId: id, DestinationCidrBlock: '172.20.0.0/16' }));
    // A BGP connection on the same gateway contributes nothing.
    await newConnection(ec2, { VpnGatewayId: vgw, staticOnly: false });
    assert.deepEqual(propagated(rtb), [], 'nothing before propagation is enabled');
    await ec2.send(new EnableVgwRoutePropagationCommand({ RouteTableId: rtb, GatewayId: vgw }));
    const expected = [
      `192.168.50.0/24 ${vgw} EnableVgwRoutePropagation active`,
      `172.20.0.0/16 ${vgw} EnableVgwRoutePropagation active`,
    ];
    assert.deepEqual(propagated(rtb), expected);
    // One tunnel down: still carried by the other.
    const [ip1, ip2] = c.VgwTelemetry!.map((t) => t.OutsideIpAddress!);
    await tunnelStatus(srv, { vpnConnectionId: id, outsideIpAddress: ip1, status: 'DOWN' });
    assert.deepEqual(propagated(rtb), expected);
    // Both down: the routes go.
    await tunnelStatus(srv, { vpnConnectionId: id, outsideIpAddress: ip2, status: 'DOWN' });
    assert.deepEqual(propagated(rtb), []);
    await tunnelStatus(srv, { vpnConnectionId: id, outsideIpAddress: ip2, status: 'UP' });
    assert.deepEqual(propagated(rtb), expected);
    // A deleted route stops propagating.
    await ec2.send(new DeleteVpnConnectionRouteCommand({ VpnConnectionId: id, DestinationCidrBlock: '172.20.0.0/16' }));
    assert.deepEqual(propagated(rtb), [expected[0]]);
    // Disabled: none.
    await ec2.send(new DisableVgwRoutePropagationCommand({ RouteTableId: rtb, GatewayId: vgw }));
    assert.deepEqual(propagated(rtb), []);
    // Enabled again, then the connection deleted: none.
    await ec2.send(new EnableVgwRoutePropagationCommand({ RouteTableId: rtb, GatewayId: vgw }));
    assert.deepEqual(propagated(rtb), [expected[0]]);
    await ec2.send(new DeleteVpnConnectionCommand({ VpnConnectionId: id }));
    assert.deepEqual(propagated(rtb), []);
  });

  it('shows propagated routes in DescribeRouteTables', async () => {
    const vpc = await newVpc(ec2);
    const vgw = await newVgw(ec2);
    await ec2.send(new AttachVpnGatewayCommand({ VpcId: vpc, VpnGatewayId: vgw }));
    const rtb = await mainTable(vpc);
    const c = await newConnection(ec2, { VpnGatewayId: vgw, staticOnly: true });
    await ec2.send(new CreateVpnConnectionRouteCommand({ VpnConnectionId: c.VpnConnectionId, DestinationCidrBlock: '192.168.77.0/24' }));
    await ec2.send(new EnableVgwRoutePropagationCommand({ RouteTableId: rtb, GatewayId: vgw }));
    const { RouteTables } = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] }));
    const route = RouteTables![0]!.Routes!.find((r) => r.DestinationCidrBlock === '192.168.77.0/24');
    assert.deepEqual(
      { GatewayId: route?.GatewayId, Origin: route?.Origin, State: route?.State },
      { GatewayId: vgw, Origin: 'EnableVgwRoutePropagation', State: 'active' },
    );
  });
});

describe('VPN quotas', () => {
  let srv: TestServer;
  let ec2: EC2Client;
  before(async () => {
    srv = await startTestServer({
      quotas: { ...DEFAULT_QUOTAS, customerGatewaysPerRegion: 3, vpnGatewaysPerRegion: 2, vpnConnectionsPerRegion: 2, vpnConnectionsPerVpnGateway: 1 },
    });
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  it('limits customer gateways, virtual private gateways and VPN connections', async () => {
    const vgw1 = await newVgw(ec2);
    const vgw2 = await newVgw(ec2);
    const limit = await apiError(() => ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1' })));
    assert.equal(limit.code, 'VpnGatewayLimitExceeded');
    assert.equal(limit.message, 'The maximum number of virtual private gateways has been reached.');
    const cgw1 = await newCgw(ec2);
    const cgw2 = await newCgw(ec2);
    const cgw3 = await newCgw(ec2);
    assert.equal(await errorCode(() => newCgw(ec2)), 'CustomerGatewayLimitExceeded');
    await newConnection(ec2, { CustomerGatewayId: cgw1, VpnGatewayId: vgw1 });
    assert.equal(
      await errorCode(() => newConnection(ec2, { CustomerGatewayId: cgw2, VpnGatewayId: vgw1 })),
      'VpnConnectionLimitExceeded',
      'one connection per gateway',
    );
    const second = await newConnection(ec2, { CustomerGatewayId: cgw2, VpnGatewayId: vgw2 });
    assert.equal(
      await errorCode(() => ec2.send(new CreateVpnConnectionCommand({ Type: 'ipsec.1', CustomerGatewayId: cgw3 }))),
      'VpnConnectionLimitExceeded',
      'two per region',
    );
    // Deleted ones do not count.
    await ec2.send(new DeleteVpnConnectionCommand({ VpnConnectionId: second.VpnConnectionId }));
    await ec2.send(new CreateVpnConnectionCommand({ Type: 'ipsec.1', CustomerGatewayId: cgw3 }));
    await ec2.send(new DeleteVpnGatewayCommand({ VpnGatewayId: vgw2 }));
    await newVgw(ec2);
  });
});
