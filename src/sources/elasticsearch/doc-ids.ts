/**
 * Idempotency for Elasticsearch `_id`s: remembers which (index, _id) pairs are stored, so that a
 * document sent again with the same `_id` (a shipper retrying a bulk request) is not stored twice,
 * across restarts too.
 *
 * Design: a pair is identified by 64 bits of SHA-256(index NUL _id) (collision odds about
 * n^2 / 2^65: 3e-6 for ten million ids). The truth is the queue: every appended document with an
 * `_id` carries the hash in its message header `es_id`, written atomically with the document.
 * A journal file (`<dir>/doc-ids`, 8 bytes per id) keeps the hashes after the queue deleted the
 * segment; each appended chunk's ids are appended and fsync'd (group commit) right after the
 * chunk's queue append, and before the client is answered. At open, the journal is loaded and
 * the queue's recent messages are scanned for `es_id` headers, which covers a crash between a
 * queue append and its journal write (such a client got no answer and retries). Only messages
 * stamped after the journal's last write minus SCAN_MARGIN_MS can be missing from it, so each
 * partition is scanned from there on (found by binary search over offsets, as the queue stamps
 * messages with the produce time), not from its start: a Kafka topic may retain days. Nothing
 * is ever forgotten (documented limit: 16 bytes of memory and 8 bytes of disk per distinct
 * `_id`), and the set is per process (two ingest nodes do not share it).
 *
 * Concurrency: `claim` marks ids in flight; a second request with an id in flight is told so
 * (the caller answers 429, retry), and `settle` either records the ids (appended) or frees them.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Queue } from '../../queue/queue.ts';

export const ES_ID_HEADER = 'es_id';

/**
 * How long before the journal's last write an unjournaled message may have been stamped: a
 * chunk's produce (queue fsync, or Kafka acknowledgement with its retries) plus the journal
 * write must take less than this.
 */
const SCAN_MARGIN_MS = 10 * 60_000;

/** A set of 64-bit values held as two 32-bit halves (open addressing, linear probing). */
class U64Set {
  private hi = new Uint32Array(1024);
  private lo = new Uint32Array(1024);
  private used = new Uint8Array(1024);
  private count = 0;

  get size(): number {
    return this.count;
  }

  private slot(h: number, l: number): number {
    const mask = this.used.length - 1;
    let i = (Math.imul(l ^ h, 0x9e3779b1) >>> 0) & mask;
    while (this.used[i] && (this.hi[i] !== h || this.lo[i] !== l)) i = (i + 1) & mask;
    return i;
  }

  has(h: number, l: number): boolean {
    return this.used[this.slot(h, l)] === 1;
  }

  add(h: number, l: number): void {
    const i = this.slot(h, l);
    if (this.used[i]) return;
    this.used[i] = 1;
    this.hi[i] = h;
    this.lo[i] = l;
    if (++this.count * 2 > this.used.length) this.grow();
  }

  private grow(): void {
    const { hi, lo, used } = this;
    this.hi = new Uint32Array(used.length * 2);
    this.lo = new Uint32Array(used.length * 2);
    this.used = new Uint8Array(used.length * 2);
    this.count = 0;
    for (let i = 0; i < used.length; i++) if (used[i]) this.add(hi[i], lo[i]);
  }
}

/** The first offset in [start, end) of a message stamped at or after `since` (binary search). */
async function firstSince(
  queue: Queue,
  topic: string,
  partition: number,
  start: number,
  end: number,
  since: number,
): Promise<number> {
  let lo = start;
  let hi = end;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const m = (await queue.fetch(topic, partition, mid, { maxBytes: 1 }))[0];
    if (m === undefined) return lo;
    if (m.timestamp < since) lo = Math.max(mid, m.offset) + 1;
    else hi = mid;
  }
  return lo;
}

/** The 16-hex-digit key of an (index, _id) pair. */
export function docIdKey(index: string, id: string): string {
  return createHash('sha256').update(index).update('\0').update(id).digest('hex').slice(0, 16);
}

function halves(key: string): [number, number] {
  return [Number.parseInt(key.slice(0, 8), 16), Number.parseInt(key.slice(8, 16), 16)];
}

export class DocIds {
  private readonly stored = new U64Set();
  private readonly inFlight = new Set<string>();
  private readonly file: string;
  private readonly logger: Logger;
  private fd: fs.promises.FileHandle | null = null;
  private queued: Buffer[] = [];
  private waiters: Array<() => void> = [];
  private writing = false;

