/**
 * The indexer: for every partition of the ingest topic, fetch records from the queue, process
 * them in the worker pool, write them to the store, then commit the queue offset (only after the
 * store has the data: at-least-once, and the store's watermark makes replays idempotent).
 * Like a Kafka consumer group member that owns all partitions.
 */
import type { Queue } from '../queue/queue.ts';
import type { Store } from '../store/store.ts';
import type { WorkerPool } from './pool.ts';
import type { WorkerResult } from './worker-protocol.ts';

export const INDEXER_GROUP = 'logwarden-indexer';

export interface IndexerOptions {
  queue: Queue;
  store: Store;
  pool: WorkerPool;
  topic: string;
  maxBytesPerFetch?: number;
  logger: { error: (o: object, m?: string) => void; warn: (o: object, m?: string) => void };
}

export interface IndexerStats {
  indexed: number;
  skipped: number;
  batches: number;
  errors: number;
  dropped: Record<string, number>;
  pipelineErrors: Record<string, number>;
}

export class Indexer {
  private readonly o: IndexerOptions;
  private running = false;
  private loops: Promise<void>[] = [];
  /** Serialises store writes: the store has a single writer. */
  private writeChain: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<() => void>();
  readonly stats: IndexerStats = { indexed: 0, skipped: 0, batches: 0, errors: 0, dropped: {}, pipelineErrors: {} };
  /** Next offset to fetch per partition. */
  private readonly positions = new Map<number, number>();

  constructor(o: IndexerOptions) {
    this.o = o;
  }

  async start(): Promise<void> {
    this.running = true;
    const n = this.o.queue.partitionCount(this.o.topic);
    for (let p = 0; p < n; p++) {
      const committed = await this.o.queue.committed(INDEXER_GROUP, this.o.topic, p);
      const stored = this.o.store.nextOffset(this.o.topic, p);
      this.positions.set(p, Math.max(committed, stored));
      this.loops.push(this.loop(p));
    }
  }

  /** Calls `fn` after each batch is stored (for live tail and "searchable" waits). */
  onStored(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Records not yet stored, per partition and in total. */
  lag(): { total: number; partitions: Array<{ partition: number; position: number; end: number }> } {
    const parts = this.o.queue.state().filter((s) => s.topic === this.o.topic);
    let total = 0;
    const out = parts.map((s) => {
      const pos = this.positions.get(s.partition) ?? s.startOffset;
      total += Math.max(0, s.endOffset - pos);
      return { partition: s.partition, position: pos, end: s.endOffset };
    });
    return { total, partitions: out };
  }

  private async loop(partition: number): Promise<void> {
    const { queue, pool, topic } = this.o;
    let backoff = 100;
    // Pipeline depth 2: the next batch is processed while the current one is written.
    let inflight: { result: Promise<WorkerResult>; next: number } | null = null;
    while (this.running) {
      try {
        if (inflight === null) {
          const offset = this.positions.get(partition)!;
          const msgs = await queue.fetch(topic, partition, offset, {
            maxBytes: this.o.maxBytesPerFetch ?? 4 * 1024 * 1024,
            maxWaitMs: 250,
          });
          if (msgs.length === 0) continue;
          inflight = { result: pool.process(partition, msgs), next: msgs[msgs.length - 1].offset + 1 };
        }
        const cur = inflight;
        // Prefetch and start processing the following batch.
        const following = queue.fetch(topic, partition, cur.next, {
          maxBytes: this.o.maxBytesPerFetch ?? 4 * 1024 * 1024,
          maxWaitMs: 0,
        });
        const res = await cur.result;
        const msgs2 = await following;
        inflight =
          msgs2.length > 0
            ? { result: pool.process(partition, msgs2), next: msgs2[msgs2.length - 1].offset + 1 }
            : null;
        await this.storeBatch(partition, res, cur.next);
        backoff = 100;
      } catch (err) {
        this.stats.errors++;
        inflight = null;
        this.o.logger.error({ err: String((err as Error)?.stack ?? err), partition }, 'indexing failed; retrying');
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  private async storeBatch(partition: number, res: WorkerResult, next: number): Promise<void> {
    const { queue, store, topic } = this.o;
    const write = this.writeChain.then(() => store.write(topic, res.batch));
    this.writeChain = write.catch(() => undefined);
    const r = await write;
    await queue.commit(INDEXER_GROUP, topic, partition, next);
    this.positions.set(partition, next);
    this.stats.indexed += r.written;
    this.stats.skipped += r.skipped;
    this.stats.batches++;
    for (const k in res.stats.dropped) this.stats.dropped[k] = (this.stats.dropped[k] ?? 0) + res.stats.dropped[k];
    for (const k in res.stats.errors)
      this.stats.pipelineErrors[k] = (this.stats.pipelineErrors[k] ?? 0) + res.stats.errors[k];
    for (const fn of this.listeners) fn();
  }

  /** Waits until everything in the queue is stored, or the timeout passes; true when caught up. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.lag().total === 0) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.lag().total === 0;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.allSettled(this.loops);
    await this.writeChain;
  }
}
