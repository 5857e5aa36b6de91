/**
 * CRUD routes for a named collection of definitions (streams, pipelines):
 *
 *   GET    /api/v1/<plural>           {"<plural>": [...]}
 *   POST   /api/v1/<plural>           body {"name": ..., ...}: creates; 409 when the name exists
 *   GET    /api/v1/<plural>/NAME      the definition, or 404
 *   PUT    /api/v1/<plural>/NAME      creates or replaces; `?ifVersion=N` only if unchanged (409)
 *   DELETE /api/v1/<plural>/NAME      204, or 404
 *
 * Validation errors answer 400 naming the key; definitions from the config file answer 409
 * LW_ERR_READ_ONLY on a change.
 */
import type { FastifyInstance } from 'fastify';
import { LwError } from '../core/errors.ts';

export interface Collection<V> {
  list(): V[];
  get(name: string): V;
  save(name: string, body: unknown, mode: 'create' | 'put', ifVersion?: number): Promise<V>;
  delete(name: string): Promise<void>;
}

function objectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new LwError('LW_ERR_BAD_REQUEST', ['expected a JSON object body']);
  return body as Record<string, unknown>;
}

function ifVersionParam(q: unknown): number | undefined {
  const v = (q as Record<string, string | undefined>).ifVersion;
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new LwError('LW_ERR_BAD_PARAM', ['ifVersion', 'expected a non-negative integer'], {
      key: 'ifVersion',
    });
  return n;
}

export function registerCollection<V>(app: FastifyInstance, plural: string, c: Collection<V>): void {
  const base = `/api/v1/${plural}`;
  const read = { config: { permission: 'config:read' as const } };
  const write = { config: { permission: 'config:write' as const } };
  app.get(base, read, async () => ({ [plural]: c.list() }));
  app.post(base, write, async (req, reply) => {
    const { name, ...rest } = objectBody(req.body);
    if (typeof name !== 'string')
      throw new LwError('LW_ERR_BAD_PARAM', ['name', 'required, a string'], { key: 'name' });
    const v = await c.save(name, rest, 'create');
    reply.code(201);
    return v;
  });
  app.get<{ Params: { name: string } }>(`${base}/:name`, read, async (req) => c.get(req.params.name));
  app.put<{ Params: { name: string } }>(`${base}/:name`, write, async (req) => {
    const { name, ...rest } = objectBody(req.body);
    if (name !== undefined && name !== req.params.name)
      throw new LwError('LW_ERR_BAD_PARAM', ['name', 'differs from the name in the URL'], { key: 'name' });
    return c.save(req.params.name, rest, 'put', ifVersionParam(req.query));
  });
  app.delete<{ Params: { name: string } }>(`${base}/:name`, write, async (req, reply) => {
    await c.delete(req.params.name);
    reply.code(204);
  });
}
