/**
 * OpenID Connect sign-in (authorization code flow with PKCE; OpenID Connect Core 1.0 §3.1,
 * RFC 7636), when `auth.oidc` is configured:
 *
 *   GET /api/v1/auth/oidc/login     (public) 302 to the provider's authorization endpoint with
 *                                   state, nonce and an S256 code challenge; sets the cookie
 *                                   `lw_oidc_state` (HttpOnly, SameSite=Lax so that it comes back
 *                                   with the provider's top-level redirect, 10 minutes, path of
 *                                   the callback only)
 *   GET /api/v1/auth/oidc/callback  (public) checks the state against the cookie and the pending
 *                                   sign-in (single use), redeems the code with the verifier,
 *                                   verifies the ID token (oidc-jwt.ts), maps groups to a role
 *                                   and streams (oidc-login.ts), creates or updates the user
 *                                   (origin `oidc`), starts a normal session (`lw_session`) and
 *                                   answers a page that continues to `/`
 *
 * Both answer 404 when OpenID Connect is not configured (or authentication is off). Every
 * callback is audited as `auth.login` with `details.method: "oidc"`: success with the role and
 * groups, failure with the reason; a created or changed user is recorded as `user.create` /
 * `user.update` before the answer. A failure answers 401 LW_ERR_OIDC_FAILED (403 LW_ERR_FORBIDDEN
 * for a user the mapping refuses, 502 LW_ERR_OIDC_PROVIDER when the provider cannot be used).
 * The session cookie is SameSite=Strict: the answer is a page whose same-site refresh carries
 * it, where a redirect from the provider's cross-site navigation would not.
 */
import fs from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LwError } from '../../core/errors.ts';
import type { Authenticator } from './authenticator.ts';
import { cookieValue } from './credentials.ts';
import { type ClientCredentials, OidcIssuer } from './oidc-issuer.ts';
import { oidcFailure, verifyIdToken } from './oidc-jwt.ts';
import { identityOf, type OidcConfig, PENDING_TTL_MS, PendingSignIns } from './oidc-login.ts';
import { digestsEqual, sha256Hex } from './secrets.ts';
import { sessionCookie } from './session-routes.ts';

export const OIDC_LOGIN_PATH = '/api/v1/auth/oidc/login';
export const OIDC_CALLBACK_PATH = '/api/v1/auth/oidc/callback';
const STATE_COOKIE = 'lw_oidc_state';
const MAX_PARAM_CHARS = 4096;

const SIGNED_IN_PAGE =
  '<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=/">' +
  '<title>Signed in</title></head><body><p>Signed in. <a href="/">Continue</a></p></body></html>\n';

function stateCookie(req: FastifyRequest, value: string, maxAgeSeconds: number): string {
  const secure = req.protocol === 'https' ? '; Secure' : '';
  return `${STATE_COOKIE}=${value}; Path=${OIDC_CALLBACK_PATH}; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure}`;
}

