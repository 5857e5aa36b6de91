/**
 * Kafka benchmark on a real local broker (src/queue/kafka/dev-broker.ts): events/s end to end
 * (HTTP NDJSON ingest -> queue -> store, until searchable) with the disk queue as the reference,
 * Kafka in one process, and the ingest + indexer roles with 1 and 2 consumer processes; the
 * producer and the consumer alone (KafkaQueue, no HTTP, no store); a small table of producer
 * batching/linger, compression and fetch.min.bytes; and the latency from the ingest answer to
 * searchable at a steady 20k events/s. Seeded synthetic events.
 *
 *   node bench/kafka.ts [--events 200000] [--seed 42]
 *   npm run bench -- --queue kafka [--events N]
 *   node bench/kafka.ts --one-process-only --runs 3 [--compression none]   # disk vs Kafka role all, medians
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { startDevBroker } from '../src/queue/kafka/dev-broker.ts';
import { type KafkaCompression, KafkaQueue } from '../src/queue/kafka/kafka-queue.ts';
import { ingest, type Server, search, startServer, tmpDir } from '../test/harness.ts';
import { mulberry32 } from '../test/prng.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string' },
    seed: { type: 'string' },
    queue: { type: 'string' },
    runs: { type: 'string' },
    compression: { type: 'string' },
    'one-process-only': { type: 'boolean' },
  },
  strict: false,
});
const N = Number(values.events ?? 200_000);
const SEED = Number(values.seed ?? 42);
const CHUNK = 5000;
const CONCURRENCY = 4;

/** NDJSON chunks of CHUNK events each (about 200 bytes per event). */
function makeChunks(n: number, tag: string): string[] {
  const rnd = mulberry32(SEED);
  const levels = ['info', 'info', 'info', 'warn', 'error', 'debug'];
  const services = ['payment-api', 'auth', 'search', 'gateway', 'billing'];
  const chunks: string[] = [];
  for (let i = 0; i < n; i += CHUNK) {
    let s = '';
    for (let j = i; j < Math.min(n, i + CHUNK); j++) {
      s += `${JSON.stringify({
        level: levels[Math.floor(rnd() * levels.length)],
        service: services[Math.floor(rnd() * services.length)],
        host: `web-${Math.floor(rnd() * 40)}`,
        tag,
        seq: j,
        latency_ms: Math.floor(rnd() * 900),
        message: `request ${Math.floor(rnd() * 1e9).toString(36)} handled for user ${Math.floor(rnd() * 1e5)}`,
      })}\n`;
    }
    chunks.push(s);
  }
  return chunks;
}

async function countOf(url: string, tag: string): Promise<number> {
  return (await search(url, `tag:${tag}`, { limit: 0 })).body.total;
}

/** Sends all chunks with CONCURRENCY requests in flight; resolves when all are searchable. */
async function endToEnd(ingestUrl: string, searchUrl: string, tag: string): Promise<number> {
  const chunks = makeChunks(N, tag);
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < chunks.length) {
        const body = chunks[next++];
        for (;;) {
          const r = await ingest(ingestUrl, body, { stream: 'bench' });
          if (r.status === 200) break;
          await new Promise((res) => setTimeout(res, 100));
        }
      }
    }),
  );
  while ((await countOf(searchUrl, tag)) < N) await new Promise((r) => setTimeout(r, 100));
  return N / ((performance.now() - t0) / 1000);
}

async function withServer<T>(
  opts: Parameters<typeof startServer>[0],
  fn: (s: Server) => Promise<T>,
): Promise<T> {
  const s = await startServer(opts);
  try {
    return await fn(s);
  } finally {
    await s.stop();
  }
}

function kafkaServer(
  bootstrap: string,
  topic: string,
  role: string,
  extra = '',
): Parameters<typeof startServer>[0] {
  return {
    dataDir: tmpDir('lw-bench-kafka-'),
    args: ['--queue', 'kafka', '--kafka-brokers', bootstrap, '--role', role],
    configYaml: `queue:\n  partitions: 2\n  kafka:\n    topic: ${topic}\n${extra}`,
  };
}

