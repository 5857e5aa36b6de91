/**
 * `lookup`: enriches events from a table file. `{"lookup": {"file": "users.csv", "field":
 * "user.id", "key": "id", "target": "user", "columns": ["name", "team"]}}` finds the row whose
 * `key` column equals the event's `field` value and writes its other columns (or `columns`)
 * as `<target>.<column>`. Tables: CSV with a header line (RFC 4180 quoting), a JSON array of
 * objects, or a JSON object of key -> object (then `key` is not needed).
 *
 * The table is loaded when the pipeline is compiled (an unreadable or malformed file is a
 * compile error naming it) and reloaded when its mtime changes, checked at most once a second
 * per worker; a reload that fails keeps the previous table and tags the events that saw the
 * failure. A missing key is not an error (nothing is written).
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { FieldValue } from '../core/event.ts';
import { fieldAccessor, prefixWithDot } from './event-fields.ts';
import { field } from './options.ts';
import { splitCsvLine } from './parse-csv.ts';
import { defineProcessor } from './processor-def.ts';

type Row = Array<[string, FieldValue]>;

function scalar(v: unknown): FieldValue | undefined {
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (v === null || v === undefined) return undefined;
  return JSON.stringify(v);
}

/** Parses a table file's text into key -> row; throws an Error saying what and where. */
export function parseTable(
  text: string,
  file: string,
  key: string | undefined,
  columns?: string[],
): Map<string, Row> {
  const out = new Map<string, Row>();
  const keep = columns ? new Set(columns) : undefined;
  const add = (k: unknown, obj: Record<string, unknown>) => {
    if (k === undefined || k === null || k === '') return;
    const row: Row = [];
    for (const c in obj) {
      if (c === key || (keep && !keep.has(c))) continue;
      const v = scalar(obj[c]);
      if (v !== undefined) row.push([c, v]);
    }
    out.set(String(k), row);
  };
  if (file.endsWith('.json')) {
    const data: unknown = JSON.parse(text);
    if (Array.isArray(data)) {
      if (key === undefined) throw new Error('a JSON array table needs the key option');
      data.forEach((o, i) => {
        if (o === null || typeof o !== 'object') throw new Error(`element ${i} is not an object`);
        add((o as Record<string, unknown>)[key], o as Record<string, unknown>);
      });
    } else if (data !== null && typeof data === 'object') {
      for (const [k, o] of Object.entries(data)) {
        add(k, o !== null && typeof o === 'object' ? (o as Record<string, unknown>) : { value: o });
      }
    } else throw new Error('expected a JSON array or object');
    return out;
  }
  const lines = text.split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '', ',', '"');
  if (header === null || header.length < 2)
    throw new Error('line 1: expected a CSV header with at least two columns');
  const keyCol = key ?? header[0]!;
  if (!header.includes(keyCol)) throw new Error(`line 1: no column "${keyCol}" in the header`);
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const vals = splitCsvLine(lines[i]!, ',', '"');
    if (vals === null) throw new Error(`line ${i + 1}: unclosed quote`);
    const obj: Record<string, unknown> = {};
    header.forEach((h, j) => {
      if (vals[j] !== undefined && vals[j] !== '') obj[h] = vals[j];
    });
    add(obj[keyCol], { ...obj, [keyCol]: undefined });
  }
  return out;
}

const RECHECK_MS = 1000;

export const lookup = defineProcessor({
  name: 'lookup',
  schema: z.strictObject({
    file: z
      .string()
      .min(1)
      .refine((f) => /\.(csv|json)$/.test(f), 'the file must end in .csv or .json'),
    field,
    key: z.string().min(1).optional(),
    target: field,
    columns: z.array(z.string().min(1)).min(1).optional(),
    override: z.boolean().default(true),
  }),
  build(o, ctx) {
    const file = path.resolve(ctx.baseDir, o.file);
    const load = () => {
      const st = fs.statSync(file);
      return { mtime: st.mtimeMs, table: parseTable(fs.readFileSync(file, 'utf8'), file, o.key, o.columns) };
    };
    let state: { mtime: number; table: Map<string, Row> };
    try {
      state = load();
    } catch (err) {
      return ctx.fail('file', `cannot load ${file}: ${(err as Error).message}`);
    }
    let checkedAt = Date.now();
    const src = fieldAccessor(o.field);
    const p = prefixWithDot(o.target);
    const refresh = () => {
      const now = Date.now();
      if (now - checkedAt < RECHECK_MS) return;
      checkedAt = now;
      let mtime: number;
      try {
        mtime = fs.statSync(file).mtimeMs;
      } catch (err) {
        throw new Error(`cannot reload ${o.file}: ${(err as Error).message}`);
      }
      if (mtime === state.mtime) return;
      try {
        state = load();
      } catch (err) {
        state = { ...state, mtime };
        throw new Error(`cannot reload ${o.file} (keeping the previous table): ${(err as Error).message}`);
      }
    };
    return {
      name: 'lookup',
      process(ev) {
        refresh();
        const v = src.get(ev);
        if (v === undefined) return true;
        const row = state.table.get(typeof v === 'string' ? v : String(v));
        if (row === undefined) return true;
        const f = ev.fields;
        for (const [c, val] of row) {
          const k = p + c;
          if (o.override || f[k] === undefined) f[k] = val;
        }
        return true;
      },
    };
  },
});
