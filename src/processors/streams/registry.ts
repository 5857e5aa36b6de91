/**
 * The stream and pipeline registry (main thread): definitions from the config file (read-only)
 * and from the API (durable in the metadata store, kinds `streams` and `pipelines`), validated,
 * and published as a versioned pipeline set to the processing workers on every change.
 *
 * Validation: a definition is checked against the schema (src/core/stream-def.ts; errors name
 * the key), its pipeline is compiled (errors name the processor path and key), its routing
 * conditions are parsed, and references are checked (a named pipeline must exist; a stream
 * cannot be its own dead-letter stream; a pipeline still used by a stream cannot be deleted).
 * The change is stored first and published second (to `subscribe`rs: the worker pool), so a
 * change that answered 2xx is durable.
 */
import { lineOfKeys } from '../source-lines.ts';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { LwError } from '../../core/errors.ts';
import {
  issuePath,
  type PipelineBody,
  pipelineBodySchema,
  type StreamDef,
  streamDefSchema,
} from '../../core/stream-def.ts';
import { isValidStreamName } from '../../core/envelope.ts';
import { parseFilter } from '../../query/parser.ts';
import type { MetaRecord, MetaStore } from '../../store/meta/meta-store.ts';
import { compilePipeline } from '../pipeline.ts';
import { type PipelineSet, type StreamRuntime, UNDEFINED_STREAM } from './pipeline-set.ts';

export type Origin = 'config' | 'api';

export interface StreamView extends StreamDef {
  name: string;
  origin: Origin;
  /** Optimistic-concurrency version (API streams), for `ifVersion`. */
  version?: number;
  created?: string;
  updated?: string;
}

export interface PipelineView extends PipelineBody {
  name: string;
  origin: Origin;
  /** The file it was read from (config pipelines given as a path). */
  file?: string;
  version?: number;
  created?: string;
  updated?: string;
}

export interface RegistryOptions {
  meta: MetaStore;
  /** `streams:` and `pipelines:` of the config file. */
  streams: Record<string, StreamDef>;
  pipelines: Record<string, string | PipelineBody>;
  /** Directory that pipeline files, lookup tables and GeoIP databases are relative to. */
  baseDir: string;
  logger: { warn: (o: object, m?: string) => void };
}

const KIND_STREAMS = 'streams';
const KIND_PIPELINES = 'pipelines';

function badParam(key: string, reason: string): LwError {
  return new LwError('LW_ERR_BAD_PARAM', [key, reason], { key });
}

/** A schema issue as 400 naming the key (an unknown key names itself). */
function zodBadParam(i: z.core.$ZodIssue): LwError {
  if (i.code === 'unrecognized_keys') {
    const more = i.keys.length > 1 ? ` (and ${i.keys.slice(1).join(', ')})` : '';
    return badParam(issuePath([...i.path, i.keys[0]]), `unknown key${more}`);
  }
  return badParam(issuePath(i.path) || 'body', i.message);
}

function checkName(name: string, what: string): void {
  if (!isValidStreamName(name))
    throw badParam(
      'name',
      `${JSON.stringify(name)} is not a valid ${what} name (letters, digits, _ - . ; 1 to 128 chars, not starting with _)`,
    );
}

/** Reads a pipeline file (YAML or JSON); errors name the file and, for YAML syntax, the line. */
export function readPipelineFile(file: string): PipelineBody {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new LwError('LW_ERR_PIPELINE', [` in ${file}`, `cannot read the file: ${(err as Error).message}`]);
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e.linePos?.[0];
    throw new LwError('LW_ERR_PIPELINE', [
      ` in ${file}${pos ? `:${pos.line}:${pos.col}` : ''}`,
      e.message.split('\n')[0],
    ]);
  }
  const r = pipelineBodySchema.safeParse(doc.toJS());
  if (!r.success) {
    const i = r.error.issues[0];
    const key = issuePath(i.path);
    throw new LwError('LW_ERR_PIPELINE', [
      ` in ${file}${lineOf(text, i.path)}`,
      `${key || '(top)'}: ${i.message}`,
    ]);
  }
  return r.data;
}

/** `:LINE` of a key path in a YAML document's text, or ''. */
function lineOf(text: string, keys: ReadonlyArray<PropertyKey>): string {
  const line = lineOfKeys(
    text,
    keys.filter((k): k is string | number => typeof k !== 'symbol'),
  );
  return line === null ? '' : `:${line}`;
}

