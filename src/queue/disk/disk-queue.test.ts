import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { LwError } from '../../core/errors.ts';
import type { QueueMessage, StoredMessage } from '../queue.ts';
import { type DiskIo, defaultIo, ioError, type QueueLogger } from './disk-io.ts';
import { DiskQueue, type DiskQueueOptions } from './disk-queue.ts';
import { segmentFileName } from './segment.ts';

const roots: string[] = [];
after(async () => {
  for (const r of roots) await fs.rm(r, { recursive: true, force: true });
});

async function tmpDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lw-disk-queue-'));
  roots.push(dir);
  return dir;
}

interface Captured extends QueueLogger {
  warnings: Array<{ obj: Record<string, unknown>; msg: string }>;
  errors: Array<{ obj: Record<string, unknown>; msg: string }>;
}

function capture(): Captured {
  const warnings: Captured['warnings'] = [];
  const errors: Captured['errors'] = [];
  return {
    warnings,
    errors,
    warn: (obj, msg) => warnings.push({ obj, msg }),
    error: (obj, msg) => errors.push({ obj, msg }),
  };
}

async function openQueue(opts: DiskQueueOptions): Promise<DiskQueue> {
  const q = new DiskQueue({ logger: capture(), ...opts });
  await q.open();
  return q;
}

function msgs(prefix: string, n: number, pad = 0): QueueMessage[] {
  return Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`${prefix}-${i}${'.'.repeat(pad)}`) }));
}

/** Fetches everything from `from` to the partition's end. */
async function readAll(q: DiskQueue, topic: string, partition: number, from = 0): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  let offset = from;
  for (;;) {
    const got = await q.fetch(topic, partition, offset, { maxBytes: 1500 });
    if (got.length === 0) return out;
    out.push(...got);
    offset = got.at(-1)!.offset + 1;
  }
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<LwError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof LwError, `expected an LwError, got ${String(err)}`);
    assert.equal(err.code, code);
    return err;
  }
  assert.fail(`expected rejection with ${code}`);
}

function flip(buf: Buffer, at: number): Buffer {
  const copy = Buffer.from(buf);
  copy[at]! ^= 0x01;
  return copy;
}

async function segmentFiles(dir: string, topic: string, partition: number): Promise<string[]> {
  return (await fs.readdir(path.join(dir, `${topic}-${partition}`))).filter((f) => f.endsWith('.log')).sort();
}

test('produce then fetch round-trips keys, headers, timestamps and values', async () => {
  const dir = await tmpDir();
  const q = await openQueue({ dir });
  await q.createTopic('t', 1);
  const before = Date.now();
  const sent: QueueMessage[] = [
    { value: Buffer.from('plain') },
    { key: Buffer.from('k1'), value: Buffer.from('with key'), timestamp: 1_700_000_000_123 },
    { key: null, value: Buffer.alloc(0), headers: { trace: 'abc', ünïcode: '결제를' } },
    { key: Buffer.alloc(0), value: Buffer.from([0, 1, 2, 255]), timestamp: -5, headers: {} },
  ];
  assert.deepEqual(await q.produce('t', 0, sent), { baseOffset: 0 });
  const got = await q.fetch('t', 0, 0);
  assert.equal(got.length, 4);
  assert.deepEqual(
    got.map((m) => [m.topic, m.partition, m.offset]),
    [0, 1, 2, 3].map((o) => ['t', 0, o]),
  );
  assert.ok(got[0]!.timestamp >= before && got[0]!.timestamp <= Date.now());
  assert.equal(got[0]!.key, null);
  assert.deepEqual(got[0]!.headers, {});
  assert.equal(got[1]!.timestamp, 1_700_000_000_123);
  assert.deepEqual(got[1]!.key, Buffer.from('k1'));
  assert.deepEqual(got[2]!.headers, { trace: 'abc', ünïcode: '결제를' });
  assert.equal(got[2]!.value.length, 0);
  assert.deepEqual(got[3]!.key, Buffer.alloc(0));
  assert.deepEqual(got[3]!.value, Buffer.from([0, 1, 2, 255]));
  assert.equal(got[3]!.timestamp, -5);
  assert.deepEqual(await q.fetch('t', 0, 2), got.slice(2));
  await q.close();
});

