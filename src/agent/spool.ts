/**
 * The agent's disk buffer: batches sealed from the files but not yet acknowledged by the server,
 * one file each (`spool/<seq>.batch`: a JSON header line, then the request body as sent,
 * compressed). A batch is written durably before it is sent, so the positions it covers never
 * have to be read again, even when the file is rotated away while the server is down. The
 * buffer is bounded: when `bytes` reaches the bound, the agent stops reading (the files are
 * the buffer) rather than dropping anything.
 *
 * Batches are sent in sequence order, one at a time; the header carries the file positions
 * after the batch, which become the checkpoint when the server acknowledges it.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { writeDurable } from './durable-file.ts';
import type { FilePosition } from './positions.ts';

export interface BatchHeader {
  seq: number;
  /** Random id carried by every event of the batch (`agent.batch`). */
  id: string;
  stream: string;
  events: number;
  /** Body size before compression. */
  rawBytes: number;
  contentType: string;
  /** Content-Encoding of the body: gzip, zstd or identity. */
  encoding: string;
  positions: FilePosition[];
}

export interface SpooledBatch {
  header: BatchHeader;
  file: string;
  bytes: number;
}

export class Spool {
  readonly dir: string;
  private readonly batches: SpooledBatch[] = [];
  bytes = 0;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'spool');
    fs.mkdirSync(this.dir, { recursive: true });
  }

  /**
   * Loads the batches left by the last run; those at or below `ackedSeq` were acknowledged
   * (the agent stopped before deleting them) and are removed.
   */
  async load(ackedSeq: number): Promise<void> {
    for (const name of fs.readdirSync(this.dir).sort()) {
      const file = path.join(this.dir, name);
      if (!name.endsWith('.batch')) {
        fs.rmSync(file, { force: true }); // a temporary file of an interrupted write
        continue;
      }
      const buf = fs.readFileSync(file);
      const header = JSON.parse(buf.subarray(0, buf.indexOf(10)).toString('utf8')) as BatchHeader;
      if (header.seq <= ackedSeq) {
        fs.rmSync(file);
        continue;
      }
      this.batches.push({ header, file, bytes: buf.length });
      this.bytes += buf.length;
    }
  }

  get size(): number {
    return this.batches.length;
  }

  /** The batches in sequence order (do not modify). */
  get all(): readonly SpooledBatch[] {
    return this.batches;
  }

  get oldest(): SpooledBatch | undefined {
    return this.batches[0];
  }

  get lastSeq(): number {
    return this.batches.at(-1)?.header.seq ?? 0;
  }

  /** Writes a batch durably and queues it. */
  async append(header: BatchHeader, body: Buffer): Promise<void> {
    const file = path.join(this.dir, `${String(header.seq).padStart(20, '0')}.batch`);
    const head = Buffer.from(`${JSON.stringify(header)}\n`);
    await writeDurable(file, Buffer.concat([head, body]));
    this.batches.push({ header, file, bytes: head.length + body.length });
    this.bytes += head.length + body.length;
  }

  /** The body of a queued batch, as sent. */
  async body(b: SpooledBatch): Promise<Buffer> {
    const buf = await fsp.readFile(b.file);
    return buf.subarray(buf.indexOf(10) + 1);
  }

  /** Removes the oldest batch (acknowledged, and the checkpoint says so). */
  async shift(): Promise<void> {
    const b = this.batches.shift();
    if (!b) return;
    this.bytes -= b.bytes;
    // Not synced: should the removal be lost in a crash, load() drops it by its sequence number.
    await fsp.rm(b.file, { force: true });
  }
}
