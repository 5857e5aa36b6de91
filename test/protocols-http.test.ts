/**
 * Black-box tests of the HTTP protocols other tools speak, against the real `logwarden start`,
 * with real clients where they exist here: the official Elasticsearch client (probes and its
 * bulk helper), the OpenTelemetry JS SDK with its OTLP/HTTP JSON and protobuf exporters. Loki
 * push bodies are built as Promtail builds them: protobuf (protobufjs, from Loki's push.proto
 * field numbers) compressed with snappy (an independent implementation).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import { Client } from '@elastic/elasticsearch';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { OTLPLogExporter as OTLPJsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { snappyCompress } from '@platformatic/wasm-utils';
import { type Server, search, startServer, waitIndexed } from './harness.ts';
import { LokiPushRequest } from './wire-protos.ts';

let server: Server;

const MAX_BODY = 4_000_000;
const MAX_LINE = 65_536;

before(async () => {
  server = await startServer({
    configYaml: `http:\n  maxBodyBytes: ${MAX_BODY}\n  maxLineBytes: ${MAX_LINE}\n`,
  });
});
after(async () => {
  await server?.stop();
});

/** The sum of a metric over the series whose labels contain `labels`. */
async function metric(name: string, labels: string, url = server.url): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(labels))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('Elasticsearch', () => {
  test('the official client connects, probes and ships with helpers.bulk; events are searchable', async () => {
    const client = new Client({ node: server.url });
    const info = await client.info();
    assert.match(info.version.number, /^8\./);
    assert.equal((await client.ping()) as unknown, true);
    const t0 = Date.parse('2026-11-20T10:00:00Z');
    const docs = Array.from({ length: 500 }, (_, i) => ({
      '@timestamp': new Date(t0 + i * 1000).toISOString(),
      message: `payment ${i} declined for order ${1000 + i}`,
      log: { level: i % 10 === 0 ? 'ERROR' : 'info' },
      host: { name: `web-${i % 3}` },
      service: { name: 'payment-api' },
      http: { status: 500 + (i % 4) },
    }));
    const result = await client.helpers.bulk({
      datasource: docs,
      onDocument: () => ({ create: { _index: 'es-app' } }),
      flushBytes: 20_000,
      // Calls POST /_refresh at the end: answered once everything is searchable (no waiting here).
      refreshOnCompletion: true,
    });
    assert.equal(result.total, 500);
    assert.equal(result.successful, 500);
    assert.equal(result.failed, 0);
    const all = await search(server.url, 'stream:es-app', { limit: 1000, order: 'asc' });
    assert.equal(all.body.total, 500);
    const first = all.body.events[0];
    assert.equal(first._time, '2026-11-20T10:00:00.000000Z');
    assert.equal(first.message, 'payment 0 declined for order 1000');
    assert.equal(first.level, 'error');
    assert.equal(first.host, 'web-0');
    assert.equal(first.service, 'payment-api');
    assert.equal(first['http.status'], 500);
    const errors = await search(server.url, 'stream:es-app level:error');
    assert.equal(errors.body.total, 50);
  });

  test('set-up calls of shippers: license, xpack, templates, pipelines, data streams; the product header', async () => {
    const root = await fetch(`${server.url}/`);
    assert.equal(root.headers.get('x-elastic-product'), 'Elasticsearch');
    assert.equal(((await root.json()) as { tagline: string }).tagline, 'You Know, for Search');
    assert.equal((await fetch(`${server.url}/`, { method: 'HEAD' })).status, 200);
    const lic = (await (await fetch(`${server.url}/_license`)).json()) as { license: { status: string } };
    assert.equal(lic.license.status, 'active');
    const xp = (await (await fetch(`${server.url}/_xpack`)).json()) as {
      features: { ilm: { available: boolean } };
    };
    assert.equal(xp.features.ilm.available, true);
    for (const prefix of [
      '_index_template',
      '_template',
      '_ingest/pipeline',
      '_ilm/policy',
      '_component_template',
    ]) {
      const url = `${server.url}/${prefix}/filebeat-8.17.0`;
      assert.equal((await fetch(url)).status, 404, `${prefix} missing before PUT`);
      assert.equal((await fetch(url, { method: 'HEAD' })).status, 404);
      const put = await fetch(url, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ description: 'x', index_patterns: ['filebeat-*'] }),
      });
      assert.equal(put.status, 200);
      assert.deepEqual(await put.json(), { acknowledged: true });
      assert.equal((await fetch(url, { method: 'HEAD' })).status, 200);
      const got = await (await fetch(url)).text();
      assert.match(got, /filebeat-\*/, `${prefix} returns what was put`);
    }
    const client = new Client({ node: server.url });
    const tpl = await client.indices.getIndexTemplate({ name: 'filebeat-8.17.0' });
    assert.equal(tpl.index_templates[0].name, 'filebeat-8.17.0');
    const ds = await fetch(`${server.url}/_data_stream/logs-app-default`, { method: 'PUT' });
    assert.equal(ds.status, 200);
    const dsGet = (await (await fetch(`${server.url}/_data_stream/logs-app-default`)).json()) as {
      data_streams: Array<{ name: string }>;
    };
    assert.equal(dsGet.data_streams[0].name, 'logs-app-default');
    const health = (await (await fetch(`${server.url}/_cluster/health`)).json()) as { status: string };
    assert.equal(health.status, 'green');
  });

  test('refresh=wait_for answers once the documents are searchable', async () => {
    const client = new Client({ node: server.url });
    for (let k = 0; k < 5; k++) {
      const r = await client.bulk({
        refresh: 'wait_for',
        operations: Array.from({ length: 200 }, (_, i) => [
          { index: { _index: 'es-refresh' } },
          { message: `r ${k} ${i}` },
        ]).flat(),
      });
      assert.equal(r.errors, false);
      assert.equal((await search(server.url, 'stream:es-refresh', { limit: 0 })).body.total, 200 * (k + 1));
    }
  });

  test('a malformed source line is rejected alone with 400; its neighbours are stored', async () => {
    const body = [
      '{"index":{"_index":"es-bad"}}',
      '{"message":"good one","n":1}',
      '{"index":{}}',
      '{"message": "broken',
      '{"create":{"_index":"es-bad"}}',
      '{"message":"good two","n":2}',
      '{"delete":{"_index":"es-bad","_id":"x"}}',
      '{"index":{"_index":"_bad name"}}',
      '{"message":"bad index"}',
      '',
    ].join('\n');
    const res = await fetch(`${server.url}/es-bad/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    assert.equal(res.status, 200);
    const j = (await res.json()) as {
      errors: boolean;
      items: Array<Record<string, { status: number; error?: { reason: string } }>>;
    };
    assert.equal(j.errors, true);
    const statuses = j.items.map((it) => Object.values(it)[0].status);
    assert.deepEqual(statuses, [201, 400, 201, 400, 400]);
    assert.match(j.items[1].index.error!.reason, /^line 4: cannot parse JSON/);
    assert.match(j.items[3].delete.error!.reason, /not supported/);
    assert.match(j.items[4].index.error!.reason, /invalid index name/);
    await waitIndexed(server.url);
    const found = await search(server.url, 'stream:es-bad', { order: 'asc' });
    assert.deepEqual(
      found.body.events.map((e) => e.message),
      ['good one', 'good two'],
    );
    assert.ok((await metric('logwarden_events_rejected_total', 'source="elasticsearch"')) >= 3);
  });

  test('oversized: a source line over maxLineBytes is one 400 item; a body over maxBodyBytes is 413; no body is no item', async () => {
    const big = JSON.stringify({ message: 'x'.repeat(MAX_LINE) });
    const res = await fetch(`${server.url}/es-big/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `{"index":{}}\n${big}\n{"index":{}}\n{"message":"small"}\n`,
    });
    const j = (await res.json()) as {
      items: Array<{ index: { status: number; error?: { reason: string } } }>;
    };
    assert.deepEqual(
      j.items.map((i) => i.index.status),
      [400, 201],
    );
    assert.match(j.items[0].index.error!.reason, /over the limit of 65536/);
    const huge = `{"index":{}}\n{"message":"${'y'.repeat(60_000)}"}\n`.repeat(80);
    const tooBig = await fetch(`${server.url}/es-big/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: zlib.gzipSync(huge),
    });
    assert.equal(
      tooBig.status,
      200,
      'a gzip body without content-encoding is one malformed line, not a crash',
    );
    const tooBig2 = await fetch(`${server.url}/es-big/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
      body: zlib.gzipSync(huge),
    });
    assert.equal(tooBig2.status, 413);
    assert.match(
      ((await tooBig2.json()) as { error: { reason: string } }).error.reason,
      /exceeds the limit of 4000000/,
    );
    const wrongEnc = await fetch(`${server.url}/es-big/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
      body: '{"index":{}}\n{"message":"not gzip"}\n',
    });
    assert.equal(wrongEnc.status, 400);
    assert.match(
      ((await wrongEnc.json()) as { error: { reason: string } }).error.reason,
      /cannot decode gzip body/,
    );
    const empty = await fetch(`${server.url}/_bulk`, { method: 'POST' });
    assert.equal(empty.status, 200);
    assert.deepEqual(((await empty.json()) as { items: unknown[] }).items, []);
  });

  test('filter_path trims the answer as Filebeat asks', async () => {
    const res = await fetch(`${server.url}/_bulk?filter_path=errors,items.*.error,items.*.status`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: '{"index":{"_index":"es-fp"}}\n{"message":"a"}\n{"index":{"_index":"es-fp"}}\nnot json\n',
    });
    const j = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(j).sort(), ['errors', 'items']);
    assert.deepEqual(j.items, [
      { index: { status: 201 } },
      { index: { status: 400, error: (j.items as Array<{ index: { error: unknown } }>)[1].index.error } },
    ]);
  });
});

describe('Elasticsearch _id idempotency', () => {
  test('a document re-sent with the same _id is stored once, also after a restart and a kill -9', async () => {
    const own = await startServer();
    try {
      const client = new Client({ node: own.url });
      const docs = (n: number) =>
        Array.from({ length: n }, (_, i) => ({ id: `doc-${i}`, message: `idem ${i}` }));
      const send = async (n: number, action: 'index' | 'create') => {
        const answer = await client.bulk({
          operations: docs(n).flatMap((d) => [
            { [action]: { _index: 'es-idem', _id: d.id } },
            { message: d.message },
          ]),
        });
        return answer.items.map((it) => Object.values(it)[0]);
      };
      const firstTry = await send(100, 'index');
      assert.ok(firstTry.every((r) => r.status === 201 && r.result === 'created'));
      assert.equal(firstTry[7]._id, 'doc-7');
      const again = await send(100, 'index');
      assert.ok(again.every((r) => r.status === 200 && r.result === 'noop'));
      const conflict = await send(100, 'create');
      assert.ok(conflict.every((r) => r.status === 409));
      // Same _id twice in one request: the second mirrors the first.
      const dup = await client.bulk({
        operations: [
          { index: { _index: 'es-idem', _id: 'twice' } },
          { message: 'twice' },
          { index: { _index: 'es-idem', _id: 'twice' } },
          { message: 'twice' },
        ],
      });
      assert.deepEqual(
        dup.items.map((it) => Object.values(it)[0].status),
        [201, 200],
      );
      await waitIndexed(own.url);
      assert.equal((await search(own.url, 'stream:es-idem')).body.total, 101);
      assert.equal(await metric('logwarden_events_dropped_total', 'reason="duplicate_id"', own.url), 201);

      // Graceful restart: the journal is read back.
      await own.stop();
      const own2 = await startServer({ dataDir: own.dataDir });
      try {
        const c2 = new Client({ node: own2.url });
        const r = await c2.bulk({
          operations: docs(150).flatMap((d) => [
            { index: { _index: 'es-idem', _id: d.id } },
            { message: d.message },
          ]),
        });
        const st = r.items.map((it) => Object.values(it)[0].status);
        assert.deepEqual(st.slice(0, 100), new Array(100).fill(200));
        assert.deepEqual(st.slice(100), new Array(50).fill(201));
        await waitIndexed(own2.url);
        assert.equal((await search(own2.url, 'stream:es-idem')).body.total, 151);
        // A kill -9 right after the answer: the queue's headers complete the journal at start.
        await own2.kill9();
      } finally {
        await own2.stop();
      }
      const own3 = await startServer({ dataDir: own.dataDir });
      try {
        const c3 = new Client({ node: own3.url });
        const r = await c3.bulk({
          operations: docs(150).flatMap((d) => [
            { index: { _index: 'es-idem', _id: d.id } },
            { message: d.message },
          ]),
        });
        assert.ok(r.items.every((it) => Object.values(it)[0].status === 200));
        await waitIndexed(own3.url);
        assert.equal((await search(own3.url, 'stream:es-idem')).body.total, 151);
      } finally {
        await own3.stop();
      }
    } finally {
      await own.stop();
    }
  });
});

function lokiProtoBody(
  streams: Array<{
    labels: string;
    entries: Array<{ s: number; ns: number; line: string | Buffer; meta?: Record<string, string> }>;
  }>,
): Buffer {
  const msg = LokiPushRequest.fromObject({
    streams: streams.map((s) => ({
      labels: s.labels,
      entries: s.entries.map((e) => ({
        timestamp: { seconds: e.s, nanos: e.ns },
        line: typeof e.line === 'string' ? e.line : '',
        structuredMetadata: Object.entries(e.meta ?? {}).map(([name, value]) => ({ name, value })),
      })),
    })),
  });
  return Buffer.from(LokiPushRequest.encode(msg).finish());
}

async function lokiPush(
  body: Buffer | string,
  contentType: string,
  extra: Record<string, string> = {},
  query = '',
) {
  const res = await fetch(`${server.url}/loki/api/v1/push${query}`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...extra },
    body,
  });
  return { status: res.status, text: await res.text() };
}

describe('Loki push', () => {
  test('JSON: labels and structured metadata become fields; 204', async () => {
    const t = 1_795_000_000; // 2026-11-18T11:06:40Z
    const body = JSON.stringify({
      streams: [
        {
          stream: { job: 'nginx', host: 'edge-1', level: 'warn', service_name: 'edge' },
          values: [
            [`${t}000000001`, 'GET /a 200', { trace_id: 'abc123' }],
            [`${t + 1}500000000`, 'GET /b 404'],
          ],
        },
      ],
    });
    const r = await lokiPush(body, 'application/json', {}, '?stream=loki-json');
    assert.equal(r.status, 204, r.text);
    await waitIndexed(server.url);
    const found = await search(server.url, 'stream:loki-json', { order: 'asc' });
    assert.equal(found.body.total, 2);
    const [a, b] = found.body.events;
    assert.equal(a.message, 'GET /a 200');
    assert.equal(a._time, '2026-11-18T11:06:40.000000Z');
    assert.equal(a.host, 'edge-1');
    assert.equal(a.level, 'warn');
    assert.equal(a.service, 'edge');
    assert.equal(a.job, 'nginx');
    assert.equal(a.trace_id, 'abc123');
    assert.equal(b._time, '2026-11-18T11:06:41.500000Z');
  });

  test('protobuf + snappy, as Promtail and Alloy send it; gzip JSON too', async () => {
    const body = lokiProtoBody([
      {
        labels: '{job="varlogs", host="db-1", filename="/var/log/syslog"}',
        entries: [
          { s: 1_795_000_100, ns: 123_456_000, line: 'kernel: disk sda ok', meta: { pod: 'p-1' } },
          { s: 1_795_000_101, ns: 0, line: '결제 요청 실패' },
        ],
      },
      { labels: '{job="other"}', entries: [{ s: 1_795_000_102, ns: 0, line: 'second stream' }] },
    ]);
    const r = await lokiPush(snappyCompress(body), 'application/x-protobuf', {}, '?stream=loki-pb');
    assert.equal(r.status, 204, r.text);
    const gz = zlib.gzipSync(
      JSON.stringify({ streams: [{ stream: { job: 'gz' }, values: [['1795000103000000000', 'gzipped']] }] }),
    );
    assert.equal(
      (await lokiPush(gz, 'application/json', { 'content-encoding': 'gzip' }, '?stream=loki-pb')).status,
      204,
    );
    await waitIndexed(server.url);
    const found = await search(server.url, 'stream:loki-pb', { order: 'asc' });
    assert.deepEqual(
      found.body.events.map((e) => [e.message, e.job]),
      [
        ['kernel: disk sda ok', 'varlogs'],
        ['결제 요청 실패', 'varlogs'],
        ['second stream', 'other'],
        ['gzipped', 'gz'],
      ],
    );
    assert.equal(found.body.events[0]._time, '2026-11-18T11:08:20.123456Z');
    assert.equal(found.body.events[0].pod, 'p-1');
    assert.equal(found.body.events[0].filename, '/var/log/syslog');
    assert.equal((await search(server.url, '결제 stream:loki-pb')).body.total, 1);
  });

  test('bad input: truncated protobuf, wrong compression, bad labels, invalid UTF-8, oversized', async () => {
    const good = lokiProtoBody([
      { labels: '{job="x"}', entries: [{ s: 1_795_000_200, ns: 0, line: 'fine line' }] },
    ]);
    const truncated = await lokiPush(
      snappyCompress(good.subarray(0, good.length - 3)),
      'application/x-protobuf',
    );
    assert.equal(truncated.status, 400);
    assert.match(truncated.text, /cannot parse the protobuf push body: .* at byte \d+/);
    const notSnappy = await lokiPush(zlib.gzipSync(good), 'application/x-protobuf');
    assert.equal(notSnappy.status, 400);
    assert.match(notSnappy.text, /cannot decode snappy body/);
    const badJson = await lokiPush('{"streams": [', 'application/json');
    assert.equal(badJson.status, 400);
    assert.match(badJson.text, /cannot parse the JSON push body/);
    assert.equal((await lokiPush('x', 'text/csv')).status, 415);

    // Invalid UTF-8 in one entry's line: that entry is rejected, its neighbours are kept.
    const enc = lokiProtoBody([
      {
        labels: '{job="utf"}',
        entries: [
          { s: 1_795_000_300, ns: 0, line: 'before' },
          { s: 1_795_000_301, ns: 0, line: 'XXXX' },
          { s: 1_795_000_302, ns: 0, line: 'after' },
        ],
      },
      { labels: '{job="broken', entries: [{ s: 1_795_000_303, ns: 0, line: 'lost with its labels' }] },
    ]);
    const at = enc.indexOf('XXXX');
    enc[at] = 0xc3;
    enc[at + 1] = 0x28;
    const mixed = await lokiPush(snappyCompress(enc), 'application/x-protobuf', {}, '?stream=loki-bad');
    assert.equal(mixed.status, 400);
    assert.match(mixed.text, /2 of 4 entries rejected \(the others were stored\)/);
    assert.match(mixed.text, /invalid UTF-8/);
    assert.match(mixed.text, /cannot read its labels/);
    await waitIndexed(server.url);
    const found = await search(server.url, 'stream:loki-bad', { order: 'asc' });
    assert.deepEqual(
      found.body.events.map((e) => e.message),
      ['before', 'after'],
    );
    assert.ok((await metric('logwarden_events_rejected_total', 'source="loki",reason="invalid_utf8"')) >= 1);

    // Oversized: one line over maxLineBytes is rejected alone; a body (or a snappy block that
    // declares a decoded size) over maxBodyBytes is 413.
    const long = JSON.stringify({
      streams: [
        {
          stream: { job: 'big' },
          values: [
            ['1795000400000000000', 'z'.repeat(MAX_LINE + 1)],
            ['1795000401000000000', 'short'],
          ],
        },
      ],
    });
    const lr = await lokiPush(long, 'application/json', {}, '?stream=loki-big');
    assert.equal(lr.status, 400);
    assert.match(lr.text, /1 of 2 entries rejected .*over the limit of 65536/);
    // Invalid UTF-8 in a JSON body: only the entry holding it is rejected.
    const badUtf8 = Buffer.from(
      JSON.stringify({
        streams: [
          {
            stream: { job: 'u' },
            values: [
              ['1795000500000000000', 'ok line'],
              ['1795000501000000000', 'bad ~ line'],
            ],
          },
        ],
      }),
    );
    badUtf8[badUtf8.indexOf('~')] = 0xff;
    const ur = await lokiPush(badUtf8, 'application/json', {}, '?stream=loki-big');
    assert.equal(ur.status, 400);
    assert.match(
      ur.text,
      /1 of 2 entries rejected .*event 1 \(in request order\) holds bytes that are not valid UTF-8/,
    );
    const bomb = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]); // declares 4 GiB
    assert.equal((await lokiPush(bomb, 'application/x-protobuf')).status, 413);
    assert.equal((await lokiPush(Buffer.alloc(MAX_BODY + 1, 0x20), 'application/json')).status, 413);
    await waitIndexed(server.url);
    assert.deepEqual(
      (await search(server.url, 'stream:loki-big', { order: 'asc' })).body.events.map((e) => e.message),
      ['short', 'ok line'],
    );
  });
});

describe('OTLP logs', () => {
  const traceId = '5b8efff798038103d269b633813fc60c';
  const spanId = 'eee19b7ec3c1b174';

  async function emitWith(exporter: OTLPJsonExporter | OTLPProtoExporter, batch: boolean, tag: string) {
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({
        'service.name': 'checkout',
        'host.name': 'pod-7',
        'deployment.environment': 'prod',
      }),
      processors: [
        batch ? new BatchLogRecordProcessor({ exporter }) : new SimpleLogRecordProcessor({ exporter }),
      ],
    });
    const logger = provider.getLogger('checkout-logger', '1.2.3');
    const ctx = trace.setSpanContext(context.active(), { traceId, spanId, traceFlags: TraceFlags.SAMPLED });
    logger.emit({
      severityNumber: 17,
      severityText: 'ERROR',
      body: `payment failed ${tag}`,
      attributes: { 'http.status_code': 502, retry: true, tag },
      timestamp: new Date('2026-11-21T12:00:00.123Z'),
      context: ctx,
    });
    logger.emit({
      severityNumber: 9,
      body: { event: 'cart', items: 3, tag },
      timestamp: new Date('2026-11-21T12:00:01Z'),
    });
    logger.emit({
      severityText: 'warning',
      body: `text severity ${tag}`,
      timestamp: new Date('2026-11-21T12:00:02Z'),
    });
    await provider.forceFlush();
    await provider.shutdown();
  }

  for (const [name, make, batch] of [
    [
      'JSON exporter, simple processor',
      () => new OTLPJsonExporter({ url: `${server.url}/v1/logs?stream=otlp-json` }),
      false,
    ],
    [
      'protobuf exporter with gzip, batch processor',
      () =>
        new OTLPProtoExporter({ url: `${server.url}/v1/logs?stream=otlp-pb`, compression: 'gzip' as never }),
      true,
    ],
  ] as const) {
    test(`the OpenTelemetry SDK (${name}) ships; resource, scope, severity, trace ids and body are mapped`, async () => {
      const stream = name.startsWith('JSON') ? 'otlp-json' : 'otlp-pb';
      await emitWith(make(), batch, stream);
      await waitIndexed(server.url);
      const found = await search(server.url, `stream:${stream}`, { order: 'asc' });
      assert.equal(found.body.total, 3, JSON.stringify(found.body));
      const [a, b, c] = found.body.events;
      assert.equal(a._time, '2026-11-21T12:00:00.123000Z');
      assert.equal(a.message, `payment failed ${stream}`);
      assert.equal(a.level, 'error');
      assert.equal(a.severity_number, 17);
      assert.equal(a.service, 'checkout');
      assert.equal(a.host, 'pod-7');
      assert.equal(a['deployment.environment'], 'prod');
      assert.equal(a['scope.name'], 'checkout-logger');
      assert.equal(a['scope.version'], '1.2.3');
      assert.equal(a.trace_id, traceId);
      assert.equal(a.span_id, spanId);
      assert.equal(a.trace_flags, 1);
      assert.equal(a['http.status_code'], 502);
      assert.equal(a.retry, true);
      assert.equal(b.level, 'info');
      assert.equal(b['body.event'], 'cart');
      assert.equal(b['body.items'], 3);
      assert.equal(c.level, 'warn');
      assert.equal(c.severity_text, 'warning');
      assert.equal((await search(server.url, `trace_id:${traceId} stream:${stream}`)).body.total, 1);
    });
  }

  test('bad input: truncated protobuf, invalid JSON, wrong encoding, a bad record among good ones', async () => {
    const post = async (body: Buffer | string, ct: string, extra: Record<string, string> = {}) => {
      const res = await fetch(`${server.url}/v1/logs?stream=otlp-bad`, {
        method: 'POST',
        headers: { 'content-type': ct, ...extra },
        body,
      });
      return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
    };
    // ExportLogsServiceRequest{resource_logs{scope_logs{log_records{body{string "x"}}}}}, cut short.
    const rec = Buffer.from([0x2a, 0x03, 0x0a, 0x01, 0x78]);
    const sl = Buffer.concat([Buffer.from([0x12, rec.length]), rec]);
    const rl = Buffer.concat([Buffer.from([0x12, sl.length]), sl]);
    const req = Buffer.concat([Buffer.from([0x0a, rl.length]), rl]);
    const ok = await post(req, 'application/x-protobuf');
    assert.equal(ok.status, 200);
    const cut = await post(req.subarray(0, req.length - 2), 'application/x-protobuf');
    assert.equal(cut.status, 400);
    assert.match(cut.body.toString(), /cannot parse the OTLP protobuf body: .*at byte/);
    const bad = await post('{"resourceLogs": [', 'application/json');
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body.toString()).message, /cannot parse the OTLP JSON body/);
    const wrongEnc = await post('{"resourceLogs": []}', 'application/json', { 'content-encoding': 'gzip' });
    assert.equal(wrongEnc.status, 400);
    assert.match(JSON.parse(wrongEnc.body.toString()).message, /cannot decode gzip body/);
    assert.equal((await post('{}', 'text/plain')).status, 415);
    assert.equal((await post(Buffer.alloc(MAX_BODY + 1), 'application/x-protobuf')).status, 413);
    // An empty protobuf body is an empty request: nothing to store, 200.
    assert.equal((await post(Buffer.alloc(0), 'application/x-protobuf')).status, 200);

    const utf = Buffer.from(
      JSON.stringify({
        resourceLogs: [
          {
            scopeLogs: [
              { logRecords: [{ body: { stringValue: 'utf ok' } }, { body: { stringValue: 'utf ~ bad' } }] },
            ],
          },
        ],
      }),
    );
    utf[utf.indexOf('~')] = 0xfe;
    const utfAnswer = await post(utf, 'application/json');
    assert.equal(utfAnswer.status, 200);
    assert.match(JSON.parse(utfAnswer.body.toString()).partialSuccess.errorMessage, /not valid UTF-8/);
    const mixed = await post(
      JSON.stringify({
        resourceLogs: [
          {
            scopeLogs: [
              {
                logRecords: [
                  { timeUnixNano: '1795000000000000000', body: { stringValue: 'kept 1' } },
                  { timeUnixNano: 'yesterday', body: { stringValue: 'bad time' } },
                  { traceId: 'xyz', body: { stringValue: 'bad trace id' } },
                  { body: { stringValue: 'kept 2' }, attributes: [{ key: 'n', value: { intValue: '7' } }] },
                ],
              },
            ],
          },
        ],
      }),
      'application/json',
    );
    assert.equal(mixed.status, 200);
    const answer = JSON.parse(mixed.body.toString());
    assert.equal(answer.partialSuccess.rejectedLogRecords, '2');
    assert.match(answer.partialSuccess.errorMessage, /logRecords\[1\]\.timeUnixNano/);
    await waitIndexed(server.url);
    const found = await search(server.url, 'stream:otlp-bad', { order: 'asc' });
    assert.deepEqual(found.body.events.map((e) => e.message).sort(), ['kept 1', 'kept 2', 'utf ok', 'x']);
    assert.ok((await metric('logwarden_events_rejected_total', 'source="otlp",reason="malformed"')) >= 2);
    assert.ok((await metric('logwarden_events_accepted_total', 'source="otlp"')) >= 9);
  });
});

test('no request ended in a server-side failure (every bad input above was answered, not thrown)', () => {
  const failures = server
    .logs()
    .split('\n')
    .filter((l) => l.includes('"request failed"') || l.includes('"level":60'));
  assert.deepEqual(failures, []);
});
