/**
 * Per-stream retention in the DuckDB store: partitions rewritten without the expired events
 * keep exactly the other events (every field), their skip index still prunes and finds every
 * kept event, watermarks and replays are unaffected, searches running during a rewrite see the
 * old or the new partition, and a kill -9 at any moment of a retention pass leaves every
 * partition either old or new (the test spawns itself as the child that is killed).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { mulberry32 } from '../../../test/prng.ts';
import type { LogEvent } from '../../core/event.ts';
import { EventBatchBuilder } from '../../core/event-batch.ts';
import { qposToId, toQpos } from '../../core/ids.ts';
import { Uint32Set } from '../../core/uint32-set.ts';
import { eventHashes } from '../../processors/event-tokens.ts';
import { parseFilter } from '../../query/parser.ts';
import { retentionPolicy } from '../retention-policy.ts';
import type { OutputEvent, RetentionPolicy } from '../store.ts';
import { DuckDBStore } from './duckdb-store.ts';

const DAY = 86_400_000_000;
const T0 = Date.parse('2026-11-01T00:00:00Z') * 1000;
const BLOCK_ROWS = 1024;

interface Gen {
  offset: number;
  ev: LogEvent;
}

/**
 * `perDay` events a day on days [first, last], streams `app` and `audit` mixed at random, with
 * a unique word in the message, a unique `user` and, every third event, a `ref` (a number or
 * a string; with two dynamic columns at most, it overflows into `_extra`). Offsets 0.. on queue
 * partition 0, in time order.
 */
function generate(first: number, last: number, perDay: number, seed: number, onlyApp: number[] = []): Gen[] {
  const rnd = mulberry32(seed);
  const out: Gen[] = [];
  for (let d = first; d <= last; d++) {
    for (let i = 0; i < perDay; i++) {
      const n = out.length;
      const fields: LogEvent['fields'] = { user: `u${n}x`, bytes: n * 3 };
      if (n % 3 === 0) fields.ref = n % 2 === 1 ? `r${n}z` : n;
      out.push({
        offset: n,
        ev: {
          _id: '',
          _time: T0 + d * DAY + Math.floor((i * DAY) / perDay),
          _ingest_time: T0 + d * DAY,
          stream: onlyApp.includes(d) || rnd() < 0.5 ? 'app' : 'audit',
          message: `request w${n}q finished in ${Math.floor(rnd() * 1000)} ms`,
          level: rnd() < 0.1 ? 'error' : 'info',
          host: `host-${n % 5}`,
          service: n % 4 === 0 ? '' : 'checkout',
          fields,
        },
      });
    }
  }
  return out;
}

/** Writes events in worker-sized batches of 500. */
async function writeAll(store: DuckDBStore, gens: Gen[]): Promise<void> {
  for (let k = 0; k < gens.length; k += 500) {
    const b = new EventBatchBuilder(new Uint32Set(1024));
    for (const g of gens.slice(k, k + 500)) {
      eventHashes(g.ev, b.hashes);
      b.add(toQpos(0, g.offset), g.ev);
    }
    await store.write('t', b.build());
  }
}

const expired = (g: Gen, policy: RetentionPolicy) => {
  const cutoff = policy.streams[g.ev.stream] ?? policy.defaultCutoffUs;
  return cutoff !== null && cutoff !== undefined && g.ev._time < cutoff;
};

const ALL = parseFilter('*');

async function everything(store: DuckDBStore): Promise<OutputEvent[]> {
  const r = await store.search({ filter: ALL, start: null, end: null, limit: 1_000_000, order: 'asc' });
  return r.events;
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-retention-'));
  dirs.push(d);
  return d;
}

/** Day d's partition name. */
const part = (d: number) => `ev_202611${String(1 + d).padStart(2, '0')}`;

