import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBatchBuilder, type EventBatch, mergeBatches } from '../core/event-batch.ts';
import type { FieldValue } from '../core/event.ts';
import { Uint32Set } from '../core/uint32-set.ts';
import { mulberry32 } from '../../test/prng.ts';
import { sliceBatch } from './batch-slice.ts';

/** A merged batch of `segments` worker batches of random sizes, fields and token hashes. */
function randomBatch(seed: number, segments: number): EventBatch {
  const rnd = mulberry32(seed);
  const parts: EventBatch[] = [];
  let row = 0;
  for (let s = 0; s < segments; s++) {
    const b = new EventBatchBuilder(new Uint32Set(16));
    const n = 1 + Math.floor(rnd() * 20);
    for (let i = 0; i < n; i++, row++) {
      const fields: Record<string, FieldValue> = {};
      for (let j = Math.floor(rnd() * 4); j > 0; j--) fields[`f${j}`] = rnd() < 0.5 ? row : `v${row}`;
      b.hashes.add(Math.floor(rnd() * 50));
      b.add(row, {
        _id: '',
        _time: row,
        _ingest_time: row,
        stream: `s${row % 3}`,
        message: `m${row} ${['a', 'b', 'c'][row % 3]}`,
        level: 'info',
        host: `h${row}`,
        service: '',
        fields,
      });
    }
    parts.push(b.build());
  }
  return mergeBatches(parts);
}

/** Row i of a batch with its fields, and the token hashes of the segment that holds it. */
function rowOf(b: EventBatch, i: number) {
  let k = 0;
  while (b.segs[k + 1] <= i) k++;
  const fields: Record<string, FieldValue> = {};
  for (let j = b.fstart[i]; j < b.fstart[i + 1]; j++) fields[b.fkeys[j]] = b.fvals[j];
  return {
    row: [b.qpos[i], b.time[i], b.ingest[i], b.stream[i], b.message[i], b.level[i], b.host[i], b.service[i]],
    template: b.tdict[b.tmpl[i]],
    fields,
    hashes: new Set(b.dhash.subarray(b.hsegs[k], b.hsegs[k + 1])),
  };
}

describe('sliceBatch', () => {
  it('property: every row keeps its values and its segment token hashes, at every cut', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const b = randomBatch(seed, 1 + (seed % 5));
      const rnd = mulberry32(seed * 7);
      const start = Math.floor(rnd() * b.n);
      const end = start + 1 + Math.floor(rnd() * (b.n - start));
      const s = sliceBatch(b, start, end);
      assert.equal(s.n, end - start);
      assert.equal(s.segs[0], 0);
      assert.equal(s.segs.at(-1), s.n);
      assert.equal(s.hsegs[0], 0);
      assert.equal(s.hsegs.at(-1), s.dhash.length);
      assert.equal(s.fstart[s.n], s.fkeys.length);
      for (let i = 0; i < s.n; i++) {
        const got = rowOf(s, i);
        const want = rowOf(b, start + i);
        assert.deepEqual(got.row, want.row, `seed ${seed} row ${i}`);
        assert.equal(got.template, want.template, `seed ${seed} row ${i}`);
        // `m<row> a` has the template `<slot> a`.
        assert.equal(got.template, `\uE000 ${String(got.row[4]).split(' ')[1]}`, `seed ${seed} row ${i}`);
        assert.deepEqual(got.fields, want.fields, `seed ${seed} row ${i}`);
        assert.deepEqual(got.hashes, want.hashes, `seed ${seed} row ${i}`);
      }
    }
  });

  it('the two sides of a cut put back together hold the batch', () => {
    const b = randomBatch(99, 6);
    for (let cut = 1; cut < b.n; cut++) {
      const m = mergeBatches([sliceBatch(b, 0, cut), sliceBatch(b, cut, b.n)]);
      assert.deepEqual([...m.qpos], [...b.qpos]);
      assert.deepEqual(m.message, b.message);
      assert.deepEqual(m.fkeys, b.fkeys);
      assert.deepEqual([...m.fstart], [...b.fstart]);
    }
  });

  it('the whole batch is returned as is; an empty or out-of-range slice is a bug', () => {
    const b = randomBatch(5, 2);
    assert.equal(sliceBatch(b, 0, b.n), b);
    assert.throws(() => sliceBatch(b, 3, 3), /BUG/);
    assert.throws(() => sliceBatch(b, 0, b.n + 1), /BUG/);
  });
});
