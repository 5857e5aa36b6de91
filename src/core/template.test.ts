import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_TEMPLATE_CHARS, messageTemplate, SLOT } from './template.ts';
import { separatorClass } from './word-boundary.ts';

test('a word with an ASCII digit becomes a slot; everything else is kept', () => {
  const S = SLOT;
  const cases: Array<[string, string]> = [
    [
      'Failed password for root from 10.0.0.7 port 52214 ssh2',
      `Failed password for root from ${S}.${S}.${S}.${S} port ${S} ${S}`,
    ],
    ['Order created', 'Order created'],
    ['', ''],
    ['  lead and\ttrail  ', '  lead and\ttrail  '],
    ['x9Failed password', `${S} password`],
    ['9-Failed password', `${S}-Failed password`],
    ['a1\n\tat b.C(C.java:3)', `${S}\n\tat b.C(C.java:${S})`],
    ['GET /api/v1/users/60 HTTP/1.1', `GET /api/${S}/users/${S} HTTP/${S}.${S}`],
    ['결제를 요청했습니다 주문번호 A-123', `결제를 요청했습니다 주문번호 A-${S}`],
    ['주문123 처리', `${S} 처리`],
    ['café2 naïve', `${S} naïve`],
    ['emoji😀7 and 𝑥1', `emoji😀${S} and ${S}`],
    ['٣ (an Arabic-Indic digit is not ASCII)', '٣ (an Arabic-Indic digit is not ASCII)'],
  ];
  for (const [m, t] of cases) assert.equal(messageTemplate(m), t, JSON.stringify(m));
});

test('no template for a message with the slot character, a lone surrogate, or over the limit', () => {
  assert.equal(messageTemplate(`a ${SLOT} b`), null);
  assert.equal(messageTemplate(`a${SLOT}1`), null);
  assert.equal(messageTemplate('a \ud800 b'), null);
  assert.equal(messageTemplate('a \udc00 b'), null);
  assert.equal(messageTemplate('x'.repeat(MAX_TEMPLATE_CHARS + 1)), null);
  assert.equal(messageTemplate('x'.repeat(MAX_TEMPLATE_CHARS)), 'x'.repeat(MAX_TEMPLATE_CHARS));
});

test('filling each slot with its word gives the message back', () => {
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const alphabet = ['a', 'B', '7', ' ', '\t', '\n', '-', '결', '.', '\u2003', 'é', '_', '😀', '𝑥', ':'];
  const sep = separatorClass((cp) => `\\u{${cp.toString(16)}}`);
  const word = new RegExp(`[^${sep.slice(1, -1)}]+`, 'gu');
  for (let k = 0; k < 3000; k++) {
    let m = '';
    const len = rnd(30);
    for (let i = 0; i < len; i++) m += alphabet[rnd(alphabet.length)];
    const t = messageTemplate(m)!;
    // Words: runs of non-separators.
    const variables = (m.match(word) ?? []).filter((w) => /[0-9]/.test(w));
    let i = 0;
    const back = t.replace(new RegExp(SLOT, 'g'), () => variables[i++]);
    assert.equal(back, m);
    assert.equal(i, variables.length);
  }
});
