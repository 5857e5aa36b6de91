/**
 * A brute-force implementation of the query pipes (src/core/pipe-ast.ts) in plain JavaScript over
 * reference events, for test/pipes-bruteforce.test.ts: what test/reference-eval.ts is for filters.
 * It shares no code with the store (no SQL, no compile-pipes); it follows the semantics stated in
 * the header comments of src/query/pipe-*.ts and src/store/duckdb/compile-pipes.ts:
 *
 * - The base table is the matching events. A field has one type: the caller gives the unified
 *   type of each column field over the partitions the query reads (`columns`); any other field
 *   (one that only ever overflowed into `_extra`) is text, numbers written as JSON writes them.
 *   When no pipe narrows the columns, events keep their other fields with their JSON types.
 * - Rows keep their order: newest first, the group keys (ascending, missing last) after `stats`,
 *   the count after `top`/`rare`, and `sort` re-orders stably (text that reads as a number sorts
 *   as that number, before other text; missing values last in both directions).
 * - Numeric functions read text that is a number as that number and times as epoch ms; `/` and
 *   `%` by zero give null; quantiles are exact with linear interpolation between closest ranks.
 * - `where` evaluates the filter with test/reference-eval.ts on a view of the row.
 * - Time buckets: multiples of the step since the epoch in UTC; with a time zone, aligned to
 *   the local wall clock: a step of whole days starts at local midnight (a DST day has 23 or 25
 *   hours); a shorter one where the local clock shows a multiple of the step (the hour repeated
 *   when clocks go back is two hour buckets).
 *
 * `_id` and `_ingest_time` are not modelled (the reference cannot know queue positions or ingest
 * times): they are null here, and the test leaves them out of its comparisons.
 */
import type { Agg, Expr, Pipe, StatsPipe, TimechartPipe } from '../src/core/pipe-ast.ts';
import { matches, numberFromValue, type RefEvent, type RefValue } from './reference-eval.ts';
import { micros6 } from './search-generators.ts';

export type RType = 'VARCHAR' | 'DOUBLE' | 'BIGINT' | 'BOOLEAN' | 'TIMESTAMP' | 'LIST';
export type Cell = string | number | boolean | null | string[];

interface Row {
  v: Map<string, Cell>;
  /** Fields of the event that are not columns, with their JSON types (whole events only). */
  extra: Record<string, RefValue> | null;
}

interface Table {
  cols: Map<string, RType>;
  rows: Row[];
  /** True once a pipe fixed the columns: naming an unknown field is then an error. */
  closed: boolean;
  /** Names of the base columns while whole events are carried, else null. */
  base: Set<string> | null;
}

/** What the API answers 400 for (an unknown field once the columns are fixed, ...). */
export class RefPipeError extends Error {}

export interface RefInput {
  /** The events that match the filter and the time range. */
  events: RefEvent[];
  pipes: Pipe[];
  /** Unified type of every column field in the partitions the query reads. */
  columns: ReadonlyMap<string, 'VARCHAR' | 'DOUBLE' | 'BOOLEAN'>;
  /** The query's time range, epoch µs [start, end). */
  start: number;
  end: number;
  tz: string | null;
  /** The step the timechart used (the test checks an automatic step separately). */
  timechartStepUs?: number;
}

export type RefResult =
  | { kind: 'events'; events: Array<Record<string, unknown>> }
  | { kind: 'table'; columns: Array<{ name: string; type: string }>; rows: unknown[][] }
  | { kind: 'timechart'; columns: string[]; rows: unknown[][]; truncated: number };

const FIXED: ReadonlyArray<[string, RType]> = [
  ['_time', 'TIMESTAMP'],
  ['_ingest_time', 'TIMESTAMP'],
  ['stream', 'VARCHAR'],
  ['message', 'VARCHAR'],
  ['level', 'VARCHAR'],
  ['host', 'VARCHAR'],
  ['service', 'VARCHAR'],
];
const FIXED_TYPE = new Map(FIXED);
const API_TYPE: Record<RType, string> = {
  VARCHAR: 'string',
  DOUBLE: 'number',
  BIGINT: 'number',
  BOOLEAN: 'boolean',
  TIMESTAMP: 'time',
  LIST: 'list',
};

// --- values ---

/** A number as text, as JSON writes it (the test's numbers are small enough to agree with SQL). */
function numText(n: number): string {
  return String(n);
}

export function numOf(v: Cell, t: RType): number | null {
  if (v === null) return null;
  if (t === 'DOUBLE' || t === 'BIGINT') return v as number;
  if (t === 'TIMESTAMP') return (v as number) / 1000;
  if (t === 'BOOLEAN') return v ? 1 : 0;
  if (t === 'LIST') return null;
  return numberFromValue(String(v));
}

