import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isJsonObject, jsonObjectError } from './json-validate.ts';

function truth(s: string): boolean {
  try {
    const v = JSON.parse(Buffer.from(s).toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  } catch {
    return false;
  }
}

const CASES = [
  '{}',
  ' { } ',
  '{"a":1}',
  '{"a":-0.5e+10,"b":[1,2,{"c":null}],"d":true,"e":false,"f":"x\\n\\u00e9\\"y"}',
  '{"a":01}',
  '{"a":1.}',
  '{"a":.5}',
  '{"a":1e}',
  '{"a":-}',
  '{"a":[1,]}',
  '{"a":1,}',
  '{,}',
  '{"a" 1}',
  '{"a":tru}',
  '{"a":"\\x"}',
  '{"a":"\\u12"}',
  '{"a":"tab\there"}',
  '{"a":1}}',
  '{"a":1} {}',
  '[1,2]',
  '"str"',
  '1',
  'null',
  '',
  '   ',
  '{"a":{"b":{"c":[[[]]]}}}',
  '{"결제":"요청"}',
  '\ufeff{}',
  '{"a":[}',
  '{"a":]}',
  '{"a":1',
  '{"a":"unterminated}',
  '{"a":NaN}',
  '{"a":Infinity}',
  "{'a':1}",
];

test('agrees with JSON.parse on hand-picked cases', () => {
  for (const c of CASES) assert.equal(isJsonObject(Buffer.from(c)), truth(c), c);
});

test('property: agrees with JSON.parse on random mutations of valid lines', () => {
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const alphabet = '{}[]":,.-+eE0123456789 \t\\/untrfalsx"é결';
  const base = [
    '{"message":"GET /api 200","status":200,"ok":true,"tags":["a","b"],"n":null,"x":-1.5e-3}',
    '{"a":{"b":[{"c":"d\\u0041"}]}}',
    '{}',
  ];
  for (let k = 0; k < 20000; k++) {
    const chars = [...base[k % base.length]];
    const edits = 1 + Math.floor(rnd() * 3);
    for (let e = 0; e < edits; e++) {
      const pos = Math.floor(rnd() * (chars.length + 1));
      const op = rnd();
      const ch = alphabet[Math.floor(rnd() * alphabet.length)];
      if (op < 0.33) chars.splice(pos, 1);
      else if (op < 0.66) chars.splice(pos, 0, ch);
      else chars[pos] = ch;
    }
    const s = chars.join('');
    assert.equal(isJsonObject(Buffer.from(s)), truth(s), s);
  }
});

test('respects the given range and reports JSON.parse messages', () => {
  const b = Buffer.from('xx{"a":1}yy');
  assert.equal(isJsonObject(b, 2, 9), true);
  assert.equal(isJsonObject(b, 0, 9), false);
  assert.match(jsonObjectError(Buffer.from('{"a":')), /^cannot parse JSON: /);
  assert.equal(jsonObjectError(Buffer.from('[1]')), 'expected a JSON object');
});
