/**
 * Users and API tokens, kept in the metadata store (kinds `user` and `api-token`).
 *
 * - A user is keyed by its name (lower case letters, digits, `._@-`, up to 64) and holds a role,
 *   a stream allow-list (null: all), an scrypt password hash and `mustChangePassword`.
 * - A token is keyed by its public id (the first 16 hex digits of the SHA-256 of its value) and
 *   holds the full digest, never the value. Lookups by value hash the presented string and
 *   compare digests in constant time. `lastUsed` is written at most once a minute per token.
 *
 * Validation errors are LW_ERR_BAD_PARAM naming the field; a missing user or token is
 * LW_ERR_NOT_FOUND; a taken user name is LW_ERR_CONFLICT.
 */
import { LwError } from '../../core/errors.ts';
import { isValidStreamName } from '../../core/envelope.ts';
import type { MetaStore } from '../../store/meta/meta-store.ts';
import { hashPassword, passwordProblem } from './password.ts';
import { ROLES, type Role, SCOPES, type Scope, type StreamList } from './permissions.ts';
import { digestsEqual, isApiTokenShape, newApiToken, sha256Hex, tokenIdOf } from './secrets.ts';

export const USER_KIND = 'user';
export const TOKEN_KIND = 'api-token';

export interface UserDoc {
  username: string;
  role: Role;
  streams: string[] | null;
  passwordHash: string;
  mustChangePassword: boolean;
  /** Epoch ms of the last password change: sessions created before it are void. */
  passwordChanged: number;
  /** `oidc`: signs in with OpenID Connect only (no password); absent: a local user. */
  origin?: 'oidc';
}

export interface TokenDoc {
  name: string;
  owner: string | null;
  scopes: Scope[];
  streams: string[] | null;
  /** Epoch ms; null: never expires. */
  expires: number | null;
  digest: string;
  lastUsed: number | null;
}

const USERNAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;
const LAST_USED_EVERY_MS = 60_000;

function bad(field: string, why: string): LwError {
  return new LwError('LW_ERR_BAD_PARAM', [field, why], { field });
}

export function isValidUsername(v: string): boolean {
  return USERNAME.test(v);
}

export function checkUsername(v: unknown): string {
  if (typeof v !== 'string' || !USERNAME.test(v))
    throw bad(
      'username',
      'expected 1 to 64 lower-case letters, digits or . _ @ - (starting with a letter or digit)',
    );
  return v;
}

export function checkRole(v: unknown): Role {
  if (typeof v !== 'string' || !(ROLES as readonly string[]).includes(v))
    throw bad('role', `expected one of ${ROLES.join(', ')}`);
  return v as Role;
}

export function checkPassword(v: unknown, field = 'password'): string {
  const why = passwordProblem(v);
  if (why !== null) throw bad(field, why);
  return v as string;
}

/** A stream allow-list: null or omitted means all streams. */
export function checkStreams(v: unknown): string[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.length > 1000) throw bad('streams', 'expected null or a list of stream names');
  for (const s of v)
    if (typeof s !== 'string' || !isValidStreamName(s))
      throw bad('streams', `${JSON.stringify(s)} is not a valid stream name`);
  return [...new Set(v as string[])];
}

export function checkScopes(v: unknown): Scope[] {
  if (!Array.isArray(v) || v.length === 0)
    throw bad('scopes', `expected a non-empty list of ${SCOPES.join(', ')}`);
  for (const s of v)
    if (typeof s !== 'string' || !(SCOPES as readonly string[]).includes(s))
      throw bad('scopes', `unknown scope ${JSON.stringify(s)}; expected ${SCOPES.join(', ')}`);
  return [...new Set(v as Scope[])];
}

export interface NewToken {
  name: string;
  owner: string | null;
  scopes: Scope[];
  streams: StreamList;
  expires: number | null;
  /** The token's value (bootstrap tokens); generated when omitted. */
  value?: string;
}

export class Accounts {
  private readonly meta: MetaStore;

  constructor(meta: MetaStore) {
    this.meta = meta;
  }

  async getUser(username: string) {
    return this.meta.get<UserDoc>(USER_KIND, username);
  }

  async listUsers() {
    return this.meta.list<UserDoc>(USER_KIND);
  }

  async hasUsers(): Promise<boolean> {
    return (await this.meta.list(USER_KIND)).length > 0;
  }

  async createUser(u: {
    username: string;
    role: Role;
    streams: StreamList;
    password: string;
    mustChangePassword: boolean;
  }) {
    const doc: UserDoc = {
      username: u.username,
      role: u.role,
      streams: u.streams === null ? null : [...u.streams],
      passwordHash: await hashPassword(u.password),
      mustChangePassword: u.mustChangePassword,
      passwordChanged: Date.now(),
    };
    return this.meta.put(USER_KIND, u.username, doc, { ifVersion: 0 });
  }

