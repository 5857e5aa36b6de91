import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../../../test/prng.ts';
import { collectSink, OtlpExportLogs } from '../../../test/wire-protos.ts';
import { LwError } from '../../core/errors.ts';
import { decodeJsonLogs, decodeProtobufLogs } from './logs.ts';

const traceHex = '0102030405060708090a0b0c0d0e0f10';
const spanHex = 'a1a2a3a4a5a6a7a8';

function request(records: unknown[]): Uint8Array {
  return OtlpExportLogs.encode(
    OtlpExportLogs.fromObject({
      resourceLogs: [
        {
          resource: {
            attributes: [
              { key: 'service.name', value: { stringValue: 'api' } },
              { key: 'host.name', value: { stringValue: 'h1' } },
            ],
          },
          scopeLogs: [
            {
              scope: { name: 'lib', version: '2.0', attributes: [{ key: 'k', value: { stringValue: 'v' } }] },
              logRecords: records,
            },
          ],
        },
      ],
    }),
  ).finish();
}

test('protobuf: every AnyValue kind, severity, ids, times, resource and scope', () => {
  const c = collectSink();
  decodeProtobufLogs(
    request([
      {
        timeUnixNano: '1700000000123456789',
        observedTimeUnixNano: '1700000001000000000',
        severityNumber: 21,
        severityText: 'FATAL',
        body: { stringValue: 'boom' },
        attributes: [
          { key: 'i', value: { intValue: -42 } },
          { key: 'big', value: { intValue: '9007199254740993' } },
          { key: 'd', value: { doubleValue: 2.5 } },
          { key: 'b', value: { boolValue: true } },
          { key: 'raw', value: { bytesValue: Buffer.from([0, 255]) } },
          { key: 'arr', value: { arrayValue: { values: [{ intValue: 1 }, { stringValue: 'two' }] } } },
          {
            key: 'kv',
            value: {
              kvlistValue: {
                values: [
                  { key: 'x', value: { kvlistValue: { values: [{ key: 'y', value: { intValue: 1 } }] } } },
                ],
              },
            },
          },
          { key: 'service.name', value: { stringValue: 'override' } },
        ],
        traceId: Buffer.from(traceHex, 'hex'),
        spanId: Buffer.from(spanHex, 'hex'),
        flags: 1,
        eventName: 'checkout.failed',
      },
      {
        observedTimeUnixNano: '1700000002000000000',
        severityText: 'Information',
        body: { kvlistValue: { values: [{ key: 'msg', value: { stringValue: 'hi' } }] } },
      },
      { body: { arrayValue: { values: [{ stringValue: 'a' }] } }, traceId: Buffer.alloc(16) },
    ]),
    c.sink,
  );
  assert.deepEqual(c.rejects, []);
  assert.deepEqual(c.records[0], {
    'service.name': 'override',
    'host.name': 'h1',
    'scope.name': 'lib',
    'scope.version': '2.0',
    'scope.k': 'v',
    i: -42,
    big: '9007199254740993',
    d: 2.5,
    b: true,
    raw: 'AP8=',
    arr: [1, 'two'],
    kv: { x: { y: 1 } },
    _time: 1700000000123456,
    observed_time: 1700000001000000,
    level: 'critical',
    severity_number: 21,
    severity_text: 'FATAL',
    trace_id: traceHex,
    span_id: spanHex,
    trace_flags: 1,
    event_name: 'checkout.failed',
    message: 'boom',
  });
  assert.equal(c.records[1]._time, 1700000002000000, 'observed time when the time is 0');
  assert.equal(c.records[1].level, 'Information', 'the text when there is no number (normalised later)');
  assert.deepEqual(c.records[1].body, { msg: 'hi' });
  assert.equal(c.records[2].message, '["a"]');
  assert.equal(c.records[2].trace_id, undefined, 'an all-zero trace id is no trace id');
  assert.equal(c.records[2]._time, undefined, 'no time: the receive time is used');
});

test('severity numbers map to levels by range', () => {
  const want = ['trace', 'trace', 'debug', 'info', 'info', 'warn', 'error', 'critical', 'critical'];
  const nums = [1, 4, 5, 9, 12, 13, 17, 21, 24];
  const c = collectSink();
  decodeProtobufLogs(
    request(nums.map((n) => ({ severityNumber: n, body: { stringValue: String(n) } }))),
    c.sink,
  );
  assert.deepEqual(
    c.records.map((r) => r.level),
    want,
  );
});

