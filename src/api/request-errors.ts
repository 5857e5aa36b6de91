/**
 * Clear answers to malformed requests on the JSON routes, in the error catalogue's shape:
 * - the root JSON body parser (the ingest protocols have their own, in their own scopes) says
 *   why and where a body does not parse (`cannot parse the JSON body: ... at position 11`), and
 *   refuses `__proto__` and `constructor.prototype` keys (prototype poisoning), as Fastify's
 *   default parser does;
 * - `clientErrorOf` turns Fastify's own request errors (body over the route's limit, a content
 *   type the route has no parser for) into LW_ERR_BODY_TOO_LARGE / LW_ERR_UNSUPPORTED_MEDIA_TYPE.
 * Nothing here ever puts a stack trace in an answer.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LwError } from '../core/errors.ts';

function refusePoisoning(key: string, value: unknown): unknown {
  if (
    key === '__proto__' ||
    (key === 'constructor' && value !== null && typeof value === 'object' && 'prototype' in value)
  )
    throw new LwError('LW_ERR_BAD_REQUEST', [`the JSON body has a forbidden key "${key}"`]);
  return value;
}

/** Parses a JSON request body; throws LW_ERR_BAD_REQUEST saying what is wrong and where. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new LwError('LW_ERR_BAD_REQUEST', ['the JSON body is empty']);
  // The reviver costs a walk of the whole value: only when a forbidden key may be there.
  const suspicious = text.includes('__proto__') || text.includes('constructor');
  try {
    return suspicious ? JSON.parse(text, refusePoisoning) : JSON.parse(text);
  } catch (err) {
    if (err instanceof LwError) throw err;
    throw new LwError('LW_ERR_BAD_REQUEST', [`cannot parse the JSON body: ${(err as Error).message}`]);
  }
}

export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as LwError, undefined);
    }
  });
}

/** The catalogue error for one of Fastify's request errors, or null. */
export function clientErrorOf(err: Error & { code?: unknown }, req: FastifyRequest): LwError | null {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new LwError('LW_ERR_BODY_TOO_LARGE', [req.routeOptions.bodyLimit ?? 'the']);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new LwError('LW_ERR_UNSUPPORTED_MEDIA_TYPE', [
        JSON.stringify(String(req.headers['content-type'] ?? '(none)').slice(0, 100)),
      ]);
    default:
      return null;
  }
}
