/**
 * Black-box web safety of the HTTP API, against the real `logwarden start`:
 * - log lines carrying real XSS payloads come back JSON-encoded, byte for byte, as
 *   `application/json` (search, fields, top values) or `text/event-stream` (live tail) with the
 *   security headers (CSP without inline script, nosniff, ...); a line cannot inject SSE frames.
 *   There is no web UI yet, so the browser-rendering test of the issue waits for it; this proves
 *   the API half: no answer can be taken for HTML or run as script.
 * - security headers on every kind of answer (200, 400, 404, 401, 413, 429, SSE);
 * - CSRF: cross-site writes (Sec-Fetch-Site, Origin) are refused even with authentication off;
 *   a write signed in with the session cookie needs the session's X-CSRF-Token; bearer tokens
 *   are exempt;
 * - request limits: every JSON write route has a body limit (enumerated from the route list),
 *   malformed bodies get a clear 400, and per-client / per-token rate limits answer 429 with
 *   Retry-After while /healthz stays reachable.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { ingest, type Server, startServer, waitIndexed } from './harness.ts';

/**
 * Attack strings as published in the OWASP XSS Filter Evasion Cheat Sheet, PortSwigger's XSS
 * cheat sheet and the 0xsobky polyglot, plus SSE frame injection and JS line separators.
 */
const PAYLOADS = [
  '<script>alert(document.domain)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg/onload=alert(1)>",
  '</script><script>alert(1)</script>',
  '<img src="x" onerror="&#x61;lert(1)">',
  '<iframe src="javascript:alert(1)"></iframe>',
  "<body onload=alert('XSS')>",
  '<a href="javas&#99;ript:alert(1)">click</a>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  'jaVasCript:/*-/*`/*\\`/*\'/*"/**/(/* */oNcliCk=alert() )//%0D%0A%0d%0a//</stYle/</titLe/</teXtarEa/</scRipt/--!>\\x3csVg/<sVg/oNloAd=alert()//>\\x3e',
  '<svg><script>alert&#40;1&#41;</script></svg>',
  "{{constructor.constructor('alert(1)')()}}",
  '<div style="background:url(javascript:alert(1))">',
  '\u2028\u2029<script>alert(1)</script>',
  'ok\n\nevent: ready\ndata: {"pwned":true}\n\nid: 1\r\ndata: x\r\n\r\n',
  '<x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>',
  '%3Cscript%3Ealert(1)%3C/script%3E',
  '+ADw-script+AD4-alert(1)+ADw-/script+AD4-',
  '<IMG SRC=JaVaScRiPt:alert(&quot;XSS&quot;)>',
  '<details open ontoggle=alert(1)>',
];

/** Checks the security headers on any answer. */
function assertSecurityHeaders(h: Headers, what: string): void {
  const csp = h.get('content-security-policy') ?? '';
  assert.match(csp, /(^|; )script-src 'self'(;|$)/, `${what}: CSP script-src\n${csp}`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, `${what}: no unsafe sources`);
  assert.match(csp, /object-src 'none'/, what);
  assert.match(csp, /base-uri 'none'/, what);
  assert.match(csp, /frame-ancestors 'none'/, what);
  assert.equal(h.get('x-content-type-options'), 'nosniff', what);
  assert.equal(h.get('x-frame-options'), 'DENY', what);
  assert.equal(h.get('referrer-policy'), 'no-referrer', what);
  assert.equal(h.get('cross-origin-opener-policy'), 'same-origin', what);
  assert.match(h.get('permissions-policy') ?? '', /camera=\(\)/, what);
  assert.equal(h.get('strict-transport-security'), null, `${what}: no HSTS over plain HTTP`);
}

function assertJson(res: Response, what: string): void {
  assert.match(res.headers.get('content-type') ?? '', /^application\/json(;|$)/, what);
  assertSecurityHeaders(res.headers, what);
}

async function getJson(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  const text = await res.text();
  return { res, text, body: JSON.parse(text) as Record<string, unknown> };
}

