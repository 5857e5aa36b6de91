/**
 * Plain line listeners, for anything that can write lines to a socket (`nc`, log4j's socket
 * appenders, custom daemons): TCP, one record per LF-terminated line (a CR before the LF is
 * dropped); UDP, one datagram holds one or more LF-separated lines. Each listener has its own
 * stream and parser (`format`: auto-detected per line, json, syslog or text), applied by the
 * processing workers like the HTTP ingest's `format=`.
 *
 * A line is rejected on its own, counted with its reason: `oversized` (over maxLineBytes),
 * `invalid_utf8`, and for format json `invalid_json` (not exactly one JSON object, checked
 * without building it). Blank lines are skipped. Delivery, backpressure and shutdown are those of
 * the generic listeners (src/sources/net/).
 */
import { isUtf8 } from 'node:buffer';
import type { EnvelopeFormat } from '../../core/envelope.ts';
import { isJsonObject } from '../http/json-validate.ts';
import { DelimitedDecoder } from '../net/delimited-decoder.ts';
import type { NetRecord, RecordResult } from '../net/net-record.ts';
import { type ListenAddress, type ListenerLogger, rateLimitedWarn } from '../net/remote.ts';
import { countRejected, newSourceStats, type SourceStats } from '../net/source-stats.ts';
import { startTcpListener } from '../net/tcp-listener.ts';
import { startUdpListener } from '../net/udp-listener.ts';

export interface LinesServerOptions {
  listen: ListenAddress;
  protocol: 'tcp' | 'udp';
  format: EnvelopeFormat;
  /** Name for logs (the metrics label is `lines_<name>`). */
  name: string;
  maxLineBytes: number;
  closeTimeoutMs?: number;
  onRecords(records: NetRecord[]): Promise<void> | void;
  logger: ListenerLogger;
  /** Counters to update (the caller's, so a sink can count into them too); default: new ones. */
  stats?: SourceStats;
}

export interface LinesServer {
  address: string;
  port: number;
  stats: SourceStats;
  close(): Promise<void>;
}

/** Checks one line for the listener's format (see the module header). */
export function checkLine(line: Buffer, format: EnvelopeFormat): RecordResult {
  if (!isUtf8(line)) return { ok: false, reason: 'invalid_utf8', message: 'line is not valid UTF-8' };
  if (format === 'json' && !isJsonObject(line)) {
    let why = 'not a JSON object';
    try {
      JSON.parse(line.toString('utf8'));
    } catch (err) {
      why = (err as Error).message;
    }
    return { ok: false, reason: 'invalid_json', message: `cannot parse JSON line: ${why}` };
  }
  return { ok: true, record: line.toString('utf8') };
}

export async function startLinesServer(opts: LinesServerOptions): Promise<LinesServer> {
  const { logger, format, maxLineBytes, name } = opts;
  const stats = opts.stats ?? newSourceStats();
  const check = (b: Buffer) => checkLine(b, format);
  if (opts.protocol === 'tcp') {
    const l = await startTcpListener({
      listen: opts.listen,
      name: `lines ${name}`,
      transport: 'tcp',
      stats,
      logger,
      closeTimeoutMs: opts.closeTimeoutMs,
      onRecords: opts.onRecords,
      newDecoder: (_remote, onError) => new DelimitedDecoder(maxLineBytes, 10, 'line', check, onError),
    });
    return { address: l.address, port: l.port, stats, close: l.close };
  }
  const warn = rateLimitedWarn(logger);
  const l = await startUdpListener({
    listen: opts.listen,
    name: `lines ${name}`,
    transport: 'udp',
    stats,
    logger,
    onRecords: opts.onRecords,
    decode(msg, remote) {
      const d = new DelimitedDecoder(maxLineBytes, 10, 'line', check, (e) => {
        stats.received++;
        countRejected(stats, e.kind);
        warn(e.kind, { source: `lines ${name}`, transport: 'udp', remote, size: e.size }, e.message);
      });
      const out = d.push(msg);
      const last = d.end();
      if (last.length > 0) out.push(...last);
      stats.received += out.length;
      return out;
    },
  });
  return { address: l.address, port: l.port, stats, close: l.close };
}
