/**
 * `date`: parses a time field and sets `_time` (or `target`). `{"date": {"field": "timestamp",
 * "formats": ["yyyy-MM-dd HH:mm:ss,SSS", "ISO8601"], "timezone": "Asia/Seoul", "locale": "ko"}}`.
 * Formats are tried in order; the first that matches the whole value wins. Format names:
 * - `ISO8601` (RFC 3339 and ISO 8601 forms), `UNIX` (seconds, fractions allowed), `UNIX_MS`,
 *   `UNIX_US`, `AUTO` (anything `parseTimestamp` reads: ISO, RFC 3164, CLF, ctime, epochs);
 * - or a pattern of Java/Joda-style letters: `yyyy` `yy` (20yy), `M` `MM` (month number), `MMM`
 *   `MMMM` (month name in `locale`), `d` `dd`, `H` `HH` (0-23), `h` `hh` with `a` (AM/PM in
 *   `locale`), `m` `mm`, `s` `ss`, `S...` (n letters: up to n digits of a fraction with n digits;
 *   `SSS` = milliseconds, `SSSSSS` = microseconds), `EEE` `EEEE` (day name, checked only for
 *   shape), `Z` `XXX` (offset `Z`, `+09:00`, `+0900`), `z` (zone abbreviation; only UTC/GMT are
 *   understood). Text in single quotes and any other character are literal; one space also
 *   accepts two (syslog pads days: `Jul  1`).
 * A value without a zone is read in `timezone` (IANA name, default UTC, DST handled); a pattern
 * without a year takes the latest year that puts the time no more than a day after the event's
 * ingest time. A value no format reads is an error and `_time` keeps its value.
 */
import { utcOffsetMs, zoneFormatter } from '../core/tz.ts';
import { z } from 'zod';
import { parseIso8601, parseTimestamp } from '../core/time.ts';
import { fieldAccessor } from './event-fields.ts';
import { field } from './options.ts';
import { defineProcessor } from './processor-def.ts';

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  us: number;
  pm: number;
  offsetMin: number | null;
}

type Setter = (p: Parts, s: string) => void;

export type DateParser = (s: string, ingestUs: number) => number | null;

/** The zone's offset from UTC at an instant, in minutes. */
function zoneOffsetMin(fmt: Intl.DateTimeFormat, utcMs: number): number {
  return Math.round(utcOffsetMs(fmt, utcMs) / 60_000);
}

function localNames(locale: string, style: 'short' | 'long'): string[] {
  const f = new Intl.DateTimeFormat(locale, { month: style, timeZone: 'UTC' });
  return Array.from({ length: 12 }, (_, m) => f.format(new Date(Date.UTC(2024, m, 15))).replace(/\.$/, ''));
}

