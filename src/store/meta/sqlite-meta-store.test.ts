import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import { SqliteMetaStore } from './sqlite-meta-store.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-meta-'));
  dirs.push(d);
  return d;
}

test('documents: put, get, list, versions, timestamps, delete', async () => {
  const m = new SqliteMetaStore(tmp());
  try {
    assert.equal(await m.get('saved-search', 'a'), null);
    const a1 = await m.put('saved-search', 'a', { name: 'errors', n: 1 });
    assert.equal(a1.version, 1);
    assert.equal(a1.created, a1.updated);
    await new Promise((r) => setTimeout(r, 5));
    const a2 = await m.put('saved-search', 'a', { name: 'errors', n: 2 });
    assert.equal(a2.version, 2);
    assert.equal(a2.created, a1.created);
    assert.ok(a2.updated > a1.updated);
    await m.put('saved-search', 'b', { name: 'slow' });
    await m.put('user', 'a', { name: 'alice' }); // same id, other kind: independent
    assert.deepEqual(
      (await m.list<{ name: string }>('saved-search')).map((r) => [r.id, r.doc.name, r.version]),
      [
        ['a', 'errors', 2],
        ['b', 'slow', 1],
      ],
    );
    assert.deepEqual((await m.get('saved-search', 'a'))?.doc, { name: 'errors', n: 2 });
    assert.equal((await m.findBy('user', 'name', 'alice'))?.id, 'a');
    assert.equal(await m.findBy('user', 'name', 'errors'), null);
    assert.equal(await m.delete('saved-search', 'a'), true);
    assert.equal(await m.delete('saved-search', 'a'), false);
    assert.equal(await m.get('saved-search', 'a'), null);
    assert.equal((await m.list('user')).length, 1);
  } finally {
    await m.close();
  }
});

test('optimistic concurrency: ifVersion, and unique fields, change nothing on conflict', async () => {
  const m = new SqliteMetaStore(tmp());
  try {
    await m.put('k', 'x', { name: 'one' }, { ifVersion: 0 });
    await assert.rejects(m.put('k', 'x', { name: 'two' }, { ifVersion: 0 }), {
      code: 'LW_ERR_CONFLICT',
      status: 409,
      message: /k "x" is at version 1, not 0/,
    });
    await assert.rejects(m.put('k', 'y', { name: 'two' }, { ifVersion: 3 }), {
      code: 'LW_ERR_CONFLICT',
      message: /does not exist/,
    });
    const v2 = await m.put('k', 'x', { name: 'two' }, { ifVersion: 1 });
    assert.equal(v2.version, 2);
    // Two writers that read version 2: the first wins, the second is refused.
    await m.put('k', 'x', { name: 'three' }, { ifVersion: 2 });
    await assert.rejects(m.put('k', 'x', { name: 'lost update' }, { ifVersion: 2 }), {
      code: 'LW_ERR_CONFLICT',
    });
    assert.equal((await m.get<{ name: string }>('k', 'x'))?.doc.name, 'three');
    await assert.rejects(m.delete('k', 'x', { ifVersion: 1 }), { code: 'LW_ERR_CONFLICT' });
    // Unique names within a kind; the document itself may keep its own name.
    await m.put('k', 'y', { name: 'four' }, { unique: ['name'] });
    await assert.rejects(m.put('k', 'z', { name: 'three' }, { unique: ['name'] }), {
      code: 'LW_ERR_CONFLICT',
      message: /another k already has name "three"/,
    });
    await m.put('k', 'x', { name: 'three', more: true }, { unique: ['name'] });
    await m.put('other', 'z', { name: 'three' }, { unique: ['name'] });
    assert.equal(await m.get('k', 'z'), null);
  } finally {
    await m.close();
  }
});

test('durable: WAL with synchronous=FULL, and a write survives the process being killed', async () => {
  const dir = tmp();
  // A child process writes, then dies without closing (SIGKILL after the write resolved).
  const child = `
    import { SqliteMetaStore } from ${JSON.stringify(path.resolve('src/store/meta/sqlite-meta-store.ts'))};
    const m = new SqliteMetaStore(${JSON.stringify(dir)});
    for (let i = 0; i < 50; i++) await m.put('k', 'd' + i, { i });
    process.kill(process.pid, 'SIGKILL');
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', child], { encoding: 'utf8' });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  const m = new SqliteMetaStore(dir);
  try {
    const docs = await m.list<{ i: number }>('k');
    assert.equal(docs.length, 50);
    assert.equal(docs.find((d) => d.id === 'd49')?.doc.i, 49);
  } finally {
    await m.close();
  }
  const db = new DatabaseSync(path.join(dir, 'meta.sqlite'));
  try {
    assert.equal((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
  } finally {
    db.close();
  }
});
