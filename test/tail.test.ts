/**
 * Black-box: live tail on the real server, over SSE and WebSocket.
 * - Under load (many concurrent ingest clients), a tail delivers exactly the events that match
 *   (checked against test/reference-eval.ts, not the matcher the server uses), each once, in
 *   storage order per queue partition, and within a second of the ingest acknowledgement.
 * - A client that stops reading gets `dropped` counts (delivered + dropped = matched) while the
 *   server keeps ingesting and indexing.
 * - The cap answers 429, queries with pipes 400 with the position, heartbeats flow, `since`
 *   sends history first without duplicates, and the CLI `logwarden tail` prints events.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { parseFilter } from '../src/query/parser.ts';
import { BIN, ingest, ROOT, type Server, startServer, waitIndexed } from './harness.ts';
import { matches } from './reference-eval.ts';
import { generate, Rng } from './search-generators.ts';

interface SseMessage {
  event: string;
  id?: string;
  data: string;
}

/** An SSE tail through node:http (so that the test can stop reading, like a slow client). */
function sseTail(url: string, params: Record<string, string>) {
  const messages: SseMessage[] = [];
  let buf = '';
  let res: http.IncomingMessage | null = null;
  let waiters: Array<() => void> = [];
  const notify = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const req = http.get(`${url}/api/v1/tail?${new URLSearchParams(params)}`);
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (r) => {
      res = r;
      r.setEncoding('utf8');
      if (r.statusCode !== 200) {
        let body = '';
        r.on('data', (d) => {
          body += d;
        });
        r.on('end', () => resolve({ status: r.statusCode!, body }));
        return;
      }
      resolve({ status: 200, body: '' });
      r.on('data', (d: string) => {
        buf += d;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const m: SseMessage = { event: 'message', data: '' };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) m.event = 'comment';
            else if (line.startsWith('event: ')) m.event = line.slice(7);
            else if (line.startsWith('id: ')) m.id = line.slice(4);
            else if (line.startsWith('data: ')) m.data += line.slice(6);
          }
          messages.push(m);
        }
        notify();
      });
    });
  });
  const until = async (pred: () => boolean, timeoutMs: number, what: string) => {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 100);
      });
    }
  };
  return {
    messages,
    response,
    events: () => messages.filter((m) => m.event === 'message').map((m) => JSON.parse(m.data)),
    until,
    ready: () => until(() => messages.some((m) => m.event === 'ready'), 10_000, 'ready'),
    pause: () => res?.pause(),
    resume: () => res?.resume(),
    close: () => req.destroy(),
  };
}

/** Partition of an `_id` (16 hex digits of partition * 2^40 + offset). */
const partitionOf = (id: string) => Math.floor(Number.parseInt(id, 16) / 2 ** 40);
const offsetOf = (id: string) => Number.parseInt(id, 16) % 2 ** 40;

/** Checks that per partition, events arrived in queue order (offsets strictly increasing). */
function assertStorageOrder(ids: string[]): void {
  const last = new Map<number, number>();
  for (const id of ids) {
    const p = partitionOf(id);
    const o = offsetOf(id);
    assert.ok(o > (last.get(p) ?? -1), `event ${id} arrived after a later one of partition ${p}`);
    last.set(p, o);
  }
}

