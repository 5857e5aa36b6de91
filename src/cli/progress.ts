/**
 * A terminal progress bar for long CLI work: bytes done, rate (events/s and MB/s) and ETA.
 * Redraws at most every 100 ms on a TTY; when stderr is not a TTY (CI, pipes) prints a line
 * every few seconds instead, so logs stay readable.
 */
export class ProgressBar {
  private readonly total: number;
  private readonly out: NodeJS.WriteStream;
  private readonly start = performance.now();
  private last = 0;
  private lastLine = 0;
  bytes = 0;
  events = 0;

  constructor(totalBytes: number, out: NodeJS.WriteStream = process.stderr) {
    this.total = totalBytes;
    this.out = out;
  }

  update(bytes: number, events: number): void {
    this.bytes = bytes;
    this.events = events;
    const now = performance.now();
    if (this.out.isTTY) {
      if (now - this.last < 100) return;
      this.last = now;
      this.out.write(`\r${this.render(now)}\x1b[K`);
    } else if (now - this.lastLine > 5000) {
      this.lastLine = now;
      this.out.write(`${this.render(now)}\n`);
    }
  }

  render(now = performance.now()): string {
    const secs = Math.max((now - this.start) / 1000, 1e-3);
    const frac = this.total > 0 ? Math.min(this.bytes / this.total, 1) : 0;
    const width = 28;
    const filled = Math.round(frac * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const evps = this.events / secs;
    const mbps = this.bytes / secs / 1e6;
    const eta = frac > 0 && frac < 1 ? ((secs / frac) * (1 - frac)).toFixed(0) : '0';
    return `${bar} ${(frac * 100).toFixed(1).padStart(5)}%  ${fmtBytes(this.bytes)}/${fmtBytes(this.total)}  ${Math.round(evps).toLocaleString('en-US')} ev/s  ${mbps.toFixed(1)} MB/s  ETA ${eta}s`;
  }

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
