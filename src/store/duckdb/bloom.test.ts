import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashToken, queryTokenHashes, tokenHashes } from '../../core/tokenize.ts';
import { BLOOM_VERSION, BloomBuilder, BloomFilter, Uint32Set } from './bloom.ts';
import { mulberry32u32 as mulberry32 } from '../../../test/prng.ts';

/** Distinct random 32-bit values. */
function distinctHashes(rnd: () => number, n: number): number[] {
  const set = new Set<number>();
  while (set.size < n) set.add(rnd());
  return [...set];
}

describe('BloomFilter', () => {
  it('sizes for the count and fpp', () => {
    const f = BloomFilter.forCount(10_000, 0.01);
    assert.equal(f.k, 7);
    assert.ok(f.numBits >= 95_850 && f.numBits <= 95_860, String(f.numBits));
    assert.equal(f.numBits % 8, 0);
    assert.equal(f.bytes.length, 12 + f.numBits / 8);
    const empty = BloomFilter.forCount(0);
    assert.equal(empty.numBits, 64);
    assert.equal(empty.has(hashToken('anything')), false);
  });

  it('rejects a bad fpp or count', () => {
    assert.throws(() => BloomFilter.forCount(10, 0), RangeError);
    assert.throws(() => BloomFilter.forCount(10, 1), RangeError);
    assert.throws(() => BloomFilter.forCount(-1, 0.01), RangeError);
    assert.throws(() => BloomFilter.withBits(1024, 0), RangeError);
  });

  it('property: no false negatives', () => {
    const rnd = mulberry32(1);
    for (const n of [0, 1, 2, 10, 100, 1000, 20_000]) {
      for (const fpp of [0.2, 0.01, 0.001]) {
        const hashes = distinctHashes(rnd, n);
        hashes.push(0, 0xffffffff);
        const f = BloomFilter.forCount(hashes.length, fpp);
        f.addAll(hashes);
        for (const h of hashes) assert.ok(f.has(h), `n=${n} fpp=${fpp} h=${h}`);
        assert.ok(f.hasAll(hashes));
      }
    }
  });

  for (const [n, fpp] of [
    [10_000, 0.01],
    [50_000, 0.01],
    [20_000, 0.001],
    [5_000, 0.05],
  ] as const) {
    it(`measured false-positive rate is within 2x of ${fpp} (n=${n})`, () => {
      const rnd = mulberry32(n);
      const all = distinctHashes(rnd, n + 200_000);
      const f = BloomFilter.forCount(n, fpp);
      f.addAll(all.slice(0, n));
      let fp = 0;
      for (let i = n; i < all.length; i++) if (f.has(all[i])) fp++;
      const rate = fp / (all.length - n);
      assert.ok(rate <= fpp * 2 && rate >= fpp / 2, `rate ${rate} for target ${fpp}`);
      assert.ok(Math.abs(f.estimatedCount() - n) / n < 0.05, `estimated ${f.estimatedCount()} for ${n}`);
      assert.ok(f.expectedFpp() <= fpp * 1.2, `expected ${f.expectedFpp()}`);
    });
  }

  it('false-positive rate holds for real token hashes', () => {
    const f = BloomFilter.forCount(20_000, 0.01);
    for (let i = 0; i < 20_000; i++) f.add(hashToken(`user${i}`));
    let fp = 0;
    for (let i = 0; i < 100_000; i++) if (f.has(hashToken(`other${i}`))) fp++;
    assert.ok(fp / 100_000 < 0.02, `rate ${fp / 100_000}`);
  });

  it('hasAll is true for an empty list', () => {
    assert.equal(BloomFilter.forCount(10).hasAll([]), true);
  });

  it('serialisation round trip', () => {
    const rnd = mulberry32(3);
    const hashes = distinctHashes(rnd, 5000);
    const f = BloomFilter.forCount(hashes.length, 0.01);
    f.addAll(hashes);
    const bytes = f.toBytes();
    assert.equal(bytes[0], BLOOM_VERSION);
    assert.equal(bytes[1], f.k);
    // Through a Buffer at an unaligned offset, as a BLOB may come back from DuckDB.
    const copy = Buffer.alloc(bytes.length + 3);
    copy.set(bytes, 3);
    const g = BloomFilter.fromBytes(copy.subarray(3));
    assert.equal(g.k, f.k);
    assert.equal(g.numBits, f.numBits);
    assert.equal(g.insertionCount, 5000);
    for (const h of hashes) assert.ok(g.has(h));
    const probes = distinctHashes(rnd, 10_000);
    for (const h of probes) assert.equal(g.has(h), f.has(h));
    assert.deepEqual(Buffer.from(g.toBytes()), Buffer.from(bytes));
  });

  it('fromBytes rejects what it cannot read', () => {
    const good = BloomFilter.forCount(100).toBytes();
    assert.throws(() => BloomFilter.fromBytes(good.subarray(0, 5)), /cannot parse bloom filter/);
    assert.throws(
      () => BloomFilter.fromBytes(good.subarray(0, good.length - 1)),
      /cannot parse bloom filter/,
    );
    const badVersion = Uint8Array.from(good);
    badVersion[0] = 99;
    assert.throws(() => BloomFilter.fromBytes(badVersion), /unknown version 99/);
    const badK = Uint8Array.from(good);
    badK[1] = 0;
    assert.throws(() => BloomFilter.fromBytes(badK), /k = 0/);
  });
});

