/**
 * Processing worker thread: decodes queued records, normalises them into the event model, runs
 * the processor pipeline and computes the token hashes for the store's skip index. Runs off the
 * main thread so that parsing never blocks the HTTP server or the store writer.
 */
import { parentPort } from 'node:worker_threads';
import { EventBatchBuilder } from '../core/event-batch.ts';
import { Uint32Set } from '../core/uint32-set.ts';
import { parseEnvelopeKey } from '../core/envelope.ts';
import { toQpos } from '../core/ids.ts';
import { eventHashes } from './event-tokens.ts';
import { normalizeRecord } from './normalize.ts';
import type { WorkerJob, WorkerResult } from './worker-protocol.ts';
import { newPipelineStats, type Processor, runPipeline } from './stage.ts';

const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
const processors: Processor[] = [];

export function processJob(job: WorkerJob): WorkerResult {
  const stats = newPipelineStats();
  const b = new EventBatchBuilder(new Uint32Set(1 << 15));
  const keys = job.keyDict.map((k) => parseEnvelopeKey(Buffer.from(k)));
  for (let i = 0; i < job.n; i++) {
    const text = decoder.decode(job.data.subarray(job.vstart[i], job.vstart[i + 1]));
    const k = keys[job.keyIdx[i]];
    const recvUs = job.timestamps[i] * 1000;
    const remote = job.remotes?.[i] || undefined;
    const ev = normalizeRecord(text, k.format, k.stream, recvUs, remote);
    if (!runPipeline(processors, ev, stats)) continue;
    eventHashes(ev, b.hashes);
    b.add(toQpos(job.partition, job.offsets[i]), ev);
  }
  return { id: job.id, batch: b.build(), stats };
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (job: WorkerJob) => {
    let res: WorkerResult;
    try {
      res = processJob(job);
    } catch (err) {
      res = {
        id: job.id,
        batch: new EventBatchBuilder(new Uint32Set(16)).build(),
        stats: newPipelineStats(),
        error: (err as Error).stack ?? String(err),
      };
    }
    const b = res.batch;
    port.postMessage(res, [
      b.qpos.buffer,
      b.time.buffer,
      b.ingest.buffer,
      b.fstart.buffer,
      b.dhash.buffer,
      b.segs.buffer,
      b.hsegs.buffer,
    ] as ArrayBuffer[]);
  });
}
