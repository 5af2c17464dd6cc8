/**
 * CloudWatch Logs filter patterns (FilterLogEvents, metric and subscription filters):
 *
 * - text terms: `ERROR Exception` (all terms), `"quoted phrase"`, `-term` (must not occur),
 *   `?ERROR ?WARN` (any of the `?` groups: `?"a" "b" ?"c"` is (a and b) or c), `%regex%`;
 * - JSON patterns: `{ $.user.id = 42 && ($.status != "ok" || $.latency > 1.5) }`, with
 *   `IS NULL`, `NOT EXISTS`, `IS TRUE`/`IS FALSE`, `*` wildcards and `%regex%` values;
 * - space-delimited patterns: `[ip, user, ..., status = 4* || status = 5*, bytes > 1000]`, where
 *   a log event's fields are separated by spaces, `"…"` and `[…]` each make one field, and
 *   `...` stands for any number of fields.
 *
 * Matching is case sensitive. `compileFilterPattern` parses once; the result tests messages.
 */

export class FilterPatternError extends Error {}

export type MessageMatcher = (message: string) => boolean;

/** Parses a filter pattern; throws FilterPatternError for one CloudWatch would refuse. */
export function compileFilterPattern(pattern: string | undefined): MessageMatcher {
  const text = (pattern ?? '').trim();
  if (text === '') return () => true;
  if (text.startsWith('{')) return compileJson(text);
  if (text.startsWith('[')) return compileDelimited(text);
  return compileTerms(text);
}

// ---------------------------------------------------------------------------------------------
// Values: strings with `*` wildcards, numbers, %regex%.

interface Literal {
  kind: 'string' | 'number' | 'regex';
  text: string;
  quoted: boolean;
  number?: number;
  re?: RegExp;
}

const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

function wildcardRegExp(text: string): RegExp {
  const src = text
    .split('*')
    .map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('[\\s\\S]*');
  return new RegExp(`^${src}$`);
}

function regexLiteral(body: string): RegExp {
  try {
    return new RegExp(body);
  } catch {
    throw new FilterPatternError(`Invalid regular expression '%${body}%'`);
  }
}

function makeLiteral(text: string, quoted: boolean): Literal {
  if (!quoted && text.length >= 2 && text.startsWith('%') && text.endsWith('%')) {
    return { kind: 'regex', text, quoted, re: regexLiteral(text.slice(1, -1)) };
  }
  if (!quoted && NUMBER.test(text)) return { kind: 'number', text, quoted, number: Number(text) };
  return { kind: 'string', text, quoted, re: text.includes('*') ? wildcardRegExp(text) : undefined };
}

type Op = '=' | '!=' | '<' | '<=' | '>' | '>=';

/** A field's value compared with a literal, as both JSON and space-delimited patterns do. */
function compare(value: unknown, op: Op, lit: Literal): boolean {
  if (value === undefined) return false;
  if (op === '<' || op === '<=' || op === '>' || op === '>=') {
    if (lit.kind !== 'number') return false;
    const n = typeof value === 'number' ? value : typeof value === 'string' && NUMBER.test(value.trim()) ? Number(value) : NaN;
    if (Number.isNaN(n)) return false;
    const l = lit.number!;
    return op === '<' ? n < l : op === '<=' ? n <= l : op === '>' ? n > l : n >= l;
  }
  let eq: boolean;
  if (value === null || typeof value === 'object') eq = false;
  else if (lit.kind === 'regex') eq = lit.re!.test(String(value));
  else if (lit.kind === 'number') {
    const n = typeof value === 'number' ? value : typeof value === 'string' && NUMBER.test(value.trim()) ? Number(value) : NaN;
    eq = Number.isNaN(n) ? String(value) === lit.text : n === lit.number;
  } else {
    const s = String(value);
    eq = lit.re ? lit.re.test(s) : s === lit.text;
  }
  return op === '=' ? eq : !eq;
}

// ---------------------------------------------------------------------------------------------
// A small tokenizer shared by the JSON and space-delimited grammars.