/** Child mode of the crash test: runs one retention pass, to be killed at some moment. */
const CHILD = process.env.LW_RETENTION_CHILD;
if (CHILD) {
  const { dir, policy } = JSON.parse(CHILD) as { dir: string; policy: RetentionPolicy };
  const store = new DuckDBStore({ dir, blockRows: BLOCK_ROWS, maxDynamicColumns: 2 });
  await store.open();
  process.stdout.write('start\n');
  await store.applyRetention(policy);
  await store.close();
  process.exit(0);
}

test('a rewrite keeps exactly the unexpired events; the skip index still prunes and finds them', async () => {
  const dir = tmp();
  // Day 0 holds only `app` events (dropped whole); days 1-3 hold both streams.
  const gens = generate(0, 3, 3000, 7, [0]);
  let store = new DuckDBStore({ dir, blockRows: BLOCK_ROWS, maxDynamicColumns: 2 });
  await store.open();
  await writeAll(store, gens);
  const before = await everything(store);
  assert.equal(before.length, gens.length);
  // `app` keeps from the middle of day 2, `audit` (the default) from the start of day 1.
  const policy: RetentionPolicy = { streams: { app: T0 + 2.5 * DAY }, defaultCutoffUs: T0 + DAY };
  const kept = gens.filter((g) => !expired(g, policy));
  const gone = gens.filter((g) => expired(g, policy));
  const keptIds = new Set(kept.map((g) => qposToId(toQpos(0, g.offset))));

  const result = await store.applyRetention(policy);
  assert.deepEqual(result.dropped, [part(0)]);
  const removedPerDay = (d: number) => gone.filter((g) => Math.floor((g.ev._time - T0) / DAY) === d).length;
  assert.deepEqual(
    result.rewritten,
    [1, 2].map((d) => ({ partition: part(d), removed: removedPerDay(d), kept: 3000 - removedPerDay(d) })),
  );
  assert.ok(removedPerDay(1) > 1000 && removedPerDay(2) > 500, 'both rewrites remove many rows');

  const check = async (label: string) => {
    // Exactly the kept events, every field as it was, in the same order.
    const now = await everything(store);
    assert.deepEqual(
      now,
      before.filter((e) => keptIds.has(String(e._id))),
      label,
    );
    // Every 29th kept event is found by a word of its message, of a column field and of an
    // `_extra` field: no block lost a token. Needles scan one block.
    for (const g of kept.filter((_, i) => i % 29 === 0)) {
      for (const needle of [
        `w${g.offset}q`,
        `user:u${g.offset}x`,
        ...(typeof g.ev.fields.ref === 'string' ? [`ref:r${g.offset}z`] : []),
      ]) {
        const r = await store.search({
          filter: parseFilter(needle),
          start: null,
          end: null,
          limit: 5,
          order: 'desc',
        });
        assert.equal(r.total, 1, `${label}: ${needle}`);
        assert.equal(r.events[0]!._id, qposToId(toQpos(0, g.offset)));
        assert.ok(
          r.stats.blocksScanned <= 2,
          `${label}: ${needle} scanned ${r.stats.blocksScanned} of ${r.stats.blocks} blocks`,
        );
      }
    }
    // Expired events are gone, and their needles scan (nearly) nothing.
    for (const g of gone.filter((_, i) => i % 97 === 0)) {
      const r = await store.search({
        filter: parseFilter(`w${g.offset}q`),
        start: null,
        end: null,
        limit: 5,
        order: 'desc',
      });
      assert.equal(r.total, 0, `${label}: expired w${g.offset}q`);
      assert.ok(r.stats.blocksScanned <= 1);
    }
    const stats = await store.stats();
    assert.equal(stats.rows, kept.length);
    assert.equal(stats.partitions, 3);
  };
  await check('after the rewrite');

  // Nothing more to do: a second pass changes nothing.
  assert.deepEqual(await store.applyRetention(policy), { dropped: [], rewritten: [] });

  // Watermarks are untouched: replaying every position (expired ones too) writes nothing.
  assert.equal(store.nextOffset('t', 0), gens.length);
  await writeAll(store, gens);
  await check('after a replay');

  await store.close();
  store = new DuckDBStore({ dir, blockRows: BLOCK_ROWS, maxDynamicColumns: 2 });
  await store.open();
  await check('after reopening');

  // New events land in a rewritten partition and are found through its rebuilt open block.
  const late = generate(2, 2, 600, 8).map((g) => ({ offset: gens.length + g.offset, ev: g.ev }));
  for (const g of late) g.ev.message = `late v${g.offset}k`;
  await writeAll(store, late);
  for (const g of late.filter((_, i) => i % 50 === 0)) {
    const r = await store.search({
      filter: parseFilter(`v${g.offset}k`),
      start: null,
      end: null,
      limit: 5,
      order: 'desc',
    });
    assert.equal(r.total, 1);
  }
  assert.equal((await store.stats()).rows, kept.length + late.length);
  await store.close();
});

