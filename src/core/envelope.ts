/**
 * How an ingested record travels through the queue (disk or Kafka): the message value is the
 * raw record text (a JSON object, a syslog line or a text line), the key is
 * "<stream>\n<format>", the timestamp is the receive time, and the optional header `remote`
 * carries the sender's address. Keeping the raw text means the queue holds exactly what the
 * client sent, and parsing happens once, in the processing workers.
 */
export type EnvelopeFormat = 'auto' | 'json' | 'syslog' | 'text';

const FORMATS = new Set<string>(['auto', 'json', 'syslog', 'text']);

export function envelopeKey(stream: string, format: EnvelopeFormat): Buffer {
  return Buffer.from(`${stream}\n${format}`);
}

export function parseEnvelopeKey(key: Buffer | null): { stream: string; format: EnvelopeFormat } {
  if (key === null) return { stream: 'default', format: 'auto' };
  const s = key.toString('utf8');
  const i = s.lastIndexOf('\n');
  if (i < 0) return { stream: s || 'default', format: 'auto' };
  const f = s.slice(i + 1);
  return { stream: s.slice(0, i) || 'default', format: (FORMATS.has(f) ? f : 'auto') as EnvelopeFormat };
}

/** Stream names: letters, digits, `_ - .`; 1 to 128 chars; not starting with `_` (reserved). */
export function isValidStreamName(s: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(s);
}
