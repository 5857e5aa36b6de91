/**
 * What a request presents as credentials, from its headers:
 * - `Authorization: Bearer <token>` (RFC 6750);
 * - `Authorization: Basic base64(<any user>:<token>)` (RFC 7617): shippers configured with a
 *   user name and password (Filebeat, Logstash, Fluent Bit) put the token in the password;
 * - `Authorization: ApiKey <token>` or `ApiKey base64(<id>:<token>)` (Elasticsearch clients);
 * - the `lw_session` cookie of a browser login.
 * An Authorization header wins over the cookie. A header that is present but unreadable is an
 * error (401 naming the scheme), never a silent fallback to the cookie.
 */
import { LwError } from '../../core/errors.ts';

export const SESSION_COOKIE = 'lw_session';

export type Credentials = { kind: 'token'; secret: string } | { kind: 'session'; secret: string };

const MAX_HEADER = 8192;

function unauthenticated(why: string): LwError {
  return new LwError('LW_ERR_UNAUTHENTICATED', [why]);
}

/** The part after the last `:` of a base64 `a:b` pair, or null when it is not one. */
function decodePair(b64: string): string | null {
  if (!/^[A-Za-z0-9+/=_-]+$/.test(b64)) return null;
  const text = Buffer.from(b64, 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? null : text.slice(i + 1);
}

export function parseAuthorization(header: string): Credentials {
  if (header.length > MAX_HEADER) throw unauthenticated('the Authorization header is too long');
  const m = /^\s*([A-Za-z]+)\s+(\S+)\s*$/.exec(header);
  if (m === null) throw unauthenticated('expected an Authorization header of the form "Bearer <token>"');
  const scheme = m[1].toLowerCase();
  const value = m[2];
  if (scheme === 'bearer') return { kind: 'token', secret: value };
  if (scheme === 'basic') {
    const pw = decodePair(value);
    if (pw === null) throw unauthenticated('Basic credentials must be base64 of "user:token"');
    return { kind: 'token', secret: pw };
  }
  if (scheme === 'apikey') {
    if (value.startsWith('lw_')) return { kind: 'token', secret: value };
    const key = decodePair(value);
    if (key === null) throw unauthenticated('ApiKey must be a token or base64 of "id:token"');
    return { kind: 'token', secret: key };
  }
  throw unauthenticated(`unsupported Authorization scheme ${JSON.stringify(m[1].slice(0, 32))}; use Bearer`);
}

/** The value of one cookie from a Cookie header (RFC 6265 syntax), or null. */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (header === undefined || header.length > MAX_HEADER) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name)
      return part
        .slice(i + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
  }
  return null;
}

/** The credentials of a request, or null when it carries none. */
export function requestCredentials(
  headers: Record<string, string | string[] | undefined>,
): Credentials | null {
  const auth = headers.authorization;
  if (auth !== undefined) {
    if (Array.isArray(auth)) throw unauthenticated('more than one Authorization header');
    return parseAuthorization(auth);
  }
  const cookie = headers.cookie;
  const session = cookieValue(Array.isArray(cookie) ? cookie.join('; ') : cookie, SESSION_COOKIE);
  return session === null || session === '' ? null : { kind: 'session', secret: session };
}