/** GET with a chosen Host header (fetch cannot set it), as a DNS-rebound page would send. */
function getWithHost(url: string, host: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.get(url, { headers: { ...headers, host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

/** Reads SSE blocks until `done` says enough (or 20 s); returns them with the headers. */
async function readSse(url: string, done: (blocks: string[]) => boolean) {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + 20_000;
  const blocks = () => text.split('\n\n').slice(0, -1);
  try {
    while (!done(blocks()) && Date.now() < deadline) {
      const { value, done: end } = await reader.read();
      if (end) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    ac.abort();
  }
  return { res, blocks: blocks() };
}

describe('attacker-controlled log lines and security headers (authentication off)', () => {
  let srv: Server;
  const run = `xss${Date.now()}`;

  before(async () => {
    srv = await startServer();
    const lines = PAYLOADS.map((p, i) =>
      JSON.stringify({ message: p, host: p, run, n: i, '<img src=x onerror=alert(1)>': p }),
    );
    const r = await ingest(srv.url, `${lines.join('\n')}\n`, { stream: 'web' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.accepted, PAYLOADS.length);
    await waitIndexed(srv.url);
  });
  after(async () => {
    assert.equal(await srv.stop(), 0, srv.logs());
  });

  test('search answers hold every payload JSON-encoded, as application/json', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const q = `run:${run}`;
      const { res, text, body } =
        method === 'GET'
          ? await getJson(`${srv.url}/api/v1/search?q=${q}&start=0&limit=100`)
          : await getJson(`${srv.url}/api/v1/search`, {
              method,
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ q, start: '0', limit: 100 }),
            });
      assert.equal(res.status, 200, text);
      assertJson(res, `${method} search`);
      const events = body.events as Array<Record<string, unknown>>;
      assert.equal(events.length, PAYLOADS.length);
      for (const e of events) {
        const p = PAYLOADS[Number(e.n)]!;
        assert.equal(e.message, p, 'message comes back byte for byte');
        assert.equal(e.host, p);
      }
      // Raw control characters of a payload never appear unescaped in the answer.
      assert.ok(!text.includes('\n\nevent: ready'), 'newlines are escaped');
    }
  });

  test('fields and top values hold the payloads (also as a field name) JSON-encoded', async () => {
    const f = await getJson(`${srv.url}/api/v1/fields?q=run:${run}&start=0`);
    assert.equal(f.res.status, 200, f.text);
    assertJson(f.res, 'fields');
    const names = (f.body.fields as Array<{ name: string }>).map((x) => x.name);
    assert.ok(names.includes('<img src=x onerror=alert(1)>'), `field names: ${names.join(', ')}`);

    const v = await getJson(`${srv.url}/api/v1/fields/host/values?q=run:${run}&start=0&limit=100`);
    assert.equal(v.res.status, 200, v.text);
    assertJson(v.res, 'values');
    const values = (v.body.values as Array<{ value: unknown }>).map((x) => x.value).sort();
    assert.deepEqual(values, [...PAYLOADS].sort());

    const name = encodeURIComponent('<img src=x onerror=alert(1)>');
    const w = await getJson(`${srv.url}/api/v1/fields/${name}/values?q=run:${run}&start=0&limit=100`);
    assert.equal(w.res.status, 200, w.text);
    assertJson(w.res, 'values of a hostile field name');
    assert.equal(w.body.field, '<img src=x onerror=alert(1)>');
  });

  test('live tail (SSE) sends each payload as one JSON data line; none injects a frame', async () => {
    const { res, blocks } = await readSse(
      `${srv.url}/api/v1/tail?q=run:${run}&since=0&limit=100`,
      (b) => b.filter((x) => x.startsWith('id: ')).length >= PAYLOADS.length,
    );
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    assertSecurityHeaders(res.headers, 'tail');
    const ready = blocks.filter((b) => b.startsWith('event: ready'));
    assert.equal(ready.length, 1, 'exactly one ready frame: no payload forged one');
    const events = blocks.filter((b) => b.startsWith('id: '));
    assert.equal(events.length, PAYLOADS.length);
    for (const b of events) {
      const lines = b.split('\n');
      assert.equal(lines.length, 2, `one id line and one data line:\n${b}`);
      assert.ok(!b.includes('\r'), 'no raw CR');
      const e = JSON.parse(lines[1]!.replace(/^data: /, '')) as Record<string, unknown>;
      assert.equal(e.message, PAYLOADS[Number(e.n)]);
    }
    assert.ok(!blocks.some((b) => b.includes('pwned') && !b.startsWith('id: ')));
  });

  test('a page of another site cannot open a live tail over WebSocket (cross-site WebSocket hijacking)', async () => {
    const wsUrl = `${srv.url.replace('http', 'ws')}/api/v1/tail?q=run:${run}&since=0`;
    const open = (headers: Record<string, string>) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(wsUrl, { headers });
        ws.on('unexpected-response', (_req, res) => {
          let body = '';
          res.on('data', (d: Buffer) => {
            body += d;
          });
          res.on('end', () => resolve(`${res.statusCode} ${body}`));
        });
        ws.on('message', (m: Buffer) => {
          ws.close();
          resolve(`open ${String(m).slice(0, 40)}`);
        });
        ws.on('error', () => {});
      });
    const host = new URL(srv.url).host;
    const hostile: Array<Record<string, string>> = [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
    ];
    for (const h of hostile) {
      const r = await open(h);
      assert.match(r, /^403 .*LW_ERR_CSRF/, JSON.stringify(h));
    }
    assert.match(await open({ origin: `http://${host}` }), /^open \{"type":"ready"/);
    assert.match(await open({}), /^open \{"type":"ready"/);
  });

  test('DNS rebinding: with authentication off, a Host that is not loopback is refused, reads too', async () => {
    const port = new URL(srv.url).port;
    const url = `${srv.url}/api/v1/search?q=run:${run}&start=0`;
    const rebound = await getWithHost(url, `evil.example:${port}`);
    assert.equal(rebound.status, 403, rebound.body);
    assert.match(rebound.body, /not a loopback address.*LW_ERR_CSRF/);
    assert.equal((await getWithHost(`${srv.url}/healthz`, `evil.example:${port}`)).status, 403);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `app.localhost:${port}`]) {
      const ok = await getWithHost(url, host);
      assert.equal(ok.status, 200, `${host}: ${ok.body.slice(0, 200)}`);
    }
    const ws = await new Promise<number>((resolve) => {
      const c = new WebSocket(`${srv.url.replace('http', 'ws')}/api/v1/tail`, {
        headers: { host: `evil.example:${port}` },
      });
      c.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      c.on('open', () => {
        c.close();
        resolve(101);
      });
      c.on('error', () => {});
    });
    assert.equal(ws, 403);
  });

  test('errors that echo hostile input are JSON with the headers too', async () => {
    const bad = await getJson(
      `${srv.url}/api/v1/search?q=${encodeURIComponent('<script>alert(1)</script>"(')}`,
    );
    assert.equal(bad.res.status, 400);
    assertJson(bad.res, 'query syntax error');
    const missing = await getJson(`${srv.url}/${encodeURIComponent('<script>alert(1)</script>')}`);
    assert.equal(missing.res.status, 404);
    assertJson(missing.res, '404');
    const health = await fetch(`${srv.url}/healthz`);
    assertJson(health, 'healthz');
    const metrics = await fetch(`${srv.url}/metrics`);
    assertSecurityHeaders(metrics.headers, 'metrics');
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
  });

  test('malformed and oversized JSON bodies get a clear 400 / 413 / 415, never a stack trace', async () => {
    const post = (body: string | Uint8Array, type = 'application/json') =>
      getJson(`${srv.url}/api/v1/search`, { method: 'POST', headers: { 'content-type': type }, body });
    const cases = [
      { body: '{"q": "x",}', status: 400, error: /cannot parse the JSON body: .*position 10/ },
      { body: '', status: 400, error: /the JSON body is empty/ },
      { body: '{"q": "x", "__proto__": {"admin": true}}', status: 400, error: /forbidden key "__proto__"/ },
      {
        body: '{"constructor": {"prototype": {"admin": true}}}',
        status: 400,
        error: /forbidden key "constructor"/,
      },
      {
        body: JSON.stringify({ q: 'x'.repeat(2 * 1024 * 1024) }),
        status: 413,
        error: /limit of 1048576 bytes/,
      },
      {
        body: '<q>x</q>',
        type: 'application/xml',
        status: 415,
        error: /unsupported content type "application\/xml"/,
      },
    ];
    for (const c of cases) {
      const r = await post(c.body, c.type);
      assert.equal(r.res.status, c.status, `${c.body.slice(0, 60)}: ${r.text}`);
      assertJson(r.res, `${c.status}`);
      assert.match(String(r.body.error), c.error);
      assert.doesNotMatch(r.text, /\bat .*\.(ts|js):\d+/, 'no stack frames');
    }
  });

  test('cross-site writes are refused even without authentication; shippers and same-site pass', async () => {
    const host = new URL(srv.url).host;
    const save = (name: string, headers: Record<string, string>) =>
      getJson(`${srv.url}/api/v1/saved-searches`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ name, query: 'level:error' }),
      });
    const refused: Array<Record<string, string>> = [
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: `http://${host}.evil.example` },
    ];
    for (const [i, h] of refused.entries()) {
      const r = await save(`refused-${i}`, h);
      assert.equal(r.res.status, 403, `${JSON.stringify(h)}: ${r.text}`);
      assert.equal(r.body.code, 'LW_ERR_CSRF');
      assertJson(r.res, '403 csrf');
    }
    const list = await getJson(`${srv.url}/api/v1/saved-searches`);
    assert.deepEqual(
      (list.body.saved_searches as Array<{ name: string }>).filter((s) => s.name.startsWith('refused-')),
      [],
      'nothing refused was stored',
    );
    // A form on another site can POST text/plain without a preflight: that is refused too.
    const form = await fetch(`${srv.url}/api/v1/ingest?stream=csrf`, {
      method: 'POST',
      headers: {
        'content-type': 'text/plain',
        'sec-fetch-site': 'cross-site',
        origin: 'https://evil.example',
      },
      body: 'forged line\n',
    });
    assert.equal(form.status, 403);
    // Same origin, scripts and shippers (no browser headers), bearer tokens, and reads pass.
    const same = await save('same-origin', { origin: `http://${host}`, 'sec-fetch-site': 'same-origin' });
    assert.equal(same.res.status, 201, same.text);
    assert.equal((await save('script', {})).res.status, 201);
    assert.equal(
      (await save('bearer', { authorization: 'Bearer lw_x', 'sec-fetch-site': 'cross-site' })).res.status,
      201,
    );
    const read = await fetch(`${srv.url}/api/v1/saved-searches`, {
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    assert.equal(read.status, 200);
  });
});

