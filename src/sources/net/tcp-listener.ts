/**
 * A TCP (or TLS) listener that turns each connection's byte stream into records with a
 * per-connection decoder, and hands them on. The protocol lives in the decoder (syslog framing,
 * GELF's NUL-terminated JSON, LF-terminated lines); this module owns connections, backpressure,
 * TLS and shutdown.
 *
 * - The records completed by one read chunk go to onRecords in one call. While the promise it
 *   returns is pending the socket is paused, so a slow consumer slows the sender down (TCP flow
 *   control) instead of buffering without bound. A connection's records are delivered in order.
 * - Decoder errors are counted: `truncated` (the stream ended inside a frame whose received part
 *   is still delivered) only as an error, every other kind as a received and rejected record
 *   (`rejected[kind]`). Each is logged, rate-limited.
 * - When onRecords throws or rejects, its records count as `dropped.delivery_failed`; the
 *   listener keeps running. Records read after close() began count as `dropped.shutting_down`.
 * - TLS: given `tls`, the listener is a TLS server; failed handshakes count as errors.
 *   setSecureContext() swaps the certificate for new connections (reload without restart).
 *
 * close(): stops accepting, stops reading, waits for pending onRecords calls, hands over the
 * decoder's last unterminated record of each connection, ends the connections (FIN) and destroys
 * those the peer has not closed after closeTimeoutMs.
 */
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import type { NetRecord } from './net-record.ts';
import { formatRemote, type ListenAddress, type ListenerLogger, rateLimitedWarn } from './remote.ts';
import { countDropped, countRejected, type SourceStats } from './source-stats.ts';

/** A problem a decoder found in the stream. */
export interface DecodeError {
  /** `truncated`, or the reason a record was rejected (`oversized`, `invalid_json`...). */
  kind: string;
  /** What went wrong, for logs. */
  message: string;
  /** Stream offset of the record's first byte, when known. */
  offset?: number;
  /** Size of the record in bytes, when known. */
  size?: number;
}

/** Incremental decoder of one connection: bytes in, record texts out. Must never throw. */
export interface StreamDecoder {
  /** Feeds the next chunk; returns the records it completed. Does not keep the chunk's memory. */
  push(chunk: Buffer): string[];
  /** The stream ended: returns a last unterminated record, if any. */
  end(): string[];
}

export interface TcpListenerOptions<T extends string = string> {
  listen: ListenAddress;
  /** Source name for logs, e.g. `syslog`. */
  name: string;
  /** Transport label put in each record: `tcp` or `tls`. */
  transport: T;
  stats: SourceStats;
  logger: ListenerLogger;
  /** Makes the decoder of a new connection from `remote`; it reports problems through onError. */
  newDecoder(remote: string, onError: (e: DecodeError) => void): StreamDecoder;
  /** Receives batches; the returned promise is the backpressure signal. May throw or reject. */
  onRecords(records: NetRecord<T>[]): Promise<void> | void;
  /** TLS server options (certificate, key, client certificates); absent: plain TCP. */
  tls?: tls.TlsOptions;
  /** How long close() lets a peer close its connection before destroying it. Default 5,000 ms. */
  closeTimeoutMs?: number;
}

export interface TcpListener {
  /** Bound address `host:port` (`[host]:port` for IPv6). */
  address: string;
  port: number;
  /** TLS only: replaces the certificate/key for new connections. */
  setSecureContext(options: tls.SecureContextOptions): void;
  /** See the module header. Idempotent. */
  close(): Promise<void>;
}

interface Connection {
  socket: net.Socket;
  remote: string;
  decoder: StreamDecoder;
  /** The pending onRecords call (the socket is paused meanwhile). */
  inflight: Promise<void> | null;
  /** Delivery of the last unterminated record after the peer ended the stream. */
  finishing: Promise<void> | null;
  closing: boolean;
}

function isPromise(v: unknown): v is Promise<void> {
  return typeof v === 'object' && v !== null && typeof (v as Promise<void>).then === 'function';
}

