/**
 * The token hashes of an event for the store's skip index: the tokens of `message`, `host`,
 * `service` and every string field (numbers and booleans are not indexed; queries on them
 * never prune by tokens). Must stay in step with `tokenExpr` in src/store/duckdb/compile.ts.
 */
import type { LogEvent } from '../core/event.ts';
import { type HashSink, tokenHashes } from '../core/tokenize.ts';

export function eventHashes(ev: LogEvent, out: HashSink | number[]): void {
  if (ev.message !== '') tokenHashes(ev.message, out);
  if (ev.host !== '') tokenHashes(ev.host, out);
  if (ev.service !== '') tokenHashes(ev.service, out);
  const f = ev.fields;
  for (const k in f) {
    const v = f[k];
    if (typeof v === 'string' && v !== '') tokenHashes(v, out);
  }
}
