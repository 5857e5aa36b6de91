import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBatchBuilder } from '../core/event-batch.ts';
import { type FieldValue, LEVELS, type LogEvent } from '../core/event.ts';
import { Uint32Set } from '../core/uint32-set.ts';
import type { StoredMessage } from '../queue/queue.ts';
import { mulberry32 } from '../../test/prng.ts';
import { fromWire, toWire, wireTransferList } from './batch-wire.ts';
import { WorkerPool } from './pool.ts';

const words = ['', 'a', 'api-1', 'api-2', 'info', 'error', 'default', 'x.y', '결제', '😀', 'a\nb'];

function randomBatch(seed: number, n: number) {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const b = new EventBatchBuilder(new Uint32Set(16));
  for (let i = 0; i < n; i++) {
    const fields: Record<string, FieldValue> = {};
    const nf = Math.floor(rnd() * 6);
    for (let j = 0; j < nf; j++) {
      fields[pick(words) || 'k'] = pick<FieldValue>([pick(words), rnd(), rnd() < 0.5, -0]);
    }
    const ev: LogEvent = {
      _id: '',
      _time: Math.floor(rnd() * 1e15),
      _ingest_time: Math.floor(rnd() * 1e15),
      stream: pick(words),
      message: `m${rnd()}${pick(words)}`,
      level: pick(['', ...LEVELS]),
      host: pick(words),
      service: pick(words),
      fields,
    };
    b.hashes.add(Math.floor(rnd() * 2 ** 32));
    b.add(i, ev);
  }
  return b.build();
}

describe('batch wire form', () => {
  it('property: fromWire(toWire(b)) equals b', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const n = seed % 7 === 0 ? 0 : Math.floor(mulberry32(seed)() * 50);
      const b = randomBatch(seed, n);
      const copy = structuredClone(b);
      const w = toWire(b);
      const distinct = new Set([...copy.stream, ...copy.level, ...copy.host, ...copy.service, ...copy.fkeys]);
      assert.equal(w.dict.length, distinct.size, 'each distinct value is sent once');
      assert.deepEqual(fromWire(structuredClone(w, { transfer: wireTransferList(w) })), copy, `seed ${seed}`);
    }
  });

  it('a worker pool returns what the worker computed, through the wire form', async () => {
    const pool = new WorkerPool(1);
    try {
      const lines = [
        '{"message":"GET /a","level":"info","host":"web-1","service":"api","http":{"status":200}}',
        '{"message":"POST /b","level":"error","host":"web-2","service":"api","user":"kim"}',
        '<34>1 2026-01-02T03:04:05Z host-3 sshd 42 - - Failed password for root',
        'plain text line WARN disk',
      ];
      const msgs: StoredMessage[] = lines.map((l, i) => ({
        topic: 't',
        partition: 3,
        offset: 100 + i,
        timestamp: 1_700_000_000_000,
        key: Buffer.from(i < 2 ? 's1\njson' : 's2\nauto'),
        value: Buffer.from(l),
        headers: {},
      }));
      const r = await pool.process(3, msgs);
      const b = r.batch;
      assert.equal(b.n, 4);
      assert.deepEqual(b.stream, ['s1', 's1', 's2', 's2']);
      assert.deepEqual(b.message.slice(0, 2), ['GET /a', 'POST /b']);
      assert.deepEqual(b.level, ['info', 'error', 'critical', 'warn']);
      assert.deepEqual(b.host.slice(0, 3), ['web-1', 'web-2', 'host-3']);
      assert.deepEqual(b.service.slice(0, 2), ['api', 'api']);
      const fields = (i: number) =>
        Object.fromEntries(
          b.fkeys.slice(b.fstart[i], b.fstart[i + 1]).map((k, j) => [k, b.fvals[b.fstart[i] + j]]),
        );
      assert.deepEqual(fields(0), { 'http.status': 200 });
      assert.deepEqual(fields(1), { user: 'kim' });
      assert.equal(fields(2).app, 'sshd');
      assert.equal(fields(2).pid, 42);
    } finally {
      await pool.close();
    }
  });
});
