/**
 * Durable committed offsets of consumer groups for the disk queue (the role of Kafka's
 * `__consumer_offsets` topic): an append-only file of commit records replayed on open, where
 * the last record for a (group, topic, partition) wins. Commits that arrive while an fdatasync
 * is in flight are group-committed by the next write. When the file has grown well past its
 * live content it is compacted: the live entries are written to a temp file, fsync'd, renamed
 * over the log and the directory fsync'd, so a crash leaves either the old or the new file.
 *
 * Record format (little endian):
 *
 *   0  u32  length        bytes after this field
 *   4  u32  crc           CRC-32C of bytes [8, 4 + length)
 *   8  u16  groupLength, group (UTF-8)
 *      u16  topicLength, topic (UTF-8)
 *      u32  partition
 *      u32  nextOffset low, u32 nextOffset high
 *
 * A torn or corrupt tail (a crash mid-append) is truncated on open, with a warning.
 */

import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { bug, LwError } from '../../core/errors.ts';
import { crc32c } from './crc32c.ts';
import { type DiskIo, fsyncDir, isDiskFull, type QueueLogger } from './disk-io.ts';

const TWO_32 = 4294967296;
/** Compact only beyond this size, and only when live content is under a quarter of it. */
const COMPACT_MIN_BYTES = 1024 * 1024;
export const MAX_GROUP_BYTES = 255;

interface PendingCommit {
  group: string;
  topic: string;
  partition: number;
  nextOffset: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function encodedSize(group: string, topic: string): number {
  return 8 + 2 + Buffer.byteLength(group) + 2 + Buffer.byteLength(topic) + 12;
}

function encode(
  out: Buffer,
  pos: number,
  group: string,
  topic: string,
  partition: number,
  next: number,
): number {
  const start = pos;
  pos += 8;
  const g = out.write(group, pos + 2, 'utf8');
  out.writeUInt16LE(g, pos);
  pos += 2 + g;
  const t = out.write(topic, pos + 2, 'utf8');
  out.writeUInt16LE(t, pos);
  pos += 2 + t;
  out.writeUInt32LE(partition, pos);
  out.writeUInt32LE(next >>> 0, pos + 4);
  out.writeUInt32LE(Math.floor(next / TWO_32), pos + 8);
  pos += 12;
  out.writeUInt32LE(pos - start - 4, start);
  out.writeUInt32LE(crc32c(out, 0, start + 8, pos), start + 4);
  return pos;
}

export class OffsetsStore {
  private readonly file: string;
  private readonly io: DiskIo;
  private readonly logger: QueueLogger;
  private fh: FileHandle | null = null;
  /** Bytes of valid records in the file; appends go here. */
  private size = 0;
  /** group -> "topic/partition" -> committed next offset (durable values only). */
  private readonly byGroup = new Map<string, Map<string, number>>();
  private readonly groupsByTopic = new Map<string, Set<string>>();
  private liveBytes = 0;
  private pending: PendingCommit[] = [];
  private flushing: Promise<void> | null = null;

  constructor(file: string, io: DiskIo, logger: QueueLogger) {
    this.file = file;
    this.io = io;
    this.logger = logger;
  }

