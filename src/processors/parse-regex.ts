/**
 * `regex`: matches a field against a JavaScript regular expression and writes its named groups
 * (`(?<user>\w+)`; `__` in a group name stands for `.`, so `(?<http__status>\d+)` writes
 * `http.status`). `{"regex": {"field": "message", "pattern": "...", "flags": "i",
 * "ignore_no_match": false}}`. No match is an error unless `ignore_no_match`; groups that did
 * not participate are not written. Use patterns without nested quantifiers: they run per event.
 */
import { z } from 'zod';
import { fieldAccessor } from './event-fields.ts';
import { field } from './options.ts';
import { defineProcessor } from './processor-def.ts';
import { fieldWriter } from './write-fields.ts';

export const regex = defineProcessor({
  name: 'regex',
  schema: z.strictObject({
    field: field.default('message'),
    pattern: z.string().min(1),
    flags: z
      .string()
      .regex(/^[imsu]*$/, 'flags may be i, m, s and u')
      .default(''),
    target: z.string().default(''),
    ignore_no_match: z.boolean().default(false),
  }),
  build(o, ctx) {
    let re: RegExp;
    try {
      re = new RegExp(o.pattern, o.flags);
    } catch (err) {
      return ctx.fail('pattern', (err as Error).message);
    }
    const names = [...o.pattern.matchAll(/\(\?<([A-Za-z_$][\w$]*)>/g)].map((m) => m[1]!);
    if (names.length === 0) ctx.fail('pattern', 'has no named group (?<name>...)');
    const keys = names.map((n) => n.replaceAll('__', '.'));
    const src = fieldAccessor(o.field);
    const write = fieldWriter(o.target);
    return {
      name: 'regex',
      process(ev) {
        const v = src.get(ev);
        if (typeof v !== 'string') return true;
        const m = re.exec(v);
        if (m === null) {
          if (o.ignore_no_match) return true;
          throw new Error(`${o.field} does not match the pattern`);
        }
        const g = m.groups!;
        for (let i = 0; i < names.length; i++) {
          const val = g[names[i]!];
          if (val !== undefined) write(ev, keys[i]!, val);
        }
        return true;
      },
    };
  },
});
