import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LwError } from '../core/errors.ts';
import {
  all,
  and,
  compare,
  exact,
  exists,
  type FilterNode,
  not,
  or,
  phrase,
  prefix,
  range,
  regex,
  time,
  word,
} from '../core/query-ast.ts';
import { parseFilter, parseQuery } from './parser.ts';

/** 2026-11-22T12:00:00Z, the `now` of every case. */
const NOW_MS = Date.UTC(2026, 10, 22, 12, 0, 0);
const NOW_US = NOW_MS * 1000;
const MIN_US = 60_000_000;
const HOUR_US = 60 * MIN_US;
const DAY_US = 24 * HOUR_US;
const NOV22_US = Date.UTC(2026, 10, 22) * 1000;

const w = (v: string, f: string | null = null) => word(v, f);

const CASES: Array<[string, FilterNode]> = [
  // everything
  ['', all()],
  ['   ', all()],
  ['*', all()],
  ['(*)', all()],
  ['* error', w('error')],
  ['error *', w('error')],
  ['* OR error', all()],
  // bare words
  ['error', w('error')],
  ['Error', w('Error')],
  ['173.234.31.186', w('173.234.31.186')],
  ['user@example.com', w('user@example.com')],
  ['/api/v1/x', w('/api/v1/x')],
  ['payment-api', w('payment-api')],
  ['결제', w('결제')],
  ['결제 실패', and([w('결제'), w('실패')])],
  ['[error]', w('[error]')],
  ['a=b', w('a=b')],
  ['>=5', w('>=5')],
  ["don't", w("don't")],
  ['😀', w('😀')],
  ['http://example.com:8080/a?b=c', w('http://example.com:8080/a?b=c')],
  ['a\\:b', w('a:b')],
  ['\\AND', w('AND')],
  ['\\*', w('*')],
  ['a\\ b', w('a b')],
  ['\\-x', w('-x')],
  ['x\u3000y', and([w('x'), w('y')])],
  // lowercase operators are words
  ['error and warn', and([w('error'), w('and'), w('warn')])],
  ['a or b', and([w('a'), w('or'), w('b')])],
  ['not a', and([w('not'), w('a')])],
  ['NOTE', w('NOTE')],
  ['ORACLE', w('ORACLE')],
  // phrases
  ['"Failed password"', phrase('Failed password')],
  ['"결제 실패"', phrase('결제 실패')],
  ['""', phrase('')],
  ['"a \\"b\\" \\\\ \\n\\t\\r \\u00e9 \\/"', phrase('a "b" \\ \n\t\r é /')],
  ['"AND"', phrase('AND')],
  ['"a"b', and([phrase('a'), w('b')])],
  ['a"b"', and([w('a'), phrase('b')])],
  // prefix
  ['foo*', prefix('foo')],
  ['host:web-*', prefix('web-', 'host')],
  ['결*', prefix('결')],
  ['foo\\**', prefix('foo*')],
  // field:value
  ['level:error', w('error', 'level')],
  ['http.status:500', w('500', 'http.status')],
  ['@timestamp:x', w('x', '@timestamp')],
  ['k8s.pod-name:api-1', w('api-1', 'k8s.pod-name')],
  ['필드:값', w('값', '필드')],
  ['message:error', w('error')],
  ['time:10:00:00', w('10:00:00', 'time')],
  ['url:https://a.b/c', w('https://a.b/c', 'url')],
  ['mac:00:1a:2b', w('00:1a:2b', 'mac')],
  ['f:-5', w('-5', 'f')],
  ['f:a=b', w('a=b', 'f')],
  ['AND:x', w('x', 'AND')],
  ['"my field":x', w('x', 'my field')],
  ['"a:b":"c d"', phrase('c d', 'a:b')],
  ['f:"Failed password"', phrase('Failed password', 'f')],
  ['f:\\*', w('*', 'f')],
  ['f:\\=x', w('=x', 'f')],
  // exact
  ['f:="exact value"', exact('f', 'exact value')],
  ['f:=abc', exact('f', 'abc')],
  ['f:=a*', exact('f', 'a*')],
  ['f:=""', exact('f', '')],
  ['message:="x y"', exact(null, 'x y')],
  // exists
  ['trace_id:*', exists('trace_id')],
  ['f:* g', and([exists('f'), w('g')])],
  ['(f:*)', exists('f')],
  // compare
  ['status:>=500', compare('status', '>=', 500)],
  ['status:>500', compare('status', '>', 500)],
  ['latency:<0.5', compare('latency', '<', 0.5)],
  ['latency:<=.5', compare('latency', '<=', 0.5)],
  ['n:>-1e3', compare('n', '>', -1000)],
  ['n:>-0', compare('n', '>', 0)],
  ['n:>=1e999', compare('n', '>=', '1e999')],
  ['user:>m', compare('user', '>', 'm')],
  ['user:>"500"', compare('user', '>', '500')],
  ['v:<2026-01-01', compare('v', '<', '2026-01-01')],
  // range
  ['bytes:[100 TO 200]', range('bytes', 100, 200)],
  ['bytes:{100 TO 200}', range('bytes', 100, 200, false, false)],
  ['bytes:[100 TO 200}', range('bytes', 100, 200, true, false)],
  ['bytes:{100 TO *]', range('bytes', 100, null, false, true)],
  ['bytes:[* TO 200]', range('bytes', null, 200)],
  ['bytes:[ 1 TO 2 ]', range('bytes', 1, 2)],
  ['bytes:[1,2]', range('bytes', 1, 2)],
  ['name:[a TO "m z"]', range('name', 'a', 'm z')],
  ['name:["*" TO \\*]', range('name', '*', '*')],
  ['ts:[2026-01-01T00:00:00Z TO *]', range('ts', '2026-01-01T00:00:00Z', null)],
  // regex
  ['path:/^\\/api\\/v[12]\\//', regex('path', '^/api/v[12]/')],
  ['f:/a|b/', regex('f', 'a|b')],
  ['f:/\\d+\\.\\d+/', regex('f', '\\d+\\.\\d+')],
  ['f:/(?i)error/ x', and([regex('f', '(?i)error'), w('x')])],
  ['f:/a b/', regex('f', 'a b')],
  ['(f:/x/)', regex('f', 'x')],
  // not a complete /regex/ followed by the end of the value: a word
  ['path:/api/v1/users', w('/api/v1/users', 'path')],
  ['path:/healthz', w('/healthz', 'path')],
  ['-path:/healthz x', and([not(w('/healthz', 'path')), w('x')])],
  ['f:/a\\/b', w('/a/b', 'f')],
  ['f:/a b', and([w('/a', 'f'), w('b')])],
  ['f:/', w('/', 'f')],
  ['f://x', w('f://x')],
  ['f:/\\//', regex('f', '/')],
  // negation
  ['NOT error', not(w('error'))],
  ['-error', not(w('error'))],
  ['-"a b"', not(phrase('a b'))],
  ['-level:debug', not(w('debug', 'level'))],
  ['NOT NOT a', w('a')],
  ['--a', w('a')],
  ['NOT -a', w('a')],
  ['NOT NOT NOT a', not(w('a'))],
  ['NOT (a OR b)', not(or([w('a'), w('b')]))],
  ['-(a b)', not(and([w('a'), w('b')]))],
  ['a -b', and([w('a'), not(w('b'))])],
  ['NOT *', not(all())],
  // and / or / precedence
  ['a b', and([w('a'), w('b')])],
  ['a AND b', and([w('a'), w('b')])],
  ['a AND b c', and([w('a'), w('b'), w('c')])],
  ['a OR b', or([w('a'), w('b')])],
  ['a OR b OR c', or([w('a'), w('b'), w('c')])],
  ['a OR b c', or([w('a'), and([w('b'), w('c')])])],
  ['a b OR c', or([and([w('a'), w('b')]), w('c')])],
  ['a AND b OR c AND d', or([and([w('a'), w('b')]), and([w('c'), w('d')])])],
  ['NOT a OR b', or([not(w('a')), w('b')])],
  ['NOT a b', and([not(w('a')), w('b')])],
  ['(a OR b) c', and([or([w('a'), w('b')]), w('c')])],
  ['a (b OR c)', and([w('a'), or([w('b'), w('c')])])],
  ['((a))', w('a')],
  ['(a (b c))', and([w('a'), w('b'), w('c')])],
  ['(a OR (b OR c))', or([w('a'), w('b'), w('c')])],
  ['a(b)', and([w('a'), w('b')])],
  ['level:error service:payment-api', and([w('error', 'level'), w('payment-api', 'service')])],
  // field groups
  ['level:(error OR warn)', or([w('error', 'level'), w('warn', 'level')])],
  ['f:(a b*)', and([w('a', 'f'), prefix('b', 'f')])],
  ['f:("a b" OR g:c)', or([phrase('a b', 'f'), w('c', 'g')])],
  ['f:(* -x)', and([exists('f'), not(w('x', 'f'))])],
  ['f:(a OR h:(b c))', or([w('a', 'f'), and([w('b', 'h'), w('c', 'h')])])],
  ['message:(a OR b)', or([w('a'), w('b')])],
  // time
  ['_time:15m', time(NOW_US - 15 * MIN_US, NOW_US)],
  ['_time:1h30m', time(NOW_US - 90 * MIN_US, NOW_US)],
  ['_time:7d', time(NOW_US - 7 * DAY_US, NOW_US)],
  ['_time:1w', time(NOW_US - 7 * DAY_US, NOW_US)],
  ['_time:30s', time(NOW_US - 30_000_000, NOW_US)],
  ['_time:*', all()],
  ['_time:[-1h, now]', time(NOW_US - HOUR_US, NOW_US)],
  ['_time:[now-1h, now]', time(NOW_US - HOUR_US, NOW_US)],
  ['_time:[-1h TO now]', time(NOW_US - HOUR_US, NOW_US)],
  ['_time:[-1h,now)', time(NOW_US - HOUR_US, NOW_US - 1)],
  ['_time:(-1h, now]', time(NOW_US - HOUR_US + 1, NOW_US)],
  ['_time:{-1h, now}', time(NOW_US - HOUR_US + 1, NOW_US - 1)],
  ['_time:[2026-11-22, *]', time(NOV22_US, null)],
  ['_time:[*, 2026-11-22]', time(null, NOV22_US + DAY_US - 1)],
  ['_time:[*, *]', all()],
  ['_time:[2026-11-22, 2026-11-22]', time(NOV22_US, NOV22_US + DAY_US - 1)],
  ['_time:[2026-11-22, 2026-11-23)', time(NOV22_US, NOV22_US + DAY_US - 1)],
  [
    '_time:[2026-11-22T10:00:00Z, 2026-11-22T11:00:00Z]',
    time(NOV22_US + 10 * HOUR_US, NOV22_US + 11 * HOUR_US + 999_999),
  ],
  ['_time:[2026-11-22T10:00:00+09:00, *]', time(NOV22_US + HOUR_US, null)],
  ['_time:["2026-11-22 10:00:00.5", *]', time(NOV22_US + 10 * HOUR_US + 500_000, null)],
  ['_time:[1795305600, 1795305601]', time(NOV22_US, NOV22_US + 1_999_999)],
  ['_time:[1795305600000, *]', time(NOV22_US, null)],
  ['_time:>=2026-11-22', time(NOV22_US, null)],
  ['_time:>2026-11-22', time(NOV22_US + DAY_US, null)],
  ['_time:<2026-11-22', time(null, NOV22_US - 1)],
  ['_time:<=2026-11-22', time(null, NOV22_US + DAY_US - 1)],
  ['_time:>-1h', time(NOW_US - HOUR_US + 1, null)],
  ['_time:15m error', and([time(NOW_US - 15 * MIN_US, NOW_US), w('error')])],
  ['NOT _time:1h', not(time(NOW_US - HOUR_US, NOW_US))],
  // beyond the exactly representable range (years 1685-2255): clamped
  ['_time:[*, 9999-12-31]', time(null, Number.MAX_SAFE_INTEGER)],
  ['_time:>99999999999999999999999', time(Number.MAX_SAFE_INTEGER, null)],
  ['_time:100000000w', time(-Number.MAX_SAFE_INTEGER, NOW_US)],
];

