/**
 * `| extract "ip=<ip> user=<user> " [from field]`: ad-hoc field extraction at query time. The
 * pattern's literal text must appear as written; each `<name>` takes the text up to the next
 * literal (the last one, up to the end of the value when nothing follows it); `<_>` skips text.
 * The first match in the field (default `message`) wins; a value without a match leaves the
 * fields empty. Extracted values are strings; numeric aggregates read them as numbers.
 */
import type { ExtractPipe } from '../core/pipe-ast.ts';
import type { PipeSpec } from '../core/query-ast.ts';
import { PipeArgs } from './pipe-args.ts';

const PLACEHOLDER_RE = /<([^<>]*)>/g;
const NAME_RE = /^[\p{L}\p{N}_.@-]+$/u;

export function parseExtract(spec: PipeSpec): ExtractPipe {
  const a = new PipeArgs(spec);
  const at = a.pos;
  const pattern = a.string('a pattern such as "ip=<ip> "');
  let from = 'message';
  if (a.keyword('from')) from = a.name();
  a.end('"from" or the end of the pipe');
  const parts: ExtractPipe['parts'] = [];
  let last = 0;
  let names = 0;
  const seen = new Set<string>();
  for (const m of pattern.matchAll(PLACEHOLDER_RE)) {
    if (m.index > last) parts.push({ literal: pattern.slice(last, m.index) });
    const raw = m[1]!.trim();
    if (raw === '_' || raw === '') parts.push({ name: null });
    else {
      if (!NAME_RE.test(raw)) a.error(`"<${raw}>" is not a field name`, 'a placeholder such as <ip>', at);
      if (seen.has(raw)) a.error(`<${raw}> appears twice in the pattern`, 'distinct placeholders', at);
      seen.add(raw);
      parts.push({ name: raw });
      names++;
    }
    const prev = parts[parts.length - 2];
    if (prev !== undefined && !('literal' in prev)) {
      a.error('two placeholders need literal text between them', 'text between placeholders', at);
    }
    last = m.index + m[0].length;
  }
  if (last < pattern.length) parts.push({ literal: pattern.slice(last) });
  if (names === 0) a.error('the pattern has no <field> placeholder', 'a placeholder such as <ip>', at);
  return { type: 'extract', from, parts };
}
