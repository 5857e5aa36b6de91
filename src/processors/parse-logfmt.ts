/**
 * `logfmt`: parses logfmt / key=value text (`level=warn msg="disk full" took=12ms`), with
 * double-quoted values, into fields under `target` (default: the event root, where `level`,
 * `msg`->`message` ... fill their columns). `{"logfmt": {"field": "message"}}`. Text without
 * any pair is an error (it was not logfmt). Uses kv's scanner with ' ' and '='.
 */
import { z } from 'zod';
import { fieldAccessor } from './event-fields.ts';
import { field } from './options.ts';
import { parseKv } from './parse-kv.ts';
import { defineProcessor } from './processor-def.ts';
import { fieldWriter } from './write-fields.ts';

export const logfmt = defineProcessor({
  name: 'logfmt',
  schema: z.strictObject({ field: field.default('message'), target: z.string().default('') }),
  build(o) {
    const src = fieldAccessor(o.field);
    const write = fieldWriter(o.target);
    const rootMsg = o.target === '';
    return {
      name: 'logfmt',
      process(ev) {
        const v = src.get(ev);
        if (typeof v !== 'string') return true;
        const n = parseKv(v, ' ', '=', (k, val) => write(ev, rootMsg && k === 'msg' ? 'message' : k, val));
        if (n === 0) throw new Error(`${o.field} has no key=value pair`);
        return true;
      },
    };
  },
});
