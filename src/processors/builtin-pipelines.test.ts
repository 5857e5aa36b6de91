import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { autoParse, BUILTIN_FORMATS, builtinPipeline } from './builtin-pipelines.ts';
import { normalizeRecord } from './normalize.ts';
import type { StepTrace } from './pipeline.ts';

const NOW_US = Date.UTC(2026, 0, 15) * 1000;

function parse(line: string) {
  const ev = normalizeRecord(line, 'auto', 's', NOW_US);
  const before = JSON.stringify(ev);
  autoParse(ev);
  return { ev, before };
}

describe('built-in pipelines', () => {
  const cases: Array<{
    line: string;
    format: string;
    fields: Record<string, unknown>;
    time?: string;
    level?: string;
  }> = [
    {
      line: '93.184.216.34 - alice [10/Oct/2025:13:55:36 -0700] "GET /cart?id=7 HTTP/1.1" 404 2326 "https://shop.example/" "Mozilla/5.0 (X11)" "10.0.0.9"',
      format: 'access',
      fields: {
        'client.ip': '93.184.216.34',
        'user.name': 'alice',
        'http.method': 'GET',
        'url.original': '/cart?id=7',
        'http.status': 404,
        'http.bytes': 2326,
        'http.referrer': 'https://shop.example/',
        'user_agent.original': 'Mozilla/5.0 (X11)',
      },
      time: '2025-10-10T20:55:36.000Z',
    },
    {
      line: '127.0.0.1 - - [02/Jan/2026:03:04:05 +0000] "POST /login HTTP/1.0" 200 -',
      format: 'access',
      fields: { 'client.ip': '127.0.0.1', 'http.method': 'POST', 'http.status': 200 },
      time: '2026-01-02T03:04:05.000Z',
    },
    {
      line: '[Sun Dec 04 04:47:44 2005] [error] [client 10.1.2.3] File does not exist: /var/www/favicon.ico',
      format: 'apache_error',
      fields: { 'client.ip': '10.1.2.3' },
      level: 'error',
      time: '2005-12-04T04:47:44.000Z',
    },
    {
      line: '2026/01/02 10:00:00 [warn] 1234#0: *55 upstream timed out, client: 10.0.0.1',
      format: 'nginx_error',
      fields: { pid: 1234, tid: 0, 'nginx.connection_id': 55 },
      level: 'warn',
    },
    {
      line: '2026-01-02 10:00:00.123  INFO 4242 --- [           main] com.example.DemoApplication              : Started DemoApplication in 2.5 seconds',
      format: 'spring_boot',
      fields: { pid: 4242, thread: 'main', logger: 'com.example.DemoApplication' },
      level: 'info',
      time: '2026-01-02T10:00:00.123Z',
    },
    {
      line: '2026-01-02 10:00:00,250 [http-nio-8080-exec-1] ERROR com.example.PaymentService - card declined for order 1234',
      format: 'java',
      fields: { thread: 'http-nio-8080-exec-1', logger: 'com.example.PaymentService' },
      level: 'error',
      time: '2026-01-02T10:00:00.250Z',
    },
    {
      line: '<38>Jan 15 10:00:00 bastion sshd[4321]: Failed password for invalid user admin from 173.234.31.186 port 52814 ssh2',
      format: 'sshd',
      fields: {
        'user.name': 'admin',
        'source.ip': '173.234.31.186',
        'source.port': 52814,
        'ssh.method': 'password',
      },
    },
    {
      line: '<22>Jan 15 10:00:01 mx postfix/smtp[99]: 4F9D195432: to=<bob@example.org>, relay=mx.example.org[93.184.216.34]:25, delay=0.5, delays=0.1/0/0.2/0.2, dsn=2.0.0, status=sent (250 OK)',
      format: 'postfix',
      fields: {
        'postfix.queue_id': '4F9D195432',
        'postfix.to': 'bob@example.org',
        'postfix.status': 'sent',
        'postfix.delay': 0.5,
      },
    },
  ];

  for (const c of cases) {
    it(`recognises ${c.format}: ${c.line.slice(0, 50)}`, () => {
      const raw = normalizeRecord(c.line, 'auto', 's', NOW_US).message;
      const { ev } = parse(c.line);
      assert.equal(ev.fields['log.format'], c.format);
      for (const [k, v] of Object.entries(c.fields)) assert.deepEqual(ev.fields[k], v, k);
      assert.equal(ev.message, raw, 'the message keeps its text');
      assert.equal(ev.fields.timestamp, undefined, 'the timestamp became _time');
      if (c.time) assert.equal(new Date(ev._time / 1000).toISOString(), c.time);
      if (c.level) assert.equal(ev.level, c.level);
    });
  }

  it('leaves everything else exactly as it was, untagged', () => {
    for (const line of [
      'just some text',
      '{"message":"json event","level":"info"}',
      '<34>1 2026-01-15T10:00:00Z host app 1 - - not a known app',
      '1.2.3.4 - - [not a date] "GET',
      '<38>Jan 15 10:00:00 bastion sshd[4321]: Server listening on 0.0.0.0 port 22.',
    ]) {
      const { ev, before } = parse(line);
      assert.equal(JSON.stringify(ev), before, line);
    }
  });

  it('every format compiles, and the pipeline traces one auto-parse step', () => {
    assert.ok(BUILTIN_FORMATS.length >= 8);
    const ev = normalizeRecord(cases[0].line, 'auto', 's', NOW_US);
    const trace: StepTrace[] = [];
    assert.equal(builtinPipeline().run(ev, trace), true);
    assert.equal(trace.length, 1);
    assert.equal(trace[0].processor, 'auto-parse');
    assert.equal(trace[0].added?.['http.status'], 404);
  });
});