test('a bad record is rejected alone: wrong id size, invalid UTF-8; a truncated body is one 400', () => {
  const good = { body: { stringValue: 'good' } };
  const bytes = Buffer.from(
    request([good, { body: { stringValue: 'XXXX' } }, { spanId: Buffer.from([1, 2, 3]) }, good]),
  );
  const at = bytes.indexOf('XXXX');
  bytes[at] = 0xff;
  const c = collectSink();
  decodeProtobufLogs(bytes, c.sink);
  assert.deepEqual(
    c.records.map((r) => r.message),
    ['good', 'good'],
  );
  assert.equal(c.rejects.length, 2);
  assert.equal(c.rejects[0][0], 'invalid_utf8');
  assert.match(c.rejects[0][1], /^resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[1\]: invalid UTF-8/);
  assert.match(c.rejects[1][1], /logRecords\[2\]: span_id is 3 bytes, expected 8/);
  assert.throws(
    () => decodeProtobufLogs(bytes.subarray(0, bytes.length - 1), collectSink().sink),
    (e: Error) =>
      e instanceof LwError && /cannot parse the OTLP protobuf body: .* at byte \d+/.test(e.message),
  );
});

test('JSON: the same mapping as protobuf; camelCase and snake_case names; bad records alone', () => {
  const rec = {
    timeUnixNano: '1700000000123456789',
    severityNumber: 9,
    body: { stringValue: 'hello' },
    attributes: [
      { key: 'n', value: { intValue: '7' } },
      { key: 'kv', value: { kvlistValue: { values: [{ key: 'a', value: { doubleValue: 1.5 } }] } } },
    ],
    traceId: traceHex.toUpperCase(),
    spanId: spanHex,
  };
  const resource = {
    attributes: [
      { key: 'service.name', value: { stringValue: 'api' } },
      { key: 'host.name', value: { stringValue: 'h1' } },
    ],
  };
  const scope = { name: 'lib', version: '2.0', attributes: [{ key: 'k', value: { stringValue: 'v' } }] };
  const j = collectSink();
  decodeJsonLogs(
    Buffer.from(
      JSON.stringify({
        resourceLogs: [
          {
            resource,
            scopeLogs: [
              {
                scope,
                logRecords: [
                  rec,
                  { traceId: 'zz' },
                  { time_unix_nano: '1700000000000000000', body: { string_value: 'snake' } },
                ],
              },
            ],
          },
        ],
      }),
    ),
    j.sink,
  );
  const p = collectSink();
  decodeProtobufLogs(
    request([
      {
        ...rec,
        attributes: [{ key: 'n', value: { intValue: 7 } }, rec.attributes[1]],
        traceId: Buffer.from(traceHex, 'hex'),
        spanId: Buffer.from(spanHex, 'hex'),
      },
    ]),
    p.sink,
  );
  assert.deepEqual(j.records[0], p.records[0]);
  assert.equal(j.records[1].message, 'snake');
  assert.equal(j.records[1]._time, 1700000000000000);
  assert.equal(j.rejects.length, 1);
  assert.match(j.rejects[0][1], /logRecords\[1\]\.traceId: expected 32 hex digits/);
  assert.throws(
    () => decodeJsonLogs(Buffer.from('{"resourceLogs": {}}'), collectSink().sink),
    /resourceLogs: expected an array/,
  );
});

test('fuzz: mutated protobuf requests give records, per-record rejections or one LwError; nothing else', () => {
  const rnd = mulberry32(8);
  const base = request([
    {
      timeUnixNano: '1700000000000000000',
      severityNumber: 9,
      body: { stringValue: 'a message' },
      attributes: [{ key: 'k', value: { intValue: 5 } }],
    },
    {
      body: { kvlistValue: { values: [{ key: 'x', value: { stringValue: 'y' } }] } },
      traceId: Buffer.from(traceHex, 'hex'),
    },
  ]);
  let decoded = 0;
  for (let k = 0; k < 20_000; k++) {
    const b = Buffer.from(base);
    for (let e = Math.floor(rnd() * 3); e >= 0; e--)
      b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
    const cut = rnd() < 0.3 ? Math.floor(rnd() * b.length) : b.length;
    const c = collectSink();
    try {
      decodeProtobufLogs(b.subarray(0, cut), c.sink);
      decoded++;
      for (const r of c.records) JSON.stringify(r);
    } catch (err) {
      assert.ok(err instanceof LwError && err.status === 400, String(err));
    }
  }
  assert.ok(decoded > 0);
});
