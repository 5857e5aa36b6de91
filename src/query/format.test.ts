import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  all,
  and,
  type CompareOp,
  compare,
  exact,
  exists,
  type FilterNode,
  not,
  or,
  phrase,
  prefix,
  type RangeBound,
  range,
  regex,
  time,
  word,
} from '../core/query-ast.ts';
import { formatQuery } from './format.ts';
import { parseQuery } from './parser.ts';
import { mulberry32 as prng } from '../../test/prng.ts';

const NOW_MS = Date.UTC(2026, 10, 22, 12, 0, 0);

describe('formatQuery', () => {
  const CASES: Array<[FilterNode, string]> = [
    [all(), '*'],
    [word('error'), 'error'],
    [word('payment-api'), 'payment-api'],
    [word('173.234.31.186'), '173.234.31.186'],
    [word('결제'), '결제'],
    [word('AND'), '\\AND'],
    [word('-x'), '\\-x'],
    [word('a b'), 'a\\ b'],
    [word('a:b'), 'a\\:b'],
    [word('http://x:1/y'), 'http://x:1/y'],
    [word('*'), '\\*'],
    [word('10:00', 'time'), 'time:10:00'],
    [word('=x', 'f'), 'f:\\=x'],
    [word('/api/v1/users', 'path'), 'path:/api/v1/users'],
    [word('/healthz', 'path'), 'path:\\/healthz'],
    [word('/api/', 'path'), 'path:\\/api/'],
    [prefix('/api/', 'path'), 'path:/api/*'],
    [word('/api/v1/users'), '/api/v1/users'],
    [word('x', 'my field'), '"my field":x'],
    [phrase('Failed "password"\n'), '"Failed \\"password\\"\\n"'],
    [phrase('a', 'f'), 'f:"a"'],
    [prefix('web-', 'host'), 'host:web-*'],
    [prefix('foo'), 'foo*'],
    [exact('f', 'v'), 'f:="v"'],
    [exact(null, 'v'), 'message:="v"'],
    [compare('status', '>=', 500), 'status:>=500'],
    [compare('n', '<', -1.5e-7), 'n:<-1.5e-7'],
    [compare('user', '>', '500'), 'user:>"500"'],
    [range('b', 1, null, true, false), 'b:[1 TO *}'],
    [range('b', 'a', 'z', false, true), 'b:{"a" TO "z"]'],
    [regex('p', '^/api\\/v1/'), 'p:/^\\/api\\/v1\\//'],
    [regex('p', '\\d\\\\/'), 'p:/\\d\\\\\\//'],
    [regex('p', 'a\\'), 'p:/a\\\\/'],
    [exists('trace_id'), 'trace_id:*'],
    [exists(null), 'message:*'],
    [time(0, null), '_time:[1970-01-01T00:00:00.000000Z, *]'],
    [not(word('a')), 'NOT a'],
    [not(and([word('a'), word('b')])), 'NOT (a b)'],
    [and([or([word('a'), word('b')]), word('c')]), '(a OR b) c'],
    [or([and([word('a'), word('b')]), word('c')]), 'a b OR c'],
    [not(all()), 'NOT *'],
  ];
  for (const [node, text] of CASES) {
    it(text, () => {
      assert.equal(formatQuery(node), text);
      assert.deepStrictEqual(parseQuery(text).filter, node);
    });
  }

  it('prints pipes after the filter', () => {
    const q = parseQuery('error|stats  count() by level |sort by (x desc)');
    assert.equal(formatQuery(q), 'error | stats count() by level | sort by (x desc)');
    assert.equal(formatQuery(parseQuery('| limit 10')), '* | limit 10');
  });
});

const SEED = Number(process.env.LW_FUZZ_SEED ?? 20261122);

