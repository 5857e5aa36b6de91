/**
 * `GET /api/v1/search?q=&start=&end=&limit=&order=&tz=` (also POST with a JSON body of the same
 * names). Without pipes, or with pipes that keep events (where, eval, sort, fields, ...):
 * `{"events": [...], "total": N, "took_ms": T}`, newest first by default; `total` is the exact
 * number of matches (rows after the pipes) in the range. With an aggregating pipe (stats,
 * timechart, top, rare): `{"columns": [{name, type}], "rows": [[...]], "total": N, "took_ms": T}`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LwError } from '../core/errors.ts';
import { isAggregating, type Pipe } from '../core/pipe-ast.ts';
import { parsePipes } from '../query/parse-pipes.ts';
import { parseQuery } from '../query/parser.ts';
import { pivotTimechart } from '../query/pipe-timechart.ts';
import { parseDuration } from '../query/time-literal.ts';
import { formatTimestamp } from '../core/time.ts';
import type { Store } from '../store/store.ts';
import type { StreamList } from './auth/permissions.ts';
import { restrictToStreams } from './auth/stream-filter.ts';
import { resolveRange } from './time-params.ts';
import { noteAccess } from './audit/audit-routes.ts';

export const MAX_LIMIT = 10_000;

export interface SearchDeps {
  store: Store;
  counters: { searches: number };
}

interface Resolved {
  filter: ReturnType<typeof parseQuery>['filter'];
  pipes: Pipe[];
  start: number | null;
  end: number | null;
}

/**
 * Parses `q` and resolves the effective time range (request range narrowed by `_time:` filters).
 * Pipes are refused unless `allowPipes` (facets and histograms take a filter only). The filter is
 * limited to `streams`, the caller's stream allow-list (null: all).
 */
export function resolveQuery(
  params: Record<string, unknown>,
  now: number,
  allowPipes = false,
  streams: StreamList = null,
): Resolved {
  const q = params.q === undefined || params.q === null ? '' : String(params.q);
  const parsed = parseQuery(q, { now });
  if (!allowPipes && parsed.pipes.length > 0) {
    const p = parsed.pipes[0]!;
    throw new LwError('LW_ERR_QUERY_SYNTAX', [p.position, 'pipes are not allowed here; use /api/v1/search'], {
      position: p.position,
      expected: 'end of query',
    });
  }
  const pipes = parsePipes(parsed.pipes, now);
  const { start, end } = resolveRange(params.start, params.end, now);
  let qs = start;
  let qe = end;
  if (parsed.timeRange) {
    if (parsed.timeRange.start !== null)
      qs = qs === null ? parsed.timeRange.start : Math.max(qs, parsed.timeRange.start);
    if (parsed.timeRange.end !== null) {
      const e = parsed.timeRange.end + 1;
      qe = qe === null ? e : Math.min(qe, e);
    }
  }
  return { filter: restrictToStreams(parsed.filter, streams), pipes, start: qs, end: qe };
}

/** A valid IANA time zone name, or null for UTC. */
export function resolveTz(v: unknown): string | null {
  if (v === undefined || v === null || v === '' || v === 'UTC') return null;
  const tz = String(v);
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw new LwError('LW_ERR_BAD_PARAM', [
      'tz',
      `unknown time zone ${JSON.stringify(tz)}; use an IANA name such as Europe/Berlin`,
    ]);
  }
  return tz;
}

const NICE_STEPS_S = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604800,
];

/** A step giving about `buckets` buckets over the range, rounded to a familiar size. */
export function autoStepUs(start: number | null, end: number | null, nowUs: number, buckets = 100): number {
  const s = start ?? nowUs - 86400e6;
  const e = end ?? nowUs;
  const want = Math.max(1, (e - s) / buckets / 1e6);
  for (const st of NICE_STEPS_S) if (st >= want) return st * 1e6;
  return NICE_STEPS_S[NICE_STEPS_S.length - 1] * 1e6;
}

