/**
 * The console at /console: its static files (content types, page fallback, no way out of
 * the bundle) and, in Debian's Chromium driven by playwright-core, the map of a VPC built
 * through the SDK, details of a security group, Reachability Analyzer path analyses that
 * pass and that are blocked (and the trace endpoint for ICMP), the flow log view, and a VPC
 * of 200 subnets. Screenshots go to
 * test-artifacts/console/.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AttachVpnGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateCustomerGatewayCommand,
  CreateEgressOnlyInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  CreateVpcPeeringConnectionCommand,
  CreateVpnConnectionCommand,
  CreateVpnGatewayCommand,
  AcceptVpcPeeringConnectionCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  RunInstancesCommand,
  CreateTagsCommand,
  DescribeInstancesCommand,
  CreateNetworkAclCommand,
  CreateNetworkAclEntryCommand,
  DescribeNetworkAclsCommand,
  ReplaceNetworkAclAssociationCommand,
  DescribeNetworkInsightsAnalysesCommand,
  DescribeNetworkInsightsPathsCommand,
} from '@aws-sdk/client-ec2';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, FilterLogEventsCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateFlowLogsCommand } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateConnectionCommand,
  CreateDirectConnectGatewayAssociationCommand,
  CreateDirectConnectGatewayCommand,
  CreatePrivateVirtualInterfaceCommand,
  DescribeLocationsCommand,
  DirectConnectClient,
} from '@aws-sdk/client-direct-connect';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { CONSOLE_DIR } from '../src/server/console-static.js';
import { startTestServer, type TestServer } from './helpers.js';

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'console');
const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const AL2023 = 'ami-0a2023c0ffee0a864';

function chromiumPath(): string {
  const fromEnv = process.env.VPCSIM_CHROMIUM;
  if (fromEnv) return fromEnv;
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error("Debian's Chromium is not installed: `apt-get install -y chromium` (.ci/run installs it).");
  }
}

/** GET/HEAD/POST with a raw path (no client-side normalisation). */
function raw(endpoint: string, method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

const tag = (name: string) => [{ Key: 'Name', Value: name }];

interface Demo {
  vpcId: string;
  subnets: Record<'publicA' | 'publicB' | 'privateA' | 'privateB', string>;
  igw: string;
  eigw: string;
  nat: string;
  vgw: string;
  vpn: string;
  pcx: string;
  vpce: string;
  webSg: string;
  appSg: string;
  web: string;
  app: string;
  publicRt: string;
  privateRt: string;
  dxGateway: string;
  dxVif: string;
  dxVgwVif: string;
}

/** A VPC like the ones people draw: public and private subnets in two zones, and every kind of connection. */
async function buildDemo(ec2: EC2Client): Promise<Demo> {
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16', AmazonProvidedIpv6CidrBlock: true, TagSpecifications: [{ ResourceType: 'vpc', Tags: tag('shop') }] }))).Vpc!;
  const vpcId = vpc.VpcId!;
  const subnet = async (cidr: string, az: string, name: string) =>
    (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: az, TagSpecifications: [{ ResourceType: 'subnet', Tags: tag(name) }] }))).Subnet!.SubnetId!;
  const subnets = {
    publicA: await subnet('10.0.0.0/24', 'us-east-1a', 'public-a'),
    publicB: await subnet('10.0.1.0/24', 'us-east-1b', 'public-b'),
    privateA: await subnet('10.0.10.0/24', 'us-east-1a', 'private-a'),
    privateB: await subnet('10.0.11.0/24', 'us-east-1b', 'private-b'),
  };
  const igw = (await ec2.send(new CreateInternetGatewayCommand({ TagSpecifications: [{ ResourceType: 'internet-gateway', Tags: tag('shop-igw') }] }))).InternetGateway!.InternetGatewayId!;
  await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
  const eigw = (await ec2.send(new CreateEgressOnlyInternetGatewayCommand({ VpcId: vpcId }))).EgressOnlyInternetGateway!.EgressOnlyInternetGatewayId!;
  const publicRt = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId, TagSpecifications: [{ ResourceType: 'route-table', Tags: tag('public') }] }))).RouteTable!.RouteTableId!;
  await ec2.send(new CreateRouteCommand({ RouteTableId: publicRt, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }));
  await ec2.send(new AssociateRouteTableCommand({ RouteTableId: publicRt, SubnetId: subnets.publicA }));
  await ec2.send(new AssociateRouteTableCommand({ RouteTableId: publicRt, SubnetId: subnets.publicB }));
  const eip = (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId!;
  const nat = (await ec2.send(new CreateNatGatewayCommand({ SubnetId: subnets.publicA, AllocationId: eip, TagSpecifications: [{ ResourceType: 'natgateway', Tags: tag('shop-nat') }] }))).NatGateway!.NatGatewayId!;
  const privateRt = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId, TagSpecifications: [{ ResourceType: 'route-table', Tags: tag('private') }] }))).RouteTable!.RouteTableId!;
  await ec2.send(new CreateRouteCommand({ RouteTableId: privateRt, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat }));
  await ec2.send(new CreateRouteCommand({ RouteTableId: privateRt, DestinationIpv6CidrBlock: '::/0', EgressOnlyInternetGatewayId: eigw }));
  await ec2.send(new AssociateRouteTableCommand({ RouteTableId: privateRt, SubnetId: subnets.privateA }));
  await ec2.send(new AssociateRouteTableCommand({ RouteTableId: privateRt, SubnetId: subnets.privateB }));
  const vpce = (await ec2.send(new CreateVpcEndpointCommand({ VpcId: vpcId, ServiceName: `com.amazonaws.${REGION}.s3`, VpcEndpointType: 'Gateway', RouteTableIds: [privateRt] }))).VpcEndpoint!.VpcEndpointId!;

  const webSg = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'web', Description: 'web servers' }))).GroupId!;
  await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: webSg, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'HTTPS from anywhere' }] }] }));
  const appSg = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'app', Description: 'application servers' }))).GroupId!;
  await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: appSg, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: webSg, Description: 'from web' }] }] }));
  const run = async (subnetId: string, sg: string, name: string, publicIp: boolean) =>
    (
      await ec2.send(
        new RunInstancesCommand({
          ImageId: AL2023,
          InstanceType: 't3.micro',
          MinCount: 1,
          MaxCount: 1,
          NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: subnetId, Groups: [sg], AssociatePublicIpAddress: publicIp }],
          TagSpecifications: [{ ResourceType: 'instance', Tags: tag(name) }],
        }),
      )
    ).Instances![0]!.InstanceId!;
  const web = await run(subnets.publicA, webSg, 'web-1', true);
  const app = await run(subnets.privateA, appSg, 'app-1', false);
  await run(subnets.privateB, appSg, 'app-2', false);

  const peer = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.50.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: tag('shared-services') }] }))).Vpc!.VpcId!;
  const pcx = (await ec2.send(new CreateVpcPeeringConnectionCommand({ VpcId: vpcId, PeerVpcId: peer }))).VpcPeeringConnection!.VpcPeeringConnectionId!;
  await ec2.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcx }));
  await ec2.send(new CreateRouteCommand({ RouteTableId: privateRt, DestinationCidrBlock: '10.50.0.0/16', VpcPeeringConnectionId: pcx }));

  const vgw = (await ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1', TagSpecifications: [{ ResourceType: 'vpn-gateway', Tags: tag('office-vgw') }] }))).VpnGateway!.VpnGatewayId!;
  await ec2.send(new AttachVpnGatewayCommand({ VpnGatewayId: vgw, VpcId: vpcId }));
  const cgw = (await ec2.send(new CreateCustomerGatewayCommand({ Type: 'ipsec.1', BgpAsn: 65000, IpAddress: '203.0.113.12' }))).CustomerGateway!.CustomerGatewayId!;
  const vpn = (await ec2.send(new CreateVpnConnectionCommand({ Type: 'ipsec.1', CustomerGatewayId: cgw, VpnGatewayId: vgw, Options: { StaticRoutesOnly: true } }))).VpnConnection!.VpnConnectionId!;
  await ec2.send(new CreateTagsCommand({ Resources: [vpn], Tags: tag('office') }));

  // Direct Connect: a private virtual interface to the VPN gateway, and one to a Direct Connect gateway associated with it.
  const dx = new DirectConnectClient({ endpoint: await ec2.config.endpoint!().then((e) => `${e.protocol}//${e.hostname}:${e.port}`), region: REGION, credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'test' }, maxAttempts: 1 });
  const location = (await dx.send(new DescribeLocationsCommand({}))).locations![0]!.locationCode!;
  const conn = (await dx.send(new CreateConnectionCommand({ location, bandwidth: '1Gbps', connectionName: 'colo' }))).connectionId!;
  const dxGateway = (await dx.send(new CreateDirectConnectGatewayCommand({ directConnectGatewayName: 'corp-dx', amazonSideAsn: 64600 }))).directConnectGateway!.directConnectGatewayId!;
  await dx.send(new CreateDirectConnectGatewayAssociationCommand({ directConnectGatewayId: dxGateway, virtualGatewayId: vgw }));
  const dxVif = (
    await dx.send(new CreatePrivateVirtualInterfaceCommand({ connectionId: conn, newPrivateVirtualInterface: { virtualInterfaceName: 'corp-vif', vlan: 101, asn: 65010, directConnectGatewayId: dxGateway } }))
  ).virtualInterfaceId!;
  const dxVgwVif = (
    await dx.send(new CreatePrivateVirtualInterfaceCommand({ connectionId: conn, newPrivateVirtualInterface: { virtualInterfaceName: 'office-vif', vlan: 102, asn: 65010, virtualGatewayId: vgw } }))
  ).virtualInterfaceId!;
  return { vpcId, subnets, igw, eigw, nat, vgw, vpn, pcx, vpce, webSg, appSg, web, app, publicRt, privateRt, dxGateway, dxVif, dxVgwVif };
}

