/**
 * The in-memory matcher: `compileMatcher(filter)` turns a parsed filter (src/core/query-ast.ts)
 * into a predicate over one event (src/core/event.ts), for processing pipelines and live tail.
 *
 * Contract: the predicate accepts exactly the events the DuckDB store returns for the same filter
 * (src/store/duckdb/compile.ts, docs/query-language.md): whole-word, case-insensitive text
 * matching with the store's definition of a word character (no boundary on a CJK side), every
 * value matched by its own JSON type, numeric strings read the way DuckDB's TRY_CAST reads them,
 * strings ordered by code point, RE2-style regular expressions, and a leaf on a field the event
 * does not have is false (so its NOT is true). `host`, `service` and `level` are absent when
 * empty; `message` and `stream` are always present. Known difference: a prefix or regex on a
 * number outside +-1e15 or a non-integer with an exponent sees JSON's spelling (`1e+21`), where
 * the store sees DuckDB's.
 *
 * Everything that can be decided once (case folding of the term, regular expressions, parsed
 * numbers, times and ids) is decided by `compileMatcher`, which throws LwError for a bad regex
 * or time; the returned predicate never throws and allocates nothing for ASCII text.
 */
import { LwError } from '../core/errors.ts';
import { needsBoundary, separatorClass } from '../core/word-boundary.ts';
import type { FieldValue, LogEvent } from '../core/event.ts';
import { idToQpos } from '../core/ids.ts';
import { normalizeLevel } from '../core/level.ts';
import type { CompareOp, FilterNode, LeafNode } from '../core/query-ast.ts';
import { parseTimestamp } from '../core/time.ts';

export type EventMatcher = (ev: LogEvent) => boolean;

/** The store's separator characters (src/core/word-boundary.ts), as a JavaScript class. */
const SEP_CLASS = separatorClass((cp) => `\\u{${cp.toString(16).toUpperCase()}}`);
/** Query text that is a number (compile.ts `NUMERIC`). */
const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** A string value as DuckDB's TRY_CAST(... AS DOUBLE) reads it, after trimming ASCII white space. */
const CASTABLE = /^[+-]?(?:\d(?:_?\d)*\.?(?:\d(?:_?\d)*)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d+)?$/;
const INFINITE = /^([+-]?)(?:inf|infinity)$/i;

function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** `s` trimmed of the white space DuckDB's casts skip (space, \t, \n, \v, \f, \r). */
function trimAscii(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || (s.charCodeAt(a) >= 9 && s.charCodeAt(a) <= 13))) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || (s.charCodeAt(b - 1) >= 9 && s.charCodeAt(b - 1) <= 13)))
    b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** TRY_CAST(s AS DOUBLE): a number (possibly infinite or NaN) or null. */
export function castToNumber(s: string): number | null {
  const t = trimAscii(s);
  if (CASTABLE.test(t)) return Number(t.includes('_') ? t.replaceAll('_', '') : t);
  const inf = INFINITE.exec(t);
  if (inf !== null) return inf[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  return t.toLowerCase() === 'nan' ? Number.NaN : null;
}

/** DuckDB's order of doubles: NaN equals NaN and sorts above everything. */
function compareNumbers(a: number, b: number): number {
  const na = Number.isNaN(a);
  const nb = Number.isNaN(b);
  if (na || nb) return na && nb ? 0 : na ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Code point order (UTF-8 byte order, what VARCHAR comparison uses), not UTF-16 unit order. */
function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) sort above the rest of the BMP.
    if (x >= 0xd800) x = x <= 0xdfff ? x + 0x2000 : x - 0x800;
    if (y >= 0xd800) y = y <= 0xdfff ? y + 0x2000 : y - 0x800;
    return x - y;
  }
  return a.length - b.length;
}

function test(c: number, op: CompareOp | '='): boolean {
  switch (op) {
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '=':
      return c === 0;
  }
}

/** A number as JSON writes it, for prefixes and regular expressions. */
function numberText(n: number): string {
  return String(n);
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/** A TIMESTAMP cast to VARCHAR by DuckDB: `2026-11-22 10:00:00.5` (fraction without trailing zeros). */
function timestampText(us: number): string {
  const sec = Math.floor(us / 1e6);
  const frac = us - sec * 1e6;
  const d = new Date(sec * 1000);
  const base = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)} ${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  return frac === 0 ? base : `${base}.${pad(frac, 6).replace(/0+$/, '')}`;
}

function boolValue(v: string): boolean | null {
  const l = v.toLowerCase();
  return l === 'true' ? true : l === 'false' ? false : null;
}

function timeValue(v: string | number): number {
  const t = parseTimestamp(v);
  if (t === null) throw new LwError('LW_ERR_BAD_TIME', [JSON.stringify(v)]);
  return t;
}

/**
 * Words and phrases (and prefixes): `value` trimmed occurs ignoring case, with a separator (or
 * the edge of the text) before it when it starts with a non-CJK word character, and after it when
 * it ends with one (not for a prefix). Same test as the store's RE2 pattern.
 */
