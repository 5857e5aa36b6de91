/**
 * HTTP ingest: `POST /api/v1/ingest?stream=NAME`.
 *
 * Bodies: `application/x-ndjson` (one JSON object per line, streamed), `text/plain` (one event
 * per line, format auto-detected by the workers: JSON, RFC 5424, RFC 3164 or text, streamed),
 * `application/json` (one object or an array of objects; parsed whole, within the body limit).
 * `Content-Encoding: gzip | deflate | zstd` is decoded on the fly; the body limit applies to the
 * decoded size, so a compression bomb is cut off.
 *
 * The answer comes only after the accepted events are durable in the queue:
 * `200 {"accepted": N, "rejected": M, "errors": [{"line": L, "error": "..."}], "more_errors": K}`.
 * A malformed line is rejected alone. Failures after part of a streamed body was made durable
 * (queue full, disk full, body limit) answer with the error status and the `accepted` count so
 * far, so a client knows exactly what was kept.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { envelopeKey, isValidStreamName } from '../../core/envelope.ts';
import { assertStreamWritable } from '../../core/stream-access.ts';
import { LwError } from '../../core/errors.ts';
import type { Queue, QueueMessage } from '../../queue/queue.ts';
import { decodeBody, isDecodeError } from './content-encoding.ts';
import { isJsonObject, jsonObjectError } from './json-validate.ts';
import { LineSplitter } from './line-splitter.ts';

export interface IngestDeps {
  queue: Queue;
  topic: string;
  maxBodyBytes: number;
  maxLineBytes: number;
  /** Counts accepted/rejected events per source, for /metrics. */
  counters: { received: number; accepted: number; rejected: number; requests: number };
  isShuttingDown: () => boolean;
}

const MAX_ERRORS = 20;
const FLUSH_BYTES = 4 * 1024 * 1024;
const FLUSH_COUNT = 10_000;

type BodyKind = 'ndjson' | 'text' | 'json';

function bodyKind(contentType: string | undefined): BodyKind | null {
  const ct = (contentType ?? 'application/x-ndjson').split(';')[0].trim().toLowerCase();
  if (ct === 'application/x-ndjson' || ct === 'application/ndjson' || ct === 'application/jsonlines')
    return 'ndjson';
  if (ct === 'text/plain' || ct === '') return 'text';
  if (ct === 'application/json') return 'json';
  return null;
}

class IngestBatch {
  accepted = 0;
  rejected = 0;
  errors: Array<{ line: number; error: string }> = [];
  moreErrors = 0;
  pending: QueueMessage[] = [];
  pendingBytes = 0;
  private partition: number;
  private readonly deps: IngestDeps;
  private readonly key: Buffer;
  private readonly now = Date.now();

  constructor(deps: IngestDeps, key: Buffer, partition: number) {
    this.deps = deps;
    this.key = key;
    this.partition = partition;
  }

  reject(line: number, error: string): void {
    this.rejected++;
    if (this.errors.length < MAX_ERRORS) this.errors.push({ line, error });
    else this.moreErrors++;
  }

  add(value: Buffer): void {
    this.pending.push({ key: this.key, value, timestamp: this.now });
    this.pendingBytes += value.length;
  }

  get shouldFlush(): boolean {
    return this.pendingBytes >= FLUSH_BYTES || this.pending.length >= FLUSH_COUNT;
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const msgs = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const n = this.deps.queue.partitionCount(this.deps.topic);
    await this.deps.queue.produce(this.deps.topic, this.partition % n, msgs);
    this.partition++;
    this.accepted += msgs.length;
  }

  body(): Record<string, unknown> {
    const b: Record<string, unknown> = {
      accepted: this.accepted,
      rejected: this.rejected,
      errors: this.errors,
    };
    if (this.moreErrors > 0) b.more_errors = this.moreErrors;
    return b;
  }
}

let rr = 0;

/**
 * Answers through `reply` and returns it: an async handler that resolves with anything else
 * while async onSend hooks (security headers, CSRF) are still running makes Fastify answer twice.
 */
