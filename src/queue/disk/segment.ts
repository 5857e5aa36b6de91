/**
 * One log segment of a disk-queue partition, as in Kafka: an append-only file
 * `<baseOffset as 20 decimal digits>.log` holding the records with offsets baseOffset,
 * baseOffset + 1, ... (dense, no gaps), plus an in-memory sparse index from offset to file
 * position.
 *
 * Record format (all integers little endian; RECORD_HEADER_SIZE = 37 bytes before the data):
 *
 *   pos  size  field
 *   0    4     length          u32: bytes after this field (33 + key + headers + value)
 *   4    4     crc             u32: CRC-32C of bytes [8, 4 + length): everything below
 *   8    1     attributes      bit 0 END_OF_BATCH: last record of its produce call; others 0
 *   9    8     offset          u64 (as u32 low, u32 high); < 2^53
 *   17   8     timestamp       i64 epoch milliseconds (as u32 low, i32 high)
 *   25   4     keyLength       i32; -1 for a null key
 *   29   4     headersLength   u32; 0 for no headers
 *   33   4     valueLength     u32
 *   37   ...   key bytes, then headers, then value bytes
 *
 *   headers (when headersLength > 0): u16 count, then per header
 *           u16 nameLength, name (UTF-8), u32 valueLength, value (UTF-8)
 *
 * A produce call appends its messages as one contiguous run of records; only the last carries
 * END_OF_BATCH. Recovery keeps a batch only when all its records are intact, so a batch is
 * atomic across a crash: a torn write never leaves the first half of an unacknowledged batch
 * visible. Per-record CRCs let a reader verify exactly the records it returns.
 *
 * Concurrency contract: the owning partition appends (one write at a time) and only then raises
 * `size`; readers never read at or beyond `size`, so they never see a write in flight.
 */

import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { LwError } from '../../core/errors.ts';
import type { QueueMessage, StoredMessage } from '../queue.ts';
import { crc32c } from './crc32c.ts';
import { readFully } from './disk-io.ts';

export const RECORD_HEADER_SIZE = 37;
/** The smallest valid value of the length field (a record with empty value, no key/headers). */
const MIN_LENGTH = RECORD_HEADER_SIZE - 4;
/** Records are refused above this size; a length field beyond it means corruption. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;
export const END_OF_BATCH = 1;

const TWO_32 = 4294967296;
/** Bytes read per step while scanning a segment on open. */
const SCAN_CHUNK = 4 * 1024 * 1024;

export const SEGMENT_SUFFIX = '.log';

export function segmentFileName(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0') + SEGMENT_SUFFIX;
}

/** Base offset from a segment file name, or -1 when the name isn't one. */
export function parseSegmentFileName(name: string): number {
  if (!/^\d{20}\.log$/.test(name)) return -1;
  const n = Number(name.slice(0, 20));
  return Number.isSafeInteger(n) ? n : -1;
}

function badMessage(field: string, why: string): LwError {
  return new LwError('LW_ERR_BAD_PARAM', [field, why]);
}

/** UTF-8 size of the headers section (0 for none or an empty object). */
function headersSize(headers: Record<string, string>): number {
  let n = 0;
  let count = 0;
  for (const name in headers) {
    const value = headers[name];
    if (typeof value !== 'string') throw badMessage(`headers.${name}`, 'must be a string');
    const nameBytes = Buffer.byteLength(name);
    if (nameBytes > 0xffff) throw badMessage('headers', 'a header name exceeds 65535 bytes');
    n += 6 + nameBytes + Buffer.byteLength(value);
    count++;
  }
  if (count > 0xffff) throw badMessage('headers', 'more than 65535 headers');
  return count === 0 ? 0 : n + 2;
}

