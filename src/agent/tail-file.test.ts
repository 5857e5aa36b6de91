import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { isBlank, type Line, TailedFile } from './tail-file.ts';

/** The lines without their raw bytes, checking that those are the text's. */
function plain(lines: Line[]) {
  return lines.map(({ raw, ...rest }) => {
    assert.equal(raw.toString('utf8'), rest.text);
    return rest;
  });
}

function tmpFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lw-tail-')), 'app.log');
}

test('tail: complete lines with their offsets; CRLF and blank lines; a partial line waits', async () => {
  const p = tmpFile();
  fs.writeFileSync(p, 'one\r\n\ntwo\n   \nthr');
  const f = (await TailedFile.open(p))!;
  const lines = plain(await f.read());
  assert.deepEqual(lines, [
    { text: 'one', offset: 0, end: 5 },
    { text: '', offset: 5, end: 6 },
    { text: 'two', offset: 6, end: 10 },
    { text: '   ', offset: 10, end: 14 },
  ]);
  assert.deepEqual(
    lines.map((l) => isBlank(l.text)),
    [false, true, false, true],
  );
  assert.equal(f.offset, 14);
  assert.deepEqual(await f.read(), []);
  fs.appendFileSync(p, 'ee\n');
  assert.deepEqual(plain(await f.read()), [{ text: 'three', offset: 14, end: 20 }]);
  fs.appendFileSync(p, 'last without newline');
  assert.deepEqual(await f.read(), []);
  assert.deepEqual(plain(await f.read(true)), [{ text: 'last without newline', offset: 20, end: 40 }]);
  await f.close();
});

test('tail: UTF-8 text and byte offsets', async () => {
  const p = tmpFile();
  fs.writeFileSync(p, '결제를 요청했습니다\nok\n');
  const f = (await TailedFile.open(p))!;
  const lines = await f.read();
  assert.equal(lines[0].text, '결제를 요청했습니다');
  assert.equal(lines[1].offset, Buffer.byteLength('결제를 요청했습니다\n'));
  await f.close();
});

test('tail: truncation is seen when the file shrinks and when it is rewritten past the offset', async () => {
  const p = tmpFile();
  fs.writeFileSync(p, 'alpha 1\nalpha 2\n');
  const f = (await TailedFile.open(p))!;
  await f.read();
  assert.equal(await f.truncated(), false);
  fs.truncateSync(p, 0);
  assert.equal(await f.truncated(), true);
  await f.reset();
  fs.writeFileSync(p, 'beta 1\n');
  assert.equal(await f.truncated(), false);
  await f.read();
  // Truncated and written again beyond the old offset before the next look: the first bytes
  // changed.
  fs.writeFileSync(p, 'gamma 1\ngamma 2\ngamma 3\n');
  assert.equal(await f.truncated(), true);
  await f.close();
});

test('tail: sameContent tells a file from another with the same inode number', async () => {
  const p = tmpFile();
  fs.writeFileSync(p, 'first file\n');
  const f = (await TailedFile.open(p))!;
  const id = { fp: f.fp, fpLen: f.fpLen };
  fs.appendFileSync(p, 'more\n');
  const g = (await TailedFile.open(p))!;
  assert.equal(await g.sameContent(id), true);
  fs.writeFileSync(p, 'other file\n');
  const h = (await TailedFile.open(p))!;
  assert.equal(await h.sameContent(id), false);
  for (const x of [f, g, h]) await x.close();
});
