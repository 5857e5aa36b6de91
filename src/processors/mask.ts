/**
 * `mask`: replaces personal data found by the detectors (detectors.ts) with a placeholder
 * before the event is stored or forwarded. `{"mask": {}}` applies every built-in detector
 * (email, krrn, card, account, passport, phone, ip) to `message` and every dynamic string
 * field; `detectors` picks some, `except` leaves some out (e.g. `["ip"]` to keep addresses for
 * security analytics), `custom` adds regexes (`{"name": "employee", "pattern": "EMP-\\d{6}"}`),
 * `fields` restricts the scan, `replacement` is the placeholder (`{type}` = detector name,
 * default `[{type}]`), and `keep_last` keeps that many trailing characters of each datum
 * (`[card]1111`).
 */
import { z } from 'zod';
import { redact } from './detectors.ts';
import { defineProcessor } from './processor-def.ts';
import { redactOptions, resolveDetectors, stringFieldVisitor } from './redact-options.ts';

export const mask = defineProcessor({
  name: 'mask',
  schema: z.strictObject({
    ...redactOptions,
    replacement: z.string().default('[{type}]'),
    keep_last: z.number().int().min(0).max(8).default(0),
  }),
  build(o, ctx) {
    const detectors = resolveDetectors(o, ctx, true);
    if (detectors.length === 0) ctx.fail('detectors', 'no detector left to apply');
    const placeholders = new Map(detectors.map((d) => [d, o.replacement.replaceAll('{type}', d.name)]));
    const visit = stringFieldVisitor(o.fields);
    const keep = o.keep_last;
    const replace = (d: (typeof detectors)[number], datum: string) =>
      keep === 0 || datum.length <= keep * 2
        ? placeholders.get(d)!
        : placeholders.get(d)! + datum.slice(-keep);
    const fn = (s: string) => redact(s, detectors, replace);
    return {
      name: 'mask',
      process(ev) {
        visit(ev, fn);
        return true;
      },
    };
  },
});
