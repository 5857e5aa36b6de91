/**
 * The identity provider as seen from logwarden, over HTTP: its discovery document (OpenID
 * Connect Discovery 1.0, `<issuer>/.well-known/openid-configuration`), its signing keys (JWKS,
 * RFC 7517) and its token endpoint (RFC 6749 §4.1.3 with the PKCE `code_verifier`, RFC 7636).
 *
 * Contract:
 * - Nothing is fetched at start (a provider that is down must not stop logwarden); the discovery
 *   document is read on first use and kept for an hour, and its `issuer` must equal the
 *   configured one exactly. Endpoints must be https (http only on loopback hosts).
 * - Keys are cached by `kid`; a token naming an unknown `kid` makes one JWKS refresh (key
 *   rotation), at most one every `JWKS_MIN_REFRESH_MS`, so forged kids cannot make logwarden
 *   hammer the provider.
 * - Unreachable or malformed provider answers throw LW_ERR_OIDC_PROVIDER (502) naming the URL
 *   and what was wrong; a token endpoint that refuses the code (`invalid_grant`, PKCE mismatch,
 *   replayed code) throws LW_ERR_OIDC_FAILED with the provider's `error` and description.
 * - The client secret is only ever sent to the token endpoint, never logged.
 */
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { isLoopback } from '../../core/config.ts';
import { LwError } from '../../core/errors.ts';
import { type AcceptedAlg, keyFromJwk, oidcFailure } from './oidc-jwt.ts';

const DISCOVERY_TTL_MS = 3_600_000;
const JWKS_MIN_REFRESH_MS = 10_000;
const FETCH_TIMEOUT_MS = 10_000;
const MAX_ANSWER_BYTES = 1024 * 1024;

export interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
}

export interface ClientCredentials {
  clientId: string;
  /** null: a public client (PKCE alone). */
  clientSecret: string | null;
}

function providerError(why: string): LwError {
  return new LwError('LW_ERR_OIDC_PROVIDER', [why]);
}

/** Checks that an endpoint URL from the provider is one we may talk to. */
function endpoint(meta: Record<string, unknown>, name: string, from: string): string {
  const v = meta[name];
  if (typeof v !== 'string') throw providerError(`${from} has no "${name}"`);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw providerError(`${from}: "${name}" is not a URL`);
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopback(host)))
    throw providerError(`${from}: "${name}" must be an https URL, not ${v}`);
  return v;
}

async function readJson(res: Response, url: string): Promise<unknown> {
  const text = await res.text();
  if (text.length > MAX_ANSWER_BYTES)
    throw providerError(`${url} answered more than ${MAX_ANSWER_BYTES} bytes`);
  try {
    return JSON.parse(text);
  } catch {
    throw providerError(`${url} answered ${res.status} with a body that is not JSON`);
  }
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
  } catch (err) {
    throw providerError(`cannot reach ${url}: ${(err as Error).cause ?? (err as Error).message}`);
  }
  if (!res.ok) throw providerError(`${url} answered ${res.status}`);
  const v = await readJson(res, url);
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw providerError(`${url} did not answer a JSON object`);
  return v as Record<string, unknown>;
}

export class OidcIssuer {
  readonly issuer: string;
  private meta: { doc: ProviderMetadata; at: number } | null = null;
  private keys = new Map<string, JsonWebKey>();
  /** Keys without a kid (a JWKS of one key often has none). */
  private anonymousKeys: JsonWebKey[] = [];
  private jwksAt = 0;

  constructor(issuer: string) {
    this.issuer = issuer;
  }

