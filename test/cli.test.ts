/**
 * Black-box tests of the `logwarden` command line: spawns bin/logwarden.js and checks exit codes,
 * what is printed, and what a running server stored.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  BIN,
  ingest,
  ROOT,
  runCli,
  type Server,
  search,
  startServer,
  tmpDir,
  waitIndexed,
} from './harness.ts';

const VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;

/** Like runCli, but kills the process if it runs longer than `timeoutMs` (for `start`, which would not end). */
function runBounded(args: string[], timeoutMs = 30_000) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }>(
    (resolve) => {
      const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      p.stdout.on('data', (d) => {
        stdout += d;
      });
      p.stderr.on('data', (d) => {
        stderr += d;
      });
      const timer = setTimeout(() => {
        timedOut = true;
        p.kill('SIGKILL');
      }, timeoutMs);
      p.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr, timedOut });
      });
    },
  );
}

/** A TCP port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function httpRequests(url: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/stats`);
  const j = (await res.json()) as { ingest: { http: { requests: number } } };
  return j.ingest.http.requests;
}

describe('help, version, usage errors', () => {
  test('--help lists the commands', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: logwarden <command>/m);
    for (const c of ['start', 'search', 'ingest', 'help'])
      assert.match(r.stdout, new RegExp(`^ {2}${c}\\s`, 'm'));
    assert.equal(r.stderr, '');
    const none = await runCli([]);
    assert.equal(none.code, 0);
    assert.equal(none.stdout, r.stdout, 'no command shows the same help');
  });

  test('help search and search --help print the search help', async () => {
    const a = await runCli(['help', 'search']);
    const b = await runCli(['search', '--help']);
    assert.equal(a.code, 0);
    assert.equal(b.code, 0);
    assert.match(a.stdout, /^Usage: logwarden search QUERY/);
    for (const o of ['--since', '--start', '--end', '--limit', '--output', '--server'])
      assert.ok(a.stdout.includes(o), o);
    assert.equal(a.stdout, b.stdout);
    const c = await runCli(['search', '-h']);
    assert.equal(c.stdout, a.stdout);
  });

  test('each command has its own help', async () => {
    const ingestHelp = await runCli(['ingest', '--help']);
    assert.equal(ingestHelp.code, 0);
    assert.match(ingestHelp.stdout, /^Usage: logwarden ingest FILE/);
    assert.match(ingestHelp.stdout, /--chunk-bytes/);
    assert.match(ingestHelp.stdout, /Exit status/);
    const startHelp = await runCli(['help', 'start']);
    assert.equal(startHelp.code, 0);
    assert.match(startHelp.stdout, /^Usage: logwarden start/);
    for (const o of ['--config', '--data-dir', '--http', '--syslog-udp', '--syslog-tcp', '--log-format']) {
      assert.ok(startHelp.stdout.includes(o), o);
    }
    assert.equal((await runCli(['start', '--help'])).stdout, startHelp.stdout);
  });

  test('--version and -v print the package version', async () => {
    for (const flag of ['--version', '-v']) {
      const r = await runCli([flag]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `logwarden ${VERSION}\n`);
    }
  });

  test('an unknown command exits 2 with a message and the help on stderr', async () => {
    for (const cmd of ['frobnicate', 'constructor', 'toString']) {
      const r = await runCli([cmd]);
      assert.equal(r.code, 2, `${cmd}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^error: unknown command "${cmd}"`));
      assert.match(r.stderr, /Usage: logwarden <command>/);
      assert.equal(r.stdout, '');
    }
    const h = await runCli(['help', 'frobnicate']);
    assert.equal(h.code, 2);
    assert.match(h.stderr, /unknown command "frobnicate"/);
  });

  test('an unknown option exits 2 naming it', async () => {
    const r = await runCli(['search', 'x', '--bogus']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: .*'--bogus'/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  test('bad option values exit 2 before contacting a server', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['search', 'x', '--output', 'xml'], /--output must be text, json or ndjson/],
      [['search', 'x', '--since', '1h', '--start', '0'], /either --since or --start/],
      [['ingest'], /no FILE given/],
      [['ingest', 'README.md', '--format', 'csv'], /--format must be/],
      [['ingest', 'README.md', '--chunk-bytes', 'lots'], /--chunk-bytes must be a positive size/],
      [['ingest', 'README.md', '--concurrency', '0'], /--concurrency must be an integer/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli([...args, '--server', 'http://127.0.0.1:9']);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
  });
});

describe('start fails fast on bad configuration', () => {
  const dir = tmpDir('lw-cli-config-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('an unknown key in the config file names the key and the file', async () => {
    const file = path.join(dir, 'unknown-key.yaml');
    fs.writeFileSync(
      file,
      'http:\n  listen: 127.0.0.1:0\n  lissen: 127.0.0.1:0\nsyslog:\n  udp: null\n  tcp: null\n',
    );
    const dataDir = path.join(dir, 'never-created');
    const r = await runBounded(['start', '--config', file, '--data-dir', dataDir]);
    assert.equal(r.timedOut, false, 'exits instead of running');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown key "http\.lissen"/);
    assert.ok(r.stderr.includes(file), r.stderr);
    assert.match(r.stderr, /LW_ERR_CONFIG/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(fs.existsSync(dataDir), false, 'nothing created');
  });

  test('a value of the wrong type names its path', async () => {
    const file = path.join(dir, 'wrong-type.yaml');
    fs.writeFileSync(file, 'queue:\n  partitions: many\n');
    const r = await runBounded(['start', '--config', file, '--data-dir', path.join(dir, 'd2')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /queue\.partitions: .*expected number/);
    assert.ok(r.stderr.includes(file));
  });

  test('a YAML syntax error names the file and line', async () => {
    const file = path.join(dir, 'syntax.yaml');
    fs.writeFileSync(file, 'dataDir: ./x\nhttp:\n  listen: 127.0.0.1:0\n maxBodyBytes: 1000\n');
    const r = await runBounded(['start', '--config', file]);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(`${file}:4:`), r.stderr);
  });

  test('a missing config file is named', async () => {
    const r = await runBounded(['start', '--config', path.join(dir, 'absent.yaml')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot read config file .*absent\.yaml: no such file/);
  });

  test('a bad flag value names the key and the command line', async () => {
    const r = await runBounded(['start', '--http', 'localhost', '--data-dir', path.join(dir, 'd3')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /http\.listen: expected HOST:PORT.*the command line/);
  });

  test('binding a non-loopback address without authentication is refused', async () => {
    const r = await runBounded([
      'start',
      '--auth',
      'off',
      '--http',
      '0.0.0.0:0',
      '--data-dir',
      path.join(dir, 'd4'),
    ]);
    assert.equal(r.timedOut, false);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /http\.listen is 0\.0\.0\.0:0/);
    assert.match(r.stderr, /authentication/);
    assert.match(r.stderr, /127\.0\.0\.1/, 'says what to do instead');
    const s = await runBounded([
      'start',
      '--auth',
      'off',
      '--http',
      '127.0.0.1:0',
      '--syslog-udp',
      'off',
      '--syslog-tcp',
      '0.0.0.0:0',
      '--data-dir',
      path.join(dir, 'd5'),
    ]);
    assert.equal(s.code, 1);
    assert.match(s.stderr, /syslog\.tcp is 0\.0\.0\.0:0.*authentication/);
  });
});

/** Waits up to `ms` for the process to exit; its exit code, or 'timeout'. */
function exitWithin(srv: Server, ms: number): Promise<number | null | 'timeout'> {
  if (srv.proc.exitCode !== null) return Promise.resolve(srv.proc.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    srv.proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

const EVENTS_PER_REQUEST = 1000;

function requestBody(r: number): string {
  return Array.from({ length: EVENTS_PER_REQUEST }, (_, i) =>
    JSON.stringify({ message: `gs event r${r} i${i}`, r, i }),
  ).join('\n');
}

/**
 * Restarts on the same data directory and checks that, for each request r, its first acked[r]
 * events are searchable exactly once, and that nothing is stored twice.
 */
async function checkAfterRestart(dataDir: string, stream: string, acked: number[]): Promise<void> {
  const srv = await startServer({ dataDir });
  try {
    await waitIndexed(srv.url);
    let stored = 0;
    for (let r = 0; r < acked.length; r++) {
      const s = await search(srv.url, `stream:${stream} r:${r}`, { limit: 10_000 });
      assert.equal(s.status, 200);
      assert.equal(s.body.total, s.body.events.length);
      const seen = new Map<number, number>();
      for (const e of s.body.events) seen.set(Number(e.i), (seen.get(Number(e.i)) ?? 0) + 1);
      for (const [i, n] of seen) assert.equal(n, 1, `event r${r} i${i} stored ${n} times`);
      for (let i = 0; i < acked[r]; i++)
        assert.equal(seen.get(i), 1, `acknowledged event r${r} i${i} is searchable`);
      stored += s.body.total;
    }
    const all = await search(srv.url, `stream:${stream}`, { limit: 0 });
    assert.equal(all.body.total, stored, 'nothing else stored');
  } finally {
    assert.equal(await srv.stop(), 0, srv.logs());
  }
}

describe('start tunes V8', () => {
  const cmdline = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  test('the server runs with 16 MB semi-spaces, in the process that was started', async (t) => {
    if (process.platform !== 'linux') return t.skip('reads /proc');
    const srv = await startServer();
    try {
      const args = cmdline(srv.proc.pid!);
      assert.ok(args.includes('--max-semi-space-size=16'), args.join(' '));
      assert.equal(args.filter((a) => a === 'start').length, 1);
      const j = (await (await fetch(`${srv.url}/api/v1/stats`)).json()) as {
        memory: { process: { rss: number } };
      };
      assert.ok(j.memory.process.rss > 0);
    } finally {
      assert.equal(await srv.stop(), 0);
    }
  });

  test("the user's own semi-space size is kept", async (t) => {
    if (process.platform !== 'linux') return t.skip('reads /proc');
    const srv = await startServer({ env: { NODE_OPTIONS: '--max-semi-space-size=8' } });
    try {
      assert.ok(!cmdline(srv.proc.pid!).includes('--max-semi-space-size=16'));
    } finally {
      assert.equal(await srv.stop(), 0);
    }
  });
});

describe('graceful stop', () => {
  test('SIGTERM right after ingest: exit 0, and after a restart every acknowledged event is there once', async () => {
    const srv = await startServer();
    try {
      const acked: number[] = [];
      for (let r = 0; r < 6; r++) {
        const a = await ingest(srv.url, requestBody(r), { stream: 'gs' });
        assert.equal(a.status, 200);
        acked.push(Number(a.body.accepted));
      }
      assert.deepEqual(acked, Array(6).fill(EVENTS_PER_REQUEST));
      srv.proc.kill('SIGTERM');
      const code = await exitWithin(srv, 30_000);
      assert.equal(code, 0, `exit code 0 after SIGTERM\n${srv.logs()}`);
      assert.match(srv.logs(), /"msg":"stopped"/);
      await checkAfterRestart(srv.dataDir, 'gs', acked);
    } finally {
      await srv.kill9();
    }
  });

  // Connections whose request was answered after the close began must not hold the shutdown
  // until Fastify's keep-alive timeout (72 s).
  test('SIGTERM with requests in flight: prompt exit 0, acknowledged events there once', async () => {
    const srv = await startServer();
    try {
      let answered = 0;
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, r) =>
          ingest(srv.url, requestBody(r), { stream: 'gs-inflight' }).then(
            (a) => {
              if (++answered === 4) srv.proc.kill('SIGTERM');
              return a;
            },
            () => ({ status: 0, body: {} as Record<string, unknown> }),
          ),
        ),
      );
      // An answer says how many of the request's events (its first lines) are durable.
      const acked = answers.map((a) => Number(a.body.accepted ?? 0));
      assert.ok(acked.filter((n) => n === EVENTS_PER_REQUEST).length >= 4);
      const code = await exitWithin(srv, 10_000);
      assert.equal(code, 0, `exit code 0 within 10 s of SIGTERM\n${srv.logs()}`);
      await checkAfterRestart(srv.dataDir, 'gs-inflight', acked);
    } finally {
      await srv.kill9();
    }
  });
});

