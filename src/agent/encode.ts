/**
 * Turns file events into the lines of an ingest request body.
 *
 * - `text`: the event's text as is (one line; the server detects JSON, syslog or text).
 * - `ndjson`: one JSON object per event, parsed as the server parses any line: a line that is a
 *   JSON object keeps its keys (the agent's are appended, so `host` is the agent's); any other
 *   event (syslog, text, a multi-line stack trace) goes through the server's own line parser
 *   (normalizeRecord: time, level, syslog header) and is sent as its result. Every event gets
 *   `host`, `file.path`, `file.offset`, the configured fields and `agent.batch`, the id of the
 *   request batch, by which a batch whose answer was lost (crash, dropped connection) is looked
 *   up on the server before it is sent again.
 */
import { formatTimestamp } from '../core/time.ts';
import { normalizeRecord } from '../processors/normalize.ts';
import { isJsonObject } from '../sources/http/json-validate.ts';
import type { FileEvent } from './multiline.ts';

export interface FileLabels {
  stream: string;
  /** `,"host":...,"file.path":...,<fields>`: the part of the suffix shared by a file's events. */
  suffix: string;
}

/** The per-file part of an NDJSON event's agent keys (see FileLabels.suffix). */
export function fileSuffix(host: string, path: string, fields: Record<string, unknown>): string {
  let s = '';
  for (const [k, v] of Object.entries(fields)) s += `,${JSON.stringify(k)}:${JSON.stringify(v)}`;
  return `${s},"host":${JSON.stringify(host)},"file.path":${JSON.stringify(path)}`;
}

/** The position of the closing brace of a JSON object text, skipping trailing white space. */
function closingBrace(text: string): number {
  let i = text.length - 1;
  while (i > 0 && text.charCodeAt(i) !== 125) i--;
  return i;
}

/** Whether a JSON object text has no keys (`{}`, `{ }`). */
function emptyObject(text: string, close: number): boolean {
  return text.slice(text.indexOf('{') + 1, close).trim() === '';
}

/** One NDJSON line (without the newline) for `ev`; `batchId` is the batch's id. */
export function encodeNdjson(ev: FileEvent, labels: FileLabels, batchId: string, nowUs: number): string {
  const tail = `${labels.suffix},"agent.batch":"${batchId}","file.offset":${ev.offset}}`;
  const t = ev.text;
  if (t.charCodeAt(0) === 123 && isJsonObject(ev.raw ?? Buffer.from(t))) {
    const close = closingBrace(t);
    return emptyObject(t, close) ? `{${tail.slice(1)}` : t.slice(0, close) + tail;
  }
  const e = normalizeRecord(t, 'auto', labels.stream, nowUs);
  const obj: Record<string, unknown> = { _time: formatTimestamp(e._time), message: e.message };
  if (e.level) obj.level = e.level;
  if (e.service) obj.service = e.service;
  Object.assign(obj, e.fields);
  const json = JSON.stringify(obj);
  return json.slice(0, -1) + tail;
}
