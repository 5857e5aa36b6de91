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

/** A token bucket: `rate` requests per second on average, up to `burst` at once; rate 0 disables it. */
function rateBucket(rate: number, burst: number) {
  return z
    .strictObject({
      rate: z
        .number()
        .min(0)
        .default(rate)
        .describe('Sustained requests per second (tokens added to the bucket); 0 disables the limit.'),
      burst: z.number().int().min(1).default(burst).describe('Bucket size: requests allowed at once.'),
    })
    .prefault({});
}

/** User roles, most privileged first (src/api/auth/permissions.ts says what each may do). */
export const USER_ROLES = ['admin', 'editor', 'analyst', 'viewer', 'ingest'] as const;

/** An http(s) URL; plain http only for loopback hosts (tests, a provider on the same machine). */
const secureUrl = z.url().refine((u) => {
  const url = new URL(u);
  return (
    url.protocol === 'https:' ||
    (url.protocol === 'http:' && isLoopback(url.hostname.replace(/^\[(.*)\]$/, '$1')))
  );
}, 'expected an https:// URL (http:// only for localhost and 127.x addresses)');

const oidcConfigSchema = z
  .strictObject({
    issuer: secureUrl.describe(
      'Issuer URL of the identity provider, exactly as in its ID tokens (`iss`); its discovery document is read from <issuer>/.well-known/openid-configuration.',
    ),
    clientId: z.string().min(1).describe('Client id registered at the identity provider.'),
    clientSecret: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe('Client secret (sent with HTTP Basic to the token endpoint); prefer clientSecretFile.'),
    clientSecretFile: z
      .string()
      .nullable()
      .default(null)
      .describe(
        'File holding the client secret (surrounding white space ignored). Neither secret set: a public client (PKCE only).',
      ),
    redirectUrl: secureUrl.describe(
      "This server's callback URL as registered at the identity provider, ending in /api/v1/auth/oidc/callback.",
    ),
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'a scope has no spaces or quotes'))
      .default(['openid', 'profile', 'email'])
      .refine((s) => s.includes('openid'), 'must include "openid"')
      .describe('Scopes asked for; must include openid (add e.g. groups when the provider needs it).'),
    usernameClaim: z
      .string()
      .min(1)
      .default('email')
      .describe(
        'ID token claim that names the user (lower-cased; 1 to 64 of a-z 0-9 . _ @ -), e.g. email or preferred_username.',
      ),
    groupsClaim: z
      .string()
      .min(1)
      .default('groups')
      .describe("ID token claim holding the user's groups (a list of strings, or one string)."),
    groupRoles: z
      .record(z.string(), z.enum(USER_ROLES))
      .refine((m) => Object.keys(m).length > 0, 'map at least one group to a role')
      .describe(
        'Group -> role (admin, editor, analyst, viewer, ingest); a user in several gets the most privileged, a user in none is refused.',
      ),
    groupStreams: z
      .record(z.string(), z.array(z.string()))
      .default({})
      .describe(
        'Group -> streams its members may read; a user gets the union of its groups\' lists ("*": all streams). Empty: every user sees all streams; otherwise a user in none of these groups sees no stream.',
      ),
    allowedEmailDomains: z
      .array(z.string().min(1))
      .nullable()
      .default(null)
      .describe(
        'When set, only users whose `email` claim ends in @ one of these domains (and is not marked unverified) may sign in.',
      ),
    clockSkewSeconds: z
      .number()
      .int()
      .min(0)
      .max(300)
      .default(60)
      .describe('Tolerated clock difference with the identity provider when checking exp, iat and nbf.'),
  })
  .refine((o) => o.clientSecret === null || o.clientSecretFile === null, {
    message: 'set clientSecret or clientSecretFile, not both',
    path: ['clientSecretFile'],
  });