describe('logwarden ingest', () => {
  let srv: Server;
  const dir = tmpDir('lw-cli-ingest-');
  before(async () => {
    srv = await startServer();
  });
  after(async () => {
    const code = await srv.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0, srv.logs());
  });
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };

  test('sends a file: exit 0, summary with the count, events searchable', async () => {
    const lines = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({ message: `file event ${i}`, level: 'info', n: i }),
    );
    const f = write('ok.ndjson', `${lines.join('\n')}\n`);
    const r = await runCli(['ingest', f, '--stream', 'cli-ok', '--server', srv.url]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /ingested 40 events \(0 rejected\) from 1 file\(s\)/);
    assert.equal(r.stdout, '');
    await waitIndexed(srv.url);
    const s = await search(srv.url, 'stream:cli-ok');
    assert.equal(s.body.total, 40);
    assert.deepEqual(new Set(s.body.events.map((e) => e.n)).size, 40);
  });

  test('--format ndjson: rejected lines named FILE:LINE across many requests, exit 3', async () => {
    const lines: string[] = [];
    const bad = new Set([7, 150, 299]);
    for (let n = 1; n <= 300; n++) {
      if (bad.has(n)) lines.push(`{"message": "broken line ${n}`);
      else if (n % 50 === 0)
        lines.push(''); // blank lines count in the numbering
      else lines.push(JSON.stringify({ message: `nd event ${n}`, line: n }));
    }
    const f = write('some-bad.ndjson', `${lines.join('\n')}\n`);
    const before = await httpRequests(srv.url);
    const r = await runCli([
      'ingest',
      f,
      '--format',
      'ndjson',
      '--stream',
      'cli-nd',
      '--chunk-bytes',
      '300',
      '--server',
      srv.url,
    ]);
    assert.equal(r.code, 3, r.stderr);
    const requests = (await httpRequests(srv.url)) - before;
    assert.ok(requests > 20, `split into many requests (${requests})`);
    assert.match(r.stderr, /ingested 292 events \(3 rejected\)/);
    const rejected = [...r.stderr.matchAll(/rejected (.+):(\d+): (.*)/g)];
    assert.deepEqual(
      rejected.map((m) => [m[1], Number(m[2])]),
      [
        [f, 7],
        [f, 150],
        [f, 299],
      ],
    );
    for (const m of rejected) assert.match(m[3], /JSON/);
    await waitIndexed(srv.url);
    const s = await search(srv.url, 'stream:cli-nd');
    assert.equal(s.body.total, 292);
  });

  test('--format text stores each line as its message, unparsed', async () => {
    const lines = [
      '{"message":"looks like json","level":"error"}',
      '<34>Nov 22 10:00:02 host sshd[1]: looks like syslog',
      'plain words here',
    ];
    const f = write('text.log', `${lines.join('\n')}\n`);
    const r = await runCli(['ingest', f, '--format', 'text', '--stream', 'cli-text', '--server', srv.url]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /ingested 3 events/);
    await waitIndexed(srv.url);
    const s = await search(srv.url, 'stream:cli-text');
    assert.deepEqual(s.body.events.map((e) => e.message).sort(), [...lines].sort());
    // The same lines auto-detected are parsed instead.
    const auto = await runCli(['ingest', f, '--stream', 'cli-auto', '--server', srv.url]);
    assert.equal(auto.code, 0, auto.stderr);
    await waitIndexed(srv.url);
    const a = await search(srv.url, 'stream:cli-auto');
    assert.ok(a.body.events.some((e) => e.message === 'looks like json' && e.level === 'error'));
  });

  test('reads standard input with "-"', async () => {
    const input = `${JSON.stringify({ message: 'from stdin 1' })}\n{"message": oops\n${JSON.stringify({ message: 'from stdin 2' })}`;
    const r = await runCli(
      ['ingest', '-', '--format', 'ndjson', '--stream', 'cli-stdin', '--server', srv.url],
      {
        input,
      },
    );
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /ingested 2 events \(1 rejected\)/);
    assert.match(r.stderr, /rejected stdin:2: cannot parse JSON/);
    await waitIndexed(srv.url);
    const s = await search(srv.url, 'stream:cli-stdin');
    assert.deepEqual(s.body.events.map((e) => e.message).sort(), ['from stdin 1', 'from stdin 2']);
    const ok = await runCli(['ingest', '-', '--stream', 'cli-stdin', '--server', srv.url], {
      input: 'one more\n',
    });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /ingested 1 events/);
  });

  test('several files: line numbers per file', async () => {
    const a = write('a.ndjson', '{"message":"a1"}\n{bad\n');
    const b = write('b.ndjson', '{"message":"b1"}\n{"message":"b2"}\n{bad\n');
    const r = await runCli([
      'ingest',
      a,
      b,
      '--format',
      'json',
      '--stream',
      'cli-multi',
      '--server',
      srv.url,
    ]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /ingested 3 events \(2 rejected\) from 2 file\(s\)/);
    assert.ok(r.stderr.includes(`rejected ${a}:2:`), r.stderr);
    assert.ok(r.stderr.includes(`rejected ${b}:3:`), r.stderr);
  });

  test('a missing file is a clear error, exit 1, nothing sent', async () => {
    const before = await httpRequests(srv.url);
    const ok = write('exists.log', 'x\n');
    const missing = path.join(dir, 'nope.log');
    const r = await runCli(['ingest', ok, missing, '--server', srv.url]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: cannot read ${missing}: no such file\n`);
    assert.equal(await httpRequests(srv.url), before, 'checks every file before sending');
    const d = await runCli(['ingest', dir, '--server', srv.url]);
    assert.equal(d.code, 1);
    assert.match(d.stderr, /is a directory/);
  });

  test('a server that refuses the request: exit 1 with its message', async () => {
    const f = write('s.log', 'x\n');
    const r = await runCli(['ingest', f, '--stream', 'bad stream name!', '--server', srv.url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: .*s\.log: server answered invalid parameter stream: .*LW_ERR_BAD_PARAM/);
  });

  test('no server: cannot reach ..., exit 1', async () => {
    const port = await closedPort();
    const f = write('unsent.log', 'x\n');
    const r = await runCli(['ingest', f, '--server', `http://127.0.0.1:${port}`]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `error: cannot reach http://127\\.0\\.0\\.1:${port}: connection refused; is \`logwarden start\` running\\?`,
      ),
    );
    assert.match(r.stderr, /ingested 0 events/);
  });
});

