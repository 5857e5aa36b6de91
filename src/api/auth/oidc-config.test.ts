/**
 * The `auth.oidc` config schema: required fields, https-only endpoints (http only on loopback),
 * "openid" in the scopes, roles from the role list, one secret source; errors name the key.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig } from '../../core/config.ts';
import { LwError } from '../../core/errors.ts';

const base = {
  issuer: 'https://idp.example',
  clientId: 'lw',
  redirectUrl: 'https://logs.example/api/v1/auth/oidc/callback',
  groupRoles: { ops: 'editor' },
};

function problem(oidc: Record<string, unknown>): string {
  try {
    validateConfig({ auth: { oidc } }, 'lw.yaml');
  } catch (err) {
    assert.ok(err instanceof LwError && err.code === 'LW_ERR_CONFIG', String(err));
    return err.message;
  }
  return 'accepted';
}

test('auth.oidc: defaults, and refusals naming the key', () => {
  const c = validateConfig({ auth: { oidc: base } }, 'lw.yaml').auth.oidc!;
  assert.deepEqual(c.scopes, ['openid', 'profile', 'email']);
  assert.equal(c.usernameClaim, 'email');
  assert.equal(c.groupsClaim, 'groups');
  assert.equal(c.clientSecret, null);
  assert.equal(validateConfig({}, 'lw.yaml').auth.oidc, null);
  assert.equal(problem({ ...base, issuer: 'http://127.0.0.1:8080' }), 'accepted');
  for (const [oidc, re] of [
    [
      { ...base, issuer: 'http://idp.example' },
      /auth\.oidc\.issuer: expected an https:\/\/ URL .* in lw\.yaml/,
    ],
    [{ ...base, redirectUrl: 'ftp://x/cb' }, /auth\.oidc\.redirectUrl/],
    [{ ...base, scopes: ['profile'] }, /auth\.oidc\.scopes: must include "openid"/],
    [{ ...base, groupRoles: { ops: 'root' } }, /auth\.oidc\.groupRoles\.ops/],
    [{ ...base, groupRoles: {} }, /map at least one group/],
    [
      { ...base, clientSecret: 's', clientSecretFile: '/f' },
      /auth\.oidc\.clientSecretFile: set clientSecret or clientSecretFile, not both/,
    ],
    [{ ...base, clientID: 'x' }, /unknown key "auth\.oidc\.clientID"/],
    [{ groupRoles: { ops: 'admin' } }, /auth\.oidc\.issuer/],
  ] as Array<[Record<string, unknown>, RegExp]>)
    assert.match(problem(oidc), re);
});
