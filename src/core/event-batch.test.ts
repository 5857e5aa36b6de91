import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogEvent } from './event.ts';
import { EventBatchBuilder, mergeBatches } from './event-batch.ts';

function ev(i: number, fields: LogEvent['fields']): LogEvent {
  return {
    _id: '',
    _time: 1000 + i,
    _ingest_time: 2000 + i,
    stream: 's',
    message: `m${i}`,
    level: 'info',
    host: `h${i}`,
    service: '',
    fields,
  };
}

test('mergeBatches keeps rows, fields and hashes in order', () => {
  const a = new EventBatchBuilder(new Set<number>());
  a.add(1, ev(1, { x: 1 }));
  a.hashes.add(11);
  a.add(2, ev(2, {}));
  const b = new EventBatchBuilder(new Set<number>());
  b.add(3, ev(3, { y: 'z', w: true }));
  b.hashes.add(33);
  const m = mergeBatches([a.build(), b.build()]);
  assert.equal(m.n, 3);
  assert.deepEqual([...m.qpos], [1, 2, 3]);
  assert.deepEqual(m.message, ['m1', 'm2', 'm3']);
  assert.deepEqual([...m.fstart], [0, 1, 1, 3]);
  assert.deepEqual(m.fkeys, ['x', 'y', 'w']);
  assert.deepEqual(m.fvals, [1, 'z', true]);
  assert.deepEqual([...m.dhash], [11, 33]);
  assert.deepEqual([...m.segs], [0, 2, 3]);
  assert.deepEqual([...m.hsegs], [0, 1, 2]);
});
