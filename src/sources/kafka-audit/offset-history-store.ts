/**
 * Keeps the topic audit's consumer-group offset history (group-offsets.ts) in the metadata store,
 * so that `GET /api/v1/kafka/trace` still answers after a restart. One document of kind
 * `kafka-audit-offsets` per history chunk (id: topic, partition, group and chunk number), written
 * after each sample that changed it; on close also the chunks whose latest sample time moved.
 *
 * After a crash the history may miss the last unsaved samples of a series: its recorded changes
 * are all there, but the "still not past" bound of the next change may be older than it could
 * have been (a wider, still correct, window between `not_yet_at` and `passed_at`).
 */
import type { MetaStore } from '../../store/meta/meta-store.ts';
import type { ChunkRef, GroupOffsetHistory, HistoryChunk } from './group-offsets.ts';

export const HISTORY_KIND = 'kafka-audit-offsets';

const idOf = (c: ChunkRef) => `${JSON.stringify([c.topic, c.partition, c.group])}#${c.seq}`;

function isChunk(d: unknown): d is HistoryChunk {
  const c = d as HistoryChunk;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.group === 'string' &&
    typeof c.topic === 'string' &&
    Number.isInteger(c.partition) &&
    Number.isInteger(c.seq) &&
    Array.isArray(c.samples)
  );
}

export class OffsetHistoryStore {
  private readonly meta: MetaStore;
  private saving: Promise<void> = Promise.resolve();

  constructor(meta: MetaStore) {
    this.meta = meta;
  }

  /** Loads every persisted chunk into `history`; returns how many documents were skipped as malformed. */
  async load(history: GroupOffsetHistory): Promise<number> {
    const chunks: HistoryChunk[] = [];
    let bad = 0;
    for (const r of await this.meta.list(HISTORY_KIND)) {
      if (isChunk(r.doc)) chunks.push(r.doc);
      else bad++;
    }
    history.restore(chunks);
    return bad;
  }

  /** Writes what changed in `history` since the last save (`all`: also latest-sample times). Saves run one at a time. */
  save(history: GroupOffsetHistory, all = false): Promise<void> {
    const { write, drop } = history.takeDirty(all);
    if (write.length === 0 && drop.length === 0) return this.saving;
    // A failed save must not stop later ones (the caller logs it; a chunk is rewritten whole on its next change).
    this.saving = this.saving
      .catch(() => undefined)
      .then(async () => {
        for (const c of write) await this.meta.put(HISTORY_KIND, idOf(c), c);
        for (const c of drop) await this.meta.delete(HISTORY_KIND, idOf(c));
      });
    return this.saving;
  }
}