describe('console: static files', () => {
  let srv: TestServer;
  before(async () => {
    assert.ok(existsSync(join(CONSOLE_DIR, 'index.html')), `the console is not built in ${CONSOLE_DIR}: run \`npm run build\``);
    srv = await startTestServer();
  });
  after(() => srv.close());

  it('serves the page at /console, /console/ and any page path, with its content type and policy', async () => {
    for (const path of ['/console', '/console/', '/console/vpc/vpc-0123456789abcdef0', '/console/?account=123456789012']) {
      const r = await raw(srv.endpoint, 'GET', path);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers['content-type'], 'text/html; charset=utf-8', path);
      assert.match(r.body, /<div id="root"><\/div>/, path);
      assert.match(String(r.headers['content-security-policy']), /default-src 'self'/);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.equal(r.headers['cache-control'], 'no-cache');
    }
  });

  it('serves the bundled assets with their types, cached for good; a missing asset is a 404', async () => {
    const page = (await raw(srv.endpoint, 'GET', '/console/')).body;
    const js = /src="(\/console\/assets\/[^"]+\.js)"/.exec(page)?.[1];
    const css = /href="(\/console\/assets\/[^"]+\.css)"/.exec(page)?.[1];
    assert.ok(js && css, 'the page links its script and style sheet');
    const rjs = await raw(srv.endpoint, 'GET', js);
    assert.equal(rjs.status, 200);
    assert.equal(rjs.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(rjs.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.ok(rjs.body.length > 10_000, 'React and the console are bundled');
    assert.doesNotMatch(rjs.body, /https?:\/\/(cdn|unpkg|fonts)\./, 'nothing is loaded from elsewhere');
    const rcss = await raw(srv.endpoint, 'GET', css);
    assert.equal(rcss.headers['content-type'], 'text/css; charset=utf-8');
    const head = await raw(srv.endpoint, 'HEAD', js);
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal(Number(head.headers['content-length']), Buffer.byteLength(rjs.body));
    assert.equal((await raw(srv.endpoint, 'GET', '/console/assets/missing-0000.js')).status, 404);
    assert.equal((await raw(srv.endpoint, 'GET', '/console/missing.js')).status, 404);
  });

  it('never serves a file outside the bundle', async () => {
    const secret = readFileSync(join(process.cwd(), 'package.json'), 'utf8');
    for (const path of [
      '/console/../package.json',
      '/console/%2e%2e/%2e%2e/package.json',
      '/console/..%2f..%2fpackage.json',
      '/console/assets/..%2f..%2f..%2fpackage.json',
      '/console/%2e%2e%2f%2e%2e%2fpackage.json',
      '/console/..%5c..%5cpackage.json',
      '/console/%00/../package.json',
      '/console//etc/passwd',
      '/console/%2fetc%2fpasswd',
      '/console/assets/%2e%2e/%2e%2e/%2e%2e/src/index.js',
    ]) {
      const r = await raw(srv.endpoint, 'GET', path);
      assert.notEqual(r.body, secret, path);
      assert.doesNotMatch(r.body, /"name": "vpcsim"|root:x:0:0/, path);
      assert.ok([200, 400, 404].includes(r.status), `${path}: ${r.status}`);
      if (r.status === 200) assert.match(r.body, /<div id="root">/, `${path} can only be the page itself`);
    }
    assert.equal((await raw(srv.endpoint, 'GET', '/console/%E0%A4%A')).status, 400, 'broken percent-encoding');
  });

  it('refuses other methods, sends browsers from / to the console, and leaves the APIs alone', async () => {
    const post = await raw(srv.endpoint, 'POST', '/console/');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    const root = await raw(srv.endpoint, 'GET', '/', { Accept: 'text/html,application/xhtml+xml' });
    assert.equal(root.status, 302);
    assert.equal(root.headers.location, '/console/');
    const api = await raw(srv.endpoint, 'GET', '/?Action=DescribeRegions&Version=2016-11-15', { Accept: 'text/html' });
    assert.equal(api.status, 200);
    assert.match(api.body, /<DescribeRegionsResponse/);
  });
});

