/**
 * Stream and pipeline definitions: the one schema used by the config file (`streams:`,
 * `pipelines:`) and by the API (`/api/v1/streams`, `/api/v1/pipelines`).
 *
 * A stream is a named group of logs with its own pipeline, routing rules, retention, optional
 * dead-letter stream and (placeholder until authentication exists) permissions. A pipeline's
 * processors are only checked for shape here (a list of one-key objects); the processor
 * compiler (src/processors/pipeline.ts) validates each processor's options.
 */
import { z } from 'zod';
import { isValidStreamName } from './envelope.ts';

const streamName = z
  .string()
  .refine(
    isValidStreamName,
    'expected a stream name: letters, digits, _ - . ; 1 to 128 chars, not starting with _',
  );

/** Names of named pipelines: the same alphabet as stream names. */
export const pipelineName = streamName;

/** The Elasticsearch-like pipeline body: `{"processors": [{"grok": {...}}, ...]}`. */
export const pipelineBodySchema = z
  .strictObject({
    description: z.string().max(2000).optional().describe('What the pipeline does.'),
    processors: z
      .array(z.record(z.string(), z.unknown()))
      .describe('Processors run in order, each a one-key object: `{"grok": {...}}` (docs/pipelines.md).'),
  })
  .describe('A pipeline: `{processors: [...]}`.');

export type PipelineBody = z.infer<typeof pipelineBodySchema>;

export const streamRouteSchema = z
  .strictObject({
    if: z
      .string()
      .min(1)
      .describe('Condition in the query language, e.g. `level:error service:payment-api`.'),
    stream: streamName.describe('Stream that matching events go to.'),
  })
  .describe('A routing rule.');

export const streamDefSchema = z
  .strictObject({
    description: z.string().max(2000).default('').describe('What the stream holds.'),
    pipeline: z
      .union([pipelineName, pipelineBodySchema])
      .nullable()
      .default(null)
      .describe(
        "The stream's pipeline: the name of a pipeline (`pipelines:` or /api/v1/pipelines) or an inline `{processors: [...]}`; null: none.",
      ),
    autoParse: z
      .union([z.boolean(), z.literal('always')])
      .default(true)
      .describe(
        "When the stream has no pipeline, the built-in pipelines recognise common formats (nginx/Apache access and error logs, Java, sshd, ...) and parse them, except events whose sender already extracted fields from the line (a string field of 4+ characters found in `message`); 'always' parses those too; false: never.",
      ),
    routes: z
      .array(streamRouteSchema)
      .max(100)
      .default([])
      .describe(
        "Routing rules, after the stream's pipeline: the first whose condition matches moves the event to its stream, which runs that stream's pipeline (at most 3 hops).",
      ),
    deadLetter: streamName
      .nullable()
      .default(null)
      .describe(
        'Stream that events whose pipeline failed (`_pipeline_error`) are sent to; null keeps them here, tagged.',
      ),
    retentionDays: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe(
        "Days this stream's events are kept (overrides `store.retentionDays`, longer or shorter); an event goes once its whole UTC day is older. 0: the store's retention.",
      ),
    permissions: z
      .strictObject({
        read: z
          .array(z.string())
          .default([])
          .describe('Roles that may search the stream (enforced once authentication exists).'),
        write: z
          .array(z.string())
          .default([])
          .describe('Roles that may send to the stream (enforced once authentication exists).'),
      })
      .prefault({})
      .describe('Access control (placeholder: recorded, enforced once authentication exists).'),
  })
  .describe('A stream.');

export type StreamDef = z.infer<typeof streamDefSchema>;
export type StreamDefInput = z.input<typeof streamDefSchema>;

/** `pipelines:` in the config file: a name to an inline pipeline or a YAML/JSON file path. */
export const pipelinesConfigSchema = z
  .record(
    pipelineName,
    z.union([
      z.string().min(1).describe('Path of a YAML or JSON pipeline file (relative to the working directory).'),
      pipelineBodySchema,
    ]),
  )
  .default({})
  .describe(
    'Named pipelines: a name to a pipeline file (YAML or JSON, relative to the working directory) or an inline `{processors: [...]}`. Read-only through the API.',
  );

export const streamsConfigSchema = z
  .record(streamName, streamDefSchema)
  .default({})
  .describe('Streams defined in the config file (read-only through the API), by name.');

/** zod issue path -> `a.b[2].c`. */
export function issuePath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}
