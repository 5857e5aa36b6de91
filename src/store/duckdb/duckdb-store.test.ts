import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { LogEvent } from '../../core/event.ts';
import { EventBatchBuilder } from '../../core/event-batch.ts';
import { toQpos } from '../../core/ids.ts';
import type { FilterNode } from '../../core/query-ast.ts';
import { Uint32Set } from '../../core/uint32-set.ts';
import { parseFilter } from '../../query/parser.ts';
import { eventHashes } from '../../processors/event-tokens.ts';
import { DuckDBStore } from './duckdb-store.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-store-'));
  dirs.push(d);
  return d;
}

const DAY = 86_400_000_000;
const T0 = Date.parse('2026-11-01T00:00:00Z') * 1000;

function ev(i: number, day: number, extra: Partial<LogEvent> = {}): LogEvent {
  return {
    _id: '',
    _time: T0 + day * DAY + i * 1000,
    _ingest_time: T0,
    stream: 'default',
    message: `event number ${i} on day ${day}${i === 777 ? ' zyzzyva' : ''}`,
    level: i % 10 === 0 ? 'error' : 'info',
    host: `host-${i % 7}`,
    service: '',
    fields: { n: i, tag: i % 2 === 0 ? 'even' : 'odd' },
    ...extra,
  };
}

function batch(partition: number, firstOffset: number, events: LogEvent[]) {
  const b = new EventBatchBuilder(new Uint32Set(1024));
  events.forEach((e, k) => {
    eventHashes(e, b.hashes);
    b.add(toQpos(partition, firstOffset + k), e);
  });
  return b.build();
}

const q = (s: string): FilterNode => parseFilter(s);

test('writes are idempotent per queue position, blocks prune, state survives reopen', async () => {
  const dir = tmp();
  const store = new DuckDBStore({ dir, blockRows: 1024 });
  await store.open();
  // 5,000 events on day 0 in batches of 500 (blocks of >= 1024 rows are sealed).
  for (let k = 0; k < 10; k++) {
    const events = Array.from({ length: 500 }, (_, j) => ev(k * 500 + j, 0));
    const r = await store.write('t', batch(0, k * 500, events));
    assert.deepEqual(r, { written: 500, skipped: 0 });
  }
  // A replay of already stored positions is skipped entirely.
  const replay = await store.write(
    't',
    batch(
      0,
      4500,
      Array.from({ length: 500 }, (_, j) => ev(4500 + j, 0)),
    ),
  );
  assert.deepEqual(replay, { written: 0, skipped: 500 });
  assert.equal(store.nextOffset('t', 0), 5000);
  const all = await store.search({ filter: q('*'), start: null, end: null, limit: 0, order: 'desc' });
  assert.equal(all.total, 5000);
  // A rare word: the skip index scans only the block that holds it.
  const rare = await store.search({ filter: q('zyzzyva'), start: null, end: null, limit: 10, order: 'desc' });
  assert.equal(rare.total, 1);
  assert.equal(rare.events[0].n, 777);
  assert.ok(rare.stats.blocksScanned < rare.stats.blocks, JSON.stringify(rare.stats));
  assert.ok(rare.stats.blocksScanned <= 2, JSON.stringify(rare.stats));
  // Typed dynamic fields.
  const cmp = await store.search({
    filter: q('n:>=4990 tag:even'),
    start: null,
    end: null,
    limit: 100,
    order: 'asc',
  });
  assert.deepEqual(
    cmp.events.map((e) => e.n),
    [4990, 4992, 4994, 4996, 4998],
  );
  // A type conflict goes to the overflow column and stays searchable.
  await store.write('t', batch(0, 5000, [ev(5000, 0, { fields: { n: 'not a number', tag: 'odd' } })]));
  const conflict = await store.search({
    filter: q('n:"not a number"'),
    start: null,
    end: null,
    limit: 10,
    order: 'desc',
  });
  assert.equal(conflict.total, 1);
  assert.equal(conflict.events[0].n, 'not a number');
  await store.close();

  const again = new DuckDBStore({ dir, blockRows: 1024 });
  await again.open();
  assert.equal(again.nextOffset('t', 0), 5001);
  // The open block is rebuilt on open: a word only in it is still found through the index.
  const tail = await again.search({
    filter: q('"event number 4999"'),
    start: null,
    end: null,
    limit: 10,
    order: 'desc',
  });
  assert.equal(tail.total, 1);
  const rare2 = await again.search({
    filter: q('zyzzyva'),
    start: null,
    end: null,
    limit: 10,
    order: 'desc',
  });
  assert.equal(rare2.total, 1);
  await again.close();
});

