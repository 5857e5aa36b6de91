/**
 * Starts the socket receivers configured in `syslog`, `gelf` and `lines` (everything that is not
 * HTTP), each writing into the ingest topic through a queue sink (TCP/TLS wait while the queue is
 * full, UDP drops and counts), and exposes their counters for /metrics under
 * `source=syslog_udp|syslog_tcp|syslog_tls|gelf_udp|gelf_tcp|lines_<name>`.
 * Rejects with LW_ERR_CONFIG (after closing what started) when a listener cannot start.
 */
import { type Config, splitHostPort } from '../core/config.ts';
import { type EnvelopeFormat, isValidStreamName } from '../core/envelope.ts';
import { LwError } from '../core/errors.ts';
import type { Queue } from '../queue/queue.ts';
import { startGelfServers } from '../sources/gelf/gelf-server.ts';
import { startLinesServer } from '../sources/lines/lines-server.ts';
import type { NetRecord } from '../sources/net/net-record.ts';
import { queueSink } from '../sources/net/queue-sink.ts';
import type { ListenerLogger } from '../sources/net/remote.ts';
import { newSourceStats, type SourceStats } from '../sources/net/source-stats.ts';
import { startSyslogServers } from '../sources/syslog/syslog-server.ts';
import type { MetricSample } from './metrics.ts';

export interface NetworkSources {
  /** Bound addresses by source label (`off` when not configured), for the start-up log. */
  addresses: Record<string, string>;
  /** Counters by source label. */
  stats: Record<string, SourceStats>;
  close(): Promise<void>;
}

export interface NetworkSourcesOptions {
  config: Config;
  queue: Queue;
  topic: string;
  logger: ListenerLogger;
  isShuttingDown(): boolean;
}

/** The `lines` listeners' names; checks what the schema cannot (unique names, stream names). */
function linesNames(config: Config): string[] {
  const names: string[] = [];
  const streams: Array<[string, string]> = [
    ['syslog.stream', config.syslog.stream],
    ['gelf.stream', config.gelf.stream],
  ];
  for (const [i, l] of config.lines.entries()) {
    streams.push([`lines[${i}].stream`, l.stream]);
    const name = l.name ?? `${l.stream.toLowerCase().replace(/[^a-z0-9_]/g, '_')}_${l.protocol}`;
    if (names.includes(name)) {
      throw new LwError('LW_ERR_CONFIG', [
        `lines[${i}]: the name "${name}" is taken; give each listener a name`,
      ]);
    }
    names.push(name);
  }
  for (const [key, s] of streams) {
    if (!isValidStreamName(s)) {
      throw new LwError('LW_ERR_CONFIG', [
        `${key} is "${s}"; a stream name is 1 to 128 letters, digits, _ - . not starting with _`,
      ]);
    }
  }
  return names;
}

