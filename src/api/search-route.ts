/**
 * `GET /api/v1/search?q=&start=&end=&limit=&order=` (also POST with a JSON body of the same
 * names): `{"events": [...], "total": N, "took_ms": T}`, newest first by default; `total` is the
 * exact number of matches in the range.
 */
import type { FastifyInstance } from 'fastify';
import { LwError } from '../core/errors.ts';
import { parseQuery } from '../query/parser.ts';
import { assertPipesSupported } from '../query/pipes.ts';
import type { Store } from '../store/store.ts';
import { resolveRange } from './time-params.ts';

export const MAX_LIMIT = 10_000;

export interface SearchDeps {
  store: Store;
  counters: { searches: number };
}

export function registerSearch(app: FastifyInstance, deps: SearchDeps): void {
  const handler = async (params: Record<string, unknown>) => {
    const t0 = performance.now();
    const now = Date.now();
    const q = params.q === undefined || params.q === null ? '' : String(params.q);
    const parsed = parseQuery(q, { now });
    assertPipesSupported(parsed.pipes);
    const { start, end } = resolveRange(params.start, params.end, now);
    let limit = 100;
    if (params.limit !== undefined && params.limit !== '') {
      limit = Number(params.limit);
      if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT) {
        throw new LwError('LW_ERR_BAD_PARAM', ['limit', `expected an integer from 0 to ${MAX_LIMIT}`]);
      }
    }
    const order = params.order === undefined || params.order === '' ? 'desc' : String(params.order);
    if (order !== 'desc' && order !== 'asc') throw new LwError('LW_ERR_BAD_PARAM', ['order', 'expected desc or asc']);
    // The query's own _time filter narrows the request range further.
    let qs = start;
    let qe = end === null ? null : end;
    if (parsed.timeRange) {
      if (parsed.timeRange.start !== null) qs = qs === null ? parsed.timeRange.start : Math.max(qs, parsed.timeRange.start);
      if (parsed.timeRange.end !== null) {
        const e = parsed.timeRange.end + 1;
        qe = qe === null ? e : Math.min(qe, e);
      }
    }
    deps.counters.searches++;
    const res = await deps.store.search({
      filter: parsed.filter,
      start: qs,
      end: qe,
      limit,
      order,
    });
    return {
      events: res.events,
      total: res.total,
      took_ms: Math.round((performance.now() - t0) * 100) / 100,
      stats: res.stats,
    };
  };
  app.get('/api/v1/search', (req) => handler(req.query as Record<string, unknown>));
  app.post('/api/v1/search', (req) => handler((req.body ?? {}) as Record<string, unknown>));
}
