/**
 * Sign-in routes:
 *
 *   POST /api/v1/auth/login     {"username", "password"} -> 200 {"user": ...} + cookie lw_session
 *                               (public; 401 wrong credentials, 429 locked out, Retry-After)
 *   POST /api/v1/auth/logout    ends the cookie's session; 204 (self)
 *   GET  /api/v1/auth/me        the caller: type, name, role, permissions, streams (self)
 *   POST /api/v1/auth/password  {"current", "new"}: changes the signed-in user's password and
 *                               ends its other sessions (self; users only)
 *   GET  /api/v1/auth/routes    every route with its permission (admin)
 *
 * The cookie is HttpOnly, SameSite=Strict, Path=/, Secure when the request came over TLS, and
 * lives as long as the session may (`auth.sessionMaxHours`). Bodies are validated field by
 * field (400 naming it); a malformed body never reaches the password check.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LwError } from '../../core/errors.ts';
import { checkPassword } from './accounts.ts';
import type { Authenticator } from './authenticator.ts';
import { cookieValue, SESSION_COOKIE } from './credentials.ts';
import { MAX_PASSWORD_BYTES } from './password.ts';
import type { Principal } from './principal.ts';
import { auditActor } from './principal.ts';
import { type GuardedRoute, principalOf } from './route-guard.ts';

function field(body: unknown, name: string, maxBytes: number): string {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new LwError('LW_ERR_BAD_REQUEST', ['expected a JSON object body']);
  const v = (body as Record<string, unknown>)[name];
  if (typeof v !== 'string' || v === '')
    throw new LwError('LW_ERR_BAD_PARAM', [name, 'required, a non-empty string'], { field: name });
  if (Buffer.byteLength(v) > maxBytes)
    throw new LwError('LW_ERR_BAD_PARAM', [name, `longer than ${maxBytes} bytes`], { field: name });
  return v;
}

export function principalView(p: Principal) {
  return {
    type: p.type,
    name: p.name,
    id: p.id,
    role: p.role,
    owner: p.owner,
    permissions: [...p.permissions].sort(),
    streams: p.streams,
    must_change_password: p.mustChangePassword,
  };
}

export function sessionCookie(req: FastifyRequest, value: string, maxAgeSeconds: number): string {
  const secure = req.protocol === 'https' ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

export function registerSessionRoutes(
  app: FastifyInstance,
  deps: { auth: Authenticator | null; sessionMaxSeconds: number; routes: GuardedRoute[] },
): void {
  const { auth } = deps;
  const requireAuth = (): Authenticator => {
    if (auth === null)
      throw new LwError('LW_ERR_NOT_FOUND', [
        'authentication is disabled on this server (auth.enabled: false)',
      ]);
    return auth;
  };

  app.post('/api/v1/auth/login', { config: { public: true } }, async (req, reply) => {
    const a = requireAuth();
    const username = field(req.body, 'username', 256).trim().toLowerCase();
    const password = field(req.body, 'password', MAX_PASSWORD_BYTES);
    try {
      const { sessionId, principal } = await a.login(username, password, req.ip);
      reply.header('set-cookie', sessionCookie(req, sessionId, deps.sessionMaxSeconds));
      return { user: principalView(principal) };
    } catch (err) {
      if (err instanceof LwError && err.code === 'LW_ERR_LOGIN_LOCKED')
        reply.header('retry-after', String(err.details?.retry_after ?? 1));
      throw err;
    }
  });

  app.post('/api/v1/auth/logout', { config: { permission: 'self' } }, async (req, reply: FastifyReply) => {
    const a = requireAuth();
    const p = principalOf(req);
    const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
    if (id !== null && p.type === 'user') a.sessions.end(id);
    a.record({ actor: auditActor(p), action: 'auth.logout', target: p.name, outcome: 'success', ip: req.ip });
    reply.header('set-cookie', sessionCookie(req, '', 0));
    return reply.code(204).send();
  });

  app.get('/api/v1/auth/me', { config: { permission: 'self' } }, async (req) =>
    principalView(principalOf(req)),
  );

  app.post('/api/v1/auth/password', { config: { permission: 'self' } }, async (req, reply) => {
    const a = requireAuth();
    const p = principalOf(req);
    if (p.type !== 'user')
      throw new LwError('LW_ERR_BAD_REQUEST', [
        'an API token has no password; sign in as the user to change it',
      ]);
    const current = field(req.body, 'current', MAX_PASSWORD_BYTES);
    const next = checkPassword(field(req.body, 'new', MAX_PASSWORD_BYTES), 'new');
    if (next === current)
      throw new LwError('LW_ERR_BAD_PARAM', ['new', 'must differ from the current password'], {
        field: 'new',
      });
    await a.checkCurrentPassword(p.name, current, req.ip);
    await a.accounts.setPassword(p.name, next, false);
    // Every session started before the change is void; this client gets a fresh one.
    const ended = a.sessions.endUser(p.name) - 1;
    reply.header('set-cookie', sessionCookie(req, a.sessions.create(p.name), deps.sessionMaxSeconds));
    a.record({
      actor: auditActor(p),
      action: 'user.password.change',
      target: p.name,
      outcome: 'success',
      details: { sessions_ended: ended },
      ip: req.ip,
    });
    await a.flushAudit();
    return { changed: true, sessions_ended: ended };
  });

  app.get('/api/v1/auth/routes', { config: { permission: 'admin' } }, async () => ({
    routes: [...deps.routes].sort((x, y) => x.url.localeCompare(y.url) || x.method.localeCompare(y.method)),
  }));
}
