/**
 * Processes one normalised event through the streams of a pipeline set: the same code runs in
 * the processing workers (ingest) and in the simulate API, so a simulation shows exactly what
 * ingest does.
 *
 * For the event's stream:
 * 1. its pipeline runs (or, when it has none and `autoParse` is on, the built-in pipelines that
 *    recognise common formats); a `route` processor may set another target stream;
 * 2. if a processor failed (`_pipeline_error` set during this run) and the stream has a
 *    dead-letter stream, the event goes there (with `_dead_letter_from`), and nothing more runs;
 * 3. else, unless the pipeline already routed it, the stream's routing rules are tried in order
 *    and the first match sets the target stream;
 * 4. a routed event then runs the target stream's pipeline (Graylog's model: routing, then that
 *    stream's processing), up to MAX_HOPS hops. A route back to a stream the event already
 *    passed, or beyond the hop limit, stores it in that stream without running its pipeline
 *    again and tags `_pipeline_error` (a routing loop is a configuration mistake; the event is
 *    kept, never dropped).
 *
 * A pipeline that cannot be compiled in the worker (e.g. its lookup file vanished after the API
 * validated it) does not stop processing: its events are tagged with the compile error and go
 * to the dead-letter stream when there is one.
 *
 * Pipelines are compiled lazily, once per stream per set (a worker compiles a set once).
 */
import type { LogEvent } from '../../core/event.ts';
import { parseFilter } from '../../query/parser.ts';
import { compileMatcher, type EventMatcher } from '../../query/match.ts';
import { builtinPipeline } from '../builtin-pipelines.ts';
import { type CompiledPipeline, compilePipeline, type StepTrace } from '../pipeline.ts';
import { type PipelineStats, runPipeline } from '../stage.ts';
import { type PipelineSet, type StreamRuntime, UNDEFINED_STREAM } from './pipeline-set.ts';

/** Most routing hops per event. */
export const MAX_HOPS = 3;

export interface StreamStats {
  /** Events moved to another stream (by a route processor or a routing rule). */
  routed: number;
  /** Events sent to a dead-letter stream. */
  deadLettered: number;
  /** Events stopped by the hop limit or a routing loop. */
  routeLoops: number;
}

export function newStreamStats(): StreamStats {
  return { routed: 0, deadLettered: 0, routeLoops: 0 };
}

/** One entry of a simulation's steps: a processor's trace, or a stream-level decision. */
export type SimulationStep =
  | (StepTrace & { stream: string })
  | { stream: string; processor: 'stream.route'; routed: string; rule: number }
  | { stream: string; processor: 'stream.dead_letter'; routed: string; error: string }
  | { stream: string; processor: 'stream.loop'; error: string }
  | { stream: string; processor: 'stream.pipeline'; error: string };

interface CompiledStream {
  pipeline: CompiledPipeline | null;
  /** Set when the pipeline failed to compile: every event is tagged with it. */
  compileError: string | null;
  routes: Array<{ match: EventMatcher; stream: string }>;
  deadLetter: string | null;
}

export class StreamProcessor {
  readonly version: number;
  private readonly set: PipelineSet;
  private readonly compiled = new Map<string, CompiledStream>();

  constructor(set: PipelineSet) {
    this.set = set;
    this.version = set.version;
  }

  private stream(name: string): CompiledStream {
    let c = this.compiled.get(name);
    if (c === undefined) {
      const def = Object.hasOwn(this.set.streams, name) ? this.set.streams[name] : UNDEFINED_STREAM;
      c = this.compile(name, def);
      this.compiled.set(name, c);
    }
    return c;
  }

  private compile(name: string, def: StreamRuntime): CompiledStream {
    const c: CompiledStream = { pipeline: null, compileError: null, routes: [], deadLetter: def.deadLetter };
    try {
      if (def.pipeline !== null)
        c.pipeline = compilePipeline(def.pipeline, { source: def.pipelineSource, baseDir: this.set.baseDir });
      else if (def.autoParse) c.pipeline = builtinPipeline(def.autoParse === 'always');
      c.routes = def.routes.map((r) => ({ match: compileMatcher(parseFilter(r.if)), stream: r.stream }));
    } catch (err) {
      c.compileError = `pipeline of stream ${name}: ${(err as Error).message}`;
    }
    return c;
  }

  /**
   * Runs `ev` through its stream(s); false when a processor dropped it (counted in `stats`).
   * With `steps`, records every processor's trace and every stream decision (simulation).
   */
  process(ev: LogEvent, stats: PipelineStats, sstats: StreamStats, steps?: SimulationStep[]): boolean {
    const visited: string[] = [];
    for (;;) {
      const name = ev.stream;
      visited.push(name);
      const s = this.stream(name);
      const errBefore = ev.fields._pipeline_error;
      if (s.compileError !== null) {
        ev.fields._pipeline_error = s.compileError;
        steps?.push({ stream: name, processor: 'stream.pipeline', error: s.compileError });
      } else if (s.pipeline !== null) {
        let keep: boolean;
        if (steps === undefined) keep = runPipeline(s.pipeline.processors, ev, stats);
        else {
          const trace: StepTrace[] = [];
          stats.processed++;
          keep = s.pipeline.run(ev, trace);
          for (const t of trace) steps.push({ ...t, stream: name });
        }
        if (!keep) return false;
      }
      const failed = ev.fields._pipeline_error !== undefined && ev.fields._pipeline_error !== errBefore;
      if (failed && s.deadLetter !== null) {
        ev.fields._dead_letter_from = name;
        ev.stream = s.deadLetter;
        sstats.deadLettered++;
        steps?.push({
          stream: name,
          processor: 'stream.dead_letter',
          routed: s.deadLetter,
          error: String(ev.fields._pipeline_error),
        });
        return true;
      }
      if (ev.stream === name) {
        for (let i = 0; i < s.routes.length; i++) {
          if (s.routes[i].match(ev)) {
            ev.stream = s.routes[i].stream;
            steps?.push({ stream: name, processor: 'stream.route', routed: ev.stream, rule: i });
            break;
          }
        }
      }
      if (ev.stream === name) return true;
      sstats.routed++;
      if (visited.includes(ev.stream) || visited.length > MAX_HOPS) {
        const why = visited.includes(ev.stream) ? 'routing loop' : `more than ${MAX_HOPS} routing hops`;
        const error = `route: ${why} (${[...visited, ev.stream].join(' -> ')}); stored in ${ev.stream} without running its pipeline again`;
        ev.fields._pipeline_error = error;
        sstats.routeLoops++;
        steps?.push({ stream: ev.stream, processor: 'stream.loop', error });
        return true;
      }
    }
  }
}
