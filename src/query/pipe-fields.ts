/** `| fields _time, host, message`: keeps these columns, in this order. */
import type { FieldsPipe } from '../core/pipe-ast.ts';
import type { PipeSpec } from '../core/query-ast.ts';
import { PipeArgs } from './pipe-args.ts';

export function parseFields(spec: PipeSpec): FieldsPipe {
  const a = new PipeArgs(spec);
  const names = a.nameList();
  a.end('"," or the end of the pipe');
  return { type: 'fields', names: [...new Set(names)] };
}
