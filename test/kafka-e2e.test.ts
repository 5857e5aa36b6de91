/**
 * logwarden on a real Kafka broker, black-box: the CLI started with --queue kafka (and the
 * ingest/indexer roles), events sent over HTTP and found by search.
 * - end to end through Kafka, all in one process;
 * - roles: an ingest process and an indexer process with two consumer processes; one consumer
 *   SIGKILLed mid-stream: no event lost, none stored twice;
 * - the broker stopped mid-stream: ingest answers 503/429 with Retry-After while it is down,
 *   recovers when it is back, and every accepted event is stored exactly once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DevBroker } from '../src/queue/kafka/dev-broker.ts';
import { ingest, type Server, search, startServer, tmpDir } from './harness.ts';
import { kafkaSkip, startTestBroker } from './kafka-harness.ts';

const skip = kafkaSkip();

function lines(from: number, to: number, tag: string): string {
  let s = '';
  for (let i = from; i < to; i++) {
    s += `${JSON.stringify({ level: 'info', service: 'kafka-e2e', tag, seq: i, message: `event ${tag} number ${i}` })}\n`;
  }
  return s;
}

/** Waits until searching `tag:T` finds `n` events; returns their seq numbers. */
async function waitStored(url: string, tag: string, n: number, timeoutMs = 90_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (;;) {
    const r = await search(url, `tag:${tag}`, { limit: 10_000 });
    last = r.body.total;
    if (last >= n) return r.body.events.map((e) => Number(e.seq));
    if (Date.now() > deadline)
      throw new Error(`only ${last} of ${n} events of ${tag} stored after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function assertExactlyOnce(seqs: number[], expected: number[], what: string): void {
  const sorted = [...seqs].sort((a, b) => a - b);
  const dups = sorted.filter((v, i) => i > 0 && sorted[i - 1] === v);
  assert.deepEqual(dups.slice(0, 10), [], `${what}: events stored twice`);
  const have = new Set(seqs);
  const missing = expected.filter((s) => !have.has(s));
  assert.deepEqual(missing.slice(0, 10), [], `${what}: events lost (${missing.length})`);
  assert.equal(seqs.length, expected.length, what);
}

function kafkaArgs(
  broker: DevBroker,
  topic: string,
  extra: string[] = [],
): { args: string[]; configYaml: string } {
  return {
    args: ['--queue', 'kafka', '--kafka-brokers', broker.bootstrap, ...extra],
    configYaml: `queue:\n  partitions: 2\n  kafka:\n    topic: ${topic}\n    sessionTimeoutMs: 6000\n    requestTimeoutMs: 2000\n`,
  };
}

describe('logwarden with Kafka as the queue', { skip }, () => {
  let broker: DevBroker;
  const servers: Server[] = [];
  before(async () => {
    broker = await startTestBroker();
  });
  after(async () => {
    for (const s of servers) await s.stop();
    await broker?.stop();
  });

  test('end to end in one process: ingest -> Kafka -> store -> search', async () => {
    const srv = await startServer(kafkaArgs(broker, 'e2e-all'));
    servers.push(srv);
    const r = await ingest(srv.url, lines(0, 3000, 'all'), { stream: 'kafka' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.accepted, 3000);
    const seqs = await waitStored(srv.url, 'all', 3000);
    assertExactlyOnce(
      seqs,
      Array.from({ length: 3000 }, (_, i) => i),
      'all-in-one',
    );
    const q = (await (await fetch(`${srv.url}/api/v1/queue`)).json()) as {
      partitions: Array<{ topic: string; endOffset: number }>;
      lag: { total: number };
    };
    assert.equal(
      q.partitions.filter((p) => p.topic === 'ingest').reduce((a, p) => a + p.endOffset, 0),
      3000,
    );
    await srv.stop();
  });

  test('roles: ingest and indexer processes; a consumer SIGKILLed mid-stream loses and duplicates nothing', async () => {
    const { args, configYaml } = kafkaArgs(broker, 'e2e-roles');
    const indexer = await startServer({
      args: [...args, '--role', 'indexer'],
      configYaml,
      dataDir: tmpDir(),
    });
    servers.push(indexer);
    const ingester = await startServer({
      args: [...args, '--role', 'ingest'],
      configYaml,
      dataDir: tmpDir(),
    });
    servers.push(ingester);

    const consumers = async () => {
      const q = (await (await fetch(`${indexer.url}/api/v1/queue`)).json()) as {
        consumers: Array<{ pid: number | null; partitions: number[]; restarts: number }>;
      };
      return q.consumers;
    };
    // Both consumer processes get a partition each (partitions = consumers = 2).
    const deadline = Date.now() + 60_000;
    while ((await consumers()).filter((c) => c.partitions.length === 1).length < 2) {
      if (Date.now() > deadline)
        throw new Error(`consumers not assigned: ${JSON.stringify(await consumers())}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const total = 8000;
    let killed = false;
    for (let i = 0; i < total; i += 500) {
      const r = await ingest(ingester.url, lines(i, i + 500, 'roles'), { stream: 'kafka' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      if (!killed && i >= 3000) {
        const victim = (await consumers()).find((c) => c.pid !== null)!;
        process.kill(victim.pid!, 'SIGKILL');
        killed = true;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const seqs = await waitStored(indexer.url, 'roles', total);
    // Give a replay (if any) time to show up as a duplicate before checking.
    await new Promise((r) => setTimeout(r, 2000));
    const again = await waitStored(indexer.url, 'roles', total);
    assertExactlyOnce(
      again,
      Array.from({ length: total }, (_, i) => i),
      'after SIGKILL',
    );
    assert.equal(seqs.length, total);
    const after = await consumers();
    assert.ok(
      after.some((c) => c.restarts >= 1),
      `the supervisor restarted the killed consumer: ${JSON.stringify(after)}`,
    );
    // The ingest role indexes nothing itself.
    assert.equal((await search(ingester.url, 'tag:roles')).body.total, 0);
    const metrics = await (await fetch(`${indexer.url}/metrics`)).text();
    assert.match(
      metrics,
      /logwarden_kafka_consumer_group_lag_records\{group="logwarden-indexer",partition="0"\} \d+/,
    );
    await ingester.stop();
    await indexer.stop();
  });

  test('broker down mid-stream: ingest answers 503/429 with Retry-After, recovers, loses nothing', async () => {
    // A broker of its own, so stopping it does not disturb the other tests.
    const dir = tmpDir('lw-kafka-restart-');
    let b = await startTestBroker({ dir });
    const srv = await startServer({
      args: ['--queue', 'kafka', '--kafka-brokers', b.bootstrap],
      configYaml: 'queue:\n  partitions: 2\n  kafka:\n    requestTimeoutMs: 1000\n',
    });
    servers.push(srv);
    const accepted: number[] = [];
    let seq = 0;
    const send = async () => {
      const from = seq;
      seq += 100;
      const r = await ingest(srv.url, lines(from, from + 100, 'restart'), { stream: 'kafka' });
      if (r.status === 200) for (let i = from; i < from + 100; i++) accepted.push(i);
      return r;
    };
    for (let i = 0; i < 10; i++) assert.equal((await send()).status, 200);
    await b.stop({ keepDir: true });
    const down = await send();
    assert.ok(
      down.status === 503 || down.status === 429,
      `status while down: ${down.status} ${JSON.stringify(down.body)}\n${srv.logs().slice(-3000)}`,
    );
    assert.ok(down.headers.get('retry-after'), 'Retry-After while down');
    assert.equal(down.body.code, 'LW_ERR_QUEUE_UNAVAILABLE');
    b = await startTestBroker({ dir, port: b.port, controllerPort: b.controllerPort });
    // Recovers: ingest succeeds again within a while.
    const deadline = Date.now() + 60_000;
    let ok = 0;
    while (ok < 10) {
      if ((await send()).status === 200) ok++;
      else await new Promise((r) => setTimeout(r, 250));
      if (Date.now() > deadline) throw new Error('ingest did not recover after the broker restarted');
    }
    const seqs = await waitStored(srv.url, 'restart', accepted.length);
    assertExactlyOnce(seqs, accepted, 'broker restart');
    await srv.stop();
    await b.stop();
  });
});
