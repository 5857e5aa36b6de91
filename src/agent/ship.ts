/**
 * Sends one spooled batch to `POST /api/v1/ingest?stream=...` until the server has all of it:
 * retries with exponential backoff and full jitter (`initialMs * 2^attempt`, capped at `maxMs`),
 * honouring `Retry-After` (429 queue full, 503 shutting down); 507 (disk full) and network
 * failures are retried the same way, so nothing is ever dropped.
 *
 * Exactly once: when the server kept the first events of a batch and then refused (it answers
 * how many), only the rest is sent again. When an answer was lost (connection reset, the agent
 * killed after sending), the batch is "in doubt": before it is sent again the agent waits until
 * the server has indexed what it queued and counts the batch's events by their `agent.batch`
 * id (NDJSON format only; text lines carry no id and are sent again whole: at least once).
 *
 * The HTTP client functions are passed in (the CLI's, so errors read the same everywhere).
 */
import { randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { SpooledBatch } from './spool.ts';

export interface HttpClient {
  /** fetch, with network failures thrown as one clear sentence. */
  request(url: string, init?: RequestInit): Promise<Response>;
  /** An error answer as `message (CODE)` and its JSON body. */
  errorAnswer(res: Response): Promise<{ text: string; body: Record<string, unknown> }>;
  /** Where the unsent rest of a body starts after the server kept its first `accepted` events. */
  restAfterAccepted(
    body: Buffer,
    accepted: number,
    rejected: ReadonlySet<number>,
    complete: boolean,
  ): { offset: number; lines: number } | null;
}

export interface ShipLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface ShipOptions {
  server: string;
  initialMs: number;
  maxMs: number;
  /** Whether events carry `agent.batch` (NDJSON), so a batch in doubt can be looked up. */
  lookup: boolean;
}

/** What the sender is doing, for the status report. */
export interface ShipState {
  lastError: string | null;
  lastErrorAt: number | null;
  retrying: boolean;
  acked: { batches: number; events: number; rejected: number };
}

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);
const zstd = promisify(zlib.zstdCompress);
const unzstd = promisify(zlib.zstdDecompress);

export async function compress(body: Buffer, encoding: string): Promise<Buffer> {
  if (encoding === 'gzip') return gzip(body, { level: 1 });
  if (encoding === 'zstd') return zstd(body);
  return body;
}

async function decompress(body: Buffer, encoding: string): Promise<Buffer> {
  if (encoding === 'gzip') return gunzip(body);
  if (encoding === 'zstd') return unzstd(body);
  return body;
}

