import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { LogEvent } from '../../core/event.ts';
import { EventBatchBuilder } from '../../core/event-batch.ts';
import { toQpos } from '../../core/ids.ts';
import { Uint32Set } from '../../core/uint32-set.ts';
import { eventHashes } from '../../processors/event-tokens.ts';
import { parseFilter } from '../../query/parser.ts';
import { DuckDBStore } from './duckdb-store.ts';
import { rollupCanFilter } from './rollup.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const MIN = 60_000_000;
const HOUR = 60 * MIN;
// Starts an hour before 1970 so that floor division of negative times is exercised.
const T0 = -HOUR;
const SPAN = 50 * HOUR;

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

type Pred = (e: LogEvent) => boolean;
const FILTERS: Array<[string, Pred]> = [
  ['*', () => true],
  ['level:error', (e) => e.level === 'error'],
  ['NOT level:info', (e) => e.level !== 'info'],
  ['stream:a', (e) => e.stream === 'a'],
  ['stream:a OR level:warn', (e) => e.stream === 'a' || e.level === 'warn'],
  [
    '(stream:b AND NOT level:error) OR stream:c',
    (e) => (e.stream === 'b' && e.level !== 'error') || e.stream === 'c',
  ],
  // Not answerable from the counts: the rows answer it (and the comparison must still hold).
  ['level:error payment', (e) => e.level === 'error' && e.message.includes('payment')],
];

function reference(
  events: LogEvent[],
  pred: Pred,
  start: number | null,
  end: number | null,
  step: number,
  by: string | null,
) {
  const m = new Map<string, number>();
  for (const e of events) {
    if (!pred(e)) continue;
    if (start !== null && e._time < start) continue;
    if (end !== null && e._time >= end) continue;
    const v = by === null ? null : by === 'level' ? e.level || null : e.stream;
    const k = `${Math.floor(e._time / step) * step}|${v}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m].map(([k, c]) => `${k}|${c}`).sort();
}

async function compareAll(store: DuckDBStore, events: LogEvent[], seed: number, label: string) {
  const r = rng(seed);
  let checked = 0;
  for (let i = 0; i < 60; i++) {
    const [query, pred] = FILTERS[i % FILTERS.length];
    const by = [null, 'level', 'stream'][Math.floor(r() * 3)];
    const step = [MIN, 5 * MIN, HOUR, 90 * MIN, 24 * HOUR][Math.floor(r() * 5)];
    // Aligned, unaligned, open, and within a single minute.
    const kind = Math.floor(r() * 4);
    let start: number | null = T0 + Math.floor(r() * SPAN);
    let end: number | null = start + Math.floor(r() * SPAN);
    if (kind === 0) {
      start = Math.floor(start / MIN) * MIN;
      end = Math.floor(end / MIN) * MIN;
    } else if (kind === 1) {
      start = null;
      if (r() < 0.5) end = null;
    } else if (kind === 2) {
      end = start + Math.floor(r() * MIN);
    }
    const got = (await store.histogram(parseFilter(query), start, end, step, by))
      .map((h) => `${h.t}|${h.value}|${h.count}`)
      .sort();
    const want = reference(events, pred, start, end, step, by);
    assert.deepEqual(got, want, `${label}: ${query} [${start}, ${end}) step ${step} by ${by}`);
    checked++;
  }
  return checked;
}

test('histograms from the per-minute counts equal the rows, through retention and a rebuild', async () => {
  assert.equal(rollupCanFilter(parseFilter('stream:a OR NOT level:info')), true);
  assert.equal(rollupCanFilter(parseFilter('level:error payment')), false);
  assert.equal(rollupCanFilter(parseFilter('host:web-1')), false);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-rollup-'));
  dirs.push(dir);
  const r = rng(42);
  const levels: LogEvent['level'][] = ['info', 'info', 'info', 'warn', 'error', ''];
  let events: LogEvent[] = Array.from({ length: 6000 }, (_, i) => ({
    _id: '',
    _time: T0 + Math.floor(r() * SPAN),
    _ingest_time: 0,
    stream: ['a', 'b', 'c'][Math.floor(r() * 3)],
    message: r() < 0.2 ? `payment ${i} failed` : `event ${i}`,
    level: levels[Math.floor(r() * levels.length)],
    host: `h${i % 5}`,
    service: '',
    fields: {},
  }));
  // Ingest times far in the future so no event time is clamped.
  for (const e of events) e._ingest_time = e._time + 1;
  const store = new DuckDBStore({ dir, blockRows: 512 });
  await store.open();
  for (let k = 0; k < events.length; k += 700) {
    const b = new EventBatchBuilder(new Uint32Set(1024));
    events.slice(k, k + 700).forEach((e, j) => {
      eventHashes(e, b.hashes);
      b.add(toQpos(0, k + j), e);
    });
    await store.write('t', b.build());
  }
  await compareAll(store, events, 1, 'after ingest');

  // Retention rewrites partitions without stream a's older events, and drops the first day.
  const cutoffA = T0 + 30 * HOUR;
  await store.applyRetention({ streams: { a: cutoffA }, defaultCutoffUs: T0 + HOUR });
  events = events.filter((e) => (e.stream === 'a' ? e._time >= cutoffA : e._time >= T0 + HOUR));
  assert.equal(
    (await store.search({ filter: parseFilter('*'), start: null, end: null, limit: 0, order: 'desc' })).total,
    events.length,
  );
  await compareAll(store, events, 2, 'after retention');
  await store.close();

  // A store made before the counts existed: they are rebuilt at open.
  const db = await DuckDBInstance.create(path.join(dir, 'logwarden.duckdb'));
  const c = await db.connect();
  const before = Number((await c.runAndReadAll('SELECT sum(n) FROM _lw_rollup')).getRows()[0][0]);
  assert.equal(before, events.length, 'the counts add up to the events kept');
  await c.run('DROP TABLE _lw_rollup');
  c.closeSync();
  db.closeSync();
  const again = new DuckDBStore({ dir, blockRows: 512 });
  await again.open();
  await compareAll(again, events, 3, 'after the rebuild');
  await again.close();
});
