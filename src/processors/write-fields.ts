/**
 * Writes parsed key/value results into an event under a target prefix: with an empty prefix a
 * key naming a fixed column (`message`, `level`, `host`, `service`, `_time`) goes to that
 * column (so `{"json": {}}` on `{"level":"warn","msg":...}` fills `level`), other keys become
 * dynamic fields; with a prefix every key is a dynamic field `<prefix>.<key>`.
 */
import type { FieldValue, LogEvent } from '../core/event.ts';
import { type FieldAccessor, fieldAccessor, prefixWithDot } from './event-fields.ts';

const COLUMNS: ReadonlyMap<string, FieldAccessor> = new Map(
  ['message', 'level', 'host', 'service', '_time'].map((n) => [n, fieldAccessor(n)]),
);
const PROTECTED = new Set(['_id', '_ingest_time', 'stream']);

export type FieldWriter = (ev: LogEvent, key: string, v: FieldValue) => void;

export function fieldWriter(target: string): FieldWriter {
  const prefix = prefixWithDot(target);
  if (prefix !== '') {
    return (ev, key, v) => {
      ev.fields[prefix + key] = v;
    };
  }
  return (ev, key, v) => {
    const col = COLUMNS.get(key);
    if (col !== undefined) col.set(ev, v);
    else if (PROTECTED.has(key)) ev.fields[`${key}_`] = v;
    else ev.fields[key] = v;
  };
}
