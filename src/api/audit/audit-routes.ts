/**
 * The audit trail in the HTTP API (issue 7):
 *
 *   GET /api/v1/audit?q=&start=&end=&limit=   admin: audit records as events of the `_audit`
 *       stream, newest first, filtered with the query language (no pipes); the range defaults to
 *       the last 15 minutes as for search (`start=0` for everything)
 *   GET /api/v1/audit/verify                 admin: checks the whole hash chain
 *   GET /api/v1/audit/review?month=YYYY-MM   admin: the monthly access review (review.ts)
 *
 * and the recording of what other routes do:
 * - reads: a search route calls `noteAccess(req, ...)` once it has its answer; the record is
 *   written after the answer is sent (flushed within the log's flush interval).
 * - changes: every POST/PUT/PATCH/DELETE on a route of `CHANGE_ROUTES` is recorded with its
 *   outcome before the answer leaves (`onSend` waits for the fsync), so an acknowledged change
 *   is never missing from the trail. Users, tokens and logins are recorded by src/api/auth/.
 */
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { formatTimestamp } from '../../core/time.ts';
import type { FilterNode } from '../../core/query-ast.ts';
import { LwError } from '../../core/errors.ts';
import { toOutputEvent } from '../../processors/tail-hub.ts';
import { compileMatcher } from '../../query/match.ts';
import { parseFilter } from '../../query/parser.ts';
import { resolveRange } from '../time-params.ts';
import type { AuditActor, AuditLog } from './audit-log.ts';
import { type AuditRecord, recordEvent } from './audit-record.ts';
import { buildReview, monthRange } from './review.ts';
import { SegmentLog } from './segment-log.ts';

/** A search that returns more events than this is recorded as an `export`. */
export const EXPORT_MIN_EVENTS = 1000;
const MAX_AUDIT_LIMIT = 10_000;

/** Route (as registered) -> the noun of its audit action (`stream.create`, ...). */
const CHANGE_ROUTES: Record<string, string> = {
  '/api/v1/streams': 'stream',
  '/api/v1/streams/:name': 'stream',
  '/api/v1/pipelines': 'pipeline',
  '/api/v1/pipelines/:name': 'pipeline',
  '/api/v1/saved-searches': 'saved_search',
  '/api/v1/saved-searches/:id': 'saved_search',
};
const VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'update', DELETE: 'delete' };

export interface AccessInfo {
  /** What answered: events, aggregate (pipes), histogram, fields, values, tail. */
  kind: string;
  query: string;
  /** Effective range in epoch µs (null: open). */
  start: number | null;
  end: number | null;
  filter: FilterNode;
  /** Matching events (or rows) the answer reported. */
  results: number;
  /** Events returned (for the export rule), and their streams when the filter names none. */
  events?: ReadonlyArray<{ stream?: unknown }>;
}

export type ActorOf = (req: FastifyRequest | IncomingMessage) => AuditActor;

const notes = new WeakMap<object, AccessInfo>();

/** Called by a read route with its answer; recorded when the response has been sent. */
export function noteAccess(req: FastifyRequest, info: AccessInfo): void {
  notes.set(req, info);
}

/** Streams a filter is limited to (`stream:a`, `stream:(a OR b)`, in a top-level AND), or null. */
export function streamsOfFilter(f: FilterNode): string[] | null {
  const leaf = (n: FilterNode): string[] | null =>
    (n.type === 'word' || n.type === 'exact') && n.field === 'stream'
      ? [n.value]
      : n.type === 'or' && n.children.every((c) => leaf(c) !== null)
        ? n.children.flatMap((c) => leaf(c)!)
        : null;
  if (f.type !== 'and') return leaf(f);
  // Several stream conditions (the caller's own and its allow-list): the streams all allow.
  let out: string[] | null = null;
  for (const c of f.children) {
    const s = leaf(c);
    if (s !== null) out = out === null ? s : out.filter((x) => s.includes(x));
  }
  return out;
}

function accessDetails(a: AccessInfo): { action: string; details: Record<string, unknown> } {
  let streams = streamsOfFilter(a.filter);
  if (streams === null && a.events && a.events.length > 0 && a.events.length >= a.results)
    streams = [...new Set(a.events.map((e) => String(e.stream)))].sort();
  const action =
    a.kind === 'tail' ? 'tail' : a.events && a.events.length > EXPORT_MIN_EVENTS ? 'export' : 'search';
  return {
    action,
    details: {
      kind: a.kind,
      query: a.query,
      start: a.start === null ? null : formatTimestamp(a.start),
      end: a.end === null ? null : formatTimestamp(a.end),
      streams: streams ?? ['*'],
      results: a.results,
      ...(a.events ? { returned: a.events.length } : {}),
    },
  };
}

function clientIp(req: FastifyRequest | IncomingMessage): string {
  return 'ip' in req ? req.ip : (req.socket.remoteAddress ?? 'unknown');
}

