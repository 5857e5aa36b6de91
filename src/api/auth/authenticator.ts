/**
 * Authentication: turns a request's credentials into a Principal (or a 401), signs users in and
 * out, and counts token uses for the audit trail (one `token.use` summary per token and minute).
 *
 * Contract:
 * - `principalOf` resolves null when the request carries no credentials, and throws
 *   LW_ERR_UNAUTHENTICATED for credentials that are wrong, expired, revoked or whose user is
 *   gone. It never says which of those it was beyond "invalid or expired".
 * - `login` takes about as long for an unknown user as for a wrong password (a dummy scrypt),
 *   and answers LW_ERR_LOGIN_LOCKED (429, with the seconds to wait) while the user name or the
 *   client address is locked out after repeated failures.
 * - Password changes end the user's other sessions; deleting a user ends all of them and
 *   revokes its tokens.
 */
import type { AuditEntry, AuditLog } from '../audit/audit-log.ts';
import { LwError } from '../../core/errors.ts';
import type { MetaStore } from '../../store/meta/meta-store.ts';
import { Accounts, type UserDoc } from './accounts.ts';
import type { Credentials } from './credentials.ts';
import { Lockout } from './lockout.ts';
import { DUMMY_HASH, MAX_PASSWORD_BYTES, verifyPassword } from './password.ts';
import { intersectStreams, rolePermissions, tokenPermissions } from './permissions.ts';
import type { Principal } from './principal.ts';
import { Sessions } from './sessions.ts';

export interface AuthOptions {
  sessionIdleMs: number;
  sessionAbsoluteMs: number;
  lockoutThreshold: number;
  lockoutBaseMs: number;
  lockoutMaxMs: number;
}

const TOKEN_USE_SUMMARY_MS = 60_000;

function invalid(): LwError {
  return new LwError('LW_ERR_UNAUTHENTICATED', ['the credentials are invalid or expired; sign in again']);
}

function userPrincipal(doc: UserDoc): Principal {
  return {
    type: 'user',
    id: doc.username,
    name: doc.username,
    role: doc.role,
    owner: null,
    permissions: rolePermissions(doc.role),
    streams: doc.streams,
    mustChangePassword: doc.mustChangePassword,
  };
}

export class Authenticator {
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  readonly lockout: Lockout;
  private readonly audit: AuditLog;
  /** Token id -> uses since the last summary. */
  private readonly tokenUses = new Map<string, { name: string; owner: string | null; count: number }>();
  private readonly summaryTimer: NodeJS.Timeout;

  constructor(meta: MetaStore, opts: AuthOptions, audit: AuditLog) {
    this.accounts = new Accounts(meta);
    this.sessions = new Sessions({ idleMs: opts.sessionIdleMs, absoluteMs: opts.sessionAbsoluteMs });
    this.lockout = new Lockout({
      threshold: opts.lockoutThreshold,
      baseMs: opts.lockoutBaseMs,
      maxMs: opts.lockoutMaxMs,
    });
    this.audit = audit;
    this.summaryTimer = setInterval(() => this.summarizeTokenUse(), TOKEN_USE_SUMMARY_MS);
    this.summaryTimer.unref();
  }

  record(entry: AuditEntry): void {
    this.audit.record(entry);
  }

  flushAudit(): Promise<void> {
    return this.audit.flush();
  }

