/**
 * The composition root of a single-node logwarden: disk queue -> worker pool -> DuckDB store,
 * with the HTTP API (ingest, search, health, metrics) and the syslog receivers in front.
 * `startApp` returns once everything listens; `stop` shuts down gracefully: stop accepting,
 * drain the queue into the store, flush, close.
 */
import fs from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type Config, isLoopback, splitHostPort } from '../core/config.ts';
import { LwError } from '../core/errors.ts';
import { TailHub } from '../processors/tail-hub.ts';
import { WorkerPool } from '../processors/pool.ts';
import { StreamRegistry } from '../processors/streams/registry.ts';
import { registerIngest } from '../sources/http/ingest.ts';
import { DuckDBStore } from '../store/duckdb/duckdb-store.ts';
import { SqliteMetaStore } from '../store/meta/sqlite-meta-store.ts';
import { retentionPolicy } from '../store/retention-policy.ts';
import { renderMetrics } from './metrics.ts';
import { checkRole, openQueue, startIndexing } from './roles.ts';
import { startKafkaAudit } from '../sources/kafka-audit/kafka-audit.ts';
import { registerKafkaTrace } from '../sources/kafka-audit/trace-route.ts';
import { registerHttpProtocols } from './http-protocols.ts';
import { networkSourceMetrics, startNetworkSources } from './network-sources.ts';
import type { SourceStats } from '../sources/net/source-stats.ts';
import { registerSavedSearches } from './saved-searches-route.ts';
import { registerSearch } from './search-route.ts';
import { registerTail } from './tail-route.ts';
import { registerStreams } from './streams-route.ts';
import { registerPipelines } from './pipelines-route.ts';
import { openAuditLog, recordAccess, registerAudit } from './audit/audit-routes.ts';
import { requestActor } from './auth/route-guard.ts';
import { setupAuth } from './auth/setup-auth.ts';
import { registerCsrf } from './csrf.ts';
import { registerRateLimit } from './rate-limit.ts';
import { clientErrorOf, registerJsonBodyParser } from './request-errors.ts';
import { registerSecurityHeaders } from './security-headers.ts';
import { httpsOptions, reloadCertificateOnChange, warnIfPlainHttpExposed } from './tls.ts';

export const INGEST_TOPIC = 'ingest';

export interface RunningApp {
  httpUrl: string;
  syslogUdp: string | null;
  syslogTcp: string | null;
  stop(): Promise<void>;
}

/** Refuses non-loopback binds while no authentication is configured. */
export function checkBindSafety(config: Config): void {
  if (config.auth.enabled) return;
  const binds: Array<[string, string | null]> = [
    ['http.listen', config.http.listen],
    ['syslog.udp', config.syslog.udp],
    ['syslog.tcp', config.syslog.tcp],
    ['syslog.tls.listen', config.syslog.tls.listen],
    ['gelf.udp', config.gelf.udp],
    ['gelf.tcp', config.gelf.tcp],
    ...config.lines.map((l, i): [string, string] => [`lines[${i}].listen`, l.listen]),
  ];
  for (const [key, addr] of binds) {
    if (addr === null) continue;
    const { host } = splitHostPort(addr);
    if (!isLoopback(host)) {
      throw new LwError('LW_ERR_CONFIG', [
        `${key} is ${addr}, which is reachable from other machines, but no authentication is configured; ` +
          'bind to 127.0.0.1 (the default) until authentication is set up',
      ]);
    }
  }
}

