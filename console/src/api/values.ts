/** Reading loosely typed AWS records (parsed XML or JSON) safely. */
// Records from the wire: keys are the protocol's member names (EC2: camelCase, e.g. vpcId).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Rec = Record<string, any>;

export function arr<T = Rec>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

export function bool(v: unknown): boolean {
  return v === true || v === 'true';
}

export function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return undefined;
}

/** Tags of an EC2 record (tagSet of {key, value}) or a JSON one (tags/Tags of {key, value}). */
export function tagsOf(r: Rec | undefined): Array<{ key: string; value: string }> {
  if (!r) return [];
  const raw = r.tagSet ?? r.tags ?? r.Tags ?? [];
  return arr(raw).map((t) => ({ key: str(t.key ?? t.Key), value: str(t.value ?? t.Value) }));
}

export function nameTag(r: Rec | undefined): string | undefined {
  return tagsOf(r).find((t) => t.key === 'Name')?.value || undefined;
}