/** Encoded size of the message's record; throws LW_ERR_BAD_PARAM for a malformed message. */
export function recordSize(m: QueueMessage): number {
  const value = m.value;
  if (!(value instanceof Uint8Array)) throw badMessage('value', 'must be a Buffer');
  let n = RECORD_HEADER_SIZE + value.length;
  const key = m.key;
  if (key !== undefined && key !== null) {
    if (!(key instanceof Uint8Array)) throw badMessage('key', 'must be a Buffer or null');
    n += key.length;
  }
  if (m.timestamp !== undefined && !Number.isFinite(m.timestamp)) {
    throw badMessage('timestamp', 'must be a finite number of epoch milliseconds');
  }
  if (m.headers !== undefined && m.headers !== null) n += headersSize(m.headers);
  if (n > MAX_RECORD_BYTES) throw badMessage('value', `record larger than ${MAX_RECORD_BYTES} bytes`);
  return n;
}

function writeHeaders(out: Buffer, pos: number, headers: Record<string, string>): number {
  const start = pos;
  pos += 2;
  let count = 0;
  for (const name in headers) {
    const nameBytes = out.write(name, pos + 2, 'utf8');
    out.writeUInt16LE(nameBytes, pos);
    pos += 2 + nameBytes;
    const valueBytes = out.write(headers[name]!, pos + 4, 'utf8');
    out.writeUInt32LE(valueBytes, pos);
    pos += 4 + valueBytes;
    count++;
  }
  if (count === 0) return 0;
  out.writeUInt16LE(count, start);
  return pos - start;
}

function readHeaders(buf: Buffer, pos: number): Record<string, string> {
  const headers: Record<string, string> = {};
  const count = buf.readUInt16LE(pos);
  pos += 2;
  for (let i = 0; i < count; i++) {
    const nameBytes = buf.readUInt16LE(pos);
    const name = buf.toString('utf8', pos + 2, pos + 2 + nameBytes);
    pos += 2 + nameBytes;
    const valueBytes = buf.readUInt32LE(pos);
    headers[name] = buf.toString('utf8', pos + 4, pos + 4 + valueBytes);
    pos += 4 + valueBytes;
  }
  return headers;
}

function readOffset(buf: Buffer, recordPos: number): number {
  return buf.readUInt32LE(recordPos + 9) + buf.readUInt32LE(recordPos + 13) * TWO_32;
}

/**
 * Sparse index of one segment: an entry (offset - baseOffset, file position) for the first
 * record and then for the first record starting at least `interval` bytes after the previous
 * entry, so a lookup lands at most about `interval` bytes (or one record) before the target.
 */
export class SparseIndex {
  readonly interval: number;
  relOffsets: number[] = [];
  positions: number[] = [];
  /** A record starting at or after this position gets an entry. */
  nextAt = 0;

  constructor(interval: number) {
    this.interval = interval;
  }

  add(relOffset: number, position: number): void {
    if (position < this.nextAt) return;
    this.relOffsets.push(relOffset);
    this.positions.push(position);
    this.nextAt = position + this.interval;
  }

  /** A point to roll back to with `reset` (after a failed write). */
  mark(): number {
    return this.relOffsets.length;
  }

  reset(mark: number): void {
    this.relOffsets.length = mark;
    this.positions.length = mark;
    this.nextAt = mark === 0 ? 0 : this.positions[mark - 1]! + this.interval;
  }

  /** File position of the last entry at or before `relOffset` (0 when there is none). */
  lookup(relOffset: number): number {
    const rel = this.relOffsets;
    let lo = 0;
    let hi = rel.length - 1;
    if (hi < 0 || rel[0]! > relOffset) return 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (rel[mid]! <= relOffset) lo = mid;
      else hi = mid - 1;
    }
    return this.positions[lo]!;
  }
}

/**
 * Encodes `messages` into `out` from `outPos` as records with offsets `firstOffset`, ...; the
 * last gets END_OF_BATCH. `out` must have room for the sum of their `recordSize`s. Index entries
 * are added for file position `outPos + filePosDelta` etc. Returns the position after the last.
 */
