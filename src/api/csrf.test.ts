import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { crossSiteRefusal, csrfTokenOf } from './csrf.ts';

describe('crossSiteRefusal', () => {
  const cases: Array<[string, Record<string, string>, boolean, RegExp | null]> = [
    ['a script: no browser headers', { host: '127.0.0.1:4280' }, false, null],
    [
      'same origin',
      { host: 'logs:4280', origin: 'http://logs:4280', 'sec-fetch-site': 'same-origin' },
      false,
      null,
    ],
    ['typed URL', { host: 'logs:4280', 'sec-fetch-site': 'none' }, false, null],
    [
      'cross-site',
      { host: 'logs:4280', 'sec-fetch-site': 'cross-site' },
      false,
      /Sec-Fetch-Site is cross-site/,
    ],
    ['same-site (a sibling host)', { host: 'logs:4280', 'sec-fetch-site': 'same-site' }, false, /same-site/],
    [
      'other origin',
      { host: 'logs:4280', origin: 'https://evil.example' },
      false,
      /Origin https:\/\/evil\.example/,
    ],
    ['other port', { host: 'logs:4280', origin: 'http://logs:4281' }, false, /Origin/],
    ['opaque origin', { host: 'logs:4280', origin: 'null' }, false, /Origin null/],
    ['loopback host, auth off', { host: '127.0.0.1:4280' }, true, null],
    ['IPv6 loopback host', { host: '[::1]:4280' }, true, null],
    ['localhost', { host: 'localhost:4280' }, true, null],
    ['*.localhost', { host: 'ui.localhost' }, true, null],
    ['rebound name, auth off', { host: 'evil.example:4280' }, true, /not a loopback address/],
    ['localhost look-alike', { host: 'localhost.evil.example' }, true, /not a loopback address/],
    ['127.0.0.1 look-alike', { host: '127.0.0.1.nip.io' }, true, /not a loopback address/],
    ['not a host', { host: 'a b' }, true, /not a host name/],
  ];
  for (const [what, headers, loopbackOnly, want] of cases)
    test(what, () => {
      const got = crossSiteRefusal(headers, loopbackOnly);
      if (want === null) assert.equal(got, null);
      else assert.match(String(got), want);
    });
});

test('csrfTokenOf: one token per session, not the session secret or its SHA-256', () => {
  const a = csrfTokenOf('secret-a');
  assert.equal(csrfTokenOf('secret-a'), a);
  assert.notEqual(csrfTokenOf('secret-b'), a);
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(!a.includes('secret'));
  const digest = createHash('sha256').update('secret-a');
  assert.notEqual(a, digest.copy().digest('base64url'));
  assert.ok(!digest.digest('hex').startsWith(Buffer.from(a, 'base64url').toString('hex').slice(0, 16)));
});
