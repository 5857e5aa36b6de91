/**
 * One member of the indexer's Kafka consumer group: joins the group on the ingest topic and runs
 * an Indexer on exactly the partitions the group assigns to it. On every rebalance the running
 * Indexer is stopped (its in-flight writes finish and are committed, or fail harmlessly: a
 * commit from a stale generation is refused by the broker) and a new one starts on the new
 * assignment from max(committed offset, store watermark), so nothing is skipped and nothing is
 * stored twice.
 */
import type { GroupAssignment } from '@platformatic/kafka';
import type { KafkaQueue } from '../../queue/kafka/kafka-queue.ts';
import type { Store } from '../../store/store.ts';
import { INDEXER_GROUP, Indexer, type IndexerStats } from '../indexer.ts';
import type { WorkerPool } from '../pool.ts';
import { addStats } from './stats.ts';

export interface GroupMemberOptions {
  queue: KafkaQueue;
  /** The store, or the store owner's proxy (with `load` to fetch watermarks first). */
  store: Pick<Store, 'write' | 'nextOffset'> & {
    load?: (topic: string, partitions: number[]) => Promise<void>;
  };
  pool: WorkerPool;
  topic: string;
  maxBytesPerFetch?: number;
  logger: {
    error: (o: object, m?: string) => void;
    warn: (o: object, m?: string) => void;
    info: (o: object, m?: string) => void;
  };
}

export class GroupMember {
  private readonly o: GroupMemberOptions;
  private indexer: Indexer | null = null;
  private membership: { leave: () => Promise<void> } | null = null;
  /** Rebalances are applied one at a time, in order. */
  private chain: Promise<void> = Promise.resolve();
  private done: IndexerStats | null = null;
  private stopped = false;
  assigned: number[] = [];

  constructor(o: GroupMemberOptions) {
    this.o = o;
  }

  async start(): Promise<void> {
    this.membership = await this.o.queue.joinGroup(INDEXER_GROUP, [this.o.topic], (a) => {
      this.chain = this.chain
        .then(() => this.reassign(a))
        .catch((err) => {
          this.o.logger.error({ err: String(err) }, 'applying the group assignment failed');
        });
    });
  }

  private async reassign(assignments: GroupAssignment[]): Promise<void> {
    if (this.stopped) return;
    const parts = (assignments.find((a) => a.topic === this.o.topic)?.partitions ?? [])
      .slice()
      .sort((a, b) => a - b);
    if (this.indexer !== null) {
      await this.indexer.stop();
      this.done = addStats(this.done, this.indexer.stats);
      this.indexer = null;
    }
    this.assigned = parts;
    this.o.logger.info({ pid: process.pid, partitions: parts }, 'consumer group assignment');
    if (parts.length === 0) return;
    await this.o.store.load?.(this.o.topic, parts);
    const indexer = new Indexer({
      queue: this.o.queue,
      store: this.o.store,
      pool: this.o.pool,
      topic: this.o.topic,
      partitions: parts,
      ...(this.o.maxBytesPerFetch ? { maxBytesPerFetch: this.o.maxBytesPerFetch } : {}),
      logger: this.o.logger,
    });
    await indexer.start();
    this.indexer = indexer;
  }

  get stats(): IndexerStats | null {
    return this.indexer ? addStats(this.done, this.indexer.stats) : this.done;
  }

  lag(): ReturnType<Indexer['lag']> {
    return this.indexer?.lag() ?? { total: 0, partitions: [] };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.chain;
    if (this.indexer) {
      await this.indexer.stop();
      this.done = addStats(this.done, this.indexer.stats);
      this.indexer = null;
    }
    await this.membership?.leave();
  }
}
