/**
 * Finds the timestamp a plain-text log line starts with, for the text path of normalize.ts.
 *
 * Only the start of the line is looked at, with a few char-code comparisons to pick the layout;
 * no regular expressions, and no allocation except one short slice for bracketed and ctime forms.
 * Layouts:
 * | layout      | example                                   | seen in                        |
 * |-------------|-------------------------------------------|--------------------------------|
 * | `iso`       | `2015-10-18 18:01:47,978`, `...T...Z`     | log4j, logback, Hadoop, Python |
 * | `ymd-slash` | `2024/01/02 15:04:05[.frac]`              | Go `log`                       |
 * | `yy-slash`  | `17/06/09 20:10:40`                       | Spark (log4j `yy/MM/dd`)       |
 * | `yymmdd`    | `081109 203615`                           | HDFS                           |
 * | `compact`   | `20171223-22:15:29:606`, `20171224-0:0:5:11` | HealthApp                   |
 * | `month-day` | `03-17 16:13:38.811`                      | Android logcat threadtime      |
 * | `bsd`       | `Jul  1 09:00:55`, `Jul  1 09:00:55 2005` | BSD syslog files without PRI   |
 * | `ctime`     | `Sun Dec 04 04:47:44 2005`                | ctime                          |
 * | `bracketed` | `[Sun Dec 04 04:47:44 2005]`, `[10/Oct/2000:13:55:36 -0700]`, `[2024-01-02 ...]`, `[10.30 16:49:06]` | Apache error log, CLF, Proxifier |
 *
 * Conventions (as src/core/time.ts): a time without a zone is UTC; a layout without a year takes
 * the most recent year that does not put the time more than RFC3164_FUTURE_SKEW_MS after nowMs; a
 * two-digit year YY is 20YY unless that is more than a year in the future of nowMs, then 19YY.
 * A timestamp must end at the end of the line or before a character that is not a letter or digit
 * (`2024-01-02 10:00:00|x` matches, `081109 2036150` does not). Never throws.
 */

import {
  parseIso8601,
  parseRfc3164Date,
  parseTimestamp,
  RFC3164_FUTURE_SKEW_MS,
  scanRfc3164Date,
} from '../core/time.ts';

export type TimeLayout =
  | 'iso'
  | 'ymd-slash'
  | 'yy-slash'
  | 'yymmdd'
  | 'compact'
  | 'month-day'
  | 'bsd'
  | 'ctime'
  | 'bracketed';

/** Result of parseTimePrefix; the caller owns it and may reuse one object for every line. */
export interface TimePrefix {
  /** Epoch microseconds. */
  us: number;
  /** Index in the line just after the timestamp (after the `]` of a bracketed one). */
  end: number;
  layout: TimeLayout;
}

/** A TimePrefix to reuse. */
export function newTimePrefix(): TimePrefix {
  return { us: 0, end: 0, layout: 'iso' };
}

const MAX_BRACKET = 48;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeap(y) ? 29 : MONTH_DAYS[m - 1]!;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Value of the two decimal digits at i, or -1 (also past the end of s). */
function d2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  if (!(a >= 0 && a <= 9 && b >= 0 && b <= 9)) return -1;
  return a * 10 + b;
}

/** True when i is the end of s or a character that cannot continue a timestamp token. */
function boundary(s: string, i: number): boolean {
  if (i >= s.length) return true;
  const c = s.charCodeAt(i);
  if (isDigit(c)) return false;
  const l = c | 0x20;
  return !(l >= 97 && l <= 122);
}

// Scratch results of the scanners (module-level: the hot path allocates nothing).
let clockSec = 0;
let clockEnd = 0;
let fracUs = 0;

/** Scans `HH:MM:SS` at i; sets clockSec and clockEnd. */
function scanClock(s: string, i: number): boolean {
  if (s.charCodeAt(i + 2) !== 58 || s.charCodeAt(i + 5) !== 58) return false;
  const h = d2(s, i);
  const mi = d2(s, i + 3);
  const sec = d2(s, i + 6);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60) return false;
  clockSec = h * 3600 + mi * 60 + sec;
  clockEnd = i + 8;
  return true;
}

