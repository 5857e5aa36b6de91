/**
 * `set`: sets a field to a value. `{"set": {"field": "env", "value": "prod"}}`; a string value is a
 * template over other fields (`"{{service}}/{{http.path}}"`, see template.ts); numbers and
 * booleans are stored as they are. `override: false` keeps an existing value.
 */
import { z } from 'zod';
import { fieldAccessor } from './event-fields.ts';
import { field } from './options.ts';
import { defineProcessor } from './processor-def.ts';
import { compileTemplate } from './template.ts';

export const set = defineProcessor({
  name: 'set',
  schema: z.strictObject({
    field,
    value: z.union([z.string(), z.number(), z.boolean()]),
    override: z.boolean().default(true),
  }),
  build(o) {
    const to = fieldAccessor(o.field);
    const value = o.value;
    const tpl = typeof value === 'string' ? compileTemplate(value) : undefined;
    return {
      name: 'set',
      process(ev) {
        if (!o.override && to.get(ev) !== undefined) return true;
        to.set(ev, tpl === undefined ? value : tpl.render(ev));
        return true;
      },
    };
  },
});
