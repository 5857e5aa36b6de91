/**
 * The Kafka topic audit source: subscribes, as its own consumer group (never disturbing the
 * users' groups), to the audited topics and records every message as an event of the audit
 * stream: topic, partition, offset, timestamp, key, headers, size and the SHA-256 of the value,
 * optionally the decoded value (JSON with masked keys, text, or base64). Messages with the same
 * topic, key and value hash within the window are flagged (`audit.duplicate_of`,
 * `audit.copies`). Every `sampleIntervalMs` it samples the committed offsets of the users'
 * groups on the audited topics, keeps their history for `trace` (persisted in the metadata
 * store when one is given, so a trace after a restart still answers) and stores the lag as
 * events (`audit.kind: lag`). With a `topicPattern` it also re-resolves the pattern at every
 * sample and starts auditing topics created since.
 *
 * Delivery: records go into logwarden's queue first; the audit group commits its Kafka offsets
 * only after that produce succeeded (at-least-once; a replay re-records a message with the same
 * position, which `kafka.topic/partition/offset` identify).
 */
import { createHash } from 'node:crypto';
import { Admin, Consumer, type Message } from '@platformatic/kafka';
import { envelopeKey } from '../../core/envelope.ts';
import type { Queue, QueueMessage } from '../../queue/queue.ts';
import type { MetaStore } from '../../store/meta/meta-store.ts';
import { DuplicateDetector } from './duplicates.ts';
import { GroupOffsetHistory, type TraceAnswer } from './group-offsets.ts';
import { OffsetHistoryStore } from './offset-history-store.ts';

export interface KafkaAuditOptions {
  brokers: string[];
  group: string;
  topics: string[];
  topicPattern: string | null;
  groups: string[];
  sampleIntervalMs: number;
  duplicateWindowMs: number;
  decodeValue: 'none' | 'json' | 'text' | 'base64';
  maskFields: string[];
  stream: string;
  /** logwarden's queue and the topic that ingested events go to. */
  queue: Queue;
  ingestTopic: string;
  /** Where the offset history for `trace` survives restarts; without it, memory only. */
  meta?: MetaStore;
  logger: { warn: (o: object, m?: string) => void; info: (o: object, m?: string) => void };
}

export interface KafkaAuditStats {
  messages: number;
  duplicates: number;
  samples: number;
  errors: number;
}

const FLUSH_MS = 100;
const FLUSH_COUNT = 2000;

function maskValue(v: unknown, keys: Set<string>): unknown {
  if (Array.isArray(v)) return v.map((x) => maskValue(x, keys));
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = keys.has(k) ? '***' : maskValue(x, keys);
  return out;
}

export class KafkaAudit {
  private readonly o: KafkaAuditOptions;
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly dups: DuplicateDetector;
  private readonly history = new GroupOffsetHistory();
  private readonly historyStore: OffsetHistoryStore | null;
  private readonly mask: Set<string>;
  private readonly key: Buffer;
  private topics: string[] = [];
  private pending: QueueMessage[] = [];
  /** Last message per partition in `pending`, committed after the produce. */
  private pendingLast = new Map<string, Message>();
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private sampleTimer: NodeJS.Timeout | null = null;
  private ticking = false;
  private partitionRr = 0;
  private closed = false;
  readonly stats: KafkaAuditStats = { messages: 0, duplicates: 0, samples: 0, errors: 0 };

  constructor(o: KafkaAuditOptions) {
    this.o = o;
    const base = { bootstrapBrokers: o.brokers, timeout: 5000, retries: 3, retryDelay: 500 };
    this.consumer = new Consumer({ ...base, clientId: 'logwarden-audit', groupId: o.group });
    this.admin = new Admin({ ...base, clientId: 'logwarden-audit-admin' });
    this.dups = new DuplicateDetector(o.duplicateWindowMs);
    this.mask = new Set(o.maskFields);
    this.key = envelopeKey(o.stream, 'json');
    this.historyStore = o.meta ? new OffsetHistoryStore(o.meta) : null;
  }

