/**
 * The configuration schema: one validated source of truth for the YAML config file and the CLI
 * flags. Every field has a description (docs/configuration.md is generated from it by
 * `node scripts/gen-config-doc.ts`). Unknown keys are an error that names the key and the file.
 */
import { z } from 'zod';
import { LwError } from './errors.ts';
import { pipelinesConfigSchema, streamsConfigSchema } from './stream-def.ts';

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 127.0.0.1:4280')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'port must be from 0 to 65535');

export const configSchema = z
  .strictObject({
    dataDir: z.string().default('./data').describe('Directory for the queue, the store and metadata.'),
    http: z
      .strictObject({
        listen: hostPort.default('127.0.0.1:4280').describe('Address of the HTTP API (and web UI).'),
        maxBodyBytes: z
          .number()
          .int()
          .positive()
          .default(256 * 1024 * 1024)
          .describe('Largest accepted request body, after decompression; larger bodies answer 413.'),
        maxLineBytes: z
          .number()
          .int()
          .positive()
          .default(1024 * 1024)
          .describe('Largest accepted single event (line); a longer line is rejected on its own.'),
      })
      .prefault({})
      .describe('HTTP server.'),
    syslog: z
      .strictObject({
        udp: hostPort
          .nullable()
          .default('127.0.0.1:5514')
          .describe('Syslog UDP listen address (RFC 5424 / RFC 3164); null disables it.'),
        tcp: hostPort
          .nullable()
          .default('127.0.0.1:5514')
          .describe('Syslog TCP listen address (LF or RFC 6587 octet-counted framing); null disables it.'),
        stream: z.string().default('syslog').describe('Stream that syslog events are stored in.'),
      })
      .prefault({})
      .describe('Syslog receivers.'),
    queue: z
      .strictObject({
        partitions: z
          .number()
          .int()
          .min(1)
          .max(256)
          .optional()
          .describe('Partitions of the ingest topic; default: the number of CPU cores.'),
        maxBytes: z
          .number()
          .int()
          .positive()
          .default(4 * 1024 * 1024 * 1024)
          .describe(
            'Size bound of the disk queue; when reached, ingest answers 429 (backpressure, no loss).',
          ),
        segmentBytes: z
          .number()
          .int()
          .positive()
          .default(64 * 1024 * 1024)
          .describe('Size at which a queue segment file is rolled.'),
      })
      .prefault({})
      .describe('Embedded disk queue (Kafka semantics).'),
    processing: z
      .strictObject({
        workers: z
          .number()
          .int()
          .min(1)
          .max(64)
          .optional()
          .describe(
            'Worker threads that parse and normalise events; default: one per core but one (the main thread, which owns HTTP and the store writer, needs a core), at least 1.',
          ),
        batchMaxEvents: z
          .number()
          .int()
          .positive()
          .default(8192)
          .describe('Most events handed to a worker and written to the store at once.'),
      })
      .prefault({})
      .describe('Processing workers.'),
    store: z
      .strictObject({
        blockRows: z
          .number()
          .int()
          .min(1024)
          .max(1 << 20)
          .default(8192)
          .describe('Rows per skip-index block (one Bloom filter of tokens per block).'),
        maxDynamicColumns: z
          .number()
          .int()
          .min(0)
          .max(2000)
          .default(400)
          .describe(
            'Dynamic fields stored as their own typed column per day partition; the rest go to a JSON column.',
          ),
        memoryLimit: z
          .string()
          .default('128MB')
          .describe(
            "DuckDB memory_limit: DuckDB's buffer cache and working memory (it spills to disk beyond). Raise it for heavy aggregations.",
          ),
        retentionDays: z
          .number()
          .int()
          .min(0)
          .default(0)
          .describe(
            'Days of events to keep; whole day partitions older than this are dropped (checked hourly). 0 keeps everything.',
          ),
      })
      .prefault({})
      .describe('Embedded store (DuckDB).'),
    streams: streamsConfigSchema,
    pipelines: pipelinesConfigSchema,
    log: z
      .strictObject({
        level: z
          .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
          .default('info')
          .describe("Level of logwarden's own logs."),
        format: z
          .enum(['pretty', 'json'])
          .default('pretty')
          .describe("Format of logwarden's own logs: readable lines, or JSON (pino)."),
      })
      .prefault({})
      .describe("logwarden's own logs."),
    auth: z
      .strictObject({
        enabled: z.boolean().default(false).describe('Whether authentication is configured.'),
      })
      .prefault({})
      .describe('Authentication (required before binding a non-loopback address).'),
  })
  .describe('logwarden configuration');

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Validates a parsed config object; errors name the key path and the source (file name). */
export function validateConfig(input: unknown, source: string): Config {
  const r = configSchema.safeParse(input ?? {});
  if (r.success) return r.data;
  const msgs = r.error.issues.map((i) => {
    const path = i.path.join('.');
    if (i.code === 'unrecognized_keys') {
      const keys = i.keys.map((k) => (path ? `${path}.${k}` : k));
      return `unknown key ${keys.map((k) => `"${k}"`).join(', ')} in ${source}`;
    }
    return `${path || '(root)'}: ${i.message} in ${source}`;
  });
  throw new LwError('LW_ERR_CONFIG', [msgs.join('; ')]);
}

/** Splits HOST:PORT (IPv6 in brackets). */
export function splitHostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  let host = s.slice(0, i);
  if (host.startsWith('[')) host = host.slice(1, -1);
  return { host, port: Number(s.slice(i + 1)) };
}

/** True for addresses only reachable from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
