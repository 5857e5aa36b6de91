/**
 * Ingest benchmark of the HTTP protocols other tools speak, against HTTP NDJSON on the same
 * seeded events (bench/generate.ts): Elasticsearch `_bulk`, Loki push (protobuf + snappy, as
 * Promtail sends it) and OTLP/HTTP logs (protobuf, as the OpenTelemetry SDKs send it).
 *
 *   node bench/protocols-http.ts [--events 300000] [--seed 42] [--batch 5000] [--concurrency 4] [--runs 3]
 *
 * For each protocol and run: a fresh `logwarden start`, the bodies encoded beforehand (not
 * timed), sent by `concurrency` clients, timed until every event is acknowledged and until the
 * queue lag is 0 (searchable); then the stored count is checked against the events sent.
 * Figures: events/s to searchable, MB/s on the wire (the bodies as sent) and MB/s of the same
 * events as NDJSON (comparable across protocols). Rounds run every protocol once, in turn, so
 * that load from elsewhere on the machine hits them alike; the best round of each protocol is
 * reported, with its ratio to NDJSON, and the server's CPU seconds per million events (least of
 * the rounds; steadier than wall time when other work shares the machine). Absolute figures on
 * a shared machine are noisy: read the ratios.
 *
 * What each protocol sends: NDJSON and `_bulk` carry the JSON lines as they are (`_bulk` adds an
 * action line per event); Loki carries each JSON line as the entry's line, under the labels
 * {job, host, service} (stored as the message, not parsed: what Promtail does with a JSON file
 * unless a pipeline stage parses it); OTLP carries one LogRecord per event with the message as
 * body, the level as severity text, the time, and the other fields as attributes, grouped by
 * resource {service.name, host.name}.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { snappyCompress } from '@platformatic/wasm-utils';
import { generateEvents } from './generate.ts';
import { startServer } from './server.ts';
import { fmt, log as logAs } from './util.ts';
import { LokiPushRequest, OtlpExportLogs } from '../test/wire-protos.ts';

const log = (msg: string) => logAs(msg, 'bench:protocols');

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '300000' },
    seed: { type: 'string', default: '42' },
    batch: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '4' },
    runs: { type: 'string', default: '3' },
    only: { type: 'string' },
  },
});
const N = Number(values.events.replaceAll('_', ''));
const SEED = Number(values.seed);
const BATCH = Number(values.batch);
const CONCURRENCY = Number(values.concurrency);
const RUNS = Number(values.runs);

interface Request {
  path: string;
  contentType: string;
  body: Buffer;
  events: number;
}

// ---- encoders ---------------------------------------------------------------------------------

const lines: string[] = [];
generateEvents(SEED, N, {}, (line) => lines.push(line));
const ndjsonBytes = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);

function batches<T>(fn: (chunk: string[]) => T): T[] {
  const out: T[] = [];
  for (let i = 0; i < lines.length; i += BATCH) out.push(fn(lines.slice(i, i + BATCH)));
  return out;
}

function ndjson(): Request[] {
  return batches((chunk) => ({
    path: '/api/v1/ingest?stream=bench',
    contentType: 'application/x-ndjson',
    body: Buffer.from(`${chunk.join('\n')}\n`),
    events: chunk.length,
  }));
}

function bulk(): Request[] {
  const action = '{"create":{"_index":"bench"}}\n';
  return batches((chunk) => ({
    path: '/_bulk',
    contentType: 'application/x-ndjson',
    body: Buffer.from(chunk.map((l) => `${action}${l}\n`).join('')),
    events: chunk.length,
  }));
}

type Flat = Record<string, string | number | boolean>;

function flat(obj: Record<string, unknown>, out: Flat = {}, prefix = ''): Flat {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (v !== null && typeof v === 'object') flat(v as Record<string, unknown>, out, key);
    else if (v !== null && v !== undefined) out[key] = v as string | number | boolean;
  }
  return out;
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const g = m.get(k);
    if (g) g.push(it);
    else m.set(k, [it]);
  }
  return m;
}

function loki(): Request[] {
  return batches((chunk) => {
    const parsed = chunk.map((l) => ({ line: l, ev: JSON.parse(l) as Record<string, unknown> }));
    const streams = [...groupBy(parsed, (p) => `${p.ev.host}\u0000${p.ev.service}`).values()].map((g) => ({
      labels: `{job="bench", host="${g[0].ev.host}", service="${g[0].ev.service}"}`,
      entries: g.map((p) => {
        const ms = Date.parse(String(p.ev['@timestamp']));
        return { timestamp: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 }, line: p.line };
      }),
    }));
    const pb = LokiPushRequest.encode(LokiPushRequest.fromObject({ streams })).finish();
    return {
      path: '/loki/api/v1/push?stream=bench',
      contentType: 'application/x-protobuf',
      body: Buffer.from(snappyCompress(Buffer.from(pb))),
      events: chunk.length,
    };
  });
}

function anyValue(v: string | number | boolean): Record<string, unknown> {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return Number.isInteger(v) ? { intValue: v } : { doubleValue: v };
}

function otlp(): Request[] {
  return batches((chunk) => {
    const parsed = chunk.map((l) => flat(JSON.parse(l)));
    const resourceLogs = [...groupBy(parsed, (f) => `${f.host}\u0000${f.service}`).values()].map((g) => ({
      resource: {
        attributes: [
          { key: 'service.name', value: { stringValue: String(g[0].service) } },
          { key: 'host.name', value: { stringValue: String(g[0].host) } },
        ],
      },
      scopeLogs: [
        {
          scope: { name: 'bench', version: '1' },
          logRecords: g.map((f) => {
            const ns = BigInt(Date.parse(String(f['@timestamp']))) * 1_000_000n;
            const attributes = Object.entries(f)
              .filter(([k]) => !['@timestamp', 'level', 'message', 'host', 'service'].includes(k))
              .map(([key, v]) => ({ key, value: anyValue(v) }));
            return {
              timeUnixNano: ns.toString(),
              observedTimeUnixNano: ns.toString(),
              severityText: String(f.level),
              body: { stringValue: String(f.message) },
              attributes,
            };
          }),
        },
      ],
    }));
    return {
      path: '/v1/logs?stream=bench',
      contentType: 'application/x-protobuf',
      body: Buffer.from(OtlpExportLogs.encode(OtlpExportLogs.fromObject({ resourceLogs })).finish()),
      events: chunk.length,
    };
  });
}

// ---- runner -----------------------------------------------------------------------------------

async function lag(url: string): Promise<number> {
  const j = (await (await fetch(`${url}/api/v1/queue`)).json()) as { lag: { total: number } };
  return j.lag.total;
}

async function stored(url: string): Promise<number> {
  const j = (await (await fetch(`${url}/api/v1/search?q=*&start=0&limit=0`)).json()) as { total: number };
  return j.total;
}

async function send(url: string, r: Request): Promise<void> {
  for (;;) {
    const res = await fetch(`${url}${r.path}`, {
      method: 'POST',
      headers: { 'content-type': r.contentType },
      body: r.body,
    });
    const text = await res.text();
    if (res.status === 429 || res.status === 503) {
      await new Promise((w) => setTimeout(w, 200));
      continue;
    }
    if (res.status >= 300) throw new Error(`${r.path}: ${res.status} ${text.slice(0, 300)}`);
    if (r.path === '/_bulk' && (JSON.parse(text) as { errors: boolean }).errors)
      throw new Error(`_bulk item errors: ${text.slice(0, 300)}`);
    return;
  }
}

interface RunResult {
  ackS: number;
  searchableS: number;
  /** CPU seconds the server process (all its threads) used from the first request to searchable. */
  cpuS: number;
}