function textMatcher(value: string, prefix: boolean): (s: string) => boolean {
  const v = value.trim();
  if (v === '') return prefix ? () => true : (s) => s === '';
  const first = v[0];
  const last = v.at(-1)!;
  const pre = needsBoundary(first) ? `(?<=^|${SEP_CLASS})` : '';
  const post = !prefix && needsBoundary(last) ? `(?=$|${SEP_CLASS})` : '';
  const caseless = v.toLowerCase() === v.toUpperCase();
  if (caseless && pre === '' && post === '') return (s) => s.includes(v);
  const re = new RegExp(`${pre}${escapeRegExp(v)}${post}`, 'iu');
  if (caseless) return (s) => s.includes(v) && re.test(s);
  return (s) => re.test(s);
}

/** An RE2-style pattern (partial match, leading flag group like `(?i)`) as a JS RegExp. */
function userRegExp(pattern: string): RegExp {
  let src = pattern;
  let flags = '';
  const m = /^\(\?([ims]+)\)/.exec(src);
  if (m !== null) {
    flags = [...new Set(m[1])].join('');
    src = src.slice(m[0].length);
  }
  try {
    return new RegExp(src, `${flags}u`);
  } catch {
    // RE2 accepts identity escapes (`\-`) that Unicode-mode JS rejects.
    try {
      return new RegExp(src, flags);
    } catch (err) {
      throw new LwError('LW_ERR_BAD_PARAM', [
        'q',
        `invalid regular expression /${pattern}/: ${(err as Error).message}`,
      ]);
    }
  }
}

/** How a leaf judges a value of each type; null means "never matches". */
interface TypedTest {
  str: ((s: string) => boolean) | null;
  num: ((n: number) => boolean) | null;
  bool: ((b: boolean) => boolean) | null;
}

/** `field:word`, `field:=x` and `field:"phrase"` on numbers and booleans (the same for all three). */
function equalsNumberOrBool(value: string): Pick<TypedTest, 'num' | 'bool'> {
  const n = NUMERIC.test(value) ? Number(value) : null;
  const b = boolValue(value);
  return {
    num: n === null ? null : (x) => x === n,
    bool: b === null ? null : (x) => x === b,
  };
}

/** A comparison with a number or string bound on string and number values (compile.ts cmpSql). */
function compareTest(op: CompareOp | '=', bound: number | string): TypedTest {
  const nb = typeof bound === 'number' ? bound : NUMERIC.test(bound) ? Number(bound) : null;
  const num = nb === null ? null : (x: number) => test(compareNumbers(x, nb), op);
  let str: ((s: string) => boolean) | null;
  if (typeof bound === 'number') {
    str = (s) => {
      const x = castToNumber(s);
      return x !== null && test(compareNumbers(x, bound), op);
    };
  } else str = (s) => test(compareStrings(s, bound), op);
  return { str, num, bool: null };
}

function rangeTest(node: Extract<LeafNode, { type: 'range' }>): TypedTest {
  if (node.lower === null && node.upper === null)
    return { str: () => true, num: () => true, bool: () => true };
  const parts: TypedTest[] = [];
  if (node.lower !== null) parts.push(compareTest(node.lowerInclusive ? '>=' : '>', node.lower));
  if (node.upper !== null) parts.push(compareTest(node.upperInclusive ? '<=' : '<', node.upper));
  if (parts.length === 1) return parts[0];
  const [a, b] = parts;
  return {
    str: a.str && b.str ? (s) => a.str!(s) && b.str!(s) : null,
    num: a.num && b.num ? (n) => a.num!(n) && b.num!(n) : null,
    bool: null,
  };
}

/** The typed tests of a leaf on a string/number/boolean field (dynamic and fixed text fields). */
function valueTest(node: LeafNode, field: string): TypedTest {
  switch (node.type) {
    case 'word':
    case 'phrase':
    case 'exact': {
      if (field === 'level') {
        const lv = normalizeLevel(node.value);
        if (lv !== '') return { str: (s) => s === lv, num: null, bool: null };
      }
      const v = node.value;
      const str = node.type === 'exact' ? (s: string) => s === v : textMatcher(v, false);
      return { str, ...equalsNumberOrBool(v) };
    }
    case 'prefix': {
      const p = node.value.toLowerCase();
      return {
        str: textMatcher(node.value, true),
        num: (n) => numberText(n).toLowerCase().startsWith(p),
        bool: (b) => (b ? 'true' : 'false').startsWith(p),
      };
    }
    case 'compare':
      return compareTest(node.op, node.value);
    case 'range':
      return rangeTest(node);
    case 'regex': {
      const re = userRegExp(node.pattern);
      return {
        str: (s) => re.test(s),
        num: (n) => re.test(numberText(n)),
        bool: (b) => re.test(b ? 'true' : 'false'),
      };
    }
    case 'exists':
      return { str: (s) => s !== '', num: () => true, bool: () => true };
    case 'time':
      throw new Error('BUG: valueTest called with a time node');
  }
}

