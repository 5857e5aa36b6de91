/**
 * `| top 10 host` and `| rare 10 host, service`: the most (least) frequent value combinations
 * with `count` and `percent` (of all events reaching the pipe). Events without any of the fields
 * are not listed but count in the percentages. N defaults to 10.
 */
import type { TopPipe } from '../core/pipe-ast.ts';
import type { PipeSpec } from '../core/query-ast.ts';
import { PipeArgs } from './pipe-args.ts';

export const MAX_TOP = 10_000;

export function parseTop(spec: PipeSpec): TopPipe {
  const a = new PipeArgs(spec);
  let n = 10;
  if (/^\d/.test(a.peek())) n = a.integer('a count', MAX_TOP);
  if (a.atEnd()) a.error('expected the field(s) to rank, e.g. top 10 host', 'a field name');
  const fields = a.nameList();
  a.ws();
  const by = a.pos;
  if (a.keyword('by')) a.error('"by" is not needed: list every field after the count', 'end of the pipe', by);
  a.end('"," or the end of the pipe');
  return { type: spec.name === 'rare' ? 'rare' : 'top', n, fields };
}