/** Scans an optional fraction: `sep` followed by digits (truncated to µs); returns the end. */
function scanFraction(s: string, i: number, sep1: number, sep2: number): number {
  fracUs = 0;
  const c = s.charCodeAt(i);
  if (c !== sep1 && c !== sep2) return i;
  let j = i + 1;
  let us = 0;
  let n = 0;
  while (j < s.length && j - i <= 12) {
    const dc = s.charCodeAt(j) - 48;
    if (dc < 0 || dc > 9) break;
    if (n < 6) us = us * 10 + dc;
    n++;
    j++;
  }
  if (n === 0) return i;
  for (let k = n; k < 6; k++) us *= 10;
  fracUs = us;
  return j;
}

/** Epoch µs of a civil UTC date and second of day, or NaN when the date does not exist. */
function civilUs(y: number, mo: number, d: number, sod: number, frac: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return Number.NaN;
  return (Date.UTC(y, mo - 1, d) / 1000 + sod) * 1_000_000 + frac;
}

// The year that the last lookup fell in, as a range of epoch ms: receive times are close together.
let yearStartMs = 0;
let yearEndMs = -1;
let cachedYear = 0;

/** UTC year of epoch ms (finite). */
function utcYear(ms: number): number {
  if (ms >= yearStartMs && ms < yearEndMs) return cachedYear;
  const y = new Date(ms).getUTCFullYear();
  cachedYear = y;
  yearStartMs = Date.UTC(y, 0, 1);
  yearEndMs = Date.UTC(y + 1, 0, 1);
  return y;
}

/** The most recent year putting month/day/sod no later than nowMs + skew (as core/time.ts). */
function yearlessUs(mo: number, d: number, sod: number, frac: number, nowMs: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || !Number.isFinite(nowMs)) return Number.NaN;
  const limitUs = (nowMs + RFC3164_FUTURE_SKEW_MS) * 1000;
  let y = utcYear(nowMs + RFC3164_FUTURE_SKEW_MS);
  for (let tries = 0; tries < 9; tries++, y--) {
    if (d > daysInMonth(y, mo)) continue; // Feb 29 outside a leap year
    const us = civilUs(y, mo, d, sod, frac);
    if (us <= limitUs) return us;
  }
  return Number.NaN;
}

function twoDigitYear(yy: number, nowMs: number): number {
  const y = 2000 + yy;
  return Number.isFinite(nowMs) && y > utcYear(nowMs) + 1 ? y - 100 : y;
}

function done(out: TimePrefix, us: number, end: number, layout: TimeLayout): boolean {
  if (Number.isNaN(us)) return false;
  out.us = us;
  out.end = end;
  out.layout = layout;
  return true;
}

/** `YYYY-MM-DD[T ]HH:MM[:SS[.frac]][Z|±HH[:]MM| ±HHMM]` or `YYYY-MM-DD` alone. */
function isoPrefix(s: string, out: TimePrefix): boolean {
  if (d2(s, 0) < 0 || d2(s, 2) < 0 || s.charCodeAt(7) !== 45 || d2(s, 5) < 0 || d2(s, 8) < 0) return false;
  const sep = s.charCodeAt(10);
  let end = 10;
  if (
    (sep === 84 || sep === 116 || sep === 32) &&
    s.charCodeAt(13) === 58 &&
    d2(s, 11) >= 0 &&
    d2(s, 14) >= 0
  ) {
    end = 16;
    if (s.charCodeAt(16) === 58 && d2(s, 17) >= 0) end = scanFraction(s, 19, 46, 44);
    const z = s.charCodeAt(end);
    if (z === 90 || z === 122) end++;
    else if (z === 43 || z === 45) end = zoneEnd(s, end + 1, end);
    else if (z === 32 && (s.charCodeAt(end + 1) === 43 || s.charCodeAt(end + 1) === 45)) {
      // ` +0200` after a space: only when digits follow (`... - INFO` is not a zone)
      end = zoneEnd(s, end + 2, end);
    }
  }
  if (!boundary(s, end)) return false;
  const us = parseIso8601(s, 0, end);
  return us !== null && done(out, us, end, 'iso');
}