describe('built-in pipelines and an explicit time', () => {
  it("keeps the sender's time; the line's time only fills in a missing one", () => {
    const line =
      '183.33.62.88 - - [21/Nov/2026:00:00:00 +0000] "POST /api/v1/auth/login HTTP/1.1" 403 722 "-" "okhttp/4.12.0"';
    const json = JSON.stringify({ '@timestamp': '2026-11-21T00:00:00.010Z', message: line });
    const withTime = normalizeRecord(json, 'json', 's', NOW_US);
    builtinPipeline().run(withTime);
    assert.equal(withTime.fields['log.format'], 'access');
    assert.equal(
      new Date(withTime._time / 1000).toISOString(),
      '2026-11-21T00:00:00.010Z',
      'milliseconds kept',
    );
    assert.equal(withTime.fields.timestamp, undefined);
    const bare = normalizeRecord(JSON.stringify({ message: line }), 'json', 's', NOW_US);
    builtinPipeline().run(bare);
    assert.equal(new Date(bare._time / 1000).toISOString(), '2026-11-21T00:00:00.000Z', "the line's time");
  });
});

describe("built-in pipelines and the sender's own fields", () => {
  const line =
    '183.33.62.88 - - [21/Nov/2026:00:00:00 +0000] "POST /api/v1/auth/login HTTP/1.1" 403 722 "-" "okhttp/4.12.0"';
  const run = (record: Record<string, unknown>, always = false) => {
    const ev = normalizeRecord(JSON.stringify({ message: line, ...record }), 'json', 's', NOW_US);
    const before = JSON.stringify(ev.fields);
    builtinPipeline(always).run(ev);
    return { ev, before };
  };

  it('does not parse again a line whose fields the sender already extracted', () => {
    for (const extracted of [
      { client_ip: '183.33.62.88' },
      { path: '/api/v1/auth/login', status: 403 },
      { http: { user_agent: 'okhttp/4.12.0' } },
    ]) {
      const { ev, before } = run({ request_id: 'r-1', ...extracted });
      assert.equal(JSON.stringify(ev.fields), before, JSON.stringify(extracted));
    }
  });

  it('parses when the other fields are metadata not taken from the line, or with always', () => {
    const meta = run({ job: 'web', filename: '/var/log/nginx/access.log', pod: 'web-7f9c', status: 403 });
    assert.equal(meta.ev.fields['log.format'], 'access');
    assert.equal(meta.ev.fields['http.status'], 403);
    // Values shorter than 4 characters prove nothing: too likely to occur by chance.
    const short = run({ code: '403', proto: '1.1' });
    assert.equal(short.ev.fields['log.format'], 'access');
    const always = run({ client_ip: '183.33.62.88' }, true);
    assert.equal(always.ev.fields['log.format'], 'access');
    assert.equal(always.ev.fields['client.ip'], '183.33.62.88');
  });
});
