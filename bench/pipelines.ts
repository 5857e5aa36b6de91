/**
 * Pipelines end to end: the cost of a realistic 6-stage pipeline (grok + date + convert + mask +
 * lookup + route) on the whole ingest path, HTTP NDJSON to durable and searchable.
 *
 *   node bench/pipelines.ts [--events 300000] [--seed 42] [--concurrency 4] [--worker-only]
 *
 * The same seeded events (bench/generate.ts) are ingested into a fresh server three times:
 * into a stream with no processing (`autoParse: false`: normalisation only, the baseline), into
 * a stream with the built-in pipelines (`autoParse: always`: the seeded events carry fields
 * taken from their lines, which the default would leave unparsed), and into
 * a stream with the 6-stage pipeline. The data is pre-generated into memory so that the client
 * does not compete for the cores more than it must. It prints events/s per run and the
 * pipeline's cost as a share of the baseline's throughput (target: < 30%).
 *
 * End-to-end rates on a shared 2-core machine are noisy (other processes take the cores), so
 * each run also reports the server process's CPU time per event (all its threads, from
 * /proc/<pid>/stat, Linux): the end-to-end cost that does not depend on the machine's load.
 * It also measures the worker
 * thread's own work in this process (normalise + pipeline + token hashes, per event, best of 3)
 * with each variant: the CPU a pipeline adds where it runs. That is counted in this thread's
 * CPU time (`process.threadCpuUsage`), not wall-clock time, so other processes on the machine
 * do not inflate it; and stage by stage (the 6-stage pipeline cut after 1, 2, ... 6 stages: what
 * each stage adds).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Uint32Set } from '../src/core/uint32-set.ts';
import { builtinPipeline } from '../src/processors/builtin-pipelines.ts';
import { eventHashes } from '../src/processors/event-tokens.ts';
import { normalizeRecord } from '../src/processors/normalize.ts';
import { compilePipeline } from '../src/processors/pipeline.ts';
import { search, startServer, tmpDir, waitIndexed } from '../test/harness.ts';
import { HOSTS, ndjsonChunks } from './generate.ts';
import { log } from './util.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '300000' },
    seed: { type: 'string', default: '42' },
    concurrency: { type: 'string', default: '4' },
    'worker-only': { type: 'boolean', default: false },
  },
});
const events = Number(values.events);
const seed = Number(values.seed);
const concurrency = Number(values.concurrency);

/** The 6-stage pipeline (as a user would write it), with its lookup table beside it. */
function sixStagePipeline(dir: string): object {
  const table = path.join(dir, 'hosts.csv');
  const rows = HOSTS.map((h, i) => `${h},team-${i % 7},dc-${i % 3}`);
  fs.writeFileSync(table, `host,team,dc\n${rows.join('\n')}\n`);
  return {
    processors: [
      { grok: { field: 'message', patterns: ['%{NGINX_ACCESS}'], ignore_no_match: true } },
      { date: { field: 'timestamp', formats: ['dd/MMM/yyyy:HH:mm:ss Z'], remove_field: true } },
      { convert: { fields: { duration_ms: 'float', bytes: 'int' } } },
      { mask: {} },
      { lookup: { file: table, field: 'host', target: 'host_info' } },
      { route: { condition: 'level:error OR level:critical', stream: 'bench-errors' } },
    ],
  };
}

/** CPU seconds (user + system, all threads) a process has used so far; NaN off Linux. */
function processCpuSeconds(pid: number | undefined): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return Number.NaN;
  }
}

