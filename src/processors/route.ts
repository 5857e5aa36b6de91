/**
 * `route`: sends events to another stream by setting the event's target stream (`stream`).
 * `{"route": {"rules": [{"condition": "service:auth", "stream": "security"}, ...],
 * "default": "app"}}` takes the first rule whose condition matches; `{"route": {"stream": "x",
 * "condition": "..."}}` is the one-rule form. Without a matching rule the event keeps its
 * stream (or goes to `default` when given). Stream names may be templates (`"{{service}}-logs"`);
 * a template that renders empty is an error and the stream is left alone.
 */
import { z } from 'zod';
import { type Matcher, defineProcessor } from './processor-def.ts';
import { compileTemplate, type Template } from './template.ts';

const stream = z.string().min(1);
const rule = z.strictObject({ condition: z.string().min(1).optional(), stream });

export const route = defineProcessor({
  name: 'route',
  schema: z
    .strictObject({
      rules: z.array(rule).min(1).optional(),
      condition: z.string().min(1).optional(),
      stream: stream.optional(),
      default: stream.optional(),
    })
    .refine((o) => (o.rules === undefined) !== (o.stream === undefined), {
      message: 'give either rules or stream',
      path: ['rules'],
    })
    .refine((o) => o.rules === undefined || o.condition === undefined, {
      message: 'condition belongs inside each rule when rules are given',
      path: ['condition'],
    }),
  build(o, ctx) {
    const specs = o.rules ?? [{ condition: o.condition, stream: o.stream! }];
    const rules: Array<{ cond: Matcher | undefined; to: Template }> = specs.map((r, i) => ({
      cond:
        r.condition === undefined
          ? undefined
          : ctx.condition(r.condition, o.rules ? `rules[${i}].condition` : 'condition'),
      to: compileTemplate(r.stream),
    }));
    const fallback = o.default === undefined ? undefined : compileTemplate(o.default);
    return {
      name: 'route',
      process(ev) {
        let to: Template | undefined = fallback;
        for (const r of rules) {
          if (r.cond === undefined || r.cond(ev)) {
            to = r.to;
            break;
          }
        }
        if (to === undefined) return true;
        const name = to.render(ev);
        if (name === '') throw new Error('the stream name rendered empty');
        ev.stream = name;
        return true;
      },
    };
  },
});
