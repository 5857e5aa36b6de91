import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { ChunkWriter } from './chunk-writer.ts';

const STRINGS = [
  '',
  'a',
  'info',
  'exactly12chr',
  'thirteen char',
  '결제',
  'é',
  'caf\u00e9 au lait with a long tail',
  'nul\u0000inside',
  '\u0000',
  'emoji 😀 and more text here',
  'x'.repeat(5000),
];

test('chunk writer: every type, nulls, inline and heap strings, across several chunks', async () => {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run('CREATE TABLE t (ts TIMESTAMP, n BIGINT, s VARCHAR, d DOUBLE, b BOOLEAN, s2 VARCHAR)');
  const appender = await c.createAppender('t');
  const w = new ChunkWriter(appender, ['TIMESTAMP', 'BIGINT', 'VARCHAR', 'DOUBLE', 'BOOLEAN', 'VARCHAR']);
  const N = 5000; // more than two chunks of 2048
  const expected: unknown[][] = [];
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let i = 0; i < N; i++) {
    const ts = i % 7 === 0 ? null : Math.round((rnd() - 0.3) * 4e15); // negative and positive micros
    const n = i % 5 === 0 ? null : Math.round((rnd() - 0.5) * 2 ** 52);
    const s = i % 3 === 0 ? null : STRINGS[(i * 7) % STRINGS.length];
    const d = i % 4 === 0 ? null : (rnd() - 0.5) * 1e6;
    const b = i % 6 === 0 ? null : rnd() < 0.5;
    const s2 = i % 2 === 0 ? null : `host-${i}`;
    if (ts !== null) w.setInt64(0, ts);
    if (n !== null) w.setInt64(1, n);
    if (s !== null) w.setVarchar(2, s);
    if (d !== null) w.setDouble(3, d);
    if (b !== null) w.setBoolean(4, b);
    if (s2 !== null) w.setVarchar(5, s2);
    w.endRow();
    expected.push([ts === null ? null : BigInt(ts), n === null ? null : BigInt(n), s, d, b, s2]);
  }
  w.flush();
  appender.flushSync();
  appender.closeSync();
  const reader = await c.runAndReadAll(
    'SELECT epoch_us(ts), n, s, d, b, s2, s = s AS eq FROM t ORDER BY rowid',
  );
  const rows = reader.getRows();
  assert.equal(rows.length, N);
  for (let i = 0; i < N; i++) {
    const [ts, n, s, d, b, s2] = rows[i];
    assert.deepEqual([ts, n, s, d, b, s2], expected[i], `row ${i}`);
  }
  // Inline strings compare equal to the same strings made by DuckDB (zero padding is right).
  const eq = await c.runAndReadAll(
    `SELECT count(*) FROM t WHERE s = 'info' OR s = 'exactly12chr' OR s = 'a' OR s = ''`,
  );
  const want = expected.filter((r) => ['info', 'exactly12chr', 'a', ''].includes(r[2] as string)).length;
  assert.equal(Number(eq.getRows()[0][0]), want);
  const grouped = await c.runAndReadAll('SELECT count(DISTINCT s) FROM t');
  assert.equal(
    Number(grouped.getRows()[0][0]),
    new Set(expected.map((r) => r[2]).filter((v) => v !== null)).size,
  );
  c.closeSync();
});

test('chunk writer refuses a column type that does not match the table', async () => {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run('CREATE TABLE t (a VARCHAR, b DOUBLE)');
  const appender = await c.createAppender('t');
  assert.throws(
    () => new ChunkWriter(appender, ['VARCHAR', 'VARCHAR']),
    /column 1 of the table is DOUBLE, not VARCHAR/,
  );
  c.closeSync();
});
