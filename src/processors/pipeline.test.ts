// biome-ignore-all lint/suspicious/noThenProperty: pipeline definitions use the documented if/then/else shape
/**
 * The pipeline compiler: errors name the processor path and key (and the file), traces record
 * what each step did, stateful processors (sample, dedupe) and file-backed ones (lookup reload,
 * geoip without a database) behave as documented.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { eventOf } from '../../test/events.ts';
import { LwError } from '../core/errors.ts';
import { compilePipeline, type StepTrace } from './pipeline.ts';
import { fnv1a } from './sample.ts';

const BAD: Array<[string, unknown, string]> = [
  ['no processors key', {}, 'processors: Invalid input: expected array, received undefined'],
  ['unknown top-level key', { processors: [], x: 1 }, ': unknown option "x"'],
  [
    'entry with two names',
    { processors: [{ set: {}, rename: {} }] },
    'processors[0]: expected exactly one processor name',
  ],
  [
    'unknown processor',
    { processors: [{ gork: {} }] },
    'processors[0]: unknown processor "gork"; known: json',
  ],
  ['missing option', { processors: [{ rename: {} }] }, 'processors[0].rename.fields: '],
  [
    'unknown option',
    { processors: [{ set: { field: 'a', value: 1, vlaue: 2 } }] },
    'processors[0].set: unknown option "vlaue"',
  ],
  [
    'bad grok reference deep in a list',
    { processors: [{ set: { field: 'a', value: 1 } }, { grok: { patterns: ['%{INT:a}', '%{NOPE:b}'] } }] },
    'processors[1].grok.patterns[1]: unknown grok pattern %{NOPE}',
  ],
  [
    'nested if path',
    { processors: [{ if: { condition: 'a:1', then: [{ drop: { condition: 'a:(' } }] } }] },
    'processors[0].if.then[0].drop.condition: cannot parse query',
  ],
  [
    'bad regex',
    { processors: [{ regex: { pattern: '(?<a>[' } }] },
    'processors[0].regex.pattern: Invalid regular expression',
  ],
  [
    'bad cidr',
    { processors: [{ cidr: { field: 'a', networks: { x: ['10.0.0.0/33'] } } }] },
    'processors[0].cidr.networks.x[0]: "10.0.0.0/33" is not a CIDR block',
  ],
  [
    'bad zone',
    { processors: [{ date: { formats: ['ISO8601'], timezone: 'Mars/Base' } }] },
    'processors[0].date.timezone: unknown time zone',
  ],
  [
    'bad date letter',
    { processors: [{ date: { formats: ['yyyy-QQ'] } }] },
    'processors[0].date.formats[0]: unsupported letter "Q"',
  ],
  [
    'mask with nothing left',
    { processors: [{ mask: { detectors: ['ip'], except: ['ip'] } }] },
    'processors[0].mask.detectors: no detector left',
  ],
  [
    'bad detector name',
    { processors: [{ mask: { detectors: ['ssn'] } }] },
    'processors[0].mask.detectors[0]: ',
  ],
  [
    'route without stream',
    { processors: [{ route: { condition: 'a' } }] },
    'processors[0].route.rules: give either rules or stream',
  ],
  [
    'hash key too short',
    { processors: [{ hash: { fields: ['a'], key: 'short' } }] },
    'processors[0].hash.key: the key must have at least 16',
  ],
  [
    'remove stream',
    { processors: [{ remove: { fields: ['stream'] } }] },
    'processors[0].remove.fields: field "stream" cannot be removed',
  ],
];

for (const [name, def, want] of BAD) {
  test(`compile error: ${name}`, () => {
    assert.throws(
      () => compilePipeline(def, { source: 'pipelines/web.yaml' }),
      (err: unknown) => {
        assert.ok(err instanceof LwError);
        assert.equal(err.code, 'LW_ERR_PIPELINE');
        assert.equal(err.status, 400);
        assert.ok(err.message.startsWith('invalid pipeline in pipelines/web.yaml: '), err.message);
        assert.ok(err.message.includes(want), `${err.message}\n  should include: ${want}`);
        assert.equal(err.details?.source, 'pipelines/web.yaml');
        assert.equal(typeof err.details?.path, 'string');
        return true;
      },
    );
  });
}

test('YAML-style null options are the empty options ({"mask": null} = {"mask": {}})', () => {
  const p = compilePipeline({ processors: [{ mask: null }] });
  const ev = eventOf('mail x@y.org');
  p.run(ev);
  assert.equal(ev.message, 'mail [email]');
});

test('the trace records added, changed, removed, branch, routed, error and dropped', () => {
  const p = compilePipeline({
    processors: [
      { kv: {} },
      { rename: { fields: { u: 'user' } } },
      { convert: { fields: { n: 'int' } } },
      { if: { condition: 'user:kim', then: [{ route: { stream: 'people' } }] } },
      { drop: { condition: 'user:kim' } },
      { set: { field: 'never', value: 1 } },
    ],
  });
  const ev = eventOf('u=kim n=x');
  const trace: StepTrace[] = [];
  assert.equal(p.run(ev, trace), false);
  assert.deepEqual(
    trace.map((t) => t.path),
    [
      'processors[0].kv',
      'processors[1].rename',
      'processors[2].convert',
      'processors[3].if',
      'processors[3].if.then[0].route',
      'processors[4].drop',
    ],
  );
  assert.deepEqual(trace[0]!.added, { u: 'kim', n: 'x' });
  assert.deepEqual(trace[1]!.added, { user: 'kim' });
  assert.deepEqual(trace[1]!.removed, ['u']);
  assert.equal(trace[2]!.error, 'convert: cannot convert n="x" to int');
  assert.equal(trace[3]!.branch, 'then');
  assert.equal(trace[4]!.routed, 'people');
  assert.deepEqual(trace[4]!.changed, { stream: { from: 'default', to: 'people' } });
  assert.equal(trace[5]!.dropped, true);
  // without a trace, the same result
  const ev2 = eventOf('u=kim n=x');
  assert.equal(p.run(ev2), false);
});

test('processors[] runs with stage.ts semantics and names each processor', () => {
  const p = compilePipeline({
    processors: [{ grok: { patterns: ['%{INT:n:int}'] } }, { set: { field: 'a', value: 1 } }],
  });
  assert.deepEqual(
    p.processors.map((x) => x.name),
    ['grok', 'set'],
  );
});

test('sample: keyed sampling keeps whole keys, the same on every compile; unkeyed keeps every n-th', () => {
  const def = { processors: [{ sample: { rate: 4, key: 'trace' } }] };
  const a = compilePipeline(def);
  const b = compilePipeline(def);
  let kept = 0;
  for (let i = 0; i < 4000; i++) {
    const t = `t${i % 400}`;
    const ka = a.run(eventOf('', { trace: t }));
    assert.equal(ka, b.run(eventOf('', { trace: t })));
    assert.equal(ka, fnv1a(t) % 4 === 0);
    if (ka) kept++;
  }
  assert.ok(kept > 600 && kept < 1400, `kept ${kept} of 4000 at 1/4`);
  const u = compilePipeline({ processors: [{ sample: { rate: 3 } }] });
  const pattern = Array.from({ length: 9 }, () => u.run(eventOf('')));
  assert.deepEqual(pattern, [false, false, true, false, false, true, false, false, true]);
});

test('dedupe: same key within the window is dropped, after the window kept, other keys kept', () => {
  const p = compilePipeline({ processors: [{ dedupe: { fields: ['message', 'host'], window: '10s' } }] });
  const at = (s: number, msg: string, host = 'h') => p.run(eventOf(msg, {}, { _time: s * 1e6, host }));
  assert.equal(at(0, 'a'), true);
  assert.equal(at(5, 'a'), false);
  assert.equal(at(5, 'a', 'other'), true);
  assert.equal(at(9.9, 'a'), false);
  assert.equal(at(10, 'a'), true);
  assert.equal(at(11, 'b'), true);
});

test('lookup: CSV and JSON tables, reloaded after the file changes, a broken reload keeps the old table', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-lookup-'));
  fs.writeFileSync(path.join(dir, 'users.csv'), 'id,name,team\n7,"Kim, J",pay\n8,Lee,\n');
  fs.writeFileSync(path.join(dir, 'hosts.json'), JSON.stringify({ web1: { dc: 'seoul', rack: 4 } }));
  const p = compilePipeline(
    {
      processors: [
        { lookup: { file: 'users.csv', field: 'uid', key: 'id', target: 'user' } },
        { lookup: { file: 'hosts.json', field: 'host', target: 'hostinfo' } },
      ],
    },
    { baseDir: dir },
  );
  const ev = eventOf('', { uid: 7 }, { host: 'web1' });
  p.run(ev);
  assert.deepEqual(
    [ev.fields['user.name'], ev.fields['user.team'], ev.fields['hostinfo.dc'], ev.fields['hostinfo.rack']],
    ['Kim, J', 'pay', 'seoul', 4],
  );
  const miss = eventOf('', { uid: 9 });
  p.run(miss);
  assert.equal(miss.fields['user.name'], undefined);
  assert.equal(miss.fields._pipeline_error, undefined);

  fs.writeFileSync(path.join(dir, 'users.csv'), 'id,name,team\n7,Kim,infra\n');
  fs.utimesSync(path.join(dir, 'users.csv'), new Date(), new Date(Date.now() + 5000));
  await new Promise((r) => setTimeout(r, 1100));
  const ev2 = eventOf('', { uid: '7' });
  p.run(ev2);
  assert.equal(ev2.fields['user.team'], 'infra');

  fs.writeFileSync(path.join(dir, 'users.csv'), 'id,name\n7,"unclosed\n');
  fs.utimesSync(path.join(dir, 'users.csv'), new Date(), new Date(Date.now() + 10_000));
  await new Promise((r) => setTimeout(r, 1100));
  const ev3 = eventOf('', { uid: '7' });
  p.run(ev3);
  assert.match(
    String(ev3.fields._pipeline_error),
    /^lookup: cannot reload users.csv \(keeping the previous table\): line 2: unclosed quote/,
  );
  const ev4 = eventOf('', { uid: '7' });
  p.run(ev4);
  assert.equal(ev4.fields['user.team'], 'infra');

  assert.throws(
    () =>
      compilePipeline(
        { processors: [{ lookup: { file: 'nope.csv', field: 'a', target: 'b' } }] },
        { baseDir: dir },
      ),
    /processors\[0\]\.lookup\.file: cannot load .*nope\.csv/,
  );
  fs.rmSync(dir, { recursive: true });
});

test('geoip without a database says where to get one', () => {
  assert.throws(
    () =>
      compilePipeline({ processors: [{ geoip: { field: 'ip', file: '/nonexistent/GeoLite2-City.mmdb' } }] }),
    /processors\[0\]\.geoip\.file: no GeoIP database at \/nonexistent\/GeoLite2-City\.mmdb; logwarden ships none/,
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-geo-'));
  fs.writeFileSync(path.join(dir, 'bad.mmdb'), 'not a database');
  assert.throws(
    () => compilePipeline({ processors: [{ geoip: { field: 'ip', file: 'bad.mmdb' } }] }, { baseDir: dir }),
    /processors\[0\]\.geoip\.file: cannot read the GeoIP database/,
  );
  fs.rmSync(dir, { recursive: true });
});

test('an error in a pipeline file names the file and the line of the key', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-pipeline-lines-'));
  const file = path.join(dir, 'web.yaml');
  fs.writeFileSync(
    file,
    [
      'processors:', // 1
      '  - grok:', // 2
      '      field: message', // 3
      '      patterns: ["%{IP:client}"]', // 4
      '  - date:', // 5
      '      field: ts', // 6
      '      formats: ["yyyy-MM-dd"]', // 7
      '      timezone: Mars/Olympus', // 8
      '',
    ].join('\n'),
  );
  const def = {
    processors: [
      { grok: { field: 'message', patterns: ['%{IP:client}'] } },
      { date: { field: 'ts', formats: ['yyyy-MM-dd'], timezone: 'Mars/Olympus' } },
    ],
  };
  assert.throws(
    () => compilePipeline(def, { source: file }),
    (e: unknown) =>
      e instanceof LwError &&
      e.code === 'LW_ERR_PIPELINE' &&
      e.message.includes(`${file}:8`) &&
      /processors\[1\]\.date\.timezone/.test(e.message),
  );
  // Not a file (a stream's inline pipeline): no line, and no failure looking for one.
  assert.throws(
    () => compilePipeline(def, { source: 'stream payments' }),
    (e: unknown) => e instanceof LwError && e.message.includes('in stream payments: processors[1]'),
  );
  fs.rmSync(dir, { recursive: true, force: true });
});