  async start(): Promise<void> {
    if (this.historyStore) {
      const bad = await this.historyStore.load(this.history);
      if (bad > 0)
        this.o.logger.warn({ documents: bad }, 'Kafka audit: malformed offset history documents skipped');
    }
    await this.resolveTopics();
    if (this.topics.length === 0)
      this.o.logger.warn({}, 'Kafka audit: no topic matches sources.kafkaAudit.topics/topicPattern (yet)');
    await this.sample();
    this.sampleTimer = setInterval(() => {
      if (this.ticking) return; // the previous round is still running
      this.ticking = true;
      this.resolveTopics()
        .then(() => this.sample())
        .catch((err) => {
          this.stats.errors++;
          this.o.logger.warn({ err: String(err) }, 'Kafka audit: sampling group offsets failed');
        })
        .finally(() => {
          this.ticking = false;
        });
    }, this.o.sampleIntervalMs);
    this.o.logger.info({ topics: this.topics, group: this.o.group }, 'Kafka audit started');
  }

  /** Configured topics plus those matching the pattern now; starts consuming the ones not audited yet. */
  private async resolveTopics(): Promise<void> {
    const want = new Set(this.o.topics);
    if (this.o.topicPattern !== null) {
      const re = new RegExp(this.o.topicPattern);
      for (const t of await this.admin.listTopics()) if (re.test(t)) want.add(t);
    }
    const added = [...want].filter((t) => !this.topics.includes(t)).sort();
    if (added.length === 0 || this.closed) return;
    const stream = await this.consumer.consume({
      topics: added,
      mode: 'committed',
      fallbackMode: 'earliest',
      autocommit: false,
    });
    stream.on('data', (m: Message) => this.onMessage(m));
    stream.on('error', (err: Error) => {
      this.stats.errors++;
      this.o.logger.warn({ err: String(err) }, 'Kafka audit consumer error');
    });
    const first = this.topics.length === 0 && this.sampleTimer === null;
    this.topics = [...this.topics, ...added].sort();
    if (!first)
      this.o.logger.info({ topics: added }, 'Kafka audit: new topics match topicPattern; auditing them');
  }

