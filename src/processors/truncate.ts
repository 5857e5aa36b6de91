/**
 * `truncate`: cuts string fields to at most `max_length` characters (UTF-16 code units, never
 * splitting a surrogate pair), appending `suffix` when something was cut; the result including
 * the suffix fits the limit. `{"truncate": {"fields": "message", "max_length": 4096, "suffix": "…"}}`.
 */
import { z } from 'zod';
import { accessors, fieldList } from './options.ts';
import { defineProcessor } from './processor-def.ts';

export const truncate = defineProcessor({
  name: 'truncate',
  schema: z
    .strictObject({
      fields: fieldList,
      max_length: z.number().int().positive(),
      suffix: z.string().default(''),
    })
    .refine((o) => o.suffix.length < o.max_length, {
      message: 'suffix must be shorter than max_length',
      path: ['suffix'],
    }),
  build(o) {
    const fs = accessors(o.fields);
    const keep = o.max_length - o.suffix.length;
    return {
      name: 'truncate',
      process(ev) {
        for (const a of fs) {
          const v = a.get(ev);
          if (typeof v !== 'string' || v.length <= o.max_length) continue;
          let end = keep;
          const c = v.charCodeAt(end - 1);
          if (c >= 0xd800 && c <= 0xdbff) end--;
          a.set(ev, v.slice(0, end) + o.suffix);
        }
        return true;
      },
    };
  },
});
