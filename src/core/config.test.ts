import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { z } from 'zod';
import { DOC_PATH, renderConfigDoc, walkSchema } from '../../scripts/gen-config-doc.ts';
import { configSchema, isLoopback, splitHostPort, validateConfig } from './config.ts';
import { configError } from '../../test/config-error.ts';

describe('docs/configuration.md', () => {
  it('is up to date with the schema (run `npm run docs:config` if this fails)', () => {
    const current = fs.readFileSync(DOC_PATH, 'utf8');
    assert.equal(current, renderConfigDoc(), 'docs/configuration.md is out of date: run npm run docs:config');
  });

  it('documents every key of the schema, with its dotted path', () => {
    const doc = renderConfigDoc();
    const keys: string[] = [];
    const walk = (s: ReturnType<typeof walkSchema>) => {
      keys.push(...s.keys.map((k) => k.path));
      s.sections.forEach(walk);
    };
    walk(walkSchema());
    for (const k of [
      'dataDir',
      'http.listen',
      'syslog.udp',
      'queue.partitions',
      'store.blockRows',
      'auth.enabled',
    ]) {
      assert.ok(keys.includes(k), `${k} walked`);
    }
    for (const k of keys)
      assert.match(doc, new RegExp(`\\| \`${k.replace(/\./g, '\\.')}\` \\|`), `${k} has a row`);
  });

  it('has an example YAML that is valid and equals the defaults', () => {
    const m = /```yaml\n([\s\S]*?)```/.exec(renderConfigDoc());
    assert.ok(m, 'example block');
    const parsed = YAML.parse(m[1]);
    assert.deepEqual(validateConfig(parsed, 'example'), validateConfig({}, 'defaults'));
    assert.equal(parsed.http.listen, '127.0.0.1:4280');
    assert.equal(parsed.http.maxBodyBytes, 256 * 1024 * 1024);
  });

  it('refuses a key without a description, naming it', () => {
    const s = z.strictObject({ a: z.string().default('x').describe('A.'), b: z.number().default(1) });
    assert.throws(() => renderConfigDoc(s), /\bb\b.*describe/);
  });

  it('renders types, constraints, defaults and nested sections', () => {
    const s = z
      .strictObject({
        top: z.boolean().default(true).describe('Top flag.'),
        net: z
          .strictObject({
            n: z.number().int().min(2).max(9).default(3).describe('A number.'),
            e: z.enum(['a', 'b']).default('b').describe('An enum.'),
            o: z.number().optional().describe('Optional, no default.'),
          })
          .prefault({})
          .describe('Network.'),
      })
      .describe('root');
    const doc = renderConfigDoc(s);
    assert.match(doc, /\| `top` \| boolean \| `true` \| Top flag\. \|/);
    assert.match(doc, /## `net`\n\nNetwork\./);
    assert.match(doc, /\| `net\.n` \| integer, >= 2, <= 9 \| `3` \| A number\. \|/);
    assert.match(doc, /\| `net\.e` \| one of: a, b \| `b` \|/);
    assert.match(doc, /\| `net\.o` \| number \| unset \|/);
    assert.match(doc, /net:\n {2}# A number\.\n {2}n: 3\n/);
    assert.match(doc, / {2}# o:\n/);
  });
});

describe('validateConfig', () => {
  it('fills every default from an empty (or null) document', () => {
    const c = validateConfig(undefined, 'x.yaml');
    assert.equal(c.dataDir, './data');
    assert.equal(c.http.listen, '127.0.0.1:4280');
    assert.equal(c.http.maxBodyBytes, 256 * 1024 * 1024);
    assert.equal(c.syslog.udp, '127.0.0.1:5514');
    assert.equal(c.syslog.tcp, '127.0.0.1:5514');
    assert.equal(c.queue.partitions, undefined);
    assert.equal(c.store.blockRows, 8192);
    assert.equal(c.log.level, 'info');
    assert.equal(c.auth.enabled, true);
    assert.deepEqual(validateConfig({}, 'x.yaml'), c);
    assert.deepEqual(validateConfig(null, 'x.yaml'), c);
  });

  it('keeps given values and defaults the rest of a section', () => {
    const c = validateConfig({ http: { listen: '127.0.0.1:9000' }, queue: { partitions: 3 } }, 'x.yaml');
    assert.equal(c.http.listen, '127.0.0.1:9000');
    assert.equal(c.http.maxLineBytes, 1024 * 1024);
    assert.equal(c.queue.partitions, 3);
    assert.equal(c.queue.segmentBytes, 64 * 1024 * 1024);
  });

  it('names an unknown key by its dotted path, and the file', () => {
    assert.match(
      configError(() => validateConfig({ http: { lisen: '1' } }, 'conf/lw.yaml')),
      /unknown key "http\.lisen" in conf\/lw\.yaml/,
    );
    assert.match(
      configError(() => validateConfig({ bogus: true }, 'lw.yaml')),
      /unknown key "bogus" in lw\.yaml/,
    );
    const both = configError(() => validateConfig({ zzz: 1, store: { rows: 1 } }, 'lw.yaml'));
    assert.match(both, /"zzz"/);
    assert.match(both, /"store\.rows"/);
  });

  it('names the path of a value of the wrong type, and the file', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ queue: { partitions: 'four' } }, /queue\.partitions: .*expected number.* in lw\.yaml/],
      [{ queue: { partitions: 1.5 } }, /queue\.partitions: /],
      [{ queue: { partitions: 0 } }, /queue\.partitions: /],
      [{ http: { maxBodyBytes: -1 } }, /http\.maxBodyBytes: /],
      [{ log: { level: 'loud' } }, /log\.level: .*(info|expected one of)/],
      [{ auth: { enabled: 'yes' } }, /auth\.enabled: .*expected boolean/],
      [{ http: 'x' }, /http: .*expected object/],
      [[1, 2], /\(root\): .*expected object/],
    ];
    for (const [input, re] of cases)
      assert.match(
        configError(() => validateConfig(input, 'lw.yaml')),
        re,
      );
  });

  it('validates HOST:PORT addresses', () => {
    const ok = [
      '127.0.0.1:4280',
      'localhost:0',
      '0.0.0.0:65535',
      '[::1]:4280',
      '[fe80::1]:514',
      'logs.example.com:80',
    ];
    for (const listen of ok) assert.equal(validateConfig({ http: { listen } }, 'x').http.listen, listen);
    const bad = [
      '127.0.0.1',
      '4280',
      ':4280',
      '127.0.0.1:',
      'a b:1',
      '127.0.0.1:port',
      '::1:4280',
      '127.0.0.1:65536',
      'h:123456',
    ];
    for (const listen of bad) {
      assert.match(
        configError(() => validateConfig({ http: { listen } }, 'x.yaml')),
        /http\.listen: .* in x\.yaml/,
        listen,
      );
    }
    assert.match(
      configError(() => validateConfig({ syslog: { tcp: 'nope' } }, 'x')),
      /syslog\.tcp: expected HOST:PORT/,
    );
    assert.equal(validateConfig({ syslog: { udp: null } }, 'x').syslog.udp, null);
  });

  it('splitHostPort and isLoopback', () => {
    assert.deepEqual(splitHostPort('127.0.0.1:4280'), { host: '127.0.0.1', port: 4280 });
    assert.deepEqual(splitHostPort('[::1]:514'), { host: '::1', port: 514 });
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) assert.ok(isLoopback(h), h);
    for (const h of ['0.0.0.0', '10.0.0.1', '::', 'example.com', '128.0.0.1']) assert.ok(!isLoopback(h), h);
  });

  it('the schema is strict at every level', () => {
    assert.equal(configSchema.safeParse({ log: { colour: true } }).success, false);
  });
});
