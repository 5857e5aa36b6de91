/**
 * `url`: splits a URL or a request target (`/api/v1?x=1`) into `<target>.scheme`, `.user`,
 * `.domain`, `.port` (number), `.path`, `.query`, `.fragment` and, unless `query_params` is
 * false, one `<target>.params.<name>` per query parameter (percent- and `+`-decoded; a repeated
 * name keeps the first value). `{"url": {"field": "http.url", "target": "url"}}`. The split is
 * RFC 3986 appendix B's regular expression (linear, no backtracking blow-up).
 */
import { z } from 'zod';
import { fieldAccessor, prefixWithDot } from './event-fields.ts';
import { field } from './options.ts';
import { defineProcessor } from './processor-def.ts';

const URL_RE =
  /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?:\/\/(?:([^@/?#]*)@)?(\[[^\]/?#]*\]|[^:/?#]*)(?::(\d*))?)?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/;

function decode(s: string): string {
  const t = s.includes('+') ? s.replaceAll('+', ' ') : s;
  if (!t.includes('%')) return t;
  try {
    return decodeURIComponent(t);
  } catch {
    return t;
  }
}

export const url = defineProcessor({
  name: 'url',
  schema: z.strictObject({
    field,
    target: field.default('url'),
    query_params: z.boolean().default(true),
  }),
  build(o) {
    const src = fieldAccessor(o.field);
    const p = prefixWithDot(o.target);
    const paramsPrefix = `${p}params.`;
    return {
      name: 'url',
      process(ev) {
        const v = src.get(ev);
        if (typeof v !== 'string') return true;
        const m = URL_RE.exec(v.trim());
        if (m === null || (m[1] === undefined && m[3] === undefined && m[5] === '' && m[6] === undefined)) {
          throw new Error(`${o.field} is not a URL`);
        }
        const f = ev.fields;
        if (m[1] !== undefined) f[`${p}scheme`] = m[1].toLowerCase();
        if (m[2] !== undefined) f[`${p}user`] = decode(m[2].split(':')[0]!);
        if (m[3] !== undefined && m[3] !== '') f[`${p}domain`] = m[3].toLowerCase();
        if (m[4] !== undefined && m[4] !== '') f[`${p}port`] = Number(m[4]);
        if (m[5] !== '') f[`${p}path`] = m[5]!;
        if (m[6] !== undefined) {
          f[`${p}query`] = m[6];
          if (o.query_params) {
            for (const part of m[6].split('&')) {
              if (part === '') continue;
              const eq = part.indexOf('=');
              const k = decode(eq < 0 ? part : part.slice(0, eq));
              const key = paramsPrefix + k;
              if (k !== '' && f[key] === undefined) f[key] = eq < 0 ? '' : decode(part.slice(eq + 1));
            }
          }
        }
        if (m[7] !== undefined) f[`${p}fragment`] = m[7];
        return true;
      },
    };
  },
});
