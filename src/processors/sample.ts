/**
 * `sample`: keeps one event in `rate`. With `key` (a field, e.g. `trace_id`) the choice is a
 * hash of the key's value, so every event of one trace is kept or dropped together and the
 * result is the same on every worker thread; events without the key are kept. Without `key`
 * every `rate`-th event of a worker thread is kept. Dropped events are counted with the reason
 * `sample`.
 */
import { z } from 'zod';
import { fieldAccessor } from './event-fields.ts';
import { field } from './options.ts';
import { defineProcessor } from './processor-def.ts';

/** FNV-1a 32-bit of a string's UTF-16 code units. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export const sample = defineProcessor({
  name: 'sample',
  schema: z.strictObject({ rate: z.number().int().min(1), key: field.optional() }),
  build(o) {
    const rate = o.rate;
    if (o.key !== undefined) {
      const key = fieldAccessor(o.key);
      return {
        name: 'sample',
        process(ev) {
          const v = key.get(ev);
          if (v === undefined) return true;
          return fnv1a(typeof v === 'string' ? v : String(v)) % rate === 0;
        },
      };
    }
    let n = 0;
    return {
      name: 'sample',
      process() {
        n = n + 1 === rate ? 0 : n + 1;
        return n === 0 || rate === 1;
      },
    };
  },
});
