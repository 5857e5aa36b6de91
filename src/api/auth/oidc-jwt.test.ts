/**
 * Unit tests of ID token verification (oidc-jwt.ts) and of the sign-in bookkeeping and claim
 * mapping (oidc-login.ts): table-driven refusals with real generated keys, and a seeded fuzz of
 * mutated tokens that must only ever be refused with LW_ERR_OIDC_FAILED.
 */
import assert from 'node:assert/strict';
import {
  createHash,
  createHmac,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  sign,
} from 'node:crypto';
import { describe, test } from 'node:test';
import { mulberry32 } from '../../../test/prng.ts';
import { LwError } from '../../core/errors.ts';
import { type AcceptedAlg, keyFromJwk, verifyIdToken } from './oidc-jwt.ts';
import { identityOf, type OidcConfig, PENDING_TTL_MS, PendingSignIns } from './oidc-login.ts';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsaJwk = rsa.publicKey.export({ format: 'jwk' });
const ecJwk = ec.publicKey.export({ format: 'jwk' });
const ISS = 'https://idp.example';
const NOW = 1_800_000_000;
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function claims(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: ISS, aud: 'lw', sub: 's1', iat: NOW - 10, exp: NOW + 300, nonce: 'n1', ...over };
}

function jws(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: KeyObject = rsa.privateKey,
) {
  const input = `${b64(header)}.${b64(payload)}`;
  const opts = header.alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
  return `${input}.${sign('sha256', Buffer.from(input), opts).toString('base64url')}`;
}

const keys: Record<string, JsonWebKey> = { r1: { ...rsaJwk, kid: 'r1' }, e1: { ...ecJwk, kid: 'e1' } };
const lookup = async (kid: string | undefined, alg: AcceptedAlg) =>
  kid !== undefined && keys[kid] !== undefined ? keyFromJwk(keys[kid], alg) : null;
const expect = { issuer: ISS, clientId: 'lw', nonce: 'n1', skewSeconds: 60, now: NOW };

async function refusal(token: string, x = expect): Promise<string> {
  try {
    await verifyIdToken(token, lookup, x);
  } catch (err) {
    assert.ok(err instanceof LwError, String(err));
    assert.equal(err.code, 'LW_ERR_OIDC_FAILED');
    return err.message;
  }
  assert.fail('accepted');
}

