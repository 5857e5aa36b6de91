/**
 * HTTP `Content-Encoding` decoding for ingest bodies: identity, gzip (x-gzip), deflate (zlib)
 * and zstd, streamed. `decodeBody` throws LW_ERR_UNSUPPORTED_ENCODING (415) for any other
 * encoding; `readDecodedBody` reads a whole body and enforces the limit on the decoded size
 * (so a compression bomb is cut off), mapping a corrupt stream to LW_ERR_BAD_ENCODING (400).
 */
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { LwError } from '../../core/errors.ts';

export function decodeBody(encoding: string | undefined, raw: Readable): Readable {
  const enc = (encoding ?? 'identity').trim().toLowerCase();
  switch (enc) {
    case 'identity':
    case '':
      return raw;
    case 'gzip':
    case 'x-gzip':
      return raw.pipe(zlib.createGunzip());
    case 'deflate':
      return raw.pipe(zlib.createInflate());
    case 'zstd':
      return raw.pipe(zlib.createZstdDecompress());
    default:
      throw new LwError('LW_ERR_UNSUPPORTED_ENCODING', [JSON.stringify(enc)]);
  }
}

/** True for the errors zlib raises on a corrupt compressed stream. */
export function isDecodeError(err: unknown): boolean {
  return (
    (err as NodeJS.ErrnoException).code?.startsWith?.('Z_') === true ||
    /incorrect header|invalid|unexpected end/i.test(String(err))
  );
}

/** Reads and decodes a whole body of at most `maxBytes` decoded bytes. */
export async function readDecodedBody(
  encoding: string | undefined,
  raw: Readable,
  maxBytes: number,
): Promise<Buffer> {
  const body = decodeBody(encoding, raw);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body) {
      total += (chunk as Buffer).length;
      if (total > maxBytes) throw new LwError('LW_ERR_BODY_TOO_LARGE', [maxBytes]);
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof LwError) throw err;
    if (isDecodeError(err))
      throw new LwError('LW_ERR_BAD_ENCODING', [String(encoding), (err as Error).message]);
    throw err;
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
}
