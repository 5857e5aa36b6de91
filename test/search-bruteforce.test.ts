/**
 * Black-box: search results checked against a brute-force scan of the same data.
 *
 * Starts the real server with small skip-index blocks (so that the Bloom filters prune), ingests
 * ~20,000 seeded random events over four days (four day partitions) and runs several hundred
 * seeded random queries plus targeted ones. For every query the exact set of matching events
 * (by their unique `seq` field) and `total` must equal what test/reference-eval.ts computes by
 * evaluating the parsed filter on every event in plain JavaScript. Targeted queries fetch every
 * match with search (limit 10,000, both orders); random queries with many matches take the set
 * from the histogram split by `seq`, which is cheaper (see `run`).
 *
 * A mismatch prints the query, its parsed filter and a few events on each side of the
 * difference. Re-run one seed with `LW_BRUTE_SEED=<n>`; `LW_BRUTE_QUERIES=<n>` changes how many
 * random queries run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FilterNode } from '../src/core/query-ast.ts';
import { parseQuery } from '../src/query/parser.ts';
import { ingest, type Server, search, startServer, waitIndexed } from './harness.ts';
import { matches } from './reference-eval.ts';
import {
  CHUNK,
  type Ctx,
  EVENTS,
  expr,
  type Generated,
  generate,
  isoMicros,
  micros6,
  Rng,
} from './search-generators.ts';

const SEED = Number(process.env.LW_BRUTE_SEED ?? 20261122);
const RANDOM_QUERIES = Number(process.env.LW_BRUTE_QUERIES ?? 500);
const LIMIT = 10_000;
/** Above this many expected matches, random queries take the set of matches from the histogram (see `run`). */
const SAMPLE = 200;

// --- checking ---

interface Answer {
  total: number;
  /** Matching seqs, ascending; a seq listed twice means the store returned an event twice. */
  seqs: number[];
  stats: { blocks: number; blocksScanned: number };
}

let srv: Server;
let events: Generated[];

