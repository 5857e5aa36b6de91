/**
 * Ground truth: every line of Loghub's Mac_2k.log (macOS syslog, RFC 3164 without PRI) parsed
 * with parseSyslog and compared field by field with Mac_2k.log_structured.csv:
 * host = User, app = Component, pid = PID, context = Address, time = Month/Date/Time, message =
 * Content.
 *
 * Exceptions, asserted exactly: in 22 rows the message starts with extra blanks after the TAG's
 * `: ` separator (`secd[276]:  SOSAccount...`). Loghub's Content is trimmed; parseSyslog keeps
 * them (only the one separator space belongs to the header), so for those rows message ===
 * Content after trimStart, and message !== Content.
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { parseSyslog } from './parse-syslog.ts';
import { readCsv } from '../../../test/loghub-fixtures.ts';

it('readCsv handles RFC 4180 quoting', () => {
  assert.deepEqual(readCsv('a,"b,c","d ""e"""\r\n"x\ny",,z\n'), [
    ['a', 'b,c', 'd "e"'],
    ['x\ny', '', 'z'],
  ]);
});

const DIR = new URL('../../../test/fixtures/loghub/', import.meta.url);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// The sample spans Jul 1..8; any "now" after that and within a year gives those dates this year.
const NOW = Date.parse('2017-12-31T00:00:00Z');

it('Mac_2k.log matches the Loghub ground truth on every row', (t) => {
  // Lines keep their CR (the file is CRLF): the parser must ignore a trailing CR itself.
  const lines = readFileSync(new URL('Mac_2k.log', DIR), 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const [header, ...body] = readCsv(readFileSync(new URL('Mac_2k.log_structured.csv', DIR), 'utf8'));
  const col = (name: string) => header!.indexOf(name);
  assert.equal(lines.length, 2000);
  assert.equal(body.length, 2000);

  const fields = ['host', 'app', 'pid', 'context', 'time', 'message'] as const;
  const mismatches: Record<(typeof fields)[number], number[]> = {
    host: [],
    app: [],
    pid: [],
    context: [],
    time: [],
    message: [],
  };
  let exact = 0;
  for (let k = 0; k < body.length; k++) {
    const r = body[k]!;
    const lineId = Number(r[col('LineId')]);
    const m = parseSyslog(lines[k]!, NOW);
    assert.ok(m !== null, `line ${lineId} not parsed: ${lines[k]}`);
    assert.equal(m.format, 'rfc3164');
    assert.equal(m.error, undefined);
    assert.equal(m.facility, undefined); // no PRI
    const [hh, mi, ss] = r[col('Time')]!.split(':').map(Number) as [number, number, number];
    const want = {
      host: r[col('User')],
      app: r[col('Component')],
      pid: r[col('PID')],
      context: r[col('Address')] || undefined,
      time: Date.UTC(2017, MONTHS.indexOf(r[col('Month')]!), Number(r[col('Date')]), hh, mi, ss) * 1000,
      message: r[col('Content')],
    };
    let ok = true;
    for (const f of fields) {
      if (m[f] !== want[f]) {
        mismatches[f].push(lineId);
        ok = false;
      }
    }
    if (ok) exact++;
    // The one documented exception: leading blanks of MSG that Loghub trimmed.
    if (m.message !== want.message) {
      assert.match(m.message, /^\s+\S/, `line ${lineId}`);
      assert.equal(m.message.trimStart(), want.message, `line ${lineId}`);
    }
  }

  t.diagnostic(`exact match on all fields: ${exact}/2000 (${((exact / 2000) * 100).toFixed(2)}%)`);
  t.diagnostic(`message differs only by leading blanks Loghub trimmed: ${mismatches.message.length} rows`);
  assert.deepEqual(
    {
      host: mismatches.host,
      app: mismatches.app,
      pid: mismatches.pid,
      context: mismatches.context,
      time: mismatches.time,
    },
    { host: [], app: [], pid: [], context: [], time: [] },
  );
  assert.deepEqual(
    mismatches.message,
    [
      84, 93, 142, 176, 190, 268, 275, 356, 528, 635, 756, 914, 990, 1000, 1136, 1566, 1788, 1867, 1870, 1979,
      1986, 1994,
    ],
  );
  assert.equal(exact, 2000 - 22);
});