describe('Uint32Set', () => {
  it('property: behaves like Set<number> across growth and clear', () => {
    const rnd = mulberry32(5);
    const s = new Uint32Set(4);
    for (let round = 0; round < 3; round++) {
      const ref = new Set<number>();
      for (let i = 0; i < 30_000; i++) {
        // Many repeats, and 0 which the table uses as its empty marker.
        const v = i % 7 === 0 ? 0 : rnd() % 20_000;
        assert.equal(s.add(v), !ref.has(v));
        ref.add(v);
      }
      assert.equal(s.size, ref.size);
      for (const v of ref) assert.ok(s.has(v));
      assert.equal(s.has(20_001), false);
      const seen: number[] = [];
      s.forEach((h) => {
        seen.push(h);
      });
      assert.deepEqual(
        seen.sort((a, b) => a - b),
        [...ref].sort((a, b) => a - b),
      );
      s.clear();
      assert.equal(s.size, 0);
      assert.equal(s.has(0), false);
    }
  });
});

describe('BloomBuilder', () => {
  it('sizes the block filter from the distinct token count', () => {
    const b = new BloomBuilder(0.01);
    const hashes: number[] = [];
    for (let row = 0; row < 8192; row++) {
      hashes.length = 0;
      const id = (Math.imul(row + 1, 0x9e3779b1) >>> 0).toString(16).padStart(8, '0');
      tokenHashes(
        `user 김철수 결제를 요청했습니다 from 10.0.${row >> 8}.${row & 255} request_id=${id}`,
        hashes,
      );
      b.addAll(hashes);
    }
    // 11 fixed tokens + 32 third octets + 256 fourth octets (overlapping) + 8192 ids.
    assert.ok(b.distinctCount > 8192 && b.distinctCount < 8192 + 300, String(b.distinctCount));
    const f = b.build();
    assert.equal(f.insertionCount, b.distinctCount);
    assert.ok(f.hasAll(queryTokenHashes('결제')));
    const id42 = (Math.imul(43, 0x9e3779b1) >>> 0).toString(16).padStart(8, '0');
    assert.ok(f.hasAll(queryTokenHashes(id42)));
    assert.ok(f.hasAll(queryTokenHashes('10.0.3.7')));
    let misses = 0;
    for (let i = 0; i < 1000; i++) if (!f.hasAll(queryTokenHashes(`Failed password ${i}x`))) misses++;
    assert.ok(misses > 950, String(misses));
    b.reset();
    assert.equal(b.distinctCount, 0);
    assert.equal(b.build().numBits, 64);
  });
});
