/**
 * Incremental decoder for syslog over a byte stream (TCP), RFC 6587.
 *
 * Both framings of RFC 6587 are accepted on one connection, decided per frame as rsyslog does:
 * - octet counting (section 3.4.1): `MSG-LEN SP SYSLOG-MSG`, MSG-LEN a decimal without leading
 *   zero. A frame that starts with a digit 1-9 is octet-counted when the digits (at most 10) are
 *   followed by a space AND then by `<` (the PRI every syslog message starts with). rsyslog does not
 *   check the `<`; we do, so that a plain-text line such as `200 OK` is not taken as a 200-byte
 *   frame swallowing the lines after it. When the check fails the bytes read so far are the start of
 *   a non-transparent frame.
 * - non-transparent framing (section 3.4.2): the frame ends at LF; NUL also ends a frame (some
 *   senders use it as trailer) and a CR before the LF is dropped. Empty frames are skipped.
 * Trailing CR/LF inside an octet-counted frame (senders that count the LF) are dropped too.
 *
 * A frame longer than maxFrameBytes (default 1 MiB) is reported through onError with its stream
 * offset and skipped (an octet-counted one by its length, a line up to its LF); decoding goes on
 * with the next frame. Frames are decoded as UTF-8 (invalid bytes become U+FFFD).
 *
 * Ownership: push() does not keep a reference to the chunk after it returns, except to bytes of an
 * unfinished frame (kept until the frame completes). Never throws on any input.
 */

export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

export interface FrameError {
  /**
   * `oversized`: the frame exceeded maxFrameBytes and was skipped. `truncated`: the stream ended
   * inside an octet-counted frame; its received part is still returned by end().
   */
  kind: 'oversized' | 'truncated';
  /** What went wrong, for logs. */
  message: string;
  /** Stream offset (bytes since the connection started) of the frame's first byte. */
  offset: number;
  /** Size of the frame in bytes: the declared length, or the bytes seen so far for a line. */
  size: number;
}

export interface FrameDecoderOptions {
  /** Longest accepted frame, in bytes of message (without the octet count or the LF). */
  maxFrameBytes?: number;
  /** Called for each oversized or truncated frame; the decoder then skips it. */
  onError?: (err: FrameError) => void;
}

const START = 0; // at a frame boundary
const COUNT = 1; // reading the octet count digits
const COUNT_SP = 2; // read `digits SP`, the next byte decides
const OCTET = 3; // inside an octet-counted frame
const LINE = 4; // inside an LF-delimited frame
const SKIP_OCTET = 5; // discarding an oversized octet-counted frame
const SKIP_LINE = 6; // discarding an oversized line up to its LF

const LF = 10;
const CR = 13;
const NUL = 0;
const SPACE = 32;
const LT = 60;
const MAX_COUNT_DIGITS = 10;

export class SyslogFrameDecoder {
  readonly maxFrameBytes: number;
  private readonly onError: ((err: FrameError) => void) | undefined;
  private state = START;
  /** Octet count being read, then bytes still expected (OCTET, SKIP_OCTET). */
  private count = 0;
  private countDigits = 0;
  /** Declared length of the current octet-counted frame. */
  private declared = 0;
  /** Bytes of the unfinished frame from earlier chunks. */
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** Stream offset of the first byte of the current chunk, and of the current frame. */
  private offset = 0;
  private frameStart = 0;

  constructor(opts: FrameDecoderOptions = {}) {
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.onError = opts.onError;
  }

