/**
 * Small pieces shared by the network listeners: how a peer address is written, and a warning
 * logger that cannot flood the log when a sender keeps sending bad input.
 */

/** The logging the listeners need; a pino logger fits. */
export interface ListenerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ListenAddress {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

/** `ip:port`, or `[ip]:port` for IPv6. */
export function formatRemote(address: string | undefined, port: number | undefined): string {
  if (address === undefined) return 'unknown';
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Logs at most once per interval per key, with the number of occurrences since the last log. */
export function rateLimitedWarn(logger: ListenerLogger, intervalMs = 10_000) {
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