test('searches during retention see the old or the new partition, never a mix', async (t) => {
  const dir = tmp();
  const gens = generate(0, 7, 4000, 11);
  const store = new DuckDBStore({ dir, blockRows: BLOCK_ROWS, maxDynamicColumns: 2 });
  await store.open();
  await writeAll(store, gens);
  const policy: RetentionPolicy = { streams: { app: T0 + 8 * DAY }, defaultCutoffUs: null };
  const kept = gens.filter((g) => !expired(g, policy));
  const probes = gens.filter((_, i) => i % 1601 === 0);
  // Partitions are swapped one by one, in day order: the counts a search may see.
  const counts = Array.from(
    { length: 9 },
    (_, d) => gens.length - gens.filter((g) => expired(g, policy) && g.offset < d * 4000).length,
  );
  let done = false;
  const seen = new Set<number>();
  const searcher = (async () => {
    while (!done) {
      const all = await store.search({ filter: ALL, start: null, end: null, limit: 0, order: 'desc' });
      assert.ok(counts.includes(all.total), `count ${all.total} is none of ${counts}`);
      seen.add(all.total);
      for (const g of probes) {
        const r = await store.search({
          filter: parseFilter(`w${g.offset}q`),
          start: null,
          end: null,
          limit: 5,
          order: 'desc',
        });
        // Found while the partition is old; afterwards exactly when kept. Never another event.
        for (const e of r.events) assert.equal(e._id, qposToId(toQpos(0, g.offset)));
        if (!expired(g, policy)) assert.equal(r.total, 1, `kept w${g.offset}q missing`);
      }
    }
  })();
  const result = await store.applyRetention(policy);
  done = true;
  await searcher;
  assert.equal(result.rewritten.length, 8);
  assert.equal((await everything(store)).length, kept.length);
  assert.ok(seen.has(gens.length), 'searches ran during the pass');
  t.diagnostic(`counts seen during the pass: ${[...seen].join(', ')}`);
  await store.close();
});

test('retentionPolicy: streams with their own days, the store default for the others, UTC-day cutoffs', () => {
  const now = Date.parse('2026-11-20T15:30:00Z');
  const midnight = (iso: string) => Date.parse(iso) * 1000;
  assert.equal(retentionPolicy(now, 0, []), null);
  assert.equal(retentionPolicy(now, 0, [{ stream: 'a', days: 0 }]), null);
  assert.deepEqual(
    retentionPolicy(now, 30, [
      { stream: 'short', days: 2 },
      { stream: 'long', days: 365 },
    ]),
    {
      streams: { short: midnight('2026-11-18T00:00:00Z'), long: midnight('2025-11-20T00:00:00Z') },
      defaultCutoffUs: midnight('2026-10-21T00:00:00Z'),
    },
  );
  assert.deepEqual(retentionPolicy(now, 0, [{ stream: 'x', days: 1 }]), {
    streams: { x: midnight('2026-11-19T00:00:00Z') },
    defaultCutoffUs: null,
  });
});

