/**
 * `copy`: copies fields to new names, keeping the source. `{"copy": {"fields": {"src": "dst"},
 * "override": true}}`. An absent source is skipped.
 */
import { z } from 'zod';
import { accessorPairs, fieldMap } from './options.ts';
import { defineProcessor } from './processor-def.ts';

/**
 * The processor that copies (or, with `move`, moves) each pair of fields; shared by `copy` and
 * `rename`. An absent source is skipped; with `override: false` an existing destination is kept
 * (and, moving, the source stays where it was).
 */
export function fieldCopier(name: 'copy' | 'rename', move: boolean) {
  return defineProcessor({
    name,
    schema: z.strictObject({ fields: fieldMap, override: z.boolean().default(true) }),
    build(o) {
      const pairs = accessorPairs(o.fields);
      return {
        name,
        process(ev) {
          for (const [from, to] of pairs) {
            const v = from.get(ev);
            if (v === undefined) continue;
            if (!o.override && to.get(ev) !== undefined) continue;
            to.set(ev, v);
            if (move) from.remove(ev);
          }
          return true;
        },
      };
    },
  });
}

export const copy = fieldCopier('copy', false);
