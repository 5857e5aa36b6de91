/**
 * The audit trail's storage: an append-only, hash-chained log of records (audit-record.ts) in
 * segment files `<dir>/<first seq, 20 digits>.log`.
 *
 * Contract:
 * - `record` never blocks or throws; records are written in batches, at most `flushMs` later, and
 *   each batch is fsync'ed before `flush()` resolves. A new segment starts at a new UTC day or
 *   when the current one exceeds `segmentBytes`; its creation is fsync'ed in the directory.
 * - Nothing is ever rewritten. At open, a torn last line (a write cut by a crash: no newline) is
 *   cut off; it was never acknowledged, since acknowledging waits for the fsync.
 * - Retention removes whole segments only, oldest first, and only a segment whose newest record
 *   is older than `retentionDays`; the active segment never. Before removing, it appends an
 *   `audit.retention` record naming the last removed seq and hash, so that `verify` can tell a
 *   retention from a deletion.
 * - `verify` re-reads every segment and reports the first record that breaks the chain.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AuditEntry, AuditLog } from './audit-log.ts';
import {
  type AuditRecord,
  encodeRecord,
  GENESIS_HASH,
  parseLine,
  type StoredRecord,
} from './audit-record.ts';

const SEGMENT_RE = /^(\d{20})\.log$/;
const DAY_MS = 86_400_000;
/** Longest string kept in `details` (a query text); longer ones are cut and marked. */
const MAX_DETAIL_CHARS = 4096;

export interface SegmentLogOptions {
  dir: string;
  retentionDays: number;
  segmentBytes?: number;
  flushMs?: number;
  /** Clock in epoch ms (tests move it). */
  now?: () => number;
  /** Called with write errors of background flushes (the records stay queued). */
  onError?: (err: Error) => void;
}

interface Segment {
  name: string;
  firstSeq: number;
  /** Time range of its records (ms); unknown bounds are -Infinity / +Infinity (never removed). */
  firstTime: number;
  lastTime: number;
  lastHash: string;
  lastSeq: number;
  bytes: number;
}

export interface VerifyResult {
  ok: boolean;
  records: number;
  segments: number;
  firstSeq: number | null;
  lastSeq: number | null;
  /** Hash of the newest record: keep it elsewhere to anchor the chain externally. */
  head: string;
  broken?: { segment: string; line: number; seq: number | null; reason: string };
}

function segmentName(seq: number): string {
  return `${String(seq).padStart(20, '0')}.log`;
}

function utcDay(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

function limitDetails(d: Record<string, unknown>): Record<string, unknown> {
  const cut = (v: unknown): unknown =>
    typeof v === 'string' && v.length > MAX_DETAIL_CHARS ? `${v.slice(0, MAX_DETAIL_CHARS)}…[cut]` : v;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) out[k] = Array.isArray(v) ? v.slice(0, 1000).map(cut) : cut(v);
  return out;
}

/** Complete lines of a segment's text (a trailing piece without newline is being written). */
function completeLines(text: string): string[] {
  const end = text.lastIndexOf('\n');
  return end < 0 ? [] : text.slice(0, end).split('\n');
}

function lineTime(line: string): number | null {
  const p = parseLine(line);
  return 'record' in p ? p.record.time : null;
}

/** First and last complete line of a file, reading only its ends. */
function readEdges(file: string, size: number): { first: string; last: string } | null {
  const fd = fs.openSync(file, 'r');
  try {
    const chunk = 65536;
    let head = '';
    for (let pos = 0; pos < size && !head.includes('\n'); pos += chunk) {
      const b = Buffer.alloc(Math.min(chunk, size - pos));
      fs.readSync(fd, b, 0, b.length, pos);
      head += b.toString('utf8');
    }
    if (!head.includes('\n')) return null;
    let tail = '';
    for (let pos = size; pos > 0; ) {
      const n = Math.min(chunk, pos);
      pos -= n;
      const b = Buffer.alloc(n);
      fs.readSync(fd, b, 0, n, pos);
      tail = b.toString('latin1') + tail;
      if (tail.slice(0, -1).includes('\n') || pos === 0) break;
    }
    const body = tail.slice(0, -1);
    const last = Buffer.from(body.slice(body.lastIndexOf('\n') + 1), 'latin1').toString('utf8');
    return { first: head.slice(0, head.indexOf('\n')), last };
  } finally {
    fs.closeSync(fd);
  }
}

export class SegmentLog implements AuditLog {
  private readonly dir: string;
  private readonly retentionMs: number;
  private readonly segmentBytes: number;
  private readonly flushMs: number;
  private readonly now: () => number;
  private readonly onError: (err: Error) => void;
  private segments: Segment[] = [];
  private fd: number | null = null;
  private nextSeq = 0;
  private head = GENESIS_HASH;
  private pending: Array<AuditEntry & { time: number }> = [];
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(o: SegmentLogOptions) {
    this.dir = o.dir;
    this.retentionMs = o.retentionDays * DAY_MS;
    this.segmentBytes = o.segmentBytes ?? 16 * 1024 * 1024;
    this.flushMs = o.flushMs ?? 200;
    this.now = o.now ?? Date.now;
    this.onError = o.onError ?? (() => {});
  }