test('kill -9 at any moment of a retention pass leaves each partition old or new, never broken', async (t) => {
  const base = tmp();
  // Day 0: only `app` (dropped whole); days 1-3: both streams (rewritten).
  const gens = generate(0, 3, 8000, 21, [0]);
  const seed = new DuckDBStore({ dir: base, blockRows: BLOCK_ROWS, maxDynamicColumns: 2 });
  await seed.open();
  await writeAll(seed, gens);
  await seed.close();
  const policy: RetentionPolicy = { streams: { app: T0 + 4 * DAY }, defaultCutoffUs: null };
  const idsOf = (list: Gen[]) => list.map((g) => qposToId(toQpos(0, g.offset))).sort();
  const days = [0, 1, 2, 3].map((d) => {
    const all = gens.filter((g) => Math.floor((g.ev._time - T0) / DAY) === d);
    const kept = all.filter((g) => !expired(g, policy));
    return { old: idsOf(all), new: idsOf(kept), kept };
  });

  /** Runs the child on a copy of the seeded store; kills it `killAfterMs` after it started. */
  const run = async (killAfterMs: number | null) => {
    const dir = tmp();
    fs.cpSync(base, dir, { recursive: true });
    const child = spawn(process.execPath, [import.meta.filename], {
      env: { ...process.env, LW_RETENTION_CHILD: JSON.stringify({ dir, policy }) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    await new Promise<void>((r) => child.stdout!.once('data', () => r()));
    const started = Date.now();
    if (killAfterMs !== null) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    await exited;
    return { dir, ms: Date.now() - started };
  };

  /** Opens a store left by the child; each day must be entirely old or entirely new. */
  const verify = async (dir: string, label: string) => {
    const store = new DuckDBStore({ dir, blockRows: BLOCK_ROWS, maxDynamicColumns: 2 });
    await store.open();
    const states: string[] = [];
    for (const [d, want] of days.entries()) {
      const r = await store.search({
        filter: ALL,
        start: T0 + d * DAY,
        end: T0 + (d + 1) * DAY,
        limit: 100_000,
        order: 'asc',
      });
      const ids = r.events.map((e) => String(e._id)).sort();
      const state = ids.length === want.old.length ? 'old' : 'new';
      assert.deepEqual(ids, want[state], `${label}: day ${d} is neither old nor new (${ids.length} events)`);
      states.push(state);
      // The partition's skip index matches its rows, whichever they are.
      for (const g of want.kept.filter((_, i) => i % 211 === 0)) {
        const n = await store.search({
          filter: parseFilter(`w${g.offset}q`),
          start: null,
          end: null,
          limit: 1,
          order: 'desc',
        });
        assert.equal(n.total, 1, `${label}: w${g.offset}q`);
        assert.ok(
          n.stats.blocksScanned <= 2,
          `${label}: w${g.offset}q scanned ${n.stats.blocksScanned} blocks`,
        );
      }
    }
    // The store works on: the interrupted pass completes.
    await store.applyRetention(policy);
    for (const [d, want] of days.entries()) {
      const r = await store.search({
        filter: ALL,
        start: T0 + d * DAY,
        end: T0 + (d + 1) * DAY,
        limit: 100_000,
        order: 'asc',
      });
      assert.deepEqual(
        r.events.map((e) => String(e._id)).sort(),
        want.new,
        `${label}: day ${d} after a new pass`,
      );
    }
    await store.close();
    return states.join(' ');
  };

  const full = await run(null);
  assert.equal(await verify(full.dir, 'uninterrupted'), 'new new new new');
  const steps = 8;
  const seen: string[] = [];
  for (let k = 0; k <= steps; k++) {
    const at = Math.round((full.ms * k) / steps);
    const { dir } = await run(at);
    seen.push(`${at} ms: ${await verify(dir, `killed after ${at} ms`)}`);
  }
  t.diagnostic(`a full pass took ${full.ms} ms; partitions (days 0-3) after kill -9 at ${seen.join('; ')}`);
  assert.ok(seen[0]!.includes('old'), 'the earliest kill interrupted the pass');
});
