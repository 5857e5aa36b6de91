/**
 * Timestamp parsing and formatting. Every time in logwarden is an integer count of MICROSECONDS since
 * the Unix epoch (see event.ts).
 *
 * `parseTimestamp` accepts, and returns null for anything else (it never throws):
 * - ISO 8601 / RFC 3339: `2024-01-02T03:04:05Z`, `2024-01-02 03:04:05.123456789+02:00`,
 *   `2024-01-02T03:04:05,978` (log4j/Python comma), `2024-01-02T03:04` (no seconds),
 *   `2024-01-02` (midnight). The date/time separator is `T`, `t` or one space. The zone is `Z`,
 *   `±HH:MM`, `±HHMM` or `±HH`, optionally after one space, or the words `UTC`/`GMT`; a missing
 *   zone means UTC. Fractions may have any number of digits; digits beyond microseconds are
 *   truncated (not rounded). A leap second (`:60`) is accepted and lands on the next minute.
 * - Epoch numbers (JS number, bigint or numeric string, optional fraction), unit decided by
 *   magnitude |v|: < 1e11 seconds (up to year 5138), < 1e14 milliseconds, < 1e17 microseconds,
 *   < 1e20 nanoseconds; anything larger is not a time. So milliseconds before 1973-03-03 and
 *   microseconds before 1973-03-03 are read as the next smaller unit: no real log is affected.
 * - Apache / ctime: `Sun Dec 04 04:47:44 2005`, `Sun Dec  4 04:47:44.123456 2005`.
 * - Common Log Format: `10/Oct/2000:13:55:36 -0700`.
 * - RFC 3164 (BSD syslog): `Nov 22 21:00:01` (year inferred, see `parseRfc3164Date`), also with
 *   a fraction or a trailing ` 2005` year.
 * - A JS `Date`.
 * Each textual form may be wrapped in `[...]` and surrounded by whitespace. Times without a zone
 * (ctime, RFC 3164, ISO without offset) are taken as UTC: a source that knows its zone must shift.
 *
 * Parsing is a single left-to-right scan over char codes: no regular expressions, no allocation
 * on the ISO path, no backtracking.
 */

const US_PER_SEC = 1_000_000;
const SEC_PER_DAY = 86_400;

/** Clock skew tolerated when inferring the year of an RFC 3164 timestamp: 1 day. */
export const RFC3164_FUTURE_SKEW_MS = 86_400_000;

/** Days from 1970-01-01 to the given proleptic Gregorian date (month 1..12). H. Hinnant's algorithm. */
function daysFromCivil(y: number, m: number, d: number): number {
  if (m <= 2) y -= 1;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeap(y) ? 29 : MONTH_DAYS[m - 1]!;
}

/** Epoch µs of a validated civil date-time (UTC), or NaN when a component is out of range. */
function civilToUs(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  sec: number,
  fracUs: number,
  offsetSec: number,
): number {
  if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return Number.NaN;
  if (h > 23 || mi > 59 || sec > 60) return Number.NaN;
  const s = daysFromCivil(y, mo, d) * SEC_PER_DAY + h * 3600 + mi * 60 + sec - offsetSec;
  return s * US_PER_SEC + fracUs;
}

/** Value of the two decimal digits at i, or -1. */
function d2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  // Written so that NaN (reading past the end of the string) also fails.
  if (!(a >= 0 && a <= 9 && b >= 0 && b <= 9)) return -1;
  return a * 10 + b;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Packs three ASCII letters, lower-cased, into one int (for month and weekday lookups). */
function key3(s: string, i: number): number {
  return (
    ((s.charCodeAt(i) | 0x20) << 16) | ((s.charCodeAt(i + 1) | 0x20) << 8) | (s.charCodeAt(i + 2) | 0x20)
  );
}

const MONTHS = new Map<number, number>(
  ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((m, i) => [
    key3(m, 0),
    i + 1,
  ]),
);
const WEEKDAYS = new Set<number>(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((d) => key3(d, 0)));

/** Month 1..12 of the English three-letter abbreviation at i (any case), or 0. */
function monthAt(s: string, i: number): number {
  if (i + 3 > s.length) return 0;
  return MONTHS.get(key3(s, i)) ?? 0;
}

// Scratch results of the scanners below (module-level so the hot path allocates nothing).
let scanEnd = 0;
let scanFracUs = 0;

