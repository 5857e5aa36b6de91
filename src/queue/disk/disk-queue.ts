/**
 * The single-node durable queue: the `Queue` interface (Kafka semantics) on local disk, laid
 * out like a Kafka broker's log directory.
 *
 *   <dir>/.lock                           owner pid (see dir-lock.ts)
 *   <dir>/offsets.log                     committed offsets of consumer groups (offsets-store.ts)
 *   <dir>/<topic>-<partition>/<20-digit baseOffset>.log   log segments (format in segment.ts)
 *
 * Durability: `produce` resolves only after the records are written and fdatasync'd. Group
 * commit: each partition has at most one write+fdatasync in flight; produce calls arriving
 * meanwhile queue up and all go out in the next write (one buffer, one write call) and the next
 * fdatasync. Partitions flush independently and in parallel. Offsets are assigned when a batch
 * is encoded for writing, so a failed write gives its offsets back and leaves no gap.
 *
 * Visibility: a fetch sees records only once they are durable (like Kafka's high watermark), so
 * a consumer never processes data a crash could take back.
 *
 * Recovery on open: the last segment of each partition is scanned, every record's CRC, length
 * and offset checked, and everything after the last complete batch truncated (logged as a
 * warning). Earlier segments are trusted by name and size; reads verify the CRC of each record
 * they return and report corruption with file and position.
 *
 * Retention: a segment other than the active one is deleted once every group that ever
 * committed on the topic has committed past its last offset; with no such group nothing is
 * deleted. A size bound (`maxBytes`) makes produce fail with LW_ERR_QUEUE_FULL instead of
 * deleting unconsumed data. ENOSPC while writing truncates the partial write away and fails
 * the produce with LW_ERR_DISK_FULL; the queue stays usable.
 */

import fs from 'node:fs/promises';
import path from 'node:path';
import { bug, LwError } from '../../core/errors.ts';
import type { PartitionState, Queue, QueueMessage, StoredMessage } from '../queue.ts';
import { lockDir } from './dir-lock.ts';
import { type DiskIo, defaultIo, fsyncDir, isDiskFull, type QueueLogger, stderrLogger } from './disk-io.ts';
import { OffsetsStore } from './offsets-store.ts';
import { encodeBatch, parseSegmentFileName, recordSize, Segment } from './segment.ts';

export interface DiskQueueOptions {
  /** Directory of the queue; created when missing. Only one DiskQueue may open it at a time. */
  dir: string;
  /** Bound on the bytes of all segments; produce fails with LW_ERR_QUEUE_FULL beyond it. 1 GiB. */
  maxBytes?: number;
  /** A partition starts a new segment before one would grow past this. 64 MiB. */
  segmentBytes?: number;
  /**
   * How long a partition waits after its first pending produce before writing, to gather more
   * (like Kafka's linger.ms). 0 (default): write on the next event-loop turn; group commit still
   * batches everything that arrives while a write+fdatasync is in flight.
   */
  flushIntervalMs?: number;
  /** Bytes between sparse index entries. 4 KiB. */
  indexIntervalBytes?: number;
  /** Receives recovery warnings and I/O errors; defaults to single lines on stderr. */
  logger?: QueueLogger;
  /** Write and fdatasync primitives; replaced by tests to inject ENOSPC and I/O errors. */
  io?: DiskIo;
}

const DEFAULT_MAX_BYTES = 1024 * 1024 * 1024;
const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const DEFAULT_FETCH_BYTES = 1024 * 1024;
const MAX_PARTITIONS = 10_000;
/** Kafka's rule for topic names; the partition number follows the last '-' of a directory. */
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
const PARTITION_DIR = /^(.+)-(\d+)$/;

interface ProduceRequest {
  messages: readonly QueueMessage[];
  /** Encoded size of all its records. */
  bytes: number;
  /** Default timestamp: the time of the produce call. */
  timestamp: number;
  resolve: (r: { baseOffset: number }) => void;
  reject: (err: unknown) => void;
}

interface Partition {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  /** Ascending by base offset; the last one is active (appended to). Never empty. */
  segments: Segment[];
  /** Offset after the last durable record. */
  endOffset: number;
  /** Bytes of all segments. */
  bytes: number;
  /** Produce calls waiting for the next write. */
  pending: ProduceRequest[];
  /** The flush loop, while one runs; at most one per partition. */
  flushing: Promise<void> | null;
  /** A flush is scheduled (timer or immediate) but not started. */
  scheduled: boolean;
  timer: NodeJS.Timeout | null;
  /** Long-polling fetches to wake when records become durable. */
  waiters: Set<() => void>;
}

