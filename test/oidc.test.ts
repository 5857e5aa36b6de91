/**
 * OpenID Connect sign-in, black-box: the real `logwarden start` (auth on, `auth.oidc`
 * configured) against a real identity provider on 127.0.0.1 (test/oidc-provider.ts), driven like
 * a browser with a cookie jar and manual redirects. The full flow (PKCE S256, state, nonce, user
 * created with the mapped role and streams, a normal session, audit records), role changes on a
 * later sign-in, ES256 and key rotation; and every refusal: wrong state, replayed callback, a
 * code redeemed with another sign-in's verifier, provider errors, expired token, wrong audience,
 * wrong issuer, wrong nonce, tampered signature, `alg: none`, HS256 keyed with the RSA public
 * key, unknown kid, a user in no mapped group, a disallowed e-mail domain, a local account of the
 * same name.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type Server, startServer } from './harness.ts';
import { TestIdp } from './oidc-provider.ts';

const BOOT = `lw_${'o'.repeat(20)}0123456789abcdefghijkl`;

/** A browser's cookies for one site: name -> value and path. */
class CookieJar {
  private readonly cookies = new Map<string, { value: string; path: string }>();

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const i = pair.indexOf('=');
      const name = pair.slice(0, i);
      const path = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      if (attrs.some((a) => /^max-age=0$/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, { value: pair.slice(i + 1), path });
    }
  }

  set(name: string, value: string, path: string): void {
    this.cookies.set(name, { value, path });
  }

  get(name: string): string | undefined {
    return this.cookies.get(name)?.value;
  }

  header(url: string): string {
    const p = new URL(url).pathname;
    return [...this.cookies]
      .filter(([, c]) => p.startsWith(c.path))
      .map(([n, c]) => `${n}=${c.value}`)
      .join('; ');
  }
}

async function get(url: string, jar: CookieJar | null): Promise<Response> {
  const cookie = jar?.header(url) ?? '';
  const res = await fetch(url, { redirect: 'manual', headers: cookie === '' ? {} : { cookie } });
  jar?.store(res);
  return res;
}

/** Starts a sign-in in this browser and follows it to the provider; resolves the callback URL. */
async function toCallback(srv: Server, jar: CookieJar): Promise<string> {
  const start = await get(`${srv.url}/api/v1/auth/oidc/login`, jar);
  assert.equal(start.status, 302, await start.text());
  const authorize = await get(start.headers.get('location')!, jar);
  assert.equal(authorize.status, 302, await authorize.text());
  return authorize.headers.get('location')!;
}

interface Finished {
  status: number;
  body: Record<string, unknown>;
  text: string;
  session: string | undefined;
}

async function finish(callbackUrl: string, jar: CookieJar): Promise<Finished> {
  const res = await get(callbackUrl, jar);
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {
    // the signed-in page
  }
  return { status: res.status, body, text, session: jar.get('lw_session') };
}

async function signIn(srv: Server, jar = new CookieJar()): Promise<Finished> {
  return finish(await toCallback(srv, jar), jar);
}