  /** Changes role and/or streams. */
  async updateUser(username: string, change: { role?: Role; streams?: StreamList }) {
    const cur = await this.requireUser(username);
    const doc = { ...cur.doc };
    if (change.role !== undefined) doc.role = change.role;
    if (change.streams !== undefined) doc.streams = change.streams === null ? null : [...change.streams];
    return this.meta.put(USER_KIND, username, doc, { ifVersion: cur.version });
  }

  /**
   * Creates or updates a user who signs in with OpenID Connect (src/api/auth/oidc-routes.ts):
   * no password (a password sign-in never matches an empty hash), role and streams as the
   * identity provider's groups say. A local user of that name is never taken over (403).
   */
  async saveOidcUser(
    username: string,
    role: Role,
    streams: StreamList,
  ): Promise<{ change: 'created' | 'updated' | 'unchanged'; before: UserDoc | null }> {
    const cur = await this.meta.get<UserDoc>(USER_KIND, username);
    if (cur !== null && cur.doc.origin !== 'oidc')
      throw new LwError('LW_ERR_FORBIDDEN', [
        `a local user ${JSON.stringify(username)} exists; it signs in with its password, not with OpenID Connect`,
      ]);
    const list = streams === null ? null : [...streams];
    if (cur !== null && cur.doc.role === role && JSON.stringify(cur.doc.streams) === JSON.stringify(list))
      return { change: 'unchanged', before: cur.doc };
    const doc: UserDoc = cur?.doc
      ? { ...cur.doc, role, streams: list }
      : {
          username,
          role,
          streams: list,
          passwordHash: '',
          mustChangePassword: false,
          passwordChanged: Date.now(),
          origin: 'oidc',
        };
    await this.meta.put(USER_KIND, username, doc, { ifVersion: cur?.version ?? 0 });
    return { change: cur === null ? 'created' : 'updated', before: cur?.doc ?? null };
  }

  async setPassword(username: string, password: string, mustChangePassword: boolean) {
    const cur = await this.requireUser(username);
    const doc: UserDoc = {
      ...cur.doc,
      passwordHash: await hashPassword(password),
      mustChangePassword,
      passwordChanged: Date.now(),
    };
    return this.meta.put(USER_KIND, username, doc, { ifVersion: cur.version });
  }

  /** Deletes the user and every token it owns. */
  async deleteUser(username: string): Promise<void> {
    await this.requireUser(username);
    for (const t of await this.listTokens())
      if (t.doc.owner === username) await this.meta.delete(TOKEN_KIND, t.id);
    await this.meta.delete(USER_KIND, username);
  }

  private async requireUser(username: string) {
    const cur = await this.meta.get<UserDoc>(USER_KIND, username);
    if (cur === null) throw new LwError('LW_ERR_NOT_FOUND', [`user ${JSON.stringify(username)}`]);
    return cur;
  }

  async listTokens() {
    return this.meta.list<TokenDoc>(TOKEN_KIND);
  }

  async getToken(id: string) {
    return this.meta.get<TokenDoc>(TOKEN_KIND, id);
  }

  /** Creates a token; the answer carries its value, which is never stored. */
  async createToken(t: NewToken) {
    const value = t.value ?? newApiToken();
    const digest = sha256Hex(value);
    const doc: TokenDoc = {
      name: t.name,
      owner: t.owner,
      scopes: [...t.scopes],
      streams: t.streams === null ? null : [...t.streams],
      expires: t.expires,
      digest,
      lastUsed: null,
    };
    const rec = await this.meta.put(TOKEN_KIND, tokenIdOf(digest), doc, { ifVersion: 0 });
    return { record: rec, value };
  }

  async revokeToken(id: string): Promise<boolean> {
    return this.meta.delete(TOKEN_KIND, id);
  }

  /** The token with this value, when it exists (expiry is the caller's to check). */
  async findToken(value: string) {
    if (!isApiTokenShape(value)) return null;
    const digest = sha256Hex(value);
    const rec = await this.meta.get<TokenDoc>(TOKEN_KIND, tokenIdOf(digest));
    if (rec === null || !digestsEqual(rec.doc.digest, digest)) return null;
    return rec;
  }

  /** Records a use of the token (at most one write a minute per token). */
  async touchToken(id: string, now = Date.now()): Promise<void> {
    const cur = await this.meta.get<TokenDoc>(TOKEN_KIND, id);
    if (cur === null || (cur.doc.lastUsed !== null && now - cur.doc.lastUsed < LAST_USED_EVERY_MS)) return;
    try {
      await this.meta.put(TOKEN_KIND, id, { ...cur.doc, lastUsed: now }, { ifVersion: cur.version });
    } catch (err) {
      // A concurrent change (revocation, another touch) wins; the next use records the time.
      if (!(err instanceof LwError && err.code === 'LW_ERR_CONFLICT')) throw err;
    }
  }
}
