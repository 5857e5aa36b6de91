/**
 * Integration: syslog over TLS (RFC 5425) with certificates made by `openssl` (skipped loudly
 * without it): octet-counted frames from node:tls, mutual TLS refusing clients without a
 * certificate, and a renewed certificate picked up without a restart.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, describe, it } from 'node:test';
import { hasOpenssl, makeTestCerts } from '../../../test/tls-certs.ts';
import { type SyslogLine, startSyslogServers } from './syslog-server.ts';

if (!hasOpenssl) console.warn('SKIPPING syslog TLS tests: the `openssl` binary is not installed');

const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-tls-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function certsIn(name: string) {
  fs.mkdirSync(path.join(dir, name));
  return makeTestCerts(path.join(dir, name));
}

/** Connects, sends octet-counted frames, ends; rejects when the handshake fails. */
async function send(port: number, ca: string, frames: string[], client?: { cert: string; key: string }) {
  const sock = tls.connect({
    port,
    host: '127.0.0.1',
    servername: 'localhost',
    ca: fs.readFileSync(ca),
    ...(client ? { cert: fs.readFileSync(client.cert), key: fs.readFileSync(client.key) } : {}),
  });
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('secureConnect', () => resolve());
      sock.once('error', reject);
    });
    // TLS 1.3: a refused client certificate is only reported after the handshake; write and see.
    for (const f of frames) sock.write(`${Buffer.byteLength(f)} ${f}`);
    sock.end();
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.once('end', () => resolve());
      sock.resume();
    });
  } finally {
    sock.destroy();
    await closed;
  }
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('syslog over TLS', { skip: hasOpenssl ? false : 'openssl is not installed' }, () => {
  it('mutual TLS: a client without a certificate is refused, one with a CA-signed certificate is served', async () => {
    const a = certsIn('mtls');
    const got: SyslogLine[] = [];
    const s = await startSyslogServers({
      tls: {
        listen: { host: '127.0.0.1', port: 0 },
        cert: a.serverCert,
        key: a.serverKey,
        ca: a.ca,
        requireClientCert: true,
      },
      logger: quiet,
      onLines: (l) => {
        got.push(...l);
      },
    });
    try {
      await assert.rejects(send(s.tlsPort!, a.ca, ['<13>1 - h app - - - anonymous']));
      await send(s.tlsPort!, a.ca, ['<13>1 - h app - - - with cert', '<13>1 - h app - - - second'], {
        cert: a.clientCert,
        key: a.clientKey,
      });
      await waitFor(() => got.length === 2, 'two lines');
      assert.deepEqual(
        got.map((l) => [l.text, l.transport]),
        [
          ['<13>1 - h app - - - with cert', 'tls'],
          ['<13>1 - h app - - - second', 'tls'],
        ],
      );
      assert.ok(s.stats.tls.errors >= 1, 'the refused handshake is counted');
      assert.equal(s.stats.tls.received, 2);
    } finally {
      await s.close();
    }
  });

  it('picks up a renewed certificate without a restart', async () => {
    const a = certsIn('first');
    const b = certsIn('second');
    const live = { cert: path.join(dir, 'live.pem'), key: path.join(dir, 'live.key') };
    fs.copyFileSync(a.serverCert, live.cert);
    fs.copyFileSync(a.serverKey, live.key);
    const got: string[] = [];
    const s = await startSyslogServers({
      tls: { listen: { host: '127.0.0.1', port: 0 }, ...live },
      logger: quiet,
      onLines: (l) => {
        for (const x of l) got.push(x.text);
      },
    });
    try {
      await send(s.tlsPort!, a.ca, ['<13>1 - h app - - - old cert']);
      await assert.rejects(send(s.tlsPort!, b.ca, ['<13>1 - h app - - - not yet']));
      fs.copyFileSync(b.serverKey, live.key);
      fs.copyFileSync(b.serverCert, live.cert);
      const end = Date.now() + 10_000;
      for (;;) {
        try {
          await send(s.tlsPort!, b.ca, ['<13>1 - h app - - - new cert']);
          break;
        } catch (err) {
          if (Date.now() > end) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      await waitFor(() => got.includes('<13>1 - h app - - - new cert'), 'the line over the new certificate');
      assert.ok(got.includes('<13>1 - h app - - - old cert'));
      assert.ok(!got.includes('<13>1 - h app - - - not yet'));
    } finally {
      await s.close();
    }
  });

  it('a missing certificate file is a configuration error naming it', async () => {
    await assert.rejects(
      startSyslogServers({
        tls: {
          listen: { host: '127.0.0.1', port: 0 },
          cert: path.join(dir, 'nope.pem'),
          key: path.join(dir, 'nope.key'),
        },
        logger: quiet,
        onLines: () => {},
      }),
      (err: Error) => /syslog\.tls\.cert: cannot read .*nope\.pem/.test(err.message),
    );
  });
});
