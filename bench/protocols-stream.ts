/**
 * Ingest benchmark of the socket protocols: GELF over TCP and UDP, syslog over TLS (RFC 5425)
 * and plain JSON lines over TCP, against HTTP NDJSON, on the same seeded events
 * (bench/generate.ts).
 *
 *   node bench/protocols-stream.ts [--events 200000] [--udp-events 50000] [--seed 42] [--connections 2] [--runs 2]
 *
 * For each protocol and run: a fresh `logwarden start` with that receiver, the payload encoded
 * beforehand (not timed), sent over `connections` connections (UDP: one socket, each datagram
 * sent when the previous one left), timed until the receiver has accepted every event and the
 * queue lag is 0 (searchable); the stored count is then checked. Figures: events/s to
 * searchable and MB/s of the bytes on the wire (TLS: the plaintext). UDP has no backpressure:
 * what the kernel or the receiver dropped is reported, and the rate is of the events kept.
 * Rounds run every protocol once in turn; the best round of each is reported with its ratio to
 * NDJSON. Absolute figures on a shared machine are noisy: read the ratios.
 *
 * What each sends: NDJSON the JSON lines; GELF each event as a GELF 1.1 message (`short_message`
 * from the message, `level` as syslog severity, other fields as `_additional` ones) NUL-framed
 * (TCP) or one per datagram, uncompressed (UDP); syslog TLS an RFC 5424 line per event with the
 * JSON's message, octet-counted; lines the JSON lines with format json.
 */
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { parseArgs } from 'node:util';
import { makeTestCerts, type TestCerts } from '../test/tls-certs.ts';
import { generateEvents } from './generate.ts';
import { startServer } from './server.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    'udp-events': { type: 'string', default: '50000' },
    seed: { type: 'string', default: '42' },
    connections: { type: 'string', default: '2' },
    runs: { type: 'string', default: '2' },
  },
});
const N = Number(values.events);
const N_UDP = Number(values['udp-events']);
const CONNS = Number(values.connections);
const RUNS = Number(values.runs);

const SEVERITY: Record<string, number> = { debug: 7, info: 6, warn: 4, error: 3, critical: 2 };

const lines: string[] = [];
generateEvents(Number(values.seed), N, {}, (l) => lines.push(l));
const objs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);

function gelfOf(o: Record<string, unknown>): string {
  const g: Record<string, unknown> = {
    version: '1.1',
    host: o.host ?? 'bench',
    short_message: o.message ?? '-',
  };
  if (typeof o.level === 'string') g.level = SEVERITY[o.level.toLowerCase()] ?? 6;
  if (typeof o.timestamp === 'string') g.timestamp = Date.parse(o.timestamp) / 1000;
  for (const [k, v] of Object.entries(o)) {
    if (k !== 'host' && k !== 'message' && k !== 'level' && k !== 'timestamp' && k !== 'id') g[`_${k}`] = v;
  }
  return JSON.stringify(g);
}

function syslogOf(o: Record<string, unknown>): string {
  const sev = SEVERITY[String(o.level ?? 'info').toLowerCase()] ?? 6;
  const time = typeof o.timestamp === 'string' ? o.timestamp : '-';
  const m = `<${16 * 8 + sev}>1 ${time} ${o.host ?? '-'} ${o.service ?? '-'} - - - ${o.message ?? ''}`;
  return `${Buffer.byteLength(m)} ${m}`;
}

/** Splits `items` into `n` payloads, each the concatenation of its items with `sep`. */
function split(items: string[], n: number, sep: string): Buffer[] {
  const out: Buffer[] = [];
  const per = Math.ceil(items.length / n);
  for (let i = 0; i < n; i++) out.push(Buffer.from(items.slice(i * per, (i + 1) * per).join(sep) + sep));
  return out;
}

interface Proto {
  name: string;
  events: number;
  config: string;
  bytes: number;
  send(receivers: Record<string, string>, url: string): Promise<void>;
  source: string;
}

const dirs: string[] = [];
let certs: TestCerts | null = null;

const portOf = (a: string) => Number(a.slice(a.lastIndexOf(':') + 1));

async function writeAll(sock: net.Socket, payload: Buffer): Promise<void> {
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  await new Promise<void>((r) => sock.end(payload, () => r()));
  await closed;
}

function tcpSend(port: number, payloads: Buffer[]): Promise<void> {
  return Promise.all(
    payloads.map(async (p) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      await new Promise((r) => s.once('connect', r));
      await writeAll(s, p);
    }),
  ).then(() => {});
}

const ndjson = split(lines, CONNS, '\n');
const gelfTcp = split(objs.map(gelfOf), CONNS, '\0');
const gelfUdp = objs.slice(0, N_UDP).map((o) => Buffer.from(gelfOf(o)));
const syslogTls = split(objs.map(syslogOf), CONNS, '');
const sum = (b: Buffer[]) => b.reduce((a, x) => a + x.length, 0);

