/**
 * Syslog listeners: UDP (RFC 5426, one datagram = one message) and TCP (RFC 6587, octet counting
 * and LF framing auto-detected per frame, see framing.ts). They only frame; parsing is the
 * caller's job (parse-syslog.ts), so a line that is not syslog still reaches onLines.
 *
 * Delivery and backpressure:
 * - TCP: the frames completed by one read chunk go to onLines in one call. While the promise it
 *   returns is pending the socket is paused, so a slow consumer slows the sender down (TCP flow
 *   control) instead of buffering without bound. A connection's lines are delivered in order.
 * - UDP cannot be slowed down: datagrams arriving in the same event-loop turn are batched into one
 *   onLines call; while a call is pending up to maxPendingUdpLines wait, and any more are dropped
 *   and counted.
 * - A line longer than maxLineBytes is dropped and counted (TCP: the connection goes on with the
 *   next frame).
 * - When onLines throws or rejects, its lines are counted as dropped and the error is logged; the
 *   listener keeps running.
 *
 * Stats, per transport: `received` messages read from the network (including those later
 * dropped), `dropped` messages that did not reach onLines or that onLines rejected, `errors`
 * framing errors, socket errors and onLines failures.
 *
 * close(): stops accepting, stops reading, waits for pending onLines calls, hands over the last
 * unterminated line of each connection, ends the connections (FIN) and destroys those the peer has
 * not closed after closeTimeoutMs. Lines read after close() began are counted as dropped.
 */

import dgram from 'node:dgram';
import net, { type AddressInfo } from 'node:net';
import { DEFAULT_MAX_FRAME_BYTES, SyslogFrameDecoder } from './framing.ts';

export interface SyslogLine {
  /** The message, without frame trailer (LF, CRLF, NUL) or octet count. */
  text: string;
  /** Sender address `ip:port` (`[ip]:port` for IPv6). */
  remote: string;
  transport: 'udp' | 'tcp';
}

/** The logging the listeners need; a pino logger fits. */
export interface SyslogServerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ListenAddress {
  host: string;
  /** 0 picks a free port (see udpAddress / tcpAddress). */
  port: number;
}

export interface SyslogServerOptions {
  udp?: ListenAddress;
  tcp?: ListenAddress;
  /** Longest accepted message in bytes; longer ones are dropped and counted. Default 1 MiB. */
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
}

export interface TransportStats {
  received: number;
  dropped: number;
  errors: number;
}

export interface SyslogStats {
  udp: TransportStats;
  tcp: TransportStats;
}

export interface SyslogServers {
  /** Bound UDP address `host:port` (`[host]:port` for IPv6), or null when UDP is not configured. */
  udpAddress: string | null;
  /** Bound UDP port (the chosen one when configured as 0), or null. */
  udpPort: number | null;
  /** Bound TCP address `host:port` (`[host]:port` for IPv6), or null when TCP is not configured. */
  tcpAddress: string | null;
  /** Bound TCP port, or null. */
  tcpPort: number | null;
  /** Live counters (the same object is updated in place). */
  stats: SyslogStats;
  /** Graceful shutdown, see the module header. Idempotent. */
  close(): Promise<void>;
}

interface Connection {
  socket: net.Socket;
  remote: string;
  decoder: SyslogFrameDecoder;
  /** The pending onLines call of this connection (the socket is paused meanwhile). */
  inflight: Promise<void> | null;
  /** Delivery of the last unterminated line after the peer ended the stream. */
  finishing: Promise<void> | null;
  closing: boolean;
}

