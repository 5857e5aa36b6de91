/**
 * `dedupe`: drops an event when an event with the same values of `fields` was seen less than
 * `window` ago (by event time `_time`), e.g. `{"dedupe": {"fields": ["message", "host"],
 * "window": "10s"}}`. Keeps at most `max_keys` keys (oldest evicted first). The memory is per
 * worker thread: with several workers a duplicate that lands on another worker passes once per
 * worker. Dropped events are counted with the reason `dedupe`.
 */
import { z } from 'zod';
import { parseDuration } from '../query/time-literal.ts';
import { fieldAccessor } from './event-fields.ts';
import { fieldList } from './options.ts';
import { defineProcessor } from './processor-def.ts';

export const dedupe = defineProcessor({
  name: 'dedupe',
  schema: z.strictObject({
    fields: fieldList,
    window: z.string().refine((s) => parseDuration(s) !== null, 'a duration such as 10s, 5m or 1h'),
    max_keys: z.number().int().min(1).max(10_000_000).default(100_000),
  }),
  build(o) {
    const windowUs = parseDuration(o.window)!;
    const acc = o.fields.map(fieldAccessor);
    const seen = new Map<string, number>();
    return {
      name: 'dedupe',
      process(ev) {
        let key = '';
        for (const a of acc) {
          const v = a.get(ev);
          key += v === undefined ? '\u0000' : `${typeof v === 'string' ? 's' : 'n'}${String(v)}\u0001`;
        }
        const last = seen.get(key);
        if (last !== undefined && ev._time - last < windowUs && ev._time >= last) return false;
        seen.delete(key);
        seen.set(key, ev._time);
        if (seen.size > o.max_keys) seen.delete(seen.keys().next().value!);
        return true;
      },
    };
  },
});
