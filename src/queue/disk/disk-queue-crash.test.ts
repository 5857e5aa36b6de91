import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { StoredMessage } from '../queue.ts';
import { CRASH_PARTITIONS, CRASH_TOPIC, expectedMessage } from './crash-child.test-helper.ts';
import type { QueueLogger } from './disk-io.ts';
import { DiskQueue } from './disk-queue.ts';

const HELPER = fileURLToPath(new URL('./crash-child.test-helper.ts', import.meta.url));

interface Ack {
  partition: number;
  baseOffset: number;
  count: number;
  round: number;
  producer: number;
  seq: number;
}

/** Runs the child until it has acknowledged `acks` produce calls, then SIGKILLs it. */
function runAndKill(dir: string, round: number, acks: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HELPER, dir, String(round)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Ack[] = [];
    let rest = '';
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      const lines = (rest + d.toString()).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('ACK ')) continue;
        const [partition, baseOffset, count, r, producer, seq] = line.slice(4).split(' ').map(Number);
        out.push({
          partition: partition!,
          baseOffset: baseOffset!,
          count: count!,
          round: r!,
          producer: producer!,
          seq: seq!,
        });
      }
      if (!killed && out.length >= acks) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      // An ACK line split across the kill is incomplete: it is not counted (rest is dropped).
      if (signal === 'SIGKILL') resolve(out);
      else reject(new Error(`crash child exited with ${code}/${signal}: ${stderr}`));
    });
  });
}

test('SIGKILL mid-stream: every acknowledged message survives and the log continues', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lw-disk-queue-crash-'));
  try {
    const acked: Ack[] = [];
    for (let round = 0; round < 3; round++) {
      acked.push(...(await runAndKill(dir, round, 300 + round * 200)));

      const warnings: string[] = [];
      const logger: QueueLogger = {
        warn: (_o, msg) => warnings.push(msg),
        error: (_o, msg) => warnings.push(msg),
      };
      const q = new DiskQueue({ dir, segmentBytes: 256 * 1024, logger });
      await q.open();
      assert.equal(q.partitionCount(CRASH_TOPIC), CRASH_PARTITIONS);
      for (const w of warnings) assert.match(w, /^truncating \d+ bytes of a torn or corrupt tail/);

      // The whole log reads back dense, every record's CRC checked by fetch.
      const logs: StoredMessage[][] = [];
      for (let p = 0; p < CRASH_PARTITIONS; p++) {
        const all: StoredMessage[] = [];
        let offset = 0;
        for (;;) {
          const got = await q.fetch(CRASH_TOPIC, p, offset, { maxBytes: 256 * 1024 });
          if (got.length === 0) break;
          all.push(...got);
          offset = got.at(-1)!.offset + 1;
        }
        assert.equal(all.length, q.state()[p]!.endOffset);
        all.forEach((m, i) => {
          assert.equal(m.offset, i);
        });
        logs.push(all);
      }

      // Every acknowledged produce call is there, whole, with its content.
      for (const a of acked) {
        const log = logs[a.partition]!;
        for (let i = 0; i < a.count; i++) {
          const m = log[a.baseOffset + i];
          assert.ok(m !== undefined, `acked offset ${a.partition}/${a.baseOffset + i} is missing`);
          const want = expectedMessage(a.round, a.producer, a.seq, i);
          assert.deepEqual(m.value, want.value);
          assert.deepEqual(m.key, want.key);
          assert.equal(m.timestamp, want.timestamp);
          assert.deepEqual(m.headers, want.headers ?? {});
        }
      }

      // Appending continues right after the recovered end.
      for (let p = 0; p < CRASH_PARTITIONS; p++) {
        const end = q.state()[p]!.endOffset;
        const { baseOffset } = await q.produce(CRASH_TOPIC, p, [{ value: Buffer.from(`after-${round}`) }]);
        assert.equal(baseOffset, end);
        assert.equal((await q.fetch(CRASH_TOPIC, p, end))[0]!.value.toString(), `after-${round}`);
      }
      await q.close();
    }
    assert.ok(acked.length >= 1000);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
