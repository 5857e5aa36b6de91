/**
 * Rows [start, end) of an EventBatch as a batch of their own, so that the indexer can cut a
 * store write at an exact row count (a whole number of DuckDB row groups) instead of at a
 * worker batch's end.
 *
 * Skip-index segments: a segment cut in two keeps all of its distinct token hashes in both
 * parts. Each part's block then holds a superset of its rows' tokens, which a Bloom filter
 * allows (a search may read a block for nothing; it never misses one). Message templates are
 * per row, indexes into the shared `tdict`.
 *
 * Typed columns are views of the original (no copy); the caller must not modify either batch.
 */
import type { EventBatch } from '../core/event-batch.ts';

export function sliceBatch(b: EventBatch, start: number, end: number): EventBatch {
  if (start < 0 || end > b.n || start >= end) {
    throw new Error(`BUG: sliceBatch(${start}, ${end}) of a batch of ${b.n} rows`);
  }
  if (start === 0 && end === b.n) return b;
  // Segments overlapping the rows: k0 holds row `start`, k1 holds row `end - 1`.
  let k0 = 0;
  while (b.segs[k0 + 1] <= start) k0++;
  let k1 = k0;
  while (b.segs[k1 + 1] < end) k1++;
  const ns = k1 - k0 + 1;
  const segs = new Uint32Array(ns + 1);
  const hsegs = new Uint32Array(ns + 1);
  for (let k = 1; k < ns; k++) segs[k] = b.segs[k0 + k] - start;
  segs[ns] = end - start;
  const h0 = b.hsegs[k0];
  for (let k = 0; k <= ns; k++) hsegs[k] = b.hsegs[k0 + k] - h0;
  const f0 = b.fstart[start];
  const fstart = new Uint32Array(end - start + 1);
  for (let i = 0; i <= end - start; i++) fstart[i] = b.fstart[start + i] - f0;
  return {
    n: end - start,
    qpos: b.qpos.subarray(start, end),
    time: b.time.subarray(start, end),
    ingest: b.ingest.subarray(start, end),
    stream: b.stream.slice(start, end),
    message: b.message.slice(start, end),
    level: b.level.slice(start, end),
    host: b.host.slice(start, end),
    service: b.service.slice(start, end),
    fstart,
    fkeys: b.fkeys.slice(f0, b.fstart[end]),
    fvals: b.fvals.slice(f0, b.fstart[end]),
    dhash: b.dhash.subarray(h0, b.hsegs[k1 + 1]),
    segs,
    hsegs,
    // Template counts are per row (`tmpl`), so they stay exact in each part.
    tmpl: b.tmpl.subarray(start, end),
    tdict: b.tdict,
  };
}
