/**
 * The detectors' fast paths against plain scanning. `scanText` (text-features.ts) is checked
 * against regex definitions of each feature; `redact` (pre-checks, IPv4/IPv6 regex choice, the
 * IPv4 scan window, re-measuring after a replacement) against a reference that runs every
 * detector's full regex over the whole text with the pre-checks the detectors had before the
 * fast paths (`@`, two digits in a row, `.` or `:`). Inputs are seeded random strings made of
 * the characters and words the detectors react to, with real personal data mixed in.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../../test/prng.ts';
import { BUILTIN_DETECTORS, customDetector, type Detector, luhn, redact } from './detectors.ts';
import { parseIp } from './ip.ts';
import { isJsSpace, newTextFeatures, scanText, type TextFeatures } from './text-features.ts';

const SEED = 7_2026_11;
const rnd = mulberry32(SEED);
const int = (n: number) => Math.floor(rnd() * n);
const pick = <T>(a: readonly T[]) => a[int(a.length)]!;
const digits = (n: number) => Array.from({ length: n }, () => int(10)).join('');

function cardNumber(): string {
  for (;;) {
    const ds = `4${digits(15)}`;
    if (luhn(ds)) return pick([ds, ds.replace(/(\d{4})(?=\d)/g, '$1 '), ds.replace(/(\d{4})(?=\d)/g, '$1-')]);
  }
}

const DATA: Array<() => string> = [
  cardNumber,
  () => `${1 + int(223)}.${int(256)}.${int(256)}.${int(256)}`,
  () => `2001:db8:${int(65536).toString(16)}::${int(65536).toString(16)}`,
  () => Array.from({ length: 8 }, () => int(65536).toString(16)).join(':'),
  () => `fe80::${int(65536).toString(16)}`,
  () => `010-${digits(4)}-${digits(4)}`,
  () => `+82 10 ${digits(4)} ${digits(4)}`,
  () => `+1 (415) ${digits(3)}-${digits(4)}`,
  () => `(212) ${digits(3)}.${digits(4)}`,
  () => `${digits(2)}0${1 + int(9)}${10 + int(18)}-${1 + int(4)}${digits(6)}`,
  () => `M${digits(8)}`,
  () => `M${digits(3)}K${digits(4)}`,
  () => `passport ${pick(['ABCDEF12', 'X1234567', 'QWERTYU'])}`,
  () => `account no: ${digits(3)}-${digits(3)}-${digits(6)}`,
  () => `계좌 ${digits(12)}`,
  () => 'DE89 3704 0044 0532 0130 00',
  () => `kim${int(100)}@example.co.kr`,
];

const PIECES = [
  ...'0123456789',
  ...'0123456789',
  ' ',
  ' ',
  '-',
  '.',
  ':',
  '::',
  '(',
  ')',
  '+',
  '@',
  '/',
  '"',
  '\t',
  '\u00a0',
  '\u3000',
  '\u2028',
  'A',
  'M',
  'DE',
  'x',
  'ab',
  'IBAN',
  'acct',
  'a/c',
  '여권',
  '계좌번호',
  '가',
  'Passport',
];

function randomText(): string {
  let s = '';
  const parts = int(40);
  for (let i = 0; i < parts; i++) {
    const r = rnd();
    if (r < 0.08) s += pick(DATA)();
    else if (r < 0.3) s += digits(1 + int(6));
    else s += pick(PIECES);
  }
  return s;
}

/** The features by regex definitions (independent of scanText's loop). */
function expectedFeatures(s: string): TextFeatures {
  const longest = (re: RegExp, count: (m: string) => number) => {
    let best = 0;
    for (const m of s.matchAll(re)) best = Math.max(best, count(m[0]));
    return best;
  };
  const digitCount = (m: string) => m.replace(/\D/g, '').length;
  const quads = [...s.matchAll(/\d+(?:\.\d+)*/g)].filter((m) => m[0].split('.').length >= 4);
  const loose13 = [...s.matchAll(/\d(?:[-\s]?\d)*/g)].filter((m) => digitCount(m[0]) >= 13);
  const phone9 = [...s.matchAll(/\d(?:[ .\-()]{0,2}\d)*/g)].filter((m) => digitCount(m[0]) >= 9);
  const end = (m: RegExpExecArray | RegExpMatchArray | undefined) => (m ? m.index! + m[0].length : -1);
  return {
    at: s.includes('@'),
    maxRun: longest(/\d+/g, (m) => m.length),
    looseRun: longest(/\d(?:[-\s]?\d)*/g, digitCount),
    loose13From: loose13[0]?.index ?? -1,
    loose13To: end(loose13.at(-1)),
    phoneRun: longest(/\d(?:[ .\-()]{0,2}\d)*/g, digitCount),
    phone9From: phone9[0]?.index ?? -1,
    phone9To: end(phone9.at(-1)),
    ibanStart: /[A-Z]{2}\d{2}/.test(s),
    capitalDigits: /[A-Z]\d{3}/.test(s),
    plus: s.includes('+'),
    dottedQuad: quads.length > 0,
    quadFrom: quads[0]?.index ?? -1,
    quadTo: quads.at(-1)?.index ?? -1,
    v6Shape: s.includes('::') || (s.match(/:/g)?.length ?? 0) >= 7,
  };
}

