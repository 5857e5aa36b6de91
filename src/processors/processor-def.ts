/**
 * What a processor file exports: a definition with its verb, its zod options schema (strict:
 * unknown keys are errors) and a `build` that turns validated options into a `Processor`
 * (stage.ts). `build` runs once, when the pipeline is compiled: it precompiles regexes, loads
 * tables and resolves field accessors, so that `process` does only per-event work. It may throw
 * `ctx.fail(key, reason)` for options that validate but cannot be used (a grok pattern that does
 * not compile, a table file that does not parse).
 *
 * A `Step` is a compiled processor with its place in the definition (`processors[3].if.then[0]`);
 * a control processor that runs nested processors (`if`) also exposes `select`, so the pipeline
 * can trace the nested steps.
 */
import type { z } from 'zod';
import type { LogEvent } from '../core/event.ts';
import type { Processor } from './stage.ts';

export type Matcher = (ev: LogEvent) => boolean;

export interface CompileContext {
  /** File the definition came from (for messages), if any. */
  readonly source: string | undefined;
  /** Directory that relative file options (lookup tables, GeoIP databases) resolve against. */
  readonly baseDir: string;
  /** Where this processor is in the definition: `processors[2].grok`. */
  readonly path: string;
  /** Throws LW_ERR_PIPELINE naming `<path>.<key>` and the reason. */
  fail(key: string, reason: string): never;
  /** Compiles a query-language filter; a syntax error fails naming `<path>.<key>`. */
  condition(query: string, key: string): Matcher;
  /** Compiles a nested processor list found at `<path>.<key>` (for if/else). */
  compileList(defs: unknown, key: string): Step[];
}

export interface Branch {
  /** Which branch ran: 'then', 'else' or 'none' (no else and the condition was false). */
  label: string;
  steps: readonly Step[];
}

export interface Step {
  readonly path: string;
  readonly processor: Processor;
  /** Control processors only: the nested steps to run for this event. */
  readonly select?: (ev: LogEvent) => Branch;
}

export interface BuiltProcessor extends Processor {
  readonly select?: (ev: LogEvent) => Branch;
}

export interface ProcessorDef {
  readonly name: string;
  readonly schema: z.ZodType;
  build(options: unknown, ctx: CompileContext): BuiltProcessor;
}

/** Types `build`'s options from the schema and erases them for the registry table. */
export function defineProcessor<S extends z.ZodType>(def: {
  name: string;
  schema: S;
  build(options: z.output<S>, ctx: CompileContext): BuiltProcessor;
}): ProcessorDef {
  return def as ProcessorDef;
}
