/**
 * Turns one raw queued record (a JSON object, a syslog line or plain text) into the event model
 * (src/core/event.ts): picks `_time`, `message`, `level`, `host` and `service` from their usual
 * field names, flattens the rest with dotted keys and keeps value types.
 *
 * Field names follow what shippers send: Elastic Common Schema (`@timestamp`, `log.level`,
 * `host.name`, `service.name`), VictoriaLogs (`_time`, `_msg`), Loki/Promtail, bunyan/pino.
 */
import type { FieldValue, Level, LogEvent } from '../core/event.ts';
import { normalizeLevel } from '../core/level.ts';
import { parseTimestamp } from '../core/time.ts';
import { parseSyslog } from '../sources/syslog/parse-syslog.ts';
import { detectFormat } from './detect-format.ts';
import { newTimePrefix, parseTimePrefix } from './parse-time-prefix.ts';

export type RecordFormat = 'auto' | 'json' | 'syslog' | 'text';

const TIME_KEYS = ['_time', '@timestamp', 'timestamp', 'time', 'ts'];
const MESSAGE_KEYS = ['_msg', 'message', 'msg', 'log'];
const LEVEL_KEYS = ['level', 'log.level', 'severity', 'lvl', 'loglevel'];
const HOST_KEYS = ['host', 'hostname', 'host.name', 'host.hostname'];
const SERVICE_KEYS = ['service', 'service.name', 'app', 'application', 'app_name'];
/** Names a dynamic field may not take; such keys get a `_` suffix. */
const RESERVED = new Set(['_id', '_time', '_ingest_time', 'stream', 'message', 'level', 'host', 'service']);
const MAX_DEPTH = 16;

/** Flattens nested objects into dotted keys; arrays and too-deep objects become JSON strings. */
export function flatten(
  obj: Record<string, unknown>,
  out: Record<string, FieldValue>,
  prefix = '',
  depth = 0,
): void {
  for (const k in obj) {
    const v = obj[k];
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (v === null || v === undefined) continue;
    switch (typeof v) {
      case 'string':
      case 'boolean':
        out[key] = v;
        break;
      case 'number':
        if (Number.isFinite(v)) out[key] = v;
        else out[key] = String(v);
        break;
      case 'object':
        if (Array.isArray(v) || depth >= MAX_DEPTH) out[key] = JSON.stringify(v);
        else flatten(v as Record<string, unknown>, out, key, depth + 1);
        break;
      default:
        out[key] = String(v);
    }
  }
}

/**
 * The first of `keys` present in `fields` with a value other than '' (null for none). Picked keys
 * are skipped when the fields are copied, rather than deleted: a delete would turn the object
 * into a slow dictionary, and this runs for every event.
 */
function pick(fields: Record<string, FieldValue>, keys: readonly string[]): string | null {
  for (const k of keys) {
    const v = fields[k];
    if (v !== undefined && v !== '') return k;
  }
  return null;
}

function newEvent(stream: string, receivedUs: number): LogEvent {
  return {
    _id: '',
    _time: receivedUs,
    _ingest_time: receivedUs,
    stream,
    message: '',
    level: '',
    host: '',
    service: '',
    fields: {},
  };
}

/** Builds an event from a parsed JSON object. */
export function eventFromObject(obj: Record<string, unknown>, stream: string, receivedUs: number): LogEvent {
  const ev = newEvent(stream, receivedUs);
  const f: Record<string, FieldValue> = {};
  flatten(obj, f);
  let timeKey: string | null = null;
  for (const k of TIME_KEYS) {
    const v = f[k];
    if (v === undefined) continue;
    const t = parseTimestamp(v);
    if (t !== null) {
      ev._time = t;
      timeKey = k;
      break;
    }
  }
  const msgKey = pick(f, MESSAGE_KEYS);
  if (msgKey !== null) ev.message = String(f[msgKey]);
  let levelKey: string | null = null;
  for (const k of LEVEL_KEYS) {
    const v = f[k];
    if (v === undefined) continue;
    const lv = normalizeLevel(v);
    if (lv !== '') {
      ev.level = lv;
      levelKey = k;
      break;
    }
  }
  const hostKey = pick(f, HOST_KEYS);
  if (hostKey !== null) ev.host = String(f[hostKey]);
  const svcKey = pick(f, SERVICE_KEYS);
  if (svcKey !== null) ev.service = String(f[svcKey]);
  const fields = ev.fields;
  for (const k in f) {
    if (k === timeKey || k === msgKey || k === levelKey || k === hostKey || k === svcKey) continue;
    if (RESERVED.has(k)) {
      fields[`${k}_`] = f[k];
    } else {
      fields[k] = f[k];
    }
  }
  return ev;
}