  private onMessage(m: Message): void {
    const value = m.value ?? Buffer.alloc(0);
    const key = m.key && m.key.length > 0 ? m.key.toString('utf8') : null;
    const hash = createHash('sha256').update(value).digest('hex');
    const ts = Number(m.timestamp);
    const pos = `${m.topic}-${m.partition}@${m.offset}`;
    const dup = this.dups.check(m.topic, key ?? '', hash, ts, pos);
    const headers: Record<string, string> = {};
    for (const [k, v] of m.headers) headers[String(k)] = v?.toString() ?? '';
    const rec: Record<string, unknown> = {
      '@timestamp': new Date(ts).toISOString(),
      message: dup
        ? `kafka message ${pos} duplicate of ${dup.duplicateOf} (copy ${dup.copies})`
        : `kafka message ${pos}`,
      kafka: {
        topic: m.topic,
        partition: m.partition,
        offset: Number(m.offset),
        key,
        headers,
        size: value.length,
        value_sha256: hash,
      },
      audit: dup
        ? { kind: 'message', duplicate_of: dup.duplicateOf, copies: dup.copies }
        : { kind: 'message' },
    };
    const decoded = this.decode(value);
    if (decoded !== undefined) rec.value = decoded;
    this.stats.messages++;
    if (dup) this.stats.duplicates++;
    this.pending.push({ key: this.key, value: Buffer.from(JSON.stringify(rec)), timestamp: Date.now() });
    this.pendingLast.set(`${m.topic}\u0000${m.partition}`, m);
    if (this.pending.length >= FLUSH_COUNT) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private decode(value: Buffer): unknown {
    switch (this.o.decodeValue) {
      case 'none':
        return undefined;
      case 'text':
        return value.toString('utf8');
      case 'base64':
        return value.toString('base64');
      case 'json':
        try {
          return maskValue(JSON.parse(value.toString('utf8')), this.mask);
        } catch {
          return { _decode_error: 'not JSON', text: value.toString('utf8').slice(0, 1024) };
        }
    }
  }

  /** Produces pending records into logwarden's queue, then commits the audit group's offsets. */
  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const msgs = this.pending;
    const last = [...this.pendingLast.values()];
    this.pending = [];
    this.pendingLast = new Map();
    if (msgs.length === 0) return;
    this.flushing = this.flushing.then(async () => {
      const n = this.o.queue.partitionCount(this.o.ingestTopic);
      for (let attempt = 0; !this.closed || attempt === 0; attempt++) {
        try {
          await this.o.queue.produce(this.o.ingestTopic, this.partitionRr++ % n, msgs);
          break;
        } catch (err) {
          this.stats.errors++;
          this.o.logger.warn(
            { err: String(err), records: msgs.length },
            'Kafka audit: queue produce failed; retrying',
          );
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
      for (const m of last) await Promise.resolve(m.commit()).catch(() => undefined);
    });
  }

  /** Samples committed offsets of the users' groups on the audited topics; stores lag events. */
  private async sample(): Promise<void> {
    if (this.topics.length === 0 || this.closed) return;
    let groups = this.o.groups;
    if (groups.length === 0) {
      groups = [...(await this.admin.listGroups()).keys()].filter(
        (g) => g !== this.o.group && !g.startsWith('logwarden-'),
      );
    }
    if (groups.length === 0) return;
    const t = Date.now();
    const [offsets, ends] = await Promise.all([
      this.admin.listConsumerGroupOffsets({ groups }),
      this.consumer.listOffsets({ topics: this.topics }),
    ]);
    const events: QueueMessage[] = [];
    for (const g of offsets) {
      for (const topic of g.topics) {
        if (!this.topics.includes(topic.name)) continue;
        for (const p of topic.partitions) {
          const committed = Number(p.committedOffset);
          if (committed < 0) continue;
          this.history.record(g.groupId, topic.name, p.partitionIndex, committed, t);
          const end = Number(ends.get(topic.name)?.[p.partitionIndex] ?? 0n);
          events.push({
            key: this.key,
            timestamp: t,
            value: Buffer.from(
              JSON.stringify({
                '@timestamp': new Date(t).toISOString(),
                message: `kafka consumer group ${g.groupId} lag ${Math.max(0, end - committed)} on ${topic.name}-${p.partitionIndex}`,
                kafka: {
                  group: g.groupId,
                  topic: topic.name,
                  partition: p.partitionIndex,
                  committed,
                  end,
                  lag: Math.max(0, end - committed),
                },
                audit: { kind: 'lag' },
              }),
            ),
          });
        }
      }
    }
    this.stats.samples++;
    await this.historyStore?.save(this.history);
    if (events.length > 0) {
      const n = this.o.queue.partitionCount(this.o.ingestTopic);
      await this.o.queue.produce(this.o.ingestTopic, this.partitionRr++ % n, events);
    }
  }

  /** Which sampled groups consumed topic-partition@offset, and when their committed offset passed it. */
  trace(topic: string, partition: number, offset: number): { audited: boolean; groups: TraceAnswer[] } {
    const groups = this.history
      .groups(topic, partition)
      .map((g) => this.history.trace(g, topic, partition, offset))
      .filter((x): x is TraceAnswer => x !== null);
    return { audited: this.topics.includes(topic), groups };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.sampleTimer) clearInterval(this.sampleTimer);
    this.flush();
    await this.flushing;
    await this.historyStore?.save(this.history, true).catch((err) => {
      this.o.logger.warn({ err: String(err) }, 'Kafka audit: saving the offset history failed');
    });
    await Promise.allSettled([this.consumer.close(true), this.admin.close()]);
  }
}

/** Starts the audit when configured (sources.kafkaAudit); null when it is not. */
export async function startKafkaAudit(
  config: Omit<KafkaAuditOptions, 'queue' | 'ingestTopic' | 'logger' | 'meta'> | null,
  deps: Pick<KafkaAuditOptions, 'queue' | 'ingestTopic' | 'logger' | 'meta'>,
): Promise<KafkaAudit | null> {
  if (config === null) return null;
  const audit = new KafkaAudit({ ...config, ...deps });
  await audit.start();
  return audit;
}