/** Records an access right away (live tail, whose answer never ends). */
export function recordAccess(
  log: AuditLog,
  actorOf: ActorOf,
  req: FastifyRequest | IncomingMessage,
  a: AccessInfo,
) {
  log.record({ actor: actorOf(req), outcome: 'success', ip: clientIp(req), ...accessDetails(a) });
}

export interface AuditRouteDeps {
  log: SegmentLog;
  actorOf: ActorOf;
}

export function registerAudit(app: FastifyInstance, deps: AuditRouteDeps): void {
  const { log, actorOf } = deps;

  app.addHook('onResponse', async (req, reply) => {
    const a = notes.get(req);
    if (a === undefined) return;
    notes.delete(req);
    log.record({
      actor: actorOf(req),
      outcome: reply.statusCode < 400 ? 'success' : 'failure',
      ip: req.ip,
      ...accessDetails(a),
    });
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const noun = CHANGE_ROUTES[req.routeOptions.url ?? ''];
    const verb = VERBS[req.method];
    if (noun === undefined || verb === undefined) return payload;
    const params = (req.params ?? {}) as Record<string, unknown>;
    const body = (req.body ?? null) as Record<string, unknown> | null;
    let answer: Record<string, unknown> | null = null;
    if (typeof payload === 'string') {
      try {
        answer = JSON.parse(payload);
      } catch {}
    }
    // The object's key: from the URL, else the id the answer gives a new one, else its name.
    const target = params.name ?? params.id ?? answer?.id ?? body?.name;
    const error = answer?.code;
    const ok = reply.statusCode < 400;
    log.record({
      actor: actorOf(req),
      action: `${noun}.${verb}`,
      ...(target !== undefined ? { target: String(target) } : {}),
      outcome: ok ? 'success' : 'failure',
      details: {
        status: reply.statusCode,
        ...(body !== null && typeof body === 'object' ? { body: JSON.stringify(body) } : {}),
        ...(!ok && error !== undefined ? { error } : {}),
      },
      ip: req.ip,
    });
    await log.flush();
    return payload;
  });

  const admin = { permission: 'admin' as const };

  app.get('/api/v1/audit', { config: admin }, async (req) => {
    const t0 = performance.now();
    const params = req.query as Record<string, unknown>;
    const now = Date.now();
    const q = params.q === undefined || params.q === null ? '' : String(params.q);
    const matcher = compileMatcher(parseFilter(q, { now }));
    const { start, end } = resolveRange(params.start, params.end, now);
    let limit = 100;
    if (params.limit !== undefined && params.limit !== '') {
      limit = Number(params.limit);
      if (!Number.isInteger(limit) || limit < 0 || limit > MAX_AUDIT_LIMIT)
        throw new LwError('LW_ERR_BAD_PARAM', ['limit', `expected an integer from 0 to ${MAX_AUDIT_LIMIT}`]);
    }
    const events: Array<Record<string, unknown>> = [];
    let total = 0;
    const ms = (us: number | null) => (us === null ? null : Math.floor(us / 1000));
    await log.scan(ms(start), end === null ? null : Math.ceil(end / 1000), true, (r) => {
      const ev = recordEvent(r);
      if ((start !== null && ev._time < start) || (end !== null && ev._time >= end) || !matcher(ev)) return;
      total++;
      if (events.length < limit) events.push(toOutputEvent(ev));
    });
    return { events, total, took_ms: Math.round((performance.now() - t0) * 100) / 100 };
  });

  app.get('/api/v1/audit/verify', { config: admin }, async () => log.verify());

  app.get('/api/v1/audit/review', { config: admin }, async (req) => {
    const range = monthRange((req.query as Record<string, unknown>).month, Date.now());
    const records: AuditRecord[] = [];
    await log.scan(range.baselineStart, range.end, false, (r) => records.push(r.record));
    return buildReview(range, records);
  });
}

/**
 * Opens `<dataDir>/audit/` and applies its retention now and hourly. The event store's retention
 * never touches it: it is a separate directory with its own, longer retention.
 */
export async function openAuditLog(
  opts: { retentionDays: number },
  dataDir: string,
  logger: { error: (o: object, m?: string) => void },
): Promise<{ log: SegmentLog; close(): Promise<void> }> {
  const log = new SegmentLog({
    dir: path.join(dataDir, 'audit'),
    retentionDays: opts.retentionDays,
    onError: (err) => logger.error({ err: String(err) }, 'audit log write failed; retrying'),
  });
  await log.open();
  const retention = () =>
    log.applyRetention().catch((err) => logger.error({ err: String(err) }, 'audit retention failed'));
  await retention();
  const timer = setInterval(retention, 3_600_000);
  timer.unref();
  return {
    log,
    async close() {
      clearInterval(timer);
      await log.close();
    },
  };
}