describe('parseQuery: query -> AST', () => {
  for (const [query, expected] of CASES) {
    it(JSON.stringify(query), () => {
      const parsed = parseQuery(query, { now: NOW_MS });
      assert.deepStrictEqual(parsed.filter, expected);
      assert.deepStrictEqual(parsed.pipes, []);
    });
  }
});

const ERRORS: Array<[string, number, RegExp]> = [
  ['status:', 7, /expected a value after "status:"/],
  ['status: 500', 7, /expected a value after "status:"/],
  ['(status:)', 8, /expected a value after "status:"/],
  ['"my f":', 7, /expected a value after ""my f":"/],
  ['f:=', 3, /expected a value after "f:="/],
  ['f:>', 3, /expected a value after "f:>"/],
  ['f:>= 5', 4, /expected a value after "f:>="/],
  ['(a OR b', 7, /expected "\)" to match "\(" at position 0/],
  ['level:(error OR warn', 20, /expected "\)" to match "\(" at position 6/],
  ['(a OR b | stats', 8, /expected "\)"/],
  ['a )', 2, /unexpected "\)"/],
  [')', 0, /unexpected "\)"/],
  ['()', 1, /expected a term inside "\(\)"/],
  ['ab "cde', 3, /unterminated phrase starting at position 3/],
  ['"abc\\"', 0, /unterminated phrase starting at position 0/],
  ['"a\\qb"', 2, /invalid escape "\\q"/],
  ['"\\u12"', 1, /four hex digits/],
  ['a AND', 5, /expected a term after "AND"/],
  ['a OR', 4, /expected a term after "OR"/],
  ['a OR OR b', 5, /expected a term after "OR"/],
  ['a AND OR b', 6, /expected a term after "AND"/],
  ['AND a', 0, /expected a term before "AND"/],
  ['OR a', 0, /expected a term before "OR"/],
  ['NOT', 3, /expected a term after "NOT"/],
  ['a NOT', 5, /expected a term after "NOT"/],
  ['NOT )', 4, /expected a term after "NOT"/],
  ['a - b', 3, /expected a term after "-"/],
  ['a -', 3, /expected a term after "-"/],
  [':a', 0, /expected a field name before ":"/],
  ['"":a', 0, /expected a field name before ":"/],
  ['a/b:c', 0, /invalid field name "a\/b"/],
  ['a\\ b:c', 0, /invalid field name "a b"/],
  ['fo*o', 2, /only supported at the end of a word/],
  ['*foo', 0, /only supported at the end of a word/],
  ['x:*foo', 2, /only supported at the end of a word/],
  ['a**', 1, /only supported at the end of a word/],
  ['a\\', 1, /expected a character after "\\"/],
  ['f:[1 TO', 7, /expected a range bound/],
  ['f:[1 2]', 5, /expected "TO" or ","/],
  ['f:[1 TO 2', 9, /expected "\]" or "}"/],
  ['f:[1 TO 2)', 9, /expected "\]" or "}"/],
  ['f:[TO 2]', 6, /expected "TO" or ","/],
  ['_time:', 6, /expected a value after "_time:"/],
  ['_time:5x', 6, /expected a duration/],
  ['_time:2026-11-22', 6, /expected a duration/],
  ['_time:[2026-13-01, now]', 7, /cannot parse time "2026-13-01"/],
  ['_time:[-1h, soon]', 12, /cannot parse time "soon"/],
  ['_time:[-1h now]', 11, /expected "TO" or ","/],
  ['_time:[-1h, now', 15, /expected "\]" or "\)"/],
  ['_time:>', 7, /expected a time/],
  ['x |', 3, /expected a pipe name after "\|" at position 2/],
  ['x | | y', 4, /expected a pipe name after "\|" at position 2/],
  ['x | 1abc', 4, /expected a pipe name/],
  ['x | stats (a', 12, /expected "\)" to match "\(" at position 10/],
  ['x | stats a)', 11, /unexpected "\)"/],
  ['x | stats "a', 10, /unterminated string starting at position 10/],
];

