/**
 * The `Queue` interface on Apache Kafka (the Kafka protocol through `@platformatic/kafka`).
 *
 * - produce: messages of concurrent `produce` calls are gathered per partition (Kafka's
 *   batch.size / linger.ms: a send goes out when `batchBytes` are pending or `lingerMs` after the
 *   first) and sent with the configured compression and acks; each call resolves with its base
 *   offset once the broker acknowledged the batch. When the brokers can't be reached the call
 *   rejects with LW_ERR_QUEUE_UNAVAILABLE (HTTP 503 with Retry-After) and nothing is acknowledged.
 * - fetch: a Fetch request for one partition at an offset straight to its leader, long-polling up
 *   to min(maxWaitMs, fetchMaxWaitMs) for `fetchMinBytes`; records before the offset (Kafka
 *   returns whole batches) are dropped.
 * - commit / committed: OffsetCommit / OffsetFetch of the group. While this process is a member
 *   of the group (`joinGroup`), commits carry its generation, so a member that lost a partition
 *   in a rebalance cannot move the group's offset; otherwise they are standalone commits.
 * - state: start and end offsets per partition, refreshed every second and on every produce and
 *   fetch answer (so lag is current where the data flows).
 * - createTopic: creates missing topics with the partitions, replication factor and retention
 *   (time, size) configured; an existing topic with another partition count is an error that
 *   names both counts, unless `adoptExistingPartitions` (the count was not configured).
 */
import { Admin, Consumer, type fetchV17, type GroupAssignment, Producer } from '@platformatic/kafka';
import { LwError } from '../../core/errors.ts';
import type { PartitionState, Queue, QueueMessage, StoredMessage } from '../queue.ts';

export type KafkaCompression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
export type KafkaAcks = 'all' | 'leader' | 'none';

export interface KafkaQueueOptions {
  /** Bootstrap brokers, HOST:PORT. */
  brokers: string[];
  clientId?: string;
  replicationFactor?: number;
  compression?: KafkaCompression;
  acks?: KafkaAcks;
  /** Producer batch.size: bytes per partition that trigger a send at once. */
  batchBytes?: number;
  /** Producer linger.ms: how long the first pending message waits for more. */
  lingerMs?: number;
  /** Consumer fetch.min.bytes. */
  fetchMinBytes?: number;
  /** Consumer fetch.max.wait.ms (upper bound of a fetch's long poll). */
  fetchMaxWaitMs?: number;
  /** Consumer session.timeout.ms for group members. */
  sessionTimeoutMs?: number;
  /** Heartbeat interval of group members; default a third of the session timeout, at most 3 s. */
  heartbeatIntervalMs?: number;
  /** Topic retention.ms for created topics (-1: unlimited). */
  retentionMs?: number;
  /** Topic retention.bytes per partition for created topics (-1: unlimited). */
  retentionBytes?: number;
  /** Request timeout; a produce gives up (503) after about this times (retries + 1). */
  requestTimeoutMs?: number;
  /** Kafka topic name per logical topic (e.g. ingest -> logwarden-ingest); others map to themselves. */
  topicNames?: Record<string, string>;
  /** Accept an existing topic's partition count instead of failing on a mismatch. */
  adoptExistingPartitions?: boolean;
  logger?: { warn: (o: object, m?: string) => void; info: (o: object, m?: string) => void };
}

interface Pending {
  messages: readonly QueueMessage[];
  bytes: number;
  resolve: (r: { baseOffset: number }) => void;
  reject: (err: unknown) => void;
}

interface PartitionBuffer {
  calls: Pending[];
  bytes: number;
  timer: NodeJS.Timeout | null;
}

interface TopicMeta {
  id: string;
  leaders: number[];
}

const ACKS: Record<KafkaAcks, number> = { all: -1, leader: 1, none: 0 };
/** Shared by fetched messages without headers / with an empty key or value (read-only). */
const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const EMPTY = Buffer.alloc(0);

/** The message of a failed call with its nested causes (the client wraps per-attempt errors). */
function describe(err: unknown): string {
  const seen = new Set<string>();
  const walk = (e: (Error & { errors?: unknown[]; cause?: unknown }) | undefined, depth: number) => {
    if (!e || depth > 4) return;
    if (e.message) seen.add(e.message.replace(/\.$/, ''));
    for (const x of e.errors ?? []) walk(x as Error, depth + 1);
    if (e.cause) walk(e.cause as Error, depth + 1);
  };
  walk(err as Error, 0);
  return [...seen].join(': ');
}

