/**
 * Black-box: spawns `logwarden start` with its syslog listeners and sends syslog like real senders
 * do: UDP datagrams (RFC 5426), TCP with LF framing and with RFC 6587 octet counting (several
 * messages per write, one message split across writes), and util-linux `logger` when installed.
 * Then checks what search returns (stream `syslog`) and the counters of /metrics.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import { after, before, describe, test } from 'node:test';
import { type Server, search, startServer, waitIndexed } from './harness.ts';

let srv: Server;
let udpPort: number;
let tcpPort: number;

before(async () => {
  srv = await startServer({ syslog: true });
  assert.ok(srv.udpPort !== null && srv.tcpPort !== null, 'syslog listeners are up');
  udpPort = srv.udpPort;
  tcpPort = srv.tcpPort;
});
after(async () => {
  const code = await srv.stop();
  assert.equal(code, 0, `graceful stop exits 0\n${srv.logs()}`);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends each message as one datagram. */
async function sendUdp(messages: Array<string | Buffer>): Promise<void> {
  const sock = dgram.createSocket('udp4');
  try {
    for (const m of messages) {
      await new Promise<void>((resolve, reject) =>
        sock.send(m, udpPort, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
      );
    }
  } finally {
    sock.close();
  }
}

/**
 * Opens one TCP connection and writes the chunks with a pause between them (so that the server
 * reads them separately), then half-closes and waits for the server to close.
 */
async function sendTcp(chunks: Array<string | Buffer>, pauseMs = 40): Promise<void> {
  const sock = net.connect(tcpPort, '127.0.0.1');
  sock.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
  sock.on('data', () => {}); // the server sends nothing; keep the stream flowing
  for (let k = 0; k < chunks.length; k++) {
    await new Promise<void>((resolve, reject) =>
      sock.write(chunks[k]!, (err) => (err ? reject(err) : resolve())),
    );
    if (k < chunks.length - 1) await sleep(pauseMs);
  }
  sock.end();
  await closed;
}

/** RFC 6587 octet counting: `MSG-LEN SP MSG`, the length in bytes (not characters). */
function octet(msg: string): string {
  return `${Buffer.byteLength(msg)} ${msg}`;
}

type Ev = Record<string, unknown>;

/** Polls search until q matches at least n events (syslog ingest is asynchronous); returns them. */
async function waitFor(q: string, n: number, timeoutMs = 20_000): Promise<Ev[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await waitIndexed(srv.url);
    const r = await search(srv.url, q);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    if (r.body.total >= n) return r.body.events;
    if (Date.now() > deadline) {
      throw new Error(
        `${q}: ${r.body.total} of ${n} events after ${timeoutMs} ms\n${srv.logs().slice(-3000)}`,
      );
    }
    await sleep(50);
  }
}

function byMessage(events: Ev[], message: string): Ev {
  const ev = events.find((e) => e.message === message);
  assert.ok(
    ev,
    `an event with message ${JSON.stringify(message)} among ${JSON.stringify(events.map((e) => e.message))}`,
  );
  return ev;
}

/** Expected epoch ms of an RFC 3164 `Mmm dd HH:MM:SS` (UTC): the most recent year not > 1 day ahead. */
function rfc3164Ms(month: number, day: number, h: number, m: number, s: number): number {
  const limit = Date.now() + 86_400_000;
  for (let y = new Date(limit).getUTCFullYear(); ; y--) {
    const t = Date.UTC(y, month - 1, day, h, m, s);
    if (t <= limit) return t;
  }
}

async function receivedSyslog(): Promise<number> {
  const res = await fetch(`${srv.url}/metrics`);
  assert.equal(res.status, 200);
  const text = await res.text();
  // One series per transport: syslog_udp, syslog_tcp, syslog_tls.
  const ms = [
    ...text.matchAll(
      /^logwarden_events_received_total\{source="syslog_(?:udp|tcp|tls)"\} (\d+(?:\.\d+)?)$/gm,
    ),
  ];
  assert.ok(
    ms.length >= 2,
    `/metrics has logwarden_events_received_total{source="syslog_udp|tcp"}:\n${text}`,
  );
  return ms.reduce((a, m) => a + Number(m[1]), 0);
}

const REMOTE = /^127\.0\.0\.1:\d+$/;

