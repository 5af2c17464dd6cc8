/**
 * `--auth sigv4`: every request verified against configured credentials (AWS Signature
 * Version 4, header and presigned forms), each key acting in its own account, errors in the
 * dialect of the service addressed, and accounts kept apart except through documented sharing.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AcceptVpcPeeringConnectionCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateCustomerGatewayCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  CreateVpcPeeringConnectionCommand,
  CreateVpnConnectionCommand,
  CreateVpnGatewayCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeTagsCommand,
  DescribeVpcPeeringConnectionsCommand,
  DescribeVpcsCommand,
  DescribeVpnConnectionsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeConnectionsCommand, DirectConnectClient } from '@aws-sdk/client-direct-connect';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { applyEnv, checkAuthConfig, type Credential, DEFAULT_QUOTAS, defaultConfig, loadCredentials, parseAuthMode, parseCredentials } from '../src/config.js';
import { main } from '../src/cli.js';
import { startServer } from '../src/index.js';
import { apiError, startTestServer, tempDir, type TestServer } from './helpers.js';

const ALICE: Credential = { accessKeyId: 'AKIAALICE00000000001', secretAccessKey: 'alice/secret+with=odd chars', accountId: '111111111111' };
const BOB: Credential = { accessKeyId: 'AKIABOB0000000000002', secretAccessKey: 'bob-secret', accountId: '222222222222' };
const TEMP: Credential = {
  accessKeyId: 'ASIATEMP000000000003',
  secretAccessKey: 'temp-secret',
  accountId: '333333333333',
  sessionToken: 'FwoGZXIvYXdzEBYaDtemporary==',
};
const ADMIN: Credential = { accessKeyId: 'AKIAADMIN00000000004', secretAccessKey: 'admin-secret', accountId: '444444444444', admin: true };
const CREDENTIALS = [ALICE, BOB, TEMP, ADMIN];

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const AUTH_FAILURE = 'AWS was not able to validate the provided access credentials';
const MINUTE = 60_000;

interface ClientOpts {
  secret?: string;
  accessKeyId?: string;
  sessionToken?: string;
  /** Milliseconds the client's clock is ahead (+) or behind (-). */
  offsetMs?: number;
  region?: string;
}

function clientConfig(srv: TestServer, cred: Credential, o: ClientOpts = {}) {
  return {
    endpoint: srv.endpoint,
    region: o.region ?? 'us-east-1',
    credentials: {
      accessKeyId: o.accessKeyId ?? cred.accessKeyId,
      secretAccessKey: o.secret ?? cred.secretAccessKey,
      sessionToken: 'sessionToken' in o ? o.sessionToken : cred.sessionToken,
    },
    maxAttempts: 1,
    systemClockOffset: o.offsetMs ?? 0,
  };
}
const ec2 = (srv: TestServer, cred: Credential, o?: ClientOpts) => new EC2Client(clientConfig(srv, cred, o));
const sts = (srv: TestServer, cred: Credential, o?: ClientOpts) => new STSClient(clientConfig(srv, cred, o));
const dx = (srv: TestServer, cred: Credential, o?: ClientOpts) => new DirectConnectClient(clientConfig(srv, cred, o));

