/**
 * Processing worker thread: decodes queued records, normalises them into the event model, runs
 * each event's stream pipelines (streams/stream-processor.ts) and computes the token hashes for
 * the store's skip index. Runs off the main thread so that parsing never blocks the HTTP server
 * or the store writer.
 *
 * The pool posts versioned pipeline sets; the worker compiles the newest once and processes
 * every job with the version it is stamped with (see pool.ts: it always is the current one).
 */
import { parentPort } from 'node:worker_threads';
import { EventBatchBuilder } from '../core/event-batch.ts';
import { toWire, wireTransferList } from './batch-wire.ts';
import { Uint32Set } from '../core/uint32-set.ts';
import { parseEnvelopeKey } from '../core/envelope.ts';
import { toQpos } from '../core/ids.ts';
import { eventHashes } from './event-tokens.ts';
import { normalizeRecord } from './normalize.ts';
import type { WorkerJob, WorkerMessage, WorkerReply, WorkerResult } from './worker-protocol.ts';
import { newPipelineStats } from './stage.ts';
import { emptyPipelineSet } from './streams/pipeline-set.ts';
import { newStreamStats, StreamProcessor } from './streams/stream-processor.ts';

const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });

export function processJob(job: WorkerJob, streams: StreamProcessor): WorkerResult {
  if (job.version !== streams.version)
    throw new Error(
      `BUG: job of pipeline version ${job.version} reached a worker at version ${streams.version}`,
    );
  const stats = newPipelineStats();
  const sstats = newStreamStats();
  const b = new EventBatchBuilder(new Uint32Set(1 << 15));
  const keys = job.keyDict.map((k) => parseEnvelopeKey(Buffer.from(k)));
  for (let i = 0; i < job.n; i++) {
    const text = decoder.decode(job.data.subarray(job.vstart[i], job.vstart[i + 1]));
    const k = keys[job.keyIdx[i]];
    const recvUs = job.timestamps[i] * 1000;
    const remote = job.remotes?.[i] || undefined;
    const ev = normalizeRecord(text, k.format, k.stream, recvUs, remote);
    if (!streams.process(ev, stats, sstats)) continue;
    eventHashes(ev, b.hashes);
    b.add(toQpos(job.partition, job.offsets[i]), ev);
  }
  return { id: job.id, version: job.version, batch: b.build(), stats, streams: sstats };
}

if (parentPort) {
  const port = parentPort;
  let streams = new StreamProcessor(emptyPipelineSet());
  port.on('message', (msg: WorkerMessage) => {
    if (msg.type === 'pipelines') {
      streams = new StreamProcessor(msg.set);
      return;
    }
    const job = msg;
    let res: WorkerResult;
    try {
      res = processJob(job, streams);
    } catch (err) {
      res = {
        id: job.id,
        version: job.version,
        batch: new EventBatchBuilder(new Uint32Set(16)).build(),
        stats: newPipelineStats(),
        streams: newStreamStats(),
        error: (err as Error).stack ?? String(err),
      };
    }
    const batch = toWire(res.batch);
    port.postMessage({ ...res, batch } satisfies WorkerReply, wireTransferList(batch));
  });
}
