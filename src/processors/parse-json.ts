/**
 * `json`: parses a field holding a JSON object and writes its members, flattened with dotted
 * keys (normalize.ts's `flatten`: arrays become JSON text), under `target` (default: the event
 * root, where `level`, `host`, ... fill their columns). `{"json": {"field": "message",
 * "target": "payload", "remove_field": false}}`. A value that is not a JSON object is an error.
 */
import { z } from 'zod';
import type { FieldValue } from '../core/event.ts';
import { fieldAccessor } from './event-fields.ts';
import { flatten } from './normalize.ts';
import { field } from './options.ts';
import { defineProcessor } from './processor-def.ts';
import { fieldWriter } from './write-fields.ts';

export const json = defineProcessor({
  name: 'json',
  schema: z.strictObject({
    field: field.default('message'),
    target: z.string().default(''),
    remove_field: z.boolean().default(false),
  }),
  build(o) {
    const src = fieldAccessor(o.field);
    const write = fieldWriter(o.target);
    return {
      name: 'json',
      process(ev) {
        const v = src.get(ev);
        if (typeof v !== 'string') return true;
        let obj: unknown;
        try {
          obj = JSON.parse(v);
        } catch (err) {
          throw new Error(`${o.field} is not JSON (${(err as Error).message})`);
        }
        if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
          throw new Error(`${o.field} is JSON but not an object`);
        }
        if (o.remove_field) src.remove(ev);
        const flat: Record<string, FieldValue> = {};
        flatten(obj as Record<string, unknown>, flat);
        for (const k in flat) write(ev, k, flat[k]!);
        return true;
      },
    };
  },
});
