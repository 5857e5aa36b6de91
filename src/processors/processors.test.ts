// biome-ignore-all lint/suspicious/noThenProperty: pipeline definitions use the documented if/then/else shape
/**
 * Every processor, table-driven: a pipeline definition, an input event and what the output must
 * be (fields present with values, fields absent, message/level/stream/_time, dropped, or the
 * `_pipeline_error` text). Expected values are written by hand from the formats' definitions.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventOf, TEST_TIME_US } from '../../test/events.ts';
import type { FieldValue, LogEvent } from '../core/event.ts';
import { compilePipeline } from './pipeline.ts';

interface Case {
  name: string;
  processors: unknown[];
  message?: string;
  fields?: Record<string, FieldValue>;
  extra?: Partial<LogEvent>;
  want?: Record<string, FieldValue>;
  absent?: string[];
  event?: Partial<Omit<LogEvent, 'fields'>>;
  dropped?: boolean;
  error?: RegExp;
}

const iso = (s: string) => Date.parse(s) * 1000;

const CASES: Case[] = [
  // parse
  {
    name: 'json at the root fills columns and flattens',
    processors: [{ json: {} }],
    message: '{"level":"WARNING","msg":"x","http":{"status":503},"tags":["a","b"]}',
    want: { msg: 'x', 'http.status': 503, tags: '["a","b"]' },
    event: { level: 'warn' },
  },
  {
    name: 'json under a target',
    processors: [{ json: { field: 'body', target: 'payload', remove_field: true } }],
    fields: { body: '{"a":1,"b":{"c":true}}' },
    want: { 'payload.a': 1, 'payload.b.c': true },
    absent: ['body'],
  },
  { name: 'json error', processors: [{ json: {} }], message: '{"a":', error: /^json: message is not JSON/ },
  { name: 'json array is not an object', processors: [{ json: {} }], message: '[1]', error: /not an object/ },
  {
    name: 'logfmt with quotes and msg',
    processors: [{ logfmt: {} }],
    message: 'level=error msg="disk \\"sda\\" full" took=12ms bare',
    want: { took: '12ms' },
    event: { level: 'error', message: 'disk "sda" full' },
  },
  {
    name: 'logfmt without pairs',
    processors: [{ logfmt: {} }],
    message: 'just text',
    error: /no key=value pair/,
  },
  {
    name: 'kv with custom separators and filters',
    processors: [{ kv: { field: 'q', field_split: '&', value_split: ':', target: 'p', exclude: ['skip'] } }],
    fields: { q: 'a:1&b:two words&skip:x&&c:' },
    want: { 'p.a': '1', 'p.b': 'two words', 'p.c': '' },
    absent: ['p.skip'],
  },
  {
    name: 'csv with columns and quotes',
    processors: [{ csv: { columns: ['user', 'action', 'note'] } }],
    message: 'kim,login,"said ""hi"", left"',
    want: { user: 'kim', action: 'login', note: 'said "hi", left' },
  },
  {
    name: 'csv with a header and extra values',
    processors: [{ csv: { header: 'a;b', separator: ';', target: 'c' } }],
    message: '1;2;3',
    want: { 'c.a': '1', 'c.b': '2', 'c.column3': '3' },
  },
  {
    name: 'csv strict count',
    processors: [{ csv: { columns: ['a', 'b'], strict: true } }],
    message: '1',
    error: /expected 2 columns, got 1/,
  },
  {
    name: 'regex named groups with dotted names',
    processors: [{ regex: { pattern: 'user=(?<user__name>\\w+) status=(?<http__status>\\d+)' } }],
    message: 'x user=lee status=404',
    want: { 'user.name': 'lee', 'http.status': '404' },
  },
  {
    name: 'regex no match',
    processors: [{ regex: { pattern: '^(?<a>\\d+)$' } }],
    message: 'abc',
    error: /does not match/,
  },
  {
    name: 'grok combined access log with types',
    processors: [{ grok: { patterns: ['%{COMBINEDAPACHELOG}'] } }],
    message:
      '203.0.113.9 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif?x=1 HTTP/1.0" 200 2326 "http://ex.com/" "Mozilla/5.0"',
    want: {
      'client.ip': '203.0.113.9',
      'user.name': 'frank',
      timestamp: '10/Oct/2000:13:55:36 -0700',
      'http.method': 'GET',
      'url.original': '/a.gif?x=1',
      'http.version': '1.0',
      'http.status': 200,
      'http.bytes': 2326,
      'http.referrer': 'http://ex.com/',
      'user_agent.original': 'Mozilla/5.0',
    },
  },
  {
    name: 'grok nginx error log',
    processors: [{ grok: { patterns: ['%{NGINX_ERRORLOG}'] } }],
    message:
      '2024/01/02 03:04:05 [error] 1234#0: *99 open() "/x" failed (2: No such file or directory), client: 1.2.3.4',
    want: { timestamp: '2024/01/02 03:04:05', pid: 1234, tid: 0, 'nginx.connection_id': 99 },
    event: { level: 'error', message: 'open() "/x" failed (2: No such file or directory), client: 1.2.3.4' },
  },
  {
    name: 'grok sshd failed password',
    processors: [{ grok: { patterns: ['%{SSHD}'] } }],
    message:
      'Mar  3 10:00:01 bastion sshd[4121]: Failed password for invalid user admin from 198.51.100.7 port 52211 ssh2',
    want: {
      'process.name': 'sshd',
      'process.pid': 4121,
      'ssh.method': 'password',
      'user.name': 'admin',
      'source.ip': '198.51.100.7',
      'source.port': 52211,
    },
    event: { host: 'bastion' },
  },
  {
    name: 'grok postfix delivery',
    processors: [{ grok: { patterns: ['%{POSTFIX}'] } }],
    message:
      'Jan  5 09:12:01 mx1 postfix/smtp[2201]: 4BF3D3D6C1: to=<bob@example.org>, relay=mx.example.org[192.0.2.5]:25, delay=0.52, delays=0.1/0/0.2/0.2, dsn=2.0.0, status=sent (250 OK)',
    want: {
      'process.name': 'postfix/smtp',
      'postfix.queue_id': '4BF3D3D6C1',
      'postfix.to': 'bob@example.org',
      'postfix.delay': 0.52,
      'postfix.status': 'sent',
      'postfix.status_message': '(250 OK)',
    },
  },
  {
    name: 'grok haproxy http',
    processors: [{ grok: { patterns: ['%{HAPROXYHTTP}'] } }],
    message:
      'Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1"',
    want: {
      'client.ip': '10.0.1.2',
      'client.port': 33317,
      'haproxy.frontend': 'http-in',
      'haproxy.backend': 'static',
      'haproxy.server': 'srv1',
      'haproxy.tt': 109,
      'http.status': 200,
      'http.bytes': 2750,
      'haproxy.request_headers': '1wt.eu',
      'url.original': '/index.html',
    },
  },
  {
    name: 'grok spring boot 3 with application name',
    processors: [{ grok: { patterns: ['%{SPRING_BOOT}'] } }],
    message:
      '2024-01-02T03:04:05.678+01:00  INFO 12345 --- [demo] [           main] c.e.d.DemoApplication                    : Started DemoApplication in 1.2 seconds',
    want: { pid: 12345, 'spring.application': 'demo', thread: 'main', logger: 'c.e.d.DemoApplication' },
    event: { level: 'info', message: 'Started DemoApplication in 1.2 seconds' },
  },
  {
    name: 'grok logback and custom definitions, first matching pattern wins',
    processors: [
      {
        grok: {
          patterns: ['%{ORDER}', '%{LOGBACK}'],
          pattern_definitions: { ORDER: 'order %{INT:order:int}' },
        },
      },
    ],
    message: '12:00:01.123 [http-nio-1] ERROR c.e.Pay - payment failed',
    want: { timestamp: '12:00:01.123', thread: 'http-nio-1', logger: 'c.e.Pay' },
    absent: ['order'],
    event: { level: 'error', message: 'payment failed' },
  },
  {
    name: 'grok no match',
    processors: [{ grok: { patterns: ['%{INT:n}'] } }],
    message: 'abc',
    error: /^grok: message matches no pattern$/,
  },
  {
    name: 'syslog RFC 5424',
    processors: [{ syslog: { field: 'raw' } }],
    fields: { raw: '<34>1 2024-03-01T10:00:00Z web1 nginx 77 REQ [ex@1 a="b"] hello' },
    want: { 'syslog.facility': 'auth', 'syslog.pid': '77', 'syslog.msgid': 'REQ', 'sd.ex@1.a': 'b' },
    event: {
      host: 'web1',
      service: 'nginx',
      level: 'critical',
      message: 'hello',
      _time: iso('2024-03-01T10:00:00Z'),
    },
  },
  { name: 'syslog not syslog', processors: [{ syslog: {} }], message: '', error: /is not a syslog line/ },
  {
    name: 'url with params',
    processors: [{ url: { field: 'u' } }],
    fields: { u: 'https://Bob@Example.com:8443/a/b?q=hello+world&x=%2F&x=2#frag' },
    want: {
      'url.scheme': 'https',
      'url.user': 'Bob',
      'url.domain': 'example.com',
      'url.port': 8443,
      'url.path': '/a/b',
      'url.query': 'q=hello+world&x=%2F&x=2',
      'url.params.q': 'hello world',
      'url.params.x': '/',
      'url.fragment': 'frag',
    },
  },
  {
    name: 'url request target',
    processors: [{ url: { field: 'u', target: 'req', query_params: false } }],
    fields: { u: '/api/v1/users?id=7' },
    want: { 'req.path': '/api/v1/users', 'req.query': 'id=7' },
    absent: ['req.params.id', 'req.domain'],
  },
  {
    name: 'user agent: Chrome on Windows',
    processors: [{ user_agent: { field: 'ua', target: 'ua_info' } }],
    fields: {
      ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Safari/537.36',
    },
    want: {
      'ua_info.name': 'Chrome',
      'ua_info.version': '120.0.6099.71',
      'ua_info.os.name': 'Windows',
      'ua_info.os.version': '10',
      'ua_info.device': 'desktop',
    },
  },
  {
    name: 'user agent: Safari on iPhone, Edge is not Chrome, bots',
    processors: [
      { user_agent: { field: 'a', target: 'a' } },
      { user_agent: { field: 'b', target: 'b' } },
      { user_agent: { field: 'c', target: 'c' } },
    ],
    fields: {
      a: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
      b: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.61',
      c: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
    },
    want: {
      'a.name': 'Safari',
      'a.os.name': 'iOS',
      'a.os.version': '17.1',
      'a.device': 'mobile',
      'b.name': 'Edge',
      'b.version': '120.0.2210.61',
      'c.name': 'Googlebot',
      'c.device': 'bot',
    },
  },
  // time
  {
    name: 'date with zone, comma millis',
    processors: [{ date: { formats: ['yyyy-MM-dd HH:mm:ss,SSS'], timezone: 'Asia/Seoul' } }],
    fields: { timestamp: '2024-03-01 09:00:00,250' },
    event: { _time: iso('2024-03-01T00:00:00.250Z') },
  },
  {
    name: 'date across a DST change (New York, summer)',
    processors: [{ date: { formats: ['yyyy-MM-dd HH:mm:ss'], timezone: 'America/New_York' } }],
    fields: { timestamp: '2024-07-01 12:00:00' },
    event: { _time: iso('2024-07-01T16:00:00Z') },
  },
  {
    name: 'date: month names in a locale, AM/PM, day names, literal text',
    processors: [{ date: { formats: ["EEE, d MMMM yyyy 'at' h:mm a"], locale: 'fr' } }],
    fields: { timestamp: 'ven., 1 mars 2024 at 3:05 PM' },
    event: { _time: iso('2024-03-01T15:05:00Z') },
  },
  {
    name: 'date: syslog layout without a year takes the latest year not in the future',
    processors: [{ date: { formats: ['MMM d HH:mm:ss'] } }],
    fields: { timestamp: 'Dec  31 23:59:59' },
    event: { _time: iso('2023-12-31T23:59:59Z') },
  },
  {
    name: 'date: first matching format, offset, to another field',
    processors: [{ date: { formats: ['UNIX_MS', 'yyyy-MM-dd HH:mm:ssXXX'], field: 't', target: 'when' } }],
    fields: { t: '2024-01-01 10:00:00+09:00' },
    want: { when: '2024-01-01T01:00:00.000Z' },
    event: { _time: TEST_TIME_US },
  },
  {
    name: 'date: epoch seconds',
    processors: [{ date: { formats: ['UNIX'], field: 't' } }],
    fields: { t: '1700000000.5' },
    event: { _time: 1700000000500000 },
  },
  {
    name: 'date no format',
    processors: [{ date: { formats: ['yyyy'] } }],
    fields: { timestamp: 'soon' },
    error: /matches none of the date formats/,
  },
  // shape
  {
    name: 'rename into a column and a field',
    processors: [{ rename: { fields: { lvl: 'level', src: 'client.ip' } } }],
    fields: { lvl: 'ERR', src: '1.2.3.4' },
    want: { 'client.ip': '1.2.3.4' },
    absent: ['lvl', 'src'],
    event: { level: 'error' },
  },
  {
    name: 'rename to a bad level',
    processors: [{ rename: { fields: { x: 'level' } } }],
    fields: { x: 'blue' },
    error: /is not a log level/,
  },
  {
    name: 'remove exact and prefixed fields',
    processors: [{ remove: { fields: ['a', 'debug.*', 'host'] } }],
    fields: { a: 1, 'debug.x': 1, 'debug.y.z': 2, debugger: 3 },
    extra: { host: 'h' },
    want: { debugger: 3 },
    absent: ['a', 'debug.x', 'debug.y.z'],
    event: { host: '' },
  },
  {
    name: 'set with a template, override false keeps',
    processors: [
      { set: { field: 'key', value: '{{service}}/{{http.status}}' } },
      { set: { field: 'env', value: 'prod', override: false } },
      { set: { field: 'n', value: 3 } },
    ],
    fields: { 'http.status': 500, env: 'dev' },
    extra: { service: 'pay' },
    want: { key: 'pay/500', env: 'dev', n: 3 },
  },
  {
    name: 'copy',
    processors: [{ copy: { fields: { message: 'original' } } }],
    message: 'm',
    want: { original: 'm' },
    event: { message: 'm' },
  },
  {
    name: 'convert every type',
    processors: [
      {
        convert: {
          fields: { i: 'int', f: 'float', b: 'bool', s: 'string', ip: 'ip', d: 'duration', d2: 'duration' },
        },
      },
    ],
    fields: { i: '42.9', f: '1e3', b: 'Yes', s: 7, ip: '2001:DB8:0:0:0:0:0:1', d: '1h30m', d2: 250 },
    want: { i: 42, f: 1000, b: true, s: '7', ip: '2001:db8::1', d: 5_400_000, d2: 250 },
  },
  {
    name: 'convert failure keeps the value and names it',
    processors: [{ convert: { fields: { n: 'int', ok: 'int' } } }],
    fields: { n: 'abc', ok: '5' },
    want: { n: 'abc', ok: 5 },
    error: /^convert: cannot convert n="abc" to int$/,
  },
  {
    name: 'lowercase, trim, truncate',
    processors: [
      { trim: { fields: ['u', 'message'] } },
      { lowercase: { fields: 'u' } },
      { truncate: { fields: ['long', 'emoji'], max_length: 5, suffix: '…' } },
    ],
    message: '  hi  ',
    fields: { u: '  KIM ', long: 'abcdefgh', emoji: 'abc😀def' },
    want: { u: 'kim', long: 'abcd…', emoji: 'abc…' },
    event: { message: 'hi' },
  },
  {
    name: 'split indexed and into named fields',
    processors: [
      { split: { field: 'tags', separator: ',', trim: true, skip_empty: true } },
      { split: { field: 'pair', separator: '=', into: ['k', 'v'] } },
    ],
    fields: { tags: 'a, b,,c', pair: 'x=y=z' },
    want: { 'tags.0': 'a', 'tags.1': 'b', 'tags.2': 'c', k: 'x', v: 'y', pair: 'x=y=z' },
    absent: ['tags', 'tags.3'],
  },
  // privacy
  {
    name: 'mask with every detector',
    processors: [{ mask: {} }],
    message:
      'kim@example.co.kr paid 4111-1111-1111-1111 rrn 900101-1234567 tel 010-1234-5678 from 192.168.1.20 passport M12345678 acct no: 110-123-456789 iban DE89 3704 0044 0532 0130 00',
    event: {
      message:
        '[email] paid [card] rrn [krrn] tel [phone] from [ip] passport [passport] acct no: [account] iban [account]',
    },
  },
  {
    name: 'mask leaves look-alikes: Luhn-failing digits, versions, times, bad dates',
    processors: [{ mask: {} }],
    message: 'order 4111111111111112 v1.2.3 at 12:30:45 id 991399-1234567 took 250ms',
    event: { message: 'order 4111111111111112 v1.2.3 at 12:30:45 id 991399-1234567 took 250ms' },
  },
  {
    name: 'mask: except ip, keep_last, custom regex, named fields only',
    processors: [
      {
        mask: {
          except: ['ip'],
          keep_last: 4,
          custom: [{ name: 'employee', pattern: 'EMP-\\d{6}' }],
          fields: ['message'],
          replacement: '<{type}>',
        },
      },
    ],
    message: 'EMP-123456 from 10.0.0.1 card 5500 0000 0000 0004',
    fields: { other: 'a@b.io' },
    want: { other: 'a@b.io' },
    event: { message: '<employee>3456 from 10.0.0.1 card <card>0004' },
  },
  {
    name: 'hash whole fields and detected data',
    processors: [
      { hash: { fields: ['user'], key: 'k'.repeat(16), length: 8 } },
      { hash: { detectors: ['email'], key: 'k'.repeat(16), fields: ['message'] } },
    ],
    message: 'mail a@b.io',
    fields: { user: 'kim' },
    // HMAC-SHA-256 with key "kkkkkkkkkkkkkkkk", computed with `openssl dgst -sha256 -hmac`
    want: { user: 'c95dd696' },
    event: { message: 'mail email:dc46b05687bdf6ac' },
  },
  // control
  {
    name: 'drop by condition',
    processors: [{ drop: { condition: 'level:debug' } }],
    extra: { level: 'debug' },
    dropped: true,
  },
  {
    name: 'drop keeps others',
    processors: [{ drop: { condition: 'level:debug' } }],
    extra: { level: 'info' },
    event: { level: 'info' },
  },
  {
    name: 'route: first matching rule, template stream',
    processors: [
      {
        route: {
          rules: [
            { condition: 'service:auth', stream: 'security' },
            { condition: 'http.status:>=500', stream: '{{service}}-errors' },
          ],
          default: 'app',
        },
      },
    ],
    fields: { 'http.status': 503 },
    extra: { service: 'pay' },
    event: { stream: 'pay-errors' },
  },
  {
    name: 'route default',
    processors: [{ route: { rules: [{ condition: 'x:1', stream: 's' }], default: 'app' } }],
    event: { stream: 'app' },
  },
  {
    name: 'route one-rule form, no match keeps stream',
    processors: [{ route: { stream: 's', condition: 'nope' } }],
    event: { stream: 'default' },
  },
  {
    name: 'if/else with query conditions',
    processors: [
      {
        if: {
          condition: '"payment failed" AND NOT level:debug',
          then: [{ set: { field: 'alert', value: true } }, { drop: {} }],
          else: [{ set: { field: 'alert', value: false } }],
        },
      },
    ],
    message: 'the payment failed twice',
    dropped: true,
  },
  {
    name: 'if else branch, nested error tags and continues',
    processors: [
      {
        if: {
          condition: 'status:>=500',
          then: [{ set: { field: 'x', value: 1 } }],
          else: [{ convert: { fields: { status: 'int' } } }, { set: { field: 'y', value: 2 } }],
        },
      },
    ],
    fields: { status: 'n/a' },
    want: { y: 2 },
    absent: ['x'],
    error: /^convert: cannot convert status="n\/a" to int$/,
  },
  {
    name: 'sample keyed keeps events without the key',
    processors: [{ sample: { rate: 1000, key: 'trace' } }],
    event: { stream: 'default' },
  },
  // enrich
  {
    name: 'cidr IPv4 and IPv6',
    processors: [
      {
        cidr: {
          field: 'a',
          target: 'na',
          networks: { internal: ['10.0.0.0/8', 'fd00::/8'], vpn: ['100.64.0.0/10'] },
          default: 'external',
        },
      },
      {
        cidr: {
          field: 'b',
          target: 'nb',
          networks: { internal: ['10.0.0.0/8', 'fd00::/8'] },
          default: 'external',
        },
      },
      { cidr: { field: 'c', target: 'nc', networks: { vpn: ['100.64.0.0/10'] }, default: 'external' } },
    ],
    fields: { a: '100.127.255.255', b: 'fd12:3456::1', c: '100.128.0.0' },
    want: { na: 'vpn', nb: 'internal', nc: 'external' },
  },
  {
    name: 'cidr not an address',
    processors: [{ cidr: { field: 'a', networks: { x: ['10.0.0.0/8'] } } }],
    fields: { a: 'web-1' },
    error: /is not an IP address/,
  },
];

for (const c of CASES) {
  test(`processor: ${c.name}`, () => {
    const p = compilePipeline({ processors: c.processors });
    const ev = eventOf(c.message ?? '', c.fields ?? {}, c.extra ?? {});
    const kept = p.run(ev);
    assert.equal(kept, !c.dropped, 'kept');
    if (c.dropped) return;
    for (const [k, v] of Object.entries(c.want ?? {})) assert.deepEqual(ev.fields[k], v, `field ${k}`);
    for (const k of c.absent ?? []) assert.equal(ev.fields[k], undefined, `field ${k} should be absent`);
    for (const [k, v] of Object.entries(c.event ?? {}))
      assert.deepEqual(ev[k as keyof LogEvent], v, `event.${k}`);
    if (c.error) assert.match(String(ev.fields._pipeline_error), c.error);
    else assert.equal(ev.fields._pipeline_error, undefined, `unexpected error ${ev.fields._pipeline_error}`);
  });
}
