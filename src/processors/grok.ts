/**
 * `grok`: matches a field against grok patterns (`%{SYNTAX:field}` or `%{SYNTAX:field:int}`,
 * `:float` too) built from the pattern library in grok-patterns/ plus `pattern_definitions`,
 * and writes the captured fields under `target` (default: the event root, where `message`,
 * `level`, `host` fill their columns). Patterns are tried in order; the first match wins.
 * `{"grok": {"field": "message", "patterns": ["%{COMBINEDAPACHELOG}"], "pattern_definitions":
 * {"MYID": "[A-Z]{3}-\\d+"}, "anchored": true, "ignore_no_match": false}}`.
 *
 * Patterns compile once into one JavaScript regex each (named groups `g0`, `g1`, ... mapped to
 * field names, so field names may contain dots; a raw `(?<name>...)` group is a capture too,
 * with `__` standing for `.`). `anchored` (default) matches from the start of the field, as
 * the library's line patterns expect; set it false to search anywhere. No match is an error
 * (`_pipeline_error`) unless `ignore_no_match`. Empty captures are not written; an `:int` or
 * `:float` capture that is not a number keeps its text.
 */
import { z } from 'zod';
import type { FieldValue } from '../core/event.ts';
import { fieldAccessor } from './event-fields.ts';
import { GROK_PATTERNS } from './grok-patterns/index.ts';
import { field } from './options.ts';
import { defineProcessor } from './processor-def.ts';
import { fieldWriter } from './write-fields.ts';

type CaptureType = 'string' | 'int' | 'float';

export interface Capture {
  field: string;
  type: CaptureType;
}

export interface CompiledGrok {
  re: RegExp;
  /** captures[i] belongs to group `groupNames[i]` (`g<i>`). */
  captures: Capture[];
  groupNames: string[];
}

const REF_RE = /%\{(\w+)(?::([\w.@-]+))?(?::(int|float|string))?\}|\(\?<([A-Za-z_][\w]*)>/g;
const MAX_DEPTH = 32;

/** Expands a grok expression to a JavaScript regex; throws an Error naming the bad reference. */
export function compileGrok(
  pattern: string,
  library: Readonly<Record<string, string>> = GROK_PATTERNS,
  flags = '',
): CompiledGrok {
  const captures: Capture[] = [];
  const expand = (p: string, stack: string[]): string =>
    p.replace(
      REF_RE,
      (_m, name: string | undefined, fieldName: string | undefined, type: string | undefined, raw) => {
        if (raw !== undefined) {
          captures.push({ field: (raw as string).replaceAll('__', '.'), type: 'string' });
          return `(?<g${captures.length - 1}>`;
        }
        const def = library[name!];
        if (def === undefined) throw new Error(`unknown grok pattern %{${name}}`);
        if (stack.includes(name!))
          throw new Error(`grok pattern %{${name}} refers to itself (${[...stack, name].join(' -> ')})`);
        if (stack.length >= MAX_DEPTH) throw new Error(`grok patterns nest deeper than ${MAX_DEPTH}`);
        if (fieldName === undefined) return `(?:${expand(def, [...stack, name!])})`;
        const idx = captures.length;
        captures.push({ field: fieldName, type: (type as CaptureType | undefined) ?? 'string' });
        return `(?<g${idx}>${expand(def, [...stack, name!])})`;
      },
    );
  const source = expand(pattern, []);
  let re: RegExp;
  try {
    re = new RegExp(source, flags);
  } catch (err) {
    throw new Error(`does not compile to a regular expression: ${(err as Error).message}`);
  }
  return { re, captures, groupNames: captures.map((_, i) => `g${i}`) };
}

function typed(v: string, t: CaptureType): FieldValue {
  if (t === 'string') return v;
  const n = t === 'int' ? Number.parseInt(v, 10) : Number.parseFloat(v);
  return Number.isFinite(n) ? n : v;
}

export const grok = defineProcessor({
  name: 'grok',
  schema: z.strictObject({
    field: field.default('message'),
    patterns: z.array(z.string().min(1)).min(1, 'list at least one pattern'),
    pattern_definitions: z
      .record(z.string().regex(/^\w+$/, 'pattern names are letters, digits and _'), z.string())
      .default({}),
    target: z.string().default(''),
    anchored: z.boolean().default(true),
    ignore_no_match: z.boolean().default(false),
  }),
  build(o, ctx) {
    const library = { ...GROK_PATTERNS, ...o.pattern_definitions };
    const compiled = o.patterns.map((p, i) => {
      try {
        return compileGrok(o.anchored ? `^(?:${p})` : p, library);
      } catch (err) {
        return ctx.fail(`patterns[${i}]`, (err as Error).message);
      }
    });
    const src = fieldAccessor(o.field);
    const write = fieldWriter(o.target);
    return {
      name: 'grok',
      process(ev) {
        const v = src.get(ev);
        if (typeof v !== 'string') return true;
        for (const g of compiled) {
          const m = g.re.exec(v);
          if (m === null) continue;
          const groups = m.groups!;
          const caps = g.captures;
          const names = g.groupNames;
          for (let i = 0; i < caps.length; i++) {
            const val = groups[names[i]!];
            if (val === undefined || val === '') continue;
            const c = caps[i]!;
            write(ev, c.field, typed(val, c.type));
          }
          return true;
        }
        if (o.ignore_no_match) return true;
        throw new Error(`${o.field} matches no pattern`);
      },
    };
  },
});