export function encodeBatch(
  out: Buffer,
  outPos: number,
  messages: readonly QueueMessage[],
  firstOffset: number,
  defaultTimestamp: number,
  index: SparseIndex,
  filePosDelta: number,
  baseOffset: number,
): number {
  let p = outPos;
  const n = messages.length;
  for (let i = 0; i < n; i++) {
    const m = messages[i]!;
    const start = p;
    p += RECORD_HEADER_SIZE;
    const key = m.key;
    let keyLength = -1;
    if (key !== undefined && key !== null) {
      out.set(key, p);
      keyLength = key.length;
      p += keyLength;
    }
    let headersLength = 0;
    if (m.headers !== undefined && m.headers !== null) {
      headersLength = writeHeaders(out, p, m.headers);
      p += headersLength;
    }
    const value = m.value;
    out.set(value, p);
    p += value.length;

    const offset = firstOffset + i;
    const ts = Math.floor(m.timestamp ?? defaultTimestamp);
    const tsHigh = Math.floor(ts / TWO_32);
    out.writeUInt32LE(p - start - 4, start);
    out[start + 8] = i === n - 1 ? END_OF_BATCH : 0;
    out.writeUInt32LE(offset >>> 0, start + 9);
    out.writeUInt32LE(Math.floor(offset / TWO_32), start + 13);
    out.writeUInt32LE(ts - tsHigh * TWO_32, start + 17);
    out.writeInt32LE(tsHigh, start + 21);
    out.writeInt32LE(keyLength, start + 25);
    out.writeUInt32LE(headersLength, start + 29);
    out.writeUInt32LE(value.length, start + 33);
    out.writeUInt32LE(crc32c(out, 0, start + 8, p), start + 4);
    const filePos = start + filePosDelta;
    if (filePos >= index.nextAt) index.add(offset - baseOffset, filePos);
  }
  return p;
}

/**
 * Checks the record at `buf[pos...]` (whole record in buf) and says what is wrong with it, or
 * returns null when its lengths are consistent and its CRC matches.
 */
function recordProblem(buf: Buffer, pos: number, length: number): string | null {
  const keyLength = buf.readInt32LE(pos + 25);
  const dataBytes = Math.max(keyLength, 0) + buf.readUInt32LE(pos + 29) + buf.readUInt32LE(pos + 33);
  if (keyLength < -1 || MIN_LENGTH + dataBytes !== length) return 'inconsistent field lengths';
  if (crc32c(buf, 0, pos + 8, pos + 4 + length) !== buf.readUInt32LE(pos + 4)) return 'CRC mismatch';
  return null;
}

export interface ScanResult {
  /** Bytes of intact records, up to the end of the last complete batch when verifying. */
  validBytes: number;
  /** Offset after the last record within validBytes. */
  nextOffset: number;
  /** Why the bytes after validBytes are not valid; null when the whole file is. */
  problem: string | null;
}

export function corruptionError(file: string, position: number, why: string): LwError {
  return new LwError('LW_ERR_INTERNAL', [`corrupt queue segment ${file} at byte ${position}: ${why}`], {
    file,
    position,
  });
}

/** An append-only log segment file; see the module comment for the format. */
export class Segment {
  readonly baseOffset: number;
  readonly path: string;
  /** Bytes of complete records readers may read (durable ones in the active segment). */
  size: number;
  /** Open handle (read-write for the active segment), or null until first needed. */
  fh: FileHandle | null;
  /** The sparse index; null until built (sealed segments are indexed lazily on first read). */
  index: SparseIndex | null = null;
  private indexing: Promise<SparseIndex> | null = null;
  private opening: Promise<FileHandle> | null = null;
  private readonly indexInterval: number;
  /** Fetches currently reading this segment; deletion waits for them to finish. */
  readers = 0;
  /** Removed by retention: the file is closed and unlinked once `readers` drops to 0. */
  deleted = false;

  constructor(dir: string, baseOffset: number, size: number, fh: FileHandle | null, indexInterval: number) {
    this.baseOffset = baseOffset;
    this.path = path.join(dir, segmentFileName(baseOffset));
    this.size = size;
    this.fh = fh;
    this.indexInterval = indexInterval;
  }

