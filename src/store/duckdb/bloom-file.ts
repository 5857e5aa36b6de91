/**
 * The skip index's Bloom filters live outside DuckDB, in an append-only side file
 * (`blooms-<generation>.lwb` in the store directory); `_lw_blocks` keeps each filter's offset,
 * length and CRC-32. A DuckDB table with a BLOB per block had its one row group rewritten at every
 * checkpoint (tens of MB of random bits, which never compress), leaving as many MB of free
 * blocks in the database file.
 *
 * Contract:
 * - `append` writes a filter's bytes before the DuckDB transaction that references them commits,
 *   so a committed reference always points at bytes handed to the OS (a kill -9 keeps them). The
 *   file is not fsynced per write: after a power loss a filter may be missing or torn, which
 *   `read` detects (length or CRC) and the store rebuilds from the block's rows.
 * - Bytes of rolled-back transactions and of dropped or rewritten partitions are garbage until
 *   `DuckDBStore` compacts: it writes the live filters into generation + 1 (fsynced), commits the
 *   new offsets together with the generation number, then deletes the old file. Files of any
 *   other generation are leftovers of a crash and removed at open.
 * - One writer (the store, which appends in call order from a single thread).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/** Where a filter's bytes are: offset and length in the file, and their CRC-32. */
export interface BloomRef {
  off: number;
  len: number;
  crc: number;
}

const NAME = /^blooms-(\d+)\.lwb$/;

export function bloomFileName(gen: number): string {
  return `blooms-${gen}.lwb`;
}

export class BloomFile {
  readonly gen: number;
  readonly path: string;
  private fd: number;
  private end: number;

  constructor(dir: string, gen: number) {
    this.gen = gen;
    this.path = path.join(dir, bloomFileName(gen));
    this.fd = fs.openSync(this.path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    this.end = fs.fstatSync(this.fd).size;
  }

  /** File size: live and garbage bytes. */
  get size(): number {
    return this.end;
  }

  /** Appends filters' bytes (one write), returning where each one is. */
  append(items: readonly Uint8Array[]): BloomRef[] {
    if (items.length === 0) return [];
    const refs: BloomRef[] = [];
    let off = this.end;
    for (const b of items) {
      refs.push({ off, len: b.length, crc: zlib.crc32(b) });
      off += b.length;
    }
    const buf = items.length === 1 ? items[0] : Buffer.concat(items);
    try {
      let done = 0;
      while (done < buf.length) done += fs.writeSync(this.fd, buf, done, buf.length - done, this.end + done);
    } catch (err) {
      // A short write (disk full) leaves a torn tail: later appends go after what is there.
      this.end = fs.fstatSync(this.fd).size;
      throw err;
    }
    this.end = off;
    return refs;
  }

  /** The filter's bytes, or null when they are missing or don't match their CRC. */
  read(ref: BloomRef): Uint8Array | null {
    if (ref.off < 0 || ref.len <= 0 || ref.off + ref.len > this.end) return null;
    const b = new Uint8Array(ref.len);
    let done = 0;
    while (done < ref.len) {
      const n = fs.readSync(this.fd, b, done, ref.len - done, ref.off + done);
      if (n === 0) return null;
      done += n;
    }
    return zlib.crc32(b) === ref.crc ? b : null;
  }

  /** Re-reads the file size (after a failed write, appends continue after the real end). */
  resync(): void {
    this.end = fs.fstatSync(this.fd).size;
  }

  sync(): void {
    fs.fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** Removes the side files of every generation but `keep` (leftovers of a crash or a compaction). */
export function removeOtherGenerations(dir: string, keep: number): string[] {
  const removed: string[] = [];
  for (const f of fs.readdirSync(dir)) {
    const m = NAME.exec(f);
    if (m && Number(m[1]) !== keep) {
      fs.rmSync(path.join(dir, f), { force: true });
      removed.push(f);
    }
  }
  return removed;
}
