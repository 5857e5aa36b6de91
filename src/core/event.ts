/**
 * The event model shared by every layer.
 *
 * A stored event has fixed columns (`_id`, `_time`, `_ingest_time`, `stream`, `message`, `level`,
 * `host`, `service`) and any number of dynamic fields, flattened with dotted keys (`http.status`).
 * Dynamic field values keep their JSON type: numbers compare as numbers.
 *
 * Times are integer microseconds since the Unix epoch (fits a JS number until year 2255).
 */

export type FieldValue = string | number | boolean;

export const LEVELS = [
  'trace',
  'debug',
  'info',
  'notice',
  'warn',
  'error',
  'critical',
  'alert',
  'emergency',
] as const;
export type Level = (typeof LEVELS)[number];

/** Names of the fixed columns; a dynamic field may not use one of these names. */
export const FIXED_FIELDS = [
  '_id',
  '_time',
  '_ingest_time',
  'stream',
  'message',
  'level',
  'host',
  'service',
] as const;

export interface LogEvent {
  /** Stable id derived from the queue position (see ids.ts). */
  _id: string;
  /** Event time, epoch microseconds. */
  _time: number;
  /** Time logwarden received the event, epoch microseconds. */
  _ingest_time: number;
  stream: string;
  message: string;
  /** Normalised level, or '' when the event had none. */
  level: Level | '';
  host: string;
  service: string;
  /** Every other field, flattened with dotted keys. */
  fields: Record<string, FieldValue>;
}
