/**
 * Black-box: `logwarden start` with `http.tls` serves HTTPS with a throwaway CA and server
 * certificate made by the `openssl` binary (skipped loudly without it). Real clients check:
 * node:https trusting the CA gets answers with HSTS; a TLS 1.1 client is refused (and a control
 * server proves the same client can speak TLS 1.1); plain HTTP gets no answer; a certificate
 * replaced on disk is served to new connections without a restart; with `http.tls.ca`, a client
 * without a certificate signed by it is refused (mutual TLS); the CLI searches over HTTPS.
 * And `start` warns when the API is reachable from other machines without TLS.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { warnIfPlainHttpExposed } from '../src/api/tls.ts';
import { configSchema } from '../src/core/config.ts';
import { runCli, type Server, startServer, tmpDir } from './harness.ts';
import { hasOpenssl, makeTestCerts, type TestCerts } from './tls-certs.ts';

if (!hasOpenssl) console.warn('SKIPPING HTTPS tests: the `openssl` binary is not installed');

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  protocol: string | null;
  fingerprint: string;
}

interface ClientOptions {
  ca: Buffer[];
  cert?: Buffer;
  key?: Buffer;
  method?: string;
  body?: string;
}

/** One request on a fresh connection (no agent), so each sees the certificate served now. */
function request(url: string, opts: ClientOptions): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: opts.method ?? 'GET',
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        agent: false,
        servername: 'localhost',
        headers: opts.body === undefined ? {} : { 'content-type': 'application/x-ndjson' },
      },
      (res) => {
        const socket = res.socket as tls.TLSSocket;
        const protocol = socket.getProtocol();
        const fingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, protocol, fingerprint }),
        );
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Completes a TLS handshake limited to TLS 1.1, or returns the error. */
function handshakeTls11(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect(
      {
        host: '127.0.0.1',
        port,
        ca,
        servername: 'localhost',
        minVersion: 'TLSv1.1',
        maxVersion: 'TLSv1.1',
        // OpenSSL 3 allows TLS 1.1 only at security level 0.
        ciphers: 'DEFAULT@SECLEVEL=0',
      },
      () => {
        resolve(`connected ${s.getProtocol()}`);
        s.destroy();
      },
    );
    s.on('error', (err) => resolve(`refused: ${err.message}`));
  });
}

