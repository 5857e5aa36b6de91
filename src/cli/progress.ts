/**
 * A terminal progress bar for long CLI work: bytes done, rate (events/s and MB/s) and ETA.
 * Redraws at most every 100 ms on a TTY; when the stream is not a TTY (CI, pipes) prints a line
 * every few seconds instead, so logs stay readable. With an unknown total (standard input) it
 * shows what was done and the rate, without percent or ETA.
 */

/** What the bar writes to: process.stderr, or anything with `write` (tests). */
export interface ProgressOutput {
  isTTY?: boolean;
  write(s: string): unknown;
}

export interface ProgressOptions {
  /** Milliseconds between redraws on a TTY (default 100). */
  redrawMs?: number;
  /** Milliseconds between lines when not a TTY (default 5000). */
  lineMs?: number;
  /** The clock, in milliseconds (default performance.now). */
  now?: () => number;
}

const WIDTH = 28;

export class ProgressBar {
  private readonly total: number;
  private readonly out: ProgressOutput;
  private readonly now: () => number;
  private readonly redrawMs: number;
  private readonly lineMs: number;
  private readonly start: number;
  private last = Number.NEGATIVE_INFINITY;
  private lastLine: number;
  bytes = 0;
  events = 0;

  /** `totalBytes` 0 means unknown. */
  constructor(totalBytes: number, out: ProgressOutput = process.stderr, opts: ProgressOptions = {}) {
    this.total = totalBytes;
    this.out = out;
    this.now = opts.now ?? (() => performance.now());
    this.redrawMs = opts.redrawMs ?? 100;
    this.lineMs = opts.lineMs ?? 5000;
    this.start = this.now();
    this.lastLine = this.start;
  }

  update(bytes: number, events: number): void {
    this.bytes = bytes;
    this.events = events;
    const now = this.now();
    if (this.out.isTTY) {
      if (now - this.last < this.redrawMs) return;
      this.last = now;
      this.out.write(`\r${this.render(now)}\x1b[K`);
    } else if (now - this.lastLine >= this.lineMs) {
      this.lastLine = now;
      this.out.write(`${this.render(now)}\n`);
    }
  }

  render(now = this.now()): string {
    const secs = Math.max((now - this.start) / 1000, 1e-3);
    const evps = Math.round(this.events / secs).toLocaleString('en-US');
    const mbps = (this.bytes / secs / 1e6).toFixed(1);
    if (this.total <= 0) return `${fmtBytes(this.bytes)}  ${evps} ev/s  ${mbps} MB/s`;
    const frac = Math.min(this.bytes / this.total, 1);
    const filled = Math.round(frac * WIDTH);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}`;
    const eta = frac > 0 ? fmtDuration((secs / frac) * (1 - frac)) : '?';
    const pct = `${(frac * 100).toFixed(1).padStart(5)}%`;
    return `${bar} ${pct}  ${fmtBytes(this.bytes)}/${fmtBytes(this.total)}  ${evps} ev/s  ${mbps} MB/s  ETA ${eta}`;
  }

  /** Draws the final state (TTY only: elsewhere the caller's summary says it). */
  done(): void {
    if (this.out.isTTY) this.out.write(`\r${this.render()}\x1b[K\n`);
  }
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** 7s, 2m05s, 1h02m. */
export function fmtDuration(secs: number): string {
  const s = Math.max(0, Math.round(secs));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