/**
 * Scans `.ddd` or `,ddd` at i (any number of digits). Sets scanFracUs (truncated to µs) and
 * scanEnd. Without a fraction: scanFracUs = 0 and scanEnd = i.
 */
function scanFraction(s: string, i: number, end: number): void {
  scanFracUs = 0;
  scanEnd = i;
  if (i >= end) return;
  const c = s.charCodeAt(i);
  if (c !== 46 /* . */ && c !== 44 /* , */) return;
  let j = i + 1;
  let us = 0;
  let n = 0;
  while (j < end) {
    const dc = s.charCodeAt(j) - 48;
    if (dc < 0 || dc > 9) break;
    if (n < 6) us = us * 10 + dc;
    n++;
    j++;
  }
  if (n === 0) return; // a lone '.' is not a fraction: leave it to the caller to reject
  for (let k = n; k < 6; k++) us *= 10;
  scanFracUs = us;
  scanEnd = j;
}

/**
 * Parses a zone designator spanning exactly [i, end): '', `Z`, `±HH`, `±HHMM`, `±HH:MM`, `UTC`,
 * `GMT`, each optionally after one space. Returns the offset east of UTC in seconds, or NaN.
 */
function parseZone(s: string, i: number, end: number): number {
  if (i === end) return 0;
  if (s.charCodeAt(i) === 32 /* space */) {
    i++;
    if (i === end) return Number.NaN;
  }
  const c = s.charCodeAt(i);
  const n = end - i;
  if ((c === 90 || c === 122) /* Z z */ && n === 1) return 0;
  if (n === 3) {
    const k = key3(s, i);
    if (k === key3('utc', 0) || k === key3('gmt', 0)) return 0;
  }
  if (c !== 43 /* + */ && c !== 45 /* - */) return Number.NaN;
  const hh = d2(s, i + 1);
  if (hh < 0 || hh > 23) return Number.NaN;
  let mm = 0;
  if (n === 3) mm = 0;
  else if (n === 5) mm = d2(s, i + 3);
  else if (n === 6 && s.charCodeAt(i + 3) === 58 /* : */) mm = d2(s, i + 4);
  else return Number.NaN;
  if (mm < 0 || mm > 59) return Number.NaN;
  const off = hh * 3600 + mm * 60;
  return c === 45 ? -off : off;
}

/**
 * Parses an ISO 8601 / RFC 3339 date-time that spans exactly s[start, end) (see the module header
 * for the accepted forms). Returns epoch µs or null. Never throws.
 */
export function parseIso8601(s: string, start = 0, end = s.length): number | null {
  // Fast path, the overwhelmingly common shape: YYYY-MM-DDTHH:MM:SS[.f+]Z
  const n = end - start;
  if (n < 10) return null;
  const y1 = d2(s, start);
  const y2 = d2(s, start + 2);
  if (y1 < 0 || y2 < 0 || s.charCodeAt(start + 4) !== 45 || s.charCodeAt(start + 7) !== 45) return null;
  const mo = d2(s, start + 5);
  const d = d2(s, start + 8);
  if (mo < 0 || d < 0) return null;
  const y = y1 * 100 + y2;
  if (n === 10) {
    const us = civilToUs(y, mo, d, 0, 0, 0, 0, 0);
    return Number.isNaN(us) ? null : us;
  }
  const sep = s.charCodeAt(start + 10);
  if (sep !== 84 /* T */ && sep !== 116 /* t */ && sep !== 32 /* space */) return null;
  if (n < 16 || s.charCodeAt(start + 13) !== 58 /* : */) return null;
  const h = d2(s, start + 11);
  const mi = d2(s, start + 14);
  if (h < 0 || mi < 0) return null;
  let i = start + 16;
  let sec = 0;
  if (i < end && s.charCodeAt(i) === 58 /* : */) {
    if (i + 3 > end) return null;
    sec = d2(s, i + 1);
    if (sec < 0) return null;
    i += 3;
    scanFraction(s, i, end);
    i = scanEnd;
  } else {
    scanFracUs = 0;
  }
  const frac = scanFracUs;
  let off = 0;
  if (i < end) {
    off = parseZone(s, i, end);
    if (Number.isNaN(off)) return null;
  }
  const us = civilToUs(y, mo, d, h, mi, sec, frac, off);
  return Number.isNaN(us) ? null : us;
}

