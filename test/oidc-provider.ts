/**
 * A real OpenID Connect identity provider for tests, over HTTP on 127.0.0.1: discovery
 * (`/.well-known/openid-configuration`), authorization (auto-consent: the user in `user` signs in
 * and the browser is redirected back with a code), token (client authentication with HTTP Basic,
 * single-use codes bound to client, redirect URI and PKCE S256 challenge) and JWKS. ID tokens are
 * signed RS256 with a generated RSA key, or ES256 with a generated P-256 key.
 *
 * To test a relying party's checks, `nextToken` makes the next ID token bad in one way: claims
 * changed (`claims`), or signed wrongly (`sign`: unsigned `alg: none`, HS256 keyed with the RSA
 * public key, a key whose kid the JWKS does not hold, or a payload changed after signing).
 */
import { createHash, createHmac, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type SignMode = 'RS256' | 'ES256' | 'none' | 'HS256-with-public-key' | 'unknown-kid' | 'tampered';

export interface NextToken {
  sign?: SignMode;
  /** Changes the claims before signing. */
  claims?: (c: Record<string, unknown>) => void;
}

interface Code {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string | undefined;
  user: Record<string, unknown>;
  used: boolean;
  expires: number;
}

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: KeyObject;
  publicKey: KeyObject;
}