describe('CSRF token of cookie sessions (authentication on)', () => {
  const BOOT = `lw_${'c'.repeat(24)}0123456789abcdefghij`;
  const pw = 'a long enough password 42';
  let srv: Server;
  const call = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
    fetch(`${srv.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const login = async () => {
    const r = await call('POST', '/api/v1/auth/login', {}, { username: 'ana', password: pw });
    assert.equal(r.status, 200, await r.text());
    const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
    const csrf = r.headers.get('x-csrf-token');
    assert.match(cookie, /^lw_session=./);
    assert.ok(csrf !== null && csrf.length >= 32, 'the sign-in hands out a CSRF token');
    return { cookie, csrf };
  };

  before(async () => {
    srv = await startServer({ auth: true, env: { LOGWARDEN_BOOTSTRAP_TOKEN: BOOT } });
    const r = await call(
      'POST',
      '/api/v1/users',
      { authorization: `Bearer ${BOOT}` },
      { username: 'ana', role: 'analyst', password: pw },
    );
    assert.equal(r.status, 201, await r.text());
  });
  after(async () => {
    assert.equal(await srv.stop(), 0, srv.logs());
  });

  test('a cookie write needs its own session token; reads and bearer writes do not', async () => {
    const a = await login();
    const b = await login();
    assert.notEqual(a.csrf, b.csrf, 'one token per session');
    const save = (name: string, headers: Record<string, string>) =>
      call('POST', '/api/v1/saved-searches', headers, { name, query: 'x' });
    for (const [why, h] of [
      ['no token', { cookie: a.cookie }],
      ['wrong token', { cookie: a.cookie, 'x-csrf-token': 'x'.repeat(a.csrf.length) }],
      ["another session's token", { cookie: a.cookie, 'x-csrf-token': b.csrf }],
      [
        'right token, cross-site',
        { cookie: a.cookie, 'x-csrf-token': a.csrf, 'sec-fetch-site': 'cross-site' },
      ],
    ] as const) {
      const r = await save(`no-${why}`, h);
      const body = (await r.json()) as Record<string, unknown>;
      assert.equal(r.status, 403, `${why}: ${JSON.stringify(body)}`);
      assert.equal(body.code, 'LW_ERR_CSRF', why);
    }
    const ok = await save('with-token', { cookie: a.cookie, 'x-csrf-token': a.csrf });
    assert.equal(ok.status, 201, await ok.text());

    // Reads need no token, and hand it out again (a reloaded page gets it from /auth/me).
    const me = await call('GET', '/api/v1/auth/me', { cookie: a.cookie });
    assert.equal(me.status, 200);
    assert.equal(me.headers.get('x-csrf-token'), a.csrf);

    // With authentication on, any Host name works (a DNS-rebound page has no credentials).
    const port = new URL(srv.url).port;
    const named = await getWithHost(`${srv.url}/api/v1/auth/me`, `logs.example:${port}`, {
      authorization: `Bearer ${BOOT}`,
    });
    assert.equal(named.status, 200, named.body);

    const bearer = await save('bearer', { authorization: `Bearer ${BOOT}` });
    assert.equal(bearer.status, 201, await bearer.text());
    assert.equal(bearer.headers.get('x-csrf-token'), null, 'no session, no token');

    // Signing out is a write too.
    assert.equal((await call('POST', '/api/v1/auth/logout', { cookie: b.cookie })).status, 403);
    const out = await call('POST', '/api/v1/auth/logout', { cookie: b.cookie, 'x-csrf-token': b.csrf });
    assert.equal(out.status, 204);
    assert.equal((await call('GET', '/api/v1/auth/me', { cookie: b.cookie })).status, 401);
  });

  test('every JSON write route has a body limit (ingest protocols: http.maxBodyBytes)', async () => {
    const r = await call('GET', '/api/v1/auth/routes', { authorization: `Bearer ${BOOT}` });
    const routes = (
      (await r.json()) as { routes: Array<{ method: string; url: string; permission: string }> }
    ).routes;
    const writes = routes.filter((x) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(x.method));
    assert.ok(writes.length >= 10, `routes: ${JSON.stringify(writes)}`);
    const big = JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) });
    const checked: string[] = [];
    for (const w of writes) {
      if (w.permission === 'ingest') continue;
      const path = w.url.replace(/:[A-Za-z]+/g, 'x').replace(/\*$/, 'x');
      const res = await call(w.method, path, { authorization: `Bearer ${BOOT}` }, JSON.parse(big));
      const text = await res.text();
      assert.equal(res.status, 413, `${w.method} ${w.url}: ${text.slice(0, 200)}`);
      assert.equal(JSON.parse(text).code, 'LW_ERR_BODY_TOO_LARGE');
      checked.push(`${w.method} ${w.url}`);
    }
    assert.ok(checked.includes('POST /api/v1/auth/login'), checked.join(', '));
  });
});

describe('rate limits', () => {
  let srv: Server;
  before(async () => {
    // One token per 100 s: nothing refills while the test runs, however slow the machine.
    srv = await startServer({
      configYaml:
        'http:\n  rateLimit:\n    client:\n      rate: 0.01\n      burst: 8\n    token:\n      rate: 0.01\n      burst: 2\n',
    });
  });
  after(async () => {
    assert.equal(await srv.stop(), 0, srv.logs());
  });

  test('per token, then per client address: 429 with Retry-After; /healthz is never limited', async () => {
    const get = (token?: string) =>
      fetch(`${srv.url}/api/v1/queue`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    assert.equal((await get('lw_a')).status, 200);
    assert.equal((await get('lw_a')).status, 200);
    const byToken = await get('lw_a');
    assert.equal(byToken.status, 429);
    const tb = (await byToken.json()) as Record<string, unknown>;
    assert.equal(tb.code, 'LW_ERR_RATE_LIMITED');
    assert.match(String(tb.error), /API token/);
    const wait = Number(byToken.headers.get('retry-after'));
    assert.ok(wait >= 90 && wait <= 100, `Retry-After ${wait}`);
    assertJson(byToken, '429');
    assert.equal((await get('lw_b')).status, 200, 'another token has its own bucket');

    // Counted in /metrics (the 5th request of this address).
    const metrics = await (await fetch(`${srv.url}/metrics`)).text();
    assert.match(metrics, /^logwarden_http_rate_limited_total\{by="token"\} 1$/m);
    assert.match(metrics, /^logwarden_http_rate_limited_total\{by="client"\} 0$/m);

    // The client address has used 5 of its 8; 3 more pass, the next is refused.
    for (let i = 0; i < 3; i++) assert.equal((await get()).status, 200, `request ${i}`);
    const byClient = await get();
    assert.equal(byClient.status, 429);
    assert.match(String(((await byClient.json()) as Record<string, unknown>).error), /client address/);
    assert.ok(Number(byClient.headers.get('retry-after')) >= 1);
    assert.equal((await get('lw_c')).status, 429, 'a fresh token does not lift the address limit');

    for (let i = 0; i < 20; i++) assert.equal((await fetch(`${srv.url}/healthz`)).status, 200);
  });
});
