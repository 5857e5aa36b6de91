/**
 * IP address parsing for processors (convert, cidr, mask): IPv4 dotted quads and IPv6 (RFC 4291
 * text forms, `::` compression, embedded IPv4, zone ids stripped) to a fixed 16-byte form
 * (IPv4 as IPv4-mapped IPv6, ::ffff:a.b.c.d), plus CIDR prefix matching on that form.
 * Pure functions; null means "not an address".
 */
import net from 'node:net';

/** 16 bytes, network order. IPv4 is stored IPv4-mapped. */
export type Ip16 = Uint8Array;

function parseV4Into(s: string, out: Uint8Array, at: number): boolean {
  const parts = s.split('.');
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (p.length === 0 || p.length > 3 || !/^\d+$/.test(p) || (p.length > 1 && p[0] === '0')) return false;
    const n = Number(p);
    if (n > 255) return false;
    out[at + i] = n;
  }
  return true;
}

/** Parses an IPv4 or IPv6 address; null when `s` is neither. */
export function parseIp(s: string): Ip16 | null {
  const out = new Uint8Array(16);
  if (net.isIPv4(s)) {
    out[10] = 0xff;
    out[11] = 0xff;
    return parseV4Into(s, out, 12) ? out : null;
  }
  const pct = s.indexOf('%');
  const addr = pct >= 0 ? s.slice(0, pct) : s;
  if (!net.isIPv6(addr)) return null;
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const groups = (x: string | undefined) => (x === undefined || x === '' ? [] : x.split(':'));
  const h = groups(head);
  const t = groups(tail);
  const words: number[] = [];
  const push = (list: string[]) => {
    for (const g of list) {
      if (g.includes('.')) {
        const b = new Uint8Array(4);
        if (!parseV4Into(g, b, 0)) return false;
        words.push((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!);
      } else words.push(Number.parseInt(g, 16));
    }
    return true;
  };
  if (!push(h)) return null;
  const headLen = words.length;
  if (!push(t)) return null;
  const fill = 8 - words.length;
  if (tail !== undefined) words.splice(headLen, 0, ...new Array<number>(fill).fill(0));
  if (words.length !== 8) return null;
  for (let i = 0; i < 8; i++) {
    out[i * 2] = words[i]! >> 8;
    out[i * 2 + 1] = words[i]! & 0xff;
  }
  return out;
}

/** True when the address is IPv4 (stored IPv4-mapped). */
export function isV4(ip: Ip16): boolean {
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return false;
  return ip[10] === 0xff && ip[11] === 0xff;
}

/** Canonical text: dotted quad for IPv4, RFC 5952 for IPv6 (lower case, longest zero run as ::). */
export function formatIp(ip: Ip16): string {
  if (isV4(ip)) return `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((ip[i * 2]! << 8) | ip[i * 2 + 1]!);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = w.map((x) => x.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

export interface Cidr {
  readonly net: Ip16;
  /** Prefix length in the 128-bit form (an IPv4 /8 is /104). */
  readonly bits: number;
}

/** Parses `10.0.0.0/8`, `fd00::/8` or a bare address (a /32 or /128); null when invalid. */
export function parseCidr(s: string): Cidr | null {
  const slash = s.indexOf('/');
  const ip = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (ip === null) return null;
  const v4 = isV4(ip);
  const max = v4 ? 32 : 128;
  const lenText = slash < 0 ? String(max) : s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return null;
  const len = Number(lenText);
  if (len > max) return null;
  return { net: ip, bits: v4 ? 96 + len : len };
}

/** True when `ip` is inside `c`. */
export function inCidr(ip: Ip16, c: Cidr): boolean {
  const full = c.bits >> 3;
  for (let i = 0; i < full; i++) if (ip[i] !== c.net[i]) return false;
  const rest = c.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip[full]! & mask) === (c.net[full]! & mask);
}
