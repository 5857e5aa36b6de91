/**
 * Built-in pipelines: what a stream without a pipeline of its own runs (when `autoParse` is on,
 * the default). Each known format has a cheap guard (a prefix regex or the syslog app name)
 * and a pipeline in the ordinary processor language (grok + date + convert, tagged with
 * `log.format`); the first format whose guard accepts the event runs, and only when its grok
 * matches does anything change. An event that matches no format is left as normalisation made
 * it, never tagged as an error: recognition is best effort.
 *
 * The pipelines are compiled once per thread, on first use.
 */
import type { LogEvent } from '../core/event.ts';
import type { PipelineBody } from '../core/stream-def.ts';
import { type CompiledPipeline, compilePipeline, type StepTrace } from './pipeline.ts';
import type { Processor } from './stage.ts';

export interface BuiltinFormat {
  /** Value of `log.format` on events it parsed. */
  name: string;
  /** Whether the format may apply (cheap; the grok decides). */
  guard(ev: LogEvent): boolean;
  pipeline: PipelineBody;
}

export const BUILTIN_FORMATS: readonly BuiltinFormat[] = [];

interface Compiled {
  format: BuiltinFormat;
  pipeline: CompiledPipeline;
}

let compiled: Compiled[] | null = null;
let shared: CompiledPipeline | null = null;

function select(ev: LogEvent): Compiled | null {
  compiled ??= BUILTIN_FORMATS.map((format) => ({
    format,
    pipeline: compilePipeline(format.pipeline, { source: `built-in pipeline ${format.name}` }),
  }));
  for (const c of compiled) if (c.format.guard(ev)) return c;
  return null;
}

/** The built-in pipelines as one compiled pipeline (one processor, `auto-parse`). */
export function builtinPipeline(): CompiledPipeline {
  if (shared !== null) return shared;
  const autoParse: Processor = {
    name: 'auto-parse',
    process(ev) {
      const c = select(ev);
      return c === null ? true : c.pipeline.run(ev);
    },
  };
  shared = {
    processors: [autoParse],
    run(ev: LogEvent, trace?: StepTrace[]) {
      const c = select(ev);
      trace?.push({ path: 'auto-parse', processor: 'auto-parse', branch: c?.format.name ?? 'none' });
      return c === null ? true : c.pipeline.run(ev, trace);
    },
  };
  return shared;
}
