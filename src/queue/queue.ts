/**
 * The queue interface, with Apache Kafka semantics: topics split into partitions, each an
 * append-only log of messages addressed by a dense 0-based offset; consumer groups that commit
 * the next offset to read. The single-node disk queue (disk/) and the Kafka queue (kafka/)
 * implement it, so the rest of logwarden has one code path for both.
 *
 * Contract:
 * - `produce` resolves only when the messages are durable (fsync'd, or acknowledged by the
 *   brokers); it rejects with LwError LW_ERR_QUEUE_FULL when the queue is at its size bound
 *   and LW_ERR_DISK_FULL when the disk is full. A rejected produce wrote nothing visible.
 * - Buffers passed to `produce` are copied (or written) before it resolves; the caller may reuse
 *   them afterwards. Buffers returned by `fetch` belong to the caller.
 * - Offsets are committed only by the consumer, after the store has the data (at-least-once).
 */

export interface QueueMessage {
  key?: Buffer | null;
  value: Buffer;
  /** Epoch milliseconds; defaults to the time of `produce`. */
  timestamp?: number;
  headers?: Record<string, string>;
}

export interface StoredMessage {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer;
  headers: Record<string, string>;
}

export interface PartitionState {
  topic: string;
  partition: number;
  /** First offset still stored. */
  startOffset: number;
  /** Offset the next produced message will get. */
  endOffset: number;
  bytes: number;
}

export interface Queue {
  /** Creates the topic with `partitions` partitions; no-op when it exists with that many. */
  createTopic(topic: string, partitions: number): Promise<void>;
  /** Number of partitions of an existing topic; throws when the topic doesn't exist. */
  partitionCount(topic: string): number;
  /** Appends messages to one partition; resolves with the offset of the first after fsync. */
  produce(topic: string, partition: number, messages: QueueMessage[]): Promise<{ baseOffset: number }>;
  /**
   * Reads messages from `offset` on. Waits up to `maxWaitMs` when none is available yet
   * (long poll, like Kafka's fetch.max.wait.ms), returns at most about `maxBytes` (at least one
   * message when any is available). Returns [] on timeout or when the queue is closing.
   */
  fetch(
    topic: string,
    partition: number,
    offset: number,
    opts?: { maxBytes?: number; maxWaitMs?: number },
  ): Promise<StoredMessage[]>;
  /** Commits `nextOffset` (the offset after the last processed message) for the group; durable. */
  commit(group: string, topic: string, partition: number, nextOffset: number): Promise<void>;
  /** The group's committed next offset, or the partition's start offset when none. */
  committed(group: string, topic: string, partition: number): Promise<number>;
  /** State of every partition of every topic (for metrics and the API). */
  state(): PartitionState[];
  /** Flushes, releases files and wakes waiting fetches. */
  close(): Promise<void>;
}