describe('syslog over UDP', () => {
  test('RFC 5424: header, structured data and message become fields', async () => {
    await sendUdp([
      '<165>1 2026-11-20T10:00:00.123456Z host-a udpapp 1234 ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] An application event log entry',
    ]);
    const [ev] = await waitFor('stream:syslog service:udpapp', 1);
    assert.equal(ev!.stream, 'syslog');
    assert.equal(ev!.host, 'host-a');
    assert.equal(ev!.service, 'udpapp');
    assert.equal(ev!.level, 'notice'); // 165 = local4 (20) * 8 + notice (5)
    assert.equal(ev!.facility, 'local4');
    assert.equal(ev!.severity, 5);
    assert.equal(ev!.pid, 1234);
    assert.equal(ev!.msgid, 'ID47');
    assert.equal(ev!['sd.exampleSDID@32473.iut'], '3');
    assert.equal(ev!['sd.exampleSDID@32473.eventSource'], 'Application');
    assert.equal(ev!['sd.exampleSDID@32473.eventID'], '1011');
    assert.equal(ev!['sd.examplePriority@32473.class'], 'high');
    assert.equal(ev!._time, '2026-11-20T10:00:00.123456Z');
    assert.equal(ev!.message, 'An application event log entry');
    assert.match(String(ev!.remote_addr), REMOTE);
    // the structured data is searchable as fields
    assert.equal((await search(srv.url, 'sd.examplePriority@32473.class:high')).body.total, 1);
    assert.equal((await search(srv.url, 'stream:syslog msgid:ID47 "application event"')).body.total, 1);
  });

  test('RFC 5424 with nil values, an escaped SD value, a BOM and a zone offset', async () => {
    await sendUdp([
      '<14>1 2026-11-20T12:30:00+02:00 - udpnil - - - nil fields',
      '<11>1 2026-11-20T10:00:00Z h udpesc 7 - [x@1 q="a \\"quoted\\" \\] bracket"] \uFEFFwith BOM',
    ]);
    const events = await waitFor('stream:syslog (service:udpnil OR service:udpesc)', 2);
    const nil = byMessage(events, 'nil fields');
    assert.equal(nil.host, undefined);
    assert.equal(nil.level, 'info');
    assert.equal(nil.facility, 'user');
    assert.equal(nil._time, '2026-11-20T10:30:00.000000Z');
    assert.equal(nil.pid, undefined);
    assert.equal(nil.msgid, undefined);
    const esc = byMessage(events, 'with BOM');
    assert.equal(esc.level, 'error');
    assert.equal(esc['sd.x@1.q'], 'a "quoted" ] bracket');
  });

  test('RFC 3164: host, tag, pid, facility and severity; the year is inferred', async () => {
    await sendUdp(["<34>Oct 11 22:14:15 mymachine udpbsd[42]: 'su root' failed for lonvick on /dev/pts/8"]);
    const [ev] = await waitFor('stream:syslog service:udpbsd', 1);
    assert.equal(ev!.host, 'mymachine');
    assert.equal(ev!.pid, 42);
    assert.equal(ev!.facility, 'auth');
    assert.equal(ev!.level, 'critical'); // 34 = auth (4) * 8 + crit (2)
    assert.equal(ev!.message, "'su root' failed for lonvick on /dev/pts/8");
    assert.equal(Date.parse(String(ev!._time)), rfc3164Ms(10, 11, 22, 14, 15));
  });

  test('several datagrams in a row, each one event; an unparseable one is kept as text', async () => {
    const before = Date.now();
    await sendUdp([
      '<13>1 2026-11-20T10:00:01Z h udpmany - - - first of three',
      'just some text udpplainmark',
      '<13>1 2026-11-20T10:00:03Z h udpmany - - - third of three\n', // a trailing LF is a frame trailer
    ]);
    const many = await waitFor('stream:syslog service:udpmany', 2);
    assert.deepEqual(many.map((e) => e.message).sort(), ['first of three', 'third of three']);
    const [plain] = await waitFor('stream:syslog udpplainmark', 1);
    assert.equal(plain!.message, 'just some text udpplainmark');
    assert.equal(plain!.level, undefined);
    assert.equal(plain!.host, undefined);
    assert.match(String(plain!.remote_addr), REMOTE);
    // without a timestamp of its own the event gets the receive time
    const t = Date.parse(String(plain!._time));
    assert.ok(t >= before - 1000 && t <= Date.now() + 1000, `${plain!._time} is the receive time`);
  });
});