/** Tells the audit trail what a read answered (audit/audit-routes.ts). */
function note(
  req: FastifyRequest,
  params: Record<string, unknown>,
  r: Resolved,
  kind: string,
  results: number,
  events?: Array<{ stream?: unknown }>,
): void {
  const query = String(params.q ?? '');
  noteAccess(req, {
    kind,
    query,
    start: r.start,
    end: r.end,
    filter: r.filter,
    results,
    ...(events ? { events } : {}),
  });
}

export function registerSearch(app: FastifyInstance, deps: SearchDeps): void {
  const handler = async (req: FastifyRequest, params: Record<string, unknown>) => {
    const t0 = performance.now();
    const now = Date.now();
    const r = resolveQuery(params, now, true, req.lwStreams);
    const aggregated = r.pipes.some(isAggregating);
    let limit = aggregated ? MAX_LIMIT : 100;
    if (params.limit !== undefined && params.limit !== '') {
      limit = Number(params.limit);
      if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT) {
        throw new LwError('LW_ERR_BAD_PARAM', ['limit', `expected an integer from 0 to ${MAX_LIMIT}`]);
      }
    }
    const order = params.order === undefined || params.order === '' ? 'desc' : String(params.order);
    if (order !== 'desc' && order !== 'asc')
      throw new LwError('LW_ERR_BAD_PARAM', ['order', 'expected desc or asc']);
    deps.counters.searches++;
    const tz = resolveTz(params.tz);
    if (r.pipes.length > 0) {
      if (order !== 'desc')
        throw new LwError('LW_ERR_BAD_PARAM', ['order', 'with pipes, order rows with | sort']);
      const pipes = r.pipes.map((p) =>
        p.type === 'timechart' && p.stepUs === null
          ? { ...p, stepUs: autoStepUs(r.start, r.end, now * 1000) }
          : p,
      );
      const res = await deps.store.query({
        filter: r.filter,
        start: r.start,
        end: r.end,
        pipes,
        limit,
        tz,
        nowUs: now * 1000,
      });
      const took_ms = Math.round((performance.now() - t0) * 100) / 100;
      if (res.kind === 'events') note(req, params, r, 'events', res.total, res.events);
      else note(req, params, r, 'aggregate', res.kind === 'table' ? res.total : res.data.buckets.length);
      const notes = {
        ...(res.warnings.length ? { warnings: res.warnings } : {}),
        ...(res.kind !== 'events' && res.approximate.length ? { approximate: res.approximate } : {}),
      };
      if (res.kind === 'events') return { events: res.events, total: res.total, took_ms, ...notes };
      if (res.kind === 'table')
        return { columns: res.columns, rows: res.rows, total: res.total, took_ms, ...notes };
      const d = res.data;
      const pivot = pivotTimechart(
        d.pipe,
        { buckets: d.buckets, series: d.series, values: d.values, truncated: d.truncated },
        formatTimestamp,
      );
      return {
        // Columns repeat the aggregates once per series, in order.
        columns: pivot.columns.map((name, i) => ({
          name,
          type: i === 0 ? 'time' : d.types[(i - 1) % d.types.length],
        })),
        rows: pivot.rows,
        total: pivot.rows.length,
        step_ms: d.stepUs / 1000,
        series_truncated: d.truncated,
        took_ms,
        ...notes,
      };
    }
    const res = await deps.store.search({ filter: r.filter, start: r.start, end: r.end, limit, order });
    note(req, params, r, 'events', res.total, res.events);
    return {
      events: res.events,
      total: res.total,
      took_ms: Math.round((performance.now() - t0) * 100) / 100,
      stats: res.stats,
    };
  };
  const search = { config: { permission: 'search' as const } };
  app.get('/api/v1/search', search, (req) => handler(req, req.query as Record<string, unknown>));

  // Counts over time (the histogram above a result list), optionally split by a field.
  app.get('/api/v1/histogram', search, async (req) => {
    const t0 = performance.now();
    const params = req.query as Record<string, unknown>;
    const now = Date.now();
    const r = resolveQuery(params, now, false, req.lwStreams);
    let step: number;
    if (params.step !== undefined && params.step !== '') {
      const d = parseDuration(String(params.step));
      if (d === null || d <= 0)
        throw new LwError('LW_ERR_BAD_PARAM', ['step', 'expected a duration such as 1m, 5m, 1h']);
      step = d;
    } else step = autoStepUs(r.start, r.end, now * 1000);
    const by = params.by === undefined || params.by === '' ? null : String(params.by);
    const rows = await deps.store.histogram(r.filter, r.start, r.end, step, by);
    note(
      req,
      params,
      r,
      'histogram',
      rows.reduce((a, row) => a + row.count, 0),
    );
    // Zero-filled series over the whole range, buckets aligned to multiples of the step.
    const first = r.start !== null ? Math.floor(r.start / step) * step : (rows[0]?.t ?? 0);
    const last = r.end !== null ? Math.floor((r.end - 1) / step) * step : (rows.at(-1)?.t ?? first);
    const n = Math.floor((last - first) / step) + 1;
    if (n > 100_000) throw new LwError('LW_ERR_BAD_PARAM', ['step', `too small for the range: ${n} buckets`]);
    const series = new Map<string, { value: unknown; counts: number[] }>();
    for (const row of rows) {
      const key = JSON.stringify(row.value);
      let s = series.get(key);
      if (!s) series.set(key, (s = { value: row.value, counts: new Array(Math.max(n, 0)).fill(0) }));
      const i = Math.round((row.t - first) / step);
      if (i >= 0 && i < n) s.counts[i] += row.count;
    }
    return {
      step_ms: step / 1000,
      start: new Date(first / 1000).toISOString(),
      buckets: Math.max(n, 0),
      series: [...series.values()].map((s) => ({
        value: s.value,
        counts: s.counts,
        total: s.counts.reduce((a, b) => a + b, 0),
      })),
      took_ms: Math.round((performance.now() - t0) * 100) / 100,
    };
  });

  // The fields of the matching events, with types and coverage (the sidebar of a search page).
  app.get('/api/v1/fields', search, async (req) => {
    const t0 = performance.now();
    const params = req.query as Record<string, unknown>;
    const r = resolveQuery(params, Date.now(), false, req.lwStreams);
    const res = await deps.store.fieldStats(r.filter, r.start, r.end);
    note(req, params, r, 'fields', res.total);
    return {
      total: res.total,
      fields: res.fields.map((f) => ({
        ...f,
        coverage: res.total > 0 ? Math.round((f.count / res.total) * 10000) / 100 : 0,
      })),
      sample: res.sample,
      took_ms: Math.round((performance.now() - t0) * 100) / 100,
    };
  });

  // Top values of a field among matching events (facets).
  app.get('/api/v1/fields/:name/values', search, async (req) => {
    const t0 = performance.now();
    const params = req.query as Record<string, unknown>;
    const r = resolveQuery(params, Date.now(), false, req.lwStreams);
    const limit = params.limit === undefined ? 10 : Number(params.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new LwError('LW_ERR_BAD_PARAM', ['limit', 'expected an integer from 1 to 1000']);
    }
    const field = (req.params as { name: string }).name;
    const res = await deps.store.topValues(r.filter, r.start, r.end, field, limit);
    note(req, params, r, 'values', res.total);
    return {
      field,
      total: res.total,
      values: res.values.map((v) => ({
        value: v.value,
        count: v.count,
        percent: res.total > 0 ? Math.round((v.count / res.total) * 10000) / 100 : 0,
      })),
      took_ms: Math.round((performance.now() - t0) * 100) / 100,
    };
  });
  app.post('/api/v1/search', search, (req) => handler(req, (req.body ?? {}) as Record<string, unknown>));
}
