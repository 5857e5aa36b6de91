/**
 * Messages between the processing pool (main thread) and its worker threads.
 * A job carries raw queue records packed into one transferable buffer.
 */
import type { EventBatch } from '../core/event-batch.ts';
import type { PipelineStats } from './stage.ts';

export interface WorkerJob {
  id: number;
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

export interface WorkerResult {
  id: number;
  batch: EventBatch;
  stats: PipelineStats;
  error?: string;
}
