import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRfc3164 } from './parse-rfc3164.ts';
import { parseRfc5424 } from './parse-rfc5424.ts';
import { parseSyslog } from './parse-syslog.ts';
import { emptyMessage, FACILITY_NAMES, type SyslogMessage, scanPri } from './syslog-message.ts';

const NOW = Date.parse('2024-06-15T12:00:00Z');
const us = (iso: string, extraUs = 0): number => Date.parse(iso) * 1000 + extraUs;
const BOM = '\uFEFF';

type Case = [line: string, want: Partial<SyslogMessage> | null];

/** Compares the whole object: fields not named in want must be absent. */
function check(got: SyslogMessage | null, want: Partial<SyslogMessage> | null): void {
  if (want === null) {
    assert.equal(got, null);
    return;
  }
  assert.ok(got !== null, 'expected a syslog message, got null');
  assert.deepEqual(got, { ...emptyMessage(want.format ?? got.format), ...want });
  assert.deepEqual(Object.keys(got), Object.keys(emptyMessage('rfc5424')), 'stable key order');
}

describe('RFC 5424 (section 6.5 examples and more)', () => {
  const cases: Case[] = [
    [
      `<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ${BOM}'su root' failed for lonvick on /dev/pts/8`,
      {
        format: 'rfc5424',
        time: us('2003-10-11T22:14:15.003Z'),
        host: 'mymachine.example.com',
        app: 'su',
        msgid: 'ID47',
        facility: 'auth',
        severity: 2,
        level: 'critical',
        message: "'su root' failed for lonvick on /dev/pts/8",
      },
    ],
    [
      "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
      {
        format: 'rfc5424',
        time: us('2003-08-24T12:14:15Z', 3),
        host: '192.0.2.1',
        app: 'myproc',
        pid: '8710',
        facility: 'local4',
        severity: 5,
        level: 'notice',
        message: "%% It's time to make the do-nuts.",
      },
    ],
    [
      `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] ${BOM}An application event log entry...`,
      {
        format: 'rfc5424',
        time: us('2003-10-11T22:14:15.003Z'),
        host: 'mymachine.example.com',
        app: 'evntslog',
        msgid: 'ID47',
        facility: 'local4',
        severity: 5,
        level: 'notice',
        structuredData: {
          'sd.exampleSDID@32473.iut': '3',
          'sd.exampleSDID@32473.eventSource': 'Application',
          'sd.exampleSDID@32473.eventID': '1011',
        },
        message: 'An application event log entry...',
      },
    ],
    [
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
      {
        format: 'rfc5424',
        time: us('2003-10-11T22:14:15.003Z'),
        host: 'mymachine.example.com',
        app: 'evntslog',
        msgid: 'ID47',
        facility: 'local4',
        severity: 5,
        level: 'notice',
        structuredData: {
          'sd.exampleSDID@32473.iut': '3',
          'sd.exampleSDID@32473.eventSource': 'Application',
          'sd.exampleSDID@32473.eventID': '1011',
          'sd.examplePriority@32473.class': 'high',
        },
        message: '',
      },
    ],
    // escapes: \" \\ \] unescaped, a backslash before anything else kept (6.3.3)
    [
      String.raw`<14>1 - - - - - [x@1 a="say \"hi\"" b="C:\\dir" c="[1\]" d="\n" e="" f="ü ☃"] m`,
      {
        format: 'rfc5424',
        facility: 'user',
        severity: 6,
        level: 'info',
        structuredData: {
          'sd.x@1.a': 'say "hi"',
          'sd.x@1.b': String.raw`C:\dir`,
          'sd.x@1.c': '[1]',
          'sd.x@1.d': String.raw`\n`,
          'sd.x@1.e': '',
          'sd.x@1.f': 'ü ☃',
        },
        message: 'm',
      },
    ],
    // a repeated param joins with ','; an element without params adds no key
    [
      '<14>1 - - - - - [origin ip="10.0.0.1" ip="10.0.0.2"][meta] m',
      {
        format: 'rfc5424',
        facility: 'user',
        severity: 6,
        level: 'info',
        structuredData: { 'sd.origin.ip': '10.0.0.1,10.0.0.2' },
        message: 'm',
      },
    ],
    // util-linux logger --rfc5424 shape
    [
      '<13>1 2024-06-15T14:00:00.123456+02:00 box alice 4242 - [timeQuality tzKnown="1" isSynced="1" syncAccuracy="500000"] hello world\n',
      {
        format: 'rfc5424',
        time: us('2024-06-15T12:00:00.123Z', 456),
        host: 'box',
        app: 'alice',
        pid: '4242',
        facility: 'user',
        severity: 5,
        level: 'notice',
        structuredData: {
          'sd.timeQuality.tzKnown': '1',
          'sd.timeQuality.isSynced': '1',
          'sd.timeQuality.syncAccuracy': '500000',
        },
        message: 'hello world',
      },
    ],
    ['<14>1 - - - - - -', { format: 'rfc5424', facility: 'user', severity: 6, level: 'info', message: '' }],
    [
      '<0>1 - - - - - - ',
      { format: 'rfc5424', facility: 'kern', severity: 0, level: 'emergency', message: '' },
    ],
    [
      '<191>1 - h - - - - two  spaces kept ',
      {
        format: 'rfc5424',
        host: 'h',
        facility: 'local7',
        severity: 7,
        level: 'debug',
        message: 'two  spaces kept ',
      },
    ],
    // partial parses: the line is kept, error says what and where
    [
      '<14>1 2024-13-02T03:04:05Z h a p m - msg',
      {
        format: 'rfc5424',
        host: 'h',
        app: 'a',
        pid: 'p',
        msgid: 'm',
        facility: 'user',
        severity: 6,
        level: 'info',
        message: 'msg',
        error: 'cannot parse timestamp "2024-13-02T03:04:05Z" at offset 6',
      },
    ],
    [
      '<14>1 2024-01-02T03:04:05Z h a p m [id x="1" msg',
      {
        format: 'rfc5424',
        time: us('2024-01-02T03:04:05Z'),
        host: 'h',
        app: 'a',
        pid: 'p',
        msgid: 'm',
        facility: 'user',
        severity: 6,
        level: 'info',
        message: '[id x="1" msg',
        error: 'cannot parse structured data at offset 48',
      },
    ],
    [
      '<14>1 2024-01-02T03:04:05Z h a p m no-sd here',
      {
        format: 'rfc5424',
        time: us('2024-01-02T03:04:05Z'),
        host: 'h',
        app: 'a',
        pid: 'p',
        msgid: 'm',
        facility: 'user',
        severity: 6,
        level: 'info',
        message: 'no-sd here',
        error: "cannot parse structured data at offset 35: expected '[' or '-'",
      },
    ],
    [
      '<14>1 2024-01-02T03:04:05Z h a p m -x',
      {
        format: 'rfc5424',
        time: us('2024-01-02T03:04:05Z'),
        host: 'h',
        app: 'a',
        pid: 'p',
        msgid: 'm',
        facility: 'user',
        severity: 6,
        level: 'info',
        message: 'x',
        error: 'cannot parse structured data at offset 36: expected a space before MSG',
      },
    ],
    [
      '<14>1 2024-01-02T03:04:05Z host',
      {
        format: 'rfc5424',
        time: us('2024-01-02T03:04:05Z'),
        host: 'host',
        facility: 'user',
        severity: 6,
        level: 'info',
        error: 'cannot parse RFC 5424 header: truncated at offset 32',
      },
    ],
    // not RFC 5424
    ['<14>Nov 22 21:00:01 host app: x', null],
    ['<14>01 - - - - - -', null],
    ['<192>1 - - - - - -', null],
    ['<14>1- - - - - -', null],
    ['hello', null],
    ['', null],
  ];
  for (const [line, want] of cases) {
    it(JSON.stringify(line.slice(0, 90)), () => check(parseRfc5424(line), want));
  }
});

