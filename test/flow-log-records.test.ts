/**
 * Flow log records: every field of every version printed as AWS prints it, the AWS User Guide's
 * example records reproduced exactly, versions of custom formats, header lines.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_FIELDS, FLOW_LOG_FIELDS, parseLogFormat } from '../src/services/ec2/flow-logs.js';
import { aggregationKey, compileFormat, fieldValue, type FlowKey, flowKeyOf, type FlowRecord, formatRecord, type KindFields, type InterfaceMeta, knownFields, LineWriter, recordOf, statusRecord } from '../src/traffic/flow-records.js';
import type { InterfaceObservation } from '../src/traffic/types.js';

const meta = {
  account: '123456789010',
  region: 'us-east-1',
  interfaceId: 'eni-1235b8ca123456789',
  vpcId: 'vpc-abcdefab012345678',
  subnetId: 'subnet-22222222bbbbbbbbb',
};

type Over = Partial<Omit<FlowKey, 'kind'> & KindFields> & Partial<Pick<FlowRecord, 'start' | 'end' | 'packets' | 'bytes' | 'tcpFlags'>> & Partial<InterfaceMeta>;

/** An OK record; interface fields (interfaceId, instanceId, azId…) may be overridden too. */
function ok(over: Over = {}): FlowRecord {
  const { account, region, interfaceId, vpcId, subnetId, instanceId, azId, start, end, packets, bytes, tcpFlags, ...flow } = over;
  const iface: InterfaceMeta = { ...meta };
  for (const [k, v] of Object.entries({ account, region, interfaceId, vpcId, subnetId, instanceId, azId })) {
    if (k in over) (iface as unknown as Record<string, unknown>)[k] = v;
  }
  const given = (k: keyof Over, v: number) => (k in over ? over[k] : v) as number;
  return {
    logStatus: 'OK',
    iface,
    start: start ?? 1418530010,
    end: end ?? 1418530070,
    packets: given('packets', 20),
    bytes: given('bytes', 4249),
    tcpFlags: given('tcpFlags', 19),
    flow: flowKeyOf({
      srcaddr: '172.31.16.139',
      dstaddr: '172.31.16.21',
      srcport: 20641,
      dstport: 22,
      protocol: 6,
      action: 'ACCEPT',
      flowDirection: 'ingress',
      pktSrcaddr: '172.31.16.139',
      pktDstaddr: '172.31.16.21',
      ...flow,
    }),
  };
}

