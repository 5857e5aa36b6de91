/**
 * Table-driven tests of the pipe parsers (src/query/parse-pipes.ts and pipe-*.ts): the AST of
 * every pipe in its spellings, and malformed pipes failing with LW_ERR_QUERY_SYNTAX at the exact
 * position in the whole query (where the problem starts). test/pipes-bruteforce.test.ts checks
 * that the API answers such a query with 400 and the position.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LwError } from '../core/errors.ts';
import type { Agg, Expr, Pipe } from '../core/pipe-ast.ts';
import { parsePipes } from './parse-pipes.ts';
import { parseFilter, parseQuery } from './parser.ts';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

function pipes(q: string): Pipe[] {
  return parsePipes(parseQuery(q, { now: NOW }).pipes, NOW);
}

const count: Agg = { fn: 'count', field: null, name: 'count()' };
const agg = (fn: Agg['fn'], field: string | null, name: string, q?: number): Agg =>
  q === undefined ? { fn, field, name } : { fn, field, q, name };
const f = (name: string): Expr => ({ kind: 'field', name });
const n = (value: number): Expr => ({ kind: 'number', value });
const bin = (op: '+' | '-' | '*' | '/' | '%', left: Expr, right: Expr): Expr => ({
  kind: 'binary',
  op,
  left,
  right,
});

const CASES: Array<[string, Pipe[]]> = [
  // stats
  ['* | stats count()', [{ type: 'stats', aggs: [count], by: [] }]],
  [
    '* | stats count(), count(user), count_distinct(user) as users, count_distinct_approx(ip), sum(b), avg(b), min(b), max(b)',
    [
      {
        type: 'stats',
        aggs: [
          count,
          agg('count', 'user', 'count(user)'),
          agg('count_distinct', 'user', 'users'),
          agg('count_distinct_approx', 'ip', 'count_distinct_approx(ip)'),
          agg('sum', 'b', 'sum(b)'),
          agg('avg', 'b', 'avg(b)'),
          agg('min', 'b', 'min(b)'),
          agg('max', 'b', 'max(b)'),
        ],
        by: [],
      },
    ],
  ],
  [
    '* | stats median(d), p50(d), p90(d) as slow, p95( d ), p99(d), values(host), first(u), last(u), rate() by (host, _time:5m)',
    [
      {
        type: 'stats',
        aggs: [
          agg('quantile', 'd', 'median(d)', 0.5),
          agg('quantile', 'd', 'p50(d)', 0.5),
          agg('quantile', 'd', 'slow', 0.9),
          agg('quantile', 'd', 'p95(d)', 0.95),
          agg('quantile', 'd', 'p99(d)', 0.99),
          agg('values', 'host', 'values(host)'),
          agg('first', 'u', 'first(u)'),
          agg('last', 'u', 'last(u)'),
          agg('rate', null, 'rate()'),
        ],
        by: [{ field: 'host' }, { field: '_time', bucketUs: 300e6 }],
      },
    ],
  ],
  [
    '* | stats count() BY _time:1h30m, k8s.pod-name',
    [{ type: 'stats', aggs: [count], by: [{ field: '_time', bucketUs: 5400e6 }, { field: 'k8s.pod-name' }] }],
  ],
  ['* | stats count() by _time', [{ type: 'stats', aggs: [count], by: [{ field: '_time' }] }]],
  // timechart
  ['* | timechart count()', [{ type: 'timechart', stepUs: null, aggs: [count], by: null, limit: 10 }]],
  [
    '* | timechart 5m count() by level',
    [{ type: 'timechart', stepUs: 300e6, aggs: [count], by: 'level', limit: 10 }],
  ],
  [
    '* | timechart 1h avg(d), p99(d) as p by (host) limit 3',
    [
      {
        type: 'timechart',
        stepUs: 3600e6,
        aggs: [agg('avg', 'd', 'avg(d)'), agg('quantile', 'd', 'p', 0.99)],
        by: 'host',
        limit: 3,
      },
    ],
  ],
  // top, rare
  ['* | top 10 host', [{ type: 'top', n: 10, fields: ['host'] }]],
  ['* | top host', [{ type: 'top', n: 10, fields: ['host'] }]],
  ['* | rare 3 host, service', [{ type: 'rare', n: 3, fields: ['host', 'service'] }]],
  ['* | top 5 (client.ip, user)', [{ type: 'top', n: 5, fields: ['client.ip', 'user'] }]],
  // sort, limit, head
  [
    '* | sort by (count desc, host)',
    [
      {
        type: 'sort',
        keys: [
          { field: 'count', desc: true },
          { field: 'host', desc: false },
        ],
      },
    ],
  ],
  ['* | sort by x DESC', [{ type: 'sort', keys: [{ field: 'x', desc: true }] }]],
  [
    '* | sort by (count() desc, p99(duration_ms)) | fields host, count()',
    [
      {
        type: 'sort',
        keys: [
          { field: 'count()', desc: true },
          { field: 'p99(duration_ms)', desc: false },
        ],
      },
      { type: 'fields', names: ['host', 'count()'] },
    ],
  ],
  [
    '* | sort x asc, y',
    [
      {
        type: 'sort',
        keys: [
          { field: 'x', desc: false },
          { field: 'y', desc: false },
        ],
      },
    ],
  ],
  ['* | limit 5', [{ type: 'limit', n: 5 }]],
  ['* | head 7', [{ type: 'limit', n: 7 }]],
  ['* | head', [{ type: 'limit', n: 10 }]],
  // fields, rename
  ['* | fields a, b, a', [{ type: 'fields', names: ['a', 'b'] }]],
  [
    '* | fields (_time, `my field`, x-forwarded-for)',
    [{ type: 'fields', names: ['_time', 'my field', 'x-forwarded-for'] }],
  ],
  [
    '* | rename src as client_ip, `a b` AS c',
    [
      {
        type: 'rename',
        pairs: [
          { from: 'src', to: 'client_ip' },
          { from: 'a b', to: 'c' },
        ],
      },
    ],
  ],
  // where
  [
    '* | where count:>100 AND host:web-*',
    [{ type: 'where', filter: parseFilter('count:>100 AND host:web-*') }],
  ],
  // eval
  [
    '* | eval x = f * 1000, y = -a + b % 2, w = (a + b) / c - d, t = `x-b` - 1',
    [
      {
        type: 'eval',
        assigns: [
          { name: 'x', expr: bin('*', f('f'), n(1000)) },
          { name: 'y', expr: bin('+', { kind: 'unary', op: '-', arg: f('a') }, bin('%', f('b'), n(2))) },
          { name: 'w', expr: bin('-', bin('/', bin('+', f('a'), f('b')), f('c')), f('d')) },
          { name: 't', expr: bin('-', f('x-b'), n(1)) },
        ],
      },
    ],
  ],
  [
    '* | eval s = concat(lower(host), "-", \'x\\"y\'), n = null, r = ROUND(d / 3, 2), e = 1.5e3',
    [
      {
        type: 'eval',
        assigns: [
          {
            name: 's',
            expr: {
              kind: 'call',
              fn: 'concat',
              args: [
                { kind: 'call', fn: 'lower', args: [f('host')] },
                { kind: 'string', value: '-' },
                { kind: 'string', value: 'x"y' },
              ],
            },
          },
          { name: 'n', expr: { kind: 'null' } },
          { name: 'r', expr: { kind: 'call', fn: 'round', args: [bin('/', f('d'), n(3)), n(2)] } },
          { name: 'e', expr: n(1500) },
        ],
      },
    ],
  ],
  // dedup, extract, unpack_json
  ['* | dedup user, host', [{ type: 'dedup', fields: ['user', 'host'] }]],
  [
    '* | extract "ip=<ip> user=<user> "',
    [
      {
        type: 'extract',
        from: 'message',
        parts: [
          { literal: 'ip=' },
          { name: 'ip' },
          { literal: ' user=' },
          { name: 'user' },
          { literal: ' ' },
        ],
      },
    ],
  ],
  [
    "* | extract '<_> id=< id >' from text",
    [{ type: 'extract', from: 'text', parts: [{ name: null }, { literal: ' id=' }, { name: 'id' }] }],
  ],
  ['* | unpack_json', [{ type: 'unpack_json', from: 'message', fields: null, prefix: '' }]],
  [
    '* | unpack_json from payload fields (a, b) prefix "p."',
    [{ type: 'unpack_json', from: 'payload', fields: ['a', 'b'], prefix: 'p.' }],
  ],
  [
    '* | unpack_json prefix "j_" from body',
    [{ type: 'unpack_json', from: 'body', fields: null, prefix: 'j_' }],
  ],
  // a chain; `|` inside quotes and parentheses is not a pipe boundary
  [
    'error | extract "a|<x>" | where x:("p|q" OR z) | stats count() by x | sort by (count desc) | head 3',
    [
      { type: 'extract', from: 'message', parts: [{ literal: 'a|' }, { name: 'x' }] },
      { type: 'where', filter: parseFilter('x:("p|q" OR z)') },
      { type: 'stats', aggs: [count], by: [{ field: 'x' }] },
      { type: 'sort', keys: [{ field: 'count', desc: true }] },
      { type: 'limit', n: 3 },
    ],
  ],
];

describe('parsePipes: the AST of every pipe', () => {
  for (const [q, want] of CASES) {
    it(q, () => {
      assert.deepStrictEqual(pipes(q), want);
    });
  }

  it('pNN.N percentiles are fractions of one', () => {
    const [p] = pipes('* | stats p99.9(d), p1(d)') as [Extract<Pipe, { type: 'stats' }>];
    assert.ok(Math.abs(p.aggs[0]!.q! - 0.999) < 1e-12);
    assert.equal(p.aggs[0]!.name, 'p99.9(d)');
    assert.equal(p.aggs[1]!.q, 0.01);
  });

  it('aggregate names are lower case, aliases as written', () => {
    const [p] = pipes('* | stats Count() AS N, SUM(`bytes sent`) by host') as [
      Extract<Pipe, { type: 'stats' }>,
    ];
    assert.deepStrictEqual(p.aggs, [
      { fn: 'count', field: null, name: 'N' },
      { fn: 'sum', field: 'bytes sent', name: 'sum(bytes sent)' },
    ]);
  });
});

/** Malformed pipes: the query, where the error must point (a substring's first index, or 'end'), and the message. */
const BAD: Array<[string, string, RegExp]> = [
  ['error | statz count()', 'statz', /unknown pipe "statz"; pipes: stats, timechart/],
  ['error | ', 'end', /expected a pipe name/],
  ['error | | stats count()', '| stats', /expected a pipe name/],
  ['error | 5m', '5m', /expected a pipe name/],
  ['error | stats', 'end', /stats: expected an aggregate function/],
  ['error | stats count', 'end', /expected "\("/],
  ['error | stats count(', 'end', /expected "\)"/],
  ['error | stats count() by', 'end', /expected a field name/],
  ['error | stats count() by (host', 'end', /expected "\)"/],
  ['error | stats count() by host level', 'level', /unexpected "level"/],
  ['error | stats count() by _time:5x', '5x', /bucket size such as 5m/],
  ['error | stats count() by _time:0s', '0s', /bucket size such as 5m/],
  ['error | stats foo(x)', 'foo', /unknown aggregate function "foo"/],
  ['error | stats p100(x)', 'p100', /unknown aggregate function "p100"/],
  ['error | stats count(), foo(x)', 'foo', /unknown aggregate function "foo"/],
  ['error | stats count() by _time: 5x', '5x', /bucket size such as 5m/],
  ['error | stats p0(x)', 'p0', /percentile p0 must be between/],
  ['error | stats rate(x)', 'rate', /rate\(\) takes no argument/],
  ['error | stats sum()', 'sum', /sum\(\) needs a field/],
  ['error | stats count(), count()', 'end', /two aggregates are named "count\(\)"/],
  ['error | stats count() as host by host', 'end', /"host" is both a group and an aggregate name/],
  ['error | timechart', 'end', /expected an aggregate function/],
  ['error | timechart 5m', 'end', /expected an aggregate function/],
  ['error | timechart count() by a, b', ', b', /timechart: unexpected ", b"/],
  ['error | timechart count() limit 0', '0', /series limit \(an integer from 1 to 1000\)/],
  ['error | timechart count() | limit 5', 'limit 5', /timechart must be the last pipe/],
  ['error | top', 'end', /expected the field\(s\) to rank/],
  ['error | top 0 host', '0 host', /a count \(an integer from 1 to 10000\)/],
  ['error | top 2.5 host', '2.5', /a count/],
  ['error | top 10 host by level', 'by level', /"by" is not needed/],
  ['error | sort', 'end', /expected a field name/],
  ['error | sort by (a desc', 'end', /expected "\)"/],
  ['error | sort by a sideways', 'sideways', /unexpected "sideways"/],
  ['error | limit', 'end', /a row count \(an integer from 1 to 1000000\)/],
  ['error | limit 0', '0', /a row count/],
  ['error | limit ten', 'ten', /a row count/],
  ['error | limit 5 6', '6', /unexpected "6"/],
  ['error | head 2000000', '2000000', /a row count/],
  ['error | fields', 'end', /expected a field name/],
  ['error | fields a,', 'end', /expected a field name/],
  ['error | fields `a', '`a', /unterminated string/],
  ['error | fields a, `b` c', 'c', /unexpected "c"/],
  ['error | limit  0', '0', /a row count/],
  ['error | rename a b', 'b', /expected "as"/],
  ['error | rename a as', 'end', /expected the new name/],
  ['error | where', 'end', /where: expected a filter/],
  ['error | where host:web AND )', ')', /unexpected "\)"|where:/],
  ['error | eval', 'end', /expected the name of the new field/],
  ['error | eval x', 'end', /expected "="/],
  ['error | eval x =', 'end', /expected a number, a "string", a field or a function call/],
  ['error | eval x = foo(1)', 'foo', /unknown function "foo"/],
  ['error | eval x = round()', 'round', /round\(\) takes 1 to 2 argument\(s\), got 0/],
  ['error | eval x = 1 +* 2', '* 2', /expected a number/],
  ['error | eval x = 1 2', '2', /unexpected "2"/],
  ['error | eval x = "abc', '"abc', /unterminated string/],
  ['error | dedup', 'end', /expected a field name/],
  ['error | extract x=<a>', 'x=<a>', /expected a pattern such as "ip=<ip> " in quotes/],
  ['error | extract "no placeholders"', '"no', /the pattern has no <field> placeholder/],
  ['error | extract "<a><b>"', '"<a>', /two placeholders need literal text between them/],
  ['error | extract "x=<a> y=<a>"', '"x=', /<a> appears twice/],
  ['error | extract "x=<a b>"', '"x=', /"<a b>" is not a field name/],
  ['error | extract "x=<a>" from', 'end', /expected a field name/],
  ['error | extract "x=<a>" to y', 'to y', /unexpected "to y"/],
  ['error | unpack_json bogus', 'bogus', /unexpected "bogus"/],
  ['error | unpack_json from', 'end', /expected a field name/],
  ['error | unpack_json prefix p', 'p', /expected a prefix in quotes/],
  ['error | unpack_json fields', 'end', /expected a field name/],
];

describe('parsePipes: malformed pipes answer LW_ERR_QUERY_SYNTAX at the exact position', () => {
  for (const [q, at, message] of BAD) {
    const want = at === 'end' ? q.length : q.lastIndexOf(at);
    it(`${q}  (position ${want})`, () => {
      assert.ok(want >= 0, `BUG in the table: "${at}" is not in the query`);
      assert.throws(
        () => pipes(q),
        (e: unknown) => {
          assert.ok(e instanceof LwError, String(e));
          assert.equal(e.code, 'LW_ERR_QUERY_SYNTAX');
          assert.match(e.message, message);
          assert.equal((e.details as { position: number }).position, want, e.message);
          return true;
        },
      );
    });
  }
});
