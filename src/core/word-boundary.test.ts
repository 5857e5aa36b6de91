import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileMatcher } from '../query/match.ts';
import { parseFilter } from '../query/parser.ts';
import { messageEvent } from '../../test/log-event.ts';
import { mulberry32 } from '../../test/prng.ts';
import { hashToken, queryTokens, tokenHashes } from './tokenize.ts';
import { isSeparator, SEPARATOR_RANGES, separatorClass } from './word-boundary.ts';

test('isSeparator agrees with the separator class on every code point; no letter is a separator', () => {
  const re = new RegExp(
    separatorClass((cp) => `\\u{${cp.toString(16)}}`),
    'u',
  );
  const word = /[\p{L}\p{N}\p{M}_]/u;
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const ch = String.fromCodePoint(cp);
    const sep = isSeparator(cp);
    assert.equal(sep, re.test(ch), `U+${cp.toString(16)}`);
    if (sep) assert.ok(!word.test(ch), `U+${cp.toString(16)} is a letter, digit or mark`);
  }
  assert.ok(SEPARATOR_RANGES.every(([a, b], i) => a <= b && (i === 0 || SEPARATOR_RANGES[i - 1][1] < a - 1)));
  for (const ch of ['µ', '²', 'ª', '①', '々', '〇']) assert.equal(isSeparator(ch.codePointAt(0)!), false, ch);
  for (const ch of ['-', '«', '×', '€', '→', '「', '！', '😀'])
    assert.equal(isSeparator(ch.codePointAt(0)!), true, ch);
});

test('a term the search matches has every query token among the message tokens (skip index)', () => {
  const rnd = mulberry32(21);
  const alphabet = [
    'a',
    'b',
    'Z',
    '5',
    ' ',
    '-',
    '.',
    'µ',
    '²',
    '①',
    '々',
    'é',
    '_',
    '«',
    '€',
    '결',
    '😀',
    'ª',
  ];
  let matched = 0;
  for (let k = 0; k < 4000; k++) {
    let m = '';
    const len = 1 + Math.floor(rnd() * 14);
    for (let i = 0; i < len; i++) m += alphabet[Math.floor(rnd() * alphabet.length)];
    const cps = [...m];
    const a = Math.floor(rnd() * cps.length);
    const term = cps
      .slice(a, a + 1 + Math.floor(rnd() * (cps.length - a)))
      .join('')
      .trim();
    if (term === '') continue;
    if (!compileMatcher(parseFilter(JSON.stringify(term)))(messageEvent(m))) continue;
    matched++;
    const have = new Set<number>();
    tokenHashes(m, have);
    for (const t of queryTokens(term)) {
      assert.ok(
        have.has(hashToken(t)),
        `${JSON.stringify(term)} matches ${JSON.stringify(m)} but token ${t} is not indexed`,
      );
    }
  }
  assert.ok(matched > 1000, `only ${matched} matches`);
});
