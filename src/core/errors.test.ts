import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { bug, ERRORS, LwError } from './errors.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

test('every catalogued error has a client status and a message', () => {
  for (const [code, spec] of Object.entries(ERRORS)) {
    assert.match(code, /^LW_ERR_[A-Z_]+$/);
    assert.ok(spec.status >= 400 && spec.status <= 599, code);
    assert.ok(spec.message.length > 5, code);
  }
});

test('docs/api.md lists every code with its HTTP status, and nothing else', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'api.md'), 'utf8');
  const rows = [...doc.matchAll(/^\| `(LW_ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
  assert.deepEqual(
    Object.fromEntries(rows),
    Object.fromEntries(Object.entries(ERRORS).map(([c, s]) => [c, s.status])),
  );
});

test('every code is raised somewhere in src (no dead entries)', () => {
  const used = new Set<string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && e.name !== 'errors.ts') {
        for (const m of fs.readFileSync(p, 'utf8').matchAll(/'(LW_ERR_[A-Z_]+)'/g)) used.add(m[1]);
      }
    }
  };
  walk(path.join(ROOT, 'src'));
  assert.deepEqual(
    Object.keys(ERRORS).filter((c) => !used.has(c)),
    [],
  );
});

test('LwError fills the message template and serialises code and details', () => {
  const e = new LwError('LW_ERR_BAD_PARAM', ['limit', 'expected an integer'], { position: 3 });
  assert.equal(e.message, 'invalid parameter limit: expected an integer');
  assert.equal(e.status, 400);
  assert.deepEqual(e.toJSON(), { error: e.message, code: 'LW_ERR_BAD_PARAM', position: 3 });
  assert.throws(() => bug('x'), /^Error: BUG: x$/);
});