test('topics and partitions are independent; createTopic is idempotent and can add partitions', async () => {
  const dir = await tmpDir();
  const q = await openQueue({ dir });
  await q.createTopic('a', 2);
  await q.createTopic('a', 2);
  await q.createTopic('b-2', 3);
  assert.equal(q.partitionCount('a'), 2);
  assert.equal(q.partitionCount('b-2'), 3);
  await Promise.all([
    q.produce('a', 0, msgs('a0', 3)),
    q.produce('a', 1, msgs('a1', 5)),
    q.produce('b-2', 2, msgs('b2', 2)),
    q.produce('a', 0, msgs('a0x', 1)),
  ]);
  assert.deepEqual(
    (await readAll(q, 'a', 0)).map((m) => m.value.toString()),
    ['a0-0', 'a0-1', 'a0-2', 'a0x-0'],
  );
  assert.equal((await readAll(q, 'a', 1)).length, 5);
  assert.equal((await readAll(q, 'b-2', 2)).length, 2);
  assert.equal((await readAll(q, 'b-2', 0)).length, 0);
  await rejectsWith(q.createTopic('a', 1), 'LW_ERR_BAD_PARAM');
  await rejectsWith(q.createTopic('bad/name', 1), 'LW_ERR_BAD_PARAM');
  await q.createTopic('a', 4);
  await q.produce('a', 3, msgs('a3', 1));
  assert.throws(
    () => q.partitionCount('nope'),
    (e: LwError) => e.code === 'LW_ERR_NOT_FOUND',
  );
  await rejectsWith(q.produce('nope', 0, msgs('x', 1)), 'LW_ERR_NOT_FOUND');
  await rejectsWith(q.produce('a', 9, msgs('x', 1)), 'LW_ERR_NOT_FOUND');
  await rejectsWith(q.produce('a', 0, []), 'LW_ERR_BAD_PARAM');
  await rejectsWith(q.produce('a', 0, [{ value: 'str' as unknown as Buffer }]), 'LW_ERR_BAD_PARAM');
  await q.close();

  const q2 = await openQueue({ dir });
  assert.equal(q2.partitionCount('a'), 4);
  assert.equal(q2.partitionCount('b-2'), 3);
  assert.deepEqual(
    q2
      .state()
      .map((s) => `${s.topic}/${s.partition}:${s.startOffset}-${s.endOffset}`)
      .sort(),
    ['a/0:0-4', 'a/1:0-5', 'a/2:0-0', 'a/3:0-1', 'b-2/0:0-0', 'b-2/1:0-0', 'b-2/2:0-2'],
  );
  await q2.close();
});

test('group commit: concurrent produce calls share writes and fdatasyncs', async () => {
  const dir = await tmpDir();
  let syncs = 0;
  let writes = 0;
  const io: DiskIo = {
    write: (fh, buf, pos) => {
      writes++;
      return defaultIo.write(fh, buf, pos);
    },
    datasync: (fh) => {
      syncs++;
      return defaultIo.datasync(fh);
    },
  };
  const q = await openQueue({ dir, io });
  await q.createTopic('t', 2);
  const results = await Promise.all(
    Array.from({ length: 100 }, (_, i) => q.produce('t', i % 2, msgs(`p${i}`, 10))),
  );
  // The first call of each partition may go alone; everything after queues behind it.
  assert.ok(syncs <= 4, `${syncs} fdatasyncs for 100 concurrent produce calls`);
  assert.equal(writes, syncs);
  for (const part of [0, 1]) {
    const bases = results.filter((_, i) => i % 2 === part).map((r) => r.baseOffset);
    assert.deepEqual(
      bases,
      Array.from({ length: 50 }, (_, i) => i * 10),
      'offsets follow call order',
    );
    const all = await readAll(q, 't', part);
    assert.equal(all.length, 500);
    assert.equal(all[10]!.value.toString(), `p${2 + part}-0`);
  }
  await q.close();
});

test('fetch long-polls: wakes on produce, times out with [], and close wakes it', async () => {
  const dir = await tmpDir();
  const q = await openQueue({ dir });
  await q.createTopic('t', 2);
  const t0 = Date.now();
  const waiting = q.fetch('t', 0, 0, { maxWaitMs: 10_000 });
  setTimeout(() => void q.produce('t', 0, msgs('late', 2)), 50);
  const got = await waiting;
  assert.deepEqual(
    got.map((m) => m.value.toString()),
    ['late-0', 'late-1'],
  );
  assert.ok(Date.now() - t0 < 2000, 'woken by the produce, not the timeout');

  const t1 = Date.now();
  assert.deepEqual(await q.fetch('t', 0, 2, { maxWaitMs: 100 }), []);
  assert.ok(Date.now() - t1 >= 90);
  assert.deepEqual(await q.fetch('t', 0, 2), [], 'no wait by default');
  // A produce to another partition doesn't satisfy the fetch.
  const other = q.fetch('t', 1, 0, { maxWaitMs: 150 });
  await q.produce('t', 0, msgs('x', 1));
  assert.deepEqual(await other, []);

  const blocked = q.fetch('t', 1, 0, { maxWaitMs: 60_000 });
  const t2 = Date.now();
  await q.close();
  assert.deepEqual(await blocked, []);
  assert.ok(Date.now() - t2 < 2000);
  await rejectsWith(q.produce('t', 0, msgs('y', 1)), 'LW_ERR_SHUTTING_DOWN');
});

