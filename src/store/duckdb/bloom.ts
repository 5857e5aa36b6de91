/**
 * Bloom filters over 32-bit token hashes: the per-block skip index of the embedded store.
 * A block (8,192 rows) gets one filter per indexed text column; a query asks each block's filter
 * whether it may hold all the tokens of a term (`hasAll`) and scans only the blocks that may.
 *
 * A standard (not split-block) Bloom filter: m bits, k probes derived by Kirsch-Mitzenmacher
 * double hashing, g_i = (h1 + i * h2) mod m, from h1 = the token hash (`hashToken` in
 * core/tokenize.ts, already a well-mixed 32-bit value) and h2 = a second murmur3-fmix32 mix of
 * it, made odd. Standard rather than split-block because the index is dominated by disk size
 * (about 9.6 bits per distinct token at 1% instead of about 11) and probing is never the
 * bottleneck (a few tokens x ~1,000 blocks per query).
 *
 * Serialised form (one BLOB), little-endian:
 *   offset 0  u8   version (1)
 *   offset 1  u8   k, number of probes (1..32)
 *   offset 2  u16  reserved, 0
 *   offset 4  u32  m, number of bits (a multiple of 8, >= 64)
 *   offset 8  u32  insertions, number of `add` calls (the distinct count when built by BloomBuilder)
 *   offset 12      ceil(m / 8) bytes of bits; bit p is byte (p >>> 3), mask 1 << (p & 7)
 * The filter keeps its header and bits in that one Uint8Array, so `toBytes` is free.
 *
 * Ownership: `toBytes()` returns the filter's own memory, and `fromBytes()` keeps a view of the
 * caller's bytes (no copy). Don't mutate them while a filter uses them; copy when you must.
 */

import { Uint32Set } from '../../core/uint32-set.ts';

export { Uint32Set };

export const BLOOM_VERSION = 1;
const HEADER_BYTES = 12;
const MIN_BITS = 64;
const MAX_K = 32;
/** Default false-positive probability of a block filter. */
export const DEFAULT_FPP = 0.01;

function mix2(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  h ^= h >>> 16;
  return (h | 1) >>> 0;
}

export class BloomFilter {
  /** Header and bits, in the serialised layout. */
  readonly bytes: Uint8Array;
  /** Number of bits, m. */
  readonly numBits: number;
  /** Number of probes, k. */
  readonly k: number;
  private insertions: number;

  private constructor(bytes: Uint8Array, numBits: number, k: number, insertions: number) {
    this.bytes = bytes;
    this.numBits = numBits;
    this.k = k;
    this.insertions = insertions;
  }

  /**
   * An empty filter sized for `n` distinct hashes at false-positive probability `fpp`:
   * m = ceil(-n ln(fpp) / ln(2)^2) rounded up to a byte, k = round(m / n * ln 2).
   */
  static forCount(n: number, fpp: number = DEFAULT_FPP): BloomFilter {
    if (!(fpp > 0 && fpp < 1)) throw new RangeError(`bloom filter fpp must be in (0, 1), got ${fpp}`);
    if (!(n >= 0) || !Number.isFinite(n)) throw new RangeError(`bloom filter count must be >= 0, got ${n}`);
    const count = Math.max(1, Math.ceil(n));
    let bits = Math.ceil((-count * Math.log(fpp)) / (Math.LN2 * Math.LN2));
    bits = Math.max(MIN_BITS, Math.ceil(bits / 8) * 8);
    if (bits > 0xffffffff) throw new RangeError(`bloom filter too large: ${bits} bits`);
    const k = Math.min(MAX_K, Math.max(1, Math.round((bits / count) * Math.LN2)));
    return BloomFilter.withBits(bits, k);
  }

  /** An empty filter with exactly `numBits` bits (rounded up to a multiple of 8) and `k` probes. */
  static withBits(numBits: number, k: number): BloomFilter {
    const m = Math.max(MIN_BITS, Math.ceil(numBits / 8) * 8);
    if (!Number.isInteger(k) || k < 1 || k > MAX_K)
      throw new RangeError(`bloom filter k must be 1..32, got ${k}`);
    const bytes = new Uint8Array(HEADER_BYTES + m / 8);
    bytes[0] = BLOOM_VERSION;
    bytes[1] = k;
    new DataView(bytes.buffer).setUint32(4, m, true);
    return new BloomFilter(bytes, m, k, 0);
  }

