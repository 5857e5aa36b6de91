import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { configError } from '../../test/config-error.ts';
import { agentConfigSchema, loadAgentConfig, validateAgentConfig } from './config.ts';

function yamlFile(text: string): string {
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lw-agent-cfg-')), 'agent.yaml');
  fs.writeFileSync(f, text);
  return f;
}

test('agent config: defaults', () => {
  const c = validateAgentConfig({ files: [{ paths: ['/var/log/*.log'] }] }, 'x');
  assert.equal(c.server, 'http://127.0.0.1:4280');
  assert.equal(c.format, 'ndjson');
  assert.equal(c.compression, 'gzip');
  assert.equal(c.host, os.hostname());
  assert.equal(c.files[0].startAt, 'beginning');
  assert.equal(c.multiline, null);
});

test('agent config: flags override the file, and a bad flag names the command line', () => {
  const f = yamlFile('stream: app\nfiles:\n  - paths: [/tmp/a.log]\n    stream: other\n');
  const c = loadAgentConfig(f, { stream: 'cli', host: 'h1' });
  assert.equal(c.stream, 'cli');
  assert.equal(c.host, 'h1');
  assert.equal(c.files[0].stream, 'other');
  assert.match(
    configError(() => loadAgentConfig(f, { compression: 'brotli' })),
    /agent\.yaml or the command line: compression: /,
  );
  assert.match(
    configError(() => loadAgentConfig(undefined, {})),
    /the command line: files: /,
  );
});

test('agent config: errors point at the line of the key', () => {
  const f = yamlFile('files:\n  - paths: [/tmp/a.log]\nretry:\n  initialMs: -5\n  maxMz: 3\n');
  const msg = configError(() => loadAgentConfig(f));
  assert.match(msg, /agent\.yaml:4:14: retry\.initialMs: /);
  assert.match(msg, /agent\.yaml:5:3: unknown key "retry\.maxMz"/);
  assert.match(
    configError(() => loadAgentConfig(f.replace('agent.yaml', 'none.yaml'))),
    /no such file/,
  );
  assert.match(
    configError(() => loadAgentConfig(yamlFile('server: ftp://x\nfiles: [{paths: [a]}]\n'))),
    /:1:9: server: expected http/,
  );
});

test('agent config: every key is in the reference table of docs/ingest.md', () => {
  const doc = fs.readFileSync(new URL('../../docs/ingest.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## File agent'));
  type Def = { type: string; innerType?: unknown; shape?: Record<string, unknown>; element?: unknown };
  const def = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;
  const unwrap = (s: unknown): unknown => (def(s).innerType ? unwrap(def(s).innerType) : s);
  const keys: string[] = [];
  const walk = (s: unknown, prefix: string) => {
    for (const [k, v] of Object.entries(def(unwrap(s)).shape ?? {})) {
      const inner = unwrap(v);
      const d = def(inner);
      const name = `${prefix}${k}`;
      if (d.type === 'object' && k !== 'multiline') walk(inner, `${name}.`);
      else if (d.type === 'array' && def(unwrap(d.element)).type === 'object') {
        keys.push(name);
        walk(d.element, `${name}[].`);
      } else keys.push(name);
    }
  };
  walk(agentConfigSchema, '');
  assert.ok(keys.length > 20);
  for (const k of keys) assert.ok(section.includes(`| \`${k}\` |`), `docs/ingest.md lacks a row for ${k}`);
});