function badParam(name: string, why: string): LwError {
  return new LwError('LW_ERR_BAD_PARAM', [name, why]);
}

export class DiskQueue implements Queue {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly flushIntervalMs: number;
  private readonly indexInterval: number;
  private readonly logger: QueueLogger;
  private readonly io: DiskIo;
  private readonly topics = new Map<string, Partition[]>();
  private readonly offsets: OffsetsStore;
  /** Bytes of all segments of all partitions. */
  private usedBytes = 0;
  /** Bytes of accepted produce calls not yet written (counted against maxBytes). */
  private pendingBytes = 0;
  private opened = false;
  private closing: Promise<void> | null = null;
  private unlock: (() => Promise<void>) | null = null;
  /** Serializes topic creation. */
  private topicOps: Promise<unknown> = Promise.resolve();
  /** Reads and segment deletions in flight; close() waits for them. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(opts: DiskQueueOptions) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.flushIntervalMs = opts.flushIntervalMs ?? 0;
    this.indexInterval = opts.indexIntervalBytes ?? 4096;
    this.logger = opts.logger ?? stderrLogger;
    this.io = opts.io ?? defaultIo;
    for (const [name, v] of [
      ['maxBytes', this.maxBytes],
      ['segmentBytes', this.segmentBytes],
      ['indexIntervalBytes', this.indexInterval],
    ] as const) {
      if (!Number.isSafeInteger(v) || v <= 0) throw new LwError('LW_ERR_CONFIG', [`${name} must be > 0`]);
    }
    if (!(this.flushIntervalMs >= 0)) throw new LwError('LW_ERR_CONFIG', ['flushIntervalMs must be >= 0']);
    this.offsets = new OffsetsStore(path.join(this.dir, 'offsets.log'), this.io, this.logger);
  }

  /** Locks the directory, recovers every partition and loads committed offsets. */
  async open(): Promise<void> {
    if (this.opened) bug('DiskQueue.open called twice');
    await fs.mkdir(this.dir, { recursive: true });
    this.unlock = await lockDir(this.dir);
    try {
      const found = new Map<string, Map<number, string>>();
      for (const entry of await fs.readdir(this.dir, { withFileTypes: true })) {
        const m = PARTITION_DIR.exec(entry.name);
        if (!entry.isDirectory() || m === null || !TOPIC_NAME.test(m[1]!)) continue;
        let parts = found.get(m[1]!);
        if (parts === undefined) found.set(m[1]!, (parts = new Map()));
        parts.set(Number(m[2]), path.join(this.dir, entry.name));
      }
      for (const [topic, parts] of found) {
        const partitions: Partition[] = [];
        this.topics.set(topic, partitions);
        for (let i = 0; i < parts.size; i++) {
          const dir = parts.get(i);
          if (dir === undefined) {
            throw new LwError('LW_ERR_CONFIG', [
              `queue directory ${this.dir}: topic ${topic} lacks partition ${i}`,
            ]);
          }
          partitions.push(await this.loadPartition(topic, i, dir));
        }
      }
      await this.offsets.open();
      this.opened = true;
      for (const partitions of this.topics.values()) {
        for (const p of partitions) await this.applyRetention(p);
      }
    } catch (err) {
      await this.releaseFiles();
      throw err;
    }
  }

  private async loadPartition(topic: string, partition: number, dir: string): Promise<Partition> {
    const bases = (await fs.readdir(dir))
      .map(parseSegmentFileName)
      .filter((b) => b >= 0)
      .sort((a, b) => a - b);
    const segments: Segment[] = [];
    const p: Partition = {
      topic,
      partition,
      dir,
      segments,
      endOffset: 0,
      bytes: 0,
      pending: [],
      flushing: null,
      scheduled: false,
      timer: null,
      waiters: new Set(),
    };
    if (bases.length === 0) {
      // A crash between creating the directory and its first segment.
      segments.push(await Segment.create(dir, 0, this.indexInterval));
      await fsyncDir(dir);
      return p;
    }
    for (const base of bases.slice(0, -1)) {
      const seg = new Segment(dir, base, 0, null, this.indexInterval);
      seg.size = (await fs.stat(seg.path)).size;
      segments.push(seg);
      p.bytes += seg.size;
    }
    const last = new Segment(dir, bases.at(-1)!, 0, null, this.indexInterval);
    segments.push(last);
    last.fh = await fs.open(last.path, 'r+');
    const fileSize = (await last.fh.stat()).size;
    const r = await last.scan(fileSize, true);
    if (r.problem !== null) {
      const truncatedBytes = fileSize - r.validBytes;
      this.logger.warn(
        { file: last.path, truncatedBytes, validBytes: r.validBytes, problem: r.problem },
        `truncating ${truncatedBytes} bytes of a torn or corrupt tail from ${last.path}: ${r.problem}`,
      );
      await last.fh.truncate(r.validBytes);
      await last.fh.datasync();
    }
    last.size = r.validBytes;
    p.bytes += last.size;
    p.endOffset = r.nextOffset;
    this.usedBytes += p.bytes;
    return p;
  }

