/**
 * The agent's configuration (`logwarden agent --config agent.yaml`): a zod schema with a
 * description on every field (docs/ingest.md "File agent" lists them), and a loader whose errors
 * name the file and the line of the offending key, e.g.
 * `agent.yaml:7:5: files.0.multiline.start: invalid regular expression (...)`.
 *
 * Naming follows CloudWatch: `stream` is the log group (the application), `host` the log stream.
 */
import os from 'node:os';
import YAML, { type LineCounter } from 'yaml';
import { z } from 'zod';
import { isValidStreamName } from '../core/envelope.ts';
import { LwError } from '../core/errors.ts';
import { readYamlMapping } from '../core/yaml-file.ts';

const streamName = z
  .string()
  .refine(isValidStreamName, 'a stream name is letters, digits, _ - . (up to 128, not starting with _)');

const regex = z.string().refine((s) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}, 'invalid regular expression');

const multilineSchema = z
  .strictObject({
    start: regex.describe(
      'Regular expression that matches the first line of an event (e.g. `^\\d{4}-\\d{2}-\\d{2}` or `^\\S`); the lines that do not match are joined to the event before them.',
    ),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .default(1000)
      .describe('The last event of a file is sent after this long without a new line.'),
    maxLines: z
      .number()
      .int()
      .positive()
      .default(500)
      .describe('Most lines in one event; the next line starts a new event.'),
    maxBytes: z
      .number()
      .int()
      .positive()
      .default(256 * 1024)
      .describe('Most bytes in one event; the next line starts a new event.'),
  })
  .describe('Multi-line events (stack traces, tracebacks).');

/** Most requests in flight (the restart logic relies on this bound). */
export const MAX_INFLIGHT = 64;

const fieldValue = z.union([z.string(), z.number(), z.boolean()]);

const fileSchema = z
  .strictObject({
    paths: z
      .array(z.string().min(1))
      .min(1)
      .describe('Files or globs (`/opt/app/logs/*.log`, `**` for any depth); new matches are picked up.'),
    exclude: z.array(z.string().min(1)).default([]).describe('Globs of files not to read.'),
    stream: streamName.optional().describe('Stream of these files; default: the top-level `stream`.'),
    fields: z
      .record(z.string().min(1), fieldValue)
      .default({})
      .describe('Fields added to every event of these files (over the top-level `fields`).'),
    multiline: multilineSchema.nullable().optional().describe('Multi-line joining for these files.'),
    startAt: z
      .enum(['beginning', 'end'])
      .default('beginning')
      .describe('Where to start a file that has no checkpoint and existed when the agent started.'),
  })
  .describe('A group of files.');

export const agentConfigSchema = z
  .strictObject({
    server: z
      .string()
      .default('http://127.0.0.1:4280')
      .describe('Address of the logwarden server; events go to POST /api/v1/ingest.'),
    tokenFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'File holding the API token sent as `Authorization: Bearer` (the token itself is kept out of this config); --token and $LOGWARDEN_TOKEN win over it.',
      ),
    stream: streamName.default('default').describe('Stream (log group: the application) of the events.'),
    host: z
      .string()
      .min(1)
      .default(os.hostname())
      .describe('Value of the `host` field (log stream); default: the machine name.'),
    dataDir: z
      .string()
      .default('./agent-data')
      .describe('Directory of the checkpoints, the disk buffer and the status file.'),
    format: z
      .enum(['ndjson', 'text'])
      .default('ndjson')
      .describe(
        'ndjson: each event as JSON with `host`, `file.path`, `file.offset` and the fields (needed for multi-line and for exactly-once after a crash); text: the lines as text/plain.',
      ),
    compression: z.enum(['gzip', 'zstd', 'none']).default('gzip').describe('Compression of the requests.'),
    fields: z.record(z.string().min(1), fieldValue).default({}).describe('Fields added to every event.'),
    files: z.array(fileSchema).min(1).describe('The files to tail.'),
    multiline: multilineSchema
      .nullable()
      .default(null)
      .describe('Multi-line joining for every file (a file group may override it).'),
    batch: z
      .strictObject({
        maxEvents: z.number().int().positive().default(10_000).describe('Most events per request.'),
        maxBytes: z
          .number()
          .int()
          .positive()
          .default(4 * 1024 * 1024)
          .describe('Most bytes (before compression) per request.'),
        maxWaitMs: z
          .number()
          .int()
          .min(0)
          .default(200)
          .describe('A batch is sent at the latest this long after its first event.'),
        inflight: z
          .number()
          .int()
          .min(1)
          .max(MAX_INFLIGHT)
          .default(4)
          .describe('Requests in flight at once (batches may then be stored out of order).'),
      })
      .prefault({})
      .describe('Batches sent to the server.'),
    buffer: z
      .strictObject({
        maxBytes: z
          .number()
          .int()
          .positive()
          .default(256 * 1024 * 1024)
          .describe(
            'Size bound of the disk buffer of unsent batches; when full, reading pauses (the files are the buffer).',
          ),
      })
      .prefault({})
      .describe('Disk buffer of batches not yet acknowledged by the server.'),
    retry: z
      .strictObject({
        initialMs: z.number().int().positive().default(200).describe('First retry delay.'),
        maxMs: z.number().int().positive().default(30_000).describe('Longest retry delay.'),
      })
      .prefault({})
      .describe('Retries: exponential backoff with full jitter; a Retry-After answer is honoured.'),
    pollMs: z
      .number()
      .int()
      .positive()
      .default(250)
      .describe('How often open files are checked for new data.'),
    scanMs: z.number().int().positive().default(2000).describe('How often the globs are matched again.'),
    closeInactiveMs: z
      .number()
      .int()
      .positive()
      .default(5000)
      .describe('A rotated (renamed) file is closed after this long without new data.'),
    log: z
      .strictObject({
        level: z
          .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
          .default('info')
          .describe("Level of the agent's own logs."),
        format: z.enum(['pretty', 'json']).default('pretty').describe("Format of the agent's own logs."),
      })
      .prefault({})
      .describe("The agent's own logs (stderr)."),
  })
  .superRefine((c, ctx) => {
    const multi = c.multiline !== null || c.files.some((f) => f.multiline);
    if (multi && c.format === 'text') {
      ctx.addIssue({
        code: 'custom',
        path: ['format'],
        message: 'multi-line events need format ndjson (text sends one event per line)',
      });
    }
    // No user:password@ (fetch refuses it, and the address is logged and shown by status).
    if (!/^https?:\/\/[^/@]+\/?$/.test(c.server)) {
      ctx.addIssue({
        code: 'custom',
        path: ['server'],
        message: 'expected http(s)://HOST:PORT, without a path or credentials',
      });
    }
  })
  .describe('logwarden agent configuration');

