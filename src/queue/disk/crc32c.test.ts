import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c } from './crc32c.ts';

/** Bit-at-a-time reference implementation, straight from the definition. */
function reference(buf: Uint8Array): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

test('crc32c: standard check value and known vectors (RFC 3720 B.4)', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(0)), 0);
  assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa);
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  const inc = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) inc[i] = i;
  assert.equal(crc32c(inc), 0x46dd794e);
});

test('crc32c: matches the bitwise reference for every length 0..100 and at any alignment', () => {
  const buf = Buffer.alloc(200);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 2654435761) >>> 24;
  for (let len = 0; len <= 100; len++) {
    for (const start of [0, 1, 7, 13]) {
      assert.equal(crc32c(buf, 0, start, start + len), reference(buf.subarray(start, start + len)));
    }
  }
});

test('crc32c: continuing from a previous crc equals one pass', () => {
  const buf = Buffer.from('the quick brown fox jumps over the lazy dog, twice over and again');
  const whole = crc32c(buf);
  for (const cut of [0, 1, 16, 17, 40, buf.length]) {
    assert.equal(crc32c(buf, crc32c(buf, 0, 0, cut), cut), whole);
  }
});

test('crc32c: views sharing one ArrayBuffer at different offsets, in any order', () => {
  const backing = new Uint8Array(300);
  for (let i = 0; i < backing.length; i++) backing[i] = (i * 40503) >>> 3;
  const views = [0, 5, 64, 131].map((off) => new Uint8Array(backing.buffer, off, 100 + (off % 7)));
  for (let round = 0; round < 3; round++) {
    for (const v of round === 1 ? [...views].reverse() : views) {
      assert.equal(crc32c(v), reference(v));
      assert.equal(crc32c(v, 0, 3, 90), reference(v.subarray(3, 90)));
    }
  }
});
