/**
 * Integration: the listeners on 127.0.0.1 (port 0), fed by Node's dgram/net and by util-linux
 * `logger` (skipped with a message when it is not installed), lines parsed with parseSyslog.
 */

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseSyslog } from './parse-syslog.ts';
import {
  type SyslogLine,
  type SyslogServerLogger,
  type SyslogServers,
  startSyslogServers,
} from './syslog-server.ts';
import { total } from '../net/source-stats.ts';

const execFileP = promisify(execFile);

const logged: Array<{ level: string; obj: object; msg?: string }> = [];
const logger: SyslogServerLogger = {
  info: (obj, msg) => logged.push({ level: 'info', obj, msg }),
  warn: (obj, msg) => logged.push({ level: 'warn', obj, msg }),
  error: (obj, msg) => logged.push({ level: 'error', obj, msg }),
};

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function sendUdp(port: number, ...messages: Array<string | Buffer>): Promise<void> {
  const s = dgram.createSocket('udp4');
  return new Promise<void>((resolve, reject) => {
    let left = messages.length;
    for (const m of messages) {
      s.send(m, port, '127.0.0.1', (err) => {
        if (err) reject(err);
        else if (--left === 0) {
          s.close();
          resolve();
        }
      });
    }
  });
}

function connect(port: number, allowHalfOpen = false): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen }, () => resolve(c));
    c.once('error', reject);
  });
}

/** Writes the chunks one by one, letting each reach the server as its own read. */
async function writeChunks(c: net.Socket, chunks: Array<string | Buffer>): Promise<void> {
  for (const ch of chunks) {
    await new Promise<void>((r) => c.write(ch, () => r()));
    await new Promise((r) => setTimeout(r, 15));
  }
}

