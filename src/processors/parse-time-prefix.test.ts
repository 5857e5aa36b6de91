import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newTimePrefix, parseTimePrefix, type TimeLayout } from './parse-time-prefix.ts';

/** Reference "now" for layouts without a year: 2026-01-15T00:00:00Z. */
const NOW = Date.UTC(2026, 0, 15);

/** Epoch µs of an ISO string, with the fraction's digits below milliseconds (Date.parse drops them). */
function us(iso: string): number {
  const ms = Date.parse(iso);
  assert.ok(!Number.isNaN(ms), iso);
  const frac = /\.(\d+)/.exec(iso)?.[1] ?? '';
  return ms * 1000 + Number(frac.slice(3, 6).padEnd(3, '0'));
}

describe('parseTimePrefix', () => {
  // [line, expected time (ISO, UTC) or null, expected end, expected layout]
  const cases: Array<[string, string | null, number?, TimeLayout?]> = [
    // ISO 8601 / log4j / logback / Python
    ['2015-10-18 18:01:47,978 INFO [main] x', '2015-10-18T18:01:47.978Z', 23, 'iso'],
    ['2015-07-29 17:41:44,747 - INFO  [Q]', '2015-07-29T17:41:44.747Z', 23, 'iso'],
    ['2026-11-22T10:00:00Z message', '2026-11-22T10:00:00Z', 20, 'iso'],
    ['2026-11-22T10:00:00.123456789+02:00 x', '2026-11-22T08:00:00.123456Z', 35, 'iso'],
    ['2026-11-22T10:00:00+0200 x', '2026-11-22T08:00:00Z', 24, 'iso'],
    ['2026-11-22 10:00:00 +0530 x', '2026-11-22T04:30:00Z', 25, 'iso'],
    ['2026-11-22 10:00:00 - x', '2026-11-22T10:00:00Z', 19, 'iso'],
    ['2026-11-22 10:00 x', '2026-11-22T10:00:00Z', 16, 'iso'],
    ['2026-11-22T10:00:00Z', '2026-11-22T10:00:00Z', 20, 'iso'],
    ['2026-11-22 started', '2026-11-22T00:00:00Z', 10, 'iso'],
    ['2026-11-22|x', '2026-11-22T00:00:00Z', 10, 'iso'],
    ['2026-02-30 10:00:00 x', null],
    ['2026-11-22 25:00:00 x', null],
    ['2026-11-22T10:00:00Zulu', null],
    ['2026-11-22x', null],
    // Go log
    ['2009/11/10 23:00:00 hello', '2009-11-10T23:00:00Z', 19, 'ymd-slash'],
    ['2009/11/10 23:00:00.123456 hello', '2009-11-10T23:00:00.123456Z', 26, 'ymd-slash'],
    // Spark
    ['17/06/09 20:10:40 INFO executor.X: y', '2017-06-09T20:10:40Z', 17, 'yy-slash'],
    ['99/12/31 23:59:59 x', '1999-12-31T23:59:59Z', 17, 'yy-slash'],
    ['12/31/2024 10:00:00 x', null], // US month/day/year: not guessed
    // HDFS
    ['081109 203615 148 INFO dfs.DataNode: x', '2008-11-09T20:36:15Z', 13, 'yymmdd'],
    ['081109 203615', '2008-11-09T20:36:15Z', 13, 'yymmdd'],
    ['081309 203615 x', null], // month 13
    ['081109 2036150 x', null],
    ['123456 654321 x', null],
    // HealthApp
    ['20171223-22:15:29:606|Step_LSC|30002312|x', '2017-12-23T22:15:29.606Z', 21, 'compact'],
    ['20171223-22:15:35:11|x', '2017-12-23T22:15:35.011Z', 20, 'compact'], // :11 is 11 ms
    ['20171224-0:0:0:215|x', '2017-12-24T00:00:00.215Z', 18, 'compact'],
    ['20171224-1:23:4:5|x', '2017-12-24T01:23:04.005Z', 17, 'compact'],
    ['20171224-10:00:00|x', '2017-12-24T10:00:00Z', 17, 'compact'],
    ['20171224-10:00:00.5 x', '2017-12-24T10:00:00.5Z', 19, 'compact'],
    ['20171224-24:00:00|x', null],
    // Android logcat: no year, the most recent year not in the future of NOW (+1 day of skew)
    ['03-17 16:13:38.811  1702  2395 D WindowManager: x', '2025-03-17T16:13:38.811Z', 18, 'month-day'],
    ['01-15 12:00:00.000  1 2 I x', '2026-01-15T12:00:00Z', 18, 'month-day'],
    ['01-17 12:00:00.000  1 2 I x', '2025-01-17T12:00:00Z', 18, 'month-day'],
    ['02-29 12:00:00.000  1 2 I x', '2024-02-29T12:00:00Z', 18, 'month-day'],
    ['13-01 12:00:00.000  1 2 I x', null],
    ['03-17 16:13 x', null],
    // BSD syslog without PRI, ctime
    ['Jul  1 09:00:55 calvisitor kernel[0]: x', '2025-07-01T09:00:55Z', 15, 'bsd'],
    ['Jan 14 09:00:55 host x', '2026-01-14T09:00:55Z', 15, 'bsd'],
    ['Nov 22 10:00:00 2005 host x', '2005-11-22T10:00:00Z', 20, 'bsd'],
    ['Sun Dec 04 04:47:44 2005 x', '2005-12-04T04:47:44Z', 24, 'ctime'],
    ['Sun Dec 04 04:47:44 x', null], // ctime needs its year
    ['Nov 22 10:00 x', null],
    ['GET /index.html 200', null],
    // bracketed
    ['[Sun Dec 04 04:47:44 2005] [notice] x', '2005-12-04T04:47:44Z', 26, 'bracketed'],
    ['[10/Oct/2000:13:55:36 -0700] x', '2000-10-10T20:55:36Z', 28, 'bracketed'],
    ['[2024-01-02 03:04:05,678] INFO x', '2024-01-02T03:04:05.678Z', 25, 'bracketed'],
    ['[10.30 16:49:06] chrome.exe - x', '2025-10-30T16:49:06Z', 16, 'bracketed'],
    ['[1234] worker started', null], // a number in brackets is not an epoch time
    ['[main] INFO x', null],
    ['[error] x', null],
    ['[', null],
    // not timestamps
    ['', null],
    ['just some text', null],
    ['1445144423 x', null],
    ['200 OK', null],
    [' 2026-11-22T10:00:00Z leading blank', null],
  ];
  const out = newTimePrefix();
  for (const [line, want, end, layout] of cases) {
    it(`${JSON.stringify(line)} -> ${want ?? 'none'}`, () => {
      const ok = parseTimePrefix(line, NOW, out);
      if (want === null) {
        assert.equal(ok, false, `parsed as ${out.layout} ${new Date(out.us / 1000).toISOString()}`);
        return;
      }
      assert.equal(ok, true);
      assert.equal(out.us, us(want));
      assert.equal(out.end, end);
      assert.equal(out.layout, layout);
    });
  }

  it('two-digit years: 20YY unless that is more than a year ahead of now', () => {
    assert.ok(parseTimePrefix('27/01/01 00:00:00 x', NOW, out));
    assert.equal(out.us, us('2027-01-01T00:00:00Z'));
    assert.ok(parseTimePrefix('28/01/01 00:00:00 x', NOW, out));
    assert.equal(out.us, us('1928-01-01T00:00:00Z'));
  });

  it('never throws on arbitrary prefixes of real shapes', () => {
    const shapes = [
      '2015-10-18 18:01:47,978 INFO',
      '[Sun Dec 04 04:47:44 2005] [notice]',
      '17/06/09 20:10:40 INFO',
      '081109 203615 148 INFO',
      '03-17 16:13:38.811  1702',
      '20171223-22:15:29:606|x',
      '[10.30 16:49:06] x',
      'Jul  1 09:00:55 host',
    ];
    for (const s of shapes) {
      for (let n = 0; n <= s.length; n++) {
        const head = s.slice(0, n);
        parseTimePrefix(head, NOW, out);
        parseTimePrefix(head.replace(/\d/g, '9'), NOW, out);
        parseTimePrefix(head.replace(/\d/g, 'x'), NOW, out);
      }
    }
  });
});