  async open(): Promise<void> {
    await fs.rm(this.file + '.tmp', { force: true });
    try {
      this.fh = await fs.open(this.file, 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.fh = await fs.open(this.file, 'wx+');
      await fsyncDir(path.dirname(this.file));
    }
    const data = await this.fh.readFile();
    let pos = 0;
    let problem: string | null = null;
    while (pos < data.length) {
      if (pos + 8 > data.length) {
        problem = 'incomplete record header';
        break;
      }
      const length = data.readUInt32LE(pos);
      if (length < 16 || pos + 4 + length > data.length) {
        problem = `invalid or torn record (length ${length})`;
        break;
      }
      if (crc32c(data, 0, pos + 8, pos + 4 + length) !== data.readUInt32LE(pos + 4)) {
        problem = 'CRC mismatch';
        break;
      }
      let p = pos + 8;
      const gLen = data.readUInt16LE(p);
      const group = data.toString('utf8', p + 2, p + 2 + gLen);
      p += 2 + gLen;
      const tLen = data.readUInt16LE(p);
      const topic = data.toString('utf8', p + 2, p + 2 + tLen);
      p += 2 + tLen;
      if (p + 12 !== pos + 4 + length) {
        problem = 'inconsistent field lengths';
        break;
      }
      const partition = data.readUInt32LE(p);
      const next = data.readUInt32LE(p + 4) + data.readUInt32LE(p + 8) * TWO_32;
      this.apply(group, topic, partition, next);
      pos += 4 + length;
    }
    this.size = pos;
    if (problem !== null) {
      this.logger.warn(
        { file: this.file, position: pos, truncatedBytes: data.length - pos, problem },
        `offsets log has a torn or corrupt tail; truncating ${data.length - pos} bytes at byte ${pos}`,
      );
      await this.fh.truncate(pos);
      await this.fh.datasync();
    }
  }

  private apply(group: string, topic: string, partition: number, next: number): void {
    let offsets = this.byGroup.get(group);
    if (offsets === undefined) this.byGroup.set(group, (offsets = new Map()));
    const key = `${topic}/${partition}`;
    if (!offsets.has(key)) this.liveBytes += encodedSize(group, topic);
    offsets.set(key, next);
    let groups = this.groupsByTopic.get(topic);
    if (groups === undefined) this.groupsByTopic.set(topic, (groups = new Set()));
    groups.add(group);
  }

  /** The group's durably committed next offset, or undefined when it never committed there. */
  get(group: string, topic: string, partition: number): number | undefined {
    return this.byGroup.get(group)?.get(`${topic}/${partition}`);
  }

  /** Every group that has durably committed on any partition of `topic`. */
  groupsOf(topic: string): ReadonlySet<string> | undefined {
    return this.groupsByTopic.get(topic);
  }

  /**
   * Records the commit durably; resolves after fdatasync (then `get` returns it). Rejects with
   * LW_ERR_DISK_FULL on ENOSPC, leaving the file as it was.
   */
  commit(group: string, topic: string, partition: number, nextOffset: number): Promise<void> {
    if (typeof group !== 'string' || group.length === 0 || Buffer.byteLength(group) > MAX_GROUP_BYTES) {
      return Promise.reject(
        new LwError('LW_ERR_BAD_PARAM', ['group', `must be 1 to ${MAX_GROUP_BYTES} bytes of UTF-8`]),
      );
    }
    if (this.fh === null) bug('OffsetsStore.commit before open or after close');
    return new Promise((resolve, reject) => {
      this.pending.push({ group, topic, partition, nextOffset, resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.flush(batch);
      } catch (err) {
        // Only reached for an unexpected failure (a bug, or the file unopenable after
        // compaction): fail these commits rather than leave them hanging.
        this.logger.error({ file: this.file, err: String(err) }, 'offsets flush failed');
        for (const c of batch) c.reject(err);
      }
    }
    this.flushing = null;
  }

  private async flush(batch: PendingCommit[]): Promise<void> {
    const fh = this.fh!;
    let bytes = 0;
    for (const c of batch) bytes += encodedSize(c.group, c.topic);
    const buf = Buffer.allocUnsafe(bytes);
    let pos = 0;
    for (const c of batch) pos = encode(buf, pos, c.group, c.topic, c.partition, c.nextOffset);
    if (pos !== bytes) bug(`offsets batch encoded ${pos} bytes, expected ${bytes}`);
    try {
      await this.io.write(fh, buf, this.size);
      await this.io.datasync(fh);
    } catch (err) {
      await this.rollBack(fh, err);
      const rejection = isDiskFull(err) ? new LwError('LW_ERR_DISK_FULL', [this.file]) : err;
      for (const c of batch) c.reject(rejection);
      return;
    }
    this.size += bytes;
    for (const c of batch) this.apply(c.group, c.topic, c.partition, c.nextOffset);
    for (const c of batch) c.resolve();
    if (this.size > COMPACT_MIN_BYTES && this.size > 4 * this.liveBytes) await this.compact();
  }

  private async rollBack(fh: FileHandle, cause: unknown): Promise<void> {
    try {
      await fh.truncate(this.size);
    } catch (err) {
      // The next open truncates any partial record by its CRC; appends go to this.size anyway.
      this.logger.error({ file: this.file, err: String(err), cause: String(cause) }, 'cannot truncate');
    }
  }

  /** Rewrites the file with only the live entries (temp + fsync + rename + dir fsync). */
  private async compact(): Promise<void> {
    const tmp = this.file + '.tmp';
    let bytes = 0;
    for (const [group, offsets] of this.byGroup) {
      for (const key of offsets.keys()) bytes += encodedSize(group, key.slice(0, key.lastIndexOf('/')));
    }
    const buf = Buffer.allocUnsafe(bytes);
    let pos = 0;
    for (const [group, offsets] of this.byGroup) {
      for (const [key, next] of offsets) {
        const slash = key.lastIndexOf('/');
        pos = encode(buf, pos, group, key.slice(0, slash), Number(key.slice(slash + 1)), next);
      }
    }
    let tfh: FileHandle | null = null;
    try {
      tfh = await fs.open(tmp, 'w');
      await this.io.write(tfh, buf, 0);
      await this.io.datasync(tfh);
      await tfh.close();
      tfh = null;
      await fs.rename(tmp, this.file);
    } catch (err) {
      this.logger.error({ file: this.file, err: String(err) }, 'cannot compact the offsets log; keeping it');
      await tfh?.close().catch(() => undefined);
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      return;
    }
    // From the rename on, appends must go to the new file: the old one is unlinked.
    const old = this.fh!;
    this.fh = await fs.open(this.file, 'r+');
    this.size = bytes;
    this.liveBytes = bytes;
    await old.close();
    // Until the directory is synced a crash may bring back the old file, which also holds every
    // live entry; only commits made in between could be lost, so report a failure loudly.
    await fsyncDir(path.dirname(this.file)).catch((err: unknown) =>
      this.logger.error({ file: this.file, err: String(err) }, 'cannot fsync the queue directory'),
    );
  }

  /** Waits for commits in flight, then closes the file. */
  async close(): Promise<void> {
    while (this.flushing !== null) await this.flushing;
    const fh = this.fh;
    this.fh = null;
    await fh?.close();
  }
}