/** The client secret from the config or its file; a file that cannot be read stops the start. */
function clientCredentials(c: OidcConfig): ClientCredentials {
  if (c.clientSecretFile === null) return { clientId: c.clientId, clientSecret: c.clientSecret };
  let secret: string;
  try {
    secret = fs.readFileSync(c.clientSecretFile, 'utf8').trim();
  } catch (err) {
    throw new LwError('LW_ERR_CONFIG', [
      `auth.oidc.clientSecretFile: cannot read ${c.clientSecretFile}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    ]);
  }
  if (secret === '')
    throw new LwError('LW_ERR_CONFIG', [`auth.oidc.clientSecretFile: ${c.clientSecretFile} is empty`]);
  return { clientId: c.clientId, clientSecret: secret };
}

function param(q: unknown, name: string): string | null {
  const v = (q as Record<string, unknown> | null)?.[name];
  return typeof v === 'string' && v !== '' && v.length <= MAX_PARAM_CHARS ? v : null;
}

export function registerOidcRoutes(
  app: FastifyInstance,
  deps: { auth: Authenticator | null; config: OidcConfig | null; sessionMaxSeconds: number },
): void {
  const { auth, config: c } = deps;
  const ready =
    auth === null || c === null
      ? null
      : {
          auth,
          c,
          issuer: new OidcIssuer(c.issuer),
          pending: new PendingSignIns(),
          client: clientCredentials(c),
        };
  const requireOidc = () => {
    if (ready === null)
      throw new LwError('LW_ERR_NOT_FOUND', [
        'OpenID Connect sign-in is not configured on this server (auth.oidc)',
      ]);
    return ready;
  };

  app.get(OIDC_LOGIN_PATH, { config: { public: true } }, async (req, reply) => {
    const { c, issuer, pending } = requireOidc();
    const meta = await issuer.metadata();
    const { state, nonce, codeChallenge } = pending.start();
    const url = new URL(meta.authorization_endpoint);
    const q = url.searchParams;
    q.set('response_type', 'code');
    q.set('client_id', c.clientId);
    q.set('redirect_uri', c.redirectUrl);
    q.set('scope', c.scopes.join(' '));
    q.set('state', state);
    q.set('nonce', nonce);
    q.set('code_challenge', codeChallenge);
    q.set('code_challenge_method', 'S256');
    reply.header('set-cookie', stateCookie(req, state, PENDING_TTL_MS / 1000));
    return reply.code(302).header('location', url.toString()).send();
  });

  app.get(OIDC_CALLBACK_PATH, { config: { public: true } }, async (req, reply) => {
    const { auth: a, c, issuer, pending, client } = requireOidc();
    // Whatever happens next, this browser's pending state is spent.
    reply.header('set-cookie', stateCookie(req, '', 0));
    let username: string | null = null;
    try {
      const error = param(req.query, 'error');
      if (error !== null) {
        const desc = param(req.query, 'error_description');
        throw oidcFailure(
          `the identity provider answered ${error.slice(0, 100)}${desc === null ? '' : ` (${desc.slice(0, 300)})`}`,
        );
      }
      const state = param(req.query, 'state');
      const code = param(req.query, 'code');
      if (state === null || code === null)
        throw oidcFailure('the callback has no "code" or "state" parameter');
      const sent = cookieValue(req.headers.cookie, STATE_COOKIE);
      if (sent === null || sent === '' || !digestsEqual(sha256Hex(sent), sha256Hex(state)))
        throw oidcFailure(
          `the state does not belong to this browser's sign-in; start again at ${OIDC_LOGIN_PATH}`,
        );
      const p = pending.take(state);
      if (p === null)
        throw oidcFailure(
          `the sign-in is unknown, already used or older than 10 minutes; start again at ${OIDC_LOGIN_PATH}`,
        );
      const idToken = await issuer.exchangeCode(code, p.verifier, c.redirectUrl, client);
      const claims = await verifyIdToken(idToken, (kid, alg) => issuer.key(kid, alg), {
        issuer: c.issuer,
        clientId: c.clientId,
        nonce: p.nonce,
        skewSeconds: c.clockSkewSeconds,
      });
      const id = identityOf(claims, c);
      username = id.username;
      const saved = await a.accounts.saveOidcUser(id.username, id.role, id.streams);
      if (saved.change !== 'unchanged')
        a.record({
          actor: { type: 'system', id: 'oidc', name: 'oidc' },
          action: saved.change === 'created' ? 'user.create' : 'user.update',
          target: id.username,
          outcome: 'success',
          details: {
            origin: 'oidc',
            role: id.role,
            streams: id.streams,
            ...(saved.before === null
              ? {}
              : { previous: { role: saved.before.role, streams: saved.before.streams } }),
          },
          ip: req.ip,
        });
      const sessionId = a.sessions.create(id.username);
      a.record({
        actor: { type: 'user', id: id.username, name: id.username },
        action: 'auth.login',
        target: id.username,
        outcome: 'success',
        details: { method: 'oidc', role: id.role, groups: id.groups.slice(0, 50) },
        ip: req.ip,
      });
      await a.flushAudit();
      // Appended to the state cookie's removal (Fastify keeps every set-cookie).
      reply.header('set-cookie', sessionCookie(req, sessionId, deps.sessionMaxSeconds));
      return reply.type('text/html; charset=utf-8').send(SIGNED_IN_PAGE);
    } catch (err) {
      if (err instanceof LwError) {
        const who = username ?? 'oidc';
        a.record({
          actor: { type: 'anonymous', id: who, name: who },
          action: 'auth.login',
          ...(username === null ? {} : { target: username }),
          outcome: 'failure',
          details: { method: 'oidc', code: err.code, reason: err.message },
          ip: req.ip,
        });
      }
      throw err;
    }
  });
}
