/**
 * Login backoff: failures are counted per key (`user:<name>`, `ip:<address>`); from the
 * `threshold`-th consecutive failure on, the key is locked for `baseMs * 2^(failures -
 * threshold)`, at most `maxMs`. A success clears the user's key. The map holds at most
 * `maxKeys` keys (the oldest are forgotten first), so a flood of client addresses cannot grow
 * memory without bound.
 */

interface Entry {
  failures: number;
  lockedUntil: number;
}

export class Lockout {
  private readonly entries = new Map<string, Entry>();
  private readonly threshold: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly maxKeys: number;

  constructor(opts: { threshold: number; baseMs: number; maxMs: number; maxKeys?: number }) {
    this.threshold = opts.threshold;
    this.baseMs = opts.baseMs;
    this.maxMs = opts.maxMs;
    this.maxKeys = opts.maxKeys ?? 100_000;
  }

  /** Milliseconds until the first of `keys` unlocks, or 0 when none is locked. */
  retryAfterMs(keys: readonly string[], now = Date.now()): number {
    let wait = 0;
    for (const k of keys) {
      const e = this.entries.get(k);
      if (e !== undefined && e.lockedUntil > now) wait = Math.max(wait, e.lockedUntil - now);
    }
    return wait;
  }

  fail(keys: readonly string[], now = Date.now()): void {
    for (const k of keys) {
      const e = this.entries.get(k) ?? { failures: 0, lockedUntil: 0 };
      this.entries.delete(k); // re-inserted last: the map's order is least recently failed first
      e.failures++;
      if (e.failures >= this.threshold)
        e.lockedUntil =
          now + Math.min(this.maxMs, this.baseMs * 2 ** Math.min(e.failures - this.threshold, 30));
      this.entries.set(k, e);
    }
    while (this.entries.size > this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
  }

  succeed(keys: readonly string[]): void {
    for (const k of keys) this.entries.delete(k);
  }
}
