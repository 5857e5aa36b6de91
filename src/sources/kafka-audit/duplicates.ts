/**
 * Duplicate production detection for the Kafka topic audit: a message is a copy of an earlier
 * one when it has the same topic, key and value hash and arrived (by its Kafka timestamp) within
 * the window after the first. Memory is bounded by the window: older entries are evicted in
 * insertion order.
 */

export interface DuplicateInfo {
  /** "topic-partition@offset" of the first copy. */
  duplicateOf: string;
  /** Copies seen so far, the first included (2 for the first duplicate). */
  copies: number;
}

interface Entry {
  first: string;
  firstTs: number;
  copies: number;
}

export class DuplicateDetector {
  private readonly windowMs: number;
  private readonly seen = new Map<string, Entry>();

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  /** Records a message; returns its duplicate info, or null for a first copy. */
  check(topic: string, key: string, hash: string, ts: number, position: string): DuplicateInfo | null {
    this.evict(ts);
    const k = `${topic}\u0000${key}\u0000${hash}`;
    const e = this.seen.get(k);
    if (e && ts - e.firstTs <= this.windowMs) {
      e.copies++;
      return { duplicateOf: e.first, copies: e.copies };
    }
    if (e) this.seen.delete(k);
    this.seen.set(k, { first: position, firstTs: ts, copies: 1 });
    return null;
  }

  private evict(now: number): void {
    for (const [k, e] of this.seen) {
      if (now - e.firstTs <= this.windowMs) break;
      this.seen.delete(k);
    }
  }
}
