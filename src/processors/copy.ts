/**
 * `copy`: copies fields to new names, keeping the source. `{"copy": {"fields": {"src": "dst"},
 * "override": true}}`. An absent source is skipped.
 */
import { z } from 'zod';
import { accessorPairs, fieldMap } from './options.ts';
import { defineProcessor } from './processor-def.ts';

export const copy = defineProcessor({
  name: 'copy',
  schema: z.strictObject({ fields: fieldMap, override: z.boolean().default(true) }),
  build(o) {
    const pairs = accessorPairs(o.fields);
    return {
      name: 'copy',
      process(ev) {
        for (const [from, to] of pairs) {
          const v = from.get(ev);
          if (v === undefined) continue;
          if (!o.override && to.get(ev) !== undefined) continue;
          to.set(ev, v);
        }
        return true;
      },
    };
  },
});
