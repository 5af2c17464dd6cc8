/**
 * Regressions found by the fuzz test (test/fuzz.test.ts), each the smallest request that
 * used to get a 5xx, no answer, or an answer outside AWS's error envelopes.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CreateVpcCommand, DescribeVpcsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { matchesPattern } from '../src/services/ec2/filters.js';
import { startTestServer, type TestServer } from './helpers.js';

/** Sends raw bytes; returns the status line's code, the content type and the body. */
function raw(endpoint: string, text: string): Promise<{ status: number; contentType: string; body: string }> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(url.port), url.hostname);
    let data = '';
    sock.setEncoding('latin1');
    sock.on('data', (c: string) => (data += c));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (!m) return reject(new Error(`no HTTP answer: ${JSON.stringify(data.slice(0, 200))}`));
      const end = data.indexOf('\r\n\r\n');
      resolve({
        status: Number(m[1]),
        contentType: /\r\ncontent-type:\s*([^\r\n]*)/i.exec(data.slice(0, end))?.[1] ?? '',
        body: data.slice(end + 4),
      });
    });
    sock.write(Buffer.from(text, 'latin1'));
  });
}

function ec2ErrorCode(body: string): string | undefined {
  return /^<\?xml version="1\.0" encoding="UTF-8"\?>\s*<Response><Errors><Error><Code>([^<]+)<\/Code><Message>[^<]*<\/Message><\/Error><\/Errors><RequestID>[^<]+<\/RequestID><\/Response>$/.exec(body)?.[1];
}

describe('fuzz regressions', () => {
  let srv: TestServer;
  let ec2: EC2Client;

  before(async () => {
    srv = await startTestServer();
    ec2 = srv.ec2();
  });

  after(async () => {
    await srv.close();
  });

  it('answers a request target that is not a URL (//[) with 400 InvalidURI, not 500', async () => {
    for (const target of ['//[', 'http://[x', '//a:99999']) {
      const r = await raw(srv.endpoint, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.equal(r.status, 400, target);
      assert.equal(ec2ErrorCode(r.body), 'InvalidURI', r.body);
    }
    // The server still answers.
    const ok = await raw(srv.endpoint, 'GET /?Action=DescribeRegions&Version=2016-11-15 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(ok.status, 200);
  });

  it('answers what the HTTP parser refuses in the EC2 error envelope (400, and 431 for huge headers)', async () => {
    const cases: Array<[string, number, string]> = [
      ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nConnection: close\r\n\r\nAction=DescribeVpcs', 400, 'MalformedHTTPRequest'],
      ['FOO BAR BAZ\r\n\r\n', 400, 'MalformedHTTPRequest'],
      ['GET / HTTP/1.1\r\nHost: x\r\nX-Bad\u0000: 1\r\nConnection: close\r\n\r\n', 400, 'MalformedHTTPRequest'],
      [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\nConnection: close\r\n\r\n`, 431, 'RequestHeaderSectionTooLarge'],
    ];
    for (const [text, status, code] of cases) {
      const r = await raw(srv.endpoint, text);
      assert.equal(r.status, status, JSON.stringify(text.slice(0, 40)));
      assert.match(r.contentType, /xml/);
      assert.equal(ec2ErrorCode(r.body), code, r.body);
    }
  });

  it('answers headers that are too large with 431 also on a connection that has answered before', async () => {
    const url = new URL(srv.endpoint);
    const sock = connect(Number(url.port), url.hostname);
    sock.setEncoding('latin1');
    let data = '';
    const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
    sock.on('error', () => undefined);
    sock.on('data', (c: string) => (data += c));
    sock.write('GET /?Action=DescribeRegions&Version=2016-11-15 HTTP/1.1\r\nHost: x\r\n\r\n');
    // Wait for the whole first answer, then reuse the connection.
    for (let i = 0; i < 200 && !/<\/DescribeRegionsResponse>/.test(data); i++) await new Promise((r) => setTimeout(r, 10));
    assert.match(data, /^HTTP\/1\.1 200/);
    const first = data.length;
    sock.write(`GET /?Action=DescribeVpcs&Version=2016-11-15&x=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await closed;
    const second = data.slice(first);
    assert.match(second, /^HTTP\/1\.1 431/);
    assert.equal(ec2ErrorCode(second.slice(second.indexOf('\r\n\r\n') + 4)), 'RequestHeaderSectionTooLarge');
  });

  it('filters with a megabyte of wildcards answer (no stack overflow), and correctly', async () => {
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.7.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'a'.repeat(200) }] }] }))).Vpc!;
    const find = async (pattern: string) =>
      ((await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Name', Values: [pattern] }] }))).Vpcs ?? []).map((v) => v.VpcId);
    assert.deepEqual(await find(`${'*'.repeat(500_000)}x`), []);
    assert.deepEqual(await find('*'.repeat(500_000)), [vpc.VpcId]);
    const started = Date.now();
    assert.deepEqual(await find(`${'*a'.repeat(60)}*b`), []);
    assert.deepEqual(await find(`${'*a'.repeat(60)}*`), [vpc.VpcId]);
    assert.ok(Date.now() - started < 2000, 'patterns that make a regular expression backtrack are matched quickly');
  });

  it('wildcard matching keeps its meaning: * any run, ? one character, backslash escapes', () => {
    const cases: Array<[string, string, boolean]> = [
      ['web-*', 'web-1', true],
      ['web-*', 'web-', true],
      ['web-*', 'db-1', false],
      ['*-prod', 'api-prod', true],
      ['*-prod', 'api-prod-2', false],
      ['w?b', 'web', true],
      ['w?b', 'wb', false],
      ['a*b*c', 'aXXbYYc', true],
      ['a*b*c', 'aXXcYYb', false],
      ['\\*', '*', true],
      ['\\*', 'x', false],
      ['\\?x', '?x', true],
      ['a\\', 'a\\', true],
      ['**', '', true],
      ['*', '😀', true],
      ['exact', 'exact', true],
      ['exact', 'exactly', false],
    ];
    for (const [pattern, value, expected] of cases) assert.equal(matchesPattern(pattern, value), expected, `${pattern} ~ ${value}`);
  });
});
