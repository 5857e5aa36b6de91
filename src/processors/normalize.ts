/**
 * Turns one raw queued record (a JSON object, a syslog line or plain text) into the event model
 * (src/core/event.ts): picks `_time`, `message`, `level`, `host` and `service` from their usual
 * field names, flattens the rest with dotted keys and keeps value types.
 *
 * Field names follow what shippers send: Elastic Common Schema (`@timestamp`, `log.level`,
 * `host.name`, `service.name`), VictoriaLogs (`_time`, `_msg`), Loki/Promtail, bunyan/pino.
 */
import type { FieldValue, LogEvent } from '../core/event.ts';
import { normalizeLevel } from '../core/level.ts';
import { parseTimestamp } from '../core/time.ts';
import { parseSyslog } from '../sources/syslog/parse-syslog.ts';
import { detectFormat } from './detect-format.ts';

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
export function flatten(obj: Record<string, unknown>, out: Record<string, FieldValue>, prefix = '', depth = 0): void {
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

function take(fields: Record<string, FieldValue>, keys: readonly string[]): FieldValue | undefined {
  for (const k of keys) {
    const v = fields[k];
    if (v !== undefined && v !== '') {
      delete fields[k];
      return v;
    }
  }
  return undefined;
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
  for (const k of TIME_KEYS) {
    const v = f[k];
    if (v === undefined) continue;
    const t = parseTimestamp(v);
    if (t !== null) {
      ev._time = t;
      delete f[k];
      break;
    }
  }
  const msg = take(f, MESSAGE_KEYS);
  if (msg !== undefined) ev.message = String(msg);
  for (const k of LEVEL_KEYS) {
    const v = f[k];
    if (v === undefined) continue;
    const lv = normalizeLevel(v);
    if (lv !== '') {
      ev.level = lv;
      delete f[k];
      break;
    }
  }
  const host = take(f, HOST_KEYS);
  if (host !== undefined) ev.host = String(host);
  const svc = take(f, SERVICE_KEYS);
  if (svc !== undefined) ev.service = String(svc);
  for (const k in f) {
    if (RESERVED.has(k)) {
      ev.fields[`${k}_`] = f[k];
    } else {
      ev.fields[k] = f[k];
    }
  }
  return ev;
}

const LEADING_LEVEL =
  /^(?:\S+\s+){0,4}?\[?(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL|CRIT|ALERT|EMERG|SEVERE)\]?[\s:]/;

/** Builds an event from a plain text line: the whole line is the message. */
export function eventFromText(line: string, stream: string, receivedUs: number): LogEvent {
  const ev = newEvent(stream, receivedUs);
  ev.message = line;
  // A level keyword among the first words (log4j, logback, Spring, Python logging...).
  const head = line.length > 160 ? line.slice(0, 160) : line;
  const m = LEADING_LEVEL.exec(head);
  if (m) ev.level = normalizeLevel(m[1]);
  // A leading ISO 8601 timestamp ("2026-11-22T10:00:00Z ..." or "2026-11-22 10:00:00,123 ...").
  const c0 = line.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57 && line.charCodeAt(4) === 45) {
    const sp = line.indexOf(' ', 11);
    let cand = sp > 0 ? line.slice(0, sp) : line;
    if (cand.length === 10) {
      const sp2 = line.indexOf(' ', 11);
      cand = sp2 > 0 ? line.slice(0, sp2) : line;
    }
    const t = parseTimestamp(cand.replace(',', '.'));
    if (t !== null) ev._time = t;
  }
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
