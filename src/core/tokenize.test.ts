import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  hashToken,
  MAX_TOKEN_CODE_POINTS,
  type QueryMatch,
  queryTokenHashes,
  queryTokens,
  tokenHashes,
  tokenize,
} from './tokenize.ts';
import { mulberry32 } from '../../test/prng.ts';

const long = 'A'.repeat(70);

const cases: Array<[name: string, text: string, tokens: string[]]> = [
  ['empty', '', []],
  ['only separators', ' \t\n.,;:-/()[]{}"\'', []],
  ['ascii words, case folded', 'Hello World FOO_bar baz9', ['hello', 'world', 'foo_bar', 'baz9']],
  [
    'punctuation separates',
    'payment-api: error=timeout;retry(3)',
    ['payment', 'api', 'error', 'timeout', 'retry', '3'],
  ],
  ['ipv4', 'from 173.234.31.186 port 22', ['from', '173', '234', '31', '186', 'port', '22']],
  ['ipv6', 'fe80::1ff:fe23:4567:890a', ['fe80', '1ff', 'fe23', '4567', '890a']],
  ['email', 'Mail John.Doe@Example.COM now', ['mail', 'john', 'doe', 'example', 'com', 'now']],
  [
    'url',
    'GET https://api.example.com/v1/orders?id=42 HTTP/1.1',
    ['get', 'https', 'api', 'example', 'com', 'v1', 'orders', 'id', '42', 'http', '1', '1'],
  ],
  ['hex id', 'request_id=3F9A0C11DEADBEEF', ['request_id', '3f9a0c11deadbeef']],
  [
    'java stack line',
    '\tat com.example.Foo.bar(Foo.java:42)',
    ['at', 'com', 'example', 'foo', 'bar', 'foo', 'java', '42'],
  ],
  ['korean bigrams', '결제를 요청했습니다', ['결제', '제를', '요청', '청했', '했습', '습니', '니다']],
  ['korean two-syllable word', '결제 승인 완료', ['결제', '승인', '완료']],
  ['korean single syllable run', '꼭 결제', ['꼭', '결제']],
  ['korean attached to digits', '주문번호12345 처리', ['주문', '문번', '번호', '12345', '처리']],
  ['korean attached to latin', 'API호출 실패', ['api', '호출', '실패']],
  ['japanese kana and kanji', '東京都に行きます', ['東京', '京都', '都に', 'に行', '行き', 'きま', 'ます']],
  ['katakana prolonged sound mark', 'サーバー', ['サー', 'ーバ', 'バー']],
  ['halfwidth katakana', 'ｻｰﾊﾞ', ['ｻｰ', 'ｰﾊ', 'ﾊﾞ']],
  ['chinese with punctuation', '服务器错误。请重试', ['服务', '务器', '器错', '错误', '请重', '重试']],
  ['chinese single char', '中 文', ['中', '文']],
  ['astral han (extension B)', '𠀀𠀁x', ['𠀀𠀁', 'x']],
  ['mixed scripts', 'user 김철수 login 失敗 ok', ['user', '김철', '철수', 'login', '失敗', 'ok']],
  ['emoji separate', 'deploy🚀done ✅ ok👍🏽', ['deploy', 'done', 'ok']],
  ['accented latin folds', 'ÉCOLE Ça Ñandú', ['école', 'ça', 'ñandú']],
  ['sharp s', 'Straße STRAẞE', ['straße', 'straße']],
  ['greek final sigma', 'ΟΔΟΣ οδος', ['οδοσ', 'οδοσ']],
  ['dotted capital i', 'İstanbul', ['i\u0307stanbul']],
  ['cyrillic', 'Ошибка СЕРВЕРА', ['ошибка', 'сервера']],
  ['combining marks stay in the word', 'cafe\u0301 नमस्ते', ['cafe\u0301', 'नमस्ते']],
  ['fullwidth latin folds', 'ＡＢＣ１２', ['ａｂｃ１２']],
  ['lone surrogates separate', 'a\ud800b\udc00c', ['a', 'b', 'c']],
  ['long word capped', `x ${long} y`, ['x', 'a'.repeat(MAX_TOKEN_CODE_POINTS), 'y']],
  ['astral letters count one code point each', '𝐀'.repeat(70), ['𝐀'.repeat(MAX_TOKEN_CODE_POINTS)]],
];

describe('tokenize', () => {
  for (const [name, text, tokens] of cases) {
    it(name, () => {
      assert.deepEqual(tokenize(text, []), tokens);
    });
  }

  it('a set receives distinct tokens', () => {
    const set = tokenize('a b a B 결제 결제', new Set<string>());
    assert.deepEqual([...set], ['a', 'b', '결제']);
  });

  it('finds a Korean word inside its inflected form', () => {
    const doc = new Set(tokenize('사용자가 결제를 요청했습니다 주문번호 12345', []));
    for (const t of queryTokens('결제')) assert.ok(doc.has(t), t);
    for (const t of queryTokens('요청')) assert.ok(doc.has(t), t);
  });
});

