/**
 * Fuzz tests of the query parser with seeded random input (replay a failure with
 * LW_FUZZ_SEED=<seed>): it must never throw anything but LW_ERR_QUERY_SYNTAX, never hang, and
 * every query it accepts must print (formatQuery) to text that parses back to the same query.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LwError } from '../core/errors.ts';
import type { ParsedQuery } from '../core/query-ast.ts';
import { formatQuery } from './format.ts';
import { parseQuery } from './parser.ts';
import { mulberry32 as prng } from '../../test/prng.ts';

const NOW_MS = Date.UTC(2026, 10, 22, 12, 0, 0);
const SEED = Number(process.env.LW_FUZZ_SEED ?? 1122);
/** Inputs are capped so one case can never take long; nesting limits are tested separately. */
const MAX_LEN = 256;

const PIECES = [
  'a',
  'error',
  'AND',
  'OR',
  'NOT',
  'and',
  '-',
  '(',
  ')',
  '"',
  '\\',
  '\\"',
  '\\u00e9',
  '\\u12',
  '*',
  ':',
  'f:',
  '"f g":',
  'f:=',
  'f:>=',
  'f:<',
  '_time:',
  '15m',
  '1h30m',
  'now',
  '-1h',
  '2026-11-22',
  '2026-11-22T10:00:00Z',
  '1795305600',
  '[',
  ']',
  '{',
  '}',
  ' TO ',
  ',',
  '/',
  '\\/',
  '|',
  ' | stats count() by level',
  "'",
  '`',
  '=',
  '>',
  '<',
  ' ',
  '  ',
  '\t',
  '\u3000',
  '결제',
  '😀',
  '173.234.31.186',
  'http://x',
  '1.5',
  '-0',
  '1e999',
];

function randomQuery(rand: () => number): string {
  const int = (n: number) => Math.floor(rand() * n);
  let s = '';
  if (rand() < 0.3) {
    // raw UTF-16 code units, including lone surrogates and control characters
    const n = int(MAX_LEN);
    for (let i = 0; i < n; i++) {
      const r = rand();
      s += String.fromCharCode(r < 0.6 ? 32 + int(95) : r < 0.8 ? int(32) : int(0x10000));
    }
    return s;
  }
  const n = 1 + int(40);
  for (let i = 0; i < n && s.length < MAX_LEN; i++) s += PIECES[int(PIECES.length)];
  return s.slice(0, MAX_LEN);
}

/** What must survive printing: the filter and each pipe's name and args (not their positions). */
function essence(q: ParsedQuery): unknown {
  return { filter: q.filter, pipes: q.pipes.map((p) => [p.name, p.args]), timeRange: q.timeRange };
}

describe('fuzz: random queries', () => {
  it('throw only LW_ERR_QUERY_SYNTAX, and accepted ones print back to the same query', {
    timeout: 120_000,
  }, () => {
    const rand = prng(SEED);
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < 30_000; i++) {
      const query = randomQuery(rand);
      const where = `seed ${SEED} case ${i}: ${JSON.stringify(query)}`;
      let parsed: ParsedQuery;
      try {
        parsed = parseQuery(query, { now: NOW_MS });
      } catch (e) {
        if (!(e instanceof LwError) || e.code !== 'LW_ERR_QUERY_SYNTAX') {
          assert.fail(`${where} threw ${(e as Error)?.stack ?? String(e)}`);
        }
        const pos = e.details?.position;
        assert.ok(typeof pos === 'number' && pos >= 0 && pos <= query.length, `${where}: position ${pos}`);
        assert.equal(typeof e.details?.expected, 'string', where);
        rejected++;
        continue;
      }
      accepted++;
      const printed = formatQuery(parsed);
      let again: ParsedQuery;
      try {
        again = parseQuery(printed, { now: NOW_MS });
      } catch (e) {
        assert.fail(
          `${where} printed as ${JSON.stringify(printed)}, which does not parse: ${(e as Error).message}`,
        );
      }
      assert.deepStrictEqual(
        essence(again),
        essence(parsed),
        `${where} printed as ${JSON.stringify(printed)}`,
      );
    }
    // The generator must exercise both paths, or the test proves little.
    assert.ok(accepted > 3000 && rejected > 3000, `accepted ${accepted}, rejected ${rejected}`);
  });

  it('mutations of valid queries behave the same', { timeout: 120_000 }, () => {
    const corpus = [
      'error',
      '"Failed password" host:web-1',
      'level:(error OR warn) -service:payment-api',
      'status:>=500 latency:<0.5 bytes:[100 TO 200}',
      'path:/^\\/api\\/v[12]\\// user:="a b"',
      '_time:15m 결제 NOT (a OR b*)',
      '_time:[2026-11-22T10:00:00Z, now) trace_id:*',
      '173.234.31.186 | stats count() by level | sort by (x desc)',
      '"my field":"x\\"y" http://x:1/a',
    ];
    const rand = prng(SEED + 1);
    const int = (n: number) => Math.floor(rand() * n);
    for (let i = 0; i < 20_000; i++) {
      let q = corpus[int(corpus.length)]!;
      for (let m = 1 + int(3); m > 0; m--) {
        const at = int(q.length + 1);
        const r = rand();
        if (r < 0.4) q = q.slice(0, at) + q.slice(at + 1 + int(3));
        else if (r < 0.8) q = q.slice(0, at) + PIECES[int(PIECES.length)] + q.slice(at);
        else q = q.slice(0, at) + q.slice(at).split('').reverse().join('');
      }
      const where = `seed ${SEED + 1} case ${i}: ${JSON.stringify(q)}`;
      let parsed: ParsedQuery;
      try {
        parsed = parseQuery(q, { now: NOW_MS });
      } catch (e) {
        if (!(e instanceof LwError)) assert.fail(`${where} threw ${(e as Error)?.stack ?? String(e)}`);
        continue;
      }
      const printed = formatQuery(parsed);
      assert.deepStrictEqual(
        essence(parseQuery(printed, { now: NOW_MS })),
        essence(parsed),
        `${where} -> ${printed}`,
      );
    }
  });
});
