/**
 * KafkaQueue against a real broker: the Queue contract (offsets, fetch from an offset, commits
 * per group, topic partition checks) and every compression codec.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { kafkaSkip, useBroker } from '../../../test/kafka-harness.ts';
import type { DevBroker } from './dev-broker.ts';
import { type KafkaCompression, KafkaQueue } from './kafka-queue.ts';

const skip = kafkaSkip();

describe('KafkaQueue on a real broker', { skip }, () => {
  const getBroker = useBroker();
  let broker: DevBroker;
  before(() => {
    broker = getBroker();
  });

  test('produce assigns dense offsets per partition; fetch reads from any offset', async () => {
    const q = new KafkaQueue({ brokers: [broker.bootstrap] });
    try {
      await q.createTopic('t-basic', 3);
      assert.equal(q.partitionCount('t-basic'), 3);
      // Concurrent produce calls to one partition are sent together but keep their own offsets.
      const calls = [0, 1, 2, 3].map((c) =>
        q.produce(
          't-basic',
          1,
          Array.from({ length: 5 }, (_, i) => ({
            key: Buffer.from(`k${c}`),
            value: Buffer.from(`call ${c} msg ${i}`),
            timestamp: 1_700_000_000_000 + i,
            headers: { remote: `10.0.0.${c}` },
          })),
        ),
      );
      const bases = (await Promise.all(calls)).map((r) => r.baseOffset);
      assert.deepEqual(
        [...bases].sort((a, b) => a - b),
        [0, 5, 10, 15],
      );
      const msgs = await q.fetch('t-basic', 1, 7, { maxWaitMs: 1000 });
      assert.equal(msgs[0].offset, 7);
      assert.equal(msgs.length, 13);
      for (const m of msgs) {
        const c = bases.findIndex((b) => m.offset >= b && m.offset < b + 5);
        assert.equal(m.value.toString(), `call ${c} msg ${m.offset - bases[c]}`);
        assert.equal(m.key?.toString(), `k${c}`);
        assert.equal(m.headers.remote, `10.0.0.${c}`);
        assert.equal(m.timestamp, 1_700_000_000_000 + (m.offset - bases[c]));
        assert.equal(m.partition, 1);
      }
      // An empty partition long-polls and answers [].
      const t0 = Date.now();
      assert.deepEqual(await q.fetch('t-basic', 0, 0, { maxWaitMs: 300 }), []);
      assert.ok(Date.now() - t0 >= 250, 'fetch waited for data');
      const st = q.state().find((s) => s.topic === 't-basic' && s.partition === 1)!;
      assert.equal(st.endOffset, 20);
    } finally {
      await q.close();
    }
  });

  test('commits are per group and survive a new client', async () => {
    const q = new KafkaQueue({ brokers: [broker.bootstrap] });
    await q.createTopic('t-commit', 2);
    await q.produce('t-commit', 0, [{ value: Buffer.from('a') }, { value: Buffer.from('b') }]);
    assert.equal(await q.committed('g1', 't-commit', 0), 0);
    await q.commit('g1', 't-commit', 0, 2);
    await q.commit('g2', 't-commit', 0, 1);
    await q.close();
    const q2 = new KafkaQueue({ brokers: [broker.bootstrap] });
    await q2.createTopic('t-commit', 2);
    assert.equal(await q2.committed('g1', 't-commit', 0), 2);
    assert.equal(await q2.committed('g2', 't-commit', 0), 1);
    assert.equal(await q2.committed('g1', 't-commit', 1), 0);
    await q2.close();
  });

  test('an existing topic with another partition count is reported clearly', async () => {
    const q = new KafkaQueue({ brokers: [broker.bootstrap] });
    await q.createTopic('t-mismatch', 2);
    await q.close();
    const q2 = new KafkaQueue({ brokers: [broker.bootstrap] });
    await assert.rejects(q2.createTopic('t-mismatch', 4), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'LW_ERR_CONFIG');
      assert.match(err.message, /topic "t-mismatch" exists with 2 partitions, but queue.partitions is 4/);
      return true;
    });
    await q2.close();
    const q3 = new KafkaQueue({ brokers: [broker.bootstrap], adoptExistingPartitions: true });
    await q3.createTopic('t-mismatch', 4);
    assert.equal(q3.partitionCount('t-mismatch'), 2);
    await q3.close();
  });

  for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as KafkaCompression[]) {
    test(`compression ${compression}: values come back byte for byte`, async () => {
      const q = new KafkaQueue({ brokers: [broker.bootstrap], compression, lingerMs: 5 });
      const topic = `t-codec-${compression}`;
      await q.createTopic(topic, 1);
      // Compressible text and incompressible bytes, including an empty value.
      const values = [
        Buffer.from('{"level":"info","message":"hello hello hello hello"}'.repeat(20)),
        Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251)),
        Buffer.alloc(0),
        Buffer.from('결제를 요청했습니다'),
      ];
      await q.produce(
        topic,
        0,
        values.map((value) => ({ value })),
      );
      const got = await q.fetch(topic, 0, 0, { maxWaitMs: 1000 });
      assert.deepEqual(
        got.map((m) => m.value.toString('hex')),
        values.map((v) => v.toString('hex')),
      );
      await q.close();
    });
  }

  test('an unreachable broker fails produce with LW_ERR_QUEUE_UNAVAILABLE (503)', async () => {
    const q = new KafkaQueue({ brokers: [broker.bootstrap], requestTimeoutMs: 1000 });
    await q.createTopic('t-down', 1);
    const dead = new KafkaQueue({ brokers: ['127.0.0.1:1'], requestTimeoutMs: 1000 });
    await assert.rejects(dead.createTopic('t-down', 1), (err: Error & { code?: string; status?: number }) => {
      assert.equal(err.code, 'LW_ERR_QUEUE_UNAVAILABLE');
      assert.equal(err.status, 503);
      assert.match(err.message, /127\.0\.0\.1:1/);
      return true;
    });
    await dead.close();
    await q.close();
  });
});
