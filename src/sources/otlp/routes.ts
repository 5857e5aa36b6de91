/**
 * `POST /v1/logs`: OTLP/HTTP logs (https://opentelemetry.io/docs/specs/otlp/#otlphttp), in
 * protobuf (`application/x-protobuf`) or JSON (`application/json`), optionally gzip (or
 * deflate, zstd). The stream is `otlp.stream` or the URL's `?stream=`.
 *
 * Answers follow the OTLP spec, in the request's encoding: 200 with an empty
 * `ExportLogsServiceResponse` once every record is durable, or with `partial_success`
 * (`rejected_log_records` and the first errors) when some records were rejected and the others
 * stored; 400 with a `google.rpc.Status` for a body that cannot be read (not retryable); 413,
 * 415; 429 / 503 with Retry-After when the queue is full or the server is stopping (retryable:
 * nothing of the request was stored, it is appended in one atomic produce).
 */
import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { envelopeKey, isValidStreamName } from '../../core/envelope.ts';
import { assertStreamWritable } from '../../core/stream-access.ts';
import { LwError } from '../../core/errors.ts';
import { readDecodedBody } from '../http/content-encoding.ts';
import { JsonRecordSink, RecordBatch, type RecordSinkDeps, Rejections } from '../http/record-sink.ts';
import type { SourceStats } from '../net/source-stats.ts';
import { decodeJsonLogs, decodeProtobufLogs } from './logs.ts';

export interface OtlpDeps extends RecordSinkDeps {
  maxBodyBytes: number;
  maxLineBytes: number;
  counters: SourceStats;
  stream: string;
  isShuttingDown: () => boolean;
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** A length-delimited protobuf field. */
function lenField(field: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...varint(payload.length)]), payload]);
}

/** `ExportLogsServiceResponse{partial_success{rejected_log_records, error_message}}` or `google.rpc.Status{code, message}`. */
function protoCountAndText(
  countField: number,
  count: number,
  text: string,
  wrapField: number | null,
): Buffer {
  const inner = Buffer.concat([
    Buffer.from([(countField << 3) | 0, ...varint(count)]),
    lenField(2, Buffer.from(text)),
  ]);
  return wrapField === null ? inner : lenField(wrapField, inner);
}

function send(reply: FastifyReply, proto: boolean, status: number, json: unknown, pb: Buffer): void {
  reply.code(status);
  if (proto) reply.type('application/x-protobuf').send(pb);
  else reply.type('application/json').send(json);
}

/** gRPC status codes used in OTLP/HTTP error bodies. */
const GRPC_INVALID_ARGUMENT = 3;
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_UNAVAILABLE = 14;

function sendError(reply: FastifyReply, proto: boolean, err: LwError): void {
  if (err.status === 429 || err.status === 503) reply.header('Retry-After', err.status === 429 ? '1' : '5');
  const code =
    err.status === 429
      ? GRPC_RESOURCE_EXHAUSTED
      : err.status >= 500
        ? GRPC_UNAVAILABLE
        : GRPC_INVALID_ARGUMENT;
  send(
    reply,
    proto,
    err.status,
    { code, message: err.message },
    protoCountAndText(1, code, err.message, null),
  );
}

async function exportLogs(
  req: FastifyRequest,
  reply: FastifyReply,
  deps: OtlpDeps,
  proto: boolean,
): Promise<void> {
  if (deps.isShuttingDown()) throw new LwError('LW_ERR_SHUTTING_DOWN');
  const stream = (req.query as Record<string, string | undefined>).stream ?? deps.stream;
  if (!isValidStreamName(stream))
    throw new LwError('LW_ERR_BAD_PARAM', ['stream', `${JSON.stringify(stream)} is not a valid stream name`]);
  assertStreamWritable(req, stream);
  const body = await readDecodedBody(
    req.headers['content-encoding'] as string | undefined,
    (req.body as Readable | undefined) ?? Readable.from([]),
    deps.maxBodyBytes,
  );
  const batch = new RecordBatch(deps, deps.counters);
  const rejections = new Rejections(deps.counters);
  const key = envelopeKey(stream, 'json');
  // Protobuf strings are checked by the reader; a JSON body's bad bytes are found per event.
  const sink = new JsonRecordSink(batch, rejections, key, deps.maxLineBytes, !proto && !isUtf8(body));
  try {
    if (proto) decodeProtobufLogs(body, sink);
    else decodeJsonLogs(body, sink);
  } finally {
    deps.counters.received += batch.size + rejections.count;
  }
  await batch.flush();
  const failed = batch.firstError();
  if (failed !== null) throw failed;
  if (rejections.count === 0) {
    send(reply, proto, 200, {}, Buffer.alloc(0));
    return;
  }
  const text = rejections.summary(batch.size + rejections.count);
  send(
    reply,
    proto,
    200,
    { partialSuccess: { rejectedLogRecords: String(rejections.count), errorMessage: text } },
    protoCountAndText(1, rejections.count, text, 1),
  );
}

export function registerOtlp(app: FastifyInstance, deps: OtlpDeps): void {
  app.register(async (inst) => {
    inst.removeAllContentTypeParsers();
    inst.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    inst.post(
      '/v1/logs',
      { bodyLimit: Number.MAX_SAFE_INTEGER, config: { permission: 'ingest' } },
      async (req, reply) => {
        const ct = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
        const proto = ct === 'application/x-protobuf';
        try {
          if (!proto && ct !== 'application/json')
            throw new LwError('LW_ERR_UNSUPPORTED_MEDIA_TYPE', [
              `${JSON.stringify(ct)} (OTLP/HTTP takes application/x-protobuf or application/json)`,
            ]);
          await exportLogs(req, reply, deps, proto);
        } catch (err) {
          if (!(err instanceof LwError)) throw err;
          (req.raw as Readable).resume();
          sendError(reply, proto, err);
        }
        // An async handler that sent must return the reply, or Fastify sends again.
        return reply;
      },
    );
  });
}
