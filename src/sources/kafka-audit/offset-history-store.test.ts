/**
 * The topic audit's offset history through the real SQLite metadata store: a history saved and
 * loaded into a fresh instance answers every trace the same, chunks beyond the cap are deleted,
 * and the "not yet" bound after a reload is never later than the truth.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SqliteMetaStore } from '../../store/meta/sqlite-meta-store.ts';
import { CHUNK, GroupOffsetHistory, MAX_CHUNKS } from './group-offsets.ts';
import { HISTORY_KIND, OffsetHistoryStore } from './offset-history-store.ts';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'lw-offhist-'));
}

test('a saved history answers every trace the same after a reload', async () => {
  const dir = tmp();
  const meta = new SqliteMetaStore(dir);
  const h = new GroupOffsetHistory();
  const store = new OffsetHistoryStore(meta);
  // Group a advances by 3 every other sample; group b stays at 5 on partition 1.
  let offset = 0;
  for (let i = 0; i < 40; i++) {
    if (i % 2 === 0) offset += 3;
    h.record('a', 'orders', 0, offset, 1_000 + i * 100);
    h.record('b', 'orders', 1, 5, 1_000 + i * 100);
    if (i % 7 === 0) await store.save(h);
  }
  await store.save(h, true);
  await meta.close();

  const meta2 = new SqliteMetaStore(dir);
  const h2 = new GroupOffsetHistory();
  assert.equal(await new OffsetHistoryStore(meta2).load(h2), 0);
  for (let o = 0; o <= offset + 1; o++)
    assert.deepEqual(h2.trace('a', 'orders', 0, o), h.trace('a', 'orders', 0, o));
  assert.deepEqual(h2.trace('b', 'orders', 1, 4), h.trace('b', 'orders', 1, 4));
  assert.deepEqual(h2.groups('orders', 1), ['b']);
  // Independent check of one answer: offset 7 is passed when the committed offset became 9
  // (sample i = 4, t = 1400); the sample before (i = 3, t = 1300) was still at 6.
  const t = h2.trace('a', 'orders', 0, 7)!;
  assert.equal(t.consumed, true);
  assert.equal(t.passedAt, new Date(1400).toISOString());
  assert.equal(t.notYetAt, new Date(1300).toISOString());

  // A restart that resumes sampling keeps the bound: the change after the reload is bracketed
  // by the last sample before it (i = 39, t = 4900) and the new one.
  h2.record('a', 'orders', 0, offset + 3, 9_000);
  const after = h2.trace('a', 'orders', 0, offset)!;
  assert.equal(after.passedAt, new Date(9_000).toISOString());
  assert.equal(after.notYetAt, new Date(4_900).toISOString());
  await meta2.close();
});

test('chunks beyond the cap are dropped from memory and from the store', async () => {
  const meta = new SqliteMetaStore(tmp());
  const h = new GroupOffsetHistory();
  const store = new OffsetHistoryStore(meta);
  const changes = CHUNK * (MAX_CHUNKS + 3);
  for (let i = 0; i < changes; i++) {
    h.record('g', 't', 0, i + 1, i);
    if (i % 997 === 0) await store.save(h);
  }
  await store.save(h);
  const docs = await meta.list(HISTORY_KIND);
  assert.equal(docs.length, MAX_CHUNKS);
  // The oldest kept change is the first sample of the oldest kept chunk.
  const h2 = new GroupOffsetHistory();
  await new OffsetHistoryStore(meta).load(h2);
  const dropped = CHUNK * 3;
  assert.equal(h2.trace('g', 't', 0, 0)!.passedAt, new Date(dropped).toISOString());
  assert.equal(h2.trace('g', 't', 0, changes - 1)!.passedAt, new Date(changes - 1).toISOString());
  await meta.close();
});

test('a malformed document is skipped and counted, the others load', async () => {
  const meta = new SqliteMetaStore(tmp());
  const h = new GroupOffsetHistory();
  h.record('g', 't', 0, 4, 10);
  const store = new OffsetHistoryStore(meta);
  await store.save(h);
  await meta.put(HISTORY_KIND, 'junk', { group: 'g', samples: 'nope' });
  const h2 = new GroupOffsetHistory();
  assert.equal(await store.load(h2), 1);
  assert.equal(h2.trace('g', 't', 0, 3)!.consumed, true);
  await meta.close();
});