export function textOf(v: Cell, t: RType): string | null {
  if (v === null) return null;
  if (t === 'DOUBLE' || t === 'BIGINT') return numText(v as number);
  if (t === 'TIMESTAMP') return micros6(v as number);
  if (t === 'LIST') return JSON.stringify(v);
  return String(v);
}

/** A JSON value of an event as a column of type `t`. */
function convert(v: RefValue | undefined, t: RType): Cell {
  if (v === undefined) return null;
  if (t === 'VARCHAR') return typeof v === 'number' ? numText(v) : String(v);
  if (t === 'DOUBLE')
    return typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : numberFromValue(v);
  if (t === 'BOOLEAN') return typeof v === 'boolean' ? v : null;
  throw new Error(`reference: no conversion to ${t}`);
}

/** Code point order (what DuckDB's binary collation gives). */
export function compareText(a: string, b: string): number {
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

/** Ascending order of two non-null values of one type. */
function compareCells(a: Cell, b: Cell, t: RType): number {
  if (t === 'VARCHAR') return compareText(String(a), String(b));
  if (t === 'BOOLEAN') return Number(a) - Number(b);
  if (t === 'LIST') return compareText(JSON.stringify(a), JSON.stringify(b));
  return (a as number) - (b as number);
}

/** Order with missing values last in both directions. */
function orderBy(a: Cell, b: Cell, t: RType, desc: boolean): number {
  if (a === null || b === null) return a === null ? (b === null ? 0 : 1) : -1;
  const c = compareCells(a, b, t);
  return desc ? -c : c;
}

function keyOf(v: Cell): string {
  return v === null ? 'null' : `${typeof v}:${Array.isArray(v) ? JSON.stringify(v) : String(v)}`;
}

// --- time buckets ---

const DAY_US = 86_400e6;
const offsetCache = new Map<string, number>();
const formatters = new Map<string, Intl.DateTimeFormat>();

/** UTC offset (µs) of `tz` at instant `us`. */
export function tzOffsetUs(tz: string, us: number): number {
  const slot = Math.floor(us / 900e6);
  const key = `${tz}|${slot}`;
  const hit = offsetCache.get(key);
  if (hit !== undefined) return hit;
  let f = formatters.get(tz);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  const ms = slot * 900e3;
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const wall = Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!, +p.second!);
  const off = (wall - ms) * 1000;
  offsetCache.set(key, off);
  return off;
}

function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}

/** Start of the bucket of `us`: UTC multiples of the step, or the local wall clock of `tz`. */
export function bucketStart(us: number, stepUs: number, tz: string | null): number {
  if (tz === null) return us - mod(us, stepUs);
  if (stepUs % DAY_US === 0) {
    const wallDay = Math.floor((us + tzOffsetUs(tz, us)) / DAY_US);
    const wallStart = (wallDay - mod(wallDay, stepUs / DAY_US)) * DAY_US;
    let inst = wallStart - tzOffsetUs(tz, us);
    inst = wallStart - tzOffsetUs(tz, inst);
    return wallStart - tzOffsetUs(tz, inst);
  }
  // The same offset back on the local clock, unless the offset changed inside the bucket: then
  // the instant at which the local clock shows the bucket's start.
  const wall = us + tzOffsetUs(tz, us);
  const wallStart = wall - mod(wall, stepUs);
  const back = us - (wall - wallStart);
  if (back + tzOffsetUs(tz, back) === wallStart) return back;
  const guess = wallStart - tzOffsetUs(tz, us);
  return wallStart - tzOffsetUs(tz, guess);
}

// --- the pipeline ---

/** Fields read before the first pipe that fixes the columns, and whether whole events are kept. */
function baseNeeds(pipes: Pipe[]): { fields: string[]; all: boolean } {
  const fields: string[] = [];
  const produced = new Set<string>();
  const use = (names: Array<string | null>) => {
    for (const n of names) if (n !== null && !produced.has(n) && !fields.includes(n)) fields.push(n);
  };
  for (const p of pipes) {
    switch (p.type) {
      case 'stats':
        use(p.aggs.map((g) => g.field));
        use(p.by.map((b) => b.field));
        return { fields, all: false };
      case 'timechart':
        use(p.aggs.map((g) => g.field));
        use([p.by]);
        return { fields, all: false };
      case 'top':
      case 'rare':
        use(p.fields);
        return { fields, all: false };
      case 'fields':
        use(p.names);
        return { fields, all: false };
      case 'sort':
        use(p.keys.map((k) => k.field));
        break;
      case 'dedup':
        use(p.fields);
        break;
      case 'rename':
        use(p.pairs.map((x) => x.from));
        for (const x of p.pairs) produced.add(x.to);
        break;
      case 'where':
        use(filterFields(p.filter));
        break;
      case 'eval':
        for (const a of p.assigns) {
          use(exprFields(a.expr));
          produced.add(a.name);
        }
        break;
      case 'extract':
        use([p.from]);
        for (const part of p.parts) if ('name' in part && part.name !== null) produced.add(part.name);
        break;
      case 'unpack_json':
        use([p.from]);
        for (const f of p.fields ?? []) produced.add(p.prefix + f);
        break;
      case 'limit':
        break;
    }
  }
  return { fields, all: true };
}

