import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  all,
  and,
  exists,
  extractTimeBounds,
  type FilterNode,
  normalize,
  not,
  or,
  type TimeBounds,
  time,
  walk,
  word,
} from '../core/query-ast.ts';

const a = word('a');
const b = word('b');
const c = word('c');

describe('query-ast constructors keep normal form', () => {
  const CASES: Array<[string, FilterNode, FilterNode]> = [
    ['and flattens', and([a, and([b, c])]), { type: 'and', children: [a, b, c] }],
    ['and drops all', and([all(), a, all(), b]), { type: 'and', children: [a, b] }],
    ['and of one is the child', and([a]), a],
    ['and of nothing is all', and([]), all()],
    ['and of only all is all', and([all(), all()]), all()],
    ['or flattens', or([or([a, b]), c]), { type: 'or', children: [a, b, c] }],
    ['or with all is all', or([a, all()]), all()],
    ['or of one is the child', or([a]), a],
    ['or of nothing matches nothing', or([]), not(all())],
    ['not not', not(not(a)), a],
    ['time with no bounds is all', time(null, null), all()],
    ['message field is null', word('x', 'message'), word('x')],
    ['exists(message)', exists('message'), { type: 'exists', field: null }],
  ];
  for (const [name, actual, expected] of CASES) {
    it(name, () => assert.deepStrictEqual(actual, expected));
  }

  it('normalize rebuilds hand-made trees', () => {
    const raw: FilterNode = {
      type: 'and',
      children: [
        { type: 'all' },
        { type: 'and', children: [a, { type: 'not', child: { type: 'not', child: b } }] },
        { type: 'or', children: [{ type: 'word', field: 'message', value: 'x' }] },
        { type: 'time', start: null, end: null },
      ],
    };
    assert.deepStrictEqual(normalize(raw), { type: 'and', children: [a, b, word('x')] });
  });
});

describe('walk', () => {
  it('visits parents before children and can skip subtrees', () => {
    const tree = and([a, or([b, not(c)])]);
    const seen: string[] = [];
    walk(tree, (n, parent) => {
      seen.push(`${n.type}<${parent?.type ?? 'root'}`);
    });
    assert.deepStrictEqual(seen, ['and<root', 'word<and', 'or<and', 'word<or', 'not<or', 'word<not']);
    const skipped: string[] = [];
    walk(tree, (n) => {
      skipped.push(n.type);
      return n.type !== 'or';
    });
    assert.deepStrictEqual(skipped, ['and', 'word', 'or']);
  });
});

describe('extractTimeBounds', () => {
  const t = (s: number | null, e: number | null) => time(s, e);
  const CASES: Array<[string, FilterNode, TimeBounds | null]> = [
    ['no time', a, null],
    ['all', all(), null],
    ['one time', t(10, 20), { start: 10, end: 20 }],
    ['and intersects', and([t(10, 30), a, t(20, 40)]), { start: 20, end: 30 }],
    ['and with open bounds', and([t(10, null), t(null, 40)]), { start: 10, end: 40 }],
    ['or takes the hull', or([t(10, 20), t(30, 40)]), { start: 10, end: 40 }],
    ['or with an unbounded child', or([t(10, 20), a]), null],
    ['or with an open end', or([t(10, 20), t(30, null)]), { start: 10, end: null }],
    ['or with opposite open bounds', or([t(null, 20), t(30, null)]), null],
    ['not is not a bound', not(t(10, 20)), null],
    ['and of or', and([a, or([and([t(10, 20), b]), t(15, 25)])]), { start: 10, end: 25 }],
    ['disjoint and', and([t(10, 20), t(30, 40)]), { start: 30, end: 20 }],
  ];
  for (const [name, node, expected] of CASES) {
    it(name, () => assert.deepStrictEqual(extractTimeBounds(node), expected));
  }
});
