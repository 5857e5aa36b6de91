/**
 * History of the committed offsets of users' consumer groups, sampled by the Kafka topic audit,
 * and the trace question: was offset O of partition P consumed by group G, and when did the
 * group's committed offset pass it? A committed offset is the next offset the group will read,
 * so O is consumed once committed > O; the time is known to lie between the last sample at or
 * below O and the first sample above it.
 *
 * Per (group, topic, partition) only the samples where the offset changed are kept (plus the
 * sample just before each change, which bounds when it happened), in chunks of CHUNK samples so
 * that persisting the history (offset-history-store.ts) rewrites one small chunk per change, not
 * the whole series; beyond MAX_CHUNKS the oldest chunk is dropped. Chunks written or dropped
 * since the last `takeDirty` are reported by it; `restore` loads persisted chunks back.
 */

export interface TraceAnswer {
  group: string;
  consumed: boolean;
  /** The group's latest committed offset on the partition. */
  committed: number;
  /** First sample (ISO time) at which the committed offset was past the message; null if not yet. */
  passedAt: string | null;
  /** The sample before that (ISO time), or null when it was already past at the first sample. */
  notYetAt: string | null;
}

export interface Sample {
  t: number;
  offset: number;
}

/** A persisted piece of a series: `seq` orders the chunks of one (group, topic, partition). */
export interface HistoryChunk {
  group: string;
  topic: string;
  partition: number;
  seq: number;
  samples: Sample[];
  /** Time of the series' latest sample when the chunk was taken (meaningful on the last chunk). */
  lastSample: number | null;
}

/** Which chunk: enough to delete it. */
export type ChunkRef = Pick<HistoryChunk, 'group' | 'topic' | 'partition' | 'seq'>;

export const CHUNK = 500;
export const MAX_CHUNKS = 20;

interface Series {
  group: string;
  topic: string;
  partition: number;
  chunks: Array<{ seq: number; samples: Sample[] }>;
  lastSample: number | null;
  /** seqs of chunks changed since the last takeDirty. */
  dirty: Set<number>;
  /** lastSample moved without a change of the samples. */
  stale: boolean;
}

const keyOf = (group: string, topic: string, partition: number) => `${group}\u0000${topic}\u0000${partition}`;

export class GroupOffsetHistory {
  private readonly series = new Map<string, Series>();
  /** Chunks dropped (beyond MAX_CHUNKS) since the last takeDirty. */
  private dropped: ChunkRef[] = [];

  private get(group: string, topic: string, partition: number): Series {
    const k = keyOf(group, topic, partition);
    let s = this.series.get(k);
    if (!s) {
      s = { group, topic, partition, chunks: [], lastSample: null, dirty: new Set(), stale: false };
      this.series.set(k, s);
    }
    return s;
  }

  private append(s: Series, sample: Sample): void {
    let last = s.chunks[s.chunks.length - 1];
    if (!last || last.samples.length >= CHUNK) {
      last = { seq: last ? last.seq + 1 : 0, samples: [] };
      s.chunks.push(last);
      if (s.chunks.length > MAX_CHUNKS) {
        const old = s.chunks.shift()!;
        s.dirty.delete(old.seq);
        this.dropped.push({ group: s.group, topic: s.topic, partition: s.partition, seq: old.seq });
      }
    }
    last.samples.push(sample);
    s.dirty.add(last.seq);
  }

  record(group: string, topic: string, partition: number, offset: number, t: number): void {
    const s = this.get(group, topic, partition);
    const chunk = s.chunks[s.chunks.length - 1];
    const last = chunk?.samples[chunk.samples.length - 1];
    if (!last || last.offset !== offset) {
      // Keep the sample before the change too: it bounds when the change happened.
      if (last && s.lastSample !== null && s.lastSample !== last.t)
        this.append(s, { t: s.lastSample, offset: last.offset });
      this.append(s, { t, offset });
    } else {
      s.stale = true;
    }
    s.lastSample = t;
  }

  /** Loads persisted chunks (any order) into an empty history. */
  restore(chunks: HistoryChunk[]): void {
    const sorted = [...chunks].sort((a, b) => a.seq - b.seq);
    for (const c of sorted) {
      const s = this.get(c.group, c.topic, c.partition);
      s.chunks.push({ seq: c.seq, samples: c.samples });
      if (c.lastSample !== null) s.lastSample = Math.max(s.lastSample ?? 0, c.lastSample);
    }
  }

  /**
   * Chunks to write (changed since the last call; with `all`, also the last chunk of a series
   * whose latest sample time moved) and chunks to delete.
   */
  takeDirty(all: boolean): { write: HistoryChunk[]; drop: ChunkRef[] } {
    const write: HistoryChunk[] = [];
    for (const s of this.series.values()) {
      if (all && s.stale && s.chunks.length > 0) s.dirty.add(s.chunks[s.chunks.length - 1].seq);
      for (const c of s.chunks) {
        if (!s.dirty.has(c.seq)) continue;
        write.push({
          group: s.group,
          topic: s.topic,
          partition: s.partition,
          seq: c.seq,
          samples: [...c.samples],
          lastSample: s.lastSample,
        });
      }
      s.dirty.clear();
      if (all) s.stale = false;
    }
    const drop = this.dropped;
    this.dropped = [];
    return { write, drop };
  }

  /** Groups with samples on this partition. */
  groups(topic: string, partition: number): string[] {
    const out: string[] = [];
    for (const s of this.series.values())
      if (s.topic === topic && s.partition === partition) out.push(s.group);
    return out.sort();
  }

  trace(group: string, topic: string, partition: number, offset: number): TraceAnswer | null {
    const s = this.series.get(keyOf(group, topic, partition));
    const list = s ? s.chunks.flatMap((c) => c.samples) : [];
    if (list.length === 0) return null;
    const committed = list[list.length - 1].offset;
    const i = list.findIndex((x) => x.offset > offset);
    if (i < 0) return { group, consumed: false, committed, passedAt: null, notYetAt: null };
    return {
      group,
      consumed: true,
      committed,
      passedAt: new Date(list[i].t).toISOString(),
      notYetAt: i > 0 ? new Date(list[i - 1].t).toISOString() : null,
    };
  }
}
