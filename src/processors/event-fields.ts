/**
 * Field access for processors: one name space over the event's fixed columns (`message`,
 * `level`, `host`, `service`, `stream`, `_time`) and its dynamic dotted fields. Accessors are
 * built once per field name when a pipeline is compiled, so the per-event path is one closure
 * call with no name dispatch.
 *
 * Rules:
 * - An empty fixed column (`host: ''`, `level: ''`) reads as absent (undefined).
 * - Writing `level` normalises the value (`WARNING` -> `warn`); an unknown level throws.
 * - Writing `_time` accepts epoch numbers (s, ms, µs, ns by magnitude) and any timestamp string
 *   `parseTimestamp` reads; anything else throws.
 * - `_id` and `_ingest_time` are read-only; `stream` and `_time` cannot be removed.
 * Every throw is a plain Error whose message the pipeline stores in `_pipeline_error`.
 */
import type { FieldValue, LogEvent } from '../core/event.ts';
import { normalizeLevel } from '../core/level.ts';
import { parseTimestamp } from '../core/time.ts';

export interface FieldAccessor {
  readonly name: string;
  get(ev: LogEvent): FieldValue | undefined;
  set(ev: LogEvent, v: FieldValue): void;
  remove(ev: LogEvent): void;
}

type StringColumn = 'message' | 'host' | 'service' | 'stream';

function stringColumn(name: StringColumn, removable: boolean): FieldAccessor {
  return {
    name,
    get: (ev) => (ev[name] === '' && name !== 'message' ? undefined : ev[name]),
    set: (ev, v) => {
      ev[name] = typeof v === 'string' ? v : String(v);
    },
    remove: (ev) => {
      if (!removable) throw new Error(`field "${name}" cannot be removed`);
      ev[name] = '';
    },
  };
}

function readOnly(name: '_id' | '_ingest_time'): FieldAccessor {
  const fail = () => {
    throw new Error(`field "${name}" is read-only`);
  };
  return { name, get: (ev) => ev[name], set: fail, remove: fail };
}

/** The accessor for a field name (dotted dynamic field or fixed column). */
export function fieldAccessor(name: string): FieldAccessor {
  switch (name) {
    case 'message':
    case 'host':
    case 'service':
      return stringColumn(name, true);
    case 'stream':
      return stringColumn(name, false);
    case '_id':
    case '_ingest_time':
      return readOnly(name);
    case 'level':
      return {
        name,
        get: (ev) => (ev.level === '' ? undefined : ev.level),
        set: (ev, v) => {
          const l = normalizeLevel(v);
          if (l === '') throw new Error(`"${String(v).slice(0, 40)}" is not a log level`);
          ev.level = l;
        },
        remove: (ev) => {
          ev.level = '';
        },
      };
    case '_time':
      return {
        name,
        get: (ev) => ev._time,
        set: (ev, v) => {
          const us = parseTimestamp(v);
          if (us === null) throw new Error(`"${String(v).slice(0, 40)}" is not a time`);
          ev._time = us;
        },
        remove: () => {
          throw new Error('field "_time" cannot be removed');
        },
      };
    default:
      return {
        name,
        get: (ev) => ev.fields[name],
        set: (ev, v) => {
          ev.fields[name] = v;
        },
        remove: (ev) => removeField(ev, name),
      };
  }
}

/**
 * Removes dynamic field `name`. `delete` would turn the fields object into a slow dictionary
 * (every later read, the mask scan and the indexer's walk pay for it), so the object is rebuilt
 * without the key instead: same keys, same order. An own `__proto__` key, which an assignment
 * cannot copy, falls back to `delete`.
 */
export function removeField(ev: LogEvent, name: string): void {
  const f = ev.fields;
  if (!Object.hasOwn(f, name)) return;
  const out: Record<string, FieldValue> = {};
  for (const k in f) {
    if (k === '__proto__') {
      delete f[name];
      return;
    }
    if (k !== name) out[k] = f[k]!;
  }
  ev.fields = out;
}

/** Every field of the event as one flat record (fixed columns first), for traces and templates. */
export function snapshot(ev: LogEvent): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {
    _time: ev._time,
    stream: ev.stream,
    message: ev.message,
  };
  if (ev.level !== '') out.level = ev.level;
  if (ev.host !== '') out.host = ev.host;
  if (ev.service !== '') out.service = ev.service;
  for (const k in ev.fields) out[k] = ev.fields[k]!;
  return out;
}

/** Makes a dynamic-field prefix end with a dot ('' stays ''). */
export function prefixWithDot(prefix: string): string {
  return prefix === '' || prefix.endsWith('.') ? prefix : `${prefix}.`;
}
