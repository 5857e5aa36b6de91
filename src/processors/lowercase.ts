/**
 * `lowercase`: lower-cases string fields (locale-independent). `{"lowercase": {"fields": ["user"]}}`.
 * Absent and non-string fields are left alone.
 */
import { z } from 'zod';
import { accessors, fieldList } from './options.ts';
import { defineProcessor } from './processor-def.ts';

export const lowercase = defineProcessor({
  name: 'lowercase',
  schema: z.strictObject({ fields: fieldList }),
  build(o) {
    const fs = accessors(o.fields);
    return {
      name: 'lowercase',
      process(ev) {
        for (const a of fs) {
          const v = a.get(ev);
          if (typeof v === 'string') a.set(ev, v.toLowerCase());
        }
        return true;
      },
    };
  },
});
