import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { validateConfig } from '../core/config.ts';
import { flagOverrides, loadConfig } from './config-file.ts';
import { configError } from '../../test/config-error.ts';

describe('loadConfig', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-config-test-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };

  it('reads a YAML file', () => {
    const f = write(
      'ok.yaml',
      'dataDir: /var/lib/lw\nhttp:\n  listen: 127.0.0.1:9999\nstore:\n  memoryLimit: 1GB\n',
    );
    const c = loadConfig(f, {});
    assert.equal(c.dataDir, '/var/lib/lw');
    assert.equal(c.http.listen, '127.0.0.1:9999');
    assert.equal(c.store.memoryLimit, '1GB');
    assert.equal(c.http.maxLineBytes, 1024 * 1024);
  });

  it('an empty file (or only comments) means all defaults', () => {
    assert.deepEqual(loadConfig(write('empty.yaml', ''), {}), validateConfig({}, 'x'));
    assert.deepEqual(loadConfig(write('comments.yaml', '# nothing here\n'), {}), validateConfig({}, 'x'));
  });

  it('names file:line:col of a YAML syntax error', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['indent.yaml', 'http:\n  listen: 127.0.0.1:1\n maxBodyBytes: 5\n', /indent\.yaml:3:\d+: /],
      ['quote.yaml', 'dataDir: ./d\nhttp:\n  listen: "127.0.0.1:1\n', /quote\.yaml:\d+:\d+: .*quote/i],
      ['dup.yaml', 'http: {}\nlog: {}\nhttp: {}\n', /dup\.yaml:3:1: Map keys must be unique/],
      ['tab.yaml', 'http:\n\tlisten: x\n', /tab\.yaml:2:1: .*[Tt]ab/],
    ];
    for (const [name, text, re] of cases) {
      const msg = configError(() => loadConfig(write(name, text), {}));
      assert.match(msg, re);
      assert.ok(msg.includes(path.join(dir, name)), msg);
      assert.doesNotMatch(msg, /\n/, 'one line');
    }
  });

  it('a top level that is not a mapping is an error naming the file', () => {
    assert.match(
      configError(() => loadConfig(write('list.yaml', '- a\n- b\n'), {})),
      /list\.yaml: expected a mapping/,
    );
  });

  it('a missing file is an error naming it', () => {
    assert.match(
      configError(() => loadConfig(path.join(dir, 'nope.yaml'), {})),
      /cannot read config file .*nope\.yaml: no such file/,
    );
  });

  it('an unknown key in the file names the key and the file', () => {
    const f = write('unknown.yaml', 'http:\n  listen: 127.0.0.1:1\n  lissen: 127.0.0.1:2\n');
    assert.match(
      configError(() => loadConfig(f, {})),
      /unknown key "http\.lissen" in .*unknown\.yaml/,
    );
    // Also when flags are given: the file is at fault, not the command line.
    assert.match(
      configError(() => loadConfig(f, { 'http.listen': '127.0.0.1:3' })),
      /"http\.lissen" in .*unknown\.yaml/,
    );
  });

  it('flags override file values; keys not flagged keep the file value', () => {
    const f = write(
      'over.yaml',
      'dataDir: ./from-file\nhttp:\n  listen: 127.0.0.1:1111\n  maxLineBytes: 5000\n',
    );
    const c = loadConfig(f, {
      dataDir: './from-flag',
      'http.listen': '127.0.0.1:2222',
      'log.format': undefined,
    });
    assert.equal(c.dataDir, './from-flag');
    assert.equal(c.http.listen, '127.0.0.1:2222');
    assert.equal(c.http.maxLineBytes, 5000);
    assert.equal(c.log.format, 'pretty');
  });

  it('a bad flag value names the key and the command line, not the file', () => {
    const f = write('good.yaml', 'dataDir: ./d\n');
    const msg = configError(() => loadConfig(f, { 'http.listen': 'nonsense' }));
    assert.match(msg, /http\.listen: expected HOST:PORT/);
    assert.match(msg, /the command line/);
    assert.doesNotMatch(msg, /good\.yaml/);
  });

  it('start flags map to keys, and `off` disables a syslog listener', () => {
    const overrides = flagOverrides({
      'syslog-udp': 'off',
      'syslog-tcp': '127.0.0.1:6514',
      http: '127.0.0.1:1',
      'log-format': 'json',
    });
    assert.deepEqual(overrides, {
      'http.listen': '127.0.0.1:1',
      'syslog.udp': null,
      'syslog.tcp': '127.0.0.1:6514',
      'log.format': 'json',
    } as Record<string, unknown>);
  });

  it('`off` from the flags overrides a file address', () => {
    const f = write('syslog.yaml', 'syslog:\n  udp: 127.0.0.1:7514\n  tcp: 127.0.0.1:7514\n');
    const c = loadConfig(f, flagOverrides({ 'syslog-udp': 'off' }));
    assert.equal(c.syslog.udp, null);
    assert.equal(c.syslog.tcp, '127.0.0.1:7514');
    const both = loadConfig(undefined, flagOverrides({ 'syslog-udp': 'off', 'syslog-tcp': 'off' }));
    assert.equal(both.syslog.udp, null);
    assert.equal(both.syslog.tcp, null);
    // `off` only means "disabled" for the syslog listeners.
    assert.match(
      configError(() => loadConfig(undefined, flagOverrides({ http: 'off' }))),
      /http\.listen/,
    );
  });

  it('null in the file disables syslog too', () => {
    const c = loadConfig(write('null.yaml', 'syslog:\n  udp: null\n  tcp: ~\n'), {});
    assert.equal(c.syslog.udp, null);
    assert.equal(c.syslog.tcp, null);
  });
});
