/**
 * The Kafka topic audit on a real broker, black-box: a notification produced four times is
 * flagged as duplicate production (audit.copies, audit.duplicate_of), its decoded value is
 * masked, and the trace endpoint tells which consumer group consumed it and when; that offset
 * history survives a restart, and a topic created later that matches `topicPattern` is audited.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Admin, Consumer, type Message, Producer } from '@platformatic/kafka';
import type { DevBroker } from '../src/queue/kafka/dev-broker.ts';
import { type Server, search, startServer, tmpDir } from './harness.ts';
import { kafkaSkip, startTestBroker } from './kafka-harness.ts';

const skip = kafkaSkip();

async function until<T>(what: string, fn: () => Promise<T | null>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A user's consumer group that reads `count` messages of `topic` and commits them. */
async function consumeAndCommit(
  bootstrap: string,
  group: string,
  topic: string,
  count: number,
): Promise<void> {
  const consumer = new Consumer({ clientId: group, groupId: group, bootstrapBrokers: [bootstrap] });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  let n = 0;
  for await (const m of stream as AsyncIterable<Message>) {
    await m.commit();
    if (++n >= count) break;
  }
  await stream.close();
  await consumer.close(true);
}

describe('Kafka topic audit', { skip }, () => {
  let broker: DevBroker;
  let srv: Server;
  before(async () => {
    broker = await startTestBroker();
    const admin = new Admin({ clientId: 'setup', bootstrapBrokers: [broker.bootstrap] });
    await admin.createTopics({ topics: ['notifications'], partitions: 1, replicas: 1 });
    await admin.close();
    srv = await startServer({
      configYaml: [
        'sources:',
        '  kafkaAudit:',
        `    brokers: ["${broker.bootstrap}"]`,
        '    topics: [notifications]',
        '    groups: [notifier, analytics]',
        '    sampleIntervalMs: 300',
        '    decodeValue: json',
        '    maskFields: [card]',
        '',
      ].join('\n'),
    });
  });
  after(async () => {
    await srv?.stop();
    await broker?.stop();
  });

  test('a message produced four times is flagged, and the trace shows which groups consumed it', async () => {
    const producer = new Producer({ clientId: 'shop', bootstrapBrokers: [broker.bootstrap] });
    const send = (key: string, value: object) =>
      producer.send({
        messages: [
          {
            topic: 'notifications',
            partition: 0,
            key: Buffer.from(key),
            value: Buffer.from(JSON.stringify(value)),
            headers: new Map([[Buffer.from('trace-id'), Buffer.from(`t-${key}`)]]),
          },
        ],
      });
    // offsets 0..5: one other message, the notification four times (a retrying producer), another one.
    await send('user-7', { text: 'welcome', card: '4111-1111' });
    for (let i = 0; i < 4; i++) await send('user-42', { text: 'your order shipped', card: '5500-0000' });
    await send('user-9', { text: 'your order shipped', card: '5500-0000' });
    await producer.close();

    // The "analytics" group reads only the first two messages; "notifier" reads all six.
    await consumeAndCommit(broker.bootstrap, 'analytics', 'notifications', 2);
    await consumeAndCommit(broker.bootstrap, 'notifier', 'notifications', 6);

    const copies = await until('the four copies to be recorded', async () => {
      const r = await search(srv.url, 'kafka.topic:notifications audit.kind:message', { order: 'asc' });
      return r.body.total >= 6 ? r.body.events : null;
    });
    const byOffset = new Map(copies.map((e) => [Number(e['kafka.offset']), e]));
    assert.equal(byOffset.size, 6);
    // The first copy (offset 1) is the original; offsets 2, 3, 4 are copies 2, 3, 4 of it.
    assert.equal(byOffset.get(1)!['audit.duplicate_of'] ?? null, null);
    for (const [offset, copy] of [
      [2, 2],
      [3, 3],
      [4, 4],
    ]) {
      assert.equal(byOffset.get(offset)!['audit.duplicate_of'], 'notifications-0@1');
      assert.equal(byOffset.get(offset)!['audit.copies'], copy);
    }
    // Same value, other key: not a duplicate. Hash and size recorded; the card is masked.
    assert.equal(byOffset.get(5)!['audit.duplicate_of'] ?? null, null);
    assert.equal(byOffset.get(1)!['kafka.value_sha256'], byOffset.get(4)!['kafka.value_sha256']);
    assert.notEqual(byOffset.get(0)!['kafka.value_sha256'], byOffset.get(1)!['kafka.value_sha256']);
    assert.equal(byOffset.get(1)!['kafka.key'], 'user-42');
    assert.equal(byOffset.get(1)!['kafka.headers.trace-id'], 't-user-42');
    assert.equal(byOffset.get(1)!['value.card'], '***');
    assert.equal(byOffset.get(1)!['value.text'], 'your order shipped');
    const dupCount = await search(srv.url, 'audit.copies:>=2');
    assert.equal(dupCount.body.total, 3);

    // Trace the fourth copy: notifier consumed it (its committed offset passed 4), analytics did not.
    const trace = await until('both groups to be sampled', async () => {
      const res = await fetch(`${srv.url}/api/v1/kafka/trace?topic=notifications&partition=0&offset=4`);
      const j = (await res.json()) as {
        groups: Array<{ group: string; consumed: boolean; committed: number; passed_at: string | null }>;
      };
      // Sampling is periodic: wait until it has seen both groups at their final offsets.
      const committed = Object.fromEntries(j.groups.map((x) => [x.group, x.committed]));
      return committed.notifier === 6 && committed.analytics === 2 ? j : null;
    });
    const g = Object.fromEntries(trace.groups.map((x) => [x.group, x]));
    assert.equal(g.notifier.consumed, true);
    assert.equal(g.notifier.committed, 6);
    assert.ok(g.notifier.passed_at && !Number.isNaN(Date.parse(g.notifier.passed_at)));
    assert.equal(g.analytics.consumed, false);
    assert.equal(g.analytics.committed, 2);

    // Lag is stored as events over time.
    const lag = await until('lag events', async () => {
      const r = await search(srv.url, 'audit.kind:lag kafka.group:analytics');
      return r.body.total > 0 ? r.body.events[0] : null;
    });
    assert.equal(lag['kafka.lag'], 4);

    const bad = await fetch(`${srv.url}/api/v1/kafka/trace?topic=notifications&partition=x&offset=1`);
    assert.equal(bad.status, 400);
  });

  test('the trace history survives a restart; a topic created later that matches the pattern is audited', async () => {
    const admin = new Admin({ clientId: 'setup2', bootstrapBrokers: [broker.bootstrap] });
    await admin.createTopics({ topics: ['orders.eu'], partitions: 1, replicas: 1 });
    const configYaml = [
      'sources:',
      '  kafkaAudit:',
      `    brokers: ["${broker.bootstrap}"]`,
      // Its own audit group: the first test's server (group logwarden-audit) still runs.
      '    group: audit-orders',
      "    topicPattern: '^orders\\.'",
      '    groups: [billing]',
      '    sampleIntervalMs: 300',
      '',
    ].join('\n');
    const dataDir = tmpDir();
    let s = await startServer({ configYaml, dataDir });
    const producer = new Producer({ clientId: 'orders', bootstrapBrokers: [broker.bootstrap] });
    for (let i = 0; i < 3; i++)
      await producer.send({
        messages: [{ topic: 'orders.eu', partition: 0, value: Buffer.from(`order ${i}`) }],
      });
    await consumeAndCommit(broker.bootstrap, 'billing', 'orders.eu', 3);
    type Trace = {
      audited: boolean;
      groups: Array<{
        group: string;
        consumed: boolean;
        committed: number;
        passed_at: string | null;
        not_yet_at: string | null;
      }>;
    };
    const trace = async (url: string, topic: string) =>
      (await (await fetch(`${url}/api/v1/kafka/trace?topic=${topic}&partition=0&offset=2`)).json()) as Trace;
    const before = await until('billing sampled at offset 3', async () => {
      const t = await trace(s.url, 'orders.eu');
      return t.groups.some((g) => g.group === 'billing' && g.committed === 3) ? t : null;
    });
    const billing = before.groups.find((g) => g.group === 'billing')!;
    assert.equal(billing.consumed, true);
    assert.ok(billing.passed_at !== null);
    await s.stop();

    // After a restart the same answer comes back: the time the group passed offset 2 is the one
    // sampled before the restart, not the first sample after it.
    s = await startServer({ configYaml, dataDir });
    try {
      const again = await trace(s.url, 'orders.eu');
      assert.deepEqual(
        again.groups.find((g) => g.group === 'billing'),
        billing,
      );
      assert.equal(again.audited, true);

      // A topic created while the server runs is picked up by the pattern and audited.
      await admin.createTopics({ topics: ['orders.us'], partitions: 1, replicas: 1 });
      await producer.send({
        messages: [{ topic: 'orders.us', partition: 0, value: Buffer.from('late order') }],
      });
      const late = await until('the new topic to be audited', async () => {
        const r = await search(s.url, 'kafka.topic:orders.us audit.kind:message');
        return r.body.total > 0 ? r.body.events : null;
      });
      assert.equal(late.length, 1);
      assert.equal(late[0]['kafka.offset'], 0);
      assert.equal((await trace(s.url, 'orders.us')).audited, true);
    } finally {
      await producer.close();
      await admin.close();
      await s.stop();
    }
  });
});
