/**
 * IPv4 and IPv6 addresses and CIDR blocks. Pure functions; IPv4 as unsigned 32-bit numbers,
 * IPv6 as bigints.
 */

export interface Cidr4 {
  version: 4;
  /** Network address (host bits cleared). */
  base: number;
  prefix: number;
}

export interface Cidr6 {
  version: 6;
  base: bigint;
  prefix: number;
}

export type Cidr = Cidr4 | Cidr6;

/**
 * A dotted quad's number: four decimal octets of one to three digits (no leading zero), each at
 * most 255; anything else undefined. One pass over the characters (flow logs read addresses back
 * from text this way).
 */
export function parseIpv4(s: string): number | undefined {
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || octet > 255 || ++dots > 3) return undefined;
      n = n * 256 + octet;
      octet = 0;
      digits = 0;
      continue;
    }
    if (c < 48 || c > 57 || (digits > 0 && octet === 0) || ++digits > 3) return undefined;
    octet = octet * 10 + (c - 48);
  }
  if (dots !== 3 || digits === 0 || octet > 255) return undefined;
  return n * 256 + octet;
}

const dotted = new Uint16Array(15);

/**
 * Dotted quad of an IPv4 address. Its characters are written into a scratch array, then made one
 * flat string by String.fromCharCode with each as an argument: cheaper to make than joined pieces
 * or a string read back from bytes, and cheap to hash and copy later (flow log records do both).
 */
export function formatIpv4(n: number): string {
  const d = dotted;
  let k = 0;
  for (let shift = 24; shift >= 0; shift -= 8) {
    const o = (n >>> shift) & 255;
    if (o >= 100) {
      d[k++] = 48 + ((o / 100) | 0);
      d[k++] = 48 + (((o / 10) | 0) % 10);
    } else if (o >= 10) d[k++] = 48 + ((o / 10) | 0);
    d[k++] = 48 + (o % 10);
    if (shift !== 0) d[k++] = 46;
  }
  // 7 ("0.0.0.0") to 15 characters.
  switch (k) {
    case 7:
      return String.fromCharCode(d[0]!, d[1]!, d[2]!, d[3]!, d[4]!, d[5]!, d[6]!);
    case 8:
      return String.fromCharCode(d[0]!, d[1]!, d[2]!, d[3]!, d[4]!, d[5]!, d[6]!, d[7]!);
    case 9:
      return String.fromCharCode(d[0]!, d[1]!, d[2]!, d[3]!, d[4]!, d[5]!, d[6]!, d[7]!, d[8]!);
    case 10:
      return String.fromCharCode(d[0]!, d[1]!, d[2]!, d[3]!, d[4]!, d[5]!, d[6]!, d[7]!, d[8]!, d[9]!);
    case 11:
      return String.fromCharCode(d[0]!, d[1]!, d[2]!, d[3]!, d[4]!, d[5]!, d[6]!, d[7]!, d[8]!, d[9]!, d[10]!);
    case 12:
      return String.fromCharCode(d[0]!, d[1]!, d[2]!, d[3]!, d[4]!, d[5]!, d[6]!, d[7]!, d[8]!, d[9]!, d[10]!, d[11]!);
    case 13:
      return String.fromCharCode(d[0]!, d[1]!, d[2]!, d[3]!, d[4]!, d[5]!, d[6]!, d[7]!, d[8]!, d[9]!, d[10]!, d[11]!, d[12]!);
    case 14:
      return String.fromCharCode(d[0]!, d[1]!, d[2]!, d[3]!, d[4]!, d[5]!, d[6]!, d[7]!, d[8]!, d[9]!, d[10]!, d[11]!, d[12]!, d[13]!);
    default:
      return String.fromCharCode(d[0]!, d[1]!, d[2]!, d[3]!, d[4]!, d[5]!, d[6]!, d[7]!, d[8]!, d[9]!, d[10]!, d[11]!, d[12]!, d[13]!, d[14]!);
  }
}

/** An IPv4 (number) or IPv6 (bigint) address as text. */
export function formatAddr(a: number | bigint): string {
  return typeof a === 'bigint' ? formatIpv6(a) : formatIpv4(a);
}

