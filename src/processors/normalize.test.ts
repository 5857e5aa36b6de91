import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Level } from '../core/event.ts';
import { eventFromText, normalizeRecord } from './normalize.ts';
import { expectedTimeUs, isoUs, LOGHUB_LEVEL, readCsv } from '../../test/loghub-fixtures.ts';

/** Receive time of every event below: 2026-01-15T00:00:00Z, in µs. */
const RECV_US = Date.UTC(2026, 0, 15) * 1000;

describe('eventFromText', () => {
  // [line, level, time (ISO, UTC) or null for "the receive time"]
  const cases: Array<[string, Level | '', string | null]> = [
    // Apache error log: ctime in brackets, level in brackets (lower case)
    ['[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok', 'notice', '2005-12-04T04:47:44Z'],
    [
      '[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6',
      'error',
      '2005-12-04T04:47:44Z',
    ],
    ['[Thu Jun 09 06:07:04 2005] [warn] x', 'warn', '2005-06-09T06:07:04Z'],
    // log4j / Hadoop
    ['2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.X: Created', 'info', '2015-10-18T18:01:47.978Z'],
    [
      '2015-10-18 18:01:47,978 FATAL [main] org.apache.hadoop.X: boom',
      'critical',
      '2015-10-18T18:01:47.978Z',
    ],
    // Zookeeper
    [
      '2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:X@774] - y',
      'info',
      '2015-07-29T17:41:44.747Z',
    ],
    [
      '2015-07-29 19:04:29,071 - WARN  [SendWorker:188978561024:Q@688] - y',
      'warn',
      '2015-07-29T19:04:29.071Z',
    ],
    // Spark
    [
      '17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered',
      'info',
      '2017-06-09T20:10:40Z',
    ],
    ['17/06/09 20:11:11 ERROR executor.Executor: Exception in task', 'error', '2017-06-09T20:11:11Z'],
    // HDFS
    [
      '081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1',
      'info',
      '2008-11-09T20:36:15Z',
    ],
    ['081109 214043 2561 WARN dfs.DataNode$DataXceiver: 10.251.30.85:50010', 'warn', '2008-11-09T21:40:43Z'],
    // Android logcat threadtime and time formats: the priority letter
    [
      '03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogs',
      'debug',
      '2025-03-17T16:13:38.811Z',
    ],
    ['03-17 16:13:38.811  1702  2395 V WindowManager: x', 'trace', '2025-03-17T16:13:38.811Z'],
    ['03-17 16:13:38.811  1702  2395 I WindowManager: x', 'info', '2025-03-17T16:13:38.811Z'],
    ['03-17 16:13:38.811  1702  2395 W WindowManager: x', 'warn', '2025-03-17T16:13:38.811Z'],
    ['03-17 16:13:38.811  1702  2395 E WindowManager: x', 'error', '2025-03-17T16:13:38.811Z'],
    ['03-17 16:13:38.811  1702  2395 F DEBUG: x', 'critical', '2025-03-17T16:13:38.811Z'],
    ['03-17 16:13:38.811 W/ActivityManager( 1702): x', 'warn', '2025-03-17T16:13:38.811Z'],
    ['03-17 16:13:38.811  1702  2395 X Tag: x', '', '2025-03-17T16:13:38.811Z'],
    ['03-17 16:13:38.811 ERROR something', 'error', '2025-03-17T16:13:38.811Z'],
    // HealthApp: no level
    ['20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579', '', '2017-12-23T22:15:29.606Z'],
    // Proxifier
    [
      '[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy',
      '',
      '2025-10-30T16:49:06Z',
    ],
    // ISO 8601 and friends
    [
      '2026-11-20 10:00:02,123 ERROR [main] com.example.App - plain text with level',
      'error',
      '2026-11-20T10:00:02.123Z',
    ],
    ['2026-11-20T10:00:02Z warning: disk almost full', 'warn', '2026-11-20T10:00:02Z'],
    ['2026-11-20T10:00:02Z Error connecting to db', 'error', '2026-11-20T10:00:02Z'],
    ['2026-11-20T10:00:02Z [main] c.e.App <warn> x', 'warn', '2026-11-20T10:00:02Z'],
    ['2009/11/10 23:00:00 DEBUG hello', 'debug', '2009-11-10T23:00:00Z'],
    ['Jan 14 09:00:55 host app: WARNING low memory', 'warn', '2026-01-14T09:00:55Z'],
    // level without a timestamp
    ['INFO:root:Python logging default format', 'info', null],
    ['ERROR: cannot open file', 'error', null],
    ['error: cannot open file', 'error', null],
    ['[error] something failed', 'error', null],
    ['main INFO started', 'info', null],
    ['a b c d SEVERE x', 'error', null], // fifth word
    ['a b c d e SEVERE x', '', null], // sixth word: too far
    // words that are not levels
    ['just some text', '', null],
    ['Error connecting to db', '', null], // first word in mixed case, no timestamp, no colon
    ['Job info: 3 tasks', '', null], // lower case after the first word
    ['ERRORS were found', '', null],
    ['INFO_LEVEL=3', '', null],
    ['I think therefore I am', '', null],
    ['', '', null],
  ];
  for (const [line, level, time] of cases) {
    it(`${JSON.stringify(line.slice(0, 60))} -> ${level || "''"} ${time ?? 'receive time'}`, () => {
      const ev = eventFromText(line, 's', RECV_US);
      assert.equal(ev.message, line, 'the whole line is the message');
      assert.equal(ev.level, level);
      assert.equal(ev._time, time === null ? RECV_US : isoUs(time));
      assert.equal(ev._ingest_time, RECV_US);
      assert.equal(ev.stream, 's');
    });
  }

  it('normalizeRecord: the text format and auto-detected text go through eventFromText', () => {
    const line = '17/06/09 20:10:40 WARN storage.BlockManager: x';
    for (const fmt of ['text', 'auto'] as const) {
      const ev = normalizeRecord(line, fmt, 's', RECV_US);
      assert.equal(ev.level, 'warn');
      assert.equal(ev._time, isoUs('2017-06-09T20:10:40Z'));
    }
  });

  it('looks only at the head of a long line', () => {
    const ev = eventFromText(`x ${' '.repeat(200)} ERROR late`, 's', RECV_US);
    assert.equal(ev.level, '');
    const long = `2026-11-20T10:00:02Z INFO ${'y'.repeat(1_000_000)}`;
    const ev2 = eventFromText(long, 's', RECV_US);
    assert.equal(ev2.level, 'info');
  });
});

