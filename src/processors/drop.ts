/**
 * `drop`: drops events, counted with the reason `drop` (never silently).
 * `{"drop": {"condition": "level:debug AND service:healthcheck"}}`; without a condition every
 * event that reaches it is dropped (useful inside `if`).
 */
import { z } from 'zod';
import { defineProcessor } from './processor-def.ts';

export const drop = defineProcessor({
  name: 'drop',
  schema: z.strictObject({ condition: z.string().min(1).optional() }),
  build(o, ctx) {
    const cond = o.condition === undefined ? undefined : ctx.condition(o.condition, 'condition');
    return { name: 'drop', process: (ev) => (cond === undefined ? false : !cond(ev)) };
  },
});