/** CPU seconds (user + system) used so far by a process and all its threads (Linux /proc). */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ
}

async function runOnce(requests: Request[]): Promise<RunResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-bench-proto-'));
  const { url, proc } = await startServer(dir);
  try {
    let next = 0;
    const cpu0 = cpuSeconds(proc.pid as number);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < requests.length) await send(url, requests[next++]);
      }),
    );
    const tAck = performance.now();
    while ((await lag(url)) > 0) await new Promise((w) => setTimeout(w, 50));
    const tSearchable = performance.now();
    const cpuS = cpuSeconds(proc.pid as number) - cpu0;
    const n = await stored(url);
    if (n !== N) throw new Error(`stored ${n} events, sent ${N}`);
    return { ackS: (tAck - t0) / 1000, searchableS: (tSearchable - t0) / 1000, cpuS };
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const all: Array<[string, () => Request[]]> = [
    ['HTTP NDJSON', ndjson],
    ['Elasticsearch _bulk', bulk],
    ['Loki push (protobuf + snappy)', loki],
    ['OTLP/HTTP (protobuf)', otlp],
  ];
  const only = values.only?.toLowerCase();
  const protocols = all.filter(
    ([name]) => !only || name === 'HTTP NDJSON' || name.toLowerCase().includes(only),
  );
  log(
    `${fmt(N, 0)} events (seed ${SEED}), ${fmt(ndjsonBytes / 1e6)} MB as NDJSON, batches of ${BATCH}, ${CONCURRENCY} clients, ${RUNS} rounds`,
  );
  const encoded = protocols.map(([name, encode]) => ({
    name,
    requests: encode(),
    results: [] as RunResult[],
  }));
  // Rounds interleave the protocols, so that load from elsewhere on the machine hits them alike.
  for (let k = 0; k < RUNS; k++) {
    for (const p of encoded) {
      const r = await runOnce(p.requests);
      log(
        `round ${k + 1}: ${p.name}: acknowledged ${fmt(r.ackS, 2)} s, searchable ${fmt(r.searchableS, 2)} s, server CPU ${fmt(r.cpuS, 2)} s`,
      );
      p.results.push(r);
    }
  }
  const best = (p: (typeof encoded)[number]) =>
    p.results.reduce((a, b) => (b.searchableS < a.searchableS ? b : a));
  // CPU per event is steadier than wall time on a shared machine: the least CPU of the rounds.
  const leastCpu = (p: (typeof encoded)[number]) => Math.min(...p.results.map((r) => r.cpuS));
  const baseline = N / best(encoded[0]).searchableS;
  const baseCpu = leastCpu(encoded[0]);
  const rows = encoded.map((p) => {
    const b = best(p);
    const wire = p.requests.reduce((n, r) => n + r.body.length, 0);
    const evs = N / b.searchableS;
    const cpu = leastCpu(p);
    return `| ${p.name} | ${fmt(evs, 0)} | ${fmt(N / b.ackS, 0)} | ${fmt(wire / 1e6 / b.searchableS)} | ${fmt(ndjsonBytes / 1e6 / b.searchableS)} | ${fmt(wire / N, 0)} | ${fmt(evs / baseline, 2)}x | ${fmt((cpu / N) * 1e6, 1)} | ${fmt(cpu / baseCpu, 2)}x |`;
  });
  process.stdout.write(
    [
      `${fmt(N, 0)} events (seed ${SEED}), batches of ${BATCH} events, ${CONCURRENCY} clients, best of ${RUNS} interleaved rounds, Node ${process.version}, ${os.availableParallelism()} cores.`,
      '',
      '| protocol | events/s to searchable | events/s acknowledged | wire MB/s | NDJSON-equivalent MB/s | wire bytes/event | throughput vs NDJSON | server CPU s per 1M events | CPU vs NDJSON |',
      '|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
}

await main();
