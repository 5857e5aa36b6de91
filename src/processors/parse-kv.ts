/**
 * `kv`: parses `key<value_split>value<field_split>...` text with custom separators, e.g.
 * `{"kv": {"field": "message", "field_split": "&", "value_split": "=", "target": "params"}}`.
 * Values may be double-quoted (`"a b"`, with `\"` and `\\` escapes); a key without a separator
 * is skipped. `include` / `exclude` filter keys. Text that yields no pair is left alone.
 *
 * `parseKv` is also the engine of `logfmt`. It scans once and allocates only the key and value
 * strings it returns.
 */
import { z } from 'zod';
import { fieldAccessor } from './event-fields.ts';
import { field } from './options.ts';
import { defineProcessor } from './processor-def.ts';
import { fieldWriter } from './write-fields.ts';

export type PairSink = (key: string, value: string, quoted: boolean) => void;

/** Calls `sink` for every `key<vs>value` pair of `s` separated by `fs`; returns the pair count. */
export function parseKv(s: string, fs: string, vs: string, sink: PairSink): number {
  let n = 0;
  let i = 0;
  const len = s.length;
  while (i < len) {
    while (s.startsWith(fs, i)) i += fs.length;
    if (i >= len) break;
    const sep = s.indexOf(vs, i);
    const next = s.indexOf(fs, i);
    if (sep < 0 || (next >= 0 && next < sep)) {
      // a token without a value: skip it
      i = next < 0 ? len : next + fs.length;
      continue;
    }
    const key = s.slice(i, sep).trim();
    let j = sep + vs.length;
    let value: string;
    let quoted = false;
    if (s.charCodeAt(j) === 34 /* " */) {
      quoted = true;
      let out = '';
      let k = j + 1;
      let start = k;
      while (k < len) {
        const c = s.charCodeAt(k);
        if (c === 92 /* \ */ && k + 1 < len) {
          out += s.slice(start, k);
          out += s[k + 1];
          k += 2;
          start = k;
        } else if (c === 34) break;
        else k++;
      }
      value = out + s.slice(start, k);
      j = k + 1;
      const after = s.indexOf(fs, j);
      i = after < 0 ? len : after + fs.length;
    } else {
      const end = s.indexOf(fs, j);
      value = s.slice(j, end < 0 ? len : end);
      i = end < 0 ? len : end + fs.length;
    }
    if (key !== '') {
      sink(key, value, quoted);
      n++;
    }
  }
  return n;
}

export const kv = defineProcessor({
  name: 'kv',
  schema: z.strictObject({
    field: field.default('message'),
    target: z.string().default(''),
    field_split: z.string().min(1).default(' '),
    value_split: z.string().min(1).default('='),
    trim_value: z.boolean().default(false),
    include: z.array(z.string()).optional(),
    exclude: z.array(z.string()).optional(),
  }),
  build(o, ctx) {
    if (o.field_split === o.value_split) ctx.fail('value_split', 'must differ from field_split');
    const src = fieldAccessor(o.field);
    const write = fieldWriter(o.target);
    const include = o.include ? new Set(o.include) : undefined;
    const exclude = o.exclude ? new Set(o.exclude) : undefined;
    return {
      name: 'kv',
      process(ev) {
        const v = src.get(ev);
        if (typeof v !== 'string') return true;
        parseKv(v, o.field_split, o.value_split, (k, val) => {
          if (include !== undefined && !include.has(k)) return;
          if (exclude?.has(k)) return;
          write(ev, k, o.trim_value ? val.trim() : val);
        });
        return true;
      },
    };
  },
});