export async function startNetworkSources(opts: NetworkSourcesOptions): Promise<NetworkSources> {
  const { config, queue, topic, logger, isShuttingDown } = opts;
  const names = linesNames(config);
  const addr = (a: string | null) => (a ? splitHostPort(a) : undefined);
  const stats: Record<string, SourceStats> = {};
  /** A queue sink counting into stats[source]. */
  const sink = (source: string, stream: string, format: EnvelopeFormat, udp: boolean) => {
    stats[source] = newSourceStats();
    return queueSink({
      queue,
      topic,
      stream,
      format,
      stats: stats[source],
      logger,
      source,
      isShuttingDown,
      retryWhenFull: !udp,
    });
  };
  /** Routes a batch (always from one listener) by its transport. */
  const byTransport =
    <T extends string>(sinks: Record<T, (r: NetRecord[]) => Promise<void>>) =>
    (records: NetRecord<T>[]) =>
      sinks[records[0]!.transport](records);

  const addresses: Record<string, string> = {};
  const started: Array<{ close(): Promise<void> }> = [];
  const close = async () => {
    await Promise.all(started.map((s) => s.close()));
  };
  try {
    const { syslog: sc, gelf: gc } = config;
    const syslogSinks = {
      udp: sink('syslog_udp', sc.stream, 'syslog', true),
      tcp: sink('syslog_tcp', sc.stream, 'syslog', false),
      tls: sink('syslog_tls', sc.stream, 'syslog', false),
    };
    const syslog = await startSyslogServers({
      udp: addr(sc.udp),
      tcp: addr(sc.tcp),
      tls:
        sc.tls.listen !== null && sc.tls.cert !== null && sc.tls.key !== null
          ? { ...sc.tls, cert: sc.tls.cert, key: sc.tls.key, listen: splitHostPort(sc.tls.listen) }
          : undefined,
      maxLineBytes: config.http.maxLineBytes,
      logger,
      stats: { udp: stats.syslog_udp!, tcp: stats.syslog_tcp!, tls: stats.syslog_tls! },
      onLines: byTransport(syslogSinks),
    });
    started.push(syslog);
    addresses.syslog_udp = syslog.udpAddress ?? 'off';
    addresses.syslog_tcp = syslog.tcpAddress ?? 'off';
    addresses.syslog_tls = syslog.tlsAddress ?? 'off';

    const gelfSinks = {
      udp: sink('gelf_udp', gc.stream, 'json', true),
      tcp: sink('gelf_tcp', gc.stream, 'json', false),
    };
    const gelf = await startGelfServers({
      udp: addr(gc.udp),
      tcp: addr(gc.tcp),
      maxMessageBytes: gc.maxMessageBytes,
      chunkTimeoutMs: gc.chunkTimeoutMs,
      maxPendingChunked: gc.maxPendingChunked,
      logger,
      stats: { udp: stats.gelf_udp!, tcp: stats.gelf_tcp! },
      onRecords: byTransport(gelfSinks),
    });
    started.push(gelf);
    addresses.gelf_udp = gelf.udpAddress ?? 'off';
    addresses.gelf_tcp = gelf.tcpAddress ?? 'off';

    for (const [i, l] of config.lines.entries()) {
      const source = `lines_${names[i]}`;
      const onRecords = sink(source, l.stream, l.format, l.protocol === 'udp');
      const server = await startLinesServer({
        listen: splitHostPort(l.listen),
        protocol: l.protocol,
        format: l.format,
        name: names[i]!,
        maxLineBytes: l.maxLineBytes,
        logger,
        stats: stats[source],
        onRecords,
      });
      started.push(server);
      addresses[source] = server.address;
    }
  } catch (err) {
    await close();
    if (err instanceof LwError) throw err;
    throw new LwError('LW_ERR_CONFIG', [`cannot start a receiver: ${(err as Error).message}`]);
  }
  // Only the configured receivers are reported.
  const configured = Object.fromEntries(
    Object.entries(stats).filter(([source]) => addresses[source] !== 'off'),
  );
  return { addresses, stats: configured, close };
}

/** The sources' counters as /metrics samples (configured sources only). */
export function networkSourceMetrics(
  sources: Record<string, SourceStats>,
): Record<'received' | 'accepted' | 'rejected' | 'dropped' | 'errors', MetricSample['values']> {
  const out = {
    received: [] as MetricSample['values'],
    accepted: [] as MetricSample['values'],
    rejected: [] as MetricSample['values'],
    dropped: [] as MetricSample['values'],
    errors: [] as MetricSample['values'],
  };
  for (const [source, s] of Object.entries(sources)) {
    out.received.push({ labels: { source }, value: s.received });
    out.accepted.push({ labels: { source }, value: s.accepted });
    for (const [reason, value] of Object.entries(s.rejected))
      out.rejected.push({ labels: { source, reason }, value });
    for (const [reason, value] of Object.entries(s.dropped))
      out.dropped.push({ labels: { source, reason }, value });
    out.errors.push({ labels: { source }, value: s.errors });
  }
  return out;
}
