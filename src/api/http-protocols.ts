/**
 * Registers the HTTP ingest protocols other tools speak (Elasticsearch `_bulk` and probes, Loki
 * push, OTLP/HTTP logs) on the app's Fastify instance, with one SourceStats per protocol
 * (`source=elasticsearch|loki|otlp` at /metrics). Opening loads the Elasticsearch `_id` journal
 * (src/sources/elasticsearch/doc-ids.ts), so it must run after the queue is open and before the
 * server listens; `close` flushes that journal.
 */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../core/config.ts';
import type { Queue } from '../queue/queue.ts';
import { DocIds } from '../sources/elasticsearch/doc-ids.ts';
import { registerElasticsearch } from '../sources/elasticsearch/routes.ts';
import { registerLoki } from '../sources/loki/routes.ts';
import { newSourceStats, type SourceStats } from '../sources/net/source-stats.ts';
import { registerOtlp } from '../sources/otlp/routes.ts';

export interface HttpProtocols {
  stats: Record<'elasticsearch' | 'loki' | 'otlp', SourceStats>;
  close(): Promise<void>;
}

export async function registerHttpProtocols(opts: {
  app: FastifyInstance;
  config: Config;
  queue: Queue;
  topic: string;
  dataDir: string;
  logger: Logger;
  isShuttingDown: () => boolean;
  /** The indexer's position per partition, for Elasticsearch's `refresh`. */
  indexerPositions: () => Array<{ partition: number; position: number; end: number }>;
}): Promise<HttpProtocols> {
  const { app, config, queue, topic, isShuttingDown } = opts;
  const stats = { elasticsearch: newSourceStats(), loki: newSourceStats(), otlp: newSourceStats() };
  const docIds = new DocIds(path.join(opts.dataDir, 'elasticsearch'), opts.logger);
  await docIds.open(queue, topic);
  const limits = { maxBodyBytes: config.http.maxBodyBytes, maxLineBytes: config.http.maxLineBytes };
  registerElasticsearch(app, {
    queue,
    topic,
    ...limits,
    counters: stats.elasticsearch,
    docIds,
    version: config.elasticsearch.version,
    isShuttingDown,
    indexerPositions: opts.indexerPositions,
  });
  registerLoki(app, {
    queue,
    topic,
    ...limits,
    counters: stats.loki,
    stream: config.loki.stream,
    isShuttingDown,
  });
  registerOtlp(app, {
    queue,
    topic,
    ...limits,
    counters: stats.otlp,
    stream: config.otlp.stream,
    isShuttingDown,
  });
  return { stats, close: () => docIds.close() };
}