/** An ingest answer body (success or failure). */
interface Answer {
  accepted?: number;
  rejected?: number;
  errors?: Array<{ line: number; error: string }>;
  more_errors?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Shipper {
  readonly state: ShipState = {
    lastError: null,
    lastErrorAt: null,
    retrying: false,
    acked: { batches: 0, events: 0, rejected: 0 },
  };
  private readonly o: ShipOptions;
  private readonly http: HttpClient;
  private readonly log: ShipLogger;
  private stopped = false;
  private readonly wakers = new Set<() => void>();
  private readonly aborter = new AbortController();

  constructor(o: ShipOptions, http: HttpClient, log: ShipLogger) {
    this.o = o;
    this.http = http;
    this.log = log;
  }

  /** Makes `send` give up now (the agent is stopping). */
  stop(): void {
    this.stopped = true;
    this.aborter.abort(); // requests in flight: their batches stay in doubt for the next run
    for (const w of this.wakers) w();
  }

  private async wait(ms: number): Promise<void> {
    let wake = () => {};
    await Promise.race([sleep(ms), new Promise<void>((r) => this.wakers.add((wake = r)))]);
    this.wakers.delete(wake);
  }

  private fail(text: string): void {
    const first = this.state.lastError === null || !this.state.retrying;
    this.state.lastError = text;
    this.state.lastErrorAt = Date.now();
    this.state.retrying = true;
    if (first) this.log.warn({ error: text }, 'cannot ship, retrying with backoff');
  }

  /**
   * Sends `batch` (`body`: its request body from the spool) until the server has all of it. `inDoubt`: an earlier
   * attempt may have reached the server. Resolves true when acknowledged, false when stopped.
   */
  async send(batch: SpooledBatch, body: Buffer, inDoubt: boolean): Promise<boolean> {
    const h = batch.header;
    const url = `${this.o.server}/api/v1/ingest?stream=${encodeURIComponent(h.stream)}`;
    let events = h.events;
    let skipped = 0;
    for (let attempt = 0; !this.stopped; attempt++) {
      let retryAfterMs = 0;
      try {
        if (inDoubt && this.o.lookup) {
          const stored = (await this.countStored(h.id)) - skipped;
          if (stored > 0) {
            this.log.info(
              { batch: h.seq, stored, events },
              'batch in doubt: the server has its first events',
            );
            if (stored < events) body = await this.cut(body, h.encoding, stored, new Set(), true);
            skipped += stored;
            events -= stored;
          }
          inDoubt = false;
        }
        if (events <= 0) break;
        const headers: Record<string, string> = { 'content-type': h.contentType };
        if (h.encoding !== 'identity') headers['content-encoding'] = h.encoding;
        let res: Response;
        try {
          res = await this.http.request(url, { method: 'POST', headers, body, signal: this.aborter.signal });
        } catch (err) {
          inDoubt = true; // the request may have arrived before the connection failed
          throw err;
        }
        if (res.ok) {
          // Acknowledged: even an unreadable answer must not make the batch go again.
          const a = (await res.json().catch(() => ({}))) as Answer;
          this.state.acked.rejected += a.rejected ?? 0;
          if (a.rejected) {
            this.log.warn(
              { batch: h.seq, rejected: a.rejected, first: a.errors?.[0] },
              'server rejected events',
            );
          }
          break;
        }
        const { text, body: a } = await this.http.errorAnswer(res);
        const kept = Number((a as Answer).accepted ?? 0);
        if (kept > 0) {
          const listed = new Set(((a as Answer).errors ?? []).map((e) => e.line));
          body = await this.cut(body, h.encoding, kept, listed, !(a as Answer).more_errors);
          skipped += kept;
          events -= kept;
        }
        const after = Number(res.headers.get('retry-after') ?? Number.NaN);
        if (Number.isFinite(after)) retryAfterMs = after * 1000;
        this.fail(`server answered ${text}`);
      } catch (err) {
        if (this.stopped) break;
        this.fail((err as Error).message);
      }
      const backoff = Math.min(this.o.maxMs, this.o.initialMs * 2 ** Math.min(attempt, 30));
      const jittered = randomInt(Math.max(1, Math.floor(backoff)) + 1);
      await this.wait(
        Math.max(retryAfterMs + randomInt(Math.max(1, Math.floor(retryAfterMs / 10)) + 1), jittered),
      );
    }
    if (this.stopped) return false;
    if (this.state.retrying) this.log.info({ batch: h.seq }, 'shipping again');
    this.state.retrying = false;
    this.state.acked.batches++;
    this.state.acked.events += h.events;
    return true;
  }

  /** The body without its first `kept` events. Throws if that cannot be known. */
  private async cut(
    body: Buffer,
    encoding: string,
    kept: number,
    rejected: ReadonlySet<number>,
    complete: boolean,
  ): Promise<Buffer> {
    const raw = await decompress(body, encoding);
    const rest = this.http.restAfterAccepted(raw, kept, rejected, complete);
    if (rest === null) throw new Error(`BUG: cannot tell which ${kept} events the server kept`);
    return compress(raw.subarray(rest.offset), encoding);
  }

  /**
   * How many events with `agent.batch` = id the server stored, once it has indexed everything
   * it had queued when asked.
   */
  private async countStored(id: string): Promise<number> {
    const base = this.o.server;
    const queue = async () =>
      (await (await this.http.request(`${base}/api/v1/queue`, { signal: this.aborter.signal })).json()) as {
        lag: { partitions: Array<{ partition: number; position: number; end: number }> };
      };
    const ends = new Map((await queue()).lag.partitions.map((p) => [p.partition, p.end]));
    for (let i = 0; ; i++) {
      const q = await queue();
      if (q.lag.partitions.every((p) => p.position >= (ends.get(p.partition) ?? 0))) break;
      if (this.stopped) throw new Error('stopping');
      await this.wait(Math.min(1000, 50 * 2 ** i));
    }
    const qs = new URLSearchParams({
      q: `agent.batch:="${id}"`,
      start: '0',
      end: '9999-01-01T00:00:00Z',
      limit: '0',
    });
    const res = await this.http.request(`${base}/api/v1/search?${qs}`, { signal: this.aborter.signal });
    if (!res.ok) throw new Error(`cannot look up batch ${id}: ${(await this.http.errorAnswer(res)).text}`);
    return Number(((await res.json()) as { total: number }).total);
  }
}
