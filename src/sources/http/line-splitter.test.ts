import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../../../test/prng.ts';
import { LineSplitter } from './line-splitter.ts';

function split(chunks: string[], max = 100) {
  const lines: Array<[number, string]> = [];
  const tooLong: Array<[number, number]> = [];
  const s = new LineSplitter(max, {
    onLine: (l, n) => lines.push([n, l.toString()]),
    onTooLong: (n, b) => tooLong.push([n, b]),
  });
  for (const c of chunks) s.push(Buffer.from(c));
  s.end();
  return { lines, tooLong };
}

test('splits lines across arbitrary chunk boundaries', () => {
  const text = 'alpha\nbeta\r\n\ngamma delta\nlast';
  for (let cut = 0; cut <= text.length; cut++) {
    const r = split([text.slice(0, cut), text.slice(cut)]);
    assert.deepEqual(r.lines, [
      [1, 'alpha'],
      [2, 'beta'],
      [3, ''],
      [4, 'gamma delta'],
      [5, 'last'],
    ]);
  }
});

test('an oversized line is reported once and the next lines survive', () => {
  const r = split(['ok1\n', 'x'.repeat(30), 'y'.repeat(30), '\nok2\n'], 40);
  assert.deepEqual(r.lines, [
    [1, 'ok1'],
    [3, 'ok2'],
  ]);
  assert.deepEqual(r.tooLong, [[2, 60]]);
});

test('a line of exactly the maximum is accepted, with or without CR', () => {
  const r = split([`${'a'.repeat(10)}\r\n${'b'.repeat(10)}\n${'c'.repeat(11)}\n`], 10);
  assert.deepEqual(
    r.lines.map((l) => l[1]),
    ['a'.repeat(10), 'b'.repeat(10)],
  );
  assert.deepEqual(r.tooLong, [[3, 11]]);
});

test('property: a body in one chunk splits as it does byte by byte', () => {
  const rnd = mulberry32(11);
  for (let iter = 0; iter < 300; iter++) {
    let text = '';
    const lines = Math.floor(rnd() * 8);
    for (let l = 0; l < lines; l++) {
      text += 'x'.repeat(Math.floor(rnd() * 14));
      if (rnd() < 0.3) text += '\r';
      if (rnd() < 0.9 || l < lines - 1) text += '\n';
    }
    const whole = split([text], 9);
    assert.deepEqual(whole, split([...text], 9), JSON.stringify(text));
    assert.deepEqual(
      whole,
      split([text.slice(0, iter % (text.length + 1)), text.slice(iter % (text.length + 1))], 9),
    );
  }
});
