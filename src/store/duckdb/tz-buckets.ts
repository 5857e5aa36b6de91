/**
 * Time buckets in a time zone, as integer SQL over epoch microseconds (the `tz` of a search).
 *
 * A bucket starts where the local clock shows a multiple of the step since 1970-01-01 local
 * time: a day bucket starts at local midnight, so the day of a DST change lasts 23 or 25 hours.
 * The start is the same offset back on the UTC clock as on the local one unless the UTC offset
 * changed inside the bucket; then it is the instant at which the local clock shows the start.
 * So the hour repeated when clocks go back is two hour buckets, and a 3-hour bucket on that day
 * still starts at local 00:00.
 *
 * The zone's UTC offsets come from `Intl` as a piecewise-constant table over the time range and
 * compile to a CASE over the epoch: a few integer operations per row. Measured on 1M rows over
 * 30 days (2 threads): 20 ms, against 170 ms for DuckDB's ICU `time_bucket(..., tz)` per row and
 * 7 ms for UTC buckets; the table for a year of New York time takes 2 ms. Offset changes are
 * found by sampling every day, so a zone that changes twice within one day would be seen as not
 * changing; no current zone does.
 */
import { utcOffsetMs, zoneFormatter } from '../../core/tz.ts';

const DAY_US = 86_400_000_000;
const SAMPLE_US = DAY_US;

/** UTC offsets of a zone over a range: `offsets[i]` holds before `changes[i]` (epoch µs). */
export interface TzOffsets {
  offsets: number[];
  changes: number[];
}

function offsetAt(fmt: Intl.DateTimeFormat, us: number): number {
  return utcOffsetMs(fmt, Math.floor(us / 60_000_000) * 60_000) * 1000;
}

/** The offsets of `tz` (a valid IANA name) over [fromUs, toUs], changes to the minute. */
export function tzOffsets(tz: string, fromUs: number, toUs: number): TzOffsets {
  const fmt = zoneFormatter(tz);
  const out: TzOffsets = { offsets: [offsetAt(fmt, fromUs)], changes: [] };
  for (let at = fromUs; at < toUs; at += SAMPLE_US) {
    const next = Math.min(at + SAMPLE_US, toUs);
    const off = offsetAt(fmt, next);
    if (off === out.offsets.at(-1)) continue;
    // The first minute with the new offset, by bisection.
    let lo = at;
    let hi = next;
    while (hi - lo > 60_000_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000_000) * 60_000_000;
      if (offsetAt(fmt, mid) === off) hi = mid;
      else lo = mid;
    }
    out.changes.push(Math.floor(hi / 60_000_000) * 60_000_000);
    out.offsets.push(off);
  }
  return out;
}

/** SQL of the UTC offset (µs) at the epoch-µs expression `e`. */
function offsetSql(e: string, t: TzOffsets): string {
  if (t.changes.length === 0) return `${t.offsets[0]}::BIGINT`;
  const whens = t.changes.map((c, i) => `WHEN ${e} < ${c} THEN ${t.offsets[i]}`).join(' ');
  return `(CASE ${whens} ELSE ${t.offsets.at(-1)} END)::BIGINT`;
}

/** SQL of the bucket start (epoch µs) of the epoch-µs expression `e`, for a step in µs. */
export function tzBucketSql(e: string, stepUs: number, t: TzOffsets): string {
  const st = `${Math.trunc(stepUs)}::BIGINT`;
  const off = offsetSql(e, t);
  const intoBucket = `((((${e} + ${off}) % ${st}) + ${st}) % ${st})`;
  const back = `(${e} - ${intoBucket})`;
  const wallStart = `(${back} + ${off})`;
  const local = `(${wallStart} - ${offsetSql(`(${wallStart} - ${off})`, t)})`;
  return `(CASE WHEN ${back} + ${offsetSql(back, t)} = ${wallStart} THEN ${back} ELSE ${local} END)`;
}

/** The range of offsets a bucket expression needs for times in [fromUs, toUs]. */
export function tzOffsetsFor(tz: string, stepUs: number, fromUs: number, toUs: number): TzOffsets {
  return tzOffsets(tz, fromUs - stepUs - 2 * DAY_US, toUs + 2 * DAY_US);
}
