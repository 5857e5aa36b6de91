/**
 * `convert`: changes field types. `{"convert": {"fields": {"status": "int", "took": "duration"}}}`.
 * Types: `int` (integer text, or a float truncated toward zero), `float`, `bool`
 * (true/false/yes/no/on/off/1/0, any case), `string`, `ip` (validated and written in canonical
 * form), `duration` (`1h30m`, `250ms`, `1.5s` or a bare number of `duration_unit`, written as a
 * number of `duration_unit`, default `ms`). A value that does not convert is an error naming the
 * field and value (the event keeps its original value and gets `_pipeline_error`).
 */
import { z } from 'zod';
import type { FieldValue } from '../core/event.ts';
import { parseDuration } from '../query/time-literal.ts';
import { fieldAccessor } from './event-fields.ts';
import { formatIp, parseIp } from './ip.ts';
import { field } from './options.ts';
import { defineProcessor } from './processor-def.ts';

const TYPES = ['int', 'float', 'bool', 'string', 'ip', 'duration'] as const;
type Type = (typeof TYPES)[number];

const US_PER: Record<string, number> = { us: 1, ms: 1e3, s: 1e6, m: 6e7, h: 3.6e9 };
const NUM_RE = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
const TRUE = new Set(['true', 'yes', 'on', '1', 't', 'y']);
const FALSE = new Set(['false', 'no', 'off', '0', 'f', 'n']);

function number(v: FieldValue): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return NUM_RE.test(v) ? Number(v) : null;
}

export function convertValue(v: FieldValue, type: Type, unitUs: number): FieldValue | null {
  switch (type) {
    case 'string':
      return typeof v === 'string' ? v : String(v);
    case 'int': {
      const n = number(v);
      return n === null || !Number.isFinite(n) ? null : Math.trunc(n);
    }
    case 'float': {
      const n = number(v);
      return n === null || !Number.isFinite(n) ? null : n;
    }
    case 'bool': {
      if (typeof v === 'boolean') return v;
      const s = String(v).trim().toLowerCase();
      return TRUE.has(s) ? true : FALSE.has(s) ? false : null;
    }
    case 'ip': {
      const ip = typeof v === 'string' ? parseIp(v.trim()) : null;
      return ip === null ? null : formatIp(ip);
    }
    case 'duration': {
      const n = number(v);
      if (n !== null) return Number.isFinite(n) ? n : null;
      const us = parseDuration(String(v).trim());
      return us === null ? null : us / unitUs;
    }
  }
}

export const convert = defineProcessor({
  name: 'convert',
  schema: z.strictObject({
    fields: z
      .record(field, z.enum(TYPES))
      .refine((m) => Object.keys(m).length > 0, 'map at least one field to a type'),
    duration_unit: z.enum(['us', 'ms', 's', 'm', 'h']).default('ms'),
  }),
  build(o) {
    const unitUs = US_PER[o.duration_unit]!;
    const list = Object.entries(o.fields).map(([f, t]) => ({ a: fieldAccessor(f), t }));
    return {
      name: 'convert',
      process(ev) {
        let bad: string | undefined;
        for (const { a, t } of list) {
          const v = a.get(ev);
          if (v === undefined) continue;
          const out = convertValue(v, t, unitUs);
          if (out === null) bad ??= `cannot convert ${a.name}="${String(v).slice(0, 60)}" to ${t}`;
          else if (out !== v) a.set(ev, out);
        }
        if (bad !== undefined) throw new Error(bad);
        return true;
      },
    };
  },
});
