import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QueueMessage } from '../queue.ts';
import {
  END_OF_BATCH,
  encodeBatch,
  parseSegmentFileName,
  RECORD_HEADER_SIZE,
  recordSize,
  SparseIndex,
  segmentFileName,
} from './segment.ts';

test('segment file names are the base offset in 20 digits', () => {
  assert.equal(segmentFileName(0), '00000000000000000000.log');
  assert.equal(segmentFileName(1234567), '00000000000001234567.log');
  assert.equal(parseSegmentFileName('00000000000001234567.log'), 1234567);
  for (const bad of ['1234.log', '00000000000001234567.index', 'x0000000000001234567.log', '.lock']) {
    assert.equal(parseSegmentFileName(bad), -1, bad);
  }
});

test('encodeBatch writes exactly the recordSize of each message, END_OF_BATCH on the last only', () => {
  const messages: QueueMessage[] = [
    { value: Buffer.from('a') },
    { key: Buffer.from('kk'), value: Buffer.alloc(300, 1), headers: { é: '결제', x: '' } },
    { key: null, value: Buffer.alloc(0), headers: {}, timestamp: 2 ** 40 + 5 },
  ];
  const sizes = messages.map(recordSize);
  assert.equal(sizes[0], RECORD_HEADER_SIZE + 1);
  assert.equal(sizes[1], RECORD_HEADER_SIZE + 2 + 300 + 2 + (2 + 2 + 4 + 6) + (2 + 1 + 4));
  const total = sizes.reduce((a, b) => a + b);
  const out = Buffer.alloc(total + 10);
  const index = new SparseIndex(64);
  const end = encodeBatch(out, 10, messages, 1000, 99, index, 500 - 10, 990);
  assert.equal(end, total + 10);
  let pos = 10;
  for (const [i, size] of sizes.entries()) {
    assert.equal(out.readUInt32LE(pos), size - 4);
    assert.equal(out[pos + 8], i === 2 ? END_OF_BATCH : 0);
    assert.equal(out.readUInt32LE(pos + 9), 1000 + i);
    pos += size;
  }
  // Records at file positions 500, 538 (< 500 + 64: no entry) and 538 + sizes[1].
  assert.deepEqual(index.relOffsets, [10, 12]);
  assert.deepEqual(index.positions, [500, 500 + sizes[0]! + sizes[1]!]);
});

test('recordSize rejects malformed messages with LW_ERR_BAD_PARAM', () => {
  const bad = [
    { value: 'text' },
    { value: Buffer.alloc(1), key: 'k' },
    { value: Buffer.alloc(1), timestamp: Number.NaN },
    { value: Buffer.alloc(1), headers: { a: 1 } },
  ] as unknown as QueueMessage[];
  for (const m of bad) assert.throws(() => recordSize(m), { code: 'LW_ERR_BAD_PARAM' });
});

test('SparseIndex: lookup finds the last entry at or before, reset rolls back', () => {
  const index = new SparseIndex(100);
  index.add(0, 0);
  index.add(1, 50); // too close: skipped
  index.add(3, 120);
  index.add(7, 260);
  assert.deepEqual(index.relOffsets, [0, 3, 7]);
  assert.equal(index.lookup(0), 0);
  assert.equal(index.lookup(2), 0);
  assert.equal(index.lookup(3), 120);
  assert.equal(index.lookup(6), 120);
  assert.equal(index.lookup(1000), 260);
  const mark = index.mark();
  index.add(9, 400);
  index.reset(mark);
  assert.deepEqual(index.positions, [0, 120, 260]);
  assert.equal(index.nextAt, 360);
  index.reset(0);
  assert.equal(index.lookup(5), 0);
  assert.equal(index.nextAt, 0);
});