async function handle(req: FastifyRequest, reply: FastifyReply, deps: IngestDeps): Promise<FastifyReply> {
  deps.counters.requests++;
  if (deps.isShuttingDown()) throw new LwError('LW_ERR_SHUTTING_DOWN');
  const q = req.query as Record<string, string | undefined>;
  const stream = q.stream ?? 'default';
  if (!isValidStreamName(stream)) {
    throw new LwError('LW_ERR_BAD_PARAM', [
      'stream',
      `${JSON.stringify(stream)} is not a valid stream name (letters, digits, _ - . ; up to 128 chars)`,
    ]);
  }
  assertStreamWritable(req, stream);
  const kind = bodyKind(req.headers['content-type']);
  if (kind === null)
    throw new LwError('LW_ERR_UNSUPPORTED_MEDIA_TYPE', [JSON.stringify(req.headers['content-type'])]);
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > deps.maxBodyBytes && !req.headers['content-encoding']) {
    throw new LwError('LW_ERR_BODY_TOO_LARGE', [deps.maxBodyBytes]);
  }
  const format = kind === 'text' ? 'auto' : 'json';
  const fmtOverride = q.format;
  const fmt =
    fmtOverride === 'syslog' || fmtOverride === 'text' || fmtOverride === 'json' || fmtOverride === 'auto'
      ? fmtOverride
      : format;
  const batch = new IngestBatch(deps, envelopeKey(stream, fmt), rr++);
  const body = decodeBody(
    req.headers['content-encoding'] as string | undefined,
    (req.body as Readable | undefined) ?? Readable.from([]),
  );
  let total = 0;
  let failure: LwError | null = null;
  try {
    if (kind === 'json') {
      const chunks: Buffer[] = [];
      for await (const chunk of body) {
        total += (chunk as Buffer).length;
        if (total > deps.maxBodyBytes) throw new LwError('LW_ERR_BODY_TOO_LARGE', [deps.maxBodyBytes]);
        chunks.push(chunk as Buffer);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        throw new LwError('LW_ERR_BAD_REQUEST', [`cannot parse JSON body: ${(err as Error).message}`]);
      }
      const items = Array.isArray(parsed) ? parsed : [parsed];
      items.forEach((it, i) => {
        if (it === null || typeof it !== 'object' || Array.isArray(it)) {
          batch.reject(i + 1, `element ${i} is not a JSON object`);
          return;
        }
        const v = Buffer.from(JSON.stringify(it));
        if (v.length > deps.maxLineBytes) {
          batch.reject(i + 1, `event is ${v.length} bytes, over the limit of ${deps.maxLineBytes}`);
          return;
        }
        batch.add(v);
      });
    } else {
      const validate = kind === 'ndjson';
      const splitter = new LineSplitter(deps.maxLineBytes, {
        onLine(line, lineNo) {
          if (line.length === 0 || (line.length < 8 && line.toString().trim() === '')) return;
          if (validate && !isJsonObject(line)) {
            batch.reject(lineNo, jsonObjectError(line));
            return;
          }
          batch.add(line);
        },
        onTooLong(lineNo, bytes) {
          batch.reject(lineNo, `line is ${bytes} bytes, over the limit of ${deps.maxLineBytes}`);
        },
      });
      for await (const chunk of body) {
        total += (chunk as Buffer).length;
        if (total > deps.maxBodyBytes) throw new LwError('LW_ERR_BODY_TOO_LARGE', [deps.maxBodyBytes]);
        splitter.push(chunk as Buffer);
        if (batch.shouldFlush) await batch.flush();
      }
      splitter.end();
    }
    await batch.flush();
  } catch (err) {
    if (err instanceof LwError) failure = err;
    else if (isDecodeError(err)) {
      failure = new LwError('LW_ERR_BAD_ENCODING', [
        String(req.headers['content-encoding']),
        (err as Error).message,
      ]);
    } else throw err;
  }
  deps.counters.accepted += batch.accepted;
  deps.counters.rejected += batch.rejected;
  deps.counters.received += batch.accepted + batch.rejected + batch.pending.length;
  if (failure) {
    // Drain the rest of the body so the client sees our answer rather than a reset.
    (req.raw as Readable).resume();
    if (failure.code === 'LW_ERR_QUEUE_FULL' || failure.code === 'LW_ERR_QUEUE_UNAVAILABLE')
      reply.header('Retry-After', '1');
    if (failure.code === 'LW_ERR_SHUTTING_DOWN') reply.header('Retry-After', '5');
    return reply.code(failure.status).send({
      ...failure.toJSON(),
      ...batch.body(),
      note:
        batch.accepted > 0 ? `the first ${batch.accepted} events were accepted and are durable` : undefined,
    });
  }
  return reply.code(200).send(batch.body());
}

export function registerIngest(app: FastifyInstance, deps: IngestDeps): void {
  // In its own encapsulated context, bodies reach the handler as the raw stream: no buffering
  // and no body limit of Fastify's own (ours applies to the decoded size).
  app.register(async (inst) => {
    inst.removeAllContentTypeParsers();
    inst.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    inst.post(
      '/api/v1/ingest',
      { bodyLimit: Number.MAX_SAFE_INTEGER, config: { permission: 'ingest' } },
      (req, reply) => handle(req, reply, deps),
    );
  });
}