  /** Creates a new, empty segment file (failing if it exists) open for appending. */
  static async create(dir: string, baseOffset: number, indexInterval: number): Promise<Segment> {
    const fh = await fs.open(path.join(dir, segmentFileName(baseOffset)), 'wx+');
    const seg = new Segment(dir, baseOffset, 0, fh, indexInterval);
    seg.index = new SparseIndex(indexInterval);
    return seg;
  }

  async handle(): Promise<FileHandle> {
    if (this.fh !== null) return this.fh;
    this.opening ??= fs.open(this.path, 'r').then((fh) => {
      this.fh = fh;
      return fh;
    });
    return this.opening;
  }

  /**
   * Scans the file from the start, building the index. With `verify`, checks every record's
   * CRC, lengths and offset sequence and stops at the end of the last complete batch (the
   * caller truncates the rest); without, trusts the file and only walks the length fields.
   */
  async scan(fileSize: number, verify: boolean): Promise<ScanResult> {
    const fh = await this.handle();
    const index = new SparseIndex(this.indexInterval);
    let mark = 0;
    let buf = Buffer.allocUnsafe(Math.max(64, Math.min(SCAN_CHUNK, fileSize)));
    let filePos = 0;
    let expected = this.baseOffset;
    let validBytes = 0;
    let validNext = this.baseOffset;
    let problem: string | null = null;
    let problemAt = 0;
    scan: while (filePos < fileSize) {
      const n = await readFully(fh, buf, 0, Math.min(buf.length, fileSize - filePos), filePos);
      if (n < 4) {
        problem = 'incomplete record header at end of file';
        problemAt = filePos;
        break;
      }
      let i = 0;
      let length = 0;
      while (i + 4 <= n) {
        length = buf.readUInt32LE(i);
        if (length < MIN_LENGTH || length > MAX_RECORD_BYTES) {
          problem = `invalid record length ${length}`;
          problemAt = filePos + i;
          break scan;
        }
        if (filePos + i + 4 + length > fileSize) {
          problem = 'record extends past the end of the file (torn write)';
          problemAt = filePos + i;
          break scan;
        }
        if (i + 4 + length > n) break;
        if (readOffset(buf, i) !== expected) {
          problem = `record has offset ${readOffset(buf, i)}, expected ${expected}`;
          problemAt = filePos + i;
          break scan;
        }
        if (verify) {
          const why = recordProblem(buf, i, length);
          if (why !== null) {
            problem = why;
            problemAt = filePos + i;
            break scan;
          }
        }
        index.add(expected - this.baseOffset, filePos + i);
        expected++;
        i += 4 + length;
        if (!verify || (buf[i - 4 - length + 8]! & END_OF_BATCH) !== 0) {
          validBytes = filePos + i;
          validNext = expected;
          mark = index.mark();
        }
      }
      if (i === 0 && 4 + length > buf.length) buf = Buffer.allocUnsafe(4 + length);
      filePos += i;
    }
    if (problem === null && validBytes < fileSize) {
      problem = 'last batch is incomplete';
      problemAt = validBytes;
    }
    if (problem !== null) problem = `${problem} at byte ${problemAt}`;
    index.reset(mark);
    this.index = index;
    return { validBytes, nextOffset: validNext, problem };
  }

  /** The index, building it by a trusted scan the first time (for sealed segments). */
  async ensureIndex(): Promise<SparseIndex> {
    if (this.index !== null) return this.index;
    // On a problem the index still covers the records before it; a read past them reports
    // the corruption with file and position.
    this.indexing ??= this.scan(this.size, false).then(() => this.index!);
    return this.indexing;
  }