describe('syslog servers', () => {
  let servers: SyslogServers;
  let calls: SyslogLine[][] = [];
  let lines: SyslogLine[] = [];
  /** Behaviour of onLines for the next calls: resolve at once, hold, or fail. */
  let mode: 'ok' | 'hold' | 'reject' | 'throw' = 'ok';
  let release: () => void = () => {};
  let pending = 0;
  let maxPending = 0;

  before(async () => {
    servers = await startSyslogServers({
      udp: { host: '127.0.0.1', port: 0 },
      tcp: { host: '127.0.0.1', port: 0 },
      maxLineBytes: 1000,
      logger,
      onLines: (batch) => {
        if (mode === 'throw') throw new Error('consumer broke');
        calls.push(batch);
        lines.push(...batch);
        if (mode === 'reject') return Promise.reject(new Error('queue full'));
        pending++;
        maxPending = Math.max(maxPending, pending);
        if (mode === 'hold') {
          return new Promise<void>((resolve) => {
            release = () => {
              pending--;
              resolve();
            };
          });
        }
        pending--;
        return Promise.resolve();
      },
    });
  });
  after(async () => {
    await servers.close();
  });

  const reset = () => {
    calls = [];
    lines = [];
    mode = 'ok';
    maxPending = 0;
  };

  it('binds to the requested host with a chosen port', () => {
    assert.ok(servers.udpPort! > 0 && servers.tcpPort! > 0);
    assert.equal(servers.udpAddress, `127.0.0.1:${servers.udpPort}`);
    assert.equal(servers.tcpAddress, `127.0.0.1:${servers.tcpPort}`);
  });

  it('UDP: one datagram is one message; trailing newline trimmed, inner newlines kept', async () => {
    reset();
    const u = servers.stats.udp;
    const before = { received: u.received, lost: total(u.dropped) + total(u.rejected) };
    await sendUdp(servers.udpPort!, '<13>Jun  1 00:00:01 h a: one\n', '<13>1 - h a - - - two\nlines', '\n');
    await waitFor(() => lines.length >= 2, '2 UDP lines');
    assert.deepEqual(lines.map((l) => l.text).sort(), [
      '<13>1 - h a - - - two\nlines',
      '<13>Jun  1 00:00:01 h a: one',
    ]);
    assert.ok(lines.every((l) => l.transport === 'udp' && /^127\.0\.0\.1:\d+$/.test(l.remote)));
    assert.equal(servers.stats.udp.received - before.received, 2); // the empty datagram is no message
    assert.equal(total(servers.stats.udp.dropped) + total(servers.stats.udp.rejected), before.lost);
  });

  it('UDP: an oversized datagram is rejected and counted', async () => {
    reset();
    const before = { oversized: servers.stats.udp.rejected.oversized ?? 0 };
    await sendUdp(servers.udpPort!, `<13>${'x'.repeat(2000)}`, '<13>small');
    await waitFor(() => lines.length >= 1, 'the small datagram');
    await waitFor(() => servers.stats.udp.rejected.oversized === before.oversized + 1, 'the reject count');
    assert.deepEqual(
      lines.map((l) => l.text),
      ['<13>small'],
    );
  });

  it('TCP: mixed framing across odd chunk boundaries, one onLines call per read chunk', async () => {
    reset();
    const c = await connect(servers.tcpPort!);
    const m1 = '<14>1 - h app - - - first';
    await writeChunks(c, [
      `${m1.length} ${m1}<13>Jun  1 00:00:01 h a: sec`,
      'ond\n<13>third\r\n<13>fou',
      'rth\n',
    ]);
    await waitFor(() => lines.length >= 4, '4 TCP lines');
    assert.deepEqual(
      lines.map((l) => l.text),
      [m1, '<13>Jun  1 00:00:01 h a: second', '<13>third', '<13>fourth'],
    );
    // Frames completed by one read are one call: `second` and `third` end in the same write.
    // (Separate writes are usually separate reads on loopback, but the kernel may merge them.)
    assert.ok(calls.length <= 3);
    assert.ok(
      calls.some((b) => b.some((l) => l.text.endsWith('second')) && b.some((l) => l.text === '<13>third')),
    );
    assert.equal(parseSyslog(lines[1]!.text)?.message, 'second');
    c.end();
  });

  it('TCP: an oversized frame is skipped, the connection goes on', async () => {
    reset();
    const before = { ...servers.stats.tcp, oversized: servers.stats.tcp.rejected.oversized ?? 0 };
    const c = await connect(servers.tcpPort!);
    const big = `<13>${'y'.repeat(1500)}`;
    await writeChunks(c, [`<13>a\n${big.length} ${big}<13>b\n${'z'.repeat(1500)}\n<13>c\n`]);
    await waitFor(() => lines.length >= 3, '3 lines');
    assert.deepEqual(
      lines.map((l) => l.text),
      ['<13>a', '<13>b', '<13>c'],
    );
    assert.equal(servers.stats.tcp.rejected.oversized! - before.oversized, 2);
    assert.equal(servers.stats.tcp.errors - before.errors, 2);
    assert.equal(servers.stats.tcp.received - before.received, 5);
    assert.ok(logged.some((l) => l.level === 'warn' && /exceeds the limit of 1000 bytes/.test(l.msg ?? '')));
    c.end();
  });

  it('TCP: backpressure pauses the connection while onLines is pending', async () => {
    reset();
    mode = 'hold';
    const c = await connect(servers.tcpPort!);
    await writeChunks(c, ['<13>one\n']);
    await waitFor(() => calls.length === 1, 'the first call');
    // While the first call is pending, more data must not produce another call.
    await writeChunks(c, ['<13>two\n', '<13>three\n']);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(calls.length, 1);
    mode = 'ok';
    release();
    await waitFor(() => lines.length === 3, 'the held lines');
    assert.deepEqual(
      lines.map((l) => l.text),
      ['<13>one', '<13>two', '<13>three'],
    );
    assert.equal(maxPending, 1);
    c.end();
  });

  it('a failing onLines counts the lines as dropped and the listener keeps running', async () => {
    reset();
    const failed = (t: 'tcp' | 'udp') => servers.stats[t].dropped.delivery_failed ?? 0;
    const before = { ...servers.stats.tcp, dropped: failed('tcp') };
    const beforeUdp = { dropped: failed('udp') };
    mode = 'reject';
    const c = await connect(servers.tcpPort!);
    await writeChunks(c, ['<13>lost1\n<13>lost2\n']);
    await waitFor(() => failed('tcp') === before.dropped + 2, 'tcp drops');
    mode = 'throw';
    await writeChunks(c, ['<13>lost3\n']);
    await waitFor(() => failed('tcp') === before.dropped + 3, 'tcp drop on throw');
    await sendUdp(servers.udpPort!, '<13>lost-udp');
    await waitFor(() => failed('udp') === beforeUdp.dropped + 1, 'udp drop');
    assert.equal(servers.stats.tcp.errors - before.errors, 2);
    mode = 'ok';
    await writeChunks(c, ['<13>kept\n']);
    await waitFor(() => lines.some((l) => l.text === '<13>kept'), 'the line after the failures');
    c.end();
  });

  it('TCP: the last line without LF is delivered when the peer ends', async () => {
    reset();
    const c = await connect(servers.tcpPort!);
    await writeChunks(c, ['<13>no newline at end']);
    c.end();
    await waitFor(() => lines.length === 1, 'the final line');
    assert.equal(lines[0]!.text, '<13>no newline at end');
  });
});