describe('RFC 3164 (section 5.4 examples and real-world variants)', () => {
  const cases: Case[] = [
    [
      "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
      {
        format: 'rfc3164',
        time: us('2023-10-11T22:14:15Z'),
        host: 'mymachine',
        app: 'su',
        facility: 'auth',
        severity: 2,
        level: 'critical',
        message: "'su root' failed for lonvick on /dev/pts/8",
      },
    ],
    [
      '<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!',
      {
        format: 'rfc3164',
        time: us('2024-02-05T17:32:18Z'),
        host: '10.0.0.99',
        facility: 'user',
        severity: 5,
        level: 'notice',
        message: 'Use the BFG!',
      },
    ],
    // RFC 3164 5.4 example 3: "CST" is taken as the HOSTNAME, the rest is CONTENT
    [
      "<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to make the do-nuts.  %%",
      {
        format: 'rfc3164',
        time: us('2023-08-24T05:34:00Z'),
        host: 'CST',
        facility: 'local4',
        severity: 5,
        level: 'notice',
        message: "1987 mymachine myproc[10]: %% It's time to make the do-nuts.  %%",
      },
    ],
    // RFC 3164 5.4 example 4: no valid TIMESTAMP, so everything after PRI is MSG
    [
      "<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!",
      {
        format: 'rfc3164',
        facility: 'kern',
        severity: 0,
        level: 'emergency',
        message: "1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!",
      },
    ],
    // /var/log/syslog, no PRI
    [
      'Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186',
      {
        format: 'rfc3164',
        time: us('2023-12-10T06:55:46Z'),
        host: 'LabSZ',
        app: 'sshd',
        pid: '24200',
        message: 'Invalid user webmaster from 173.234.31.186',
      },
    ],
    [
      'Nov 22 21:00:01 host CRON[1234]: (root) CMD (command -v debian-sa1 > /dev/null)',
      {
        format: 'rfc3164',
        time: us('2023-11-22T21:00:01Z'),
        host: 'host',
        app: 'CRON',
        pid: '1234',
        message: '(root) CMD (command -v debian-sa1 > /dev/null)',
      },
    ],
    [
      '<4>Jun  1 00:00:01 host kernel: [12345.678901] usb 1-1: new high-speed USB device',
      {
        format: 'rfc3164',
        time: us('2024-06-01T00:00:01Z'),
        host: 'host',
        app: 'kernel',
        facility: 'kern',
        severity: 4,
        level: 'warn',
        message: '[12345.678901] usb 1-1: new high-speed USB device',
      },
    ],
    [
      '<22>Jun  1 00:00:01 mx1 postfix/smtpd[123]: connect from unknown[1.2.3.4]',
      {
        format: 'rfc3164',
        time: us('2024-06-01T00:00:01Z'),
        host: 'mx1',
        app: 'postfix/smtpd',
        pid: '123',
        facility: 'mail',
        severity: 6,
        level: 'info',
        message: 'connect from unknown[1.2.3.4]',
      },
    ],
    // hostname missing (local logger through /dev/log)
    [
      '<13>Jun  1 00:00:01 root: hello',
      {
        format: 'rfc3164',
        time: us('2024-06-01T00:00:01Z'),
        app: 'root',
        facility: 'user',
        severity: 5,
        level: 'notice',
        message: 'hello',
      },
    ],
    [
      '<30>Jun  1 00:00:01 systemd[1]: Started Session 5.',
      {
        format: 'rfc3164',
        time: us('2024-06-01T00:00:01Z'),
        app: 'systemd',
        pid: '1',
        facility: 'daemon',
        severity: 6,
        level: 'info',
        message: 'Started Session 5.',
      },
    ],
    // no TAG
    [
      'Jun  1 00:00:01 host last message repeated 3 times',
      {
        format: 'rfc3164',
        time: us('2024-06-01T00:00:01Z'),
        host: 'host',
        message: 'last message repeated 3 times',
      },
    ],
    // the only word after the timestamp is the message
    ['Jun  1 00:00:01 hello', { format: 'rfc3164', time: us('2024-06-01T00:00:01Z'), message: 'hello' }],
    ['Jun  1 00:00:01', { format: 'rfc3164', time: us('2024-06-01T00:00:01Z'), message: '' }],
    // rsyslog high precision (RSYSLOG_ForwardFormat / RSYSLOG_FileFormat)
    [
      '<30>2024-01-02T03:04:05.123456+01:00 web-1 nginx[812]: GET / 200',
      {
        format: 'rfc3164',
        time: us('2024-01-02T02:04:05.123Z', 456),
        host: 'web-1',
        app: 'nginx',
        pid: '812',
        facility: 'daemon',
        severity: 6,
        level: 'info',
        message: 'GET / 200',
      },
    ],
    [
      '2024-01-02T03:04:05.123456+00:00 web-1 kernel: oops',
      {
        format: 'rfc3164',
        time: us('2024-01-02T03:04:05.123Z', 456),
        host: 'web-1',
        app: 'kernel',
        message: 'oops',
      },
    ],
    // fractional BSD timestamp, trailing newline, CRLF, empty message, app:msg without space
    [
      '<13>Jun  1 00:00:01.250 h app: x\r\n',
      {
        format: 'rfc3164',
        time: us('2024-06-01T00:00:01.250Z'),
        host: 'h',
        app: 'app',
        facility: 'user',
        severity: 5,
        level: 'notice',
        message: 'x',
      },
    ],
    [
      '<13>Jun  1 00:00:01 h app:',
      {
        format: 'rfc3164',
        time: us('2024-06-01T00:00:01Z'),
        host: 'h',
        app: 'app',
        facility: 'user',
        severity: 5,
        level: 'notice',
      },
    ],
    [
      '<13>Jun  1 00:00:01 h app[7]:   indented',
      {
        format: 'rfc3164',
        time: us('2024-06-01T00:00:01Z'),
        host: 'h',
        app: 'app',
        pid: '7',
        facility: 'user',
        severity: 5,
        level: 'notice',
        message: '  indented',
      },
    ],
    [
      '<13>Jun  1 00:00:01 h http://x/ is down',
      {
        format: 'rfc3164',
        time: us('2024-06-01T00:00:01Z'),
        host: 'h',
        facility: 'user',
        severity: 5,
        level: 'notice',
        message: 'http://x/ is down',
      },
    ],
    // IPv6 host, double spaces between header fields
    [
      'Jun  1 00:00:01  2001:db8::1  app[9]: v6',
      {
        format: 'rfc3164',
        time: us('2024-06-01T00:00:01Z'),
        host: '2001:db8::1',
        app: 'app',
        pid: '9',
        message: 'v6',
      },
    ],
    // macOS: `app[pid] (context):` and multi-word program names
    [
      'Jul  1 09:29:02 calvisitor-10-105-160-95 sandboxd[129] ([31211]): com.apple.Addres(31211) deny',
      {
        format: 'rfc3164',
        time: us('2023-07-01T09:29:02Z'),
        host: 'calvisitor-10-105-160-95',
        app: 'sandboxd',
        pid: '129',
        context: '[31211]',
        message: 'com.apple.Addres(31211) deny',
      },
    ],
    [
      'Jul  4 23:22:09 calvisitor-10-105-162-105 Microsoft Word[14463]: Cocoa scripting error',
      {
        format: 'rfc3164',
        time: us('2023-07-04T23:22:09Z'),
        host: 'calvisitor-10-105-162-105',
        app: 'Microsoft Word',
        pid: '14463',
        message: 'Cocoa scripting error',
      },
    ],
    // a multi-word "tag" with a non-numeric pid is not a tag
    [
      'Jul  4 23:22:09 h some text[abc]: more',
      { format: 'rfc3164', time: us('2023-07-04T23:22:09Z'), host: 'h', message: 'some text[abc]: more' },
    ],
    // an impossible date keeps the line, with an error
    [
      '<13>Feb 30 00:00:01 h app: x',
      {
        format: 'rfc3164',
        host: 'h',
        app: 'app',
        facility: 'user',
        severity: 5,
        level: 'notice',
        message: 'x',
        error: 'cannot parse timestamp "Feb 30 00:00:01" at offset 4',
      },
    ],
    // PRI without timestamp: MSG, TAG still found
    [
      '<13>app[5]: no timestamp',
      {
        format: 'rfc3164',
        app: 'app',
        pid: '5',
        facility: 'user',
        severity: 5,
        level: 'notice',
        message: 'no timestamp',
      },
    ],
    ['<13>', { format: 'rfc3164', facility: 'user', severity: 5, level: 'notice', message: '' }],
    // not syslog
    ['hello world', null],
    ['{"msg":"json"}', null],
    ['2024-01-02T03:04:05Z INFO main: started', null], // application log: "INFO" is no host
    ['2024-01-02T03:04:05Z host just text', null], // ISO without PRI needs a TAG
    ['2024-01-02 03:04:05 host app: x', null],
    ['Jun  1 00:00:01: %SYS-5-CONFIG_I: Configured', null],
    ['Jun 1 0:00:01 h a: x', null],
    ['<999>Jun  1 00:00:01 h a: x', null],
    ['', null],
  ];
  for (const [line, want] of cases) {
    it(JSON.stringify(line.slice(0, 90)), () => check(parseRfc3164(line, NOW), want));
  }
});

