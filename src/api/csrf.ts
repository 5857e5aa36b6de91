/**
 * Cross-site request forgery protection for writes (POST, PUT, PATCH, DELETE), in two layers
 * (OWASP CSRF Prevention Cheat Sheet):
 * - Fetch metadata and origin, on every write that is not authenticated by a token header a
 *   browser never adds by itself (`Authorization: Bearer` or `ApiKey`): a `Sec-Fetch-Site`
 *   other than `same-origin` or `none` (the user's own navigation) is refused, and so is an
 *   `Origin` whose host is not this server's `Host`. Shippers and scripts send neither header
 *   and pass; browsers send them, so a page of another site cannot write here, even while
 *   authentication is off.
 * - A session token (signed double-submit), on writes authenticated by the `lw_session`
 *   cookie: the request must carry `X-CSRF-Token` equal (timing-safe) to the session's CSRF
 *   token, HMAC-SHA256 of the session secret under a fixed label (never the SHA-256 digest the
 *   server stores). Another site can neither read the HttpOnly cookie nor an answer of this
 *   server, so it cannot know the token. The token goes out as the `X-CSRF-Token` header of
 *   the sign-in answer (any answer that sets a new session cookie) and of every answer to a
 *   cookie-authenticated request (`GET /api/v1/auth/me` after a page reload).
 * - DNS rebinding, while authentication is off (the server then listens on loopback only):
 *   a page of evil.example whose name is made to resolve to 127.0.0.1 talks to this server as
 *   its own origin, for reads too. Its requests carry `Host: evil.example`, so every request
 *   (reads included) must then name a loopback address or `localhost` in `Host`.
 * WebSocket upgrades (live tail) bypass Fastify's hooks: src/api/tail-route.ts refuses
 * cross-site ones with `crossSiteRefusal` (Cross-Site WebSocket Hijacking).
 * The check runs in `preHandler`, after the route guard (src/api/auth/route-guard.ts) has
 * resolved `req.principal`. A refusal is 403 LW_ERR_CSRF saying which check failed.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isLoopback } from '../core/config.ts';
import { LwError } from '../core/errors.ts';
import { cookieValue, SESSION_COOKIE } from './auth/credentials.ts';

export const CSRF_HEADER = 'x-csrf-token';
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const SET_SESSION = new RegExp(`^${SESSION_COOKIE}=([^;]*)`);

/** The CSRF token of a session, from its secret (the `lw_session` cookie value). */
export function csrfTokenOf(sessionSecret: string): string {
  return createHmac('sha256', 'logwarden csrf token v1').update(sessionSecret).digest('base64url');
}

/** The session secret when the request is authenticated by the session cookie, else null. */
function cookieSession(req: FastifyRequest): string | null {
  if (req.headers.authorization !== undefined || req.principal?.type !== 'user') return null;
  const cookie = req.headers.cookie;
  const secret = cookieValue(Array.isArray(cookie) ? cookie.join('; ') : cookie, SESSION_COOKIE);
  return secret === null || secret === '' ? null : secret;
}

function sameToken(sent: string | string[] | undefined, expected: string): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Why a Host header does not name this machine's loopback interface, or null. */
function nonLoopbackHost(host: string | undefined): string | null {
  if (host === undefined) return null;
  let name: string;
  try {
    name = new URL(`http://${host}`).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return `Host ${JSON.stringify(host.slice(0, 100))} is not a host name`;
  }
  if (isLoopback(name) || name.endsWith('.localhost')) return null;
  return `Host ${host} is not a loopback address: with authentication off, use 127.0.0.1, [::1] or localhost`;
}

/**
 * Why a request made by a browser for a page of another site is refused (fetch metadata,
 * Origin), or null. Also used for WebSocket upgrades, whose answers a page can always read.
 */
export function crossSiteRefusal(headers: IncomingHttpHeaders, loopbackHostOnly: boolean): string | null {
  if (loopbackHostOnly) {
    const refused = nonLoopbackHost(headers.host);
    if (refused !== null) return refused;
  }
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    return `Sec-Fetch-Site is ${site}: only pages of this server may do this`;
  const origin = headers.origin;
  if (origin !== undefined) {
    let host: string | null = null;
    try {
      host = new URL(origin).host;
    } catch {
      // `null` or not a URL: refused below
    }
    if (host === null || host !== headers.host)
      return `Origin ${origin} is not this server (${headers.host ?? 'no Host header'})`;
  }
  return null;
}

/** Why a write is refused, or null when it may proceed. */
export function csrfRefusal(req: FastifyRequest): string | null {
  if (!WRITE_METHODS.has(req.method)) return null;
  if (/^\s*(bearer|apikey)\s/i.test(req.headers.authorization ?? '')) return null;
  const crossSite = crossSiteRefusal(req.headers, false);
  if (crossSite !== null) return crossSite;
  const session = cookieSession(req);
  if (session !== null && !sameToken(req.headers[CSRF_HEADER], csrfTokenOf(session)))
    return 'a write signed in with the session cookie needs the X-CSRF-Token header given at sign-in';
  return null;
}

export function registerCsrf(app: FastifyInstance, opts: { loopbackHostOnly: boolean }): void {
  if (opts.loopbackHostOnly)
    app.addHook('onRequest', async (req) => {
      const why = nonLoopbackHost(req.headers.host);
      if (why !== null) throw new LwError('LW_ERR_CSRF', [why]);
    });
  app.addHook('preHandler', async (req) => {
    const why = csrfRefusal(req);
    if (why !== null) throw new LwError('LW_ERR_CSRF', [why]);
  });
  app.addHook('onSend', async (req, reply) => {
    const set = reply.getHeader('set-cookie');
    const cookies = Array.isArray(set) ? set : typeof set === 'string' ? [set] : [];
    // A new session (sign-in, password change), an ended one (sign-out: empty), or the request's.
    const fresh = cookies.map((c) => SET_SESSION.exec(c)?.[1]).find((v) => v !== undefined);
    const secret = fresh !== undefined ? fresh : cookieSession(req);
    if (secret) reply.header(CSRF_HEADER, csrfTokenOf(secret));
  });
}
