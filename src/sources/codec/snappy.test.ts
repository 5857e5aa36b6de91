import assert from 'node:assert/strict';
import { test } from 'node:test';
// An independent snappy implementation (Rust `snap` compiled to WebAssembly, a dependency of
// @platformatic/kafka): what it compresses, we must decompress to the same bytes.
import { snappyCompress } from '@platformatic/wasm-utils';
import { mulberry32 } from '../../../test/prng.ts';
import { SnappyError, SnappyTooLargeError, snappyDecompress } from './snappy.ts';

const MAX = 1 << 20;
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('hand-built blocks: every element kind', () => {
  const cases: Array<[string, string, string]> = [
    ['empty', '00', ''],
    ['one literal', '05 10 68656c6c6f', 'hello'],
    // "abcd" then copy-1 (len 4 + 0, offset 4) -> "abcdabcd"
    ['copy with 1-byte offset', '08 0c 61626364 01 04', 'abcdabcd'],
    // copy-2: tag (len-1)<<2 | 2, offset LE16
    ['copy with 2-byte offset', '08 0c 61626364 0e 0400', 'abcdabcd'],
    ['copy with 4-byte offset', '08 0c 61626364 0f 04000000', 'abcdabcd'],
    // overlapping copy: "a" then copy len 7 offset 1 -> "aaaaaaaa"
    ['overlapping copy (run)', '08 00 61 0d 01', 'aaaaaaaa'],
  ];
  for (const [name, input, want] of cases) {
    assert.equal(snappyDecompress(hex(input), MAX).toString(), want, name);
  }
  // Literal lengths carried in 1 and 2 extra bytes (tag 60<<2 and 61<<2).
  const lit100 = Buffer.alloc(100, 0x78);
  assert.deepEqual(snappyDecompress(Buffer.concat([hex('64 f0 63'), lit100]), MAX), lit100);
  const lit300 = Buffer.alloc(300, 0x79);
  assert.deepEqual(snappyDecompress(Buffer.concat([hex('ac02 f4 2b01'), lit300]), MAX), lit300);
});

test('agrees with an independent implementation on seeded inputs', () => {
  const rnd = mulberry32(7);
  for (let k = 0; k < 300; k++) {
    const n = Math.floor(rnd() * 70_000);
    const b = Buffer.alloc(n);
    // Text-like data with repeats of varied distance, so all copy kinds occur.
    const words = ['GET ', '/api/v1/', 'level=info ', '200 ', 'payment-api ', '결제 ', '\n'];
    for (let i = 0; i < n; ) {
      if (rnd() < 0.2) b[i++] = Math.floor(rnd() * 256);
      else {
        const w = Buffer.from(words[Math.floor(rnd() * words.length)]);
        w.copy(b, i, 0, Math.min(w.length, n - i));
        i += w.length;
      }
    }
    const c = snappyCompress(b);
    assert.deepEqual(snappyDecompress(c, MAX), b, `case ${k}, ${n} bytes`);
  }
});

test('malformed blocks throw a SnappyError with a position', () => {
  const bad: Array<[string, string, RegExp]> = [
    ['no preamble', '', /truncated length preamble at byte 0/],
    ['preamble too long', 'ffffffffff01', /longer than 5 bytes/],
    ['literal past the end', '05 10 6865', /truncated literal of 5 bytes at byte 1/],
    ['copy before start', '04 01 04', /copy offset 4 outside the output at byte 1/],
    ['offset zero', '08 0c 61626364 01 00', /copy offset 0/],
    ['output longer than declared', '02 0c 61626364', /longer than the declared length/],
    ['output shorter than declared', '09 0c 61626364', /output is 4 bytes, the preamble declared 9/],
    ['truncated copy', '08 0c 61626364 02', /truncated copy/],
    ['truncated literal length', '64 f0', /truncated literal length/],
  ];
  for (const [name, input, re] of bad) {
    assert.throws(
      () => snappyDecompress(hex(input), MAX),
      (e: Error) => e instanceof SnappyError && re.test(e.message),
      name,
    );
  }
});

test('a declared size over the limit is refused before allocating', () => {
  // 4 GiB - 1 declared by a 5-byte body.
  assert.throws(() => snappyDecompress(hex('ffffffff0f'), MAX), SnappyTooLargeError);
  assert.throws(
    () => snappyDecompress(hex('0a 24 6162636465666768696a'), 5),
    /declares 10 decoded bytes, over the limit of 5/,
  );
});

test('fuzz: truncated and mutated blocks never throw anything but SnappyError', () => {
  const rnd = mulberry32(99);
  const base = snappyCompress(Buffer.from('the quick brown fox jumps over the lazy dog; '.repeat(40)));
  let ok = 0;
  for (let k = 0; k < 20_000; k++) {
    const b = Buffer.from(base);
    const cut = rnd() < 0.3 ? Math.floor(rnd() * b.length) : b.length;
    for (let e = Math.floor(rnd() * 4); e >= 0; e--)
      b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
    try {
      const out = snappyDecompress(b.subarray(0, cut), MAX);
      assert.ok(out.length <= MAX);
      ok++;
    } catch (err) {
      assert.ok(err instanceof SnappyError || err instanceof SnappyTooLargeError, String(err));
    }
  }
  assert.ok(ok > 0, 'some mutations still decode');
});
