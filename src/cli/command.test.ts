/**
 * The common command frame (command.ts), checked the same way over every command: help, bad
 * --output, missing or unknown subcommands. The CLI runs as its own process (bin/logwarden.js).
 * That every client command sends --token / $LOGWARDEN_TOKEN is tested in test/auth-cli.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCli } from '../../test/harness.ts';
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