  async createTopic(topic: string, partitions: number): Promise<void> {
    this.checkOpen();
    if (typeof topic !== 'string' || !TOPIC_NAME.test(topic) || topic === '.' || topic === '..') {
      throw badParam('topic', 'must be 1 to 249 characters of A-Z a-z 0-9 . _ -');
    }
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
      throw badParam('partitions', `must be an integer from 1 to ${MAX_PARTITIONS}`);
    }
    const op = this.topicOps.then(() => this.doCreateTopic(topic, partitions));
    this.topicOps = op.catch(() => undefined);
    return op;
  }

  private async doCreateTopic(topic: string, count: number): Promise<void> {
    const existing = this.topics.get(topic) ?? [];
    if (existing.length === count) return;
    if (existing.length > count) {
      throw badParam('partitions', `topic ${topic} has ${existing.length} partitions; they can't be reduced`);
    }
    const added: Partition[] = [];
    for (let i = existing.length; i < count; i++) {
      const dir = path.join(this.dir, `${topic}-${i}`);
      await fs.mkdir(dir, { recursive: true });
      const seg = await Segment.create(dir, 0, this.indexInterval);
      added.push({
        topic,
        partition: i,
        dir,
        segments: [seg],
        endOffset: 0,
        bytes: 0,
        pending: [],
        flushing: null,
        scheduled: false,
        timer: null,
        waiters: new Set(),
      });
      await fsyncDir(dir);
    }
    await fsyncDir(this.dir);
    this.topics.set(topic, existing.concat(added));
  }

  partitionCount(topic: string): number {
    const partitions = this.topics.get(topic);
    if (partitions === undefined) throw new LwError('LW_ERR_NOT_FOUND', [`topic ${topic}`]);
    return partitions.length;
  }

  private partitionOf(topic: string, partition: number): Partition {
    const partitions = this.topics.get(topic);
    if (partitions === undefined) throw new LwError('LW_ERR_NOT_FOUND', [`topic ${topic}`]);
    const p = partitions[partition];
    if (p === undefined || !Number.isInteger(partition)) {
      throw new LwError('LW_ERR_NOT_FOUND', [`partition ${partition} of topic ${topic}`]);
    }
    return p;
  }

  private checkOpen(): void {
    if (this.closing !== null) throw new LwError('LW_ERR_SHUTTING_DOWN');
    if (!this.opened) bug('DiskQueue used before open()');
  }

  async produce(topic: string, partition: number, messages: QueueMessage[]): Promise<{ baseOffset: number }> {
    this.checkOpen();
    const p = this.partitionOf(topic, partition);
    if (!Array.isArray(messages) || messages.length === 0) throw badParam('messages', 'must not be empty');
    let bytes = 0;
    for (let i = 0; i < messages.length; i++) bytes += recordSize(messages[i]!);
    if (this.usedBytes + this.pendingBytes + bytes > this.maxBytes) {
      throw new LwError('LW_ERR_QUEUE_FULL', [this.maxBytes], {
        usedBytes: this.usedBytes + this.pendingBytes,
      });
    }
    this.pendingBytes += bytes;
    return new Promise((resolve, reject) => {
      p.pending.push({ messages, bytes, timestamp: Date.now(), resolve, reject });
      this.scheduleFlush(p);
    });
  }

  private scheduleFlush(p: Partition): void {
    if (p.flushing !== null || p.scheduled) return;
    p.scheduled = true;
    const start = () => {
      p.scheduled = false;
      p.timer = null;
      p.flushing = this.flushLoop(p);
    };
    if (this.flushIntervalMs > 0) p.timer = setTimeout(start, this.flushIntervalMs);
    else setImmediate(start);
  }

  /** Writes pending produce calls until none is left; never rejects. */
  private async flushLoop(p: Partition): Promise<void> {
    while (p.pending.length > 0) {
      const reqs = p.pending;
      p.pending = [];
      await this.writeRequests(p, reqs);
    }
    p.flushing = null;
  }

  /**
   * Appends the requests' records to the partition, rolling segments as needed: one buffer,
   * one write and one fdatasync per segment touched. Settles every request; never rejects.
   */
  private async writeRequests(p: Partition, reqs: ProduceRequest[]): Promise<void> {
    let i = 0;
    let seg = p.segments.at(-1)!;
    try {
      while (i < reqs.length) {
        if (seg.size > 0 && seg.size + reqs[i]!.bytes > this.segmentBytes) seg = await this.roll(p);
        let j = i;
        let bytes = 0;
        while (j < reqs.length && (j === i || seg.size + bytes + reqs[j]!.bytes <= this.segmentBytes)) {
          bytes += reqs[j]!.bytes;
          j++;
        }
        const index = seg.index ?? bug(`active segment ${seg.path} has no index`);
        const mark = index.mark();
        let offset = p.endOffset;
        try {
          const buf = Buffer.allocUnsafe(bytes);
          let pos = 0;
          for (let k = i; k < j; k++) {
            const r = reqs[k]!;
            pos = encodeBatch(buf, pos, r.messages, offset, r.timestamp, index, seg.size, seg.baseOffset);
            offset += r.messages.length;
          }
          if (pos !== bytes) {
            bug(`encoded ${pos} bytes, expected ${bytes} (a message changed during produce?)`);
          }
          await this.io.write(seg.fh!, buf, seg.size);
          await this.io.datasync(seg.fh!);
        } catch (err) {
          index.reset(mark);
          await this.truncateFailedWrite(seg, err);
          throw err;
        }
        seg.size += bytes;
        p.bytes += bytes;
        this.usedBytes += bytes;
        let base = p.endOffset;
        p.endOffset = offset;
        for (let k = i; k < j; k++) {
          const r = reqs[k]!;
          this.pendingBytes -= r.bytes;
          r.resolve({ baseOffset: base });
          base += r.messages.length;
        }
        i = j;
        this.wake(p);
      }
    } catch (err) {
      const rejection = isDiskFull(err) ? new LwError('LW_ERR_DISK_FULL', [seg.path]) : err;
      if (rejection === err) this.logger.error({ file: seg.path, err: String(err) }, 'produce write failed');
      for (; i < reqs.length; i++) {
        this.pendingBytes -= reqs[i]!.bytes;
        reqs[i]!.reject(rejection);
      }
    }
  }

  /** Cuts a failed (possibly partial) write off, so the next write continues a valid log. */
  private async truncateFailedWrite(seg: Segment, cause: unknown): Promise<void> {
    try {
      await seg.fh!.truncate(seg.size);
    } catch (err) {
      // The next write starts at seg.size anyway; recovery drops a leftover tail by its CRCs.
      this.logger.error(
        { file: seg.path, position: seg.size, err: String(err), cause: String(cause) },
        'cannot truncate a failed write',
      );
    }
  }

  /** Starts a new active segment at the partition's end offset. */
  private async roll(p: Partition): Promise<Segment> {
    const seg = await Segment.create(p.dir, p.endOffset, this.indexInterval);
    try {
      await fsyncDir(p.dir);
    } catch (err) {
      await seg.close();
      await fs.rm(seg.path, { force: true });
      throw err;
    }
    p.segments.push(seg);
    await this.applyRetention(p);
    return seg;
  }

  private wake(p: Partition): void {
    if (p.waiters.size === 0) return;
    for (const w of [...p.waiters]) w();
  }

  async fetch(
    topic: string,
    partition: number,
    offset: number,
    opts?: { maxBytes?: number; maxWaitMs?: number },
  ): Promise<StoredMessage[]> {
    if (!this.opened) bug('DiskQueue used before open()');
    const p = this.partitionOf(topic, partition);
    if (!Number.isSafeInteger(offset) || offset < 0) throw badParam('offset', 'must be an integer >= 0');
    const maxBytes = opts?.maxBytes ?? DEFAULT_FETCH_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0)
      throw badParam('maxBytes', 'must be an integer > 0');
    const deadline = Date.now() + (opts?.maxWaitMs ?? 0);
    for (;;) {
      if (this.closing !== null) return [];
      const start = p.segments[0]!.baseOffset;
      if (offset < start) offset = start;
      if (offset < p.endOffset) return this.track(this.readFrom(p, offset, maxBytes));
      const remaining = deadline - Date.now();
      if (remaining <= 0) return [];
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          p.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, remaining);
        p.waiters.add(done);
      });
    }
  }

  private async readFrom(p: Partition, offset: number, maxBytes: number): Promise<StoredMessage[]> {
    const segs = p.segments;
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (segs[mid]!.baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    const seg = segs[lo]!;
    seg.readers++;
    try {
      return await seg.read(offset, maxBytes, p.topic, p.partition, seg.size);
    } finally {
      seg.readers--;
      if (seg.deleted && seg.readers === 0) void this.track(this.destroySegment(seg));
    }
  }

  private track<T>(op: Promise<T>): Promise<T> {
    this.inFlight.add(op);
    const untrack = () => this.inFlight.delete(op);
    op.then(untrack, untrack);
    return op;
  }

  async commit(group: string, topic: string, partition: number, nextOffset: number): Promise<void> {
    this.checkOpen();
    const p = this.partitionOf(topic, partition);
    if (!Number.isSafeInteger(nextOffset) || nextOffset < 0 || nextOffset > p.endOffset) {
      throw badParam('nextOffset', `must be an integer from 0 to the end offset ${p.endOffset}`);
    }
    await this.offsets.commit(group, topic, partition, nextOffset);
    await this.applyRetention(p);
  }

  async committed(group: string, topic: string, partition: number): Promise<number> {
    if (!this.opened) bug('DiskQueue used before open()');
    const p = this.partitionOf(topic, partition);
    return this.offsets.get(group, topic, partition) ?? p.segments[0]!.baseOffset;
  }

  /**
   * Deletes the partition's sealed segments that every group ever committed on the topic has
   * consumed (committed next offset >= the next segment's base). Resolves when the files are
   * gone, except for segments still being read, which go when their last reader finishes.
   */
  private async applyRetention(p: Partition): Promise<void> {
    const groups = this.offsets.groupsOf(p.topic);
    if (groups === undefined || groups.size === 0) return;
    let min = Number.POSITIVE_INFINITY;
    for (const g of groups) {
      const c = this.offsets.get(g, p.topic, p.partition);
      if (c === undefined) return;
      if (c < min) min = c;
    }
    const deletions: Promise<void>[] = [];
    while (p.segments.length > 1 && p.segments[1]!.baseOffset <= min) {
      const seg = p.segments.shift()!;
      p.bytes -= seg.size;
      this.usedBytes -= seg.size;
      seg.deleted = true;
      if (seg.readers === 0) deletions.push(this.track(this.destroySegment(seg)));
    }
    await Promise.all(deletions);
  }

  private async destroySegment(seg: Segment): Promise<void> {
    try {
      await seg.close();
      await fs.unlink(seg.path);
    } catch (err) {
      this.logger.error({ file: seg.path, err: String(err) }, 'cannot delete a consumed segment');
    }
  }

  state(): PartitionState[] {
    const out: PartitionState[] = [];
    for (const partitions of this.topics.values()) {
      for (const p of partitions) {
        out.push({
          topic: p.topic,
          partition: p.partition,
          startOffset: p.segments[0]!.baseOffset,
          endOffset: p.endOffset,
          bytes: p.bytes,
        });
      }
    }
    return out;
  }

  /**
   * Writes every produce accepted so far, wakes waiting fetches (they return []), waits for
   * reads in flight, then closes all files and releases the directory. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    const partitions = [...this.topics.values()].flat();
    for (const p of partitions) {
      if (p.timer !== null) {
        clearTimeout(p.timer);
        p.timer = null;
        p.scheduled = false;
        p.flushing = this.flushLoop(p);
      }
    }
    for (const p of partitions) {
      while (p.scheduled || p.flushing !== null) {
        if (p.flushing !== null) await p.flushing;
        else await new Promise((resolve) => setImmediate(resolve));
      }
      this.wake(p);
    }
    await this.topicOps;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.releaseFiles();
  }

  private async releaseFiles(): Promise<void> {
    await this.offsets.close();
    for (const partitions of this.topics.values()) {
      for (const p of partitions) {
        for (const seg of p.segments) await seg.close();
      }
    }
    await this.unlock?.();
    this.unlock = null;
  }
}
