/**
 * The live-tail hub: the indexer hands it every batch once the store has it (`publish`, called
 * after `store.write` resolved, in storage order), and it gives each subscriber the events that
 * match its filter, in that order.
 *
 * Cost: with no subscriber `publish` returns at once; otherwise each row is turned into an event
 * once (shared by all subscribers) and every subscriber's compiled matcher runs on it. A
 * subscriber is a bounded queue: `publish` never waits for a client. When a client's queue is full
 * the new matches are counted as dropped instead, and the client learns the count with its next
 * delivery (`take`). So a slow or stuck client can neither block the indexer nor grow memory.
 */
import type { FieldValue, LogEvent } from '../core/event.ts';
import type { EventBatch } from '../core/event-batch.ts';
import { qposToId } from '../core/ids.ts';
import { formatTimestamp } from '../core/time.ts';
import type { EventMatcher } from '../query/match.ts';

/** One subscriber's queue. The owner drains it with `take` when `onReady` fires. */
export class TailSubscription {
  readonly matcher: EventMatcher;
  private readonly capacity: number;
  private queue: LogEvent[] = [];
  private dropped = 0;
  /** Called (synchronously, inside `publish`) when events or drops arrive on an empty queue. */
  onReady: () => void = () => undefined;
  closed = false;

  constructor(matcher: EventMatcher, capacity: number) {
    this.matcher = matcher;
    this.capacity = capacity;
  }

  /** Queues an event; false when the queue is full and the event was dropped (and counted). */
  offer(ev: LogEvent): boolean {
    const wasEmpty = this.queue.length === 0 && this.dropped === 0;
    const fits = this.queue.length < this.capacity;
    if (fits) this.queue.push(ev);
    else this.dropped++;
    if (wasEmpty) this.onReady();
    return fits;
  }

  /** Everything queued, and the number of events dropped since the last `take`. */
  take(): { events: LogEvent[]; dropped: number } {
    const out = { events: this.queue, dropped: this.dropped };
    this.queue = [];
    this.dropped = 0;
    return out;
  }
}

/** Row `i` of a stored batch as an event (`_id` from its queue position). */
export function eventOfRow(b: EventBatch, i: number): LogEvent {
  const fields: Record<string, FieldValue> = {};
  for (let j = b.fstart[i]; j < b.fstart[i + 1]; j++) fields[b.fkeys[j]] = b.fvals[j];
  return {
    _id: qposToId(b.qpos[i]),
    _time: b.time[i],
    _ingest_time: b.ingest[i],
    stream: b.stream[i],
    message: b.message[i],
    level: b.level[i] as LogEvent['level'],
    host: b.host[i],
    service: b.service[i],
    fields,
  };
}

/**
 * An event in the search API's shape: RFC 3339 times with microseconds, fixed fields first,
 * empty `level` / `host` / `service` left out, then the dynamic fields.
 */
export function toOutputEvent(ev: LogEvent): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {
    _id: ev._id,
    _time: formatTimestamp(ev._time),
    _ingest_time: formatTimestamp(ev._ingest_time),
    stream: ev.stream,
    message: ev.message,
  };
  if (ev.level !== '') out.level = ev.level;
  if (ev.host !== '') out.host = ev.host;
  if (ev.service !== '') out.service = ev.service;
  for (const k in ev.fields) out[k] = ev.fields[k];
  return out;
}

export class TailHub {
  private readonly subs = new Set<TailSubscription>();
  /** Events queued for subscribers, and events dropped because a client read too slowly. */
  readonly stats = { queued: 0, dropped: 0 };

  get size(): number {
    return this.subs.size;
  }

  subscribe(matcher: EventMatcher, capacity: number): TailSubscription {
    const s = new TailSubscription(matcher, capacity);
    this.subs.add(s);
    return s;
  }

  unsubscribe(s: TailSubscription): void {
    s.closed = true;
    this.subs.delete(s);
  }

  /** Hands the rows of a stored batch to the matching subscribers. Never throws, never waits. */
  publish(b: EventBatch): void {
    if (this.subs.size === 0 || b.n === 0) return;
    const subs = [...this.subs];
    for (let i = 0; i < b.n; i++) {
      const ev = eventOfRow(b, i);
      for (const s of subs) {
        if (!s.matcher(ev)) continue;
        if (s.offer(ev)) this.stats.queued++;
        else this.stats.dropped++;
      }
    }
  }
}