describe('ID token verification', () => {
  test('RS256 and ES256 tokens verify and resolve their claims', async () => {
    const a = await verifyIdToken(jws({ alg: 'RS256', kid: 'r1' }, claims()), lookup, expect);
    assert.equal(a.sub, 's1');
    const b = await verifyIdToken(jws({ alg: 'ES256', kid: 'e1' }, claims(), ec.privateKey), lookup, expect);
    assert.equal(b.nonce, 'n1');
    // Several audiences with azp naming us; expiry within the clock skew.
    await verifyIdToken(
      jws({ alg: 'RS256', kid: 'r1' }, claims({ aud: ['x', 'lw'], azp: 'lw', exp: NOW - 30 })),
      lookup,
      expect,
    );
  });

  const hmac = (() => {
    const input = `${b64({ alg: 'HS256', kid: 'r1' })}.${b64(claims())}`;
    const secret = rsa.publicKey.export({ type: 'spki', format: 'pem' });
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  })();
  const good = jws({ alg: 'RS256', kid: 'r1' }, claims());
  const cases: Array<[string, string, RegExp]> = [
    ['alg none', `${b64({ alg: 'none' })}.${b64(claims())}.`, /unsigned/],
    ['alg NONE', `${b64({ alg: 'NONE' })}.${b64(claims())}.`, /unsigned/],
    ['HS256 keyed with the RSA public key', hmac, /only RS256 and ES256/],
    ['RS384', jws({ alg: 'RS384', kid: 'r1' }, claims()), /only RS256 and ES256/],
    ['unknown kid', jws({ alg: 'RS256', kid: 'zz' }, claims()), /no RS256 key with kid "zz"/],
    ['RS256 header on the EC key', jws({ alg: 'RS256', kid: 'e1' }, claims()), /no RS256 key/],
    [
      'ES256 header on the RSA key',
      jws({ alg: 'ES256', kid: 'r1' }, claims(), ec.privateKey),
      /no ES256 key/,
    ],
    [
      'tampered payload',
      `${good.split('.')[0]}.${b64(claims({ sub: 'admin' }))}.${good.split('.')[2]}`,
      /signature/,
    ],
    ['two parts', good.split('.').slice(0, 2).join('.'), /2 parts/],
    [
      'header not JSON',
      `${Buffer.from('{x').toString('base64url')}.${b64(claims())}.AA`,
      /header is not JSON/,
    ],
    ['payload not base64url', `${b64({ alg: 'RS256' })}.a+b.AA`, /payload is not base64url/],
    ['crit header', jws({ alg: 'RS256', kid: 'r1', crit: ['exp'] }, claims()), /crit/],
    ['wrong issuer', jws({ alg: 'RS256', kid: 'r1' }, claims({ iss: 'https://evil' })), /issuer/],
    [
      'wrong audience',
      jws({ alg: 'RS256', kid: 'r1' }, claims({ aud: ['x', 'y'] })),
      /not meant for this client/,
    ],
    ['azp of another party', jws({ alg: 'RS256', kid: 'r1' }, claims({ aud: ['x', 'lw'], azp: 'x' })), /azp/],
    ['expired', jws({ alg: 'RS256', kid: 'r1' }, claims({ exp: NOW - 61 })), /expired 61 seconds ago/],
    [
      'exp not a number',
      jws({ alg: 'RS256', kid: 'r1' }, claims({ exp: '9999999999' })),
      /"exp" is not a number/,
    ],
    ['issued in the future', jws({ alg: 'RS256', kid: 'r1' }, claims({ iat: NOW + 120 })), /future/],
    ['not valid yet', jws({ alg: 'RS256', kid: 'r1' }, claims({ nbf: NOW + 120 })), /nbf/],
    ['wrong nonce', jws({ alg: 'RS256', kid: 'r1' }, claims({ nonce: 'n2' })), /nonce/],
    ['no nonce', jws({ alg: 'RS256', kid: 'r1' }, claims({ nonce: undefined })), /nonce/],
    ['no sub', jws({ alg: 'RS256', kid: 'r1' }, claims({ sub: '' })), /sub/],
  ];
  for (const [name, token, reason] of cases)
    test(`refused: ${name}`, async () => {
      assert.match(await refusal(token), reason);
    });

  test('ES256 signatures must be raw r||s (64 bytes), not DER', async () => {
    const input = `${b64({ alg: 'ES256', kid: 'e1' })}.${b64(claims())}`;
    const der = sign('sha256', Buffer.from(input), ec.privateKey).toString('base64url');
    assert.match(await refusal(`${input}.${der}`), /signature/);
  });

  test('keys that do not fit: short RSA, encryption keys, a JWK alg of another algorithm', () => {
    const short = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    assert.equal(keyFromJwk(short, 'RS256'), null);
    assert.equal(keyFromJwk({ ...rsaJwk, use: 'enc' }, 'RS256'), null);
    assert.equal(keyFromJwk({ ...rsaJwk, alg: 'RS512' }, 'RS256'), null);
    assert.equal(keyFromJwk({ kty: 'RSA', n: '!!', e: 'AQAB' }, 'RS256'), null);
    assert.notEqual(keyFromJwk({ ...rsaJwk, alg: 'RS256', use: 'sig' }, 'RS256'), null);
  });

  test('fuzz: mutated tokens are refused with LW_ERR_OIDC_FAILED, never accepted or crashing', async () => {
    const rnd = mulberry32(7);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.+/={}"';
    for (let i = 0; i < 2000; i++) {
      const chars = [...good];
      const edits = 1 + Math.floor(rnd() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rnd() * chars.length);
        const kind = rnd();
        if (kind < 0.5) chars[at] = alphabet[Math.floor(rnd() * alphabet.length)];
        else if (kind < 0.75) chars.splice(at, 1);
        else chars.splice(at, 0, alphabet[Math.floor(rnd() * alphabet.length)]);
      }
      const t = chars.join('');
      if (t === good) continue;
      try {
        await verifyIdToken(t, lookup, expect);
        // Base64url tails can decode to the same bytes; only then may a mutation pass.
        assert.deepEqual(
          t.split('.').map((p) => Buffer.from(p, 'base64url').toString('hex')),
          good.split('.').map((p) => Buffer.from(p, 'base64url').toString('hex')),
          `accepted a mutated token: ${t}`,
        );
      } catch (err) {
        assert.ok(err instanceof LwError && err.code === 'LW_ERR_OIDC_FAILED', `${t}: ${err}`);
      }
    }
  });
});

