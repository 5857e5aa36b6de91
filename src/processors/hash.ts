/**
 * `hash`: replaces values with a keyed pseudonym (HMAC-SHA-256 with `key`, first `length` hex
 * digits), so equal inputs still correlate (same user, same card) without storing the datum.
 * Two modes: with `detectors` / `custom`, each detected datum inside the scanned fields is
 * replaced by `<type>:<digest>`; without them, the whole value of each field in `fields`
 * (required then) is replaced by its digest. `{"hash": {"fields": ["user.email"], "key": "..."}}`.
 * The key should be a secret of at least 16 characters; it is never logged.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import { redact } from './detectors.ts';
import { fieldAccessor } from './event-fields.ts';
import { defineProcessor } from './processor-def.ts';
import { redactOptions, resolveDetectors, stringFieldVisitor } from './redact-options.ts';

export const hash = defineProcessor({
  name: 'hash',
  schema: z.strictObject({
    ...redactOptions,
    key: z.string().min(16, 'the key must have at least 16 characters'),
    length: z.number().int().min(8).max(64).default(16),
  }),
  build(o, ctx) {
    const digest = (s: string) =>
      crypto.createHmac('sha256', o.key).update(s).digest('hex').slice(0, o.length);
    const detectors = resolveDetectors(o, ctx, false);
    if (detectors.length === 0) {
      const names =
        o.fields ?? ctx.fail('fields', 'give fields to hash whole, or detectors to hash what they find');
      const acc = names.map(fieldAccessor);
      return {
        name: 'hash',
        process(ev) {
          for (const a of acc) {
            const v = a.get(ev);
            if (v !== undefined) a.set(ev, digest(typeof v === 'string' ? v : String(v)));
          }
          return true;
        },
      };
    }
    const visit = stringFieldVisitor(o.fields);
    const fn = (s: string) => redact(s, detectors, (d, datum) => `${d.name}:${digest(datum)}`);
    return {
      name: 'hash',
      process(ev) {
        visit(ev, fn);
        return true;
      },
    };
  },
});