  /**
   * Reads a serialised filter. Keeps a view of `bytes` (no copy). Throws `cannot parse bloom
   * filter: ...` when the bytes are not a filter this version can read.
   */
  static fromBytes(bytes: Uint8Array): BloomFilter {
    if (bytes.byteLength < HEADER_BYTES) {
      throw new Error(`cannot parse bloom filter: ${bytes.byteLength} bytes is shorter than the header`);
    }
    if (bytes[0] !== BLOOM_VERSION) throw new Error(`cannot parse bloom filter: unknown version ${bytes[0]}`);
    const k = bytes[1];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const m = view.getUint32(4, true);
    const insertions = view.getUint32(8, true);
    if (k < 1 || k > MAX_K) throw new Error(`cannot parse bloom filter: k = ${k}`);
    if (m < MIN_BITS || m % 8 !== 0 || bytes.byteLength !== HEADER_BYTES + m / 8) {
      throw new Error(`cannot parse bloom filter: ${m} bits do not match ${bytes.byteLength} bytes`);
    }
    return new BloomFilter(bytes, m, k, insertions);
  }

  /** Adds one 32-bit hash. */
  add(hash: number): void {
    const bytes = this.bytes;
    const m = this.numBits;
    const h1 = hash >>> 0;
    const h2 = mix2(h1);
    for (let i = 0; i < this.k; i++) {
      const p = ((h1 + Math.imul(i, h2)) >>> 0) % m;
      bytes[HEADER_BYTES + (p >>> 3)] |= 1 << (p & 7);
    }
    this.insertions++;
  }

  addAll(hashes: ArrayLike<number>): void {
    for (let i = 0; i < hashes.length; i++) this.add(hashes[i]);
  }

  /** False: the hash was never added. True: it probably was (false positives at about fpp). */
  has(hash: number): boolean {
    const bytes = this.bytes;
    const m = this.numBits;
    const h1 = hash >>> 0;
    const h2 = mix2(h1);
    for (let i = 0; i < this.k; i++) {
      const p = ((h1 + Math.imul(i, h2)) >>> 0) % m;
      if ((bytes[HEADER_BYTES + (p >>> 3)] & (1 << (p & 7))) === 0) return false;
    }
    return true;
  }

  /** True when every hash may be present (true for an empty list: nothing to prune on). */
  hasAll(hashes: ArrayLike<number>): boolean {
    for (let i = 0; i < hashes.length; i++) if (!this.has(hashes[i])) return false;
    return true;
  }

  /** Number of `add` calls (stored in the header). */
  get insertionCount(): number {
    return this.insertions;
  }

  /** Distinct hashes estimated from the fill: n ~ -(m / k) ln(1 - set bits / m). */
  estimatedCount(): number {
    const set = this.setBits();
    if (set >= this.numBits) return Number.POSITIVE_INFINITY;
    return Math.round((-this.numBits / this.k) * Math.log(1 - set / this.numBits));
  }

  /** False-positive probability expected from the current fill: (set bits / m)^k. */
  expectedFpp(): number {
    return (this.setBits() / this.numBits) ** this.k;
  }

  /** Number of bits set. */
  setBits(): number {
    const bytes = this.bytes;
    let n = 0;
    for (let i = HEADER_BYTES; i < bytes.length; i++) {
      let b = bytes[i];
      b = b - ((b >>> 1) & 0x55);
      b = (b & 0x33) + ((b >>> 2) & 0x33);
      n += (b + (b >>> 4)) & 0x0f;
    }
    return n;
  }

  /** The serialised filter: the filter's own memory (see the module comment). */
  toBytes(): Uint8Array {
    new DataView(this.bytes.buffer, this.bytes.byteOffset, HEADER_BYTES).setUint32(
      8,
      this.insertions >>> 0,
      true,
    );
    return this.bytes;
  }
}

/**
 * Builds one block's filter when the number of distinct tokens isn't known in advance: `add`
 * token hashes as rows arrive (duplicates are free), then `build()` at block seal sizes the
 * filter from the distinct count. `reset()` reuses the memory for the next block.
 */
export class BloomBuilder {
  private readonly distinct: Uint32Set;
  private readonly fpp: number;

  constructor(fpp: number = DEFAULT_FPP, initialCapacity = 16384) {
    if (!(fpp > 0 && fpp < 1)) throw new RangeError(`bloom filter fpp must be in (0, 1), got ${fpp}`);
    this.fpp = fpp;
    this.distinct = new Uint32Set(initialCapacity);
  }

  add(hash: number): void {
    this.distinct.add(hash);
  }

  addAll(hashes: ArrayLike<number>): void {
    this.distinct.addAll(hashes);
  }

  get distinctCount(): number {
    return this.distinct.size;
  }

  /** A filter holding every hash added since the last reset, sized for their distinct count. */
  build(): BloomFilter {
    const f = BloomFilter.forCount(this.distinct.size, this.fpp);
    this.distinct.forEach((h) => {
      f.add(h);
    });
    return f;
  }

  reset(): void {
    this.distinct.clear();
  }
}