test('fetch honours maxBytes but returns at least one message, from any offset', async () => {
  const dir = await tmpDir();
  const q = await openQueue({ dir, indexIntervalBytes: 256 });
  await q.createTopic('t', 1);
  const big = Buffer.alloc(10_000, 7);
  await q.produce('t', 0, [...msgs('s', 50, 40), { value: big }, ...msgs('e', 50, 40)]);
  const one = await q.fetch('t', 0, 50, { maxBytes: 100 });
  assert.equal(one.length, 1);
  assert.deepEqual(one[0]!.value, big);
  const few = await q.fetch('t', 0, 0, { maxBytes: 300 });
  assert.ok(few.length >= 1 && few.length <= 4, `${few.length} messages for 300 bytes`);
  for (let off = 0; off < 101; off += 7) {
    const got = await q.fetch('t', 0, off, { maxBytes: 2000 });
    assert.equal(got[0]!.offset, off);
    for (const [i, m] of got.entries()) assert.equal(m.offset, off + i);
  }
  assert.deepEqual(await q.fetch('t', 0, 101), []);
  await q.close();
});

test('offsets stay dense across segment rolls and reopen; the log keeps appending', async () => {
  const dir = await tmpDir();
  let q = await openQueue({ dir, segmentBytes: 1024 });
  await q.createTopic('t', 1);
  let expected = 0;
  for (let b = 0; b < 30; b++) {
    const { baseOffset } = await q.produce('t', 0, msgs(`b${b}`, 1 + (b % 5), 20));
    assert.equal(baseOffset, expected);
    expected += 1 + (b % 5);
  }
  // Concurrent calls spanning a roll in one flush.
  await Promise.all(Array.from({ length: 10 }, (_, i) => q.produce('t', 0, msgs(`c${i}`, 3, 20))));
  expected += 30;
  const files = await segmentFiles(dir, 't', 0);
  assert.ok(files.length >= 5, `${files.length} segments`);
  for (const f of files) assert.ok((await fs.stat(path.join(dir, 't-0', f))).size <= 1024);
  await q.close();

  q = await openQueue({ dir, segmentBytes: 1024 });
  assert.equal(q.state()[0]!.endOffset, expected);
  const bases = (await segmentFiles(dir, 't', 0)).map((f) => Number(f.slice(0, 20)));
  const all = await readAll(q, 't', 0);
  assert.deepEqual(
    all.map((m) => m.offset),
    Array.from({ length: expected }, (_, i) => i),
  );
  // Each segment file is named after its first record's offset.
  for (const base of bases) assert.equal(all[base]!.offset, base);
  assert.equal(all[0]!.value.toString(), `b0-0${'.'.repeat(20)}`);
  assert.equal((await q.produce('t', 0, msgs('after', 2))).baseOffset, expected);
  assert.equal((await q.fetch('t', 0, expected))[1]!.value.toString(), 'after-1');
  await q.close();
});

test('commits are durable across reopen; committed() defaults to the start offset', async () => {
  const dir = await tmpDir();
  let q = await openQueue({ dir });
  await q.createTopic('t', 2);
  await q.produce('t', 0, msgs('m', 10));
  assert.equal(await q.committed('g1', 't', 0), 0);
  await Promise.all([q.commit('g1', 't', 0, 4), q.commit('g2', 't', 0, 10), q.commit('g1', 't', 1, 0)]);
  await q.commit('g1', 't', 0, 7);
  await rejectsWith(q.commit('g1', 't', 0, 11), 'LW_ERR_BAD_PARAM');
  await rejectsWith(q.commit('', 't', 0, 1), 'LW_ERR_BAD_PARAM');
  await rejectsWith(q.commit('g1', 'nope', 0, 1), 'LW_ERR_NOT_FOUND');
  await q.close();

  q = await openQueue({ dir });
  assert.equal(await q.committed('g1', 't', 0), 7);
  assert.equal(await q.committed('g2', 't', 0), 10);
  assert.equal(await q.committed('g1', 't', 1), 0);
  assert.equal(await q.committed('g3', 't', 0), 0);
  await q.close();
});

