import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clientKey, TokenBuckets, tokenKey } from './rate-limit.ts';

describe('TokenBuckets', () => {
  test('grants a burst, then one request per 1/rate seconds, and says how long to wait', () => {
    const b = new TokenBuckets({ rate: 2, burst: 3 });
    const t0 = 1_000_000;
    assert.deepEqual([b.take('a', t0), b.take('a', t0), b.take('a', t0)], [0, 0, 0]);
    assert.equal(b.take('a', t0), 1, 'empty: half a second to the next token rounds up to 1 s');
    assert.equal(b.take('a', t0 + 499), 1, 'still less than one token');
    assert.equal(b.take('a', t0 + 500), 0, 'one token after 1/rate s');
    assert.equal(b.take('a', t0 + 500), 1);
    assert.equal(b.take('b', t0), 0, 'keys are independent');
    // A long pause refills up to the burst, not beyond.
    const later = t0 + 3_600_000;
    assert.deepEqual(
      [0, 1, 2, 3].map(() => b.take('a', later)),
      [0, 0, 0, 1],
    );
  });

  test('a slow rate asks for a longer wait', () => {
    const b = new TokenBuckets({ rate: 0.1, burst: 1 });
    assert.equal(b.take('k', 0), 0);
    assert.equal(b.take('k', 0), 10);
    assert.equal(b.take('k', 5_000), 5);
  });

  test('keeps at most maxKeys buckets, dropping the least recently used', () => {
    const b = new TokenBuckets({ rate: 1, burst: 1 }, 2);
    b.take('x', 0);
    b.take('y', 0);
    b.take('x', 0); // x used again: y is now the oldest
    b.take('z', 0);
    assert.equal(b.size, 2);
    assert.equal(b.take('x', 0), 1, 'x kept its empty bucket');
    assert.equal(b.take('y', 0), 0, 'y was dropped and starts full');
  });
});

describe('clientKey', () => {
  test('IPv4 as is, IPv4-mapped IPv6 as IPv4, IPv6 by /64 network', () => {
    assert.equal(clientKey('203.0.113.7'), '203.0.113.7');
    assert.equal(clientKey('::ffff:203.0.113.7'), '203.0.113.7');
    const a = clientKey('2001:db8:aa:bb:1:2:3:4');
    assert.equal(a, '2001:db8:aa:bb::/64');
    assert.equal(clientKey('2001:0DB8:00aa:00bb::9'), a, 'same /64, other notation');
    assert.notEqual(clientKey('2001:db8:aa:bc::1'), a, 'neighbouring /64');
    assert.equal(clientKey('::1'), '0:0:0:0::/64');
    assert.equal(clientKey('2001:db8::'), '2001:db8:0:0::/64');
  });
});

describe('tokenKey', () => {
  test('a hash of the credentials, never the token; null without any', () => {
    const k = tokenKey('Bearer lw_secret-value');
    assert.ok(k !== null && !k.includes('secret'));
    assert.equal(tokenKey(' Bearer   lw_secret-value '), k);
    assert.notEqual(tokenKey('Bearer lw_other'), k);
    assert.equal(tokenKey(undefined), null);
    assert.notEqual(tokenKey('Basic dXNlcjpsd19vdGhlcg=='), null, 'a token sent as a Basic password');
  });
});