  /** Feeds the next chunk of the stream; returns the frames it completed, in order. */
  push(chunk: Buffer): string[] {
    const out: string[] = [];
    const n = chunk.length;
    let i = 0;
    // Cached positions of the next LF and NUL at or after i (-1: none left in this chunk).
    let nextLf = -2;
    let nextNul = -2;
    while (i < n) {
      switch (this.state) {
        case START: {
          const b = chunk[i]!;
          if (b === LF || b === CR || b === NUL) {
            i++; // empty frame or stray trailer
            break;
          }
          this.frameStart = this.offset + i;
          if (b >= 49 && b <= 57) {
            this.state = COUNT;
            this.count = b - 48;
            this.countDigits = 1;
            i++;
          } else {
            this.state = LINE;
          }
          break;
        }
        case COUNT: {
          const b = chunk[i]!;
          if (b >= 48 && b <= 57 && this.countDigits < MAX_COUNT_DIGITS) {
            this.count = this.count * 10 + (b - 48);
            this.countDigits++;
            i++;
          } else if (b === SPACE) {
            this.state = COUNT_SP;
            i++;
          } else {
            this.fallBackToLine(false);
          }
          break;
        }
        case COUNT_SP: {
          if (chunk[i] !== LT) {
            this.fallBackToLine(true);
            break;
          }
          this.declared = this.count;
          if (this.count > this.maxFrameBytes) {
            this.report(
              'oversized',
              `octet-counted syslog frame of ${this.count} bytes exceeds the limit of ${this.maxFrameBytes} bytes`,
              this.count,
            );
            this.state = SKIP_OCTET;
          } else {
            this.state = OCTET;
          }
          break; // the '<' is the frame's first byte: consumed by OCTET / SKIP_OCTET
        }
        case OCTET: {
          const take = Math.min(this.count, n - i);
          this.count -= take;
          if (this.count > 0) {
            this.keep(chunk, i, i + take);
          } else {
            out.push(this.finish(chunk, i, i + take));
            this.state = START;
          }
          i += take;
          break;
        }
        case SKIP_OCTET: {
          const take = Math.min(this.count, n - i);
          this.count -= take;
          i += take;
          if (this.count === 0) this.state = START;
          break;
        }
        case LINE:
        case SKIP_LINE: {
          if (nextLf !== -1 && nextLf < i) nextLf = chunk.indexOf(LF, i);
          if (nextNul !== -1 && nextNul < i) nextNul = chunk.indexOf(NUL, i);
          const d = nextLf < 0 ? nextNul : nextNul < 0 ? nextLf : Math.min(nextLf, nextNul);
          const stop = d < 0 ? n : d;
          if (this.state === SKIP_LINE) {
            if (d >= 0) this.state = START;
            i = d < 0 ? n : d + 1;
            break;
          }
          if (this.partsBytes + (stop - i) > this.maxFrameBytes) {
            this.report(
              'oversized',
              `syslog line exceeds the limit of ${this.maxFrameBytes} bytes`,
              this.partsBytes + (stop - i),
            );
            this.parts = [];
            this.partsBytes = 0;
            this.state = d < 0 ? SKIP_LINE : START;
            i = d < 0 ? n : d + 1;
            break;
          }
          if (d < 0) {
            this.keep(chunk, i, n);
            i = n;
          } else {
            const line = this.finish(chunk, i, d);
            if (line.length > 0) out.push(line);
            this.state = START;
            i = d + 1;
          }
          break;
        }
      }
    }
    this.offset += n;
    return out;
  }

  /**
   * Signals the end of the stream. Returns a last unterminated line, if any; an unfinished
   * octet-counted frame is reported through onError and its received part returned (better a
   * truncated message than a lost one). The decoder is then reset for reuse.
   */
  end(): string[] {
    const out: string[] = [];
    const empty = Buffer.alloc(0);
    switch (this.state) {
      case COUNT:
      case COUNT_SP:
        this.fallBackToLine(this.state === COUNT_SP);
        out.push(this.finish(empty, 0, 0));
        break;
      case LINE: {
        const line = this.finish(empty, 0, 0);
        if (line.length > 0) out.push(line);
        break;
      }
      case OCTET:
        this.report(
          'truncated',
          `connection closed after ${this.declared - this.count} of ${this.declared} bytes of an octet-counted syslog frame`,
          this.declared,
        );
        if (this.partsBytes > 0) out.push(this.finish(empty, 0, 0));
        break;
    }
    this.state = START;
    this.parts = [];
    this.partsBytes = 0;
    this.offset = 0;
    return out;
  }

  /** The digits (and space) read as an octet count were the start of a line after all. */
  private fallBackToLine(withSpace: boolean): void {
    const head = withSpace ? `${this.count} ` : String(this.count);
    this.parts = [Buffer.from(head, 'latin1')];
    this.partsBytes = head.length;
    this.state = LINE;
  }

  private keep(chunk: Buffer, from: number, to: number): void {
    if (to <= from) return;
    // Copy: the caller may reuse the chunk's memory after push returns.
    this.parts.push(Buffer.from(chunk.subarray(from, to)));
    this.partsBytes += to - from;
  }

  /** The current frame's bytes (kept parts + chunk[from, to)) as a string without trailing CR/LF. */
  private finish(chunk: Buffer, from: number, to: number): string {
    let s: string;
    if (this.partsBytes === 0) {
      s = chunk.toString('utf8', from, to);
    } else {
      if (to > from) this.parts.push(chunk.subarray(from, to));
      s = Buffer.concat(this.parts).toString('utf8');
      this.parts = [];
      this.partsBytes = 0;
    }
    let e = s.length;
    while (e > 0) {
      const c = s.charCodeAt(e - 1);
      if (c !== LF && c !== CR) break;
      e--;
    }
    return e === s.length ? s : s.slice(0, e);
  }

  private report(kind: FrameError['kind'], message: string, size: number): void {
    this.onError?.({ kind, message, offset: this.frameStart, size });
  }
}
