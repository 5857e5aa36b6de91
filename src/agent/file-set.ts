/**
 * The files the agent reads: matches the globs (again every `scanMs`, and at once when a file is
 * rotated), opens new files at their resume position, follows rotation by rename (the old file
 * is read to its end, then closed after `closeInactiveMs` idle) and by copytruncate (the tail
 * is read from the copy, found by fingerprint), finds files rotated while the agent was down,
 * and turns lines into events (multi-line joining, with its timeout). Events go to a sink (the
 * agent's batches); reading stops while the sink is full.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { AgentConfig, FileGroup, MultilineConfig } from './config.ts';
import { type FileLabels, fileSuffix } from './encode.ts';
import { type FileEvent, MultilineJoiner } from './multiline.ts';
import type { FilePosition } from './positions.ts';
import { FINGERPRINT_BYTES, fileKey, isBlank, type Line, TailedFile } from './tail-file.ts';

/** A file being read, with what its events need. */
export interface Tracked {
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

/** Where events go. */
export interface FileSink {
  add(t: Tracked, ev: FileEvent): Promise<void>;
  /** True while no more should be read (the disk buffer is full). */
  full(): boolean;
  /** A watched directory changed: poll soon. */
  wake(): void;
}

export interface FileSetLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

/** Bytes read from one file per poll before the others get their turn. */
const READ_PER_TURN = 8 * 1024 * 1024;

export class FileSet {
  /** Open files by the path they were opened by (a rotated one by path + NUL + key). */
  readonly tracked = new Map<string, Tracked>();
  /** Positions to resume from (checkpoint, then spooled batches), by file key. */
  readonly resume = new Map<string, FilePosition>();
  private readonly cfg: AgentConfig;
  private readonly log: FileSetLogger;
  private readonly sink: FileSink;
  private readonly watchers = new Map<string, fs.FSWatcher>();
  /** Keys of the files the globs matched at the last scan. */
  private matchedKeys = new Set<string>();
  private lastScan = 0;
  private scanWanted = false;
  /** Paths that could not be opened (warned about once). */
  private readonly unreadable = new Set<string>();

  /** `cfg.files` globs must be absolute. */
  constructor(cfg: AgentConfig, log: FileSetLogger, sink: FileSink) {
    this.cfg = cfg;
    this.log = log;
    this.sink = sink;
  }

  /** Whether a file key belongs to an open file or one the globs match (its checkpoint is kept). */
  isKnown(key: string): boolean {
    if (this.matchedKeys.has(key)) return true;
    for (const t of this.tracked.values()) if (t.file.key === key) return true;
    return false;
  }

  /** Reads what the files gained since the last call (matching the globs again when due). */
  async poll(now = Date.now()): Promise<void> {
    if (this.scanWanted || now - this.lastScan >= this.cfg.scanMs) await this.scan();
    for (const [name, t] of [...this.tracked]) {
      if (this.sink.full()) break;
      try {
        await this.pollFile(name, t, now);
        if (t.lastError) this.log.info({ path: t.file.path }, 'file readable again');
        t.lastError = null;
      } catch (err) {
        const msg = (err as Error).message;
        if (t.lastError !== msg) this.log.warn({ path: t.file.path, error: msg }, 'cannot read file');
        t.lastError = msg;
      }
    }
  }

  async close(): Promise<void> {
    for (const w of this.watchers.values()) w.close();
    for (const t of this.tracked.values()) await t.file.close();
  }

  private groupOf(p: string): FileGroup | null {
    for (const g of this.cfg.files) {
      if (g.exclude.some((x) => path.matchesGlob(p, x))) continue;
      if (g.paths.some((x) => x === p || path.matchesGlob(p, x))) return g;
    }
    return null;
  }

  /** Matches the globs and opens the new files. */
  async scan(first = false): Promise<void> {
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
    let f: TailedFile | null;
    try {
      f = await TailedFile.open(p);
    } catch (err) {
      // Said once per path (the next scans try again quietly), e.g. permission denied.
      if (!this.unreadable.has(p))
        this.log.warn({ path: p, error: (err as Error).message }, 'cannot open file');
      this.unreadable.add(p);
      return null;
    }
    this.unreadable.delete(p);
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
      const w = fs.watch(dir, { persistent: false }, () => this.sink.wake());
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
  async findRotatedWhileDown(): Promise<void> {
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
        await this.closeFile(name, t);
        return;
      }
      await this.truncated(t);
    }
    let read = 0;
    while (read < READ_PER_TURN && !this.sink.full()) {
      const before = f.offset;
      const lines = await f.read();
      if (lines.length === 0 && f.offset === before) break;
      read += f.offset - before;
      for (const l of lines) await this.feed(t, l, now);
    }
    if (t.joiner?.pending && t.multiline && now - t.joiner.lastLineAt >= t.multiline.timeoutMs) {
      await this.sink.add(t, t.joiner.flush()!);
    }
    if (f.rotated && now - f.lastDataAt >= this.cfg.closeInactiveMs && !this.sink.full()) {
      for (const l of await f.read(true)) await this.feed(t, l, now);
      await this.closeFile(name, t);
    }
  }

  /** One line to the multi-line joiner, or as an event of its own (unless blank). */
  private async feed(t: Tracked, l: Line, now: number): Promise<void> {
    if (t.joiner) {
      const ev = t.joiner.push(l.text, l.offset, l.end, now);
      if (ev) await this.sink.add(t, ev);
    } else if (!isBlank(l.text)) await this.sink.add(t, l);
  }

  /** Stops reading a rotated file, after releasing its last event. */
  private async closeFile(name: string, t: Tracked): Promise<void> {
    const last = t.joiner?.flush();
    if (last) await this.sink.add(t, last);
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
    if (last) await this.sink.add(t, last);
    const dir = path.dirname(f.path);
    const g = this.groupOf(f.path);
    for (const n of fs.readdirSync(dir)) {
      const p = path.join(dir, n);
      if (p === f.path) continue;
      const st = fs.statSync(p, { throwIfNoEntry: false });
      if (!st?.isFile() || st.size <= f.offset || !g) continue;
      if ([...this.tracked.values()].some((x) => x.file.key === fileKey(st.dev, st.ino))) continue;
      const copy = await TailedFile.open(p).catch(() => null);
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

  /** Where a file's batched events end, as a checkpoint position. */
  position(t: Tracked): FilePosition {
    const f = t.file;
    return { path: f.path, dev: f.dev, ino: f.ino, fp: f.fp, fpLen: f.fpLen, offset: t.batched };
  }
}