function filterFields(f: import('../src/core/query-ast.ts').FilterNode): string[] {
  switch (f.type) {
    case 'and':
    case 'or':
      return f.children.flatMap(filterFields);
    case 'not':
      return filterFields(f.child);
    case 'all':
      return [];
    case 'time':
      return ['_time'];
    default:
      return [f.field ?? 'message'];
  }
}

function exprFields(e: Expr): string[] {
  switch (e.kind) {
    case 'field':
      return [e.name];
    case 'unary':
      return exprFields(e.arg);
    case 'binary':
      return [...exprFields(e.left), ...exprFields(e.right)];
    case 'call':
      return e.args.flatMap(exprFields);
    default:
      return [];
  }
}

function fixedValue(ev: RefEvent, name: string): Cell {
  switch (name) {
    case '_time':
      return ev.time;
    case 'stream':
      return ev.stream;
    case 'message':
      return ev.message;
    case 'level':
    case 'host':
    case 'service':
      return ev[name] === '' ? null : ev[name];
    default:
      return null; // _ingest_time
  }
}

function base(input: RefInput): Table {
  const needs = baseNeeds(input.pipes);
  const cols = new Map<string, RType>([
    ['_time', 'TIMESTAMP'],
    ['_id', 'BIGINT'],
  ]);
  if (needs.all) {
    for (const [n, t] of FIXED) cols.set(n, t);
    for (const [n, t] of input.columns) cols.set(n, t);
  }
  for (const n of needs.fields)
    if (!cols.has(n)) cols.set(n, FIXED_TYPE.get(n) ?? input.columns.get(n) ?? 'VARCHAR');
  const rows = [...input.events]
    .sort((a, b) => b.time - a.time)
    .map((ev) => {
      const v = new Map<string, Cell>();
      for (const [n, t] of cols)
        v.set(n, FIXED_TYPE.has(n) ? fixedValue(ev, n) : n === '_id' ? null : convert(ev.fields[n], t));
      let extra: Record<string, RefValue> | null = null;
      if (needs.all) {
        extra = {};
        for (const [k, x] of Object.entries(ev.fields)) if (!cols.has(k)) extra[k] = x;
      }
      return { v, extra };
    });
  return { cols, rows, closed: !needs.all, base: needs.all ? new Set(cols.keys()) : null };
}

/** The type of a column a pipe reads; an unknown column is an error once the columns are fixed. */
function need(t: Table, field: string, pipe: string): RType | undefined {
  const ty = t.cols.get(field);
  if (ty === undefined && t.closed) throw new RefPipeError(`${pipe}: no field ${field}`);
  return ty;
}

function get(r: Row, name: string): Cell {
  return r.v.get(name) ?? null;
}

function withCols(t: Table, rows: Row[], patch: Partial<Table> = {}): Table {
  return { ...t, rows, ...patch };
}

// where

function rowEvent(t: Table, r: Row): RefEvent {
  const ev: RefEvent = { time: 0, stream: '', message: '', level: '', host: '', service: '', fields: {} };
  for (const [n, ty] of t.cols) {
    const v = get(r, n);
    if (n === '_time' && ty === 'TIMESTAMP') ev.time = v as number;
    else if (n === 'stream' || n === 'message' || n === 'level' || n === 'host' || n === 'service')
      ev[n] = v === null ? '' : String(v);
    else if (v !== null && ty !== 'LIST' && ty !== 'TIMESTAMP') ev.fields[n] = v as RefValue;
  }
  return ev;
}

function where(t: Table, filter: import('../src/core/query-ast.ts').FilterNode): Table {
  for (const f of filterFields(filter))
    if (t.closed || FIXED_TYPE.has(f)) if (!t.cols.has(f)) throw new RefPipeError(`where: no field ${f}`);
  return withCols(
    t,
    t.rows.filter((r) => matches(filter, rowEvent(t, r))),
  );
}

// eval

interface Compiled {
  type: RType;
  /** The value for a row (`i`: its index in the table). */
  at: (r: Row, i?: number) => Cell;
}

