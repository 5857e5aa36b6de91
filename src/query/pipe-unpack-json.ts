/**
 * `| unpack_json [from field] [fields (a, b)] [prefix "p."]`: the top-level keys of a JSON object
 * held in a field (default `message`) become columns (nested objects and arrays as JSON text).
 * Without `fields`, every key present in the matching rows is unpacked (at most 200).
 */
import type { UnpackJsonPipe } from '../core/pipe-ast.ts';
import type { PipeSpec } from '../core/query-ast.ts';
import { PipeArgs } from './pipe-args.ts';

export const MAX_UNPACKED_KEYS = 200;

export function parseUnpackJson(spec: PipeSpec): UnpackJsonPipe {
  const a = new PipeArgs(spec);
  let from = 'message';
  let fields: string[] | null = null;
  let prefix = '';
  while (!a.atEnd()) {
    if (a.keyword('from')) from = a.name();
    else if (a.keyword('fields')) fields = a.nameList();
    else if (a.keyword('prefix')) prefix = a.string('a prefix');
    else a.error(`unexpected "${a.src.slice(a.pos, a.pos + 20)}"`, '"from", "fields" or "prefix"');
  }
  return { type: 'unpack_json', from, fields, prefix };
}