function escapeRe(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** Compiles a letter pattern into a parser; throws an Error for an unsupported letter. */
export function compileDatePattern(
  pattern: string,
  locale: string,
  zone: Intl.DateTimeFormat | null,
): DateParser {
  const setters: Setter[] = [];
  let re = '^';
  let hasYear = false;
  const group = (src: string, set: Setter) => {
    re += `(${src})`;
    setters.push(set);
  };
  const monthNames = new Map<string, number>();
  for (const style of ['short', 'long'] as const) {
    for (const l of [locale, 'en'])
      localNames(l, style).forEach((n, i) => {
        monthNames.set(n.toLowerCase(), i + 1);
      });
  }
  const monthAlt = [...monthNames.keys()]
    .sort((a, b) => b.length - a.length)
    .map(escapeRe)
    .join('|');
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    let n = 1;
    while (pattern[i + n] === c) n++;
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end < 0) throw new Error('unclosed quote in the date pattern');
      re += end === i + 1 ? "'" : escapeRe(pattern.slice(i + 1, end));
      i = end + 1;
      continue;
    }
    i += n;
    const num = (max: number) => (n >= 2 ? `\\d{${n}}` : `\\d{1,${max}}`);
    switch (c) {
      case 'y':
        hasYear = true;
        if (n === 2) group('\\d{2}', (p, s) => (p.year = 2000 + Number(s)));
        else group('\\d{4}', (p, s) => (p.year = Number(s)));
        break;
      case 'M':
        if (n <= 2) group(num(2), (p, s) => (p.month = Number(s)));
        else group(monthAlt, (p, s) => (p.month = monthNames.get(s.toLowerCase()) ?? 0));
        break;
      case 'd':
        group(n >= 2 ? '\\d{2}| \\d' : '\\d{1,2}', (p, s) => (p.day = Number(s.trim())));
        break;
      case 'H':
      case 'h':
        group(num(2), (p, s) => (p.hour = Number(s)));
        break;
      case 'm':
        group(num(2), (p, s) => (p.minute = Number(s)));
        break;
      case 's':
        group(num(2), (p, s) => (p.second = Number(s)));
        break;
      case 'S': {
        const scale = 10 ** (6 - Math.min(n, 6));
        group(`\\d{1,${n}}`, (p, s) => (p.us = Math.round(Number(s.slice(0, 6)) * scale)));
        break;
      }
      case 'a':
        group('[AaPp]\\.?[Mm]\\.?|오전|오후', (p, s) => (p.pm = /^[Pp]|오후/.test(s) ? 1 : 2));
        break;
      case 'E':
        re += '[^\\s,]+';
        break;
      case 'Z':
      case 'X':
      case 'x':
        group('Z|[+-]\\d{2}:?\\d{2}', (p, s) => {
          p.offsetMin =
            s === 'Z' ? 0 : (s[0] === '-' ? -1 : 1) * (Number(s.slice(1, 3)) * 60 + Number(s.slice(-2)));
        });
        break;
      case 'z':
        group('[A-Za-z]{1,5}', (p, s) => {
          if (s === 'UTC' || s === 'GMT' || s === 'Z') p.offsetMin = 0;
        });
        break;
      default:
        if (/[A-Za-z]/.test(c)) throw new Error(`unsupported letter "${c}" in the date pattern`);
        re += c === ' ' ? ' {1,2}'.repeat(n) : escapeRe(c.repeat(n));
    }
  }
  const rx = new RegExp(`${re}$`, 'i');
  const offsets = new Map<number, number>();
  // one scratch record per parser: parsing is synchronous and nothing keeps it
  const p: Parts = {
    year: 0,
    month: 1,
    day: 1,
    hour: 0,
    minute: 0,
    second: 0,
    us: 0,
    pm: 0,
    offsetMin: null,
  };
  const toUs = (year: number) => {
    const wallMs = Date.UTC(year, p.month - 1, p.day, p.hour, p.minute, p.second);
    let off = p.offsetMin;
    if (off === null && zone !== null) {
      // zone offsets change on (at most) hour boundaries: cache them per wall-clock hour
      const hourKey = Math.floor(wallMs / 3_600_000);
      off = offsets.get(hourKey) ?? null;
      if (off === null) {
        off = zoneOffsetMin(zone, wallMs);
        off = zoneOffsetMin(zone, wallMs - off * 60_000);
        if (offsets.size >= 4096) offsets.clear();
        offsets.set(hourKey, off);
      }
    }
    return (wallMs - (off ?? 0) * 60_000) * 1000 + p.us;
  };
  return (s, ingestUs) => {
    const m = rx.exec(s);
    if (m === null) return null;
    p.year = 0;
    p.month = 1;
    p.day = 1;
    p.hour = 0;
    p.minute = 0;
    p.second = 0;
    p.us = 0;
    p.pm = 0;
    p.offsetMin = null;
    for (let i = 0; i < setters.length; i++) setters[i]!(p, m[i + 1]!);
    if (
      p.month < 1 ||
      p.month > 12 ||
      p.day < 1 ||
      p.day > 31 ||
      p.hour > 23 ||
      p.minute > 59 ||
      p.second > 60
    ) {
      return null;
    }
    if (p.pm === 1 && p.hour < 12) p.hour += 12;
    else if (p.pm === 2 && p.hour === 12) p.hour = 0;
    if (hasYear) return toUs(p.year);
    const limit = ingestUs + 86_400_000_000;
    let y = new Date(limit / 1000).getUTCFullYear();
    let t = toUs(y);
    while (t > limit) t = toUs(--y);
    return t;
  };
}

const NAMED: Record<string, DateParser> = {
  ISO8601: (s) => parseIso8601(s),
  AUTO: (s, ingestUs) => parseTimestamp(s, ingestUs / 1000),
  UNIX: (s) => (/^\d+(?:\.\d+)?$/.test(s) ? Math.round(Number(s) * 1e6) : null),
  UNIX_MS: (s) => (/^\d+(?:\.\d+)?$/.test(s) ? Math.round(Number(s) * 1e3) : null),
  UNIX_US: (s) => (/^\d+$/.test(s) ? Number(s) : null),
};

export const date = defineProcessor({
  name: 'date',
  schema: z.strictObject({
    field: field.default('timestamp'),
    formats: z.array(z.string().min(1)).min(1, 'list at least one format'),
    timezone: z.string().default('UTC'),
    locale: z.string().default('en'),
    target: field.default('_time'),
    remove_field: z.boolean().default(false),
  }),
  build(o, ctx) {
    let zone: Intl.DateTimeFormat | null = null;
    if (o.timezone !== 'UTC') {
      try {
        zone = zoneFormatter(o.timezone);
      } catch {
        ctx.fail('timezone', `unknown time zone "${o.timezone}" (use an IANA name such as Europe/Paris)`);
      }
    }
    try {
      new Intl.DateTimeFormat(o.locale);
    } catch {
      ctx.fail('locale', `unknown locale "${o.locale}"`);
    }
    const parsers = o.formats.map((f, i) => {
      const named = NAMED[f];
      if (named !== undefined) return named;
      try {
        return compileDatePattern(f, o.locale, zone);
      } catch (err) {
        return ctx.fail(`formats[${i}]`, (err as Error).message);
      }
    });
    const src = fieldAccessor(o.field);
    const to = fieldAccessor(o.target);
    const toTime = o.target === '_time';
    return {
      name: 'date',
      process(ev) {
        const v = src.get(ev);
        if (v === undefined) return true;
        const s = typeof v === 'string' ? v.trim() : String(v);
        for (const p of parsers) {
          const us = p(s, ev._ingest_time);
          if (us === null || !Number.isFinite(us)) continue;
          if (toTime) ev._time = us;
          else to.set(ev, new Date(Math.floor(us / 1000)).toISOString());
          if (o.remove_field) src.remove(ev);
          return true;
        }
        throw new Error(`${o.field}="${s.slice(0, 60)}" matches none of the date formats`);
      },
    };
  },
});
