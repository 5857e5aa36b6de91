/**
 * A reference evaluator for the query language: decides whether one event matches a parsed
 * filter (src/core/query-ast.ts) by brute force in plain JavaScript, following the semantics
 * documented in docs/query-language.md. It shares no code with the stores (no SQL, no tokenizer,
 * no skip index), so that test/search-bruteforce.test.ts can check every search result against
 * an independent scan of the same data.
 *
 * `refEvent` turns an ingested JSON object into the stored view the filter sees: fixed fields
 * (`message`, `level` normalised, `host`, `service`, `stream`) and every other field flattened
 * with dotted keys, keeping its JSON type. It supports the keys the brute-force test generates
 * (`@timestamp`, `message`, `level`, `host`, `service`, anything else), not every alias that
 * src/processors/normalize.ts accepts.
 *
 * Text is folded with `toLowerCase`, which keeps string lengths for the scripts the test uses
 * (ASCII, Hangul, kana); it is not meant for `İ`-like characters whose lower case is longer.
 */
import type { CompareOp, FilterNode, RangeBound } from '../src/core/query-ast.ts';

export type RefValue = string | number | boolean;

export interface RefEvent {
  /** Event time, epoch microseconds. */
  time: number;
  stream: string;
  message: string;
  /** Normalised level, or '' when the event has none. */
  level: string;
  host: string;
  service: string;
  fields: Record<string, RefValue>;
}

// --- ingest view ---

/** The level spellings of the docs (src/core/level.ts header), written out again on purpose. */
const LEVEL_SPELLINGS: Record<string, string[]> = {
  trace: ['trace', 'trc', 'finer', 'finest', 'verbose', 'v', '10'],
  debug: ['debug', 'dbg', 'd', 'fine', 'config', '7', '20'],
  info: ['info', 'inf', 'i', 'information', 'informational', '6', '30'],
  notice: ['notice', 'ntc', '5'],
  warn: ['warn', 'warning', 'wrn', 'w', '4', '40'],
  error: ['error', 'err', 'eror', 'e', 'severe', '3', '50'],
  critical: ['critical', 'crit', 'fatal', 'ftl', 'f', '2', '60'],
  alert: ['alert', '1'],
  emergency: ['emergency', 'emerg', 'panic', '0'],
};
const LEVEL_OF = new Map<string, string>();
for (const [level, spellings] of Object.entries(LEVEL_SPELLINGS))
  for (const s of spellings) LEVEL_OF.set(s, level);

/** The normalised level of any spelling (case-insensitive), or '' when it is not a level. */
export function refLevel(v: unknown): string {
  if (typeof v !== 'string' && typeof v !== 'number') return '';
  return LEVEL_OF.get(String(v).trim().toLowerCase()) ?? '';
}

const FIXED = new Set(['_id', '_time', '_ingest_time', 'stream', 'message', 'level', 'host', 'service']);

function flattenInto(obj: Record<string, unknown>, out: Record<string, RefValue>, prefix: string): void {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (v === null || v === undefined) continue;
    if (Array.isArray(v)) out[key] = JSON.stringify(v);
    else if (typeof v === 'object') flattenInto(v as Record<string, unknown>, out, key);
    else out[key] = v as RefValue;
  }
}

/** RFC 3339 UTC time with up to microseconds (`2026-11-20T10:00:00.123456Z`) to epoch µs. */
export function parseUtcMicros(s: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?Z$/.exec(s);
  if (!m) throw new Error(`reference: unsupported time ${s}`);
  return Date.parse(`${m[1]}Z`) * 1000 + Number((m[2] ?? '').padEnd(6, '0'));
}