/** End of `HH[[:]MM]` starting at i (the sign is before i), or fallback when absent. */
function zoneEnd(s: string, i: number, fallback: number): number {
  if (d2(s, i) < 0) return fallback;
  if (s.charCodeAt(i + 2) === 58) return d2(s, i + 3) >= 0 ? i + 5 : fallback;
  return d2(s, i + 2) >= 0 ? i + 4 : i + 2;
}

/** `YYYY/MM/DD HH:MM:SS[.frac]` (Go) */
function ymdSlashPrefix(s: string, out: TimePrefix): boolean {
  const y1 = d2(s, 0);
  const y2 = d2(s, 2);
  const mo = d2(s, 5);
  const d = d2(s, 8);
  if (y1 < 0 || y2 < 0 || mo < 0 || d < 0 || s.charCodeAt(7) !== 47 || s.charCodeAt(10) !== 32) return false;
  if (!scanClock(s, 11)) return false;
  const end = scanFraction(s, clockEnd, 46, 44);
  if (!boundary(s, end)) return false;
  return done(out, civilUs(y1 * 100 + y2, mo, d, clockSec, fracUs), end, 'ymd-slash');
}

/** `YY/MM/DD HH:MM:SS[.frac]` (Spark) */
function yySlashPrefix(s: string, nowMs: number, out: TimePrefix): boolean {
  const yy = d2(s, 0);
  const mo = d2(s, 3);
  const d = d2(s, 6);
  if (yy < 0 || mo < 0 || d < 0 || s.charCodeAt(5) !== 47 || s.charCodeAt(8) !== 32) return false;
  if (!scanClock(s, 9)) return false;
  const end = scanFraction(s, clockEnd, 46, 44);
  if (!boundary(s, end)) return false;
  return done(out, civilUs(twoDigitYear(yy, nowMs), mo, d, clockSec, fracUs), end, 'yy-slash');
}

/** `YYMMDD HHMMSS` (HDFS) */
function yymmddPrefix(s: string, nowMs: number, out: TimePrefix): boolean {
  const yy = d2(s, 0);
  const mo = d2(s, 2);
  const d = d2(s, 4);
  const h = d2(s, 7);
  const mi = d2(s, 9);
  const sec = d2(s, 11);
  if (yy < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0) return false;
  if (h > 23 || mi > 59 || sec > 60 || !boundary(s, 13)) return false;
  return done(out, civilUs(twoDigitYear(yy, nowMs), mo, d, h * 3600 + mi * 60 + sec, 0), 13, 'yymmdd');
}

let numVal = 0;

/** Scans 1..max decimal digits at i; sets numVal and returns the end, or -1 without a digit. */
function scanNum(s: string, i: number, max: number): number {
  let v = 0;
  let j = i;
  while (j - i < max) {
    const dc = s.charCodeAt(j) - 48;
    if (!(dc >= 0 && dc <= 9)) break;
    v = v * 10 + dc;
    j++;
  }
  numVal = v;
  return j === i ? -1 : j;
}

/**
 * `YYYYMMDD-H:m:s[:SSS]` (HealthApp, Java `yyyyMMdd-H:m:s:S`): hour, minute and second may be
 * unpadded, and the last field is an integer count of milliseconds (`:11` is 11 ms, not 110);
 * `.frac` is also accepted.
 */
function compactPrefix(s: string, out: TimePrefix): boolean {
  const y1 = d2(s, 0);
  const y2 = d2(s, 2);
  const mo = d2(s, 4);
  const d = d2(s, 6);
  if (y1 < 0 || y2 < 0 || mo < 0 || d < 0) return false;
  let i = scanNum(s, 9, 2);
  const h = numVal;
  if (i < 0 || s.charCodeAt(i) !== 58) return false;
  i = scanNum(s, i + 1, 2);
  const mi = numVal;
  if (i < 0 || s.charCodeAt(i) !== 58) return false;
  i = scanNum(s, i + 1, 2);
  const sec = numVal;
  if (i < 0 || h > 23 || mi > 59 || sec > 60) return false;
  let frac = 0;
  if (s.charCodeAt(i) === 58 && isDigit(s.charCodeAt(i + 1))) {
    i = scanNum(s, i + 1, 3);
    frac = numVal * 1000;
  } else {
    i = scanFraction(s, i, 46, 46);
    frac = fracUs;
  }
  if (!boundary(s, i)) return false;
  return done(out, civilUs(y1 * 100 + y2, mo, d, h * 3600 + mi * 60 + sec, frac), i, 'compact');
}

