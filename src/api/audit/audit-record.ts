/**
 * One audit record on disk, and its view as an event of the `_audit` stream.
 *
 * Line format (UTF-8, one record per line): `<sha256 hex of JSON> <JSON>\n`, where the JSON is
 * `{"seq", "time", "prev", "actor", "action", "target"?, "outcome", "details"?, "ip"?}`: `seq` counts
 * from 0 without gaps, `time` is epoch milliseconds, and `prev` is the hash of the record before
 * (64 zeros for seq 0). Changing any byte of a record breaks its own hash; removing or reordering
 * records breaks the `prev` link of the next one. `parseLine` never throws: it says what is wrong.
 */
import { createHash } from 'node:crypto';
import type { FieldValue, LogEvent } from '../../core/event.ts';
import type { AuditEntry } from './audit-log.ts';

export const AUDIT_STREAM = '_audit';
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditRecord extends AuditEntry {
  seq: number;
  /** Epoch milliseconds. */
  time: number;
  prev: string;
}

export interface StoredRecord {
  record: AuditRecord;
  hash: string;
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** The line for `r` (with its trailing newline) and its hash. */
export function encodeRecord(r: AuditRecord): { line: string; hash: string } {
  const json = JSON.stringify({
    seq: r.seq,
    time: r.time,
    prev: r.prev,
    actor: r.actor,
    action: r.action,
    ...(r.target !== undefined ? { target: r.target } : {}),
    outcome: r.outcome,
    ...(r.details !== undefined ? { details: r.details } : {}),
    ...(r.ip !== undefined ? { ip: r.ip } : {}),
  });
  const hash = sha256Hex(json);
  return { line: `${hash} ${json}\n`, hash };
}

/** A line (without its newline) as a record, or the reason it is not a valid one. */
export function parseLine(line: string): StoredRecord | { error: string } {
  const sp = line.indexOf(' ');
  if (sp !== 64) return { error: 'no hash at the start of the line' };
  const hash = line.slice(0, 64);
  const json = line.slice(65);
  if (sha256Hex(json) !== hash) return { error: 'the record does not match its hash (altered)' };
  let r: AuditRecord;
  try {
    r = JSON.parse(json);
  } catch {
    return { error: 'the record is not valid JSON' };
  }
  if (
    typeof r !== 'object' ||
    r === null ||
    !Number.isSafeInteger(r.seq) ||
    typeof r.time !== 'number' ||
    typeof r.prev !== 'string' ||
    typeof r.action !== 'string' ||
    typeof r.actor?.name !== 'string'
  )
    return { error: 'the record lacks seq, time, prev, actor or action' };
  return { record: r, hash };
}

/** The name an access review groups an actor by: a user's name, or `token:NAME`, `system:NAME`. */
export function actorLabel(a: AuditEntry['actor']): string {
  if (a.type === 'user') return a.name;
  if (a.type === 'anonymous') return 'anonymous';
  return `${a.type}:${a.name}`;
}

function quoteQuery(q: unknown): string {
  return typeof q === 'string' && q !== '' ? JSON.stringify(q) : 'everything';
}

/** A readable sentence for the record (the event's message). */
export function describeRecord(r: AuditRecord): string {
  const who = actorLabel(r.actor);
  const d = r.details ?? {};
  const failed = r.outcome === 'failure' ? ' (failed)' : '';
  const streams = Array.isArray(d.streams) && d.streams.length > 0 ? ` in ${d.streams.join(', ')}` : '';
  switch (r.action) {
    case 'search':
    case 'export':
    case 'tail': {
      const verb = r.action === 'search' ? `searched (${d.kind ?? 'events'})` : `${r.action}ed`;
      const n = typeof d.results === 'number' ? `: ${d.results} results` : '';
      return `${who} ${verb} ${quoteQuery(d.query)}${streams}${n}${failed}`;
    }
    case 'auth.login':
      return `${who} logged in${r.ip ? ` from ${r.ip}` : ''}${failed}`;
    case 'auth.logout':
      return `${who} logged out`;
    case 'token.use':
      return `token ${r.target ?? r.actor.name} made ${d.requests} requests in the hour from ${d.hour}`;
    default:
      return `${who} ${r.action}${r.target !== undefined ? ` ${r.target}` : ''}${failed}`;
  }
}

function flatten(prefix: string, v: unknown, out: Record<string, FieldValue>): void {
  if (v === null || v === undefined) return;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[prefix] = v;
  else if (Array.isArray(v))
    out[prefix] = v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(' ');
  else if (typeof v === 'object')
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) flatten(`${prefix}.${k}`, x, out);
}

/** The record as an event of the `_audit` stream, for the query language matcher and the API. */
export function recordEvent(s: StoredRecord): LogEvent {
  const r = s.record;
  const fields: Record<string, FieldValue> = {
    'actor.type': r.actor.type,
    'actor.id': r.actor.id,
    'actor.name': r.actor.name,
    action: r.action,
    outcome: r.outcome,
    seq: r.seq,
    hash: s.hash,
  };
  if (r.target !== undefined) fields.target = r.target;
  if (r.ip !== undefined) fields.ip = r.ip;
  flatten('details', r.details, fields);
  return {
    _id: `audit-${r.seq}`,
    _time: r.time * 1000,
    _ingest_time: r.time * 1000,
    stream: AUDIT_STREAM,
    message: describeRecord(r),
    level: r.outcome === 'failure' ? 'warn' : 'info',
    host: '',
    service: 'logwarden',
    fields,
  };
}
