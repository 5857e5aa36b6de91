/**
 * Pipeline simulation (the simulate API and `logwarden pipeline test`): each input line is
 * normalised exactly as ingest does (normalize.ts, format `auto` unless told) and processed by
 * the same StreamProcessor the workers run, with a trace. The answer is
 * `{"results": [{"event": {...}, "steps": [...]}]}`: the output event as search shows it
 * (`_time` as RFC 3339) and what each processor and stream decision did; a dropped event has
 * `"dropped": true` and the event as it was when dropped.
 */
import type { FieldValue, LogEvent } from '../../core/event.ts';
import { formatTimestamp } from '../../core/time.ts';
import { snapshot } from '../event-fields.ts';
import { normalizeRecord, type RecordFormat } from '../normalize.ts';
import { newPipelineStats } from '../stage.ts';
import type { PipelineSet, StreamRuntime } from './pipeline-set.ts';
import { newStreamStats, type SimulationStep, StreamProcessor } from './stream-processor.ts';

/** Most lines per simulation. */
export const MAX_SIMULATE_LINES = 1000;

export interface SimulationResult {
  event: Record<string, FieldValue>;
  steps: SimulationStep[];
  dropped?: true;
}

function showTime(rec: Record<string, unknown>): void {
  if (typeof rec._time === 'number') rec._time = formatTimestamp(rec._time);
}

/** The event as search shows it: flat, `_time` readable. */
export function outputEvent(ev: LogEvent): Record<string, FieldValue> {
  const out = snapshot(ev);
  showTime(out);
  return out;
}

/**
 * Simulates `lines` arriving on `stream`. `override` replaces that stream's definition (to try a
 * pipeline that is not saved yet); the other streams of `set` apply to routed events.
 */
export function simulate(
  set: PipelineSet,
  stream: string,
  lines: readonly string[],
  opts: { override?: StreamRuntime; format?: RecordFormat; nowMs?: number } = {},
): SimulationResult[] {
  const effective: PipelineSet = opts.override
    ? { ...set, streams: { ...set.streams, [stream]: opts.override } }
    : set;
  const proc = new StreamProcessor(effective);
  const nowUs = (opts.nowMs ?? Date.now()) * 1000;
  const stats = newPipelineStats();
  const sstats = newStreamStats();
  return lines.map((line) => {
    const ev = normalizeRecord(line, opts.format ?? 'auto', stream, nowUs);
    const steps: SimulationStep[] = [];
    const kept = proc.process(ev, stats, sstats, steps);
    for (const s of steps) {
      const t = s as {
        added?: Record<string, unknown>;
        changed?: Record<string, { from: unknown; to: unknown }>;
      };
      if (t.added) showTime(t.added);
      const c = t.changed?._time;
      if (c && typeof c.from === 'number' && typeof c.to === 'number') {
        t.changed!._time = { from: formatTimestamp(c.from), to: formatTimestamp(c.to) };
      }
    }
    const r: SimulationResult = { event: outputEvent(ev), steps };
    if (!kept) r.dropped = true;
    return r;
  });
}
