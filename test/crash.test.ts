/**
 * Crash safety: ingest with acknowledgements, `kill -9` the server mid-stream, restart it on the
 * same data directory: every acknowledged event is searchable exactly once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { search, startServer, tmpDir, waitIndexed } from './harness.ts';

test('kill -9 mid-stream loses no acknowledged event and stores none twice', async () => {
  const dataDir = tmpDir('lw-crash-');
  const acked = new Set<number>();
  let seq = 0;
  const BATCH = 250;
  // Three rounds: each starts the server on the same data, ingests, and kills it mid-stream at a
  // different point (so the kill lands in queue writes, worker processing and store commits).
  for (let round = 0; round < 3; round++) {
    const srv = await startServer({ dataDir });
    let stop = false;
    const sender = async () => {
      while (!stop) {
        const first = seq;
        seq += BATCH;
        const body = Array.from({ length: BATCH }, (_, i) =>
          JSON.stringify({ message: `crash test event ${first + i}`, seq: first + i, level: 'info' }),
        ).join('\n');
        try {
          const res = await fetch(`${srv.url}/api/v1/ingest?stream=crash`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-ndjson' },
            body,
          });
          if (res.status === 200) {
            const j = (await res.json()) as { accepted: number };
            assert.equal(j.accepted, BATCH);
            for (let i = 0; i < BATCH; i++) acked.add(first + i);
          }
        } catch {
          return; // the server is gone
        }
      }
    };
    const before = acked.size;
    const senders = [sender(), sender(), sender()];
    while (acked.size < before + 2000 + round * 1500) await new Promise((r) => setTimeout(r, 5));
    await srv.kill9();
    stop = true;
    await Promise.all(senders);
  }
  assert.ok(acked.size >= 9000);

  const srv2 = await startServer({ dataDir });
  try {
    await waitIndexed(srv2.url, 60_000);
    const seen = new Map<number, number>();
    // Page through everything by seq range so the limit never hides a duplicate.
    const STEP = 5000;
    for (let lo = 0; lo < seq; lo += STEP) {
      const r = await search(srv2.url, `stream:crash seq:[${lo} TO ${lo + STEP - 1}]`, { limit: 10000 });
      assert.equal(r.status, 200);
      assert.equal(r.body.events.length, r.body.total, 'page holds every match');
      for (const ev of r.body.events) {
        const s = ev.seq as number;
        seen.set(s, (seen.get(s) ?? 0) + 1);
      }
    }
    const dups = [...seen].filter(([, n]) => n > 1);
    assert.deepEqual(dups, [], 'no event stored twice');
    const missing = [...acked].filter((s) => !seen.has(s));
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged events missing`);
    const total = (await search(srv2.url, 'stream:crash', { limit: 0 })).body.total;
    assert.equal(total, seen.size);
  } finally {
    assert.equal(await srv2.stop(), 0);
  }
});