describe('console in Chromium', () => {
  let srv: TestServer;
  let browser: BrowserContext;
  let profile: string;
  let demo: Demo;
  /** The VPC's flow log to CloudWatch Logs (created by the flow log records test). */
  let vpcFlowLogId: string | undefined;
  let ec2: EC2Client;

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    srv = await startTestServer({ stateTransitionMs: 50 });
    ec2 = srv.ec2({ accessKeyId: ACCOUNT, region: REGION });
    demo = await buildDemo(ec2);
    profile = mkdtempSync(join(tmpdir(), 'vpcsim-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath(),
      headless: true,
      viewport: { width: 1600, height: 1000 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  async function open(query: Record<string, string> = {}, prepare?: (page: Page) => Promise<void>): Promise<Page> {
    const page = await browser.newPage();
    await prepare?.(page);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    (page as Page & { _errors?: string[] })._errors = errors;
    const q = new URLSearchParams({ account: ACCOUNT, region: REGION, vpc: demo.vpcId, ...query });
    await page.goto(`${srv.endpoint}/console/?${q}`);
    return page;
  }
  const noErrors = (page: Page) => assert.deepEqual((page as Page & { _errors?: string[] })._errors, []);
  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

  it('draws the VPC: subnets in zone columns, public and private, gateways and connections', async () => {
    const page = await open();
    const sub = (id: string) => page.getByTestId(`subnet-${id}`);
    await sub(demo.subnets.privateB).waitFor();
    // Public subnets are those whose route table reaches an internet gateway.
    assert.equal(await sub(demo.subnets.publicA).getAttribute('data-public'), 'true');
    assert.equal(await sub(demo.subnets.publicB).getAttribute('data-public'), 'true');
    assert.equal(await sub(demo.subnets.privateA).getAttribute('data-public'), 'false');
    assert.equal(await sub(demo.subnets.privateB).getAttribute('data-public'), 'false');
    assert.match((await sub(demo.subnets.publicA).innerText()).toLowerCase(), /public/);
    assert.match((await sub(demo.subnets.privateA).innerText()).toLowerCase(), /private/);
    // One column per zone: same zone, same x; the zones side by side.
    const box = async (id: string) => (await sub(id).boundingBox())!;
    const [pa, pb, qa, qb] = [await box(demo.subnets.publicA), await box(demo.subnets.publicB), await box(demo.subnets.privateA), await box(demo.subnets.privateB)];
    assert.equal(pa.x, qa.x, 'us-east-1a subnets share a column');
    assert.equal(pb.x, qb.x, 'us-east-1b subnets share a column');
    assert.ok(pb.x > pa.x + pa.width - 1, 'us-east-1b is right of us-east-1a');
    assert.ok(qa.y > pa.y, 'public subnets first');
    assert.equal(await sub(demo.subnets.publicA).getAttribute('data-az'), 'us-east-1a');
    await page.getByTestId('az-us-east-1a').waitFor();
    await page.getByTestId('az-us-east-1b').waitFor();
    // Instances and the NAT gateway inside their subnets.
    for (const [member, subnet] of [
      [demo.web, demo.subnets.publicA],
      [demo.nat, demo.subnets.publicA],
      [demo.app, demo.subnets.privateA],
    ] as const) {
      const m = (await page.getByTestId(`member-${member}`).boundingBox())!;
      const s = await box(subnet);
      assert.ok(m.x >= s.x && m.y >= s.y && m.x + m.width <= s.x + s.width && m.y + m.height <= s.y + s.height, `${member} is drawn inside ${subnet}`);
    }
    assert.match(await page.getByTestId(`member-${demo.web}`).innerText(), /web-1/);
    // Gateways and connections, and the route tables.
    for (const id of [demo.igw, demo.eigw, demo.vgw, demo.vpn, demo.pcx, demo.vpce, demo.dxGateway, demo.dxVif, demo.dxVgwVif]) await page.getByTestId(`conn-${id}`).waitFor();
    assert.match(await page.getByTestId(`conn-${demo.dxGateway}`).innerText(), /corp-dx/);
    assert.match(await page.getByTestId(`conn-${demo.dxVif}`).innerText(), /corp-vif[\s\S]*VLAN 101/);
    // Connections hang under what they attach to: the VPN and Direct Connect under the VPN gateway.
    const vgwBox = (await page.getByTestId(`conn-${demo.vgw}`).boundingBox())!;
    for (const id of [demo.vpn, demo.dxGateway, demo.dxVgwVif]) assert.ok((await page.getByTestId(`conn-${id}`).boundingBox())!.x > vgwBox.x, `${id} is indented under the VPN gateway`);
    assert.match(await page.getByTestId(`conn-${demo.igw}`).innerText(), /shop-igw/);
    assert.match(await page.getByTestId(`conn-${demo.pcx}`).innerText(), /10\.50\.0\.0\/16/);
    assert.match(await page.getByTestId(`rtb-${demo.publicRt}`).innerText(), new RegExp(`0\\.0\\.0\\.0/0 → ${demo.igw}`));
    assert.match(await page.getByTestId(`rtb-${demo.privateRt}`).innerText(), new RegExp(`0\\.0\\.0\\.0/0 → ${demo.nat}`));
    await shot(page, 'map');
    noErrors(page);
    await page.close();
  });

  it('follows changes without a reload', async () => {
    const page = await open();
    await page.getByTestId(`subnet-${demo.subnets.publicA}`).waitFor();
    const id = (await ec2.send(new CreateSubnetCommand({ VpcId: demo.vpcId, CidrBlock: '10.0.20.0/24', AvailabilityZone: 'us-east-1c', TagSpecifications: [{ ResourceType: 'subnet', Tags: tag('late') }] }))).Subnet!.SubnetId!;
    await page.getByTestId(`subnet-${id}`).waitFor({ timeout: 8000 });
    assert.equal(await page.getByTestId(`subnet-${id}`).getAttribute('data-az'), 'us-east-1c');
    await page.getByTestId('az-us-east-1c').waitFor();
    // The new subnet uses the main table: private.
    assert.equal(await page.getByTestId(`subnet-${id}`).getAttribute('data-public'), 'false');
    // Associating the public table makes it public, again without a reload.
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: demo.publicRt, SubnetId: id }));
    await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('data-public') === 'true', `[data-testid="subnet-${id}"]`, { timeout: 8000 });
    noErrors(page);
    await page.close();
  });

  it('shows a security group with its inbound and outbound rules when clicked', async () => {
    const page = await open();
    await page.getByTestId(`chip-${demo.webSg}`).click();
    await page.getByTestId('details-id').filter({ hasText: demo.webSg }).waitFor();
    const inbound = page.getByTestId('sg-inbound');
    await inbound.getByText('HTTPS from anywhere').waitFor();
    const rows = await inbound.locator('tbody tr').allInnerTexts();
    assert.equal(rows.length, 1);
    assert.match(rows[0]!, /sgr-[0-9a-f]+\s+TCP\s+443\s+0\.0\.0\.0\/0\s+HTTPS from anywhere/);
    const outbound = await page.getByTestId('sg-outbound').locator('tbody tr').allInnerTexts();
    assert.equal(outbound.length, 1);
    assert.match(outbound[0]!, /All\s+All\s+0\.0\.0\.0\/0/);
    // A rule that references another group links to it.
    await page.getByTestId(`chip-${demo.appSg}`).click();
    await page.getByTestId('sg-inbound').getByText('from web').waitFor();
    assert.match((await page.getByTestId('sg-inbound').locator('tbody tr').allInnerTexts())[0]!, new RegExp(`TCP\\s+8080\\s+${demo.webSg}`));
    await shot(page, 'security-group');
    // A subnet shows its route table's routes and its ACL's entries.
    await page.getByTestId(`subnet-${demo.subnets.privateA}`).locator('.subnet-head').click();
    const routes = await page.getByTestId('routes').locator('tbody tr').allInnerTexts();
    assert.ok(routes.some((r) => r.includes('0.0.0.0/0') && r.includes(demo.nat) && /active/.test(r)), routes.join('\n'));
    assert.ok(routes.some((r) => r.includes('10.50.0.0/16') && r.includes(demo.pcx)), routes.join('\n'));
    const aclIn = await page.getByTestId('acl-inbound').locator('tbody tr').allInnerTexts();
    // The default ACL: allow all IPv4 and IPv6 (the VPC has an IPv6 block), then the two default denies.
    assert.deepEqual(
      aclIn.map((r) => r.split('\t')[0]),
      ['100', '101', '*', '*'],
    );
    assert.match(aclIn[0]!, /All\s+All\s+0\.0\.0\.0\/0\s+Allow/);
    assert.match(aclIn[2]!, /Deny/);
    noErrors(page);
    await page.close();
  });

  async function analyze(page: Page, source: string, destination: string, port: number | undefined, protocol: 'tcp' | 'udp' | 'icmp' = 'tcp') {
    await page.getByTestId('panel-path').click();
    await page.getByTestId('path-source').fill(source);
    await page.getByTestId('path-destination').fill(destination);
    await page.getByTestId('path-protocol').selectOption(protocol);
    if (port !== undefined) await page.getByTestId('path-port').fill(String(port));
    await page.getByTestId('path-run').click();
    await Promise.race([page.getByTestId('path-verdict').waitFor({ timeout: 10_000 }), page.getByTestId('path-error').waitFor({ timeout: 10_000 })]);
    if (await page.getByTestId('path-error').isVisible()) {
      throw new Error(`the path analysis failed: ${await page.getByTestId('path-error').innerText()}`);
    }
  }

  /** The components a hop list names, in order, with each hop's decision. */
  async function hopList(page: Page, testId: string): Promise<Array<{ id: string; action: string; text: string }>> {
    return page
      .getByTestId(testId)
      .locator('li')
      .evaluateAll((els) => els.map((el) => ({ id: el.getAttribute('data-component') ?? '', action: el.getAttribute('data-action') ?? '', text: (el as HTMLElement).innerText })));
  }

  it('path explorer: web → app on 8080 is reachable, hop by hop on the map (Reachability Analyzer)', async () => {
    const page = await open();
    await page.getByTestId(`member-${demo.web}`).waitFor();
    await analyze(page, demo.web, demo.app, 8080);
    const verdict = await page.getByTestId('path-verdict').innerText();
    assert.match(verdict, /Reachable/);
    assert.match(verdict, /Reachability Analyzer/, 'analysed through the EC2 API');
    const analysisId = await page.getByTestId('analysis-id').innerText();
    assert.match(analysisId, /^nia-[0-9a-f]{17}$/);
    // The analysis is AWS's: the same one is read back through the SDK.
    const described = await ec2.send(new DescribeNetworkInsightsAnalysesCommand({ NetworkInsightsAnalysisIds: [analysisId] }));
    const a = described.NetworkInsightsAnalyses![0]!;
    assert.equal(a.NetworkPathFound, true);
    const forward = await hopList(page, 'hops-forward');
    assert.deepEqual(
      forward.map((h) => h.id),
      a.ForwardPathComponents!.map((c) => c.Component!.Id!),
      'every forward component, in order',
    );
    const ids = forward.map((h) => h.id);
    assert.ok(ids.includes(demo.webSg) && ids.includes(demo.appSg), ids.join(' '));
    assert.ok(ids.indexOf(demo.webSg) < ids.indexOf(demo.appSg), 'egress from web before ingress to app');
    const sgHop = forward.find((h) => h.id === demo.appSg)!;
    assert.equal(sgHop.action, 'allow');
    assert.match(sgHop.text, new RegExp(`ingress allowed by rule tcp 8080 from ${demo.webSg}\\s+Security group rule\\s+ingress tcp 8080 from ${demo.webSg}`), 'the rule that matched');
    assert.match(forward.find((h) => h.id === demo.webSg)!.text, /egress allowed by/);
    const acl = forward.find((h) => h.id.startsWith('acl-'));
    assert.ok(acl, 'the network ACL is a hop');
    assert.match(acl.text, /ACL rule\s+#100 allow all 0\.0\.0\.0\/0/);
    assert.match(forward[0]!.text, /Outbound header\s+tcp 10\.0\.0\.\d+:\d+ → 10\.0\.10\.\d+:8080/, 'the packet as it leaves');
    const back = await hopList(page, 'hops-return');
    assert.deepEqual(
      back.map((h) => h.id),
      a.ReturnPathComponents!.map((c) => c.Component!.Id!),
    );
    assert.ok(back.length > 0 && back.some((h) => h.id === demo.appSg), 'the return path passes the app group');
    // The map: numbered hops on the instances, the path drawn, nothing blocked.
    await page.getByTestId('path-overlay').waitFor();
    assert.ok((await page.getByTestId(`member-${demo.web}`).locator('.hop-badge').count()) > 0);
    assert.ok((await page.getByTestId(`member-${demo.app}`).locator('.hop-badge').count()) > 0);
    assert.ok((await page.getByTestId(`chip-${demo.appSg}`).locator('.hop-badge').count()) > 0, 'the app group is marked on the map');
    assert.equal(await page.locator('.path-ok').count(), 1, 'the forward path is drawn');
    assert.equal(await page.locator('.path-return').count(), 1, 'and the return path');
    assert.equal(await page.locator('.block-badge').count(), 0);
    // Hop by hop: stepping focuses each component on the map, forward then return.
    for (let i = 0; i < 3; i++) await page.getByTestId('hop-next').click();
    assert.match(await page.getByTestId('hop-step').innerText(), new RegExp(`^forward hop 3 of ${forward.length}: \\S+ ${forward[2]!.id}`));
    assert.equal(await page.locator('.hop-active').getAttribute('data-component'), forward[2]!.id);
    assert.equal(await page.locator('.focus-ring').count(), 1, 'the hop is ringed on the map');
    for (let i = 3; i <= forward.length; i++) await page.getByTestId('hop-next').click();
    assert.match(await page.getByTestId('hop-step').innerText(), new RegExp(`^return hop 1 of ${back.length}: \\S+ ${back[0]!.id}`));
    assert.equal(await page.getByTestId('hops-return').locator('.hop-active').getAttribute('data-component'), back[0]!.id);
    await page.getByTestId('hop-prev').click();
    assert.equal(await page.getByTestId('hops-forward').locator('.hop-active').getAttribute('data-component'), forward[forward.length - 1]!.id);
    // The path is kept: a second run adds an analysis to it, and the first can be opened again.
    await page.getByTestId('analysis-history').locator(`[data-analysis="${analysisId}"]`).waitFor();
    await page.getByTestId('path-run').click();
    await page.waitForFunction((id) => {
      const el = document.querySelector('[data-testid="analysis-id"]');
      return !!el && el.textContent !== id && /^nia-/.test(el.textContent ?? '');
    }, analysisId);
    const second = await page.getByTestId('analysis-id').innerText();
    await page.getByTestId('analysis-history').locator(`[data-analysis="${second}"]`).waitFor();
    assert.equal(await page.getByTestId('analysis-history').locator('li').count(), 2);
    assert.equal(a.NetworkInsightsPathId, (await ec2.send(new DescribeNetworkInsightsAnalysesCommand({ NetworkInsightsAnalysisIds: [second] }))).NetworkInsightsAnalyses![0]!.NetworkInsightsPathId);
    await shot(page, 'path-reachable');
    await page.getByTestId('analysis-history').locator(`[data-analysis="${analysisId}"] button`).click();
    await page.waitForFunction((id) => document.querySelector('[data-testid="analysis-id"]')?.textContent === id, analysisId);
    assert.equal((await hopList(page, 'hops-forward')).length, forward.length);
    noErrors(page);
    await page.close();
  });

  it('path explorer: the internet → web on 443 is reachable through the internet gateway, with its translation', async () => {
    const page = await open();
    await page.getByTestId(`member-${demo.web}`).waitFor();
    await analyze(page, demo.igw, demo.web, 443);
    assert.match(await page.getByTestId('path-verdict').innerText(), /Reachable[\s\S]*Reachability Analyzer/);
    const forward = await hopList(page, 'hops-forward');
    const igw = forward.find((h) => h.id === demo.igw);
    assert.ok(igw, forward.map((h) => h.id).join(' '));
    assert.equal(igw.action, 'translate');
    assert.match(igw.text, /Inbound header\s+tcp \S+ → \d+\.\d+\.\d+\.\d+:443/);
    assert.match(igw.text, /translates the destination/);
    assert.match(igw.text, /Outbound header\s+tcp \S+ → 10\.0\.0\.\d+:443/);
    const publicIp = /Inbound header\s+tcp \S+ → (\d+\.\d+\.\d+\.\d+):443/.exec(igw.text)![1]!;
    assert.match(igw.text, new RegExp(`Translation\\s+destination ${publicIp.replace(/\./g, '\\.')} → 10\\.0\\.0\\.\\d+`), 'public address → private address');
    const sg = forward.find((h) => h.id === demo.webSg);
    assert.ok(sg);
    assert.match(sg.text, /ingress tcp 443 from 0\.0\.0\.0\/0/);
    assert.ok((await hopList(page, 'hops-return')).some((h) => h.id === demo.igw), 'the reply goes back out through the gateway');
    assert.ok((await page.getByTestId(`conn-${demo.igw}`).locator('.hop-badge').count()) > 0);
    await shot(page, 'path-internet');
    noErrors(page);
    await page.close();
  });

  it('path explorer: web → an internet address on 443, through Reachability Analyzer with a filter at the source', async () => {
    const page = await open();
    await page.getByTestId(`member-${demo.web}`).waitFor();
    await analyze(page, demo.web, '93.184.216.34', 443);
    assert.match(await page.getByTestId('path-verdict').innerText(), /Reachable[\s\S]*Reachability Analyzer/);
    const analysisId = await page.getByTestId('analysis-id').innerText();
    const { NetworkInsightsAnalyses } = await ec2.send(new DescribeNetworkInsightsAnalysesCommand({ NetworkInsightsAnalysisIds: [analysisId] }));
    const { NetworkInsightsPaths } = await ec2.send(new DescribeNetworkInsightsPathsCommand({ NetworkInsightsPathIds: [NetworkInsightsAnalyses![0]!.NetworkInsightsPathId!] }));
    const path = NetworkInsightsPaths![0]!;
    assert.equal(path.FilterAtSource?.DestinationAddress, '93.184.216.34');
    assert.deepEqual(path.FilterAtSource?.DestinationPortRange, { FromPort: 443, ToPort: 443 });
    assert.equal(path.DestinationPort, undefined);
    assert.ok((await hopList(page, 'hops-forward')).some((h) => h.id === demo.igw));
    noErrors(page);
    await page.close();
  });

  it('path explorer: web → app on 22 is blocked, with the explanation code on the map', async () => {
    const page = await open();
    await page.getByTestId(`member-${demo.web}`).waitFor();
    await analyze(page, demo.web, demo.app, 22);
    assert.match(await page.getByTestId('path-verdict').innerText(), /Not reachable[\s\S]*Reachability Analyzer/);
    const analysisId = await page.getByTestId('analysis-id').innerText();
    const a = (await ec2.send(new DescribeNetworkInsightsAnalysesCommand({ NetworkInsightsAnalysisIds: [analysisId] }))).NetworkInsightsAnalyses![0]!;
    assert.equal(a.NetworkPathFound, false);
    const shown = await page.getByTestId('explanations').locator('li').evaluateAll((els) => els.map((el) => `${el.getAttribute('data-code')} ${el.getAttribute('data-component')}`));
    assert.deepEqual(
      shown,
      a.Explanations!.map((e) => `${e.ExplanationCode} ${e.Component!.Id}`),
    );
    const ex = await page.getByTestId('explanations').innerText();
    assert.match(ex, /ENI_SG_RULES_MISMATCH/);
    assert.match(ex, /no rule that allows this traffic/);
    assert.match(ex, new RegExp(`Security groups\\s+${demo.appSg}`), 'names the group that has no matching rule');
    assert.ok((await page.locator('.block-badge', { hasText: 'ENI_SG_RULES_MISMATCH' }).count()) > 0, 'the blocking component is marked on the map');
    await page.locator('.path-bad').first().waitFor({ state: 'attached' });
    await shot(page, 'path-blocked');
    noErrors(page);
    await page.close();
  });

  it('path explorer: a network ACL that denies is named with the rule that matched', async () => {
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.70.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: tag('locked') }] }))).Vpc!.VpcId!;
    const a = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.70.1.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
    const b = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.70.2.0/24', AvailabilityZone: 'us-east-1b' }))).Subnet!.SubnetId!;
    const sg = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'ssh', Description: 'ssh inside' }))).GroupId!;
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sg, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.70.0.0/16' }] }] }));
    const acl = (await ec2.send(new CreateNetworkAclCommand({ VpcId: vpcId, TagSpecifications: [{ ResourceType: 'network-acl', Tags: tag('web-only') }] }))).NetworkAcl!.NetworkAclId!;
    await ec2.send(new CreateNetworkAclEntryCommand({ NetworkAclId: acl, RuleNumber: 100, Protocol: '6', RuleAction: 'allow', Egress: false, CidrBlock: '0.0.0.0/0', PortRange: { From: 80, To: 80 } }));
    await ec2.send(new CreateNetworkAclEntryCommand({ NetworkAclId: acl, RuleNumber: 100, Protocol: '-1', RuleAction: 'allow', Egress: true, CidrBlock: '0.0.0.0/0' }));
    const assoc = (await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [b] }] }))).NetworkAcls![0]!.Associations!.find((x) => x.SubnetId === b)!;
    await ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: assoc.NetworkAclAssociationId!, NetworkAclId: acl }));
    const run = async (subnetId: string) => (await ec2.send(new RunInstancesCommand({ ImageId: AL2023, MinCount: 1, MaxCount: 1, SubnetId: subnetId, SecurityGroupIds: [sg] }))).Instances![0]!.InstanceId!;
    const from = await run(a);
    const to = await run(b);
    const page = await open({ vpc: vpcId });
    await page.getByTestId(`member-${to}`).waitFor();
    await analyze(page, from, to, 22);
    assert.match(await page.getByTestId('path-verdict').innerText(), /Not reachable[\s\S]*Reachability Analyzer/);
    const item = page.getByTestId('explanations').locator(`li[data-code="SUBNET_ACL_RESTRICTION"]`);
    assert.equal(await item.getAttribute('data-component'), acl);
    const text = await item.innerText();
    assert.match(text, /network ACL does not allow this traffic/);
    assert.match(text, new RegExp(`Network ACL\\s+${acl}`));
    assert.match(text, /ACL rule\s+#\* deny all 0\.0\.0\.0\/0 \(inbound\)/, 'the default deny matched');
    assert.ok((await page.getByTestId(`chip-${acl}`).locator('.block-badge', { hasText: 'SUBNET_ACL_RESTRICTION' }).count()) > 0, 'the ACL is marked on the map');
    await page.locator('.path-bad').waitFor({ state: 'attached' });
    await shot(page, 'path-acl-blocked');
    // Port 80 is let in by rule 100: the same two instances are reachable there (the group allows only 22, though).
    await page.getByTestId('path-port').fill('80');
    await page.getByTestId('path-run').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="explanations"] li[data-code="ENI_SG_RULES_MISMATCH"]'));
    assert.equal(await page.getByTestId('explanations').locator('li[data-code="SUBNET_ACL_RESTRICTION"]').count(), 0);
    noErrors(page);
    await page.close();
  });

  it('path explorer: ICMP, which Reachability Analyzer does not analyse, is traced by vpcsim', async () => {
    const page = await open();
    await page.getByTestId(`member-${demo.web}`).waitFor();
    await analyze(page, demo.web, demo.app, undefined, 'icmp');
    // The app group allows only 8080 from web: no echo request gets in.
    const verdict = await page.getByTestId('path-verdict').innerText();
    assert.match(verdict, /Not reachable[\s\S]*vpcsim trace/);
    assert.equal(await page.getByTestId('analysis-id').count(), 0);
    assert.match(await page.getByTestId('explanations').innerText(), /ENI_SG_RULES_MISMATCH/);
    noErrors(page);
    await page.close();
  });

  it('flow logs: an empty state until there are flow logs, then their list', async () => {
    const page = await open({ tab: 'flowlogs' });
    await page.getByTestId('flowlogs').waitFor();
    const empty = page.getByTestId('flowlogs-empty');
    const list = page.getByTestId('flowlog-list');
    await Promise.race([empty.waitFor(), list.waitFor()]);
    assert.ok(await empty.isVisible(), 'no flow logs yet');
    assert.match(await empty.innerText(), /No flow logs yet|not available/);
    // NAT gateway metrics: the NAT gateway is listed, with charts or a clear empty state.
    await page.getByTestId('nat-metrics').waitFor();
    await page.waitForFunction(() => !document.querySelector('[data-testid="nat-metrics"]')?.textContent?.includes('Loading'));
    const metrics = await page.getByTestId('nat-metrics').innerText();
    assert.match(metrics, new RegExp(demo.nat));
    assert.ok(/BytesOutToDestination/.test(metrics) || /not available/.test(metrics), metrics);
    await shot(page, 'flow-logs-empty');
    noErrors(page);
    await page.close();
  });

  it('flow logs: records from the log group, filtered, with the accepted/rejected chart', async (t) => {
    const group = '/vpc/shop/flow-logs';
    let flowLogId = 'fl-0c0501e0000000001';
    // Until the server serves flow logs, the page is given AWS's DescribeFlowLogs answer for
    // one (the records still come from the server's CloudWatch Logs).
    let describeFlowLogs: ((page: Page) => Promise<void>) | undefined;
    try {
      const r = await ec2.send(
        new CreateFlowLogsCommand({
          ResourceType: 'VPC',
          ResourceIds: [demo.vpcId],
          TrafficType: 'ALL',
          LogDestinationType: 'cloud-watch-logs',
          LogGroupName: group,
          DeliverLogsPermissionArn: `arn:aws:iam::${ACCOUNT}:role/flow-logs`,
        }),
      );
      flowLogId = r.FlowLogIds![0]!;
      vpcFlowLogId = flowLogId;
    } catch (err) {
      if ((err as { name?: string }).name !== 'UnsupportedOperation') throw err;
      t.diagnostic('CreateFlowLogs is not served yet: DescribeFlowLogs is answered in the page');
      const xml =
        '<?xml version="1.0" encoding="UTF-8"?><DescribeFlowLogsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">' +
        '<requestId>7b7bd7a2-0000-4000-8000-000000000001</requestId><flowLogSet><item>' +
        `<creationTime>${new Date().toISOString()}</creationTime><deliverLogsPermissionArn>arn:aws:iam::${ACCOUNT}:role/flow-logs</deliverLogsPermissionArn>` +
        `<deliverLogsStatus>SUCCESS</deliverLogsStatus><flowLogId>${flowLogId}</flowLogId><flowLogStatus>ACTIVE</flowLogStatus>` +
        `<logGroupName>${group}</logGroupName><resourceId>${demo.vpcId}</resourceId><trafficType>ALL</trafficType>` +
        '<logDestinationType>cloud-watch-logs</logDestinationType>' +
        '<logFormat>${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}</logFormat>' +
        '<maxAggregationInterval>600</maxAggregationInterval><tagSet/></item></flowLogSet></DescribeFlowLogsResponse>';
      describeFlowLogs = async (page) => {
        await page.route(`${srv.endpoint}/`, (route) =>
          /(^|&)Action=DescribeFlowLogs(&|$)/.test(route.request().postData() ?? '') ? route.fulfill({ status: 200, contentType: 'text/xml;charset=UTF-8', body: xml }) : route.continue(),
        );
      };
    }
    // Records as the flow log service writes them (default format), in a stream of their interface.
    const logs = new CloudWatchLogsClient({ endpoint: srv.endpoint, region: REGION, credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'test' }, maxAttempts: 1 });
    await logs.send(new CreateLogGroupCommand({ logGroupName: group })).catch((e: { name?: string }) => {
      if (e.name !== 'ResourceAlreadyExistsException') throw e;
    });
    const eni = 'eni-0c0501e0000000001';
    const stream = `${eni}-all`;
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
    const now = Math.floor(Date.now() / 1000);
    const rec = (ago: number, src: string, dst: string, sport: number, dport: number, action: string) =>
      `2 ${ACCOUNT} ${eni} ${src} ${dst} ${sport} ${dport} 6 10 840 ${now - ago - 60} ${now - ago} ${action} OK`;
    const lines = [
      rec(600, '10.0.0.4', '10.0.10.4', 49152, 8080, 'ACCEPT'),
      rec(480, '10.0.0.4', '10.0.10.4', 49153, 8080, 'ACCEPT'),
      rec(360, '198.51.100.7', '10.0.10.4', 40000, 22, 'REJECT'),
      rec(240, '10.0.0.4', '10.0.10.4', 49154, 8080, 'ACCEPT'),
      rec(120, '198.51.100.7', '10.0.10.4', 40001, 3389, 'REJECT'),
      rec(60, '10.0.10.4', '10.0.0.4', 8080, 49155, 'ACCEPT'),
    ];
    await logs.send(
      new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: lines.map((message, i) => ({ message, timestamp: (now - 600 + i * 100) * 1000 })) }),
    );
    const page = await open({ tab: 'flowlogs' }, describeFlowLogs);
    await page.getByTestId('flowlog-list').getByText(flowLogId).waitFor();
    await page.getByTestId('flow-records').waitFor();
    await page.getByTestId('filter-eni').locator(`option[value="${eni}"]`).waitFor({ state: 'attached' });
    await page.getByTestId('filter-eni').selectOption(eni);
    const rows = () => page.getByTestId('flow-records').locator('tbody tr').allInnerTexts();
    assert.equal((await rows()).length, 6);
    assert.match((await rows())[0]!, new RegExp(`${eni}\\s+10\\.0\\.10\\.4:8080\\s+10\\.0\\.0\\.4:49155\\s+TCP\\s+10\\s+840\\s+ACCEPT`), 'newest first');
    assert.match(await page.locator('.chart-legend').innerText(), /accepted 4[\s\S]*rejected 2/);
    assert.ok((await page.getByTestId('flow-chart').locator('rect.bar-reject[height]:not([height="0"])').count()) >= 2, 'rejected records are drawn');
    await page.getByTestId('filter-action').selectOption('REJECT');
    assert.equal((await rows()).length, 2);
    await page.getByTestId('filter-port').fill('3389');
    assert.equal((await rows()).length, 1);
    await page.getByTestId('filter-port').fill('');
    await page.getByTestId('filter-action').selectOption('');
    await page.getByTestId('filter-address').fill('198.51.100.7');
    assert.equal((await rows()).length, 2);
    await page.getByTestId('filter-address').fill('10.0.0.4');
    assert.equal((await rows()).length, 4);
    await shot(page, 'flow-log-records');
    noErrors(page);
    await page.close();
  });

  it('flow logs in S3: the files are listed (ListObjectsV2), read (GetObject, gzip) and parsed by their header', async () => {
    const bucket = 'shop-flow-logs';
    const s3 = new S3Client({ endpoint: srv.endpoint, region: REGION, credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'test' }, forcePathStyle: true, maxAttempts: 1 });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const r = await ec2.send(
      new CreateFlowLogsCommand({
        ResourceType: 'Subnet',
        ResourceIds: [demo.subnets.publicB],
        TrafficType: 'REJECT',
        LogDestinationType: 's3',
        LogDestination: `arn:aws:s3:::${bucket}/shop`,
        LogFormat: '${version} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${flow-direction}',
      }),
    );
    assert.deepEqual(r.Unsuccessful ?? [], []);
    const flowLogId = r.FlowLogIds![0]!;
    // A file as the flow log service writes it: a header line, then one record a line, gzip.
    const now = Math.floor(Date.now() / 1000);
    const d = new Date(now * 1000);
    const day = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
    const eni = 'eni-0c0501e0000000002';
    const text = [
      'version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status flow-direction',
      `5 ${eni} 203.0.113.9 10.0.1.20 41000 23 6 2 120 ${now - 300} ${now - 240} REJECT OK ingress`,
      `5 ${eni} 203.0.113.9 10.0.1.20 41001 445 6 1 60 ${now - 200} ${now - 140} REJECT OK ingress`,
      `5 ${eni} 192.0.2.44 10.0.1.20 53000 3389 6 3 180 ${now - 100} ${now - 40} REJECT OK ingress`,
    ].join('\n') + '\n';
    const key = `shop/AWSLogs/${ACCOUNT}/vpcflowlogs/${REGION}/${day}/${ACCOUNT}_vpcflowlogs_${REGION}_${flowLogId}_${d.toISOString().slice(0, 16).replace(/[-:]/g, '')}Z_0a1b2c3d.log.gz`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipSync(text) }));
    // Another flow log's file in the same bucket is not this one's.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key.replace(flowLogId, 'fl-0000000000000000f'), Body: gzipSync(text) }));
    const page = await open({ tab: 'flowlogs' });
    await page.getByTestId('flowlog-list').getByText(flowLogId).click();
    await page.getByTestId('s3-files').waitFor();
    const files = await page.getByTestId('s3-files').locator('tbody tr').allInnerTexts();
    assert.ok(files.some((f) => f.includes(key) && /\s3$/.test(f.trim())), files.join('\n'));
    assert.ok(!files.some((f) => f.includes('fl-0000000000000000f')), 'only this flow log\'s files');
    const rows = () => page.getByTestId('flow-records').locator('tbody tr').allInnerTexts();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="flow-records"] tbody tr td:nth-child(2)').length >= 3);
    const own = (await rows()).filter((x) => x.includes(eni));
    assert.equal(own.length, 3, own.join('\n'));
    assert.match(own[0]!, new RegExp(`${eni}\\s+192\\.0\\.2\\.44:53000\\s+10\\.0\\.1\\.20:3389\\s+TCP\\s+3\\s+180\\s+REJECT`), 'parsed by the file\'s header, newest first');
    await page.getByTestId('filter-address').fill('203.0.113.9');
    assert.equal((await rows()).length, 2);
    await page.getByTestId('filter-port').fill('445');
    assert.equal((await rows()).length, 1);
    await shot(page, 'flow-log-s3');
    noErrors(page);
    await page.close();
  });

  it('flow logs: traffic sent from the page comes back as records (ACCEPT and REJECT) in CloudWatch Logs and S3; NAT gateway metrics have data', async () => {
    assert.ok(vpcFlowLogId, 'the VPC has a flow log to CloudWatch Logs');
    const group = '/vpc/shop/flow-logs';
    const inst = async (id: string) => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!;
    const web = await inst(demo.web);
    const app = await inst(demo.app);
    const webEni = web.NetworkInterfaces![0]!.NetworkInterfaceId!;
    const appEni = app.NetworkInterfaces![0]!.NetworkInterfaceId!;
    const webIp = web.PrivateIpAddress!;
    const appIp = app.PrivateIpAddress!;
    // The app server's interface also logs to S3, in Parquet.
    const bucket = 'shop-flow-logs';
    const s3Log = await ec2.send(
      new CreateFlowLogsCommand({
        ResourceType: 'NetworkInterface',
        ResourceIds: [appEni],
        TrafficType: 'ALL',
        LogDestinationType: 's3',
        LogDestination: `arn:aws:s3:::${bucket}/app`,
        DestinationOptions: { FileFormat: 'parquet' },
      }),
    );
    assert.deepEqual(s3Log.Unsuccessful ?? [], []);
    const s3FlowLogId = s3Log.FlowLogIds![0]!;

    const page = await open({ tab: 'flowlogs' });
    await page.getByTestId('flowlog-list').getByText(vpcFlowLogId).click();
    await page.getByTestId('flow-records').waitFor();
    const send = async (source: string, destination: string, port: number, count: number) => {
      const before = (await page.getByTestId('traffic-result').count()) ? await page.getByTestId('traffic-result').innerText() : '';
      await page.getByTestId('traffic-source').fill(source);
      await page.getByTestId('traffic-destination').fill(destination);
      await page.getByTestId('traffic-protocol').selectOption('tcp');
      await page.getByTestId('traffic-port').fill(String(port));
      await page.getByTestId('traffic-count').fill(String(count));
      await page.getByTestId('traffic-send').click();
      await page.waitForFunction(
        (prev) => {
          const ok = document.querySelector('[data-testid="traffic-result"]');
          return !!document.querySelector('[data-testid="traffic-error"]') || (!!ok && ok.textContent !== prev);
        },
        before,
        { timeout: 10_000 },
      );
      if (await page.getByTestId('traffic-error').count()) assert.fail(await page.getByTestId('traffic-error').innerText());
      return page.getByTestId('traffic-result').innerText();
    };
    assert.match(await send(demo.web, demo.app, 8080, 3), /3 connections: 3 accepted, 0 dropped · delivered [1-9]\d* flow log records/);
    assert.match(await send(demo.web, demo.app, 22, 2), /2 connections: 0 accepted, 2 dropped · ENI_SG_RULES_MISMATCH · delivered [1-9]\d* flow log records/);
    assert.match(await send(demo.app, '198.51.100.20', 443, 4), /4 connections: 4 accepted, 0 dropped/, 'out through the NAT gateway');

    // The records the page shows are those in the log group (FilterLogEvents through the SDK).
    const logs = new CloudWatchLogsClient({ endpoint: srv.endpoint, region: REGION, credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'test' }, maxAttempts: 1 });
    const events = (await logs.send(new FilterLogEventsCommand({ logGroupName: group, logStreamNames: [`${appEni}-all`] }))).events!;
    const fields = (m: string) => m.split(' ');
    const rejected22 = events.filter((e) => fields(e.message!)[6] === '22' && fields(e.message!)[12] === 'REJECT');
    assert.equal(rejected22.length, 2, 'one REJECT record per refused connection at the app server');
    assert.ok(events.some((e) => fields(e.message!)[6] === '8080' && fields(e.message!)[12] === 'ACCEPT'));
    const rows = () => page.getByTestId('flow-records').locator('tbody tr').allInnerTexts();
    await page.getByTestId('filter-eni').locator(`option[value="${appEni}"]`).waitFor({ state: 'attached' });
    await page.getByTestId('filter-eni').selectOption(appEni);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="flow-records"] tbody tr').length === n, events.length);
    const all = await rows();
    assert.ok(all.every((r) => r.includes(appEni)));
    assert.ok(all.some((r) => /\bACCEPT\b/.test(r)) && all.some((r) => /\bREJECT\b/.test(r)), all.join('\n'));
    const legend = await page.locator('.chart-legend').innerText();
    const accepted = Number(/accepted (\d+)/.exec(legend)![1]);
    const rejectedCount = Number(/rejected (\d+)/.exec(legend)![1]);
    assert.equal(accepted + rejectedCount, events.length);
    assert.equal(rejectedCount, 2);
    assert.ok((await page.getByTestId('flow-chart').locator('rect.bar-accept').evaluateAll((els) => els.filter((e) => Number(e.getAttribute('height')) > 0).length)) > 0, 'accepted records are drawn');
    assert.ok((await page.getByTestId('flow-chart').locator('rect.bar-reject').evaluateAll((els) => els.filter((e) => Number(e.getAttribute('height')) > 0).length)) > 0, 'rejected records are drawn');
    await page.getByTestId('filter-action').selectOption('REJECT');
    const refused = await rows();
    assert.equal(refused.length, 2);
    for (const r of refused) assert.match(r, new RegExp(`${appEni}\\s+${webIp.replace(/\./g, '\\.')}:\\d+\\s+${appIp.replace(/\./g, '\\.')}:22\\s+TCP\\s+\\d+\\s+\\d+\\s+REJECT`));
    await page.getByTestId('filter-action').selectOption('ACCEPT');
    await page.getByTestId('filter-port').fill('8080');
    const to8080 = await rows();
    assert.ok(to8080.length >= 3 && to8080.every((r) => /ACCEPT/.test(r) && /:8080\b/.test(r)), to8080.join('\n'));
    await page.getByTestId('filter-port').fill('443');
    assert.ok((await rows()).every((r) => r.includes('198.51.100.20:443') || /:443\b/.test(r)));
    await page.getByTestId('filter-port').fill('');
    await page.getByTestId('filter-action').selectOption('');
    await page.getByTestId('filter-address').fill(webIp);
    assert.equal((await rows()).length, events.filter((e) => fields(e.message!)[3] === webIp || fields(e.message!)[4] === webIp).length);
    await page.getByTestId('filter-address').fill('');

    // NAT gateway metrics from GetMetricData: the connections out have data points.
    await page.getByTestId('metric-BytesOutToDestination').locator('circle.dot').first().waitFor({ timeout: 10_000 });
    for (const m of ['BytesOutToDestination', 'PacketsOutToDestination', 'ConnectionEstablishedCount']) {
      assert.ok((await page.getByTestId(`metric-${m}`).locator('circle.dot').count()) > 0, `${m} has data points`);
      assert.equal(await page.getByTestId(`metric-${m}`).getByText('no data points').count(), 0);
    }
    const cw = new CloudWatchClient({ endpoint: srv.endpoint, region: REGION, credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'test' }, maxAttempts: 1 });
    const sdk = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(Date.now() - 3600_000),
        EndTime: new Date(Date.now() + 60_000),
        MetricDataQueries: [{ Id: 'b', MetricStat: { Metric: { Namespace: 'AWS/NATGateway', MetricName: 'BytesOutToDestination', Dimensions: [{ Name: 'NatGatewayId', Value: demo.nat }] }, Period: 60, Stat: 'Sum' } }],
      }),
    );
    const values = sdk.MetricDataResults![0]!.Values!;
    assert.ok(values.length > 0 && values.every((v) => v > 0));
    assert.equal(await page.getByTestId('metric-BytesOutToDestination').locator('circle.dot').count(), values.length, 'one point per minute with data, as GetMetricData answers');
    const top = await page.getByTestId('metric-ConnectionEstablishedCount').locator('text.axis').first().evaluate((el) => el.textContent ?? '');
    assert.ok(Number(top) >= 4, `4 connections established (axis top ${top})`);
    await page.getByTestId('metric-BytesOutToDestination').scrollIntoViewIfNeeded();
    await shot(page, 'flow-log-traffic');
    await page.getByTestId('flow-records').scrollIntoViewIfNeeded();
    await shot(page, 'flow-log-traffic-records');

    // The same traffic in S3: the interface's flow log files (Parquet), read by their columns in the page.
    await page.getByTestId('flowlog-list').getByText(s3FlowLogId).click();
    await page.getByTestId('s3-files').waitFor();
    const files = await page.getByTestId('s3-files').locator('tbody tr').allInnerTexts();
    assert.ok(files.length >= 1 && files.every((f) => f.includes(`app/AWSLogs/${ACCOUNT}/vpcflowlogs/${REGION}/`) && f.includes(s3FlowLogId) && f.includes('.log.parquet')), files.join('\n'));
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="flow-records"] tbody tr').length > 1);
    const s3Rows = await rows();
    assert.equal(s3Rows.length, events.length, 'the same records as in CloudWatch Logs');
    assert.equal(s3Rows.filter((r) => /REJECT/.test(r)).length, 2);
    await shot(page, 'flow-log-traffic-s3');
    noErrors(page);
    await page.close();
  });

  it('flow logs on simulated time: records are read up to the simulation clock (which cannot go back: last of the flow log tests)', async () => {
    assert.ok(vpcFlowLogId);
    const post = async (path: string, body: unknown) => {
      const r = await fetch(`${srv.endpoint}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `AWS4-HMAC-SHA256 Credential=${ACCOUNT}/20260101/${REGION}/ec2/aws4_request, SignedHeaders=host, Signature=0` },
        body: JSON.stringify(body),
      });
      assert.equal(r.status, 200, await r.clone().text());
      return (await r.json()) as Record<string, any>;
    };
    const clock = await post('/_vpcsim/clock', { advance: '3h' });
    const simNow: number = clock.clock.now;
    assert.ok(simNow > Date.now() + 2.9 * 3600_000);
    const sent = await post('/_vpcsim/traffic', { account: ACCOUNT, region: REGION, flows: [{ source: demo.web, destination: demo.app, protocol: 'tcp', destinationPort: 8443, count: 2 }] });
    assert.equal(sent.dropped, 2, 'the app group lets in only 8080');
    await post('/_vpcsim/flush', {});
    const page = await open({ tab: 'flowlogs' });
    await page.getByTestId('flowlog-list').getByText(vpcFlowLogId).click();
    await page.getByTestId('simulated-time').waitFor();
    await page.getByTestId('flow-records').waitFor();
    const all = await page.getByTestId('flow-records').locator('tbody tr').allInnerTexts();
    // Only the records of the last (simulated) hour: the ones sent now, none of the earlier ones;
    // the windows the clock skipped over are NODATA records.
    const rows = all.filter((r) => !/\bNODATA\b/.test(r));
    assert.ok(all.some((r) => /\bNODATA$/.test(r.trim())), 'windows without traffic');
    assert.ok(rows.length >= 2 && rows.every((r) => /:8443\b/.test(r)), rows.join('\n'));
    assert.equal(rows.filter((r) => /REJECT/.test(r)).length, 2);
    noErrors(page);
    await page.close();
  });

  it('draws 200 subnets compactly and only renders what is in view', async () => {
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.100.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: tag('large') }] }))).Vpc!.VpcId!;
    const azs = ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f'];
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const s = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.100.${i}.0/24`, AvailabilityZone: azs[i % azs.length] }));
      ids.push(s.Subnet!.SubnetId!);
    }
    const rt = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).RouteTables![0]!.RouteTableId!;
    assert.ok(rt);
    const page = await open({ vpc: vpcId });
    const t0 = Date.now();
    await page.getByTestId(`subnet-${ids[0]}`).waitFor();
    const firstPaint = Date.now() - t0;
    assert.ok(firstPaint < 10_000, `drawn in ${firstPaint} ms`);
    assert.equal(await page.getByTestId('compact').isChecked(), true, 'many subnets start compact');
    for (const az of azs) await page.getByTestId(`az-${az}`).waitFor();
    const rendered = await page.locator('.subnet').count();
    assert.ok(rendered > 20 && rendered < 200, `only subnets near the view are in the page (${rendered})`);
    // Text stays legible: the map is not shrunk below 45%.
    const zoom = Number((await page.getByTestId('zoom').innerText()).replace('%', ''));
    assert.ok(zoom >= 45, `zoom ${zoom}%`);
    await shot(page, 'map-200-subnets');
    // Searching finds a subnet far down and scrolling brings it into the page.
    const last = ids[199]!;
    assert.equal(await page.getByTestId(`subnet-${last}`).count(), 0);
    await page.getByTestId('map').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.getByTestId(`subnet-${last}`).waitFor({ timeout: 5000 });
    // Scrolling stays smooth: a frame takes well under 100 ms while the map scrolls.
    const slowest = await page.getByTestId('map').evaluate(async (el) => {
      let worst = 0;
      let prev = performance.now();
      for (let i = 0; i < 30; i++) {
        el.scrollTop = (i % 2 ? 0 : el.scrollHeight / 2) + i * 37;
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        worst = Math.max(worst, now - prev);
        prev = now;
      }
      return worst;
    });
    assert.ok(slowest < 250, `slowest frame while scrolling: ${slowest.toFixed(0)} ms`);
    noErrors(page);
    await page.close();
  });
});

