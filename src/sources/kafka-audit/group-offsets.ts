/**
 * History of the committed offsets of users' consumer groups, sampled by the Kafka topic audit,
 * and the trace question: was offset O of partition P consumed by group G, and when did the
 * group's committed offset pass it? A committed offset is the next offset the group will read,
 * so O is consumed once committed > O; the time is known to lie between the last sample at or
 * below O and the first sample above it.
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

const MAX_CHANGES = 10_000;

export class GroupOffsetHistory {
  /** group \0 topic \0 partition -> samples where the committed offset changed (first kept). */
  private readonly changes = new Map<string, Array<{ t: number; offset: number }>>();
  /** The time of the latest sample per key (a change list only grows on changes). */
  private readonly lastSample = new Map<string, number>();

  record(group: string, topic: string, partition: number, offset: number, t: number): void {
    const k = `${group}\u0000${topic}\u0000${partition}`;
    let list = this.changes.get(k);
    if (!list) {
      list = [];
      this.changes.set(k, list);
    }
    const last = list[list.length - 1];
    if (!last || last.offset !== offset) {
      // Keep the sample before the change too: it bounds when the change happened.
      const prevT = this.lastSample.get(k);
      if (last && prevT !== undefined && prevT !== last.t) list.push({ t: prevT, offset: last.offset });
      list.push({ t, offset });
      if (list.length > MAX_CHANGES) list.splice(0, list.length - MAX_CHANGES);
    }
    this.lastSample.set(k, t);
  }

  /** Groups with samples on this partition. */
  groups(topic: string, partition: number): string[] {
    const out: string[] = [];
    for (const k of this.changes.keys()) {
      const [g, t, p] = k.split('\u0000');
      if (t === topic && Number(p) === partition) out.push(g);
    }
    return out.sort();
  }

  trace(group: string, topic: string, partition: number, offset: number): TraceAnswer | null {
    const list = this.changes.get(`${group}\u0000${topic}\u0000${partition}`);
    if (!list || list.length === 0) return null;
    const committed = list[list.length - 1].offset;
    const i = list.findIndex((s) => s.offset > offset);
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