/** `MM-DD HH:MM:SS[.frac]` (Android logcat), or `MM.DD HH:MM:SS` (Proxifier) with sep 46. */
function monthDayPrefix(s: string, start: number, sep: number, nowMs: number, out: TimePrefix): boolean {
  const mo = d2(s, start);
  const d = d2(s, start + 3);
  if (mo < 0 || d < 0 || s.charCodeAt(start + 2) !== sep || s.charCodeAt(start + 5) !== 32) return false;
  if (!scanClock(s, start + 6)) return false;
  const end = scanFraction(s, clockEnd, 46, 44);
  if (!boundary(s, end)) return false;
  return done(out, yearlessUs(mo, d, clockSec, fracUs, nowMs), end, 'month-day');
}

/** `Mmm dd HH:MM:SS[.frac][ YYYY]` starting at start. */
function bsdPrefix(s: string, start: number, nowMs: number, out: TimePrefix, layout: TimeLayout): boolean {
  let end = scanRfc3164Date(s, start);
  if (end < 0) return false;
  if (s.charCodeAt(end) === 32 && d2(s, end + 1) >= 0 && d2(s, end + 3) >= 0 && boundary(s, end + 5))
    end += 5;
  else if (layout === 'ctime') return false;
  if (!boundary(s, end)) return false;
  const us = parseRfc3164Date(s, nowMs, start, end);
  return us !== null && done(out, us, end, layout);
}

const WEEKDAYS = new Set(['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']);

/** `[...]` holding any timestamp parseTimestamp knows, or Proxifier's `[MM.DD HH:MM:SS]`. */
function bracketedPrefix(s: string, nowMs: number, out: TimePrefix): boolean {
  const c1 = s.charCodeAt(1);
  if (!isDigit(c1) && !((c1 | 0x20) >= 97 && (c1 | 0x20) <= 122)) return false;
  const close = s.indexOf(']', 2);
  if (close < 0 || close > MAX_BRACKET) return false;
  if (isDigit(c1) && s.charCodeAt(3) === 46) {
    return (
      monthDayPrefix(s, 1, 46, nowMs, out) && out.end === close && done(out, out.us, close + 1, 'bracketed')
    );
  }
  const us = parseTimestamp(s.slice(1, close), nowMs);
  // A bare number in brackets (`[123]`, a pid or a counter) is not taken as an epoch time.
  if (us === null || (isDigit(c1) && !(s.charCodeAt(3) === 47 || s.charCodeAt(5) === 45))) return false;
  return done(out, us, close + 1, 'bracketed');
}

/**
 * Parses the timestamp at the very start of line (no leading blanks). On success fills out and
 * returns true; otherwise returns false and leaves out unspecified. nowMs is the reference for
 * layouts without a year or with a two-digit year (pass the receive time).
 */
export function parseTimePrefix(line: string, nowMs: number, out: TimePrefix): boolean {
  const c0 = line.charCodeAt(0);
  if (isDigit(c0)) {
    if (!isDigit(line.charCodeAt(1))) return false;
    const c2 = line.charCodeAt(2);
    if (c2 === 45 /* - */) return monthDayPrefix(line, 0, 45, nowMs, out);
    if (c2 === 47 /* / */) return yySlashPrefix(line, nowMs, out);
    const c4 = line.charCodeAt(4);
    if (c4 === 45) return isoPrefix(line, out);
    if (c4 === 47) return ymdSlashPrefix(line, out);
    if (line.charCodeAt(6) === 32) return yymmddPrefix(line, nowMs, out);
    if (line.charCodeAt(8) === 45) return compactPrefix(line, out);
    return false;
  }
  if (c0 === 91 /* [ */) return bracketedPrefix(line, nowMs, out);
  if (c0 >= 65 && c0 <= 90 && line.charCodeAt(3) === 32) {
    // ctime: the weekday is not checked against the date
    if (WEEKDAYS.has(line.slice(0, 3))) return bsdPrefix(line, 4, nowMs, out, 'ctime');
    return bsdPrefix(line, 0, nowMs, out, 'bsd');
  }
  return false;
}