async function run(label: string, stream: string, def: object, bodies: string[]) {
  const dir = tmpDir('lw-bench-pipelines-');
  const yaml = JSON.stringify({ streams: { [stream]: def } });
  const server = await startServer({ dataDir: dir, configYaml: yaml });
  try {
    let next = 0;
    const cpu0 = processCpuSeconds(server.proc.pid);
    const t0 = performance.now();
    const sender = async () => {
      for (let i = next++; i < bodies.length; i = next++) {
        for (;;) {
          const res = await fetch(`${server.url}/api/v1/ingest?stream=${stream}`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-ndjson' },
            body: bodies[i],
          });
          const j = (await res.json()) as { rejected?: number };
          if (res.status === 429 || res.status === 503) {
            await new Promise((r) => setTimeout(r, 200));
            continue;
          }
          if (res.status !== 200 || j.rejected)
            throw new Error(`ingest failed: ${res.status} ${JSON.stringify(j)}`);
          break;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, sender));
    await waitIndexed(server.url, 600_000);
    const secs = (performance.now() - t0) / 1000;
    const cpuUs = ((processCpuSeconds(server.proc.pid) - cpu0) * 1e6) / events;
    const total = (await search(server.url, '*', { limit: 0 })).body.total;
    if (total !== events) throw new Error(`${label}: ${total} events stored, ${events} sent`);
    const q = (await (await fetch(`${server.url}/api/v1/queue`)).json()) as {
      indexer: { routed: number; pipelineErrors: Record<string, number> };
    };
    log(`${label}: ${events} events in ${secs.toFixed(1)} s, server CPU ${cpuUs.toFixed(1)} µs/event`);
    return {
      label,
      secs,
      rate: events / secs,
      cpuUs,
      routed: q.indexer.routed,
      errors: q.indexer.pipelineErrors,
    };
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** This thread's CPU time (user + system), in ms. */
function threadCpuMs(): number {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1000;
}

/** CPU ns per event of the worker's work (normalise, process, hash) on `lines`, best of 3. */
function workerCost(
  lines: string[],
  run: ((ev: ReturnType<typeof normalizeRecord>) => boolean) | null,
): number {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    const hashes = new Uint32Set(1 << 15);
    const t0 = threadCpuMs();
    for (const l of lines) {
      const ev = normalizeRecord(l, 'json', 'bench', 1.7e15);
      if (run !== null && !run(ev)) continue;
      eventHashes(ev, hashes);
      if (hashes.size > 1 << 14) hashes.clear();
    }
    best = Math.min(best, ((threadCpuMs() - t0) * 1e6) / lines.length);
  }
  return best;
}

async function main() {
  log(`generating ${events} events (seed ${seed})`);
  const bodies = [...ndjsonChunks(seed, events, {}, 2 << 20)];
  const dir = tmpDir('lw-bench-table-');
  const results = [];
  if (!values['worker-only']) {
    results.push(await run('no processing (autoParse off)', 'plain', { autoParse: false }, bodies));
    results.push(
      await run('built-in pipelines (autoParse: always)', 'auto', { autoParse: 'always' }, bodies),
    );
    results.push(await run('6-stage pipeline', 'piped', { pipeline: sixStagePipeline(dir) }, bodies));
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const sample = bodies
    .join('')
    .split('\n', 100_000)
    .filter((l) => l !== '');
  const tableDir = tmpDir('lw-bench-table2-');
  const sixDef = sixStagePipeline(tableDir) as { processors: object[] };
  const six = compilePipeline(sixDef);
  const builtin = builtinPipeline(true);
  const costs = [
    { label: 'no processing', ns: workerCost(sample, null) },
    { label: 'built-in pipelines', ns: workerCost(sample, (ev) => builtin.run(ev)) },
    { label: '6-stage pipeline', ns: workerCost(sample, (ev) => six.run(ev)) },
  ];
  const prefixes = [costs[0]!.ns];
  for (let k = 1; k < sixDef.processors.length; k++) {
    const p = compilePipeline({ processors: sixDef.processors.slice(0, k) });
    prefixes.push(workerCost(sample, (ev) => p.run(ev)));
  }
  prefixes.push(costs[2]!.ns);
  fs.rmSync(tableDir, { recursive: true, force: true });
  const base = results[0]?.rate ?? 1;
  const baseCpu = results[0]?.cpuUs ?? 1;
  const out = [
    `| end to end (${events} events, HTTP to searchable) | events/s (wall) | vs no processing | server CPU µs/event | events per CPU-second vs no processing |`,
    `|---|---|---|---|---|`,
    ...results.map(
      (r) =>
        `| ${r.label} | ${Math.round(r.rate).toLocaleString('en-US')} | ${((r.rate / base) * 100).toFixed(0)}% (cost ${((1 - r.rate / base) * 100).toFixed(0)}%) | ${r.cpuUs.toFixed(1)} | ${((baseCpu / r.cpuUs) * 100).toFixed(0)}% (cost ${((1 - baseCpu / r.cpuUs) * 100).toFixed(0)}%) |`,
    ),
  ];
  if (results.length === 0) out.length = 0;
  out.push(
    '',
    `| worker thread, CPU per event (${sample.length} events) | µs/event | events per CPU-second | vs no processing |`,
    '|---|---|---|---|',
    ...costs.map(
      (c) =>
        `| ${c.label} | ${(c.ns / 1000).toFixed(2)} | ${Math.round(1e9 / c.ns).toLocaleString('en-US')} | ${((costs[0].ns / c.ns) * 100).toFixed(0)}% |`,
    ),
    '',
    '| 6-stage pipeline, stage by stage | CPU µs/event added (each prefix best of 3) |',
    '|---|---|',
    ...sixDef.processors.map(
      (p, i) => `| + ${Object.keys(p)[0]} | ${((prefixes[i + 1]! - prefixes[i]!) / 1000).toFixed(2)} |`,
    ),
  );
  process.stdout.write(`${out.join('\n')}\n`);
  const r6 = results[2];
  if (r6)
    process.stdout.write(
      `\n6-stage pipeline: ${r6.routed} events routed to bench-errors; processor errors ${JSON.stringify(r6.errors)}\n`,
    );
}

await main();
