/**
 * Counters of one network source (a GELF, syslog or lines listener), exposed at /metrics with the
 * label `source=<name>`. One object per source, shared by its listener, its decoder and the sink
 * that writes to the queue; all of them update it in place.
 *
 * - `received`: records read from the network, including those later rejected or dropped (for
 *   chunked GELF: complete or abandoned messages, not chunks).
 * - `accepted`: records made durable in the queue.
 * - `rejected[reason]`: bad input (oversized, invalid UTF-8, invalid JSON, bad compression...).
 * - `dropped[reason]`: good records that could not be kept (queue full, shutting down...).
 * - `errors`: socket and TLS errors (they carry no record).
 * A record is counted in exactly one of accepted, rejected or dropped once it is settled.
 */

export interface SourceStats {
  received: number;
  accepted: number;
  rejected: Record<string, number>;
  dropped: Record<string, number>;
  errors: number;
}

export function newSourceStats(): SourceStats {
  return { received: 0, accepted: 0, rejected: {}, dropped: {}, errors: 0 };
}

export function countRejected(stats: SourceStats, reason: string, n = 1): void {
  stats.rejected[reason] = (stats.rejected[reason] ?? 0) + n;
}

export function countDropped(stats: SourceStats, reason: string, n = 1): void {
  stats.dropped[reason] = (stats.dropped[reason] ?? 0) + n;
}

/** Sum over the reasons of `rejected` or `dropped`. */
export function total(counts: Record<string, number>): number {
  let n = 0;
  for (const k in counts) n += counts[k]!;
  return n;
}