const protos: Proto[] = [
  {
    name: 'HTTP NDJSON (baseline)',
    events: N,
    config: '',
    bytes: sum(ndjson),
    source: '',
    async send(_r, url) {
      await Promise.all(
        ndjson.map(async (body) => {
          const res = await fetch(`${url}/api/v1/ingest?stream=bench`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-ndjson' },
            body,
          });
          if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
        }),
      );
    },
  },
  {
    name: 'GELF TCP',
    events: N,
    config: 'gelf: {tcp: "127.0.0.1:0"}\n',
    bytes: sum(gelfTcp),
    source: 'gelf_tcp',
    send: (r) => tcpSend(portOf(r.gelf_tcp!), gelfTcp),
  },
  {
    name: 'GELF UDP',
    events: N_UDP,
    config: 'gelf: {udp: "127.0.0.1:0"}\n',
    bytes: sum(gelfUdp),
    source: 'gelf_udp',
    send(r) {
      const s = dgram.createSocket('udp4');
      const port = portOf(r.gelf_udp!);
      return new Promise<void>((resolve, reject) => {
        let i = 0;
        const next = (err?: Error | null) => {
          if (err) return reject(err);
          if (i === gelfUdp.length) {
            s.close();
            return resolve();
          }
          s.send(gelfUdp[i++]!, port, '127.0.0.1', next);
        };
        next();
      });
    },
  },
  {
    name: 'syslog TLS',
    events: N,
    config: '', // set once the certificate exists
    bytes: sum(syslogTls),
    source: 'syslog_tls',
    send(r) {
      const port = portOf(r.syslog_tls!);
      const ca = fs.readFileSync(certs!.ca);
      return Promise.all(
        syslogTls.map(async (p) => {
          const s = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca });
          await new Promise((res) => s.once('secureConnect', res));
          await writeAll(s, p);
        }),
      ).then(() => {});
    },
  },
  {
    name: 'lines TCP (json)',
    events: N,
    config: 'lines: [{listen: "127.0.0.1:0", protocol: tcp, format: json, stream: bench, name: bench}]\n',
    bytes: sum(ndjson),
    source: 'lines_bench',
    send: (r) => tcpSend(portOf(r.lines_bench!), ndjson),
  },
];

async function metricSum(url: string, name: string, source: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(new RegExp(`^${name}\\{source="${source}"[^}]*\\} (\\d+)$`, 'gm')))
    n += Number(m[1]);
  return n;
}

async function runOne(p: Proto): Promise<{ evps: number; mbps: number; kept: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-bench-stream-'));
  dirs.push(dir);
  const cfg = path.join(dir, 'config.yaml');
  fs.writeFileSync(cfg, p.config);
  const { url, proc, started } = await startServer(path.join(dir, 'data'), ['--config', cfg]);
  try {
    const receivers = (started.receivers ?? {}) as Record<string, string>;
    const t0 = performance.now();
    await p.send(receivers, url);
    // Until the receiver has settled every event it will get, then until searchable.
    let silentMs = 0;
    if (p.source !== '') {
      let last = -1;
      let stableSince = performance.now();
      for (;;) {
        const settled =
          (await metricSum(url, 'logwarden_events_accepted_total', p.source)) +
          (await metricSum(url, 'logwarden_events_dropped_total', p.source)) +
          (await metricSum(url, 'logwarden_events_rejected_total', p.source));
        if (settled >= p.events) break;
        if (settled !== last) {
          last = settled;
          stableSince = performance.now();
        } else if (performance.now() - stableSince > 2000) {
          silentMs = performance.now() - stableSince; // UDP: the rest was lost in the kernel
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    for (;;) {
      const lag = ((await (await fetch(`${url}/api/v1/queue`)).json()) as { lag: { total: number } }).lag
        .total;
      if (lag === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    // UDP: the silence that showed the rest was lost does not count.
    const secs = (performance.now() - t0 - silentMs) / 1000;
    const res = await fetch(`${url}/api/v1/search?q=*&start=0&limit=0`);
    const kept = ((await res.json()) as { total: number }).total;
    if (p.source !== 'gelf_udp' && kept !== p.events)
      throw new Error(`${p.name}: stored ${kept} of ${p.events}`);
    return { evps: kept / secs, mbps: (p.bytes * (kept / p.events)) / secs / 1e6, kept };
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }
}

async function main(): Promise<void> {
  const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-bench-cert-'));
  dirs.push(certDir);
  certs = makeTestCerts(certDir);
  const tlsProto = protos.find((p) => p.source === 'syslog_tls')!;
  tlsProto.config = `syslog: {tls: {listen: "127.0.0.1:0", cert: "${certs.serverCert}", key: "${certs.serverKey}"}}\n`;
  const best = new Map<string, { evps: number; mbps: number; kept: number }>();
  for (let run = 0; run < RUNS; run++) {
    for (const p of protos) {
      const r = await runOne(p);
      process.stderr.write(
        `run ${run + 1} ${p.name}: ${Math.round(r.evps)} ev/s, ${r.mbps.toFixed(1)} MB/s, kept ${r.kept}/${p.events}\n`,
      );
      const b = best.get(p.name);
      if (b === undefined || r.evps > b.evps) best.set(p.name, r);
    }
  }
  const base = best.get(protos[0]!.name)!.evps;
  const out = [
    `${N} events (UDP: ${N_UDP}), seed ${values.seed}, ${CONNS} connections, best of ${RUNS} runs, ${os.cpus().length} cores, Node ${process.version}`,
    '',
    '| protocol | events/s to searchable | MB/s on the wire | vs NDJSON | kept |',
    '|---|---|---|---|---|',
  ];
  for (const p of protos) {
    const r = best.get(p.name)!;
    out.push(
      `| ${p.name} | ${Math.round(r.evps).toLocaleString('en-US')} | ${r.mbps.toFixed(1)} | ${(r.evps / base).toFixed(2)}x | ${r.kept.toLocaleString('en-US')} of ${p.events.toLocaleString('en-US')} |`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

try {
  await main();
} finally {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
}
