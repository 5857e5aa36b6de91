/**
 * Options shared by `mask` and `hash`: which detectors (`detectors`, `except`, `custom`) and
 * which fields they scan (`fields`; default: `message` and every dynamic string field).
 * Resolved once at compile time into a detector list and a field visitor.
 */
import { z } from 'zod';
import type { LogEvent } from '../core/event.ts';
import { BUILTIN_DETECTORS, BUILTIN_NAMES, customDetector, type Detector } from './detectors.ts';
import { fieldAccessor } from './event-fields.ts';
import { fieldList } from './options.ts';
import type { CompileContext } from './processor-def.ts';

const detectorName = z.enum(BUILTIN_NAMES as [string, ...string[]]);

export const redactOptions = {
  detectors: z.array(detectorName).optional(),
  except: z.array(detectorName).default([]),
  custom: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[\w-]+$/, 'a name is letters, digits, _ and -'),
        pattern: z.string().min(1),
        flags: z
          .string()
          .regex(/^[imsu]*$/, 'flags may be i, m, s and u')
          .default(''),
      }),
    )
    .default([]),
  fields: fieldList.optional(),
};

export interface RedactOptions {
  detectors?: string[] | undefined;
  except: string[];
  custom: Array<{ name: string; pattern: string; flags: string }>;
  fields?: string[] | undefined;
}

export function resolveDetectors(o: RedactOptions, ctx: CompileContext, defaultAll: boolean): Detector[] {
  const names = new Set(o.detectors ?? (defaultAll ? BUILTIN_NAMES : []));
  for (const e of o.except) names.delete(e);
  const list = BUILTIN_DETECTORS.filter((d) => names.has(d.name));
  o.custom.forEach((c, i) => {
    try {
      list.push(customDetector(c.name, c.pattern, c.flags));
    } catch (err) {
      ctx.fail(`custom[${i}].pattern`, (err as Error).message);
    }
  });
  return list;
}

/** Calls `fn` for each string value to scan and stores what it returns (when it changed). */
export function stringFieldVisitor(
  fields: readonly string[] | undefined,
): (ev: LogEvent, fn: (s: string) => string) => void {
  if (fields !== undefined) {
    const acc = fields.map(fieldAccessor);
    return (ev, fn) => {
      for (const a of acc) {
        const v = a.get(ev);
        if (typeof v !== 'string') continue;
        const r = fn(v);
        if (r !== v) a.set(ev, r);
      }
    };
  }
  return (ev, fn) => {
    ev.message = fn(ev.message);
    const f = ev.fields;
    for (const k in f) {
      const v = f[k];
      if (typeof v === 'string') {
        const r = fn(v);
        if (r !== v) f[k] = r;
      }
    }
  };
}
