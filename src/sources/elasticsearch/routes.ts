/**
 * The Elasticsearch-compatible HTTP surface: `_bulk` (bulk.ts) and the probes and set-up calls
 * shippers make (probes.ts). Registered in its own encapsulated Fastify context, where bodies
 * arrive as raw streams (bulk bodies are streamed, up to `maxBodyBytes` decoded) and every
 * answer carries `X-Elastic-Product: Elasticsearch`, which the official clients require.
 * Request-level errors are answered in Elasticsearch's error shape
 * (`{"error": {"type", "reason"}, "status"}`), which shippers log and retry on.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { streamWritable } from '../../core/stream-access.ts';
import { LwError } from '../../core/errors.ts';
import { readDecodedBody } from '../http/content-encoding.ts';
import { type BulkDeps, filterBulkAnswer, handleBulk } from './bulk.ts';
import {
  badRequest,
  clusterHealthDocument,
  licenseDocument,
  newProbeInfo,
  nodesDocument,
  SetupObjects,
  versionDocument,
  xpackDocument,
} from './probes.ts';

export interface ElasticsearchDeps extends BulkDeps {
  /** The Elasticsearch version logwarden answers probes with. */
  version: string;
  isShuttingDown: () => boolean;
  /** The indexer's next offset per partition (`position`) and the queue's end (`end`). */
  indexerPositions: () => Array<{ partition: number; position: number; end: number }>;
}

/** How long `refresh` (on `_bulk` or `_refresh`) waits for the indexer before answering anyway. */
const REFRESH_TIMEOUT_MS = 30_000;

/** Waits until the indexer has stored everything before `upTo` (per partition); false on timeout. */
async function waitIndexed(deps: ElasticsearchDeps, upTo: Map<number, number>): Promise<boolean> {
  const deadline = Date.now() + REFRESH_TIMEOUT_MS;
  for (;;) {
    const pos = new Map(deps.indexerPositions().map((p) => [p.partition, p.position]));
    if ([...upTo].every(([p, o]) => (pos.get(p) ?? 0) >= o)) return true;
    if (Date.now() > deadline || deps.isShuttingDown()) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const SETUP_BODY_LIMIT = 4 * 1024 * 1024;

function esError(status: number, type: string, reason: string): Record<string, unknown> {
  return { error: { root_cause: [{ type, reason }], type, reason }, status };
}

function sendLwError(reply: FastifyReply, err: LwError): void {
  if (err.status === 429 || err.status === 503) reply.header('Retry-After', err.status === 429 ? '1' : '5');
  const type =
    err.status === 429
      ? 'es_rejected_execution_exception'
      : err.status === 413
        ? 'content_too_long_exception'
        : err.status === 503
          ? 'unavailable_shards_exception'
          : err.status === 415
            ? 'media_type_header_exception'
            : 'parse_exception';
  reply.code(err.status).send(esError(err.status, type, err.message));
}

export function registerElasticsearch(app: FastifyInstance, deps: ElasticsearchDeps): void {
  const info = newProbeInfo(deps.version);
  const setup = new SetupObjects();

  const bulk = async (req: FastifyRequest, reply: FastifyReply) => {
    if (deps.isShuttingDown()) {
      sendLwError(reply, new LwError('LW_ERR_SHUTTING_DOWN'));
      return reply;
    }
    const params = req.params as { index?: string };
    const query = req.query as Record<string, string | undefined>;
    try {
      const upTo = new Map<number, number>();
      const answer = await handleBulk(
        (req.body as Readable | undefined) ?? Readable.from([]),
        req.headers['content-encoding'] as string | undefined,
        params.index ?? null,
        deps,
        upTo,
        (stream) => streamWritable(req, stream),
      );
      // `refresh=true|wait_for`: answer once the documents are searchable.
      if (query.refresh !== undefined && query.refresh !== 'false') await waitIndexed(deps, upTo);
      const filter = query.filter_path;
      reply.code(200).send(filter ? filterBulkAnswer(answer, filter) : answer);
    } catch (err) {
      if (!(err instanceof LwError)) throw err;
      (req.raw as Readable).resume();
      sendLwError(reply, err);
    }
    // An async handler that sent must return the reply, or Fastify sends again.
    return reply;
  };

  const setupRoute = (prefix: string) => async (req: FastifyRequest, reply: FastifyReply) => {
    let body: unknown;
    if ((req.method === 'PUT' || req.method === 'POST') && req.body !== undefined) {
      const raw = await readDecodedBody(
        req.headers['content-encoding'] as string | undefined,
        req.body as Readable,
        SETUP_BODY_LIMIT,
      );
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch (err) {
          return reply.code(400).send(badRequest(`cannot parse the JSON body: ${(err as Error).message}`));
        }
      }
    }
    const names = (req.params as { names?: string }).names ?? '';
    const r = setup.handle(req.method, prefix, decodeURIComponent(names), body);
    return reply.code(r.status).send(req.method === 'HEAD' ? undefined : r.body);
  };

  app.register(async (inst) => {
    inst.removeAllContentTypeParsers();
    inst.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    inst.addHook('onSend', async (_req, reply) => {
      reply.header('x-elastic-product', 'Elasticsearch');
    });
    // Shippers probe and set up with the same credentials they send events with.
    const ingest = { config: { permission: 'ingest' as const } };
    inst.get('/', ingest, async () => versionDocument(info));
    inst.get('/_license', ingest, async () => licenseDocument(info));
    inst.get('/_xpack', ingest, async () => xpackDocument(info));
    inst.get('/_cluster/health', ingest, async () => clusterHealthDocument(info));
    inst.get('/_nodes/http', ingest, async (req) => nodesDocument(info, req.host));
    for (const prefix of SetupObjects.prefixes()) {
      const handler = setupRoute(prefix);
      const methods: Array<'GET' | 'PUT' | 'POST' | 'DELETE'> = ['GET', 'PUT', 'POST', 'DELETE'];
      inst.route({ method: methods, url: `/${prefix}`, handler, ...ingest });
      inst.route({ method: methods, url: `/${prefix}/:names`, handler, ...ingest });
    }
    // `_refresh`: everything appended so far becomes searchable (the official clients' bulk
    // helper calls it with refreshOnCompletion).
    const refresh = async () => {
      const upTo = new Map(deps.indexerPositions().map((p) => [p.partition, p.end]));
      const ok = await waitIndexed(deps, upTo);
      return { _shards: { total: 1, successful: ok ? 1 : 0, failed: ok ? 0 : 1 } };
    };
    inst.route({ method: ['GET', 'POST'], url: '/_refresh', handler: refresh, ...ingest });
    inst.route({ method: ['GET', 'POST'], url: '/:index/_refresh', handler: refresh, ...ingest });
    // Creating an index (Logstash's ILM rollover set-up): acknowledged, nothing to do.
    inst.put('/:index', ingest, async (req, reply) => {
      (req.raw as Readable).resume();
      const index = (req.params as { index: string }).index;
      if (index.startsWith('_')) {
        return reply
          .code(400)
          .send(esError(400, 'invalid_index_name_exception', `invalid index name [${index}]`));
      }
      return { acknowledged: true, shards_acknowledged: true, index };
    });
    const opts = { bodyLimit: Number.MAX_SAFE_INTEGER, ...ingest };
    inst.post('/_bulk', opts, bulk);
    inst.put('/_bulk', opts, bulk);
    inst.post('/:index/_bulk', opts, bulk);
    inst.put('/:index/_bulk', opts, bulk);
  });
}
