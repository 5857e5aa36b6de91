import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Lockout } from './lockout.ts';
import { intersectStreams, rolePermissions, tokenPermissions } from './permissions.ts';
import { Sessions } from './sessions.ts';

test('sessions end after the idle timeout, the absolute timeout, logout, or for the whole user', () => {
  const s = new Sessions({ idleMs: 1000, absoluteMs: 5000 });
  const t0 = 1_000_000;
  const a = s.create('ann', t0);
  assert.match(a, /^[A-Za-z0-9_-]{43}$/, '256 random bits');
  assert.equal(s.touch(a, t0 + 900)?.username, 'ann');
  assert.equal(s.touch(a, t0 + 1800)?.username, 'ann', 'each use restarts the idle clock');
  assert.equal(s.touch(a, t0 + 2801), null, 'idle');
  const b = s.create('ann', t0);
  for (let t = t0; t < t0 + 5000; t += 900) assert.ok(s.touch(b, t));
  assert.equal(s.touch(b, t0 + 5001), null, 'absolute');
  const c = s.create('ann', t0);
  const d = s.create('ann', t0);
  const e = s.create('bob', t0);
  s.end(c);
  assert.equal(s.touch(c, t0), null, 'logout');
  assert.equal(s.endUser('ann', null), 1);
  assert.equal(s.touch(d, t0), null);
  assert.ok(s.touch(e, t0), "other users' sessions stay");
  assert.equal(s.touch('not-a-session', t0), null);
});

test('lockout: from the 5th failure, exponential backoff capped; success clears the user key', () => {
  const l = new Lockout({ threshold: 5, baseMs: 1000, maxMs: 8000 });
  const keys = ['user:ann', 'ip:10.0.0.1'];
  const t = 0;
  for (let i = 0; i < 4; i++) l.fail(keys, t);
  assert.equal(l.retryAfterMs(keys, t), 0, 'four failures: no delay yet');
  l.fail(keys, t);
  assert.equal(l.retryAfterMs(keys, t), 1000);
  l.fail(keys, t);
  assert.equal(l.retryAfterMs(keys, t), 2000);
  for (let i = 0; i < 10; i++) l.fail(keys, t);
  assert.equal(l.retryAfterMs(keys, t), 8000, 'capped');
  assert.equal(l.retryAfterMs(['user:bob'], t), 0, 'other users are not locked');
  assert.equal(l.retryAfterMs(['user:bob', 'ip:10.0.0.1'], t), 8000, 'but the same address is');
  l.succeed(['user:ann']);
  assert.equal(l.retryAfterMs(['user:ann'], t), 0);
  assert.equal(l.retryAfterMs(keys, t + 8000), 0, 'unlocks when the delay has passed');
});

test('lockout forgets the oldest keys beyond its bound', () => {
  const l = new Lockout({ threshold: 1, baseMs: 1000, maxMs: 1000, maxKeys: 3 });
  for (const ip of ['a', 'b', 'c', 'd']) l.fail([`ip:${ip}`], 0);
  assert.equal(l.retryAfterMs(['ip:a'], 0), 0);
  assert.equal(l.retryAfterMs(['ip:d'], 0), 1000);
});

test('a token has no more than its owner: scopes intersected with the role, streams intersected', () => {
  assert.deepEqual([...tokenPermissions(['admin'], 'viewer')].sort(), [
    'saved-searches:read',
    'self',
    'tokens',
  ]);
  assert.deepEqual([...tokenPermissions(['ingest'], null)].sort(), ['ingest', 'self']);
  assert.ok(tokenPermissions(['read', 'write'], 'editor').has('config:write'));
  assert.ok(!tokenPermissions(['read'], 'analyst').has('monitor'));
  assert.ok(!rolePermissions('viewer').has('search'));
  assert.ok(!rolePermissions('analyst').has('config:write'));
  assert.deepEqual(intersectStreams(['a', 'b'], ['b', 'c']), ['b']);
  assert.deepEqual(intersectStreams(null, ['b']), ['b']);
  assert.equal(intersectStreams(null, null), null);
});
