/**
 * The processor stage interface. A pipeline is an ordered list of processors run on each event
 * in a worker thread, after the queue and before the store (like a Kafka consumer group's
 * processing step). Processors are verbs, one file each (parse-json, mask, route, ...).
 *
 * Contract:
 * - `process` mutates the event in place and returns false to drop it (a drop is counted with
 *   the processor's name as the reason, never silent).
 * - A processor that throws does not stop the pipeline: the event is tagged with
 *   `_pipeline_error` = "<processor>: <reason>" and kept, and the next processors still run.
 * - Processors must not keep references to the event after returning.
 */
import type { LogEvent } from '../core/event.ts';

export interface Processor {
  readonly name: string;
  process(ev: LogEvent): boolean;
}

export interface PipelineStats {
  processed: number;
  dropped: Record<string, number>;
  errors: Record<string, number>;
}

export function newPipelineStats(): PipelineStats {
  return { processed: 0, dropped: {}, errors: {} };
}

/** Runs the processors on one event; returns false when a processor dropped it. */
export function runPipeline(processors: readonly Processor[], ev: LogEvent, stats: PipelineStats): boolean {
  stats.processed++;
  for (const p of processors) {
    let keep: boolean;
    try {
      keep = p.process(ev);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      ev.fields._pipeline_error = `${p.name}: ${reason}`;
      stats.errors[p.name] = (stats.errors[p.name] ?? 0) + 1;
      continue;
    }
    if (!keep) {
      stats.dropped[p.name] = (stats.dropped[p.name] ?? 0) + 1;
      return false;
    }
  }
  return true;
}
