/**
 * Black-box: ingests real log samples from Loghub (test/fixtures/loghub, 2,000 lines each) as
 * plain text (`text/plain`, `?format=text`) into the real server, one stream per sample, and checks
 * the results against the samples' `_structured.csv` ground truth: events per stream, counts per
 * level, the `_time` of every line, and phrase searches for message contents.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ingest, type Server, search, startServer, waitIndexed } from './harness.ts';
import { expectedTimeUs, isoUs, LOGHUB_LEVEL, readCsv } from './loghub-fixtures.ts';

const FIXTURES = new URL('./fixtures/loghub/', import.meta.url);
const LINES_PER_SAMPLE = 2000;

type Row = Record<string, string>;

interface Sample {
  name: string;
  stream: string;
  raw: Buffer;
  lines: string[];
  rows: Row[];
}

function loadSample(name: string): Sample {
  const raw = readFileSync(new URL(`${name}_2k.log`, FIXTURES));
  const lines = raw.toString('utf8').split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const [header, ...body] = readCsv(readFileSync(new URL(`${name}_2k.log_structured.csv`, FIXTURES), 'utf8'));
  const rows = body.map((r) => Object.fromEntries(header!.map((h, k) => [h, r[k] ?? ''])));
  return { name, stream: `loghub_${name.toLowerCase()}`, raw, lines, rows };
}

function expectedLevels(s: Sample): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of s.rows) {
    const lv = r.Level === undefined ? '' : LOGHUB_LEVEL[r.Level];
    assert.notEqual(lv, undefined, `${s.name}: unmapped CSV level ${r.Level}`);
    m.set(lv!, (m.get(lv!) ?? 0) + 1);
  }
  return m;
}

/**
 * Contents to search for as phrases: CSV Content values that occur k times and that occur, as
 * case-insensitive substrings, in exactly k lines (so the answer does not depend on word-boundary
 * details); without `"` or `\` (no escaping needed). The most frequent one and a rare one (k >= 2
 * when the sample has such a Content: HDFS contents all carry unique block ids).
 */
function phraseCandidates(s: Sample): Array<{ content: string; k: number }> {
  const counts = new Map<string, number>();
  for (const r of s.rows) counts.set(r.Content!, (counts.get(r.Content!) ?? 0) + 1);
  const lower = s.lines.map((l) => l.toLowerCase());
  const ok: Array<{ content: string; k: number }> = [];
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  for (const [content, k] of sorted) {
    if (content.length < 15 || /["\\]/.test(content) || content.trim() !== content) continue;
    const c = content.toLowerCase();
    let n = 0;
    for (const l of lower) if (l.includes(c)) n++;
    if (n === k) ok.push({ content, k });
  }
  assert.ok(ok.length > 0, `${s.name}: a Content to search for`);
  const repeated = ok.filter((c) => c.k >= 2);
  return [ok[0]!, (repeated.at(-1) ?? ok.at(-1))!];
}

const SAMPLES = ['Apache', 'HDFS', 'Spark', 'Zookeeper', 'Android', 'Hadoop', 'HealthApp'].map(loadSample);

let srv: Server;

before(async () => {
  srv = await startServer();
  for (const s of SAMPLES) {
    const r = await ingest(srv.url, s.raw, {
      contentType: 'text/plain',
      stream: s.stream,
      query: 'format=text',
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.accepted, LINES_PER_SAMPLE, `${s.name}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.rejected, 0);
  }
  await waitIndexed(srv.url, 60_000);
});
after(async () => {
  const code = await srv.stop();
  assert.equal(code, 0, `graceful stop exits 0\n${srv.logs()}`);
});

interface FieldValues {
  total: number;
  values: Array<{ value: unknown; count: number }>;
}

async function levelValues(stream: string): Promise<FieldValues> {
  const qs = new URLSearchParams({ q: `stream:${stream}`, start: '0', limit: '20' });
  const res = await fetch(`${srv.url}/api/v1/fields/level/values?${qs}`);
  assert.equal(res.status, 200);
  return (await res.json()) as FieldValues;
}

for (const s of SAMPLES) {
  describe(`Loghub ${s.name}_2k as plain text`, () => {
    test('the fixture and its ground truth agree line by line', () => {
      assert.equal(s.lines.length, LINES_PER_SAMPLE);
      assert.equal(s.rows.length, LINES_PER_SAMPLE);
      for (let k = 0; k < s.rows.length; k++) {
        // (the CSV drops trailing blanks)
        assert.ok(s.lines[k]!.trimEnd().endsWith(s.rows[k]!.Content!), `line ${k + 1} ends with its Content`);
      }
    });

    test('one event per line', async () => {
      const r = await search(srv.url, `stream:${s.stream}`, { limit: 0 });
      assert.equal(r.status, 200);
      assert.equal(r.body.total, LINES_PER_SAMPLE);
    });

    test('counts per level equal the CSV Level column', async () => {
      const want = expectedLevels(s);
      // facets
      const fv = await levelValues(s.stream);
      const got = new Map<string, number>();
      for (const v of fv.values) if (v.value !== '' && v.value !== null) got.set(String(v.value), v.count);
      const wantNonEmpty = new Map([...want].filter(([lv]) => lv !== ''));
      assert.deepEqual(got, wantNonEmpty, `level facets of ${s.stream}`);
      // and level: filters
      for (const [lv, n] of wantNonEmpty) {
        const r = await search(srv.url, `stream:${s.stream} level:${lv}`, { limit: 0 });
        assert.equal(r.body.total, n, `stream:${s.stream} level:${lv}`);
      }
      const none = await search(srv.url, `stream:${s.stream} -level:*`, { limit: 0 });
      assert.equal(none.body.total, want.get('') ?? 0, 'events without a level');
    });

    test('_time of every line equals the CSV Date/Time (UTC)', async () => {
      const r = await search(srv.url, `stream:${s.stream}`, { limit: LINES_PER_SAMPLE, order: 'asc' });
      assert.equal(r.body.events.length, LINES_PER_SAMPLE);
      // Identical lines have identical timestamps, so the message identifies the time.
      const times = new Map<string, Set<string>>();
      for (const ev of r.body.events) {
        const m = String(ev.message);
        if (!times.has(m)) times.set(m, new Set());
        times.get(m)!.add(String(ev._time));
      }
      let matched = 0;
      const mismatches: string[] = [];
      for (let k = 0; k < s.rows.length; k++) {
        const got = times.get(s.lines[k]!);
        const want = expectedTimeUs(s.name, s.rows[k]!, Date.now() * 1000);
        if (got !== undefined && got.size === 1 && isoUs([...got][0]!) === want) matched++;
        else if (mismatches.length < 5)
          mismatches.push(`line ${k + 1}: ${[...(got ?? [])]} vs ${want}: ${s.lines[k]}`);
      }
      assert.equal(matched, LINES_PER_SAMPLE, mismatches.join('\n'));
      // the order by _time is the order of the file (each sample is sorted by time)
      const first = expectedTimeUs(s.name, s.rows[0]!, Date.now() * 1000);
      assert.equal(isoUs(String(r.body.events[0]!._time)), first);
    });

    test('a phrase search for a Content returns the lines that contain it', async (t) => {
      for (const { content, k } of phraseCandidates(s)) {
        const q = `stream:${s.stream} "${content}"`;
        const r = await search(srv.url, q, { limit: 0 });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.total, k, q);
        t.diagnostic(`${k} x ${JSON.stringify(content)}`);
      }
    });
  });
}