describe('syslog servers: close()', () => {
  it('stops accepting, delivers the last partial line, ends connections and is idempotent', async () => {
    const got: string[] = [];
    const servers = await startSyslogServers({
      tcp: { host: '127.0.0.1', port: 0 },
      udp: { host: '127.0.0.1', port: 0 },
      logger,
      closeTimeoutMs: 2_000,
      onLines: async (batch) => {
        await new Promise((r) => setTimeout(r, 20));
        for (const l of batch) got.push(l.text);
      },
    });
    const port = servers.tcpPort!;
    const c = await connect(port);
    const ended = new Promise<void>((r) => c.on('end', () => r()));
    c.on('error', () => {});
    await writeChunks(c, ['<13>complete\n<13>partial']);
    await sendUdp(servers.udpPort!, '<13>udp before close');
    await new Promise((r) => setTimeout(r, 10));
    const closing = servers.close();
    assert.equal(servers.close(), closing);
    await closing;
    await ended; // the server sent FIN
    assert.deepEqual(got.sort(), ['<13>complete', '<13>partial', '<13>udp before close']);
    await assert.rejects(connect(port), /ECONNREFUSED/);
    c.destroy();
  });

  it('destroys a connection the peer keeps open past closeTimeoutMs', async () => {
    const servers = await startSyslogServers({
      tcp: { host: '127.0.0.1', port: 0 },
      logger,
      closeTimeoutMs: 100,
      onLines: () => {},
    });
    // allowHalfOpen: the client does not answer the server's FIN, so only the timeout ends it.
    const c = await connect(servers.tcpPort!, true);
    c.on('error', () => {});
    const t0 = Date.now();
    await servers.close();
    const took = Date.now() - t0;
    assert.ok(took >= 90 && took < 2_000, `close took ${took} ms`);
    // The server side is gone: a write from the half-open client is answered with a reset.
    await new Promise<void>((resolve) => {
      c.once('close', () => resolve());
      const poke = () => {
        if (!c.destroyed) c.write('<13>late\n', () => setTimeout(poke, 20));
      };
      poke();
    });
    assert.equal(servers.udpAddress, null);
    c.destroy();
  });

  it('rejects when the port is taken, closing what it bound', async () => {
    const a = await startSyslogServers({ tcp: { host: '127.0.0.1', port: 0 }, logger, onLines: () => {} });
    await assert.rejects(
      startSyslogServers({
        udp: { host: '127.0.0.1', port: 0 },
        tcp: { host: '127.0.0.1', port: a.tcpPort! },
        logger,
        onLines: () => {},
      }),
      /EADDRINUSE/,
    );
    await a.close();
  });
});