async function searchOk(q: string, params: Record<string, string | number>) {
  const res = await search(srv.url, q, params);
  if (res.status !== 200)
    throw new Error(`search ${JSON.stringify(q)} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * Every match of `q` as search returns it: the newest LIMIT events, plus the oldest LIMIT when
 * there are more (together they cover every match while total <= 2 * LIMIT).
 */
async function runFull(q: string): Promise<Answer> {
  const desc = await searchOk(q, { limit: LIMIT });
  const seqs = desc.events.map((e) => Number(e.seq));
  if (desc.total > LIMIT) {
    const have = new Set(seqs);
    const asc = await searchOk(q, { limit: LIMIT, order: 'asc' });
    for (const e of asc.events) if (!have.has(Number(e.seq))) seqs.push(Number(e.seq));
  }
  return { total: desc.total, seqs: seqs.sort((a, b) => a - b), stats: desc.stats as Answer['stats'] };
}

/**
 * The same, cheaper: materialising events costs the store ~15 µs each, and every evaluation of a
 * filter ~1 µs per row, so each query is evaluated twice. When the reference expects at most
 * SAMPLE matches, search returns them all (limit SAMPLE). Otherwise search only counts (limit 0)
 * and the set comes from the histogram split by `seq`: the same planning and WHERE clauses as
 * search, one series per event.
 */
async function run(q: string, expectedTotal: number): Promise<Answer> {
  const small = expectedTotal <= SAMPLE;
  const desc = await searchOk(q, { limit: small ? SAMPLE : 0 });
  const stats = desc.stats as Answer['stats'];
  if (desc.total <= SAMPLE && small) {
    return { total: desc.total, seqs: desc.events.map((e) => Number(e.seq)).sort((a, b) => a - b), stats };
  }
  const qs = new URLSearchParams({ q, start: '0', step: '30d', by: 'seq' });
  const res = await fetch(`${srv.url}/api/v1/histogram?${qs}`);
  const h = (await res.json()) as { series: Array<{ value: number; total: number }> };
  if (res.status !== 200)
    throw new Error(`histogram ${JSON.stringify(q)} answered ${res.status}: ${JSON.stringify(h)}`);
  const seqs: number[] = [];
  for (const s of h.series) for (let i = 0; i < s.total; i++) seqs.push(Number(s.value));
  return { total: desc.total, seqs: seqs.sort((a, b) => a - b), stats };
}

function expected(filter: FilterNode): number[] {
  const out: number[] = [];
  for (const g of events) if (matches(filter, g.ref)) out.push(g.raw.seq as number);
  return out;
}

function show(seq: number): string {
  const g = events[seq]!;
  return `    seq ${seq}: ${JSON.stringify({ ...g.ref, time: isoMicros(g.ref.time) })}`;
}

/**
 * Compares one query with the reference. `diff` is a readable report of the difference, or null
 * when they agree.
 */
async function check(q: string, full = false): Promise<{ diff: string | null; got: Answer }> {
  const filter = parseQuery(q).filter;
  const want = expected(filter);
  const got = full ? await runFull(q) : await run(q, want.length);
  const gotSet = new Set(got.seqs);
  const wantSet = new Set(want);
  const missing = want.filter((s) => !gotSet.has(s));
  const extra = got.seqs.filter((s) => !wantSet.has(s));
  const dupes = got.seqs.filter((s, i) => got.seqs[i - 1] === s);
  const ok = got.total === want.length && missing.length + extra.length + dupes.length === 0;
  if (ok) return { diff: null, got };
  const lines = [
    `query ${JSON.stringify(q)}`,
    `  filter ${JSON.stringify(filter)}`,
    `  total: store ${got.total}, reference ${want.length}; missing ${missing.length}, extra ${extra.length}`,
  ];
  if (missing.length)
    lines.push('  missing (reference matches, store does not):', ...missing.slice(0, 3).map(show));
  if (extra.length)
    lines.push('  extra (store matches, reference does not):', ...extra.slice(0, 3).map(show));
  if (dupes.length) lines.push(`  returned more than once: ${dupes.slice(0, 10).join(', ')}`);
  return { diff: lines.join('\n'), got };
}

before(async () => {
  srv = await startServer({ configYaml: 'store:\n  blockRows: 1024\n  maxDynamicColumns: 10\n' });
  events = generate(new Rng(SEED));
  // Chunks of CHUNK events, one stream each, indexed one after the other so that blocks stay
  // near blockRows rows (a block is sealed once it holds at least blockRows rows).
  for (let i = 0; i < events.length; i += CHUNK) {
    const chunk = events.slice(i, i + CHUNK);
    const body = chunk.map((g) => JSON.stringify(g.raw)).join('\n');
    const res = await ingest(srv.url, body, { stream: chunk[0]!.stream });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.accepted, chunk.length, JSON.stringify(res.body));
    await waitIndexed(srv.url);
  }
});

after(async () => {
  await srv?.stop();
});

describe('search agrees with a brute-force scan', () => {
  test('the stored events are the reference view of what was sent', async () => {
    const all = await search(srv.url, '*', { limit: LIMIT });
    const allAsc = await search(srv.url, '*', { limit: LIMIT, order: 'asc' });
    assert.equal(all.body.total, EVENTS);
    const bySeq = new Map<number, Record<string, unknown>>();
    for (const e of [...all.body.events, ...allAsc.body.events]) bySeq.set(Number(e.seq), e);
    assert.equal(bySeq.size, EVENTS);
    const diffs: string[] = [];
    for (const g of events) {
      const e = bySeq.get(g.raw.seq as number)!;
      const { _id, _time, _ingest_time, stream, message, level, host, service, ...fields } = e;
      // Absent level/host/service are left out of search results; the reference keeps ''.
      const got = {
        time: _time,
        stream,
        message,
        level: level ?? '',
        host: host ?? '',
        service: service ?? '',
        fields,
      };
      const want = { ...g.ref, time: micros6(g.ref.time) };
      try {
        assert.deepEqual(got, want);
      } catch {
        if (diffs.length < 5) diffs.push(`stored ${JSON.stringify(got)}\nexpected ${JSON.stringify(want)}`);
      }
    }
    assert.deepEqual(diffs, []);
    const s = all.body.stats as Answer['stats'];
    assert.ok(s.blocks >= 16, `the data spans many skip-index blocks (${s.blocks})`);
  });

  test('targeted: skip-index pruning never loses a match', async () => {
    const failures: string[] = [];
    const blob = events.find((g) => g.ref.message.startsWith('blob '))!.ref.message.split(' ')[1]!;
    // `prunes`: the skip index must leave out most blocks. A block's filter holds the tokens of
    // the whole ingest batch its rows came in with, and a batch with events of several days adds
    // its tokens to the open block of each of those day partitions (a superset: never a miss).
    // So a term in n events may leave up to n blocks per partition, plus a Bloom false positive.
    const cases: Array<{ q: string; total?: number; prunes?: boolean }> = [
      // A rare token in exactly one event (one block), in any case.
      { q: 'zyxqplonk', total: 1, prunes: true },
      { q: 'ZYXQPLONK', total: 1, prunes: true },
      { q: 'zyxq*', total: 1 }, // an incomplete last word gives the index nothing to prune on
      { q: 'zyxqplonk*', total: 1 },
      { q: 'quokka', total: 2, prunes: true },
      { q: '"Lonely-Needle-0x2A"', total: 1, prunes: true },
      { q: 'lonely-needle-0x2a', total: 1, prunes: true },
      { q: 'needle-7f3a9c', total: 2, prunes: true },
      { q: 'needle', total: 3, prunes: true },
      { q: '7f3a9c', total: 2, prunes: true },
      { q: 'xenolith42', total: 1, prunes: true },
      { q: 'xenolith', total: 0 },
      { q: '바나나우유', total: 1, prunes: true },
      { q: '나나', total: 1, prunes: true },
      { q: 'zyxqplonk OR xenolith42', total: 2, prunes: true },
      { q: 'zyxqplonk service:*', prunes: true },
      { q: 'NOT zyxqplonk', total: EVENTS - 1 },
      // A term only in a string field, not in any message.
      { q: 'xylophone', total: 0 },
      { q: 'note:xylophone', total: 4, prunes: true },
      { q: 'note:XYLO*', total: 4 },
      { q: 'note:"orchestra tuning"', total: 4 },
      { q: 'note:=xylophone', total: 0 },
      // Korean bigrams inside longer runs.
      { q: '결제' },
      { q: '결제를' },
      { q: '제를' },
      { q: '요청' },
      { q: '했습' },
      { q: '결' },
      { q: '결제를요청', total: 0 },
      { q: '"결제를 요청했습니다"' },
      { q: '사용자 로그인 실패' },
      { q: 'service:결제' },
      { q: 'サーバー' },
      { q: 'エラー' },
      // A token inside a longer word must not match as a word.
      { q: 'pay' },
      { q: 'ayment', total: 0 },
      { q: 'error' },
      { q: 'errors' },
      { q: 'terror' },
      { q: 'prepay', total: 0 },
      { q: 'prepay*' },
      { q: '1.2' },
      { q: '1.2.3' },
      { q: '1.2.30' },
      // Numeric-looking values.
      { q: '42' },
      { q: '0042' },
      { q: '420' },
      { q: '3.14' },
      { q: '173.234.31.186' },
      { q: '173.234.31.18', total: 0 },
      { q: 'code:500' },
      { q: 'code:0500' },
      { q: 'code:=0500' },
      { q: 'code:404' },
      { q: 'code:>=500' },
      { q: 'code:E42' },
      { q: 'latency:5' },
      { q: 'latency:1.5' },
      { q: 'latency:>2' },
      { q: 'status:500 OR code:500' },
      { q: 'seq:4242', total: 1 },
      // Unquoted numbers compare numerically, also with strings that read as numbers ("0500",
      // " 404 "); quoted bounds compare strings as strings.
      { q: 'code:[400 TO 600]' },
      { q: 'code:{404 TO 500]' },
      { q: 'code:>="500"' },
      { q: 'version:["1.2" TO "1.9"]' },
      { q: 'latency:<"1"' },
      { q: 'status:>="500"' },
      // Prefixes and regular expressions see a number as JSON writes it (500, not 500.0).
      { q: 'status:/^5\\d\\d$/' },
      { q: 'status:50*' },
      { q: 'duration_ms:/^\\d+\\.5$/' },
      // Every spelling of a level means that level, also with :=.
      { q: 'level:=WARNING' },
      { q: 'level:=Err' },
      { q: 'level:warning' },
      { q: 'level:4' },
      { q: 'level:warn*' },
      { q: 'level:=LOUD', total: 0 },
      { q: 'level_:loud' },
      // Booleans and numbers are not tokenized: queries that can match them must not prune,
      // also when they sit in _extra (where retry mostly is) beside strings.
      { q: 'retry:false' },
      { q: 'retry:=FALSE' },
      { q: 'retry:true' },
      { q: 'retry:tr*' },
      { q: 'retry:t*' },
      { q: 'retry:2' },
      { q: 'retry:2.5' },
      { q: 'retry:5' },
      { q: 'retry:=2.50' },
      { q: 'retry:>=1' },
      { q: 'retry:>"x"' },
      { q: 'retry:/^[12]$/' },
      { q: 'retry:2*' },
      { q: 'retry:*' },
      { q: '-retry:false' },
      { q: 'retry:yes OR retry:never' },
      { q: 'cached:=false' },
      { q: 'cached:FALSE' },
      { q: 'flag:false' },
      { q: 'flag:=true' },
      { q: 'flag:f*' },
      // Long tokens (more than 64 characters are indexed by their first 64).
      { q: `blob ${blob}`, total: 1 },
      { q: `${blob.slice(0, 70)}*`, total: 1 },
      { q: blob.slice(0, 70), total: 0 },
    ];
    for (const c of cases) {
      const { diff, got: a } = await check(c.q, true);
      if (diff !== null) failures.push(diff);
      if (c.total !== undefined && a.total !== c.total)
        failures.push(`query ${JSON.stringify(c.q)}: total ${a.total}, want ${c.total}`);
      const most = 4 * Math.max(a.total, 1) + 1;
      if (c.prunes && (a.stats.blocksScanned > most || a.stats.blocksScanned >= a.stats.blocks)) {
        failures.push(
          `query ${JSON.stringify(c.q)}: scanned ${a.stats.blocksScanned} of ${a.stats.blocks} blocks, want <= ${most}`,
        );
      }
    }
    assert.equal(failures.length, 0, `\n${failures.join('\n\n')}`);
  });

  test(`random queries (seed ${SEED})`, async () => {
    const c: Ctx = { r: new Rng(SEED + 1), events };
    const seen = new Set<string>();
    const queries: string[] = [];
    while (queries.length < RANDOM_QUERIES) {
      const q = expr(c, 0);
      if (seen.has(q)) continue;
      seen.add(q);
      queries.push(q);
    }
    // A few queries in flight, so that the reference scan of one overlaps the store's work on another.
    const results: Array<string | null> = new Array(queries.length).fill(null);
    let next = 0;
    const worker = async () => {
      while (next < queries.length) {
        const i = next++;
        const q = queries[i]!;
        try {
          results[i] = (await check(q)).diff;
        } catch (err) {
          results[i] = `query ${JSON.stringify(q)}: ${(err as Error).message}`;
        }
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    const failures = results.filter((r) => r !== null);
    console.log(`checked ${queries.length} random queries, ${failures.length} disagree`);
    assert.equal(
      failures.length,
      0,
      `${failures.length} of ${queries.length} queries disagree:\n${failures.slice(0, 25).join('\n\n')}`,
    );
  });
});
