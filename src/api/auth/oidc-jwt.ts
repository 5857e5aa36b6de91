/**
 * ID token validation (OpenID Connect Core 1.0 §3.1.3.7) with node:crypto only: a JWS in compact
 * serialization (RFC 7515), signed RS256 or ES256 (RFC 7518) with a key of the provider's JWKS
 * (RFC 7517).
 *
 * Contract:
 * - Only `RS256` and `ES256` are accepted. `alg: none`, HMAC (`HS256`: the classic confusion of
 *   an RSA public key used as an HMAC secret) and every other algorithm are refused before any
 *   key is looked at; the key must match the algorithm (RSA of 2048 bits or more for RS256,
 *   EC P-256 for ES256), and its own `alg`/`use`, when present, must agree.
 * - Claims: `iss` equals the issuer exactly, `aud` is or contains the client id (and `azp`, when
 *   there are several audiences, is the client id), `exp` is in the future and `iat`/`nbf` not in
 *   the future (each with `skewSeconds` of tolerance), `nonce` equals the one of the sign-in,
 *   `sub` is a non-empty string.
 * - Every refusal throws LwError LW_ERR_OIDC_FAILED whose message says which check failed; no
 *   input makes it throw anything else.
 */
import { createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';
import { LwError } from '../../core/errors.ts';

export const ACCEPTED_ALGS = ['RS256', 'ES256'] as const;
export type AcceptedAlg = (typeof ACCEPTED_ALGS)[number];

const MAX_TOKEN_CHARS = 64 * 1024;

export interface IdTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  nonce?: string;
  [claim: string]: unknown;
}

export interface DecodedJws {
  header: { alg: string; kid?: string; [k: string]: unknown };
  payload: Record<string, unknown>;
  signingInput: Buffer;
  signature: Buffer;
}

/** Finds the verification key for a token's `kid` and `alg` (null: no such key, even after a refresh). */
export type KeyLookup = (kid: string | undefined, alg: AcceptedAlg) => Promise<KeyObject | null>;

export interface ClaimExpectations {
  issuer: string;
  clientId: string;
  nonce: string;
  skewSeconds: number;
  /** Epoch seconds; defaults to now. */
  now?: number;
}

export function oidcFailure(why: string): LwError {
  return new LwError('LW_ERR_OIDC_FAILED', [why], { reason: why });
}

const B64URL = /^[A-Za-z0-9_-]*$/;

