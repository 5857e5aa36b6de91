/**
 * `| timechart [5m] count() [, avg(f) ...] [by field] [limit N]`: aggregates per time bucket,
 * buckets aligned to multiples of the bucket size (in UTC, or in the request's time zone), every
 * bucket of the range present (empty ones filled with 0 for count, count_distinct, sum and rate,
 * and null for the others, which have no value without events). Without a size, the size is
 * chosen for about 100 buckets over the range. At most `limit` series (default 10) are kept, the
 * largest by the first aggregate; the answer says how many were left out.
 *
 * The store computes the long table (bucket, series value, aggregates) zero-filled;
 * `pivotTimechart` turns it into one row per bucket and one column per series.
 */
import type { TimechartPipe } from '../core/pipe-ast.ts';
import type { PipeSpec } from '../core/query-ast.ts';
import { PipeArgs } from './pipe-args.ts';
import { parseAggList } from './pipe-stats.ts';
import { parseDuration } from './time-literal.ts';

export const DEFAULT_SERIES_LIMIT = 10;
export const MAX_SERIES_LIMIT = 1000;

export function parseTimechart(spec: PipeSpec): TimechartPipe {
  const a = new PipeArgs(spec);
  let stepUs: number | null = null;
  const at = a.pos;
  const text = a.tryDurationText();
  if (text !== null) {
    stepUs = parseDuration(text);
    if (stepUs === null || stepUs <= 0) a.error('expected a bucket size such as 5m or 1h', 'a duration', at);
  }
  const aggs = parseAggList(a);
  let by: string | null = null;
  if (a.keyword('by')) {
    const paren = a.eat('(');
    by = a.name();
    if (paren) a.expect(')');
  }
  let limit = DEFAULT_SERIES_LIMIT;
  if (a.keyword('limit')) limit = a.integer('a series limit', MAX_SERIES_LIMIT);
  a.end('"by", "limit" or the end of the pipe');
  return { type: 'timechart', stepUs, aggs, by, limit };
}

export interface TimechartLong {
  /** Bucket starts, epoch microseconds, ascending, every bucket of the range. */
  buckets: number[];
  /** Series values in rank order (largest first); `[null]` when there is no `by`. */
  series: Array<string | number | boolean | null>;
  /** values[s][b][a]: aggregate a of series s in bucket b. */
  values: Array<Array<Array<unknown>>>;
  truncated: number;
}

/**
 * One row per bucket: `_time` then one column per (series, aggregate). A column is named after
 * the series value when there is one aggregate and a `by`, after the aggregate when there is no
 * `by`, and `aggregate:value` otherwise.
 */
export function pivotTimechart(
  pipe: TimechartPipe,
  long: TimechartLong,
  formatTime: (us: number) => string,
): { columns: string[]; rows: unknown[][] } {
  const columns = ['_time'];
  for (const s of long.series) {
    for (const g of pipe.aggs) {
      if (pipe.by === null) columns.push(g.name);
      else if (pipe.aggs.length === 1) columns.push(String(s));
      else columns.push(`${g.name}:${String(s)}`);
    }
  }
  const rows = long.buckets.map((b, bi) => {
    const row: unknown[] = [formatTime(b)];
    for (let si = 0; si < long.series.length; si++) row.push(...long.values[si]![bi]!);
    return row;
  });
  return { columns, rows };
}