/**
 * Scans `HH:MM:SS[.frac]` at i. Returns seconds of day (sets scanFracUs and scanEnd), or -1.
 */
function scanClock(s: string, i: number, end: number): number {
  if (i + 8 > end || s.charCodeAt(i + 2) !== 58 || s.charCodeAt(i + 5) !== 58) return -1;
  const h = d2(s, i);
  const mi = d2(s, i + 3);
  const sec = d2(s, i + 6);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60) return -1;
  scanFraction(s, i + 8, end);
  return h * 3600 + mi * 60 + sec;
}

// Results of scanMonDayClock.
let scanMonth = 0;
let scanDay = 0;
let scanSecOfDay = 0;

/**
 * Scans `Mmm dd HH:MM:SS[.frac]` at i, where dd is `d`, ` d` (space padded) or `dd`, and the
 * separators may be runs of spaces. Sets scanMonth, scanDay, scanSecOfDay, scanFracUs and scanEnd;
 * returns false when the shape does not match. Validates ranges except day-of-month vs month.
 */
function scanMonDayClock(s: string, i: number, end: number): boolean {
  const mo = i + 3 <= end ? monthAt(s, i) : 0;
  if (mo === 0) return false;
  i += 3;
  if (i >= end || s.charCodeAt(i) !== 32) return false;
  while (i < end && s.charCodeAt(i) === 32) i++;
  let d = 0;
  const start = i;
  while (i < end && i - start < 2 && isDigit(s.charCodeAt(i))) d = d * 10 + s.charCodeAt(i++) - 48;
  if (i === start || d < 1 || d > 31) return false;
  if (i >= end || s.charCodeAt(i) !== 32) return false;
  while (i < end && s.charCodeAt(i) === 32) i++;
  const sod = scanClock(s, i, end);
  if (sod < 0) return false;
  scanMonth = mo;
  scanDay = d;
  scanSecOfDay = sod;
  return true;
}

/**
 * End index of an RFC 3164 timestamp `Mmm dd HH:MM:SS[.frac]` (no year) that starts at start, or -1
 * when there is none. For parsers that must find where the timestamp ends before parsing it with
 * parseRfc3164Date.
 */
export function scanRfc3164Date(s: string, start: number, end = s.length): number {
  return scanMonDayClock(s, start, end) ? scanEnd : -1;
}

/** Scans ` YYYY` at i; returns the year or -1. */
function scanSpaceYear(s: string, i: number, end: number): number {
  if (i + 5 > end || s.charCodeAt(i) !== 32) return -1;
  const a = d2(s, i + 1);
  const b = d2(s, i + 3);
  if (a < 0 || b < 0) return -1;
  return a * 100 + b;
}

// One-entry cache: a batch of lines is parsed with the same nowMs.
let cachedYearMs = Number.NaN;
let cachedYear = 0;

function utcYear(ms: number): number {
  if (ms !== cachedYearMs) {
    cachedYear = new Date(ms).getUTCFullYear();
    cachedYearMs = ms;
  }
  return cachedYear;
}

/**
 * Epoch µs of month/day/second-of-day in `year`, or, when year is -1, in the most recent year
 * that does not put the time more than RFC3164_FUTURE_SKEW_MS after nowMs. Feb 29 goes back to
 * the most recent leap year. NaN when the date does not exist.
 */
function resolveYear(
  year: number,
  mo: number,
  d: number,
  sod: number,
  fracUs: number,
  nowMs: number,
): number {
  if (year >= 0) {
    if (d > daysInMonth(year, mo)) return Number.NaN;
    return (daysFromCivil(year, mo, d) * SEC_PER_DAY + sod) * US_PER_SEC + fracUs;
  }
  if (!Number.isFinite(nowMs)) return Number.NaN;
  const limitUs = (nowMs + RFC3164_FUTURE_SKEW_MS) * 1000;
  let y = utcYear(nowMs + RFC3164_FUTURE_SKEW_MS);
  for (let tries = 0; tries < 9; tries++, y--) {
    if (d > daysInMonth(y, mo)) continue; // Feb 29 in a common year, or Apr 31: try earlier
    const us = (daysFromCivil(y, mo, d) * SEC_PER_DAY + sod) * US_PER_SEC + fracUs;
    if (us <= limitUs) return us;
  }
  return Number.NaN;
}

