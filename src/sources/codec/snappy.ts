/**
 * Snappy block-format decompression (https://github.com/google/snappy/blob/main/format_description.txt),
 * as Loki push bodies use it (`Content-Type: application/x-protobuf`, the whole body one snappy
 * block, not the framing format).
 *
 * Contract: the decoded size is read from the preamble and checked against `maxBytes` before
 * anything is allocated, so a small body cannot claim a huge output; every malformed input
 * (truncated element, copy offset 0 or before the start of the output, output longer or
 * shorter than declared) throws SnappyError with the problem and its byte position. The input
 * is only read.
 */

export class SnappyError extends Error {
  constructor(message: string, position: number) {
    super(`${message} at byte ${position}`);
    this.name = 'SnappyError';
  }
}

/** Thrown when the declared decoded size is over the caller's limit. */
export class SnappyTooLargeError extends Error {
  readonly size: number;
  constructor(size: number, max: number) {
    super(`snappy block declares ${size} decoded bytes, over the limit of ${max}`);
    this.name = 'SnappyTooLargeError';
    this.size = size;
  }
}

export function snappyDecompress(src: Uint8Array, maxBytes: number): Buffer {
  // Preamble: the decoded length as a little-endian base-128 varint (at most 32 bits).
  let pos = 0;
  let size = 0;
  let mul = 1;
  for (let i = 0; ; i++) {
    if (pos >= src.length) throw new SnappyError('truncated length preamble', pos);
    if (i >= 5) throw new SnappyError('length preamble longer than 5 bytes', pos);
    const c = src[pos++];
    size += (c & 0x7f) * mul;
    if (c < 0x80) break;
    mul *= 128;
  }
  if (size > 0xffffffff) throw new SnappyError('declared length over 32 bits', 0);
  if (size > maxBytes) throw new SnappyTooLargeError(size, maxBytes);
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  while (pos < src.length) {
    const at = pos;
    const tag = src[pos++];
    const kind = tag & 3;
    if (kind === 0) {
      // Literal: length-1 in the upper 6 bits, or in the next 1..4 bytes when those say 60..63.
      let len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59;
        if (pos + extra > src.length) throw new SnappyError('truncated literal length', at);
        len = 0;
        for (let k = 0; k < extra; k++) len += src[pos + k] * 2 ** (8 * k);
        pos += extra;
      }
      len += 1;
      if (pos + len > src.length) throw new SnappyError(`truncated literal of ${len} bytes`, at);
      if (o + len > size) throw new SnappyError('output longer than the declared length', at);
      out.set(src.subarray(pos, pos + len), o);
      pos += len;
      o += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (pos + 1 > src.length) throw new SnappyError('truncated copy', at);
      len = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | src[pos];
      pos += 1;
    } else if (kind === 2) {
      if (pos + 2 > src.length) throw new SnappyError('truncated copy', at);
      len = (tag >>> 2) + 1;
      offset = src[pos] | (src[pos + 1] << 8);
      pos += 2;
    } else {
      if (pos + 4 > src.length) throw new SnappyError('truncated copy', at);
      len = (tag >>> 2) + 1;
      offset = (src[pos] | (src[pos + 1] << 8) | (src[pos + 2] << 16)) + src[pos + 3] * 0x1000000;
      pos += 4;
    }
    if (offset === 0 || offset > o) throw new SnappyError(`copy offset ${offset} outside the output`, at);
    if (o + len > size) throw new SnappyError('output longer than the declared length', at);
    if (offset >= len) {
      out.copyWithin(o, o - offset, o - offset + len);
      o += len;
    } else {
      // Overlapping copy (a repeated pattern): byte by byte, as the format requires.
      for (let k = 0; k < len; k++, o++) out[o] = out[o - offset];
    }
  }
  if (o !== size) throw new SnappyError(`output is ${o} bytes, the preamble declared ${size}`, pos);
  return out;
}
