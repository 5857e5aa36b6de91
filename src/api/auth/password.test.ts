import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DUMMY_HASH, hashPassword, needsRehash, passwordProblem, verifyPassword } from './password.ts';

test('a hash verifies its password only, with scrypt N=2^15 r=8 p=1 and a per-password salt', async () => {
  const h = await hashPassword('correct horse battery');
  const parts = h.split('$');
  assert.equal(parts[0], 'scrypt');
  assert.ok(Number(parts[1]) >= 15 && Number(parts[2]) >= 8, h);
  assert.equal(Buffer.from(parts[4]!, 'base64url').length, 16, 'salt bytes');
  assert.equal(await verifyPassword('correct horse battery', h), true);
  assert.equal(await verifyPassword('correct horse batterY', h), false);
  assert.equal(await verifyPassword('', h), false);
  const again = await hashPassword('correct horse battery');
  assert.notEqual(again, h, 'salted: the same password hashes differently');
  assert.equal(await verifyPassword('correct horse battery', again), true);
  assert.equal(needsRehash(h), false);
  assert.equal(needsRehash('scrypt$14$8$1$AAAA$AAAA'), true);
});

test('the dummy hash and unreadable hashes match no password', async () => {
  for (const pw of ['', 'a', 'correct horse battery'])
    assert.equal(await verifyPassword(pw, DUMMY_HASH), false, pw);
  for (const bad of ['', 'plain', 'scrypt$99$8$1$AA$AA', 'scrypt$15$8$1$$', '$2b$10$abc'])
    assert.equal(await verifyPassword('x', bad), false, bad);
});

test('password policy: 12 characters or more, at most 1024 bytes', () => {
  assert.match(passwordProblem('short') ?? '', /at least 12/);
  assert.match(passwordProblem(42) ?? '', /string/);
  assert.match(passwordProblem('x'.repeat(1025)) ?? '', /at most 1024 bytes/);
  assert.equal(passwordProblem('비밀번호는열두글자이상이다'), null, 'counts characters, not bytes');
});
