import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatTimeLiteral, parseDuration, parseTimeLiteral } from './time-literal.ts';

const NOW_MS = Date.UTC(2026, 10, 22, 12, 0, 0);
const NOW_US = NOW_MS * 1000;
const S = 1_000_000;
const NOV22 = Date.UTC(2026, 10, 22) * 1000;

describe('parseDuration', () => {
  const CASES: Array<[string, number | null]> = [
    ['15m', 15 * 60 * S],
    ['30s', 30 * S],
    ['1h', 3600 * S],
    ['2d', 2 * 86_400 * S],
    ['1w', 7 * 86_400 * S],
    ['500ms', 500_000],
    ['1h30m', 5400 * S],
    ['1.5h', 5400 * S],
    ['1m1ms', 60 * S + 1000],
    ['0s', 0],
    ['', null],
    ['15', null],
    ['m', null],
    ['15 m', null],
    ['-15m', null],
    ['15M', null],
    ['15y', null],
    ['1h-', null],
  ];
  for (const [text, expected] of CASES) {
    it(JSON.stringify(text), () => assert.equal(parseDuration(text), expected));
  }
});

describe('parseTimeLiteral', () => {
  const CASES: Array<[string, number | null, number?]> = [
    ['now', NOW_US, 1],
    ['now-1h', NOW_US - 3600 * S, 1],
    ['now+30m', NOW_US + 1800 * S, 1],
    ['-1h', NOW_US - 3600 * S, 1],
    ['-1d12h', NOW_US - 36 * 3600 * S, 1],
    ['+1h', null],
    ['now-', null],
    ['now-x', null],
    ['Now', null],
    ['2026-11-22', NOV22, 86_400 * S],
    ['2026-11-22T10:00', NOV22 + 10 * 3600 * S, 60 * S],
    ['2026-11-22T10:00Z', NOV22 + 10 * 3600 * S, 60 * S],
    ['2026-11-22T10:00:00Z', NOV22 + 10 * 3600 * S, S],
    ['2026-11-22t10:00:00z', NOV22 + 10 * 3600 * S, S],
    ['2026-11-22 10:00:00', NOV22 + 10 * 3600 * S, S],
    ['2026-11-22T10:00:00.5Z', NOV22 + 10 * 3600 * S + 500_000, 100_000],
    ['2026-11-22T10:00:00.123456Z', NOV22 + 10 * 3600 * S + 123_456, 1],
    ['2026-11-22T10:00:00.123456789Z', NOV22 + 10 * 3600 * S + 123_456, 1],
    ['2026-11-22T10:00:00,25Z', NOV22 + 10 * 3600 * S + 250_000, 10_000],
    ['2026-11-22T10:00:00+09:00', NOV22 + 1 * 3600 * S, S],
    ['2026-11-22T10:00:00+0900', NOV22 + 1 * 3600 * S, S],
    ['2026-11-22T10:00:00-05:30', NOV22 + 15.5 * 3600 * S, S],
    ['2026-11-22T23:59:60Z', NOV22 + 86_399 * S, S],
    ['2024-02-29', Date.UTC(2024, 1, 29) * 1000, 86_400 * S],
    ['0001-01-01', Date.UTC(2000, 0, 1) * 1000 - 63_082_281_600 * S, 86_400 * S],
    ['1969-12-31T23:59:59.5Z', -500_000, 100_000],
    ['2025-02-29', null],
    ['2026-13-01', null],
    ['2026-11-31', null],
    ['2026-11-22T24:00:00Z', null],
    ['2026-11-22T10:60Z', null],
    ['2026-11-22T10:00:00+24:00', null],
    ['2026-11-22T', null],
    ['26-11-22', null],
    ['1795305600', NOV22, S],
    ['1795305600.5', NOV22 + 500_000, 100_000],
    ['1795305600000', NOV22, 1000],
    ['1795305600000000', NOV22, 1],
    ['1795305600000000000', NOV22, 1],
    ['0', 0, S],
    ['-1795305600', null],
    ['yesterday', null],
    ['', null],
  ];
  for (const [text, us, precision] of CASES) {
    it(JSON.stringify(text), () => {
      const t = parseTimeLiteral(text, NOW_MS);
      if (us === null) assert.equal(t, null);
      else assert.deepStrictEqual(t, { us, precision });
    });
  }
});

describe('formatTimeLiteral', () => {
  it('prints RFC 3339 UTC with microseconds', () => {
    assert.equal(formatTimeLiteral(NOV22 + 123_456), '2026-11-22T00:00:00.123456Z');
    assert.equal(formatTimeLiteral(0), '1970-01-01T00:00:00.000000Z');
    assert.equal(formatTimeLiteral(-1), '1969-12-31T23:59:59.999999Z');
  });

  it('reads back to the same microsecond', () => {
    let x = 12345;
    for (let i = 0; i < 2000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const us = Math.floor((x / 2 ** 31) * 8e15) - 1e15;
      assert.equal(parseTimeLiteral(formatTimeLiteral(us), 0)?.us, us);
    }
  });
});
