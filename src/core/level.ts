/**
 * Level normalisation: maps the many spellings of a log level found in the wild onto the nine
 * levels of the event model (event.ts LEVELS).
 *
 * Accepted (case-insensitive, surrounding whitespace ignored):
 * | level     | strings                                                        | numbers            |
 * |-----------|----------------------------------------------------------------|--------------------|
 * | trace     | trace, trc, finer, finest, verbose, v                          | 10 (bunyan/pino)   |
 * | debug     | debug, dbg, d, fine, config (java.util.logging)                | 7, 20              |
 * | info      | info, inf, i, information, informational                       | 6, 30              |
 * | notice    | notice, ntc                                                    | 5                  |
 * | warn      | warn, warning, wrn, w                                          | 4, 40              |
 * | error     | error, err, eror, e, severe (java.util.logging)                | 3, 50              |
 * | critical  | critical, crit, fatal, ftl, f (Android logcat)                 | 2, 60              |
 * | alert     | alert                                                          | 1                  |
 * | emergency | emergency, emerg, panic                                        | 0                  |
 * Numbers are syslog severities 0..7 (RFC 5424 section 6.2.1) and bunyan/pino levels 10..60; a
 * numeric string is read like the number. Anything else is '' (unknown). Never throws.
 */

import type { Level } from './event.ts';

/** Syslog severity (RFC 5424 table 2) to level, indexed by severity 0..7. */
export const SEVERITY_LEVELS: readonly Level[] = [
  'emergency',
  'alert',
  'critical',
  'error',
  'warn',
  'notice',
  'info',
  'debug',
];

/** Level of a syslog severity 0..7; '' when out of range or not an integer. */
export function severityToLevel(severity: number): Level | '' {
  return SEVERITY_LEVELS[severity] ?? '';
}

const SPELLINGS: Record<Level, string[]> = {
  trace: ['trace', 'trc', 'finer', 'finest', 'verbose', 'v'],
  debug: ['debug', 'dbg', 'd', 'fine', 'config'],
  info: ['info', 'inf', 'i', 'information', 'informational'],
  notice: ['notice', 'ntc'],
  warn: ['warn', 'warning', 'wrn', 'w'],
  error: ['error', 'err', 'eror', 'e', 'severe'],
  critical: ['critical', 'crit', 'fatal', 'ftl', 'f'],
  alert: ['alert'],
  emergency: ['emergency', 'emerg', 'panic'],
};

const NUMERIC: Record<number, Level> = {
  0: 'emergency',
  1: 'alert',
  2: 'critical',
  3: 'error',
  4: 'warn',
  5: 'notice',
  6: 'info',
  7: 'debug',
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'critical',
};

/**
 * Lookup by exact string. Holds lower-case, UPPER-case and Capitalised spellings so that the
 * common cases hit without allocating a lower-cased copy, plus the numeric strings.
 */
const BY_STRING = new Map<string, Level>();
for (const [level, words] of Object.entries(SPELLINGS) as [Level, string[]][]) {
  for (const w of words) {
    BY_STRING.set(w, level);
    BY_STRING.set(w.toUpperCase(), level);
    BY_STRING.set(w[0]!.toUpperCase() + w.slice(1), level);
  }
}
for (const [n, level] of Object.entries(NUMERIC)) BY_STRING.set(n, level);

/** Longest accepted spelling ('informational'); longer strings are rejected without a lookup. */
const MAX_LEN = 13;

/** Normalises a level of any common spelling or number (see the module header); '' when unknown. */
export function normalizeLevel(v: unknown): Level | '' {
  if (typeof v === 'string') {
    const hit = BY_STRING.get(v);
    if (hit !== undefined) return hit;
    if (v.length === 0 || v.length > MAX_LEN + 8) return '';
    const t = v.trim().toLowerCase();
    if (t.length > MAX_LEN) return '';
    return BY_STRING.get(t) ?? '';
  }
  if (typeof v === 'number') return NUMERIC[v] ?? '';
  return '';
}
