import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { normalizeLevel } from './level.ts';
import {
  formatTimestamp,
  parseIso8601,
  parseRfc3164Date,
  parseTimestamp,
  RFC3164_FUTURE_SKEW_MS,
  scanRfc3164Date,
} from './time.ts';
import { readCsv } from '../../test/loghub-fixtures.ts';

const us = (iso: string, extraUs = 0): number => Date.parse(iso) * 1000 + extraUs;
const NOW = Date.parse('2024-06-15T12:00:00Z');

describe('parseTimestamp: ISO 8601 / RFC 3339', () => {
  const cases: Array<[string, number]> = [
    ['2024-01-02T03:04:05Z', us('2024-01-02T03:04:05Z')],
    ['2024-01-02T03:04:05.123Z', us('2024-01-02T03:04:05.123Z')],
    ['2024-01-02T03:04:05.123456Z', us('2024-01-02T03:04:05.123Z', 456)],
    ['2024-01-02T03:04:05.123456789Z', us('2024-01-02T03:04:05.123Z', 456)], // ns truncated
    ['2024-01-02T03:04:05.999999999Z', us('2024-01-02T03:04:05.999Z', 999)],
    ['2024-01-02T03:04:05.1Z', us('2024-01-02T03:04:05.100Z')],
    ['2024-01-02t03:04:05z', us('2024-01-02T03:04:05Z')],
    ['2024-01-02T03:04:05+02:00', us('2024-01-02T01:04:05Z')],
    ['2024-01-02T03:04:05-07:30', us('2024-01-02T10:34:05Z')],
    ['2024-01-02T03:04:05+0200', us('2024-01-02T01:04:05Z')],
    ['2024-01-02T03:04:05+02', us('2024-01-02T01:04:05Z')],
    ['2024-01-02T03:04:05.5 +02:00', us('2024-01-02T01:04:05.500Z')],
    ['2024-01-02 03:04:05', us('2024-01-02T03:04:05Z')], // space, no zone = UTC
    ['2024-01-02 03:04:05,978', us('2024-01-02T03:04:05.978Z')], // log4j comma
    ['2024-01-02 03:04:05 UTC', us('2024-01-02T03:04:05Z')],
    ['2024-01-02T03:04', us('2024-01-02T03:04:00Z')],
    ['2024-01-02T03:04Z', us('2024-01-02T03:04:00Z')],
    ['2024-01-02', us('2024-01-02T00:00:00Z')],
    ['2024-02-29T00:00:00Z', us('2024-02-29T00:00:00Z')],
    ['1969-12-31T23:59:59.5Z', us('1969-12-31T23:59:59.500Z')],
    ['2016-12-31T23:59:60Z', us('2017-01-01T00:00:00Z')], // leap second
    ['  2024-01-02T03:04:05Z\n', us('2024-01-02T03:04:05Z')],
    ['[2024-01-02T03:04:05Z]', us('2024-01-02T03:04:05Z')],
    ['2003-10-11T22:14:15.003Z', us('2003-10-11T22:14:15.003Z')], // RFC 5424 6.5 example 1
    ['1985-04-12T23:20:50.52Z', us('1985-04-12T23:20:50.520Z')], // RFC 5424 6.2.3.1
    ['2003-08-24T05:14:15.000003-07:00', us('2003-08-24T12:14:15Z', 3)], // RFC 5424 6.2.3.1
  ];
  for (const [input, want] of cases) {
    it(JSON.stringify(input), () => assert.equal(parseTimestamp(input), want));
  }

  const bad = [
    '2024-13-01T00:00:00Z',
    '2024-02-30T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2024-01-02T24:00:00Z',
    '2024-01-02T03:60:00Z',
    '2024-01-02T03:04:61Z',
    '2024-01-02T03:04:05+25:00',
    '2024-01-02T03:04:05Zjunk',
    '2024-01-02T03:04:05.Z',
    '2024-01-02T03:04:05 junk',
    '2024-01-02X03:04:05Z',
    '2024-1-2',
    '2024-01-02T3:04:05Z',
    '2024-01-02T03:0',
    '2024-01-02T03:04:0',
    '2003-08-24T05:14:15.000000003-07:00 extra',
  ];
  for (const input of bad) {
    it(`rejects ${JSON.stringify(input)}`, () => assert.equal(parseTimestamp(input), null));
  }

  it('parseIso8601 parses a range inside a longer string', () => {
    const s = 'xx 2024-01-02T03:04:05Z yy';
    assert.equal(parseIso8601(s, 3, 23), us('2024-01-02T03:04:05Z'));
    assert.equal(parseIso8601(s, 3, 22), us('2024-01-02T03:04:05Z')); // without the Z: UTC too
    assert.equal(parseIso8601(s, 3, 20), null); // `...03:04:0`
  });
});

