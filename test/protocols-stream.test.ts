/**
 * Black-box: the real `logwarden start` with GELF (UDP, TCP), syslog over TLS and plain line
 * receivers, fed over real sockets: a GELF sender written here (plain, gzip, zlib, chunked in any
 * order), node:tls with octet-counted frames, rsyslog forwarding over TLS (fed by util-linux
 * `logger --rfc5424 --tcp`), and raw TCP/UDP lines. Bad input is sent between good records: the
 * good ones must be searchable, the bad ones counted at /metrics with their reason, and the
 * server must stay up. Parts needing `openssl`, `rsyslogd` or `logger` skip with one loud line.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import { search, type Server, startServer, tmpDir, waitIndexed } from './harness.ts';
import { mulberry32 } from './prng.ts';
import { hasOpenssl, makeTestCerts, type TestCerts } from './tls-certs.ts';

const hasRsyslog = spawnSync('rsyslogd', ['-v'], { encoding: 'utf8' }).status === 0;
const hasLogger = spawnSync('logger', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasOpenssl) console.warn('SKIPPING syslog TLS tests: the `openssl` binary is not installed');
else if (!hasRsyslog)
  console.warn(
    'SKIPPING the rsyslog TLS test: rsyslogd is not installed (apt-get install rsyslog rsyslog-gnutls)',
  );

let srv: Server;
let ports: Record<string, number>;
let certs: TestCerts | null = null;
const dir = tmpDir('lw-proto-');

before(async () => {
  if (hasOpenssl) {
    fs.mkdirSync(path.join(dir, 'certs'));
    certs = makeTestCerts(path.join(dir, 'certs'));
  }
  const tlsYaml = certs
    ? `  tls: {listen: "127.0.0.1:0", cert: "${certs.serverCert}", key: "${certs.serverKey}"}\n`
    : '';
  fs.mkdirSync(path.join(dir, 'data'));
  srv = await startServer({
    dataDir: path.join(dir, 'data'),
    configYaml: `syslog:
  udp: null
  tcp: null
${tlsYaml}gelf:
  udp: "127.0.0.1:0"
  tcp: "127.0.0.1:0"
  maxMessageBytes: 65536
  chunkTimeoutMs: 300
lines:
  - {listen: "127.0.0.1:0", protocol: tcp, format: json, stream: lines-json, maxLineBytes: 1000}
  - {listen: "127.0.0.1:0", protocol: udp, stream: lines-auto, name: udp_auto}
`,
  });
  const started = srv
    .logs()
    .split('\n')
    .filter((l) => l.includes('"logwarden started"'))
    .map((l) => JSON.parse(l) as { receivers: Record<string, string> })[0]!;
  ports = Object.fromEntries(
    Object.entries(started.receivers)
      .filter(([, a]) => a !== 'off')
      .map(([k, a]) => [k, Number(a.slice(a.lastIndexOf(':') + 1))]),
  );
});

after(async () => {
  assert.equal(await srv.stop(), 0, srv.logs());
  fs.rmSync(dir, { recursive: true, force: true });
});

// ---- helpers ----

async function waitFor(cond: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${srv.logs().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One sample of /metrics, 0 when absent. */
async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${srv.url}/metrics`)).text();
  const l = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const m = new RegExp(`^${name}\\{${l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

async function rejected(source: string, reason: string): Promise<number> {
  return metric('logwarden_events_rejected_total', { source, reason });
}

function sendUdp(port: number, datagrams: Buffer[]): Promise<void> {
  const s = dgram.createSocket('udp4');
  return new Promise<void>((resolve, reject) => {
    let i = 0;
    const next = () => {
      if (i === datagrams.length) {
        s.close();
        resolve();
        return;
      }
      // One at a time, so the kernel buffer never overflows on a busy machine.
      s.send(datagrams[i++]!, port, '127.0.0.1', (err) => (err ? reject(err) : setImmediate(next)));
    };
    next();
  });
}

/** Writes the chunks over one TCP (or TLS) connection, pausing between them, then ends it. */
async function sendStream(sock: net.Socket, chunks: Array<string | Buffer>): Promise<void> {
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  for (const c of chunks) {
    if (sock.destroyed) break;
    await new Promise<void>((r) => sock.write(c, () => r()));
    await new Promise((r) => setTimeout(r, 10));
  }
  sock.end();
  await closed;
}

function tcpConnect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ port, host: '127.0.0.1' }, () => resolve(c));
    c.once('error', reject);
  });
}