  async metadata(): Promise<ProviderMetadata> {
    if (this.meta !== null && Date.now() - this.meta.at < DISCOVERY_TTL_MS) return this.meta.doc;
    const url = `${this.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const m = await getJson(url);
    if (m.issuer !== this.issuer)
      throw providerError(
        `${url} names the issuer ${JSON.stringify(m.issuer)}, not the configured ${JSON.stringify(this.issuer)}`,
      );
    const methods = m.code_challenge_methods_supported;
    if (Array.isArray(methods) && !methods.includes('S256'))
      throw providerError(`${url}: the provider does not support PKCE with S256`);
    const doc: ProviderMetadata = {
      issuer: this.issuer,
      authorization_endpoint: endpoint(m, 'authorization_endpoint', url),
      token_endpoint: endpoint(m, 'token_endpoint', url),
      jwks_uri: endpoint(m, 'jwks_uri', url),
    };
    this.meta = { doc, at: Date.now() };
    return doc;
  }

  /** The key for a token's `kid` and `alg`, refreshing the JWKS once when the kid is unknown. */
  async key(kid: string | undefined, alg: AcceptedAlg): Promise<KeyObject | null> {
    const cached = this.pick(kid, alg);
    if (cached !== null || Date.now() - this.jwksAt < JWKS_MIN_REFRESH_MS) return cached;
    await this.refreshKeys();
    return this.pick(kid, alg);
  }

  private pick(kid: string | undefined, alg: AcceptedAlg): KeyObject | null {
    if (kid !== undefined) {
      const jwk = this.keys.get(kid);
      return jwk === undefined ? null : keyFromJwk(jwk, alg);
    }
    // No kid: only unambiguous when exactly one key fits the algorithm.
    const fits = [...this.anonymousKeys, ...this.keys.values()]
      .map((k) => keyFromJwk(k, alg))
      .filter((k) => k !== null);
    return fits.length === 1 ? fits[0] : null;
  }

  private async refreshKeys(): Promise<void> {
    const { jwks_uri } = await this.metadata();
    this.jwksAt = Date.now();
    const set = await getJson(jwks_uri);
    if (!Array.isArray(set.keys)) throw providerError(`${jwks_uri} has no "keys" list`);
    const keys = new Map<string, JsonWebKey>();
    const anonymous: JsonWebKey[] = [];
    for (const k of set.keys as unknown[]) {
      if (k === null || typeof k !== 'object') continue;
      const jwk = k as JsonWebKey & { kid?: unknown };
      if (typeof jwk.kid === 'string') keys.set(jwk.kid, jwk);
      else anonymous.push(jwk);
    }
    this.keys = keys;
    this.anonymousKeys = anonymous;
  }

  /** Redeems an authorization code; resolves the ID token (not yet verified). */
  async exchangeCode(
    code: string,
    codeVerifier: string,
    redirectUri: string,
    client: ClientCredentials,
  ): Promise<unknown> {
    const { token_endpoint } = await this.metadata();
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: codeVerifier,
    });
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (client.clientSecret === null) form.set('client_id', client.clientId);
    else {
      // RFC 6749 §2.3.1: both parts form-urlencoded before base64.
      const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
      headers.authorization = `Basic ${Buffer.from(`${enc(client.clientId)}:${enc(client.clientSecret)}`).toString('base64')}`;
    }
    let res: Response;
    try {
      res = await fetch(token_endpoint, {
        method: 'POST',
        headers,
        body: form.toString(),
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
    } catch (err) {
      throw providerError(
        `cannot reach ${token_endpoint}: ${(err as Error).cause ?? (err as Error).message}`,
      );
    }
    const body = await readJson(res, token_endpoint);
    const b = (body !== null && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    if (!res.ok) {
      if (res.status === 400 || res.status === 401) {
        const what = typeof b.error === 'string' ? b.error.slice(0, 100) : `status ${res.status}`;
        const desc = typeof b.error_description === 'string' ? ` (${b.error_description.slice(0, 300)})` : '';
        throw oidcFailure(`the identity provider refused the code: ${what}${desc}`);
      }
      throw providerError(`${token_endpoint} answered ${res.status}`);
    }
    if (typeof b.token_type === 'string' && b.token_type.toLowerCase() !== 'bearer')
      throw providerError(`${token_endpoint} answered token_type ${JSON.stringify(b.token_type)}`);
    return b.id_token;
  }
}