test('the offsets log recovers from a torn tail and compacts when it grows', async () => {
  const dir = await tmpDir();
  let q = await openQueue({ dir });
  await q.createTopic('t', 1);
  await q.produce('t', 0, msgs('m', 100));
  for (let i = 1; i <= 100; i++) await q.commit('g', 't', 0, i);
  await q.close();
  await fs.appendFile(path.join(dir, 'offsets.log'), Buffer.from([40, 0, 0, 0, 1, 2, 3]));
  const logger = capture();
  q = await openQueue({ dir, logger });
  assert.equal(await q.committed('g', 't', 0), 100);
  assert.equal(logger.warnings.length, 1);
  assert.match(logger.warnings[0]!.msg, /offsets log .*truncating 7 bytes/);
  // ~36 bytes per commit: 40k commits pass the 1 MiB compaction threshold.
  const groups = Array.from({ length: 40 }, (_, i) => `group-${i}`);
  for (let round = 0; round < 1000; round++) {
    await Promise.all(groups.map((g) => q.commit(g, 't', 0, round % 100)));
  }
  const size = (await fs.stat(path.join(dir, 'offsets.log'))).size;
  assert.ok(size < 1024 * 1024, `offsets.log is ${size} bytes after compaction`);
  await q.commit('g', 't', 0, 42);
  await q.close();
  q = await openQueue({ dir });
  assert.equal(await q.committed('g', 't', 0), 42);
  assert.equal(await q.committed('group-7', 't', 0), 99);
  await q.close();
});

test('retention deletes a segment only after every group committed past it', async () => {
  const dir = await tmpDir();
  const q = await openQueue({ dir, segmentBytes: 1024 });
  await q.createTopic('t', 2);
  for (let b = 0; b < 10; b++) await q.produce('t', 0, msgs(`b${b}`, 5, 30));
  await q.produce('t', 1, msgs('p1', 5));
  const files = await segmentFiles(dir, 't', 0);
  const bases = files.map((f) => Number(f.slice(0, 20)));
  assert.ok(bases.length >= 4, `${bases.length} segments`);
  const end = q.state()[0]!.endOffset;

  // No group has ever committed: everything is kept.
  assert.deepEqual(await segmentFiles(dir, 't', 0), files);
  await q.commit('fast', 't', 0, end);
  // 'fast' is the only group so far: everything before the active segment goes.
  assert.deepEqual(await segmentFiles(dir, 't', 0), [files.at(-1)]);
  assert.equal(q.state()[0]!.startOffset, bases.at(-1));

  // Now a second group that has committed on another partition only: it blocks partition 1's
  // deletions (it never committed there), not partition 0's (already deleted above).
  await q.commit('slow', 't', 1, 0);
  for (let b = 0; b < 10; b++) await q.produce('t', 0, msgs(`c${b}`, 5, 30));
  const files2 = await segmentFiles(dir, 't', 0);
  const end2 = q.state()[0]!.endOffset;
  await q.commit('fast', 't', 0, end2);
  assert.deepEqual(await segmentFiles(dir, 't', 0), files2, "'slow' never committed on t/0");
  const bases2 = files2.map((f) => Number(f.slice(0, 20)));
  // 'slow' commits inside the third segment: the first two go, no more.
  await q.commit('slow', 't', 0, bases2[2]! + 1);
  assert.deepEqual(await segmentFiles(dir, 't', 0), files2.slice(2));
  assert.equal(q.state()[0]!.startOffset, bases2[2]);
  assert.equal(await q.committed('new-group', 't', 0), bases2[2]);
  // Fetching below the start begins at the start (auto.offset.reset=earliest).
  const got = await q.fetch('t', 0, 0);
  assert.equal(got[0]!.offset, bases2[2]);
  await q.commit('slow', 't', 0, end2);
  assert.deepEqual(await segmentFiles(dir, 't', 0), [files2.at(-1)], 'the active segment is never deleted');
  const bytes = (await fs.stat(path.join(dir, 't-0', files2.at(-1)!))).size;
  assert.equal(q.state()[0]!.bytes, bytes);
  await q.close();
});

