import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../../../test/prng.ts';
import { collectSink, LokiPushRequest } from '../../../test/wire-protos.ts';
import { LwError } from '../../core/errors.ts';
import { decodeJsonPush, decodeProtobufPush, parseLabels } from './push.ts';

test('labels: Prometheus syntax with escapes; errors say where', () => {
  const ok: Array<[string, Record<string, string>]> = [
    ['{}', {}],
    ['{job="a"}', { job: 'a' }],
    [' { job = "a" , host="b",} ', { job: 'a', host: 'b' }],
    ['{msg="say \\"hi\\"\\nnow \\\\ done"}', { msg: 'say "hi"\nnow \\ done' }],
    ['{__name__="x", a_b:c="결제"}', { __name__: 'x', 'a_b:c': '결제' }],
  ];
  for (const [s, want] of ok) assert.deepEqual(parseLabels(s), want, s);
  const bad: Array<[string, RegExp]> = [
    ['job="a"', /expected \{ at offset 0/],
    ['{job=a}', /expected " to open the value of label job at offset 5/],
    ['{job="a}', /unterminated value of label job/],
    ['{job="a" host="b"}', /expected , or \} after the value of label job at offset 9/],
    ['{="a"}', /expected a label name at offset 1/],
    ['{job="a"} x', /unexpected text after \} at offset 10/],
  ];
  for (const [s, re] of bad) assert.match(String(parseLabels(s)), re, s);
});

test('JSON push: entries become records; bad entries are rejected alone with where and why', () => {
  const c = collectSink();
  decodeJsonPush(
    Buffer.from(
      JSON.stringify({
        streams: [
          {
            stream: { job: 'a', service_name: 'svc' },
            values: [
              ['1700000000123456789', 'one', { user: 'u1' }],
              [1700000001000000000, 'numeric ts'],
              ['not a time', 'bad ts'],
              ['1700000002000000000', 42],
              ['1700000003000000000', 'bad meta', { n: 1 }],
              ['1700000004000000000'],
            ],
          },
          { stream: { job: 7 }, values: [['1', 'x']] },
          { stream: {} },
        ],
      }),
    ),
    1024,
    c.sink,
  );
  assert.deepEqual(c.records[0], {
    job: 'a',
    service: 'svc',
    user: 'u1',
    _time: 1700000000123456,
    message: 'one',
  });
  assert.equal(c.records[1]._time, 1700000001000000);
  assert.equal(c.records.length, 2);
  assert.deepEqual(
    c.rejects.map(([, e]) => e.replace(/:.*/, '')),
    [
      'streams[0].values[2]',
      'streams[0].values[3]',
      'streams[0].values[4]',
      'streams[0].values[5]',
      'streams[1].stream',
      'streams[2]',
    ],
  );
  assert.throws(() => decodeJsonPush(Buffer.from('{"streams": 1}'), 1024, c.sink), LwError);
  assert.throws(() => decodeJsonPush(Buffer.from('nope'), 1024, c.sink), /cannot parse the JSON push body/);
});

test('protobuf push: agrees with protobufjs-encoded requests; labels after entries; unknown fields skipped', () => {
  const rnd = mulberry32(5);
  for (let k = 0; k < 200; k++) {
    const streams = Array.from({ length: 1 + Math.floor(rnd() * 3) }, (_, s) => ({
      labels: `{job="j${s}", host="h${k}"}`,
      hash: 12345,
      entries: Array.from({ length: Math.floor(rnd() * 5) }, (_, e) => ({
        timestamp: { seconds: 1_700_000_000 + e, nanos: Math.floor(rnd() * 1e9) },
        line: `line ${k}.${s}.${e} 결제 ${'z'.repeat(Math.floor(rnd() * 300))}`,
        structuredMetadata: rnd() < 0.5 ? [{ name: 'trace', value: `t${e}` }] : [],
      })),
    }));
    const buf = LokiPushRequest.encode(LokiPushRequest.fromObject({ streams })).finish();
    const c = collectSink();
    decodeProtobufPush(buf, 1 << 20, c.sink);
    const want = streams.flatMap((s) =>
      s.entries.map((e) => ({
        job: s.labels.match(/job="(\w+)"/)![1],
        host: `h${k}`,
        ...(e.structuredMetadata.length ? { trace: e.structuredMetadata[0].value } : {}),
        _time: e.timestamp.seconds * 1_000_000 + Math.floor(e.timestamp.nanos / 1000),
        message: e.line,
      })),
    );
    assert.deepEqual(c.records, want);
    assert.deepEqual(c.rejects, []);
  }
  // Labels written after the entries (field order is free in protobuf).
  const entry = LokiPushRequest.encode(
    LokiPushRequest.fromObject({ streams: [{ entries: [{ timestamp: { seconds: 1 }, line: 'x' }] }] }),
  ).finish();
  const labels = Buffer.from([0x0a, 0x09, ...Buffer.from('{job="z"}')]);
  const inner = Buffer.concat([Buffer.from(entry.subarray(2)), labels]);
  const c = collectSink();
  decodeProtobufPush(Buffer.concat([Buffer.from([0x0a, inner.length]), inner]), 1024, c.sink);
  assert.deepEqual(c.records, [{ job: 'z', _time: 1_000_000, message: 'x' }]);
});

test('fuzz: mutated protobuf bodies give records, per-entry rejections or one LwError; nothing else', () => {
  const rnd = mulberry32(21);
  const base = LokiPushRequest.encode(
    LokiPushRequest.fromObject({
      streams: [
        {
          labels: '{job="a"}',
          entries: [
            {
              timestamp: { seconds: 1_700_000_000, nanos: 5 },
              line: 'hello',
              structuredMetadata: [{ name: 'k', value: 'v' }],
            },
            { timestamp: { seconds: 1_700_000_001 }, line: 'world' },
          ],
        },
      ],
    }),
  ).finish();
  let ok = 0;
  let perEntry = 0;
  for (let k = 0; k < 20_000; k++) {
    const b = Buffer.from(base);
    for (let e = Math.floor(rnd() * 3); e >= 0; e--)
      b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
    const cut = rnd() < 0.3 ? Math.floor(rnd() * b.length) : b.length;
    const c = collectSink();
    try {
      decodeProtobufPush(b.subarray(0, cut), 1 << 20, c.sink);
      ok++;
      if (c.rejects.length > 0) perEntry++;
      for (const r of c.records) assert.equal(typeof r.message, 'string');
    } catch (err) {
      assert.ok(err instanceof LwError && err.status === 400, String(err));
      assert.match(err.message, /cannot parse the protobuf push body: .* at byte \d+/);
    }
  }
  assert.ok(ok > 0 && perEntry > 0, `${ok} decoded, ${perEntry} with rejected entries`);
});
