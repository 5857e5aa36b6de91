/**
 * How a worker's EventBatch crosses to the main thread. `postMessage` copies every string of a
 * batch, and the main thread allocates each one again; the columns `stream`, `level`, `host`,
 * `service` and the field names repeat the same few values over thousands of rows. So the
 * worker sends each distinct value of those columns once (`dict`) and per row an index into it
 * (`stream`, `level`, ... as Uint32Arrays, transferred), and the main thread rebuilds the string
 * columns from the dictionary: one string per distinct value instead of one per row, which also
 * means less for the main thread's garbage collector.
 *
 * Contract: `fromWire(toWire(b))` equals `b` (same values, same order), for any batch.
 */
import type { EventBatch } from '../core/event-batch.ts';

export interface WireBatch extends Omit<EventBatch, 'stream' | 'level' | 'host' | 'service' | 'fkeys'> {
  /** The distinct values of the dictionary-coded columns. */
  dict: string[];
  stream: Uint32Array;
  level: Uint32Array;
  host: Uint32Array;
  service: Uint32Array;
  fkeys: Uint32Array;
}

function encode(values: readonly string[], dict: string[], ids: Map<string, number>): Uint32Array {
  const out = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let id = ids.get(v);
    if (id === undefined) {
      id = dict.length;
      dict.push(v);
      ids.set(v, id);
    }
    out[i] = id;
  }
  return out;
}

function decode(ids: Uint32Array, dict: readonly string[]): string[] {
  const out = new Array<string>(ids.length);
  for (let i = 0; i < ids.length; i++) out[i] = dict[ids[i]];
  return out;
}

/** The wire form of `b` (worker side). */
export function toWire(b: EventBatch): WireBatch {
  const dict: string[] = [];
  const ids = new Map<string, number>();
  return {
    ...b,
    dict,
    stream: encode(b.stream, dict, ids),
    level: encode(b.level, dict, ids),
    host: encode(b.host, dict, ids),
    service: encode(b.service, dict, ids),
    fkeys: encode(b.fkeys, dict, ids),
  };
}

/** The buffers of a wire batch that `postMessage` can transfer instead of copying. */
export function wireTransferList(w: WireBatch): ArrayBuffer[] {
  return [
    w.qpos.buffer,
    w.time.buffer,
    w.ingest.buffer,
    w.fstart.buffer,
    w.dhash.buffer,
    w.segs.buffer,
    w.hsegs.buffer,
    w.tmpl.buffer,
    w.stream.buffer,
    w.level.buffer,
    w.host.buffer,
    w.service.buffer,
    w.fkeys.buffer,
  ] as ArrayBuffer[];
}

/** The batch back from its wire form (main thread side). */
export function fromWire(w: WireBatch): EventBatch {
  const { dict } = w;
  return {
    n: w.n,
    qpos: w.qpos,
    time: w.time,
    ingest: w.ingest,
    stream: decode(w.stream, dict),
    message: w.message,
    level: decode(w.level, dict),
    host: decode(w.host, dict),
    service: decode(w.service, dict),
    fstart: w.fstart,
    fkeys: decode(w.fkeys, dict),
    fvals: w.fvals,
    dhash: w.dhash,
    segs: w.segs,
    hsegs: w.hsegs,
    tmpl: w.tmpl,
    tdict: w.tdict,
  };
}
