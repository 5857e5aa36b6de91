/**
 * `logwarden agent`: tails files and globs and ships their events to a logwarden server.
 *
 * Pipeline, all in one event loop:
 *   files (FileSet: globs, rename and copytruncate rotation; TailedFile: offsets, fingerprints)
 *     -> lines -> multi-line events (MultilineJoiner, with a flush timeout)
 *     -> batches per stream (encode.ts), sealed at maxEvents / maxBytes / maxWaitMs
 *     -> disk buffer (Spool: durable, bounded; reading pauses while it is full)
 *     -> Shipper (up to batch.inflight requests at once, retries, exactly-once for NDJSON)
 *     -> checkpoint (durable, only after the server acknowledged).
 *
 * Restart: reading resumes after the last spooled batch of each file (else the checkpoint); a
 * file is recognised by dev + inode and the hash of its first bytes. A file renamed by rotation
 * while the agent was down is found again by its inode in the same directory.
 *
 * Only one agent may use a data directory (a lock file holds its pid).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LwError } from '../core/errors.ts';
import { lockDir } from '../queue/disk/dir-lock.ts';
import { type AgentConfig, MAX_INFLIGHT } from './config.ts';
import { encodeNdjson } from './encode.ts';
import { FileSet, type Tracked } from './file-set.ts';
import type { FileEvent } from './multiline.ts';
import { CheckpointFile, type FilePosition, mergePositions } from './positions.ts';
import { compress, type HttpClient, Shipper } from './ship.ts';
import { Spool } from './spool.ts';
import { type AgentStatus, writeStatus } from './status.ts';

export interface AgentLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

interface OpenBatch {
  id: string;
  lines: string[];
  bytes: number;
  firstAt: number;
  files: Set<Tracked>;
}

const STATUS_EVERY_MS = 1000;
const PROGRESS_EVERY_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Agent {
  private readonly cfg: AgentConfig;
  private readonly log: AgentLogger;
  private readonly shipper: Shipper;
  private readonly spool: Spool;
  private readonly checkpoint: CheckpointFile;
  private readonly files: FileSet;
  /** Positions the server acknowledged, by file key. */
  private readonly acked = new Map<string, FilePosition>();
  private readonly batches = new Map<string, OpenBatch>();
  private nextSeq = 1;
  /** Sequence number of the last batch the durable checkpoint covers. */
  private durableSeq = 0;
  /** Batches left by the last run up to this one may have reached the server unacknowledged. */
  private inDoubtUpTo = 0;
  private running = false;
  private paused = false;
  private wakePoll: (() => void) | null = null;
  /** Set by kickShip: the ship loop has something new to look at. */
  private shipKicked = false;
  private shipWaiter: (() => void) | null = null;
  private loops: Promise<void>[] = [];
  private unlock: (() => Promise<void>) | null = null;
  private readonly startedAt = Date.now();
  private readEvents = 0;

  constructor(cfg: AgentConfig, http: HttpClient, log: AgentLogger) {
    // Globs are matched against absolute paths.
    const abs = (ps: string[]) => ps.map((p) => path.resolve(p));
    this.cfg = {
      ...cfg,
      files: cfg.files.map((g) => ({ ...g, paths: abs(g.paths), exclude: abs(g.exclude) })),
    };
    this.log = log;
    fs.mkdirSync(cfg.dataDir, { recursive: true });
    this.spool = new Spool(cfg.dataDir);
    this.checkpoint = new CheckpointFile(cfg.dataDir);
    this.files = new FileSet(this.cfg, log, {
      add: (t, ev) => this.add(t, ev),
      full: () => this.bufferFull,
      wake: () => this.wakePoll?.(),
    });
    this.shipper = new Shipper(
      {
        server: cfg.server.replace(/\/+$/, ''),
        initialMs: cfg.retry.initialMs,
        maxMs: cfg.retry.maxMs,
        lookup: cfg.format === 'ndjson',
      },
      http,
      log,
    );
  }

  async start(): Promise<void> {
    try {
      this.unlock = await lockDir(this.cfg.dataDir);
    } catch (err) {
      if (err instanceof LwError) {
        throw new LwError('LW_ERR_CONFIG', [
          `agent data directory ${path.resolve(this.cfg.dataDir)} is in use: ${err.message.replace(/^.*in use by /, '')}`,
        ]);
      }
      throw err;
    }
    const cp = this.checkpoint.read();
    mergePositions(this.acked, cp.files);
    mergePositions(this.files.resume, cp.files);
    await this.spool.load(cp.ackedSeq);
    for (const b of this.spool.all) mergePositions(this.files.resume, b.header.positions);
    this.nextSeq = Math.max(cp.ackedSeq, this.spool.lastSeq) + 1;
    this.durableSeq = cp.ackedSeq;
    // The last run sent at most MAX_INFLIGHT batches beyond its durable checkpoint.
    this.inDoubtUpTo = Math.min(cp.ackedSeq + MAX_INFLIGHT, this.spool.lastSeq);
    this.running = true;
    await this.files.scan(true);
    await this.files.findRotatedWhileDown();
    this.log.info(
      {
        server: this.cfg.server,
        stream: this.cfg.stream,
        host: this.cfg.host,
        files: this.files.tracked.size,
        buffered: this.spool.size,
      },
      'agent started',
    );
    this.loops = [this.pollLoop(), this.shipLoop(), this.statusLoop()];
  }

  /** Stops reading, seals what was read (durably), stops sending and releases the directory. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.shipper.stop();
    this.wakePoll?.();
    this.kickShip();
    await Promise.allSettled(this.loops);
    for (const stream of [...this.batches.keys()]) await this.seal(stream);
    await this.files.close();
    await this.writeStatusFile('stopped');
    await this.unlock?.();
    this.log.info({ buffered: this.spool.size }, 'agent stopped');
  }

  // --- reading ---------------------------------------------------------------------------

  private async pollLoop(): Promise<void> {
    while (this.running) {
      try {
        await this.files.poll();
        await this.afterPoll();
      } catch (err) {
        this.log.error({ error: (err as Error).message }, 'reading failed');
      }
      if (!this.running) break;
      await Promise.race([sleep(this.cfg.pollMs), new Promise<void>((r) => (this.wakePoll = r))]);
      this.wakePoll = null;
    }
  }

  private get bufferFull(): boolean {
    return this.spool.bytes >= this.cfg.buffer.maxBytes;
  }

  /** Notes a change of the buffer's state and seals the batches that waited long enough. */
  private async afterPoll(): Promise<void> {
    if (this.bufferFull !== this.paused) {
      this.paused = this.bufferFull;
      this.log.warn(
        { bufferBytes: this.spool.bytes, maxBytes: this.cfg.buffer.maxBytes },
        this.paused ? 'disk buffer full: reading paused' : 'reading resumed',
      );
    }
    for (const [stream, b] of [...this.batches]) {
      if (Date.now() - b.firstAt >= this.cfg.batch.maxWaitMs) await this.seal(stream);
    }
  }

  // --- batching --------------------------------------------------------------------------

  private async add(t: Tracked, ev: FileEvent): Promise<void> {
    let b = this.batches.get(t.stream);
    if (!b) {
      b = {
        id: crypto.randomBytes(8).toString('hex'),
        lines: [],
        bytes: 0,
        firstAt: Date.now(),
        files: new Set(),
      };
      this.batches.set(t.stream, b);
    }
    const line = this.cfg.format === 'ndjson' ? encodeNdjson(ev, t.labels, b.id, Date.now() * 1000) : ev.text;
    b.lines.push(line);
    b.bytes += line.length + 1;
    b.files.add(t);
    t.batched = ev.end;
    this.readEvents++;
    if (b.lines.length >= this.cfg.batch.maxEvents || b.bytes >= this.cfg.batch.maxBytes) {
      await this.seal(t.stream);
    }
  }

  /** Writes the stream's open batch to the disk buffer and wakes the sender. */
  private async seal(stream: string): Promise<void> {
    const b = this.batches.get(stream);
    if (!b) return;
    this.batches.delete(stream);
    const raw = Buffer.from(`${b.lines.join('\n')}\n`);
    const encoding = this.cfg.compression === 'none' ? 'identity' : this.cfg.compression;
    const body = await compress(raw, encoding);
    await this.spool.append(
      {
        seq: this.nextSeq++,
        id: b.id,
        stream,
        events: b.lines.length,
        rawBytes: raw.length,
        contentType: this.cfg.format === 'ndjson' ? 'application/x-ndjson' : 'text/plain',
        encoding,
        positions: [...b.files].map((t) => this.files.position(t)),
      },
      body,
    );
    this.kickShip();
  }

  // --- shipping --------------------------------------------------------------------------

  /**
   * Sends the spooled batches, up to `batch.inflight` at once, but never one whose sequence
   * number is beyond the durable checkpoint + inflight: so after a crash, only the batches up to
   * there can have reached the server unacknowledged, and only they are looked up (in doubt).
   * Acknowledgements may come out of order; the checkpoint advances over the contiguous ones.
   */
  private async shipLoop(): Promise<void> {
    const window = this.cfg.batch.inflight;
    const inflight = new Map<number, Promise<void>>();
    const done = new Set<number>();
    let stopped = false;
    while (this.running && !stopped) {
      // Level-triggered: a completion or a new batch while this iteration was busy is not lost.
      this.shipKicked = false;
      await this.checkpointAcknowledged(done);
      for (const b of this.spool.all) {
        const seq = b.header.seq;
        if (inflight.size >= window || seq > this.durableSeq + window) break;
        if (inflight.has(seq) || done.has(seq)) continue;
        const p = (async () => {
          try {
            const ok = await this.shipper.send(b, await this.spool.body(b), seq <= this.inDoubtUpTo);
            if (ok) done.add(seq);
            else stopped = true;
          } catch (err) {
            this.log.error({ batch: seq, error: (err as Error).message }, 'cannot send a buffered batch');
            await sleep(1000);
          } finally {
            inflight.delete(seq);
            this.kickShip();
          }
        })();
        inflight.set(seq, p);
      }
      if (!this.shipKicked) await new Promise<void>((r) => (this.shipWaiter = r));
      this.shipWaiter = null;
    }
    await Promise.allSettled(inflight.values());
  }

  /** Wakes the ship loop (a batch was sealed or sent, or the agent stops). */
  private kickShip(): void {
    this.shipKicked = true;
    this.shipWaiter?.();
  }

  /** Moves the checkpoint over the oldest batches the server acknowledged, and drops them. */
  private async checkpointAcknowledged(done: Set<number>): Promise<void> {
    const acked = [];
    for (const b of this.spool.all) {
      if (!done.has(b.header.seq)) break;
      acked.push(b);
    }
    if (acked.length === 0) return;
    for (const b of acked) mergePositions(this.acked, b.header.positions);
    const seq = acked[acked.length - 1].header.seq;
    await this.checkpoint.write({ ackedSeq: seq, files: this.liveAcked() });
    this.durableSeq = seq;
    for (const b of acked) {
      done.delete(b.header.seq);
      await this.spool.shift();
    }
    if (this.paused) this.wakePoll?.();
  }

  /** Acknowledged positions worth keeping: files being read, or that the globs match. */
  private liveAcked(): FilePosition[] {
    for (const key of this.acked.keys()) if (!this.files.isKnown(key)) this.acked.delete(key);
    return [...this.acked.values()];
  }

  // --- status ----------------------------------------------------------------------------

  private async statusLoop(): Promise<void> {
    let lastProgress = Date.now();
    let lastEvents = 0;
    while (this.running) {
      await sleep(STATUS_EVERY_MS);
      await this.writeStatusFile(
        this.paused ? 'paused' : this.shipper.state.retrying ? 'retrying' : 'shipping',
      );
      if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
        const secs = (Date.now() - lastProgress) / 1000;
        const acked = this.shipper.state.acked.events;
        this.log.info(
          {
            eventsPerSec: Math.round((acked - lastEvents) / secs),
            shipped: acked,
            buffered: this.spool.size,
            files: this.files.tracked.size,
          },
          'progress',
        );
        lastProgress = Date.now();
        lastEvents = acked;
      }
    }
  }

  /** The status report (also written to `status.json` in the data directory every second). */
  status(state: AgentStatus['state']): AgentStatus {
    const s = this.shipper.state;
    return {
      pid: process.pid,
      state,
      startedAt: new Date(this.startedAt).toISOString(),
      updatedAt: new Date().toISOString(),
      server: this.cfg.server,
      stream: this.cfg.stream,
      host: this.cfg.host,
      lastError: s.lastError,
      lastErrorAt: s.lastErrorAt === null ? null : new Date(s.lastErrorAt).toISOString(),
      events: { read: this.readEvents, shipped: s.acked.events, rejected: s.acked.rejected },
      buffer: { batches: this.spool.size, bytes: this.spool.bytes, maxBytes: this.cfg.buffer.maxBytes },
      files: [...this.files.tracked.values()].map((t) => {
        const shipped = this.acked.get(t.file.key)?.offset ?? t.startOffset;
        let size = t.file.size;
        try {
          size = fs.fstatSync(t.file.fh.fd).size; // current, even while reading is paused
        } catch {
          // closed meanwhile: the last size seen
        }
        return {
          path: t.file.path,
          rotated: t.file.rotated,
          size,
          read: t.file.offset,
          shipped,
          behind: Math.max(0, size - shipped),
          lastError: t.lastError,
        };
      }),
    };
  }

  private async writeStatusFile(state: AgentStatus['state']): Promise<void> {
    try {
      await writeStatus(this.cfg.dataDir, this.status(state));
    } catch (err) {
      this.log.warn({ error: (err as Error).message }, 'cannot write the status file');
    }
  }
}
