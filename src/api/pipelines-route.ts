/**
 * `/api/v1/pipelines`: named pipelines (CRUD as in collection-routes.ts), and
 *
 *   POST /api/v1/pipelines/simulate
 *   {"pipeline": {...} | "NAME", "stream": "NAME", "lines": ["..."], "format": "auto"}
 *   -> {"results": [{"event": {...}, "steps": [...]}]}
 *
 * which normalises each line exactly as ingest does and runs it with a trace
 * (processors/streams/simulate.ts). With `stream` alone, the stream's own processing runs
 * (its pipeline or the built-in ones, its routing rules, the routed-to streams); with
 * `pipeline`, that pipeline replaces the stream's (default stream `default`).
 */
import type { FastifyInstance } from 'fastify';
import { isValidStreamName } from '../core/envelope.ts';
import { LwError } from '../core/errors.ts';
import { type PipelineBody, pipelineBodySchema } from '../core/stream-def.ts';
import type { RecordFormat } from '../processors/normalize.ts';
import type { StreamRegistry } from '../processors/streams/registry.ts';
import { MAX_SIMULATE_LINES, simulate } from '../processors/streams/simulate.ts';
import { registerCollection } from './collection-routes.ts';

const FORMATS = new Set(['auto', 'json', 'syslog', 'text']);

function bad(key: string, reason: string): LwError {
  return new LwError('LW_ERR_BAD_PARAM', [key, reason], { key });
}

export function registerPipelines(app: FastifyInstance, registry: StreamRegistry): void {
  app.post('/api/v1/pipelines/simulate', { config: { permission: 'config:read' } }, async (req) => {
    const b = req.body as Record<string, unknown> | null;
    if (b === null || typeof b !== 'object' || Array.isArray(b))
      throw new LwError('LW_ERR_BAD_REQUEST', ['expected a JSON object body']);
    const lines = b.lines;
    if (!Array.isArray(lines) || !lines.every((l) => typeof l === 'string'))
      throw bad('lines', 'required, a list of strings (one log line each)');
    if (lines.length > MAX_SIMULATE_LINES) throw bad('lines', `at most ${MAX_SIMULATE_LINES} lines`);
    const format = b.format ?? 'auto';
    if (typeof format !== 'string' || !FORMATS.has(format))
      throw bad('format', 'expected auto, json, syslog or text');
    const stream = b.stream ?? 'default';
    if (typeof stream !== 'string' || !isValidStreamName(stream))
      throw bad('stream', 'expected a stream name');
    if (b.stream === undefined && b.pipeline === undefined)
      throw bad('pipeline', 'give a pipeline (an object or a pipeline name) or a stream');
    let override: ReturnType<StreamRegistry['runtime']> | undefined;
    if (b.pipeline !== undefined) {
      let body: PipelineBody;
      if (typeof b.pipeline === 'string') body = registry.getPipeline(b.pipeline);
      else {
        const r = pipelineBodySchema.safeParse(b.pipeline);
        if (!r.success) throw bad(`pipeline.${r.error.issues[0].path.join('.')}`, r.error.issues[0].message);
        body = r.data;
      }
      registry.compile(body);
      override = {
        ...registry.runtimeOf(stream),
        pipeline: { processors: body.processors },
        pipelineSource: 'simulate',
      };
    }
    const results = simulate(registry.pipelineSet(), stream, lines as string[], {
      format: format as RecordFormat,
      ...(override ? { override } : {}),
    });
    return { results };
  });
  registerCollection(app, 'pipelines', {
    list: () => registry.listPipelines(),
    get: (name) => registry.getPipeline(name),
    save: (name, body, mode, ifVersion) => registry.savePipeline(name, body, mode, ifVersion),
    delete: (name) => registry.deletePipeline(name),
  });
}