export function parseIpv6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length > 45) return undefined;
  let text = s;
  // Embedded IPv4 tail.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIpv4(tail);
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}${((v4 >>> 16) & 0xffff).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  if (halves.length === 1 && head.length !== 8) return undefined;
  if (halves.length === 2 && head.length + rest.length > 7) return undefined;
  const groups = [...head, ...new Array<string>(8 - head.length - rest.length).fill('0'), ...rest];
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return n;
}

export function formatIpv6(n: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  // Longest run of zeros (length ≥ 2) becomes '::' (RFC 5952).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function mask4(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function mask6(prefix: number): bigint {
  return prefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n);
}

const parsed = new Map<string, Cidr | null>();
const PARSE_CACHE_LIMIT = 200_000;

/**
 * Parses "a.b.c.d/n" or "x::/n"; host bits are cleared (AWS canonicalises). Results are
 * memoised: the same block strings are read over and over (overlap checks, filters, routing).
 * Callers must not mutate the returned object.
 */
export function parseCidr(s: string): Cidr | undefined {
  const hit = parsed.get(s);
  if (hit !== undefined) return hit ?? undefined;
  const c = parseCidrUncached(s);
  if (parsed.size >= PARSE_CACHE_LIMIT) parsed.clear();
  parsed.set(s, c ? Object.freeze(c) : null);
  return c;
}

function parseCidrUncached(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = s.slice(0, slash);
  const p = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(p)) return undefined;
  const prefix = Number(p);
  if (addr.includes(':')) {
    const n = parseIpv6(addr);
    if (n === undefined || prefix > 128) return undefined;
    return { version: 6, base: n & mask6(prefix), prefix };
  }
  const n = parseIpv4(addr);
  if (n === undefined || prefix > 32) return undefined;
  return { version: 4, base: (n & mask4(prefix)) >>> 0, prefix };
}

export function parseCidr4(s: string): Cidr4 | undefined {
  const c = parseCidr(s);
  return c?.version === 4 ? c : undefined;
}

export function parseCidr6(s: string): Cidr6 | undefined {
  const c = parseCidr(s);
  return c?.version === 6 ? c : undefined;
}

export function formatCidr(c: Cidr): string {
  return c.version === 4 ? `${formatIpv4(c.base)}/${c.prefix}` : `${formatIpv6(c.base)}/${c.prefix}`;
}

/** True when the address string was given with host bits set ("10.0.0.5/16"). */
export function hasHostBits(s: string): boolean {
  const c = parseCidr(s);
  if (!c) return false;
  const addr = s.slice(0, s.indexOf('/'));
  return c.version === 4 ? parseIpv4(addr) !== c.base : parseIpv6(addr) !== c.base;
}

export function size4(c: Cidr4): number {
  return 2 ** (32 - c.prefix);
}

export function last4(c: Cidr4): number {
  return c.base + size4(c) - 1;
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  if (outer.version !== inner.version || inner.prefix < outer.prefix) return false;
  if (outer.version === 4) return ((inner.base as number) & mask4(outer.prefix)) >>> 0 === outer.base;
  return ((inner.base as bigint) & mask6(outer.prefix)) === outer.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return contains(a, b) || contains(b, a);
}

export function containsIp4(c: Cidr4, ip: number): boolean {
  return ((ip & mask4(c.prefix)) >>> 0) === c.base;
}

export function containsIp6(c: Cidr6, ip: bigint): boolean {
  return (ip & mask6(c.prefix)) === c.base;
}

/** Named IPv4 ranges AWS rules refer to. */
export const RANGES = {
  rfc1918: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((s) => parseCidr4(s)!),
  ten: parseCidr4('10.0.0.0/8')!,
  oneSevenTwo: parseCidr4('172.16.0.0/12')!,
  oneNineTwo: parseCidr4('192.168.0.0/16')!,
  sharedAddressSpace: parseCidr4('100.64.0.0/10')!,
  benchmarking: parseCidr4('198.19.0.0/16')!,
  linkLocal: parseCidr4('169.254.0.0/16')!,
  multicast: parseCidr4('224.0.0.0/4')!,
  loopback: parseCidr4('127.0.0.0/8')!,
  thisNetwork: parseCidr4('0.0.0.0/8')!,
};

export function isRfc1918(c: Cidr4): boolean {
  return RANGES.rfc1918.some((r) => contains(r, c));
}
