/** `| rename src as client_ip, dst as server_ip`: renames columns. */
import type { RenamePipe } from '../core/pipe-ast.ts';
import type { PipeSpec } from '../core/query-ast.ts';
import { PipeArgs } from './pipe-args.ts';

export function parseRename(spec: PipeSpec): RenamePipe {
  const a = new PipeArgs(spec);
  const pairs: RenamePipe['pairs'] = [];
  do {
    const from = a.name();
    if (!a.keyword('as')) a.error('expected "as"', '"as"');
    pairs.push({ from, to: a.name('the new name') });
  } while (a.eat(','));
  a.end('"," or the end of the pipe');
  return { type: 'rename', pairs };
}
