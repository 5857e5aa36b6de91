/**
 * Login sessions, in memory: a session id is 256 random bits given to the browser once (cookie
 * `lw_session`); the server keeps only its SHA-256 digest. A session ends at logout, after
 * `idleMs` without a request, after `absoluteMs` since login, or when its user's password
 * changes or the user is deleted. A restart ends every session (users sign in again).
 */
import { newSecret, sha256Hex } from './secrets.ts';

export interface Session {
  username: string;
  created: number;
  lastSeen: number;
}

export class Sessions {
  private readonly byDigest = new Map<string, Session>();
  private readonly idleMs: number;
  private readonly absoluteMs: number;

  constructor(opts: { idleMs: number; absoluteMs: number }) {
    this.idleMs = opts.idleMs;
    this.absoluteMs = opts.absoluteMs;
  }

  /** Starts a session; returns the id to send to the client (never stored). */
  create(username: string, now = Date.now()): string {
    this.sweep(now);
    const id = newSecret();
    this.byDigest.set(sha256Hex(id), { username, created: now, lastSeen: now });
    return id;
  }

  /** The live session for this id (and marks it used), or null. */
  touch(id: string, now = Date.now()): Session | null {
    const key = sha256Hex(id);
    const s = this.byDigest.get(key);
    if (s === undefined) return null;
    if (now - s.lastSeen > this.idleMs || now - s.created > this.absoluteMs) {
      this.byDigest.delete(key);
      return null;
    }
    s.lastSeen = now;
    return s;
  }

  end(id: string): void {
    this.byDigest.delete(sha256Hex(id));
  }

  /** Ends every session of the user except the one with id `keep`. */
  endUser(username: string, keep: string | null = null): number {
    const keepKey = keep === null ? null : sha256Hex(keep);
    let n = 0;
    for (const [k, s] of this.byDigest)
      if (s.username === username && k !== keepKey) {
        this.byDigest.delete(k);
        n++;
      }
    return n;
  }

  get size(): number {
    return this.byDigest.size;
  }

  private sweep(now: number): void {
    for (const [k, s] of this.byDigest)
      if (now - s.lastSeen > this.idleMs || now - s.created > this.absoluteMs) this.byDigest.delete(k);
  }
}