describe('console in Chromium against a server that verifies signatures', () => {
  const KEY = { accessKeyId: 'AKIACONSOLETEST00001', secretAccessKey: 'console/secret+key', accountId: '444455556666' };
  let srv: TestServer;
  let browser: BrowserContext;
  let profile: string;

  before(async () => {
    srv = await startTestServer({ auth: 'sigv4', credentials: [KEY], stateTransitionMs: 50 });
    profile = mkdtempSync(join(tmpdir(), 'vpcsim-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath(),
      headless: true,
      viewport: { width: 1600, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('signs its requests with Signature Version 4 once given a key, and reads that key\'s account', async () => {
    const ec2 = new EC2Client({ endpoint: srv.endpoint, region: REGION, credentials: KEY, maxAttempts: 1 });
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: tag('signed') }] }))).Vpc!.VpcId!;
    const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.9.1.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
    const ids = (await ec2.send(new RunInstancesCommand({ ImageId: AL2023, MinCount: 2, MaxCount: 2, SubnetId: subnetId }))).Instances!.map((i) => i.InstanceId!);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${srv.endpoint}/console/?region=${REGION}&vpc=${vpcId}`);
    // Unsigned, the server refuses: the console says so.
    await page.locator('.banner.error').waitFor();
    assert.match(await page.locator('.banner.error').innerText(), /AuthFailure/);
    await page.getByRole('button', { name: 'Credentials' }).click();
    await page.getByLabel('Access key ID').fill(KEY.accessKeyId);
    await page.getByLabel('Secret access key').fill(KEY.secretAccessKey);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByTestId(`subnet-${subnetId}`).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('.banner.error').count(), 0);
    // The path analysis (Reachability Analyzer through the EC2 API) is signed too, and acts in the key's account.
    await page.getByTestId('panel-path').click();
    await page.getByTestId('path-source').fill(ids[0]!);
    await page.getByTestId('path-destination').fill(ids[1]!);
    await page.getByTestId('path-port').fill('22');
    await page.getByTestId('path-run').click();
    await Promise.race([page.getByTestId('path-verdict').waitFor(), page.getByTestId('path-error').waitFor()]);
    if (await page.getByTestId('path-error').count()) assert.fail(await page.getByTestId('path-error').innerText());
    // The default group lets its members talk to each other.
    assert.match(await page.getByTestId('path-verdict').innerText(), /Reachable/);
    assert.match(await page.getByTestId('analysis-id').innerText(), /^nia-/);
    // Traffic and S3 reads are signed too: a flow log to S3 in the key's account, traffic sent from the page, its file read back.
    const s3 = new S3Client({ endpoint: srv.endpoint, region: REGION, credentials: KEY, forcePathStyle: true, maxAttempts: 1 });
    await s3.send(new CreateBucketCommand({ Bucket: 'signed-flow-logs' }));
    const fl = await ec2.send(new CreateFlowLogsCommand({ ResourceType: 'VPC', ResourceIds: [vpcId], TrafficType: 'ALL', LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::signed-flow-logs' }));
    const flowLogId = fl.FlowLogIds![0]!;
    await page.getByTestId('tab-flowlogs').click();
    await page.getByTestId('traffic-source').fill(ids[0]!);
    await page.getByTestId('traffic-destination').fill(ids[1]!);
    await page.getByTestId('traffic-port').fill('22');
    await page.getByTestId('traffic-count').fill('2');
    await page.getByTestId('traffic-send').click();
    await Promise.race([page.getByTestId('traffic-result').waitFor(), page.getByTestId('traffic-error').waitFor()]);
    if (await page.getByTestId('traffic-error').count()) assert.fail(await page.getByTestId('traffic-error').innerText());
    assert.match(await page.getByTestId('traffic-result').innerText(), /2 connections: 2 accepted, 0 dropped · delivered [1-9]\d* flow log records \(0 log events, 1 S3 files\)/);
    await page.getByTestId('flowlog-list').getByText(flowLogId).click();
    await page.getByTestId('s3-files').waitFor();
    assert.match(await page.getByTestId('s3-files').innerText(), new RegExp(`AWSLogs/${KEY.accountId}/vpcflowlogs/${REGION}/.*_${flowLogId}_`));
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="flow-records"] tbody tr td:nth-child(2)').length >= 2);
    const rows = await page.getByTestId('flow-records').locator('tbody tr').allInnerTexts();
    assert.ok(rows.length >= 4 && rows.every((r) => /ACCEPT/.test(r)), rows.join('\n'));
    assert.equal(await page.locator('.banner.error').count(), 0);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