const CHARS = [
  ...'abzAZ09.-_@/:*"\\()|=><[]{},\'!#?%&+~^$;',
  ' ',
  '\t',
  '\n',
  '\u3000',
  '\u0001',
  '\u007f',
  '결',
  '제',
  'é',
  '😀',
  '\ud800',
];
const FIELDS = [
  'level',
  'http.status',
  '@ts',
  'k8s.pod-name',
  '필드',
  'message',
  'my field',
  'a:b',
  '-x',
  'AND',
  '*',
  'x"y',
];
const PATTERN_PIECES = [
  '\\/',
  'a',
  'b',
  '.',
  '\\d',
  '\\.',
  '/',
  '|',
  '(',
  ')',
  '*',
  '+',
  '?',
  '[a-z]',
  '^',
  '$',
  '"',
  ' ',
  '결',
  '\\\\',
  '(?i)',
  ':',
  '{2}',
];
const WORDS = [
  'error',
  'AND',
  'OR',
  'NOT',
  '-',
  '*',
  'a*b',
  'http://x',
  '_time',
  '15m',
  'a:b',
  '결제',
  'TO',
  '"',
  '\\',
];
const OPS: CompareOp[] = ['>', '>=', '<', '<='];

function generator(rand: () => number) {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const str = (min: number, max: number) => {
    let s = '';
    const n = min + int(max - min + 1);
    for (let i = 0; i < n; i++) s += pick(CHARS);
    return s;
  };
  const text = (min: number) => (rand() < 0.3 ? pick(WORDS) : str(min, 8)) || 'x';
  const field = (): string | null => {
    const r = rand();
    if (r < 0.3) return null;
    if (r < 0.8) return pick(FIELDS);
    const f = str(1, 6);
    return f === '_time' ? 'x' : f;
  };
  const num = (): number => {
    const xs = [0, 1, -1, 500, 0.5, -1.5e-7, 1e21, 123456789.125, Number.MAX_SAFE_INTEGER];
    const n = rand() < 0.5 ? pick(xs) : (rand() - 0.5) * 10 ** int(12);
    return n === 0 ? 0 : n;
  };
  const bound = (): RangeBound => {
    const r = rand();
    return r < 0.2 ? null : r < 0.6 ? num() : str(0, 5);
  };
  const usTime = (): number | null => (rand() < 0.25 ? null : Math.floor((rand() - 0.1) * 8e15));
  const leaf = (): FilterNode => {
    switch (int(11)) {
      case 0:
        return word(text(1), field());
      case 1:
        return phrase(str(0, 8), field());
      case 2:
        return prefix(text(1), field());
      case 3:
        return exact(field(), str(0, 6));
      case 4:
        return compare(field(), pick(OPS), rand() < 0.6 ? num() : str(0, 5));
      case 5:
        return range(field(), bound(), bound(), rand() < 0.5, rand() < 0.5);
      case 6: {
        let p = '';
        for (let i = int(6); i >= 0; i--) p += pick(PATTERN_PIECES);
        return regex(field(), p);
      }
      case 7:
        return exists(field());
      case 8:
        return time(usTime(), usTime());
      case 9:
        return rand() < 0.5 ? all() : not(all());
      default:
        return word(pick(WORDS), null);
    }
  };
  const tree = (depth: number): FilterNode => {
    if (depth <= 0 || rand() < 0.35) return leaf();
    const n = 2 + int(3);
    const kids: FilterNode[] = [];
    for (let i = 0; i < n; i++) kids.push(tree(depth - 1));
    const r = rand();
    if (r < 0.4) return and(kids);
    if (r < 0.8) return or(kids);
    return not(kids[0]!);
  };
  return { tree };
}

describe('property: formatQuery then parseQuery gives back the AST', () => {
  it('holds for 5,000 random ASTs', { timeout: 60_000 }, () => {
    const rand = prng(SEED);
    const { tree } = generator(rand);
    for (let i = 0; i < 5000; i++) {
      const ast = tree(4);
      const text = formatQuery(ast);
      let back: FilterNode;
      try {
        back = parseQuery(text, { now: NOW_MS }).filter;
      } catch (e) {
        assert.fail(`seed ${SEED} case ${i}: ${JSON.stringify(text)} did not parse: ${(e as Error).message}`);
      }
      assert.deepStrictEqual(back, ast, `seed ${SEED} case ${i}: ${JSON.stringify(text)}`);
    }
  });
});