export const configSchema = z
  .strictObject({
    dataDir: z.string().default('./data').describe('Directory for the queue, the store and metadata.'),
    role: z
      .enum(['all', 'ingest', 'indexer', 'api'])
      .default('all')
      .describe(
        'What this process runs: all; ingest (sources -> queue); indexer (queue -> store, one consumer process per partition with Kafka); api (search, UI, alerts). Roles other than all need queue.type kafka.',
      ),
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
        tls: z
          .strictObject({
            cert: z.string().describe('PEM certificate (chain) file of the server; re-read when it changes.'),
            key: z.string().describe('PEM private key file of the server; re-read when it changes.'),
            ca: z
              .string()
              .nullable()
              .default(null)
              .describe(
                'PEM CA bundle file; when set, every client must present a certificate signed by it (mutual TLS).',
              ),
          })
          .nullable()
          .default(null)
          .describe('HTTPS for the API (TLS 1.2 or newer, HSTS sent); null serves plain HTTP.'),
        rateLimit: z
          .strictObject({
            client: rateBucket(1000, 5000).describe(
              'Requests per client IP address (IPv6: per /64 network).',
            ),
            token: rateBucket(1000, 5000).describe(
              'Requests per API token (the `Authorization` header: Bearer, or Basic/ApiKey from shippers).',
            ),
          })
          .prefault({})
          .describe(
            'Token-bucket request limits; beyond them the answer is 429 with Retry-After. /healthz is never limited.',
          ),
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
        tls: z
          .strictObject({
            listen: hostPort
              .nullable()
              .default(null)
              .describe('Syslog over TLS (RFC 5425) listen address, usually port 6514; null disables it.'),
            cert: z
              .string()
              .nullable()
              .default(null)
              .describe('PEM certificate (chain) file of the server; re-read when it changes.'),
            key: z
              .string()
              .nullable()
              .default(null)
              .describe('PEM private key file of the server; re-read when it changes.'),
            ca: z
              .string()
              .nullable()
              .default(null)
              .describe('PEM CA bundle file that client certificates must chain to.'),
            requireClientCert: z
              .boolean()
              .default(false)
              .describe('Refuse clients without a certificate signed by `ca` (mutual TLS).'),
          })
          .refine(
            (t) => t.listen === null || (t.cert !== null && t.key !== null),
            'listen needs cert and key',
          )
          .refine((t) => !t.requireClientCert || t.ca !== null, 'requireClientCert needs ca')
          .prefault({})
          .describe('Syslog over TLS receiver (octet-counted frames over TLS).'),
      })
      .prefault({})
      .describe('Syslog receivers.'),
    gelf: z
      .strictObject({
        udp: hostPort
          .nullable()
          .default(null)
          .describe(
            'GELF UDP listen address (plain, gzip, zlib, chunked); 12201 is the usual port; null disables it.',
          ),
        tcp: hostPort
          .nullable()
          .default(null)
          .describe('GELF TCP listen address (NUL-terminated messages); null disables it.'),
        stream: z.string().default('gelf').describe('Stream that GELF events are stored in.'),
        maxMessageBytes: z
          .number()
          .int()
          .positive()
          .default(1024 * 1024)
          .describe(
            'Largest GELF message, decompressed and reassembled; larger ones are rejected and counted.',
          ),
        chunkTimeoutMs: z
          .number()
          .int()
          .positive()
          .default(5000)
          .describe('How long the chunks of a chunked GELF UDP message may take to arrive.'),
        maxPendingChunked: z
          .number()
          .int()
          .positive()
          .default(1000)
          .describe('Chunked GELF messages open at once; beyond, the oldest is given up and counted.'),
      })
      .prefault({})
      .describe('GELF receivers (Graylog Extended Log Format 1.1).'),
    lines: z
      .array(
        z
          .strictObject({
            listen: hostPort.describe('Listen address.'),
            protocol: z
              .enum(['tcp', 'udp'])
              .describe('tcp: one event per LF-terminated line; udp: one or more lines per datagram.'),
            format: z
              .enum(['auto', 'json', 'syslog', 'text'])
              .default('auto')
              .describe('How lines are parsed: auto-detected per line, JSON objects, syslog, or plain text.'),
            stream: z.string().describe('Stream the events are stored in.'),
            name: z
              .string()
              .regex(/^[a-z0-9_]{1,64}$/, 'expected lower-case letters, digits and _')
              .optional()
              .describe('Name in the metrics label `source=lines_<name>`; default `<stream>_<protocol>`.'),
            maxLineBytes: z
              .number()
              .int()
              .positive()
              .default(1024 * 1024)
              .describe('Longest accepted line; a longer one is rejected and counted.'),
          })
          .describe('One line receiver.'),
      )
      .default([])
      .describe('Plain TCP/UDP line receivers, each with its own parser and stream.'),
    elasticsearch: z
      .strictObject({
        version: z
          .string()
          .regex(/^\d+\.\d+\.\d+$/, 'expected MAJOR.MINOR.PATCH, e.g. 8.17.0')
          .default('8.17.0')
          .describe(
            'Elasticsearch version that `GET /` reports to shippers and clients (they pick their API by its major).',
          ),
      })
      .prefault({})
      .describe(
        'Elasticsearch-compatible ingest: `_bulk` and the probes shippers make (see docs/ingest.md).',
      ),
    loki: z
      .strictObject({
        stream: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'expected a stream name: letters, digits, _ - .')
          .default('loki')
          .describe(
            'Stream that Loki push events are stored in (a `?stream=` on the push URL overrides it).',
          ),
      })
      .prefault({})
      .describe('Loki push receiver (`POST /loki/api/v1/push`).'),
    otlp: z
      .strictObject({
        stream: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'expected a stream name: letters, digits, _ - .')
          .default('otlp')
          .describe('Stream that OTLP log records are stored in (a `?stream=` on the URL overrides it).'),
      })
      .prefault({})
      .describe('OpenTelemetry OTLP/HTTP logs receiver (`POST /v1/logs`).'),
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
        type: z
          .enum(['disk', 'kafka'])
          .default('disk')
          .describe('The queue between sources and indexing: the embedded disk queue, or Apache Kafka.'),
        kafka: z
          .strictObject({
            brokers: z
              .array(hostPort)
              .min(1)
              .default(['127.0.0.1:9092'])
              .describe('Bootstrap brokers (HOST:PORT); the flag takes them comma-separated.'),
            topic: z.string().default('logwarden-ingest').describe('Topic that ingested events go through.'),
            replicationFactor: z
              .number()
              .int()
              .min(1)
              .default(1)
              .describe('Replication factor of topics logwarden creates.'),
            batchBytes: z
              .number()
              .int()
              .positive()
              .default(1024 * 1024)
              .describe('Producer batch.size: pending bytes per partition that trigger a send.'),
            lingerMs: z
              .number()
              .int()
              .min(0)
              .default(0)
              .describe('Producer linger.ms: how long a send waits for more messages (0: next tick).'),
            compression: z
              .enum(['none', 'gzip', 'snappy', 'lz4', 'zstd'])
              .default('lz4')
              .describe(
                'Producer compression.type of record batches (lz4 by default: a compressed batch is one contiguous block, cheaper to build and to decode than uncompressed records).',
              ),
            acks: z
              .enum(['all', 'leader', 'none'])
              .default('all')
              .describe(
                'Producer acks: ingest answers after all in-sync replicas (all) or the leader have the data.',
              ),
            fetchMinBytes: z
              .number()
              .int()
              .min(1)
              .default(1)
              .describe('Consumer fetch.min.bytes: the broker holds a fetch until this much data is there.'),
            fetchMaxWaitMs: z
              .number()
              .int()
              .min(0)
              .default(250)
              .describe('Consumer fetch.max.wait.ms: longest wait for fetch.min.bytes.'),
            maxBytesPerFetch: z
              .number()
              .int()
              .positive()
              .default(2 * 1024 * 1024)
              .describe('Consumer max bytes per partition fetch (one processing batch).'),
            sessionTimeoutMs: z
              .number()
              .int()
              .min(1000)
              .default(10_000)
              .describe(
                'Consumer session.timeout.ms: a consumer process silent this long is removed from the group and its partitions move.',
              ),
            retentionMs: z
              .number()
              .int()
              .min(-1)
              .default(7 * 86_400_000)
              .describe('retention.ms of topics logwarden creates (-1: unlimited).'),
            retentionBytes: z
              .number()
              .int()
              .min(-1)
              .default(-1)
              .describe('retention.bytes per partition of topics logwarden creates (-1: unlimited).'),
            requestTimeoutMs: z
              .number()
              .int()
              .min(100)
              .default(5000)
              .describe(
                'Kafka request timeout; ingest answers 503 when the brokers do not answer within about 3 of them.',
              ),
            consumers: z
              .number()
              .int()
              .min(1)
              .max(256)
              .optional()
              .describe(
                'Consumer processes of the indexer role (one consumer group); default: min(partitions, CPU cores).',
              ),
          })
          .prefault({})
          .describe('Apache Kafka queue (queue.type kafka); partitions come from queue.partitions.'),
      })
      .prefault({})
      .describe('The queue: embedded disk queue (Kafka semantics) or Apache Kafka.'),
    sources: z
      .strictObject({
        kafkaAudit: z
          .strictObject({
            brokers: z
              .array(hostPort)
              .min(1)
              .default(['127.0.0.1:9092'])
              .describe('Bootstrap brokers of the audited Kafka cluster (HOST:PORT).'),
            group: z
              .string()
              .default('logwarden-audit')
              .describe("The audit's own consumer group (never one of the users' groups)."),
            topics: z.array(z.string()).default([]).describe('Topics to audit.'),
            topicPattern: z
              .string()
              .nullable()
              .default(null)
              .describe(
                'Regular expression of further topics to audit (matched against the topic list at start).',
              ),
            groups: z
              .array(z.string())
              .default([])
              .describe(
                "Users' consumer groups whose committed offsets are sampled; empty: every group but the audit's.",
              ),
            sampleIntervalMs: z
              .number()
              .int()
              .min(100)
              .default(5000)
              .describe(
                'How often committed offsets and lag of the groups are sampled (and stored as events).',
              ),
            duplicateWindowMs: z
              .number()
              .int()
              .min(0)
              .default(3_600_000)
              .describe(
                'Messages with the same topic, key and value hash within this window are flagged as duplicates.',
              ),
            decodeValue: z
              .enum(['none', 'json', 'text', 'base64'])
              .default('none')
              .describe(
                'Store the message value too: parsed JSON, UTF-8 text, or base64; none stores only its hash.',
              ),
            maskFields: z
              .array(z.string())
              .default([])
              .describe('JSON keys (at any depth) of decoded values whose values are replaced by "***".'),
            stream: z
              .string()
              .default('kafka-audit')
              .describe('Stream that audit records and lag samples go to.'),
          })
          .nullable()
          .default(null)
          .describe('Kafka topic audit: records every message of the audited topics; null disables it.'),
      })
      .prefault({})
      .describe('Sources that pull from other systems.'),
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
            'Days of events to keep in streams without their own `retentionDays`; an event goes once its whole UTC day is older (checked at start and hourly). 0 keeps everything.',
          ),
      })
      .prefault({})
      .describe('Embedded store (DuckDB).'),
    tail: z
      .strictObject({
        maxClients: z
          .number()
          .int()
          .min(0)
          .max(10_000)
          .default(16)
          .describe('Most live tails (SSE and WebSocket) open at once; more are answered 429.'),
        bufferEvents: z
          .number()
          .int()
          .min(1)
          .max(1_000_000)
          .default(5000)
          .describe(
            'Matching events queued per tail client that reads slowly; beyond this they are dropped and the client is told how many.',
          ),
        heartbeatSeconds: z
          .number()
          .min(0.1)
          .max(3600)
          .default(15)
          .describe('Seconds between heartbeats on a tail, so that proxies keep an idle connection open.'),
      })
      .prefault({})
      .describe('Live tail (GET /api/v1/tail).'),
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
    audit: z
      .strictObject({
        retentionDays: z
          .number()
          .int()
          .min(365)
          .default(1095)
          .describe(
            'Days the audit trail (<dataDir>/audit/) is kept; whole segments whose newest record is older are removed. At least 365.',
          ),
      })
      .prefault({})
      .describe('Audit trail of who did and looked at what (never removed by store.retentionDays).'),
    auth: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe(
            'Require authentication (user sessions or API tokens) on every route but /healthz and the sign-in. false: no authentication at all, and only loopback addresses may be bound.',
          ),
        sessionIdleMinutes: z
          .number()
          .positive()
          .default(30)
          .describe('A signed-in session ends after this many minutes without a request.'),
        sessionMaxHours: z
          .number()
          .positive()
          .default(12)
          .describe('A signed-in session ends this many hours after the sign-in, used or not.'),
        lockout: z
          .strictObject({
            threshold: z
              .number()
              .int()
              .min(1)
              .default(5)
              .describe('Failed sign-ins (per user name and per client address) before backoff starts.'),
            baseSeconds: z
              .number()
              .positive()
              .default(1)
              .describe('First lockout; each further failure doubles it.'),
            maxSeconds: z.number().positive().default(900).describe('Longest lockout.'),
          })
          .prefault({})
          .describe('Backoff after repeated failed sign-ins: answered 429 with Retry-After.'),
        bootstrapTokenFile: z
          .string()
          .nullable()
          .default(null)
          .describe(
            'File holding an admin API token (`lw_` + 32 to 128 of A-Z a-z 0-9 _ -) created at the first start instead of the admin password; the environment variable LOGWARDEN_BOOTSTRAP_TOKEN does the same.',
          ),
        oidc: oidcConfigSchema
          .nullable()
          .default(null)
          .describe(
            'OpenID Connect sign-in (authorization code + PKCE) at GET /api/v1/auth/oidc/login; null: off (docs/security.md).',
          ),
      })
      .prefault({})
      .describe('Authentication: users, sessions and API tokens (docs/security.md).'),
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
