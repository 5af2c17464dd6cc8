/**
 * CloudWatch Logs filter patterns: text terms, JSON patterns and space-delimited patterns,
 * parsed once and tested against messages.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileFilterPattern, FilterPatternError, splitDelimited } from '../src/services/logs/filter-pattern.js';

function matches(pattern: string, messages: string[]): string[] {
  const m = compileFilterPattern(pattern);
  return messages.filter((msg) => m(msg));
}

const FLOW = [
  '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK',
  '2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK',
  '2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK',
  '2 123456789010 eni-1235b8ca123456789 198.51.100.7 172.31.16.139 51000 22 6 1 40 1432917027 1432917142 REJECT OK',
  '2 123456789010 eni-1a2b3c4d - - - - - - - 1431280876 1431280934 - NODATA',
];

const FLOW_FIELDS = 'version, account, eni, source, destination, srcport, destport, protocol, packets, bytes, windowstart, windowend, action, flowlogstatus';

describe('filter patterns: text terms', () => {
  const msgs = ['[ERROR] Caught IllegalArgumentException', '[ERROR] Unhandled Exception', '[WARN] slow disk', 'INFO all good', 'error in lower case'];

  it('an empty pattern matches everything', () => {
    assert.equal(matches('', msgs).length, msgs.length);
    assert.equal(matches('   ', msgs).length, msgs.length);
  });

  it('terms must all occur, case sensitive', () => {
    assert.deepEqual(matches('ERROR', msgs), msgs.slice(0, 2));
    assert.deepEqual(matches('ERROR Unhandled', msgs), [msgs[1]]);
    assert.deepEqual(matches('error', msgs), [msgs[4]]);
  });

  it('quoted phrases match exactly, including spaces and punctuation', () => {
    assert.deepEqual(matches('"[ERROR] Caught"', msgs), [msgs[0]]);
    assert.deepEqual(matches('"slow disk"', msgs), [msgs[2]]);
    assert.deepEqual(matches('"disk slow"', msgs), []);
  });

  it('-term excludes', () => {
    assert.deepEqual(matches('ERROR -Unhandled', msgs), [msgs[0]]);
    assert.deepEqual(matches('-ERROR', msgs), msgs.slice(2));
  });

  it('?term groups are alternatives', () => {
    assert.deepEqual(matches('?ERROR ?WARN', msgs), msgs.slice(0, 3));
    assert.deepEqual(matches('?"ERROR" "Unhandled" ?"WARN" "disk"', msgs), [msgs[1], msgs[2]]);
    assert.deepEqual(matches('?INFO ?"slow disk"', msgs), [msgs[2], msgs[3]]);
  });

  it('%regex% terms', () => {
    assert.deepEqual(matches('%\\[(ERROR|WARN)\\]%', msgs), msgs.slice(0, 3));
  });

  it('refuses unquoted terms with special characters and unterminated quotes', () => {
    assert.throws(() => compileFilterPattern('a:b'), (e: Error) => e instanceof FilterPatternError && /Invalid character\(s\) in term 'a:b'/.test(e.message));
    assert.throws(() => compileFilterPattern('"open'), FilterPatternError);
  });
});

describe('filter patterns: space-delimited', () => {
  it('splits fields on spaces, with "…" and […] as one field', () => {
    assert.deepEqual(splitDelimited('127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534'), [
      '127.0.0.1',
      '-',
      'frank',
      '10/Oct/2000:13:25:15 -0700',
      'GET /index.html HTTP/1.0',
      '404',
      '1534',
    ]);
  });

  it('matches flow log records by port, protocol and action', () => {
    const sshRejects = `[${FLOW_FIELDS.replace('destport', 'destport="22"').replace('protocol,', 'protocol="6",').replace('action', 'action="REJECT"')}]`;
    assert.deepEqual(matches(sshRejects, FLOW), [FLOW[3]]);
    const ssh = `[${FLOW_FIELDS.replace('destport', 'destport=22')}]`;
    assert.deepEqual(matches(ssh, FLOW), [FLOW[0], FLOW[3]]);
    // Without conditions every record with exactly 14 fields matches.
    assert.equal(matches(`[${FLOW_FIELDS}]`, FLOW).length, FLOW.length);
  });

  it('numeric comparisons skip non-numeric fields', () => {
    const big = `[${FLOW_FIELDS.replace('bytes', 'bytes>=4249')}]`;
    assert.deepEqual(matches(big, FLOW), [FLOW[0], FLOW[1]]);
    const small = `[${FLOW_FIELDS.replace('packets', 'packets < 5')}]`;
    assert.deepEqual(matches(small, FLOW), [FLOW[2], FLOW[3]]);
  });

  it('!=, wildcards, && and || on one field', () => {
    assert.deepEqual(matches(`[${FLOW_FIELDS.replace('action', 'action!=ACCEPT')}]`, FLOW), [FLOW[1], FLOW[3], FLOW[4]]);
    assert.deepEqual(matches(`[${FLOW_FIELDS.replace('source', 'source=172.31.9.*')}]`, FLOW), [FLOW[1]]);
    assert.deepEqual(matches(`[${FLOW_FIELDS.replace('destport', 'destport=22 || destport=3389')}]`, FLOW), [FLOW[0], FLOW[1], FLOW[3]]);
    assert.deepEqual(matches(`[${FLOW_FIELDS.replace('bytes', 'bytes > 100 && bytes < 1000')}]`, FLOW), [FLOW[2]]);
  });

  it('... stands for any number of fields', () => {
    assert.deepEqual(matches('[version, ..., action="REJECT", status]', FLOW), [FLOW[1], FLOW[3]]);
    assert.deepEqual(matches('[..., status=NODATA]', FLOW), [FLOW[4]]);
    assert.deepEqual(matches('[version=2, account, ...]', FLOW).length, FLOW.length);
    // A pattern with more fields than the event does not match.
    assert.deepEqual(matches('[a, b, c, d, e, f, g, h, i, j, k, l, m, n, o]', FLOW), []);
  });

  it('refuses malformed patterns', () => {
    assert.throws(() => compileFilterPattern('[a, , b]'), FilterPatternError);
    assert.throws(() => compileFilterPattern('[a, a]'), FilterPatternError);
    assert.throws(() => compileFilterPattern('[a = "x"'), FilterPatternError);
    assert.throws(() => compileFilterPattern('[a > "x"]'), FilterPatternError);
  });
});

describe('filter patterns: JSON', () => {
  const docs = [
    JSON.stringify({ eventType: 'UpdateTrail', user: { id: 42, name: 'alice' }, latency: 1.7, error: false, tags: ['a', 'b'], gone: null }),
    JSON.stringify({ eventType: 'CreateTrail', user: { id: 7, name: 'bob' }, latency: 0.2, error: true, tags: ['c'] }),
    'not json at all',
  ];

  it('compares strings and numbers, with wildcards', () => {
    assert.deepEqual(matches('{ $.eventType = "UpdateTrail" }', docs), [docs[0]]);
    assert.deepEqual(matches('{ $.eventType = *Trail }', docs), docs.slice(0, 2));
    assert.deepEqual(matches('{ $.user.id = 42 }', docs), [docs[0]]);
    assert.deepEqual(matches('{ $.latency > 1 }', docs), [docs[0]]);
    assert.deepEqual(matches('{ $.user.name != "alice" }', docs), [docs[1]]);
    assert.deepEqual(matches('{ $.tags[0] = "c" }', docs), [docs[1]]);
  });

  it('&&, || and parentheses', () => {
    assert.deepEqual(matches('{ ($.user.id = 7 || $.latency > 1) && $.eventType = "UpdateTrail" }', docs), [docs[0]]);
    assert.deepEqual(matches('{ $.user.id = 7 || $.latency > 1 }', docs), docs.slice(0, 2));
  });

  it('IS TRUE / IS FALSE / IS NULL / NOT EXISTS', () => {
    assert.deepEqual(matches('{ $.error IS TRUE }', docs), [docs[1]]);
    assert.deepEqual(matches('{ $.error IS FALSE }', docs), [docs[0]]);
    assert.deepEqual(matches('{ $.gone IS NULL }', docs), [docs[0]]);
    assert.deepEqual(matches('{ $.gone NOT EXISTS }', docs), [docs[1]]);
  });

  it('refuses malformed JSON patterns', () => {
    assert.throws(() => compileFilterPattern('{ $.a = 1'), FilterPatternError);
    assert.throws(() => compileFilterPattern('{ a = 1 }'), FilterPatternError);
    assert.throws(() => compileFilterPattern('{ $.a > "x" }'), FilterPatternError);
    assert.throws(() => compileFilterPattern('{ }'), FilterPatternError);
  });
});