/**
 * Parses an RFC 3164 timestamp `Mmm dd HH:MM:SS` spanning exactly s[start, end) (day space-padded,
 * zero-padded or single; an optional `.frac`; an optional trailing ` YYYY`). RFC 3164 carries no
 * year and no zone: the time is taken as UTC, and the year is the most recent one that does not put
 * the time in the future of nowMs by more than RFC3164_FUTURE_SKEW_MS (1 day, for clock skew
 * between sender and receiver and for zone differences). So on 2024-01-01 `Dec 31 23:59:59` is
 * 2023-12-31, `Jan  1 00:00:01` is 2024-01-01, and `Jan  2 12:00:00` is 2024-01-02 (within the skew).
 * Returns epoch µs or null. Never throws.
 */
export function parseRfc3164Date(s: string, nowMs: number, start = 0, end = s.length): number | null {
  if (!scanMonDayClock(s, start, end)) return null;
  let i = scanEnd;
  const frac = scanFracUs;
  let year = -1;
  if (i < end) {
    year = scanSpaceYear(s, i, end);
    if (year < 0 || i + 5 !== end) return null;
    i = end;
  }
  const us = resolveYear(year, scanMonth, scanDay, scanSecOfDay, frac, nowMs);
  return Number.isNaN(us) ? null : us;
}

/** Apache/ctime `Www Mmm dd HH:MM:SS[.frac] YYYY` spanning exactly [start, end). */
function parseCtime(s: string, start: number, end: number): number | null {
  if (end - start < 23 || !WEEKDAYS.has(key3(s, start)) || s.charCodeAt(start + 3) !== 32) return null;
  if (!scanMonDayClock(s, start + 4, end)) return null;
  const frac = scanFracUs;
  const year = scanSpaceYear(s, scanEnd, end);
  if (year < 0 || scanEnd + 5 !== end) return null;
  const us = resolveYear(year, scanMonth, scanDay, scanSecOfDay, frac, 0);
  return Number.isNaN(us) ? null : us;
}

/** Common Log Format `dd/Mmm/YYYY:HH:MM:SS[.frac] ±hhmm` spanning exactly [start, end). */
function parseClf(s: string, start: number, end: number): number | null {
  if (end - start < 20 || s.charCodeAt(start + 2) !== 47 || s.charCodeAt(start + 6) !== 47) return null;
  const d = d2(s, start);
  const mo = monthAt(s, start + 3);
  const y1 = d2(s, start + 7);
  const y2 = d2(s, start + 9);
  if (d < 0 || mo === 0 || y1 < 0 || y2 < 0 || s.charCodeAt(start + 11) !== 58) return null;
  const sod = scanClock(s, start + 12, end);
  if (sod < 0) return null;
  const frac = scanFracUs;
  const off = parseZone(s, scanEnd, end);
  if (Number.isNaN(off)) return null;
  const us = civilToUs(y1 * 100 + y2, mo, d, 0, 0, 0, frac, off);
  return Number.isNaN(us) ? null : us + sod * US_PER_SEC;
}

/** Converts an epoch number of unknown unit (decided by magnitude, see the header) to µs. */
function epochNumberToUs(v: number): number | null {
  if (!Number.isFinite(v)) return null;
  const a = Math.abs(v);
  if (a < 1e11) return Math.round(v * 1e6);
  if (a < 1e14) return Math.round(v * 1e3);
  if (a < 1e17) return Math.round(v);
  if (a < 1e20) return Math.floor(v / 1e3);
  return null;
}

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000];

/**
 * A decimal string `[-+]digits[.digits]` spanning [start, end) as epoch µs, exact for every unit
 * (nanosecond strings do not go through a float). null when it is not such a number.
 */
