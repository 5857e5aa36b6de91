/**
 * Users and API tokens over HTTP.
 *
 *   GET    /api/v1/users                 {"users": [...]}                             (admin)
 *   POST   /api/v1/users                 {"username", "role", "streams"?, "password"?} -> 201;
 *                                        without a password one is generated and answered once,
 *                                        and must be changed at the first sign-in      (admin)
 *   GET    /api/v1/users/NAME            the user                                      (admin)
 *   PATCH  /api/v1/users/NAME            {"role"?, "streams"?}                         (admin)
 *   POST   /api/v1/users/NAME/password   {"password"?}: reset (generated when omitted, answered
 *                                        once; must be changed); ends the user's sessions (admin)
 *   DELETE /api/v1/users/NAME            deletes the user and its tokens; 204          (admin)
 *   GET    /api/v1/tokens                the caller's tokens (admin: everyone's, `?owner=`)
 *   POST   /api/v1/tokens                {"name", "scopes", "streams"?, "expires"?, "owner"?}
 *                                        -> 201 with `token`, the value, shown only here
 *   DELETE /api/v1/tokens/ID             revokes; 204                                   (owner or admin)
 *
 * Token management is for signed-in users and admin credentials: a non-admin token cannot mint
 * tokens. A token's streams must lie within its owner's; the `admin` scope needs an admin owner.
 * `expires` is an ISO time or a duration from now (`30d`, `12h`). Every change is audited and
 * durable in the audit trail before the answer. The last admin cannot be deleted or demoted.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LwError } from '../../core/errors.ts';
import { parseDuration } from '../../query/time-literal.ts';
import {
  checkPassword,
  checkRole,
  checkScopes,
  checkStreams,
  checkUsername,
  type TokenDoc,
  type UserDoc,
} from './accounts.ts';
import type { Authenticator } from './authenticator.ts';
import type { MetaRecord } from '../../store/meta/meta-store.ts';
import { auditActor, type Principal } from './principal.ts';
import { principalOf } from './route-guard.ts';
import { newPassword } from './secrets.ts';

function objectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new LwError('LW_ERR_BAD_REQUEST', ['expected a JSON object body']);
  return body as Record<string, unknown>;
}

function onlyKeys(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(body))
    if (!allowed.includes(k))
      throw new LwError('LW_ERR_BAD_PARAM', [k, `unknown field; expected ${allowed.join(', ')}`], {
        field: k,
      });
}

function userView(r: MetaRecord<UserDoc>) {
  return {
    username: r.doc.username,
    role: r.doc.role,
    streams: r.doc.streams,
    must_change_password: r.doc.mustChangePassword,
    origin: r.doc.origin ?? 'local',
    created: new Date(r.created).toISOString(),
    updated: new Date(r.updated).toISOString(),
  };
}

function tokenView(r: MetaRecord<TokenDoc>) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: r.id,
    name: r.doc.name,
    owner: r.doc.owner,
    scopes: r.doc.scopes,
    streams: r.doc.streams,
    expires: iso(r.doc.expires),
    last_used: iso(r.doc.lastUsed),
    created: iso(r.created),
  };
}

function parseExpiry(v: unknown, now: number): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') {
    const d = parseDuration(v);
    if (d !== null && d > 0) return now + Math.round(d / 1000);
    const t = Date.parse(v);
    if (/^\d{4}-\d{2}-\d{2}/.test(v) && Number.isFinite(t)) {
      if (t <= now)
        throw new LwError('LW_ERR_BAD_PARAM', ['expires', 'is in the past'], { field: 'expires' });
      return t;
    }
  }
  throw new LwError('LW_ERR_BAD_PARAM', ['expires', 'expected an ISO time or a duration such as 30d'], {
    field: 'expires',
  });
}

export function registerAccountRoutes(app: FastifyInstance, auth: Authenticator | null): void {
  const a = (): Authenticator => {
    if (auth === null)
      throw new LwError('LW_ERR_NOT_FOUND', [
        'authentication is disabled on this server (auth.enabled: false)',
      ]);
    return auth;
  };
  const admin = { config: { permission: 'admin' as const } };
  const tokens = { config: { permission: 'tokens' as const } };
  const audit = async (
    req: FastifyRequest,
    action: string,
    target: string,
    details?: Record<string, unknown>,
  ) => {
    a().record({
      actor: auditActor(principalOf(req)),
      action,
      target,
      outcome: 'success',
      details,
      ip: req.ip,
    });
    await a().flushAudit();
  };
  const user = async (name: string) => {
    const r = await a().accounts.getUser(name);
    if (r === null) throw new LwError('LW_ERR_NOT_FOUND', [`user ${JSON.stringify(name)}`]);
    return r;
  };
  const otherAdmins = async (name: string) =>
    (await a().accounts.listUsers()).filter((u) => u.doc.role === 'admin' && u.id !== name).length;

  app.get('/api/v1/users', admin, async () => ({ users: (await a().accounts.listUsers()).map(userView) }));

  app.post('/api/v1/users', admin, async (req, reply) => {
    const b = objectBody(req.body);
    onlyKeys(b, ['username', 'role', 'streams', 'password']);
    const username = checkUsername(b.username);
    const role = checkRole(b.role);
    const streams = checkStreams(b.streams);
    const generated = b.password === undefined;
    const password = generated ? newPassword() : checkPassword(b.password);
    const r = await a().accounts.createUser({
      username,
      role,
      streams,
      password,
      mustChangePassword: generated,
    });
    await audit(req, 'user.create', username, { role, streams });
    reply.code(201);
    return { ...userView(r), ...(generated ? { password } : {}) };
  });

  app.get<{ Params: { name: string } }>('/api/v1/users/:name', admin, async (req) =>
    userView(await user(req.params.name)),
  );

  app.patch<{ Params: { name: string } }>('/api/v1/users/:name', admin, async (req) => {
    const b = objectBody(req.body);
    onlyKeys(b, ['role', 'streams']);
    const cur = await user(req.params.name);
    const role = b.role === undefined ? undefined : checkRole(b.role);
    const streams = b.streams === undefined ? undefined : checkStreams(b.streams);
    if (
      cur.doc.role === 'admin' &&
      role !== undefined &&
      role !== 'admin' &&
      (await otherAdmins(cur.id)) === 0
    )
      throw new LwError('LW_ERR_CONFLICT', [`${cur.id} is the last admin; make another user admin first`]);
    const r = await a().accounts.updateUser(cur.id, { role, streams });
    await audit(req, 'user.update', cur.id, {
      role: r.doc.role,
      streams: r.doc.streams,
      previous_role: cur.doc.role,
      previous_streams: cur.doc.streams,
    });
    return userView(r);
  });

  app.post<{ Params: { name: string } }>('/api/v1/users/:name/password', admin, async (req) => {
    const b = req.body === undefined || req.body === null ? {} : objectBody(req.body);
    onlyKeys(b, ['password']);
    const cur = await user(req.params.name);
    const generated = b.password === undefined;
    const password = generated ? newPassword() : checkPassword(b.password);
    await a().accounts.setPassword(cur.id, password, true);
    const ended = a().sessions.endUser(cur.id);
    await audit(req, 'user.password.reset', cur.id, { sessions_ended: ended });
    return { username: cur.id, must_change_password: true, ...(generated ? { password } : {}) };
  });

  app.delete<{ Params: { name: string } }>('/api/v1/users/:name', admin, async (req, reply) => {
    const cur = await user(req.params.name);
    const p = principalOf(req);
    if (p.type === 'user' && p.name === cur.id)
      throw new LwError('LW_ERR_CONFLICT', ['you cannot delete your own account']);
    if (cur.doc.role === 'admin' && (await otherAdmins(cur.id)) === 0)
      throw new LwError('LW_ERR_CONFLICT', [`${cur.id} is the last admin`]);
    await a().accounts.deleteUser(cur.id);
    a().sessions.endUser(cur.id);
    await audit(req, 'user.delete', cur.id);
    return reply.code(204).send();
  });

  /** Who owns the caller's tokens: the user, or an admin token's owner (null: bootstrap). */
  const ownerOf = (p: Principal): string | null => (p.type === 'user' ? p.name : p.owner);

  app.get('/api/v1/tokens', tokens, async (req) => {
    const p = principalOf(req);
    const owner = ownerOf(p);
    const q = (req.query as Record<string, string | undefined>).owner;
    const all = await a().accounts.listTokens();
    const mine = p.permissions.has('admin')
      ? all.filter((t) => q === undefined || t.doc.owner === (q === '' ? null : q))
      : all.filter((t) => t.doc.owner === owner);
    return { tokens: mine.map(tokenView) };
  });

  app.post('/api/v1/tokens', tokens, async (req, reply) => {
    const p = principalOf(req);
    const b = objectBody(req.body);
    onlyKeys(b, ['name', 'scopes', 'streams', 'expires', 'owner']);
    if (typeof b.name !== 'string' || b.name.trim() === '' || b.name.length > 200)
      throw new LwError('LW_ERR_BAD_PARAM', ['name', 'required, 1 to 200 characters'], { field: 'name' });
    const scopes = checkScopes(b.scopes);
    let streams = checkStreams(b.streams);
    const expires = parseExpiry(b.expires, Date.now());
    let owner = ownerOf(p);
    if (b.owner !== undefined) {
      if (!p.permissions.has('admin'))
        throw new LwError('LW_ERR_FORBIDDEN', ['only an admin may create tokens for another user']);
      owner = checkUsername(b.owner);
    }
    const ownerDoc = owner === null ? null : (await user(owner)).doc;
    if (scopes.includes('admin') && ownerDoc !== null && ownerDoc.role !== 'admin')
      throw new LwError('LW_ERR_FORBIDDEN', [
        `the admin scope needs an admin owner; ${owner} is ${ownerDoc.role}`,
      ]);
    if (ownerDoc?.streams) {
      if (streams === null) streams = ownerDoc.streams;
      const outside = streams.filter((s) => !ownerDoc.streams!.includes(s));
      if (outside.length > 0)
        throw new LwError('LW_ERR_FORBIDDEN', [`${owner} may not use stream(s) ${outside.join(', ')}`]);
    }
    const { record, value } = await a().accounts.createToken({
      name: b.name.trim(),
      owner,
      scopes,
      streams,
      expires,
    });
    await audit(req, 'token.create', record.id, {
      name: record.doc.name,
      owner,
      scopes,
      streams,
      expires: b.expires ?? null,
    });
    reply.code(201);
    return { ...tokenView(record), token: value };
  });

  app.delete<{ Params: { id: string } }>('/api/v1/tokens/:id', tokens, async (req, reply) => {
    const p = principalOf(req);
    const owner = ownerOf(p);
    const t = await a().accounts.getToken(req.params.id);
    if (t === null || (!p.permissions.has('admin') && t.doc.owner !== owner))
      throw new LwError('LW_ERR_NOT_FOUND', [`token ${JSON.stringify(req.params.id)}`]);
    await a().accounts.revokeToken(t.id);
    await audit(req, 'token.revoke', t.id, { name: t.doc.name, owner: t.doc.owner });
    return reply.code(204).send();
  });
}