/** The stored view of an ingested JSON object. */
export function refEvent(obj: Record<string, unknown>, stream: string): RefEvent {
  const flat: Record<string, RefValue> = {};
  flattenInto(obj, flat, '');
  const ev: RefEvent = { time: 0, stream, message: '', level: '', host: '', service: '', fields: {} };
  const ts = flat['@timestamp'];
  if (typeof ts !== 'string') throw new Error('reference: every test event needs an @timestamp string');
  ev.time = parseUtcMicros(ts);
  delete flat['@timestamp'];
  for (const k of ['message', 'host', 'service'] as const) {
    const v = flat[k];
    if (v !== undefined && v !== '') {
      ev[k] = String(v);
      delete flat[k];
    }
  }
  const lv = refLevel(flat.level);
  if (lv !== '') {
    ev.level = lv;
    delete flat.level;
  }
  // A left-over fixed name (an unknown level spelling, an empty host) is kept with a `_` suffix.
  for (const [k, v] of Object.entries(flat)) ev.fields[FIXED.has(k) ? `${k}_` : k] = v;
  return ev;
}

/** The value a filter sees for `field` (null is the message); undefined when absent. */
export function fieldValue(ev: RefEvent, field: string | null): RefValue | undefined {
  switch (field ?? 'message') {
    case 'message':
      return ev.message; // always present, possibly ''
    case 'stream':
      return ev.stream;
    case 'level':
      return ev.level === '' ? undefined : ev.level;
    case 'host':
      return ev.host === '' ? undefined : ev.host;
    case 'service':
      return ev.service === '' ? undefined : ev.service;
    default:
      return ev.fields[field!];
  }
}

// --- text matching ---

const WORD_CHAR = /^[\p{L}\p{N}\p{M}_]$/u;
const CJK_CHAR = /^[\p{scx=Hangul}\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}]$/u;

function isWordChar(ch: string | undefined): boolean {
  return ch !== undefined && WORD_CHAR.test(ch);
}

function codePointBefore(s: string, i: number): string | undefined {
  if (i <= 0) return undefined;
  const lo = s.charCodeAt(i - 1);
  if (lo >= 0xdc00 && lo <= 0xdfff && i >= 2) {
    const hi = s.charCodeAt(i - 2);
    if (hi >= 0xd800 && hi <= 0xdbff) return s.slice(i - 2, i);
  }
  return s[i - 1];
}

function codePointAt(s: string, i: number): string | undefined {
  if (i >= s.length) return undefined;
  return String.fromCodePoint(s.codePointAt(i)!);
}

const lowered = new Map<string, string>();

/** `s.toLowerCase()`, remembered: the same field values are folded for every query. */
function lower(s: string): string {
  let l = lowered.get(s);
  if (l === undefined) {
    l = s.toLowerCase();
    if (lowered.size < 200_000) lowered.set(s, l);
  }
  return l;
}

/**
 * Words and phrases: `term` (trimmed) occurs in `text` ignoring case, with no word character
 * right before it when it starts with a (non-CJK) word character, and none right after it when
 * it ends with one. A prefix search drops the check after the term. An empty word matches only
 * an empty text; an empty prefix matches any text.
 */
export function textMatch(text: string, term: string, prefix: boolean): boolean {
  const t = term.trim();
  if (t === '') return prefix || text === '';
  const lt = t.toLowerCase();
  const ltext = lower(text);
  const first = codePointAt(t, 0);
  const last = codePointBefore(t, t.length);
  const needBefore = isWordChar(first) && !CJK_CHAR.test(first!);
  const needAfter = !prefix && isWordChar(last) && !CJK_CHAR.test(last!);
  for (let i = ltext.indexOf(lt); i >= 0; i = ltext.indexOf(lt, i + 1)) {
    if (needBefore && isWordChar(codePointBefore(ltext, i))) continue;
    if (needAfter && isWordChar(codePointAt(ltext, i + lt.length))) continue;
    return true;
  }
  return false;
}

// --- numbers ---