const fingerprintOf = (file: string) => new X509Certificate(fs.readFileSync(file)).fingerprint256;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('HTTPS API', { skip: hasOpenssl ? false : 'openssl is not installed' }, () => {
  let certs: TestCerts;
  let srv: Server;
  let ca: Buffer;
  let certFile: string;
  let keyFile: string;

  before(async () => {
    certs = makeTestCerts(tmpDir('lw-tls-'));
    ca = fs.readFileSync(certs.ca);
    // The server reads its own copies, which the reload test replaces.
    certFile = path.join(certs.dir, 'live.pem');
    keyFile = path.join(certs.dir, 'live.key');
    fs.copyFileSync(certs.serverCert, certFile);
    fs.copyFileSync(certs.serverKey, keyFile);
    srv = await startServer({ configYaml: `http:\n  tls:\n    cert: ${certFile}\n    key: ${keyFile}\n` });
  });
  after(async () => {
    const code = await srv?.stop();
    assert.equal(code, 0, `graceful stop exits 0\n${srv?.logs()}`);
  });

  test('serves HTTPS to a client trusting the CA, TLS 1.2 or newer, with HSTS', async () => {
    assert.match(srv.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const a = await request(`${srv.url}/healthz`, { ca: [ca] });
    assert.equal(a.status, 200);
    assert.ok(a.protocol === 'TLSv1.2' || a.protocol === 'TLSv1.3', `protocol ${a.protocol}`);
    assert.equal(a.fingerprint, fingerprintOf(certs.serverCert));
    assert.match(String(a.headers['strict-transport-security']), /^max-age=\d{7,}/);
    assert.equal(a.headers['x-content-type-options'], 'nosniff');
    // A client that does not trust the CA refuses the server.
    await assert.rejects(
      request(`${srv.url}/healthz`, { ca: [] }),
      /unable to verify|self-signed|local issuer/i,
    );
  });

  test('refuses TLS 1.1 (a control server shows the same client can speak it)', async () => {
    const port = Number(new URL(srv.url).port);
    assert.match(await handshakeTls11(port, ca), /^refused: .*(protocol version|unsupported protocol)/i);

    const control = tls.createServer(
      {
        cert: fs.readFileSync(certs.serverCert),
        key: fs.readFileSync(certs.serverKey),
        minVersion: 'TLSv1.1',
        ciphers: 'DEFAULT@SECLEVEL=0',
      },
      (s) => s.end(),
    );
    await new Promise<void>((r) => control.listen(0, '127.0.0.1', r));
    try {
      const controlPort = (control.address() as { port: number }).port;
      assert.equal(await handshakeTls11(controlPort, ca), 'connected TLSv1.1');
    } finally {
      control.close();
    }
  });

  test('plain HTTP on the HTTPS port gets no answer', async () => {
    const plain = srv.url.replace('https:', 'http:');
    const status = await new Promise<string>((resolve) => {
      const req = http.get(`${plain}/healthz`, { agent: false }, (res) => {
        res.resume();
        resolve(`status ${res.statusCode}`);
      });
      req.on('error', (err) => resolve(`error ${err.message}`));
    });
    assert.doesNotMatch(status, /^status 200/);
  });

  test('ingest and the CLI search work over HTTPS', async () => {
    const ing = await request(`${srv.url}/api/v1/ingest?stream=tls`, {
      ca: [ca],
      method: 'POST',
      body: '{"message":"over tls 7f3a"}\n',
    });
    assert.equal(ing.status, 200, ing.body);
    assert.equal(JSON.parse(ing.body).accepted, 1);
    let out = '';
    for (let i = 0; i < 100 && !out.includes('over tls 7f3a'); i++) {
      const r = await runCli(['search', '7f3a', '--start', '0', '--server', srv.url, '--output', 'json'], {
        env: { NODE_EXTRA_CA_CERTS: certs.ca },
      });
      assert.equal(r.code, 0, r.stderr);
      out = r.stdout;
      if (!out.includes('7f3a')) await sleep(100);
    }
    assert.match(out, /over tls 7f3a/);
  });

  test('a certificate replaced on disk is served without a restart', async () => {
    const next = makeTestCerts(tmpDir('lw-tls-next-'));
    const nextCa = fs.readFileSync(next.ca);
    const before = await request(`${srv.url}/healthz`, { ca: [ca, nextCa] });
    assert.equal(before.fingerprint, fingerprintOf(certs.serverCert));
    // Replace atomically, as certbot and cert-manager do (write aside, rename over).
    fs.copyFileSync(next.serverKey, `${keyFile}.new`);
    fs.copyFileSync(next.serverCert, `${certFile}.new`);
    fs.renameSync(`${keyFile}.new`, keyFile);
    fs.renameSync(`${certFile}.new`, certFile);
    const want = fingerprintOf(next.serverCert);
    assert.notEqual(want, before.fingerprint);
    let seen = before.fingerprint;
    const deadline = Date.now() + 20_000;
    while (seen !== want && Date.now() < deadline) {
      await sleep(250);
      seen = (await request(`${srv.url}/healthz`, { ca: [ca, nextCa] })).fingerprint;
    }
    assert.equal(seen, want, `new certificate served\n${srv.logs()}`);
    // Only the new CA is needed now, and the server did not restart.
    const after = await request(`${srv.url}/api/v1/queue`, { ca: [nextCa] });
    assert.equal(after.status, 200);
    assert.match(srv.logs(), /TLS certificate reloaded/);
    assert.equal(srv.proc.exitCode, null);
    // TLS 1.1 is still refused with the reloaded context.
    assert.match(await handshakeTls11(Number(new URL(srv.url).port), nextCa), /^refused: /);
  });
});

describe('HTTPS with client certificates (http.tls.ca)', {
  skip: hasOpenssl ? false : 'openssl is not installed',
}, () => {
  let certs: TestCerts;
  let srv: Server;

  before(async () => {
    certs = makeTestCerts(tmpDir('lw-mtls-'));
    srv = await startServer({
      configYaml: `http:\n  tls:\n    cert: ${certs.serverCert}\n    key: ${certs.serverKey}\n    ca: ${certs.ca}\n`,
    });
  });
  after(async () => {
    assert.equal(await srv?.stop(), 0, srv?.logs());
  });

  test('a client without a certificate is refused; one signed by the CA is served', async () => {
    const ca = [fs.readFileSync(certs.ca)];
    await assert.rejects(request(`${srv.url}/healthz`, { ca }), /certificate|socket hang up|ECONNRESET/i);
    const other = makeTestCerts(tmpDir('lw-mtls-other-'));
    await assert.rejects(
      request(`${srv.url}/healthz`, {
        ca,
        cert: fs.readFileSync(other.clientCert),
        key: fs.readFileSync(other.clientKey),
      }),
      /certificate|unknown ca|socket hang up|ECONNRESET/i,
    );
    const ok = await request(`${srv.url}/healthz`, {
      ca,
      cert: fs.readFileSync(certs.clientCert),
      key: fs.readFileSync(certs.clientKey),
    });
    assert.equal(ok.status, 200);
  });
});

describe('start and http.tls configuration', () => {
  test('a certificate file that cannot be read stops start with the key and file named', async () => {
    const dir = tmpDir('lw-tls-bad-');
    await assert.rejects(
      startServer({
        configYaml: `http:\n  tls:\n    cert: ${dir}/missing.pem\n    key: ${dir}/missing.key\n`,
      }),
      (err: Error) => err.message.includes(`http.tls.cert: cannot read ${dir}/missing.pem`),
    );
  });

  test('start logs a warning when the API listens on a non-loopback address without TLS', async () => {
    const srv = await startServer({
      auth: true,
      env: { LOGWARDEN_BOOTSTRAP_TOKEN: `lw_${'w'.repeat(40)}` },
      args: ['--http', '0.0.0.0:0'],
    });
    try {
      const warnings = srv
        .logs()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: number; msg: string; listen?: string })
        .filter((r) => r.level === 40 && /without TLS/.test(r.msg));
      assert.equal(warnings.length, 1, srv.logs());
      assert.equal(warnings[0]!.listen, '0.0.0.0:0');
      assert.match(warnings[0]!.msg, /set http\.tls/);
    } finally {
      assert.equal(await srv.stop(), 0, srv.logs());
    }
  });

  test('warns when the API is reachable from other machines without TLS, not on loopback or with TLS', () => {
    const warnings: string[] = [];
    const logger = { info() {}, error() {}, warn: (_o: object, msg?: string) => warnings.push(String(msg)) };
    const http = (listen: string, tls: { cert: string; key: string } | null) =>
      configSchema.parse({ http: { listen, tls } }).http;
    warnIfPlainHttpExposed(http('127.0.0.1:4280', null), logger);
    warnIfPlainHttpExposed(http('[::1]:4280', null), logger);
    warnIfPlainHttpExposed(http('0.0.0.0:4280', { cert: 'c.pem', key: 'k.pem' }), logger);
    assert.deepEqual(warnings, []);
    warnIfPlainHttpExposed(http('0.0.0.0:4280', null), logger);
    warnIfPlainHttpExposed(http('10.1.2.3:4280', null), logger);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /without TLS.*set http\.tls/);
  });
});