/** GELF chunks (magic, 8-byte id, seq, count, part) of `payload`, `size` bytes of payload each. */
function gelfChunks(payload: Buffer, size: number, id: Buffer): Buffer[] {
  const count = Math.ceil(payload.length / size);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const head = Buffer.from([0x1e, 0x0f, ...id, i, count]);
    out.push(Buffer.concat([head, payload.subarray(i * size, (i + 1) * size)]));
  }
  return out;
}

const T0 = 1_763_800_000; // 2025-11-22T08:26:40Z

function gelf(fields: Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify({ version: '1.1', host: 'gelf-host', ...fields }));
}

async function events(q: string): Promise<Array<Record<string, unknown>>> {
  await waitIndexed(srv.url);
  const r = await search(srv.url, q, { order: 'asc' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.events;
}

// ---- GELF ----

describe('GELF over UDP', () => {
  test('plain, gzip, zlib and chunked messages map to the event model; bad ones are counted, neighbours kept', async () => {
    const rnd = mulberry32(7);
    // A long message that compresses badly, so its gzip needs several chunks.
    const long = Array.from({ length: 30_000 }, () => String.fromCharCode(97 + Math.floor(rnd() * 26))).join(
      '',
    );
    const good = [
      gelf({
        short_message: 'udp plain one',
        timestamp: T0 + 0.123,
        level: 3,
        _user_id: 42,
        _id: 'x',
        _host: 'h2',
      }),
      zlib.gzipSync(gelf({ short_message: 'udp gzip two', full_message: 'two\nlines', level: 6 })),
      zlib.deflateSync(gelf({ short_message: 'udp zlib three', _request: { path: '/a' } })),
    ];
    const chunked = zlib.gzipSync(gelf({ short_message: 'udp chunked four', full_message: long, _seq: 4 }));
    const chunks = gelfChunks(chunked, 1400, Buffer.from('0123456789abcdef', 'hex'));
    assert.ok(chunks.length >= 10, `${chunks.length} chunks`);
    // Shuffled, with one chunk repeated: order does not matter, repeats are ignored.
    const order = chunks.map((_, i) => i).sort(() => rnd() - 0.5);
    const shuffled = order.map((i) => chunks[i]!);
    shuffled.splice(2, 0, shuffled[0]!);

    const truncatedGzip = zlib.gzipSync(gelf({ short_message: 'cut' })).subarray(0, 20);
    const zstdMagic = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3]);
    const badJson = Buffer.from('{"short_message": "no end');
    const badUtf8 = Buffer.concat([
      Buffer.from('{"short_message": "bad '),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    const noShort = gelf({ full_message: 'no short message' });
    const bomb = zlib.gzipSync(gelf({ short_message: 'big', full_message: 'z'.repeat(200_000) }));
    const incomplete = gelfChunks(
      zlib.gzipSync(gelf({ short_message: 'lost half', full_message: long })),
      1400,
      Buffer.alloc(8, 7),
    );
    const badCount = Buffer.concat([
      Buffer.from([0x1e, 0x0f, ...Buffer.alloc(8, 9), 0, 200]),
      Buffer.from('{}'),
    ]);

    const before = {
      received: await metric('logwarden_events_received_total', { source: 'gelf_udp' }),
      accepted: await metric('logwarden_events_accepted_total', { source: 'gelf_udp' }),
    };
    await sendUdp(ports.gelf_udp!, [
      good[0]!,
      truncatedGzip,
      good[1]!,
      zstdMagic,
      badJson,
      ...shuffled.slice(0, 5),
      badUtf8,
      noShort,
      incomplete[0]!,
      bomb,
      badCount,
      ...shuffled.slice(5),
      good[2]!,
    ]);
    await waitFor(
      async () => (await rejected('gelf_udp', 'incomplete_chunks')) === 1,
      'the incomplete chunk set to time out',
    );
    await waitFor(
      async () =>
        (await metric('logwarden_events_accepted_total', { source: 'gelf_udp' })) === before.accepted + 4,
      '4 GELF messages accepted',
    );
    assert.equal(await rejected('gelf_udp', 'bad_compression'), 2); // truncated gzip, unknown magic
    assert.equal(await rejected('gelf_udp', 'invalid_json'), 1);
    assert.equal(await rejected('gelf_udp', 'invalid_utf8'), 1);
    assert.equal(await rejected('gelf_udp', 'invalid_gelf'), 1);
    assert.equal(await rejected('gelf_udp', 'oversized'), 1);
    assert.equal(await rejected('gelf_udp', 'bad_chunk'), 1);
    assert.equal(
      await metric('logwarden_events_received_total', { source: 'gelf_udp' }),
      before.received + 12,
    );

    const evs = await events('stream:gelf udp');
    assert.deepEqual(evs.map((e) => e.message).sort(), [
      'udp chunked four',
      'udp gzip two',
      'udp plain one',
      'udp zlib three',
    ]);
    const one = evs.find((e) => e.message === 'udp plain one')!;
    assert.equal(Date.parse(String(one._time)), (T0 + 0.123) * 1000);
    assert.equal(one.level, 'error');
    assert.equal(one.severity, 3);
    assert.equal(one.host, 'gelf-host');
    assert.equal(one.host_, 'h2'); // `_host` may not replace host
    assert.equal(one.user_id, 42);
    assert.equal(one.id, undefined); // `_id` is not allowed
    assert.equal(one._id === 'x', false);
    assert.match(String(one.remote_addr), /^127\.0\.0\.1:\d+$/);
    const two = evs.find((e) => e.message === 'udp gzip two')!;
    assert.equal(two.full_message, 'two\nlines');
    assert.equal(two.level, 'info');
    assert.equal(evs.find((e) => e.message === 'udp zlib three')!['request.path'], '/a');
    const four = evs.find((e) => e.message === 'udp chunked four')!;
    assert.equal(four.full_message, long);
    assert.equal(four.seq, 4);
  });
});

describe('GELF over TCP', () => {
  test('NUL-framed messages across writes; a bad or oversized one is skipped, the rest kept', async () => {
    const before = await metric('logwarden_events_accepted_total', { source: 'gelf_tcp' });
    const c = await tcpConnect(ports.gelf_tcp!);
    const m = (s: string, extra: Record<string, unknown> = {}) =>
      gelf({ short_message: s, ...extra }).toString();
    const two = m('tcp two');
    await sendStream(c, [
      `${m('tcp one', { level: 4 })}\0${two.slice(0, 20)}`,
      `${two.slice(20)}\0{"short_message": broken}\0`,
      `${m('tcp big', { full_message: 'b'.repeat(70_000) })}\0\n`, // over 64 KiB; a LF after NUL is ignored
      `${m('tcp three')}\0${m('tcp last, no NUL')}`,
    ]);
    await waitFor(
      async () => (await metric('logwarden_events_accepted_total', { source: 'gelf_tcp' })) === before + 4,
      '4 GELF TCP messages',
    );
    assert.equal(await rejected('gelf_tcp', 'invalid_json'), 1);
    assert.equal(await rejected('gelf_tcp', 'oversized'), 1);
    const evs = await events('stream:gelf tcp');
    assert.deepEqual(evs.map((e) => e.message).sort(), [
      'tcp last, no NUL',
      'tcp one',
      'tcp three',
      'tcp two',
    ]);
    assert.equal(evs.find((e) => e.message === 'tcp one')!.level, 'warn');
  });
});

// ---- plain lines ----

describe('plain lines', () => {
  test('TCP, format json: CRLF and LF lines; invalid JSON, invalid UTF-8 and oversized lines rejected alone', async () => {
    const c = await tcpConnect(ports.lines_lines_json_tcp!);
    await sendStream(c, [
      '{"message":"json line one","level":"warn","order":1}\r\n{"message":"json li',
      'ne two","order":2}\nnot json at all\n',
      Buffer.concat([Buffer.from('{"message":"bad '), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]),
      `{"message":"${'x'.repeat(1200)}"}\n`,
      '\n   \n{"message":"json line three","order":3}',
    ]);
    await waitFor(
      async () => (await metric('logwarden_events_accepted_total', { source: 'lines_lines_json_tcp' })) === 3,
      '3 JSON lines',
    );
    assert.equal(await rejected('lines_lines_json_tcp', 'invalid_json'), 1);
    assert.equal(await rejected('lines_lines_json_tcp', 'invalid_utf8'), 1);
    assert.equal(await rejected('lines_lines_json_tcp', 'oversized'), 1);
    const evs = await events('stream:lines-json');
    assert.deepEqual(
      evs.map((e) => [e.message, e.order]),
      [
        ['json line one', 1],
        ['json line two', 2],
        ['json line three', 3],
      ].sort((a, b) => Number(a[1]) - Number(b[1])),
    );
    assert.equal(evs[0]!.level, 'warn');
  });

  test('UDP, format auto: several lines per datagram, each detected on its own', async () => {
    await sendUdp(ports.lines_udp_auto!, [
      Buffer.from(
        '<11>1 2025-11-22T08:00:00Z web-1 nginx 77 - - upstream timed out\n{"msg":"auto json","n":5}\n',
      ),
      Buffer.from('2025-11-22 08:00:01 ERROR plain text line\n'),
    ]);
    await waitFor(
      async () => (await metric('logwarden_events_accepted_total', { source: 'lines_udp_auto' })) === 3,
      '3 UDP lines',
    );
    const evs = await events('stream:lines-auto');
    const by = (m: string) => evs.find((e) => e.message === m)!;
    assert.equal(by('upstream timed out').service, 'nginx');
    assert.equal(by('upstream timed out').level, 'error');
    assert.equal(by('auto json').n, 5);
    assert.equal(by('2025-11-22 08:00:01 ERROR plain text line').level, 'error');
  });
});

// ---- syslog over TLS ----

describe('syslog over TLS (RFC 5425)', { skip: hasOpenssl ? false : 'openssl is not installed' }, () => {
  test('node:tls client, octet-counted frames verified against the test CA', async () => {
    const sock = tls.connect({
      port: ports.syslog_tls!,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: fs.readFileSync(certs!.ca),
    });
    await new Promise<void>((resolve, reject) => {
      sock.once('secureConnect', () => resolve());
      sock.once('error', reject);
    });
    assert.equal(sock.authorized, true);
    const frame = (m: string) => `${Buffer.byteLength(m)} ${m}`;
    const a = '<86>1 2025-11-22T08:10:00.5Z bastion sshd 4242 - - Accepted publickey for alice 결제';
    const b = '<83>1 2025-11-22T08:10:01Z bastion sshd 4242 - - Failed password for root';
    await sendStream(sock, [frame(a) + frame(b).slice(0, 9), frame(b).slice(9)]);
    await waitFor(
      async () => (await metric('logwarden_events_accepted_total', { source: 'syslog_tls' })) === 2,
      '2 TLS messages',
    );
    const evs = await events('stream:syslog service:sshd');
    assert.deepEqual(
      evs.map((e) => [e.message, e.level, e.host]),
      [
        ['Accepted publickey for alice 결제', 'info', 'bastion'],
        ['Failed password for root', 'error', 'bastion'],
      ],
    );
  });

  test('a client that does not speak TLS is an error, not a crash', async () => {
    const before = await metric('logwarden_source_errors_total', { source: 'syslog_tls' });
    const c = await tcpConnect(ports.syslog_tls!);
    c.on('error', () => {});
    await sendStream(c, ['<13>1 - - - - - - plain text on the TLS port\n']);
    await waitFor(
      async () => (await metric('logwarden_source_errors_total', { source: 'syslog_tls' })) > before,
      'the handshake error',
    );
    assert.equal((await fetch(`${srv.url}/healthz`)).status, 200);
  });

  test('rsyslog forwards over TLS what `logger --rfc5424 --tcp` sent it', {
    skip: hasRsyslog && hasLogger ? false : 'rsyslogd or logger is not installed',
  }, async () => {
    const work = path.join(dir, 'rsyslog');
    fs.mkdirSync(work);
    const inPort = await freePort();
    fs.writeFileSync(
      path.join(work, 'rsyslog.conf'),
      `global(workDirectory="${work}" defaultNetstreamDriverCAFile="${certs!.ca}")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="${inPort}")
action(type="omfwd" target="127.0.0.1" port="${ports.syslog_tls}" protocol="tcp"
       StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name"
       StreamDriverPermittedPeers="localhost" TCP_Framing="octet-counted"
       template="RSYSLOG_SyslogProtocol23Format")
`,
    );
    const rs: ChildProcess = spawn(
      'rsyslogd',
      ['-n', '-f', path.join(work, 'rsyslog.conf'), '-i', path.join(work, 'rsyslogd.pid')],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let rsOut = '';
    rs.stdout!.on('data', (d) => (rsOut += d));
    rs.stderr!.on('data', (d) => (rsOut += d));
    try {
      await waitFor(
        () =>
          new Promise<boolean>((resolve) => {
            const c = net.connect({ port: inPort, host: '127.0.0.1' }, () => {
              c.destroy();
              resolve(true);
            });
            c.on('error', () => resolve(false));
          }),
        `rsyslogd to listen (${rsOut})`,
      );
      const text = 'forwarded by rsyslog over TLS: ünïcödé';
      const r = spawnSync(
        'logger',
        [
          '--rfc5424',
          '--tcp',
          '-n',
          '127.0.0.1',
          '-P',
          String(inPort),
          '-t',
          'rsapp',
          '-p',
          'auth.warning',
          '--msgid',
          'M1',
          text,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(r.status, 0, r.stderr);
      let evs: Array<Record<string, unknown>> = [];
      await waitFor(async () => {
        evs = (await search(srv.url, 'stream:syslog service:rsapp')).body.events;
        return evs.length > 0;
      }, `the forwarded event (rsyslogd: ${rsOut})`);
      assert.equal(evs.length, 1);
      const ev = evs[0]!;
      assert.equal(ev.message, text);
      assert.equal(ev.level, 'warn');
      assert.equal(ev.facility, 'auth');
      assert.equal(ev.msgid, 'M1');
      assert.ok(Math.abs(Date.parse(String(ev._time)) - Date.now()) < 60_000);
    } finally {
      rs.kill('SIGTERM');
      await new Promise((r) => (rs.exitCode !== null ? r(null) : rs.once('exit', r)));
    }
  });
});

test('after all of it the server is up and every source reports its counters', async () => {
  assert.equal((await fetch(`${srv.url}/healthz`)).status, 200);
  const text = await (await fetch(`${srv.url}/metrics`)).text();
  for (const source of [
    'gelf_udp',
    'gelf_tcp',
    'lines_lines_json_tcp',
    'lines_udp_auto',
    ...(certs ? ['syslog_tls'] : []),
  ]) {
    assert.match(text, new RegExp(`logwarden_events_received_total\\{source="${source}"\\} \\d+`));
    assert.match(text, new RegExp(`logwarden_events_accepted_total\\{source="${source}"\\} \\d+`));
  }
  assert.doesNotMatch(text, /source="gelf_udp",reason="shutting_down"/);
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