export class StreamRegistry {
  private readonly o: RegistryOptions;
  private readonly streams = new Map<string, StreamView>();
  private readonly pipelines = new Map<string, PipelineView>();
  private version = 0;
  private current: PipelineSet;
  private listeners: Array<(set: PipelineSet) => void> = [];

  constructor(o: RegistryOptions) {
    this.o = o;
    this.current = { version: 0, baseDir: o.baseDir, streams: {} };
  }

  /** Loads config and stored definitions, validates the config ones, publishes version 1. */
  async load(): Promise<void> {
    for (const [name, p] of Object.entries(this.o.pipelines)) {
      const file = typeof p === 'string' ? path.resolve(this.o.baseDir, p) : undefined;
      let body: PipelineBody;
      try {
        body = file !== undefined ? readPipelineFile(file) : (p as PipelineBody);
        this.compile(body, file ?? `pipelines.${name}`);
      } catch (err) {
        throw new LwError('LW_ERR_CONFIG', [`pipelines.${name}: ${(err as Error).message}`]);
      }
      this.pipelines.set(name, { name, origin: 'config', ...(file ? { file } : {}), ...body });
    }
    for (const d of await this.o.meta.list(KIND_PIPELINES)) {
      if (this.pipelines.has(d.id)) {
        this.o.logger.warn(
          { pipeline: d.id },
          'pipeline defined in the config file and through the API; the config file wins',
        );
        continue;
      }
      this.pipelines.set(d.id, { ...(d.doc as PipelineBody), name: d.id, origin: 'api', ...stamps(d) });
    }
    for (const [name, def] of Object.entries(this.o.streams)) {
      const view: StreamView = { name, origin: 'config', ...def };
      try {
        this.checkStream(view);
      } catch (err) {
        throw new LwError('LW_ERR_CONFIG', [`streams.${name}: ${(err as Error).message}`]);
      }
      this.streams.set(name, view);
    }
    for (const d of await this.o.meta.list(KIND_STREAMS)) {
      if (this.streams.has(d.id)) {
        this.o.logger.warn(
          { stream: d.id },
          'stream defined in the config file and through the API; the config file wins',
        );
        continue;
      }
      this.streams.set(d.id, { ...(d.doc as StreamDef), name: d.id, origin: 'api', ...stamps(d) });
    }
    this.publish();
  }

  /** Calls `fn` with every new pipeline set (after each change). */
  subscribe(fn: (set: PipelineSet) => void): void {
    this.listeners.push(fn);
  }

  /** The current pipeline set (what the workers run). */
  pipelineSet(): PipelineSet {
    return this.current;
  }

