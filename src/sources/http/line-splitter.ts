/**
 * Splits a byte stream into lines (LF, with an optional CR before it) without buffering the
 * whole body. A line longer than `maxLineBytes` is reported as too long and skipped up to its
 * end, so one oversized line never rejects the rest.
 *
 * Contract: `push` may be called with chunks of any size. A line handed to `onLine` is a view
 * into the pushed chunk when it lies within one chunk (no copy), else a new buffer: the caller
 * must not modify a chunk after pushing it (stream chunks never are), and may keep the lines.
 * Line numbers are 1-based. Another delimiter byte than LF may be given (GELF over TCP ends
 * messages with NUL); the CR before the delimiter is stripped only for LF.
 */
export interface LineSink {
  onLine(line: Buffer, lineNo: number): void;
  onTooLong(lineNo: number, bytes: number): void;
}

export class LineSplitter {
  private readonly max: number;
  private readonly sink: LineSink;
  private parts: Buffer[] = [];
  private partBytes = 0;
  private skipping = false;
  private skippedBytes = 0;
  private lineNo = 0;
  private readonly delimiter: number;

  constructor(maxLineBytes: number, sink: LineSink, delimiter = 10) {
    this.max = maxLineBytes;
    this.sink = sink;
    this.delimiter = delimiter;
  }

  get lines(): number {
    return this.lineNo;
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(this.delimiter, start);
      if (nl === -1) {
        this.append(chunk.subarray(start));
        return;
      }
      if (this.partBytes === 0 && !this.skipping) this.wholeLine(chunk, start, nl);
      else {
        this.append(chunk.subarray(start, nl));
        this.endLine();
      }
      start = nl + 1;
    }
  }

  /** A line that lies within one chunk (most lines): `endLine` without collecting parts. */
  private wholeLine(chunk: Buffer, start: number, end: number): void {
    this.lineNo++;
    if (end - start > this.max + 1) {
      this.sink.onTooLong(this.lineNo, end - start);
      return;
    }
    if (this.delimiter === 10 && end > start && chunk[end - 1] === 13) end--;
    if (end - start > this.max) {
      this.sink.onTooLong(this.lineNo, end - start);
      return;
    }
    this.sink.onLine(chunk.subarray(start, end), this.lineNo);
  }

  end(): void {
    if (this.partBytes > 0 || this.skipping) this.endLine();
  }

  private append(b: Buffer): void {
    if (b.length === 0) return;
    if (this.skipping) {
      this.skippedBytes += b.length;
      return;
    }
    if (this.partBytes + b.length > this.max + 1) {
      // +1 allows for a CR that is stripped at the end of the line.
      this.skipping = true;
      this.skippedBytes = this.partBytes + b.length;
      this.parts = [];
      this.partBytes = 0;
      return;
    }
    this.parts.push(b);
    this.partBytes += b.length;
  }

  private endLine(): void {
    this.lineNo++;
    if (this.skipping) {
      this.sink.onTooLong(this.lineNo, this.skippedBytes);
      this.skipping = false;
      this.skippedBytes = 0;
      return;
    }
    let line = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partBytes);
    this.parts = [];
    this.partBytes = 0;
    if (this.delimiter === 10 && line.length > 0 && line[line.length - 1] === 13)
      line = line.subarray(0, line.length - 1);
    if (line.length > this.max) {
      this.sink.onTooLong(this.lineNo, line.length);
      return;
    }
    this.sink.onLine(line, this.lineNo);
  }
}
