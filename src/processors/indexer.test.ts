/**
 * The indexer on real parts (disk queue, worker pool, DuckDB store): the size of its store writes
 * under a backlog and without one, and that every record is stored exactly once.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { EventBatch } from '../core/event-batch.ts';
import { DiskQueue } from '../queue/disk/disk-queue.ts';
import { DuckDBStore, ROW_GROUP_SIZE } from '../store/duckdb/duckdb-store.ts';
import { Indexer } from './indexer.ts';
import { WorkerPool } from './pool.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
const logger = { error: () => {}, warn: () => {}, info: () => {} };

async function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-indexer-'));
  dirs.push(dir);
  const queue = new DiskQueue({ dir: path.join(dir, 'queue'), logger });
  await queue.open();
  await queue.createTopic('t', 2);
  const store = new DuckDBStore({ dir: path.join(dir, 'store'), logger });
  await store.open();
  const pool = new WorkerPool(1);
  // The real store, with each write's row count recorded on the way in.
  const writes: number[] = [];
  const recording = {
    write: (topic: string, batch: EventBatch) => {
      writes.push(batch.n);
      return store.write(topic, batch);
    },
    nextOffset: (topic: string, p: number) => store.nextOffset(topic, p),
  };
  const indexer = new Indexer({ queue, store: recording, pool, topic: 't', logger });
  let seq = 0;
  const produce = async (n: number) => {
    for (let p = 0; p < 2; p++) {
      for (let done = 0; done < n / 2; done += 5000) {
        const msgs = Array.from({ length: Math.min(5000, n / 2 - done) }, () => ({
          key: Buffer.from('idx\njson'),
          value: Buffer.from(
            JSON.stringify({ message: `event ${seq} of the indexer test`, seq: seq++, level: 'info' }),
          ),
        }));
        await queue.produce('t', p, msgs);
      }
    }
  };
  /** Stops everything; returns each seq's count in the store file. */
  const finish = async (): Promise<Map<number, number>> => {
    await indexer.stop();
    await pool.close();
    await queue.close();
    await store.close();
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(`ATTACH '${path.join(dir, 'store', 'logwarden.duckdb')}' AS s (READ_ONLY)`);
    const tables = (
      await c.runAndReadAll(
        `SELECT table_name FROM duckdb_tables() WHERE database_name = 's' AND table_name LIKE 'ev_%'`,
      )
    ).getRows();
    const counts = new Map<number, number>();
    for (const [t] of tables) {
      for (const [s, n] of (
        await c.runAndReadAll(`SELECT seq, count(*) FROM s.${String(t)} GROUP BY seq`)
      ).getRows()) {
        counts.set(Number(s), Number(n));
      }
    }
    c.closeSync();
    db.closeSync();
    return counts;
  };
  return { indexer, writes, produce, finish, total: () => seq };
}

test('under a backlog, store writes carry whole row groups; the tail and later trickles go at once', async () => {
  const t = await setup();
  const backlog = 2 * ROW_GROUP_SIZE + 20_000;
  await t.produce(backlog);
  await t.indexer.start();
  assert.ok(await t.indexer.drain(120_000), 'the backlog is stored');
  const full = t.writes.filter((n) => n === ROW_GROUP_SIZE).length;
  assert.equal(full, 2, `write sizes ${t.writes.join(', ')}`);
  assert.equal(t.writes[0], ROW_GROUP_SIZE, 'the first write waits for a whole row group');
  assert.ok(
    t.writes.slice(2).every((n) => n < ROW_GROUP_SIZE),
    `the rest is smaller than a row group: ${t.writes.join(', ')}`,
  );
  // Without a backlog, a few records are written without waiting for a row group.
  const before = t.writes.length;
  await t.produce(1000);
  assert.ok(await t.indexer.drain(10_000), 'a trickle is stored at once');
  assert.ok(t.writes.length > before);
  const counts = await t.finish();
  assert.equal(counts.size, t.total(), 'every record is stored');
  assert.deepEqual(
    [...counts].filter(([, n]) => n !== 1),
    [],
    'no record is stored twice',
  );
});