function jsonSegment(seg: string, what: string): Record<string, unknown> {
  if (!B64URL.test(seg)) throw oidcFailure(`the ID token's ${what} is not base64url`);
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(seg, 'base64url').toString('utf8'));
  } catch {
    throw oidcFailure(`the ID token's ${what} is not JSON`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw oidcFailure(`the ID token's ${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

/** Splits and decodes a compact JWS; checks only its shape. */
export function decodeJws(token: unknown): DecodedJws {
  if (typeof token !== 'string' || token.length === 0) throw oidcFailure('no ID token in the answer');
  if (token.length > MAX_TOKEN_CHARS)
    throw oidcFailure(`the ID token is longer than ${MAX_TOKEN_CHARS} characters`);
  const parts = token.split('.');
  if (parts.length !== 3)
    throw oidcFailure(`the ID token has ${parts.length} parts instead of 3 (a signed JWS)`);
  const header = jsonSegment(parts[0], 'header');
  const payload = jsonSegment(parts[1], 'payload');
  if (!B64URL.test(parts[2])) throw oidcFailure("the ID token's signature is not base64url");
  if (typeof header.alg !== 'string') throw oidcFailure('the ID token header has no "alg"');
  if (header.kid !== undefined && typeof header.kid !== 'string')
    throw oidcFailure('the ID token header\'s "kid" is not a string');
  if (header.crit !== undefined)
    throw oidcFailure('the ID token header has "crit" extensions, which are not supported');
  return {
    header: header as DecodedJws['header'],
    payload,
    signingInput: Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii'),
    signature: Buffer.from(parts[2], 'base64url'),
  };
}

/** The algorithm of a header, if it is one we accept; otherwise a refusal naming it. */
export function acceptedAlg(alg: string): AcceptedAlg {
  if ((ACCEPTED_ALGS as readonly string[]).includes(alg)) return alg as AcceptedAlg;
  if (alg.toLowerCase() === 'none') throw oidcFailure('the ID token is unsigned (alg "none")');
  throw oidcFailure(
    `the ID token is signed with ${JSON.stringify(alg.slice(0, 20))}; only RS256 and ES256 are accepted`,
  );
}

/** A public key from a JWK, if the JWK fits `alg`; null for keys of other types or uses. */
export function keyFromJwk(jwk: JsonWebKey, alg: AcceptedAlg): KeyObject | null {
  if (jwk.use !== undefined && jwk.use !== 'sig') return null;
  if (jwk.alg !== undefined && jwk.alg !== alg) return null;
  if (alg === 'RS256' && jwk.kty !== 'RSA') return null;
  if (alg === 'ES256' && (jwk.kty !== 'EC' || jwk.crv !== 'P-256')) return null;
  let key: KeyObject;
  try {
    // Only the public members: a JWKS that leaks `d` must not turn into a private key here.
    const pub =
      jwk.kty === 'RSA'
        ? { kty: 'RSA', n: jwk.n, e: jwk.e }
        : { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y };
    key = createPublicKey({ key: pub as JsonWebKey, format: 'jwk' });
  } catch {
    return null;
  }
  if (alg === 'RS256' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return null;
  return key;
}

export function verifySignature(jws: DecodedJws, alg: AcceptedAlg, key: KeyObject): void {
  const ok =
    alg === 'RS256'
      ? verify('sha256', jws.signingInput, key, jws.signature)
      : jws.signature.length === 64 &&
        verify('sha256', jws.signingInput, { key, dsaEncoding: 'ieee-p1363' }, jws.signature);
  if (!ok) throw oidcFailure('the ID token signature does not verify');
}

function numericDate(claims: Record<string, unknown>, name: string, required: boolean): number | null {
  const v = claims[name];
  if (v === undefined && !required) return null;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw oidcFailure(`the ID token's "${name}" is not a number`);
  return v;
}

export function checkClaims(claims: Record<string, unknown>, x: ClaimExpectations): IdTokenClaims {
  const now = x.now ?? Date.now() / 1000;
  if (claims.iss !== x.issuer)
    throw oidcFailure(
      `the ID token's issuer ${JSON.stringify(String(claims.iss).slice(0, 200))} is not ${JSON.stringify(x.issuer)}`,
    );
  const aud = claims.aud;
  const auds = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (!auds.includes(x.clientId))
    throw oidcFailure(
      `the ID token is not meant for this client (aud does not contain ${JSON.stringify(x.clientId)})`,
    );
  if (auds.length > 1 && claims.azp !== undefined && claims.azp !== x.clientId)
    throw oidcFailure('the ID token was issued to another party (azp)');
  if (typeof claims.sub !== 'string' || claims.sub === '') throw oidcFailure('the ID token has no "sub"');
  const exp = numericDate(claims, 'exp', true)!;
  if (exp + x.skewSeconds <= now)
    throw oidcFailure(`the ID token expired ${Math.round(now - exp)} seconds ago`);
  const iat = numericDate(claims, 'iat', true)!;
  if (iat - x.skewSeconds > now)
    throw oidcFailure('the ID token was issued in the future (iat); check the clocks');
  const nbf = numericDate(claims, 'nbf', false);
  if (nbf !== null && nbf - x.skewSeconds > now) throw oidcFailure('the ID token is not valid yet (nbf)');
  if (claims.nonce !== x.nonce) throw oidcFailure('the ID token nonce does not match this sign-in');
  return claims as IdTokenClaims;
}

/** Verifies an ID token end to end; resolves its claims. */
export async function verifyIdToken(
  token: unknown,
  lookup: KeyLookup,
  x: ClaimExpectations,
): Promise<IdTokenClaims> {
  const jws = decodeJws(token);
  const alg = acceptedAlg(jws.header.alg);
  const key = await lookup(jws.header.kid, alg);
  if (key === null)
    throw oidcFailure(
      `no ${alg} key${jws.header.kid === undefined ? '' : ` with kid ${JSON.stringify(jws.header.kid.slice(0, 100))}`} in the identity provider's JWKS`,
    );
  verifySignature(jws, alg, key);
  return checkClaims(jws.payload, x);
}