describe('tokenHashes', () => {
  for (const [name, text, tokens] of cases) {
    it(`matches hashToken of each token: ${name}`, () => {
      const hashes: number[] = [];
      const n = tokenHashes(text, hashes);
      assert.equal(n, tokens.length);
      assert.deepEqual(hashes, tokens.map(hashToken));
    });
  }

  it('adds to a set sink', () => {
    const set = new Set<number>();
    assert.equal(tokenHashes('a b a', set), 3);
    assert.deepEqual([...set], [hashToken('a'), hashToken('b')]);
  });

  it('hashes are unsigned 32-bit', () => {
    for (const t of ['', 'a', 'error', '결제', 'x'.repeat(64)]) {
      const h = hashToken(t);
      assert.ok(Number.isInteger(h) && h >= 0 && h < 2 ** 32, t);
    }
  });

  it('property: equals tokenize + hashToken on random mixed text', () => {
    const alphabet = [
      ...'abcXYZ019_ .-:/@\t\n"=',
      ...'ÉéßẞΣσςİıÅ',
      ...'결제를요청했',
      ...'東京都にカター',
      '\u0301',
      '😀',
      '𠀀',
      '𝐀',
      '\ud800',
      '\udc00',
      'Ω',
      'K',
    ];
    const rnd = mulberry32(7);
    for (let iter = 0; iter < 3000; iter++) {
      const len = Math.floor(rnd() * 40);
      let text = '';
      for (let i = 0; i < len; i++) {
        text +=
          rnd() < 0.05
            ? 'Q'.repeat(60 + Math.floor(rnd() * 10))
            : alphabet[Math.floor(rnd() * alphabet.length)];
      }
      const hashes: number[] = [];
      tokenHashes(text, hashes);
      assert.deepEqual(hashes, tokenize(text, []).map(hashToken), JSON.stringify(text));
    }
  });
});

describe('queryTokens', () => {
  const table: Array<[term: string, match: QueryMatch | undefined, tokens: string[]]> = [
    ['Failed password', undefined, ['failed', 'password']],
    ['173.234.31.186', 'word', ['173', '234', '31', '186']],
    ['error error', 'word', ['error']],
    ['결제', undefined, ['결제']],
    ['결제를', undefined, ['결제', '제를']],
    ['결', undefined, []],
    ['foo*', undefined, []],
    ['foo bar*', undefined, ['foo']],
    ['foo bar', 'prefix', ['foo']],
    ['결제*', undefined, ['결제']],
    ['foo ', 'prefix', ['foo']],
    ['foo bar baz', 'substring', ['bar']],
    [' foo bar ', 'substring', ['foo', 'bar']],
    ['oo', 'substring', []],
    ['abc결제', 'substring', ['결제']],
    [`${long}*`, undefined, ['a'.repeat(MAX_TOKEN_CODE_POINTS)]],
    [`x ${long}`, 'substring', ['a'.repeat(MAX_TOKEN_CODE_POINTS)]],
    ['', undefined, []],
    ['*', undefined, []],
  ];
  for (const [term, match, tokens] of table) {
    it(`${JSON.stringify(term)} ${match ?? '(auto)'}`, () => {
      assert.deepEqual(queryTokens(term, match), tokens);
      assert.deepEqual(queryTokenHashes(term, match), tokens.map(hashToken));
    });
  }

  it('property: a term found in a text never requires a token the text lacks', () => {
    const alphabet = [...'abcAB01 .-_', ...'É결제를요청', ...'東京に', '𝐀', '😀'];
    const rnd = mulberry32(11);
    const isWordChar = (ch: string) =>
      /[\p{L}\p{N}\p{M}_]/u.test(ch) && !/\p{scx=Hangul}|\p{scx=Han}|\p{scx=Hiragana}/u.test(ch);
    for (let iter = 0; iter < 3000; iter++) {
      const chars: string[] = [];
      const len = 1 + Math.floor(rnd() * 30);
      for (let i = 0; i < len; i++) chars.push(alphabet[Math.floor(rnd() * alphabet.length)]);
      const docTokens = new Set(tokenize(chars.join(''), []));
      let a = Math.floor(rnd() * chars.length);
      let b = a + 1 + Math.floor(rnd() * (chars.length - a));
      // Substring: any cut on character boundaries, any case of ASCII letters.
      const flip = (s: string) => (rnd() < 0.5 ? s.toUpperCase() : s);
      const sub = chars
        .slice(a, b)
        .map((c) => (c.length === 1 && c < '\x80' ? flip(c) : c))
        .join('');
      for (const t of queryTokens(sub, 'substring')) assert.ok(docTokens.has(t), `${sub} -> ${t}`);
      // Prefix: the start must be at a word boundary.
      while (a > 0 && isWordChar(chars[a - 1]) && isWordChar(chars[a])) a--;
      for (const t of queryTokens(chars.slice(a, b).join(''), 'prefix')) assert.ok(docTokens.has(t), t);
      // Word: both ends at word boundaries.
      while (b < chars.length && isWordChar(chars[b - 1]) && isWordChar(chars[b])) b++;
      for (const t of queryTokens(chars.slice(a, b).join(''), 'word')) assert.ok(docTokens.has(t), t);
    }
  });
});
