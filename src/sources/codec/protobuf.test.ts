import assert from 'node:assert/strict';
import { test } from 'node:test';
// protobufjs (installed with the OpenTelemetry exporters) is an independent encoder to check
// the reader against.
import protobuf from 'protobufjs';
import { mulberry32 } from '../../../test/prng.ts';
import { ProtoError, ProtoReader, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './protobuf.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('hand-encoded fields of every wire type', () => {
  // field 1 varint 150; field 2 string "testing"; field 3 fixed64 2^40+1; field 4 fixed32 7;
  // field 5 double 1.5; field 6 varint int64 -1 (10 bytes)
  const b = hex(
    '08 9601  12 07 74657374696e67  19 0100000000010000  25 07000000  29 000000000000f83f  30 ffffffffffffffffff01',
  );
  const r = new ProtoReader(b);
  const seen: string[] = [];
  while (r.next()) {
    switch (r.field) {
      case 1:
        assert.equal(r.wire, WIRE_VARINT);
        seen.push(`1=${r.varint()}`);
        break;
      case 2:
        assert.equal(r.wire, WIRE_LEN);
        seen.push(`2=${r.string()}`);
        break;
      case 3:
        assert.equal(r.wire, WIRE_I64);
        seen.push(`3=${r.fixed64()}`);
        break;
      case 4:
        assert.equal(r.wire, WIRE_I32);
        seen.push(`4=${r.fixed32()}`);
        break;
      case 5:
        seen.push(`5=${r.double()}`);
        break;
      case 6:
        seen.push(`6=${r.int64()}`);
        break;
    }
  }
  assert.deepEqual(seen, ['1=150', '2=testing', `3=${2n ** 40n + 1n}`, '4=7', '5=1.5', '6=-1']);
});

test('malformed input throws ProtoError naming the problem and the byte', () => {
  const bad: Array<[string, (r: ProtoReader) => void, RegExp]> = [
    [
      'truncated varint',
      (r) => {
        r.next();
        r.varint();
      },
      /truncated varint at byte 2/,
    ],
    [
      'length past the end',
      (r) => {
        r.next();
        r.string();
      },
      /length 10 past the end of the message at byte 1/,
    ],
    [
      'wire type 3 (group)',
      (r) => {
        r.next();
      },
      /unsupported wire type 3 \(field 1\) at byte 0/,
    ],
    [
      'field number 0',
      (r) => {
        r.next();
      },
      /field number 0 at byte 0/,
    ],
    [
      'varint over 10 bytes',
      (r) => {
        r.next();
        r.varint();
      },
      /varint longer than 10 bytes/,
    ],
    [
      'invalid UTF-8',
      (r) => {
        r.next();
        r.string();
      },
      /invalid UTF-8 in string field 1 at byte 2/,
    ],
    [
      'truncated fixed64',
      (r) => {
        r.next();
        r.fixed64();
      },
      /truncated fixed32 at byte 5/,
    ],
    [
      'truncated double',
      (r) => {
        r.next();
        r.double();
      },
      /truncated double at byte 1/,
    ],
  ];
  const inputs = [
    '08 96',
    '0a 0a 6162',
    '0b',
    '00 01',
    '08 ffffffffffffffffffff01',
    '0a 02 c328',
    '09 01020304 05',
    '09 0102',
  ];
  bad.forEach(([name, fn, re], i) => {
    assert.throws(
      () => fn(new ProtoReader(hex(inputs[i]))),
      (e: Error) => e instanceof ProtoError && re.test(e.message),
      name,
    );
  });
});

const root = protobuf.parse(`
  syntax = "proto3";
  message Inner { string name = 1; sint64 z = 2; bytes raw = 3; }
  message Outer {
    uint64 id = 1; int64 neg = 2; fixed64 t = 3; double d = 4; bool flag = 5;
    repeated Inner items = 6; string text = 7; fixed32 f = 8; float fl = 9; int32 i32 = 10;
  }`).root;
const Outer = root.lookupType('Outer');