describe('flow log record formatting', () => {
  it('reproduces the User Guide examples of the default format exactly', () => {
    assert.equal(
      formatRecord(ok(), DEFAULT_FIELDS),
      '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK',
    );
    assert.equal(
      formatRecord(ok({ srcaddr: '172.31.9.69', dstaddr: '172.31.9.12', srcport: 49761, dstport: 3389, action: 'REJECT' }), DEFAULT_FIELDS),
      '2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK',
    );
    assert.equal(
      formatRecord(statusRecord('NODATA', meta, 1431280876, 1431280934), DEFAULT_FIELDS),
      '2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA',
    );
    assert.equal(
      formatRecord(statusRecord('SKIPDATA', { ...meta, interfaceId: 'eni-11111111aaaaaaaaa' }, 1431280876, 1431280934), DEFAULT_FIELDS),
      '2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA',
    );
  });

  it('reproduces a version 3 custom-format example (tcp-flags, type, packet addresses behind a NAT gateway)', () => {
    const fields = parseLogFormat(
      '${version} ${interface-id} ${account-id} ${vpc-id} ${subnet-id} ${instance-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${tcp-flags} ${type} ${pkt-srcaddr} ${pkt-dstaddr} ${action} ${log-status}',
    );
    const r = ok({
      interfaceId: 'eni-33333333333333333',
      instanceId: 'i-01234567890123456',
      srcaddr: '10.20.33.164',
      dstaddr: '10.40.2.236',
      srcport: 39812,
      dstport: 80,
      tcpFlags: 3,
      pktSrcaddr: '10.20.33.164',
      pktDstaddr: '10.40.2.236',
    });
    assert.equal(
      formatRecord(r, fields),
      '3 eni-33333333333333333 123456789010 vpc-abcdefab012345678 subnet-22222222bbbbbbbbb i-01234567890123456 10.20.33.164 10.40.2.236 39812 80 6 3 IPv4 10.20.33.164 10.40.2.236 ACCEPT OK',
    );
    // Through a NAT gateway: the packet's own addresses differ from the interface's view.
    const nat = ok({ interfaceId: 'eni-44444444444444444', srcaddr: '10.40.1.175', dstaddr: '10.40.2.236', pktSrcaddr: '10.20.33.164', pktDstaddr: '10.40.2.236', instanceId: undefined });
    assert.equal(
      formatRecord(nat, parseLogFormat('${instance-id} ${interface-id} ${srcaddr} ${dstaddr} ${pkt-srcaddr} ${pkt-dstaddr}')),
      '- eni-44444444444444444 10.40.1.175 10.40.2.236 10.20.33.164 10.40.2.236',
    );
  });

  it('prints the value of every field of versions 2 to 5 for an OK record, and `-` for what does not apply', () => {
    const r = ok({
      instanceId: 'i-0123456789abcdef0',
      azId: 'use1-az1',
      flowDirection: 'egress',
      trafficPath: 2,
      pktSrcAwsService: undefined,
      pktDstAwsService: 'S3',
    });
    const expected: Record<string, string> = {
      version: '5',
      'account-id': '123456789010',
      'interface-id': 'eni-1235b8ca123456789',
      srcaddr: '172.31.16.139',
      dstaddr: '172.31.16.21',
      srcport: '20641',
      dstport: '22',
      protocol: '6',
      packets: '20',
      bytes: '4249',
      start: '1418530010',
      end: '1418530070',
      action: 'ACCEPT',
      'log-status': 'OK',
      'vpc-id': 'vpc-abcdefab012345678',
      'subnet-id': 'subnet-22222222bbbbbbbbb',
      'instance-id': 'i-0123456789abcdef0',
      'tcp-flags': '19',
      'pkt-srcaddr': '172.31.16.139',
      'pkt-dstaddr': '172.31.16.21',
      region: 'us-east-1',
      'az-id': 'use1-az1',
      'sublocation-type': '-',
      'sublocation-id': '-',
      'pkt-src-aws-service': '-',
      'pkt-dst-aws-service': 'S3',
      'flow-direction': 'egress',
      'traffic-path': '2',
    };
    for (const [field, value] of Object.entries(expected)) assert.equal(fieldValue(r, field, 5), value, field);
    const fields = Object.keys(expected);
    const c = compileFormat(fields);
    assert.equal(c.version, 5);
    assert.equal(c.format(r), Object.values(expected).join(' '));
    assert.equal(c.header, fields.join(' '));
  });

  it('prints `-` for the fields of later versions that vpcsim has no value for (ECS, reject-reason, resource-id, encryption-status)', () => {
    const later = Object.keys(FLOW_LOG_FIELDS).filter((f) => FLOW_LOG_FIELDS[f]! >= 6);
    assert.ok(later.includes('ecs-cluster-arn') && later.includes('reject-reason') && later.includes('encryption-status'), later.join(','));
    const rejected = ok({ action: 'REJECT' });
    for (const f of later) assert.equal(fieldValue(rejected, f, 10), '-', f);
    const line = formatRecord(rejected, ['version', ...later, 'action']);
    assert.equal(line, ['10', ...later.map(() => '-'), 'REJECT'].join(' '));
  });

  it('every field a LogFormat may name can be printed', () => {
    assert.deepEqual(knownFields().sort(), Object.keys(FLOW_LOG_FIELDS).sort());
    const all = Object.keys(FLOW_LOG_FIELDS);
    const line = formatRecord(ok(), all).split(' ');
    assert.equal(line.length, all.length);
    assert.ok(line.every((v) => v.length > 0 && !v.includes(' ')));
    assert.throws(() => formatRecord(ok(), ['no-such-field']), /unknown flow log field/);
    assert.throws(() => fieldValue(ok(), 'no-such-field', 2), /unknown flow log field/);
  });

  it('type is the family of the flow\'s addresses', () => {
    assert.equal(fieldValue(ok(), 'type', 3), 'IPv4');
    assert.equal(fieldValue(ok({ srcaddr: '2001:db8::7', dstaddr: '2600:1f18::10', pktSrcaddr: '2001:db8::7', pktDstaddr: '2600:1f18::10' }), 'type', 3), 'IPv6');
  });

  it('traffic-path is printed for egress records only', () => {
    assert.equal(fieldValue(ok({ flowDirection: 'egress', trafficPath: 1 }), 'traffic-path', 5), '1');
    assert.equal(fieldValue(ok({ flowDirection: 'ingress', trafficPath: 1 }), 'traffic-path', 5), '-');
    assert.equal(fieldValue(ok({ flowDirection: 'egress', trafficPath: undefined }), 'traffic-path', 5), '-');
  });

  it('NODATA and SKIPDATA records keep the interface metadata and print `-` for the flow', () => {
    const fields = parseLogFormat('${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${region} ${az-id} ${srcaddr} ${tcp-flags} ${type} ${pkt-srcaddr} ${flow-direction} ${traffic-path} ${action} ${log-status}');
    const nodata = statusRecord('NODATA', { ...meta, instanceId: 'i-0123456789abcdef0', azId: 'use1-az2' }, 1700000000, 1700000059);
    assert.equal(formatRecord(nodata, fields), '5 vpc-abcdefab012345678 subnet-22222222bbbbbbbbb i-0123456789abcdef0 eni-1235b8ca123456789 us-east-1 use1-az2 - - - - - - - NODATA');
  });

  it('the version of a custom format is the highest version among its fields', () => {
    assert.equal(compileFormat(['srcaddr', 'dstaddr']).version, 2);
    assert.equal(compileFormat(['version', 'srcaddr', 'tcp-flags']).version, 3);
    assert.equal(compileFormat(['version', 'az-id', 'srcaddr']).version, 4);
    assert.equal(compileFormat(['version', 'flow-direction']).version, 5);
    assert.equal(compileFormat(['version', 'ecs-task-id']).version, 7);
    assert.equal(formatRecord(ok(), ['version', 'region', 'action']), '4 us-east-1 ACCEPT');
    assert.equal(formatRecord(ok(), ['action', 'version']), 'ACCEPT 2');
  });

  it('builds records from observations, and aggregation keys that tell flows apart', () => {
    const o: InterfaceObservation = {
      interfaceId: 'eni-1',
      account: '000000000000',
      region: 'eu-west-1',
      vpcId: 'vpc-1',
      subnetId: 'subnet-1',
      srcaddr: '10.0.0.1',
      dstaddr: '10.0.0.2',
      srcport: 40000,
      dstport: 443,
      protocol: 6,
      pktSrcaddr: '10.0.0.1',
      pktDstaddr: '10.0.0.2',
      packets: 5,
      bytes: 500,
      tcpFlags: 2,
      action: 'ACCEPT',
      flowDirection: 'egress',
      trafficPath: 1,
      startMs: 1_700_000_000_999,
      endMs: 1_700_000_004_500,
    };
    const r = recordOf(o, o.startMs, o.endMs, 5, 500, 2);
    assert.equal(r.start, 1_700_000_000);
    assert.equal(r.end, 1_700_000_004);
    assert.equal(formatRecord(r, [...DEFAULT_FIELDS, 'traffic-path']), '5 000000000000 eni-1 10.0.0.1 10.0.0.2 40000 443 6 5 500 1700000000 1700000004 ACCEPT OK 1');
    assert.equal(aggregationKey(o), aggregationKey({ ...o, packets: 9, bytes: 1, startMs: 0, endMs: 1, tcpFlags: 16 }));
    for (const change of [{ srcport: 40001 }, { action: 'REJECT' as const }, { flowDirection: 'ingress' as const }, { pktSrcaddr: '1.2.3.4' }, { protocol: 17 }, { trafficPath: 2 }]) {
      assert.notEqual(aggregationKey(o), aggregationKey({ ...o, ...change }), JSON.stringify(change));
    }
  });

  it('prints IPv4 addresses (which records hold as numbers) of every octet width, and other addresses as given', () => {
    const fields = ['srcaddr', 'dstaddr', 'pkt-srcaddr', 'pkt-dstaddr', 'type'];
    const fmt = compileFormat(fields);
    const cases: Array<[string, string, string, string, string]> = [
      ['0.0.0.0', '255.255.255.255', '1.22.133.4', '100.10.1.0', 'IPv4'],
      ['9.99.199.200', '10.0.0.1', '10.0.0.1', '172.31.16.139', 'IPv4'],
      ['2001:db8::1', 'fd00:ec2::23', '2001:db8::1', 'fd00:ec2::23', 'IPv6'],
    ];
    const w = new LineWriter(8);
    for (const [src, dst, psrc, pdst] of cases) {
      const r = ok({ srcaddr: src, dstaddr: dst, pktSrcaddr: psrc, pktDstaddr: pdst });
      assert.equal(typeof r.flow!.srcaddr, src.includes(':') ? 'string' : 'number');
      fmt.write(w, r);
      w.byte(10);
    }
    assert.deepEqual(w.text(0).split('\n').slice(0, -1), cases.map((c) => c.join(' ')));
    // Text that is not a canonical dotted quad is kept as text.
    assert.equal(formatRecord(ok({ srcaddr: '010.1.2.3' }), ['srcaddr']), '010.1.2.3');
  });

  it('writes lines as bytes: numbers of every size, text beyond ASCII, past the first buffer', () => {
    const w = new LineWriter(4);
    const nums = [0, 9, 10, 99, 100, 65535, 1700000000, 2147483647, 2147483648, 4294967295, 12345678901, 1.5];
    for (const n of nums) {
      w.num(n);
      w.byte(32);
    }
    w.str('vpc-é1 ');
    w.str('x'.repeat(5000));
    const text = w.text(0);
    assert.equal(text, nums.join(' ') + ' vpc-é1 ' + 'x'.repeat(5000));
    assert.equal(w.bytes().toString('utf8'), text);
  });

  it('a format writes numbers of every size and text beyond ASCII or past SHORT characters as given', () => {
    const fmt = compileFormat(['srcport', 'packets', 'bytes', 'pkt-src-aws-service', 'srcaddr', 'tcp-flags']);
    const nums = [0, 1, 9, 10, 99, 100, 101, 999, 1000, 65535, 1700000000, 2147483647, 2147483648, 4294967295, 12345678901];
    const w = new LineWriter(16);
    const expected: string[] = [];
    for (const [k, n] of nums.entries()) {
      const service = k % 3 === 0 ? 'S3' : k % 3 === 1 ? 'sérvice-' + 'x'.repeat(k) : 'y'.repeat(60 + k);
      const bytes = nums[nums.length - 1 - k]!;
      const r = ok({ srcport: k, packets: n, bytes, tcpFlags: k % 2 === 0 ? 0 : n, pktSrcAwsService: service });
      fmt.write(w, r);
      w.byte(10);
      expected.push(`${k} ${n} ${bytes} ${service} 172.31.16.139 ${k % 2 === 0 ? 0 : n}`);
    }
    assert.deepEqual(w.text(0).split('\n').slice(0, -1), expected);
  });

  it('metadata fields in a row print each interface its own, whatever order the interfaces come in', () => {
    // The run `version account-id interface-id vpc-id` is made once per interface and copied into its lines.
    const fields = ['srcaddr', 'version', 'account-id', 'interface-id', 'vpc-id', 'srcport', 'region', 'az-id', 'log-status'];
    const fmt = compileFormat(fields);
    const a = ok({ interfaceId: 'eni-0aaaaaaaaaaaaaaaa', azId: 'use1-az1', srcport: 1 });
    const b = ok({ interfaceId: 'eni-0bbbbbbbbbbbbbbbb', account: '210987654321', vpcId: 'vpc-0bbbbbbbbbbbbbbbb', srcport: 2 });
    // Non-ASCII metadata takes the writer's own path (and the line is read back as UTF-8).
    const c = ok({ interfaceId: 'eni-0cccccccccccccccc', region: 'eu-wést-1', srcport: 3 });
    assert.equal(fmt.version, 4);
    const expected = (r: FlowRecord) => fields.map((f) => fieldValue(r, f, fmt.version)).join(' ');
    assert.equal(expected(a), '172.31.16.139 4 123456789010 eni-0aaaaaaaaaaaaaaaa vpc-abcdefab012345678 1 us-east-1 use1-az1 OK');
    const w = new LineWriter(8);
    const order = [a, a, b, a, c, b, b, c, a, statusRecord('NODATA', b.iface, 1, 2), a];
    for (const r of order) {
      fmt.write(w, r);
      w.byte(10);
    }
    assert.deepEqual(w.text(0).split('\n').slice(0, -1), order.map(expected));
    // The same lines one at a time.
    for (const r of order) assert.equal(fmt.format(r), expected(r));
  });
});
