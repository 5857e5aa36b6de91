/**
 * Crash safety while a backlog is indexed: the indexer then writes whole row groups (cut at an
 * exact row, two writes in flight, checkpoints between them). `kill -9` the server in the middle
 * of that, twice (the second time while the restarted server works through the rest): every
 * acknowledged event is searchable exactly once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { search, startServer, tmpDir, waitIndexed } from './harness.ts';

const lagOf = async (url: string): Promise<number> =>
  ((await (await fetch(`${url}/api/v1/queue`)).json()) as { lag: { total: number } }).lag.total;

test('kill -9 while a backlog is written in whole row groups loses and duplicates nothing', async () => {
  const dataDir = tmpDir('lw-crash-backlog-');
  const TOTAL = 300_000;
  const BODY = 10_000;
  const srv = await startServer({ dataDir });
  let acked = 0;
  let killedAtLag = -1;
  try {
    // Four clients send everything as fast as the server acknowledges it: the indexer falls behind.
    let next = 0;
    const client = async () => {
      while (next < TOTAL) {
        const first = next;
        next += BODY;
        const body = Array.from({ length: BODY }, (_, i) =>
          JSON.stringify({ message: `backlog crash event ${first + i} GET /api/items`, seq: first + i }),
        ).join('\n');
        const res = await fetch(`${srv.url}/api/v1/ingest?stream=backlog`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body,
        });
        assert.equal(res.status, 200);
        assert.equal(((await res.json()) as { accepted: number }).accepted, BODY);
        acked += BODY;
      }
    };
    await Promise.all([client(), client(), client(), client()]);
    // Kill once more than a row group is stored and more than one is left.
    for (;;) {
      const lag = await lagOf(srv.url);
      if (lag < TOTAL - 70_000 || lag === 0) {
        killedAtLag = lag;
        break;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    await srv.kill9();
  }
  assert.equal(acked, TOTAL);
  assert.ok(killedAtLag > 0, `the kill landed while indexing (lag ${killedAtLag})`);
  // Restarted, the server indexes the rest of the backlog: kill it again in the middle of that.
  if (killedAtLag > 140_000) {
    const srv1 = await startServer({ dataDir });
    try {
      while ((await lagOf(srv1.url)) > killedAtLag - 70_000) await new Promise((r) => setTimeout(r, 2));
    } finally {
      await srv1.kill9();
    }
  }

  const srv2 = await startServer({ dataDir });
  try {
    await waitIndexed(srv2.url, 120_000);
    const seen = new Map<number, number>();
    const STEP = 10_000;
    for (let lo = 0; lo < TOTAL; lo += STEP) {
      const r = await search(srv2.url, `stream:backlog seq:[${lo} TO ${lo + STEP - 1}]`, { limit: STEP });
      assert.equal(r.status, 200);
      assert.equal(r.body.events.length, r.body.total, 'page holds every match');
      for (const ev of r.body.events) {
        const s = ev.seq as number;
        seen.set(s, (seen.get(s) ?? 0) + 1);
      }
    }
    assert.deepEqual([...seen].filter(([, n]) => n > 1).slice(0, 10), [], 'no event stored twice');
    assert.equal(seen.size, TOTAL, `${TOTAL - seen.size} acknowledged events missing`);
  } finally {
    assert.equal(await srv2.stop(), 0);
  }
});
