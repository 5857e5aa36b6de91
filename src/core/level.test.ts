import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LEVELS, type Level } from './event.ts';
import { normalizeLevel, SEVERITY_LEVELS, severityToLevel } from './level.ts';

describe('normalizeLevel', () => {
  const cases: Array<[unknown, Level | '']> = [
    ['trace', 'trace'],
    ['TRACE', 'trace'],
    ['finer', 'trace'],
    ['FINEST', 'trace'],
    ['verbose', 'trace'],
    ['V', 'trace'],
    ['debug', 'debug'],
    ['Debug', 'debug'],
    ['D', 'debug'],
    ['dbg', 'debug'],
    ['FINE', 'debug'],
    ['info', 'info'],
    ['INFO', 'info'],
    ['Information', 'info'],
    ['informational', 'info'],
    ['I', 'info'],
    ['notice', 'notice'],
    ['NOTICE', 'notice'],
    ['warn', 'warn'],
    ['WARN', 'warn'],
    ['Warning', 'warn'],
    ['WARNING', 'warn'],
    ['W', 'warn'],
    ['error', 'error'],
    ['ERR', 'error'],
    ['ERROR', 'error'],
    ['E', 'error'],
    ['SEVERE', 'error'],
    ['fatal', 'critical'],
    ['FATAL', 'critical'],
    ['crit', 'critical'],
    ['CRITICAL', 'critical'],
    ['F', 'critical'],
    ['alert', 'alert'],
    ['emerg', 'emergency'],
    ['EMERGENCY', 'emergency'],
    ['panic', 'emergency'],
    ['PANIC', 'emergency'],
    // mixed case and whitespace take the slow path
    ['wArNiNg', 'warn'],
    [' info ', 'info'],
    ['Error\n', 'error'],
    // syslog severities
    [0, 'emergency'],
    [1, 'alert'],
    [2, 'critical'],
    [3, 'error'],
    [4, 'warn'],
    [5, 'notice'],
    [6, 'info'],
    [7, 'debug'],
    ['3', 'error'],
    // bunyan / pino
    [10, 'trace'],
    [20, 'debug'],
    [30, 'info'],
    [40, 'warn'],
    [50, 'error'],
    [60, 'critical'],
    ['30', 'info'],
    // unknown
    [8, ''],
    [35, ''],
    [-1, ''],
    [3.5, ''],
    [Number.NaN, ''],
    ['', ''],
    ['information technology', ''],
    ['x', ''],
    ['warnings', ''],
    ['toString', ''],
    ['__proto__', ''],
    [true, ''],
    [null, ''],
    [undefined, ''],
    [{ level: 'info' }, ''],
    ['a'.repeat(10_000), ''],
  ];
  for (const [input, want] of cases) {
    it(`${JSON.stringify(input)?.slice(0, 30)} -> ${JSON.stringify(want)}`, () =>
      assert.equal(normalizeLevel(input), want));
  }

  it('returns only levels of the event model', () => {
    for (const l of LEVELS) assert.equal(normalizeLevel(l), l);
  });
});

describe('severityToLevel', () => {
  it('maps RFC 5424 severities 0..7', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map(severityToLevel), [
      'emergency',
      'alert',
      'critical',
      'error',
      'warn',
      'notice',
      'info',
      'debug',
    ]);
    assert.equal(SEVERITY_LEVELS.length, 8);
  });
  it('is empty out of range', () => {
    for (const s of [-1, 8, 1.5, Number.NaN]) assert.equal(severityToLevel(s), '');
  });
});
