/**
 * One GELF 1.1 message (https://go2docs.graylog.org/current/getting_in_log_data/gelf.html),
 * already decompressed and unframed, turned into the JSON record logwarden queues (format
 * `json`, normalised by the processing workers like any JSON event):
 *
 * | GELF | record |
 * |---|---|
 * | `short_message` (required, non-empty string) | `_msg`, so it becomes `message` |
 * | `full_message` | `full_message` |
 * | `host` | `host` |
 * | `timestamp` (seconds since the epoch, decimals for sub-seconds) | `_time` |
 * | `level` (syslog severity 0..7) | `level` (its name: 3 -> `error`) and `severity` (the number) |
 * | `_name` additional fields | `name` (the underscore stripped); `_id` is not allowed and is left out, as Graylog does |
 * | `version`, deprecated `facility`, `file`, `line`, other fields | `version` is left out, the rest kept as they are |
 * plus `remote_addr`, the sender's address. An additional field whose stripped name is taken
 * (`_host`, `_level`...) gets a `_` suffix (`host_`), as reserved names do elsewhere.
 *
 * Rejections (the reason is the counter label): `invalid_utf8`, `invalid_json`, `invalid_gelf`
 * (not an object, no short_message). `version` is not checked: senders of 1.0 are accepted.
 */
import { isUtf8 } from 'node:buffer';
import { severityToLevel } from '../../core/level.ts';
import type { RecordResult } from '../net/net-record.ts';

/** Keys the record sets itself; an additional field with such a name gets a `_` suffix. */
const OWN_KEYS = new Set(['_msg', '_time', 'host', 'full_message', 'level', 'severity', 'remote_addr']);
/** Standard GELF fields with their own mapping (everything else is kept as it is). */
const STANDARD = new Set(['version', 'short_message', 'full_message', 'host', 'timestamp', 'level']);

/** Parses one GELF message (bytes of a JSON object); never throws. */
export function parseGelf(buf: Uint8Array, remote: string): RecordResult {
  if (!isUtf8(buf)) return { ok: false, reason: 'invalid_utf8', message: 'GELF message is not valid UTF-8' };
  let obj: unknown;
  try {
    obj = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8'));
  } catch (err) {
    return {
      ok: false,
      reason: 'invalid_json',
      message: `cannot parse GELF JSON: ${(err as Error).message}`,
    };
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    return { ok: false, reason: 'invalid_gelf', message: 'GELF message is not a JSON object' };
  }
  const g = obj as Record<string, unknown>;
  const short = g.short_message;
  if (typeof short !== 'string' || short === '') {
    return { ok: false, reason: 'invalid_gelf', message: 'GELF message has no short_message (required)' };
  }
  const out: Record<string, unknown> = { _msg: short };
  if (g.full_message !== undefined && g.full_message !== null) out.full_message = g.full_message;
  if (typeof g.host === 'string' && g.host !== '') out.host = g.host;
  const ts = g.timestamp;
  if (typeof ts === 'number' || typeof ts === 'string') out._time = ts;
  const level = g.level;
  if (typeof level === 'number') {
    const name = severityToLevel(level);
    if (name !== '') out.level = name;
    out.severity = level;
  } else if (typeof level === 'string' && level !== '') {
    out.level = level;
  }
  out.remote_addr = remote;
  for (const k in g) {
    if (STANDARD.has(k)) continue;
    let name = k;
    if (k.charCodeAt(0) === 95 /* _ */) {
      if (k === '_id') continue;
      name = k.slice(1);
      if (name === '') continue;
    }
    while (OWN_KEYS.has(name) || Object.hasOwn(out, name)) name = `${name}_`;
    out[name] = g[k];
  }
  return { ok: true, record: JSON.stringify(out) };
}
