/**
 * The order of a stable sort by a numeric key, for the columns of times that traffic, flow logs
 * and log events are put in order by.
 */

/**
 * The positions of `keys` in increasing order of key, equal keys in their own order (a stable
 * sort's permutation), or undefined when the keys are in order already. Whole keys close together
 * (spanning at most a few times their count, as the seconds or milliseconds of a batch of traffic
 * do) are counted into place; other whole keys are sorted natively, packed with their position
 * into one exact number; anything else by comparison.
 */
export function stableOrder(keys: ArrayLike<number>): number[] | undefined {
  const n = keys.length;
  let min = Infinity;
  let max = -Infinity;
  let sorted = true;
  let whole = true;
  for (let k = 0; k < n; k++) {
    const t = keys[k]!;
    if (!Number.isInteger(t)) whole = false;
    if (k > 0 && t < keys[k - 1]!) sorted = false;
    if (t < min) min = t;
    if (t > max) max = t;
  }
  if (sorted) return undefined;
  const out = new Array<number>(n);
  const span = max - min + 1;
  if (whole && span <= 8 * n + 1024) {
    const at = new Int32Array(span + 1);
    for (let k = 0; k < n; k++) at[keys[k]! - min + 1]!++;
    for (let t = 1; t <= span; t++) at[t]! += at[t - 1]!;
    for (let k = 0; k < n; k++) out[at[keys[k]! - min]!++] = k;
    return out;
  }
  if (whole && span * n < 2 ** 53) {
    const packed = new Float64Array(n);
    for (let k = 0; k < n; k++) packed[k] = (keys[k]! - min) * n + k;
    packed.sort();
    for (let k = 0; k < n; k++) out[k] = packed[k]! % n;
    return out;
  }
  for (let k = 0; k < n; k++) out[k] = k;
  return out.sort((a, b) => keys[a]! - keys[b]! || a - b);
}