function encodeHeaders(h: Record<string, string>): Map<Buffer, Buffer> {
  const out = new Map<Buffer, Buffer>();
  for (const k in h) out.set(Buffer.from(k), Buffer.from(h[k]));
  return out;
}

export class KafkaQueue implements Queue {
  private readonly o: Required<Omit<KafkaQueueOptions, 'logger'>> & Pick<KafkaQueueOptions, 'logger'>;
  private readonly admin: Admin;
  private readonly producer: Producer;
  /** Fetches and lists offsets; never joins a group. */
  private readonly reader: Consumer;
  /** Per group: the member consumer (joinGroup) or a standalone one for commits. */
  private readonly groups = new Map<string, { consumer: Consumer; member: boolean }>();
  private readonly topics = new Map<string, TopicMeta>();
  private readonly buffers = new Map<string, PartitionBuffer>();
  private readonly states = new Map<string, PartitionState>();
  private readonly inflight = new Set<Promise<void>>();
  private refreshTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(o: KafkaQueueOptions) {
    if (o.brokers.length === 0) throw new LwError('LW_ERR_CONFIG', ['queue.kafka.brokers is empty']);
    this.o = {
      clientId: 'logwarden',
      replicationFactor: 1,
      compression: 'none',
      acks: 'all',
      batchBytes: 1024 * 1024,
      lingerMs: 0,
      fetchMinBytes: 1,
      fetchMaxWaitMs: 500,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: Math.min(3000, Math.floor((o.sessionTimeoutMs ?? 10_000) / 3)),
      retentionMs: 7 * 86_400_000,
      retentionBytes: -1,
      requestTimeoutMs: 5000,
      adoptExistingPartitions: false,
      topicNames: {},
      ...o,
    };
    const base = {
      bootstrapBrokers: this.o.brokers,
      timeout: this.o.requestTimeoutMs,
      connectTimeout: Math.min(this.o.requestTimeoutMs, 3000),
      retries: 2,
      retryDelay: 250,
    };
    this.admin = new Admin({ ...base, clientId: `${this.o.clientId}-admin` });
    this.producer = new Producer({
      ...base,
      clientId: `${this.o.clientId}-producer`,
      acks: ACKS[this.o.acks],
      compression: this.o.compression,
    });
    this.reader = new Consumer({
      ...base,
      clientId: `${this.o.clientId}-reader`,
      groupId: `${this.o.clientId}-reader`,
    });
  }

  private unavailable(what: string, err: unknown): LwError {
    return new LwError('LW_ERR_QUEUE_UNAVAILABLE', [
      `Kafka (${this.o.brokers.join(',')}) did not answer ${what}: ${describe(err)}`,
    ]);
  }