function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/** SQL-style rounding of a double to `d` decimals (d >= 0). */
function roundTo(x: number, d: number): number {
  if (d <= 0) return roundHalfAway(x);
  const m = 10 ** d;
  const y = roundHalfAway(x * m) / m;
  return Number.isFinite(y) ? y : x;
}

function compileExpr(t: Table, e: Expr): Compiled {
  switch (e.kind) {
    case 'number':
      return { type: 'DOUBLE', at: () => e.value };
    case 'string':
      return { type: 'VARCHAR', at: () => e.value };
    case 'null':
      return { type: 'VARCHAR', at: () => null };
    case 'field': {
      const ty = need(t, e.name, 'eval');
      return ty === undefined ? { type: 'VARCHAR', at: () => null } : { type: ty, at: (r) => get(r, e.name) };
    }
    case 'unary': {
      const a = compileExpr(t, e.arg);
      return {
        type: 'DOUBLE',
        at: (r) => {
          const x = numOf(a.at(r), a.type);
          return x === null ? null : -x;
        },
      };
    }
    case 'binary': {
      const l = compileExpr(t, e.left);
      const rr = compileExpr(t, e.right);
      return {
        type: 'DOUBLE',
        at: (r) => {
          const x = numOf(l.at(r), l.type);
          const y = numOf(rr.at(r), rr.type);
          if (x === null || y === null) return null;
          switch (e.op) {
            case '+':
              return x + y;
            case '-':
              return x - y;
            case '*':
              return x * y;
            case '/':
              return y === 0 ? null : x / y;
            case '%':
              return y === 0 ? null : x % y;
          }
        },
      };
    }
    case 'call':
      return compileCall(t, e.fn, e.args);
  }
}

function compileCall(t: Table, fn: string, args: Expr[]): Compiled {
  const a = args.map((x) => compileExpr(t, x));
  const num = (i: number, r: Row) => numOf(a[i]!.at(r), a[i]!.type);
  const text = (i: number, r: Row) => textOf(a[i]!.at(r), a[i]!.type);
  const d = (f: (r: Row) => number | null): Compiled => ({ type: 'DOUBLE', at: f });
  const s = (f: (r: Row) => string | null): Compiled => ({ type: 'VARCHAR', at: f });
  const num1 = (f: (x: number) => number | null) =>
    d((r) => {
      const x = num(0, r);
      return x === null ? null : f(x);
    });
  const text1 = (f: (x: string) => string | number | null) => (r: Row) => {
    const x = text(0, r);
    return x === null ? null : f(x);
  };
  switch (fn) {
    case 'abs':
      return num1(Math.abs);
    case 'ceil':
      return num1(Math.ceil);
    case 'floor':
      return num1(Math.floor);
    case 'round':
      return d((r) => {
        const x = num(0, r);
        if (x === null) return null;
        if (a.length === 1) return roundHalfAway(x);
        const p = num(1, r);
        return p === null ? null : roundTo(x, roundHalfAway(p));
      });
    case 'sqrt':
      return num1((x) => (x >= 0 ? Math.sqrt(x) : null));
    case 'ln':
      return num1((x) => (x > 0 ? Math.log(x) : null));
    case 'log10':
      return num1((x) => (x > 0 ? Math.log10(x) : null));
    case 'exp':
      return num1((x) => (x < 700 ? Math.exp(x) : null));
    case 'pow':
      return d((r) => {
        const x = num(0, r);
        const y = num(1, r);
        return x === null || y === null ? null : x ** y;
      });
    case 'lower':
      return s(text1((x) => x.toLowerCase()) as (r: Row) => string | null);
    case 'upper':
      return s(text1((x) => x.toUpperCase()) as (r: Row) => string | null);
    case 'trim':
      return s(text1((x) => x.replace(/^ +| +$/g, '')) as (r: Row) => string | null);
    case 'len':
      return d(text1((x) => [...x].length) as (r: Row) => number | null);
    case 'concat':
      return s((r) => a.map((_, i) => text(i, r) ?? '').join(''));
    case 'substr':
      return s((r) => {
        const x = text(0, r);
        const from = num(1, r);
        const len = a.length === 3 ? num(2, r) : Number.POSITIVE_INFINITY;
        if (x === null || from === null || len === null) return null;
        const cps = [...x];
        const f = roundHalfAway(from);
        return cps.slice(f - 1, Number.isFinite(len) ? f - 1 + roundHalfAway(len) : undefined).join('');
      });
    case 'replace':
      return s((r) => {
        const x = text(0, r);
        const from = text(1, r);
        const to = text(2, r);
        return x === null || from === null || to === null ? null : x.split(from).join(to);
      });
    case 'coalesce': {
      const types = new Set(a.map((x) => x.type));
      if (types.size === 1)
        return {
          type: a[0]!.type,
          at: (r) => {
            for (const x of a) {
              const v = x.at(r);
              if (v !== null) return v;
            }
            return null;
          },
        };
      return s((r) => {
        for (let i = 0; i < a.length; i++) {
          const v = text(i, r);
          if (v !== null) return v;
        }
        return null;
      });
    }
    case 'tostring':
      return s((r) => text(0, r));
    case 'tonumber':
      return d((r) => num(0, r));
    default:
      throw new Error(`reference: unknown function ${fn}`);
  }
}

