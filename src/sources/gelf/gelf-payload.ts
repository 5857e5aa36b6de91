/**
 * The payload of a GELF UDP message after reassembly: uncompressed JSON, gzip (RFC 1952, magic
 * 1f 8b) or zlib (RFC 1950: CMF 0x?8 with a valid header check), told apart by their first bytes
 * as Graylog does. Decompression is bounded by maxBytes (a small datagram cannot expand into
 * gigabytes). Failures are returned, never thrown: `bad_compression` (unknown or corrupt
 * encoding) or `oversized`.
 */
import zlib from 'node:zlib';

export type PayloadResult = { ok: true; data: Buffer } | { ok: false; reason: string; message: string };

function isWhitespace(b: number): boolean {
  return b === 32 || b === 9 || b === 10 || b === 13;
}

export function decodeGelfPayload(buf: Buffer, maxBytes: number): PayloadResult {
  const b0 = buf[0] ?? 0;
  const b1 = buf[1] ?? 0;
  let inflate: ((b: Buffer, o: zlib.ZlibOptions) => Buffer) | null = null;
  let kind = '';
  if (b0 === 0x1f && b1 === 0x8b) {
    inflate = zlib.gunzipSync;
    kind = 'gzip';
  } else if ((b0 & 0x0f) === 8 && ((b0 << 8) | b1) % 31 === 0) {
    inflate = zlib.inflateSync;
    kind = 'zlib';
  }
  if (inflate === null) {
    let i = 0;
    while (i < buf.length && isWhitespace(buf[i]!)) i++;
    if (buf[i] !== 0x7b /* { */) {
      return {
        ok: false,
        reason: 'bad_compression',
        message: `GELF payload is neither JSON, gzip nor zlib (starts with 0x${b0.toString(16).padStart(2, '0')}${b1.toString(16).padStart(2, '0')})`,
      };
    }
    if (buf.length > maxBytes) {
      return {
        ok: false,
        reason: 'oversized',
        message: `GELF message exceeds the limit of ${maxBytes} bytes`,
      };
    }
    return { ok: true, data: buf };
  }
  try {
    return { ok: true, data: inflate(buf, { maxOutputLength: maxBytes }) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      return {
        ok: false,
        reason: 'oversized',
        message: `${kind} GELF message inflates beyond the limit of ${maxBytes} bytes`,
      };
    }
    return {
      ok: false,
      reason: 'bad_compression',
      message: `cannot decompress ${kind} GELF message: ${e.message}`,
    };
  }
}