type Token =
  | { t: 'op'; v: Op }
  | { t: 'and' }
  | { t: 'or' }
  | { t: '(' }
  | { t: ')' }
  | { t: ',' }
  | { t: 'word'; v: string }
  | { t: 'string'; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '&&') {
      out.push({ t: 'and' });
      i += 2;
    } else if (two === '||') {
      out.push({ t: 'or' });
      i += 2;
    } else if (two === '!=' || two === '<=' || two === '>=') {
      out.push({ t: 'op', v: two as Op });
      i += 2;
    } else if (c === '=' || c === '<' || c === '>') {
      out.push({ t: 'op', v: c });
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ t: c });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        s += src[j];
        j++;
      }
      if (j >= src.length) throw new FilterPatternError('Unterminated quoted string in filter pattern');
      out.push({ t: 'string', v: s });
      i = j + 1;
    } else if (c === '%') {
      const end = src.indexOf('%', i + 1);
      if (end < 0) throw new FilterPatternError('Unterminated regular expression in filter pattern');
      out.push({ t: 'word', v: src.slice(i, end + 1) });
      i = end + 1;
    } else {
      let j = i;
      while (j < src.length && !/[\s=<>!(),&|"]/.test(src[j]!)) j++;
      if (j === i) throw new FilterPatternError(`Invalid character '${c}' in filter pattern`);
      out.push({ t: 'word', v: src.slice(i, j) });
      i = j;
    }
  }
  return out;
}

type Cond<T> = (subject: T) => boolean;

/** Recursive descent over `a && b || (c)`; `&&` binds tighter than `||`. */
class CondParser<T> {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly atom: (p: CondParser<T>) => Cond<T>,
  ) {}

  peek(): Token | undefined {
    return this.tokens[this.pos];
  }
  next(): Token {
    const t = this.tokens[this.pos++];
    if (!t) throw new FilterPatternError('Unexpected end of filter pattern');
    return t;
  }
  done(): boolean {
    return this.pos >= this.tokens.length;
  }

  or(): Cond<T> {
    const parts = [this.and()];
    while (this.peek()?.t === 'or') {
      this.pos++;
      parts.push(this.and());
    }
    return parts.length === 1 ? parts[0]! : (s) => parts.some((p) => p(s));
  }

  and(): Cond<T> {
    const parts = [this.primary()];
    while (this.peek()?.t === 'and') {
      this.pos++;
      parts.push(this.primary());
    }
    return parts.length === 1 ? parts[0]! : (s) => parts.every((p) => p(s));
  }

  primary(): Cond<T> {
    if (this.peek()?.t === '(') {
      this.pos++;
      const inner = this.or();
      if (this.next().t !== ')') throw new FilterPatternError('Missing closing parenthesis in filter pattern');
      return inner;
    }
    return this.atom(this);
  }

  /** A literal after an operator: a quoted string, a number, a word with wildcards, %regex%. */
  literal(): Literal {
    const t = this.next();
    if (t.t === 'string') return makeLiteral(t.v, true);
    if (t.t === 'word') return makeLiteral(t.v, false);
    throw new FilterPatternError('Expected a value after the comparison operator in filter pattern');
  }
}

// ---------------------------------------------------------------------------------------------
// JSON patterns.

type Selector = Array<string | number>;

function parseSelector(word: string): Selector {
  if (!word.startsWith('$')) throw new FilterPatternError(`Invalid JSON selector '${word}': it must start with '$'`);
  const out: Selector = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]/g;
  let at = 1;
  let m: RegExpExecArray | null;
  while ((m = re.exec(word)) !== null) {
    if (m.index !== at) break;
    out.push(m[1] !== undefined ? m[1] : Number(m[2]));
    at = re.lastIndex;
  }
  if (at !== word.length) throw new FilterPatternError(`Invalid JSON selector '${word}'`);
  return out;
}

const MISSING = Symbol('missing');

function select(doc: unknown, sel: Selector): unknown {
  let v: unknown = doc;
  for (const part of sel) {
    if (v === null || typeof v !== 'object') return MISSING;
    if (typeof part === 'number') {
      if (!Array.isArray(v) || part >= v.length) return MISSING;
      v = v[part];
    } else {
      if (Array.isArray(v) || !Object.hasOwn(v as object, part)) return MISSING;
      v = (v as Record<string, unknown>)[part];
    }
  }
  return v;
}

