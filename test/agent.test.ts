/**
 * Black-box tests of `logwarden agent`: the real agent process tails real files and ships to a
 * real `logwarden start`; the store is checked through the search API. Every written line
 * carries a sequence number, and each test asserts that every number is stored exactly once.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BIN, ROOT, runCli, type Server, search, startServer, tmpDir, waitIndexed } from './harness.ts';
import { mulberry32 } from './prng.ts';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'agent');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface AgentProc {
  proc: ChildProcess;
  logs: () => string;
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

/** Starts `logwarden agent` and waits until it has matched its files. */
async function startAgent(dataDir: string, yaml: string): Promise<AgentProc> {
  const cfg = path.join(dataDir, 'agent.yaml');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(cfg, yaml);
  const proc = spawn(process.execPath, [BIN, 'agent', '--config', cfg, '--log-format', 'json'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  // Generous: on a loaded machine a process start can take long. A failed start leaves no
  // process behind (it would keep the test runner alive).
  const deadline = Date.now() + 120_000;
  while (!out.includes('"agent started"')) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`agent did not start (exit code ${proc.exitCode}):\n${out}`);
    }
    await sleep(20);
  }
  return {
    proc,
    logs: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
    async kill9() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

function agentYaml(url: string, dataDir: string, stream: string, files: string, extra = ''): string {
  return [
    `server: ${url}`,
    `stream: ${stream}`,
    'host: test-host',
    `dataDir: ${dataDir}`,
    'pollMs: 50',
    'scanMs: 200',
    'closeInactiveMs: 1000',
    'retry: { initialMs: 50, maxMs: 1000 }',
    'files:',
    files,
    extra,
  ].join('\n');
}

/** The events of a stream, oldest first (at most 10,000). */
async function streamEvents(url: string, stream: string) {
  await waitIndexed(url, 60_000);
  const r = await search(url, `stream:=${stream}`, { limit: 10_000, order: 'asc' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.events;
}

/** Waits until a stream holds at least `n` events. */
async function waitStored(url: string, stream: string, n: number, ms = 90_000, agent?: AgentProc) {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await search(url, `stream:=${stream}`, { limit: 0 });
    if (r.body.total >= n) return r.body.total;
    if (Date.now() > deadline) {
      throw new Error(`only ${r.body.total} of ${n} events stored\n${agent?.logs() ?? ''}`);
    }
    await sleep(100);
  }
}

/** Asserts that the events hold `seq=1..n`, each exactly once. */
function assertExactlyOnce(events: Array<Record<string, unknown>>, n: number, logs: string) {
  const counts = new Map<number, number>();
  for (const e of events) {
    const m = /seq=(\d+)/.exec(String(e.message));
    assert.ok(m, `event without seq: ${JSON.stringify(e)}`);
    counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
  }
  const missing: number[] = [];
  const twice: number[] = [];
  for (let i = 1; i <= n; i++) {
    const c = counts.get(i) ?? 0;
    if (c === 0) missing.push(i);
    if (c > 1) twice.push(i);
  }
  assert.deepEqual(
    { missing: missing.slice(0, 20), twice: twice.slice(0, 20), total: events.length },
    { missing: [], twice: [], total: n },
    logs,
  );
}

const line = (seq: number) =>
  `2026-11-22T10:00:00.000Z INFO worker-3 request handled seq=${seq} path=/api/v1/orders\n`;

describe('agent against a real server', () => {
  let server: Server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server.stop();
  });

  test('follows rename rotation while writing, and picks up new files of the glob', async () => {
    const dir = tmpDir('lw-agent-rename-');
    const logs = path.join(dir, 'logs');
    fs.mkdirSync(logs);
    const agent = await startAgent(
      path.join(dir, 'agent'),
      agentYaml(server.url, path.join(dir, 'agent'), 'rename', `  - paths: ['${logs}/*.log']`),
    );
    try {
      const app = path.join(logs, 'app.log');
      let fd = fs.openSync(app, 'a');
      const N = 3000;
      for (let seq = 1; seq <= N; seq++) {
        if (seq === 1000) {
          // logrotate's default: rename, then the app keeps writing to the old file for a while
          // before it reopens its log.
          fs.renameSync(app, path.join(logs, 'app.log.1'));
        }
        if (seq === 1100) {
          fs.closeSync(fd);
          fd = fs.openSync(app, 'a');
        }
        if (seq > 2000 && seq % 2 === 0) fs.appendFileSync(path.join(logs, 'new-service.log'), line(seq));
        else fs.writeSync(fd, line(seq));
        if (seq % 50 === 0) await sleep(20);
      }
      fs.closeSync(fd);
      await waitStored(server.url, 'rename', N, 90_000, agent);
      await sleep(1500); // anything more would have arrived by now
      const events = await streamEvents(server.url, 'rename');
      assertExactlyOnce(events, N, agent.logs());
      const fromNew = events.find((e) => /seq=2002 /.test(String(e.message)))!;
      assert.equal(fromNew['file.path'], path.join(logs, 'new-service.log'));
      assert.equal(fromNew.host, 'test-host');
      assert.equal(fromNew.level, 'info');
      assert.equal(fromNew._time, '2026-11-22T10:00:00.000000Z');
    } finally {
      await agent.stop();
    }
  });

  test('a file renamed by rotation while the agent was stopped is read to its end after the restart', async () => {
    const dir = tmpDir('lw-agent-down-rotate-');
    const app = path.join(dir, 'app.log');
    const yaml = agentYaml(server.url, path.join(dir, 'agent'), 'downrotate', `  - paths: ['${app}']`);
    let agent = await startAgent(path.join(dir, 'agent'), yaml);
    let seq = 0;
    const write = (n: number, file = app) => {
      let text = '';
      for (let i = 0; i < n; i++) text += line(++seq);
      fs.appendFileSync(file, text);
    };
    try {
      write(500);
      await waitStored(server.url, 'downrotate', 500, 60_000, agent);
      await agent.stop();
      write(300); // unread when the file is rotated away
      fs.renameSync(app, `${app}.1`);
      write(200);
      agent = await startAgent(path.join(dir, 'agent'), yaml);
      await waitStored(server.url, 'downrotate', 1000, 60_000, agent);
      await sleep(1500);
      assertExactlyOnce(await streamEvents(server.url, 'downrotate'), 1000, agent.logs());
    } finally {
      await agent.stop();
    }
  });

  test('follows copytruncate rotation while writing', async () => {
    const dir = tmpDir('lw-agent-copytruncate-');
    const app = path.join(dir, 'app.log');
    const agent = await startAgent(
      path.join(dir, 'agent'),
      agentYaml(server.url, path.join(dir, 'agent'), 'copytruncate', `  - paths: ['${app}']`),
    );
    try {
      const N = 3000;
      for (let seq = 1; seq <= N; seq++) {
        if (seq === 1001 || seq === 2001) {
          // logrotate copytruncate: copy, then truncate in place (nothing written in between here).
          fs.copyFileSync(app, path.join(dir, 'app.log.1'));
          fs.truncateSync(app, 0);
        }
        fs.appendFileSync(app, line(seq));
        if (seq % 50 === 0) await sleep(20);
      }
      await waitStored(server.url, 'copytruncate', N, 90_000, agent);
      await sleep(1500);
      assertExactlyOnce(await streamEvents(server.url, 'copytruncate'), N, agent.logs());
    } finally {
      await agent.stop();
    }
  });

  // Logs written by real programs (JavaApp.java and python_app.py beside them), which also wrote
  // the text of every record they logged (*.expected.json).
  const realLogs = [
    {
      name: 'Java stack traces of a real JVM log (java.util.logging)',
      stream: 'java',
      log: 'java-app.log',
      expected: 'java-app.expected.json',
      error: / SEVERE /,
      trace: /\n\tat JavaApp\.process.*\nCaused by: java\.io\.IOException.*\n\tat JavaApp\.charge/s,
    },
    {
      name: 'chained Python tracebacks, blank lines included (logging)',
      stream: 'python',
      log: 'python-app.log',
      expected: 'python-app.expected.json',
      error: / ERROR /,
      trace: /\nKeyError: 'inv-\d+'\n\n(During handling|The above exception).*\nValueError: /s,
    },
  ];
  for (const r of realLogs) {
    test(`joins the multi-line ${r.name}`, async () => {
      const expected = (JSON.parse(fs.readFileSync(path.join(FIXTURES, r.expected), 'utf8')) as string[]).map(
        (e) => e.replace(/\n+$/, ''),
      );
      const text = fs.readFileSync(path.join(FIXTURES, r.log));
      const dir = tmpDir(`lw-agent-${r.stream}-`);
      const file = path.join(dir, 'app.log');
      const agent = await startAgent(
        path.join(dir, 'agent'),
        agentYaml(
          server.url,
          path.join(dir, 'agent'),
          r.stream,
          `  - paths: ['${file}']\n    multiline: { start: '^\\d{4}-\\d{2}-\\d{2} \\d{2}:', timeoutMs: 500 }`,
        ),
      );
      try {
        // Written in pieces cut in the middle of traces (and of lines), with pauses: the joiner
        // must wait for the rest, and the timeout must release the last event.
        const cuts = [0, 0.18, 0.185, 0.54, 0.75, 1].map((f) => Math.floor(f * text.length));
        for (let i = 1; i < cuts.length; i++) {
          fs.appendFileSync(file, text.subarray(cuts[i - 1], cuts[i]));
          await sleep(150);
        }
        await waitStored(server.url, r.stream, expected.length, 60_000, agent);
        await sleep(1000);
        const events = await streamEvents(server.url, r.stream);
        // In file order (several records share a millisecond).
        events.sort((a, b) => Number(a['file.offset']) - Number(b['file.offset']));
        assert.deepEqual(
          events.map((e) => e.message),
          expected,
        );
        const errors = events.filter((e) => r.error.test(String(e.message)));
        assert.equal(errors.length, expected.filter((e) => r.error.test(e)).length);
        assert.ok(errors.length > 0);
        for (const e of errors) {
          assert.equal(e.level, 'error');
          assert.match(String(e.message), r.trace);
        }
      } finally {
        await agent.stop();
      }
    });
  }

  test('bad config is reported with the file, line and key', async () => {
    const dir = tmpDir('lw-agent-config-');
    const cases: Array<[string, RegExp]> = [
      [
        'files:\n  - paths: [/tmp/x.log]\n    pathz: [/tmp/y.log]\n',
        /bad\.yaml:3:5: unknown key "files\.0\.pathz"/,
      ],
      [
        'files:\n  - paths: [/tmp/x.log]\n    multiline:\n      start: "(unclosed"\n',
        /bad\.yaml:4:14: files\.0\.multiline\.start: invalid regular expression/,
      ],
      [
        'format: text\nmultiline: { start: "^x" }\nfiles: [{ paths: [a] }]\n',
        /bad\.yaml:1:9: format: multi-line events need format ndjson/,
      ],
      ['stream: "_x"\nfiles: [{ paths: [a] }]\n', /bad\.yaml:1:9: stream: a stream name is/],
      ['files: [{ paths: [a] }\n', /bad\.yaml:2:1: Flow sequence/],
    ];
    for (const [yaml, want] of cases) {
      fs.writeFileSync(path.join(dir, 'bad.yaml'), yaml);
      const r = await runCli(['agent', '--config', path.join(dir, 'bad.yaml')]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, want);
      assert.match(r.stderr, /LW_ERR_CONFIG/);
    }
    const help = await runCli(['agent', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /logwarden agent status/);
  });
});

describe('agent crash and server restarts', () => {
  test('kill -9 of the agent mid-stream, then restart: every line exactly once', async (t) => {
    const server = await startServer();
    const dir = tmpDir('lw-agent-kill-');
    const app = path.join(dir, 'app.log');
    const N = 8000;
    let text = '';
    for (let seq = 1; seq <= N; seq++) text += line(seq);
    fs.writeFileSync(app, text);
    const yaml = agentYaml(
      server.url,
      path.join(dir, 'agent'),
      'kill',
      `  - paths: ['${app}']`,
      'batch: { maxEvents: 150, maxWaitMs: 20 }\ncompression: zstd',
    );
    const rnd = mulberry32(7);
    const logs: string[] = [];
    try {
      // Killed three times at random moments while shipping, then left to finish.
      for (let round = 0; round < 3; round++) {
        const agent = await startAgent(path.join(dir, 'agent'), yaml);
        const stored = (await search(server.url, 'stream:=kill', { limit: 0 })).body.total;
        await waitStored(server.url, 'kill', Math.min(N - 1, stored + 500), 60_000, agent);
        await sleep(Math.floor(rnd() * 150));
        await agent.kill9();
        logs.push(agent.logs());
      }
      const agent = await startAgent(path.join(dir, 'agent'), yaml);
      await waitStored(server.url, 'kill', N, 90_000, agent);
      await sleep(1500);
      logs.push(agent.logs());
      await agent.stop();
      assertExactlyOnce(await streamEvents(server.url, 'kill'), N, logs.join('\n----\n'));
      const inDoubt = logs.join('').split('batch in doubt').length - 1;
      t.diagnostic(`batches found already stored after a kill: ${inDoubt}`);
    } finally {
      await server.stop();
    }
  });

  test('server stopped and restarted while the app writes: nothing lost; status shows the lag; a full buffer pauses reading', async () => {
    let server = await startServer();
    const port = new URL(server.url).port;
    const dir = tmpDir('lw-agent-server-down-');
    const app = path.join(dir, 'app.log');
    const agentDir = path.join(dir, 'agent');
    const agent = await startAgent(
      agentDir,
      // A small disk buffer, so that it fills while the server is down.
      agentYaml(server.url, agentDir, 'down', `  - paths: ['${app}']`, 'buffer: { maxBytes: 4096 }'),
    );
    try {
      const N = 3000;
      let seq = 0;
      const write = async (upTo: number) => {
        while (seq < upTo) {
          fs.appendFileSync(app, line(++seq));
          if (seq % 50 === 0) await sleep(20);
        }
      };
      await write(1000);
      await server.stop();
      await write(2000);
      await sleep(1500);
      const st = await runCli(['agent', 'status', '--data-dir', agentDir]);
      assert.equal(st.code, 1, st.stdout + st.stderr);
      assert.match(st.stdout, /running \(pid \d+\), paused/);
      assert.match(st.stdout, /cannot reach/);
      const js = JSON.parse((await runCli(['agent', 'status', '--data-dir', agentDir, '--json'])).stdout);
      assert.equal(js.live, true);
      assert.equal(js.files[0].path, app);
      assert.equal(js.files[0].size, fs.statSync(app).size);
      assert.ok(js.files[0].behind > 0, JSON.stringify(js.files[0]));
      // Reading stopped at the bound (the last batch may cross it), rather than dropping lines.
      assert.ok(js.buffer.bytes >= 4096 && js.buffer.bytes < 16_384, JSON.stringify(js.buffer));
      assert.ok(js.files[0].read < js.files[0].size, JSON.stringify(js.files[0]));
      server = await startServer({ dataDir: server.dataDir, args: ['--http', `127.0.0.1:${port}`] });
      await write(N);
      await waitStored(server.url, 'down', N, 90_000, agent);
      await sleep(1500);
      assertExactlyOnce(await streamEvents(server.url, 'down'), N, agent.logs());
      const ok = await runCli(['agent', 'status', '--data-dir', agentDir, '--json']);
      const after = JSON.parse(ok.stdout);
      assert.equal(after.files[0].behind, 0);
      assert.equal(after.buffer.batches, 0);
    } finally {
      await agent.stop();
      await server.stop();
    }
  });
});

describe('agent with authentication', () => {
  test('ships with the API token of tokenFile (never logged); without one it waits, losing nothing', async () => {
    const boot = `lw_${'d'.repeat(40)}`;
    const server = await startServer({ auth: true, env: { LOGWARDEN_BOOTSTRAP_TOKEN: boot } });
    const dir = tmpDir('lw-agent-auth-');
    const agentDir = path.join(dir, 'agent');
    try {
      const created = await runCli(
        [
          'token',
          'create',
          '--name',
          'agent',
          '--scopes',
          'ingest,read',
          '--streams',
          'authed',
          '--server',
          server.url,
        ],
        { env: { LOGWARDEN_TOKEN: boot } },
      );
      assert.equal(created.code, 0, created.stderr);
      const token = created.stdout.trim();
      const app = path.join(dir, 'app.log');
      let text = '';
      for (let seq = 1; seq <= 500; seq++) text += line(seq);
      fs.writeFileSync(app, text);
      const yaml = agentYaml(server.url, agentDir, 'authed', `  - paths: ['${app}']`);

      const denied = await startAgent(agentDir, yaml);
      await sleep(1500);
      const st = JSON.parse((await runCli(['agent', 'status', '--data-dir', agentDir, '--json'])).stdout);
      assert.match(String(st.lastError), /LW_ERR_UNAUTHENTICATED/);
      assert.equal(st.events.shipped, 0);
      await denied.stop();

      const tokenFile = path.join(dir, 'agent.token');
      fs.writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
      const agent = await startAgent(agentDir, `${yaml}\ntokenFile: ${tokenFile}\n`);
      const count = async () => {
        const qs = new URLSearchParams({ q: 'stream:=authed', start: '0', limit: '10000' });
        const res = await fetch(`${server.url}/api/v1/search?${qs}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        return ((await res.json()) as { events: Array<Record<string, unknown>> }).events;
      };
      const deadline = Date.now() + 60_000;
      while ((await count()).length < 500 && Date.now() < deadline) await sleep(100);
      await sleep(1000);
      await agent.stop();
      assertExactlyOnce(await count(), 500, agent.logs());
      const status = fs.readFileSync(path.join(agentDir, 'status.json'), 'utf8');
      for (const out of [denied.logs(), agent.logs(), status]) assert.ok(!out.includes(token.slice(3)));
    } finally {
      await server.stop();
    }
  });
});
