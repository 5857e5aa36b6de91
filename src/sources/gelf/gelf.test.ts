/**
 * Unit: GELF message mapping (gelf-message.ts) and chunk reassembly limits (gelf-chunks.ts).
 * End-to-end GELF over real sockets is in test/protocols-stream.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GelfChunkAssembler } from './gelf-chunks.ts';
import { parseGelf } from './gelf-message.ts';

const enc = (o: unknown) => Buffer.from(JSON.stringify(o));

describe('parseGelf', () => {
  it('maps the standard fields and strips the underscore of additional ones', () => {
    const r = parseGelf(
      enc({
        version: '1.1',
        host: 'h',
        short_message: 's',
        full_message: 'f',
        timestamp: 1.5,
        level: 7,
        _a: 1,
        _id: 'no',
        _level: 'x',
        facility: 'old',
      }),
      '10.0.0.1:5',
    );
    assert.ok(r.ok);
    assert.deepEqual(JSON.parse(r.record), {
      _msg: 's',
      full_message: 'f',
      host: 'h',
      _time: 1.5,
      level: 'debug',
      severity: 7,
      remote_addr: '10.0.0.1:5',
      a: 1,
      level_: 'x',
      facility: 'old',
    });
  });
  const bad: Array<[string, Buffer, string]> = [
    ['an array', enc([1]), 'invalid_gelf'],
    ['no short_message', enc({ host: 'h' }), 'invalid_gelf'],
    ['an empty short_message', enc({ short_message: '' }), 'invalid_gelf'],
    ['broken JSON', Buffer.from('{"short_message":'), 'invalid_json'],
    ['a lone surrogate byte sequence', Buffer.from([0x7b, 0xed, 0xa0, 0x80, 0x7d]), 'invalid_utf8'],
  ];
  for (const [what, buf, reason] of bad) {
    it(`rejects ${what} as ${reason}`, () => {
      const r = parseGelf(buf, 'r');
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.reason, reason);
    });
  }
});

function chunk(id: number, seq: number, count: number, part: string): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x1e;
  h[1] = 0x0f;
  h.writeUInt32BE(id, 6);
  h[10] = seq;
  h[11] = count;
  return Buffer.concat([h, Buffer.from(part)]);
}

describe('GelfChunkAssembler', () => {
  const make = (over: Partial<{ maxMessageBytes: number; maxPending: number }> = {}) => {
    const gaveUp: string[] = [];
    const a = new GelfChunkAssembler({
      maxMessageBytes: over.maxMessageBytes ?? 100,
      timeoutMs: 1000,
      maxPending: over.maxPending ?? 10,
      onGiveUp: (reason) => gaveUp.push(reason),
    });
    return { a, gaveUp };
  };

  it('joins chunks in sequence order whatever the arrival order; senders do not mix', () => {
    const { a, gaveUp } = make();
    assert.equal(a.add(chunk(1, 2, 3, 'c'), 'x', 0), null);
    assert.equal(a.add(chunk(1, 0, 3, 'a'), 'y', 0), null); // same id, other sender
    assert.equal(a.add(chunk(1, 0, 3, 'a'), 'x', 0), null);
    assert.equal(a.add(chunk(1, 0, 3, 'a'), 'x', 0), null); // repeated
    assert.equal(a.add(chunk(1, 1, 3, 'b'), 'x', 0)?.toString(), 'abc');
    assert.equal(a.pending, 1);
    assert.deepEqual(gaveUp, []);
  });

  it('gives up sets that time out, overflow the open-set limit, grow too large or are inconsistent', () => {
    const { a, gaveUp } = make({ maxMessageBytes: 5, maxPending: 2 });
    a.add(chunk(1, 0, 2, 'a'), 'x', 0);
    a.add(chunk(2, 0, 2, 'a'), 'x', 500);
    a.add(chunk(3, 0, 2, 'a'), 'x', 600); // evicts set 1
    assert.deepEqual(gaveUp, ['incomplete_chunks']);
    assert.equal(a.sweep(1400), 0);
    assert.equal(a.sweep(1500), 1); // set 2, opened at 500
    a.add(chunk(3, 1, 2, 'toolong'), 'x', 1500);
    a.add(chunk(4, 0, 129, 'a'), 'x', 1500);
    a.add(chunk(5, 0, 2, 'a'), 'x', 1500);
    a.add(chunk(5, 1, 3, 'b'), 'x', 1500);
    assert.deepEqual(gaveUp, [
      'incomplete_chunks',
      'incomplete_chunks',
      'oversized',
      'bad_chunk',
      'bad_chunk',
    ]);
    assert.equal(a.pending, 0);
  });
});
