import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeNdjson, fileSuffix } from './encode.ts';

const labels = { stream: 's', suffix: fileSuffix('web-1', '/var/log/app.log', { env: 'prod', n: 2 }) };

function enc(text: string, offset = 7) {
  return JSON.parse(
    encodeNdjson({ text, offset, end: offset + text.length + 1 }, labels, 'b1', 1_700_000_000_000_000),
  );
}

test('encode: a JSON line keeps its keys, the agent adds its own (its host wins)', () => {
  assert.deepEqual(enc('{"msg":"hi","host":"x","n":{"a":1}}  '), {
    msg: 'hi',
    host: 'web-1',
    n: 2,
    env: 'prod',
    'file.path': '/var/log/app.log',
    'agent.batch': 'b1',
    'file.offset': 7,
  });
  assert.deepEqual(enc('{ }'), {
    env: 'prod',
    n: 2,
    host: 'web-1',
    'file.path': '/var/log/app.log',
    'agent.batch': 'b1',
    'file.offset': 7,
  });
});

test('encode: a text line is parsed as the server parses it (time, level)', () => {
  const e = enc('2026-01-02T03:04:05.678Z ERROR payment failed "quoted"');
  assert.equal(e._time, '2026-01-02T03:04:05.678000Z');
  assert.equal(e.level, 'error');
  assert.equal(e.message, '2026-01-02T03:04:05.678Z ERROR payment failed "quoted"');
  assert.equal(e['file.offset'], 7);
});

test('encode: a syslog line keeps its header fields; a broken JSON line is kept as text', () => {
  const s = enc('<34>1 2026-01-02T03:04:05Z bastion sshd 42 - - Failed password for root');
  assert.equal(s.message, 'Failed password for root');
  assert.equal(s.service, 'sshd');
  assert.equal(s.host, 'web-1');
  const b = enc('{"broken": ');
  assert.equal(b.message, '{"broken": ');
  assert.match(String(b._parse_error), /cannot parse JSON/);
});
