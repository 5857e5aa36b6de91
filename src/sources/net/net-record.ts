/** A record read by a network listener, on its way to the queue. */
export interface NetRecord<T extends string = string> {
  /** The record text (a syslog message, a JSON object, a line), without framing. */
  text: string;
  /** Sender address `ip:port` (`[ip]:port` for IPv6). */
  remote: string;
  /** How it arrived: `udp`, `tcp` or `tls`. */
  transport: T;
}

/** A record decoded from bytes, or why the bytes were rejected (`reason` is a counter label). */
export type RecordResult = { ok: true; record: string } | { ok: false; reason: string; message: string };