export async function startApp(config: Config, logger: Logger): Promise<RunningApp> {
  checkBindSafety(config);
  warnIfPlainHttpExposed(config.http, logger);
  checkRole(config);
  const https = httpsOptions(config.http.tls);
  const dataDir = path.resolve(config.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const cores = availableParallelism();
  // Metadata (saved searches, streams, pipelines, users): <dataDir>/meta.sqlite.
  const meta = new SqliteMetaStore(dataDir);
  // The audit trail: <dataDir>/audit/, hash-chained, its own retention (audit/audit-routes.ts).
  const audit = await openAuditLog(config.audit, dataDir, logger);
  const actorOf = requestActor;
  // Streams and pipelines (config file + API), validated before anything else starts.
  const streams = new StreamRegistry({
    meta,
    streams: config.streams,
    pipelines: config.pipelines,
    baseDir: process.cwd(),
    logger,
  });
  try {
    await streams.load();
  } catch (err) {
    await meta.close();
    throw err;
  }

  const queue = await openQueue(config, dataDir, INGEST_TOPIC, logger);

  const store = new DuckDBStore({
    dir: path.join(dataDir, 'store'),
    blockRows: config.store.blockRows,
    maxDynamicColumns: config.store.maxDynamicColumns,
    memoryLimit: config.store.memoryLimit,
    logger,
  });
  try {
    await store.open();
  } catch (err) {
    await queue.close();
    throw err;
  }
  // The main thread (HTTP, queue, store writer) is the busiest: leave it a core.
  const pool = new WorkerPool(config.processing.workers ?? Math.max(1, cores - 1), streams.pipelineSet());
  streams.subscribe((set) => pool.setPipelines(set));
  const tails = new TailHub();
  const indexer = await startIndexing(config, {
    queue,
    store,
    pool,
    topic: INGEST_TOPIC,
    logger,
    onStored: (batch) => tails.publish(batch),
    pipelines: { current: () => streams.pipelineSet(), subscribe: (fn) => streams.subscribe(fn) },
  });

  // Retention, hourly: each stream's own retentionDays, store.retentionDays for the others.
  const retention = async () => {
    const policy = retentionPolicy(Date.now(), config.store.retentionDays, streams.retention());
    if (!policy) return;
    try {
      await store.applyRetention(policy);
    } catch (err) {
      logger.error({ err: String(err) }, 'retention failed');
    }
  };
  await retention();
  const retentionTimer = setInterval(retention, 3_600_000);
  retentionTimer.unref();

  let shuttingDown = false;
  const counters = {
    http: { received: 0, accepted: 0, rejected: 0, requests: 0 },
    api: { searches: 0 },
    rateLimited: { client: 0, token: 0 },
  };

  const app: FastifyInstance = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    https,
  });
  // First, so that every answer has them; then limits, before authentication costs anything.
  registerSecurityHeaders(app, { tls: config.http.tls !== null });
  registerRateLimit(app, { ...config.http.rateLimit, onLimited: (by) => counters.rateLimited[by]++ });
  registerCsrf(app, { loopbackHostOnly: !config.auth.enabled });
  registerJsonBodyParser(app);
  // Before any route: every route must declare its permission (src/api/auth/route-guard.ts).
  const auth = await setupAuth(app, config, meta, audit.log, logger);
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    if (!(err instanceof LwError)) err = clientErrorOf(err, req) ?? err;
    if (err instanceof LwError) {
      if (err.code === 'LW_ERR_QUEUE_FULL' || err.code === 'LW_ERR_QUEUE_UNAVAILABLE')
        reply.header('Retry-After', '1');
      reply.code(err.status).send(err.toJSON());
      return;
    }
    const status = err.statusCode;
    if (status && status >= 400 && status < 500) {
      reply.code(status).send({ error: err.message, code: 'LW_ERR_BAD_REQUEST' });
      return;
    }
    logger.error({ err: err.stack ?? String(err), url: req.url }, 'request failed');
    reply.code(500).send({ error: 'internal error; see the server log', code: 'LW_ERR_INTERNAL' });
  });
  app.addHook('onSend', async (_req, reply) => {
    if (shuttingDown) reply.header('connection', 'close');
  });
  registerAudit(app, { log: audit.log, actorOf });
  app.setNotFoundHandler((req, reply) => {
    reply
      .code(404)
      .send(new LwError('LW_ERR_NOT_FOUND', [`${req.method} ${req.url.split('?')[0]}`]).toJSON());
  });

  registerIngest(app, {
    queue,
    topic: INGEST_TOPIC,
    maxBodyBytes: config.http.maxBodyBytes,
    maxLineBytes: config.http.maxLineBytes,
    counters: counters.http,
    isShuttingDown: () => shuttingDown,
  });
  const protocols = await registerHttpProtocols({
    app,
    config,
    queue,
    topic: INGEST_TOPIC,
    dataDir,
    logger,
    isShuttingDown: () => shuttingDown,
    indexerPositions: () => indexer.lag().partitions,
  });
  registerSearch(app, { store, counters: counters.api });
  const kafkaAudit = await startKafkaAudit(config.sources.kafkaAudit, {
    queue,
    ingestTopic: INGEST_TOPIC,
    meta,
    logger,
  });
  registerKafkaTrace(app, kafkaAudit);
  registerStreams(app, streams);
  registerPipelines(app, streams);
  registerSavedSearches(app, { meta });
  registerTail(app, {
    hub: tails,
    store,
    ...config.tail,
    isShuttingDown: () => shuttingDown,
    auth: auth.auth,
    onOpen: (req, access) => recordAccess(audit.log, actorOf, req, access),
  });
  const monitor = { config: { permission: 'monitor' as const } };
  app.get('/healthz', { config: { public: true } }, async () => ({
    status: shuttingDown ? 'stopping' : 'ok',
  }));
  app.get('/api/v1/queue', monitor, async () => ({
    partitions: queue.state(),
    lag: indexer.lag(),
    indexer: indexer.stats,
    ...indexer.describe(),
  }));
  app.get('/api/v1/stats', monitor, async () => ({
    store: await store.stats(),
    memory: { process: process.memoryUsage(), duckdb: await store.memory() },
    lag: indexer.lag().total,
    indexer: indexer.stats,
    ingest: counters,
    receivers: { ...netStats(), ...protocols.stats },
  }));
  app.get('/metrics', monitor, async (_req, reply) => {
    const st = await store.stats();
    const lag = indexer.lag();
    reply.type('text/plain; version=0.0.4');
    return renderMetrics([
      {
        name: 'logwarden_events_received_total',
        help: 'Events received by a source.',
        type: 'counter',
        values: [{ labels: { source: 'http' }, value: counters.http.received }, ...netMetrics().received],
      },
      {
        name: 'logwarden_events_accepted_total',
        help: 'Events a socket receiver made durable in the queue.',
        type: 'counter',
        values: netMetrics().accepted,
      },
      {
        name: 'logwarden_events_rejected_total',
        help: 'Events rejected by a source (malformed, too long).',
        type: 'counter',
        values: [{ labels: { source: 'http' }, value: counters.http.rejected }, ...netMetrics().rejected],
      },
      {
        name: 'logwarden_events_dropped_total',
        help: 'Events dropped, by reason.',
        type: 'counter',
        values: [
          ...netMetrics().dropped,
          ...Object.entries(indexer.stats.dropped).map(([k, v]) => ({
            labels: { source: 'pipeline', reason: k },
            value: v,
          })),
        ],
      },
      {
        name: 'logwarden_source_errors_total',
        help: 'Socket, TLS handshake and framing errors of a socket receiver.',
        type: 'counter',
        values: netMetrics().errors,
      },
      {
        name: 'logwarden_events_indexed_total',
        help: 'Events written to the store.',
        type: 'counter',
        values: [{ value: indexer.stats.indexed }],
      },
      {
        name: 'logwarden_indexer_errors_total',
        help: 'Failed indexing attempts (retried).',
        type: 'counter',
        values: [{ value: indexer.stats.errors }],
      },
      {
        name: 'logwarden_queue_lag_records',
        help: 'Records in the queue not yet stored, per partition.',
        type: 'gauge',
        values: lag.partitions.map((p) => ({
          labels: { partition: p.partition },
          value: p.end - p.position,
        })),
      },
      {
        name: 'logwarden_kafka_consumer_group_lag_records',
        help: 'Records of the ingest topic past the committed offset of the indexer consumer group, per partition.',
        type: 'gauge',
        values: (indexer.groupLag()?.partitions ?? []).map((p) => ({
          labels: { group: indexer.groupLag()!.group, partition: p.partition },
          value: p.lag,
        })),
      },
      {
        name: 'logwarden_store_rows',
        help: 'Rows in the store.',
        type: 'gauge',
        values: [{ value: st.rows }],
      },
      {
        name: 'logwarden_store_bytes',
        help: 'Bytes of the store on disk.',
        type: 'gauge',
        values: [{ value: st.bytesOnDisk }],
      },
      {
        name: 'logwarden_searches_total',
        help: 'Searches run.',
        type: 'counter',
        values: [{ value: counters.api.searches }],
      },
      {
        name: 'logwarden_http_rate_limited_total',
        help: 'HTTP requests refused by a rate limit (429), by bucket: client address or API token.',
        type: 'counter',
        values: Object.entries(counters.rateLimited).map(([by, value]) => ({ labels: { by }, value })),
      },
    ]);
  });

  // Filled in once the socket receivers run (they start after the HTTP server).
  let netStats = (): Record<string, SourceStats> => ({});
  const netMetrics = () => networkSourceMetrics({ ...netStats(), ...protocols.stats });

  const { host, port } = splitHostPort(config.http.listen);
  try {
    await app.listen({ host, port });
  } catch (err) {
    await indexer.stop();
    await pool.close();
    await store.close();
    await queue.close();
    await meta.close();
    await audit.close();
    throw new LwError('LW_ERR_CONFIG', [`cannot listen on ${config.http.listen}: ${(err as Error).message}`]);
  }
  const addr = app.server.address();
  const scheme = config.http.tls === null ? 'http' : 'https';
  const httpUrl =
    typeof addr === 'object' && addr
      ? `${scheme}://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`
      : `${scheme}://${config.http.listen}`;
  reloadCertificateOnChange(app.server, config.http.tls, logger);
  auth.afterListen(httpUrl);

  // Syslog, GELF and line receivers: TCP/TLS wait (backpressure) while the queue is full, UDP
  // drops and counts (UDP has no way to push back).
  const net = await startNetworkSources({
    config,
    queue,
    topic: INGEST_TOPIC,
    logger,
    isShuttingDown: () => shuttingDown,
  });
  netStats = () => net.stats;
  logger.info(
    {
      http: httpUrl,
      syslogUdp: net.addresses.syslog_udp,
      syslogTcp: net.addresses.syslog_tcp,
      receivers: net.addresses,
      dataDir,
      partitions: queue.partitionCount(INGEST_TOPIC),
      workers: pool.size,
    },
    'logwarden started',
  );

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      shuttingDown = true;
      clearInterval(retentionTimer);
      logger.info({}, 'shutting down: no longer accepting');
      await net.close();
      // Keep-alive connections answered while closing would hold close() until their timeout:
      // close them as soon as they are idle, and tell clients not to reuse them.
      const closing = app.close();
      const idle = setInterval(() => app.server.closeIdleConnections(), 50);
      await closing;
      clearInterval(idle);
      const drained = await indexer.drain(30_000);
      if (!drained)
        logger.warn(
          { lag: indexer.lag().total },
          'queue not fully drained; the rest is indexed at next start',
        );
      await protocols.close();
      await kafkaAudit?.close();
      await indexer.stop();
      await pool.close();
      await store.close();
      await queue.close();
      auth.close();
      await meta.close();
      await audit.close();
      logger.info({ indexed: indexer.stats.indexed }, 'stopped');
    })();
    return stopping;
  };

  const bound = (a: string | undefined) => (a === undefined || a === 'off' ? null : a);
  return {
    httpUrl,
    syslogUdp: bound(net.addresses.syslog_udp),
    syslogTcp: bound(net.addresses.syslog_tcp),
    stop,
  };
}
