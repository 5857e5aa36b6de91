/**
 * `rename`: moves fields to new names. `{"rename": {"fields": {"src": "dst"}, "override": true}}`.
 * An absent source is skipped; with `override: false` an existing destination is kept and the
 * source stays where it was.
 */
import { z } from 'zod';
import { accessorPairs, fieldMap } from './options.ts';
import { defineProcessor } from './processor-def.ts';

export const rename = defineProcessor({
  name: 'rename',
  schema: z.strictObject({ fields: fieldMap, override: z.boolean().default(true) }),
  build(o) {
    const pairs = accessorPairs(o.fields);
    return {
      name: 'rename',
      process(ev) {
        for (const [from, to] of pairs) {
          const v = from.get(ev);
          if (v === undefined) continue;
          if (!o.override && to.get(ev) !== undefined) continue;
          to.set(ev, v);
          from.remove(ev);
        }
        return true;
      },
    };
  },
});
