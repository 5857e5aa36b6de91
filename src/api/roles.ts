/**
 * Roles and queue selection for the composition root (app.ts): which queue a process uses (the
 * embedded disk queue, or Apache Kafka) and who indexes.
 *
 * - all: one process does everything; with Kafka it is the only member of the indexer's
 *   consumer group and indexes every partition in-process.
 * - ingest: sources -> Kafka only; no indexing (search on this node sees nothing it ingests).
 * - indexer: Kafka -> store. Forks one consumer process per partition up to the number of
 *   cores (queue.kafka.consumers), all in one consumer group. The embedded store is one DuckDB
 *   file that only one process may open, so the indexer process owns it: consumer processes
 *   fetch and parse, and hand their batches to it over IPC (processors/group-indexer). The
 *   indexer process therefore also serves search.
 * - api: search, UI and alerts without indexing; needs a store that other processes can read
 *   while the indexer writes (a cluster store). With the embedded store it is refused: search
 *   runs on the indexer role instead.
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Config } from '../core/config.ts';
import type { EventBatch } from '../core/event-batch.ts';
import { LwError } from '../core/errors.ts';
import { ConsumerSupervisor } from '../processors/group-indexer/supervisor.ts';
import { Indexer, type IndexerStats } from '../processors/indexer.ts';
import type { WorkerPool } from '../processors/pool.ts';
import type { PipelineSet } from '../processors/streams/pipeline-set.ts';
import { DiskQueue } from '../queue/disk/disk-queue.ts';
import { KafkaQueue } from '../queue/kafka/kafka-queue.ts';
import type { Queue } from '../queue/queue.ts';
import type { Store } from '../store/store.ts';

type Logger = {
  error: (o: object, m?: string) => void;
  warn: (o: object, m?: string) => void;
  info: (o: object, m?: string) => void;
};

/** Refuses role/queue combinations that can't work, with what to do instead. */
export function checkRole(config: Config): void {
  if (config.role !== 'all' && config.queue.type !== 'kafka') {
    throw new LwError('LW_ERR_CONFIG', [
      `role ${config.role} needs queue.type kafka (--queue kafka): with the embedded disk queue one process does everything (role all)`,
    ]);
  }
  if (config.role === 'api') {
    throw new LwError('LW_ERR_CONFIG', [
      'role api needs a store that other processes can read while the indexer writes; the embedded store (DuckDB) ' +
        'is owned by the indexer process, which serves search itself: run --role indexer and query it',
    ]);
  }
}

/** Opens the configured queue and creates the ingest topic (partitions default: CPU cores). */
export async function openQueue(
  config: Config,
  dataDir: string,
  topic: string,
  logger: Logger,
): Promise<Queue> {
  const partitions = config.queue.partitions ?? availableParallelism();
  if (config.queue.type === 'disk') {
    const queue = new DiskQueue({
      dir: path.join(dataDir, 'queue'),
      maxBytes: config.queue.maxBytes,
      segmentBytes: config.queue.segmentBytes,
      logger,
    });
    await queue.open();
    await queue.createTopic(topic, partitions);
    return queue;
  }
  const queue = new KafkaQueue(kafkaOptions(config, topic, logger));
  try {
    await queue.createTopic(topic, partitions);
  } catch (err) {
    await queue.close();
    throw err;
  }
  return queue;
}

function kafkaOptions(config: Config, topic: string, logger?: Logger) {
  const k = config.queue.kafka;
  return {
    brokers: k.brokers,
    clientId: `logwarden-${config.role}`,
    replicationFactor: k.replicationFactor,
    compression: k.compression,
    acks: k.acks,
    batchBytes: k.batchBytes,
    lingerMs: k.lingerMs,
    fetchMinBytes: k.fetchMinBytes,
    fetchMaxWaitMs: k.fetchMaxWaitMs,
    sessionTimeoutMs: k.sessionTimeoutMs,
    retentionMs: k.retentionMs,
    retentionBytes: k.retentionBytes,
    requestTimeoutMs: k.requestTimeoutMs,
    topicNames: { [topic]: k.topic },
    // Without a configured count, an existing topic's count wins (machines differ in cores).
    adoptExistingPartitions: config.queue.partitions === undefined,
    ...(logger ? { logger } : {}),
  };
}

/** What app.ts needs from whoever indexes in this process. */
export interface Indexing {
  readonly stats: IndexerStats;
  lag(): { total: number; partitions: Array<{ partition: number; position: number; end: number }> };
  /** Extra state for GET /api/v1/queue (consumer processes, group lag). */
  describe(): Record<string, unknown>;
  /** Consumer group lag per partition (Kafka), for /metrics. */
  groupLag(): { group: string; partitions: Array<{ partition: number; lag: number }> } | null;
  drain(timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

export interface IndexingDeps {
  queue: Queue;
  store: Store;
  pool: WorkerPool;
  topic: string;
  logger: Logger;
  onStored?: (batch: EventBatch) => void;
  pipelines?: { current: () => PipelineSet; subscribe: (fn: (set: PipelineSet) => void) => void };
}

/** Starts indexing as the role says: in-process, by consumer processes, or not at all. */
export async function startIndexing(config: Config, deps: IndexingDeps): Promise<Indexing> {
  const { queue, store, pool, topic, logger } = deps;
  if (config.role === 'ingest') {
    const zero = new Indexer({ queue, store, pool, topic, logger, partitions: [] });
    return {
      stats: zero.stats,
      lag: () => ({ total: 0, partitions: [] }),
      describe: () => ({ role: 'ingest' }),
      groupLag: () => null,
      drain: async () => true,
      stop: async () => {},
    };
  }
  if (config.role === 'indexer') {
    const kq = queue as KafkaQueue;
    const partitions = queue.partitionCount(topic);
    const sup = new ConsumerSupervisor({
      count: config.queue.kafka.consumers ?? Math.min(partitions, availableParallelism()),
      init: {
        kafka: kafkaOptions(config, topic),
        topic,
        partitions,
        maxBytesPerFetch: config.queue.kafka.maxBytesPerFetch,
      },
      queue: kq,
      store,
      logger,
      ...(deps.onStored ? { onStored: deps.onStored } : {}),
      ...(deps.pipelines ? { pipelines: deps.pipelines.current } : {}),
    });
    deps.pipelines?.subscribe((set) => sup.setPipelines(set));
    await sup.start();
    return {
      get stats() {
        return sup.stats;
      },
      lag: () => sup.lag(),
      describe: () => ({ role: 'indexer', consumers: sup.consumers(), group: sup.groupLag() }),
      groupLag: () => sup.groupLag(),
      drain: (ms) => sup.drain(ms),
      stop: () => sup.stop(),
    };
  }
  const indexer = new Indexer({
    queue,
    store,
    pool,
    topic,
    logger,
    ...(config.queue.type === 'kafka' ? { maxBytesPerFetch: config.queue.kafka.maxBytesPerFetch } : {}),
    ...(deps.onStored ? { onStored: deps.onStored } : {}),
  });
  await indexer.start();
  return {
    stats: indexer.stats,
    lag: () => indexer.lag(),
    describe: () => ({ role: 'all' }),
    groupLag: () => null,
    drain: (ms) => indexer.drain(ms),
    stop: () => indexer.stop(),
  };
}
