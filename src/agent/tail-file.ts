/**
 * One file being tailed: an open handle on an inode (dev + ino), the read offset (just after the
 * last complete line handed out) and a fingerprint of its first bytes. Keeping the handle open
 * means a file renamed by rotation is still read to its end; the fingerprint tells a truncated
 * and rewritten file (copytruncate) or a reused inode from the file a checkpoint was taken of.
 *
 * Lines are split here rather than with the HTTP LineSplitter because the agent needs each
 * line's byte offset in the file; a CR before the LF is dropped. A line longer than a read
 * (`MAX_READ`) is handed out in pieces of that size.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';

/** Bytes of a file's start that identify it. */
export const FINGERPRINT_BYTES = 1024;
const MAX_READ = 1024 * 1024;
const MIN_READ = 64 * 1024;

export interface Line {
  text: string;
  /** The line's bytes: a view into the read buffer, for checks that would otherwise re-encode. */
  raw: Buffer;
  offset: number;
  end: number;
}

/** A line the server's ingest skips (empty, or a few blanks); not an event on its own. */
export function isBlank(text: string): boolean {
  return text.length === 0 || (text.length < 8 && text.trim() === '');
}

export function fileKey(dev: number, ino: number): string {
  return `${dev}:${ino}`;
}

/** Hash of the first `len` bytes of an open file (fewer if it is shorter); '' for none. */
export async function fingerprint(
  fh: fs.FileHandle,
  len = FINGERPRINT_BYTES,
): Promise<{ fp: string; fpLen: number }> {
  const buf = Buffer.allocUnsafe(len);
  const { bytesRead } = await fh.read(buf, 0, len, 0);
  if (bytesRead === 0) return { fp: '', fpLen: 0 };
  return {
    fp: crypto.createHash('sha256').update(buf.subarray(0, bytesRead)).digest('hex').slice(0, 16),
    fpLen: bytesRead,
  };
}

export class TailedFile {
  readonly path: string;
  readonly fh: fs.FileHandle;
  readonly dev: number;
  readonly ino: number;
  fp: string;
  fpLen: number;
  /** Offset just after the last complete line read. */
  offset: number;
  /** Size at the last poll. */
  size = 0;
  /** The path now names another file (or none): read to the end, then close. */
  rotated = false;
  lastDataAt = Date.now();

  private constructor(path: string, fh: fs.FileHandle, dev: number, ino: number, offset: number) {
    this.path = path;
    this.fh = fh;
    this.dev = dev;
    this.ino = ino;
    this.offset = offset;
    this.fp = '';
    this.fpLen = 0;
  }

  get key(): string {
    return fileKey(this.dev, this.ino);
  }

  /** Opens `path`; null when it is gone or not a regular file. Throws when it can't be read. */
  static async open(path: string): Promise<TailedFile | null> {
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const st = await fh.stat({ bigint: false });
    if (!st.isFile()) {
      await fh.close();
      return null;
    }
    const f = new TailedFile(path, fh, st.dev, st.ino, 0);
    f.size = st.size;
    Object.assign(f, await fingerprint(fh));
    return f;
  }

  /** True when this file's first `fpLen` bytes hash to `fp` (a checkpoint's identity). */
  async sameContent(id: { fp: string; fpLen: number }): Promise<boolean> {
    if (id.fpLen === 0) return true;
    if (id.fpLen === this.fpLen) return id.fp === this.fp;
    const now = await fingerprint(this.fh, id.fpLen);
    return now.fpLen === id.fpLen && now.fp === id.fp;
  }

  /**
   * Checks for truncation (copytruncate): the size fell below the read offset, or the first
   * bytes changed. Also grows the fingerprint while the file is shorter than FINGERPRINT_BYTES.
   * Call it before each `read`, so that the fingerprint covers what is read.
   */
  async truncated(): Promise<boolean> {
    const st = await this.fh.stat();
    const grew = st.size !== this.size;
    this.size = st.size;
    if (st.size < this.offset) return true;
    if (!grew && this.fpLen === FINGERPRINT_BYTES) return false;
    const now = await fingerprint(this.fh, this.fpLen || FINGERPRINT_BYTES);
    if (this.fpLen > 0 && now.fp !== this.fp) return true;
    if (this.fpLen < FINGERPRINT_BYTES) Object.assign(this, await fingerprint(this.fh));
    return false;
  }

  /** Starts over at offset 0 with the file's new content. */
  async reset(): Promise<void> {
    this.offset = 0;
    Object.assign(this, await fingerprint(this.fh));
  }

  /**
   * Reads what was appended since the last call and returns its complete lines, blank ones
   * included (see isBlank). `final` also returns a last line without a newline (the file is
   * rotated and idle: nobody will finish it).
   */
  async read(final = false): Promise<Line[]> {
    const lines: Line[] = [];
    // Sized by what the last look at the file promised: a live tail reads little, often.
    const want = Math.min(MAX_READ, Math.max(MIN_READ, this.size - this.offset));
    const buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await this.fh.read(buf, 0, want, this.offset);
    if (bytesRead === 0) return lines;
    this.lastDataAt = Date.now();
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl === -1 || nl >= bytesRead) break;
      this.pushLine(lines, buf, start, nl, nl + 1);
      start = nl + 1;
    }
    if (start < bytesRead && (final || (start === 0 && bytesRead === MAX_READ))) {
      this.pushLine(lines, buf, start, bytesRead, bytesRead);
      start = bytesRead;
    }
    this.offset += start;
    return lines;
  }

  private pushLine(out: Line[], buf: Buffer, start: number, stop: number, next: number): void {
    let e = stop;
    if (e > start && buf[e - 1] === 13) e--;
    out.push({
      text: buf.toString('utf8', start, e),
      raw: buf.subarray(start, e),
      offset: this.offset + start,
      end: this.offset + next,
    });
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => {});
  }
}
