/**
 * A UDP listener that turns datagrams into records and hands them on in batches. The protocol
 * lives in `decode` (syslog: one datagram is one message; GELF: chunks, compression, JSON; lines:
 * LF-separated lines); this module owns the socket, the batching and the counting of what could
 * not be delivered.
 *
 * UDP cannot be slowed down: records decoded in the same event-loop turn are batched into one
 * onRecords call; while a call is pending up to maxPending records wait, and any more are dropped
 * (`dropped.backlog_full`). Records decoded after close() began are dropped (`shutting_down`).
 * When onRecords throws or rejects, its records count as `dropped.delivery_failed` and the error
 * is logged; the listener keeps running.
 *
 * close(): closes the socket and waits until the records already decoded have been delivered.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { NetRecord } from './net-record.ts';
import { formatRemote, type ListenAddress, type ListenerLogger, rateLimitedWarn } from './remote.ts';
import { countDropped, type SourceStats } from './source-stats.ts';

export interface UdpListenerOptions<T extends string = string> {
  listen: ListenAddress;
  /** Source name for logs, e.g. `syslog`, `gelf`. */
  name: string;
  /** Transport label put in each record, e.g. `udp`. */
  transport: T;
  stats: SourceStats;
  logger: ListenerLogger;
  /** Records that may wait while onRecords is busy; more are dropped. Default 65,536. */
  maxPending?: number;
  /**
   * Turns one datagram into 0..n record texts. It counts `received` and `rejected` itself (a GELF
   * chunk is not a record yet). Must not throw. The datagram buffer is not reused after the call.
   */
  decode(msg: Buffer, remote: string): string[];
  /** Receives batches; the listener does not keep the array. May throw or reject. */
  onRecords(records: NetRecord<T>[]): Promise<void> | void;
}

export interface UdpListener {
  /** Bound address `host:port` (`[host]:port` for IPv6). */
  address: string;
  port: number;
  /** See the module header. Idempotent. */
  close(): Promise<void>;
}

/** Binds and starts listening; rejects when the address cannot be bound. */
export async function startUdpListener<T extends string>(opts: UdpListenerOptions<T>): Promise<UdpListener> {
  const { stats, logger, onRecords, decode, transport, name } = opts;
  const maxPending = opts.maxPending ?? 65_536;
  const warn = rateLimitedWarn(logger);
  let closing = false;
  let queue: NetRecord<T>[] = [];
  let busy = false;
  let scheduled = false;
  let idle: (() => void) | null = null;

  const schedule = (): void => {
    if (busy || scheduled || queue.length === 0) return;
    scheduled = true;
    setImmediate(flush);
  };
  const flush = async (): Promise<void> => {
    scheduled = false;
    if (busy || queue.length === 0) return;
    const batch = queue;
    queue = [];
    busy = true;
    try {
      await onRecords(batch);
    } catch (err) {
      stats.errors++;
      countDropped(stats, 'delivery_failed', batch.length);
      logger.error(
        { err, records: batch.length, source: name, transport },
        'delivery failed; records dropped',
      );
    } finally {
      busy = false;
    }
    if (queue.length > 0) schedule();
    else idle?.();
  };

  // A larger kernel buffer absorbs bursts while the main thread is busy (capped by the kernel's
  // net.core.rmem_max; raising that is the operator's choice).
  const socket = dgram.createSocket({
    type: net.isIPv6(opts.listen.host) ? 'udp6' : 'udp4',
    recvBufferSize: 8 * 1024 * 1024,
  });
  socket.on('message', (msg, rinfo) => {
    const remote = formatRemote(rinfo.address, rinfo.port);
    const texts = decode(msg, remote);
    if (texts.length === 0) return;
    if (closing) {
      countDropped(stats, 'shutting_down', texts.length);
      return;
    }
    for (const text of texts) {
      if (queue.length >= maxPending) {
        countDropped(stats, 'backlog_full');
        warn(
          'udp-full',
          { source: name, remote, pending: queue.length },
          'UDP backlog is full; record dropped',
        );
        continue;
      }
      queue.push({ text, remote, transport });
    }
    schedule();
  });
  socket.on('error', (err) => {
    stats.errors++;
    logger.error({ err, source: name, transport }, 'UDP socket error');
  });

  const { host, port } = opts.listen;
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  }).catch((err) => {
    try {
      socket.close();
    } catch {
      // never bound: nothing to close
    }
    throw err;
  });

  let closePromise: Promise<void> | null = null;
  const info = socket.address();
  logger.info({ source: name, transport, ...info }, `${name} listening`);
  return {
    address: formatRemote(info.address, info.port),
    port: info.port,
    close() {
      closePromise ??= (async () => {
        closing = true;
        await new Promise<void>((resolve) => socket.close(() => resolve()));
        if (busy || scheduled || queue.length > 0) {
          await new Promise<void>((resolve) => {
            idle = resolve;
            schedule();
          });
        }
      })();
      return closePromise;
    },
  };
}