  listStreams(): StreamView[] {
    return [...this.streams.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  getStream(name: string): StreamView {
    const s = this.streams.get(name);
    if (!s) throw new LwError('LW_ERR_NOT_FOUND', [`stream ${JSON.stringify(name)}`]);
    return s;
  }

  /** Days to keep per stream, for the streams that set their own retention. */
  retention(): Array<{ stream: string; days: number }> {
    return this.listStreams()
      .filter((s) => s.retentionDays > 0)
      .map((s) => ({ stream: s.name, days: s.retentionDays }));
  }

  /**
   * Creates (`mode: 'create'`, 409 when it exists) or creates/replaces (`mode: 'put'`) an API
   * stream. `ifVersion` makes a replace conditional on the version last read.
   */
  async saveStream(
    name: string,
    body: unknown,
    mode: 'create' | 'put',
    ifVersion?: number,
  ): Promise<StreamView> {
    checkName(name, 'stream');
    const existing = this.streams.get(name);
    if (existing?.origin === 'config')
      throw new LwError('LW_ERR_READ_ONLY', [`stream ${JSON.stringify(name)}`]);
    if (existing && mode === 'create')
      throw new LwError('LW_ERR_CONFLICT', [`stream ${JSON.stringify(name)} already exists`]);
    const r = streamDefSchema.safeParse(body ?? {});
    if (!r.success) {
      throw zodBadParam(r.error.issues[0]);
    }
    const view: StreamView = { name, origin: 'api', ...r.data };
    this.checkStream(view);
    const d = await this.o.meta.put(KIND_STREAMS, name, r.data, ifVersion === undefined ? {} : { ifVersion });
    const saved: StreamView = { ...view, ...stamps(d) };
    this.streams.set(name, saved);
    this.publish();
    return saved;
  }

  async deleteStream(name: string): Promise<void> {
    const s = this.getStream(name);
    if (s.origin === 'config') throw new LwError('LW_ERR_READ_ONLY', [`stream ${JSON.stringify(name)}`]);
    await this.o.meta.delete(KIND_STREAMS, name);
    this.streams.delete(name);
    this.publish();
  }

  listPipelines(): PipelineView[] {
    return [...this.pipelines.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  getPipeline(name: string): PipelineView {
    const p = this.pipelines.get(name);
    if (!p) throw new LwError('LW_ERR_NOT_FOUND', [`pipeline ${JSON.stringify(name)}`]);
    return p;
  }

  async savePipeline(
    name: string,
    body: unknown,
    mode: 'create' | 'put',
    ifVersion?: number,
  ): Promise<PipelineView> {
    checkName(name, 'pipeline');
    const existing = this.pipelines.get(name);
    if (existing?.origin === 'config')
      throw new LwError('LW_ERR_READ_ONLY', [`pipeline ${JSON.stringify(name)}`]);
    if (existing && mode === 'create')
      throw new LwError('LW_ERR_CONFLICT', [`pipeline ${JSON.stringify(name)} already exists`]);
    const r = pipelineBodySchema.safeParse(body ?? {});
    if (!r.success) {
      throw zodBadParam(r.error.issues[0]);
    }
    this.compile(r.data);
    const d = await this.o.meta.put(
      KIND_PIPELINES,
      name,
      r.data,
      ifVersion === undefined ? {} : { ifVersion },
    );
    const saved: PipelineView = { ...r.data, name, origin: 'api', ...stamps(d) };
    this.pipelines.set(name, saved);
    this.publish();
    return saved;
  }

  async deletePipeline(name: string): Promise<void> {
    const p = this.getPipeline(name);
    if (p.origin === 'config') throw new LwError('LW_ERR_READ_ONLY', [`pipeline ${JSON.stringify(name)}`]);
    const users = this.listStreams()
      .filter((s) => s.pipeline === name)
      .map((s) => s.name);
    if (users.length > 0)
      throw new LwError('LW_ERR_CONFLICT', [
        `pipeline ${JSON.stringify(name)} is used by stream ${users.join(', ')}`,
      ]);
    await this.o.meta.delete(KIND_PIPELINES, name);
    this.pipelines.delete(name);
    this.publish();
  }

  /** Compiles a pipeline body (validation only); errors are LW_ERR_PIPELINE naming the key. */
  compile(body: PipelineBody, source?: string): void {
    compilePipeline(body, { ...(source ? { source } : {}), baseDir: this.o.baseDir });
  }

  private checkStream(s: StreamView): void {
    if (s.deadLetter === s.name)
      throw badParam('deadLetter', 'a stream cannot be its own dead-letter stream');
    if (typeof s.pipeline === 'string') {
      if (!this.pipelines.has(s.pipeline))
        throw badParam('pipeline', `no pipeline named ${JSON.stringify(s.pipeline)}`);
    } else if (s.pipeline !== null) {
      this.compile(s.pipeline);
    }
    s.routes.forEach((r, i) => {
      try {
        parseFilter(r.if);
      } catch (err) {
        throw badParam(`routes[${i}].if`, (err as Error).message);
      }
    });
  }

  /** The runtime form of a stream by name (a stream without a definition: the defaults). */
  runtimeOf(name: string): StreamRuntime {
    const s = this.streams.get(name);
    return s ? this.runtime(s) : UNDEFINED_STREAM;
  }

  /** The runtime form of a stream (named pipeline resolved). */
  runtime(s: StreamView): StreamRuntime {
    let pipeline: PipelineBody | null = null;
    let pipelineSource = `stream ${s.name}`;
    if (typeof s.pipeline === 'string') {
      const p = this.getPipeline(s.pipeline);
      pipeline = { processors: p.processors };
      pipelineSource = p.file ?? `pipeline ${p.name}`;
    } else if (s.pipeline !== null) pipeline = s.pipeline;
    return { pipeline, pipelineSource, autoParse: s.autoParse, routes: s.routes, deadLetter: s.deadLetter };
  }

  private publish(): void {
    const streams: Record<string, StreamRuntime> = {};
    for (const s of this.streams.values()) streams[s.name] = this.runtime(s);
    this.current = { version: ++this.version, baseDir: this.o.baseDir, streams };
    for (const fn of this.listeners) fn(this.current);
  }
}

function stamps(d: MetaRecord) {
  return {
    version: d.version,
    created: new Date(d.created).toISOString(),
    updated: new Date(d.updated).toISOString(),
  };
}
