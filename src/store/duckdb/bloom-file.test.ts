/**
 * The skip index's side file (bloom-file.ts) through the store: filters live in the file, not
 * in DuckDB; damaged or missing filters (a power loss) are rebuilt from the rows at open and
 * searches stay exact meanwhile; stores made with the old BLOB column are migrated; the file is
 * compacted into a new generation once mostly garbage, and other generations are removed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { LogEvent } from '../../core/event.ts';
import { EventBatchBuilder } from '../../core/event-batch.ts';
import { qposToId, toQpos } from '../../core/ids.ts';
import { Uint32Set } from '../../core/uint32-set.ts';
import { eventHashes } from '../../processors/event-tokens.ts';
import { parseFilter } from '../../query/parser.ts';
import { DuckDBStore } from './duckdb-store.ts';

const DAY = 86_400_000_000;
const T0 = Date.parse('2026-11-01T00:00:00Z') * 1000;
const BLOCK_ROWS = 512;
const PER_DAY = 3000;
const DAYS = 3;

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-bloomfile-'));
  dirs.push(d);
  return d;
}

/** Event n: day n / PER_DAY, a unique word `w<n>q` in its message and a unique `user`. */
function event(n: number): LogEvent {
  const d = Math.floor(n / PER_DAY);
  return {
    _id: '',
    _time: T0 + d * DAY + (n % PER_DAY) * 1000,
    _ingest_time: T0,
    stream: 'app',
    message: `request w${n}q finished`,
    level: 'info',
    host: `host-${n % 3}`,
    service: 'checkout',
    fields: { user: `u${n}x` },
  };
}

async function writeAll(store: DuckDBStore, total: number): Promise<void> {
  for (let k = 0; k < total; k += 500) {
    const b = new EventBatchBuilder(new Uint32Set(1024));
    for (let n = k; n < Math.min(total, k + 500); n++) {
      const ev = event(n);
      eventHashes(ev, b.hashes);
      b.add(toQpos(0, n), ev);
    }
    await store.write('t', b.build());
  }
}

interface Logged {
  info: string[];
  warn: Array<{ o: Record<string, unknown>; m: string }>;
}
function open(dir: string, log: Logged = { info: [], warn: [] }): DuckDBStore {
  return new DuckDBStore({
    dir,
    blockRows: BLOCK_ROWS,
    logger: {
      info: (_o, m) => log.info.push(String(m)),
      warn: (o, m) => log.warn.push({ o: o as Record<string, unknown>, m: String(m) }),
    },
  });
}

/** Events `ns` are found alone by their word and their user, scanning their block (plus at most one false positive). */
async function assertNeedles(store: DuckDBStore, ns: number[], label: string): Promise<void> {
  for (const n of ns) {
    for (const q of [`w${n}q`, `user:u${n}x`]) {
      const r = await store.search({
        filter: parseFilter(q),
        start: null,
        end: null,
        limit: 5,
        order: 'desc',
      });
      assert.equal(r.total, 1, `${label}: ${q}`);
      assert.equal(r.events[0]!._id, qposToId(toQpos(0, n)), `${label}: ${q}`);
      assert.ok(r.stats.blocksScanned <= 2, `${label}: ${q} scanned ${r.stats.blocksScanned} blocks`);
    }
  }
}

const sample = (total: number) => Array.from({ length: 40 }, (_, i) => Math.floor((i * (total - 1)) / 39));

/** Reads `_lw_blocks` (refs) and the columns of the table with a DuckDB of the test's own. */
async function inspect(dir: string): Promise<{ columns: string[]; refs: Array<[number, number]> }> {
  const db = await DuckDBInstance.create(path.join(dir, 'logwarden.duckdb'));
  const c = await db.connect();
  const columns = (
    await c.runAndReadAll(`SELECT column_name FROM duckdb_columns() WHERE table_name = '_lw_blocks'`)
  )
    .getRows()
    .map((r) => String(r[0]));
  const refs = columns.includes('bloom_off')
    ? (await c.runAndReadAll('SELECT bloom_off, bloom_len FROM _lw_blocks ORDER BY bloom_off')).getRows()
    : [];
  c.closeSync();
  db.closeSync();
  return { columns, refs: refs.map(([o, l]) => [Number(o), Number(l)]) };
}

test('filters live in the side file; damaged ones are rebuilt from the rows at open', async () => {
  const dir = tmp();
  const total = PER_DAY * DAYS;
  let store = open(dir);
  await store.open();
  await writeAll(store, total);
  await assertNeedles(store, sample(total), 'written');
  const file = path.join(dir, 'blooms-0.lwb');
  const { blocks, bytesOnDisk } = await store.stats();
  const size = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
  const db = path.join(dir, 'logwarden.duckdb');
  // The store's size counts the side file too.
  assert.equal(bytesOnDisk, size(db) + size(`${db}.wal`) + size(file));
  assert.ok(size(file) > 0);
  assert.ok(blocks >= 6, `${blocks} blocks`);
  await store.close();

  const { columns, refs } = await inspect(dir);
  assert.ok(!columns.includes('bloom'), 'no BLOB column in DuckDB');
  assert.equal(refs.length, blocks);
  // The refs tile the file: each filter follows the previous one, the last ends at the end.
  let end = 0;
  for (const [off, len] of refs) {
    assert.equal(off, end);
    end += len;
  }
  assert.equal(fs.statSync(file).size, end);

  // A power loss: one filter in the middle has flipped bytes, the last two are cut off.
  const fd = fs.openSync(file, 'r+');
  const [midOff, midLen] = refs[Math.floor(refs.length / 2)]!;
  fs.writeSync(fd, Buffer.alloc(16, 0xa5), 0, 16, midOff + Math.floor(midLen / 2));
  fs.ftruncateSync(fd, refs.at(-2)![0] + 3);
  fs.closeSync(fd);

  const log: Logged = { info: [], warn: [] };
  store = open(dir, log);
  await store.open();
  const rebuilt = log.warn.filter((w) => /rebuilt skip-index filters/.test(w.m));
  assert.equal(rebuilt.length, 1, JSON.stringify(log.warn));
  assert.equal(rebuilt[0]!.o.blocks, 3);
  // The rebuilt filters prune and find exactly as before (words, field values, all days).
  await assertNeedles(store, sample(total), 'after the rebuild');
  const r = await store.search({
    filter: parseFilter('finished'),
    start: null,
    end: null,
    limit: 1,
    order: 'asc',
  });
  assert.equal(r.total, total);
  await store.close();

  // The rebuilt references are valid: a second open rebuilds nothing.
  const log2: Logged = { info: [], warn: [] };
  store = open(dir, log2);
  await store.open();
  assert.deepEqual(log2.warn, []);
  await assertNeedles(store, sample(total), 'reopened');
  await store.close();
});