describe('parseTimestamp: epoch numbers', () => {
  const sec = 1_700_000_000;
  const cases: Array<[unknown, number | null]> = [
    [sec, sec * 1e6],
    [sec + 0.123456, sec * 1e6 + 123456],
    [sec * 1000 + 123, sec * 1e6 + 123000],
    [sec * 1e6 + 123456, sec * 1e6 + 123456],
    [sec * 1e9, sec * 1e6], // ns (as a float: exact here)
    [0, 0],
    [-1, -1e6],
    [99_999_999_999, 99_999_999_999e6], // just below 1e11: seconds
    [100_000_000_000, 100_000_000_000e3], // 1e11: milliseconds
    [1e20, null],
    [Number.NaN, null],
    [Number.POSITIVE_INFINITY, null],
    [String(sec), sec * 1e6],
    [`${sec}.5`, sec * 1e6 + 500000],
    [`${sec}.123456789`, sec * 1e6 + 123456],
    [`${sec}123`, sec * 1e6 + 123000],
    [`${sec}123.9`, sec * 1e6 + 123900],
    [`${sec}123456`, sec * 1e6 + 123456],
    ['1700000000123456789', 1700000000123456], // ns string: exact, no float rounding
    ['-1.5', -1.5e6],
    ['0', 0],
    ['0.5', 500000],
    ['000001700000000', sec * 1e6], // leading zeros do not change the unit
    [1700000000123456789n, 1700000000123456],
    [1700000000n, sec * 1e6],
    [new Date('2024-01-02T03:04:05.678Z'), us('2024-01-02T03:04:05.678Z')],
    [new Date(Number.NaN), null],
    ['', null],
    ['12a', null],
    ['1.', null],
    ['.5', null],
    ['1e9', null],
    ['123456789012345678901', null], // 21 digits: beyond ns
    [true, null],
    [null, null],
    [undefined, null],
    [{}, null],
  ];
  for (const [input, want] of cases) {
    const label =
      typeof input === 'bigint'
        ? `${input}n`
        : input instanceof Date
          ? `Date(${input.getTime()})`
          : JSON.stringify(input);
    it(`${label} -> ${want}`, () => assert.equal(parseTimestamp(input), want));
  }
});

