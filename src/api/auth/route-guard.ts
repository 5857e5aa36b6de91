/**
 * Every route is authorised. `registerRouteGuard` must run on the root Fastify instance before
 * any route is added:
 * - an `onRoute` hook requires each route to declare `config: { permission: P }` (see
 *   permissions.ts) or `config: { public: true }`, and throws at start-up (a BUG) for a route
 *   that declares neither, so a route added later cannot be forgotten; it also records every
 *   route in `routes` (what GET /api/v1/auth/routes lists and the role x route test walks);
 * - an `onRequest` hook resolves the caller (`req.principal`) and answers 401
 *   LW_ERR_UNAUTHENTICATED (with `WWW-Authenticate: Bearer`) without credentials, 403
 *   LW_ERR_FORBIDDEN without the permission, and 403 LW_ERR_PASSWORD_CHANGE_REQUIRED for an
 *   account that must change its password (only `self` routes work until then). It sets
 *   `req.lwStreams` (core/stream-access.ts) to the caller's stream allow-list.
 *
 * With authentication disabled (`auth: null`), every request is ANONYMOUS_ADMIN; declarations
 * are still required. Public routes still see a valid caller when credentials are presented.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditActor } from '../audit/audit-log.ts';
import { bug, LwError } from '../../core/errors.ts';
import type { Authenticator } from './authenticator.ts';
import { requestCredentials } from './credentials.ts';
import { PERMISSIONS, type Permission } from './permissions.ts';
import { ANONYMOUS_ADMIN, auditActor, type Principal } from './principal.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the caller must hold to use the route. */
    permission?: Permission;
    /** Reachable without credentials (/healthz, the sign-in). */
    public?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
    lwStreams: readonly string[] | null;
  }
}

export interface GuardedRoute {
  method: string;
  url: string;
  permission: Permission | 'public';
}

/** The caller of a request (after the guard ran); a BUG if the guard did not run. */
export function principalOf(req: FastifyRequest): Principal {
  if (req.principal === null) bug(`no principal on ${req.method} ${req.url}: the route guard did not run`);
  return req.principal;
}

/** Principals of raw requests that bypass Fastify (WebSocket upgrades), set by `authorize`. */
const rawPrincipals = new WeakMap<IncomingMessage, Principal>();

/** The audit actor of a request (Fastify's or a raw upgrade request). */
export function requestActor(req: FastifyRequest | IncomingMessage): AuditActor {
  const p = 'raw' in req ? req.principal : (rawPrincipals.get(req) ?? null);
  return p === null ? { type: 'anonymous', id: 'anonymous', name: 'anonymous' } : auditActor(p);
}

/** `authorize` for a raw request (a WebSocket upgrade); remembers the principal for `requestActor`. */
export async function authorizeRaw(
  auth: Authenticator | null,
  req: IncomingMessage,
  permission: Permission,
): Promise<Principal> {
  const p = await authorize(auth, req.headers, permission);
  rawPrincipals.set(req, p);
  return p;
}

/**
 * Resolves the principal from raw request headers (also for WebSocket upgrades, which bypass
 * Fastify's hooks) and checks `permission`; throws LwError 401/403.
 */
export async function authorize(
  auth: Authenticator | null,
  headers: Record<string, string | string[] | undefined>,
  permission: Permission,
): Promise<Principal> {
  if (auth === null) return ANONYMOUS_ADMIN;
  const p = await auth.principalOf(requestCredentials(headers));
  if (p === null)
    throw new LwError('LW_ERR_UNAUTHENTICATED', ['send "Authorization: Bearer <token>" or sign in']);
  if (p.mustChangePassword && permission !== 'self')
    throw new LwError('LW_ERR_PASSWORD_CHANGE_REQUIRED', ['the request']);
  if (!p.permissions.has(permission))
    throw new LwError('LW_ERR_FORBIDDEN', [
      `this needs the "${permission}" permission, which ${p.type} ${JSON.stringify(p.name)} lacks`,
    ]);
  return p;
}

export function registerRouteGuard(
  app: FastifyInstance,
  auth: Authenticator | null,
): { routes: GuardedRoute[] } {
  const routes: GuardedRoute[] = [];
  app.decorateRequest('principal', null);
  app.decorateRequest('lwStreams', null);
  app.addHook('onRoute', (opts) => {
    const cfg = (opts.config ?? {}) as { permission?: unknown; public?: unknown };
    const methods = ([] as string[]).concat(opts.method);
    let permission: Permission | 'public';
    if (cfg.public === true) permission = 'public';
    else if (
      typeof cfg.permission === 'string' &&
      (PERMISSIONS as readonly string[]).includes(cfg.permission)
    )
      permission = cfg.permission as Permission;
    else
      bug(
        `route ${methods.join(',')} ${opts.url} declares no permission: add config: { permission: '...' } (src/api/auth/permissions.ts) or config: { public: true }`,
      );
    for (const method of methods) routes.push({ method, url: opts.url, permission });
  });
  app.addHook('onRequest', async (req, reply) => {
    const cfg = req.routeOptions.config;
    // Unknown URLs (the not-found handler) declare nothing: they answer 404 to anyone.
    if (cfg.permission === undefined && cfg.public !== true) return;
    if (cfg.public === true) {
      if (auth === null) req.principal = ANONYMOUS_ADMIN;
      return;
    }
    try {
      const p = await authorize(auth, req.headers, cfg.permission!);
      req.principal = p;
      req.lwStreams = p.streams;
    } catch (err) {
      if (err instanceof LwError && err.status === 401)
        reply.header('www-authenticate', 'Bearer realm="logwarden"');
      throw err;
    }
  });
  return { routes };
}