test('time partitions: a range reads only its days; retention drops whole days', async () => {
  const dir = tmp();
  const store = new DuckDBStore({ dir, blockRows: 1024 });
  await store.open();
  for (let day = 0; day < 3; day++) {
    await store.write(
      't',
      batch(
        0,
        day * 100,
        Array.from({ length: 100 }, (_, j) => ev(j, day)),
      ),
    );
  }
  assert.equal((await store.stats()).partitions, 3);
  const day1 = await store.search({
    filter: q('*'),
    start: T0 + DAY,
    end: T0 + 2 * DAY,
    limit: 0,
    order: 'desc',
  });
  assert.equal(day1.total, 100);
  assert.equal(day1.stats.partitions, 1);
  const hist = await store.histogram(q('*'), T0, T0 + 3 * DAY, DAY, 'level');
  assert.deepEqual(
    hist.map((h) => [(h.t - T0) / DAY, h.value, h.count]),
    [
      [0, 'error', 10],
      [0, 'info', 90],
      [1, 'error', 10],
      [1, 'info', 90],
      [2, 'error', 10],
      [2, 'info', 90],
    ],
  );
  const top = await store.topValues(q('level:error'), null, null, 'host', 3);
  assert.equal(top.total, 30);
  assert.equal(top.values.length, 3);
  const { dropped } = await store.applyRetention({ streams: {}, defaultCutoffUs: T0 + 2 * DAY });
  assert.deepEqual(dropped.sort(), ['ev_20261101', 'ev_20261102']);
  assert.equal(
    (await store.search({ filter: q('*'), start: null, end: null, limit: 0, order: 'desc' })).total,
    100,
  );
  await store.close();
  const again = new DuckDBStore({ dir, blockRows: 1024 });
  await again.open();
  assert.equal((await again.stats()).partitions, 1);
  assert.equal(
    (await again.search({ filter: q('*'), start: null, end: null, limit: 0, order: 'desc' })).total,
    100,
  );
  await again.close();
});

test('an invalid regex is a 400-class error, not a crash', async () => {
  const store = new DuckDBStore({ dir: tmp() });
  await store.open();
  await store.write('t', batch(0, 0, [ev(1, 0)]));
  await assert.rejects(
    store.search({ filter: q('message:/a(b/'), start: null, end: null, limit: 10, order: 'desc' }),
    (err: { status?: number }) => err.status === 400,
  );
  await store.close();
});

test('files are written in storage format v1.2, old ones upgraded: sparse fields get Roaring validity', async () => {
  const dir = tmp();
  const file = path.join(dir, 'logwarden.duckdb');
  const attachTags = async (fn: (c: DuckDBConnection) => Promise<void>) => {
    const inst = await DuckDBInstance.create(':memory:');
    const c = await inst.connect();
    await c.run(`ATTACH '${file}' AS lw (READ_WRITE); USE lw`);
    await fn(c);
    const tags = String(
      (
        await c.runAndReadAll(`SELECT tags::VARCHAR FROM duckdb_databases() WHERE database_name = 'lw'`)
      ).getRows()[0][0],
    );
    c.closeSync();
    inst.closeSync();
    return tags;
  };
  // A file made the way older logwarden versions made it (DuckDB's default storage version).
  assert.match(
    await attachTags(async (c) => {
      await c.run('CREATE TABLE old_table (x INTEGER)');
    }),
    /v1\.0\.0/,
  );
  const store = new DuckDBStore({ dir, blockRows: 1024 });
  await store.open();
  // One event in 50 has a `rare` field: its column is mostly NULL.
  const events = Array.from({ length: 20_000 }, (_, i) =>
    ev(i, 0, i % 50 === 0 ? { fields: { n: i, tag: 'x', rare: `r${i}` } } : {}),
  );
  for (let k = 0; k < events.length; k += 5000)
    await store.write('t', batch(0, k, events.slice(k, k + 5000)));
  await store.close();
  let compression: string[] = [];
  const tags = await attachTags(async (c) => {
    const rows = await c.runAndReadAll(`SELECT DISTINCT compression FROM pragma_storage_info('ev_20261101')
      WHERE column_name = 'rare' AND segment_type = 'VALIDITY'`);
    compression = rows.getRows().map((r) => String(r[0]));
  });
  assert.match(tags, /v1\.2\.0/);
  // The default (v0.10-compatible) format has no Roaring validity and stores these masks raw.
  assert.deepEqual(compression, ['Roaring']);
});

test('DuckDB runs one thread while only writes run, and all search threads during searches', async () => {
  const store = new DuckDBStore({ dir: tmp(), threads: 3 });
  await store.open();
  assert.equal(await store.duckdbThreads(), 1);
  await store.write(
    't',
    batch(
      0,
      0,
      Array.from({ length: 2000 }, (_, i) => ev(i, 0)),
    ),
  );
  assert.equal(await store.duckdbThreads(), 1);
  // Searches overlapping a write: all answer correctly, with the search threads while they run.
  const writing = store.write(
    't',
    batch(
      0,
      2000,
      Array.from({ length: 2000 }, (_, i) => ev(2000 + i, 0)),
    ),
  );
  const [a, b] = await Promise.all([
    store.search({ filter: q('zyzzyva'), start: null, end: null, limit: 10, order: 'desc' }),
    store.histogram(q('*'), null, null, DAY, null),
  ]);
  await writing;
  assert.equal(a.total, 1);
  assert.ok(b.reduce((s, x) => s + x.count, 0) >= 2000);
  assert.equal(await store.duckdbThreads(), 3, 'kept for a moment after the last search');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await store.duckdbThreads(), 1, 'back to one thread once searches stopped');
  assert.equal(
    (await store.search({ filter: q('*'), start: null, end: null, limit: 0, order: 'desc' })).total,
    4000,
  );
  await store.close();
});