describe('parseTimestamp: log formats', () => {
  const cases: Array<[string, number | null]> = [
    ['Sun Dec 04 04:47:44 2005', us('2005-12-04T04:47:44Z')],
    ['[Sun Dec 04 04:47:44 2005]', us('2005-12-04T04:47:44Z')],
    ['Sun Dec  4 04:47:44 2005', us('2005-12-04T04:47:44Z')], // ctime space padding
    ['Sun Dec 4 04:47:44 2005', us('2005-12-04T04:47:44Z')],
    ['Wed Oct 11 14:32:52.123456 2017', us('2017-10-11T14:32:52.123Z', 456)], // Apache 2.4
    ['sun dec 04 04:47:44 2005', us('2005-12-04T04:47:44Z')],
    ['10/Oct/2000:13:55:36 -0700', us('2000-10-10T20:55:36Z')],
    ['[10/Oct/2000:13:55:36 -0700]', us('2000-10-10T20:55:36Z')],
    ['10/Oct/2000:13:55:36 +0000', us('2000-10-10T13:55:36Z')],
    ['10/Oct/2000:13:55:36', us('2000-10-10T13:55:36Z')],
    ['Nov 22 21:00:01', us('2023-11-22T21:00:01Z')],
    ['Jun  5 01:02:03', us('2024-06-05T01:02:03Z')],
    ['Jun 5 01:02:03.250', us('2024-06-05T01:02:03.250Z')],
    ['Dec 04 04:47:44 2005', us('2005-12-04T04:47:44Z')],
    ['Sun Feb 30 04:47:44 2005', null],
    ['Sun Dec 04 04:47:44', null],
    ['Foo Dec 04 04:47:44 2005', null],
    ['Sun Dec 04 04:47:44 2005 extra', null],
    ['32/Oct/2000:13:55:36 -0700', null],
    ['10/Foo/2000:13:55:36 -0700', null],
    ['10/Oct/2000:13:55:36 -07', us('2000-10-10T20:55:36Z')], // ±HH zone, as in ISO
    ['Nov 22', null],
    ['Nov 32 21:00:01', null],
    ['hello world', null],
  ];
  for (const [input, want] of cases) {
    it(JSON.stringify(input), () => assert.equal(parseTimestamp(input, NOW), want));
  }
});

describe('parseRfc3164Date: year inference', () => {
  const cases: Array<[string, string, string | null]> = [
    // [timestamp, now, expected ISO]
    ['Nov 22 21:00:01', '2024-06-15T12:00:00Z', '2023-11-22T21:00:01Z'],
    ['Jun 15 11:00:00', '2024-06-15T12:00:00Z', '2024-06-15T11:00:00Z'],
    ['Jun 16 11:00:00', '2024-06-15T12:00:00Z', '2024-06-16T11:00:00Z'], // within 1 day skew
    ['Jun 16 12:00:00', '2024-06-15T12:00:00Z', '2024-06-16T12:00:00Z'], // exactly the skew
    ['Jun 16 12:00:01', '2024-06-15T12:00:00Z', '2023-06-16T12:00:01Z'], // beyond: last year
    ['Dec 31 23:59:59', '2024-01-01T00:00:10Z', '2023-12-31T23:59:59Z'],
    ['Jan  1 00:00:05', '2024-01-01T00:00:10Z', '2024-01-01T00:00:05Z'],
    ['Jan  1 00:00:05', '2023-12-31T23:00:00Z', '2024-01-01T00:00:05Z'], // sender ahead, new year
    ['Feb 29 10:00:00', '2024-03-01T00:00:00Z', '2024-02-29T10:00:00Z'],
    ['Feb 29 10:00:00', '2025-06-01T00:00:00Z', '2024-02-29T10:00:00Z'], // back to a leap year
    ['Feb 29 10:00:00', '2024-02-01T00:00:00Z', '2020-02-29T10:00:00Z'],
    ['Feb 30 10:00:00', '2024-03-01T00:00:00Z', null],
    ['Nov  2 03:04:05', '2024-06-15T12:00:00Z', '2023-11-02T03:04:05Z'],
    ['Nov 02 03:04:05', '2024-06-15T12:00:00Z', '2023-11-02T03:04:05Z'],
    ['Nov 2 03:04:05', '2024-06-15T12:00:00Z', '2023-11-02T03:04:05Z'],
  ];
  for (const [ts, now, want] of cases) {
    it(`${ts} at ${now}`, () => {
      assert.equal(parseRfc3164Date(ts, Date.parse(now)), want === null ? null : us(want));
    });
  }
  it('documents a one-day skew', () => assert.equal(RFC3164_FUTURE_SKEW_MS, 86_400_000));
  it('rejects a non-finite now', () => assert.equal(parseRfc3164Date('Nov 22 21:00:01', Number.NaN), null));
  it('scanRfc3164Date finds where the timestamp ends', () => {
    const s = '<13>Nov  2 03:04:05.123 host app: x';
    assert.equal(scanRfc3164Date(s, 4), 23);
    assert.equal(scanRfc3164Date('Nov 2 03:04:05 x', 0), 14);
    assert.equal(scanRfc3164Date('Nov 2 03:04', 0), -1);
    assert.equal(scanRfc3164Date('Now 2 03:04:05', 0), -1);
  });
});

