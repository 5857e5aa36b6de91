/**
 * Joins the lines of one file into multi-line events (Java stack traces, Python tracebacks): a
 * line that matches the start pattern begins an event, the lines that don't are appended to the
 * event before them (with "\n"). An event also ends at `maxLines` lines or `maxBytes` bytes (the
 * next line starts a new event), and the last one is released by `flush` when the caller's
 * timeout (`timeoutMs` without a new line) expires. Lines before the first start line form
 * events of their own.
 *
 * Offsets are byte positions in the file: an event carries the offset of its first line and the
 * end offset of its last line (after the newline), so a checkpoint can point just after it.
 */
import type { MultilineConfig } from './config.ts';
import { isBlank } from './tail-file.ts';

export interface FileEvent {
  text: string;
  /** The bytes of a one-line event (a Line), when at hand. */
  raw?: Buffer;
  /** Byte offset of the first line in the file. */
  offset: number;
  /** Byte offset just after the last line (its newline included). */
  end: number;
}

export class MultilineJoiner {
  private readonly start: RegExp;
  private readonly maxLines: number;
  private readonly maxBytes: number;
  private parts: string[] = [];
  private bytes = 0;
  private offset = 0;
  private end = 0;
  /** When the last line was added (ms, caller's clock). */
  lastLineAt = 0;

  constructor(cfg: MultilineConfig) {
    this.start = new RegExp(cfg.start);
    this.maxLines = cfg.maxLines;
    this.maxBytes = cfg.maxBytes;
  }

  get pending(): boolean {
    return this.parts.length > 0;
  }

  /**
   * Adds one line (without its newline); returns the event it completed, if any. A blank line
   * never starts an event: it belongs to the event being joined (a Python chained traceback has
   * some), and blank lines at an event's end are dropped from its text.
   */
  push(line: string, offset: number, end: number, now: number): FileEvent | null {
    this.lastLineAt = now;
    const blank = isBlank(line);
    if (blank && this.parts.length === 0) return null;
    let done: FileEvent | null = null;
    const bytes = Buffer.byteLength(line) + 1;
    if (
      this.parts.length > 0 &&
      ((!blank && this.start.test(line)) ||
        this.parts.length >= this.maxLines ||
        this.bytes + bytes > this.maxBytes)
    ) {
      done = this.flush();
      if (blank) return done;
    }
    if (this.parts.length === 0) this.offset = offset;
    this.parts.push(line);
    this.bytes += bytes;
    this.end = end;
    return done;
  }

  /** Releases the event being joined, if any. */
  flush(): FileEvent | null {
    if (this.parts.length === 0) return null;
    let n = this.parts.length;
    while (n > 1 && isBlank(this.parts[n - 1])) n--;
    const ev = { text: this.parts.slice(0, n).join('\n'), offset: this.offset, end: this.end };
    this.parts = [];
    this.bytes = 0;
    return ev;
  }
}
