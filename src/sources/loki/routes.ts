/**
 * `POST /loki/api/v1/push`, as Promtail, Grafana Alloy and Loki clients send it: protobuf
 * with snappy (`Content-Type: application/x-protobuf`) or JSON (`application/json`, optionally
 * `Content-Encoding: gzip`). The stream is `loki.stream` or the URL's `?stream=`.
 *
 * Answers follow Loki: 204 once every entry is durable; 400 (plain text) for a body that cannot
 * be read, or, after storing the good entries, when some entries were rejected (the text names
 * them; clients do not retry a 400, and nothing good is lost); 413 over `http.maxBodyBytes`;
 * 415 for another content type; 429 with Retry-After when the queue is full (nothing of the
 * request was stored: it is appended in one atomic produce); 503 while shutting down.
 */
import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { envelopeKey, isValidStreamName } from '../../core/envelope.ts';
import { assertStreamWritable } from '../../core/stream-access.ts';
import { LwError } from '../../core/errors.ts';
import { SnappyError, SnappyTooLargeError, snappyDecompress } from '../codec/snappy.ts';
import { readDecodedBody } from '../http/content-encoding.ts';
import { JsonRecordSink, RecordBatch, type RecordSinkDeps, Rejections } from '../http/record-sink.ts';
import type { SourceStats } from '../net/source-stats.ts';
import { decodeJsonPush, decodeProtobufPush } from './push.ts';

export interface LokiDeps extends RecordSinkDeps {
  maxBodyBytes: number;
  maxLineBytes: number;
  counters: SourceStats;
  stream: string;
  isShuttingDown: () => boolean;
}

function sendError(reply: FastifyReply, err: LwError): void {
  if (err.status === 429 || err.status === 503) reply.header('Retry-After', err.status === 429 ? '1' : '5');
  reply.code(err.status).type('text/plain; charset=utf-8').send(`${err.message}\n`);
}

async function push(req: FastifyRequest, reply: FastifyReply, deps: LokiDeps): Promise<FastifyReply> {
  if (deps.isShuttingDown()) throw new LwError('LW_ERR_SHUTTING_DOWN');
  const stream = (req.query as Record<string, string | undefined>).stream ?? deps.stream;
  if (!isValidStreamName(stream))
    throw new LwError('LW_ERR_BAD_PARAM', ['stream', `${JSON.stringify(stream)} is not a valid stream name`]);
  assertStreamWritable(req, stream);
  const ct = (req.headers['content-type'] ?? 'application/json').split(';')[0].trim().toLowerCase();
  const proto = ct === 'application/x-protobuf';
  if (!proto && ct !== 'application/json')
    throw new LwError('LW_ERR_UNSUPPORTED_MEDIA_TYPE', [
      `${JSON.stringify(ct)} (Loki push takes application/x-protobuf or application/json)`,
    ]);
  let body = await readDecodedBody(
    req.headers['content-encoding'] as string | undefined,
    (req.body as Readable | undefined) ?? Readable.from([]),
    deps.maxBodyBytes,
  );
  if (proto) {
    try {
      body = snappyDecompress(body, deps.maxBodyBytes);
    } catch (err) {
      if (err instanceof SnappyTooLargeError) throw new LwError('LW_ERR_BODY_TOO_LARGE', [deps.maxBodyBytes]);
      if (err instanceof SnappyError) throw new LwError('LW_ERR_BAD_ENCODING', ['snappy', err.message]);
      throw err;
    }
  }
  const batch = new RecordBatch(deps, deps.counters);
  const rejections = new Rejections(deps.counters);
  const key = envelopeKey(stream, 'json');
  // Protobuf strings are checked by the reader; a JSON body's bad bytes are found per event.
  const sink = new JsonRecordSink(batch, rejections, key, deps.maxLineBytes, !proto && !isUtf8(body));
  try {
    if (proto) decodeProtobufPush(body, deps.maxLineBytes, sink);
    else decodeJsonPush(body, deps.maxLineBytes, sink);
  } finally {
    deps.counters.received += batch.size + rejections.count;
  }
  await batch.flush();
  const failed = batch.firstError();
  if (failed !== null) throw failed;
  if (rejections.count > 0) {
    // An async handler that sent must return the reply, or Fastify sends again.
    return reply
      .code(400)
      .type('text/plain; charset=utf-8')
      .send(`${rejections.summary(batch.size + rejections.count)}\n`);
  }
  return reply.code(204).send();
}

export function registerLoki(app: FastifyInstance, deps: LokiDeps): void {
  app.register(async (inst) => {
    inst.removeAllContentTypeParsers();
    inst.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    inst.post(
      '/loki/api/v1/push',
      { bodyLimit: Number.MAX_SAFE_INTEGER, config: { permission: 'ingest' } },
      async (req, reply) => {
        try {
          await push(req, reply, deps);
        } catch (err) {
          if (!(err instanceof LwError)) throw err;
          (req.raw as Readable).resume();
          sendError(reply, err);
        }
        // An async handler that sent must return the reply, or Fastify sends again.
        return reply;
      },
    );
  });
}
