/**
 * Benchmark of `logwarden agent` against a real `logwarden start` on this machine.
 *
 *   node bench/agent.ts [--lines 1000000] [--rate 50000] [--seconds 10] [--seed 42] [--compression gzip]
 *
 * 1. Throughput from a pre-written file: the seeded generator's NDJSON lines (bench/generate.ts)
 *    in one file; the agent, pinned to one core (taskset), ships it until the server has every
 *    line stored. Reports lines/s by the wall clock (end to end, server included) and lines per
 *    second of the agent's own CPU time (user + system, all its threads): what one core buys.
 * 2. Tail-to-searchable latency: a writer appends at `--rate` lines/s; every 500th line is a
 *    probe with a number, and a poller searches for new probes every 20 ms. Latency is from the
 *    append to the first search that finds the probe; the throughput is lines stored per second.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateEvents } from './generate.ts';
import { startServer } from './server.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    rate: { type: 'string', default: '50000' },
    seconds: { type: 'string', default: '10' },
    seed: { type: 'string', default: '42' },
    compression: { type: 'string', default: 'gzip' },
  },
});
const LINES = Number(values.lines);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const SEED = Number(values.seed);

const log = (msg: string) => process.stderr.write(`[bench-agent] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

function startAgent(dir: string, yaml: string): Promise<ChildProcess> {
  fs.mkdirSync(dir, { recursive: true });
  const cfg = path.join(dir, 'agent.yaml');
  fs.writeFileSync(cfg, yaml);
  const args = [path.join(ROOT, 'bin', 'logwarden.js'), 'agent', '--config', cfg, '--log-format', 'json'];
  const pinned = fs.existsSync('/usr/bin/taskset');
  const proc = pinned
    ? spawn('taskset', ['-c', '0', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const on = (d: Buffer) => {
      out += d;
      if (out.includes('"agent started"')) resolve(proc);
      if (out.length > 1e6) out = out.slice(-1e5);
    };
    proc.stdout!.on('data', on);
    proc.stderr!.on('data', on);
    proc.on('exit', (code) => reject(new Error(`agent exited with ${code}: ${out.slice(-2000)}`)));
  });
}

/** Waits until a stream holds `n` events; fails with the agent's status after `ms`. */
async function waitStored(url: string, stream: string, n: number, agentDir: string, ms = 600_000) {
  const deadline = Date.now() + ms;
  while ((await stored(url, stream)) < n) {
    if (Date.now() > deadline) {
      const status = fs.readFileSync(path.join(agentDir, 'status.json'), 'utf8');
      throw new Error(`${stream}: not all ${n} lines stored in ${ms / 1000} s; agent status:\n${status}`);
    }
    await sleep(100);
  }
}

async function stored(url: string, stream: string): Promise<number> {
  const qs = new URLSearchParams({ q: `stream:=${stream}`, start: '0', limit: '0' });
  const r = await fetch(`${url}/api/v1/search?${qs}`);
  return ((await r.json()) as { total: number }).total;
}

