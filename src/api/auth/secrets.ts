/**
 * Random secrets and their stored forms. API tokens are `lw_` + 43 base64url characters
 * (256 random bits); session ids are 256 random bits too. Only SHA-256 digests are stored
 * (a 256-bit random secret needs no slow hash: it cannot be guessed), so a leaked metadata
 * database reveals no usable credential. Comparisons of digests are timing-safe.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_PREFIX = 'lw_';
/** Generated tokens have 43 characters after the prefix; bootstrap tokens may have 32 to 128. */
const TOKEN_RE = /^lw_[A-Za-z0-9_-]{32,128}$/;

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function newApiToken(): string {
  return `${TOKEN_PREFIX}${newSecret()}`;
}

/** True when `s` has the shape of a logwarden API token (checked before any lookup). */
export function isApiTokenShape(s: string): boolean {
  return TOKEN_RE.test(s);
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** The public id of a token: the first 16 hex digits of its digest (the metadata key). */
export function tokenIdOf(digestHex: string): string {
  return digestHex.slice(0, 16);
}

export function digestsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** A random password for the first admin: 20 characters from an unambiguous alphabet. */
export function newPassword(): string {
  const alphabet = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(40);
  let out = '';
  // 256 is not a multiple of 57: skip the biased tail of the byte range.
  for (const b of bytes) {
    if (b >= 228) continue;
    out += alphabet[b % alphabet.length];
    if (out.length === 20) break;
  }
  return out.length === 20 ? out : newPassword();
}