/**
 * A leaf on `_id` (BIGINT queue position) or `_ingest_time` / `_time` (TIMESTAMP): the value is
 * an integer, and query text is read as an id or a time.
 */
function integerTest(node: LeafNode, kind: 'id' | 'time'): ((x: number) => boolean) | null {
  const read = (v: string | number): number | null =>
    kind === 'time' ? timeValue(v) : typeof v === 'number' ? v : idToQpos(v);
  const text = kind === 'time' ? timestampText : String;
  switch (node.type) {
    case 'word':
    case 'phrase':
    case 'exact': {
      const x = read(node.value);
      return x === null ? null : (y) => y === x;
    }
    case 'prefix': {
      const p = node.value.toLowerCase();
      return (y) => text(y).toLowerCase().startsWith(p);
    }
    case 'compare': {
      const x = read(node.value);
      const op = node.op;
      return x === null ? null : (y) => test(y - x, op);
    }
    case 'range': {
      if (node.lower === null && node.upper === null) return () => true;
      const lo = node.lower === null ? null : read(node.lower);
      const hi = node.upper === null ? null : read(node.upper);
      if ((node.lower !== null && lo === null) || (node.upper !== null && hi === null)) return null;
      const li = node.lowerInclusive;
      const ui = node.upperInclusive;
      return (y) => (lo === null || (li ? y >= lo : y > lo)) && (hi === null || (ui ? y <= hi : y < hi));
    }
    case 'regex': {
      const re = userRegExp(node.pattern);
      return (y) => re.test(text(y));
    }
    case 'exists':
      return () => true;
    case 'time':
      throw new Error('BUG: integerTest called with a time node');
  }
}

const FALSE: EventMatcher = () => false;
const TRUE: EventMatcher = () => true;

function fixedText(get: (ev: LogEvent) => string, t: TypedTest, emptyIsAbsent: boolean): EventMatcher {
  const str = t.str;
  if (str === null) return FALSE;
  return emptyIsAbsent
    ? (ev) => {
        const s = get(ev);
        return s !== '' && str(s);
      }
    : (ev) => str(get(ev));
}

function compileLeaf(node: LeafNode): EventMatcher {
  if (node.type === 'time') {
    const { start, end } = node;
    return (ev) => (start === null || ev._time >= start) && (end === null || ev._time <= end);
  }
  const field = node.field ?? 'message';
  switch (field) {
    case '_id': {
      const t = integerTest(node, 'id');
      if (t === null) return FALSE;
      return (ev) => {
        const q = idToQpos(ev._id);
        return q !== null && t(q);
      };
    }
    case '_time':
    case '_ingest_time': {
      const t = integerTest(node, 'time');
      if (t === null) return FALSE;
      return field === '_time' ? (ev) => t(ev._time) : (ev) => t(ev._ingest_time);
    }
    case 'message':
      return fixedText((ev) => ev.message, valueTest(node, field), false);
    case 'stream':
      return fixedText((ev) => ev.stream, valueTest(node, field), false);
    case 'level':
      return fixedText((ev) => ev.level, valueTest(node, field), true);
    case 'host':
      return fixedText((ev) => ev.host, valueTest(node, field), true);
    case 'service':
      return fixedText((ev) => ev.service, valueTest(node, field), true);
    default: {
      const { str, num, bool } = valueTest(node, field);
      if (str === null && num === null && bool === null) return FALSE;
      return (ev) => {
        const v: FieldValue | undefined = ev.fields[field];
        if (typeof v === 'string') return str?.(v) === true;
        if (typeof v === 'number') return num?.(v) === true;
        if (typeof v === 'boolean') return bool?.(v) === true;
        return false;
      };
    }
  }
}

/** Compiles `filter` once; the result decides per event (see the module header). */
export function compileMatcher(filter: FilterNode): EventMatcher {
  switch (filter.type) {
    case 'all':
      return TRUE;
    case 'not': {
      const m = compileMatcher(filter.child);
      return (ev) => !m(ev);
    }
    case 'and': {
      const ms = filter.children.map(compileMatcher);
      if (ms.length === 0) return TRUE;
      if (ms.length === 2) {
        const [a, b] = ms;
        return (ev) => a(ev) && b(ev);
      }
      return (ev) => {
        for (let i = 0; i < ms.length; i++) if (!ms[i](ev)) return false;
        return true;
      };
    }
    case 'or': {
      const ms = filter.children.map(compileMatcher);
      if (ms.length === 2) {
        const [a, b] = ms;
        return (ev) => a(ev) || b(ev);
      }
      return (ev) => {
        for (let i = 0; i < ms.length; i++) if (ms[i](ev)) return true;
        return false;
      };
    }
    default:
      return compileLeaf(filter);
  }
}
