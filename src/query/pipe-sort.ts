/**
 * `| sort by (count desc, host)`: orders rows by fields, ascending unless `desc`; missing values
 * last. `sort by count desc` works without parentheses too.
 */
import type { SortKey, SortPipe } from '../core/pipe-ast.ts';
import type { PipeSpec } from '../core/query-ast.ts';
import { PipeArgs } from './pipe-args.ts';

export function parseSort(spec: PipeSpec): SortPipe {
  const a = new PipeArgs(spec);
  a.keyword('by');
  const paren = a.eat('(');
  const keys: SortKey[] = [];
  do {
    const field = a.name();
    let desc = false;
    if (a.keyword('desc')) desc = true;
    else a.keyword('asc');
    keys.push({ field, desc });
  } while (a.eat(','));
  if (paren) a.expect(')');
  a.end('"," or the end of the pipe');
  return { type: 'sort', keys };
}
