/**
 * The indexer role with Kafka: forks one consumer process per partition, up to the number of
 * cores (`count`), all members of one consumer group, and owns the store they write through
 * (only one process may open the embedded store). A consumer that dies is restarted after a
 * second; meanwhile the group moves its partitions to the others. Lag per partition is the
 * topic's end offset minus the store's watermark (what is durable), and per group the end
 * offset minus the group's committed offset.
 */
import { type ChildProcess, fork } from 'node:child_process';
import type { EventBatch } from '../../core/event-batch.ts';
import { INDEXER_GROUP, type IndexerStats } from '../indexer.ts';
import type { KafkaQueue } from '../../queue/kafka/kafka-queue.ts';
import type { Store } from '../../store/store.ts';
import type { PipelineSet } from '../streams/pipeline-set.ts';
import type { ConsumerInit } from './consumer-process.ts';
import { addStats } from './stats.ts';
import { serveStore } from './store-ipc.ts';
import { pollUntil } from '../../core/poll.ts';

export interface SupervisorOptions {
  count: number;
  init: Omit<ConsumerInit, 'pipelines'>;
  /** The supervisor's own queue client: end offsets and the group's committed offsets. */
  queue: KafkaQueue;
  store: Store;
  pipelines?: () => PipelineSet;
  /** Called with each batch once the store has it (live tail). */
  onStored?: (batch: EventBatch) => void;
  logger: {
    error: (o: object, m?: string) => void;
    warn: (o: object, m?: string) => void;
    info: (o: object, m?: string) => void;
  };
}

interface Slot {
  index: number;
  child: ChildProcess | null;
  stats: IndexerStats | null;
  partitions: number[];
  restarts: number;
}

const ZERO: IndexerStats = {
  indexed: 0,
  skipped: 0,
  batches: 0,
  writes: 0,
  errors: 0,
  dropped: {},
  pipelineErrors: {},
} as IndexerStats;

export class ConsumerSupervisor {
  private readonly o: SupervisorOptions;
  private readonly slots: Slot[] = [];
  /** Statistics of consumer processes that exited. */
  private dead: IndexerStats | null = null;
  private running = false;
  private committed = new Map<number, number>();
  private committedTimer: NodeJS.Timeout | null = null;

  constructor(o: SupervisorOptions) {
    this.o = o;
  }

  async start(): Promise<void> {
    this.running = true;
    for (let i = 0; i < this.o.count; i++) {
      const slot: Slot = { index: i, child: null, stats: null, partitions: [], restarts: 0 };
      this.slots.push(slot);
    }
    await Promise.all(this.slots.map((s) => this.spawn(s)));
    this.committedTimer = setInterval(() => this.sampleCommitted().catch(() => undefined), 1000);
    this.committedTimer.unref();
    await this.sampleCommitted().catch(() => undefined);
  }

  /** Pushes a new pipeline set to every consumer process. */
  setPipelines(set: PipelineSet): void {
    for (const s of this.slots) if (s.child?.connected) s.child.send({ t: 'pipelines', set });
  }

  private spawn(slot: Slot): Promise<void> {
    const child = fork(new URL('./consumer-process.ts', import.meta.url), [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    slot.child = child;
    slot.stats = null;
    slot.partitions = [];
    serveStore(child, this.o.store, this.o.onStored);
    const init: ConsumerInit = { ...this.o.init, pipelines: this.o.pipelines?.() ?? null };
    child.send({ t: 'init', ...init });
    const ready = new Promise<void>((resolve) => {
      child.on('message', (m: { t?: string; stats?: IndexerStats | null; partitions?: number[] }) => {
        if (m?.t === 'ready') resolve();
        else if (m?.t === 'stats') {
          slot.stats = m.stats ?? null;
          slot.partitions = m.partitions ?? [];
        }
      });
      child.on('exit', () => resolve());
    });
    child.on('exit', (code, signal) => {
      if (slot.stats) this.dead = addStats(this.dead, slot.stats);
      slot.stats = null;
      slot.partitions = [];
      slot.child = null;
      if (!this.running) return;
      slot.restarts++;
      this.o.logger.warn(
        { consumer: slot.index, pid: child.pid, code, signal, restarts: slot.restarts },
        'consumer process exited; restarting it in 1 s (the group moves its partitions meanwhile)',
      );
      setTimeout(() => {
        if (this.running) this.spawn(slot).catch(() => undefined);
      }, 1000).unref();
    });
    return ready;
  }

  private async sampleCommitted(): Promise<void> {
    const { queue, init } = this.o;
    const n = queue.partitionCount(init.topic);
    for (let p = 0; p < n; p++) this.committed.set(p, await queue.committed(INDEXER_GROUP, init.topic, p));
  }

  get stats(): IndexerStats {
    let s = this.dead ?? ZERO;
    for (const slot of this.slots) if (slot.stats) s = addStats(s, slot.stats);
    return s;
  }

  /** Consumer processes: pid and assigned partitions. */
  consumers(): Array<{ pid: number | null; partitions: number[]; restarts: number }> {
    return this.slots.map((s) => ({
      pid: s.child?.pid ?? null,
      partitions: s.partitions,
      restarts: s.restarts,
    }));
  }

  /** Records not yet in the store, per partition (position = the store's watermark). */
  lag(): { total: number; partitions: Array<{ partition: number; position: number; end: number }> } {
    const { queue, store, init } = this.o;
    let total = 0;
    const partitions = queue
      .state()
      .filter((s) => s.topic === init.topic)
      .map((s) => {
        const position = Math.max(store.nextOffset(init.topic, s.partition), s.startOffset);
        total += Math.max(0, s.endOffset - position);
        return { partition: s.partition, position, end: s.endOffset };
      });
    return { total, partitions };
  }

  /** The consumer group's lag: end offset minus committed offset, per partition (sampled every second). */
  groupLag(): {
    group: string;
    total: number;
    partitions: Array<{ partition: number; committed: number; lag: number }>;
  } {
    const { queue, init } = this.o;
    let total = 0;
    const partitions = queue
      .state()
      .filter((s) => s.topic === init.topic)
      .map((s) => {
        const committed = this.committed.get(s.partition) ?? s.startOffset;
        const lag = Math.max(0, s.endOffset - committed);
        total += lag;
        return { partition: s.partition, committed, lag };
      });
    return { group: INDEXER_GROUP, total, partitions };
  }

  drain(timeoutMs: number): Promise<boolean> {
    return pollUntil(() => this.lag().total === 0, timeoutMs);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.committedTimer) clearInterval(this.committedTimer);
    await Promise.all(
      this.slots.map(async (s) => {
        const child = s.child;
        if (!child) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(t);
      }),
    );
  }
}