const hasLogger = spawnSync('logger', ['--version'], { encoding: 'utf8' }).status === 0;

describe('syslog servers fed by util-linux logger', {
  skip: hasLogger ? false : 'util-linux `logger` is not installed',
}, () => {
  let servers: SyslogServers;
  const lines: SyslogLine[] = [];
  before(async () => {
    servers = await startSyslogServers({
      udp: { host: '127.0.0.1', port: 0 },
      tcp: { host: '127.0.0.1', port: 0 },
      logger,
      onLines: (batch) => {
        lines.push(...batch);
      },
    });
  });
  after(() => servers.close());

  const host = os.hostname();
  const variants: Array<{
    name: string;
    args: string[];
    transport: 'udp' | 'tcp';
    rfc: 'rfc5424' | 'rfc3164';
  }> = [
    {
      name: 'RFC 5424 over TCP (LF framing)',
      args: ['--rfc5424', '--tcp'],
      transport: 'tcp',
      rfc: 'rfc5424',
    },
    {
      name: 'RFC 5424 over TCP, octet counting',
      args: ['--rfc5424', '--tcp', '--octet-count'],
      transport: 'tcp',
      rfc: 'rfc5424',
    },
    { name: 'RFC 5424 over UDP', args: ['--rfc5424', '--udp'], transport: 'udp', rfc: 'rfc5424' },
    { name: 'RFC 3164 over UDP', args: ['--rfc3164', '--udp'], transport: 'udp', rfc: 'rfc3164' },
    {
      name: 'RFC 3164 over TCP, octet counting',
      args: ['--rfc3164', '--tcp', '--octet-count'],
      transport: 'tcp',
      rfc: 'rfc3164',
    },
  ];
  for (const [n, v] of variants.entries()) {
    it(v.name, async () => {
      const text = `hello from logger #${n}: ünïcödé "quoted" [x]`;
      const port = v.transport === 'udp' ? servers.udpPort! : servers.tcpPort!;
      const sd =
        v.rfc === 'rfc5424'
          ? ['--msgid', `ID${n}`, '--sd-id', 'zoo@123', '--sd-param', 'tiger="hun\\"gry"']
          : [];
      await execFileP('logger', [
        ...v.args,
        '-n',
        '127.0.0.1',
        '-P',
        String(port),
        '-t',
        'lw-test',
        `--id=${4200 + n}`,
        '-p',
        'local3.warning',
        ...sd,
        text,
      ]);
      await waitFor(() => lines.some((l) => l.text.endsWith(text)), `the ${v.name} line`);
      const line = lines.find((l) => l.text.endsWith(text))!;
      assert.equal(line.transport, v.transport);
      const m = parseSyslog(line.text);
      assert.ok(m !== null, line.text);
      assert.equal(m.format, v.rfc);
      assert.equal(m.error, undefined);
      assert.equal(m.app, 'lw-test');
      assert.equal(m.pid, String(4200 + n));
      assert.equal(m.facility, 'local3');
      assert.equal(m.severity, 4);
      assert.equal(m.level, 'warn');
      assert.equal(m.message, text);
      assert.ok(m.host !== undefined && (host === m.host || host.startsWith(`${m.host}.`)), `host ${m.host}`);
      const nowUs = Date.now() * 1000;
      if (v.rfc === 'rfc5424') {
        assert.ok(Math.abs(m.time! - nowUs) < 60e6, 'RFC 5424 time within a minute');
        assert.equal(m.msgid, `ID${n}`);
        assert.equal(m.structuredData?.['sd.zoo@123.tiger'], 'hun"gry');
        assert.ok(m.structuredData?.['sd.timeQuality.tzKnown'] !== undefined);
      } else {
        // RFC 3164 carries local time without a zone: within the widest zone offset.
        assert.ok(
          Math.abs(m.time! - nowUs) < (14 * 3600 + 60) * 1e6,
          'RFC 3164 time within the zone offsets',
        );
      }
    });
  }
});