/** Level words recognised in plain text, upper-cased (mapped by normalizeLevel). */
const TEXT_LEVEL_WORDS = new Set([
  'TRACE',
  'DEBUG',
  'INFO',
  'NOTICE',
  'WARN',
  'WARNING',
  'ERROR',
  'ERR',
  'FATAL',
  'CRITICAL',
  'CRIT',
  'ALERT',
  'EMERG',
  'EMERGENCY',
  'SEVERE',
]);
/** Words of a line's head that are looked at for a level, and how far into the line. */
const LEVEL_MAX_WORDS = 5;
const LEVEL_MAX_CHARS = 160;

function isLetter(c: number): boolean {
  const l = c | 0x20;
  return l >= 97 && l <= 122;
}

/**
 * The level keyword among the first LEVEL_MAX_WORDS words from index `from` (after the timestamp,
 * if any), or ''. A word counts when it is a level keyword (TEXT_LEVEL_WORDS) and either
 * - bracketed, in any case: `[error]`, `<warn>` (Apache error log, many C daemons);
 * - ALL CAPS, optionally followed by `:` or `]`: `INFO`, `WARN:` (log4j, logback, Python logging);
 * - or the first word in any case, when a timestamp precedes it or a `:` follows it:
 *   `2024-01-02 10:00:00 warning disk full`, `error: cannot open file`.
 * Words are separated by spaces (and tabs right after a keyword). Single letters are not taken
 * here (too ambiguous); see androidLevel.
 */
function textLevel(line: string, from: number, afterTime: boolean): Level | '' {
  const n = Math.min(line.length, from + LEVEL_MAX_CHARS);
  let i = from;
  for (let w = 0; w < LEVEL_MAX_WORDS; w++) {
    while (i < n && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
    if (i >= n) return '';
    const open = line.charCodeAt(i);
    const bracketed = open === 91 /* [ */ || open === 60; /* < */
    const ws = bracketed ? i + 1 : i;
    let we = ws;
    let upper = true;
    while (we < n && we - ws <= 9) {
      const c = line.charCodeAt(we);
      if (!isLetter(c)) break;
      if (c >= 97) upper = false;
      we++;
    }
    const len = we - ws;
    const next = we < line.length ? line.charCodeAt(we) : 32;
    if (len >= 3 && len <= 9) {
      let ok: boolean;
      if (bracketed) ok = next === (open === 91 ? 93 : 62);
      else if (next === 32 || next === 9 || next === 58 /* : */ || next === 93 /* ] */)
        ok = upper || (w === 0 && (afterTime || next === 58));
      else ok = false;
      if (ok) {
        const word = line.slice(ws, we);
        const key = upper ? word : word.toUpperCase();
        if (TEXT_LEVEL_WORDS.has(key)) return normalizeLevel(key);
      }
    }
    // On to the next word. indexOf is native and several times faster than a char loop over long
    // words; the cost is that a word ending in a tab only ends there when the tab follows letters.
    if (next === 9) i = we;
    else {
      i = line.indexOf(' ', we);
      if (i < 0 || i >= n) return '';
    }
  }
  return '';
}

/** Android logcat priority letters (`V D I W E F A`, A = assert). */
const ANDROID_LEVELS: Record<string, Level> = {
  V: 'trace',
  D: 'debug',
  I: 'info',
  W: 'warn',
  E: 'error',
  F: 'critical',
  A: 'critical',
};

/**
 * The priority letter of an Android logcat line after its `MM-DD HH:MM:SS.mmm` timestamp:
 * threadtime ` PID TID L tag: msg` or time ` L/tag(PID): msg`. '' when it is not there.
 */
function androidLevel(line: string, from: number): Level | '' {
  let i = from;
  const n = line.length;
  for (let k = 0; k < 2; k++) {
    while (i < n && line.charCodeAt(i) === 32) i++;
    const c = line.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      while (i < n && line.charCodeAt(i) >= 48 && line.charCodeAt(i) <= 57) i++;
    } else break;
  }
  while (i < n && line.charCodeAt(i) === 32) i++;
  const after = line.charCodeAt(i + 1);
  if (after !== 32 && after !== 47 /* / */) return '';
  return ANDROID_LEVELS[line.charAt(i)] ?? '';
}

