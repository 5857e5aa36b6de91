/**
 * The common command frame (command.ts), checked the same way over every command: help, bad
 * --output, missing or unknown subcommands, and --token / $LOGWARDEN_TOKEN reaching a real
 * server with authentication on. The CLI runs as its own process (bin/logwarden.js).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, type Server, startServer, tmpDir } from '../../test/harness.ts';
import { commaList, oneOf, UsageError } from './command.ts';

const NOWHERE = ['--server', 'http://127.0.0.1:9'];

describe('oneOf and commaList', () => {
  test('oneOf returns an allowed value and names the alternatives of a bad one', () => {
    assert.equal(oneOf('--x', 'b', ['a', 'b']), 'b');
    const cases: Array<[string[], string]> = [
      [['a'], '--x must be a, not "q"'],
      [['a', 'b'], '--x must be a or b, not "q"'],
      [['a', 'b', 'c'], '--x must be a, b or c, not "q"'],
    ];
    for (const [allowed, message] of cases) {
      assert.throws(
        () => oneOf('--x', 'q', allowed),
        (err) => err instanceof UsageError && err.message === message,
      );
    }
  });

  test('commaList drops empty items and keeps "not given" apart from "empty"', () => {
    assert.deepEqual(commaList('a,,b,'), ['a', 'b']);
    assert.deepEqual(commaList(''), []);
    assert.equal(commaList(undefined), undefined);
  });
});

describe('the same frame for every command', () => {
  test('--help, -h and `help CMD` print the same help on stdout, exit 0', async () => {
    const commands = ['search', 'tail', 'ingest', 'agent', 'pipeline', 'dev', 'audit', 'user', 'token'];
    await Promise.all(
      commands.map(async (cmd) => {
        const viaHelp = await runCli(['help', cmd]);
        assert.match(viaHelp.stdout, new RegExp(`^Usage: logwarden ${cmd}`), cmd);
        for (const flag of ['--help', '-h']) {
          const r = await runCli([cmd, flag, ...(cmd === 'dev' ? [] : NOWHERE)]);
          assert.equal(r.code, 0, `${cmd} ${flag}: ${r.stderr}`);
          assert.equal(r.stdout, viaHelp.stdout, `${cmd} ${flag}`);
          assert.equal(r.stderr, '');
        }
      }),
    );
  });

  test('a bad --output exits 2 naming the formats, before contacting a server', async () => {
    // The command, its formats as the message names them, and a valid format other than text.
    const cases: Array<[string[], string, string]> = [
      [['search', 'x'], 'text, json or ndjson', 'ndjson'],
      [['tail', 'x'], 'text or ndjson', 'ndjson'],
      [['audit', 'review'], 'text or json', 'json'],
      [['audit', 'verify'], 'text or json', 'json'],
    ];
    await Promise.all(
      cases.map(async ([args, formats, valid]) => {
        const r = await runCli([...args, '--output', 'xml', ...NOWHERE]);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.equal(r.stderr, `error: --output must be ${formats}, not "xml"\n`);
        assert.equal(r.stdout, '');
        // A valid format passes the check and goes on to the (unreachable) server: exit 1.
        const ok = await runCli([...args, '--output', valid, ...NOWHERE]);
        assert.equal(ok.code, 1, `${args.join(' ')}: ${ok.stderr}`);
        assert.match(ok.stderr, /^error: cannot reach http:\/\/127\.0\.0\.1:9/);
      }),
    );
    const none = await runCli(['token', 'list', '--output', 'json', ...NOWHERE]);
    assert.equal(none.code, 2, 'a command without --output rejects it as unknown');
    assert.match(none.stderr, /Unknown option '--output'/);
  });

  test('a missing or unknown subcommand exits 2 with the help on stderr', async () => {
    const cases: Array<[string, string]> = [
      ['token', 'create, revoke or list'],
      ['user', 'add, reset, list or delete'],
      ['audit', 'review or verify'],
    ];
    await Promise.all(
      cases.map(async ([cmd, subs]) => {
        const help = (await runCli(['help', cmd])).stdout;
        const missing = await runCli([cmd, ...NOWHERE]);
        assert.equal(missing.code, 2, cmd);
        assert.equal(missing.stderr, `error: give ${subs}\n\n${help}`);
        assert.equal(missing.stdout, '');
        const unknown = await runCli([cmd, 'frob', ...NOWHERE]);
        assert.equal(unknown.code, 2, cmd);
        assert.equal(unknown.stderr, `error: unknown subcommand "frob"\n\n${help}`);
      }),
    );
  });
});

describe('--token and $LOGWARDEN_TOKEN reach the server, for every client command', () => {
  const BOOT = `lw_${'f'.repeat(40)}`;
  const WRONG = `lw_${'0'.repeat(40)}`;
  const dir = tmpDir('lw-cli-frame-');
  let srv: Server;
  before(async () => {
    srv = await startServer({ auth: true, env: { LOGWARDEN_BOOTSTRAP_TOKEN: BOOT } });
  });
  after(async () => {
    await srv.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('with the token each command is let in; without it each is refused (exit 1)', async () => {
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
});
