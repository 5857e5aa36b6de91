/**
 * Syslog listeners: UDP (RFC 5426, one datagram = one message), TCP (RFC 6587, octet counting
 * and LF framing auto-detected per frame, see framing.ts) and TLS (RFC 5425: octet-counted
 * frames over TLS, on its own port, optionally requiring client certificates). They only frame;
 * parsing is the caller's job (parse-syslog.ts), so a line that is not syslog still reaches
 * onLines. Messages are decoded as UTF-8; invalid bytes become U+FFFD (RFC 5424 allows other
 * encodings in MSG, so such a message is kept, not rejected).
 *
 * Delivery, backpressure and shutdown are those of the generic listeners
 * (src/sources/net/udp-listener.ts, tcp-listener.ts): a TCP/TLS connection is paused while
 * onLines is pending, UDP batches and drops (counted) beyond maxPendingUdpLines. A message longer
 * than maxLineBytes is rejected and counted (`rejected.oversized`; TCP goes on with the next
 * frame). The TLS certificate files are re-read when they change.
 *
 * Stats: one SourceStats per transport (src/sources/net/source-stats.ts).
 */
import type { NetRecord } from '../net/net-record.ts';
import { type TcpListener, startTcpListener } from '../net/tcp-listener.ts';
import { loadTlsFiles, type TlsFiles, watchTlsFiles } from '../net/tls-files.ts';
import { startUdpListener, type UdpListener } from '../net/udp-listener.ts';
import type { ListenAddress, ListenerLogger } from '../net/remote.ts';
import { countRejected, newSourceStats, type SourceStats } from '../net/source-stats.ts';
import { DEFAULT_MAX_FRAME_BYTES, SyslogFrameDecoder } from './framing.ts';

export type { ListenAddress } from '../net/remote.ts';
export type SyslogServerLogger = ListenerLogger;

/** A message without frame trailer (LF, CRLF, NUL) or octet count, with its sender. */
export type SyslogLine = NetRecord<'udp' | 'tcp' | 'tls'>;

export interface SyslogTlsOptions extends TlsFiles {
  listen: ListenAddress;
  /** Refuse clients without a certificate signed by `ca` (mutual TLS). */
  requireClientCert?: boolean;
}

export interface SyslogServerOptions {
  udp?: ListenAddress;
  tcp?: ListenAddress;
  tls?: SyslogTlsOptions;
  /** Longest accepted message in bytes; longer ones are rejected and counted. Default 1 MiB. */
  maxLineBytes?: number;
  /** UDP lines that may wait while onLines is busy; more are dropped. Default 65,536. */
  maxPendingUdpLines?: number;
  /** How long close() lets a peer close its connection before destroying it. Default 5,000 ms. */
  closeTimeoutMs?: number;
  /**
   * Receives batches of lines. The listener does not keep the array after the call; the returned
   * promise (if any) is the backpressure signal. May throw or reject: the lines count as dropped.
   */
  onLines: (lines: SyslogLine[]) => Promise<void> | void;
  logger: SyslogServerLogger;
  /** Counters to update (the caller's, so a sink can count into them too); default: new ones. */
  stats?: SyslogStats;
}

export interface SyslogStats {
  udp: SourceStats;
  tcp: SourceStats;
  tls: SourceStats;
}

export interface SyslogServers {
  /** Bound UDP address `host:port` (`[host]:port` for IPv6), or null when UDP is not configured. */
  udpAddress: string | null;
  /** Bound UDP port (the chosen one when configured as 0), or null. */
  udpPort: number | null;
  /** Bound TCP address, or null when TCP is not configured. */
  tcpAddress: string | null;
  tcpPort: number | null;
  /** Bound TLS address, or null when TLS is not configured. */
  tlsAddress: string | null;
  tlsPort: number | null;
  /** Live counters (the same objects are updated in place). */
  stats: SyslogStats;
  /** Graceful shutdown (see the generic listeners). Idempotent. */
  close(): Promise<void>;
}

/** Starts the configured listeners; rejects (after closing what started) when one cannot bind. */
export async function startSyslogServers(opts: SyslogServerOptions): Promise<SyslogServers> {
  const maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const { logger } = opts;
  const onRecords = opts.onLines;
  const stats: SyslogStats = opts.stats ?? {
    udp: newSourceStats(),
    tcp: newSourceStats(),
    tls: newSourceStats(),
  };
  const newDecoder = (_remote: string, onError: (e: { kind: string; message: string }) => void) =>
    new SyslogFrameDecoder({ maxFrameBytes: maxLineBytes, onError });

  let udp: UdpListener | null = null;
  let tcp: TcpListener | null = null;
  let tlsListener: TcpListener | null = null;
  let unwatch: (() => void) | null = null;
  const close = async (): Promise<void> => {
    unwatch?.();
    await Promise.all([udp?.close(), tcp?.close(), tlsListener?.close()]);
  };
  try {
    if (opts.udp !== undefined) {
      const s = stats.udp;
      udp = await startUdpListener({
        listen: opts.udp,
        name: 'syslog',
        transport: 'udp',
        stats: s,
        logger,
        maxPending: opts.maxPendingUdpLines,
        onRecords,
        decode(msg) {
          let end = msg.length;
          while (end > 0) {
            const b = msg[end - 1];
            if (b !== 10 && b !== 13 && b !== 0) break;
            end--;
          }
          if (end === 0) return []; // an empty datagram carries no message
          s.received++;
          if (end > maxLineBytes) {
            countRejected(s, 'oversized');
            return [];
          }
          return [msg.toString('utf8', 0, end)];
        },
      });
    }
    if (opts.tcp !== undefined) {
      tcp = await startTcpListener({
        listen: opts.tcp,
        name: 'syslog',
        transport: 'tcp',
        stats: stats.tcp,
        logger,
        closeTimeoutMs: opts.closeTimeoutMs,
        newDecoder,
        onRecords,
      });
    }
    if (opts.tls !== undefined) {
      const t = opts.tls;
      const require = t.requireClientCert === true;
      tlsListener = await startTcpListener({
        listen: t.listen,
        name: 'syslog',
        transport: 'tls',
        stats: stats.tls,
        logger,
        closeTimeoutMs: opts.closeTimeoutMs,
        newDecoder,
        onRecords,
        tls: { ...loadTlsFiles(t, 'syslog.tls'), requestCert: require, rejectUnauthorized: require },
      });
      const l = tlsListener;
      unwatch = watchTlsFiles(t, 'syslog.tls', logger, (o) => l.setSecureContext(o));
    }
  } catch (err) {
    await close();
    throw err;
  }

  const port = (l: { port: number } | null) => (l === null ? null : l.port);
  let closePromise: Promise<void> | null = null;
  return {
    udpAddress: udp?.address ?? null,
    udpPort: port(udp),
    tcpAddress: tcp?.address ?? null,
    tcpPort: port(tcp),
    tlsAddress: tlsListener?.address ?? null,
    tlsPort: port(tlsListener),
    stats,
    close: () => {
      closePromise ??= close();
      return closePromise;
    },
  };
}
