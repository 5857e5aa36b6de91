/**
 * The ingest half of `npm run bench`, also runnable alone for quick measurements:
 *
 *   node bench/ingest.ts --file bench/out/events-2000000-42.ndjson [--concurrency 4] [--config F]
 *
 * starts a real server on a fresh data directory, sends the file over HTTP (NDJSON, 4 clients),
 * waits until the queue lag is 0 (durable and searchable), and prints events/s, CPU seconds by
 * thread, peak RSS and the store size. Set NODE_OPTIONS=--cpu-prof to profile the server.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startServer } from './server.ts';
import { duBytes, fmt, log } from './util.ts';

export function rssOf(pid: number): { rss: number; hwm: number } {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** CPU seconds used so far by each kind of thread of a process (Linux /proc), by thread name. */
export function cpuByThread(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  const tick = 100; // USER_HZ
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = fs.readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
      const stat = fs.readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const secs = (Number(fields[11]) + Number(fields[12])) / tick;
      out.set(name, (out.get(name) ?? 0) + secs);
    } catch {
      // the thread ended
    }
  }
  return out;
}

export async function lag(url: string): Promise<number> {
  const j = (await (await fetch(`${url}/api/v1/queue`)).json()) as { lag: { total: number } };
  return j.lag.total;
}

export async function ingestFile(
  file: string,
  url: string,
  concurrency: number,
  pid: number,
  stream = 'bench',
) {
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  const CHUNK = 4 * 1024 * 1024;
  let pos = 0;
  let carry = Buffer.alloc(0);
  let accepted = 0;
  let peakRss = 0;
  const rssTimer = setInterval(() => {
    peakRss = Math.max(peakRss, rssOf(pid).rss);
  }, 200);
  const next = (): Buffer | null => {
    if (pos >= size && carry.length === 0) return null;
    const buf = Buffer.allocUnsafe(CHUNK);
    const n = fs.readSync(fd, buf, 0, CHUNK, pos);
    pos += n;
    const data = Buffer.concat([carry, buf.subarray(0, n)]);
    if (pos >= size) {
      carry = Buffer.alloc(0);
      return data;
    }
    const last = data.lastIndexOf(10);
    carry = Buffer.from(data.subarray(last + 1));
    return data.subarray(0, last + 1);
  };
  const cpu0 = cpuByThread(pid);
  const t0 = performance.now();
  let lastReport = t0;
  // Per-interval CPU use by thread kind: shows which thread is saturated in which phase.
  let prevCpu = cpu0;
  let prevT = t0;
  const cpuNow = () => {
    const cur = cpuByThread(pid);
    const t = performance.now();
    const parts = [...cur]
      .map(([name, secs]) => [name, (secs - (prevCpu.get(name) ?? 0)) / ((t - prevT) / 1000)] as const)
      .filter(([, share]) => share >= 0.02)
      .sort((a, b) => b[1] - a[1])
      .map(([name, share]) => `${name} ${fmt(share * 100, 0)}%`);
    prevCpu = cur;
    prevT = t;
    return parts.join(', ');
  };
  const worker = async () => {
    for (let body = next(); body !== null; body = next()) {
      for (;;) {
        const res = await fetch(`${url}/api/v1/ingest?stream=${encodeURIComponent(stream)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body,
        });
        if (res.status === 429 || res.status === 503) {
          await res.arrayBuffer();
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        const j = (await res.json()) as { accepted: number; rejected: number };
        if (res.status !== 200 || j.rejected > 0)
          throw new Error(`ingest failed: ${res.status} ${JSON.stringify(j)}`);
        accepted += j.accepted;
        break;
      }
      const now = performance.now();
      if (now - lastReport > 5000) {
        lastReport = now;
        log(
          `ingest: ${fmt((pos / size) * 100)}% ${fmt(accepted / ((now - t0) / 1000), 0)} ev/s acknowledged, rss ${fmt(peakRss / 2 ** 20, 0)} MiB; cpu ${cpuNow()}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const tAck = performance.now();
  for (let left = await lag(url); left > 0; left = await lag(url)) {
    await new Promise((r) => setTimeout(r, 100));
    const now = performance.now();
    if (now - lastReport > 5000) {
      lastReport = now;
      log(`indexing: ${fmt(left, 0)} events left; cpu ${cpuNow()}`);
    }
  }
  const tSearchable = performance.now();
  clearInterval(rssTimer);
  fs.closeSync(fd);
  peakRss = Math.max(peakRss, rssOf(pid).hwm);
  const cpu1 = cpuByThread(pid);
  const cpu = [...cpu1]
    .map(([name, secs]) => ({ name, secs: secs - (cpu0.get(name) ?? 0) }))
    .filter((c) => c.secs > 0.05);
  cpu.sort((a, b) => b.secs - a.secs);
  return {
    accepted,
    size,
    ackSecs: (tAck - t0) / 1000,
    searchableSecs: (tSearchable - t0) / 1000,
    peakRss,
    cpu,
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      file: { type: 'string' },
      concurrency: { type: 'string', default: '4' },
      config: { type: 'string' },
      'data-dir': { type: 'string' },
      /** Also count the server's instructions with `perf stat` (steadier than CPU seconds here). */
      perf: { type: 'boolean', default: false },
    },
  });
  if (!values.file) throw new Error('--file FILE (NDJSON) is required');
  const dataDir = values['data-dir'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lw-ingest-'));
  fs.rmSync(dataDir, { recursive: true, force: true });
  const { url, proc } = await startServer(dataDir, values.config ? ['--config', values.config] : []);
  const perf = values.perf
    ? spawn('perf', ['stat', '-x', ',', '-e', 'instructions', '-p', String(proc.pid)], {
        stdio: ['ignore', 'ignore', 'pipe'],
      })
    : null;
  let perfOut = '';
  perf?.stderr?.on('data', (d: Buffer) => {
    perfOut += d;
  });
  const ing = await ingestFile(values.file, url, Number(values.concurrency), proc.pid!);
  if (perf) {
    perf.kill('SIGINT');
    await new Promise((r) => perf.on('exit', r));
  }
  proc.kill('SIGTERM');
  await new Promise((r) => proc.on('exit', r));
  const cpuTotal = ing.cpu.reduce((a, c) => a + c.secs, 0);
  const store = duBytes(path.join(dataDir, 'store'));
  console.log(
    `${fmt(ing.accepted, 0)} events: acknowledged ${fmt(ing.accepted / ing.ackSecs, 0)} ev/s, searchable ${fmt(ing.accepted / ing.searchableSecs, 0)} ev/s; ` +
      `CPU ${fmt((cpuTotal / ing.accepted) * 1e6)} µs/event; peak RSS ${fmt(ing.peakRss / 2 ** 20, 0)} MiB; store ${fmt(store / 1e6, 0)} MB = ${fmt(store / ing.size, 3)}x raw`,
  );
  for (const c of ing.cpu) console.log(`  ${c.name.padEnd(16)} ${fmt(c.secs)} s`);
  const instructions = Number(/^(\d+),/m.exec(perfOut)?.[1] ?? Number.NaN);
  if (perf) console.log(`  instructions: ${fmt(instructions / ing.accepted, 0)} per event`);
  if (!values['data-dir']) fs.rmSync(dataDir, { recursive: true, force: true });
}

if (import.meta.main) await main();
