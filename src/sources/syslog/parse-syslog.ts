/**
 * Syslog line parser for the syslog source: tries RFC 5424 (`<PRI>1 ...`), then RFC 3164 and its
 * variants (see parse-rfc5424.ts and parse-rfc3164.ts for the grammars and contracts).
 *
 * Contract: returns null when the line is not syslog; the caller then keeps the line as plain text
 * (it is never dropped). Never throws. The input is one message without its frame trailer
 * (trailing LF/CR/NUL are tolerated and ignored).
 */

import { parseRfc3164 } from './parse-rfc3164.ts';
import { parseRfc5424, rfc5424PrefixLength } from './parse-rfc5424.ts';
import type { SyslogMessage } from './syslog-message.ts';

export type { FacilityName, SyslogMessage } from './syslog-message.ts';

/** Parses one syslog message; nowMs (default Date.now()) infers the year of RFC 3164 timestamps. */
export function parseSyslog(line: string, nowMs: number = Date.now()): SyslogMessage | null {
  if (line.charCodeAt(0) === 60 /* < */ && rfc5424PrefixLength(line) > 0) return parseRfc5424(line);
  return parseRfc3164(line, nowMs);
}
