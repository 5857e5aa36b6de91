/**
 * A batch of normalised events in columnar form: what the processing workers hand to the store.
 * Columnar so that it crosses the worker boundary with few allocations and the store can append
 * it column by column. Token hashes (for the store's skip index) are computed by the workers.
 *
 * Row i: fixed columns at index i; dynamic fields are fkeys/fvals[fstart[i] .. fstart[i+1]).
 * `dhash` holds the distinct token hashes of each worker batch ("segment"): rows
 * [segs[k], segs[k+1]) have their hashes in dhash[hsegs[k] .. hsegs[k+1]). The store's
 * skip-index blocks are made of whole segments, so per-row hashes never reach the writer's thread.
 * `tmpl[i]` is row i's message template (src/core/template.ts) as an index into `tdict`, the
 * batch's distinct templates, or NO_TEMPLATE.
 */
import type { FieldValue, LogEvent } from './event.ts';
import { messageTemplate } from './template.ts';

/** `tmpl` value of a message without a template. */
export const NO_TEMPLATE = 0xffffffff;

export interface EventBatch {
  n: number;
  /** Queue position: partition * 2^40 + offset (see ids.ts). */
  qpos: Float64Array;
  time: Float64Array;
  ingest: Float64Array;
  stream: string[];
  message: string[];
  level: string[];
  host: string[];
  service: string[];
  fstart: Uint32Array;
  fkeys: string[];
  fvals: FieldValue[];
  dhash: Uint32Array;
  segs: Uint32Array;
  hsegs: Uint32Array;
  tmpl: Uint32Array;
  tdict: string[];
}

/** Incrementally builds an EventBatch. */
export class EventBatchBuilder {
  private n = 0;
  private qpos: number[] = [];
  private time: number[] = [];
  private ingest: number[] = [];
  private stream: string[] = [];
  private message: string[] = [];
  private level: string[] = [];
  private host: string[] = [];
  private service: string[] = [];
  private fstart: number[] = [0];
  private fkeys: string[] = [];
  private fvals: FieldValue[] = [];
  private tmpl: number[] = [];
  private tdict: string[] = [];
  private tids = new Map<string, number>();
  /** Distinct token hashes of the batch (the caller adds them through `hashes`). */
  readonly hashes: { add(h: number): unknown; forEach(fn: (h: number) => void): void; size: number };

  constructor(hashes: { add(h: number): unknown; forEach(fn: (h: number) => void): void; size: number }) {
    this.hashes = hashes;
  }

  get length(): number {
    return this.n;
  }

  /** Adds an event with its queue position (its token hashes go to `this.hashes`). */
  add(qpos: number, ev: LogEvent): void {
    this.n++;
    this.qpos.push(qpos);
    this.time.push(ev._time);
    this.ingest.push(ev._ingest_time);
    this.stream.push(ev.stream);
    this.message.push(ev.message);
    this.level.push(ev.level);
    this.host.push(ev.host);
    this.service.push(ev.service);
    const f = ev.fields;
    for (const k in f) {
      this.fkeys.push(k);
      this.fvals.push(f[k]);
    }
    this.fstart.push(this.fkeys.length);
    const t = messageTemplate(ev.message);
    if (t === null) {
      this.tmpl.push(NO_TEMPLATE);
      return;
    }
    let id = this.tids.get(t);
    if (id === undefined) {
      id = this.tdict.length;
      this.tdict.push(t);
      this.tids.set(t, id);
    }
    this.tmpl.push(id);
  }

  build(): EventBatch {
    return {
      n: this.n,
      qpos: Float64Array.from(this.qpos),
      time: Float64Array.from(this.time),
      ingest: Float64Array.from(this.ingest),
      stream: this.stream,
      message: this.message,
      level: this.level,
      host: this.host,
      service: this.service,
      fstart: Uint32Array.from(this.fstart),
      fkeys: this.fkeys,
      fvals: this.fvals,
      dhash: this.distinctHashes(),
      segs: Uint32Array.of(0, this.n),
      hsegs: Uint32Array.of(0, this.hashes.size),
      tmpl: Uint32Array.from(this.tmpl),
      tdict: this.tdict,
    };
  }

  private distinctHashes(): Uint32Array {
    const out = new Uint32Array(this.hashes.size);
    let i = 0;
    this.hashes.forEach((h) => {
      out[i++] = h;
    });
    return out;
  }
}

/** Concatenates batches (in order) into one, so that one store transaction can hold them all. */
export function mergeBatches(batches: EventBatch[]): EventBatch {
  if (batches.length === 1) return batches[0];
  let n = 0;
  let nf = 0;
  let nh = 0;
  let ns = 0;
  let nt = 0;
  for (const b of batches) {
    n += b.n;
    nt += b.tdict.length;
    nf += b.fkeys.length;
    nh += b.dhash.length;
    ns += b.segs.length - 1;
  }
  const out: EventBatch = {
    n,
    qpos: new Float64Array(n),
    time: new Float64Array(n),
    ingest: new Float64Array(n),
    // Preallocated and filled by index: cheaper than growing by push.
    stream: new Array<string>(n),
    message: new Array<string>(n),
    level: new Array<string>(n),
    host: new Array<string>(n),
    service: new Array<string>(n),
    fstart: new Uint32Array(n + 1),
    fkeys: new Array<string>(nf),
    fvals: new Array<FieldValue>(nf),
    dhash: new Uint32Array(nh),
    segs: new Uint32Array(ns + 1),
    hsegs: new Uint32Array(ns + 1),
    tmpl: new Uint32Array(n),
    tdict: new Array<string>(nt),
  };
  let row = 0;
  let f = 0;
  let h = 0;
  let sg = 0;
  let t = 0;
  for (const b of batches) {
    out.qpos.set(b.qpos, row);
    out.time.set(b.time, row);
    out.ingest.set(b.ingest, row);
    for (let i = 0; i < b.n; i++) {
      out.stream[row + i] = b.stream[i];
      out.message[row + i] = b.message[i];
      out.level[row + i] = b.level[i];
      out.host[row + i] = b.host[i];
      out.service[row + i] = b.service[i];
      out.fstart[row + i + 1] = f + b.fstart[i + 1];
      const k = b.tmpl[i];
      out.tmpl[row + i] = k === NO_TEMPLATE ? k : t + k;
    }
    for (let j = 0; j < b.tdict.length; j++) out.tdict[t + j] = b.tdict[j];
    for (let j = 0; j < b.fkeys.length; j++) {
      out.fkeys[f + j] = b.fkeys[j];
      out.fvals[f + j] = b.fvals[j];
    }
    out.dhash.set(b.dhash, h);
    for (let k = 1; k < b.segs.length; k++) {
      sg++;
      out.segs[sg] = row + b.segs[k];
      out.hsegs[sg] = h + b.hsegs[k];
    }
    row += b.n;
    f += b.fkeys.length;
    h += b.dhash.length;
    t += b.tdict.length;
  }
  if (nf !== f) throw new Error('BUG: mergeBatches field count mismatch');
  return out;
}