describe('parseQuery: syntax errors', () => {
  for (const [query, position, message] of ERRORS) {
    it(`${JSON.stringify(query)} at ${position}`, () => {
      assert.throws(
        () => parseQuery(query, { now: NOW_MS }),
        (e: unknown) => {
          assert.ok(e instanceof LwError, `not an LwError: ${String(e)}`);
          assert.equal(e.code, 'LW_ERR_QUERY_SYNTAX');
          assert.equal(e.status, 400);
          assert.equal(e.details?.position, position, e.message);
          assert.equal(typeof e.details?.expected, 'string');
          assert.match(e.message, message);
          assert.ok(e.message.startsWith(`cannot parse query at position ${position}: `), e.message);
          return true;
        },
      );
    });
  }

  it('rejects nesting deeper than the limit instead of overflowing the stack', () => {
    for (const q of ['('.repeat(100_000), 'NOT '.repeat(100_000) + 'a', '-'.repeat(100_000) + 'a']) {
      assert.throws(
        () => parseQuery(q),
        (e: unknown) => e instanceof LwError && /nests deeper/.test(e.message),
      );
    }
    assert.deepStrictEqual(parseQuery('('.repeat(50) + 'a' + ')'.repeat(50)).filter, w('a'));
  });

  it('serialises as { error, code, position, expected }', () => {
    try {
      parseQuery('status:');
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof LwError);
      assert.deepStrictEqual(e.toJSON(), {
        error: 'cannot parse query at position 7: expected a value after "status:"',
        code: 'LW_ERR_QUERY_SYNTAX',
        position: 7,
        expected: 'a value',
      });
    }
  });
});

