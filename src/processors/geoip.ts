/**
 * `geoip`: adds the location (and network owner) of an address from a MaxMind-format database
 * (GeoLite2 / GeoIP2 City, Country or ASN `.mmdb`, or any MMDB with the same record shape) that
 * the user provides; logwarden ships none. `{"geoip": {"field": "client.ip", "file":
 * "GeoLite2-City.mmdb", "target": "geo"}}` writes `<target>.country_iso_code`,
 * `.country_name`, `.continent_code`, `.city_name`, `.region_name`, `.postal_code`,
 * `.location.lat`, `.location.lon`, `.timezone`, `.asn`, `.as_org` when the record has them.
 *
 * The database is read with the `maxmind` package's synchronous Reader at compile time (a
 * missing file is a compile error telling where to get one) and reloaded when its mtime changes
 * (checked at most once a second). Private and unknown addresses write nothing; a value that
 * is not an address is an error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Reader } from 'maxmind';
import { z } from 'zod';
import type { FieldValue } from '../core/event.ts';
import { fieldAccessor, prefixWithDot } from './event-fields.ts';
import { parseIp } from './ip.ts';
import { field } from './options.ts';
import { defineProcessor } from './processor-def.ts';

interface GeoRecord {
  country?: { iso_code?: string; names?: Record<string, string> };
  continent?: { code?: string };
  city?: { names?: Record<string, string> };
  subdivisions?: Array<{ names?: Record<string, string> }>;
  postal?: { code?: string };
  location?: { latitude?: number; longitude?: number; time_zone?: string };
  autonomous_system_number?: number;
  autonomous_system_organization?: string;
}

/** The fields written for a record, in a fixed order. */
export function geoFields(r: GeoRecord, lang: string): Array<[string, FieldValue]> {
  const out: Array<[string, FieldValue]> = [];
  const put = (k: string, v: FieldValue | undefined) => {
    if (v !== undefined) out.push([k, v]);
  };
  put('country_iso_code', r.country?.iso_code);
  put('country_name', r.country?.names?.[lang] ?? r.country?.names?.en);
  put('continent_code', r.continent?.code);
  put('city_name', r.city?.names?.[lang] ?? r.city?.names?.en);
  put('region_name', r.subdivisions?.[0]?.names?.[lang] ?? r.subdivisions?.[0]?.names?.en);
  put('postal_code', r.postal?.code);
  put('location.lat', r.location?.latitude);
  put('location.lon', r.location?.longitude);
  put('timezone', r.location?.time_zone);
  put('asn', r.autonomous_system_number);
  put('as_org', r.autonomous_system_organization);
  return out;
}

const RECHECK_MS = 1000;

export const geoip = defineProcessor({
  name: 'geoip',
  schema: z.strictObject({
    field,
    file: z.string().min(1),
    target: field.default('geo'),
    language: z.string().min(2).default('en'),
  }),
  build(o, ctx) {
    const file = path.resolve(ctx.baseDir, o.file);
    const open = () => {
      const buf = fs.readFileSync(file);
      return { mtime: fs.statSync(file).mtimeMs, reader: new Reader(buf) };
    };
    let state: ReturnType<typeof open>;
    try {
      state = open();
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why =
        e.code === 'ENOENT'
          ? `no GeoIP database at ${file}; logwarden ships none: download a MaxMind-format .mmdb (e.g. GeoLite2-City from maxmind.com, or DB-IP lite) and point "file" at it`
          : `cannot read the GeoIP database ${file}: ${e.message}`;
      return ctx.fail('file', why);
    }
    let checkedAt = Date.now();
    const src = fieldAccessor(o.field);
    const p = prefixWithDot(o.target);
    return {
      name: 'geoip',
      process(ev) {
        const now = Date.now();
        if (now - checkedAt >= RECHECK_MS) {
          checkedAt = now;
          const m = fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs;
          if (m !== undefined && m !== state.mtime) state = open();
        }
        const v = src.get(ev);
        if (typeof v !== 'string') return true;
        const ip = v.trim();
        if (parseIp(ip) === null) throw new Error(`${o.field}="${v.slice(0, 60)}" is not an IP address`);
        const rec = state.reader.get(ip) as GeoRecord | null;
        if (rec === null) return true;
        for (const [k, val] of geoFields(rec, o.language)) ev.fields[p + k] = val;
        return true;
      },
    };
  },
});
