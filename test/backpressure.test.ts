/**
 * Backpressure: when the queue is at its size bound, ingest answers 429 with Retry-After
 * instead of losing events, and accepts again once there is room.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ingest, search, startServer, waitIndexed } from './harness.ts';

test('a full queue answers 429 with Retry-After; a batch that fits is accepted', async () => {
  const srv = await startServer({ configYaml: 'queue:\n  maxBytes: 1000000\n  segmentBytes: 200000\n' });
  try {
    const big = Array.from({ length: 3000 }, (_, i) =>
      JSON.stringify({ message: `big ${i} ${'y'.repeat(400)}` }),
    ).join('\n');
    const r = await ingest(srv.url, big, { stream: 'bp' });
    assert.equal(r.status, 429, JSON.stringify(r.body));
    assert.equal(r.body.code, 'LW_ERR_QUEUE_FULL');
    assert.equal(r.headers.get('retry-after'), '1');
    assert.equal(r.body.accepted, 0);
    const small = Array.from({ length: 100 }, (_, i) => JSON.stringify({ message: `small ${i}` })).join('\n');
    const ok = await ingest(srv.url, small, { stream: 'bp' });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.accepted, 100);
    await waitIndexed(srv.url);
    assert.equal((await search(srv.url, 'stream:bp')).body.total, 100);
    const metrics = await (await fetch(`${srv.url}/metrics`)).text();
    assert.match(metrics, /logwarden_events_indexed_total \d+/);
    assert.match(metrics, /logwarden_queue_lag_records\{partition="0"\} 0/);
  } finally {
    assert.equal(await srv.stop(), 0);
  }
});