describe('syslog over TCP', () => {
  test('LF framing: several messages in one write, one message split across writes, CRLF', async () => {
    const split = '<13>1 2026-11-20T10:01:00Z h tcplf 99 - - one message split across two writes';
    await sendTcp([
      '<13>1 2026-11-20T10:00:00Z h tcplf 99 - - lf one\n<13>1 2026-11-20T10:00:01Z h tcplf 99 - - lf two\r\n' +
        '<13>1 2026-11-20T10:00:02Z h tcplf 99 - - lf three\n',
      split.slice(0, 40),
      `${split.slice(40)}\n<13>1 2026-11-20T10:02:00Z h tcplf 99 - - after the split\n`,
      '<13>1 2026-11-20T10:03:00Z h tcplf 99 - - last line without LF',
    ]);
    const events = await waitFor('stream:syslog service:tcplf', 6);
    assert.equal(events.length, 6);
    for (const m of ['lf one', 'lf two', 'lf three', 'after the split', 'last line without LF']) {
      const ev = byMessage(events, m);
      assert.equal(ev.pid, 99);
      assert.equal(ev.host, 'h');
    }
    const ev = byMessage(events, 'one message split across two writes');
    assert.equal(ev._time, '2026-11-20T10:01:00.000000Z');
    assert.equal(byMessage(events, 'lf two')._time, '2026-11-20T10:00:01.000000Z');
  });

  test('RFC 6587 octet counting: several frames per write, frames split anywhere, LF inside a frame', async () => {
    const a = '<165>1 2026-11-20T11:00:00Z h tcpoct - M1 [m@1 k="v"] octet one';
    const b =
      '<165>1 2026-11-20T11:00:01Z h tcpoct - M2 - 결제를 요청했습니다 (UTF-8: the count is in bytes)';
    const c = '<165>1 2026-11-20T11:00:02Z h tcpoct - M3 - a stack trace\n  at line 1\n  at line 2';
    const d = '<165>1 2026-11-20T11:00:03Z h tcpoct - M4 - split inside the count';
    const e = '<165>1 2026-11-20T11:00:04Z h tcpoct - M5 - split inside the message';
    const oe = octet(e);
    await sendTcp([
      octet(a) + octet(b) + octet(c),
      octet(d).slice(0, 1), // "6" of "65 <165>..."
      octet(d).slice(1) + oe.slice(0, 30),
      oe.slice(30),
    ]);
    const events = await waitFor('stream:syslog service:tcpoct', 5);
    assert.equal(events.length, 5);
    const one = byMessage(events, 'octet one');
    assert.equal(one.msgid, 'M1');
    assert.equal(one['sd.m@1.k'], 'v');
    assert.equal(byMessage(events, '결제를 요청했습니다 (UTF-8: the count is in bytes)').msgid, 'M2');
    // octet counting carries a multi-line message as one event
    assert.equal(byMessage(events, 'a stack trace\n  at line 1\n  at line 2').msgid, 'M3');
    assert.equal(byMessage(events, 'split inside the count').msgid, 'M4');
    assert.equal(byMessage(events, 'split inside the message')._time, '2026-11-20T11:00:04.000000Z');
    // Korean words are searchable inside longer words
    assert.equal((await search(srv.url, 'stream:syslog 결제')).body.total, 1);
  });

  test('both framings on one connection, and an unparseable line is kept as text', async () => {
    await sendTcp([
      `${octet('<13>1 2026-11-20T12:00:00Z h tcpmix - - - counted')}<13>1 2026-11-20T12:00:01Z h tcpmix - - - lf after counted\n`,
      'just some text tcpplainmark\n200 OK tcpplainmark\n',
      octet('<13>1 2026-11-20T12:00:02Z h tcpmix - - - counted after text'),
    ]);
    const mix = await waitFor('stream:syslog service:tcpmix', 3);
    assert.deepEqual(mix.map((x) => x.message).sort(), ['counted', 'counted after text', 'lf after counted']);
    const plain = await waitFor('stream:syslog tcpplainmark', 2);
    assert.deepEqual(plain.map((x) => x.message).sort(), [
      '200 OK tcpplainmark',
      'just some text tcpplainmark',
    ]);
    for (const p of plain) {
      assert.equal(p.level, undefined);
      assert.equal(p.service, undefined);
      assert.match(String(p.remote_addr), REMOTE);
    }
  });
});

const hasLogger = spawnSync('logger', ['--version'], { encoding: 'utf8' }).status === 0;
const NO_LOGGER = hasLogger ? false : 'util-linux `logger` is not installed';

/** Runs util-linux logger (TZ=UTC, so its RFC 3164 local time is UTC); input goes to its stdin. */
function logger(args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('logger', args, {
      env: { ...process.env, TZ: 'UTC' },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr!.on('data', (d) => {
      err += d;
    });
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`logger ${args.join(' ')}: exit ${code}\n${err}`)),
    );
    if (input !== undefined) p.stdin!.end(input);
  });
}

/** The host names logger may send: the full host name, or its first label (RFC 3164). */
const HOSTS = new Set([os.hostname(), os.hostname().split('.')[0]]);

function assertRecent(ev: Ev, sentMs: number): void {
  const t = Date.parse(String(ev._time));
  // The sender's clock is this machine's; RFC 3164 has whole seconds.
  assert.ok(t >= sentMs - 2000 && t <= Date.now() + 1000, `_time ${ev._time} is the send time`);
}

