/**
 * The parsed shape shared by the RFC 5424 and RFC 3164 parsers, and the PRI part both share
 * (RFC 5424 section 6.2.1, RFC 3164 section 4.1.1).
 *
 * Every SyslogMessage has the same keys in the same order (absent values are `undefined`), so the
 * objects share one hidden class on the ingest hot path.
 */

import type { Level } from '../../core/event.ts';
import { SEVERITY_LEVELS } from '../../core/level.ts';

/**
 * Facility names by code 0..23 (RFC 5424 table 1, with the names syslog implementations use:
 * 13 "log audit" is `security`, 14 "log alert" is `console`, 15 "clock daemon" is `solaris-cron`).
 */
export const FACILITY_NAMES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'ntp',
  'security',
  'console',
  'solaris-cron',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
] as const;
export type FacilityName = (typeof FACILITY_NAMES)[number];

export interface SyslogMessage {
  /** Which grammar matched. */
  format: 'rfc5424' | 'rfc3164';
  /** Event time, epoch µs; undefined when absent (`-`, RFC 3164 without a timestamp) or unparseable. */
  time: number | undefined;
  host: string | undefined;
  /** APP-NAME (RFC 5424) or the TAG's program name (RFC 3164). */
  app: string | undefined;
  /** PROCID (RFC 5424, any printable text) or the `[pid]` of an RFC 3164 TAG. */
  pid: string | undefined;
  /** MSGID (RFC 5424 only). */
  msgid: string | undefined;
  /** Facility from PRI; undefined when the line had no PRI. */
  facility: FacilityName | undefined;
  /** Severity 0..7 from PRI; undefined when the line had no PRI. */
  severity: number | undefined;
  /** Level from the severity; '' without PRI. */
  level: Level | '';
  /** RFC 5424 STRUCTURED-DATA flattened as `sd.<SD-ID>.<PARAM-NAME>` -> unescaped value. */
  structuredData: Record<string, string> | undefined;
  /**
   * macOS variant only: the parenthesised part of `app[pid] (context): msg` (a launchd job label or
   * a sandboxed process), which is neither tag nor message.
   */
  context: string | undefined;
  /** The MSG part (RFC 5424: without the UTF-8 BOM). Never undefined; may be ''. */
  message: string;
  /**
   * Set when the line is syslog but part of its header could not be parsed: says what and where
   * (`cannot parse ... at offset N`). The unparsed part is kept in `message`, so nothing is lost.
   */
  error: string | undefined;
}

/** A SyslogMessage with every field absent, to fill in (keeps the key order stable). */
export function emptyMessage(format: 'rfc5424' | 'rfc3164'): SyslogMessage {
  return {
    format,
    time: undefined,
    host: undefined,
    app: undefined,
    pid: undefined,
    msgid: undefined,
    facility: undefined,
    severity: undefined,
    level: '',
    structuredData: undefined,
    context: undefined,
    message: '',
    error: undefined,
  };
}

/**
 * Scans `<PRI>` at the start of s: `<` 1..3 digits `>` with a value 0..191.
 * Returns `pri * 8 + end` (end = index after `>`, at most 5), or -1 when there is no valid PRI.
 * Decode with `pri = r >> 3`, `end = r & 7`.
 */
export function scanPri(s: string): number {
  if (s.charCodeAt(0) !== 60 /* < */) return -1;
  let pri = 0;
  let i = 1;
  for (; i < 5 && i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    pri = pri * 10 + d;
  }
  if (i === 1 || i === 5 || s.charCodeAt(i) !== 62 /* > */ || pri > 191) return -1;
  return pri * 8 + i + 1;
}

/** Applies a PRI value to m: facility, severity and level. */
export function applyPri(m: SyslogMessage, pri: number): void {
  m.facility = FACILITY_NAMES[pri >> 3];
  m.severity = pri & 7;
  m.level = SEVERITY_LEVELS[pri & 7]!;
}

/** Index after the content of s: trailing LF, CR and NUL (frame trailers) are not content. */
export function contentEnd(s: string): number {
  let end = s.length;
  while (end > 0) {
    const c = s.charCodeAt(end - 1);
    if (c !== 10 && c !== 13 && c !== 0) break;
    end--;
  }
  return end;
}
