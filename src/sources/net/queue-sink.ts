/**
 * Writes the records of a network listener into the ingest topic, one produce per batch (one
 * fsync), partitions taken in turn. The promise resolves once the batch is durable or dropped, so
 * a TCP listener pauses its connection meanwhile (backpressure).
 *
 * A full queue or disk (LW_ERR_QUEUE_FULL, LW_ERR_DISK_FULL): connection-oriented transports
 * (`retryWhenFull`) retry every 100 ms for up to retryForMs, holding the sender back; datagram
 * transports cannot be held back and drop at once. Dropped records are counted
 * (`dropped.queue_full`, `dropped.disk_full`, `dropped.shutting_down`, `dropped.queue_error`)
 * and logged; accepted ones counted in `accepted`. Never rejects.
 */
import { envelopeKey, type EnvelopeFormat } from '../../core/envelope.ts';
import { LwError } from '../../core/errors.ts';
import type { Queue, QueueMessage } from '../../queue/queue.ts';
import type { NetRecord } from './net-record.ts';
import type { ListenerLogger } from './remote.ts';
import { countDropped, type SourceStats } from './source-stats.ts';

export interface QueueSinkOptions {
  queue: Queue;
  topic: string;
  stream: string;
  format: EnvelopeFormat;
  stats: SourceStats;
  logger: ListenerLogger;
  /** Source label for logs. */
  source: string;
  isShuttingDown(): boolean;
  /** Whether to wait while the queue is full (TCP/TLS: true; UDP: false). */
  retryWhenFull: boolean;
  /** Longest wait for room in the queue. Default 60,000 ms. */
  retryForMs?: number;
}

export function queueSink(opts: QueueSinkOptions): (records: NetRecord[]) => Promise<void> {
  const { queue, topic, stats, logger } = opts;
  const key = envelopeKey(opts.stream, opts.format);
  const retryForMs = opts.retryForMs ?? 60_000;
  let partition = 0;
  return async (records) => {
    const now = Date.now();
    const msgs: QueueMessage[] = new Array(records.length);
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      msgs[i] = { key, value: Buffer.from(r.text), timestamp: now, headers: { remote: r.remote } };
    }
    const n = queue.partitionCount(topic);
    const deadline = now + retryForMs;
    for (;;) {
      try {
        await queue.produce(topic, partition++ % n, msgs);
        stats.accepted += msgs.length;
        return;
      } catch (err) {
        const code = err instanceof LwError ? err.code : '';
        const full = code === 'LW_ERR_QUEUE_FULL' || code === 'LW_ERR_DISK_FULL';
        if (full && opts.retryWhenFull && !opts.isShuttingDown() && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        const reason = opts.isShuttingDown()
          ? 'shutting_down'
          : code === 'LW_ERR_QUEUE_FULL'
            ? 'queue_full'
            : code === 'LW_ERR_DISK_FULL'
              ? 'disk_full'
              : 'queue_error';
        countDropped(stats, reason, msgs.length);
        logger.warn(
          { source: opts.source, reason, records: msgs.length, err: String(err) },
          'records dropped',
        );
        return;
      }
    }
  };
}
