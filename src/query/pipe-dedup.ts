/**
 * `| dedup user, host`: keeps the first row of each distinct combination, in the current order
 * (newest first unless sorted otherwise). Rows that lack one of the fields are removed, as in
 * Splunk.
 */
import type { DedupPipe } from '../core/pipe-ast.ts';
import type { PipeSpec } from '../core/query-ast.ts';
import { PipeArgs } from './pipe-args.ts';

export function parseDedup(spec: PipeSpec): DedupPipe {
  const a = new PipeArgs(spec);
  const fields = a.nameList();
  a.end('"," or the end of the pipe');
  return { type: 'dedup', fields };
}