describe('parseQuery: pipes', () => {
  const PIPES: Array<[string, FilterNode, Array<[string, string, number, number]>]> = [
    ['error | stats count() by level', w('error'), [['stats', 'count() by level', 8, 14]]],
    [
      'error | stats count() by level | sort by (x desc)',
      w('error'),
      [
        ['stats', 'count() by level', 8, 14],
        ['sort', 'by (x desc)', 33, 38],
      ],
    ],
    ['| stats count()', all(), [['stats', 'count()', 2, 8]]],
    ['* | limit 10', all(), [['limit', '10', 4, 10]]],
    ['a|limit', w('a'), [['limit', '', 2, 7]]],
    ['a | fields  x,y  ', w('a'), [['fields', 'x,y', 4, 12]]],
    ['a | stats(x)', w('a'), [['stats', '(x)', 4, 9]]],
    [
      'a | filter "x|y" | b',
      w('a'),
      [
        ['filter', '"x|y"', 4, 11],
        ['b', '', 19, 20],
      ],
    ],
    ["a | filter 'x|y'", w('a'), [['filter', "'x|y'", 4, 11]]],
    ['a | filter (x | y)', w('a'), [['filter', '(x | y)', 4, 11]]],
    ['a | filter f:/x|y/', w('a'), [['filter', 'f:/x|y/', 4, 11]]],
    ['a | format "\\"|"', w('a'), [['format', '"\\"|"', 4, 11]]],
    ['f:/x|y/ | b', regex('f', 'x|y'), [['b', '', 10, 11]]],
    [
      'a | filter p:/healthz | b',
      w('a'),
      [
        ['filter', 'p:/healthz', 4, 11],
        ['b', '', 24, 25],
      ],
    ],
    [
      'a | filter p:/x\\/ | b',
      w('a'),
      [
        ['filter', 'p:/x\\/', 4, 11],
        ['b', '', 20, 21],
      ],
    ],
    ['"a|b" | c', phrase('a|b'), [['c', '', 8, 9]]],
  ];
  for (const [query, filter, pipes] of PIPES) {
    it(JSON.stringify(query), () => {
      const q = parseQuery(query);
      assert.deepStrictEqual(q.filter, filter);
      assert.deepStrictEqual(
        q.pipes,
        pipes.map(([name, args, position, argsPosition]) => ({ name, args, position, argsPosition })),
      );
    });
  }

  it('parseFilter rejects pipes', () => {
    assert.deepStrictEqual(parseFilter('a'), w('a'));
    assert.throws(
      () => parseFilter('a | stats count()'),
      (e: unknown) => e instanceof LwError && e.details?.position === 4,
    );
  });
});

describe('parseQuery: time bounds', () => {
  it('reports the tightest bounds of top-level ANDed time filters', () => {
    const q = parseQuery('_time:1h error _time:[-2h, -30m]', { now: NOW_MS });
    assert.deepStrictEqual(q.timeRange, { start: NOW_US - HOUR_US, end: NOW_US - 30 * MIN_US });
    assert.equal(parseQuery('error').timeRange, null);
    assert.equal(parseQuery('NOT _time:1h').timeRange, null);
    assert.equal(parseQuery('_time:1h OR error').timeRange, null);
  });

  it('defaults now to the current time', () => {
    const before = Date.now() * 1000;
    const q = parseQuery('_time:1m');
    const after = Date.now() * 1000;
    assert.equal(q.filter.type, 'time');
    if (q.filter.type !== 'time') return;
    assert.ok(q.filter.end! >= before && q.filter.end! <= after);
    assert.equal(q.filter.end! - q.filter.start!, MIN_US);
  });
});
