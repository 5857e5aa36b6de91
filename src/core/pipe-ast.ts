/**
 * The pipe AST: what `src/query/pipe-*.ts` parse the pipe section of a query into
 * (`error | stats count() by (host) | sort by (count desc)`), and what a store compiles (the
 * DuckDB store to SQL, src/store/duckdb/compile-pipes.ts). Pure types; no I/O.
 *
 * A pipe reads a table (the matching events, or the previous pipe's output) and writes a table.
 * Field names are the event's field names (`_time`, `message`, `http.status`, ...) or names
 * produced by an earlier pipe (an aggregate's alias, an `eval` target, an `extract` placeholder).
 */
import type { FilterNode } from './query-ast.ts';

/** Aggregate functions of `stats` and `timechart`. */
export type AggFn =
  | 'count'
  | 'count_distinct'
  | 'count_distinct_approx'
  | 'sum'
  | 'avg'
  | 'min'
  | 'max'
  | 'quantile'
  | 'values'
  | 'first'
  | 'last'
  | 'rate';

export interface Agg {
  fn: AggFn;
  /** The field argument; null for `count()` and `rate()`. */
  field: string | null;
  /** For `quantile` (p50, p90, p99, median): the fraction 0..1. */
  q?: number;
  /** Output column name: the alias (`as name`) or the call as written without spaces (`p99(duration)`). */
  name: string;
}

/** A `by` item: a field, or `_time` bucketed by `bucketUs` (`_time:5m`). */
export interface ByItem {
  field: string;
  bucketUs?: number;
}

export interface StatsPipe {
  type: 'stats';
  aggs: Agg[];
  by: ByItem[];
}

/** `timechart [5m] aggs [by field] [limit N]`; `stepUs` null = chosen for about 100 buckets. */
export interface TimechartPipe {
  type: 'timechart';
  stepUs: number | null;
  aggs: Agg[];
  by: string | null;
  /** Most series kept (ranked by the first aggregate's total); the rest are counted as truncated. */
  limit: number;
}

/** `top 10 host` / `rare 10 host, service`: most (least) frequent value combinations with percent. */
export interface TopPipe {
  type: 'top' | 'rare';
  n: number;
  fields: string[];
}

export interface SortKey {
  field: string;
  desc: boolean;
}

export interface SortPipe {
  type: 'sort';
  keys: SortKey[];
}

export interface LimitPipe {
  type: 'limit';
  n: number;
}

export interface FieldsPipe {
  type: 'fields';
  names: string[];
}

export interface RenamePipe {
  type: 'rename';
  pairs: Array<{ from: string; to: string }>;
}

/** `where <filter>`: the query language's filter syntax, over the current table's columns. */
export interface WherePipe {
  type: 'where';
  filter: FilterNode;
}

/** Expressions of `eval`. */
export type Expr =
  | { kind: 'field'; name: string }
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'null' }
  | { kind: 'unary'; op: '-'; arg: Expr }
  | { kind: 'binary'; op: '+' | '-' | '*' | '/' | '%'; left: Expr; right: Expr }
  | { kind: 'call'; fn: string; args: Expr[] };

export interface EvalPipe {
  type: 'eval';
  assigns: Array<{ name: string; expr: Expr }>;
}

/** `dedup a, b`: keeps the first row (in the current order) of each distinct combination. */
export interface DedupPipe {
  type: 'dedup';
  fields: string[];
}

/**
 * `extract "ip=<ip> user=<user>" [from field]`: the first match of the pattern in the field;
 * literal text between placeholders must match exactly, `<_>` skips.
 */
export interface ExtractPipe {
  type: 'extract';
  from: string;
  /** Literal parts and placeholders in order; `null` names are `<_>`. */
  parts: Array<{ literal: string } | { name: string | null }>;
}

/** `unpack_json [from field] [fields (a, b)] [prefix "p."]`: top-level keys of a JSON field. */
export interface UnpackJsonPipe {
  type: 'unpack_json';
  from: string;
  /** The keys to unpack; null = every key found in the data. */
  fields: string[] | null;
  prefix: string;
}

export type Pipe =
  | StatsPipe
  | TimechartPipe
  | TopPipe
  | SortPipe
  | LimitPipe
  | FieldsPipe
  | RenamePipe
  | WherePipe
  | EvalPipe
  | DedupPipe
  | ExtractPipe
  | UnpackJsonPipe;

/** Pipes whose output is an aggregated table (answered as columns and rows, not events). */
export function isAggregating(p: Pipe): boolean {
  return p.type === 'stats' || p.type === 'timechart' || p.type === 'top' || p.type === 'rare';
}
