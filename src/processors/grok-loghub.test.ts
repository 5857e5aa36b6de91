/**
 * The grok library against the ground truth of every Loghub sample (test/fixtures/loghub): each
 * line is parsed with the sample's library pattern and every header field and the content must
 * equal the `_structured.csv` columns of that line. Prints the match rate per file.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { eventOf } from '../../test/events.ts';
import { LOGHUB_DIR, readCsv } from '../../test/loghub-fixtures.ts';
import type { FieldValue } from '../core/event.ts';
import { compilePipeline } from './pipeline.ts';

type Row = Record<string, string>;
type Fields = Record<string, FieldValue>;

/** Per sample: the library pattern, and the CSV row and grok fields reduced to comparable pairs. */
const SAMPLES: Record<
  string,
  { pattern: string; expect: (r: Row) => string[]; got: (f: Fields) => unknown[] }
> = {
  Android: {
    pattern: 'ANDROID_LOGCAT',
    expect: (r) => [`${r.Date} ${r.Time}`, r.Pid!, r.Tid!, r.Level!, r.Component!, r.Content!],
    got: (f) => [f.timestamp, f.pid, f.tid, f.level, f.logger, f.message],
  },
  Apache: {
    pattern: 'HTTPD_ERRORLOG',
    expect: (r) => [r.Time!, r.Level!, r.Content!],
    // the ground truth keeps `[client IP]` in the content; the library extracts it
    got: (f) => [
      f.timestamp,
      f.level,
      f['client.ip'] ? `[client ${f['client.ip']}] ${f.message}` : f.message,
    ],
  },
  HDFS: {
    pattern: 'HDFS',
    expect: (r) => [`${r.Date} ${r.Time}`, r.Pid!, r.Level!, r.Component!, r.Content!],
    got: (f) => [f.timestamp, f.pid, f.level, f.logger, f.message],
  },
  Hadoop: {
    pattern: 'HADOOP',
    expect: (r) => [`${r.Date} ${r.Time}`, r.Level!, r.Process!, r.Component!, r.Content!],
    got: (f) => [f.timestamp, f.level, f.thread, f.logger, f.message],
  },
  HealthApp: {
    pattern: 'HEALTHAPP',
    expect: (r) => [r.Time!, r.Component!, r.Pid!, r.Content!],
    got: (f) => [f.timestamp, f.logger, f.pid, f.message],
  },
  Mac: {
    pattern: 'MACOS_SYSLOG',
    expect: (r) => [`${r.Month} ${r.Date} ${r.Time}`, r.User!, r.Component!, r.PID!, r.Address!, r.Content!],
    got: (f) => [
      String(f.timestamp).replace(/ +/g, ' '),
      f.host,
      f['process.name'],
      f['process.pid'],
      f['syslog.context'] ?? '',
      f.message,
    ],
  },
  Proxifier: {
    pattern: 'PROXIFIER',
    expect: (r) => [r.Time!, r.Program!, r.Content!],
    got: (f) => [f.timestamp, f['process.name'], f.message],
  },
  Spark: {
    pattern: 'SPARK',
    expect: (r) => [`${r.Date} ${r.Time}`, r.Level!, r.Component!, r.Content!],
    got: (f) => [f.timestamp, f.level, f.logger, f.message],
  },
  Zookeeper: {
    pattern: 'ZOOKEEPER',
    expect: (r) => [`${r.Date} ${r.Time}`, r.Level!, `${r.Node}:${r.Component}`, r.Id!, r.Content!],
    got: (f) => [f.timestamp, f.level, `${f.thread}:${f.logger}`, f.line, f.message],
  },
};

test('the grok library parses every Loghub sample as its ground truth does', async (t) => {
  const files = fs.readdirSync(LOGHUB_DIR).filter((f) => f.endsWith('_2k.log'));
  assert.deepEqual(files.map((f) => f.replace('_2k.log', '')).sort(), Object.keys(SAMPLES).sort());
  for (const file of files) {
    const name = file.replace('_2k.log', '');
    const s = SAMPLES[name]!;
    await t.test(name, () => {
      const lines = fs.readFileSync(new URL(file, LOGHUB_DIR), 'utf8').split(/\r?\n/);
      const [header, ...rows] = readCsv(
        fs.readFileSync(new URL(`${file}_structured.csv`, LOGHUB_DIR), 'utf8'),
      );
      const p = compilePipeline({ processors: [{ grok: { patterns: [`%{${s.pattern}}`], target: 'g' } }] });
      let ok = 0;
      const misses: string[] = [];
      for (const row of rows) {
        const r: Row = Object.fromEntries(header!.map((h, i) => [h, row[i] ?? '']));
        const line = lines[Number(r.LineId) - 1]!;
        const ev = eventOf(line);
        p.run(ev);
        const f: Fields = {};
        for (const [k, v] of Object.entries(ev.fields)) if (k.startsWith('g.')) f[k.slice(2)] = v;
        // Loghub's Content column has no trailing white space; the lines sometimes do.
        if (typeof f.message === 'string') f.message = f.message.trimEnd();
        const got = s.got(f).map((v) => (v === undefined ? undefined : String(v)));
        const want = s.expect(r);
        if (JSON.stringify(got) === JSON.stringify(want)) ok++;
        else if (misses.length < 3)
          misses.push(`line ${r.LineId}: got ${JSON.stringify(got)} want ${JSON.stringify(want)}`);
      }
      const rate = ok / rows.length;
      t.diagnostic(
        `${name}: ${ok}/${rows.length} lines match the ground truth (${(rate * 100).toFixed(2)}%)`,
      );
      console.log(`grok ${name}: ${ok}/${rows.length} = ${(rate * 100).toFixed(2)}%`);
      assert.ok(rows.length >= 2000, `${name}: ${rows.length} rows`);
      assert.ok(rate >= 0.99, `${name}: ${(rate * 100).toFixed(2)}%\n${misses.join('\n')}`);
    });
  }
});
