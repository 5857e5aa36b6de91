/**
 * String templates over event fields: `"{{service}}-{{http.status}}"`. Compiled once into
 * literal parts and field accessors; an absent field renders as ''. `{{` without a closing `}}`
 * is literal text.
 */
import type { LogEvent } from '../core/event.ts';
import { type FieldAccessor, fieldAccessor } from './event-fields.ts';

export interface Template {
  /** True when the template has no `{{field}}` references (render returns the text as is). */
  readonly constant: boolean;
  render(ev: LogEvent): string;
}

export function compileTemplate(text: string): Template {
  const literals: string[] = [];
  const refs: FieldAccessor[] = [];
  const re = /\{\{\s*([^{}\s]+)\s*\}\}/g;
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    literals.push(text.slice(last, m.index));
    refs.push(fieldAccessor(m[1]!));
    last = m.index + m[0].length;
  }
  literals.push(text.slice(last));
  if (refs.length === 0) return { constant: true, render: () => text };
  return {
    constant: false,
    render(ev) {
      let out = literals[0]!;
      for (let i = 0; i < refs.length; i++) {
        const v = refs[i]!.get(ev);
        if (v !== undefined) out += typeof v === 'string' ? v : String(v);
        out += literals[i + 1]!;
      }
      return out;
    },
  };
}
