/**
 * Runs a compiled pipeline (compile-pipes.ts) on a DuckDB connection and shapes the answer:
 * whole events when no pipe aggregated, a table of columns and rows otherwise, and for a
 * timechart the zero-filled bucket series (pivoted by the API).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { LwError } from '../../core/errors.ts';
import { qposToId } from '../../core/ids.ts';
import { formatTimestamp } from '../../core/time.ts';
import type {
  OutputEvent,
  PipelineRequest,
  PipelineResult,
  ResultColumn,
  ResultType,
  TimechartData,
} from '../store.ts';
import type { PType } from './compile-expr.ts';
import { type CompiledPipeline, compilePipeline, finalSelect } from './compile-pipes.ts';
import type { Partition } from './partition.ts';
import { tzBucketSql, tzOffsetsFor } from './tz-buckets.ts';

/** Most buckets a timechart may have. */
export const MAX_BUCKETS = 100_000;
/** Time zone offsets are multiples of 15 minutes: sampling at this step finds every local bucket. */
const TZ_SAMPLE_US = 15 * 60 * 1e6;
/** Aggregates whose value without events is 0 (the others have none: null). */
const ZERO_WHEN_EMPTY = new Set(['count', 'count_distinct', 'count_distinct_approx', 'sum', 'rate']);

const RESULT_TYPE: Record<PType, ResultType> = {
  VARCHAR: 'string',
  DOUBLE: 'number',
  BIGINT: 'number',
  BOOLEAN: 'boolean',
  TIMESTAMP: 'time',
  LIST: 'list',
};

function readValue(name: string, t: PType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (t === 'TIMESTAMP') return formatTimestamp(Number(v));
  if (t === 'LIST') return JSON.parse(String(v));
  if (name === '_id' && t === 'BIGINT') return qposToId(Number(v));
  if (typeof v === 'bigint') return Number(v);
  return v;
}

export async function runPipeline(
  conn: DuckDBConnection,
  selects: ReadonlyArray<{ p: Partition; where: string }>,
  req: PipelineRequest,
): Promise<PipelineResult> {
  const c = await compilePipeline({
    selects,
    pipes: req.pipes,
    start: req.start,
    end: req.end,
    nowUs: req.nowUs,
    tz: req.tz,
    firstColumn: async (sql) => (await conn.runAndReadAll(sql)).getRows().map((r) => r[0]),
  });
  if (c.timechart) {
    return {
      kind: 'timechart',
      data: await timechart(conn, c, req),
      warnings: c.warnings,
      approximate: c.approximate,
    };
  }
  const sql = finalSelect(c, req.limit);
  const rows = (await conn.runAndReadAll(sql.rows)).getRows();
  const total =
    rows.length < req.limit ? rows.length : Number((await conn.runAndReadAll(sql.count)).getRows()[0]![0]);
  const cols = [...c.rel.cols];
  if (!c.aggregated) {
    const skip = c.rel.extra;
    const events = rows.map((row) => {
      const ev: OutputEvent = {};
      const idIdx = cols.findIndex(([n]) => n === '_id');
      if (idIdx >= 0 && row[idIdx] !== null) ev._id = readValue('_id', 'BIGINT', row[idIdx]) as string;
      if (skip !== null) {
        const extra = row[cols.length];
        if (extra) {
          for (const [k, v] of Object.entries(JSON.parse(String(extra)) as Record<string, unknown>)) {
            if (!skip.has(k) && v !== null && typeof v !== 'object') ev[k] = v as string | number | boolean;
          }
        }
      }
      cols.forEach(([n, t], i) => {
        const v = readValue(n, t, row[i]);
        if (v === null) return;
        ev[n] = (Array.isArray(v) ? JSON.stringify(v) : v) as string | number | boolean;
      });
      return ev;
    });
    return { kind: 'events', events, total, warnings: c.warnings };
  }
  const columns: ResultColumn[] = cols.map(([name, t]) => ({ name, type: RESULT_TYPE[t] }));
  return {
    kind: 'table',
    columns,
    rows: rows.map((row) => cols.map(([n, t], i) => readValue(n, t, row[i]))),
    total,
    warnings: c.warnings,
    approximate: c.approximate,
  };
}

