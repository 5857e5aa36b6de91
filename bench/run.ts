/**
 * `npm run bench`: the end-to-end benchmark. Generates seeded data (bench/generate.ts), starts
 * a real `logwarden start`, ingests over HTTP until everything is durable and searchable, then
 * times the searches of the brief side by side with the floor of a scan (`grep -c` on the same
 * NDJSON), and writes the figures into docs/benchmarks.md (between the BENCH markers).
 * Then bench/protocols-http.ts compares the ingest protocols with NDJSON (up to 300k events),
 * and bench/agent.ts measures the file agent (up to 1M lines).
 *
 *   node bench/run.ts [--events 10000000] [--seed 42] [--concurrency 4] [--runs 5] [--no-write] [--no-protocols]
 *   node bench/run.ts --queue kafka [--events 200000]   (delegates to bench/kafka.ts)
 *
 * Absolute times on these machines are noisy: read the ratios.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { analyticsTable, floorAnalytics, timeAnalytics, timeRequest } from './analytics.ts';
import { KNOWN_TERMS, requestIdFor } from './generate.ts';
import { grepCount } from './grep-floor.ts';
import { ingestFile, rssOf } from './ingest.ts';
import { startServer } from './server.ts';
import { duBytes, fmt, log } from './util.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '10000000' },
    seed: { type: 'string', default: '42' },
    concurrency: { type: 'string', default: '4' },
    runs: { type: 'string', default: '5' },
    'no-write': { type: 'boolean', default: false },
    'no-protocols': { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(ROOT, 'bench', 'out') },
    queue: { type: 'string', default: 'disk' },
  },
});
if (values.queue === 'kafka') {
  // `npm run bench -- --queue kafka`: the Kafka benchmark has its own runner.
  execFileSync(process.execPath, [path.join(ROOT, 'bench', 'kafka.ts'), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(0);
}
const N = Number(values.events);
const SEED = Number(values.seed);
const RUNS = Number(values.runs);
const OUT = values.out!;
fs.mkdirSync(OUT, { recursive: true });
const file = path.join(OUT, `events-${N}-${SEED}.ndjson`);
const dataDir = path.join(OUT, `data-${N}-${SEED}`);

function timeQuery(label: string, url: string, check: (j: Record<string, unknown>) => string) {
  return timeRequest(label, url, RUNS, check);
}

async function main() {
  if (!fs.existsSync(file)) {
    log(`generating ${fmt(N, 0)} events (seed ${SEED}) into ${file}`);
    execFileSync(
      process.execPath,
      [path.join(ROOT, 'bench', 'generate.ts'), '--events', String(N), '--seed', String(SEED), '--out', file],
      {
        stdio: 'inherit',
      },
    );
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
  const { url, proc } = await startServer(dataDir);
  log(`server at ${url}, ingesting ${file}`);
  const ing = await ingestFile(file, url, Number(values.concurrency), proc.pid!);
  log(`ingested ${fmt(ing.accepted, 0)} in ${fmt(ing.searchableSecs)} s`);

  const q = (query: string, extra: Record<string, string> = {}) =>
    `${url}/api/v1/search?${new URLSearchParams({ q: query, start: '0', ...extra })}`;
  const needleIdx = Math.floor(N * 0.7654321);
  const needle = requestIdFor(SEED, needleIdx);
  const dayStart = Date.parse('2026-11-21T00:00:00Z');
  const hourStart = new Date(dayStart + 13 * 3600e3).toISOString();
  const hourEnd = new Date(dayStart + 14 * 3600e3).toISOString();
  const dayEnd = new Date(dayStart + 24 * 3600e3).toISOString();
  const total = (j: Record<string, unknown>) => `total ${fmt(Number(j.total), 0)}`;
  const queries = [
    await timeQuery(`needle: request_id:${needle} (one event, all data)`, q(`request_id:${needle}`), total),
    await timeQuery(
      `needle as a bare word in message (not present): ${needle}`,
      q(needle, { limit: '0' }),
      total,
    ),
    await timeQuery(
      `phrase count: "${KNOWN_TERMS.phrase}"`,
      q(`"${KNOWN_TERMS.phrase}"`, { limit: '0' }),
      (j) => {
        const st = j.stats as { blocks: number; blocksCounted: number };
        return `${total(j)} (${fmt(st.blocksCounted, 0)} of ${fmt(st.blocks, 0)} blocks counted from templates)`;
      },
    ),
    await timeQuery(
      'error + word + 1 h window, newest 100',
      q('level:error exception', { start: hourStart, end: hourEnd, limit: '100' }),
      total,
    ),
    await timeQuery(
      'count by level per 5 min over 24 h',
      `${url}/api/v1/histogram?${new URLSearchParams({ q: '*', start: new Date(dayStart).toISOString(), end: dayEnd, step: '5m', by: 'level' })}`,
      (j) => `${(j.series as unknown[]).length} series x ${j.buckets} buckets`,
    ),
    await timeQuery(
      'top 10 hosts by errors',
      `${url}/api/v1/fields/host/values?${new URLSearchParams({ q: 'level:error', start: '0', limit: '10' })}`,
      (j) => `${fmt(Number(j.total), 0)} errors, top ${(j.values as Array<{ value: string }>)[0]?.value}`,
    ),
    await timeQuery(`Korean word: ${KNOWN_TERMS.korean}`, q(KNOWN_TERMS.korean, { limit: '0' }), total),
    await timeQuery(`IP: ${KNOWN_TERMS.ip}`, q(KNOWN_TERMS.ip, { limit: '100' }), total),
  ];
  log('analytics (query pipes)');
  const analytics = await timeAnalytics(url, dayStart, RUNS);
  const stats = (await (await fetch(`${url}/api/v1/stats`)).json()) as {
    store: { rows: number; blocks: number };
  };
  const rssEnd = rssOf(proc.pid!);
  // Graceful stop (checkpoint), then measure the disk.
  proc.kill('SIGTERM');
  await new Promise((r) => proc.on('exit', r));
  const storeBytes = duBytes(path.join(dataDir, 'store'));
  const queueBytes = duBytes(path.join(dataDir, 'queue'));

  log('DuckDB floor of the analytics');
  const analyticsFloor = await floorAnalytics(path.join(dataDir, 'store'), '2026-11-21', RUNS);
  log('grep floor');
  const gNeedle = await grepCount(file, needle, 3);
  const gPhrase = await grepCount(file, KNOWN_TERMS.phrase, 3);

  const ratio = (a: number, b: number) => `${fmt(a / b, 2)}x`;
  const lines: string[] = [];
  const date = new Date().toISOString().slice(0, 10);
  lines.push(
    `Run ${date}: ${fmt(N, 0)} events (seed ${SEED}), ${fmt(ing.size / 1e6, 0)} MB NDJSON, Node ${process.version}, ${fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length ?? '?'} cores.`,
  );
  lines.push('');
  lines.push('| ingest (HTTP NDJSON, 4 clients) | figure | target |');
  lines.push('|---|---|---|');
  lines.push(
    `| acknowledged (durable in the queue) | ${fmt(ing.accepted / ing.ackSecs, 0)} ev/s, ${fmt(ing.size / 1e6 / ing.ackSecs)} MB/s | |`,
  );
  lines.push(
    `| durable and searchable (end to end) | ${fmt(ing.accepted / ing.searchableSecs, 0)} ev/s, ${fmt(ing.size / 1e6 / ing.searchableSecs)} MB/s | >= 100,000 ev/s |`,
  );
  lines.push(
    `| store on disk vs raw NDJSON | ${fmt(storeBytes / 1e6, 1)} MB = ${fmt(storeBytes / ing.size, 4)}x (queue left: ${fmt(queueBytes / 1e6, 0)} MB) | <= 0.3x |`,
  );
  lines.push(
    `| peak RSS while ingesting | ${fmt(ing.peakRss / 2 ** 20, 0)} MiB (after queries: ${fmt(rssEnd.rss / 2 ** 20, 0)} MiB) | <= 1 GiB |`,
  );
  lines.push(`| skip-index blocks | ${fmt(stats.store.blocks, 0)} for ${fmt(stats.store.rows, 0)} rows | |`);
  lines.push('');
  const cpuTotal = ing.cpu.reduce((a, c) => a + c.secs, 0);
  const THREADS: Record<string, string> = {
    'libuv-worker': 'libuv pool: DuckDB commits, WAL, compression; queue fsync',
    MainThread: 'main: HTTP ingest, queue writes, DuckDB appender',
    WorkerThread: 'processing workers: parse, normalise, tokenize',
    V8Worker: 'V8 helpers: garbage collection, compilation',
  };
  lines.push(
    `| CPU while ingesting, by thread (${fmt((cpuTotal / ing.accepted) * 1e6)} µs per event) | CPU s | share |`,
  );
  lines.push('|---|---|---|');
  for (const c of ing.cpu) {
    lines.push(`| ${THREADS[c.name] ?? c.name} | ${fmt(c.secs)} | ${fmt((c.secs / cpuTotal) * 100, 0)}% |`);
  }
  lines.push('');
  lines.push('| search (median of runs, HTTP round trip) | logwarden | result | grep -c floor | ratio |');
  lines.push('|---|---|---|---|---|');
  for (const r of queries) {
    let floor = '';
    let rat = '';
    if (r.label.startsWith('needle: ')) {
      floor = `${fmt(gNeedle.ms, 0)} ms (${gNeedle.count})`;
      rat = ratio(r.median, gNeedle.ms);
    } else if (r.label.startsWith('phrase')) {
      floor = `${fmt(gPhrase.ms, 0)} ms (${fmt(gPhrase.count, 0)})`;
      rat = ratio(r.median, gPhrase.ms);
    }
    lines.push(`| ${r.label} | ${fmt(r.median)} ms (min ${fmt(r.min)}) | ${r.result} | ${floor} | ${rat} |`);
  }
  lines.push('');
  lines.push(...analyticsTable(analytics, analyticsFloor));
  const table = lines.join('\n');
  process.stdout.write(`${table}\n`);
  if (!values['no-write']) {
    const doc = path.join(ROOT, 'docs', 'benchmarks.md');
    const text = fs.existsSync(doc)
      ? fs.readFileSync(doc, 'utf8')
      : '<!-- BENCH:START -->\n<!-- BENCH:END -->\n';
    const start = text.indexOf('<!-- BENCH:START -->');
    const end = text.indexOf('<!-- BENCH:END -->');
    if (start >= 0 && end > start) {
      fs.writeFileSync(doc, `${text.slice(0, start)}<!-- BENCH:START -->\n${table}\n${text.slice(end)}`);
      log(`wrote ${doc}`);
    }
  }
  // The ingest protocols (Elasticsearch _bulk, Loki push, OTLP) against NDJSON on the same events.
  if (!values['no-protocols']) {
    const events = String(Math.min(N, 300_000));
    execFileSync(
      process.execPath,
      [path.join(ROOT, 'bench', 'protocols-http.ts'), '--events', events, '--seed', String(SEED)],
      {
        stdio: 'inherit',
      },
    );
    // The file agent: lines per CPU-second, and tail-to-searchable latency at 50k lines/s.
    execFileSync(
      process.execPath,
      [
        path.join(ROOT, 'bench', 'agent.ts'),
        '--lines',
        String(Math.min(N, 1_000_000)),
        '--seed',
        String(SEED),
      ],
      { stdio: 'inherit' },
    );
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
