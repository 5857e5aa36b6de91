import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DetectedFormat, detectFormat } from './detect-format.ts';

describe('detectFormat', () => {
  const cases: Array<[string, DetectedFormat]> = [
    ['{"msg":"x"}', 'json'],
    ['  \t{"msg":"x"}', 'json'],
    ['\uFEFF{"msg":"x"}', 'json'],
    ['{not json really', 'json'], // detection only; parse-json reports the error
    ['<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - msg', 'syslog5424'],
    ['<165>1 - - - - - -', 'syslog5424'],
    ['<0>1 - - - - - -', 'syslog5424'],
    ['<34>Oct 11 22:14:15 mymachine su: msg', 'syslog3164'],
    ['<13>2024-01-02T03:04:05Z host app: x', 'syslog3164'],
    ['<13>just a message', 'syslog3164'],
    ['<13>', 'syslog3164'],
    ['<13>10 apples', 'syslog3164'],
    ['Nov 22 21:00:01 host app[1]: msg', 'syslog3164'],
    ['Nov  2 21:00:01 host app[1]: msg', 'syslog3164'],
    ['Jul  1 09:00:55 calvisitor-10-105-160-95 kernel[0]: x', 'syslog3164'],
    ['Nov 22 21:00:01.123 host app: msg', 'syslog3164'],
    ['Nov 22 21:00:01', 'text'], // no space after the time: nothing follows
    ['Nov 22 21:00 host', 'text'],
    ['November 22 21:00:01 host', 'text'],
    ['nov 22 21:00:01 host app: x', 'text'],
    ['Nov 222 21:00:01 host', 'text'],
    ['2024-01-02T03:04:05Z INFO main: started', 'text'],
    ['2024-01-02T03:04:05Z host sshd[1]: rsyslog file format', 'text'],
    ['[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok', 'text'],
    ['<192>1 - - - - - -', 'text'],
    ['<1234>x', 'text'],
    ['<>x', 'text'],
    ['<html>', 'text'],
    ['<', 'text'],
    ['plain text', 'text'],
    ['', 'text'],
    ['   ', 'text'],
  ];
  for (const [line, want] of cases) {
    it(`${JSON.stringify(line)} -> ${want}`, () => assert.equal(detectFormat(line), want));
  }
});
