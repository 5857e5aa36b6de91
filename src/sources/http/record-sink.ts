/**
 * The queue side of the HTTP protocol sources (Elasticsearch _bulk, Loki push, OTLP): collects
 * one queue message per event and appends them to the ingest topic in chunks, round-robin over
 * partitions, and remembers for each event where it went (partition and offset, from which the
 * stored `_id` derives) or why it was not appended.
 *
 * A caller that flushes only once (never looking at `shouldFlush`) gets an all-or-nothing
 * append, as one produce call is atomic.
 *
 * Contract: `flush` resolves once the appended messages are durable. A full queue or disk (or
 * an unavailable queue, or shutdown) fails only the messages of that chunk (their outcome is
 * the LwError, so a protocol can answer 429 for exactly those); later chunks are still tried.
 * Any other error is thrown. Counters are the sources' SourceStats
 * (src/sources/net/source-stats.ts); the `dropped` reasons counted here are queue_full,
 * disk_full, queue_unavailable and shutting_down.
 */
import { LwError } from '../../core/errors.ts';
import { qposToId, toQpos } from '../../core/ids.ts';
import type { Queue, QueueMessage } from '../../queue/queue.ts';
import { countDropped, countRejected, type SourceStats } from '../net/source-stats.ts';

export interface RecordSinkDeps {
  queue: Queue;
  topic: string;
}

const FLUSH_BYTES = 4 * 1024 * 1024;
const FLUSH_COUNT = 10_000;
let rr = 0;

/** Where an appended event went: its queue position. */
export interface Appended {
  partition: number;
  offset: number;
}

export class RecordBatch {
  private readonly deps: RecordSinkDeps;
  private readonly counters: SourceStats;
  private partition = rr++;
  private pending: QueueMessage[] = [];
  private pendingBytes = 0;
  /** Per partition written to: the offset after the last appended message. */
  readonly appendedUpTo = new Map<number, number>();
  /** Outcome per added message, in order of `add`. */
  private readonly outcomes: Array<Appended | LwError | null> = [];

  constructor(deps: RecordSinkDeps, counters: SourceStats) {
    this.deps = deps;
    this.counters = counters;
  }

  /** Queues one message for appending; returns its index for `outcome`. */
  add(key: Buffer, value: Buffer, headers?: Record<string, string>): number {
    // No timestamp: the queue stamps the time of the produce (when the chunk was received).
    this.pending.push(headers ? { key, value, headers } : { key, value });
    this.pendingBytes += value.length;
    this.outcomes.push(null);
    return this.outcomes.length - 1;
  }

  get shouldFlush(): boolean {
    return this.pendingBytes >= FLUSH_BYTES || this.pending.length >= FLUSH_COUNT;
  }

  get size(): number {
    return this.outcomes.length;
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const msgs = this.pending;
    const first = this.outcomes.length - msgs.length;
    this.pending = [];
    this.pendingBytes = 0;
    const n = this.deps.queue.partitionCount(this.deps.topic);
    const partition = this.partition++ % n;
    try {
      const { baseOffset } = await this.deps.queue.produce(this.deps.topic, partition, msgs);
      for (let i = 0; i < msgs.length; i++) this.outcomes[first + i] = { partition, offset: baseOffset + i };
      this.appendedUpTo.set(
        partition,
        Math.max(this.appendedUpTo.get(partition) ?? 0, baseOffset + msgs.length),
      );
      this.counters.accepted += msgs.length;
    } catch (err) {
      // Full queue or disk, queue unavailable, shutting down: the client may retry these.
      if (!(err instanceof LwError && (err.status === 429 || err.status === 503 || err.status === 507)))
        throw err;
      for (let i = 0; i < msgs.length; i++) this.outcomes[first + i] = err;
      countDropped(this.counters, err.code.slice('LW_ERR_'.length).toLowerCase(), msgs.length);
    }
  }

  /** After `flush`: the queue position of message `i`, or the error that kept it out. */
  outcome(i: number): Appended | LwError {
    const o = this.outcomes[i];
    if (o === null || o === undefined) throw new Error(`BUG: outcome of message ${i} asked before flush`);
    return o;
  }

  /** Whether message `i` is durable in the queue (false when it failed or was never flushed). */
  appended(i: number): boolean {
    const o = this.outcomes[i];
    return o !== null && o !== undefined && !(o instanceof LwError);
  }

  /** The first error of a failed chunk, if any (for protocols that answer per request). */
  firstError(): LwError | null {
    for (const o of this.outcomes) if (o instanceof LwError) return o;
    return null;
  }

  /** The `_id` the store gives the event appended as message `i`. */
  static eventId(a: Appended): string {
    return qposToId(toQpos(a.partition, a.offset));
  }
}

const MAX_ERRORS = 20;

/** Rejected events of one request: counted by reason, the first few messages kept for the answer. */
export class Rejections {
  count = 0;
  readonly errors: string[] = [];
  private readonly counters: SourceStats;

  constructor(counters: SourceStats) {
    this.counters = counters;
  }

  add(reason: string, error: string): void {
    this.count++;
    countRejected(this.counters, reason);
    if (this.errors.length < MAX_ERRORS) this.errors.push(error);
  }

  /** One line for a plain-text answer: how many, and the first errors. */
  summary(total: number): string {
    const more = this.count > this.errors.length ? `; and ${this.count - this.errors.length} more` : '';
    return `${this.count} of ${total} entries rejected (the others were stored): ${this.errors.join('; ')}${more}`;
  }
}

/**
 * Where decoders of JSON-shaped protocols (Loki push, OTLP) put what they decoded: `record`
 * serialises one event as a JSON record for the batch, rejecting it when it is over
 * `maxLineBytes` or, for a body that was not valid UTF-8 (`suspectUtf8`; JSON.parse replaced the
 * bad bytes by U+FFFD), when it carries a replacement character, so only the affected events are
 * rejected; `reject` counts a decoder's own rejection.
 */
export class JsonRecordSink {
  private readonly batch: RecordBatch;
  private readonly rejections: Rejections;
  private readonly key: Buffer;
  private readonly maxLineBytes: number;
  private readonly suspectUtf8: boolean;
  private seen = 0;

  constructor(
    batch: RecordBatch,
    rejections: Rejections,
    key: Buffer,
    maxLineBytes: number,
    suspectUtf8: boolean,
  ) {
    this.batch = batch;
    this.rejections = rejections;
    this.key = key;
    this.maxLineBytes = maxLineBytes;
    this.suspectUtf8 = suspectUtf8;
  }

  record(fields: Record<string, unknown>): void {
    const n = this.seen++;
    const text = JSON.stringify(fields);
    if (this.suspectUtf8 && text.includes('\uFFFD')) {
      this.rejections.add(
        'invalid_utf8',
        `event ${n} (in request order) holds bytes that are not valid UTF-8`,
      );
      return;
    }
    const v = Buffer.from(text);
    if (v.length > this.maxLineBytes) {
      this.rejections.add(
        'too_large',
        `event ${n} is ${v.length} bytes, over the limit of ${this.maxLineBytes}`,
      );
      return;
    }
    this.batch.add(this.key, v);
  }

  reject(reason: string, error: string): void {
    this.seen++;
    this.rejections.add(reason, error);
  }
}