describe('logwarden search', () => {
  let srv: Server;
  const old = new Date(Date.now() - 3 * 86400_000).toISOString();
  before(async () => {
    srv = await startServer();
    const events = [
      { '@timestamp': old, message: 'old payment failure', level: 'error', service: 'pay', k: 'srch' },
      { message: 'recent payment failure', level: 'error', service: 'pay', k: 'srch' },
      { message: 'recent payment ok', level: 'info', service: 'pay', k: 'srch' },
      { message: 'recent login', level: 'info', service: 'auth', k: 'srch' },
    ];
    const r = await ingest(srv.url, events.map((e) => JSON.stringify(e)).join('\n'), { stream: 'srch' });
    assert.equal(r.body.accepted, 4);
    await waitIndexed(srv.url);
  });
  after(async () => {
    assert.equal(await srv.stop(), 0, srv.logs());
  });
  const cli = (...args: string[]) => runCli(['search', ...args, '--server', srv.url]);

  test('--output text: one line per event with its message; count on stderr', async () => {
    const r = await cli('payment', '--start', '0');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0], /^\d{4}-\d\d-\d\dT\S+Z /, 'starts with the time');
    for (const m of ['old payment failure', 'recent payment failure', 'recent payment ok']) {
      assert.equal(lines.filter((l) => l.includes(m)).length, 1, m);
    }
    assert.ok(lines.find((l) => l.includes('recent payment failure'))!.includes('ERROR'));
    assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colours when not a terminal');
    assert.match(r.stderr, /^3 of 3 matching events/);
    assert.equal((await cli('payment', '--start', '0', '--output', 'text')).stdout, r.stdout);
  });

  test('--output json: the whole answer, with events and total', async () => {
    const r = await cli('level:error', '--start', '0', '--output', 'json');
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.total, 2);
    assert.equal(j.events.length, 2);
    assert.deepEqual(j.events.map((e: { message: string }) => e.message).sort(), [
      'old payment failure',
      'recent payment failure',
    ]);
    assert.equal(typeof j.took_ms, 'number');
  });

  test('a stats query prints a table with a bar chart; ndjson prints one object per row', async () => {
    const r = await cli('k:srch | stats count() as n by service | sort by (n desc)', '--start', '0');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^service\s+n$/);
    assert.match(lines[1]!, /^pay\s+3\s+█{30}$/, 'the largest count has the full bar');
    assert.match(lines[2]!, /^auth\s+1\s+█{10}$/, 'bars are proportional');
    assert.match(r.stderr, /^2 of 2 rows/);
    const nd = await cli('k:srch | top 1 level', '--start', '0', '--output', 'ndjson');
    assert.deepEqual(JSON.parse(nd.stdout), { level: 'error', count: 2, percent: 50 }, 'ties: by value');
  });

  test('--saved runs a saved search: its query and range', async () => {
    const res = await fetch(`${srv.url}/api/v1/saved-searches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'pay errors', query: 'service:pay level:error', start: '0' }),
    });
    assert.equal(res.status, 201, await res.text());
    const r = await cli('--saved', 'pay errors', '--output', 'json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).total, 2, 'start=0 from the saved search reaches the old event');
    const narrowed = await cli('--saved', 'pay errors', '--since', '1h', '--output', 'json');
    assert.equal(JSON.parse(narrowed.stdout).total, 1, '--since overrides the saved range');
    const missing = await cli('--saved', 'nope');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no saved search named "nope"/);
  });

  test('--output ndjson: one JSON object per line', async () => {
    const r = await cli('k:srch', '--start', '0', '--output', 'ndjson');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines.pop(), '', 'ends with a newline');
    assert.equal(lines.length, 4);
    for (const l of lines) {
      const o = JSON.parse(l);
      assert.equal(typeof o, 'object');
      assert.equal(o.k, 'srch');
      assert.equal(typeof o.message, 'string');
    }
    for (const everything of ['*', '']) {
      const all = await cli(everything, '--start', '0', '--output', 'json');
      assert.equal(JSON.parse(all.stdout).total, 4, `query ${JSON.stringify(everything)} matches everything`);
    }
    const asc = await cli('k:srch', '--start', '0', '--output', 'ndjson', '--order', 'asc');
    assert.equal(JSON.parse(asc.stdout.split('\n')[0]).message, 'old payment failure', 'oldest first');
  });

  test('--limit caps the events printed, not the total', async () => {
    const r = await cli('k:srch', '--start', '0', '--limit', '2', '--output', 'json');
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.events.length, 2);
    assert.equal(j.total, 4);
    const t = await cli('k:srch', '--start', '0', '--limit', '1');
    assert.equal(t.stdout.trimEnd().split('\n').length, 1);
    assert.match(t.stderr, /^1 of 4 matching events/);
    const bad = await cli('x', '--limit', 'many');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid parameter limit/);
  });

  test('--since limits the range; the default is the last 15 minutes', async () => {
    const recent = await cli('payment', '--since', '1h', '--output', 'json');
    assert.equal(recent.code, 0, recent.stderr);
    assert.deepEqual(
      JSON.parse(recent.stdout)
        .events.map((e: { message: string }) => e.message)
        .sort(),
      ['recent payment failure', 'recent payment ok'],
    );
    const week = await cli('payment', '--since', '7d', '--output', 'json');
    assert.equal(JSON.parse(week.stdout).total, 3);
    const dflt = await cli('payment', '--output', 'json');
    assert.equal(JSON.parse(dflt.stdout).total, 2);
    const bad = await cli('payment', '--since', 'forever');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /cannot parse time/);
  });

  test('a query syntax error prints the position, exit 1', async () => {
    const r = await cli('level:(error OR warn', '--start', '0');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: cannot parse query at position 20: .*LW_ERR_QUERY_SYNTAX/);
    const [, q, caret] = r.stderr.split('\n');
    assert.equal(q, '  level:(error OR warn');
    assert.equal(caret, `  ${' '.repeat(20)}^`);
    assert.equal(r.stdout, '');
  });

  test('no server running: a clear "cannot reach" error, exit 1', async () => {
    const port = await closedPort();
    const r = await runCli(['search', 'x', '--server', `http://127.0.0.1:${port}`]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `error: cannot reach http://127.0.0.1:${port}: connection refused; is \`logwarden start\` running?\n`,
    );
    const env = await runCli(['search', 'x'], { env: { LOGWARDEN_SERVER: `http://127.0.0.1:${port}/` } });
    assert.equal(env.code, 1);
    assert.match(
      env.stderr,
      new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port}:`),
      '$LOGWARDEN_SERVER is used',
    );
  });
});

describe('logwarden ingest against a server that refuses', () => {
  /** A fake ingest endpoint: answers each request with the next scripted answer, records bodies. */
  async function fakeServer(answers: Array<{ status: number; body: Record<string, unknown> }>) {
    const bodies: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        bodies.push(body);
        const a = answers[Math.min(bodies.length - 1, answers.length - 1)];
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (a.status === 429 || a.status === 503) headers['retry-after'] = '0';
        res.writeHead(a.status, headers).end(JSON.stringify(a.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    return { url, bodies, close: () => new Promise((r) => server.close(r)) };
  }
  const dir = tmpDir('lw-cli-fake-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const lines = ['{"n":1}', '{bad', '{"n":3}', '{"n":4}', '{"n":5}', '{"n":6}'];
  const file = path.join(dir, 'six.ndjson');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);

  test('429 after part of a request was kept: only the rest is sent again', async () => {
    const fake = await fakeServer([
      {
        status: 429,
        body: {
          error: 'queue is full',
          code: 'LW_ERR_QUEUE_FULL',
          accepted: 2,
          rejected: 1,
          errors: [{ line: 2, error: 'cannot parse JSON' }],
        },
      },
      { status: 200, body: { accepted: 3, rejected: 0, errors: [] } },
    ]);
    try {
      const r = await runCli(['ingest', file, '--format', 'ndjson', '--server', fake.url]);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(fake.bodies.length, 2);
      assert.equal(fake.bodies[0], `${lines.join('\n')}\n`);
      assert.equal(fake.bodies[1], `${lines.slice(3).join('\n')}\n`, 'lines 1-3 are not sent twice');
      assert.match(r.stderr, /ingested 5 events \(1 rejected\)/);
      assert.ok(r.stderr.includes(`rejected ${file}:2: cannot parse JSON`), r.stderr);
    } finally {
      await fake.close();
    }
  });

  test('429 with nothing kept: the same request again, line numbers unchanged', async () => {
    const fake = await fakeServer([
      { status: 429, body: { error: 'queue is full', code: 'LW_ERR_QUEUE_FULL', accepted: 0 } },
      { status: 503, body: { error: 'server is shutting down', code: 'LW_ERR_SHUTTING_DOWN' } },
      { status: 200, body: { accepted: 5, rejected: 1, errors: [{ line: 2, error: 'cannot parse JSON' }] } },
    ]);
    try {
      const r = await runCli(['ingest', file, '--format', 'ndjson', '--server', fake.url]);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(fake.bodies.length, 3);
      assert.ok(fake.bodies.every((b) => b === fake.bodies[0]));
      assert.match(r.stderr, /ingested 5 events \(1 rejected\)/);
      assert.ok(r.stderr.includes(`${file}:2:`));
    } finally {
      await fake.close();
    }
  });

  test('a refusal that is not retryable stops with the server message, exit 1', async () => {
    const fake = await fakeServer([
      {
        status: 413,
        body: { error: 'request body exceeds the limit of 10 bytes', code: 'LW_ERR_BODY_TOO_LARGE' },
      },
    ]);
    try {
      const r = await runCli(['ingest', file, '--server', fake.url]);
      assert.equal(r.code, 1);
      assert.equal(fake.bodies.length, 1);
      assert.match(
        r.stderr,
        /server answered request body exceeds the limit of 10 bytes \(LW_ERR_BODY_TOO_LARGE\)/,
      );
    } finally {
      await fake.close();
    }
  });
});
