/**
 * A batch of normalised events in columnar form: what the processing workers hand to the store.
 * Columnar so that it crosses the worker boundary with few allocations and the store can append
 * it column by column. Token hashes (for the store's skip index) are computed by the workers.
 *
 * Row i: fixed columns at index i; dynamic fields are fkeys/fvals[fstart[i] .. fstart[i+1]);
 * token hashes are thash[tstart[i] .. tstart[i+1]).
 */
import type { FieldValue, LogEvent } from './event.ts';

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
  tstart: Uint32Array;
  thash: Uint32Array;
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
  private tstart: number[] = [0];
  private thash: number[] = [];

  get length(): number {
    return this.n;
  }

  /** Adds an event with its queue position; `hashes` are its token hashes (may be empty). */
  add(qpos: number, ev: LogEvent, hashes: ArrayLike<number>, hashCount = hashes.length): void {
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
    for (let i = 0; i < hashCount; i++) this.thash.push(hashes[i]);
    this.tstart.push(this.thash.length);
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
      tstart: Uint32Array.from(this.tstart),
      thash: Uint32Array.from(this.thash),
    };
  }
}
