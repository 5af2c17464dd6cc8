/**
 * GetMetricData metric math, the common subset: arithmetic (+ - * /, unary minus, parentheses)
 * between time series and numbers, `[a, b]` lists, METRICS(), and the functions SUM, AVG, MIN,
 * MAX (across series, per timestamp) and ABS. Series combine on the timestamps they share.
 */

/** Timestamp (ms) → value. */
export type Series = Map<number, number>;
type Value = number | Series | Series[];

type Tok = { t: 'num'; v: number } | { t: 'id'; v: string } | { t: 'sym'; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (/[0-9.]/.test(c)) {
      const m = /^\d*\.?\d+([eE][-+]?\d+)?|^\d+\.?/.exec(src.slice(i))!;
      out.push({ t: 'num', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ t: 'id', v: m[0] });
      i += m[0].length;
    } else if ('+-*/(),[]'.includes(c)) {
      out.push({ t: 'sym', v: c });
      i++;
    } else {
      throw new Error(`unexpected character '${c}'`);
    }
  }
  return out;
}

function combine(a: Value, b: Value, f: (x: number, y: number) => number): Value {
  if (Array.isArray(a) || Array.isArray(b)) throw new Error('arithmetic needs single time series, not lists');
  if (typeof a === 'number' && typeof b === 'number') return f(a, b);
  if (typeof a === 'number') return new Map([...(b as Series)].map(([t, v]) => [t, f(a, v)]));
  if (typeof b === 'number') return new Map([...a].map(([t, v]) => [t, f(v, b)]));
  const out: Series = new Map();
  for (const [t, v] of a) {
    const w = b.get(t);
    if (w !== undefined) out.set(t, f(v, w));
  }
  return out;
}

function across(v: Value, f: (xs: number[]) => number): Series {
  const list = Array.isArray(v) ? v : v instanceof Map ? [v] : [];
  if (list.length === 0) throw new Error('the function needs time series');
  const times = new Set<number>();
  for (const s of list) for (const t of s.keys()) times.add(t);
  const out: Series = new Map();
  for (const t of [...times].sort((x, y) => x - y)) {
    const xs = list.map((s) => s.get(t)).filter((x): x is number => x !== undefined);
    if (xs.length) out.set(t, f(xs));
  }
  return out;
}

const FUNCTIONS: Record<string, (v: Value) => Value> = {
  SUM: (v) => across(v, (xs) => xs.reduce((a, b) => a + b, 0)),
  AVG: (v) => across(v, (xs) => xs.reduce((a, b) => a + b, 0) / xs.length),
  MIN: (v) => across(v, (xs) => Math.min(...xs)),
  MAX: (v) => across(v, (xs) => Math.max(...xs)),
  ABS: (v) => (typeof v === 'number' ? Math.abs(v) : Array.isArray(v) ? v.map((s) => new Map([...s].map(([t, x]) => [t, Math.abs(x)]))) : new Map([...v].map(([t, x]) => [t, Math.abs(x)]))),
};

export function evaluateExpression(expression: string, series: ReadonlyMap<string, Series>): Series {
  const toks = tokenize(expression);
  let pos = 0;
  const peek = () => toks[pos];
  const sym = (s: string) => {
    const t = toks[pos];
    if (t?.t === 'sym' && t.v === s) {
      pos++;
      return true;
    }
    return false;
  };
  const expr = (): Value => {
    let v = term();
    for (;;) {
      if (sym('+')) v = combine(v, term(), (a, b) => a + b);
      else if (sym('-')) v = combine(v, term(), (a, b) => a - b);
      else return v;
    }
  };
  const term = (): Value => {
    let v = factor();
    for (;;) {
      if (sym('*')) v = combine(v, factor(), (a, b) => a * b);
      else if (sym('/')) v = combine(v, factor(), (a, b) => a / b);
      else return v;
    }
  };
  const factor = (): Value => {
    const t = peek();
    if (!t) throw new Error('unexpected end of expression');
    if (sym('-')) return combine(-1, factor(), (a, b) => a * b);
    if (sym('(')) {
      const v = expr();
      if (!sym(')')) throw new Error('missing )');
      return v;
    }
    if (sym('[')) {
      const items: Series[] = [];
      do {
        const v = expr();
        if (!(v instanceof Map)) throw new Error('a list holds time series only');
        items.push(v);
      } while (sym(','));
      if (!sym(']')) throw new Error('missing ]');
      return items;
    }
    pos++;
    if (t.t === 'num') return t.v;
    if (t.t === 'id') {
      if (sym('(')) {
        const name = t.v.toUpperCase();
        if (name === 'METRICS') {
          if (!sym(')')) throw new Error('METRICS() takes no argument here');
          return [...series.values()];
        }
        const f = FUNCTIONS[name];
        if (!f) throw new Error(`unsupported function ${t.v}`);
        const arg = expr();
        if (!sym(')')) throw new Error('missing )');
        return f(arg);
      }
      const s = series.get(t.v);
      if (!s) throw new Error(`unknown metric id ${t.v}`);
      return s;
    }
    throw new Error(`unexpected '${t.v}'`);
  };
  const v = expr();
  if (pos !== toks.length) throw new Error('unexpected text after the expression');
  if (!(v instanceof Map)) throw new Error('the expression must return a single time series');
  return v;
}
