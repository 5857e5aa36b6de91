/** `| limit 10` (also `| head 10`; `head` alone is 10): the first N rows. */
import type { LimitPipe } from '../core/pipe-ast.ts';
import type { PipeSpec } from '../core/query-ast.ts';
import { PipeArgs } from './pipe-args.ts';

export const MAX_PIPE_LIMIT = 1_000_000;

export function parseLimit(spec: PipeSpec): LimitPipe {
  const a = new PipeArgs(spec);
  const n = spec.name === 'head' && a.atEnd() ? 10 : a.integer('a row count', MAX_PIPE_LIMIT);
  a.end('the end of the pipe');
  return { type: 'limit', n };
}
