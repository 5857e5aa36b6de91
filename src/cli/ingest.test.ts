import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Chunk, parseSize, restAfterAccepted, splitChunks } from './ingest.ts';

async function collect(parts: string[], chunkBytes: number): Promise<Chunk[]> {
  async function* gen() {
    for (const p of parts) yield Buffer.from(p);
  }
  const out: Chunk[] = [];
  for await (const c of splitChunks(gen(), chunkBytes)) out.push(c);
  return out;
}

/** Every chunk's lines, numbered as the chunk says, must be the file's lines. */
function assertNumbering(text: string, chunks: Chunk[]): void {
  const want = text.split('\n');
  for (const c of chunks) {
    const lines = c.body.toString().split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    lines.forEach((l, i) => {
      assert.equal(l, want[c.firstLine - 1 + i], `line ${c.firstLine + i}`);
    });
  }
  assert.equal(Buffer.concat(chunks.map((c) => c.body)).toString(), text, 'nothing lost or repeated');
}

describe('splitChunks', () => {
  const text =
    Array.from({ length: 50 }, (_, i) => `line number ${i + 1} ${'x'.repeat(i % 7)}`).join('\n') + '\n';

  for (const chunkBytes of [1, 10, 25, 64, 100, 1000, 1 << 20]) {
    for (const readSize of [1, 7, 100, 1 << 20]) {
      it(`chunks of ${chunkBytes} B from reads of ${readSize} B keep line numbers`, async () => {
        const parts: string[] = [];
        for (let i = 0; i < text.length; i += readSize) parts.push(text.slice(i, i + readSize));
        const chunks = await collect(parts, chunkBytes);
        assertNumbering(text, chunks);
        for (const c of chunks) {
          assert.equal(c.body[c.body.length - 1], 10, 'cut at a line end');
          const lines = c.body.toString().split('\n').length - 1;
          assert.ok(c.body.length <= chunkBytes || lines === 1, 'within the size, or one long line alone');
        }
        if (chunkBytes === 64) assert.ok(chunks.length > 10, 'small chunk size means many requests');
      });
    }
  }

  it('a small file is split by --chunk-bytes even when it arrives in one read', async () => {
    const chunks = await collect([text], 200);
    assert.ok(chunks.length >= text.length / 200);
    assertNumbering(text, chunks);
  });

  it('keeps a last line without a line end, and blank lines', async () => {
    const t = 'a\n\n\nb\nlast without newline';
    const chunks = await collect(['a\n\n', '\nb\nlast with', 'out newline'], 4);
    assertNumbering(t, chunks);
    assert.equal(chunks[chunks.length - 1].body.toString(), 'last without newline');
    assert.equal(chunks[chunks.length - 1].firstLine, 5);
  });

  it('an empty input gives no chunk', async () => {
    assert.deepEqual(await collect([], 10), []);
    assert.deepEqual(await collect([''], 10), []);
  });
});

describe('restAfterAccepted', () => {
  const body = Buffer.from(
    ['{"a":1}', '', '{"a":2}', 'bad', '{"a":3}', '   ', '{"a":4}', '{"a":5}'].join('\n'),
  );

  it('nothing kept: resend everything', () => {
    assert.deepEqual(restAfterAccepted(body, 0, new Set(), true), { offset: 0, lines: 0 });
  });

  it('skips blank and rejected lines when counting kept events', () => {
    const r = restAfterAccepted(body, 3, new Set([4]), true)!;
    assert.equal(r.lines, 5);
    assert.equal(body.subarray(r.offset).toString(), '   \n{"a":4}\n{"a":5}');
    const one = restAfterAccepted(body, 1, new Set([4]), true)!;
    assert.equal(one.lines, 1);
    assert.equal(body.subarray(one.offset).toString().split('\n')[0], '');
  });

  it('all kept: nothing left', () => {
    const r = restAfterAccepted(body, 5, new Set([4]), true)!;
    assert.equal(r.offset, body.length);
    assert.equal(r.lines, 8);
  });

  it('CRLF line ends', () => {
    const crlf = Buffer.from('x1\r\n\r\nx2\r\nx3\r\n');
    const r = restAfterAccepted(crlf, 2, new Set(), true)!;
    assert.equal(crlf.subarray(r.offset).toString(), 'x3\r\n');
    assert.equal(r.lines, 3);
  });

  it('unknown when the rejected lines listed stop before the cut', () => {
    assert.equal(restAfterAccepted(body, 3, new Set([4]), false), null, 'line 5 is past the last listed (4)');
    assert.deepEqual(restAfterAccepted(body, 2, new Set([4]), false), {
      offset: body.indexOf('bad'),
      lines: 3,
    });
  });

  it('more kept than the body holds is unknown', () => {
    assert.equal(restAfterAccepted(body, 9, new Set(), true), null);
  });
});

describe('parseSize', () => {
  it('bytes and K/M/G suffixes', () => {
    assert.equal(parseSize('1000'), 1000);
    assert.equal(parseSize('64K'), 65536);
    assert.equal(parseSize('64KiB'), 65536);
    assert.equal(parseSize('4M'), 4 * 1024 * 1024);
    assert.equal(parseSize('4mb'), 4 * 1024 * 1024);
    assert.equal(parseSize('1G'), 1024 ** 3);
    for (const bad of ['', '0', '-5', 'abc', '1.5M', '4X']) assert.ok(Number.isNaN(parseSize(bad)), bad);
  });
});