test('retention waits for a fetch reading the segment', async () => {
  const dir = await tmpDir();
  const q = await openQueue({ dir, segmentBytes: 1024 });
  await q.createTopic('t', 1);
  for (let b = 0; b < 6; b++) await q.produce('t', 0, msgs(`b${b}`, 5, 30));
  const reading = q.fetch('t', 0, 0, { maxBytes: 100 });
  const commit = q.commit('g', 't', 0, q.state()[0]!.endOffset);
  const got = await reading;
  await commit;
  assert.equal(got[0]!.value.toString(), `b0-0${'.'.repeat(30)}`);
  await q.close();
  assert.equal((await segmentFiles(dir, 't', 0)).length, 1);
});

test('size bound: produce fails with LW_ERR_QUEUE_FULL, works again once consumed', async () => {
  const dir = await tmpDir();
  const q = await openQueue({ dir, maxBytes: 8000, segmentBytes: 2000 });
  await q.createTopic('t', 1);
  const batch = msgs('m', 10, 50); // about 10 * 100 bytes
  let accepted = 0;
  let full: LwError | null = null;
  while (full === null) {
    try {
      await q.produce('t', 0, batch);
      accepted++;
    } catch (err) {
      full = err as LwError;
    }
  }
  assert.equal(full.code, 'LW_ERR_QUEUE_FULL');
  assert.equal(full.status, 429);
  assert.ok(accepted >= 6, `${accepted} batches accepted`);
  const used = q.state()[0]!.bytes;
  assert.ok(used <= 8000);
  // Concurrent calls can't overshoot either: the bound counts pending bytes.
  const results = await Promise.allSettled(Array.from({ length: 5 }, () => q.produce('t', 0, batch)));
  assert.ok(results.every((r) => r.status === 'rejected'));
  await q.commit('g', 't', 0, q.state()[0]!.endOffset);
  assert.ok(q.state()[0]!.bytes < used);
  await q.produce('t', 0, batch);
  await q.close();
});

test('ENOSPC mid-write: the partial write is cut off, produce fails with LW_ERR_DISK_FULL, queue stays usable', async () => {
  const dir = await tmpDir();
  let failWrites = 0;
  let failSyncs = 0;
  const io: DiskIo = {
    async write(fh, buf, pos) {
      if (failWrites > 0) {
        failWrites--;
        await defaultIo.write(fh, buf.subarray(0, buf.length >> 1), pos); // half of it lands
        throw ioError('ENOSPC', 'no space left on device, write');
      }
      return defaultIo.write(fh, buf, pos);
    },
    async datasync(fh) {
      if (failSyncs > 0) {
        failSyncs--;
        throw ioError('ENOSPC', 'no space left on device, fdatasync');
      }
      return defaultIo.datasync(fh);
    },
  };
  const logger = capture();
  let q = await openQueue({ dir, io, logger });
  await q.createTopic('t', 1);
  await q.produce('t', 0, msgs('ok', 3));
  const sizeBefore = (await fs.stat(path.join(dir, 't-0', segmentFileName(0)))).size;

  failWrites = 1;
  const err = await rejectsWith(q.produce('t', 0, msgs('lost', 20, 100)), 'LW_ERR_DISK_FULL');
  assert.equal(err.status, 507);
  assert.equal((await fs.stat(path.join(dir, 't-0', segmentFileName(0)))).size, sizeBefore);
  assert.equal(q.state()[0]!.endOffset, 3);
  assert.equal(q.state()[0]!.bytes, sizeBefore);

  failSyncs = 1;
  await rejectsWith(q.produce('t', 0, msgs('lost2', 5)), 'LW_ERR_DISK_FULL');
  assert.equal((await fs.stat(path.join(dir, 't-0', segmentFileName(0)))).size, sizeBefore);

  // Offsets given back: no gap.
  assert.equal((await q.produce('t', 0, msgs('again', 2))).baseOffset, 3);
  // The offsets log handles ENOSPC the same way.
  failWrites = 1;
  await rejectsWith(q.commit('g', 't', 0, 2), 'LW_ERR_DISK_FULL');
  assert.equal(await q.committed('g', 't', 0), 0);
  await q.commit('g', 't', 0, 1);
  await q.close();

  q = await openQueue({ dir, logger });
  assert.equal(logger.warnings.length, 0, 'nothing to repair on reopen');
  assert.deepEqual(
    (await readAll(q, 't', 0)).map((m) => m.value.toString()),
    ['ok-0', 'ok-1', 'ok-2', 'again-0', 'again-1'],
  );
  assert.equal(await q.committed('g', 't', 0), 1);
  await q.close();
});