function agentYaml(url: string, dir: string, stream: string, file: string): string {
  return [
    `server: ${url}`,
    `stream: ${stream}`,
    'host: bench-host',
    `dataDir: ${dir}`,
    `compression: ${values.compression}`,
    'pollMs: 50',
    'batch: { maxWaitMs: 50 }',
    'files:',
    `  - paths: ['${file}']`,
  ].join('\n');
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function throughput(url: string, work: string): Promise<Record<string, number>> {
  const file = path.join(work, 'prewritten.log');
  log(`writing ${LINES} lines (seed ${SEED})`);
  const fd = fs.openSync(file, 'w');
  let buf: string[] = [];
  generateEvents(SEED, LINES, {}, (line) => {
    buf.push(line);
    if (buf.length === 10_000) {
      fs.writeSync(fd, `${buf.join('\n')}\n`);
      buf = [];
    }
  });
  if (buf.length) fs.writeSync(fd, `${buf.join('\n')}\n`);
  fs.closeSync(fd);
  const bytes = fs.statSync(file).size;
  const t0 = performance.now();
  const agent = await startAgent(
    path.join(work, 'agent-throughput'),
    agentYaml(url, path.join(work, 'agent-throughput'), 'thr', file),
  );
  const cpu0 = cpuSeconds(agent.pid!);
  await waitStored(url, 'thr', LINES, path.join(work, 'agent-throughput'));
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(agent.pid!) - cpu0;
  agent.kill('SIGTERM');
  await new Promise((r) => agent.once('exit', r));
  return { lines: LINES, mb: bytes / 1e6, wall, cpu, linesPerSec: LINES / wall, linesPerCpuSec: LINES / cpu };
}

async function latency(url: string, work: string): Promise<Record<string, number>> {
  const file = path.join(work, 'live.log');
  fs.writeFileSync(file, '');
  const agent = await startAgent(
    path.join(work, 'agent-latency'),
    agentYaml(url, path.join(work, 'agent-latency'), 'lat', file),
  );
  const total = RATE * SECONDS;
  const written = new Map<number, number>();
  const latencies: number[] = [];
  let writing = true;
  const poller = (async () => {
    let next = 0;
    while (writing || next < written.size) {
      const qs = new URLSearchParams({
        q: `stream:=lat probe:>=${next}`,
        start: '0',
        limit: '1000',
        order: 'asc',
      });
      const r = (await (await fetch(`${url}/api/v1/search?${qs}`)).json()) as {
        events: Array<{ probe: number }>;
      };
      const now = performance.now();
      for (const e of r.events) {
        if (e.probe === next && written.has(next)) {
          latencies.push(now - written.get(next)!);
          next++;
        }
      }
      await sleep(20);
    }
  })();
  const fd = fs.openSync(file, 'a');
  const t0 = performance.now();
  const TICK_MS = 10;
  let i = 0;
  let probe = 0;
  const gen: string[] = [];
  generateEvents(SEED + 1, Math.min(total, 200_000), {}, (l) => gen.push(l));
  while (i < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * RATE));
    if (due > i) {
      let chunk = '';
      const probes: number[] = [];
      for (; i < due; i++) {
        if (i % 500 === 0) {
          chunk += `{"message":"latency probe","probe":${probe}}\n`;
          probes.push(probe++);
        } else chunk += `${gen[i % gen.length]}\n`;
      }
      fs.writeSync(fd, chunk);
      const now = performance.now();
      for (const p of probes) written.set(p, now);
    }
    await sleep(TICK_MS);
  }
  fs.closeSync(fd);
  const writeSecs = (performance.now() - t0) / 1000;
  await waitStored(url, 'lat', total, path.join(work, 'agent-latency'));
  const allSecs = (performance.now() - t0) / 1000;
  writing = false;
  await poller;
  agent.kill('SIGTERM');
  await new Promise((r) => agent.once('exit', r));
  latencies.sort((a, b) => a - b);
  return {
    lines: total,
    writeRate: total / writeSecs,
    storedRate: total / allSecs,
    drainSecs: allSecs - writeSecs,
    probes: latencies.length,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    max: latencies[latencies.length - 1],
  };
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-bench-agent-'));
const server = await startServer(path.join(work, 'server'));
try {
  const cores = os.cpus().length;
  const nodeV = process.version;
  const t = await throughput(server.url, work);
  log(JSON.stringify(t));
  const l = await latency(server.url, work);
  log(JSON.stringify(l));
  const f0 = (n: number) => Math.round(n).toLocaleString('en-US');
  process.stdout.write(
    [
      `File agent benchmark (${cores} cores, Node ${nodeV}, compression ${values.compression}, seed ${SEED}; server on the same machine)`,
      '',
      '| measure | value |',
      '|---|---|',
      `| pre-written file: lines | ${f0(t.lines)} (${t.mb.toFixed(0)} MB of NDJSON) |`,
      `| pre-written file: lines/s, wall clock until all stored | ${f0(t.linesPerSec)} |`,
      `| pre-written file: lines per agent CPU-second (agent pinned to one core) | ${f0(t.linesPerCpuSec)} |`,
      `| live file: writer rate, lines/s | ${f0(l.writeRate)} for ${SECONDS} s |`,
      `| live file: stored rate, lines/s (until all stored) | ${f0(l.storedRate)} |`,
      `| live file: tail-to-searchable latency p50 / p99 / max | ${f0(l.p50)} / ${f0(l.p99)} / ${f0(l.max)} ms (${l.probes} probes) |`,
      '',
    ].join('\n'),
  );
} finally {
  server.proc.kill('SIGTERM');
  await new Promise((r) => server.proc.once('exit', r));
  execFileSync('rm', ['-rf', work]);
}