function jsonAtom(p: CondParser<unknown>): Cond<unknown> {
  const t = p.next();
  if (t.t !== 'word') throw new FilterPatternError('Expected a JSON selector such as $.field in filter pattern');
  const sel = parseSelector(t.v);
  const after = p.peek();
  if (after?.t === 'word' && (after.v === 'IS' || after.v === 'NOT')) {
    p.next();
    const what = p.next();
    const w = what.t === 'word' ? what.v : '';
    if (after.v === 'NOT' && w === 'EXISTS') return (doc) => select(doc, sel) === MISSING;
    if (after.v === 'IS' && w === 'NULL') return (doc) => select(doc, sel) === null;
    if (after.v === 'IS' && w === 'TRUE') return (doc) => select(doc, sel) === true;
    if (after.v === 'IS' && w === 'FALSE') return (doc) => select(doc, sel) === false;
    throw new FilterPatternError(`Invalid JSON filter pattern near '${after.v} ${w}'`);
  }
  const opTok = p.next();
  if (opTok.t !== 'op') throw new FilterPatternError('Expected a comparison operator in JSON filter pattern');
  const lit = p.literal();
  const op = opTok.v;
  if (lit.kind === 'string' && op !== '=' && op !== '!=') {
    throw new FilterPatternError(`The operator ${op} only compares numbers in a filter pattern`);
  }
  return (doc) => {
    const v = select(doc, sel);
    if (v === MISSING) return false;
    // Booleans compare with the words true / false.
    if (typeof v === 'boolean') return compare(String(v), op, lit);
    return compare(v, op, lit);
  };
}

function compileJson(text: string): MessageMatcher {
  if (!text.endsWith('}')) throw new FilterPatternError('A JSON filter pattern must end with }');
  const tokens = tokenize(text.slice(1, -1));
  if (tokens.length === 0) throw new FilterPatternError('Empty JSON filter pattern');
  const parser = new CondParser<unknown>(tokens, jsonAtom);
  const cond = parser.or();
  if (!parser.done()) throw new FilterPatternError('Unexpected text after the JSON filter pattern');
  return (message) => {
    const trimmed = message.trim();
    if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return false;
    let doc: unknown;
    try {
      doc = JSON.parse(trimmed);
    } catch {
      return false;
    }
    return cond(doc);
  };
}

// ---------------------------------------------------------------------------------------------
// Space-delimited patterns.

/** A log event's fields: split on spaces; `"…"` and `[…]` are one field each (without the marks). */
export function splitDelimited(message: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = message.length;
  while (i < n) {
    const c = message[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '"' || c === '[') {
      const close = c === '"' ? '"' : ']';
      const end = message.indexOf(close, i + 1);
      if (end >= 0) {
        out.push(message.slice(i + 1, end));
        i = end + 1;
        continue;
      }
    }
    let j = i;
    while (j < n && message[j] !== ' ' && message[j] !== '\t' && message[j] !== '\n' && message[j] !== '\r') j++;
    out.push(message.slice(i, j));
    i = j;
  }
  return out;
}

type Column = { ellipsis: true } | { ellipsis: false; name: string; cond?: Cond<Record<string, string>> };