function formatRemote(address: string | undefined, port: number | undefined): string {
  if (address === undefined) return 'unknown';
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function isPromise(v: unknown): v is Promise<void> {
  return typeof v === 'object' && v !== null && typeof (v as Promise<void>).then === 'function';
}

/** Logs at most once per interval per key, with the number of occurrences since the last log. */
function rateLimitedWarn(logger: SyslogServerLogger, intervalMs = 10_000) {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (key: string, obj: Record<string, unknown>, msg: string): void => {
    const now = Date.now();
    const e = last.get(key);
    if (e !== undefined && now - e.at < intervalMs) {
      e.suppressed++;
      return;
    }
    logger.warn({ ...obj, suppressed: e?.suppressed ?? 0 }, msg);
    last.set(key, { at: now, suppressed: 0 });
  };
}

/** Starts the configured listeners; rejects (after closing what started) when one cannot bind. */
export async function startSyslogServers(opts: SyslogServerOptions): Promise<SyslogServers> {
  const maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const maxPendingUdp = opts.maxPendingUdpLines ?? 65_536;
  const closeTimeoutMs = opts.closeTimeoutMs ?? 5_000;
  const { logger, onLines } = opts;
  const stats: SyslogStats = {
    udp: { received: 0, dropped: 0, errors: 0 },
    tcp: { received: 0, dropped: 0, errors: 0 },
  };
  const warn = rateLimitedWarn(logger);
  let closing = false;

  // ---- UDP ----
  let udpSocket: dgram.Socket | null = null;
  let udpQueue: SyslogLine[] = [];
  let udpBusy = false;
  let udpScheduled = false;
  let udpIdle: (() => void) | null = null;

  const scheduleUdpFlush = (): void => {
    if (udpBusy || udpScheduled || udpQueue.length === 0) return;
    udpScheduled = true;
    setImmediate(flushUdp);
  };
  const flushUdp = async (): Promise<void> => {
    udpScheduled = false;
    if (udpBusy || udpQueue.length === 0) return;
    const batch = udpQueue;
    udpQueue = [];
    udpBusy = true;
    try {
      await onLines(batch);
    } catch (err) {
      stats.udp.errors++;
      stats.udp.dropped += batch.length;
      logger.error({ err, lines: batch.length, transport: 'udp' }, 'syslog onLines failed; lines dropped');
    } finally {
      udpBusy = false;
    }
    if (udpQueue.length > 0) scheduleUdpFlush();
    else udpIdle?.();
  };

  if (opts.udp !== undefined) {
    const socket = dgram.createSocket(net.isIPv6(opts.udp.host) ? 'udp6' : 'udp4');
    udpSocket = socket;
    socket.on('message', (msg, rinfo) => {
      let end = msg.length;
      while (end > 0) {
        const b = msg[end - 1];
        if (b !== 10 && b !== 13 && b !== 0) break;
        end--;
      }
      if (end === 0) return; // an empty datagram carries no message
      stats.udp.received++;
      const remote = formatRemote(rinfo.address, rinfo.port);
      if (closing) {
        stats.udp.dropped++;
        return;
      }
      if (end > maxLineBytes) {
        stats.udp.dropped++;
        warn(
          'udp-size',
          { remote, size: end, limit: maxLineBytes },
          'syslog datagram exceeds the line limit; dropped',
        );
        return;
      }
      if (udpQueue.length >= maxPendingUdp) {
        stats.udp.dropped++;
        warn(
          'udp-full',
          { remote, pending: udpQueue.length },
          'syslog UDP backlog is full; datagram dropped',
        );
        return;
      }
      udpQueue.push({ text: msg.toString('utf8', 0, end), remote, transport: 'udp' });
      scheduleUdpFlush();
    });
    socket.on('error', (err) => {
      stats.udp.errors++;
      logger.error({ err, transport: 'udp' }, 'syslog UDP socket error');
    });
  }

  // ---- TCP ----
  let tcpServer: net.Server | null = null;
  const connections = new Set<Connection>();

  const tcpFailed = (err: unknown, n: number): void => {
    stats.tcp.errors++;
    stats.tcp.dropped += n;
    logger.error({ err, lines: n, transport: 'tcp' }, 'syslog onLines failed; lines dropped');
  };

  /** Hands frames to onLines; pauses the socket while the returned promise is pending. */
  const deliver = (conn: Connection, texts: string[]): void => {
    stats.tcp.received += texts.length;
    const lines: SyslogLine[] = new Array(texts.length);
    for (let k = 0; k < texts.length; k++)
      lines[k] = { text: texts[k]!, remote: conn.remote, transport: 'tcp' };
    let r: Promise<void> | void;
    try {
      r = onLines(lines);
    } catch (err) {
      tcpFailed(err, lines.length);
      return;
    }
    if (!isPromise(r)) return;
    conn.socket.pause();
    const p: Promise<void> = r
      .then(
        () => {},
        (err: unknown) => tcpFailed(err, lines.length),
      )
      .finally(() => {
        if (conn.inflight === p) conn.inflight = null;
        if (!conn.closing && !conn.socket.destroyed) conn.socket.resume();
      });
    conn.inflight = p;
  };

  /** Delivers the decoder's last unterminated frame after the pending call, if any. */
  const finish = async (conn: Connection): Promise<void> => {
    if (conn.inflight !== null) await conn.inflight;
    const frames = conn.decoder.end();
    if (frames.length > 0) {
      deliver(conn, frames);
      if (conn.inflight !== null) await conn.inflight;
    }
  };

  if (opts.tcp !== undefined) {
    tcpServer = net.createServer({ keepAlive: true }, (socket) => {
      const remote = formatRemote(socket.remoteAddress, socket.remotePort);
      const conn: Connection = {
        socket,
        remote,
        decoder: new SyslogFrameDecoder({
          maxFrameBytes: maxLineBytes,
          onError: (e) => {
            stats.tcp.errors++;
            if (e.kind === 'oversized') {
              stats.tcp.received++;
              stats.tcp.dropped++;
            } // a truncated frame's part is still delivered (and counted) by finish()
            warn(`tcp-${e.kind}`, { remote, offset: e.offset, size: e.size }, e.message);
          },
        }),
        inflight: null,
        finishing: null,
        closing: false,
      };
      if (closing) {
        socket.destroy();
        return;
      }
      connections.add(conn);
      socket.on('data', (chunk: Buffer) => {
        const frames = conn.decoder.push(chunk);
        if (frames.length === 0) return;
        if (conn.closing) {
          stats.tcp.received += frames.length;
          stats.tcp.dropped += frames.length;
          return;
        }
        deliver(conn, frames);
      });
      socket.on('end', () => {
        if (!conn.closing && conn.finishing === null) conn.finishing = finish(conn);
      });
      socket.on('error', (err) => {
        stats.tcp.errors++;
        warn('tcp-socket', { remote, err: err.message }, 'syslog TCP connection error');
      });
      socket.on('close', () => connections.delete(conn));
    });
    tcpServer.on('error', (err) => {
      stats.tcp.errors++;
      logger.error({ err, transport: 'tcp' }, 'syslog TCP server error');
    });
  }

  const closeConnection = async (conn: Connection): Promise<void> => {
    const { socket } = conn;
    conn.closing = true;
    socket.pause();
    if (conn.finishing !== null) await conn.finishing;
    else await finish(conn);
    if (socket.destroyed) return;
    const closed = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, closeTimeoutMs);
      timer.unref();
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    socket.end();
    socket.resume(); // read (and count as dropped) until the peer closes
    await closed;
  };

  let closePromise: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closePromise ??= (async () => {
      closing = true;
      const tasks: Promise<void>[] = [];
      if (tcpServer !== null) {
        const server = tcpServer;
        tasks.push(new Promise<void>((resolve) => server.close(() => resolve())));
        for (const conn of connections) tasks.push(closeConnection(conn));
      }
      if (udpSocket !== null) {
        const socket = udpSocket;
        tasks.push(
          (async () => {
            await new Promise<void>((resolve) => socket.close(() => resolve()));
            if (udpBusy || udpScheduled || udpQueue.length > 0) {
              await new Promise<void>((resolve) => {
                udpIdle = resolve;
                scheduleUdpFlush();
              });
            }
          })(),
        );
      }
      await Promise.all(tasks);
    })();
    return closePromise;
  };

  // Bind; on failure close whatever did bind.
  try {
    if (udpSocket !== null && opts.udp !== undefined) {
      const socket = udpSocket;
      const { host, port } = opts.udp;
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(port, host, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    }
    if (tcpServer !== null && opts.tcp !== undefined) {
      const server = tcpServer;
      const { host, port } = opts.tcp;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    }
  } catch (err) {
    if (udpSocket !== null) {
      try {
        udpSocket.close();
      } catch {
        // not bound: nothing to close
      }
    }
    if (tcpServer?.listening) tcpServer.close();
    throw err;
  }

  const udpInfo: AddressInfo | null = udpSocket !== null ? udpSocket.address() : null;
  const tcpInfo = tcpServer !== null ? (tcpServer.address() as AddressInfo) : null;
  if (udpInfo !== null) logger.info({ transport: 'udp', ...udpInfo }, 'syslog listening');
  if (tcpInfo !== null) logger.info({ transport: 'tcp', ...tcpInfo }, 'syslog listening');
  return {
    udpAddress: udpInfo === null ? null : formatRemote(udpInfo.address, udpInfo.port),
    udpPort: udpInfo === null ? null : udpInfo.port,
    tcpAddress: tcpInfo === null ? null : formatRemote(tcpInfo.address, tcpInfo.port),
    tcpPort: tcpInfo === null ? null : tcpInfo.port,
    stats,
    close,
  };
}