test('recovery truncates garbage, half records and incomplete batches at the tail', async () => {
  const dir = await tmpDir();
  let q = await openQueue({ dir });
  await q.createTopic('t', 1);
  await q.produce('t', 0, msgs('a', 5));
  await q.produce('t', 0, msgs('b', 3));
  await q.close();
  const file = path.join(dir, 't-0', segmentFileName(0));
  const good = await fs.readFile(file);

  const recordBytes = 37 + 'a-0'.length;
  assert.equal(good.length, 8 * recordBytes);
  const cases: Array<[string, Buffer, number]> = [
    ['random garbage', Buffer.concat([good, Buffer.from('garbage that is not a record at all!!')]), 8],
    ['zeros (a file extended but never written)', Buffer.concat([good, Buffer.alloc(4096)]), 8],
    ['half a record', good.subarray(0, good.length - 20), 5],
    ['three bytes', Buffer.concat([good, Buffer.from([1, 2, 3])]), 8],
    // Batch 'b' without its last record: the whole batch goes, not just the torn record.
    ['an incomplete batch', good.subarray(0, good.length - recordBytes), 5],
    ['a flipped bit in the last batch', flip(good, 7 * recordBytes - 2), 5],
  ];
  for (const [what, content, end] of cases) {
    await fs.writeFile(file, content);
    const logger = capture();
    q = await openQueue({ dir, logger });
    assert.equal(q.state()[0]!.endOffset, end, what);
    assert.equal(logger.warnings.length, 1, what);
    const w = logger.warnings[0]!;
    const kept = end * recordBytes;
    assert.equal(w.obj.truncatedBytes, content.length - kept, what);
    assert.match(w.msg, new RegExp(`truncating ${content.length - kept} bytes`), what);
    assert.equal((await fs.stat(file)).size, kept, what);
    assert.equal((await readAll(q, 't', 0)).length, end, what);
    assert.equal((await q.produce('t', 0, msgs('c', 1))).baseOffset, end, what);
    await q.close();
    await fs.writeFile(file, good);
  }
});

test('corruption inside a sealed segment is reported by fetch with file and position', async () => {
  const dir = await tmpDir();
  let q = await openQueue({ dir, segmentBytes: 1024 });
  await q.createTopic('t', 1);
  for (let b = 0; b < 8; b++) await q.produce('t', 0, msgs(`b${b}`, 5, 30));
  await q.close();
  const first = path.join(dir, 't-0', segmentFileName(0));
  const data = await fs.readFile(first);
  const recordSize = 37 + `b0-0${'.'.repeat(30)}`.length;
  data[2 * recordSize + 50] ^= 0xff; // inside the value of offset 2
  await fs.writeFile(first, data);

  const logger = capture();
  q = await openQueue({ dir, logger });
  assert.equal(logger.warnings.length, 0, 'sealed segments are not scanned on open');
  assert.equal((await q.fetch('t', 0, 0, { maxBytes: recordSize * 2 })).length, 2);
  // A fetch returns the good records before the corrupt one; the next fetch reports it.
  assert.deepEqual(
    (await q.fetch('t', 0, 1)).map((m) => m.offset),
    [1],
  );
  const err = await rejectsWith(q.fetch('t', 0, 2), 'LW_ERR_INTERNAL');
  assert.ok(err.message.includes(`${first} at byte ${2 * recordSize}: CRC mismatch`), err.message);
  assert.deepEqual(err.details, { file: first, position: 2 * recordSize });
  assert.equal((await q.fetch('t', 0, 3))[0]!.offset, 3);
  await q.close();
});

test('a second queue on the same directory is refused', async () => {
  const dir = await tmpDir();
  const q = await openQueue({ dir });
  await rejectsWith(openQueue({ dir }), 'LW_ERR_CONFIG');
  await q.close();
  const q2 = await openQueue({ dir });
  await q2.close();
});

test('close writes pending produce calls first, including ones lingering on flushIntervalMs', async () => {
  const dir = await tmpDir();
  let q = await openQueue({ dir, flushIntervalMs: 60_000 });
  await q.createTopic('t', 1);
  const pending = q.produce('t', 0, msgs('m', 4));
  await q.close();
  assert.deepEqual(await pending, { baseOffset: 0 });
  q = await openQueue({ dir });
  assert.equal((await readAll(q, 't', 0)).length, 4);
  await q.close();
});