  constructor(dir: string, logger: Logger) {
    this.file = path.join(dir, 'doc-ids');
    this.logger = logger;
  }

  get size(): number {
    return this.stored.size;
  }

  /** Loads the journal and the `es_id` headers of the messages still in the queue. */
  async open(queue: Queue, topic: string): Promise<void> {
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    this.fd = await fs.promises.open(this.file, 'a+');
    const buf = await this.fd.readFile();
    // A torn last record (crash mid-write) is ignored; it is also in the queue.
    const whole = buf.length - (buf.length % 8);
    for (let i = 0; i < whole; i += 8) this.stored.add(buf.readUInt32BE(i), buf.readUInt32BE(i + 4));
    if (whole !== buf.length) await this.fd.truncate(whole);
    const since = (await this.fd.stat()).mtimeMs - SCAN_MARGIN_MS;
    const missing: number[] = [];
    for (const p of queue.state()) {
      if (p.topic !== topic) continue;
      for (
        let off = await firstSince(queue, topic, p.partition, p.startOffset, p.endOffset, since);
        off < p.endOffset;
      ) {
        const msgs = await queue.fetch(topic, p.partition, off, { maxBytes: 8 << 20 });
        if (msgs.length === 0) break;
        for (const m of msgs) {
          const key = m.headers[ES_ID_HEADER];
          if (key === undefined || !/^[0-9a-f]{16}$/.test(key)) continue;
          const [h, l] = halves(key);
          if (this.stored.has(h, l)) continue;
          this.stored.add(h, l);
          missing.push(h, l);
        }
        off = msgs[msgs.length - 1].offset + 1;
      }
    }
    if (missing.length > 0) {
      // Ids that reached the queue but not the journal (a crash in between): journal them now.
      const rec = Buffer.allocUnsafe(missing.length * 4);
      for (let i = 0; i < missing.length; i++) rec.writeUInt32BE(missing[i], i * 4);
      await this.fd.write(rec);
      await this.fd.datasync();
      this.logger.info({ ids: missing.length / 2 }, 'elasticsearch _id journal completed from the queue');
    }
  }

  /** 'stored' when the pair is known, 'in_flight' when another request is appending it, else claims it. */
  claim(key: string): 'stored' | 'in_flight' | 'claimed' {
    const [h, l] = halves(key);
    if (this.stored.has(h, l)) return 'stored';
    if (this.inFlight.has(key)) return 'in_flight';
    this.inFlight.add(key);
    return 'claimed';
  }

  /**
   * Settles claimed keys: `appended` ones are recorded (memory at once, journal durably before
   * this resolves), the others are freed for a retry.
   */
  async settle(appended: string[], failed: string[]): Promise<void> {
    for (const k of failed) this.inFlight.delete(k);
    if (appended.length === 0) return;
    const rec = Buffer.allocUnsafe(appended.length * 8);
    appended.forEach((k, i) => {
      const [h, l] = halves(k);
      this.stored.add(h, l);
      this.inFlight.delete(k);
      rec.writeUInt32BE(h, i * 8);
      rec.writeUInt32BE(l, i * 8 + 4);
    });
    await new Promise<void>((resolve) => {
      this.queued.push(rec);
      this.waiters.push(resolve);
      void this.drain();
    });
  }

  /** Group commit: one write and one fsync for every record queued meanwhile. */
  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    while (this.queued.length > 0) {
      const recs = this.queued;
      const waiters = this.waiters;
      this.queued = [];
      this.waiters = [];
      try {
        if (this.fd === null) throw new Error('journal is closed');
        await this.fd.write(Buffer.concat(recs));
        await this.fd.datasync();
      } catch (err) {
        // The documents are durable in the queue (whose headers carry the ids, read at the next
        // start), so the request still succeeded; only a restart after the queue dropped those
        // segments would forget them.
        this.logger.error(
          { err: String(err), file: this.file },
          'cannot write the elasticsearch _id journal',
        );
      }
      for (const w of waiters) w();
    }
    this.writing = false;
  }

  async close(): Promise<void> {
    while (this.writing || this.queued.length > 0) await new Promise((r) => setTimeout(r, 5));
    await this.fd?.close();
    this.fd = null;
  }
}