/** Sets columns computed per row; an existing column is replaced in place, a new one appended. */
function assign(t: Table, name: string, c: Compiled, moveToEnd: boolean): Table {
  const cols = new Map(t.cols);
  if (moveToEnd) cols.delete(name);
  cols.set(name, c.type);
  return withCols(
    t,
    t.rows.map((r, i) => {
      const v = new Map(r.v);
      if (moveToEnd) v.delete(name);
      v.set(name, c.at(r, i));
      return { v, extra: r.extra };
    }),
    { cols },
  );
}

// extract and unpack_json

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function extract(t: Table, p: Extract<Pipe, { type: 'extract' }>): Table {
  const ty = need(t, p.from, 'extract') ?? 'VARCHAR';
  const has = t.cols.has(p.from);
  let src = '';
  const names: string[] = [];
  p.parts.forEach((part, i) => {
    if ('literal' in part) src += escapeRe(part.literal);
    else {
      const body = i === p.parts.length - 1 ? '.*' : '.*?';
      src += part.name === null ? `(?:${body})` : `(${body})`;
      if (part.name !== null) names.push(part.name);
    }
  });
  const re = new RegExp(src, 'su');
  const found = t.rows.map((r) => {
    const x = has ? textOf(get(r, p.from), ty) : null;
    return x === null ? null : re.exec(x);
  });
  let out = t;
  names.forEach((n, j) => {
    out = assign(out, n, { type: 'VARCHAR', at: (_, i) => found[i!]?.[j + 1] || null }, true);
  });
  return out;
}