/** `redact` as it was before the fast paths: each detector's full regex over the whole text. */
function reference(s: string, detectors: readonly Detector[], replace: (d: Detector, m: string) => string) {
  const mayContain: Record<string, (t: string) => boolean> = {
    email: (t) => t.includes('@'),
    ip: (t) => t.includes('.') || t.includes(':'),
  };
  let text = s;
  for (const d of detectors) {
    const may = d.mayContain === null ? () => true : (mayContain[d.name] ?? ((t: string) => /\d\d/.test(t)));
    if (!may(text)) continue;
    const valid = d.name === 'ip' ? (m: string) => parseIp(m) !== null : d.validate;
    const re = new RegExp(d.re.source, 'g');
    let out = '';
    let copied = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const datum = m[1] ?? m[0];
      if (valid !== undefined && !valid(datum)) {
        re.lastIndex = m.index + 1;
        continue;
      }
      const at = m.index + m[0].length - datum.length;
      out += text.slice(copied, at) + replace(d, datum);
      copied = at + datum.length;
      if (m[0].length === 0) re.lastIndex++;
    }
    if (copied > 0) text = out + text.slice(copied);
  }
  return text;
}

test('scanText: JavaScript whitespace is exactly \\s', () => {
  for (let c = 0; c < 0x10000; c++) assert.equal(isJsSpace(c), /\s/.test(String.fromCharCode(c)), `U+${c}`);
});

test('scanText: every feature equals its regex definition', () => {
  const f = newTextFeatures();
  const fixed = ['', '1', '1.2.3.4', 'x1.2.3.4.5 and 10.0.0.1', '::', 'a:b:c:d:e:f:g:h', 'DE89', 'M123'];
  for (let i = 0; i < 20_000; i++) {
    const s = i < fixed.length ? fixed[i]! : randomText();
    scanText(s, f);
    assert.deepEqual({ ...f }, expectedFeatures(s), JSON.stringify(s));
  }
});

test('redact: fast paths find exactly what plain scanning finds (every detector, any replacement)', () => {
  const all = [...BUILTIN_DETECTORS, customDetector('emp', 'EMP-\\d{6}')];
  const sets: Detector[][] = [
    all,
    BUILTIN_DETECTORS.filter((d) => d.name !== 'ip'),
    BUILTIN_DETECTORS.filter((d) => d.name === 'ip'),
    BUILTIN_DETECTORS.filter((d) => d.name === 'phone' || d.name === 'card'),
  ];
  // placeholders that themselves look like data make later detectors see new text
  const replacers: Array<(d: Detector, m: string) => string> = [
    (d) => `[${d.name}]`,
    () => '',
    (d, m) => (d.name === 'email' ? '4111 1111 1111 1111' : `<${m.slice(-4)}>`),
    (d) => (d.name === 'card' ? '10.0.0.1' : `${d.name}:1.2.3.4::`),
  ];
  let changed = 0;
  for (let i = 0; i < 20_000; i++) {
    const s = randomText();
    const dets = sets[i % sets.length]!;
    const rep = replacers[int(replacers.length)]!;
    const want = reference(s, dets, rep);
    assert.equal(redact(s, dets, rep), want, `${JSON.stringify(s)} with ${dets.map((d) => d.name)}`);
    if (want !== s) changed++;
  }
  assert.ok(changed > 5_000, `only ${changed} texts had a hit`);
});
