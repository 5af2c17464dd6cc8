/** The stable order of numeric keys (src/stable-order.ts) that traffic, flow logs and log events are sorted by. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyColumn, orderOf, stableOrder } from '../src/stable-order.js';
import { seededRandom } from './helpers.js';

/** What a stable sort by key gives: positions, equal keys in their own order. */
function expected(keys: number[]): number[] {
  return keys.map((t, k) => ({ t, k })).sort((a, b) => a.t - b.t || a.k - b.k).map((x) => x.k);
}

describe('stable order of keys', () => {
  it('matches a stable sort on every path, for lists larger and smaller than those before them', () => {
    const rnd = seededRandom(7);
    // Sizes up and down, across the columns it keeps (so that what a larger call left in them is there).
    const sizes = [3000, 10, 70_000, 1, 0, 5000, 40, 200_000, 17, 1500];
    for (let round = 0; round < 60; round++) {
      const n = sizes[round % sizes.length]!;
      const kind = round % 3;
      // Close whole keys (counted), far apart whole keys (packed and sorted natively), fractions (compared).
      const spread = kind === 0 ? 1 + rnd(2 * n + 10) : 1e9;
      const keys = Array.from({ length: n }, () => 1_764_000_000_000 + rnd(spread) + (kind === 2 ? rnd(4) / 4 : 0));
      const order = orderOf(keys);
      const want = expected(keys);
      const inOrder = want.every((k, i) => k === i);
      if (inOrder) assert.equal(order, undefined, `round ${round}: already in order`);
      else assert.deepEqual(order, want, `round ${round} (${n} keys, kind ${kind})`);
    }
  });

  it('reads only the first n keys of a column', () => {
    const col = keyColumn(6);
    col.set([5, 3, 9, 1, 2, 8]);
    assert.deepEqual(stableOrder(col, 3), [1, 0, 2]);
    assert.equal(stableOrder(col, 1), undefined);
    col.set([1, 2, 3]);
    assert.equal(stableOrder(col, 3), undefined, 'keys in order: nothing to do');
  });

  it('keeps equal keys in their order and handles negative and non-finite keys', () => {
    assert.deepEqual(orderOf([2, 1, 2, 1, 0]), [4, 1, 3, 0, 2]);
    assert.deepEqual(orderOf([5, -3, -3, 0]), [1, 2, 3, 0]);
    assert.deepEqual(orderOf([Infinity, 1, -Infinity]), [2, 1, 0]);
  });
});