  async principalOf(creds: Credentials | null): Promise<Principal | null> {
    if (creds === null) return null;
    if (creds.kind === 'session') {
      const s = this.sessions.touch(creds.secret);
      if (s === null) throw invalid();
      const u = await this.accounts.getUser(s.username);
      if (u === null || u.doc.passwordChanged > s.created) {
        this.sessions.end(creds.secret);
        throw invalid();
      }
      return userPrincipal(u.doc);
    }
    const t = await this.accounts.findToken(creds.secret);
    if (t === null || (t.doc.expires !== null && t.doc.expires <= Date.now())) throw invalid();
    let ownerDoc: UserDoc | null = null;
    if (t.doc.owner !== null) {
      ownerDoc = (await this.accounts.getUser(t.doc.owner))?.doc ?? null;
      if (ownerDoc === null) throw invalid();
    }
    this.countTokenUse(t.id, t.doc.name, t.doc.owner);
    void this.accounts.touchToken(t.id).catch(() => {});
    return {
      type: 'token',
      id: t.id,
      name: t.doc.name,
      role: ownerDoc?.role ?? null,
      owner: t.doc.owner,
      permissions: tokenPermissions(t.doc.scopes, ownerDoc?.role ?? null),
      streams: intersectStreams(t.doc.streams, ownerDoc?.streams ?? null),
      mustChangePassword: false,
    };
  }

  /** Signs a user in; resolves the session id for the cookie and the principal. */
  async login(
    username: string,
    password: string,
    ip: string,
  ): Promise<{ sessionId: string; principal: Principal }> {
    const keys = [`user:${username}`, `ip:${ip}`];
    const wait = this.lockout.retryAfterMs(keys);
    if (wait > 0) {
      this.audit.record({
        actor: { type: 'anonymous', id: username, name: username },
        action: 'auth.login',
        target: username,
        outcome: 'failure',
        details: { reason: 'locked' },
        ip,
      });
      throw new LwError('LW_ERR_LOGIN_LOCKED', [Math.ceil(wait / 1000)], {
        retry_after: Math.ceil(wait / 1000),
      });
    }
    const u = await this.accounts.getUser(username);
    const ok =
      Buffer.byteLength(password) <= MAX_PASSWORD_BYTES &&
      (await verifyPassword(password, u?.doc.passwordHash ?? DUMMY_HASH)) &&
      u !== null;
    if (!ok) {
      this.lockout.fail(keys);
      this.audit.record({
        actor: { type: 'anonymous', id: username, name: username },
        action: 'auth.login',
        target: username,
        outcome: 'failure',
        details: { reason: u === null ? 'unknown user' : 'wrong password' },
        ip,
      });
      throw new LwError('LW_ERR_UNAUTHENTICATED', ['wrong user name or password']);
    }
    this.lockout.succeed([`user:${username}`]);
    const sessionId = this.sessions.create(username);
    const principal = userPrincipal(u.doc);
    this.audit.record({
      actor: { type: 'user', id: username, name: username },
      action: 'auth.login',
      target: username,
      outcome: 'success',
      ip,
    });
    return { sessionId, principal };
  }

  /** Checks a signed-in user's current password (counted against the lockout like a login). */
  async checkCurrentPassword(username: string, password: string, ip: string): Promise<void> {
    const keys = [`user:${username}`, `ip:${ip}`];
    const wait = this.lockout.retryAfterMs(keys);
    if (wait > 0)
      throw new LwError('LW_ERR_LOGIN_LOCKED', [Math.ceil(wait / 1000)], {
        retry_after: Math.ceil(wait / 1000),
      });
    const u = await this.accounts.getUser(username);
    if (u === null || !(await verifyPassword(password, u.doc.passwordHash))) {
      this.lockout.fail(keys);
      throw new LwError('LW_ERR_FORBIDDEN', ['the current password is wrong']);
    }
  }

  private countTokenUse(id: string, name: string, owner: string | null): void {
    const c = this.tokenUses.get(id);
    if (c) c.count++;
    else this.tokenUses.set(id, { name, owner, count: 1 });
  }

  private summarizeTokenUse(): void {
    for (const [id, c] of this.tokenUses)
      this.audit.record({
        actor: { type: 'token', id, name: c.name },
        action: 'token.use',
        target: id,
        outcome: 'success',
        details: { requests: c.count, owner: c.owner, period_seconds: TOKEN_USE_SUMMARY_MS / 1000 },
      });
    this.tokenUses.clear();
  }

  close(): void {
    clearInterval(this.summaryTimer);
    this.summarizeTokenUse();
  }
}
