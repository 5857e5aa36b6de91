/**
 * Black-box: spawns `logwarden start`, ingests over HTTP in every accepted body format and
 * encoding, and checks what search returns.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import { ingest, type Server, search, startServer, waitIndexed } from './harness.ts';

let srv: Server;

before(async () => {
  srv = await startServer({ configYaml: 'http:\n  maxLineBytes: 2000\n  maxBodyBytes: 300000\n' });
});
after(async () => {
  const code = await srv.stop();
  assert.equal(code, 0, `graceful stop exits 0\n${srv.logs()}`);
});

describe('ingest', () => {
  test('NDJSON: a malformed line is rejected alone, with its line number', async () => {
    const body = [
      JSON.stringify({ message: 'first ok', level: 'INFO', host: 'web-1', n: 1 }),
      '{"message": "broken',
      '',
      JSON.stringify({ msg: 'second ok', severity: 'warning', service: 'pay', n: 2 }),
      '[1,2]',
    ].join('\n');
    const r = await ingest(srv.url, body, { stream: 'nd' });
    assert.equal(r.status, 200);
    assert.equal(r.body.accepted, 2);
    assert.equal(r.body.rejected, 2);
    const errs = r.body.errors as Array<{ line: number; error: string }>;
    assert.deepEqual(
      errs.map((e) => e.line),
      [2, 5],
    );
    assert.match(errs[0].error, /JSON/);
    await waitIndexed(srv.url);
    const s = await search(srv.url, 'stream:nd');
    assert.equal(s.body.total, 2);
    const second = s.body.events.find((e) => e.message === 'second ok')!;
    assert.equal(second.level, 'warn');
    assert.equal(second.service, 'pay');
    assert.equal(second.n, 2);
    assert.match(String(second._id), /^[0-9a-f]{16}$/);
  });

  test('application/json: one object or an array; non-objects rejected by index', async () => {
    const one = await ingest(srv.url, JSON.stringify({ message: 'single object', k: 'j1' }), {
      contentType: 'application/json',
      stream: 'js',
    });
    assert.equal(one.status, 200);
    assert.equal(one.body.accepted, 1);
    const arr = await ingest(
      srv.url,
      JSON.stringify([{ message: 'a1', k: 'j2' }, 5, { message: 'a2', k: 'j2' }]),
      {
        contentType: 'application/json',
        stream: 'js',
      },
    );
    assert.equal(arr.body.accepted, 2);
    assert.equal(arr.body.rejected, 1);
    await waitIndexed(srv.url);
    assert.equal((await search(srv.url, 'stream:js')).body.total, 3);
  });

  test('text/plain: JSON, RFC 5424, RFC 3164 and plain text lines are detected', async () => {
    const lines = [
      '{"message":"json in text","level":"error","tag":"t1"}',
      '<165>1 2026-11-20T10:00:00.123Z mymachine.example.com evntslog 1234 ID47 [exampleSDID@32473 iut="3" eventSource="Application"] An application event log entry',
      '<34>Nov 20 10:00:01 mymachine su[42]: su root failed for lonvick on /dev/pts/8',
      '2026-11-20 10:00:02,123 ERROR [main] com.example.App - plain text with level',
    ];
    const r = await ingest(srv.url, lines.join('\r\n'), { contentType: 'text/plain', stream: 'tx' });
    assert.equal(r.body.accepted, 4);
    await waitIndexed(srv.url);
    const all = (await search(srv.url, 'stream:tx')).body.events;
    assert.equal(all.length, 4);
    const j = all.find((e) => e.message === 'json in text')!;
    assert.equal(j.level, 'error');
    const s5 = all.find((e) => String(e.message).startsWith('An application'))!;
    assert.equal(s5.host, 'mymachine.example.com');
    assert.equal(s5.service, 'evntslog');
    assert.equal(s5.level, 'notice');
    assert.equal(s5._time, '2026-11-20T10:00:00.123000Z');
    assert.equal(s5['sd.exampleSDID@32473.iut'], '3');
    const s3 = all.find((e) => String(e.message).includes('su root failed'))!;
    assert.equal(s3.host, 'mymachine');
    assert.equal(s3.pid, 42);
    assert.equal(s3.level, 'critical');
    const t = all.find((e) => String(e.message).includes('plain text with level'))!;
    assert.equal(t.level, 'error');
    assert.equal(t._time, '2026-11-20T10:00:02.123000Z');
  });

  for (const [enc, fn] of [
    ['gzip', zlib.gzipSync],
    ['deflate', zlib.deflateSync],
    ['zstd', zlib.zstdCompressSync],
  ] as const) {
    test(`Content-Encoding: ${enc}`, async () => {
      const body = Array.from({ length: 50 }, (_, i) =>
        JSON.stringify({ message: `compressed ${enc} ${i}` }),
      ).join('\n');
      const r = await ingest(srv.url, fn(Buffer.from(body)), { encoding: enc, stream: `enc-${enc}` });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.accepted, 50);
      await waitIndexed(srv.url);
      assert.equal((await search(srv.url, `stream:enc-${enc}`)).body.total, 50);
    });
  }

  test('a corrupt gzip body answers 400 naming the encoding', async () => {
    const r = await ingest(srv.url, Buffer.from('not gzip at all'), { encoding: 'gzip' });
    assert.equal(r.status, 400);
    assert.match(String(r.body.error), /gzip/);
  });

  test('unsupported content type -> 415, unsupported encoding -> 415', async () => {
    const r = await ingest(srv.url, '<xml/>', { contentType: 'application/xml' });
    assert.equal(r.status, 415);
    assert.equal(r.body.code, 'LW_ERR_UNSUPPORTED_MEDIA_TYPE');
    const r2 = await ingest(srv.url, 'x', { encoding: 'br' });
    assert.equal(r2.status, 415);
  });

  test('a line over the line limit is rejected alone; a body over the body limit -> 413', async () => {
    const body = `${JSON.stringify({ message: 'short1' })}\n${JSON.stringify({ message: 'x'.repeat(3000) })}\n${JSON.stringify({ message: 'short2' })}`;
    const r = await ingest(srv.url, body, { stream: 'long' });
    assert.equal(r.body.accepted, 2);
    assert.equal(r.body.rejected, 1);
    assert.match((r.body.errors as Array<{ error: string }>)[0].error, /over the limit of 2000/);
    const big = `${JSON.stringify({ message: 'y'.repeat(1500) })}\n`.repeat(250);
    const r2 = await ingest(srv.url, big, { stream: 'big' });
    assert.equal(r2.status, 413);
    assert.equal(r2.body.code, 'LW_ERR_BODY_TOO_LARGE');
    // A compressed body is limited by its decoded size (no compression bombs).
    const r3 = await ingest(srv.url, zlib.gzipSync(Buffer.from(big)), { stream: 'big', encoding: 'gzip' });
    assert.equal(r3.status, 413);
  });

  test('invalid stream name -> 400', async () => {
    const r = await ingest(srv.url, '{}', { stream: '_bad name' });
    assert.equal(r.status, 400);
    assert.match(String(r.body.error), /stream/);
  });
});

describe('search', () => {
  before(async () => {
    const events = [
      {
        '@timestamp': '2026-11-21T10:00:00Z',
        message: 'Failed password for invalid user admin from 173.234.31.186 port 22 ssh2',
        level: 'warn',
        host: 'bastion',
        service: 'sshd',
      },
      {
        '@timestamp': '2026-11-21T10:00:01Z',
        message: 'Accepted password for deploy from 10.0.0.5 port 22 ssh2',
        level: 'info',
        host: 'bastion',
        service: 'sshd',
      },
      {
        '@timestamp': '2026-11-21T10:00:02Z',
        message: '결제를 요청했습니다 주문번호 12345',
        level: 'info',
        host: 'web-1',
        service: 'payment-api',
        order: { amount: 12000 },
      },
      {
        '@timestamp': '2026-11-21T10:00:03Z',
        message: 'GET /api/v1/orders 500 took 123ms',
        level: 'error',
        host: 'web-2',
        service: 'payment-api',
        http: { status: 500, method: 'GET' },
        duration_ms: 123.5,
      },
      {
        '@timestamp': '2026-11-21T10:00:04Z',
        message: 'GET /api/v1/orders 200 took 12ms',
        level: 'info',
        host: 'web-2',
        service: 'payment-api',
        http: { status: 200, method: 'GET' },
        duration_ms: 12,
      },
      {
        '@timestamp': '2026-11-21T10:00:05Z',
        message: 'ERROR errors everywhere: terror',
        level: 'debug',
        host: 'web-3',
        service: 'other',
        trace_id: 'abc123',
      },
      { ts: 1795255206, message: 'epoch seconds event', host: 'web-3', service: 'other', active: true },
    ];
    const r = await ingest(srv.url, events.map((e) => JSON.stringify(e)).join('\n'), { stream: 'q' });
    assert.equal(r.body.accepted, events.length);
    await waitIndexed(srv.url);
  });

  const cases: Array<[string, number]> = [
    ['stream:q', 7],
    ['stream:q *', 7],
    ['stream:q password', 2],
    ['stream:q PASSWORD', 2],
    ['stream:q "Failed password"', 1],
    ['stream:q "password failed"', 0],
    ['stream:q 173.234.31.186', 1],
    ['stream:q 173.234.31', 1],
    ['stream:q 234.31.18', 0],
    ['stream:q 결제', 1],
    ['stream:q 요청', 1],
    ['stream:q error', 1],
    ['stream:q err', 0],
    ['stream:q err*', 1],
    ['stream:q terr*', 1],
    ['stream:q level:error', 1],
    ['stream:q level:ERR', 1],
    ['stream:q level:warning', 1],
    ['stream:q http.status:>=500', 1],
    ['stream:q http.status:>=200', 2],
    ['stream:q http.status:[200 TO 499]', 1],
    ['stream:q http.status:{200 TO 500]', 1],
    ['stream:q duration_ms:<100', 1],
    ['stream:q order.amount:12000', 1],
    ['stream:q host:web-2', 2],
    ['stream:q host:web-*', 5],
    ['stream:q service:payment-api', 3],
    ['stream:q service:="payment-api"', 3],
    ['stream:q service:="payment"', 0],
    ['stream:q trace_id:*', 1],
    ['stream:q NOT trace_id:*', 6],
    ['stream:q -host:bastion', 5],
    ['stream:q (service:sshd OR service:payment-api) AND NOT level:info', 2],
    ['stream:q service:sshd OR service:other', 4],
    ['stream:q http.method:/^G.T$/', 2],
    ['stream:q active:true', 1],
    ['stream:q _time:[2026-11-21T10:00:01Z, 2026-11-21T10:00:03Z]', 3],
    ['stream:q missing.field:x', 0],
    ['stream:q NOT missing.field:x', 7],
  ];
  for (const [q, n] of cases) {
    test(`${q} -> ${n}`, async () => {
      const r = await search(srv.url, q);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.total, n, JSON.stringify(r.body.events.map((e) => e.message)));
      assert.equal(r.body.events.length, n);
    });
  }

  test('newest first by default, oldest first with order=asc, limit caps events not total', async () => {
    const d = await search(srv.url, 'stream:q host:web-*', { limit: 2 });
    assert.equal(d.body.total, 5);
    assert.equal(d.body.events.length, 2);
    assert.equal(d.body.events[0].message, 'epoch seconds event');
    const a = await search(srv.url, 'stream:q host:web-*', { limit: 2, order: 'asc' });
    assert.equal(a.body.events[0].message, '결제를 요청했습니다 주문번호 12345');
  });

  test('time range parameters: RFC 3339 and epoch ms', async () => {
    const r = await search(srv.url, 'stream:q', {
      start: '2026-11-21T10:00:02Z',
      end: String(Date.parse('2026-11-21T10:00:04Z')),
    });
    assert.equal(r.body.total, 2);
    const none = await search(srv.url, 'stream:q', { start: '-15m' });
    assert.equal(none.body.total, 0, 'default-like recent range excludes 2026-11-21 events');
  });

  test('a syntax error answers 400 with the position', async () => {
    const r = await search(srv.url, 'level:error AND (host:a');
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'LW_ERR_QUERY_SYNTAX');
    assert.equal(typeof r.body.position, 'number');
  });

  test('POST /api/v1/search with a JSON body', async () => {
    const res = await fetch(`${srv.url}/api/v1/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ q: 'stream:q service:sshd', start: '0' }),
    });
    assert.equal(res.status, 200);
    const j = (await res.json()) as { total: number };
    assert.equal(j.total, 2);
  });

  test('bad parameters answer 400', async () => {
    assert.equal((await search(srv.url, '*', { limit: -1 })).status, 400);
    assert.equal((await search(srv.url, '*', { start: 'yesterday-ish' })).status, 400);
    assert.equal((await search(srv.url, '*', { order: 'sideways' })).status, 400);
  });
});

describe('histogram and field values', () => {
  test('histogram buckets counts by level, zero-filled and aligned to the step', async () => {
    const res = await fetch(
      `${srv.url}/api/v1/histogram?q=stream:q&start=2026-11-21T10:00:00Z&end=2026-11-21T10:00:10Z&step=2s&by=level`,
    );
    assert.equal(res.status, 200);
    const j = (await res.json()) as {
      buckets: number;
      start: string;
      series: Array<{ value: string | null; counts: number[]; total: number }>;
    };
    assert.equal(j.buckets, 5);
    assert.equal(j.start, '2026-11-21T10:00:00.000Z');
    const by = Object.fromEntries(j.series.map((s) => [String(s.value), s.counts]));
    // 10:00:00 warn, :01 info, :02 info, :03 error, :04 info, :05 debug, :06 (no level)
    assert.deepEqual(by.info, [1, 1, 1, 0, 0]);
    assert.deepEqual(by.warn, [1, 0, 0, 0, 0]);
    assert.deepEqual(by.error, [0, 1, 0, 0, 0]);
    assert.deepEqual(by.debug, [0, 0, 1, 0, 0]);
    assert.deepEqual(by.null, [0, 0, 0, 1, 0]);
  });

  test('top values of a field with counts and percentages', async () => {
    const res = await fetch(`${srv.url}/api/v1/fields/service/values?q=stream:q&start=0&limit=2`);
    const j = (await res.json()) as {
      total: number;
      values: Array<{ value: string; count: number; percent: number }>;
    };
    assert.equal(j.total, 7);
    assert.deepEqual(j.values[0], { value: 'payment-api', count: 3, percent: 42.86 });
    assert.equal(j.values.length, 2);
    const st = await fetch(`${srv.url}/api/v1/fields/http.status/values?q=stream:q&start=0`);
    const sj = (await st.json()) as { values: Array<{ value: unknown; count: number }> };
    assert.deepEqual(
      sj.values
        .filter((v) => v.value !== null)
        .map((v) => v.value)
        .sort(),
      [200, 500],
    );
  });
});