/** Bucket starts covering [first, last] in the request's time zone (DST-aware). */
async function tzBuckets(
  conn: DuckDBConnection,
  tz: string,
  stepUs: number,
  from: number,
  to: number,
): Promise<number[]> {
  const sample = Math.min(stepUs, TZ_SAMPLE_US);
  if ((to - from) / sample > 4 * MAX_BUCKETS) {
    throw new LwError('LW_ERR_BAD_PARAM', ['q', `timechart: the bucket size is too small for the range`]);
  }
  const bucket = tzBucketSql('epoch_us(ts)', stepUs, tzOffsetsFor(tz, stepUs, from, to));
  const sql = `SELECT DISTINCT ${bucket} AS b
    FROM (SELECT unnest(generate_series(make_timestamp(${from}::BIGINT), make_timestamp(${to}::BIGINT), to_microseconds(${sample}::BIGINT))) AS ts
          UNION ALL SELECT make_timestamp(${to}::BIGINT))
    ORDER BY b`;
  return (await conn.runAndReadAll(sql)).getRows().map((r) => Number(r[0]));
}

async function timechart(
  conn: DuckDBConnection,
  c: CompiledPipeline,
  req: PipelineRequest,
): Promise<TimechartData> {
  const { pipe, sql, stepUs } = c.timechart!;
  const rows = (await conn.runAndReadAll(sql)).getRows();
  const types = pipe.aggs.map((g) => c.rel.cols.get(g.name));
  // Rank series by the total of the first aggregate.
  const totals = new Map<string | null, number>();
  for (const r of rows) {
    const s = r[1] === null ? null : String(r[1]);
    totals.set(s, (totals.get(s) ?? 0) + (Number(r[2]) || 0));
  }
  const ranked = [...totals.entries()].sort(
    (a, b) => b[1] - a[1] || String(a[0] ?? '').localeCompare(String(b[0] ?? '')),
  );
  let series = ranked.slice(0, pipe.limit).map(([s]) => s);
  const truncated = Math.max(0, ranked.length - pipe.limit);
  if (pipe.by === null) series = [null];
  // Every bucket of the range.
  const bs = rows.map((r) => Number(r[0]));
  const lo = req.start ?? (bs.length ? Math.min(...bs) : null);
  const hi = req.end !== null ? req.end - 1 : bs.length ? Math.max(...bs, req.nowUs) : null;
  let buckets: number[] = [];
  if (lo !== null && hi !== null && hi >= lo) {
    if (req.tz !== null) buckets = await tzBuckets(conn, req.tz, stepUs, lo, hi);
    else {
      const first = lo - (((lo % stepUs) + stepUs) % stepUs);
      const last = hi - (((hi % stepUs) + stepUs) % stepUs);
      const n = Math.floor((last - first) / stepUs) + 1;
      if (n > MAX_BUCKETS) {
        throw new LwError('LW_ERR_BAD_PARAM', [
          'q',
          `timechart: ${n} buckets; use a larger bucket size (at most ${MAX_BUCKETS})`,
        ]);
      }
      buckets = Array.from({ length: n }, (_, i) => first + i * stepUs);
    }
  }
  if (buckets.length > MAX_BUCKETS) {
    throw new LwError('LW_ERR_BAD_PARAM', [
      'q',
      `timechart: ${buckets.length} buckets; use a larger bucket size`,
    ]);
  }
  const bucketIndex = new Map(buckets.map((b, i) => [b, i]));
  const seriesIndex = new Map(series.map((s, i) => [s, i]));
  const empty: unknown[] = pipe.aggs.map((g) => (ZERO_WHEN_EMPTY.has(g.fn) ? 0 : null));
  const values = series.map(() => buckets.map(() => [...empty]));
  for (const r of rows) {
    const si = seriesIndex.get(pipe.by === null ? null : r[1] === null ? null : String(r[1]));
    const bi = bucketIndex.get(Number(r[0]));
    if (si === undefined || bi === undefined) continue;
    values[si]![bi] = pipe.aggs.map((g, i) => readValue(g.name, types[i] ?? 'DOUBLE', r[2 + i]));
  }
  return {
    pipe,
    stepUs,
    buckets,
    series,
    values,
    truncated,
    types: types.map((t) => RESULT_TYPE[t ?? 'DOUBLE']),
  };
}
