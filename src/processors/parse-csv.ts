/**
 * `csv`: splits one delimited line into named columns. `{"csv": {"field": "message",
 * "columns": ["time", "user", "action"], "separator": ",", "target": ""}}`; `header: "a,b,c"`
 * names the columns with a header line instead. Quotes follow RFC 4180 (`"a,b"`, `""` inside
 * quotes). Extra values go to `column<N>` (1-based) unless `strict`, where a count mismatch
 * is an error; empty values are skipped unless `keep_empty`.
 */
import { z } from 'zod';
import { fieldAccessor } from './event-fields.ts';
import { field } from './options.ts';
import { defineProcessor } from './processor-def.ts';
import { fieldWriter } from './write-fields.ts';

/** Splits one CSV record; null when a quote is not closed. */
export function splitCsvLine(s: string, sep: string, quote: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const len = s.length;
  while (true) {
    if (s.startsWith(quote, i)) {
      let v = '';
      let k = i + 1;
      while (true) {
        const q = s.indexOf(quote, k);
        if (q < 0) return null;
        v += s.slice(k, q);
        if (s.startsWith(quote, q + 1)) {
          v += quote;
          k = q + 2;
        } else {
          k = q + 1;
          break;
        }
      }
      out.push(v);
      const next = s.indexOf(sep, k);
      if (next < 0) return out;
      i = next + sep.length;
    } else {
      const next = s.indexOf(sep, i);
      out.push(s.slice(i, next < 0 ? len : next));
      if (next < 0) return out;
      i = next + sep.length;
    }
  }
}

export const csv = defineProcessor({
  name: 'csv',
  schema: z
    .strictObject({
      field: field.default('message'),
      columns: z.array(field).min(1).optional(),
      header: z.string().optional(),
      separator: z.string().min(1).default(','),
      quote: z.string().length(1).default('"'),
      trim: z.boolean().default(false),
      keep_empty: z.boolean().default(false),
      strict: z.boolean().default(false),
      target: z.string().default(''),
    })
    .refine((o) => (o.columns === undefined) !== (o.header === undefined), {
      message: 'give either columns or header',
      path: ['columns'],
    }),
  build(o, ctx) {
    const columns = o.columns ?? splitCsvLine(o.header!, o.separator, o.quote);
    if (columns === null || columns.some((c) => c.trim() === '')) {
      return ctx.fail('header', 'cannot read the column names');
    }
    const names = columns.map((c) => c.trim());
    const src = fieldAccessor(o.field);
    const write = fieldWriter(o.target);
    return {
      name: 'csv',
      process(ev) {
        const v = src.get(ev);
        if (typeof v !== 'string') return true;
        const vals = splitCsvLine(v, o.separator, o.quote);
        if (vals === null) throw new Error(`unclosed quote in ${o.field}`);
        if (o.strict && vals.length !== names.length) {
          throw new Error(`expected ${names.length} columns, got ${vals.length}`);
        }
        for (let i = 0; i < vals.length; i++) {
          const val = o.trim ? vals[i]!.trim() : vals[i]!;
          if (val === '' && !o.keep_empty) continue;
          write(ev, names[i] ?? `column${i + 1}`, val);
        }
        return true;
      },
    };
  },
});
