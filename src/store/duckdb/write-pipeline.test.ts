/**
 * The store's write pipeline: writes issued while others are in flight (several connections) all
 * commit, in order, while the store checkpoints between them (a checkpoint queued behind a write
 * once waited for writes issued after it: a deadlock), and what those checkpoints write is
 * compressed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { EventBatchBuilder } from '../../core/event-batch.ts';
import { toQpos } from '../../core/ids.ts';
import { Uint32Set } from '../../core/uint32-set.ts';
import { DuckDBStore } from './duckdb-store.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const T0 = Date.parse('2026-11-01T00:00:00Z') * 1000;
const HOSTS = ['web', 'db', 'cache', 'queue', 'auth', 'search'];

/** `n` events from queue offset `first`; `path` has a few hundred values, `note` is unique text. */
function batch(first: number, n: number) {
  const b = new EventBatchBuilder(new Uint32Set(1024));
  for (let i = first; i < first + n; i++) {
    b.hashes.add(i % 1000);
    b.add(toQpos(0, i), {
      _id: '',
      _time: T0 + i * 1000,
      _ingest_time: T0,
      stream: 'default',
      message: `GET /api/v1/items/${i % 500} status ${i % 3 === 0 ? 500 : 200} in ${i % 97} ms`,
      level: i % 10 === 0 ? 'error' : 'info',
      host: `${HOSTS[i % HOSTS.length]}-${String(i % 40).padStart(3, '0')}.eu-west.example.internal`,
      service: 'api',
      fields: {
        path: `/api/v1/items/${i % 500}/details?expand=owner,tags&page=${i % 7}`,
        note: `user ${(i * 7919) % 100_003} opened session ${((i * 2654435761) >>> 0).toString(16)} from ${i % 250}.${i % 199}.0.1`,
        seq: i,
      },
    });
  }
  return b.build();
}

test('pipelined writes commit in order across store checkpoints, which compress what they write', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-store-pipe-'));
  dirs.push(dir);
  // A checkpoint after nearly every write, each with the next write's rows already appended.
  const store = new DuckDBStore({ dir, checkpointBytes: 64 * 1024, writeConnections: 3 });
  await store.open();
  const N = 40;
  const ROWS = 3000;
  // Like the indexer: the next write is issued as soon as one of the two in flight finishes, so
  // writes are issued after a checkpoint was queued.
  const written: number[] = [];
  const inflight = new Set<Promise<unknown>>();
  const run = (async () => {
    for (let k = 0; k < N; k++) {
      if (inflight.size >= 2) await Promise.race(inflight);
      const w = store.write('t', batch(k * ROWS, ROWS)).then((r) => {
        written.push(r.written);
        inflight.delete(w);
      });
      inflight.add(w);
    }
    await Promise.all(inflight);
  })();
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error('pipelined writes did not finish in 60 s')), 60_000).unref(),
  );
  await Promise.race([run, timeout]);
  assert.deepEqual(written, Array(N).fill(ROWS));
  assert.equal(store.nextOffset('t', 0), N * ROWS);
  await store.close();

  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`ATTACH '${path.join(dir, 'logwarden.duckdb')}' AS s (READ_ONLY)`);
  const [[rows, distinct, inOrder]] = (
    await c.runAndReadAll(`SELECT count(*), count(DISTINCT seq), bool_and(seq = rowid) FROM s.ev_20261101`)
  ).getRows();
  assert.equal(Number(rows), N * ROWS);
  assert.equal(Number(distinct), N * ROWS);
  assert.equal(inOrder, true, 'rows are stored in write order');
  // DuckDB's own checkpoint (inside a COMMIT, with another connection's appends open) can store a
  // table's last row group uncompressed (see open()); the store's checkpoints must not.
  const uncompressed = (
    await c.runAndReadAll(
      `SELECT column_name, row_group_id FROM pragma_storage_info('s.ev_20261101')
       WHERE compression = 'Uncompressed' AND segment_type = 'VARCHAR'`,
    )
  ).getRows();
  assert.deepEqual(uncompressed, [], 'no string column of a row group is stored uncompressed');
  c.closeSync();
  db.closeSync();
});
