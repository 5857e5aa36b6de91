/**
 * `logwarden agent`: tails files and globs and ships their events to a logwarden server.
 *
 * Pipeline, all in one event loop:
 *   files (TailedFile: rename and copytruncate rotation, fingerprints)
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
import fsp from 'node:fs/promises';
import path from 'node:path';
import { LwError } from '../core/errors.ts';
import { lockDir } from '../queue/disk/dir-lock.ts';
import { type AgentConfig, type FileGroup, MAX_INFLIGHT, type MultilineConfig } from './config.ts';
import { encodeNdjson, type FileLabels, fileSuffix } from './encode.ts';
import { type FileEvent, MultilineJoiner } from './multiline.ts';
import { CheckpointFile, type FilePosition, mergePositions } from './positions.ts';
import { compress, type HttpClient, Shipper } from './ship.ts';
import { Spool } from './spool.ts';
import { type AgentStatus, writeStatus } from './status.ts';
import { FINGERPRINT_BYTES, fileKey, TailedFile } from './tail-file.ts';

export interface AgentLogger {
  debug(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/** A file being read, with what its events need. */
interface Tracked {
  file: TailedFile;
  stream: string;
  labels: FileLabels;
  multiline: MultilineConfig | null;
  joiner: MultilineJoiner | null;
  /** Offset just after the last event put in a batch. */
  batched: number;
  /** Offset the agent started this file at (shown as shipped until a batch is acknowledged). */
  startOffset: number;
  lastError: string | null;
}

interface OpenBatch {
  id: string;
  lines: string[];
  bytes: number;
  firstAt: number;
  files: Set<Tracked>;
}