/** Binds and starts listening; rejects when the address cannot be bound. */
export async function startTcpListener<T extends string>(opts: TcpListenerOptions<T>): Promise<TcpListener> {
  const { stats, logger, onRecords, name, transport } = opts;
  const closeTimeoutMs = opts.closeTimeoutMs ?? 5_000;
  const warn = rateLimitedWarn(logger);
  const connections = new Set<Connection>();
  let closing = false;

  const failed = (err: unknown, n: number): void => {
    stats.errors++;
    countDropped(stats, 'delivery_failed', n);
    logger.error({ err, records: n, source: name, transport }, 'delivery failed; records dropped');
  };

  /** Hands records to onRecords; pauses the socket while the returned promise is pending. */
  const deliver = (conn: Connection, texts: string[]): void => {
    stats.received += texts.length;
    const records: NetRecord<T>[] = new Array(texts.length);
    for (let k = 0; k < texts.length; k++) records[k] = { text: texts[k]!, remote: conn.remote, transport };
    let r: Promise<void> | void;
    try {
      r = onRecords(records);
    } catch (err) {
      failed(err, records.length);
      return;
    }
    if (!isPromise(r)) return;
    conn.socket.pause();
    const p: Promise<void> = r
      .then(
        () => {},
        (err: unknown) => failed(err, records.length),
      )
      .finally(() => {
        if (conn.inflight === p) conn.inflight = null;
        if (!conn.closing && !conn.socket.destroyed) conn.socket.resume();
      });
    conn.inflight = p;
  };

  /** Delivers the decoder's last unterminated record after the pending call, if any. */
  const finish = async (conn: Connection): Promise<void> => {
    if (conn.inflight !== null) await conn.inflight;
    const last = conn.decoder.end();
    if (last.length === 0) return;
    deliver(conn, last);
    if (conn.inflight !== null) await conn.inflight;
  };

  const onConnection = (socket: net.Socket): void => {
    if (closing) {
      socket.destroy();
      return;
    }
    const remote = formatRemote(socket.remoteAddress, socket.remotePort);
    const conn: Connection = {
      socket,
      remote,
      decoder: opts.newDecoder(remote, (e) => {
        stats.errors++;
        if (e.kind !== 'truncated') {
          stats.received++;
          countRejected(stats, e.kind);
        }
        warn(`${e.kind}`, { source: name, transport, remote, offset: e.offset, size: e.size }, e.message);
      }),
      inflight: null,
      finishing: null,
      closing: false,
    };
    connections.add(conn);
    socket.on('data', (chunk: Buffer) => {
      const texts = conn.decoder.push(chunk);
      if (texts.length === 0) return;
      if (conn.closing) {
        stats.received += texts.length;
        countDropped(stats, 'shutting_down', texts.length);
        return;
      }
      deliver(conn, texts);
    });
    socket.on('end', () => {
      if (!conn.closing && conn.finishing === null) conn.finishing = finish(conn);
    });
    socket.on('error', (err) => {
      stats.errors++;
      warn('socket', { source: name, transport, remote, err: err.message }, 'connection error');
    });
    socket.on('close', () => connections.delete(conn));
  };

  let server: net.Server;
  if (opts.tls !== undefined) {
    const tlsServer = tls.createServer(opts.tls, onConnection);
    tlsServer.on('tlsClientError', (err, socket) => {
      stats.errors++;
      warn(
        'tls-handshake',
        { source: name, remote: formatRemote(socket.remoteAddress, socket.remotePort), err: err.message },
        'TLS handshake failed',
      );
    });
    server = tlsServer;
  } else {
    server = net.createServer({ keepAlive: true }, onConnection);
  }
  server.on('error', (err) => {
    stats.errors++;
    logger.error({ err, source: name, transport }, 'TCP server error');
  });

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

  const { host, port } = opts.listen;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const info = server.address() as AddressInfo;
  logger.info({ source: name, transport, ...info }, `${name} listening`);
  let closePromise: Promise<void> | null = null;
  return {
    address: formatRemote(info.address, info.port),
    port: info.port,
    setSecureContext(options) {
      if (!(server instanceof tls.Server)) throw new Error('BUG: setSecureContext on a plain TCP listener');
      server.setSecureContext(options);
    },
    close() {
      closePromise ??= (async () => {
        closing = true;
        const tasks: Promise<void>[] = [new Promise<void>((resolve) => server.close(() => resolve()))];
        for (const conn of connections) tasks.push(closeConnection(conn));
        await Promise.all(tasks);
      })();
      return closePromise;
    },
  };
}
