/**
 * The retention policy in force at a moment: each stream with its own `retentionDays` keeps
 * that many days, every other stream `store.retentionDays` (0: kept forever). Cutoffs are
 * aligned to UTC midnight, so an event goes once its whole UTC day is older than the retention:
 * it is kept at least `days` days and at most one day (plus the hourly check) longer. Aligned
 * with the store's day partitions, this drops or rewrites each partition once per retention,
 * not on every hourly pass.
 */
import type { RetentionPolicy } from './store.ts';

const DAY_MS = 86_400_000;

/** Epoch µs of the UTC midnight that starts the day `days` days before `nowMs`. */
function cutoffUs(nowMs: number, days: number): number {
  return Math.floor((nowMs - days * DAY_MS) / DAY_MS) * DAY_MS * 1000;
}

/** The policy at `nowMs`; null when nothing ever expires. */
export function retentionPolicy(
  nowMs: number,
  defaultDays: number,
  streams: ReadonlyArray<{ stream: string; days: number }>,
): RetentionPolicy | null {
  const own = streams.filter((s) => s.days > 0);
  if (defaultDays <= 0 && own.length === 0) return null;
  return {
    streams: Object.fromEntries(own.map((s) => [s.stream, cutoffUs(nowMs, s.days)])),
    defaultCutoffUs: defaultDays > 0 ? cutoffUs(nowMs, defaultDays) : null,
  };
}