/** Producer alone: KafkaQueue.produce of 1,000-message batches over 2 partitions, 8 in flight. */
async function producerAlone(
  bootstrap: string,
  topic: string,
  o: { compression?: KafkaCompression; batchBytes?: number; lingerMs?: number },
): Promise<number> {
  const q = new KafkaQueue({ brokers: [bootstrap], ...o });
  await q.createTopic(topic, 2);
  const lines = makeChunks(N, 'p').join('').split('\n').filter(Boolean);
  const values = lines.map((l) => Buffer.from(l));
  const t0 = performance.now();
  let i = 0;
  await Promise.all(
    Array.from({ length: 8 }, async (_, w) => {
      while (i < values.length) {
        const from = i;
        i += 1000;
        await q.produce(
          topic,
          w % 2,
          values.slice(from, from + 1000).map((value) => ({ value })),
        );
      }
    }),
  );
  const rate = values.length / ((performance.now() - t0) / 1000);
  await q.close();
  return rate;
}

/** Consumer alone: KafkaQueue.fetch of both partitions from offset 0 to the end. */
async function consumerAlone(bootstrap: string, topic: string, fetchMinBytes: number): Promise<number> {
  const q = new KafkaQueue({ brokers: [bootstrap], fetchMinBytes, fetchMaxWaitMs: 100 });
  await q.createTopic(topic, 2);
  const t0 = performance.now();
  let total = 0;
  await Promise.all(
    [0, 1].map(async (p) => {
      let off = 0;
      for (;;) {
        const msgs = await q.fetch(topic, p, off, { maxBytes: 2 * 1024 * 1024 });
        if (msgs.length === 0) break;
        total += msgs.length;
        off = msgs[msgs.length - 1].offset + 1;
      }
    }),
  );
  const rate = total / ((performance.now() - t0) / 1000);
  await q.close();
  return rate;
}

