/**
 * tz-buckets: the offset table against known tzdb changes, and the bucket SQL evaluated by a real
 * (in-memory) DuckDB at instants around DST changes, against starts worked out by hand.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { tzBucketSql, tzOffsets, tzOffsetsFor } from './tz-buckets.ts';

const us = (iso: string) => Date.parse(iso) * 1000;
const H = 3_600_000_000;

describe('tzOffsets', () => {
  it('finds the 2026 DST changes of Berlin and New York to the minute', () => {
    assert.deepEqual(tzOffsets('Europe/Berlin', us('2026-01-01T00:00:00Z'), us('2027-01-01T00:00:00Z')), {
      offsets: [1 * H, 2 * H, 1 * H],
      changes: [us('2026-03-29T01:00:00Z'), us('2026-10-25T01:00:00Z')],
    });
    assert.deepEqual(tzOffsets('America/New_York', us('2026-01-01T00:00:00Z'), us('2027-01-01T00:00:00Z')), {
      offsets: [-5 * H, -4 * H, -5 * H],
      changes: [us('2026-03-08T07:00:00Z'), us('2026-11-01T06:00:00Z')],
    });
  });

  it('a zone without DST has one offset, half hours included', () => {
    assert.deepEqual(tzOffsets('Asia/Kolkata', us('2026-01-01T00:00:00Z'), us('2027-01-01T00:00:00Z')), {
      offsets: [5.5 * H],
      changes: [],
    });
  });
});

describe('tzBucketSql in DuckDB', () => {
  const cases: Array<[string, string, number, string]> = [
    // zone, instant, step, expected bucket start
    ['Europe/Berlin', '2026-07-01T10:30:00Z', 24 * H, '2026-06-30T22:00:00Z'], // local midnight in summer
    ['Europe/Berlin', '2026-10-25T22:30:00Z', 24 * H, '2026-10-24T22:00:00Z'], // the 25-hour day
    ['Europe/Berlin', '2026-10-25T23:30:00Z', 24 * H, '2026-10-25T23:00:00Z'],
    ['Europe/Berlin', '2026-03-29T21:59:00Z', 24 * H, '2026-03-28T23:00:00Z'], // the 23-hour day
    ['Europe/Berlin', '2026-03-29T22:00:00Z', 24 * H, '2026-03-29T22:00:00Z'],
    ['Europe/Berlin', '2026-10-25T00:30:00Z', H, '2026-10-25T00:00:00Z'], // 02:30 CEST
    ['Europe/Berlin', '2026-10-25T01:30:00Z', H, '2026-10-25T01:00:00Z'], // 02:30 CET, a bucket of its own
    ['Europe/Berlin', '2026-10-25T01:30:00Z', 3 * H, '2026-10-24T22:00:00Z'], // 00:00-03:00 local, 4 hours
    ['Europe/Berlin', '2026-10-25T02:30:00Z', 3 * H, '2026-10-25T02:00:00Z'], // 03:00 CET
    ['Europe/Berlin', '2026-07-01T10:30:00Z', 6 * H, '2026-07-01T10:00:00Z'], // 12:00 CEST
    ['America/New_York', '2026-03-08T12:00:00Z', 24 * H, '2026-03-08T05:00:00Z'],
    ['America/New_York', '2026-11-01T12:00:00Z', 24 * H, '2026-11-01T04:00:00Z'],
    ['America/New_York', '2026-11-02T04:59:59Z', 24 * H, '2026-11-01T04:00:00Z'],
    ['America/New_York', '2026-11-01T06:10:00Z', 5 * 60_000_000, '2026-11-01T06:10:00Z'],
    ['Asia/Kolkata', '2026-01-01T10:10:00Z', H, '2026-01-01T09:30:00Z'],
  ];

  it('buckets instants around DST changes as worked out by hand', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      for (const [tz, at, step, want] of cases) {
        const t = us(at);
        const sql = `SELECT ${tzBucketSql(`${t}::BIGINT`, step, tzOffsetsFor(tz, step, t, t))}`;
        const got = Number((await conn.runAndReadAll(sql)).getRows()[0]![0]);
        assert.equal(
          new Date(got / 1000).toISOString(),
          new Date(want).toISOString(),
          `${tz} ${at} step ${step / H} h`,
        );
      }
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});
