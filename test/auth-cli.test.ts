/**
 * The CLI with authentication: `token create|list|revoke` and `user add|list|reset` against a
 * real server, and `--token` / `$LOGWARDEN_TOKEN` on every client command.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli, type Server, startServer, tmpDir } from './harness.ts';

const BOOT = `lw_${'c'.repeat(40)}`;
let srv: Server;
const dir = tmpDir('lw-auth-cli-');

before(async () => {
  srv = await startServer({ auth: true, env: { LOGWARDEN_BOOTSTRAP_TOKEN: BOOT } });
});
after(async () => {
  await srv.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('token create prints a token once; ingest and search use --token or LOGWARDEN_TOKEN', async () => {
  const admin = { env: { LOGWARDEN_TOKEN: BOOT } };
  const c = await runCli(
    ['token', 'create', '--name', 'ci', '--scopes', 'ingest,read', '--streams', 'app', '--server', srv.url],
    admin,
  );
  assert.equal(c.code, 0, c.stderr);
  const tok = c.stdout.trim();
  assert.match(tok, /^lw_[A-Za-z0-9_-]{43}$/);
  const file = path.join(dir, 'app.log');
  fs.writeFileSync(file, '{"message":"cli auth hello"}\n{"message":"cli auth world"}\n');
  const denied = await runCli(['ingest', file, '--stream', 'app', '--server', srv.url]);
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /LW_ERR_UNAUTHENTICATED/);
  const other = await runCli(['ingest', file, '--stream', 'other', '--server', srv.url, '--token', tok]);
  assert.notEqual(other.code, 0, 'outside its streams');
  assert.match(other.stderr, /LW_ERR_FORBIDDEN/);
  const ok = await runCli(['ingest', file, '--stream', 'app', '--server', srv.url, '--token', tok]);
  assert.equal(ok.code, 0, ok.stderr);
  let found = '';
  for (let i = 0; i < 100 && !found.includes('world'); i++) {
    const s = await runCli(['search', 'cli auth', '--start', '0', '--server', srv.url], {
      env: { LOGWARDEN_TOKEN: tok },
    });
    assert.equal(s.code, 0, s.stderr);
    found = s.stdout;
    if (!found.includes('world')) await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(found, /cli auth hello/);
  const list = await runCli(['token', 'list', '--server', srv.url], admin);
  assert.match(list.stdout, /ci\s+owner=- scopes=ingest,read streams=app/);
  assert.ok(!list.stdout.includes(tok), 'the value is never listed');
  const id = /^([0-9a-f]{16}) {2}ci /m.exec(list.stdout)![1]!;
  assert.equal((await runCli(['token', 'revoke', id, '--server', srv.url], admin)).code, 0);
  const after = await runCli(['search', 'x', '--server', srv.url, '--token', tok]);
  assert.equal(after.code, 1);
  assert.match(after.stderr, /LW_ERR_UNAUTHENTICATED/);
});

test('user add prints a one-time password that signs in and must be changed; list and reset', async () => {
  const admin = { env: { LOGWARDEN_TOKEN: BOOT } };
  const a = await runCli(
    ['user', 'add', 'carol', '--role', 'analyst', '--streams', 'app', '--server', srv.url],
    admin,
  );
  assert.equal(a.code, 0, a.stderr);
  const pw = /one-time password: (\S+)/.exec(a.stdout)![1]!;
  const login = await fetch(`${srv.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'carol', password: pw }),
  });
  assert.equal(login.status, 200);
  assert.equal(
    ((await login.json()) as { user: { must_change_password: boolean } }).user.must_change_password,
    true,
  );
  const l = await runCli(['user', 'list', '--server', srv.url], admin);
  assert.match(l.stdout, /^carol\s+analyst\s+app\s+\(must change password\)$/m);
  const r = await runCli(['user', 'reset', 'carol', '--server', srv.url], admin);
  assert.match(r.stdout, /one-time password: \S+/);
  assert.notEqual(/one-time password: (\S+)/.exec(r.stdout)![1], pw);
  const bad = await runCli(['user', 'add', 'dave', '--role', 'boss', '--server', srv.url], admin);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /role: expected one of admin, editor, analyst, viewer, ingest/);
  const noAdmin = await runCli(['user', 'list', '--server', srv.url]);
  assert.equal(noAdmin.code, 1);
  assert.match(noAdmin.stderr, /LW_ERR_UNAUTHENTICATED/);
});

test('every client command sends --token (before $LOGWARDEN_TOKEN) or $LOGWARDEN_TOKEN', async () => {
  const WRONG = `lw_${'0'.repeat(40)}`;
  const file = path.join(dir, 'one.log');
  fs.writeFileSync(file, '{"message":"frame token"}\n');
  // Each invocation's answer once let in: exit 0, or a query syntax error (tail never ends).
  const cases: Array<{ args: string[]; input?: string; letIn: RegExp | 0 }> = [
    { args: ['search', 'x', '--start', '0'], letIn: 0 },
    { args: ['tail', 'level:('], letIn: /LW_ERR_QUERY_SYNTAX/ },
    { args: ['ingest', file], letIn: 0 },
    { args: ['pipeline', 'test', '--stream', 'default'], input: 'hello\n', letIn: 0 },
    { args: ['audit', 'verify'], letIn: 0 },
    { args: ['token', 'list'], letIn: 0 },
    { args: ['user', 'list'], letIn: 0 },
  ];
  await Promise.all(
    cases.map(async ({ args, input, letIn }) => {
      const name = args.slice(0, 2).join(' ');
      const run = (extra: string[], env: Record<string, string>) =>
        runCli([...args, '--server', srv.url, ...extra], { input, env });
      const refused = await run([], { LOGWARDEN_TOKEN: '' });
      assert.equal(refused.code, 1, `${name} without a token: ${refused.stderr}`);
      assert.match(refused.stderr, /LW_ERR_UNAUTHENTICATED/, name);
      // --token wins over $LOGWARDEN_TOKEN; $LOGWARDEN_TOKEN alone is used too.
      for (const r of [
        await run(['--token', BOOT], { LOGWARDEN_TOKEN: WRONG }),
        await run([], { LOGWARDEN_TOKEN: BOOT }),
      ]) {
        if (letIn === 0) assert.equal(r.code, 0, `${name}: ${r.stderr}`);
        else {
          assert.equal(r.code, 1, name);
          assert.match(r.stderr, letIn, name);
        }
        assert.doesNotMatch(r.stderr, /LW_ERR_UNAUTHENTICATED/, name);
      }
    }),
  );
});
