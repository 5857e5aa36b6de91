/**
 * `split`: splits a string field on a separator. `{"split": {"field": "tags", "separator": ",",
 * "into": ["a", "b"]}}` puts the parts into the named fields (extra parts are dropped, missing
 * ones left absent); without `into` the parts go to `<target>.0`, `<target>.1`, ... (target
 * defaults to the field; the source is replaced). `trim` trims each part; empty parts are kept
 * unless `skip_empty`. At most `max_parts` (default 64) parts are produced.
 */
import { z } from 'zod';
import { fieldAccessor, type FieldAccessor } from './event-fields.ts';
import { field } from './options.ts';
import { defineProcessor } from './processor-def.ts';

export const split = defineProcessor({
  name: 'split',
  schema: z.strictObject({
    field,
    separator: z.string().min(1),
    into: z.array(field).min(1).optional(),
    target: field.optional(),
    trim: z.boolean().default(false),
    skip_empty: z.boolean().default(false),
    max_parts: z.number().int().positive().max(10_000).default(64),
  }),
  build(o) {
    const src = fieldAccessor(o.field);
    const base = o.target ?? o.field;
    const into: FieldAccessor[] = (o.into ?? []).map(fieldAccessor);
    const limit = o.into ? o.into.length : o.max_parts;
    const indexed: FieldAccessor[] = [];
    const indexedAt = (i: number) => {
      while (indexed.length <= i) indexed.push(fieldAccessor(`${base}.${indexed.length}`));
      return indexed[i]!;
    };
    return {
      name: 'split',
      process(ev) {
        const v = src.get(ev);
        if (typeof v !== 'string') return true;
        const parts: string[] = [];
        for (const raw of v.split(o.separator)) {
          const p = o.trim ? raw.trim() : raw;
          if (o.skip_empty && p === '') continue;
          parts.push(p);
          if (parts.length === limit) break;
        }
        if (o.into) {
          for (let i = 0; i < parts.length; i++) into[i]!.set(ev, parts[i]!);
          return true;
        }
        if (base === o.field) src.remove(ev);
        for (let i = 0; i < parts.length; i++) indexedAt(i).set(ev, parts[i]!);
        return true;
      },
    };
  },
});
