/**
 * Saved searches: named, shareable queries with a time range and display options, kept in the
 * metadata store (kind `saved-search`).
 *
 *   GET    /api/v1/saved-searches[?name=N]   {"saved_searches": [...]}, by name
 *   POST   /api/v1/saved-searches            201 + the saved search; 409 when the name is taken
 *   GET    /api/v1/saved-searches/{id}       the saved search, or 404
 *   PUT    /api/v1/saved-searches/{id}       replaces it (404 when missing, 409 on a name clash)
 *   DELETE /api/v1/saved-searches/{id}       204, or 404
 *
 * Validation answers 400 naming the field (`LW_ERR_BAD_PARAM`); the query must parse (its syntax
 * error, with the position, is answered as is); `start`/`end` are times as the search API takes
 * them, relative (`now-24h`, `-15m`) or absolute, and stay as written. Every answer carries an
 * `ETag` of the version; `If-Match` on PUT and DELETE makes the change conditional (409 when the
 * saved search changed meanwhile).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { LwError } from '../core/errors.ts';
import { parseQuery } from '../query/parser.ts';
import type { MetaRecord, MetaStore } from '../store/meta/meta-store.ts';
import { parseTimeParam } from './time-params.ts';

export const SAVED_SEARCH_KIND = 'saved-search';

export const CHART_TYPES = ['none', 'bar', 'line', 'area', 'pie', 'table'] as const;

const fieldName = z.string().min(1).max(256);

const savedSearchSchema = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  query: z.string().max(16_384),
  start: z.string().trim().min(1).max(64).default('now-15m'),
  end: z.string().trim().min(1).max(64).default('now'),
  description: z.string().max(4096).default(''),
  shared: z.boolean().default(false),
  display: z
    .strictObject({
      columns: z.array(fieldName).max(100).default([]),
      sort: z
        .strictObject({ field: fieldName, order: z.enum(['asc', 'desc']).default('desc') })
        .default({ field: '_time', order: 'desc' }),
      chart: z.enum(CHART_TYPES).default('bar'),
    })
    .default({ columns: [], sort: { field: '_time', order: 'desc' }, chart: 'bar' }),
});

export type SavedSearch = z.infer<typeof savedSearchSchema>;

export interface SavedSearchDeps {
  meta: MetaStore;
}

/** Validates a request body into a saved search; LwError 400 naming the first bad field. */
export function validateSavedSearch(body: unknown, nowMs = Date.now()): SavedSearch {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new LwError('LW_ERR_BAD_REQUEST', ['expected a JSON object']);
  const r = savedSearchSchema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.join('.') : 'body';
    const msg =
      issue.code === 'unrecognized_keys'
        ? `unknown field ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`
        : issue.message;
    throw new LwError('LW_ERR_BAD_PARAM', [where, msg], { field: where });
  }
  const s = r.data;
  parseQuery(s.query, { now: nowMs }); // throws LW_ERR_QUERY_SYNTAX with the position
  const start = parseTimeParam('start', s.start, nowMs);
  const end = parseTimeParam('end', s.end, nowMs);
  if (start !== null && end !== null && start >= end)
    throw new LwError('LW_ERR_BAD_PARAM', ['start', `${s.start} is not before ${s.end}`], { field: 'start' });
  return s;
}

function view(r: MetaRecord<SavedSearch>) {
  return {
    id: r.id,
    ...r.doc,
    version: r.version,
    created: new Date(r.created).toISOString(),
    updated: new Date(r.updated).toISOString(),
  };
}

function ifMatch(header: unknown): number | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(String(header));
  if (m === null)
    throw new LwError('LW_ERR_BAD_PARAM', ['If-Match', 'expected the ETag of a version, like "3"']);
  return Number(m[1]);
}

function send(reply: FastifyReply, r: MetaRecord<SavedSearch>, status = 200) {
  return reply.code(status).header('etag', `"${r.version}"`).send(view(r));
}

export function registerSavedSearches(app: FastifyInstance, deps: SavedSearchDeps): void {
  const { meta } = deps;
  const base = '/api/v1/saved-searches';
  const notFound = (id: string) => new LwError('LW_ERR_NOT_FOUND', [`saved search ${JSON.stringify(id)}`]);

  const read = { config: { permission: 'saved-searches:read' as const } };
  const write = { config: { permission: 'saved-searches:write' as const } };
  app.get(base, read, async (req) => {
    const name = (req.query as Record<string, unknown>).name;
    const all =
      name === undefined
        ? await meta.list<SavedSearch>(SAVED_SEARCH_KIND)
        : [await meta.findBy<SavedSearch>(SAVED_SEARCH_KIND, 'name', String(name).trim())].filter(
            (r): r is MetaRecord<SavedSearch> => r !== null,
          );
    all.sort((a, b) => a.doc.name.localeCompare(b.doc.name));
    return { saved_searches: all.map(view) };
  });

  app.post(base, write, async (req, reply) => {
    const s = validateSavedSearch(req.body);
    const r = await meta.put(SAVED_SEARCH_KIND, randomUUID(), s, { ifVersion: 0, unique: ['name'] });
    return send(reply, r, 201);
  });

  app.get<{ Params: { id: string } }>(`${base}/:id`, read, async (req, reply) => {
    const r = await meta.get<SavedSearch>(SAVED_SEARCH_KIND, req.params.id);
    if (r === null) throw notFound(req.params.id);
    return send(reply, r);
  });

  app.put<{ Params: { id: string } }>(`${base}/:id`, write, async (req, reply) => {
    const s = validateSavedSearch(req.body);
    const cur = await meta.get(SAVED_SEARCH_KIND, req.params.id);
    if (cur === null) throw notFound(req.params.id);
    const r = await meta.put(SAVED_SEARCH_KIND, req.params.id, s, {
      ifVersion: ifMatch(req.headers['if-match']) ?? cur.version,
      unique: ['name'],
    });
    return send(reply, r);
  });

  app.delete<{ Params: { id: string } }>(`${base}/:id`, write, async (req, reply) => {
    const ifVersion = ifMatch(req.headers['if-match']);
    if ((await meta.get(SAVED_SEARCH_KIND, req.params.id)) === null) throw notFound(req.params.id);
    if (!(await meta.delete(SAVED_SEARCH_KIND, req.params.id, { ifVersion }))) throw notFound(req.params.id);
    return reply.code(204).send();
  });
}
