import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../../../test/prng.ts';
import { LwError } from '../../core/errors.ts';
import { cookieValue, parseAuthorization, requestCredentials } from './credentials.ts';

const TOKEN = `lw_${'A'.repeat(43)}`;
const b64 = (s: string) => Buffer.from(s).toString('base64');

test('Bearer, Basic (token as password), ApiKey (plain or base64 id:token) all give the token', () => {
  const cases: Array<[string, string]> = [
    [`Bearer ${TOKEN}`, TOKEN],
    [`bearer   ${TOKEN} `, TOKEN],
    [`Basic ${b64(`filebeat:${TOKEN}`)}`, TOKEN],
    [`Basic ${b64(`:${TOKEN}`)}`, TOKEN],
    [`ApiKey ${TOKEN}`, TOKEN],
    [`ApiKey ${b64(`myid:${TOKEN}`)}`, TOKEN],
  ];
  for (const [h, want] of cases) assert.deepEqual(parseAuthorization(h), { kind: 'token', secret: want }, h);
});

test('unreadable Authorization headers are 401 naming the problem', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /form "Bearer <token>"/],
    ['Bearer', /form "Bearer <token>"/],
    ['Bearer a b', /form "Bearer <token>"/],
    ['Digest abc', /unsupported Authorization scheme "Digest"/],
    [`Basic ${b64('no-colon')}`, /base64 of "user:token"/],
    ['Basic !!!', /base64 of "user:token"/],
    [`Bearer ${'x'.repeat(9000)}`, /too long/],
  ];
  for (const [h, re] of cases) {
    assert.throws(
      () => parseAuthorization(h),
      (e: unknown) => e instanceof LwError && e.status === 401 && re.test(e.message),
      h,
    );
  }
});

test('the session cookie is read from Cookie; an Authorization header wins over it', () => {
  assert.equal(cookieValue('a=1; lw_session=abc; b=2', 'lw_session'), 'abc');
  assert.equal(cookieValue('lw_sessionx=1', 'lw_session'), null);
  assert.deepEqual(requestCredentials({ cookie: 'lw_session=s1' }), { kind: 'session', secret: 's1' });
  assert.deepEqual(requestCredentials({ cookie: 'lw_session=s1', authorization: `Bearer ${TOKEN}` }), {
    kind: 'token',
    secret: TOKEN,
  });
  assert.equal(requestCredentials({}), null);
  assert.equal(requestCredentials({ cookie: 'lw_session=' }), null);
  assert.throws(() => requestCredentials({ authorization: ['Bearer a', 'Bearer b'] }), /more than one/);
});

test('fuzz: random Authorization and Cookie headers either parse or throw a 401 LwError', () => {
  for (const seed of [1, 2, 3, 4]) {
    const rnd = mulberry32(seed);
    const alphabet = [
      'Bearer ',
      'Basic ',
      'ApiKey ',
      'lw_',
      ':',
      ' ',
      '=',
      ';',
      'a',
      'Z',
      '0',
      '_',
      '-',
      '+',
      '/',
      '\t',
      'é',
      '\u0000',
      '"',
      'lw_session=',
    ];
    for (let i = 0; i < 5000; i++) {
      let h = '';
      const n = Math.floor(rnd() * 12);
      for (let j = 0; j < n; j++) {
        const r = rnd();
        if (r < 0.6) h += alphabet[Math.floor(rnd() * alphabet.length)];
        else if (r < 0.8)
          h += b64(String.fromCharCode(Math.floor(rnd() * 0x3000)).repeat(1 + Math.floor(rnd() * 5)));
        else h += String.fromCharCode(Math.floor(rnd() * 0x10000));
      }
      try {
        const c = requestCredentials(rnd() < 0.5 ? { authorization: h } : { cookie: h });
        if (c !== null) assert.equal(typeof c.secret, 'string');
      } catch (err) {
        assert.ok(
          err instanceof LwError && err.status === 401,
          `seed ${seed} #${i} ${JSON.stringify(h)}: ${err}`,
        );
      }
    }
  }
});
