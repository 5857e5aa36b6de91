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

/** Compression of `message` per row group of a table in a closed store file. */
async function messageCompression(dir: string, table: string): Promise<string[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`ATTACH '${path.join(dir, 'logwarden.duckdb')}' AS s (READ_ONLY)`);
  const rows = (
    await c.runAndReadAll(
      `SELECT DISTINCT compression FROM pragma_storage_info('s.${table}')
       WHERE column_name = 'message' AND segment_type = 'VARCHAR'`,
    )
  ).getRows();
  c.closeSync();
  db.closeSync();
  return rows.map((r) => String(r[0]));
}

test('message is stored with zstd, also after retention rewrites its partition', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-store-ddl-'));
  dirs.push(dir);
  let store = new DuckDBStore({ dir, blockRows: 1024 });
  await store.open();
  const b = new EventBatchBuilder(new Uint32Set(64));
  for (let i = 0; i < 5000; i++) {
    b.add(toQpos(0, i), {
      _id: '',
      _time: T0 + i * 1000,
      _ingest_time: T0,
      stream: i % 2 === 0 ? 'keep' : 'short',
      message: `user ${i % 97} logged in from 10.0.${i % 251}.${i % 13} after ${i % 7} attempts`,
      level: 'info',
      host: 'h',
      service: '',
      fields: { n: i },
    });
  }
  await store.write('t', b.build());
  await store.close();
  assert.deepEqual(await messageCompression(dir, 'ev_20261101'), ['ZSTD']);

  store = new DuckDBStore({ dir, blockRows: 1024 });
  await store.open();
  const r = await store.applyRetention({ streams: { short: T0 + 10_000 * 1000 }, defaultCutoffUs: null });
  assert.equal(r.rewritten.length, 1, JSON.stringify(r));
  await store.close();
  assert.deepEqual(await messageCompression(dir, 'ev_20261101'), ['ZSTD']);
});
