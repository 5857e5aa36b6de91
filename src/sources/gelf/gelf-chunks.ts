/**
 * Reassembly of chunked GELF UDP messages (GELF 1.1): a chunk is `0x1e 0x0f`, an 8-byte message
 * id, a sequence number, a sequence count (1..128), then a part of the (possibly compressed)
 * message. The parts of one message id from one sender are joined in sequence order once all
 * have arrived, in any order.
 *
 * Limits, each a counted rejection (the reason is returned to the caller):
 * - `bad_chunk`: a count of 0 or over 128, a sequence number >= count, or a count that differs
 *   from the first chunk's for the same message (the whole set is given up);
 * - `oversized`: the parts of one message exceed maxMessageBytes (the set is given up);
 * - `incomplete_chunks`: a set not complete within timeoutMs (Graylog uses 5 s), or evicted
 *   (oldest first) when more than maxPending sets are open.
 * A repeated chunk (same sequence number) is ignored. sweep() must be called periodically; it
 * gives up the sets that timed out.
 */

export const GELF_CHUNK_MAGIC_0 = 0x1e;
export const GELF_CHUNK_MAGIC_1 = 0x0f;
const HEADER = 12;
const MAX_CHUNKS = 128;

interface ChunkSet {
  parts: Array<Buffer | undefined>;
  received: number;
  bytes: number;
  firstAt: number;
}

export interface ChunkAssemblerOptions {
  maxMessageBytes: number;
  timeoutMs: number;
  maxPending: number;
  /** A set given up (see the module header); `reason` is the counter label. */
  onGiveUp(reason: string, message: string, remote: string): void;
}

export function isGelfChunk(buf: Buffer): boolean {
  return buf.length >= 2 && buf[0] === GELF_CHUNK_MAGIC_0 && buf[1] === GELF_CHUNK_MAGIC_1;
}

export class GelfChunkAssembler {
  private readonly opts: ChunkAssemblerOptions;
  /** Open sets by `remote \n message id`; Map order is insertion order, so the oldest is first. */
  private readonly sets = new Map<string, ChunkSet>();

  constructor(opts: ChunkAssemblerOptions) {
    this.opts = opts;
  }

  /** Open sets (for tests and stats). */
  get pending(): number {
    return this.sets.size;
  }

  /**
   * Adds one chunk (isGelfChunk was true). Returns the reassembled message when this chunk
   * completed it, else null. The chunk's bytes are copied.
   */
  add(chunk: Buffer, remote: string, now = Date.now()): Buffer | null {
    if (chunk.length < HEADER) {
      this.opts.onGiveUp(
        'bad_chunk',
        `GELF chunk of ${chunk.length} bytes is shorter than its header`,
        remote,
      );
      return null;
    }
    const id = `${remote}\n${chunk.toString('hex', 2, 10)}`;
    const seq = chunk[10]!;
    const count = chunk[11]!;
    let set = this.sets.get(id);
    if (
      count === 0 ||
      count > MAX_CHUNKS ||
      seq >= count ||
      (set !== undefined && set.parts.length !== count)
    ) {
      if (set !== undefined) this.sets.delete(id);
      this.opts.onGiveUp(
        'bad_chunk',
        `GELF chunk ${seq} of ${count} is inconsistent (at most ${MAX_CHUNKS} chunks, each set one count)`,
        remote,
      );
      return null;
    }
    if (count === 1) return Buffer.from(chunk.subarray(HEADER));
    if (set === undefined) {
      if (this.sets.size >= this.opts.maxPending) {
        const oldest = this.sets.keys().next().value!;
        this.sets.delete(oldest);
        this.opts.onGiveUp(
          'incomplete_chunks',
          `more than ${this.opts.maxPending} chunked GELF messages open; the oldest was given up`,
          oldest.slice(0, oldest.indexOf('\n')),
        );
      }
      set = { parts: new Array(count), received: 0, bytes: 0, firstAt: now };
      this.sets.set(id, set);
    }
    if (set.parts[seq] !== undefined) return null; // a repeated chunk
    const part = Buffer.from(chunk.subarray(HEADER));
    set.bytes += part.length;
    if (set.bytes > this.opts.maxMessageBytes) {
      this.sets.delete(id);
      this.opts.onGiveUp(
        'oversized',
        `chunked GELF message exceeds the limit of ${this.opts.maxMessageBytes} bytes`,
        remote,
      );
      return null;
    }
    set.parts[seq] = part;
    set.received++;
    if (set.received < count) return null;
    this.sets.delete(id);
    return Buffer.concat(set.parts as Buffer[], set.bytes);
  }

  /** Gives up the sets older than timeoutMs; returns how many. */
  sweep(now = Date.now()): number {
    let n = 0;
    for (const [id, set] of this.sets) {
      if (now - set.firstAt < this.opts.timeoutMs) break; // insertion order: the rest are younger
      this.sets.delete(id);
      n++;
      this.opts.onGiveUp(
        'incomplete_chunks',
        `chunked GELF message incomplete after ${this.opts.timeoutMs} ms (${set.received} of ${set.parts.length} chunks)`,
        id.slice(0, id.indexOf('\n')),
      );
    }
    return n;
  }

  /** Gives up every open set (at shutdown); returns how many there were. */
  clear(): number {
    const n = this.sets.size;
    this.sets.clear();
    return n;
  }
}
