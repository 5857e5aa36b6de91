import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type FrameError, SyslogFrameDecoder } from './framing.ts';

function octet(msg: string): string {
  return `${Buffer.byteLength(msg)} ${msg}`;
}

/** Decodes the stream fed as the given chunks; returns frames and errors. */
function decode(chunks: Buffer[], maxFrameBytes?: number): { frames: string[]; errors: FrameError[] } {
  const errors: FrameError[] = [];
  const d = new SyslogFrameDecoder({ maxFrameBytes, onError: (e) => errors.push(e) });
  const frames: string[] = [];
  for (const c of chunks) frames.push(...d.push(c));
  frames.push(...d.end());
  return { frames, errors };
}

/** The stream cut into two chunks at every byte boundary, and into single bytes. */
function splits(stream: Buffer): Buffer[][] {
  const out: Buffer[][] = [[stream]];
  for (let k = 1; k < stream.length; k++) out.push([stream.subarray(0, k), stream.subarray(k)]);
  out.push([...stream].map((b) => Buffer.from([b])));
  return out;
}

describe('SyslogFrameDecoder', () => {
  const cases: Array<[name: string, stream: string, frames: string[]]> = [
    ['LF framing', '<13>a\n<13>b\n', ['<13>a', '<13>b']],
    ['CRLF framing', '<13>a\r\n<13>b\r\n', ['<13>a', '<13>b']],
    ['NUL trailer', '<13>a\0<13>b\0', ['<13>a', '<13>b']],
    ['empty lines skipped', '\n\r\n<13>a\n\n\0\n', ['<13>a']],
    ['last line without LF', '<13>a\n<13>b', ['<13>a', '<13>b']],
    ['octet counting', octet('<13>a b') + octet('<13>second'), ['<13>a b', '<13>second']],
    [
      'octet counting keeps LF inside',
      octet('<13>line1\nline2') + octet('<13>x'),
      ['<13>line1\nline2', '<13>x'],
    ],
    ['octet count including a trailing LF', octet('<13>a\n') + octet('<13>b'), ['<13>a', '<13>b']],
    ['octet frame then LF after it', `${octet('<13>a')}\n${octet('<13>b')}\n`, ['<13>a', '<13>b']],
    [
      'mixed framing',
      `${octet('<13>a')}<13>b\n${octet('<13>c')}<13>d\n`,
      ['<13>a', '<13>b', '<13>c', '<13>d'],
    ],
    ['UTF-8 multi-byte', `${octet('<13>é☃𝄞')}<13>ü\n`, ['<13>é☃𝄞', '<13>ü']],
    ['digits without space are a line', '2024-01-02T03:04:05Z hi\n', ['2024-01-02T03:04:05Z hi']],
    ['count not followed by < is a line', '200 OK\n<13>x\n', ['200 OK', '<13>x']],
    ['a lone number is a line', '12345\n', ['12345']],
    ['a number at end of stream', '42', ['42']],
    ['a number and space at end of stream', '42 ', ['42 ']],
    ['leading zero is not a count', '0 <13>x\n', ['0 <13>x']],
    ['more than 10 digits is not a count', '12345678901 <13>x\n', ['12345678901 <13>x']],
  ];
  for (const [name, stream, frames] of cases) {
    it(`${name}, split at every byte boundary`, () => {
      const buf = Buffer.from(stream);
      for (const chunks of splits(buf)) {
        const got = decode(chunks);
        assert.deepEqual(
          got.frames,
          frames,
          `chunks: ${chunks.map((c) => JSON.stringify(c.toString('latin1'))).join(' | ')}`,
        );
        assert.deepEqual(got.errors, []);
      }
    });
  }

  it('skips an oversized octet-counted frame and reports its offset', () => {
    const big = `<13>${'x'.repeat(100)}`;
    const stream = Buffer.from(`${octet('<13>a')}${octet(big)}${octet('<13>b')}<13>c\n`);
    for (const chunks of splits(stream)) {
      const { frames, errors } = decode(chunks, 50);
      assert.deepEqual(frames, ['<13>a', '<13>b', '<13>c']);
      assert.equal(errors.length, 1);
      assert.equal(errors[0]!.kind, 'oversized');
      assert.equal(errors[0]!.offset, octet('<13>a').length);
      assert.equal(errors[0]!.size, 104);
      assert.match(errors[0]!.message, /104 bytes exceeds the limit of 50 bytes/);
    }
  });

  it('skips an oversized line up to its LF and reports it', () => {
    const stream = Buffer.from(`<13>a\n${'y'.repeat(120)}\n<13>b\n${'z'.repeat(60)}`);
    for (const chunks of splits(stream)) {
      const { frames, errors } = decode(chunks, 50);
      assert.deepEqual(frames, ['<13>a', '<13>b']);
      assert.equal(errors.length, 2);
      assert.equal(errors[0]!.offset, 6);
      assert.equal(errors[1]!.offset, 6 + 121 + 6);
      assert.ok(errors[0]!.size > 50);
    }
  });

  it('accepts a frame of exactly the limit', () => {
    const msg = `<13>${'x'.repeat(46)}`; // 50 bytes
    assert.deepEqual(decode([Buffer.from(octet(msg) + msg + '\n')], 50).frames, [msg, msg]);
  });

  it('reports a truncated octet-counted frame at end of stream and keeps its part', () => {
    const { frames, errors } = decode([Buffer.from('20 <13>short')]);
    assert.deepEqual(frames, ['<13>short']);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.kind, 'truncated');
    assert.match(errors[0]!.message, /after 9 of 20 bytes/);
  });

  it('does not keep a reference to a reused chunk', () => {
    const d = new SyslogFrameDecoder();
    const chunk = Buffer.from('<13>abc');
    assert.deepEqual(d.push(chunk), []);
    chunk.fill(0x41);
    assert.deepEqual(d.push(Buffer.from('def\n')), ['<13>abcdef']);
  });

  it('returns frames per chunk, for batching', () => {
    const d = new SyslogFrameDecoder();
    assert.deepEqual(d.push(Buffer.from('<13>a\n<13>b\n<13>c')), ['<13>a', '<13>b']);
    assert.deepEqual(d.push(Buffer.from('\n')), ['<13>c']);
    assert.deepEqual(d.end(), []);
  });

  it('never throws on random bytes (property test)', () => {
    let seed = 3;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = Buffer.from('0123456789 <>\n\r\0ab\xff');
    for (let n = 0; n < 2_000; n++) {
      const d = new SyslogFrameDecoder({ maxFrameBytes: 64, onError: () => {} });
      for (let c = 0; c < 5; c++) {
        const len = rnd(40);
        const chunk = Buffer.alloc(len);
        for (let k = 0; k < len; k++) chunk[k] = alphabet[rnd(alphabet.length)]!;
        for (const f of d.push(chunk)) assert.ok(Buffer.byteLength(f) <= 64 * 3);
      }
      d.end();
    }
  });
});
