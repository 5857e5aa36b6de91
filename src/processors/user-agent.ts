/**
 * `user_agent`: reads a User-Agent header into `<target>.name`, `.version` (major.minor...),
 * `.os.name`, `.os.version`, `.device` (`desktop`, `mobile`, `tablet`, `bot`).
 * `{"user_agent": {"field": "http.user_agent", "target": "user_agent"}}`.
 *
 * An ordered rule table (first hit wins; more specific products before the ones they imitate:
 * Edge and Opera before Chrome, Chrome before Safari), not a full ua-parser database. Unknown
 * agents get `name: "Other"`. Results are cached per distinct string (bounded), since a few
 * agents dominate real traffic.
 */
import { z } from 'zod';
import { fieldAccessor, prefixWithDot } from './event-fields.ts';
import { field } from './options.ts';
import { defineProcessor } from './processor-def.ts';

interface UaInfo {
  name: string;
  version?: string;
  os?: string;
  osVersion?: string;
  device: string;
}

const BOT_RE =
  /bot|crawler|spider|slurp|curl\/|wget\/|python-requests|go-http-client|okhttp|java\/|libwww|httpclient|headless/i;
const BROWSERS: ReadonlyArray<readonly [string, RegExp]> = [
  ['Edge', /\bEdg(?:e|A|iOS)?\/([\d.]+)/],
  ['Opera', /\b(?:OPR|Opera)\/([\d.]+)/],
  ['Samsung Internet', /\bSamsungBrowser\/([\d.]+)/],
  ['Firefox', /\b(?:Firefox|FxiOS)\/([\d.]+)/],
  ['Chrome', /\b(?:Chrome|CriOS)\/([\d.]+)/],
  ['Safari', /\bVersion\/([\d.]+).*\bSafari\//],
  ['IE', /\b(?:MSIE |Trident\/.*rv:)([\d.]+)/],
  ['Googlebot', /\bGooglebot\/([\d.]+)/],
  ['Bingbot', /\bbingbot\/([\d.]+)/],
  ['curl', /^curl\/([\d.]+)/],
  ['Wget', /^Wget\/([\d.]+)/],
  ['python-requests', /^python-requests\/([\d.]+)/],
  ['Go-http-client', /^Go-http-client\/([\d.]+)/],
];
const WINDOWS: Record<string, string> = {
  '10.0': '10',
  '6.3': '8.1',
  '6.2': '8',
  '6.1': '7',
  '6.0': 'Vista',
  '5.1': 'XP',
};
const OSES: ReadonlyArray<readonly [string, RegExp, (v: string) => string]> = [
  ['Windows', /Windows NT ([\d.]+)/, (v) => WINDOWS[v] ?? v],
  ['iOS', /(?:iPhone|CPU) OS ([\d_]+)/, (v) => v.replaceAll('_', '.')],
  ['Android', /Android ([\d.]+)/, (v) => v],
  ['macOS', /Mac OS X ([\d_.]+)/, (v) => v.replaceAll('_', '.')],
  ['Chrome OS', /CrOS \S+ ([\d.]+)/, (v) => v],
  ['Linux', /Linux()/, () => ''],
];

export function parseUserAgent(ua: string): UaInfo {
  const info: UaInfo = { name: 'Other', device: 'desktop' };
  for (const [name, re] of BROWSERS) {
    const m = re.exec(ua);
    if (m !== null) {
      info.name = name;
      info.version = m[1];
      break;
    }
  }
  for (const [name, re, ver] of OSES) {
    const m = re.exec(ua);
    if (m !== null) {
      info.os = name;
      const v = ver(m[1]!);
      if (v !== '') info.osVersion = v;
      break;
    }
  }
  if (BOT_RE.test(ua)) info.device = 'bot';
  else if (/iPad|Tablet/.test(ua) || (info.os === 'Android' && !/Mobile/.test(ua))) info.device = 'tablet';
  else if (/Mobile|iPhone/.test(ua)) info.device = 'mobile';
  return info;
}

const CACHE_MAX = 1024;

export const userAgent = defineProcessor({
  name: 'user_agent',
  schema: z.strictObject({ field: field.default('user_agent'), target: field.default('user_agent') }),
  build(o) {
    const src = fieldAccessor(o.field);
    const p = prefixWithDot(o.target);
    const cache = new Map<string, UaInfo>();
    return {
      name: 'user_agent',
      process(ev) {
        const v = src.get(ev);
        if (typeof v !== 'string' || v === '') return true;
        let info = cache.get(v);
        if (info === undefined) {
          info = parseUserAgent(v);
          if (cache.size >= CACHE_MAX) cache.clear();
          cache.set(v, info);
        }
        const f = ev.fields;
        f[`${p}name`] = info.name;
        if (info.version !== undefined) f[`${p}version`] = info.version;
        if (info.os !== undefined) f[`${p}os.name`] = info.os;
        if (info.osVersion !== undefined) f[`${p}os.version`] = info.osVersion;
        f[`${p}device`] = info.device;
        return true;
      },
    };
  },
});