const NUMBER_VALUE = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
const NUMBER_QUERY = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A string field value that reads as a number (surrounding white space allowed), else null. */
export function numberFromValue(s: string): number | null {
  if (!NUMBER_VALUE.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

/** Query text that is a number (`500`, `-1.5`, `1e6`; nothing around it), else null. */
export function numberFromQuery(s: string): number | null {
  if (!NUMBER_QUERY.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

/** How a number reads as text for prefixes and regular expressions: as JSON writes it. */
export function numberText(n: number): string {
  return String(n);
}

function applyOp(c: number, op: CompareOp | '='): boolean {
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

/** Code point order (what UTF-8 byte order gives), not UTF-16 code unit order. */
function compareStrings(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/**
 * `field:>bound` and range bounds. An unquoted number compares numerically: with number values,
 * and with string values that read as a number. A quoted or non-numeric bound compares as a
 * string with string values; with number values it compares numerically when it reads as a
 * number (the field's type decides). Booleans never compare.
 */
function compareValue(v: RefValue, op: CompareOp, bound: number | string): boolean {
  if (typeof v === 'boolean') return false;
  if (typeof bound === 'number') {
    const n = typeof v === 'number' ? v : numberFromValue(v);
    return n !== null && applyOp(Math.sign(n - bound), op);
  }
  if (typeof v === 'number') {
    const b = numberFromQuery(bound);
    return b !== null && applyOp(Math.sign(v - b), op);
  }
  return applyOp(Math.sign(compareStrings(v, bound)), op);
}

function boundOk(v: RefValue, bound: RangeBound, inclusive: boolean, isLower: boolean): boolean {
  if (bound === null) return true;
  const op: CompareOp = isLower ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<';
  return compareValue(v, op, bound);
}

// --- regular expressions ---

const regexCache = new Map<string, RegExp>();

/** RE2-style pattern (partial match, optional leading `(?i)`) as a JS RegExp. */
function toRegExp(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    const ci = pattern.startsWith('(?i)');
    re = new RegExp(ci ? pattern.slice(4) : pattern, ci ? 'iu' : 'u');
    regexCache.set(pattern, re);
  }
  return re;
}

/** The text a regular expression sees: strings as they are, numbers as JSON writes them. */
function regexText(v: RefValue): string {
  return typeof v === 'number' ? numberText(v) : String(v);
}

// --- the evaluator ---

function boolFromText(s: string): boolean | null {
  const l = s.toLowerCase();
  return l === 'true' ? true : l === 'false' ? false : null;
}

/** Whether `ev` matches `node`. A leaf on a field the event does not have is false (so NOT is true). */
export function matches(node: FilterNode, ev: RefEvent): boolean {
  switch (node.type) {
    case 'all':
      return true;
    case 'and':
      return node.children.every((c) => matches(c, ev));
    case 'or':
      return node.children.some((c) => matches(c, ev));
    case 'not':
      return !matches(node.child, ev);
    case 'time':
      return (node.start === null || ev.time >= node.start) && (node.end === null || ev.time <= node.end);
    default:
      break;
  }
  const field = node.field ?? 'message';
  const v = fieldValue(ev, node.field);
  if (v === undefined) return false;
  switch (node.type) {
    case 'word':
    case 'phrase': {
      if (field === 'level') {
        const lv = refLevel(node.value);
        if (lv !== '') return v === lv;
      }
      if (typeof v === 'string') return textMatch(v, node.value, false);
      if (typeof v === 'number') {
        const n = numberFromQuery(node.value);
        return n !== null && n === v;
      }
      return boolFromText(node.value) === v;
    }
    case 'prefix': {
      if (typeof v === 'string') return textMatch(v, node.value, true);
      return regexText(v).toLowerCase().startsWith(node.value.toLowerCase());
    }
    case 'exact': {
      if (field === 'level') {
        const lv = refLevel(node.value);
        if (lv !== '') return v === lv;
      }
      if (typeof v === 'string') return v === node.value;
      if (typeof v === 'number') {
        const n = numberFromQuery(node.value);
        return n !== null && n === v;
      }
      return boolFromText(node.value) === v;
    }
    case 'compare':
      return compareValue(v, node.op, node.value);
    case 'range':
      if (node.lower === null && node.upper === null) return true;
      return (
        boundOk(v, node.lower, node.lowerInclusive, true) &&
        boundOk(v, node.upper, node.upperInclusive, false)
      );
    case 'regex':
      return toRegExp(node.pattern).test(regexText(v));
    case 'exists':
      return typeof v !== 'string' || v !== '';
  }
}
