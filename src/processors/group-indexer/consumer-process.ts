/**
 * Entry point of one consumer process of the indexer role (forked by supervisor.ts): a Kafka
 * consumer group member that fetches its partitions, parses them in one worker thread, and
 * writes through the store owner (store-ipc.ts); it commits its offsets only after the owner
 * has the rows. Reports its statistics to the supervisor every 500 ms. Exits on SIGTERM or
 * when the supervisor goes away.
 *
 * Protocol (IPC): the supervisor sends `{t: 'init', ...ConsumerInit}` first, then optionally
 * `{t: 'pipelines', set}`; the process answers `{t: 'ready'}` and then `{t: 'stats', ...}`.
 */
import { KafkaQueue, type KafkaQueueOptions } from '../../queue/kafka/kafka-queue.ts';
import { WorkerPool } from '../pool.ts';
import type { PipelineSet } from '../streams/pipeline-set.ts';
import { GroupMember } from './group-member.ts';
import { RemoteStore } from './store-ipc.ts';

export interface ConsumerInit {
  kafka: Omit<KafkaQueueOptions, 'logger'>;
  topic: string;
  partitions: number;
  maxBytesPerFetch: number;
  pipelines: PipelineSet | null;
}

function log(level: string, o: object, msg?: string): void {
  process.stderr.write(
    `${JSON.stringify({ level, time: Date.now(), pid: process.pid, name: 'kafka-consumer', ...o, msg })}\n`,
  );
}
const logger = {
  error: (o: object, m?: string) => log('error', o, m),
  warn: (o: object, m?: string) => log('warn', o, m),
  info: (o: object, m?: string) => log('info', o, m),
};

async function run(init: ConsumerInit): Promise<void> {
  const queue = new KafkaQueue({ ...init.kafka, adoptExistingPartitions: true, logger });
  await queue.createTopic(init.topic, init.partitions);
  const pool = new WorkerPool(1, ...(init.pipelines ? [init.pipelines] : []));
  const store = new RemoteStore();
  const member = new GroupMember({
    queue,
    store,
    pool,
    topic: init.topic,
    maxBytesPerFetch: init.maxBytesPerFetch,
    logger,
  });
  process.on('message', (m: { t?: string; set?: PipelineSet }) => {
    if (m?.t === 'pipelines' && m.set) pool.setPipelines(m.set);
  });
  await member.start();
  process.send!({ t: 'ready' });
  const report = setInterval(() => {
    if (process.connected)
      process.send!({ t: 'stats', stats: member.stats, partitions: member.assigned, lag: member.lag() });
  }, 500);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(report);
    await member.stop();
    await pool.close();
    await queue.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
}

process.once('message', (m: { t?: string } & ConsumerInit) => {
  if (m?.t !== 'init') return;
  run(m).catch((err) => {
    logger.error({ err: String((err as Error)?.stack ?? err) }, 'consumer process failed');
    process.exit(1);
  });
});
