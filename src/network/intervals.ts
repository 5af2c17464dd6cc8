/**
 * Sets of integers as sorted, disjoint, non-adjacent inclusive intervals: ports (0-65535),
 * ICMP types, IPv4 addresses (0 to 2^32-1). Immutable; every operation is a linear merge
 * of the two interval lists.
 *
 * Stored flat: `[lo0, hi0, lo1, hi1, ...]` with lo0 ≤ hi0 < hi0 + 1 < lo1 ≤ hi1 ...
 */

export type Range = readonly [number, number];

export class IntervalSet {
  private constructor(
    /** Flat bounds, normalised (sorted, disjoint, adjacent intervals merged). */
    readonly bounds: readonly number[],
  ) {}

  static readonly EMPTY = new IntervalSet([]);

  /** [lo, hi] inclusive (empty when lo > hi). */
  static range(lo: number, hi: number): IntervalSet {
    return lo > hi ? IntervalSet.EMPTY : new IntervalSet([lo, hi]);
  }

  static point(n: number): IntervalSet {
    return new IntervalSet([n, n]);
  }

  /** Any ranges, in any order, overlapping or not. */
  static of(ranges: Iterable<Range>): IntervalSet {
    const rs: [number, number][] = [];
    for (const [lo, hi] of ranges) if (lo <= hi) rs.push([lo, hi]);
    if (rs.length === 0) return IntervalSet.EMPTY;
    rs.sort((a, b) => a[0] - b[0]);
    const out: number[] = [];
    let lo = rs[0]![0];
    let hi = rs[0]![1];
    for (let i = 1; i < rs.length; i++) {
      const r = rs[i]!;
      if (r[0] <= hi + 1) {
        if (r[1] > hi) hi = r[1];
      } else {
        out.push(lo, hi);
        lo = r[0];
        hi = r[1];
      }
    }
    out.push(lo, hi);
    return new IntervalSet(out);
  }

  get isEmpty(): boolean {
    return this.bounds.length === 0;
  }

  /** Number of intervals. */
  get count(): number {
    return this.bounds.length >> 1;
  }

  /** Number of integers in the set. */
  get size(): number {
    let n = 0;
    const b = this.bounds;
    for (let i = 0; i < b.length; i += 2) n += b[i + 1]! - b[i]! + 1;
    return n;
  }

  /** The smallest member (undefined when empty). */
  get min(): number | undefined {
    return this.bounds[0];
  }

  has(n: number): boolean {
    const b = this.bounds;
    // Binary search over intervals.
    let lo = 0;
    let hi = (b.length >> 1) - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (n < b[2 * mid]!) hi = mid - 1;
      else if (n > b[2 * mid + 1]!) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** Whether the set holds every integer of [lo, hi]. */
  covers(lo: number, hi: number): boolean {
    const b = this.bounds;
    for (let i = 0; i < b.length; i += 2) if (b[i]! <= lo && hi <= b[i + 1]!) return true;
    return false;
  }

  ranges(): Range[] {
    const out: Range[] = [];
    const b = this.bounds;
    for (let i = 0; i < b.length; i += 2) out.push([b[i]!, b[i + 1]!]);
    return out;
  }

  equals(o: IntervalSet): boolean {
    if (o === this) return true;
    const a = this.bounds;
    const b = o.bounds;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  union(o: IntervalSet): IntervalSet {
    if (o.isEmpty) return this;
    if (this.isEmpty) return o;
    const a = this.bounds;
    const b = o.bounds;
    const out: number[] = [];
    let i = 0;
    let j = 0;
    let lo = 0;
    let hi = -2;
    let started = false;
    while (i < a.length || j < b.length) {
      let nlo: number;
      let nhi: number;
      if (j >= b.length || (i < a.length && a[i]! <= b[j]!)) {
        nlo = a[i]!;
        nhi = a[i + 1]!;
        i += 2;
      } else {
        nlo = b[j]!;
        nhi = b[j + 1]!;
        j += 2;
      }
      if (!started) {
        lo = nlo;
        hi = nhi;
        started = true;
      } else if (nlo <= hi + 1) {
        if (nhi > hi) hi = nhi;
      } else {
        out.push(lo, hi);
        lo = nlo;
        hi = nhi;
      }
    }
    out.push(lo, hi);
    return new IntervalSet(out);
  }

  intersect(o: IntervalSet): IntervalSet {
    if (this.isEmpty || o.isEmpty) return IntervalSet.EMPTY;
    const a = this.bounds;
    const b = o.bounds;
    const out: number[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      const lo = a[i]! > b[j]! ? a[i]! : b[j]!;
      const hi = a[i + 1]! < b[j + 1]! ? a[i + 1]! : b[j + 1]!;
      if (lo <= hi) out.push(lo, hi);
      if (a[i + 1]! < b[j + 1]!) i += 2;
      else j += 2;
    }
    if (out.length === a.length && out.every((x, k) => x === a[k])) return this;
    return out.length === 0 ? IntervalSet.EMPTY : new IntervalSet(out);
  }

  /** The members of this set that are not in `o`. */
  subtract(o: IntervalSet): IntervalSet {
    if (this.isEmpty || o.isEmpty) return this;
    const a = this.bounds;
    const b = o.bounds;
    const out: number[] = [];
    let j = 0;
    for (let i = 0; i < a.length; i += 2) {
      let lo = a[i]!;
      const hi = a[i + 1]!;
      while (j < b.length && b[j + 1]! < lo) j += 2;
      let k = j;
      while (k < b.length && b[k]! <= hi) {
        if (b[k]! > lo) out.push(lo, b[k]! - 1);
        lo = b[k + 1]! + 1;
        if (lo > hi) break;
        k += 2;
      }
      if (lo <= hi) out.push(lo, hi);
    }
    return out.length === 0 ? IntervalSet.EMPTY : new IntervalSet(out);
  }

  /** [lo, hi] minus this set. */
  complement(lo: number, hi: number): IntervalSet {
    return IntervalSet.range(lo, hi).subtract(this);
  }

  /** "22,443,8000-8049" (empty: ""). */
  toString(): string {
    const parts: string[] = [];
    const b = this.bounds;
    for (let i = 0; i < b.length; i += 2) parts.push(b[i] === b[i + 1] ? String(b[i]) : `${b[i]}-${b[i + 1]}`);
    return parts.join(',');
  }

  /** Parses what toString() prints. */
  static parse(s: string): IntervalSet {
    if (s.trim() === '') return IntervalSet.EMPTY;
    return IntervalSet.of(
      s.split(',').map((p): Range => {
        const [a, b] = p.split('-');
        return [Number(a), Number(b ?? a)];
      }),
    );
  }
}

/** Every TCP/UDP port. */
export const ALL_PORTS = IntervalSet.range(0, 65535);
/** Every IPv4 address. */
export const ALL_IPV4 = IntervalSet.range(0, 0xffffffff);

/**
 * The index of the piece holding `x` when sorted cut points (the first at or below any `x`
 * asked for) split a line into pieces: the last cut at or below `x`.
 */
export function cutIndex(cuts: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = cuts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (cuts[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