  /**
   * Reads records from offset `target` on (it must be in this segment: baseOffset <= target
   * and a record with it below `size`), up to about `maxBytes` but at least one record,
   * verifying each returned record's CRC. Throws a corruption LwError naming file and position.
   * The returned key/value buffers are slices of one fresh buffer owned by the caller; records
   * with equal keys may share one key slice, and records without headers share one frozen
   * empty `headers` object.
   */
  async read(
    target: number,
    maxBytes: number,
    topic: string,
    partition: number,
    end: number,
  ): Promise<StoredMessage[]> {
    const index = await this.ensureIndex();
    const fh = await this.handle();
    let filePos = index.lookup(target - this.baseOffset);
    let want = maxBytes + this.indexInterval;
    const out: StoredMessage[] = [];
    let outBytes = 0;
    while (filePos < end) {
      const len = Math.min(want, end - filePos);
      const buf = Buffer.allocUnsafe(len);
      const n = await readFully(fh, buf, 0, len, filePos);
      if (n < len) throw corruptionError(this.path, filePos + n, 'file is shorter than expected');
      let i = 0;
      while (i + 4 <= n) {
        const length = buf.readUInt32LE(i);
        if (length < MIN_LENGTH || length > MAX_RECORD_BYTES || filePos + i + 4 + length > end) {
          if (out.length > 0) return out;
          throw corruptionError(this.path, filePos + i, `invalid record length ${length}`);
        }
        const size = 4 + length;
        if (i + size > n) {
          want = Math.max(want, size);
          break;
        }
        if (out.length > 0 && outBytes + size > maxBytes) return out;
        const offset = readOffset(buf, i);
        if (offset >= target) {
          // Corruption ends the batch of good records; the next fetch, starting there, throws.
          const expected = target + out.length;
          if (offset !== expected) {
            if (out.length > 0) return out;
            throw corruptionError(
              this.path,
              filePos + i,
              `record has offset ${offset}, expected ${expected}`,
            );
          }
          const why = recordProblem(buf, i, length);
          if (why !== null) {
            if (out.length > 0) return out;
            throw corruptionError(this.path, filePos + i, why);
          }
          out.push(
            decodeRecord(buf, i, offset, topic, partition, out.length > 0 ? out[out.length - 1]!.key : null),
          );
          outBytes += size;
        }
        i += size;
      }
      if (out.length > 0) return out;
      if (i === 0 && n < 4) throw corruptionError(this.path, filePos, 'incomplete record header');
      filePos += i;
    }
    if (out.length === 0) throw corruptionError(this.path, filePos, `offset ${target} not found`);
    return out;
  }

  /** Closes the file handle (waiting for a lazy open in flight). */
  async close(): Promise<void> {
    if (this.opening !== null) await this.opening.catch(() => undefined);
    const fh = this.fh;
    this.fh = null;
    if (fh !== null) await fh.close();
  }
}

/** The headers of every record without headers (frozen: shared by all of them). */
const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** Whether `buf[pos, pos + len)` holds the bytes of `key`. */
function sameBytes(key: Buffer, buf: Buffer, pos: number, len: number): boolean {
  if (key.length !== len) return false;
  for (let i = 0; i < len; i++) if (key[i] !== buf[pos + i]) return false;
  return true;
}

/**
 * Decodes the record at `buf[pos...]`. Consecutive records mostly share their key: when the key
 * has the bytes of `prevKey` (the previous record's, a view of the same buffer), that view is
 * returned again instead of a new one, which saves an allocation per record.
 */
function decodeRecord(
  buf: Buffer,
  pos: number,
  offset: number,
  topic: string,
  partition: number,
  prevKey: Buffer | null,
): StoredMessage {
  const timestamp = buf.readUInt32LE(pos + 17) + buf.readInt32LE(pos + 21) * TWO_32;
  const keyLength = buf.readInt32LE(pos + 25);
  const headersLength = buf.readUInt32LE(pos + 29);
  const valueLength = buf.readUInt32LE(pos + 33);
  let p = pos + RECORD_HEADER_SIZE;
  let key: Buffer | null = null;
  if (keyLength >= 0) {
    key =
      prevKey !== null && sameBytes(prevKey, buf, p, keyLength) ? prevKey : buf.subarray(p, p + keyLength);
    p += keyLength;
  }
  const headers = headersLength === 0 ? NO_HEADERS : readHeaders(buf, p);
  p += headersLength;
  return {
    topic,
    partition,
    offset,
    timestamp,
    key,
    value: buf.subarray(p, p + valueLength),
    headers,
  };
}
