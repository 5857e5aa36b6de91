import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { DiskQueue } from '../../queue/disk/disk-queue.ts';
import { newSourceStats } from '../net/source-stats.ts';
import { type BulkDeps, filterBulkAnswer, handleBulk } from './bulk.ts';
import { DocIds } from './doc-ids.ts';

const logger = pino({ level: 'silent' });

async function setup(maxBytes: number): Promise<{ q: DiskQueue; deps: BulkDeps }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-bulk-'));
  const q = new DiskQueue({ dir: path.join(dir, 'queue'), maxBytes, segmentBytes: maxBytes, logger });
  await q.open();
  await q.createTopic('ingest', 1);
  const docIds = new DocIds(path.join(dir, 'es'), logger);
  await docIds.open(q, 'ingest');
  return {
    q,
    deps: {
      queue: q,
      topic: 'ingest',
      maxBodyBytes: 64 << 20,
      maxLineBytes: 1 << 20,
      counters: newSourceStats(),
      docIds,
    },
  };
}

function body(n: number, withIds: boolean): Readable {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(withIds ? `{"index":{"_index":"app","_id":"d${i}"}}` : '{"index":{"_index":"app"}}');
    lines.push(`{"message":"event number ${i} ${'x'.repeat(40)}"}`);
  }
  // Chunks of 64 KiB, as a socket delivers them.
  const text = Buffer.from(`${lines.join('\n')}\n`);
  const chunks: Buffer[] = [];
  for (let i = 0; i < text.length; i += 65536) chunks.push(text.subarray(i, i + 65536));
  return Readable.from(chunks);
}

test('a full queue answers 429 for exactly the items it could not take; a retry stores nothing twice', async () => {
  // Documents are appended in chunks of about 10,000 (checked per 64 KiB of body): the first
  // chunk (about 1.6 MB in the queue) fits, the second does not.
  const { q, deps } = await setup(2_000_000);
  const answer = await handleBulk(body(15_000, true), undefined, null, deps);
  const statuses = answer.items.map((it) => it.index.status);
  const created = statuses.filter((s) => s === 201).length;
  const rejected = statuses.filter((s) => s === 429).length;
  assert.ok(created >= 10_000 && created < 15_000, `${created} created`);
  assert.equal(rejected, 15_000 - created);
  assert.deepEqual(statuses.slice(0, created), new Array(created).fill(201), 'the appended ones come first');
  assert.equal(answer.errors, true);
  const err = answer.items[created].index.error as { type: string; reason: string };
  assert.equal(err.type, 'es_rejected_execution_exception');
  assert.match(err.reason, /queue is full/);
  assert.equal(deps.counters.accepted, created);
  assert.equal(deps.counters.dropped.queue_full, rejected);
  // The stored `_id`s and queue positions in the answer are the real ones.
  const stored = await q.fetch('ingest', 0, 0, { maxBytes: 1 << 30 });
  assert.equal(stored.length, created);
  assert.equal(answer.items[created - 1].index._seq_no, created - 1);

  // The client retries the whole request while the queue is still full: the stored ones are
  // no-ops (taking no room); the others were freed by the failed attempt, so they are tried
  // again (queue full again), not refused as a concurrent write of the same _id.
  const retry = await handleBulk(body(15_000, true), undefined, null, deps);
  const st2 = retry.items.map((it) => it.index.status);
  assert.deepEqual(st2.slice(0, created), new Array(created).fill(200));
  assert.equal(retry.items[0].index.result, 'noop');
  assert.deepEqual(st2.slice(created), new Array(rejected).fill(429));
  assert.equal(
    (retry.items[created].index.error as { type: string }).type,
    'es_rejected_execution_exception',
  );
  assert.equal(deps.counters.dropped.duplicate_id, created);
  assert.equal(
    (await q.fetch('ingest', 0, 0, { maxBytes: 1 << 30 })).length,
    created,
    'nothing stored twice',
  );
  await deps.docIds.close();
  await q.close();
});

test('malformed lines: per item, with the line number; an action without a source line', async () => {
  const { q, deps } = await setup(64 << 20);
  const text = [
    '{"index":{"_index":"app"}}',
    '{"message":"ok"}',
    '[1,2]',
    '{"message":"source of a broken action, skipped"}',
    '{"update":{"_index":"app","_id":"1"}}',
    '{"doc":{"a":1}}',
    '{"create":{}}',
    '{"message":"no index"}',
    '{"index":{"_index":"app"}}',
    '{"message":"\u00ff"}',
    '{"index":{"_index":"app"}}',
  ].join('\n');
  // Line 10 carries a lone 0xff byte (invalid UTF-8) inside its string.
  const bytes = Buffer.from(text);
  bytes[bytes.indexOf(Buffer.from('\u00ff'))] = 0x20;
  bytes[bytes.indexOf(0xbf)] = 0xff;
  const answer = await handleBulk(Readable.from([bytes]), undefined, null, deps);
  const flat = answer.items.map((it) => {
    const [op, r] = Object.entries(it)[0];
    return [op, r.status, (r.error as { reason?: string } | undefined)?.reason ?? ''];
  });
  assert.deepEqual(
    flat.map(([op, st]) => [op, st]),
    [
      ['index', 201],
      ['index', 400],
      ['update', 400],
      ['create', 400],
      ['index', 400],
      ['index', 400],
    ],
  );
  assert.match(String(flat[1][2]), /^line 3: expected an action line/);
  assert.match(String(flat[2][2]), /^line 5: action \[update\] is not supported/);
  assert.match(String(flat[3][2]), /^line 7: index is missing/);
  assert.match(String(flat[4][2]), /^line 10: the document is not valid UTF-8/);
  assert.match(String(flat[5][2]), /^line 11: the action has no source line/);
  assert.equal(deps.counters.received, 6);
  assert.equal(deps.counters.accepted, 1);
  assert.deepEqual(deps.counters.rejected, { malformed: 3, unsupported_action: 1, invalid_utf8: 1 });
  await deps.docIds.close();
  await q.close();
});

test('filter_path: top-level names and items.*.field; empty items are left out', () => {
  const answer: Parameters<typeof filterBulkAnswer>[0] = {
    took: 3,
    errors: true,
    items: [
      { index: { _index: 'a', _id: '1', status: 201, result: 'created' } },
      { create: { _index: 'a', _id: null, status: 400, error: { type: 't', reason: 'r' } } },
    ],
  };
  assert.deepEqual(filterBulkAnswer(answer, 'errors,items.*.error,items.*.status'), {
    errors: true,
    items: [{ index: { status: 201 } }, { create: { status: 400, error: { type: 't', reason: 'r' } } }],
  });
  assert.deepEqual(filterBulkAnswer(answer, 'items.*.error'), {
    items: [{ create: { error: { type: 't', reason: 'r' } } }],
  });
  assert.deepEqual(filterBulkAnswer(answer, 'took'), { took: 3 });
});