async function api(srv: Server, path: string, auth: { session?: string; token?: string }) {
  const headers: Record<string, string> = {};
  if (auth.session !== undefined) headers.cookie = `lw_session=${auth.session}`;
  if (auth.token !== undefined) headers.authorization = `Bearer ${auth.token}`;
  const res = await fetch(`${srv.url}${path}`, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

function assertRefused(r: Finished, status: number, code: string, reason: RegExp): void {
  assert.equal(r.status, status, r.text);
  assert.equal(r.body.code, code, r.text);
  assert.match(String(r.body.error), reason);
  assert.equal(r.session, undefined, 'no session after a refused sign-in');
}

describe('OpenID Connect sign-in', () => {
  let idp: TestIdp;
  let srv: Server;
  const alice = { sub: 'u-1001', email: 'Alice@Example.com', email_verified: true, groups: ['lw-analysts'] };

  before(async () => {
    const port = await freePort();
    const redirect = `http://127.0.0.1:${port}/api/v1/auth/oidc/callback`;
    idp = await TestIdp.start(redirect);
    srv = await startServer({
      auth: true,
      env: { LOGWARDEN_BOOTSTRAP_TOKEN: BOOT },
      args: ['--http', `127.0.0.1:${port}`],
      configYaml: [
        'auth:',
        '  oidc:',
        `    issuer: ${idp.issuer}`,
        `    clientId: ${idp.clientId}`,
        `    clientSecret: ${idp.clientSecret}`,
        `    redirectUrl: ${redirect}`,
        '    groupRoles: { lw-admins: admin, lw-editors: editor, lw-analysts: analyst }',
        "    groupStreams: { team-pay: [payments], lw-admins: ['*'] }",
        '    allowedEmailDomains: [example.com]',
        '',
      ].join('\n'),
    });
  });

  after(async () => {
    await srv?.stop();
    await idp?.close();
  });

  test('full flow: PKCE, state and nonce; user created with the mapped role; a normal session; audited', async () => {
    idp.user = alice;
    const jar = new CookieJar();
    const cb = await toCallback(srv, jar);
    const q = idp.lastAuthorize!;
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.match(q.get('code_challenge')!, /^[A-Za-z0-9_-]{43}$/);
    assert.match(q.get('state')!, /^[A-Za-z0-9_-]{43}$/);
    assert.match(q.get('nonce')!, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(q.get('scope')!.split(' '), ['openid', 'profile', 'email']);
    assert.equal(jar.get('lw_oidc_state'), q.get('state'), 'the state is bound to the browser');
    const r = await finish(cb, jar);
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /http-equiv="refresh" content="0; url=\/"/);
    assert.ok(r.session, 'lw_session set');
    assert.equal(jar.get('lw_oidc_state'), undefined, 'state cookie removed');
    const me = await api(srv, '/api/v1/auth/me', { session: r.session });
    assert.equal(me.status, 200);
    assert.equal(me.body.type, 'user');
    assert.equal(me.body.name, 'alice@example.com');
    assert.equal(me.body.role, 'analyst');
    // groupStreams is configured and none of alice's groups is in it: no stream.
    assert.deepEqual(me.body.streams, []);
    assert.equal((await api(srv, '/api/v1/search?q=*', { session: r.session })).status, 200);
    assert.equal((await api(srv, '/api/v1/users', { session: r.session })).status, 403);
    const users = await api(srv, '/api/v1/users', { token: BOOT });
    const u = (users.body.users as Array<Record<string, unknown>>).find(
      (x) => x.username === 'alice@example.com',
    );
    assert.equal(u?.origin, 'oidc');
    assert.equal(u?.role, 'analyst');
    // No password: a password sign-in of the OIDC user never works.
    const pw = await fetch(`${srv.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice@example.com', password: 'x'.repeat(16) }),
    });
    assert.equal(pw.status, 401);
    const audit = await api(
      srv,
      `/api/v1/audit?start=0&q=${encodeURIComponent('target:="alice@example.com"')}`,
      {
        token: BOOT,
      },
    );
    const actions = (audit.body.events as Array<Record<string, unknown>>).map(
      (e) => `${e.action} ${e.outcome}`,
    );
    assert.ok(actions.includes('user.create success'), actions.join(', '));
    assert.ok(actions.includes('auth.login success'), actions.join(', '));
  });

  test('a later sign-in takes the most privileged mapped group and the group streams; changes audited', async () => {
    idp.user = { ...alice, groups: ['lw-analysts', 'lw-editors', 'team-pay', 'unmapped'] };
    const r = await signIn(srv);
    assert.equal(r.status, 200, r.text);
    const me = await api(srv, '/api/v1/auth/me', { session: r.session });
    assert.equal(me.body.role, 'editor');
    assert.deepEqual(me.body.streams, ['payments']);
    idp.user = { ...alice, groups: ['lw-admins', 'team-pay'] };
    const admin = await signIn(srv);
    const me2 = await api(srv, '/api/v1/auth/me', { session: admin.session });
    assert.equal(me2.body.role, 'admin');
    assert.equal(me2.body.streams, null, '"*" grants every stream');
    const audit = await api(srv, `/api/v1/audit?start=0&q=${encodeURIComponent('action:="user.update"')}`, {
      token: BOOT,
    });
    const roles = (audit.body.events as Array<Record<string, unknown>>).map((e) => e['details.role']).sort();
    assert.deepEqual(roles, ['admin', 'editor']);
  });

  test('ES256 ID tokens verify', async () => {
    idp.user = { sub: 'u-1002', email: 'erin@example.com', groups: ['lw-editors'] };
    idp.alg = 'ES256';
    try {
      const r = await signIn(srv);
      assert.equal(r.status, 200, r.text);
    } finally {
      idp.alg = 'RS256';
    }
  });

  test('wrong state: a callback whose state is not this browser sign-in', async () => {
    idp.user = alice;
    const jar = new CookieJar();
    const cb = new URL(await toCallback(srv, jar));
    cb.searchParams.set('state', 'A'.repeat(43));
    assertRefused(
      await finish(cb.toString(), jar),
      401,
      'LW_ERR_OIDC_FAILED',
      /does not belong to this browser/,
    );
    // The same callback URL in another browser (no state cookie): login CSRF.
    const jar2 = new CookieJar();
    const cb2 = await toCallback(srv, jar2);
    assertRefused(await finish(cb2, new CookieJar()), 401, 'LW_ERR_OIDC_FAILED', /does not belong/);
  });

  test('replayed callback: the code never reaches the provider twice', async () => {
    idp.user = alice;
    const jar = new CookieJar();
    const cb = await toCallback(srv, jar);
    const state = jar.get('lw_oidc_state')!;
    assert.equal((await finish(cb, jar)).status, 200);
    const before = idp.tokenRequests;
    const attacker = new CookieJar();
    attacker.set('lw_oidc_state', state, '/api/v1/auth/oidc/callback');
    assertRefused(await finish(cb, attacker), 401, 'LW_ERR_OIDC_FAILED', /already used/);
    assert.equal(idp.tokenRequests, before);
  });

  test("a code redeemed with another sign-in's PKCE verifier is refused by the provider", async () => {
    idp.user = alice;
    const jar = new CookieJar();
    const first = new URL(await toCallback(srv, jar));
    const second = new URL(await toCallback(srv, jar));
    // The second sign-in's state (and so its verifier) with the first sign-in's code.
    second.searchParams.set('code', first.searchParams.get('code')!);
    const r = await finish(second.toString(), jar);
    assertRefused(r, 401, 'LW_ERR_OIDC_FAILED', /refused the code: invalid_grant/);
    assert.equal(idp.lastTokenError, 'PKCE verifier mismatch');
  });

  test('an error answered by the provider', async () => {
    const jar = new CookieJar();
    await toCallback(srv, jar);
    const url = `${srv.url}/api/v1/auth/oidc/callback?error=access_denied&error_description=user+cancelled&state=${jar.get('lw_oidc_state')}`;
    assertRefused(await finish(url, jar), 401, 'LW_ERR_OIDC_FAILED', /access_denied \(user cancelled\)/);
  });

  const badTokens: Array<[string, TestIdp['nextToken'], RegExp]> = [
    [
      'expired',
      { claims: (c) => Object.assign(c, { exp: Number(c.iat) - 3600, iat: Number(c.iat) - 7200 }) },
      /expired/,
    ],
    ['issued in the future', { claims: (c) => Object.assign(c, { iat: Number(c.iat) + 3600 }) }, /future/],
    [
      'wrong audience',
      { claims: (c) => Object.assign(c, { aud: 'another-client' }) },
      /not meant for this client/,
    ],
    ['wrong issuer', { claims: (c) => Object.assign(c, { iss: 'http://127.0.0.1:1' }) }, /issuer/],
    ['wrong nonce', { claims: (c) => Object.assign(c, { nonce: 'n'.repeat(43) }) }, /nonce/],
    ['tampered payload', { sign: 'tampered' }, /signature does not verify/],
    ['alg none', { sign: 'none' }, /unsigned \(alg "none"\)/],
    [
      'HS256 keyed with the RSA public key',
      { sign: 'HS256-with-public-key' },
      /"HS256"; only RS256 and ES256/,
    ],
    ['unknown kid', { sign: 'unknown-kid' }, /no RS256 key with kid/],
  ];
  for (const [name, next, reason] of badTokens)
    test(`ID token refused: ${name}`, async () => {
      idp.user = { ...alice, groups: ['lw-analysts'] };
      idp.nextToken = next;
      assertRefused(await signIn(srv), 401, 'LW_ERR_OIDC_FAILED', reason);
    });

  test('a user in no mapped group, outside the allowed domains, or named like a local user is refused', async () => {
    idp.user = { sub: 'u-2', email: 'gus@example.com', groups: ['staff', 'vpn'] };
    assertRefused(
      await signIn(srv),
      403,
      'LW_ERR_FORBIDDEN',
      /in no group .*groups in the "groups" claim: staff, vpn/,
    );
    idp.user = { sub: 'u-3', email: 'mallory@example.net', groups: ['lw-admins'] };
    assertRefused(await signIn(srv), 403, 'LW_ERR_FORBIDDEN', /not in an allowed domain/);
    idp.user = { sub: 'u-4', email: 'vic@example.com', email_verified: false, groups: ['lw-admins'] };
    assertRefused(await signIn(srv), 403, 'LW_ERR_FORBIDDEN', /not verified/);
    const local = await fetch(`${srv.url}/api/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOOT}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'root@example.com', role: 'viewer' }),
    });
    assert.equal(local.status, 201);
    idp.user = { sub: 'u-5', email: 'root@example.com', groups: ['lw-admins'] };
    assertRefused(await signIn(srv), 403, 'LW_ERR_FORBIDDEN', /a local user "root@example.com" exists/);
    const users = await api(srv, '/api/v1/users', { token: BOOT });
    const names = (users.body.users as Array<Record<string, unknown>>).map((u) => u.username);
    assert.ok(!names.includes('gus@example.com') && !names.includes('mallory@example.net'));
  });

  test('key rotation: a new kid makes one JWKS refresh and verifies', async () => {
    // The JWKS is refreshed at most every 10 s; wait out the window left by earlier tests.
    const last = idp.jwksFetches.at(-1) ?? 0;
    await new Promise((r) => setTimeout(r, Math.max(0, last + 10_500 - Date.now())));
    const fetches = idp.jwksFetches.length;
    idp.rotate();
    idp.user = alice;
    const r = await signIn(srv);
    assert.equal(r.status, 200, r.text);
    assert.equal(idp.jwksFetches.length, fetches + 1);
  });

  test('every refusal is in the audit trail with its reason', async () => {
    const audit = await api(
      srv,
      `/api/v1/audit?start=0&limit=1000&q=${encodeURIComponent('action:="auth.login" outcome:=failure details.method:=oidc')}`,
      { token: BOOT },
    );
    const reasons = (audit.body.events as Array<Record<string, unknown>>).map((e) =>
      String(e['details.reason']),
    );
    for (const re of [
      /does not belong/,
      /already used/,
      /invalid_grant/,
      /access_denied/,
      /expired/,
      /not meant for this client/,
      /issuer/,
      /nonce/,
      /signature does not verify/,
      /alg "none"/,
      /HS256/,
      /no RS256 key with kid/,
      /in no group/,
      /allowed domain/,
      /local user/,
    ])
      assert.ok(
        reasons.some((r) => re.test(r)),
        `${re} among ${reasons.length} audited failures:\n${reasons.join('\n')}`,
      );
  });
});
