/**
 * Black-box: live tail in the Kafka roles mode. An ingest process writes to a real broker, an
 * indexer process consumes with two consumer processes (which hand their batches to the store
 * owner over IPC); a tail opened on the indexer must deliver exactly the stored events that
 * match its query, each once, whichever consumer process parsed them. The expected set is
 * computed from the generator (seq -> level), not by the server's matcher.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sseMessages } from '../src/cli/tail.ts';
import type { DevBroker } from '../src/queue/kafka/dev-broker.ts';
import { ingest, type Server, startServer, tmpDir } from './harness.ts';
import { kafkaSkip, startTestBroker } from './kafka-harness.ts';

const skip = kafkaSkip();

const LEVELS = ['info', 'error', 'warn', 'debug', 'error'];
const levelOf = (seq: number) => LEVELS[(seq * 7) % LEVELS.length];

function lines(from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) {
    s += `${JSON.stringify({ level: levelOf(i), service: 'tail-roles', seq: i, message: `tail roles event ${i}` })}\n`;
  }
  return s;
}

/** An SSE tail read with fetch: collects the events (default SSE messages) until closed. */
async function openTail(url: string, q: string) {
  const ctl = new AbortController();
  const res = await fetch(`${url}/api/v1/tail?${new URLSearchParams({ q })}`, { signal: ctl.signal });
  assert.equal(res.status, 200, await (res.status === 200 ? '' : res.text()));
  const events: Array<Record<string, unknown>> = [];
  let ready = false;
  const reading = (async () => {
    try {
      for await (const m of sseMessages(res.body!)) {
        if (m.event === 'ready') ready = true;
        if (m.event === 'message') events.push(JSON.parse(m.data));
      }
    } catch {
      // aborted by close()
    }
  })();
  const deadline = Date.now() + 10_000;
  while (!ready) {
    if (Date.now() > deadline) throw new Error('the tail never sent ready');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    events,
    close: async () => {
      ctl.abort();
      await reading;
    },
  };
}

describe('live tail with Kafka roles (ingest + indexer with consumer processes)', { skip }, () => {
  let broker: DevBroker;
  const servers: Server[] = [];
  before(async () => {
    broker = await startTestBroker();
  });
  after(async () => {
    for (const s of servers) if (s.proc.exitCode === null) await s.stop();
    await broker?.stop();
  });

  test('a tail on the indexer delivers every matching event stored by any consumer process, once', async () => {
    const args = ['--queue', 'kafka', '--kafka-brokers', broker.bootstrap];
    const configYaml =
      'queue:\n  partitions: 2\n  kafka:\n    topic: tail-roles\n    sessionTimeoutMs: 6000\n';
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
    // Both consumer processes own a partition before the tail starts.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const q = (await (await fetch(`${indexer.url}/api/v1/queue`)).json()) as {
        consumers: Array<{ partitions: number[] }>;
      };
      if (q.consumers.filter((c) => c.partitions.length === 1).length === 2) break;
      if (Date.now() > deadline) throw new Error(`consumers not assigned: ${JSON.stringify(q)}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    const tail = await openTail(indexer.url, 'service:tail-roles level:error');
    const all = await openTail(indexer.url, 'service:tail-roles');
    const total = 4000;
    // Requests of 250 events round-robin over the 2 partitions, so both consumer processes store.
    for (let i = 0; i < total; i += 250) {
      const r = await ingest(ingester.url, lines(i, i + 250), { stream: 'tailroles' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    const expected = Array.from({ length: total }, (_, i) => i).filter((i) => levelOf(i) === 'error');
    const until = Date.now() + 60_000;
    while (all.events.length < total || tail.events.length < expected.length) {
      if (Date.now() > until)
        throw new Error(
          `tail got ${tail.events.length}/${expected.length}, all ${all.events.length}/${total}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 500)); // anything extra (a duplicate) shows up now
    await tail.close();
    await all.close();

    const seqs = tail.events.map((e) => Number(e.seq)).sort((a, b) => a - b);
    assert.deepEqual(seqs, expected, 'the filtered tail got exactly the error events, once each');
    assert.ok(
      tail.events.every((e) => e.level === 'error' && e.stream === 'tailroles'),
      'events in the search API shape',
    );
    const allSeqs = all.events.map((e) => Number(e.seq)).sort((a, b) => a - b);
    assert.deepEqual(
      allSeqs,
      Array.from({ length: total }, (_, i) => i),
      'the unfiltered tail got every event once',
    );
    // Both partitions (hence both consumer processes) contributed.
    // (`_id` is 16 hex digits of partition * 2^40 + offset: the partition is the first 6.)
    const partitions = new Set(all.events.map((e) => Number.parseInt(String(e._id).slice(0, 6), 16)));
    assert.deepEqual([...partitions].sort(), [0, 1], 'events came from both partitions');
    await ingester.stop();
    await indexer.stop();
  });
});
