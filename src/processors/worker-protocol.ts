/**
 * Messages between the processing pool (main thread) and its worker threads.
 * A job carries raw queue records packed into one transferable buffer. A pipelines message
 * carries the stream definitions of one version; the pool posts it to every worker before any
 * job of that version (a port delivers in order), so a worker always has a job's version.
 */
import type { EventBatch } from '../core/event-batch.ts';
import type { WireBatch } from './batch-wire.ts';
import type { PipelineStats } from './stage.ts';
import type { PipelineSet } from './streams/pipeline-set.ts';
import type { StreamStats } from './streams/stream-processor.ts';

export interface WorkerJob {
  type: 'job';
  id: number;
  /** Version of the pipeline set the job must be processed with. */
  version: number;
  partition: number;
  n: number;
  offsets: Float64Array;
  /** Receive time, epoch ms. */
  timestamps: Float64Array;
  /** Distinct record keys ("<stream>\n<format>") and each record's index into them. */
  keyDict: string[];
  keyIdx: Uint16Array;
  /** Sender address per record, or '' (syslog). */
  remotes: string[] | null;
  /** Record values, packed: record i is data[vstart[i] .. vstart[i+1]). */
  data: Uint8Array;
  vstart: Uint32Array;
}

export interface PipelinesMessage {
  type: 'pipelines';
  set: PipelineSet;
}

export type WorkerMessage = WorkerJob | PipelinesMessage;

export interface WorkerResult {
  id: number;
  /** The pipeline-set version every event of the batch was processed with. */
  version: number;
  batch: EventBatch;
  stats: PipelineStats;
  streams: StreamStats;
  error?: string;
}

/** A WorkerResult as posted by the worker: its batch in wire form (batch-wire.ts). */
export interface WorkerReply extends Omit<WorkerResult, 'batch'> {
  batch: WireBatch;
}