/** Ingest-answer-to-searchable latency at `rate` events/s for `seconds` (batches of 200). */
async function latency(url: string, rate: number, seconds: number): Promise<{ p50: number; p99: number }> {
  const perBatch = 200;
  const batches = Math.floor((rate * seconds) / perBatch);
  const interval = 1000 / (rate / perBatch);
  const answered: number[] = [];
  const searchable: number[] = [];
  const chunks: string[] = [];
  for (let b = 0; b < batches; b++) {
    let s = '';
    for (let j = 0; j < perBatch; j++)
      s += `{"tag":"lat","batch":${b},"message":"latency probe ${b}/${j}"}\n`;
    chunks.push(s);
  }
  let done = false;
  // Poll the number of searchable batches: a batch counts once all its events are searchable.
  const poller = (async () => {
    while (!done) {
      const r = await search(url, 'tag:lat', { limit: 0 });
      const n = r.body.total;
      const now = performance.now();
      while (searchable.length < Math.floor(n / perBatch)) searchable.push(now);
      await new Promise((res) => setTimeout(res, 20));
    }
  })();
  const t0 = performance.now();
  await Promise.all(
    chunks.map(async (c, b) => {
      const due = t0 + b * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      const r = await ingest(url, c, { stream: 'latency' });
      if (r.status !== 200) throw new Error(`latency ingest answered ${r.status}`);
      answered[b] = performance.now();
    }),
  );
  while (searchable.length < batches) await new Promise((res) => setTimeout(res, 50));
  done = true;
  await poller;
  // Batches may become searchable out of order across partitions: pair the k-th answer with the
  // k-th searchable batch (both in time order), which bounds the latency of a typical batch.
  const ans = [...answered].sort((a, b) => a - b);
  const lat = ans.map((a, k) => Math.max(0, searchable[k] - a)).sort((a, b) => a - b);
  return { p50: lat[Math.floor(lat.length * 0.5)], p99: lat[Math.floor(lat.length * 0.99)] };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Disk queue vs Kafka in one process, alternating, `runs` times each; prints every run and the medians. */
async function oneProcessOnly(runs: number): Promise<void> {
  const broker = await startDevBroker({ heap: '512m' });
  const disk: number[] = [];
  const all: number[] = [];
  const codec = values.compression ? `    compression: ${values.compression}\n` : '';
  try {
    for (let r = 0; r < runs; r++) {
      disk.push(
        await withServer(
          { dataDir: tmpDir('lw-bench-disk-'), configYaml: 'queue:\n  partitions: 2\n' },
          (s) => endToEnd(s.url, s.url, 'disk'),
        ),
      );
      all.push(
        await withServer(kafkaServer(broker.bootstrap, `bench-all-${r}`, 'all', codec), (s) =>
          endToEnd(s.url, s.url, 'all'),
        ),
      );
      process.stdout.write(
        `run ${r + 1}: disk ${fmt(disk[r])} events/s, Kafka role all ${fmt(all[r])} events/s\n`,
      );
    }
  } finally {
    await broker.stop();
  }
  const d = median(disk);
  const k = median(all);
  const ratio = median(all.map((x, i) => x / disk[i]));
  process.stdout.write(
    `median of ${runs}: disk ${fmt(d)} events/s, Kafka role all ${fmt(k)} events/s ` +
      `(${((k / d) * 100).toFixed(0)}% of disk; median of the per-run ratios ${(ratio * 100).toFixed(0)}%)\n`,
  );
}

async function main(): Promise<void> {
  process.stdout.write(`kafka bench: ${N} events, seed ${SEED}, ${os.availableParallelism()} cores\n`);
  const broker = await startDevBroker({ heap: '512m' });
  const rows: Array<[string, string]> = [];
  const row = (what: string, v: string) => {
    rows.push([what, v]);
    process.stdout.write(`${what}: ${v}\n`);
  };
  try {
    const disk = await withServer(
      { dataDir: tmpDir('lw-bench-disk-'), configYaml: 'queue:\n  partitions: 2\n' },
      (s) => endToEnd(s.url, s.url, 'disk'),
    );
    row('disk queue, one process (reference)', `${fmt(disk)} events/s`);
    const all = await withServer(kafkaServer(broker.bootstrap, 'bench-all', 'all'), (s) =>
      endToEnd(s.url, s.url, 'all'),
    );
    row(
      'Kafka, one process (role all)',
      `${fmt(all)} events/s (${((all / disk) * 100).toFixed(0)}% of disk)`,
    );
    for (const consumers of [1, 2]) {
      const topic = `bench-roles-${consumers}`;
      const extra = `    consumers: ${consumers}\n`;
      const rate = await withServer(kafkaServer(broker.bootstrap, topic, 'indexer', extra), (idx) =>
        withServer(kafkaServer(broker.bootstrap, topic, 'ingest', extra), (ing) =>
          endToEnd(ing.url, idx.url, 'roles'),
        ),
      );
      row(`Kafka, ingest + indexer roles, ${consumers} consumer process(es)`, `${fmt(rate)} events/s`);
    }
    row(
      'producer alone (KafkaQueue.produce, no compression)',
      `${fmt(await producerAlone(broker.bootstrap, 'bench-p', {}))} msgs/s`,
    );
    row(
      'consumer alone (KafkaQueue.fetch, fetch.min.bytes 1)',
      `${fmt(await consumerAlone(broker.bootstrap, 'bench-p', 1))} msgs/s`,
    );
    const table: Array<[string, string]> = [];
    for (const [label, o] of [
      ['batch 16 KiB, linger 0', { batchBytes: 16 * 1024, lingerMs: 0 }],
      ['batch 1 MiB, linger 0', { batchBytes: 1024 * 1024, lingerMs: 0 }],
      ['batch 1 MiB, linger 5 ms', { batchBytes: 1024 * 1024, lingerMs: 5 }],
      ['compression gzip', { compression: 'gzip' }],
      ['compression snappy', { compression: 'snappy' }],
      ['compression lz4', { compression: 'lz4' }],
      ['compression zstd', { compression: 'zstd' }],
    ] as Array<[string, { compression?: KafkaCompression; batchBytes?: number; lingerMs?: number }]>) {
      const topic = `bench-t-${table.length}`;
      const p = await producerAlone(broker.bootstrap, topic, o);
      const c = await consumerAlone(broker.bootstrap, topic, 1);
      table.push([label, `produce ${fmt(p)} msgs/s, fetch ${fmt(c)} msgs/s`]);
    }
    for (const minBytes of [1, 1024 * 1024]) {
      table.push([
        `fetch.min.bytes ${minBytes}`,
        `fetch ${fmt(await consumerAlone(broker.bootstrap, 'bench-p', minBytes))} msgs/s`,
      ]);
    }
    for (const [k, v] of table) row(`  ${k}`, v);
    const lat = await withServer(kafkaServer(broker.bootstrap, 'bench-lat', 'all'), (s) =>
      latency(s.url, 20_000, 10),
    );
    row(
      'ingest answer -> searchable at 20k events/s, Kafka role all',
      `p50 ${fmt(lat.p50)} ms, p99 ${fmt(lat.p99)} ms`,
    );
  } finally {
    await broker.stop();
  }
  process.stdout.write('\n| measurement | result |\n|---|---|\n');
  for (const [k, v] of rows) process.stdout.write(`| ${k.trim()} | ${v} |\n`);
}

if (values['one-process-only']) await oneProcessOnly(Number(values.runs ?? 3));
else await main();
