/**
 * Positions 0..n-1 grouped by `groupOf` (groups 0..groups-1, in that order), each group's in
 * their own order: a counting sort. Flow log pipelines take a batch's observations grouped by
 * interface this way (see groupOrder in flow-log-delivery.ts).
 */
export function orderByGroup(groupOf: Int32Array, groups: number): Int32Array {
  const n = groupOf.length;
  const starts = new Int32Array(groups);
  for (let k = 0; k < n; k++) starts[groupOf[k]!]!++;
  let at = 0;
  for (let g = 0; g < groups; g++) {
    const c = starts[g]!;
    starts[g] = at;
    at += c;
  }
  const order = new Int32Array(n);
  for (let k = 0; k < n; k++) order[starts[groupOf[k]!]!++] = k;
  return order;
}