// ---- Loghub ground truth (test/fixtures/loghub) ----

const FIXTURES = new URL('../../test/fixtures/loghub/', import.meta.url);

function loghub(name: string): { lines: string[]; rows: Record<string, string>[] } {
  const lines = readFileSync(new URL(`${name}_2k.log`, FIXTURES), 'utf8').split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const [header, ...body] = readCsv(readFileSync(new URL(`${name}_2k.log_structured.csv`, FIXTURES), 'utf8'));
  return { lines, rows: body.map((r) => Object.fromEntries(header!.map((h, k) => [h, r[k] ?? '']))) };
}

describe('eventFromText on Loghub samples: every line against the ground truth', () => {
  for (const name of ['Apache', 'Hadoop', 'Zookeeper', 'Spark', 'HDFS', 'Android', 'HealthApp']) {
    it(`${name}_2k: _time and level of all 2000 lines`, () => {
      const { lines, rows } = loghub(name);
      assert.equal(lines.length, 2000);
      assert.equal(rows.length, 2000);
      let timeOk = 0;
      let levelOk = 0;
      for (let k = 0; k < rows.length; k++) {
        const row = rows[k]!;
        const line = lines[k]!;
        const ev = eventFromText(line, name, RECV_US);
        assert.equal(ev._time, expectedTimeUs(name, row, RECV_US), `time of line ${row.LineId}: ${line}`);
        timeOk++;
        const want = row.Level === undefined ? '' : LOGHUB_LEVEL[row.Level];
        assert.notEqual(want, undefined, `unmapped CSV level ${row.Level}`);
        assert.equal(ev.level, want, `level of line ${row.LineId}: ${line}`);
        levelOk++;
      }
      assert.equal(timeOk, 2000);
      assert.equal(levelOk, 2000);
    });
  }
});

describe('eventFromSyslog keeps what the header parser reports', () => {
  it('a header it could only partly read is kept with _parse_error saying where', () => {
    const ev = normalizeRecord('<13>1 2026-13-45T99:00:00Z host app - - - msg', 'syslog', 's', RECV_US);
    assert.equal(ev.message, 'msg');
    assert.equal(ev._time, RECV_US);
    assert.match(String(ev.fields._parse_error), /timestamp "2026-13-45T99:00:00Z" at offset 6/);
  });
  it('the macOS (context) part becomes a field', () => {
    const ev = normalizeRecord(
      'Jul  1 09:00:55 calvisitor-10-105-160-95 com.apple.CDScheduler[43] (com.apple.xyz): Thermal pressure state: 1',
      'syslog',
      's',
      RECV_US,
    );
    assert.equal(ev.fields.context, 'com.apple.xyz');
    assert.equal(ev.message, 'Thermal pressure state: 1');
  });
});
