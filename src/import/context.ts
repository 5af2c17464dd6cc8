/**
 * What every importer shares: the export being read, the scope it writes to, and the checks
 * that turn a malformed file into an error naming the file and the item.
 */
import type { Config } from '../config.js';
import type { RequestContext } from '../services/context.js';
import { ScopedState, type Transaction } from '../state/store.js';

// Exported JSON is read loosely and checked field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** A file of the export that cannot be imported: nothing is written. */
export class ImportError extends Error {
  constructor(
    readonly file: string,
    readonly item: string | undefined,
    message: string,
  ) {
    super(`${file}${item ? `: ${item}` : ''}: ${message}`);
  }
}

/** One describe-* output, read and recognised. */
export interface ExportFile {
  /** Path relative to the export folder, for messages. */
  name: string;
  body: Json;
}

/** The files of one region of one account, by the list they hold (top-level key). */
export interface RegionExport {
  account: string;
  region: string;
  files: Map<string, ExportFile[]>;
  /** get-managed-prefix-list-entries-<pl-id>.json, by prefix list ID. */
  prefixListEntries: Map<string, ExportFile>;
  /** describe-vpc-attribute outputs, by VPC ID. */
  vpcAttributes: Map<string, Array<{ file: ExportFile; attribute: string; value: boolean }>>;
}

/** An import in progress: one transaction for every scope. */
export interface ImportRun {
  tx: Transaction;
  config: Config;
  now: Date;
  warnings: string[];
}

/** One scope (account and region) being written. */
export class ScopeImport {
  readonly state: ScopedState;
  readonly ctx: RequestContext;
  /** IDs imported in this scope, by kind (for references between families). */
  readonly ids = new Map<string, Set<string>>();
  /** AWS-managed prefix list IDs of the export → the IDs vpcsim gives those lists. */
  readonly prefixListMap = new Map<string, string>();
  /** The network ACL each subnet is associated with. */
  readonly aclOfSubnet = new Map<string, string>();

  constructor(
    readonly run: ImportRun,
    readonly data: RegionExport,
  ) {
    this.state = new ScopedState(run.tx, `${data.account}/${data.region}`);
    this.ctx = {
      account: data.account,
      region: data.region,
      requestId: 'import',
      state: this.state,
      config: run.config,
      now: run.now,
      caller: { accessKeyId: '', account: data.account, region: data.region },
    };
  }

  get account(): string {
    return this.data.account;
  }

  get region(): string {
    return this.data.region;
  }

  /** The items of every file holding `key` (e.g. "Vpcs"), each with its file. */
  items(key: string): Array<{ file: ExportFile; item: Json; index: number }> {
    const out: Array<{ file: ExportFile; item: Json; index: number }> = [];
    for (const file of this.data.files.get(key) ?? []) {
      // describe-prefix-lists and describe-managed-prefix-lists both print PrefixLists.
      const list = file.body[key === 'AwsPrefixLists' ? 'PrefixLists' : key];
      list.forEach((item: Json, index: number) => out.push({ file, item, index }));
    }
    return out;
  }

  has(key: string): boolean {
    return this.data.files.has(key);
  }

  put<T>(kind: string, id: string, value: T): T {
    this.state.put(kind, id, value);
    let set = this.ids.get(kind);
    if (!set) this.ids.set(kind, (set = new Set()));
    set.add(id);
    return value;
  }

  imported(kind: string, id: string | undefined): boolean {
    return id !== undefined && !!this.ids.get(kind)?.has(id);
  }

  warn(message: string): void {
    this.run.warnings.push(`${this.account}/${this.region}: ${message}`);
  }
}

/** Checks on one item of a file; every failure names the file and the item. */
export class Check {
  constructor(
    readonly file: ExportFile,
    readonly item: string,
  ) {}

  fail(message: string): never {
    throw new ImportError(this.file.name, this.item, message);
  }

  /** A string field (required unless `optional`). */
  str(obj: Json, field: string, opts: { pattern?: RegExp; optional?: boolean } = {}): string {
    const v = obj?.[field];
    if (v === undefined || v === null) {
      if (opts.optional) return undefined as unknown as string;
      this.fail(`${field} is missing`);
    }
    if (typeof v !== 'string') this.fail(`${field} must be a string, not ${JSON.stringify(v)}`);
    if (opts.pattern && !opts.pattern.test(v)) this.fail(`${field} '${v}' is not a valid value`);
    return v;
  }

  optStr(obj: Json, field: string, pattern?: RegExp): string | undefined {
    return this.str(obj, field, { pattern, optional: true }) ?? undefined;
  }

  num(obj: Json, field: string, optional = false): number {
    const v = obj?.[field];
    if (v === undefined || v === null) {
      if (optional) return undefined as unknown as number;
      this.fail(`${field} is missing`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(`${field} must be a number, not ${JSON.stringify(v)}`);
    return v;
  }

  bool(obj: Json, field: string, fallback?: boolean): boolean {
    const v = obj?.[field];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.fail(`${field} is missing`);
    }
    if (typeof v !== 'boolean') this.fail(`${field} must be true or false, not ${JSON.stringify(v)}`);
    return v;
  }

  list(obj: Json, field: string): Json[] {
    const v = obj?.[field];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(`${field} must be a list`);
    return v;
  }

  /** A timestamp as the CLI prints it, stored as an ISO string. */
  time(obj: Json, field: string, fallback?: Date): string {
    const v = obj?.[field];
    if (v === undefined || v === null) {
      if (fallback) return fallback.toISOString();
      this.fail(`${field} is missing`);
    }
    const t = typeof v === 'number' ? v * 1000 : typeof v === 'string' ? Date.parse(v) : NaN;
    if (!Number.isFinite(t)) this.fail(`${field} '${v}' is not a timestamp`);
    return new Date(t).toISOString();
  }

  /** Tags as the CLI prints them (Key/Value pairs): [] when the export shows none, undefined when it has no such member. */
  tags(obj: Json, field = 'Tags'): Array<{ Key: string; Value: string }> | undefined {
    if (obj?.[field] === undefined || obj?.[field] === null) return undefined;
    const list = this.list(obj, field);
    return list.map((t) => ({ Key: this.str(t, 'Key'), Value: typeof t?.Value === 'string' ? t.Value : '' }));
  }
}

/** An AWS ID of the form prefix-hex (8 or 17 digits), as vpcsim accepts them. */
export function idPattern(prefix: string): RegExp {
  return new RegExp(`^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`);
}

export const ACCOUNT = /^\d{12}$/;

/** A deep copy without `undefined` members (what the store would keep of the record). */
export function clean<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
