/**
 * Event ids derived from the queue position, so that a replay after a crash produces the same
 * ids (and the store can skip what it already has) instead of duplicates.
 *
 * qpos = partition * 2^40 + offset: exact in a double for partitions < 8192 and offsets < 2^40.
 * The printed `_id` is 16 lowercase hex digits of qpos.
 */
import { bug } from './errors.ts';

const SHIFT = 2 ** 40;

export function toQpos(partition: number, offset: number): number {
  if (partition < 0 || partition >= 8192 || offset < 0 || offset >= SHIFT) {
    bug(`queue position out of range: partition ${partition} offset ${offset}`);
  }
  return partition * SHIFT + offset;
}

export function fromQpos(qpos: number): { partition: number; offset: number } {
  const partition = Math.floor(qpos / SHIFT);
  return { partition, offset: qpos - partition * SHIFT };
}

export function qposToId(qpos: number): string {
  return qpos.toString(16).padStart(16, '0');
}

/** Parses an `_id`; returns null when it isn't one of ours. */
export function idToQpos(id: string): number | null {
  if (!/^[0-9a-f]{16}$/.test(id)) return null;
  const v = Number.parseInt(id, 16);
  return Number.isSafeInteger(v) ? v : null;
}