interface Decoded {
  id: bigint;
  neg: number;
  t: bigint;
  d: number;
  flag: boolean;
  items: Array<{ name: string; raw: string }>;
  text: string;
  f: number;
  i32: number;
}

function decode(buf: Uint8Array): Decoded {
  const out: Decoded = { id: 0n, neg: 0, t: 0n, d: 0, flag: false, items: [], text: '', f: 0, i32: 0 };
  const r = new ProtoReader(buf);
  while (r.next()) {
    switch (r.field) {
      case 1:
        out.id = r.varint64();
        break;
      case 2:
        out.neg = r.int64();
        break;
      case 3:
        out.t = r.fixed64();
        break;
      case 4:
        out.d = r.double();
        break;
      case 5:
        out.flag = r.bool();
        break;
      case 6: {
        const m = r.message();
        const it = { name: '', raw: '' };
        while (m.next()) {
          if (m.field === 1) it.name = m.string();
          else if (m.field === 3) it.raw = Buffer.from(m.bytes()).toString('hex');
          else m.skip();
        }
        out.items.push(it);
        break;
      }
      case 7:
        out.text = r.string();
        break;
      case 8:
        out.f = r.fixed32();
        break;
      case 10:
        out.i32 = r.int64();
        break;
      default:
        r.skip();
    }
  }
  return out;
}

test('agrees with protobufjs on seeded random messages (and skips unknown fields)', () => {
  const rnd = mulberry32(3);
  const big = () => BigInt(Math.floor(rnd() * 2 ** 32)) * 2n ** 32n + BigInt(Math.floor(rnd() * 2 ** 32));
  for (let k = 0; k < 500; k++) {
    const items = Array.from({ length: Math.floor(rnd() * 4) }, (_, i) => ({
      name: `item ${i} 결제 ${'x'.repeat(Math.floor(rnd() * 200))}`,
      z: -i * 1000,
      raw: Buffer.from([i, 255, 0]),
    }));
    const msg = {
      id: big().toString(),
      neg: -Math.floor(rnd() * 2 ** 50),
      t: big().toString(),
      d: rnd() * 1e6,
      flag: rnd() < 0.5,
      items,
      text: 'hello\u0000\u{1F600}',
      f: Math.floor(rnd() * 2 ** 32),
      fl: 1.25,
      i32: -Math.floor(rnd() * 2 ** 31),
    };
    const buf = Outer.encode(Outer.fromObject(msg)).finish();
    const got = decode(buf);
    assert.equal(got.id.toString(), msg.id);
    assert.equal(got.neg, msg.neg);
    assert.equal(got.t.toString(), msg.t);
    assert.equal(got.d, msg.d);
    assert.equal(got.flag, msg.flag);
    assert.equal(got.text, msg.text);
    assert.equal(got.f, msg.f);
    assert.equal(got.i32, msg.i32);
    assert.deepEqual(
      got.items,
      items.map((i) => ({ name: i.name, raw: i.raw.toString('hex') })),
    );
  }
});

test('fuzz: truncated and mutated messages throw only ProtoError and never read outside the range', () => {
  const rnd = mulberry32(11);
  const base = Outer.encode(
    Outer.fromObject({ id: 5, text: 'abc', items: [{ name: 'n', raw: Buffer.from('zz') }], t: 9, d: 2 }),
  ).finish();
  // The message sits inside a larger buffer whose outer bytes must never be read.
  for (let k = 0; k < 20_000; k++) {
    const b = Buffer.from(base);
    for (let e = Math.floor(rnd() * 3); e >= 0; e--)
      b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
    const cut = Math.floor(rnd() * (b.length + 1));
    const framed = Buffer.concat([Buffer.from([0xff, 0xff]), b.subarray(0, cut), Buffer.alloc(32, 0x0a)]);
    try {
      const r = new ProtoReader(framed, 2, 2 + cut);
      while (r.next()) {
        r.skip();
        assert.ok(r.position <= 2 + cut);
      }
      decode(b.subarray(0, cut));
    } catch (err) {
      assert.ok(err instanceof ProtoError, String(err));
    }
  }
});
