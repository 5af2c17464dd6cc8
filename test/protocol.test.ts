/**
 * The wire: EC2 query requests sent raw (GET and POST forms) and through the SDK, the EC2
 * error envelope, XML responses, who the caller is (account, region), and vpcsim's own
 * endpoints.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteVpcCommand,
  DescribeAvailabilityZonesCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { loadModel } from '../src/protocol/model.js';
import { renderEc2Response } from '../src/protocol/xml-output.js';
import { apiError, startTestServer, type TestServer } from './helpers.js';

const NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

interface RawReply {
  status: number;
  contentType: string;
  body: string;
}

/** An Authorization header whose credential scope names this key, region and service. */
function sigV4(accessKey: string, region: string, service = 'ec2'): string {
  return (
    `AWS4-HMAC-SHA256 Credential=${accessKey}/20240101/${region}/${service}/aws4_request, ` +
    'SignedHeaders=content-type;host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000'
  );
}

/** The text of every <tag> in the XML, in document order. */
function all(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1]!);
}

function one(xml: string, tag: string): string | undefined {
  return all(xml, tag)[0];
}

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#13;/g, '\r')
    .replace(/&amp;/g, '&');
}

describe('EC2 query protocol', () => {
  let srv: TestServer;

  async function post(params: Record<string, string>, headers: Record<string, string> = {}): Promise<RawReply> {
    const r = await fetch(`${srv.endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...headers },
      body: new URLSearchParams({ Version: '2016-11-15', ...params }).toString(),
    });
    return { status: r.status, contentType: r.headers.get('content-type') ?? '', body: await r.text() };
  }

  async function get(params: Record<string, string>, headers: Record<string, string> = {}): Promise<RawReply> {
    const qs = new URLSearchParams({ Version: '2016-11-15', ...params }).toString();
    const r = await fetch(`${srv.endpoint}/?${qs}`, { headers });
    return { status: r.status, contentType: r.headers.get('content-type') ?? '', body: await r.text() };
  }

  /** The EC2 error envelope, parsed strictly. */
  function envelope(reply: RawReply): { code: string; message: string; requestId: string } {
    const m =
      /^<\?xml version="1\.0" encoding="UTF-8"\?>\s*<Response><Errors><Error><Code>([^<]+)<\/Code><Message>([^<]*)<\/Message><\/Error><\/Errors><RequestID>([^<]+)<\/RequestID><\/Response>$/.exec(
        reply.body,
      );
    assert.ok(m, `not an EC2 error envelope: ${reply.body}`);
    return { code: m[1]!, message: unescapeXml(m[2]!), requestId: m[3]! };
  }

  async function vpcCount(): Promise<number> {
    const { Vpcs } = await srv.ec2().send(new DescribeVpcsCommand({}));
    return Vpcs!.length;
  }

  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv.close());
  beforeEach(() => srv.reset());

  describe('requests', () => {
    it('answers a GET query with the EC2 XML response', async () => {
      const r = await get({ Action: 'DescribeVpcs' });
      assert.equal(r.status, 200);
      assert.match(r.contentType, /^text\/xml/);
      assert.ok(r.body.startsWith('<?xml version="1.0" encoding="UTF-8"?>'));
      assert.match(r.body, new RegExp(`<DescribeVpcsResponse xmlns="${NS.replace(/[./]/g, '\\$&')}">`));
      assert.match(one(r.body, 'requestId')!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      // Lists are <xxxSet><item>…</item></xxxSet>.
      assert.match(r.body, /<vpcSet><item>.*<\/item><\/vpcSet>/);
      assert.equal(one(r.body, 'ownerId'), '000000000000');
      assert.equal(one(r.body, 'cidrBlock'), '172.31.0.0/16');
      assert.match(r.body, /<cidrBlockAssociationSet><item><associationId>vpc-cidr-assoc-[0-9a-f]{17}<\/associationId><cidrBlock>172\.31\.0\.0\/16<\/cidrBlock><cidrBlockState><state>associated<\/state><\/cidrBlockState><\/item><\/cidrBlockAssociationSet>/);
      assert.equal(one(r.body, 'isDefault'), 'true');
      assert.ok(r.body.endsWith('</DescribeVpcsResponse>'));
    });

    it('answers a POST form', async () => {
      const r = await post({ Action: 'CreateVpc', CidrBlock: '10.7.0.0/16' });
      assert.equal(r.status, 200);
      assert.match(r.body, /<CreateVpcResponse xmlns="http:\/\/ec2\.amazonaws\.com\/doc\/2016-11-15\/"><requestId>/);
      assert.match(one(r.body, 'vpcId')!, /^vpc-[0-9a-f]{17}$/);
      assert.equal(one(r.body, 'state'), 'pending');
      assert.equal(await vpcCount(), 2);
    });

    it('takes form parameters from a POST body without a content type', async () => {
      const r = await fetch(`${srv.endpoint}/`, {
        method: 'POST',
        body: new TextEncoder().encode('Action=DescribeVpcs&Version=2016-11-15'),
      });
      assert.equal(r.status, 200);
      assert.match(await r.text(), /<DescribeVpcsResponse /);
    });

    it('answers an operation without output with <return>true</return>', async () => {
      const created = await post({ Action: 'CreateVpc', CidrBlock: '10.8.0.0/16' });
      const r = await post({ Action: 'DeleteVpc', VpcId: one(created.body, 'vpcId')! });
      assert.equal(r.status, 200);
      assert.match(r.body, /<DeleteVpcResponse xmlns="[^"]+"><requestId>[^<]+<\/requestId><return>true<\/return><\/DeleteVpcResponse>$/);
    });

    it('reads lists as X.N', async () => {
      const a = one((await post({ Action: 'CreateVpc', CidrBlock: '10.1.0.0/16' })).body, 'vpcId')!;
      const b = one((await post({ Action: 'CreateVpc', CidrBlock: '10.2.0.0/16' })).body, 'vpcId')!;
      await post({ Action: 'CreateVpc', CidrBlock: '10.3.0.0/16' });
      const r = await post({ Action: 'DescribeVpcs', 'VpcId.1': a, 'VpcId.2': b });
      assert.equal(r.status, 200);
      assert.deepEqual(all(r.body, 'vpcId').sort(), [a, b].sort());
      // The same ID twice is described once.
      const twice = await post({ Action: 'DescribeVpcs', 'VpcId.1': a, 'VpcId.2': a });
      assert.deepEqual(all(twice.body, 'vpcId'), [a]);
    });

    it('reads Filter.N.Name / Filter.N.Value.M: values OR-ed, filters AND-ed', async () => {
      await post({ Action: 'CreateVpc', CidrBlock: '10.1.0.0/16' });
      await post({ Action: 'CreateVpc', CidrBlock: '10.2.0.0/16' });
      const either = await post({
        Action: 'DescribeVpcs',
        'Filter.1.Name': 'cidr',
        'Filter.1.Value.1': '10.1.0.0/16',
        'Filter.1.Value.2': '10.2.0.0/16',
      });
      assert.equal(all(either.body, 'vpcId').length, 2);
      assert.deepEqual([...new Set(all(either.body, 'cidrBlock'))].sort(), ['10.1.0.0/16', '10.2.0.0/16']);
      const both = await post({
        Action: 'DescribeVpcs',
        'Filter.1.Name': 'cidr',
        'Filter.1.Value.1': '10.1.0.0/16',
        'Filter.1.Value.2': '10.2.0.0/16',
        'Filter.2.Name': 'is-default',
        'Filter.2.Value.1': 'false',
        'Filter.3.Name': 'cidr',
        'Filter.3.Value.1': '10.2.*',
      });
      assert.deepEqual(all(both.body, 'vpcId').length, 1);
      assert.equal(one(both.body, 'cidrBlock'), '10.2.0.0/16');
    });

    it('reads nested TagSpecification.N.Tag.M.Key / Value', async () => {
      const r = await post({
        Action: 'CreateVpc',
        CidrBlock: '10.4.0.0/16',
        'TagSpecification.1.ResourceType': 'vpc',
        'TagSpecification.1.Tag.1.Key': 'Name',
        'TagSpecification.1.Tag.1.Value': 'web',
        'TagSpecification.1.Tag.2.Key': 'env',
        'TagSpecification.1.Tag.2.Value': '',
      });
      assert.equal(r.status, 200);
      assert.match(r.body, /<tagSet><item><key>Name<\/key><value>web<\/value><\/item><item><key>env<\/key><value><\/value><\/item><\/tagSet>/);
    });

    it('reads nested structures (Member.Value)', async () => {
      const vpcId = one((await post({ Action: 'CreateVpc', CidrBlock: '10.4.0.0/16' })).body, 'vpcId')!;
      const r = await post({ Action: 'ModifyVpcAttribute', VpcId: vpcId, 'EnableDnsHostnames.Value': 'true' });
      assert.equal(r.status, 200);
      const d = await post({ Action: 'DescribeVpcAttribute', VpcId: vpcId, Attribute: 'enableDnsHostnames' });
      assert.match(d.body, /<enableDnsHostnames><value>true<\/value><\/enableDnsHostnames>/);
      // A structure given a plain value is malformed.
      const bad = await post({ Action: 'ModifyVpcAttribute', VpcId: vpcId, EnableDnsHostnames: 'true' });
      assert.equal(envelope(bad).code, 'InvalidParameterValue');
    });
  });

  describe('request errors', () => {
    it('refuses a malformed integer with InvalidParameterValue (400)', async () => {
      const r = await post({ Action: 'DescribeVpcs', MaxResults: 'abc' });
      assert.equal(r.status, 400);
      const e = envelope(r);
      assert.equal(e.code, 'InvalidParameterValue');
      assert.match(e.message, /abc/);
      assert.match(e.message, /MaxResults/);
    });

    it('refuses a malformed boolean with InvalidParameterValue (400)', async () => {
      const r = await post({ Action: 'DescribeVpcs', DryRun: 'maybe' });
      assert.equal(r.status, 400);
      assert.equal(envelope(r).code, 'InvalidParameterValue');
      assert.match(envelope(r).message, /maybe/);
    });

    it('refuses an enum value outside the allowed set with InvalidParameterValue (400)', async () => {
      const before = await vpcCount();
      const r = await post({ Action: 'CreateVpc', CidrBlock: '10.5.0.0/16', InstanceTenancy: 'bogus' });
      assert.equal(r.status, 400);
      const e = envelope(r);
      assert.equal(e.code, 'InvalidParameterValue');
      assert.match(e.message, /bogus/);
      assert.match(e.message, /instanceTenancy/);
      assert.equal(await vpcCount(), before);
    });

    it('names a missing required member with MissingParameter', async () => {
      const r = await post({ Action: 'CreateSubnet', CidrBlock: '10.0.0.0/24' });
      assert.equal(r.status, 400);
      assert.deepEqual(
        { code: envelope(r).code, message: envelope(r).message },
        { code: 'MissingParameter', message: 'The request must contain the parameter VpcId' },
      );
    });

    it('refuses an unknown parameter with UnknownParameter', async () => {
      const r = await post({ Action: 'DescribeVpcs', Bogus: '1' });
      assert.equal(r.status, 400);
      assert.deepEqual(
        { code: envelope(r).code, message: envelope(r).message },
        { code: 'UnknownParameter', message: 'The parameter Bogus is not recognized' },
      );
      const nested = await post({ Action: 'DescribeVpcs', 'Filter.1.Name': 'cidr', 'Filter.1.Colour': 'red' });
      assert.equal(envelope(nested).code, 'UnknownParameter');
      assert.match(envelope(nested).message, /Filter\.1\.Colour/);
    });

    it('refuses an unknown action with InvalidAction', async () => {
      const r = await post({ Action: 'DescribeUnicorns' });
      assert.equal(r.status, 400);
      assert.deepEqual(
        { code: envelope(r).code, message: envelope(r).message },
        { code: 'InvalidAction', message: 'The action DescribeUnicorns is not valid for this web service.' },
      );
    });

    it('names an EC2 operation it does not implement', async () => {
      const r = await post({ Action: 'DescribeFleets' });
      assert.equal(r.status, 400);
      const e = envelope(r);
      assert.equal(e.code, 'UnsupportedOperation');
      assert.match(e.message, /DescribeFleets/);
      assert.match(e.message, /vpcsim/);
      // And through the SDK.
      const { DescribeFleetsCommand } = await import('@aws-sdk/client-ec2');
      const sdk = await apiError(() => srv.ec2().send(new DescribeFleetsCommand({})));
      assert.equal(sdk.code, 'UnsupportedOperation');
      assert.equal(sdk.status, 400);
      assert.match(sdk.message, /DescribeFleets/);
    });

    it('refuses a request without an Action', async () => {
      const r = await post({});
      assert.equal(r.status, 400);
      assert.equal(envelope(r).code, 'MissingAction');
    });

    it('refuses an API version the service does not have with NoSuchVersion', async () => {
      for (const v of ['2099-01-01', 'latest']) {
        const r = await post({ Action: 'DescribeVpcs', Version: v });
        assert.equal(r.status, 400);
        assert.deepEqual(
          { code: envelope(r).code, message: envelope(r).message },
          { code: 'NoSuchVersion', message: `The requested version (${v}) of service AmazonEC2 does not exist` },
        );
      }
      // An earlier API version is still answered.
      assert.equal((await post({ Action: 'DescribeVpcs', Version: '2015-10-01' })).status, 200);
    });

    it('carries a fresh request ID in every error envelope', async () => {
      const a = envelope(await post({ Action: 'DescribeUnicorns' }));
      const b = envelope(await post({ Action: 'DescribeUnicorns' }));
      assert.match(a.requestId, /^[0-9a-f-]{36}$/);
      assert.notEqual(a.requestId, b.requestId);
    });

    it('escapes XML-special characters inside error messages', async () => {
      const r = await post({ Action: 'CreateVpc', CidrBlock: '<b>&"x"' });
      const e = envelope(r);
      assert.equal(e.code, 'InvalidParameterValue');
      assert.equal(e.message, 'Value (<b>&"x") for parameter cidrBlock is invalid. This is not a valid CIDR block.');
      assert.match(r.body, /&lt;b&gt;&amp;&quot;x&quot;/);
    });

    it('refuses other HTTP methods', async () => {
      const r = await fetch(`${srv.endpoint}/?Action=DescribeVpcs`, { method: 'PUT', body: '' });
      assert.equal(r.status, 405);
    });
  });

  describe('DryRun', () => {
    it('answers DryRunOperation with HTTP 412 and changes nothing (raw)', async () => {
      const before = await vpcCount();
      const r = await post({ Action: 'CreateVpc', CidrBlock: '10.9.0.0/16', DryRun: 'true' });
      assert.equal(r.status, 412);
      assert.deepEqual(
        { code: envelope(r).code, message: envelope(r).message },
        { code: 'DryRunOperation', message: 'Request would have succeeded, but DryRun flag is set.' },
      );
      assert.equal(await vpcCount(), before);
    });

    it('answers DryRunOperation through the SDK and changes nothing', async () => {
      const ec2 = srv.ec2();
      const before = await vpcCount();
      const e = await apiError(() => ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16', DryRun: true })));
      assert.equal(e.code, 'DryRunOperation');
      assert.equal(e.status, 412);
      assert.equal(await vpcCount(), before);
      const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
      const del = await apiError(() => ec2.send(new DeleteVpcCommand({ VpcId: Vpc!.VpcId, DryRun: true })));
      assert.equal(del.code, 'DryRunOperation');
      assert.equal(await vpcCount(), before + 1);
    });

    it('reports a real error rather than DryRunOperation when the request would fail', async () => {
      const e = await apiError(() => srv.ec2().send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/8', DryRun: true })));
      assert.equal(e.code, 'InvalidVpc.Range');
    });

    it('DryRun=false runs the call', async () => {
      const r = await post({ Action: 'CreateVpc', CidrBlock: '10.9.0.0/16', DryRun: 'false' });
      assert.equal(r.status, 200);
    });
  });

  describe('XML output', () => {
    it('round-trips XML-special and Unicode characters in tag values', async () => {
      const ec2 = srv.ec2();
      const value = `<a href="x">&amp; 'q' </a> Zürich — 東京 🚀 \t tab`;
      const key = 'clé & <ключ>';
      const { Vpc } = await ec2.send(
        new CreateVpcCommand({ CidrBlock: '10.6.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: key, Value: value }] }] }),
      );
      assert.deepEqual(Vpc!.Tags, [{ Key: key, Value: value }]);
      const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: `tag:${key}`, Values: [value] }] }));
      assert.deepEqual(Vpcs!.map((v) => v.VpcId), [Vpc!.VpcId]);
      const { Tags } = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [Vpc!.VpcId!] }] }));
      assert.deepEqual(Tags, [{ Key: key, Value: value, ResourceId: Vpc!.VpcId, ResourceType: 'vpc' }]);
      // On the wire the specials are escaped, the rest is UTF-8.
      const raw = await post({ Action: 'DescribeTags', 'Filter.1.Name': 'resource-id', 'Filter.1.Value.1': Vpc!.VpcId! });
      assert.ok(raw.body.includes('<value>&lt;a href=&quot;x&quot;&gt;&amp;amp; &apos;q&apos; &lt;/a&gt; Zürich — 東京 🚀 \t tab</value>'));
      assert.equal(unescapeXml(one(raw.body, 'value')!), value);
      await ec2.send(new CreateTagsCommand({ Resources: [Vpc!.VpcId!], Tags: [{ Key: 'cr', Value: 'line\r\nbreak' }] }));
      const again = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: ['cr'] }] }));
      assert.equal(again.Tags![0]!.Value, 'line\r\nbreak');
    });

    it('renders timestamps as ISO 8601 with milliseconds, in UTC', () => {
      const model = loadModel('ec2-2016-11-15');
      const op = model.operations.DescribeNatGateways!;
      const at = '2024-02-29T23:59:58.123Z';
      for (const value of [new Date(at), at]) {
        const xml = renderEc2Response(model, 'DescribeNatGateways', op.output, { NatGateways: [{ NatGatewayId: 'nat-1', CreateTime: value }] }, 'r-1');
        assert.ok(xml.includes(`<natGatewaySet><item><createTime>${at}</createTime><natGatewayId>nat-1</natGatewayId></item></natGatewaySet>`), xml);
      }
    });

    it('renders empty lists as empty elements and booleans as true/false', async () => {
      const { Subnets } = await srv.ec2().send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }));
      assert.equal(Subnets!.length, 6);
      const r = await post({ Action: 'DescribeSubnets', 'Filter.1.Name': 'vpc-id', 'Filter.1.Value.1': 'vpc-00000000' });
      assert.match(r.body, /<subnetSet\/>|<subnetSet><\/subnetSet>/);
      const d = await post({ Action: 'DescribeSubnets' });
      assert.deepEqual([...new Set(all(d.body, 'defaultForAz'))], ['true']);
      assert.deepEqual([...new Set(all(d.body, 'mapPublicIpOnLaunch'))], ['true']);
    });
  });

  describe('caller identity', () => {
    it('uses a 12-digit access key as the account, with its own isolated state', async () => {
      const a = srv.ec2({ accessKeyId: '111111111111' });
      const b = srv.ec2({ accessKeyId: '222222222222' });
      const { Vpc } = await a.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }));
      assert.equal(Vpc!.OwnerId, '111111111111');
      const seenByA = (await a.send(new DescribeVpcsCommand({}))).Vpcs!;
      const seenByB = (await b.send(new DescribeVpcsCommand({}))).Vpcs!;
      assert.equal(seenByA.length, 2);
      assert.deepEqual(seenByB.map((v) => [v.IsDefault, v.OwnerId]), [[true, '222222222222']]);
      const e = await apiError(() => b.send(new DescribeVpcsCommand({ VpcIds: [Vpc!.VpcId!] })));
      assert.equal(e.code, 'InvalidVpcID.NotFound');
      // Each account has its own default VPC.
      const defA = seenByA.find((v) => v.IsDefault)!;
      assert.notEqual(defA.VpcId, seenByB[0]!.VpcId);
      assert.equal(defA.OwnerId, '111111111111');
    });

    it('falls back to the default account 000000000000 for any other key', async () => {
      for (const key of ['test', 'AKIAIOSFODNN7EXAMPLE', '12345']) {
        const { Vpcs } = await srv.ec2({ accessKeyId: key }).send(new DescribeVpcsCommand({}));
        assert.deepEqual([...new Set(Vpcs!.map((v) => v.OwnerId))], ['000000000000']);
      }
      // Keys that are not 12-digit account IDs all share that account's state.
      await srv.ec2({ accessKeyId: 'test' }).send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }));
      assert.equal((await srv.ec2({ accessKeyId: 'other' }).send(new DescribeVpcsCommand({}))).Vpcs!.length, 2);
    });

    it('reads the account and region from a raw request\'s SigV4 credential scope', async () => {
      const r = await post({ Action: 'DescribeAvailabilityZones' }, { authorization: sigV4('333333333333', 'eu-west-2') });
      assert.equal(r.status, 200);
      assert.deepEqual(all(r.body, 'zoneName'), ['eu-west-2a', 'eu-west-2b', 'eu-west-2c']);
      const vpcs = await post({ Action: 'DescribeVpcs' }, { authorization: sigV4('333333333333', 'eu-west-2') });
      assert.equal(one(vpcs.body, 'ownerId'), '333333333333');
      // A presigned query carries the scope in X-Amz-Credential.
      const presigned = await get({
        Action: 'DescribeAvailabilityZones',
        'X-Amz-Credential': '444444444444/20240101/ap-northeast-1/ec2/aws4_request',
        'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      });
      assert.equal(presigned.status, 200);
      assert.deepEqual(all(presigned.body, 'zoneName'), ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d']);
    });

    it('serves an unsigned request in the default account and region', async () => {
      const r = await get({ Action: 'DescribeAvailabilityZones' });
      assert.deepEqual(all(r.body, 'zoneName'), ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f']);
      const v = await get({ Action: 'DescribeVpcs' });
      assert.equal(one(v.body, 'ownerId'), '000000000000');
    });

    it('keeps each region apart, each with its own default VPC in that region\'s zones', async () => {
      const east = srv.ec2({ region: 'us-east-1' });
      const west = srv.ec2({ region: 'us-west-2' });
      const { Vpc } = await east.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }));
      const westVpcs = (await west.send(new DescribeVpcsCommand({}))).Vpcs!;
      assert.equal(westVpcs.length, 1);
      assert.equal(westVpcs[0]!.IsDefault, true);
      assert.notEqual(westVpcs[0]!.VpcId, Vpc!.VpcId);
      assert.equal((await apiError(() => west.send(new DescribeVpcsCommand({ VpcIds: [Vpc!.VpcId!] })))).code, 'InvalidVpcID.NotFound');
      const subnets = (await west.send(new DescribeSubnetsCommand({}))).Subnets!;
      assert.deepEqual(subnets.map((s) => s.AvailabilityZone).sort(), ['us-west-2a', 'us-west-2b', 'us-west-2c', 'us-west-2d']);
      assert.ok(subnets.every((s) => s.SubnetArn!.startsWith('arn:aws:ec2:us-west-2:000000000000:subnet/')));
      const zones = (await west.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones!;
      assert.deepEqual(zones.map((z) => z.ZoneId), ['usw2-az1', 'usw2-az2', 'usw2-az3', 'usw2-az4']);
    });

    it('answers STS GetCallerIdentity for the calling account', async () => {
      const who = await srv.sts({ accessKeyId: '123456789012' }).send(new GetCallerIdentityCommand({}));
      assert.equal(who.Account, '123456789012');
      assert.equal(who.Arn, 'arn:aws:iam::123456789012:root');
      assert.equal(who.UserId, '123456789012');
      const anon = await srv.sts().send(new GetCallerIdentityCommand({}));
      assert.equal(anon.Account, '000000000000');
      assert.equal(anon.Arn, 'arn:aws:iam::000000000000:root');
    });

    it('answers STS in the AWS query XML format', async () => {
      const r = await post(
        { Action: 'GetCallerIdentity', Version: '2011-06-15' },
        { authorization: sigV4('123456789012', 'us-east-1', 'sts') },
      );
      assert.equal(r.status, 200);
      assert.match(
        r.body,
        /<GetCallerIdentityResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><GetCallerIdentityResult>.*<Account>123456789012<\/Account>.*<\/GetCallerIdentityResult><ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/GetCallerIdentityResponse>$/,
      );
    });
  });

  describe('vpcsim endpoints', () => {
    it('POST /moto-api/reset clears every account and region; the default VPC comes back', async () => {
      const ec2 = srv.ec2();
      const other = srv.ec2({ accessKeyId: '555555555555', region: 'eu-central-1' });
      await ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }));
      await other.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }));
      const oldDefault = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0]!;
      const r = await fetch(`${srv.endpoint}/moto-api/reset`, { method: 'POST' });
      assert.equal(r.status, 200);
      const after1 = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs!;
      assert.equal(after1.length, 1);
      assert.equal(after1[0]!.IsDefault, true);
      assert.notEqual(after1[0]!.VpcId, oldDefault.VpcId);
      assert.equal((await other.send(new DescribeVpcsCommand({}))).Vpcs!.length, 1);
      const e = await apiError(() => ec2.send(new DescribeVpcsCommand({ VpcIds: [oldDefault.VpcId!] })));
      assert.equal(e.code, 'InvalidVpcID.NotFound');
    });

    it('answers GET /moto-api/reset with 405', async () => {
      const r = await fetch(`${srv.endpoint}/moto-api/reset`);
      assert.equal(r.status, 405);
    });

    it('GET /_vpcsim/health reports the server', async () => {
      const r = await fetch(`${srv.endpoint}/_vpcsim/health`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /json/);
      const body = (await r.json()) as { status: string; version: string; services: string[] };
      assert.equal(body.status, 'running');
      assert.equal(typeof body.version, 'string');
      assert.ok(body.services.includes('ec2'));
      assert.ok(body.services.includes('sts'));
    });
  });
});
