/**
 * The in-memory matcher agrees with (1) the independent reference evaluator
 * (test/reference-eval.ts) on thousands of generated events and random queries, and (2) the
 * real DuckDB store on the same events, including values where the reference is silent (DuckDB's
 * numeric casts, code point order, `_id` and `_ingest_time` leaves).
 *
 * Re-run one seed with `LW_MATCH_SEED=<n>`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { LogEvent } from '../core/event.ts';
import { EventBatchBuilder } from '../core/event-batch.ts';
import { qposToId, toQpos } from '../core/ids.ts';
import { Uint32Set } from '../core/uint32-set.ts';
import { eventHashes } from '../processors/event-tokens.ts';
import { eventFromObject } from '../processors/normalize.ts';
import { DuckDBStore } from '../store/duckdb/duckdb-store.ts';
import { matches } from '../../test/reference-eval.ts';
import { COMMON_WORDS, type Ctx, expr, type Generated, generate, Rng } from '../../test/search-generators.ts';
import { compileMatcher } from './match.ts';
import { parseFilter } from './parser.ts';

const SEED = Number(process.env.LW_MATCH_SEED ?? 6060);
const INGEST_US = Date.UTC(2026, 10, 22) * 1000;

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** The generated events through the real normaliser, with ids from their position. */
function toEvents(gs: Generated[]): LogEvent[] {
  return gs.map((g, i) => {
    const ev = eventFromObject(structuredClone(g.raw), g.stream, INGEST_US);
    ev._id = qposToId(toQpos(0, i));
    return ev;
  });
}

/** Hand-written events on the edges of the store's semantics that the generator doesn't reach. */
const EDGE_RAW: Array<Record<string, unknown>> = [
  { message: 'İstanbul ǅemal straße STRASSE ΟΔΟΣ', v: ' 1_000 ' },
  { message: '𝐀lpha 😀smile x[error]y .186 a.b', v: 'inf' },
  { message: 'tab\tseparated\nnew line', v: '\t5\n', w: 'NaN' },
  { message: '결제를 サーバーで 주문번호12345 abc결제', v: '-Infinity', w: '\u00a05' },
  { message: 'payment-api user@example.com 173.234.31.186', v: '1e3', w: 'ｚ' },
  { message: 'ꙮ rare symbol', v: 'zz', w: '\u{1F600}' },
  { message: '', v: '', w: 5 },
  { message: 'Error: ERROR error', v: true, w: 1e21 },
];

const EDGE_QUERIES = [
  'v:>=1000',
  'v:>4',
  'v:<0',
  'v:>=0',
  'v:*',
  'v:=""',
  'v:[* TO *]',
  'w:>"z"',
  'w:>"ｚ"',
  'w:<"\u{1F600}"',
  'w:>=5',
  'w:>1000',
  'w:/e\\+?21/',
  'w:1*',
  'istanbul',
  'İstanbul',
  'straße',
  'ǆemal',
  'οδοσ',
  'ΟΔΟς',
  'alpha',
  '𝐀lpha',
  'smile',
  '[error]',
  '.186',
  'separated',
  '"tab\tseparated"',
  '결제',
  '주문번호',
  '12345',
  'サーバー',
  'rare',
  'ꙮ',
  'message:=""',
  'message:*',
  '-message:*',
  'message:/^$/',
  'message:/(?i)^error/',
  'message:/new.line/',
  'error',
  'ERR*',
  '_ingest_time:>=2026-11-22',
  '_ingest_time:<2026-11-22',
  '_ingest_time:2026*',
  '_ingest_time:*',
  `_id:${qposToId(toQpos(0, 3))}`,
  `_id:>${qposToId(toQpos(0, 3))}`,
  `_id:[${qposToId(toQpos(0, 1))} TO ${qposToId(toQpos(0, 4))}]`,
  '_id:1*',
];

function edgeEvents(first: number): LogEvent[] {
  return EDGE_RAW.map((raw, i) => {
    const ev = eventFromObject(
      { '@timestamp': '2026-11-17T00:00:00Z', ...structuredClone(raw) },
      'edge',
      INGEST_US,
    );
    ev._id = qposToId(toQpos(0, first + i));
    return ev;
  });
}

test('agrees with the reference evaluator on generated events and random queries', () => {
  const gs = generate(new Rng(SEED));
  const events = toEvents(gs);
  const c: Ctx = { r: new Rng(SEED + 1), events: gs };
  const queries = [
    ...COMMON_WORDS,
    ...Array.from({ length: 1500 }, () => expr(c, 0)),
    'NOT *',
    '*',
    'level:warning',
    'level:=Err',
    'code:>="500"',
  ];
  const failures: string[] = [];
  let evaluations = 0;
  for (const q of queries) {
    const filter = parseFilter(q);
    const m = compileMatcher(filter);
    let bad = 0;
    for (let i = 0; i < events.length; i++) {
      const want = matches(filter, gs[i].ref);
      if (m(events[i]) !== want && bad++ < 2)
        failures.push(`${JSON.stringify(q)}: reference ${want} on ${JSON.stringify(gs[i].raw)}`);
    }
    evaluations += events.length;
    if (failures.length > 10) break;
  }
  assert.deepEqual(failures, []);
  assert.ok(evaluations >= 1500 * 20_000);
});

test('agrees with the DuckDB store on a sample, edge values included', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-match-'));
  dirs.push(dir);
  // Few dynamic columns: most fields overflow into `_extra`, where each value keeps its type.
  const store = new DuckDBStore({ dir, blockRows: 512, maxDynamicColumns: 6 });
  await store.open();
  try {
    const gs = generate(new Rng(SEED + 2)).filter((_, i) => i % 8 === 0);
    const events = [...toEvents(gs), ...edgeEvents(gs.length)];
    for (let i = 0; i < events.length; i += 500) {
      const b = new EventBatchBuilder(new Uint32Set(1024));
      events.slice(i, i + 500).forEach((e, k) => {
        eventHashes(e, b.hashes);
        b.add(toQpos(0, i + k), e);
      });
      await store.write('t', b.build());
    }
    const c: Ctx = { r: new Rng(SEED + 3), events: gs };
    const queries = [...EDGE_QUERIES, ...Array.from({ length: 150 }, () => expr(c, 0))];
    const failures: string[] = [];
    let nonEmpty = 0;
    for (const q of queries) {
      const filter = parseFilter(q);
      const res = await store.search({ filter, start: null, end: null, limit: 10_000, order: 'asc' });
      const got = new Set(res.events.map((e) => e._id as string));
      const m = compileMatcher(filter);
      const want = new Set(events.filter(m).map((e) => e._id));
      if (want.size > 0) nonEmpty++;
      const missing = [...got].filter((id) => !want.has(id));
      const extra = [...want].filter((id) => !got.has(id));
      if (missing.length + extra.length > 0) {
        const show = (id: string) => JSON.stringify(events.find((e) => e._id === id));
        failures.push(
          `${JSON.stringify(q)}: store ${got.size}, matcher ${want.size}; store only: ${missing.slice(0, 2).map(show)}; matcher only: ${extra.slice(0, 2).map(show)}`,
        );
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(nonEmpty > queries.length / 3, `${nonEmpty} of ${queries.length} queries match something`);
  } finally {
    await store.close();
  }
});

test('compiles once: bad regexes and times fail at compile time with the store error codes', () => {
  assert.throws(() => compileMatcher(parseFilter('message:/a(b/')), { code: 'LW_ERR_BAD_PARAM' });
  assert.throws(() => compileMatcher(parseFilter('_ingest_time:>soon')), { code: 'LW_ERR_BAD_TIME' });
});
