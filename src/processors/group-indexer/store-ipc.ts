/**
 * The store across a process boundary, for consumer processes of the indexer role: only one
 * process may open the embedded store (a DuckDB file), so consumer processes fetch and parse,
 * and hand their batches to the store owner (the supervisor) over the IPC channel of
 * child_process.fork (advanced serialization: typed arrays cross as bytes).
 *
 * Contract: `RemoteStore.write` resolves when the owner's store has the rows (durable and
 * searchable), which is when the consumer may commit its Kafka offsets. The owner applies writes
 * in the order they arrive; each consumer sends a partition's batches in offset order, and the
 * store skips rows at or below its watermark, so a partition that moved to another consumer in
 * a rebalance is never stored twice. Watermarks (`nextOffset`) are fetched with `load` before a
 * consumer starts on its partitions and refreshed by every write answer.
 */
import type { ChildProcess } from 'node:child_process';
import type { EventBatch } from '../../core/event-batch.ts';
import { fromQpos } from '../../core/ids.ts';
import type { Store } from '../../store/store.ts';

type Request =
  | { t: 'store:load'; id: number; topic: string; partitions: number[] }
  | { t: 'store:write'; id: number; topic: string; batch: EventBatch };
type Reply = {
  t: 'store:reply';
  id: number;
  error?: string;
  result?: { written: number; skipped: number };
  watermarks: Array<[number, number]>;
};

/**
 * Owner side: answers a consumer process's load and write requests with `store`; `onStored`
 * sees each batch once the store has it (live tail).
 */
export function serveStore(child: ChildProcess, store: Store, onStored?: (batch: EventBatch) => void): void {
  child.on('message', (m: Request) => {
    if (m?.t !== 'store:load' && m?.t !== 'store:write') return;
    const marks = (topic: string, parts: Iterable<number>): Array<[number, number]> =>
      [...parts].map((p) => [p, store.nextOffset(topic, p)]);
    const reply = (r: Reply) => {
      if (child.connected) child.send(r);
    };
    if (m.t === 'store:load') {
      reply({ t: 'store:reply', id: m.id, watermarks: marks(m.topic, m.partitions) });
      return;
    }
    const parts = new Set<number>();
    for (let i = 0; i < m.batch.n; i++) parts.add(fromQpos(m.batch.qpos[i]).partition);
    store.write(m.topic, m.batch).then(
      (result) => {
        onStored?.(m.batch);
        reply({ t: 'store:reply', id: m.id, result, watermarks: marks(m.topic, parts) });
      },
      (err) => reply({ t: 'store:reply', id: m.id, error: String(err), watermarks: marks(m.topic, parts) }),
    );
  });
}

/** Consumer side: the part of the Store interface the indexer uses, served by the owner. */
export class RemoteStore implements Pick<Store, 'write' | 'nextOffset'> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private readonly marks = new Map<string, number>();

  constructor() {
    if (!process.send) throw new Error('BUG: RemoteStore outside a forked process');
    process.on('message', (m: Reply) => {
      if (m?.t !== 'store:reply') return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      p.resolve(m);
    });
    process.on('disconnect', () => {
      for (const p of this.pending.values()) p.reject(new Error('store owner went away'));
      this.pending.clear();
    });
  }

  private call(req: Request): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject });
      process.send!(req);
    });
  }

  private note(topic: string, r: Reply): void {
    for (const [p, next] of r.watermarks) this.marks.set(`${topic}\u0000${p}`, next);
  }

  /** Fetches the owner's watermarks of `partitions` (before consuming them). */
  async load(topic: string, partitions: number[]): Promise<void> {
    this.note(topic, await this.call({ t: 'store:load', id: this.nextId++, topic, partitions }));
  }

  nextOffset(topic: string, partition: number): number {
    return this.marks.get(`${topic}\u0000${partition}`) ?? 0;
  }

  async write(topic: string, batch: EventBatch): Promise<{ written: number; skipped: number }> {
    const r = await this.call({ t: 'store:write', id: this.nextId++, topic, batch });
    this.note(topic, r);
    if (r.error !== undefined) throw new Error(`store write failed in the store owner: ${r.error}`);
    return r.result!;
  }
}