function compileDelimited(text: string): MessageMatcher {
  if (!text.endsWith(']')) throw new FilterPatternError('A space-delimited filter pattern must end with ]');
  const tokens = tokenize(text.slice(1, -1));
  // Columns are separated by commas at the top level.
  const groups: Token[][] = [[]];
  for (const t of tokens) {
    if (t.t === ',') groups.push([]);
    else groups[groups.length - 1]!.push(t);
  }
  if (groups.length === 1 && groups[0]!.length === 0) throw new FilterPatternError('Empty space-delimited filter pattern');
  const names = new Set<string>();
  const columns: Column[] = groups.map((g, index) => {
    if (g.length === 0) throw new FilterPatternError(`Missing field name at position ${index + 1} of the filter pattern`);
    const first = g[0]!;
    if (g.length === 1 && first.t === 'word' && first.v === '...') return { ellipsis: true };
    // The column's name is the first selector of its condition (`status = 4* || status = 5*`).
    let name: string | undefined;
    const atom = (p: CondParser<Record<string, string>>): Cond<Record<string, string>> => {
      const t = p.next();
      if (t.t !== 'word' || !/^[A-Za-z_$][\w$-]*$/.test(t.v)) {
        throw new FilterPatternError(`Invalid field name in space-delimited filter pattern at position ${index + 1}`);
      }
      const field = t.v;
      name ??= field;
      const opTok = p.peek();
      if (opTok?.t !== 'op') return () => true;
      p.next();
      const lit = p.literal();
      const op = opTok.v;
      if (lit.kind === 'string' && op !== '=' && op !== '!=') {
        throw new FilterPatternError(`The operator ${op} only compares numbers in a filter pattern`);
      }
      return (row) => compare(row[field], op, lit);
    };
    const parser = new CondParser<Record<string, string>>(g, atom);
    const cond = parser.or();
    if (!parser.done()) throw new FilterPatternError(`Unexpected text in field ${index + 1} of the filter pattern`);
    if (names.has(name!)) throw new FilterPatternError(`The field name '${name}' is used twice in the filter pattern`);
    names.add(name!);
    const trivial = g.length === 1;
    return { ellipsis: false, name: name!, cond: trivial ? undefined : cond };
  });
  const fixed = columns.filter((c) => !c.ellipsis).length;
  const hasEllipsis = columns.some((c) => c.ellipsis);
  const conditions = columns.filter((c): c is Column & { ellipsis: false } => !c.ellipsis && c.cond !== undefined);

  return (message) => {
    const fields = splitDelimited(message);
    if (hasEllipsis ? fields.length < fixed : fields.length !== fixed) return false;
    const assignments = assign(columns, fields);
    for (const row of assignments) {
      if (conditions.every((c) => c.cond!(row))) return true;
    }
    return false;
  };
}

/** Every way of giving fields to columns (one way unless there are ellipses). */
function assign(columns: Column[], fields: string[]): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  const walk = (ci: number, fi: number, row: Record<string, string>) => {
    if (out.length >= 64) return; // enough alternatives to decide
    if (ci === columns.length) {
      if (fi === fields.length) out.push({ ...row });
      return;
    }
    const col = columns[ci]!;
    if (col.ellipsis) {
      const rest = columns.slice(ci + 1).filter((c) => !c.ellipsis).length;
      for (let take = 0; fi + take + rest <= fields.length; take++) walk(ci + 1, fi + take, row);
      return;
    }
    if (fi >= fields.length) return;
    row[col.name] = fields[fi]!;
    walk(ci + 1, fi + 1, row);
    delete row[col.name];
  };
  walk(0, 0, {});
  return out;
}

// ---------------------------------------------------------------------------------------------
// Text terms.

interface Term {
  exclude: boolean;
  test: (message: string) => boolean;
}

function compileTerms(text: string): MessageMatcher {
  // Groups of terms: a `?` starts a new alternative.
  const groups: Term[][] = [];
  let current: Term[] | undefined;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    let optional = false;
    let exclude = false;
    if (c === '?') {
      optional = true;
      i++;
    } else if (c === '-' && i + 1 < text.length && !/\s/.test(text[i + 1]!)) {
      exclude = true;
      i++;
    }
    let body: string;
    let quoted = false;
    if (text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw new FilterPatternError('Unterminated quoted string in filter pattern');
      body = text.slice(i + 1, end);
      quoted = true;
      i = end + 1;
    } else {
      let j = i;
      while (j < text.length && !/\s/.test(text[j]!)) j++;
      body = text.slice(i, j);
      i = j;
    }
    if (body === '' && !quoted) throw new FilterPatternError('Empty term in filter pattern');
    let test: (m: string) => boolean;
    if (!quoted && body.length >= 2 && body.startsWith('%') && body.endsWith('%')) {
      const re = regexLiteral(body.slice(1, -1));
      test = (m) => re.test(m);
    } else {
      if (!quoted && /["{}[\]()=<>!,:]/.test(body)) {
        throw new FilterPatternError(`Invalid character(s) in term '${body}'`);
      }
      test = (m) => m.includes(body);
    }
    if (optional || !current) {
      current = [];
      groups.push(current);
    }
    current.push({ exclude, test });
  }
  if (groups.length === 0) return () => true;
  return (message) =>
    groups.some((g) => g.every((t) => (t.exclude ? !t.test(message) : t.test(message))));
}
