/**
 * Black-box: per-stream retention. A server with `store.retentionDays: 10`, a stream `short`
 * (2 days) and a stream `long` (30 days) from the config file and a stream `api` (3 days) made
 * through the API gets events 0, 5, 20 and 40 days old in each of them and in a stream without its
 * own retention. Retention runs when the server starts (then hourly): after a restart each
 * stream keeps exactly the events within its own retention, the rewritten partitions still
 * answer needle searches through the skip index, and new events are stored as before.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ingest, search, startServer, tmpDir, waitIndexed } from './harness.ts';

const DAY_MS = 86_400_000;
const AGES = [0, 5, 20, 40];
const STREAMS = ['short', 'long', 'api', 'other'];
/** Days kept per stream: its own retention, else store.retentionDays. */
const KEEP: Record<string, number> = { short: 2, long: 30, api: 3, other: 10 };

const CONFIG = `
store:
  retentionDays: 10
  blockRows: 1024
streams:
  short:
    retentionDays: 2
  long:
    retentionDays: 30
`;

test('each stream keeps its own retention; the others keep store.retentionDays', async () => {
  const dataDir = tmpDir();
  const now = Date.now();
  let s = await startServer({ dataDir, configYaml: CONFIG });
  try {
    const put = await fetch(`${s.url}/api/v1/streams/api`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ retentionDays: 3 }),
    });
    assert.equal(put.status, 200, await put.text());
    for (const stream of STREAMS) {
      // 600 events per age and stream in one request, each with a unique word.
      const lines: string[] = [];
      for (const age of AGES) {
        for (let i = 0; i < 600; i++) {
          const t = new Date(now - age * DAY_MS - i * 1000).toISOString();
          lines.push(JSON.stringify({ _time: t, message: `${stream} age${age} n${i}x`, host: 'h1' }));
        }
      }
      const r = await ingest(s.url, `${lines.join('\n')}\n`, { stream });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    await waitIndexed(s.url);
    for (const stream of STREAMS) {
      assert.equal((await search(s.url, `stream:${stream}`, { limit: 0 })).body.total, 2400);
    }
    await s.stop();

    s = await startServer({ dataDir, configYaml: CONFIG });
    for (const stream of STREAMS) {
      for (const age of AGES) {
        const want = age < KEEP[stream]! ? 600 : 0;
        const r = await search(s.url, `stream:${stream} age${age}`, { limit: 0 });
        assert.equal(r.body.total, want, `${stream}, ${age} days old: ${r.body.total} events, want ${want}`);
      }
      // A kept event is found by its word, reading few blocks of the rewritten partitions.
      const needle = await search(s.url, `"${stream} age0 n123x"`);
      assert.equal(needle.body.total, 1);
      const stats = needle.body.stats as { blocks: number; blocksScanned: number };
      assert.ok(stats.blocksScanned <= 2, `scanned ${stats.blocksScanned} of ${stats.blocks} blocks`);
    }
    const log = s.logs();
    assert.match(log, /retention: partition rewritten/);
    assert.match(log, /retention: partition dropped/);

    // Ingest goes on into the rewritten partitions.
    const late = new Date(now - 5 * DAY_MS).toISOString();
    const r = await ingest(s.url, `${JSON.stringify({ _time: late, message: 'late arrival zq9' })}\n`, {
      stream: 'long',
    });
    assert.equal(r.status, 200);
    await waitIndexed(s.url);
    assert.equal((await search(s.url, 'zq9')).body.total, 1);
  } finally {
    await s.stop();
  }
});