function newKey(alg: 'RS256' | 'ES256'): SigningKey {
  const { privateKey, publicKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid: `${alg.toLowerCase()}-${randomBytes(6).toString('hex')}`, alg, privateKey, publicKey };
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

export class TestIdp {
  readonly clientId = 'logwarden-test';
  readonly clientSecret = `secret-${randomBytes(16).toString('hex')}`;
  issuer = '';
  /** Who signs in at the next authorization request (auto-consent). */
  user: Record<string, unknown> = {};
  /** Makes the next ID token bad in one way; reset after it is issued. */
  nextToken: NextToken | null = null;
  /** Signs ID tokens with this algorithm by default. */
  alg: 'RS256' | 'ES256' = 'RS256';
  /** Query of the last authorization request. */
  lastAuthorize: URLSearchParams | null = null;
  /** Why the last token request was refused (null: it was not). */
  lastTokenError: string | null = null;
  tokenRequests = 0;
  jwksFetches: number[] = [];
  private readonly redirectUri: string;
  private keys: SigningKey[] = [newKey('RS256'), newKey('ES256')];
  private readonly codes = new Map<string, Code>();
  private readonly server: http.Server;

  private constructor(redirectUri: string) {
    this.redirectUri = redirectUri;
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        res.writeHead(500).end(String(err));
      });
    });
  }

  static async start(redirectUri: string): Promise<TestIdp> {
    const idp = new TestIdp(redirectUri);
    await new Promise<void>((resolve) => idp.server.listen(0, '127.0.0.1', resolve));
    idp.issuer = `http://127.0.0.1:${(idp.server.address() as AddressInfo).port}`;
    return idp;
  }

  /** Publishes a new RSA key (new kid) and signs with it from now on (key rotation). */
  rotate(): string {
    const k = newKey('RS256');
    this.keys = [k, ...this.keys];
    return k.kid;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private json(res: http.ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  }

  private refuse(res: http.ServerResponse, status: number, error: string, why: string): void {
    this.lastTokenError = why;
    this.json(res, status, { error, error_description: why });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', this.issuer);
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration')
      return this.json(res, 200, {
        issuer: this.issuer,
        authorization_endpoint: `${this.issuer}/authorize`,
        token_endpoint: `${this.issuer}/token`,
        jwks_uri: `${this.issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256', 'ES256'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
      });
    if (req.method === 'GET' && url.pathname === '/jwks') {
      this.jwksFetches.push(Date.now());
      return this.json(res, 200, {
        keys: this.keys.map((k) => ({
          ...k.publicKey.export({ format: 'jwk' }),
          kid: k.kid,
          alg: k.alg,
          use: 'sig',
        })),
      });
    }
    if (req.method === 'GET' && url.pathname === '/authorize') return this.authorize(url.searchParams, res);
    if (req.method === 'POST' && url.pathname === '/token') {
      let body = '';
      for await (const chunk of req) body += chunk;
      return this.token(req, new URLSearchParams(body), res);
    }
    this.json(res, 404, { error: 'not_found' });
  }

  private authorize(q: URLSearchParams, res: http.ServerResponse) {
    this.lastAuthorize = q;
    if (q.get('client_id') !== this.clientId || q.get('redirect_uri') !== this.redirectUri)
      return this.json(res, 400, {
        error: 'invalid_request',
        error_description: 'unknown client or redirect_uri',
      });
    const back = new URL(this.redirectUri);
    back.searchParams.set('state', q.get('state') ?? '');
    const challenge = q.get('code_challenge');
    if (
      q.get('response_type') !== 'code' ||
      !(q.get('scope') ?? '').split(' ').includes('openid') ||
      q.get('code_challenge_method') !== 'S256' ||
      challenge === null
    ) {
      back.searchParams.set('error', 'invalid_request');
      res.writeHead(302, { location: back.toString() }).end();
      return;
    }
    const code = randomBytes(24).toString('base64url');
    this.codes.set(code, {
      clientId: this.clientId,
      redirectUri: this.redirectUri,
      challenge,
      nonce: q.get('nonce') ?? undefined,
      user: { ...this.user },
      used: false,
      expires: Date.now() + 60_000,
    });
    back.searchParams.set('code', code);
    res.writeHead(302, { location: back.toString() }).end();
  }

  private token(req: http.IncomingMessage, form: URLSearchParams, res: http.ServerResponse) {
    this.tokenRequests++;
    this.lastTokenError = null;
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    const [id, secret] = basic
      ? Buffer.from(basic[1], 'base64')
          .toString()
          .split(':')
          .map((s) => decodeURIComponent(s.replace(/\+/g, ' ')))
      : [];
    if (id !== this.clientId || secret !== this.clientSecret)
      return this.refuse(res, 401, 'invalid_client', 'client authentication failed');
    if (form.get('grant_type') !== 'authorization_code')
      return this.refuse(res, 400, 'unsupported_grant_type', 'expected authorization_code');
    const c = this.codes.get(form.get('code') ?? '');
    if (c === undefined || c.expires < Date.now())
      return this.refuse(res, 400, 'invalid_grant', 'unknown or expired code');
    if (c.used) {
      this.codes.delete(form.get('code') ?? '');
      return this.refuse(res, 400, 'invalid_grant', 'code already used');
    }
    c.used = true;
    if (c.clientId !== id || c.redirectUri !== form.get('redirect_uri'))
      return this.refuse(res, 400, 'invalid_grant', 'redirect_uri mismatch');
    const verifier = form.get('code_verifier') ?? '';
    if (createHash('sha256').update(verifier).digest('base64url') !== c.challenge)
      return this.refuse(res, 400, 'invalid_grant', 'PKCE verifier mismatch');
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: this.issuer,
      aud: this.clientId,
      iat: now,
      exp: now + 300,
      ...(c.nonce === undefined ? {} : { nonce: c.nonce }),
      ...c.user,
    };
    const next = this.nextToken ?? {};
    this.nextToken = null;
    next.claims?.(claims);
    this.json(res, 200, {
      access_token: randomBytes(16).toString('hex'),
      token_type: 'Bearer',
      expires_in: 300,
      id_token: this.signToken(claims, next.sign ?? this.alg),
    });
  }

  /** A compact JWS of the claims, signed (or not) as `mode` says. */
  signToken(claims: Record<string, unknown>, mode: SignMode): string {
    const rsa = this.keys.find((k) => k.alg === 'RS256')!;
    if (mode === 'none') return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    if (mode === 'HS256-with-public-key') {
      const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: rsa.kid })}.${b64(claims)}`;
      const secret = rsa.publicKey.export({ type: 'spki', format: 'pem' });
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    }
    const key =
      mode === 'unknown-kid'
        ? newKey('RS256')
        : mode === 'ES256'
          ? this.keys.find((k) => k.alg === 'ES256')!
          : rsa;
    const input = `${b64({ alg: key.alg, typ: 'JWT', kid: key.kid })}.${b64(claims)}`;
    const sig = sign(
      'sha256',
      Buffer.from(input),
      key.alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' } : key.privateKey,
    );
    if (mode === 'tampered') {
      const forged = { ...claims, groups: ['lw-admins'] };
      return `${input.split('.')[0]}.${b64(forged)}.${sig.toString('base64url')}`;
    }
    return `${input}.${sig.toString('base64url')}`;
  }
}