describe('live tail', () => {
  let srv: Server;
  before(async () => {
    srv = await startServer({
      configYaml: 'tail:\n  maxClients: 4\n  bufferEvents: 100000\n  heartbeatSeconds: 0.3\n',
    });
  });
  after(async () => {
    await srv?.stop();
  });

  test('SSE and WebSocket deliver exactly the matching events, in order, under concurrent load', async () => {
    const gen = generate(new Rng(77)).slice(0, 12_000);
    const q = '(error OR timeout OR level:warn OR 결제) -host:web-2';
    const filter = parseFilter(q);
    const want = gen.filter((g) => matches(filter, g.ref)).map((g) => g.raw.seq as number);
    const q2 = 'status:>=500 OR code:E42';
    const filter2 = parseFilter(q2);
    const want2 = gen.filter((g) => matches(filter2, g.ref)).map((g) => g.raw.seq as number);
    assert.ok(want.length > 1000 && want.length < gen.length / 2, `${want.length} matches`);

    const sse = sseTail(srv.url, { q });
    await sse.response;
    await sse.ready();
    const ws = new WebSocket(
      `${srv.url.replace('http', 'ws')}/api/v1/tail?${new URLSearchParams({ q: q2 })}`,
    );
    const wsMsgs: Array<Record<string, unknown>> = [];
    ws.on('message', (d) => wsMsgs.push(JSON.parse(String(d))));
    await new Promise<void>((resolve, reject) => {
      ws.on('error', reject);
      const t = setInterval(() => {
        if (wsMsgs.some((m) => m.type === 'ready')) {
          clearInterval(t);
          resolve();
        }
      }, 20);
    });

    // 8 concurrent clients, each sending its share in requests of 150 events.
    const clients = 8;
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        const mine = gen.filter((_, i) => i % clients === c);
        for (let i = 0; i < mine.length; i += 150) {
          const chunk = mine.slice(i, i + 150);
          const body = chunk.map((g) => JSON.stringify(g.raw)).join('\n');
          const res = await ingest(srv.url, body, { stream: 'app' });
          assert.equal(res.status, 200, JSON.stringify(res.body));
        }
      }),
    );
    await waitIndexed(srv.url);
    await sse.until(() => sse.events().length >= want.length, 15_000, `${want.length} SSE events`);
    const wsEvents = () =>
      wsMsgs.filter((m) => m.type === 'event').map((m) => m.event as Record<string, unknown>);
    await sse.until(() => wsEvents().length >= want2.length, 15_000, `${want2.length} WebSocket events`);
    await new Promise((r) => setTimeout(r, 500)); // nothing more may come
    for (const [got, expected] of [
      [sse.events(), want],
      [wsEvents(), want2],
    ] as const) {
      const seqs = got.map((e) => Number(e.seq));
      assert.equal(seqs.length, expected.length, 'no duplicates, nothing extra');
      assert.deepEqual(
        [...seqs].sort((a, b) => a - b),
        [...expected].sort((a, b) => a - b),
      );
      assertStorageOrder(got.map((e) => String(e._id)));
    }
    // Events carry the search API's shape.
    const one = sse.events()[0];
    assert.match(one._time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(one.stream, 'app');
    assert.ok(
      sse.messages.some((m) => m.event === 'comment'),
      'heartbeats',
    );
    assert.ok(
      wsMsgs.some((m) => m.type === 'heartbeat'),
      'WebSocket heartbeats',
    );
    sse.close();
    ws.close();
  });

  test('an event arrives within 1 s of the ingest acknowledgement', async () => {
    const sse = sseTail(srv.url, { q: 'latencyprobe' });
    await sse.ready();
    const lat: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const res = await ingest(srv.url, JSON.stringify({ message: `latencyprobe ${i}` }));
      assert.equal(res.status, 200);
      const t1 = performance.now();
      await sse.until(() => sse.events().length > i, 5000, `probe ${i}`);
      lat.push(performance.now() - t1);
      assert.ok(t1 - t0 < 1000);
    }
    console.log(`tail latency after ack (ms): ${lat.map((x) => x.toFixed(0)).join(', ')}`);
    assert.ok(Math.max(...lat) < 1000, `latencies ${lat}`);
    sse.close();
  });

  test('a tail that stops reading gets dropped counts; the server keeps ingesting', async () => {
    const slowSrv = await startServer({ configYaml: 'tail:\n  bufferEvents: 200\n' });
    try {
      const sse = sseTail(slowSrv.url, { q: 'bulk' });
      await sse.ready();
      sse.pause();
      const n = 20_000;
      const pad = 'x'.repeat(900);
      const t0 = performance.now();
      for (let i = 0; i < n; i += 2000) {
        const body = Array.from({ length: 2000 }, (_, k) =>
          JSON.stringify({ message: `bulk ${i + k} ${pad}`, n: i + k }),
        ).join('\n');
        const res = await ingest(slowSrv.url, body);
        assert.equal(res.status, 200);
      }
      await waitIndexed(slowSrv.url);
      const stalled = performance.now() - t0;
      sse.resume();
      const count = () => {
        let dropped = 0;
        for (const m of sse.messages) if (m.event === 'dropped') dropped += JSON.parse(m.data).dropped;
        return { events: sse.events().length, dropped };
      };
      await sse.until(
        () => count().events + count().dropped >= n,
        20_000,
        'every event delivered or counted',
      );
      const c = count();
      console.log(
        `slow client: ${c.events} delivered, ${c.dropped} dropped; ingest+index of ${n} took ${stalled.toFixed(0)} ms`,
      );
      assert.equal(c.events + c.dropped, n);
      assert.ok(c.dropped > 0, 'some events were dropped');
      assertStorageOrder(sse.events().map((e) => String(e._id)));
      const totals = sse.messages.filter((m) => m.event === 'dropped').map((m) => JSON.parse(m.data).total);
      assert.equal(totals.at(-1), c.dropped);
      sse.close();
    } finally {
      await slowSrv.stop();
    }
  });

  test('cap: 429 beyond tail.maxClients; pipes and bad parameters: 400', async () => {
    const open = Array.from({ length: 4 }, () => sseTail(srv.url, { q: 'x' }));
    for (const t of open) await t.ready();
    const over = sseTail(srv.url, { q: 'x' });
    const r = await over.response;
    assert.equal(r.status, 429);
    assert.equal(JSON.parse(r.body).code, 'LW_ERR_TOO_MANY_TAILS');
    const wsOver = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${srv.url.replace('http', 'ws')}/api/v1/tail?q=x`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!));
      ws.on('error', () => undefined);
    });
    assert.equal(wsOver, 429);
    open[0].close();
    // The slot frees once the server sees the disconnect.
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      await new Promise((res) => setTimeout(res, 100));
      const t = sseTail(srv.url, { q: 'x' });
      status = (await t.response).status;
      if (status === 200) open[0] = t;
    }
    assert.equal(status, 200);
    for (const t of open) t.close();
    await new Promise((res) => setTimeout(res, 300));

    const piped = await sseTail(srv.url, { q: 'level:error | stats count()' }).response;
    assert.equal(piped.status, 400);
    const body = JSON.parse(piped.body);
    assert.equal(body.code, 'LW_ERR_QUERY_SYNTAX');
    assert.equal(body.position, 14);
    const wsPiped = await new Promise<{ status: number; body: string }>((resolve) => {
      const ws = new WebSocket(
        `${srv.url.replace('http', 'ws')}/api/v1/tail?${new URLSearchParams({ q: 'a | head 1' })}`,
      );
      ws.on('unexpected-response', (_req, res) => {
        let b = '';
        res.on('data', (d) => {
          b += d;
        });
        res.on('end', () => resolve({ status: res.statusCode!, body: b }));
      });
      ws.on('error', () => undefined);
    });
    assert.equal(wsPiped.status, 400);
    assert.equal(JSON.parse(wsPiped.body).position, 4);
    const badSince = await sseTail(srv.url, { q: 'a', since: 'soonish' }).response;
    assert.equal(badSince.status, 400);
    assert.match(JSON.parse(badSince.body).error, /since/);
  });

  test('since: history first (oldest first), then live events, without duplicates', async () => {
    const body = [1, 2, 3].map((i) => JSON.stringify({ message: `histword ${i}`, i })).join('\n');
    assert.equal((await ingest(srv.url, body)).status, 200);
    await waitIndexed(srv.url);
    const sse = sseTail(srv.url, { q: 'histword', since: '-1h', limit: '2' });
    await sse.ready();
    const ready = JSON.parse(sse.messages.find((m) => m.event === 'ready')!.data);
    assert.equal(ready.history, 2);
    assert.equal((await ingest(srv.url, JSON.stringify({ message: 'histword 4', i: 4 }))).status, 200);
    await sse.until(() => sse.events().length >= 3, 5000, 'live event');
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(
      sse.events().map((e) => e.i),
      [2, 3, 4],
    );
    sse.close();
  });

  test('CLI: logwarden tail prints matching events as they come', async () => {
    const p = spawn(process.execPath, [BIN, 'tail', 'service:cli-tail level:error', '--server', srv.url], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => {
      out += d;
    });
    p.stderr.on('data', (d) => {
      err += d;
    });
    const deadline = Date.now() + 15_000;
    while (!/tailing/.test(err)) {
      assert.ok(Date.now() < deadline && p.exitCode === null, `CLI did not start: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const lines = [
      { message: 'card declined', level: 'error', service: 'cli-tail', host: 'web-9', order: 42 },
      { message: 'fine', level: 'info', service: 'cli-tail' },
      { message: 'disk full', level: 'ERR', service: 'cli-tail' },
    ];
    assert.equal((await ingest(srv.url, lines.map((l) => JSON.stringify(l)).join('\n'))).status, 200);
    while (out.split('\n').filter(Boolean).length < 2) {
      assert.ok(Date.now() < deadline, `CLI printed: ${out} ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    p.kill('SIGINT');
    const code = await new Promise((r) => p.on('exit', r));
    assert.equal(code, 0);
    const printed = out.trim().split('\n');
    assert.equal(printed.length, 2);
    assert.match(printed[0], /^\d{4}-\d\d-\d\dT\S+Z ERROR web-9 cli-tail card declined {2}order=42$/);
    assert.match(printed[1], /ERROR cli-tail disk full$/);
  });
});