function parseEpochString(s: string, start: number, end: number): number | null {
  let i = start;
  let neg = false;
  const c0 = s.charCodeAt(i);
  if (c0 === 45 || c0 === 43) {
    neg = c0 === 45;
    i++;
  }
  // Leading zeros do not count for the magnitude.
  while (i + 1 < end && s.charCodeAt(i) === 48 && isDigit(s.charCodeAt(i + 1))) i++;
  const intStart = i;
  while (i < end && isDigit(s.charCodeAt(i))) i++;
  const intEnd = i;
  let fracStart = i;
  let fracEnd = i;
  if (i < end && s.charCodeAt(i) === 46) {
    fracStart = ++i;
    while (i < end && isDigit(s.charCodeAt(i))) i++;
    fracEnd = i;
    if (fracEnd === fracStart) return null;
  }
  if (i !== end || intEnd === intStart) return null;
  const digits = intEnd - intStart;
  // Unit by magnitude: 1e11 has 12 digits, 1e14 has 15, 1e17 has 18, 1e20 has 21.
  let fracDigits: number; // how many fraction digits reach down to µs
  let us: number;
  if (digits <= 11) {
    us = Number(s.slice(intStart, intEnd)) * US_PER_SEC;
    fracDigits = 6;
  } else if (digits <= 14) {
    us = Number(s.slice(intStart, intEnd)) * 1000;
    fracDigits = 3;
  } else if (digits <= 17) {
    us = Number(s.slice(intStart, intEnd));
    fracDigits = 0;
  } else if (digits <= 20) {
    us = Number(s.slice(intStart, intEnd - 3)); // truncate ns to µs
    fracDigits = 0;
  } else {
    return null;
  }
  if (fracDigits > 0 && fracEnd > fracStart) {
    const take = Math.min(fracDigits, fracEnd - fracStart);
    us += Number(s.slice(fracStart, fracStart + take)) * POW10[fracDigits - take]!;
  }
  return neg ? -us : us;
}

/**
 * Parses a timestamp of any supported form (see the module header) to epoch microseconds.
 * nowMs (default Date.now()) is only used to infer the year of RFC 3164 timestamps.
 * Returns null when v is not a time. Never throws.
 */
export function parseTimestamp(v: unknown, nowMs?: number): number | null {
  if (typeof v === 'string') return parseTimestampString(v, nowMs);
  if (typeof v === 'number') return epochNumberToUs(v);
  if (typeof v === 'bigint') {
    const a = v < 0n ? -v : v;
    if (a < 100_000_000_000_000_000n) return epochNumberToUs(Number(v));
    if (a < 100_000_000_000_000_000_000n) return Number(v / 1000n);
    return null;
  }
  if (v instanceof Date) {
    const ms = v.getTime();
    return Number.isNaN(ms) ? null : ms * 1000;
  }
  return null;
}

function parseTimestampString(s: string, nowMs: number | undefined): number | null {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 32) start++;
  while (end > start && s.charCodeAt(end - 1) <= 32) end--;
  if (end - start >= 2 && s.charCodeAt(start) === 91 /* [ */ && s.charCodeAt(end - 1) === 93 /* ] */) {
    start++;
    end--;
  }
  if (end - start < 1 || end - start > 64) return null;
  const c = s.charCodeAt(start);
  if (isDigit(c)) {
    // Most specific shapes first; each check is a few char comparisons.
    if (end - start >= 10 && s.charCodeAt(start + 4) === 45) return parseIso8601(s, start, end);
    if (s.charCodeAt(start + 2) === 47 /* / */) return parseClf(s, start, end);
    return parseEpochString(s, start, end);
  }
  if (c === 45 || c === 43) return parseEpochString(s, start, end);
  if ((c | 0x20) >= 97 && (c | 0x20) <= 122) {
    if (end - start >= 4 && s.charCodeAt(start + 3) === 32 && WEEKDAYS.has(key3(s, start))) {
      return parseCtime(s, start, end);
    }
    return parseRfc3164Date(s, nowMs ?? Date.now(), start, end);
  }
  return null;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * Formats epoch µs as RFC 3339 in UTC with exactly six fraction digits and `Z`:
 * `2024-01-02T03:04:05.123456Z`. Years beyond 9999 use the extended `+YYYYYY` form of
 * Date#toISOString. us must be a finite number (a non-integer is floored); anything else is a
 * bug in the caller and throws a RangeError.
 */
export function formatTimestamp(us: number): string {
  if (!Number.isFinite(us)) throw new RangeError(`BUG: formatTimestamp of ${us}`);
  const t = Math.floor(us);
  const ms = Math.floor(t / 1000);
  const iso = new Date(ms).toISOString(); // ...THH:MM:SS.mmmZ
  const fracUs = t - Math.floor(t / US_PER_SEC) * US_PER_SEC;
  return iso.slice(0, iso.length - 5) + '.' + pad(fracUs, 6) + 'Z';
}
