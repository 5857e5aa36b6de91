/**
 * `trim`: removes leading and trailing white space (Unicode) from string fields.
 * `{"trim": {"fields": ["user", "message"]}}`. Absent and non-string fields are left alone.
 */
import { z } from 'zod';
import { accessors, fieldList } from './options.ts';
import { defineProcessor } from './processor-def.ts';

export const trim = defineProcessor({
  name: 'trim',
  schema: z.strictObject({ fields: fieldList }),
  build(o) {
    const fs = accessors(o.fields);
    return {
      name: 'trim',
      process(ev) {
        for (const a of fs) {
          const v = a.get(ev);
          if (typeof v === 'string') a.set(ev, v.trim());
        }
        return true;
      },
    };
  },
});
