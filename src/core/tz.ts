/**
 * Time zone offsets from the runtime's IANA data (Intl), for the places that read or bucket
 * wall-clock times: the `date` processor and the time buckets of `timechart` in a zone.
 */

/** A formatter that gives the wall-clock fields of an instant in `tz`; throws RangeError for an unknown zone. */
export function zoneFormatter(tz: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
}

/** The zone's offset from UTC at an instant, in milliseconds (Berlin in winter: 3,600,000). */
export function utcOffsetMs(fmt: Intl.DateTimeFormat, utcMs: number): number {
  const at = Math.floor(utcMs / 1000) * 1000;
  const p: Record<string, number> = {};
  for (const part of fmt.formatToParts(new Date(at))) p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour! % 24, p.minute!, p.second!) - at;
}
