/**
 * GELF 1.1 listeners: UDP (plain, gzip or zlib; chunked messages reassembled, see
 * gelf-chunks.ts) and TCP (uncompressed messages, each ended by a NUL byte). Each message becomes
 * one JSON record (gelf-message.ts) handed to onRecords; delivery, backpressure and shutdown are
 * those of the generic listeners (src/sources/net/).
 *
 * Every bad message is rejected on its own and counted with its reason (`rejected[reason]`):
 * `oversized`, `bad_compression`, `bad_chunk`, `incomplete_chunks`, `invalid_utf8`,
 * `invalid_json`, `invalid_gelf`; the messages around it are unaffected. Stats: one SourceStats
 * per transport.
 */
import { DelimitedDecoder } from '../net/delimited-decoder.ts';
import type { NetRecord } from '../net/net-record.ts';
import type { ListenAddress, ListenerLogger } from '../net/remote.ts';
import { rateLimitedWarn } from '../net/remote.ts';
import { countDropped, countRejected, newSourceStats, type SourceStats } from '../net/source-stats.ts';
import { startTcpListener, type TcpListener } from '../net/tcp-listener.ts';
import { startUdpListener, type UdpListener } from '../net/udp-listener.ts';
import { GelfChunkAssembler, isGelfChunk } from './gelf-chunks.ts';
import { parseGelf } from './gelf-message.ts';
import { decodeGelfPayload } from './gelf-payload.ts';

export interface GelfServerOptions {
  udp?: ListenAddress;
  tcp?: ListenAddress;
  /** Longest message in bytes (decompressed, reassembled). Default 1 MiB. */
  maxMessageBytes?: number;
  /** How long the chunks of a message may take to arrive. Default 5,000 ms. */
  chunkTimeoutMs?: number;
  /** Chunked messages that may be open at once; beyond, the oldest is given up. Default 1,000. */
  maxPendingChunked?: number;
  closeTimeoutMs?: number;
  onRecords(records: NetRecord<'udp' | 'tcp'>[]): Promise<void> | void;
  logger: ListenerLogger;
  /** Counters to update (the caller's, so a sink can count into them too); default: new ones. */
  stats?: GelfStats;
}

export interface GelfStats {
  udp: SourceStats;
  tcp: SourceStats;
}

export interface GelfServers {
  udpAddress: string | null;
  udpPort: number | null;
  tcpAddress: string | null;
  tcpPort: number | null;
  stats: GelfStats;
  /** Open chunked messages. */
  pendingChunked(): number;
  close(): Promise<void>;
}

/** Starts the configured listeners; rejects (after closing what started) when one cannot bind. */
export async function startGelfServers(opts: GelfServerOptions): Promise<GelfServers> {
  const maxBytes = opts.maxMessageBytes ?? 1024 * 1024;
  const { logger } = opts;
  const stats: GelfStats = opts.stats ?? { udp: newSourceStats(), tcp: newSourceStats() };
  const warn = rateLimitedWarn(logger);
  const reject = (s: SourceStats, transport: string, reason: string, message: string, remote: string) => {
    s.received++;
    countRejected(s, reason);
    warn(`gelf-${transport}-${reason}`, { source: 'gelf', transport, remote }, message);
  };
  const assembler = new GelfChunkAssembler({
    maxMessageBytes: maxBytes,
    timeoutMs: opts.chunkTimeoutMs ?? 5_000,
    maxPending: opts.maxPendingChunked ?? 1_000,
    onGiveUp: (reason, message, remote) => reject(stats.udp, 'udp', reason, message, remote),
  });
  const sweeper = setInterval(() => assembler.sweep(), 500);
  sweeper.unref();

  let udp: UdpListener | null = null;
  let tcp: TcpListener | null = null;
  const close = async (): Promise<void> => {
    clearInterval(sweeper);
    await Promise.all([udp?.close(), tcp?.close()]);
    const open = assembler.clear();
    if (open > 0) countDropped(stats.udp, 'shutting_down', open);
    stats.udp.received += open;
  };
  try {
    if (opts.udp !== undefined) {
      udp = await startUdpListener({
        listen: opts.udp,
        name: 'gelf',
        transport: 'udp',
        stats: stats.udp,
        logger,
        onRecords: opts.onRecords,
        decode(msg, remote) {
          let payload: Buffer | null = msg;
          if (isGelfChunk(msg)) {
            payload = assembler.add(msg, remote);
            if (payload === null) return [];
          }
          const p = decodeGelfPayload(payload, maxBytes);
          if (!p.ok) {
            reject(stats.udp, 'udp', p.reason, p.message, remote);
            return [];
          }
          const r = parseGelf(p.data, remote);
          if (!r.ok) {
            reject(stats.udp, 'udp', r.reason, r.message, remote);
            return [];
          }
          stats.udp.received++;
          return [r.record];
        },
      });
    }
    if (opts.tcp !== undefined) {
      tcp = await startTcpListener({
        listen: opts.tcp,
        name: 'gelf',
        transport: 'tcp',
        stats: stats.tcp,
        logger,
        closeTimeoutMs: opts.closeTimeoutMs,
        onRecords: opts.onRecords,
        newDecoder: (remote, onError) =>
          new DelimitedDecoder(maxBytes, 0, 'GELF message', (b) => parseGelf(b, remote), onError),
      });
    }
  } catch (err) {
    await close();
    throw err;
  }
  let closePromise: Promise<void> | null = null;
  return {
    udpAddress: udp?.address ?? null,
    udpPort: udp?.port ?? null,
    tcpAddress: tcp?.address ?? null,
    tcpPort: tcp?.port ?? null,
    stats,
    pendingChunked: () => assembler.pending,
    close: () => {
      closePromise ??= close();
      return closePromise;
    },
  };
}