interface RawResponse {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** Sends exactly these headers and body (no header added but Content-Length). */
function raw(endpoint: string, method: string, path: string, headers: Record<string, string | string[]>, body = ''): Promise<RawResponse> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path, headers: { ...headers, 'content-length': Buffer.byteLength(body) }, setHost: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const queryString = (q: Record<string, string>) =>
  Object.entries(q)
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
    .join('&');

interface SignOpts {
  method?: string;
  path?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
  service?: string;
  region?: string;
  signingDate?: Date;
  secret?: string;
  /** Sign with an x-amz-content-sha256 header too. */
  contentSha?: boolean;
}

function signer(cred: Credential, o: SignOpts) {
  return new SignatureV4({
    service: o.service ?? 'ec2',
    region: o.region ?? 'us-east-1',
    credentials: { accessKeyId: cred.accessKeyId, secretAccessKey: o.secret ?? cred.secretAccessKey, sessionToken: cred.sessionToken },
    sha256: Sha256,
    applyChecksum: o.contentSha ?? false,
  });
}

function baseRequest(srv: TestServer, o: SignOpts) {
  const url = new URL(srv.endpoint);
  return {
    method: o.method ?? 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: o.path ?? '/',
    query: o.query ?? {},
    headers: { host: url.host, ...(o.headers ?? {}) },
    body: o.body,
  };
}

/** A request signed by @smithy/signature-v4 (the SDK's own signer), in the Authorization header. */
async function signHeaders(srv: TestServer, cred: Credential, o: SignOpts): Promise<{ path: string; headers: Record<string, string> }> {
  const req = baseRequest(srv, o);
  const signed = await signer(cred, o).sign(req, { signingDate: o.signingDate });
  const qs = queryString(req.query);
  return { path: `${req.path}${qs ? `?${qs}` : ''}`, headers: signed.headers as Record<string, string> };
}

/** A presigned URL (query-string authentication) made by @smithy/signature-v4. */
async function presignUrl(srv: TestServer, cred: Credential, o: SignOpts & { expiresIn?: number }): Promise<string> {
  const req = baseRequest(srv, { ...o, method: o.method ?? 'GET' });
  const signed = await signer(cred, o).presign(req, { expiresIn: o.expiresIn ?? 60, signingDate: o.signingDate });
  return `${srv.endpoint}${signed.path}?${queryString(signed.query as Record<string, string>)}`;
}

const FORM = 'application/x-www-form-urlencoded; charset=utf-8';
const xmlCode = (body: string) => /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
const xmlMessage = (body: string) =>
  /<Message>([^<]*)<\/Message>/
    .exec(body)?.[1]
    ?.replace(/&apos;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

describe('sigv4 mode', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ auth: 'sigv4', credentials: CREDENTIALS, quotas: { ...DEFAULT_QUOTAS, vpcsPerRegion: 20 } });
  });
  after(() => srv.close());

  it('maps each access key to its account', async () => {
    for (const cred of [ALICE, BOB, TEMP, ADMIN]) {
      const who = await sts(srv, cred).send(new GetCallerIdentityCommand({}));
      assert.equal(who.Account, cred.accountId);
      assert.equal(who.UserId, cred.accessKeyId);
      assert.equal(who.Arn, `arn:aws:iam::${cred.accountId}:root`);
    }
    const { Vpcs } = await ec2(srv, BOB).send(new DescribeVpcsCommand({}));
    assert.ok(Vpcs!.length >= 1);
    for (const v of Vpcs!) assert.equal(v.OwnerId, BOB.accountId);
  });

  it('keeps accounts apart: describe shows only own resources, foreign IDs are NotFound', async () => {
    const alice = ec2(srv, ALICE);
    const bob = ec2(srv, BOB);
    const vpc = (await alice.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'team', Value: 'alice' }] }] }))).Vpc!;
    const subnet = (await alice.send(new CreateSubnetCommand({ VpcId: vpc.VpcId!, CidrBlock: '10.20.1.0/24' }))).Subnet!;
    const sg = await alice.send(new CreateSecurityGroupCommand({ VpcId: vpc.VpcId!, GroupName: 'web', Description: 'web' }));
    assert.equal(vpc.OwnerId, ALICE.accountId);

    const bobVpcs = (await bob.send(new DescribeVpcsCommand({}))).Vpcs!;
    assert.ok(!bobVpcs.some((v) => v.VpcId === vpc.VpcId));
    assert.ok(bobVpcs.every((v) => v.OwnerId === BOB.accountId));
    const bobTags = (await bob.send(new DescribeTagsCommand({}))).Tags!;
    assert.ok(!bobTags.some((t) => t.ResourceId === vpc.VpcId));

    assert.equal((await apiError(() => bob.send(new DescribeVpcsCommand({ VpcIds: [vpc.VpcId!] })))).code, 'InvalidVpcID.NotFound');
    assert.equal((await apiError(() => bob.send(new DeleteVpcCommand({ VpcId: vpc.VpcId! })))).code, 'InvalidVpcID.NotFound');
    assert.equal((await apiError(() => bob.send(new DeleteSubnetCommand({ SubnetId: subnet.SubnetId! })))).code, 'InvalidSubnetID.NotFound');
    assert.equal((await apiError(() => bob.send(new DescribeSecurityGroupsCommand({ GroupIds: [sg.GroupId!] })))).code, 'InvalidGroup.NotFound');
    const authorize = await apiError(() =>
      bob.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sg.GroupId!, IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIp: '0.0.0.0/0' })),
    );
    assert.equal(authorize.code, 'InvalidGroup.NotFound');
    assert.match((await apiError(() => bob.send(new CreateTagsCommand({ Resources: [vpc.VpcId!], Tags: [{ Key: 'team', Value: 'bob' }] })))).code, /NotFound/);
    // A subnet in another account's VPC cannot be made either.
    assert.equal((await apiError(() => bob.send(new CreateSubnetCommand({ VpcId: vpc.VpcId!, CidrBlock: '10.20.2.0/24' })))).code, 'InvalidVpcID.NotFound');

    // Alice's resources are as she left them.
    const mine = (await alice.send(new DescribeVpcsCommand({ VpcIds: [vpc.VpcId!] }))).Vpcs!;
    assert.deepEqual(mine[0]!.Tags, [{ Key: 'team', Value: 'alice' }]);
    const groups = (await alice.send(new DescribeSecurityGroupsCommand({ GroupIds: [sg.GroupId!] }))).SecurityGroups!;
    assert.deepEqual(groups[0]!.IpPermissions, []);
  });

  it('shares only as AWS documents: cross-account peering acceptance and group references over it', async () => {
    const alice = ec2(srv, ALICE);
    const bob = ec2(srv, BOB);
    const carol = ec2(srv, TEMP);
    const aVpc = (await alice.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }))).Vpc!.VpcId!;
    const bVpc = (await bob.send(new CreateVpcCommand({ CidrBlock: '10.40.0.0/16' }))).Vpc!.VpcId!;
    const aSg = (await alice.send(new CreateSecurityGroupCommand({ VpcId: aVpc, GroupName: 'app', Description: 'app' }))).GroupId!;
    const bSg = (await bob.send(new CreateSecurityGroupCommand({ VpcId: bVpc, GroupName: 'db', Description: 'db' }))).GroupId!;
    const refBob = { GroupId: aSg, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: bSg, UserId: BOB.accountId }] }] };

    // Without a peering connection, Bob's group is out of reach.
    assert.equal((await apiError(() => alice.send(new AuthorizeSecurityGroupIngressCommand(refBob)))).code, 'InvalidGroup.NotFound');

    const pcx = (await alice.send(new CreateVpcPeeringConnectionCommand({ VpcId: aVpc, PeerVpcId: bVpc, PeerOwnerId: BOB.accountId }))).VpcPeeringConnection!;
    const id = pcx.VpcPeeringConnectionId!;
    const seenByBob = (await bob.send(new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [id] }))).VpcPeeringConnections!;
    assert.equal(seenByBob[0]!.Status!.Code, 'pending-acceptance');
    assert.equal(seenByBob[0]!.RequesterVpcInfo!.OwnerId, ALICE.accountId);
    assert.equal(seenByBob[0]!.AccepterVpcInfo!.OwnerId, BOB.accountId);
    // Only the accepter's account may accept; a third account does not see it at all.
    assert.equal((await apiError(() => alice.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id })))).code, 'OperationNotPermitted');
    assert.equal(
      (await apiError(() => carol.send(new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [id] })))).code,
      'InvalidVpcPeeringConnectionID.NotFound',
    );
    assert.equal(
      (await apiError(() => carol.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id })))).code,
      'InvalidVpcPeeringConnectionID.NotFound',
    );

    await bob.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id }));
    const seenByAlice = (await alice.send(new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [id] }))).VpcPeeringConnections!;
    assert.equal(seenByAlice[0]!.Status!.Code, 'active');

    // Now Alice's group may refer to Bob's group across the peering connection.
    await alice.send(new AuthorizeSecurityGroupIngressCommand(refBob));
    const rules = (await alice.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [aSg] }] }))).SecurityGroupRules!;
    const ref = rules.find((r) => r.ReferencedGroupInfo?.GroupId === bSg);
    assert.ok(ref, 'the cross-account rule is there');
    assert.equal(ref.ReferencedGroupInfo!.UserId, BOB.accountId);
    assert.equal(ref.ReferencedGroupInfo!.VpcPeeringConnectionId, id);
    // Bob still cannot read Alice's group.
    assert.equal((await apiError(() => bob.send(new DescribeSecurityGroupsCommand({ GroupIds: [aSg] })))).code, 'InvalidGroup.NotFound');
  });

  it('a wrong secret: AuthFailure (401) from EC2, SignatureDoesNotMatch (403) from STS, InvalidSignatureException from JSON services', async () => {
    const before = (await ec2(srv, ALICE).send(new DescribeVpcsCommand({}))).Vpcs!.length;
    const e = await apiError(() => ec2(srv, ALICE, { secret: 'not-the-secret' }).send(new CreateVpcCommand({ CidrBlock: '10.99.0.0/16' })));
    assert.deepEqual(e, { code: 'AuthFailure', message: AUTH_FAILURE, status: 401 });
    assert.equal((await ec2(srv, ALICE).send(new DescribeVpcsCommand({}))).Vpcs!.length, before, 'nothing was created');

    const s = await apiError(() => sts(srv, ALICE, { secret: 'not-the-secret' }).send(new GetCallerIdentityCommand({})));
    assert.equal(s.code, 'SignatureDoesNotMatch');
    assert.equal(s.status, 403);
    assert.ok(s.message.startsWith(MISMATCH), s.message);
    assert.match(s.message, /The Canonical String for this request should have been\n'POST\n\/\n/);

    const d = await apiError(() => dx(srv, ALICE, { secret: 'not-the-secret' }).send(new DescribeConnectionsCommand({})));
    assert.equal(d.code, 'InvalidSignatureException');
    assert.equal(d.status, 400);
    assert.ok(d.message.startsWith(MISMATCH));
    // The right secret works on the JSON service too.
    assert.deepEqual((await dx(srv, ALICE).send(new DescribeConnectionsCommand({}))).connections, []);
  });

  it('an unknown access key: AuthFailure from EC2, InvalidClientTokenId from STS, UnrecognizedClientException from JSON services', async () => {
    const o = { accessKeyId: 'AKIANOBODY0000000000' };
    assert.deepEqual(await apiError(() => ec2(srv, ALICE, o).send(new DescribeVpcsCommand({}))), { code: 'AuthFailure', message: AUTH_FAILURE, status: 401 });
    assert.deepEqual(await apiError(() => sts(srv, ALICE, o).send(new GetCallerIdentityCommand({}))), {
      code: 'InvalidClientTokenId',
      message: 'The security token included in the request is invalid.',
      status: 403,
    });
    assert.deepEqual(await apiError(() => dx(srv, ALICE, o).send(new DescribeConnectionsCommand({}))), {
      code: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
      status: 400,
    });
    // A 12-digit key is no longer an account by itself.
    assert.equal((await apiError(() => ec2(srv, ALICE, { accessKeyId: '111111111111' }).send(new DescribeVpcsCommand({})))).code, 'AuthFailure');
  });

  it('a body changed under a valid signature is refused, with or without x-amz-content-sha256', async () => {
    for (const contentSha of [false, true]) {
      const body = 'Action=CreateVpc&Version=2016-11-15&CidrBlock=10.50.0.0%2F16';
      const tampered = 'Action=CreateVpc&Version=2016-11-15&CidrBlock=10.51.0.0%2F16';
      const signed = await signHeaders(srv, ALICE, { body, headers: { 'content-type': FORM }, contentSha });
      assert.equal('x-amz-content-sha256' in signed.headers, contentSha);
      const r = await raw(srv.endpoint, 'POST', signed.path, signed.headers, tampered);
      assert.equal(r.status, 401);
      assert.equal(xmlCode(r.body), 'AuthFailure');
      assert.equal(xmlMessage(r.body), AUTH_FAILURE);
      const ok = await raw(srv.endpoint, 'POST', signed.path, signed.headers, body);
      assert.equal(ok.status, 200, ok.body);
      assert.match(ok.body, /<cidrBlock>10\.50\.0\.0\/16<\/cidrBlock>/);
      // The same request with a signed header altered.
      const altered = await raw(srv.endpoint, 'POST', signed.path, { ...signed.headers, 'content-type': 'application/x-www-form-urlencoded' }, body);
      assert.equal(xmlCode(altered.body), 'AuthFailure');
      const vpcs = (await ec2(srv, ALICE).send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: ['10.50.0.0/16', '10.51.0.0/16'] }] }))).Vpcs!;
      assert.deepEqual(vpcs.map((v) => v.CidrBlock), ['10.50.0.0/16']);
      await ec2(srv, ALICE).send(new DeleteVpcCommand({ VpcId: vpcs[0]!.VpcId! }));
    }
  });

  it('a stale or future X-Amz-Date: RequestExpired from EC2, "Signature expired" from STS and JSON services', async () => {
    for (const offsetMs of [-6 * MINUTE, 6 * MINUTE, -60 * MINUTE]) {
      const e = await apiError(() => ec2(srv, ALICE, { offsetMs }).send(new DescribeVpcsCommand({})));
      assert.deepEqual(e, { code: 'RequestExpired', message: 'Request has expired.', status: 400 }, `offset ${offsetMs}`);
    }
    const late = await apiError(() => sts(srv, ALICE, { offsetMs: -6 * MINUTE }).send(new GetCallerIdentityCommand({})));
    assert.equal(late.code, 'SignatureDoesNotMatch');
    assert.equal(late.status, 403);
    assert.match(late.message, /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/);
    const early = await apiError(() => sts(srv, ALICE, { offsetMs: 6 * MINUTE }).send(new GetCallerIdentityCommand({})));
    assert.match(early.message, /^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 5 min\.\)$/);
    const json = await apiError(() => dx(srv, ALICE, { offsetMs: -6 * MINUTE }).send(new DescribeConnectionsCommand({})));
    assert.equal(json.code, 'InvalidSignatureException');
    assert.match(json.message, /^Signature expired: /);
    // Within the allowed skew, requests pass.
    for (const offsetMs of [-4 * MINUTE, 4 * MINUTE]) {
      const who = await sts(srv, ALICE, { offsetMs }).send(new GetCallerIdentityCommand({}));
      assert.equal(who.Account, ALICE.accountId);
    }
  });

  it('presigned GET URLs: verified, scoped to the signer, refused when expired or altered', async () => {
    const vpc = (await ec2(srv, ALICE).send(new CreateVpcCommand({ CidrBlock: '10.60.0.0/16' }))).Vpc!.VpcId!;
    const query = { Action: 'DescribeVpcs', Version: '2016-11-15' };
    const url = await presignUrl(srv, ALICE, { query });
    assert.match(url, /X-Amz-Algorithm=AWS4-HMAC-SHA256&.*X-Amz-Signature=[0-9a-f]{64}/);
    const r = await fetch(url);
    const text = await r.text();
    assert.equal(r.status, 200, text);
    assert.ok(text.includes(`<vpcId>${vpc}</vpcId>`));
    assert.ok(!text.includes(`<ownerId>${BOB.accountId}</ownerId>`));
    assert.ok(text.includes(`<ownerId>${ALICE.accountId}</ownerId>`));

    // Older than the 5-minute skew, but within its X-Amz-Expires: still good.
    const longLived = await presignUrl(srv, ALICE, { query, signingDate: new Date(Date.now() - 30 * MINUTE), expiresIn: 3600 });
    assert.equal((await fetch(longLived)).status, 200);

    const expired = await fetch(await presignUrl(srv, ALICE, { query, signingDate: new Date(Date.now() - 2 * MINUTE), expiresIn: 60 }));
    const expiredBody = await expired.text();
    assert.equal(expired.status, 400);
    assert.equal(xmlCode(expiredBody), 'RequestExpired');
    assert.equal(xmlMessage(expiredBody), 'Request has expired.');

    const altered = await fetch(url.replace('Action=DescribeVpcs', 'Action=DescribeSubnets'));
    assert.equal(altered.status, 401);
    assert.equal(xmlCode(await altered.text()), 'AuthFailure');
    const extra = await fetch(`${url}&VpcId.1=${vpc}`);
    assert.equal(extra.status, 401);

    const wrongSecret = await fetch(await presignUrl(srv, ALICE, { query, secret: 'guess' }));
    assert.equal(wrongSecret.status, 401);
    const stranger = await fetch(await presignUrl(srv, { ...ALICE, accessKeyId: 'AKIASTRANGER00000000' }, { query }));
    assert.equal(stranger.status, 401);

    const tooLong = await fetch(url.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=604801'));
    assert.equal(tooLong.status, 400);
    assert.equal(xmlCode(await tooLong.text()), 'IncompleteSignature');

    // A presigned STS call, in the query protocol's dialect.
    const who = await fetch(await presignUrl(srv, BOB, { service: 'sts', query: { Action: 'GetCallerIdentity', Version: '2011-06-15' } }));
    const whoBody = await who.text();
    assert.equal(who.status, 200, whoBody);
    assert.match(whoBody, new RegExp(`<Account>${BOB.accountId}</Account>`));
    const stsExpired = await fetch(
      await presignUrl(srv, BOB, { service: 'sts', query: { Action: 'GetCallerIdentity', Version: '2011-06-15' }, signingDate: new Date(Date.now() - 2 * MINUTE), expiresIn: 30 }),
    );
    const stsExpiredBody = await stsExpired.text();
    assert.equal(stsExpired.status, 400);
    assert.match(stsExpiredBody, /<ErrorResponse><Error><Type>Sender<\/Type><Code>RequestExpired<\/Code>/);
    const stsWrong = await fetch(await presignUrl(srv, BOB, { service: 'sts', query: { Action: 'GetCallerIdentity', Version: '2011-06-15' }, secret: 'x' }));
    assert.equal(stsWrong.status, 403);
    assert.equal(xmlCode(await stsWrong.text()), 'SignatureDoesNotMatch');
  });

  it('unsigned requests: MissingAuthenticationToken in each dialect; /_vpcsim/health stays open', async () => {
    const e = await raw(srv.endpoint, 'POST', '/', { host: new URL(srv.endpoint).host, 'content-type': FORM }, 'Action=DescribeVpcs&Version=2016-11-15');
    assert.equal(e.status, 403);
    assert.match(e.body, /^<\?xml[^>]*>\s*<Response><Errors><Error><Code>MissingAuthenticationToken<\/Code>/);
    assert.equal(xmlMessage(e.body), 'The request must contain either a valid (registered) AWS access key ID or X.509 certificate.');

    const s = await raw(srv.endpoint, 'POST', '/', { host: new URL(srv.endpoint).host, 'content-type': FORM }, 'Action=GetCallerIdentity&Version=2011-06-15');
    assert.equal(s.status, 403);
    assert.match(s.body, /<ErrorResponse><Error><Type>Sender<\/Type><Code>MissingAuthenticationToken<\/Code><Message>Request is missing Authentication Token<\/Message>/);

    const j = await raw(
      srv.endpoint,
      'POST',
      '/',
      { host: new URL(srv.endpoint).host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'OvertureService.DescribeConnections' },
      '{}',
    );
    assert.equal(j.status, 403);
    assert.deepEqual(JSON.parse(j.body), { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
    assert.equal(j.headers['x-amzn-errortype'], 'MissingAuthenticationTokenException');

    const health = await fetch(`${srv.endpoint}/_vpcsim/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'running');
  });

  it('incomplete or malformed signatures: IncompleteSignature, and scope errors', async () => {
    const host = new URL(srv.endpoint).host;
    const body = 'Action=DescribeVpcs&Version=2016-11-15';
    const signed = await signHeaders(srv, ALICE, { body, headers: { 'content-type': FORM } });
    const auth = signed.headers.authorization!;

    const noSig = await raw(srv.endpoint, 'POST', '/', { ...signed.headers, authorization: auth.replace(/, Signature=[0-9a-f]+/, '') }, body);
    assert.equal(noSig.status, 400);
    assert.equal(xmlCode(noSig.body), 'IncompleteSignature');
    assert.match(xmlMessage(noSig.body)!, /^Authorization header requires 'Signature' parameter\. Authorization=AWS4-HMAC-SHA256 Credential=/);

    const noDateHeaders = { ...signed.headers };
    delete noDateHeaders['x-amz-date'];
    const noDate = await raw(srv.endpoint, 'POST', '/', noDateHeaders, body);
    assert.equal(xmlCode(noDate.body), 'IncompleteSignature');
    assert.match(xmlMessage(noDate.body)!, /requires existence of either a 'X-Amz-Date' or a 'Date' header/);

    const shortCred = await raw(srv.endpoint, 'POST', '/', { ...signed.headers, authorization: auth.replace('/us-east-1/ec2/aws4_request', '/us-east-1/ec2') }, body);
    assert.equal(xmlCode(shortCred.body), 'IncompleteSignature');
    assert.match(xmlMessage(shortCred.body)!, /^Credential must have exactly 5 slash-delimited elements/);

    const v4a = await raw(srv.endpoint, 'POST', '/', { ...signed.headers, authorization: auth.replace('AWS4-HMAC-SHA256', 'AWS4-ECDSA-P256-SHA256') }, body);
    assert.equal(xmlCode(v4a.body), 'IncompleteSignature');
    assert.equal(xmlMessage(v4a.body), "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'");

    const basic = await raw(srv.endpoint, 'POST', '/', { host, 'content-type': FORM, authorization: 'Basic YWxpY2U6c2VjcmV0' }, body);
    assert.equal(xmlCode(basic.body), 'IncompleteSignature');

    const both = await raw(srv.endpoint, 'POST', '/?X-Amz-Algorithm=AWS4-HMAC-SHA256', signed.headers, body);
    assert.equal(xmlCode(both.body), 'IncompleteSignature');
    assert.match(xmlMessage(both.body)!, /^Only one auth mechanism allowed/);

    const badDate = await raw(srv.endpoint, 'POST', '/', { ...signed.headers, 'x-amz-date': '2024-01-02T03:04:05Z' }, body);
    assert.equal(xmlCode(badDate.body), 'IncompleteSignature');
    assert.match(xmlMessage(badDate.body)!, /^Date must be in ISO-8601 'basic format'/);

    // Scope mistakes are signature mismatches: AuthFailure for EC2, explained by STS and JSON services.
    const stsSigned = await signHeaders(srv, ALICE, { service: 'sts', body: 'Action=GetCallerIdentity&Version=2011-06-15', headers: { 'content-type': FORM } });
    const amzDate = stsSigned.headers['x-amz-date']!;
    const dayBefore = new Date(Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8) - 1)).toISOString().slice(0, 10).replace(/-/g, '');
    const wrongDay = await raw(
      srv.endpoint,
      'POST',
      '/',
      { ...stsSigned.headers, authorization: stsSigned.headers.authorization!.replace(`/${amzDate.slice(0, 8)}/`, `/${dayBefore}/`) },
      'Action=GetCallerIdentity&Version=2011-06-15',
    );
    assert.equal(wrongDay.status, 403);
    assert.equal(xmlCode(wrongDay.body), 'SignatureDoesNotMatch');
    assert.match(xmlMessage(wrongDay.body)!, /Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '\d{8}' != '\d{8}'/);
    const ec2WrongDay = await raw(srv.endpoint, 'POST', '/', { ...signed.headers, authorization: auth.replace(`/${amzDate.slice(0, 8)}/`, `/${dayBefore}/`) }, body);
    assert.equal(ec2WrongDay.status, 401);
    assert.equal(xmlCode(ec2WrongDay.body), 'AuthFailure');

    const dxBody = '{}';
    const dxSigned = await signHeaders(srv, ALICE, {
      service: 'ec2',
      body: dxBody,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'OvertureService.DescribeConnections' },
    });
    const wrongService = await raw(srv.endpoint, 'POST', '/', dxSigned.headers, dxBody);
    assert.equal(wrongService.status, 400);
    assert.deepEqual(JSON.parse(wrongService.body), {
      __type: 'InvalidSignatureException',
      message: "Credential should be scoped to correct service: 'directconnect'.",
    });

    // Host must be signed.
    const hostless = await signHeaders(srv, ALICE, { body, headers: { 'content-type': FORM } });
    const unsignedHost = await raw(
      srv.endpoint,
      'POST',
      '/',
      { ...hostless.headers, authorization: hostless.headers.authorization!.replace('content-type;host;x-amz-date', 'content-type;x-amz-date') },
      body,
    );
    assert.equal(xmlCode(unsignedHost.body), 'AuthFailure');
  });

  it('session tokens: required for keys configured with one, refused otherwise', async () => {
    const who = await sts(srv, TEMP).send(new GetCallerIdentityCommand({}));
    assert.equal(who.Account, TEMP.accountId);
    assert.equal((await apiError(() => ec2(srv, TEMP, { sessionToken: undefined }).send(new DescribeVpcsCommand({})))).code, 'AuthFailure');
    assert.equal((await apiError(() => ec2(srv, TEMP, { sessionToken: 'forged' }).send(new DescribeVpcsCommand({})))).code, 'AuthFailure');
    const s = await apiError(() => sts(srv, TEMP, { sessionToken: 'forged' }).send(new GetCallerIdentityCommand({})));
    assert.deepEqual(s, { code: 'InvalidClientTokenId', message: 'The security token included in the request is invalid.', status: 403 });
    assert.equal((await apiError(() => ec2(srv, ALICE, { sessionToken: 'unexpected' }).send(new DescribeVpcsCommand({})))).code, 'AuthFailure');
  });

  it('canonical form: encoded query values, GET with signed header, runs of spaces, repeated headers, query plus body', async () => {
    const alice = ec2(srv, ALICE);
    const odd = 'a b*ü/=&+~%';
    const vpc = (await alice.send(new CreateVpcCommand({ CidrBlock: '10.70.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: odd }] }] }))).Vpc!.VpcId!;
    const query = { Action: 'DescribeVpcs', Version: '2016-11-15', 'Filter.1.Name': 'tag:Name', 'Filter.1.Value.1': odd };
    const get = await signHeaders(srv, ALICE, { method: 'GET', query, headers: { 'x-amz-meta-note': '  several   spaces \t here  ' } });
    const r = await raw(srv.endpoint, 'GET', get.path, get.headers);
    assert.equal(r.status, 200, r.body);
    assert.equal([...r.body.matchAll(/<vpcId>([^<]+)<\/vpcId>/g)].map((m) => m[1]).join(), vpc);

    // A header sent twice is signed as its values joined by commas.
    const body = 'Action=DescribeVpcs&Version=2016-11-15';
    const twice = await signHeaders(srv, ALICE, { body, headers: { 'content-type': FORM, 'x-amz-meta-dup': 'one,two' } });
    const headers: Record<string, string | string[]> = { ...twice.headers, 'x-amz-meta-dup': ['one', 'two'] };
    const r2 = await raw(srv.endpoint, 'POST', twice.path, headers, body);
    assert.equal(r2.status, 200, r2.body);

    // Parameters split between the URL and the body, both covered.
    const split = await signHeaders(srv, ALICE, { query: { Version: '2016-11-15' }, body: `Action=DescribeVpcs&VpcId.1=${vpc}`, headers: { 'content-type': FORM } });
    const r3 = await raw(srv.endpoint, 'POST', split.path, split.headers, `Action=DescribeVpcs&VpcId.1=${vpc}`);
    assert.equal(r3.status, 200, r3.body);
    const r4 = await raw(srv.endpoint, 'POST', split.path.replace('2016-11-15', '2015-10-01'), split.headers, `Action=DescribeVpcs&VpcId.1=${vpc}`);
    assert.equal(r4.status, 401);

    // Path normalisation: "/./" signs and verifies as "/".
    const dotted = await signHeaders(srv, ALICE, { path: '/./', body, headers: { 'content-type': FORM } });
    const r5 = await raw(srv.endpoint, 'POST', dotted.path, dotted.headers, body);
    assert.equal(r5.status, 200, r5.body);
  });

  it('vpcsim endpoints: tunnel status needs a signature and acts in the signer\'s account', async () => {
    const alice = ec2(srv, ALICE);
    const cgw = (await alice.send(new CreateCustomerGatewayCommand({ Type: 'ipsec.1', BgpAsn: 65000, IpAddress: '198.51.100.77' }))).CustomerGateway!;
    const vgw = (await alice.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1' }))).VpnGateway!;
    const vpn = (
      await alice.send(
        new CreateVpnConnectionCommand({ Type: 'ipsec.1', CustomerGatewayId: cgw.CustomerGatewayId!, VpnGatewayId: vgw.VpnGatewayId!, Options: { StaticRoutesOnly: true } }),
      )
    ).VpnConnection!;
    const described = (await alice.send(new DescribeVpnConnectionsCommand({ VpnConnectionIds: [vpn.VpnConnectionId!] }))).VpnConnections!;
    const outside = described[0]!.VgwTelemetry![0]!.OutsideIpAddress!;
    const payload = JSON.stringify({ vpnConnectionId: vpn.VpnConnectionId, outsideIpAddress: outside, status: 'UP' });
    const host = new URL(srv.endpoint).host;

    const unsigned = await raw(srv.endpoint, 'POST', '/_vpcsim/vpn-tunnel-status', { host, 'content-type': 'application/json' }, payload);
    assert.equal(unsigned.status, 403);
    assert.equal((JSON.parse(unsigned.body) as { error: string }).error, 'MissingAuthenticationTokenException');

    const post = async (cred: Credential, body: string) => {
      const s = await signHeaders(srv, cred, { path: '/_vpcsim/vpn-tunnel-status', body, headers: { 'content-type': 'application/json' } });
      return raw(srv.endpoint, 'POST', s.path, s.headers, body);
    };
    const byAlice = await post(ALICE, payload);
    assert.equal(byAlice.status, 200, byAlice.body);
    assert.equal((JSON.parse(byAlice.body) as { status: string }).status, 'UP');
    const byBob = await post(BOB, payload);
    assert.equal(byBob.status, 404, 'Bob\'s account has no such VPN connection');
    const bobNamesAlice = await post(BOB, JSON.stringify({ ...JSON.parse(payload), account: ALICE.accountId }));
    assert.equal(bobNamesAlice.status, 403);
    assert.equal((JSON.parse(bobNamesAlice.body) as { error: string }).error, 'AccessDenied');
    const adminNamesAlice = await post(ADMIN, JSON.stringify({ ...JSON.parse(payload), status: 'DOWN', account: ALICE.accountId }));
    assert.equal(adminNamesAlice.status, 200, adminNamesAlice.body);
  });
});

describe('sigv4 mode: reset', () => {
  it('needs a request signed with an admin key; health stays open', async () => {
    const srv = await startTestServer({ auth: 'sigv4', credentials: CREDENTIALS });
    try {
      const vpc = (await ec2(srv, ALICE).send(new CreateVpcCommand({ CidrBlock: '10.80.0.0/16' }))).Vpc!.VpcId!;
      const host = new URL(srv.endpoint).host;
      const unsigned = await raw(srv.endpoint, 'POST', '/moto-api/reset', { host });
      assert.equal(unsigned.status, 403);
      const reset = async (cred: Credential, secret?: string) => {
        const s = await signHeaders(srv, cred, { path: '/moto-api/reset', body: '', secret });
        return raw(srv.endpoint, 'POST', s.path, s.headers);
      };
      const byAlice = await reset(ALICE);
      assert.equal(byAlice.status, 403);
      assert.equal((JSON.parse(byAlice.body) as { error: string }).error, 'AccessDenied');
      const forged = await reset(ADMIN, 'wrong');
      assert.equal(forged.status, 400);
      assert.equal((JSON.parse(forged.body) as { error: string }).error, 'InvalidSignatureException');
      assert.equal((await ec2(srv, ALICE).send(new DescribeVpcsCommand({ VpcIds: [vpc] }))).Vpcs!.length, 1, 'still there');

      const byAdmin = await reset(ADMIN);
      assert.equal(byAdmin.status, 200, byAdmin.body);
      assert.equal((await apiError(() => ec2(srv, ALICE).send(new DescribeVpcsCommand({ VpcIds: [vpc] })))).code, 'InvalidVpcID.NotFound');
      assert.equal((await fetch(`${srv.endpoint}/_vpcsim/health`)).status, 200);
    } finally {
      await srv.close();
    }
  });
});

describe('none mode (the default)', () => {
  it('accepts any key and secret, unsigned requests too; listed keys map to their accounts', async () => {
    const srv = await startTestServer({ credentials: [ALICE] });
    try {
      assert.equal(srv.config.auth, 'none');
      const host = new URL(srv.endpoint).host;
      const r = await raw(srv.endpoint, 'POST', '/', { host, 'content-type': FORM }, 'Action=GetCallerIdentity&Version=2011-06-15');
      assert.equal(r.status, 200);
      assert.match(r.body, /<Account>000000000000<\/Account>/);
      assert.equal((await sts(srv, ALICE, { secret: 'anything' }).send(new GetCallerIdentityCommand({}))).Account, ALICE.accountId);
      assert.equal((await sts(srv, ALICE, { accessKeyId: '123456789012' }).send(new GetCallerIdentityCommand({}))).Account, '123456789012');
      assert.equal((await sts(srv, ALICE, { accessKeyId: 'whatever' }).send(new GetCallerIdentityCommand({}))).Account, '000000000000');
      assert.equal((await ec2(srv, ALICE, { offsetMs: -60 * MINUTE }).send(new DescribeVpcsCommand({}))).Vpcs!.length, 1);
      assert.equal((await raw(srv.endpoint, 'POST', '/moto-api/reset', { host })).status, 200);
    } finally {
      await srv.close();
    }
  });
});

describe('auth configuration', () => {
  it('reads and checks the credentials file', () => {
    const dir = tempDir();
    const file = join(dir, 'credentials.json');
    writeFileSync(file, JSON.stringify([ALICE, { ...TEMP }, ADMIN]));
    assert.deepEqual(loadCredentials(file), [ALICE, TEMP, ADMIN]);

    const bad = (v: unknown) => () => parseCredentials(v, 'f');
    assert.throws(bad({}), /a JSON list/);
    assert.throws(bad([{ accessKeyId: 'AKIAX1', accountId: '111111111111' }]), /'secretAccessKey' must be a non-empty string/);
    assert.throws(bad([{ ...ALICE, accountId: '42' }]), /invalid accountId '42': 12 digits expected/);
    assert.throws(bad([ALICE, { ...BOB, accessKeyId: ALICE.accessKeyId }]), /listed twice/);
    assert.throws(bad([{ ...ALICE, region: 'us-east-1' }]), /unknown field 'region'/);
    assert.throws(bad([{ ...ALICE, admin: 'yes' }]), /'admin' must be true or false/);
    assert.throws(bad([{ ...ALICE, accessKeyId: 'has space' }]), /invalid accessKeyId/);
    writeFileSync(file, '[{');
    assert.throws(() => loadCredentials(file), /is not valid JSON/);
    assert.throws(() => loadCredentials(join(dir, 'missing.json')), /cannot read credentials file/);
  });

  it('VPCSIM_AUTH and VPCSIM_CREDENTIALS, --auth and --credentials', async () => {
    const dir = tempDir();
    const file = join(dir, 'credentials.json');
    writeFileSync(file, JSON.stringify([BOB]));
    const config = applyEnv(defaultConfig(), { VPCSIM_AUTH: 'sigv4', VPCSIM_CREDENTIALS: file });
    assert.equal(config.auth, 'sigv4');
    assert.deepEqual(config.credentials, [BOB]);
    assert.equal(defaultConfig().auth, 'none');
    assert.throws(() => parseAuthMode('basic'), /invalid auth mode 'basic': none or sigv4 expected/);
    assert.throws(() => checkAuthConfig({ auth: 'sigv4', credentials: [] }), /--auth sigv4 needs credentials/);
    await assert.rejects(startServer({ port: 0, inMemory: true, auth: 'sigv4', credentials: [] }), /needs credentials/);
    await assert.rejects(main(['serve', '--in-memory', '--port', '0', '--auth', 'sigv4']), /needs credentials/);
    await assert.rejects(main(['serve', '--in-memory', '--port', '0', '--auth', 'sigv5', '--credentials', file]), /invalid auth mode 'sigv5'/);
  });
});
