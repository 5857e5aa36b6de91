/**
 * A pool of processing worker threads (default: one per core). Jobs go to the least busy
 * worker; results come back in the order of their promises, so the caller can keep queue order
 * per partition by awaiting in order.
 *
 * Hot reload: `setPipelines` posts a new versioned pipeline set to every worker; each job is
 * stamped with the version current when it is posted, and since a port delivers in order the
 * worker has compiled that version before the job arrives. A batch is thus processed with
 * exactly one version, and nothing in flight is lost or processed twice. A respawned worker
 * gets the current set first.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { StoredMessage } from '../queue/queue.ts';
import { emptyPipelineSet, type PipelineSet } from './streams/pipeline-set.ts';
import { fromWire } from './batch-wire.ts';
import type { PipelinesMessage, WorkerJob, WorkerReply, WorkerResult } from './worker-protocol.ts';

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (r: WorkerResult) => void; reject: (e: Error) => void }>;
}

export class WorkerPool {
  private slots: Slot[] = [];
  private nextId = 1;
  private closed = false;
  private pipelines: PipelineSet;

  constructor(size = availableParallelism(), pipelines: PipelineSet = emptyPipelineSet()) {
    this.pipelines = pipelines;
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  get size(): number {
    return this.slots.length;
  }

  /** The pipeline-set version new jobs are processed with. */
  get pipelinesVersion(): number {
    return this.pipelines.version;
  }

  /** Makes `set` the current pipeline set: jobs posted from now on are processed with it. */
  setPipelines(set: PipelineSet): void {
    if (set.version <= this.pipelines.version) throw new Error('BUG: pipeline set versions must increase');
    this.pipelines = set;
    const msg: PipelinesMessage = { type: 'pipelines', set };
    for (const s of this.slots) s.worker.postMessage(msg);
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./worker.ts', import.meta.url));
    worker.postMessage({ type: 'pipelines', set: this.pipelines } satisfies PipelinesMessage);
    const slot: Slot = { worker, pending: new Map() };
    worker.on('message', (res: WorkerReply) => {
      const p = slot.pending.get(res.id);
      if (!p) return;
      slot.pending.delete(res.id);
      if (res.error) p.reject(new Error(`processing worker failed: ${res.error}`));
      else p.resolve({ ...res, batch: fromWire(res.batch) });
    });
    worker.on('error', (err) => {
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
    });
    worker.on('exit', (code) => {
      for (const p of slot.pending.values())
        p.reject(new Error(`processing worker exited with code ${code}`));
      slot.pending.clear();
      if (!this.closed) {
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots[i] = this.spawn();
      }
    });
    return slot;
  }

  /** Packs queue messages of one partition into a job and runs it on the least busy worker. */
  process(partition: number, msgs: StoredMessage[]): Promise<WorkerResult> {
    const n = msgs.length;
    let total = 0;
    for (const m of msgs) total += m.value.length;
    const data = new Uint8Array(total);
    const vstart = new Uint32Array(n + 1);
    const offsets = new Float64Array(n);
    const timestamps = new Float64Array(n);
    const keyIdx = new Uint16Array(n);
    const keyDict: string[] = [];
    const keyMap = new Map<string, number>();
    let remotes: string[] | null = null;
    let pos = 0;
    // The queue hands out one key buffer for a run of records with equal keys: decode it once.
    let lastKey: Buffer | null | undefined;
    let ki = 0;
    for (let i = 0; i < n; i++) {
      const m = msgs[i];
      data.set(m.value, pos);
      pos += m.value.length;
      vstart[i + 1] = pos;
      offsets[i] = m.offset;
      timestamps[i] = m.timestamp;
      if (m.key !== lastKey) {
        lastKey = m.key;
        const k = m.key === null ? '' : m.key.toString('utf8');
        const known = keyMap.get(k);
        if (known === undefined) {
          ki = keyDict.length;
          keyDict.push(k);
          keyMap.set(k, ki);
        } else ki = known;
      }
      keyIdx[i] = ki;
      const r = m.headers.remote;
      if (r) {
        remotes ??= new Array<string>(n).fill('');
        remotes[i] = r;
      }
    }
    const job: WorkerJob = {
      type: 'job',
      id: this.nextId++,
      version: this.pipelines.version,
      partition,
      n,
      offsets,
      timestamps,
      keyDict,
      keyIdx,
      remotes,
      data,
      vstart,
    };
    let best = this.slots[0];
    for (const s of this.slots) if (s.pending.size < best.pending.size) best = s;
    return new Promise<WorkerResult>((resolve, reject) => {
      best.pending.set(job.id, { resolve, reject });
      best.worker.postMessage(job, [data.buffer, vstart.buffer, offsets.buffer, timestamps.buffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