function jsonObject(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const v = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function jsonText(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numText(v);
  if (typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function unpackJson(t: Table, p: Extract<Pipe, { type: 'unpack_json' }>): Table {
  const ty = need(t, p.from, 'unpack_json') ?? 'VARCHAR';
  const has = t.cols.has(p.from);
  const objs = t.rows.map((r) => (has ? jsonObject(textOf(get(r, p.from), ty)) : null));
  let keys = p.fields;
  if (keys === null) {
    const all = new Set<string>();
    for (const o of objs) if (o) for (const k of Object.keys(o)) all.add(k);
    keys = [...all].sort(compareText).slice(0, 200);
  }
  let out = t;
  for (const k of keys) {
    out = assign(out, p.prefix + k, { type: 'VARCHAR', at: (_, i) => jsonText(objs[i!]?.[k]) }, true);
  }
  return out;
}

// fields, rename, sort, dedup

function fields(t: Table, names: string[]): Table {
  const cols = new Map<string, RType>();
  for (const n of names) cols.set(n, need(t, n, 'fields') ?? 'VARCHAR');
  return {
    cols,
    rows: t.rows.map((r) => ({ v: new Map(names.map((n) => [n, get(r, n)])), extra: null })),
    closed: true,
    base: null,
  };
}

function rename(t: Table, pairs: Array<{ from: string; to: string }>): Table {
  const map = new Map<string, string>();
  for (const { from, to } of pairs) {
    need(t, from, 'rename');
    if (t.cols.has(from)) map.set(from, to);
  }
  if (map.size === 0) return t;
  const targets = new Set(map.values());
  const cols = new Map<string, RType>();
  const pick: Array<[string, string]> = [];
  for (const [n, ty] of t.cols) {
    const to = map.get(n);
    if (to !== undefined) {
      cols.set(to, ty);
      pick.push([n, to]);
    } else if (!targets.has(n)) {
      cols.set(n, ty);
      pick.push([n, n]);
    }
  }
  return withCols(
    t,
    t.rows.map((r) => ({ v: new Map(pick.map(([from, to]) => [to, get(r, from)])), extra: r.extra })),
    { cols },
  );
}

function sort(t: Table, keys: Array<{ field: string; desc: boolean }>): Table {
  const getters: Array<(r: Row) => { v: Cell; t: RType; desc: boolean }> = [];
  for (const k of keys) {
    const ty = need(t, k.field, 'sort');
    if (ty === undefined) continue;
    if (ty === 'VARCHAR') {
      getters.push((r) => ({ v: numOf(get(r, k.field), 'VARCHAR'), t: 'DOUBLE', desc: k.desc }));
      getters.push((r) => ({ v: get(r, k.field), t: 'VARCHAR', desc: k.desc }));
    } else getters.push((r) => ({ v: get(r, k.field), t: ty, desc: k.desc }));
  }
  const rows = [...t.rows].sort((a, b) => {
    for (const g of getters) {
      const x = g(a);
      const c = orderBy(x.v, g(b).v, x.t, x.desc);
      if (c !== 0) return c;
    }
    return 0;
  });
  return withCols(t, rows);
}

function dedup(t: Table, fs: string[]): Table {
  for (const f of fs) need(t, f, 'dedup');
  if (fs.some((f) => !t.cols.has(f))) return withCols(t, []);
  const seen = new Set<string>();
  return withCols(
    t,
    t.rows.filter((r) => {
      const vals = fs.map((f) => get(r, f));
      if (vals.some((v) => v === null)) return false;
      const k = vals.map(keyOf).join('\u0000');
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    }),
  );
}

// aggregates

interface AggOut {
  type: RType;
  compute: (rows: Row[], bucketUs: number | null) => Cell;
}

function aggregate(t: Table, g: Agg, input: RefInput, pipe: string): AggOut {
  const ty = g.field === null ? undefined : need(t, g.field, pipe);
  const ft: RType = ty ?? 'VARCHAR';
  const val = (r: Row): Cell => (g.field === null || ty === undefined ? null : get(r, g.field));
  const nums = (rows: Row[]) => {
    const out: number[] = [];
    for (const r of rows) {
      const x = numOf(val(r), ft);
      if (x !== null) out.push(x);
    }
    return out;
  };
  switch (g.fn) {
    case 'count':
      return {
        type: 'BIGINT',
        compute: (rows) => (g.field === null ? rows.length : rows.filter((r) => val(r) !== null).length),
      };
    case 'count_distinct':
    case 'count_distinct_approx':
      return {
        type: 'BIGINT',
        compute: (rows) =>
          new Set(
            rows
              .map(val)
              .filter((v) => v !== null)
              .map(keyOf),
          ).size,
      };
    case 'sum':
      return {
        type: 'DOUBLE',
        compute: (rows) => {
          const xs = nums(rows);
          return xs.length === 0 ? null : xs.reduce((s, x) => s + x, 0);
        },
      };
    case 'avg':
      return {
        type: 'DOUBLE',
        compute: (rows) => {
          const xs = nums(rows);
          return xs.length === 0 ? null : xs.reduce((s, x) => s + x, 0) / xs.length;
        },
      };
    case 'min':
    case 'max': {
      const pickMin = g.fn === 'min';
      if (ft === 'TIMESTAMP') {
        return {
          type: 'TIMESTAMP',
          compute: (rows) => {
            const xs = rows.map(val).filter((v): v is number => v !== null);
            return xs.length === 0 ? null : pickMin ? Math.min(...xs) : Math.max(...xs);
          },
        };
      }
      return {
        type: 'DOUBLE',
        compute: (rows) => {
          const xs = nums(rows);
          if (xs.length === 0) return null;
          return xs.reduce((m, x) => (pickMin ? Math.min(m, x) : Math.max(m, x)));
        },
      };
    }
    case 'quantile':
      return {
        type: 'DOUBLE',
        compute: (rows) => {
          const xs = nums(rows).sort((a, b) => a - b);
          if (xs.length === 0) return null;
          const pos = g.q! * (xs.length - 1);
          const lo = Math.floor(pos);
          const hi = Math.ceil(pos);
          return xs[lo]! + (pos - lo) * (xs[hi]! - xs[lo]!);
        },
      };
    case 'values':
      return {
        type: 'LIST',
        compute: (rows) => {
          const xs = new Set<string>();
          for (const r of rows) {
            const x = textOf(val(r), ft);
            if (x !== null) xs.add(x);
          }
          return xs.size === 0 ? null : [...xs].sort(compareText).slice(0, 100);
        },
      };
    case 'first':
    case 'last': {
      if (t.cols.get('_time') !== 'TIMESTAMP') need(t, '_time', `${pipe} ${g.fn}()`);
      const newest = g.fn === 'last';
      return {
        type: ft,
        compute: (rows) => {
          let best: Row | null = null;
          for (const r of rows) {
            if (val(r) === null) continue;
            const tm = get(r, '_time') as number;
            if (
              best === null ||
              (newest ? tm > (get(best, '_time') as number) : tm < (get(best, '_time') as number))
            )
              best = r;
          }
          return best === null ? null : val(best);
        },
      };
    }
    case 'rate':
      return {
        type: 'DOUBLE',
        compute: (rows, bucketUs) =>
          rows.length / (bucketUs !== null ? bucketUs / 1e6 : Math.max(1, (input.end - input.start) / 1e6)),
      };
  }
}

function group<T>(rows: Row[], keyOfRow: (r: Row) => T[]): Array<{ key: T[]; rows: Row[] }> {
  const groups = new Map<string, { key: T[]; rows: Row[] }>();
  for (const r of rows) {
    const key = keyOfRow(r);
    const k = key.map((x) => keyOf(x as Cell)).join('\u0000');
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { key, rows: [] }));
    g.rows.push(r);
  }
  return [...groups.values()];
}

function timeColumn(t: Table, pipe: string): void {
  if (t.cols.get('_time') !== 'TIMESTAMP') throw new RefPipeError(`${pipe}: no _time`);
}

function stats(t: Table, p: StatsPipe, input: RefInput): Table {
  const cols = new Map<string, RType>();
  let bucketUs: number | null = null;
  const keyFns: Array<(r: Row) => Cell> = [];
  for (const b of p.by) {
    if (b.bucketUs !== undefined) {
      timeColumn(t, 'stats');
      const step = b.bucketUs;
      cols.set(b.field, 'TIMESTAMP');
      bucketUs = step;
      keyFns.push((r) => bucketStart(get(r, '_time') as number, step, input.tz));
    } else {
      const ty = need(t, b.field, 'stats');
      cols.set(b.field, ty ?? 'VARCHAR');
      keyFns.push((r) => (ty === undefined ? null : get(r, b.field)));
    }
  }
  const aggs = p.aggs.map((g) => aggregate(t, g, input, 'stats'));
  p.aggs.forEach((g, i) => {
    cols.set(g.name, aggs[i]!.type);
  });
  const groups =
    p.by.length === 0 ? [{ key: [] as Cell[], rows: t.rows }] : group(t.rows, (r) => keyFns.map((f) => f(r)));
  const byTypes = p.by.map((b) => cols.get(b.field)!);
  groups.sort((a, b) => {
    for (let i = 0; i < byTypes.length; i++) {
      const c = orderBy(a.key[i]!, b.key[i]!, byTypes[i]!, false);
      if (c !== 0) return c;
    }
    return 0;
  });
  const rows = groups.map((g) => {
    const v = new Map<string, Cell>();
    p.by.forEach((b, i) => {
      v.set(b.field, g.key[i]!);
    });
    p.aggs.forEach((a, i) => {
      v.set(a.name, aggs[i]!.compute(g.rows, bucketUs));
    });
    return { v, extra: null };
  });
  return { cols, rows, closed: true, base: null };
}

function top(t: Table, p: Extract<Pipe, { type: 'top' | 'rare' }>): Table {
  const cols = new Map<string, RType>();
  for (const f of p.fields) {
    if (f === 'count' || f === 'percent') throw new RefPipeError(`${p.type}: ${f} clashes`);
    cols.set(f, need(t, f, p.type) ?? 'VARCHAR');
  }
  cols.set('count', 'BIGINT');
  cols.set('percent', 'DOUBLE');
  const total = t.rows.length;
  const groups = group(t.rows, (r) => p.fields.map((f) => get(r, f))).filter((g) =>
    g.key.every((x) => x !== null),
  );
  const types = p.fields.map((f) => cols.get(f)!);
  groups.sort((a, b) => {
    const c = p.type === 'top' ? b.rows.length - a.rows.length : a.rows.length - b.rows.length;
    if (c !== 0) return c;
    for (let i = 0; i < types.length; i++) {
      const d = orderBy(a.key[i]!, b.key[i]!, types[i]!, false);
      if (d !== 0) return d;
    }
    return 0;
  });
  const rows = groups.slice(0, p.n).map((g) => {
    const v = new Map<string, Cell>();
    p.fields.forEach((f, i) => {
      v.set(f, g.key[i]!);
    });
    v.set('count', g.rows.length);
    v.set('percent', roundTo((g.rows.length * 100) / total, 2));
    return { v, extra: null };
  });
  return { cols, rows, closed: true, base: null };
}

/** The long timechart table, ranked, zero-filled and pivoted as the API answers it. */
function timechart(t: Table, p: TimechartPipe, input: RefInput): RefResult {
  const step = p.stepUs ?? input.timechartStepUs;
  if (step === undefined) throw new Error('reference: timechart step unknown');
  timeColumn(t, 'timechart');
  let seriesOf: (r: Row) => string | null = () => null;
  if (p.by !== null) {
    const by = p.by;
    const ty = need(t, by, 'timechart');
    seriesOf = (r) => (ty === undefined ? null : textOf(get(r, by), ty));
  }
  const aggs = p.aggs.map((g) => aggregate(t, g, input, 'timechart'));
  const outCell = (v: Cell, ty: RType): unknown =>
    v === null ? null : ty === 'LIST' ? JSON.stringify(v) : v;
  const long = new Map<string | null, Map<number, unknown[]>>();
  for (const g of group(t.rows, (r) => [
    bucketStart(get(r, '_time') as number, step, input.tz),
    seriesOf(r),
  ])) {
    const [b, s] = g.key as [number, string | null];
    let m = long.get(s);
    if (!m) long.set(s, (m = new Map()));
    m.set(
      b,
      aggs.map((a) => outCell(a.compute(g.rows, step), a.type)),
    );
  }
  const totals = [...long.entries()].map(([s, m]) => {
    let sum = 0;
    for (const vals of m.values()) sum += Number(vals[0]) || 0;
    return { s, sum };
  });
  totals.sort((a, b) => b.sum - a.sum || String(a.s ?? '').localeCompare(String(b.s ?? '')));
  const series = p.by === null ? [null] : totals.slice(0, p.limit).map((x) => x.s);
  const truncated = Math.max(0, totals.length - p.limit);
  // Every bucket that has an instant of [start, end).
  const buckets: number[] = [];
  const last = input.end - 1;
  for (let b = bucketStart(input.start, step, input.tz); b <= last; ) {
    buckets.push(b);
    let next = b + step;
    // With a time zone a bucket may be longer than the step (a 25-hour day): find the next start.
    while (bucketStart(next, step, input.tz) <= b) next += 900e6;
    b = bucketStart(next, step, input.tz);
  }
  const columns = ['_time'];
  for (const s of series)
    for (const g of p.aggs)
      columns.push(p.by === null ? g.name : p.aggs.length === 1 ? String(s) : `${g.name}:${String(s)}`);
  const zero = new Set(['count', 'count_distinct', 'count_distinct_approx', 'sum', 'rate']);
  const rows = buckets.map((b) => {
    const row: unknown[] = [micros6(b)];
    for (const s of series) {
      const vals = long.get(s)?.get(b);
      row.push(...(vals ?? p.aggs.map((g) => (zero.has(g.fn) ? 0 : null))));
    }
    return row;
  });
  return { kind: 'timechart', columns, rows, truncated };
}

// --- output ---

function outValue(v: Cell, ty: RType): unknown {
  if (v === null) return null;
  if (ty === 'TIMESTAMP') return micros6(v as number);
  return v;
}

/** Runs the pipes over the events; throws RefPipeError where the API answers 400. */
export function runPipesRef(input: RefInput): RefResult {
  let t = base(input);
  let aggregated = false;
  for (const p of input.pipes) {
    switch (p.type) {
      case 'where':
        t = where(t, p.filter);
        break;
      case 'eval':
        for (const a of p.assigns) t = assign(t, a.name, compileExpr(t, a.expr), false);
        break;
      case 'extract':
        t = extract(t, p);
        break;
      case 'unpack_json':
        t = unpackJson(t, p);
        break;
      case 'fields':
        t = fields(t, p.names);
        break;
      case 'rename':
        t = rename(t, p.pairs);
        break;
      case 'sort':
        t = sort(t, p.keys);
        break;
      case 'limit':
        t = withCols(t, t.rows.slice(0, p.n));
        break;
      case 'dedup':
        t = dedup(t, p.fields);
        break;
      case 'stats':
        t = stats(t, p, input);
        aggregated = true;
        break;
      case 'top':
      case 'rare':
        t = top(t, p);
        aggregated = true;
        break;
      case 'timechart':
        return timechart(t, p, input);
    }
  }
  const cols = [...t.cols];
  if (aggregated) {
    return {
      kind: 'table',
      columns: cols.map(([name, ty]) => ({ name, type: API_TYPE[ty] })),
      rows: t.rows.map((r) => cols.map(([n, ty]) => outValue(get(r, n), ty))),
    };
  }
  return {
    kind: 'events',
    events: t.rows.map((r) => {
      const ev: Record<string, unknown> = {};
      if (r.extra !== null && t.base !== null) {
        for (const [k, v] of Object.entries(r.extra)) if (!t.base.has(k)) ev[k] = v;
      }
      for (const [n, ty] of cols) {
        const v = outValue(get(r, n), ty);
        if (v !== null) ev[n] = Array.isArray(v) ? JSON.stringify(v) : v;
      }
      return ev;
    }),
  };
}
