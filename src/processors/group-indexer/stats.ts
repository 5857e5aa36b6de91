/**
 * Sums indexer statistics (counters and per-reason counter maps) of several indexers: the ones
 * a group member ran before a rebalance, and the consumer processes of the indexer role.
 */
import type { IndexerStats } from '../indexer.ts';

type Counters = Record<string, number | Record<string, number>>;

/** a + b, field by field; `a` null is zero. Neither argument is modified. */
export function addStats(a: IndexerStats | null, b: IndexerStats): IndexerStats {
  const out = structuredClone(b) as unknown as Counters;
  if (a === null) return out as unknown as IndexerStats;
  for (const [k, v] of Object.entries(a as unknown as Counters)) {
    const o = out[k];
    if (typeof v === 'number') out[k] = (typeof o === 'number' ? o : 0) + v;
    else {
      const m = { ...(typeof o === 'object' ? o : {}) };
      for (const [r, n] of Object.entries(v)) m[r] = (m[r] ?? 0) + n;
      out[k] = m;
    }
  }
  return out as unknown as IndexerStats;
}