export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type MultilineConfig = z.infer<typeof multilineSchema>;
export type FileGroup = z.infer<typeof fileSchema>;

/** A parsed YAML file, so that errors can point at the line of a key. */
export interface YamlSource {
  file: string;
  doc: YAML.Document;
  lc: LineCounter;
}

/** `file:line:col` of a node's start. */
function at(src: YamlSource, node: unknown): string | null {
  const range = (node as { range?: [number, number] } | null)?.range;
  if (!range) return null;
  const pos = src.lc.linePos(range[0]);
  return `${src.file}:${pos.line}:${pos.col}`;
}

/** Where the value at a key path is (or the closest parent that exists), or null. */
function lineOf(src: YamlSource, path: PropertyKey[]): string | null {
  for (let n = path.length; n > 0; n--) {
    const found = at(src, src.doc.getIn(path.slice(0, n) as unknown[], true));
    if (found) return found;
  }
  return null;
}

/** Where an unknown key is written, or null. */
function keyLineOf(src: YamlSource, path: PropertyKey[], key: string): string | null {
  const parent = path.length ? src.doc.getIn(path as unknown[], true) : src.doc.contents;
  if (!YAML.isMap(parent)) return null;
  const pair = parent.items.find((p) => YAML.isScalar(p.key) && p.key.value === key);
  return pair ? at(src, pair.key) : null;
}

/**
 * Validates a config object. `source` names where it came from (a file, "the command line");
 * `yaml`, when the object came from a YAML file, lets an error point at the key's line.
 */
export function validateAgentConfig(raw: unknown, source: string, yaml?: YamlSource): AgentConfig {
  const r = agentConfigSchema.safeParse(raw ?? {});
  if (r.success) return r.data;
  const msgs = r.error.issues.map((i) => {
    const path = i.path.join('.');
    const keys = i.code === 'unrecognized_keys' ? i.keys : [];
    if (keys.length) {
      const where = (yaml && keyLineOf(yaml, i.path, keys[0])) ?? source;
      return `${where}: unknown key ${keys.map((k) => `"${path ? `${path}.${k}` : k}"`).join(', ')}`;
    }
    return `${(yaml && lineOf(yaml, i.path)) ?? source}: ${path || '(root)'}: ${i.message}`;
  });
  throw new LwError('LW_ERR_CONFIG', [msgs.join('; ')]);
}

/**
 * Reads and validates an agent config file; `overrides` (dotted key -> value, undefined ignored)
 * come from command-line flags and win over the file.
 */
export function loadAgentConfig(
  file: string | undefined,
  overrides: Record<string, unknown> = {},
): AgentConfig {
  let raw: Record<string, unknown> = {};
  let yaml: YamlSource | undefined;
  if (file) {
    const m = readYamlMapping(file);
    raw = m.value;
    yaml = { file, doc: m.doc, lc: m.lc };
  }
  const flags = Object.entries(overrides).filter(([, v]) => v !== undefined);
  for (const [dotted, value] of flags) {
    const keys = dotted.split('.');
    let o = raw;
    for (const k of keys.slice(0, -1)) {
      if (typeof o[k] !== 'object' || o[k] === null) o[k] = {};
      o = o[k] as Record<string, unknown>;
    }
    o[keys[keys.length - 1]] = value;
  }
  const source = file ? (flags.length > 0 ? `${file} or the command line` : file) : 'the command line';
  return validateAgentConfig(raw, source, yaml);
}
