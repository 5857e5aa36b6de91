/**
 * Cheap format detection for lines ingested as text/plain (format "auto"): looks at the first
 * characters only, never parses the whole line.
 *
 * - first non-blank character `{` -> 'json' (whether it parses is the JSON parser's business);
 * - `<PRI>1 SP` (`<165>1 ...`) -> 'syslog5424';
 * - `<PRI>` otherwise -> 'syslog3164' (RFC 3164 section 4.3.3: a PRI makes it syslog);
 * - `Mmm dd HH:MM:SS ` at the start (BSD syslog without PRI, as in /var/log/syslog) -> 'syslog3164';
 * - anything else -> 'text'.
 * A line that starts with an ISO 8601 timestamp is 'text' even when it is rsyslog's file format:
 * without a PRI it cannot be told apart from an application log (`2024-... INFO main: ...`)
 * cheaply; configure the stream's format as syslog to parse those. Never throws.
 */

export type DetectedFormat = 'json' | 'syslog5424' | 'syslog3164' | 'text';

const MONTHS = new Set(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']);

function digit(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/** Detects the format of one line (see the module header). */
export function detectFormat(line: string): DetectedFormat {
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 0xfeff) break;
    i++;
  }
  if (i >= n) return 'text';
  const c = line.charCodeAt(i);
  if (c === 123 /* { */) return 'json';
  if (c === 60 /* < */) {
    // <PRI>: 1..3 digits, value <= 191
    let j = i + 1;
    let pri = 0;
    while (j < n && j - i <= 3 && digit(line, j)) pri = pri * 10 + line.charCodeAt(j++) - 48;
    if (j === i + 1 || line.charCodeAt(j) !== 62 /* > */ || pri > 191 || j - i > 4) return 'text';
    j++;
    // VERSION 1 (the only one defined) and a space; as parse-rfc5424.ts decides
    return line.charCodeAt(j) === 49 && line.charCodeAt(j + 1) === 32 ? 'syslog5424' : 'syslog3164';
  }
  // Mmm dd HH:MM:SS followed by a space: `Nov 22 21:00:01 ` or `Nov  2 21:00:01 `
  if (i + 16 <= n && MONTHS.has(line.slice(i, i + 3)) && line.charCodeAt(i + 3) === 32) {
    let j = i + 4;
    if (line.charCodeAt(j) === 32) j++; // space-padded day
    if (!digit(line, j)) return 'text';
    j++;
    if (digit(line, j)) j++;
    if (
      line.charCodeAt(j) === 32 &&
      digit(line, j + 1) &&
      digit(line, j + 2) &&
      line.charCodeAt(j + 3) === 58 &&
      digit(line, j + 4) &&
      digit(line, j + 5) &&
      line.charCodeAt(j + 6) === 58 &&
      digit(line, j + 7) &&
      digit(line, j + 8) &&
      (line.charCodeAt(j + 9) === 32 || line.charCodeAt(j + 9) === 46) /* .frac */
    ) {
      return 'syslog3164';
    }
  }
  return 'text';
}
