/**
 * The two halves of an OpenID Connect sign-in that are not HTTP:
 *
 * - `PendingSignIns`: what a sign-in started at /api/v1/auth/oidc/login must find again at the
 *   callback, kept server-side: the PKCE code verifier (RFC 7636, S256) and the nonce, keyed by
 *   the SHA-256 of the `state`. An entry is used once (a replayed callback finds nothing) and
 *   lives `PENDING_TTL_MS`; at most `MAX_PENDING` are kept (the oldest go first), so anonymous
 *   sign-in starts cannot grow memory without bound. The browser holds the state in a cookie, so
 *   a callback URL forged for another browser (login CSRF) does not match.
 * - `identityOf`: from verified ID token claims to a logwarden account under `auth.oidc`: the
 *   user name claim (lower-cased, a valid user name), the allowed e-mail domains, the role from
 *   the group mapping (the most privileged of the user's groups; none is a 403 that says so) and
 *   the streams from the group -> streams mapping.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type Config, USER_ROLES } from '../../core/config.ts';
import { LwError } from '../../core/errors.ts';
import { isValidUsername } from './accounts.ts';
import type { Role, StreamList } from './permissions.ts';
import { oidcFailure } from './oidc-jwt.ts';
import { sha256Hex } from './secrets.ts';

export type OidcConfig = NonNullable<Config['auth']['oidc']>;

export const PENDING_TTL_MS = 10 * 60_000;
const MAX_PENDING = 10_000;

export interface PendingSignIn {
  verifier: string;
  nonce: string;
  created: number;
}

export class PendingSignIns {
  private readonly byState = new Map<string, PendingSignIn>();

  /** Starts a sign-in: the state for the browser and the values for the authorization request. */
  start(now = Date.now()): { state: string; nonce: string; codeChallenge: string } {
    this.sweep(now);
    while (this.byState.size >= MAX_PENDING) this.byState.delete(this.byState.keys().next().value!);
    const state = randomBytes(32).toString('base64url');
    const nonce = randomBytes(32).toString('base64url');
    const verifier = randomBytes(32).toString('base64url');
    this.byState.set(sha256Hex(state), { verifier, nonce, created: now });
    return { state, nonce, codeChallenge: createHash('sha256').update(verifier).digest('base64url') };
  }

  /** The sign-in of this state, removed (single use); null when unknown, used or expired. */
  take(state: string, now = Date.now()): PendingSignIn | null {
    const key = sha256Hex(state);
    const p = this.byState.get(key);
    if (p === undefined) return null;
    this.byState.delete(key);
    return now - p.created > PENDING_TTL_MS ? null : p;
  }

  get size(): number {
    return this.byState.size;
  }

  private sweep(now: number): void {
    for (const [k, p] of this.byState) {
      if (now - p.created <= PENDING_TTL_MS) break; // insertion order is age order
      this.byState.delete(k);
    }
  }
}

export interface OidcIdentity {
  username: string;
  role: Role;
  streams: StreamList;
  groups: string[];
}

function forbidden(why: string): LwError {
  return new LwError('LW_ERR_FORBIDDEN', [why], { reason: why });
}

function groupsOf(claims: Record<string, unknown>, claim: string): string[] {
  const v = claims[claim];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((g): g is string => typeof g === 'string');
  return [];
}

/** The account the verified claims sign in as; throws 401/403 naming the claim or rule that refused it. */
export function identityOf(claims: Record<string, unknown>, c: OidcConfig): OidcIdentity {
  const raw = claims[c.usernameClaim];
  if (typeof raw !== 'string' || raw === '')
    throw oidcFailure(
      `the ID token has no "${c.usernameClaim}" claim to name the user (auth.oidc.usernameClaim); does the provider send it for the scopes ${c.scopes.join(' ')}?`,
    );
  const username = raw.trim().toLowerCase();
  if (!isValidUsername(username))
    throw forbidden(
      `the "${c.usernameClaim}" claim ${JSON.stringify(raw.slice(0, 100))} is not a valid user name (1 to 64 of a-z 0-9 . _ @ -)`,
    );
  if (c.allowedEmailDomains !== null) {
    const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : '';
    const domain = email.slice(email.lastIndexOf('@') + 1);
    if (!email.includes('@') || !c.allowedEmailDomains.some((d) => d.toLowerCase() === domain))
      throw forbidden(
        `the e-mail address ${JSON.stringify(email.slice(0, 100))} is not in an allowed domain (auth.oidc.allowedEmailDomains)`,
      );
    if (claims.email_verified === false)
      throw forbidden(`the e-mail address ${email} is not verified by the identity provider`);
  }
  const groups = groupsOf(claims, c.groupsClaim);
  let role: Role | null = null;
  for (const g of groups) {
    const r = Object.hasOwn(c.groupRoles, g) ? c.groupRoles[g] : undefined;
    if (r !== undefined && (role === null || USER_ROLES.indexOf(r) < USER_ROLES.indexOf(role))) role = r;
  }
  if (role === null)
    throw forbidden(
      `user ${username} is in no group that auth.oidc.groupRoles maps to a role (groups in the "${c.groupsClaim}" claim: ${
        groups.length === 0 ? 'none' : groups.slice(0, 20).join(', ')
      }); ask an administrator to map one`,
    );
  return { username, role, streams: streamsOf(groups, c.groupStreams), groups };
}

function streamsOf(groups: string[], map: Record<string, string[]>): StreamList {
  if (Object.keys(map).length === 0) return null;
  const out = new Set<string>();
  for (const g of groups) {
    const list = Object.hasOwn(map, g) ? map[g] : [];
    if (list.includes('*')) return null;
    for (const s of list) out.add(s);
  }
  return [...out].sort();
}
