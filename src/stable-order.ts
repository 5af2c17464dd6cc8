/**
 * The order of a stable sort by a numeric key, for the columns of times that traffic, flow logs
 * and log events are put in order by.
 *
 * Keys always come as a Float64Array: one kind of array keeps the optimized code of the loops
 * below valid for every caller (an array of another kind would throw it away, and a loop over
 * hundreds of thousands of keys would then run unoptimized until compiled again). The columns
 * the work is done in are kept from call to call (up to KEEP_ENTRIES): a large typed array
 * allocated each time counts as external memory, which makes V8 collect garbage early.
 */

/** Scratch columns up to this many entries are kept between calls; larger ones are made per call. */
const KEEP_ENTRIES = 1 << 20;

let keyScratch: Float64Array = new Float64Array(1024);
let packScratch: Float64Array = new Float64Array(1024);
let countScratch: Int32Array = new Int32Array(1024);

function f64(scratch: Float64Array, n: number): Float64Array {
  if (n <= scratch.length) return scratch;
  return new Float64Array(Math.max(n, Math.min(2 * scratch.length, KEEP_ENTRIES)));
}

/**
 * A column of at least `n` entries for keys (passed to stableOrder with `n`), reused: valid
 * until the next call of keyColumn or orderOf.
 */
export function keyColumn(n: number): Float64Array {
  const c = f64(keyScratch, n);
  if (c.length <= KEEP_ENTRIES) keyScratch = c;
  return c;
}

/** stableOrder of the values of an array. */
export function orderOf(values: readonly number[]): number[] | undefined {
  const n = values.length;
  const keys = keyColumn(n);
  for (let k = 0; k < n; k++) keys[k] = values[k]!;
  return stableOrder(keys, n);
}

/**
 * The positions of the first `n` keys in increasing order of key, equal keys in their own order
 * (a stable sort's permutation), or undefined when the keys are in order already. Whole keys
 * close together (spanning at most a few times their count, as the seconds or milliseconds of a
 * batch of traffic do) are counted into place; other whole keys are sorted natively, packed with
 * their position into one exact number; anything else by comparison.
 */
export function stableOrder(keys: Float64Array, n: number = keys.length): number[] | undefined {
  let min = Infinity;
  let max = -Infinity;
  let sorted = true;
  let whole = true;
  let prev = -Infinity;
  for (let k = 0; k < n; k++) {
    const t = keys[k]!;
    if (t !== Math.floor(t)) whole = false;
    if (t < prev) sorted = false;
    if (t < min) min = t;
    if (t > max) max = t;
    prev = t;
  }
  if (sorted) return undefined;
  const out = new Array<number>(n);
  const span = max - min + 1;
  if (whole && span <= 8 * n + 1024) {
    let at = countScratch;
    if (span + 1 > at.length) {
      at = new Int32Array(Math.max(span + 1, Math.min(2 * at.length, KEEP_ENTRIES)));
      if (at.length <= KEEP_ENTRIES) countScratch = at;
    }
    at.fill(0, 0, span + 1);
    for (let k = 0; k < n; k++) at[keys[k]! - min + 1]!++;
    for (let t = 1; t <= span; t++) at[t]! += at[t - 1]!;
    for (let k = 0; k < n; k++) out[at[keys[k]! - min]!++] = k;
    return out;
  }
  if (whole && span * n < 2 ** 53) {
    const scratch = f64(packScratch, n);
    if (scratch.length <= KEEP_ENTRIES) packScratch = scratch;
    const packed = scratch.subarray(0, n);
    for (let k = 0; k < n; k++) packed[k] = (keys[k]! - min) * n + k;
    packed.sort();
    for (let k = 0; k < n; k++) out[k] = packed[k]! % n;
    return out;
  }
  for (let k = 0; k < n; k++) out[k] = k;
  return out.sort((a, b) => keys[a]! - keys[b]! || a - b);
}
