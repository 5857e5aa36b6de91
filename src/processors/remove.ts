/**
 * `remove`: deletes fields. `{"remove": {"fields": ["password", "debug.*"]}}`; a name ending in
 * `.*` removes every dynamic field under that prefix. Removing `message`, `host`, `service` or
 * `level` empties the column; `stream` and `_time` cannot be removed (an error names them).
 */
import { z } from 'zod';
import { fieldAccessor } from './event-fields.ts';
import { fieldList } from './options.ts';
import { defineProcessor } from './processor-def.ts';

export const remove = defineProcessor({
  name: 'remove',
  schema: z.strictObject({ fields: fieldList }),
  build(o, ctx) {
    const exact = o.fields.filter((f) => !f.endsWith('.*')).map(fieldAccessor);
    const prefixes = o.fields.filter((f) => f.endsWith('.*')).map((f) => f.slice(0, -1));
    for (const a of exact) {
      if (a.name === 'stream' || a.name === '_time' || a.name === '_id' || a.name === '_ingest_time') {
        ctx.fail('fields', `field "${a.name}" cannot be removed`);
      }
    }
    return {
      name: 'remove',
      process(ev) {
        for (const a of exact) a.remove(ev);
        if (prefixes.length > 0) {
          for (const k in ev.fields) {
            for (const p of prefixes) {
              if (k.startsWith(p)) {
                delete ev.fields[k];
                break;
              }
            }
          }
        }
        return true;
      },
    };
  },
});
