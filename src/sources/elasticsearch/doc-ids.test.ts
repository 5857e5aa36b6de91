import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { DiskQueue } from '../../queue/disk/disk-queue.ts';
import { DocIds, docIdKey, ES_ID_HEADER } from './doc-ids.ts';

const logger = pino({ level: 'silent' });

async function openQueue(dir: string): Promise<DiskQueue> {
  const q = new DiskQueue({ dir: path.join(dir, 'queue'), logger });
  await q.open();
  await q.createTopic('ingest', 2);
  return q;
}

test('keys: per index and id, 16 hex digits, stable', () => {
  assert.match(docIdKey('app', '1'), /^[0-9a-f]{16}$/);
  assert.equal(docIdKey('app', '1'), docIdKey('app', '1'));
  assert.notEqual(docIdKey('app', '1'), docIdKey('app2', '1'));
  // The separator keeps (index, id) pairs apart that concatenate to the same text.
  assert.notEqual(docIdKey('ab', 'c'), docIdKey('a', 'bc'));
});

test('claim / settle: stored, in flight, freed on failure; the journal survives reopening', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-docids-'));
  const q = await openQueue(dir);
  const ids = new DocIds(path.join(dir, 'es'), logger);
  await ids.open(q, 'ingest');
  const [a, b, c] = ['a', 'b', 'c'].map((x) => docIdKey('app', x));
  assert.equal(ids.claim(a), 'claimed');
  assert.equal(ids.claim(a), 'in_flight');
  assert.equal(ids.claim(b), 'claimed');
  await ids.settle([a], [b]);
  assert.equal(ids.claim(a), 'stored');
  assert.equal(ids.claim(b), 'claimed', 'a failed id is free again');
  await ids.settle([b, c], []);
  await ids.close();
  assert.equal(fs.statSync(path.join(dir, 'es', 'doc-ids')).size, 24);

  const again = new DocIds(path.join(dir, 'es'), logger);
  await again.open(q, 'ingest');
  assert.equal(again.size, 3);
  for (const k of [a, b, c]) assert.equal(again.claim(k), 'stored');
  await again.close();
  await q.close();
});

test('ids that reached the queue but not the journal (a crash in between) are recovered from the headers', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-docids-'));
  const q = await openQueue(dir);
  const keys = Array.from({ length: 50 }, (_, i) => docIdKey('app', `doc-${i}`));
  // What the bulk source appends: the document, with its key in the header (no journal write).
  await q.produce(
    'ingest',
    1,
    keys.map((k, i) => ({ value: Buffer.from(`{"n":${i}}`), headers: { [ES_ID_HEADER]: k } })),
  );
  await q.produce('ingest', 0, [{ value: Buffer.from('{"no":"id"}') }]);
  // A torn journal record (crash mid-write) is dropped, not misread.
  fs.mkdirSync(path.join(dir, 'es'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'es', 'doc-ids'), Buffer.from([1, 2, 3]));
  const ids = new DocIds(path.join(dir, 'es'), logger);
  await ids.open(q, 'ingest');
  assert.equal(ids.size, 50);
  for (const k of keys) assert.equal(ids.claim(k), 'stored');
  assert.equal(ids.claim(docIdKey('app', 'doc-50')), 'claimed');
  await ids.close();
  // ... and journaled now, so they outlive the queue segments.
  assert.equal(fs.statSync(path.join(dir, 'es', 'doc-ids')).size, 50 * 8);
  await q.close();
});

test("the start-up scan reads only messages stamped since the journal's last write minus the margin", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-docids-'));
  const q = await openQueue(dir);
  const old = Array.from({ length: 300 }, (_, i) => docIdKey('app', `old-${i}`));
  const recent = Array.from({ length: 300 }, (_, i) => docIdKey('app', `new-${i}`));
  const hourAgo = Date.now() - 3_600_000;
  // Old messages (an hour ago, long before the journal's last write) in many small produces, so
  // the binary search has offsets to bisect; then recent ones that the journal never got.
  for (let i = 0; i < old.length; i += 10)
    await q.produce(
      'ingest',
      0,
      old
        .slice(i, i + 10)
        .map((k) => ({ value: Buffer.from('{}'), timestamp: hourAgo, headers: { [ES_ID_HEADER]: k } })),
    );
  for (let i = 0; i < recent.length; i += 10)
    await q.produce(
      'ingest',
      0,
      recent.slice(i, i + 10).map((k) => ({ value: Buffer.from('{}'), headers: { [ES_ID_HEADER]: k } })),
    );
  const ids = new DocIds(path.join(dir, 'es'), logger);
  await ids.open(q, 'ingest');
  assert.equal(ids.size, 300, 'only the recent ones were read from the queue');
  for (const k of recent) assert.equal(ids.claim(k), 'stored');
  assert.equal(ids.claim(old[0]), 'claimed');
  await ids.close();
  await q.close();
});

test('many ids: the set grows and keeps every one', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-docids-'));
  const q = await openQueue(dir);
  const ids = new DocIds(path.join(dir, 'es'), logger);
  await ids.open(q, 'ingest');
  const keys = Array.from({ length: 20_000 }, (_, i) => docIdKey('big', String(i)));
  for (const k of keys) assert.equal(ids.claim(k), 'claimed');
  await ids.settle(keys, []);
  assert.equal(ids.size, 20_000);
  assert.ok(keys.every((k) => ids.claim(k) === 'stored'));
  assert.equal(ids.claim(docIdKey('big', '20000')), 'claimed');
  await ids.close();
  await q.close();
});
