/**
 * `if`: runs nested processors depending on a condition in the query language.
 * `{"if": {"condition": "service:nginx", "then": [{"grok": ...}], "else": [...]}}`. Nested
 * processors follow the pipeline's rules (a failing one tags `_pipeline_error` and the rest still
 * run; a drop ends the whole pipeline for the event).
 */
import { z } from 'zod';
import { type Branch, defineProcessor } from './processor-def.ts';
import { runSteps } from './run-steps.ts';

export const ifElse = defineProcessor({
  name: 'if',
  schema: z.strictObject({
    condition: z.string().min(1),
    // biome-ignore lint/suspicious/noThenProperty: the pipeline's documented if/then/else shape
    then: z.array(z.unknown()).min(1, 'list at least one processor'),
    else: z.array(z.unknown()).optional(),
  }),
  build(o, ctx) {
    const cond = ctx.condition(o.condition, 'condition');
    const yes: Branch = { label: 'then', steps: ctx.compileList(o.then, 'then') };
    const no: Branch = o.else
      ? { label: 'else', steps: ctx.compileList(o.else, 'else') }
      : { label: 'none', steps: [] };
    const select = (ev: Parameters<typeof cond>[0]) => (cond(ev) ? yes : no);
    return {
      name: 'if',
      select,
      process: (ev) => runSteps(select(ev).steps, ev),
    };
  },
});
