/**
 * Runs compiled steps on one event, optionally recording a trace of what each step did (the
 * simulate API and `logwarden pipeline test` show it). The semantics are stage.ts's: a step that
 * throws tags `_pipeline_error` = "<processor>: <reason>" and the next steps still run; a step
 * that returns false drops the event and ends the run.
 *
 * Tracing snapshots the event before and after each step (allocation per step), so it is for
 * simulation only; without a trace array the loop allocates nothing.
 */
import type { FieldValue, LogEvent } from '../core/event.ts';
import { snapshot } from './event-fields.ts';
import type { Step } from './processor-def.ts';

export interface FieldChange {
  from: FieldValue;
  to: FieldValue;
}

/** What one step did to one event. */
export interface StepTrace {
  /** Place in the definition: `processors[3].if.then[0].grok`. */
  path: string;
  processor: string;
  added?: Record<string, FieldValue>;
  changed?: Record<string, FieldChange>;
  removed?: string[];
  /** Control steps: which branch ran ('then', 'else', 'none'). */
  branch?: string;
  /** The step dropped the event (nothing after it ran). */
  dropped?: true;
  /** The step changed the event's target stream to this one. */
  routed?: string;
  /** The step failed: the `_pipeline_error` it set. */
  error?: string;
}

function tagError(ev: LogEvent, name: string, err: unknown): string {
  const reason = err instanceof Error ? err.message : String(err);
  const tag = `${name}: ${reason}`;
  ev.fields._pipeline_error = tag;
  return tag;
}

/** Runs `steps` on `ev`; returns false when a step dropped it. */
export function runSteps(steps: readonly Step[], ev: LogEvent, trace?: StepTrace[]): boolean {
  if (trace === undefined) {
    for (const s of steps) {
      let keep: boolean;
      try {
        keep = s.processor.process(ev);
      } catch (err) {
        tagError(ev, s.processor.name, err);
        continue;
      }
      if (!keep) return false;
    }
    return true;
  }
  for (const s of steps) {
    const name = s.processor.name;
    if (s.select !== undefined) {
      const branch = s.select(ev);
      trace.push({ path: s.path, processor: name, branch: branch.label });
      if (!runSteps(branch.steps, ev, trace)) return false;
      continue;
    }
    const before = snapshot(ev);
    const t: StepTrace = { path: s.path, processor: name };
    let keep = true;
    try {
      keep = s.processor.process(ev);
    } catch (err) {
      t.error = tagError(ev, name, err);
    }
    diff(before, snapshot(ev), t);
    if (ev.stream !== before.stream) t.routed = ev.stream;
    trace.push(t);
    if (!keep) {
      t.dropped = true;
      return false;
    }
  }
  return true;
}

function diff(before: Record<string, FieldValue>, after: Record<string, FieldValue>, t: StepTrace): void {
  for (const k in after) {
    const b = before[k];
    const a = after[k]!;
    if (b === undefined) (t.added ??= {})[k] = a;
    else if (b !== a) (t.changed ??= {})[k] = { from: b, to: a };
  }
  for (const k in before) if (!(k in after)) (t.removed ??= []).push(k);
}