test('a store with BLOB filters in DuckDB is migrated to the side file', async () => {
  const dir = tmp();
  const total = PER_DAY * 2;
  let store = open(dir);
  await store.open();
  await writeAll(store, total);
  await store.close();

  // Rewind the layout to the old one: the filters as a BLOB column, no side file, no generations.
  const bytes = fs.readFileSync(path.join(dir, 'blooms-0.lwb'));
  const db = await DuckDBInstance.create(path.join(dir, 'logwarden.duckdb'));
  const c = await db.connect();
  await c.run(`CREATE TABLE _old (part VARCHAR, block INTEGER, row_start BIGINT, row_end BIGINT, min_time BIGINT,
    max_time BIGINT, bloom BLOB)`);
  const rows = (
    await c.runAndReadAll(
      'SELECT part, block, row_start, row_end, min_time, max_time, bloom_off, bloom_len FROM _lw_blocks',
    )
  ).getRows();
  const ins = await c.prepare('INSERT INTO _old VALUES ($1, $2, $3, $4, $5, $6, $7)');
  for (const [part, block, rs, re, minT, maxT, off, len] of rows) {
    ins.bindVarchar(1, String(part));
    ins.bindInteger(2, Number(block));
    ins.bindBigInt(3, BigInt(rs as bigint));
    ins.bindBigInt(4, BigInt(re as bigint));
    ins.bindBigInt(5, BigInt(minT as bigint));
    ins.bindBigInt(6, BigInt(maxT as bigint));
    ins.bindBlob(7, bytes.subarray(Number(off), Number(off) + Number(len)));
    await ins.run();
  }
  await c.run(
    'DROP TABLE _lw_blocks; ALTER TABLE _old RENAME TO _lw_blocks; DROP TABLE _lw_bloom_file; CHECKPOINT',
  );
  c.closeSync();
  db.closeSync();
  fs.rmSync(path.join(dir, 'blooms-0.lwb'));

  const log: Logged = { info: [], warn: [] };
  store = open(dir, log);
  await store.open();
  assert.ok(log.info.includes('moved the skip-index filters to their own file'), JSON.stringify(log.info));
  assert.deepEqual(log.warn, []);
  await assertNeedles(store, sample(total), 'migrated');
  // New writes go on after the migrated filters.
  await writeAll(store, total + PER_DAY);
  await assertNeedles(store, sample(total + PER_DAY), 'migrated, then written');
  const blocks = (await store.stats()).blocks;
  await store.close();
  const after = await inspect(dir);
  assert.ok(!after.columns.includes('bloom'));
  assert.ok(blocks > rows.length);
  assert.equal(after.refs.length, blocks);
  assert.equal(
    fs.statSync(path.join(dir, 'blooms-0.lwb')).size,
    after.refs.reduce((s, [, l]) => s + l, 0),
  );
});

test('retention garbage is compacted into the next generation; stray generations are removed', async () => {
  const dir = tmp();
  const total = PER_DAY * DAYS;
  let store = open(dir);
  await store.open();
  await writeAll(store, total);
  const before = fs.statSync(path.join(dir, 'blooms-0.lwb')).size;
  // Days 0 and 1 expire: two thirds of the filters become garbage.
  const result = await store.applyRetention({ streams: {}, defaultCutoffUs: T0 + 2 * DAY });
  assert.equal(result.dropped.length, 2);
  assert.ok(!fs.existsSync(path.join(dir, 'blooms-0.lwb')), 'generation 0 removed');
  const size1 = fs.statSync(path.join(dir, 'blooms-1.lwb')).size;
  assert.ok(size1 > 0 && size1 < before / 2, `${size1} of ${before}`);
  const kept = sample(total).filter((n) => n >= 2 * PER_DAY);
  await assertNeedles(store, kept, 'compacted');
  // New writes append to generation 1.
  await writeAll(store, total + 1000);
  await store.close();
  assert.ok(fs.statSync(path.join(dir, 'blooms-1.lwb')).size > size1);

  // A crash during a compaction leaves a file of another generation: open removes it.
  fs.writeFileSync(path.join(dir, 'blooms-2.lwb'), 'half-written');
  fs.writeFileSync(path.join(dir, 'blooms-0.lwb'), 'old');
  store = open(dir);
  await store.open();
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.endsWith('.lwb')),
    ['blooms-1.lwb'],
  );
  await assertNeedles(store, [...kept, total + 999], 'reopened');
  await store.close();
});