describe('formatTimestamp', () => {
  const cases: Array<[number, string]> = [
    [0, '1970-01-01T00:00:00.000000Z'],
    [us('2024-01-02T03:04:05.123Z', 456), '2024-01-02T03:04:05.123456Z'],
    [us('2024-01-02T03:04:05Z', 1), '2024-01-02T03:04:05.000001Z'],
    [-1, '1969-12-31T23:59:59.999999Z'],
    [us('9999-12-31T23:59:59Z'), '9999-12-31T23:59:59.000000Z'],
  ];
  for (const [input, want] of cases) {
    it(`${input} -> ${want}`, () => assert.equal(formatTimestamp(input), want));
  }
  it('round-trips through parseTimestamp', () => {
    for (const v of [0, 1, 999_999, 1_700_000_000_123_456, -123_456_789]) {
      assert.equal(parseTimestamp(formatTimestamp(v)), v);
    }
  });
  it('throws on a non-finite value (a caller bug)', () => {
    assert.throws(() => formatTimestamp(Number.NaN), /BUG/);
  });
});

describe('parseTimestamp never throws', () => {
  it('on random strings', () => {
    let seed = 42;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const alphabet = '0123456789-:T Z+.,/[]JanDecSunOct\n';
    for (let n = 0; n < 20_000; n++) {
      let s = '';
      const len = rnd() % 40;
      for (let k = 0; k < len; k++) s += alphabet[rnd() % alphabet.length];
      const v = parseTimestamp(s, NOW);
      assert.ok(v === null || Number.isFinite(v), s);
    }
  });
});

const FIXTURES = new URL('../../test/fixtures/loghub/', import.meta.url);

function loghub(name: string): { lines: string[]; rows: Record<string, string>[] } {
  const lines = readFileSync(new URL(name, FIXTURES), 'utf8').split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const [header, ...body] = readCsv(readFileSync(new URL(`${name}_structured.csv`, FIXTURES), 'utf8'));
  const rows = body.map((r) => Object.fromEntries(header!.map((h, k) => [h, r[k] ?? ''])));
  return { lines, rows };
}

describe('Loghub ground truth', () => {
  it('Apache_2k: every `[ctime]` timestamp and `[level]`', () => {
    const { lines, rows } = loghub('Apache_2k.log');
    assert.equal(lines.length, 2000);
    assert.equal(rows.length, 2000);
    for (let k = 0; k < rows.length; k++) {
      const line = lines[k]!;
      const row = rows[k]!;
      const close = line.indexOf(']');
      const got = parseTimestamp(line.slice(0, close + 1));
      // Expected from the CSV's Time column, decoded independently: `Www Mmm dd HH:MM:SS YYYY`.
      const [, mon, day, clock, year] = row.Time!.split(' ');
      const want = Date.parse(`${day} ${mon} ${year} ${clock} UTC`) * 1000;
      assert.equal(got, want, `line ${row.LineId}: ${line}`);
      const level = line.slice(close + 3, line.indexOf(']', close + 1));
      assert.equal(level, row.Level);
      assert.notEqual(normalizeLevel(level), '', `level ${level}`);
    }
  });

  it('Hadoop_2k: every log4j `YYYY-MM-DD HH:MM:SS,mmm` timestamp', () => {
    const { lines, rows } = loghub('Hadoop_2k.log');
    assert.equal(rows.length, 2000);
    let checked = 0;
    for (let k = 0; k < rows.length; k++) {
      const row = rows[k]!;
      const line = lines[k]!;
      const got = parseTimestamp(line.slice(0, 23));
      const want = Date.parse(`${row.Date}T${row.Time!.replace(',', '.')}Z`) * 1000;
      assert.equal(got, want, `line ${row.LineId}: ${line}`);
      assert.notEqual(normalizeLevel(row.Level), '', `level ${row.Level}`);
      checked++;
    }
    assert.equal(checked, 2000);
  });
});