  /** Reads the segment directory, cuts a torn last line, and opens the newest segment. */
  async open(): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true });
    const names = fs
      .readdirSync(this.dir)
      .filter((n) => SEGMENT_RE.test(n))
      .sort();
    this.segments = [];
    for (const [i, name] of names.entries()) {
      const file = path.join(this.dir, name);
      let size = fs.statSync(file).size;
      if (i === names.length - 1) {
        const text = fs.readFileSync(file);
        const end = text.lastIndexOf(10);
        if (end + 1 !== size) {
          fs.truncateSync(file, end + 1);
          size = end + 1;
        }
        if (size === 0) {
          fs.unlinkSync(file);
          continue;
        }
      }
      const edges = readEdges(file, size);
      if (edges === null) continue;
      const lines = i === names.length - 1 ? completeLines(fs.readFileSync(file, 'utf8')).length : 0;
      const firstSeq = Number(SEGMENT_RE.exec(name)![1]);
      const lastParsed = parseLine(edges.last);
      this.segments.push({
        name,
        firstSeq,
        firstTime: lineTime(edges.first) ?? Number.NEGATIVE_INFINITY,
        lastTime: lineTime(edges.last) ?? Number.POSITIVE_INFINITY,
        lastHash: edges.last.slice(0, 64),
        // The active segment's count of lines is exact even when a record in it was damaged.
        lastSeq:
          i === names.length - 1 ? firstSeq + lines - 1 : 'record' in lastParsed ? lastParsed.record.seq : -1,
        bytes: size,
      });
    }
    const last = this.segments.at(-1);
    if (last) {
      this.nextSeq = last.lastSeq + 1;
      this.head = last.lastHash;
      this.fd = fs.openSync(path.join(this.dir, last.name), 'a');
    }
  }

  record(entry: AuditEntry): void {
    if (this.closed) {
      this.onError(new Error(`BUG: audit record after close: ${entry.action}`));
      return;
    }
    const e = { ...entry, time: this.now() };
    if (entry.details) e.details = limitDetails(entry.details);
    this.pending.push(e);
    this.schedule();
  }

  /** A background flush in `flushMs`; after a failure, retried as long as records wait. */
  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flush().catch((err) => {
        this.onError(err);
        if (!this.closed) this.schedule();
      });
    }, this.flushMs);
  }

  flush(): Promise<void> {
    const p = this.chain.then(() => this.writePending());
    this.chain = p.catch(() => {});
    return p;
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
    this.closed = true;
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  private async writePending(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const saved = { nextSeq: this.nextSeq, head: this.head, segments: this.segments.map((s) => ({ ...s })) };
    try {
      let buf = '';
      for (const e of batch) {
        const active = this.segments.at(-1);
        if (
          active === undefined ||
          this.fd === null ||
          active.bytes >= this.segmentBytes ||
          utcDay(e.time) !== utcDay(active.firstTime)
        ) {
          this.append(buf);
          buf = '';
          this.startSegment(e.time);
        }
        const rec: AuditRecord = { ...e, seq: this.nextSeq, prev: this.head };
        const { line, hash } = encodeRecord(rec);
        buf += line;
        const seg = this.segments.at(-1)!;
        seg.bytes += Buffer.byteLength(line);
        seg.lastSeq = rec.seq;
        seg.lastHash = hash;
        seg.lastTime = Math.max(seg.lastTime, e.time);
        this.nextSeq++;
        this.head = hash;
      }
      this.append(buf);
      if (this.fd !== null) fs.fdatasyncSync(this.fd);
    } catch (err) {
      // Nothing was acknowledged: take the state back to what the disk has, keep the records.
      this.nextSeq = saved.nextSeq;
      this.head = saved.head;
      if (this.fd !== null) fs.closeSync(this.fd);
      this.fd = null;
      const written = new Set(saved.segments.map((s) => s.name));
      for (const s of this.segments)
        if (!written.has(s.name)) fs.rmSync(path.join(this.dir, s.name), { force: true });
      this.segments = saved.segments;
      const active = this.segments.at(-1);
      if (active) {
        fs.truncateSync(path.join(this.dir, active.name), active.bytes);
        this.fd = fs.openSync(path.join(this.dir, active.name), 'a');
      }
      this.pending = [...batch, ...this.pending];
      throw err;
    }
  }

  private append(text: string): void {
    if (text === '' || this.fd === null) return;
    const b = Buffer.from(text);
    let off = 0;
    while (off < b.length) off += fs.writeSync(this.fd, b, off);
  }

  private startSegment(time: number): void {
    if (this.fd !== null) {
      fs.fdatasyncSync(this.fd);
      fs.closeSync(this.fd);
    }
    const name = segmentName(this.nextSeq);
    this.fd = fs.openSync(path.join(this.dir, name), 'a');
    const dfd = fs.openSync(this.dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
    this.segments.push({
      name,
      firstSeq: this.nextSeq,
      firstTime: time,
      lastTime: time,
      lastHash: this.head,
      lastSeq: this.nextSeq - 1,
      bytes: 0,
    });
  }

  /** Removes whole segments whose newest record is older than the retention; returns their names. */
  async applyRetention(): Promise<string[]> {
    await this.flush();
    const cutoff = this.now() - this.retentionMs;
    const old: Segment[] = [];
    for (const s of this.segments.slice(0, -1)) {
      if (s.lastTime >= cutoff) break;
      old.push(s);
    }
    if (old.length === 0) return [];
    const last = old.at(-1)!;
    this.record({
      actor: { type: 'system', id: 'retention', name: 'retention' },
      action: 'audit.retention',
      outcome: 'success',
      details: {
        segments: old.map((s) => s.name),
        throughSeq: last.lastSeq,
        lastHash: last.lastHash,
        cutoff: new Date(cutoff).toISOString(),
      },
    });
    await this.flush();
    for (const s of old) fs.unlinkSync(path.join(this.dir, s.name));
    this.segments = this.segments.slice(old.length);
    return old.map((s) => s.name);
  }

  /**
   * Calls `fn` for every record with `start <= time < end` (ms, null = open), segment by segment,
   * newest first when `newestFirst`. Records that do not parse are skipped (verify reports them).
   */
  async scan(
    start: number | null,
    end: number | null,
    newestFirst: boolean,
    fn: (r: StoredRecord) => void,
  ): Promise<void> {
    await this.flush();
    const segs = this.segments.filter(
      (s) => (start === null || s.lastTime >= start) && (end === null || s.firstTime < end),
    );
    if (newestFirst) segs.reverse();
    for (const s of segs) {
      let text: string;
      try {
        text = await fs.promises.readFile(path.join(this.dir, s.name), 'utf8');
      } catch {
        continue; // removed by retention meanwhile
      }
      const lines = completeLines(text);
      if (newestFirst) lines.reverse();
      for (const line of lines) {
        const p = parseLine(line);
        if (!('record' in p)) continue;
        const t = p.record.time;
        if ((start === null || t >= start) && (end === null || t < end)) fn(p);
      }
    }
  }

  /** Re-reads the whole log and checks every hash, seq and link; stops at the first break. */
  async verify(): Promise<VerifyResult> {
    await this.flush();
    const segs = [...this.segments];
    let records = 0;
    let expectSeq: number | null = null;
    let prev: string | null = null;
    let firstSeq: number | null = null;
    let anchor: { seq: number; prev: string; segment: string } | null = null;
    let anchored = false;
    const result = (broken?: VerifyResult['broken']): VerifyResult => ({
      ok: broken === undefined,
      records,
      segments: segs.length,
      firstSeq,
      lastSeq: expectSeq === null ? null : expectSeq - 1,
      head: prev ?? GENESIS_HASH,
      ...(broken ? { broken } : {}),
    });
    for (const s of segs) {
      const lines = completeLines(await fs.promises.readFile(path.join(this.dir, s.name), 'utf8'));
      for (const [i, line] of lines.entries()) {
        const at = (seq: number | null, reason: string) => ({ segment: s.name, line: i + 1, seq, reason });
        const p = parseLine(line);
        if (!('record' in p)) return result(at(expectSeq, p.error));
        const r = p.record;
        if (expectSeq === null) {
          firstSeq = r.seq;
          if (r.seq !== s.firstSeq)
            return result(at(r.seq, `the segment's name says it starts at seq ${s.firstSeq}`));
          if (r.seq === 0) {
            if (r.prev !== GENESIS_HASH) return result(at(0, 'the first record does not start the chain'));
            anchored = true;
          } else anchor = { seq: r.seq, prev: r.prev, segment: s.name };
        } else {
          if (r.seq !== expectSeq)
            return result(at(r.seq, `expected seq ${expectSeq} (records missing or reordered)`));
          if (r.prev !== prev)
            return result(at(r.seq, 'does not link to the record before (that one was altered or removed)'));
        }
        if (
          anchor !== null &&
          r.action === 'audit.retention' &&
          r.details?.throughSeq === anchor.seq - 1 &&
          r.details?.lastHash === anchor.prev
        )
          anchored = true;
        records++;
        expectSeq = r.seq + 1;
        prev = p.hash;
      }
    }
    if (!anchored && anchor !== null)
      return result({
        segment: anchor.segment,
        line: 1,
        seq: anchor.seq,
        reason: `records before seq ${anchor.seq} are gone without a retention record`,
      });
    return result();
  }
}