  async createTopic(topic: string, partitions: number): Promise<void> {
    let meta = await this.loadTopic(topic);
    if (!meta) {
      try {
        await this.admin.createTopics({
          topics: [this.kafkaTopic(topic)],
          partitions,
          replicas: this.o.replicationFactor,
          configs: [
            { name: 'retention.ms', value: String(this.o.retentionMs) },
            { name: 'retention.bytes', value: String(this.o.retentionBytes) },
          ],
        });
      } catch (err) {
        // Another process may have created it meanwhile (TOPIC_ALREADY_EXISTS): re-read below.
        if (!/already exists/i.test(describe(err))) throw this.unavailable(`creating topic "${topic}"`, err);
      }
      for (let i = 0; i < 50 && !(meta = await this.loadTopic(topic)); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      if (!meta)
        throw this.unavailable(`metadata of the new topic "${topic}"`, new Error('topic not visible'));
      this.o.logger?.info({ topic, partitions: meta.leaders.length }, 'Kafka topic created');
    }
    if (meta.leaders.length !== partitions) {
      if (!this.o.adoptExistingPartitions) {
        this.topics.delete(topic);
        throw new LwError('LW_ERR_CONFIG', [
          `Kafka topic "${this.kafkaTopic(topic)}" exists with ${meta.leaders.length} partitions, but queue.partitions is ${partitions}; ` +
            `set queue.partitions to ${meta.leaders.length}, or add partitions to the topic with Kafka's tools`,
        ]);
      }
      this.o.logger?.info(
        { topic, partitions: meta.leaders.length },
        'using the existing Kafka topic with its partition count',
      );
    }
    await this.refreshState();
    this.refreshTimer ??= setInterval(() => {
      this.refreshState().catch(() => undefined);
    }, 1000);
    this.refreshTimer.unref();
  }

  /** Loads a topic's id and partition leaders; null when it doesn't exist. */
  private async loadTopic(topic: string): Promise<TopicMeta | null> {
    let md: Awaited<ReturnType<Admin['metadata']>>;
    try {
      md = await this.admin.metadata({ topics: [this.kafkaTopic(topic)], forceUpdate: true });
    } catch (err) {
      if (/UNKNOWN_TOPIC_OR_PARTITION|does not host this topic|unknown topic/i.test(describe(err)))
        return null;
      throw this.unavailable('a metadata request', err);
    }
    const t = md.topics.get(this.kafkaTopic(topic));
    if (!t) return null;
    const leaders: number[] = [];
    for (const [i, p] of t.partitions.entries()) leaders[i] = p.leader;
    const meta = { id: t.id, leaders };
    this.topics.set(topic, meta);
    return meta;
  }

  /** The Kafka topic behind a logical topic name. */
  kafkaTopic(topic: string): string {
    return this.o.topicNames[topic] ?? topic;
  }

  partitionCount(topic: string): number {
    const t = this.topics.get(topic);
    if (!t) throw new Error(`BUG: Kafka topic "${topic}" used before createTopic`);
    return t.leaders.length;
  }

  produce(topic: string, partition: number, messages: QueueMessage[]): Promise<{ baseOffset: number }> {
    if (this.closed) return Promise.reject(new LwError('LW_ERR_SHUTTING_DOWN'));
    if (messages.length === 0)
      return Promise.resolve({ baseOffset: this.partitionState(topic, partition).endOffset });
    const key = `${topic}\u0000${partition}`;
    let buf = this.buffers.get(key);
    if (!buf) {
      buf = { calls: [], bytes: 0, timer: null };
      this.buffers.set(key, buf);
    }
    let bytes = 0;
    for (const m of messages) bytes += m.value.length + (m.key?.length ?? 0) + 16;
    const b = buf;
    return new Promise((resolve, reject) => {
      b.calls.push({ messages, bytes, resolve, reject });
      b.bytes += bytes;
      if (b.bytes >= this.o.batchBytes) this.send(topic, partition, b);
      else if (b.timer === null) {
        b.timer =
          this.o.lingerMs > 0
            ? setTimeout(() => this.send(topic, partition, b), this.o.lingerMs)
            : (setImmediate(() => this.send(topic, partition, b)) as unknown as NodeJS.Timeout);
      }
    });
  }

  /** Sends what is pending for one partition as one record batch. */
  private send(topic: string, partition: number, b: PartitionBuffer): void {
    if (b.timer !== null) {
      clearTimeout(b.timer);
      clearImmediate(b.timer as unknown as NodeJS.Immediate);
      b.timer = null;
    }
    const calls = b.calls;
    if (calls.length === 0) return;
    b.calls = [];
    b.bytes = 0;
    const now = BigInt(Date.now());
    const kt = this.kafkaTopic(topic);
    const records = [];
    // The messages of one call mostly share a receive time: convert each distinct one to a
    // BigInt once, not per record.
    let lastTs = Number.NaN;
    let lastBig = now;
    for (const c of calls) {
      for (const m of c.messages) {
        let ts = now;
        if (m.timestamp !== undefined) {
          if (m.timestamp !== lastTs) {
            lastTs = m.timestamp;
            lastBig = BigInt(m.timestamp);
          }
          ts = lastBig;
        }
        records.push({
          topic: kt,
          partition,
          key: m.key ?? undefined,
          value: m.value,
          timestamp: ts,
          headers: m.headers && encodeHeaders(m.headers),
        });
      }
    }
    const partitioner = () => partition;
    const sent = this.producer.send({ messages: records, partitioner }).then(
      (r) => {
        const off = r.offsets?.find((x) => x.topic === kt && x.partition === partition);
        if (!off) {
          // acks=none: the broker answers nothing, so offsets are unknown.
          for (const c of calls) c.resolve({ baseOffset: -1 });
          return;
        }
        let base = Number(off.offset);
        for (const c of calls) {
          c.resolve({ baseOffset: base });
          base += c.messages.length;
        }
        const st = this.states.get(`${topic}\u0000${partition}`);
        if (st && base > st.endOffset) st.endOffset = base;
      },
      (err) => {
        const e = this.closed
          ? new LwError('LW_ERR_SHUTTING_DOWN')
          : this.unavailable('a produce request', err);
        for (const c of calls) c.reject(e);
      },
    );
    this.inflight.add(sent);
    sent.finally(() => this.inflight.delete(sent));
  }

  async fetch(
    topic: string,
    partition: number,
    offset: number,
    opts: { maxBytes?: number; maxWaitMs?: number } = {},
  ): Promise<StoredMessage[]> {
    if (this.closed) return [];
    const meta = this.topics.get(topic) ?? (await this.loadTopic(topic));
    if (!meta) throw new LwError('LW_ERR_NOT_FOUND', [`Kafka topic "${topic}"`]);
    const maxBytes = opts.maxBytes ?? 1024 * 1024;
    let res: fetchV17.FetchResponse;
    try {
      res = await this.reader.fetch({
        node: meta.leaders[partition],
        maxWaitTime: Math.min(opts.maxWaitMs ?? this.o.fetchMaxWaitMs, this.o.fetchMaxWaitMs),
        minBytes: this.o.fetchMinBytes,
        maxBytes,
        topics: [
          {
            topicId: meta.id,
            partitions: [
              {
                partition,
                fetchOffset: BigInt(offset),
                partitionMaxBytes: maxBytes,
                currentLeaderEpoch: -1,
                lastFetchedEpoch: -1,
              },
            ],
          },
        ],
      });
    } catch (err) {
      // A moved leader or a restarted broker: reload the metadata (the last known stays until
      // then) before the caller retries.
      await this.loadTopic(topic).catch(() => undefined);
      throw this.unavailable(`a fetch of ${topic}-${partition}`, err);
    }
    const out: StoredMessage[] = [];
    const p = res.responses[0]?.partitions[0];
    if (!p) return out;
    if (p.errorCode !== 0) {
      await this.loadTopic(topic).catch(() => undefined);
      throw new LwError('LW_ERR_QUEUE_UNAVAILABLE', [
        `Kafka fetch of ${topic}-${partition} at offset ${offset} failed with error code ${p.errorCode}`,
      ]);
    }
    const st = this.states.get(`${topic}\u0000${partition}`);
    if (st) {
      st.endOffset = Number(p.highWatermark);
      st.startOffset = Number(p.logStartOffset);
    }
    // Per record only the message object: records without headers share one frozen empty object,
    // empty keys/values one empty buffer (this runs on the main thread for every event).
    for (const batch of p.records ?? []) {
      const first = Number(batch.firstOffset);
      const firstTs = Number(batch.firstTimestamp);
      for (const r of batch.records) {
        const off = first + r.offsetDelta;
        if (off < offset) continue;
        let headers: Record<string, string> = NO_HEADERS;
        if (r.headers.length > 0) {
          headers = {};
          for (const [k, v] of r.headers) if (k) headers[k.toString()] = v?.toString() ?? '';
        }
        out.push({
          topic,
          partition,
          offset: off,
          timestamp: firstTs + Number(r.timestampDelta),
          key: r.key ? (r.key.length > 0 ? r.key : EMPTY) : null,
          value: r.value ?? EMPTY,
          headers,
        });
      }
    }
    return out;
  }

  /** The consumer that commits for `group`: this process's member of it, or a standalone one. */
  private groupConsumer(group: string): Consumer {
    let g = this.groups.get(group);
    if (!g) {
      const consumer = new Consumer({
        clientId: `${this.o.clientId}-offsets`,
        groupId: group,
        bootstrapBrokers: this.o.brokers,
        timeout: this.o.requestTimeoutMs,
        retries: 2,
        retryDelay: 250,
      });
      // A standalone commit (no membership) is generation -1 with an empty member id.
      consumer.generationId = -1;
      consumer.memberId = '';
      g = { consumer, member: false };
      this.groups.set(group, g);
    }
    return g.consumer;
  }

  async commit(group: string, topic: string, partition: number, nextOffset: number): Promise<void> {
    try {
      await this.groupConsumer(group).commit({
        offsets: [{ topic: this.kafkaTopic(topic), partition, offset: BigInt(nextOffset), leaderEpoch: -1 }],
      });
    } catch (err) {
      throw this.unavailable(`an offset commit of group "${group}" for ${topic}-${partition}`, err);
    }
  }

  async committed(group: string, topic: string, partition: number): Promise<number> {
    let offsets: Awaited<ReturnType<Consumer['listCommittedOffsets']>>;
    try {
      offsets = await this.groupConsumer(group).listCommittedOffsets({
        topics: [{ topic: this.kafkaTopic(topic), partitions: [partition] }],
      });
    } catch (err) {
      throw this.unavailable(`an offset fetch of group "${group}"`, err);
    }
    const v = offsets.get(this.kafkaTopic(topic))?.[partition];
    if (v === undefined || v < 0n) return this.partitionState(topic, partition).startOffset;
    return Number(v);
  }

  /**
   * Joins `group` as a member subscribed to `topics` (Kafka's classic group protocol, range
   * assignment by the library). `onAssign` gets this member's partitions after every rebalance;
   * from then on `commit` for this group carries the member's generation.
   */
  async joinGroup(
    group: string,
    topics: string[],
    onAssign: (assignments: GroupAssignment[]) => void,
  ): Promise<{ leave: () => Promise<void> }> {
    const consumer = new Consumer({
      clientId: `${this.o.clientId}-member`,
      groupId: group,
      bootstrapBrokers: this.o.brokers,
      timeout: this.o.requestTimeoutMs,
      retries: 5,
      retryDelay: 500,
      sessionTimeout: this.o.sessionTimeoutMs,
      rebalanceTimeout: Math.max(this.o.sessionTimeoutMs, 10_000),
      heartbeatInterval: this.o.heartbeatIntervalMs,
    });
    const old = this.groups.get(group);
    this.groups.set(group, { consumer, member: true });
    if (old) await old.consumer.close().catch(() => undefined);
    const logical = new Map(topics.map((t) => [this.kafkaTopic(t), t]));
    consumer.on('consumer:group:join', (p) =>
      onAssign((p.assignments ?? []).map((a) => ({ ...a, topic: logical.get(a.topic) ?? a.topic }))),
    );
    consumer.topics.trackAll(...logical.keys());
    await consumer.joinGroup({});
    return {
      leave: async () => {
        if (this.groups.get(group)?.consumer === consumer) this.groups.delete(group);
        try {
          await consumer.leaveGroup();
        } catch {
          // Already gone (closed or broker down): the session timeout removes the member.
        }
        await consumer.close().catch(() => undefined);
      },
    };
  }

  private partitionState(topic: string, partition: number): PartitionState {
    const key = `${topic}\u0000${partition}`;
    let st = this.states.get(key);
    if (!st) {
      st = { topic, partition, startOffset: 0, endOffset: 0, bytes: 0 };
      this.states.set(key, st);
    }
    return st;
  }

  /** Refreshes start/end offsets of every known topic (ListOffsets earliest and latest). */
  private async refreshState(): Promise<void> {
    const names = [...this.topics.keys()];
    if (names.length === 0 || this.closed) return;
    const kafkaNames = names.map((t) => this.kafkaTopic(t));
    const [earliest, latest] = await Promise.all([
      this.reader.listOffsets({ topics: kafkaNames, timestamp: -2n }),
      this.reader.listOffsets({ topics: kafkaNames, timestamp: -1n }),
    ]);
    for (const topic of names) {
      const e = earliest.get(this.kafkaTopic(topic)) ?? [];
      const l = latest.get(this.kafkaTopic(topic)) ?? [];
      for (let p = 0; p < l.length; p++) {
        const st = this.partitionState(topic, p);
        st.startOffset = Number(e[p] ?? 0n);
        st.endOffset = Math.max(st.endOffset, Number(l[p]));
      }
    }
  }

  state(): PartitionState[] {
    return [...this.states.values()];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Send what is pending before closing.
    for (const [key, b] of this.buffers) {
      const i = key.indexOf('\u0000');
      this.send(key.slice(0, i), Number(key.slice(i + 1)), b);
    }
    this.closed = true;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    await Promise.allSettled([...this.inflight]);
    await Promise.allSettled([
      this.producer.close(),
      this.reader.close(true),
      this.admin.close(),
      ...[...this.groups.values()].map((g) => g.consumer.close(true)),
    ]);
  }
}