const timePrefix = newTimePrefix();

/**
 * Builds an event from a plain text line: the whole line is the message; a leading timestamp of a
 * common layout (parse-time-prefix.ts) gives `_time`, and a level keyword near the start (or the
 * priority letter of Android logcat) gives `level`.
 */
export function eventFromText(line: string, stream: string, receivedUs: number): LogEvent {
  const ev = newEvent(stream, receivedUs);
  ev.message = line;
  let from = 0;
  let afterTime = false;
  if (parseTimePrefix(line, receivedUs / 1000, timePrefix)) {
    ev._time = timePrefix.us;
    from = timePrefix.end;
    afterTime = true;
    if (timePrefix.layout === 'month-day') {
      ev.level = androidLevel(line, from);
      if (ev.level !== '') return ev;
    }
  }
  ev.level = textLevel(line, from, afterTime);
  return ev;
}

/** Builds an event from a syslog line, or from text when it isn't syslog. */
export function eventFromSyslog(line: string, stream: string, receivedUs: number, remote?: string): LogEvent {
  const s = parseSyslog(line, receivedUs / 1000);
  if (s === null) {
    const ev = eventFromText(line, stream, receivedUs);
    if (remote) ev.fields.remote_addr = remote;
    return ev;
  }
  const ev = newEvent(stream, receivedUs);
  if (s.time !== undefined && s.time !== null) ev._time = s.time;
  ev.message = s.message;
  ev.host = s.host ?? '';
  ev.service = s.app ?? '';
  ev.level = s.level ?? '';
  if (s.app) ev.fields.app = s.app;
  if (s.pid !== undefined && s.pid !== null && s.pid !== '') {
    ev.fields.pid = /^\d{1,15}$/.test(String(s.pid)) ? Number(s.pid) : s.pid;
  }
  if (s.msgid) ev.fields.msgid = s.msgid;
  if (s.facility) ev.fields.facility = s.facility;
  if (s.severity !== undefined && s.severity !== null) ev.fields.severity = s.severity;
  if (s.structuredData) for (const k in s.structuredData) ev.fields[k] = s.structuredData[k];
  if (s.context) ev.fields.context = s.context;
  // A header the parser could only partly read: kept, and said so.
  if (s.error) ev.fields._parse_error = s.error;
  if (remote) ev.fields.remote_addr = remote;
  return ev;
}

/**
 * Normalises one record. A JSON line that fails to parse is kept as text with a
 * `_parse_error` field: ingest already rejected malformed JSON for explicit JSON bodies, so this
 * only happens for auto-detected lines.
 */
export function normalizeRecord(
  text: string,
  format: RecordFormat,
  stream: string,
  receivedUs: number,
  remote?: string,
): LogEvent {
  let fmt: RecordFormat = format;
  if (fmt === 'auto') {
    const d = detectFormat(text);
    fmt = d === 'json' ? 'json' : d === 'text' ? 'text' : 'syslog';
  }
  if (fmt === 'json') {
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (err) {
      const ev = eventFromText(text, stream, receivedUs);
      ev.fields._parse_error = `cannot parse JSON: ${(err as Error).message}`;
      return ev;
    }
    if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
      return eventFromObject(obj as Record<string, unknown>, stream, receivedUs);
    }
    const ev = eventFromText(text, stream, receivedUs);
    return ev;
  }
  if (fmt === 'syslog') return eventFromSyslog(text, stream, receivedUs, remote);
  return eventFromText(text, stream, receivedUs);
}