describe('syslog from util-linux logger', () => {
  test('--rfc5424 --tcp: tag, pid, msgid, priority, structured data', { skip: NO_LOGGER }, async () => {
    const sent = Date.now();
    await logger([
      '--rfc5424',
      '--tcp',
      '-n',
      '127.0.0.1',
      '-P',
      String(tcpPort),
      '-t',
      'lgtcp',
      '--id=4242',
      '--msgid',
      'LOGIN',
      '--sd-id',
      'auth@32473',
      '--sd-param',
      'user="alice"',
      '--sd-param',
      'method="password"',
      '-p',
      'local4.warning',
      'user alice logged in',
    ]);
    const [ev] = await waitFor('stream:syslog service:lgtcp', 1);
    assert.ok(HOSTS.has(String(ev!.host)), `host ${ev!.host}`);
    assert.equal(ev!.pid, 4242);
    assert.equal(ev!.msgid, 'LOGIN');
    assert.equal(ev!.facility, 'local4');
    assert.equal(ev!.level, 'warn');
    assert.equal(ev!['sd.auth@32473.user'], 'alice');
    assert.equal(ev!['sd.auth@32473.method'], 'password');
    assert.equal(ev!['sd.timeQuality.tzKnown'], '1'); // logger's own SD element
    assert.equal(ev!.message, 'user alice logged in');
    assertRecent(ev!, sent);
  });

  test('--rfc5424 --tcp --octet-count, lines from stdin', { skip: NO_LOGGER }, async () => {
    await logger(
      [
        '--rfc5424',
        '--tcp',
        '--octet-count',
        '-n',
        '127.0.0.1',
        '-P',
        String(tcpPort),
        '-t',
        'lgoct',
        '-p',
        'daemon.err',
      ],
      'first line\nsecond line\nthird line\n',
    );
    const events = await waitFor('stream:syslog service:lgoct', 3);
    assert.deepEqual(events.map((e) => e.message).sort(), ['first line', 'second line', 'third line']);
    for (const e of events) {
      assert.equal(e.level, 'error');
      assert.equal(e.facility, 'daemon');
    }
  });

  test('--rfc5424 --udp', { skip: NO_LOGGER }, async () => {
    const sent = Date.now();
    await logger([
      '--rfc5424',
      '--udp',
      '-n',
      '127.0.0.1',
      '-P',
      String(udpPort),
      '-t',
      'lgudp',
      '-p',
      'user.debug',
      'udp 5424 from logger',
    ]);
    const [ev] = await waitFor('stream:syslog service:lgudp', 1);
    assert.equal(ev!.level, 'debug');
    assert.equal(ev!.facility, 'user');
    assert.equal(ev!.message, 'udp 5424 from logger');
    assertRecent(ev!, sent);
  });

  test('--rfc3164 --udp and --tcp', { skip: NO_LOGGER }, async () => {
    const sent = Date.now();
    await logger([
      '--rfc3164',
      '--udp',
      '-n',
      '127.0.0.1',
      '-P',
      String(udpPort),
      '-t',
      'lgbsd',
      '--id=77',
      '-p',
      'auth.err',
      'bsd over udp',
    ]);
    await logger([
      '--rfc3164',
      '--tcp',
      '-n',
      '127.0.0.1',
      '-P',
      String(tcpPort),
      '-t',
      'lgbsd',
      '--id=78',
      '-p',
      'mail.notice',
      'bsd over tcp',
    ]);
    const events = await waitFor('stream:syslog service:lgbsd', 2);
    const udp = byMessage(events, 'bsd over udp');
    assert.ok(HOSTS.has(String(udp.host)), `host ${udp.host}`);
    assert.equal(udp.pid, 77);
    assert.equal(udp.facility, 'auth');
    assert.equal(udp.level, 'error');
    assertRecent(udp, sent);
    const tcp = byMessage(events, 'bsd over tcp');
    assert.equal(tcp.pid, 78);
    assert.equal(tcp.facility, 'mail');
    assert.equal(tcp.level, 'notice');
    assertRecent(tcp, sent);
  });
});

describe('syslog metrics', () => {
  test('/metrics counts received syslog events', async () => {
    const before = await receivedSyslog();
    await sendUdp(['<13>1 - h metricapp - - - m1', '<13>1 - h metricapp - - - m2']);
    await sendTcp(['<13>1 - h metricapp - - - m3\n<13>1 - h metricapp - - - m4\n', 'plain text metricapp\n']);
    await waitFor('stream:syslog (service:metricapp OR metricapp)', 5);
    const afterCount = await receivedSyslog();
    assert.equal(afterCount - before, 5);
  });
});
