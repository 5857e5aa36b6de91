/**
 * Time literals inside queries: durations (`15m`, `1h30m`), relative instants (`now`, `-1h`,
 * `now-1h`), absolute instants (RFC 3339 / ISO 8601 with or without a zone, no zone = UTC; dates
 * `2026-11-22`) and Unix epoch numbers (seconds, milliseconds, microseconds or nanoseconds, told
 * apart by magnitude).
 *
 * Every result is integer microseconds since the Unix epoch. Functions here are pure: they return
 * `null` for text they cannot read and leave error reporting (with a query position) to the parser.
 */

const US_PER_MS = 1_000;
const US_PER_S = 1_000_000;

/** Microseconds per duration unit. `ms` is listed before `m` so the longest unit wins. */
const DURATION_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['ms', US_PER_MS],
  ['s', US_PER_S],
  ['m', 60 * US_PER_S],
  ['h', 3_600 * US_PER_S],
  ['d', 86_400 * US_PER_S],
  ['w', 7 * 86_400 * US_PER_S],
];

const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/;
const DURATION_PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;

/**
 * Parses a duration such as `15m`, `1h30m`, `1.5h`, `7d`, `2w` or `500ms` into microseconds.
 * Returns null for anything else (no sign, no spaces, at least one number+unit part).
 */
export function parseDuration(text: string): number | null {
  if (!DURATION_RE.test(text)) return null;
  let total = 0;
  for (const m of text.matchAll(DURATION_PART_RE)) {
    const unit = DURATION_UNITS.find((u) => u[0] === m[2]);
    if (unit === undefined) return null;
    total += Number(m[1]) * unit[1];
  }
  return Number.isFinite(total) ? Math.round(total) : null;
}

/** An instant read from a literal, with the length of the period the literal names. */
export interface TimeLiteral {
  /** Epoch microseconds of the start of the named period. */
  us: number;
  /**
   * Length in microseconds of the period the literal names: a date names a day (86,400,000,000),
   * `10:00` a minute, `10:00:00.5` a tenth of a second, `now` and `-1h` a single microsecond. An
   * inclusive upper bound uses `us + precision - 1`, so `[2026-11-01, 2026-11-30]` covers all of
   * November 30.
   */
  precision: number;
}

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;
const EPOCH_RE = /^(\d+)(?:\.(\d+))?$/;
const RELATIVE_RE = /^(now)?(?:([+-])(.+))?$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Epoch milliseconds of a UTC calendar date and time; valid for every year 0000-9999. */
function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, s));
  date.setUTCFullYear(y);
  return date.getTime();
}

function parseIso(text: string): TimeLiteral | null {
  const m = ISO_RE.exec(text);
  if (m === null) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return null;
  const hasTime = m[4] !== undefined;
  const h = hasTime ? Number(m[4]) : 0;
  const mi = hasTime ? Number(m[5]) : 0;
  // A leap second (:60) is read as :59, as most log tooling does.
  const s = m[6] !== undefined ? Math.min(Number(m[6]), 59) : 0;
  if (h > 23 || mi > 59 || s > 59) return null;
  let offsetMin = 0;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return null;
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const frac = m[7] ?? '';
  // Digits past the sixth (nanoseconds) are truncated: times are kept in microseconds.
  const fracUs = frac === '' ? 0 : Number(frac.slice(0, 6).padEnd(6, '0'));
  const us = (utcMs(y, mo, d, h, mi, s) - offsetMin * 60_000) * US_PER_MS + fracUs;
  let precision: number;
  if (!hasTime) precision = 86_400 * US_PER_S;
  else if (m[6] === undefined) precision = 60 * US_PER_S;
  else if (frac === '') precision = US_PER_S;
  else precision = 10 ** Math.max(0, 6 - frac.length);
  return { us, precision };
}

function parseEpoch(text: string): TimeLiteral | null {
  const m = EPOCH_RE.exec(text);
  if (m === null) return null;
  const int = Number(m[1]);
  const value = Number(text);
  if (!Number.isFinite(value)) return null;
  // Seconds until the year 5138, then milliseconds, microseconds, nanoseconds.
  let unitUs: number;
  if (int < 1e11) unitUs = US_PER_S;
  else if (int < 1e14) unitUs = US_PER_MS;
  else if (int < 1e17) unitUs = 1;
  else unitUs = 1e-3;
  const fracDigits = m[2]?.length ?? 0;
  const precision = Math.max(1, Math.round(unitUs / 10 ** fracDigits));
  return { us: Math.floor(value * unitUs), precision };
}

/**
 * Parses an instant: `now`, `now-1h`, `now+30m`, `-1h` (= now-1h), an RFC 3339 / ISO 8601 time
 * (`2026-11-22T10:00:00Z`, `2026-11-22T10:00:00.123+09:00`, `2026-11-22 10:00`, no zone = UTC), a
 * date (`2026-11-22`, the start of that UTC day) or a Unix epoch number (`1763805600` seconds,
 * `1763805600000` ms, 16 digits µs, 19 digits ns). `nowMs` is the current time in epoch ms.
 * Returns null for anything else.
 */
export function parseTimeLiteral(text: string, nowMs: number): TimeLiteral | null {
  const rel = RELATIVE_RE.exec(text);
  if (rel !== null && (rel[1] !== undefined || rel[2] === '-')) {
    const nowUs = Math.round(nowMs * US_PER_MS);
    if (rel[2] === undefined) return { us: nowUs, precision: 1 };
    const d = parseDuration(rel[3]!);
    if (d === null) return null;
    return { us: rel[2] === '-' ? nowUs - d : nowUs + d, precision: 1 };
  }
  return parseIso(text) ?? parseEpoch(text);
}

/**
 * Clamps epoch microseconds to the range a JavaScript number holds exactly (years 1685 to 2255),
 * the range of the event model; a bound further out means the same as the clamped one.
 */
export function clampUs(us: number): number {
  return Math.min(Number.MAX_SAFE_INTEGER, Math.max(-Number.MAX_SAFE_INTEGER, us));
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * Formats epoch microseconds as RFC 3339 UTC with six fractional digits
 * (`2026-11-22T10:00:00.000000Z`), which `parseTimeLiteral` reads back to the same integer.
 * Years outside 0000-9999 are not representable in RFC 3339; they are printed as epoch
 * microseconds only when they are large enough to be read back as microseconds (>= 1e14).
 */
export function formatTimeLiteral(us: number): string {
  const ms = Math.floor(us / US_PER_MS);
  const fracUs = us - ms * US_PER_MS;
  const date = new Date(ms);
  const y = date.getUTCFullYear();
  if (y < 0 || y > 9999 || Number.isNaN(y)) return String(us);
  const micro = date.getUTCMilliseconds() * US_PER_MS + fracUs;
  return (
    `${pad(y, 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}` +
    `T${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}` +
    `.${pad(micro, 6)}Z`
  );
}