describe('pending sign-ins', () => {
  test('single use, expire after 10 minutes, challenge is S256 of the verifier', () => {
    const p = new PendingSignIns();
    const s = p.start(1000);
    const got = p.take(s.state, 2000)!;
    assert.equal(createHash('sha256').update(got.verifier).digest('base64url'), s.codeChallenge);
    assert.equal(got.nonce, s.nonce);
    assert.equal(p.take(s.state, 2000), null, 'used');
    const old = p.start(0);
    assert.equal(p.take(old.state, PENDING_TTL_MS + 1), null, 'expired');
    assert.equal(p.take('nope'), null);
  });

  test('bounded: old entries are swept, at most 10,000 kept', () => {
    const p = new PendingSignIns();
    for (let i = 0; i < 10_050; i++) p.start(5);
    assert.equal(p.size, 10_000);
    p.start(PENDING_TTL_MS + 10);
    assert.equal(p.size, 1);
  });
});

describe('claims -> account', () => {
  const cfg = {
    usernameClaim: 'email',
    groupsClaim: 'groups',
    scopes: ['openid', 'email'],
    groupRoles: { ops: 'editor', sec: 'admin', ro: 'viewer' },
    groupStreams: {},
    allowedEmailDomains: null,
  } as unknown as OidcConfig;

  test('most privileged role; user name lower-cased; a single-string group claim', () => {
    assert.deepEqual(identityOf({ email: 'Bo@X.org', groups: ['ro', 'ops', 'other'] }, cfg), {
      username: 'bo@x.org',
      role: 'editor',
      streams: null,
      groups: ['ro', 'ops', 'other'],
    });
    assert.equal(identityOf({ email: 'a@x', groups: 'sec' }, cfg).role, 'admin');
  });

  test('streams: union of the mapped groups, "*" is all, no mapped group is none', () => {
    const c = { ...cfg, groupStreams: { ops: ['web', 'db'], ro: ['web'], sec: ['*'] } };
    assert.deepEqual(identityOf({ email: 'a@x', groups: ['ops', 'ro'] }, c).streams, ['db', 'web']);
    assert.equal(identityOf({ email: 'a@x', groups: ['ops', 'sec'] }, c).streams, null);
    assert.deepEqual(
      identityOf({ email: 'a@x', groups: ['ro'] }, { ...c, groupStreams: { ops: ['db'] } }).streams,
      [],
    );
  });

  test('refusals name the claim or rule', () => {
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return `${(err as LwError).code} ${(err as LwError).message}`;
      }
      return 'accepted';
    };
    assert.match(
      codeOf(() => identityOf({ groups: ['ops'] }, cfg)),
      /OIDC_FAILED .*no "email" claim/,
    );
    assert.match(
      codeOf(() => identityOf({ email: 'a b@x', groups: ['ops'] }, cfg)),
      /FORBIDDEN .*not a valid user name/,
    );
    assert.match(
      codeOf(() => identityOf({ email: 'a@x', groups: ['toString'] }, cfg)),
      /FORBIDDEN .*in no group/,
    );
    assert.match(
      codeOf(() => identityOf({ email: 'a@x' }, cfg)),
      /groups in the "groups" claim: none/,
    );
    const dom = { ...cfg, allowedEmailDomains: ['corp.example'] };
    assert.match(
      codeOf(() => identityOf({ email: 'a@corp.example.evil', groups: ['ops'] }, dom)),
      /allowed domain/,
    );
    assert.equal(
      codeOf(() => identityOf({ email: 'A@Corp.Example', groups: ['ops'] }, dom)),
      'accepted',
    );
  });
});
