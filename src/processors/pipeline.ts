/**
 * The pipeline compiler: turns an Elasticsearch-like definition
 *
 *   { "description"?: "...", "processors": [ { "grok": {...} }, { "date": {...} },
 *     { "if": { "condition": "<query language filter>", "then": [...], "else": [...] } } ] }
 *
 * (the YAML form is the same shape) into processors that run on each event in a worker thread.
 * Each entry is an object with exactly one key, the processor's verb; its options are validated
 * by the verb's strict zod schema. Every error is an `LwError` `LW_ERR_PIPELINE` whose message
 * names the place and key (`processors[2].grok.patterns[0]: ...`); `details.path` carries the
 * same path (for mapping to a YAML line) and `details.source` the file.
 *
 * Compilation does all the expensive work (regexes, tables, matchers); `run` only walks steps.
 * Processors are built per compile, so each worker thread compiles its own copy and no mutable
 * state is shared across threads.
 */
import { lineInFile } from './source-lines.ts';
import path from 'node:path';
import { z } from 'zod';
import type { LogEvent } from '../core/event.ts';
import { LwError } from '../core/errors.ts';
import { compileCondition } from './condition.ts';
import { PROCESSORS } from './registry.ts';
import type { CompileContext, ProcessorDef, Step } from './processor-def.ts';
import { runSteps, type StepTrace } from './run-steps.ts';
import type { Processor } from './stage.ts';

export type { FieldChange, StepTrace } from './run-steps.ts';

export interface CompileOptions {
  /** File name the definition came from, named in errors. */
  source?: string;
  /** Directory for relative lookup / GeoIP file names (default: the source's directory, else cwd). */
  baseDir?: string;
}

export interface CompiledPipeline {
  /** The top-level processors, for `runPipeline` (stage.ts) with its stats. */
  readonly processors: Processor[];
  /** Runs the pipeline on `ev` (mutated in place); false when it was dropped. */
  run(ev: LogEvent, trace?: StepTrace[]): boolean;
}

const definitionSchema = z.strictObject({
  description: z.string().optional(),
  processors: z.array(z.unknown()),
});

/** `processors[2].grok` + ['patterns', 0] -> `processors[2].grok.patterns[0]`. */
export function joinPath(base: string, keys: ReadonlyArray<PropertyKey>): string {
  let out = base;
  for (const k of keys) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out === '' ? String(k) : `.${String(k)}`;
  }
  return out;
}

function zodMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown option ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return issue.message;
}

class Compiler {
  readonly source: string | undefined;
  readonly baseDir: string;

  constructor(opts: CompileOptions) {
    this.source = opts.source;
    this.baseDir = opts.baseDir ?? (opts.source ? path.dirname(path.resolve(opts.source)) : process.cwd());
  }

  fail(where: string, reason: string): never {
    // A pipeline file names the line of the key (errors are rare: reading the file again is fine).
    const line = this.source === undefined ? null : lineInFile(this.source, where);
    const src = this.source === undefined ? '' : ` in ${this.source}${line === null ? '' : `:${line}`}`;
    throw new LwError('LW_ERR_PIPELINE', [src, where === '' ? reason : `${where}: ${reason}`], {
      path: where,
      ...(this.source === undefined ? {} : { source: this.source }),
    });
  }

  compileList(defs: unknown, where: string): Step[] {
    if (!Array.isArray(defs)) this.fail(where, 'expected a list of processors');
    return defs.map((d, i) => this.compileOne(d, `${where}[${i}]`));
  }

  compileOne(entry: unknown, where: string): Step {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      this.fail(where, 'expected an object with one key, the processor name (e.g. {"grok": {...}})');
    }
    const keys = Object.keys(entry);
    if (keys.length !== 1) {
      this.fail(
        where,
        `expected exactly one processor name as key, got ${keys.length === 0 ? 'none' : keys.join(', ')}`,
      );
    }
    const name = keys[0]!;
    const def: ProcessorDef | undefined = Object.hasOwn(PROCESSORS, name) ? PROCESSORS[name] : undefined;
    if (def === undefined) {
      this.fail(where, `unknown processor "${name}"; known: ${Object.keys(PROCESSORS).join(', ')}`);
    }
    const at = `${where}.${name}`;
    const raw = (entry as Record<string, unknown>)[name];
    const parsed = def.schema.safeParse(raw ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      this.fail(joinPath(at, issue.path), zodMessage(issue));
    }
    const ctx: CompileContext = {
      source: this.source,
      baseDir: this.baseDir,
      path: at,
      fail: (key, reason) => this.fail(key === '' ? at : `${at}.${key}`, reason),
      condition: (query, key) => {
        try {
          return compileCondition(query);
        } catch (err) {
          return this.fail(`${at}.${key}`, (err as Error).message);
        }
      },
      compileList: (defs, key) => this.compileList(defs, `${at}.${key}`),
    };
    const processor = def.build(parsed.data, ctx);
    return { path: at, processor, ...(processor.select ? { select: processor.select } : {}) };
  }
}

/**
 * Compiles a pipeline definition (parsed JSON or YAML). Throws `LwError` `LW_ERR_PIPELINE`
 * naming the processor path and key for anything invalid; nothing else escapes for bad input.
 */
export function compilePipeline(def: unknown, opts: CompileOptions = {}): CompiledPipeline {
  const c = new Compiler(opts);
  const top = definitionSchema.safeParse(def);
  const data = top.success
    ? top.data
    : c.fail(joinPath('', top.error.issues[0]!.path), zodMessage(top.error.issues[0]!));
  const steps = c.compileList(data.processors, 'processors');
  return {
    processors: steps.map((s) => s.processor),
    run: (ev, trace) => runSteps(steps, ev, trace),
  };
}
