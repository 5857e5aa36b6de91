/**
 * Child process for the crash test (disk-queue-crash.test.ts), not a test itself: opens the
 * queue in `argv[2]`, and runs concurrent producers forever, printing one line per produce
 * call only after it resolved (was durable):
 *
 *   ACK <partition> <baseOffset> <count> <round> <producer> <seq>
 *
 * The parent SIGKILLs it mid-stream and checks that every acknowledged message is readable.
 * Message contents derive from (round, producer, seq, index) via `expectedMessage`, so the
 * parent can check them without any other channel. stdout is a pipe: writes are synchronous
 * on Linux, so a printed ACK is never lost with the process.
 */

import type { QueueMessage } from '../queue.ts';
import { DiskQueue } from './disk-queue.ts';

export const CRASH_TOPIC = 'crash';
export const CRASH_PARTITIONS = 3;
const PRODUCERS = 8;

/** Messages per produce call of (producer, seq): 1 to 40. */
export function batchLength(producer: number, seq: number): number {
  return 1 + ((producer * 31 + seq * 17) % 40);
}

export function expectedMessage(round: number, producer: number, seq: number, i: number): QueueMessage {
  const head = `r${round}-p${producer}-s${seq}-m${i}|`;
  return {
    key: i % 3 === 0 ? null : Buffer.from(`key-${producer}`),
    value: Buffer.from(head + 'x'.repeat((seq * 13 + i * 7) % 700)),
    timestamp: 1_700_000_000_000 + seq,
    headers: i % 5 === 0 ? { round: String(round), producer: String(producer) } : undefined,
  };
}

async function main(): Promise<void> {
  const dir = process.argv[2]!;
  const round = Number(process.argv[3]);
  const q = new DiskQueue({ dir, segmentBytes: 256 * 1024, maxBytes: 1024 ** 3 });
  await q.open();
  await q.createTopic(CRASH_TOPIC, CRASH_PARTITIONS);
  process.stdout.write('READY\n');
  await Promise.all(
    Array.from({ length: PRODUCERS }, async (_, producer) => {
      const partition = producer % CRASH_PARTITIONS;
      for (let seq = 0; ; seq++) {
        const n = batchLength(producer, seq);
        const batch = Array.from({ length: n }, (_, i) => expectedMessage(round, producer, seq, i));
        const { baseOffset } = await q.produce(CRASH_TOPIC, partition, batch);
        process.stdout.write(`ACK ${partition} ${baseOffset} ${n} ${round} ${producer} ${seq}\n`);
      }
    }),
  );
}

if (import.meta.main) await main();
