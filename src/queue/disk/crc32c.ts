/**
 * CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78), the checksum Kafka record
 * batches, iSCSI and ext4 metadata use. Pure JavaScript, slicing-by-16: sixteen 256-entry tables
 * let each loop iteration fold 16 input bytes (read as four words through a DataView) with table
 * lookups only: about 4,800 instructions per 370-byte record on Node 24 / x86-64 (reading 16
 * single bytes instead: 6,100; byte-at-a-time is ~5x slower). Node's native `zlib.crc32`
 * (CRC-32, a different polynomial) takes half the instructions but as long in time (~110 ns per
 * record), so it would not be worth a change of the queue's record format.
 *
 * Check value: crc32c("123456789") === 0xe3069283.
 */

const POLY = 0x82f63b78;

/** TABLE[t * 256 + b]: CRC of byte b followed by t zero bytes. */
const TABLE = buildTable();

function buildTable(): Int32Array {
  const t = new Int32Array(16 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let s = 1; s < 16; s++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[s * 256 + n] = c;
    }
  }
  return t;
}

/** A DataView of the last buffer checksummed: records of one buffer come one after another. */
let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

/**
 * CRC-32C of `buf[start, end)`, continuing from `crc` (pass a previous result to checksum data
 * in pieces; 0 to start). Returns an unsigned 32-bit integer.
 */
export function crc32c(buf: Uint8Array, crc = 0, start = 0, end: number = buf.length): number {
  const T = TABLE;
  const b = buf;
  let c = ~crc;
  let i = start;
  const last16 = end - 16;
  if (i <= last16) {
    // 16 bytes per step, read as four little-endian words (fewer loads than 16 byte reads).
    if (view.buffer !== b.buffer || view.byteOffset !== b.byteOffset || view.byteLength !== b.byteLength)
      view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const v = view;
    while (i <= last16) {
      const a = c ^ v.getInt32(i, true);
      const w1 = v.getInt32(i + 4, true);
      const w2 = v.getInt32(i + 8, true);
      const w3 = v.getInt32(i + 12, true);
      c =
        T[3840 + (a & 0xff)]! ^
        T[3584 + ((a >>> 8) & 0xff)]! ^
        T[3328 + ((a >>> 16) & 0xff)]! ^
        T[3072 + (a >>> 24)]! ^
        T[2816 + (w1 & 0xff)]! ^
        T[2560 + ((w1 >>> 8) & 0xff)]! ^
        T[2304 + ((w1 >>> 16) & 0xff)]! ^
        T[2048 + (w1 >>> 24)]! ^
        T[1792 + (w2 & 0xff)]! ^
        T[1536 + ((w2 >>> 8) & 0xff)]! ^
        T[1280 + ((w2 >>> 16) & 0xff)]! ^
        T[1024 + (w2 >>> 24)]! ^
        T[768 + (w3 & 0xff)]! ^
        T[512 + ((w3 >>> 8) & 0xff)]! ^
        T[256 + ((w3 >>> 16) & 0xff)]! ^
        T[w3 >>> 24]!;
      i += 16;
    }
  }
  while (i < end) c = T[(c ^ b[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