/** Bytes read from one file per poll before the others get their turn. */
const READ_PER_TURN = 8 * 1024 * 1024;
const STATUS_EVERY_MS = 1000;
const PROGRESS_EVERY_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Agent {
  private readonly cfg: AgentConfig;
  private readonly log: AgentLogger;
  private readonly shipper: Shipper;
  private readonly spool: Spool;
  private readonly checkpoint: CheckpointFile;
  /** Open files by path (the path they were opened by). */
  private readonly tracked = new Map<string, Tracked>();
  /** Positions to resume from (checkpoint, then spooled batches), by file key. */
  private readonly resume = new Map<string, FilePosition>();
  /** Positions the server acknowledged, by file key. */
  private readonly acked = new Map<string, FilePosition>();
  private readonly batches = new Map<string, OpenBatch>();
  private readonly watchers = new Map<string, fs.FSWatcher>();
  /** Keys of the files the globs matched at the last scan. */
  private matchedKeys = new Set<string>();
  private nextSeq = 1;
  /** Sequence number of the last batch the durable checkpoint covers. */
  private durableSeq = 0;
  /** Batches left by the last run up to this one may have reached the server unacknowledged. */
  private inDoubtUpTo = 0;
  private running = false;
  private paused = false;
  private wakePoll: (() => void) | null = null;
  private wakeShip: (() => void) | null = null;
  private loops: Promise<void>[] = [];
  private unlock: (() => Promise<void>) | null = null;
  private readonly startedAt = Date.now();
  private lastScan = 0;
  private scanWanted = false;
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
    mergePositions(this.resume, cp.files);
    await this.spool.load(cp.ackedSeq);
    for (const b of this.spool.all) mergePositions(this.resume, b.header.positions);
    this.nextSeq = Math.max(cp.ackedSeq, this.spool.lastSeq) + 1;
    this.durableSeq = cp.ackedSeq;
    // The last run sent at most MAX_INFLIGHT batches beyond its durable checkpoint.
    this.inDoubtUpTo = Math.min(cp.ackedSeq + MAX_INFLIGHT, this.spool.lastSeq);
    this.running = true;
    await this.scan(true);
    await this.findRotatedWhileDown();
    this.log.info(
      {
        server: this.cfg.server,
        stream: this.cfg.stream,
        host: this.cfg.host,
        files: this.tracked.size,
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
    this.wakeShip?.();
    await Promise.allSettled(this.loops);
    for (const stream of [...this.batches.keys()]) await this.seal(stream);
    for (const w of this.watchers.values()) w.close();
    for (const t of this.tracked.values()) await t.file.close();
    await this.writeStatusFile('stopped');
    await this.unlock?.();
    this.log.info({ buffered: this.spool.size }, 'agent stopped');
  }

  // --- discovery -------------------------------------------------------------------------

  private groupOf(p: string): FileGroup | null {
    for (const g of this.cfg.files) {
      if (g.exclude.some((x) => path.matchesGlob(p, x))) continue;
      if (g.paths.some((x) => x === p || path.matchesGlob(p, x))) return g;
    }
    return null;
  }

  /** Matches the globs and opens the new files. */
  private async scan(first = false): Promise<void> {
    this.lastScan = Date.now();
    this.scanWanted = false;
    const seen = new Set<string>();
    const keys = new Set<string>();
    for (const g of this.cfg.files) {
      for (const pattern of g.paths) {
        let matches: string[];
        try {
          matches = fs.globSync(pattern);
        } catch {
          matches = [];
        }
        for (const m of matches) {
          const p = path.resolve(m);
          if (seen.has(p)) continue;
          seen.add(p);
          const st = fs.statSync(p, { throwIfNoEntry: false });
          if (st) keys.add(fileKey(st.dev, st.ino));
          const t = this.tracked.get(p);
          if (t && !t.file.rotated) continue;
          if (this.groupOf(p) !== g) continue;
          await this.open(p, g, first);
        }
      }
    }
    this.matchedKeys = keys;
  }

  private async open(p: string, g: FileGroup, first: boolean, rotatedCopy = false): Promise<Tracked | null> {
    const f = await TailedFile.open(p);
    if (!f) return null;
    for (const t of this.tracked.values()) {
      // The same inode under another name (a rotated file matched by the glob too), or a copy
      // of a file being read (copytruncate's copy): never read twice.
      const copy = !rotatedCopy && f.fpLen === FINGERPRINT_BYTES && t.file.fp === f.fp;
      if (t.file.key === f.key || copy) {
        await f.close();
        return null;
      }
    }
    let offset = first && g.startAt === 'end' ? f.size : 0;
    const pos = this.resume.get(f.key);
    if (pos && pos.offset <= f.size && (await f.sameContent(pos))) offset = pos.offset;
    f.offset = offset;
    const stream = g.stream ?? this.cfg.stream;
    const multiline = g.multiline === undefined ? this.cfg.multiline : g.multiline;
    const t: Tracked = {
      file: f,
      stream,
      labels: { stream, suffix: fileSuffix(this.cfg.host, p, { ...this.cfg.fields, ...g.fields }) },
      multiline,
      joiner: multiline ? new MultilineJoiner(multiline) : null,
      batched: offset,
      startOffset: offset,
      lastError: null,
    };
    const old = this.tracked.get(p);
    // A rotated file keeps being read under a name of its own until it is closed.
    if (old) this.tracked.set(`${p}\0${old.file.key}`, old);
    this.tracked.set(rotatedCopy ? `${p}\0${f.key}` : p, t);
    if (rotatedCopy) f.rotated = true;
    this.watch(path.dirname(p));
    this.log.info(
      { path: p, offset, size: f.size },
      rotatedCopy ? 'reading the rest of a rotated file' : 'tailing',
    );
    return t;
  }

  /** inotify (where it works) wakes the reader at once; polling covers everything else. */
  private watch(dir: string): void {
    if (this.watchers.has(dir)) return;
    try {
      const w = fs.watch(dir, { persistent: false }, () => this.wakePoll?.());
      w.on('error', () => {});
      this.watchers.set(dir, w);
    } catch {
      // polling only
    }
  }

  /**
   * Files with unshipped data that were renamed (rotated) while the agent was not running: found
   * by inode and content in their directory, read to their end, then closed.
   */
  private async findRotatedWhileDown(): Promise<void> {
    const open = new Set([...this.tracked.values()].map((t) => t.file.key));
    for (const [key, pos] of this.resume) {
      if (open.has(key)) continue;
      const g = this.groupOf(pos.path);
      if (!g) continue;
      let names: string[];
      try {
        names = fs.readdirSync(path.dirname(pos.path));
      } catch {
        continue;
      }
      for (const n of names) {
        const p = path.join(path.dirname(pos.path), n);
        const st = fs.statSync(p, { throwIfNoEntry: false });
        if (!st || fileKey(st.dev, st.ino) !== key || st.size <= pos.offset) continue;
        await this.open(p, g, false, true);
      }
    }
  }

  // --- reading ---------------------------------------------------------------------------

  private async pollLoop(): Promise<void> {
    while (this.running) {
      try {
        if (this.scanWanted || Date.now() - this.lastScan >= this.cfg.scanMs) await this.scan();
        await this.pollOnce();
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

  private async pollOnce(): Promise<void> {
    const now = Date.now();
    for (const [name, t] of [...this.tracked]) {
      if (this.bufferFull) break;
      try {
        await this.pollFile(name, t, now);
        t.lastError = null;
      } catch (err) {
        t.lastError = (err as Error).message;
        this.log.warn({ path: t.file.path, error: t.lastError }, 'cannot read file');
      }
    }
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

  private async pollFile(name: string, t: Tracked, now: number): Promise<void> {
    const f = t.file;
    if (!f.rotated) {
      const st = await fsp.stat(f.path).catch(() => null);
      if (!st || fileKey(st.dev, st.ino) !== f.key) {
        f.rotated = true;
        this.scanWanted = true;
        this.log.info({ path: f.path }, 'file rotated (renamed or removed); reading it to its end');
      }
    }
    if (await f.truncated()) {
      if (f.rotated) {
        // A rotated file rewritten in place (the next copytruncate's copy): its data was read.
        await this.close(name, t);
        return;
      }
      await this.truncated(t);
    }
    let read = 0;
    while (read < READ_PER_TURN && !this.bufferFull) {
      const before = f.offset;
      const lines = await f.read();
      if (lines.length === 0 && f.offset === before) break;
      read += f.offset - before;
      for (const l of lines) {
        if (t.joiner) {
          const ev = t.joiner.push(l.text, l.offset, l.end, now);
          if (ev) await this.add(t, ev);
        } else await this.add(t, l);
      }
    }
    if (t.joiner?.pending && t.multiline && now - t.joiner.lastLineAt >= t.multiline.timeoutMs) {
      await this.add(t, t.joiner.flush()!);
    }
    if (f.rotated && now - f.lastDataAt >= this.cfg.closeInactiveMs && !this.bufferFull) {
      for (const l of await f.read(true)) {
        const ev = t.joiner ? t.joiner.push(l.text, l.offset, l.end, now) : l;
        if (ev) await this.add(t, ev);
      }
      await this.close(name, t);
    }
  }

  /** Stops reading a rotated file, after releasing its last event. */
  private async close(name: string, t: Tracked): Promise<void> {
    const last = t.joiner?.flush();
    if (last) await this.add(t, last);
    await t.file.close();
    this.tracked.delete(name);
    // Should the glob match it under its new name, it is not read again.
    this.resume.set(t.file.key, this.position(t));
    this.log.info({ path: t.file.path, offset: t.file.offset }, 'closed a rotated file');
  }

  /**
   * The file was truncated (copytruncate): what was appended between the last read and the copy
   * is in the copy, found by its fingerprint in the same directory and read from where this file
   * was; then this file starts over.
   */
  private async truncated(t: Tracked): Promise<void> {
    const f = t.file;
    const last = t.joiner?.flush();
    if (last) await this.add(t, last);
    const dir = path.dirname(f.path);
    const g = this.groupOf(f.path);
    for (const n of fs.readdirSync(dir)) {
      const p = path.join(dir, n);
      if (p === f.path) continue;
      const st = fs.statSync(p, { throwIfNoEntry: false });
      if (!st?.isFile() || st.size <= f.offset || !g) continue;
      if ([...this.tracked.values()].some((x) => x.file.key === fileKey(st.dev, st.ino))) continue;
      const copy = await TailedFile.open(p);
      if (!copy) continue;
      const same = await copy.sameContent(f);
      await copy.close();
      if (!same) continue;
      this.resume.set(fileKey(st.dev, st.ino), { ...this.position(t), dev: st.dev, ino: st.ino, path: p });
      await this.open(p, g, false, true);
      break;
    }
    this.log.info({ path: f.path, at: f.offset }, 'file truncated (copytruncate); reading it from the start');
    await f.reset();
    t.batched = 0;
  }

  // --- batching --------------------------------------------------------------------------

  private position(t: Tracked): FilePosition {
    const f = t.file;
    return { path: f.path, dev: f.dev, ino: f.ino, fp: f.fp, fpLen: f.fpLen, offset: t.batched };
  }

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
        positions: [...b.files].map((t) => this.position(t)),
      },
      body,
    );
    this.wakeShip?.();
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
          }
        })();
        inflight.set(seq, p);
      }
      const wake = new Promise<void>((r) => (this.wakeShip = r));
      await Promise.race([wake, ...inflight.values()]);
      this.wakeShip = null;
      await this.checkpointAcknowledged(done);
    }
    await Promise.allSettled(inflight.values());
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
    const open = new Set([...this.tracked.values()].map((t) => t.file.key));
    for (const key of this.acked.keys()) {
      if (!open.has(key) && !this.matchedKeys.has(key)) this.acked.delete(key);
    }
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
            files: this.tracked.size,
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
      files: [...this.tracked.values()].map((t) => {
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