describe('parseSyslog', () => {
  it('tries RFC 5424 first, then RFC 3164', () => {
    assert.equal(parseSyslog('<14>1 - h a - - - m', NOW)?.format, 'rfc5424');
    assert.equal(parseSyslog('<14>Jun  1 00:00:01 h a: m', NOW)?.format, 'rfc3164');
    assert.equal(parseSyslog('<14>m', NOW)?.format, 'rfc3164');
    // VERSION must be 1: anything else is RFC 3164 content
    assert.equal(parseSyslog('<13>10 apples', NOW)?.message, '10 apples');
    assert.equal(parseSyslog('<13>2 - - - - - -', NOW)?.format, 'rfc3164');
    assert.equal(parseSyslog('plain text', NOW), null);
  });
  it('defaults nowMs to the clock', () => {
    const m = parseSyslog('Jan  1 00:00:00 h a: m');
    assert.ok(m?.time !== undefined && m.time <= (Date.now() + 86_400_000) * 1000);
  });
  it('maps every PRI to facility and severity', () => {
    for (let pri = 0; pri <= 191; pri++) {
      const m = parseSyslog(`<${pri}>1 - - - - - - x`, NOW)!;
      assert.equal(m.facility, FACILITY_NAMES[pri >> 3]);
      assert.equal(m.severity, pri % 8);
    }
    assert.deepEqual(FACILITY_NAMES.slice(13, 17), ['security', 'console', 'solaris-cron', 'local0']);
  });
  it('scanPri rejects malformed PRI', () => {
    for (const s of ['<>', '<1', '<1234>', '<192>', 'x<1>', '<-1>', '<1 >']) assert.equal(scanPri(s), -1, s);
    assert.equal(scanPri('<007>'), 7 * 8 + 5);
  });

  it('never throws and keeps every character (property test)', () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pieces = [
      '<13>',
      '<165>1 ',
      '<0>',
      '<',
      '>',
      '1 ',
      '-',
      ' ',
      '  ',
      'Jun  1 00:00:01 ',
      'Feb 29 ',
      '2024-01-02T03:04:05.123Z ',
      '12:00:00',
      'host ',
      'app',
      '[',
      ']',
      '[12]',
      ': ',
      ':',
      '(',
      ')',
      '"',
      '\\',
      '=',
      '[id a="b\\"c"]',
      'é☃',
      '\uFEFF',
      '\n',
      '\r',
      '\0',
      'x',
    ];
    for (let n = 0; n < 50_000; n++) {
      let s = '';
      const k = rnd(12);
      for (let j = 0; j < k; j++) s += pieces[rnd(pieces.length)];
      const m = parseSyslog(s, NOW);
      if (m === null) continue;
      assert.equal(typeof m.message, 'string');
      assert.ok(m.time === undefined || Number.isFinite(m.time));
      // The message is a substring of the line (no invented text), unless escapes/BOM were removed.
      if (m.structuredData === undefined && !s.includes('\uFEFF'))
        assert.ok(s.includes(m.message), JSON.stringify(s));
    }
  });
});
