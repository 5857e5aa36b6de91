/**
 * Micro-benchmark of the disk queue (not a test): N concurrent producers, each awaiting produce
 * of batches of 100..1000 messages of ~300 bytes to one of P partitions (durable: fdatasync
 * with group commit), then one reader per partition fetching everything back (CRC verified).
 * Also measures CRC-32C throughput. Seeded, so runs are comparable.
 *
 *   node src/queue/disk/bench-queue.ts [--producers 50] [--partitions 4] [--seconds 5]
 *        [--size 300] [--sync-delay-ms 0] [--dir /tmp/...] [--keep]
 *
 * --sync-delay-ms adds that much latency to every fdatasync, to see how group commit copes
 * with a slower disk than this machine's (whose fdatasync may take well under a millisecond).
 */

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { QueueMessage } from '../queue.ts';
import { crc32c } from './crc32c.ts';
import { defaultIo, type DiskIo } from './disk-io.ts';
import { DiskQueue } from './disk-queue.ts';

const { values: args } = parseArgs({
  options: {
    producers: { type: 'string', default: '50' },
    partitions: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '5' },
    size: { type: 'string', default: '300' },
    'sync-delay-ms': { type: 'string', default: '0' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const producers = Number(args.producers);
const partitions = Number(args.partitions);
const seconds = Number(args.seconds);
const size = Number(args.size);
const syncDelayMs = Number(args['sync-delay-ms']);

/** Mulberry32: a small seeded PRNG. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(42);

function logLine(i: number): Buffer {
  const head = `{"ts":"2025-01-01T00:00:${String(i % 60).padStart(2, '0')}Z","level":"info","host":"web-${i % 17}","msg":"`;
  let body = '';
  while (head.length + body.length + 2 < size) body += String.fromCharCode(97 + Math.floor(rand() * 26));
  return Buffer.from(`${head}${body}"}`.slice(0, size));
}

const values = Array.from({ length: 4096 }, (_, i) => logLine(i));
const batches: QueueMessage[][] = Array.from({ length: 64 }, () => {
  const n = 100 + Math.floor(rand() * 901);
  return Array.from({ length: n }, () => ({ value: values[Math.floor(rand() * values.length)]! }));
});

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

async function benchCrc(): Promise<void> {
  const big = Buffer.alloc(64 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
  crc32c(big); // warm up
  let t = performance.now();
  crc32c(big);
  const bigMBs = big.length / 1e6 / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let off = 0; off + 337 <= big.length; off += 337) crc32c(big, 0, off, off + 337);
  const smallMBs = big.length / 1e6 / ((performance.now() - t) / 1000);
  console.log(`crc32c: ${fmt(bigMBs)} MB/s on 64 MiB, ${fmt(smallMBs)} MB/s on 337-byte records`);
}

async function main(): Promise<void> {
  await benchCrc();
  const dir = args.dir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'lw-bench-queue-')));
  let syncs = 0;
  const io: DiskIo = {
    write: defaultIo.write,
    datasync: async (fh) => {
      syncs++;
      if (syncDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, syncDelayMs));
      return defaultIo.datasync(fh);
    },
  };
  const q = new DiskQueue({ dir, maxBytes: 64 * 1024 ** 3, io });
  await q.open();
  await q.createTopic('bench', partitions);

  const latencies: number[] = [];
  let messages = 0;
  const deadline = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: producers }, async (_, id) => {
      let k = id;
      while (performance.now() < deadline) {
        const batch = batches[k++ % batches.length]!;
        const t = performance.now();
        await q.produce('bench', id % partitions, batch);
        latencies.push(performance.now() - t);
        messages += batch.length;
      }
    }),
  );
  const produceSec = (performance.now() - t0) / 1000;
  const bytes = q.state().reduce((s, p) => s + p.bytes, 0);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!.toFixed(1);
  console.log(
    `produce: ${fmt(messages / produceSec)} msg/s, ${fmt(bytes / 1e6 / produceSec)} MB/s on disk ` +
      `(${producers} producers, ${partitions} partitions, ${size}-byte values, ${fmt(messages)} messages in ${produceSec.toFixed(1)} s); ` +
      `${fmt(syncs)} fdatasyncs${syncDelayMs > 0 ? ` (+${syncDelayMs} ms each)` : ''}, ${fmt(messages / syncs)} msg each; ` +
      `latency p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms`,
  );

  const t1 = performance.now();
  let read = 0;
  await Promise.all(
    q.state().map(async (p) => {
      let offset = p.startOffset;
      while (offset < p.endOffset) {
        const got = await q.fetch('bench', p.partition, offset, { maxBytes: 1024 * 1024 });
        offset = got.at(-1)!.offset + 1;
        read += got.length;
      }
    }),
  );
  const fetchSec = (performance.now() - t1) / 1000;
  console.log(
    `fetch: ${fmt(read / fetchSec)} msg/s, ${fmt(bytes / 1e6 / fetchSec)} MB/s (CRC verified, 1 MiB fetches, page cache warm)`,
  );
  await q.close();
  if (!args.keep && args.dir === undefined) await fs.rm(dir, { recursive: true, force: true });
}

await main();
