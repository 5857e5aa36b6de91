/**
 * The store interface. Two implementations: embedded DuckDB (duckdb/) and, later, OpenSearch.
 *
 * Contract:
 * - `write` is idempotent per queue position: rows at or below the stored watermark of their
 *   (topic, partition) are skipped, so a replay after a crash never duplicates. It resolves when
 *   the rows are durable and searchable; only then may the consumer commit its queue offsets.
 * - `search` evaluates a parsed filter (src/core/query-ast.ts) over a time range and returns
 *   the exact number of matches and the newest (or oldest) `limit` events.
 * - Errors for bad queries (e.g. an invalid regex) are LwError with status 400.
 */
import type { EventBatch } from '../core/event-batch.ts';
import type { Pipe, TimechartPipe } from '../core/pipe-ast.ts';
import type { FilterNode } from '../core/query-ast.ts';

export interface SearchRequest {
  filter: FilterNode;
  /** Epoch microseconds, inclusive; null = from the beginning. */
  start: number | null;
  /** Epoch microseconds, exclusive; null = no end. */
  end: number | null;
  limit: number;
  order: 'asc' | 'desc';
}

export type OutputEvent = Record<string, string | number | boolean | null>;

export interface SearchResult {
  events: OutputEvent[];
  total: number;
  /**
   * How much the skip index pruned: blocks considered vs blocks scanned, and of those, how many
   * were counted from their message templates instead of scanning their rows for `total`.
   */
  stats: { partitions: number; blocks: number; blocksScanned: number; blocksCounted: number };
}

/** A query with pipes (src/core/pipe-ast.ts) over the matching events. */
export interface PipelineRequest {
  filter: FilterNode;
  start: number | null;
  end: number | null;
  pipes: Pipe[];
  /** Most rows (or events) returned. */
  limit: number;
  /** IANA time zone for time buckets; null = UTC. */
  tz: string | null;
  /** The current time, epoch µs (rate() over an open range). */
  nowUs: number;
}

export type ResultType = 'string' | 'number' | 'boolean' | 'time' | 'list';

export interface ResultColumn {
  name: string;
  type: ResultType;
}

/** Timechart data before pivoting: every bucket of the range, the kept series, their values. */
export interface TimechartData {
  pipe: TimechartPipe;
  stepUs: number;
  /** Bucket starts, epoch µs, ascending. */
  buckets: number[];
  /** Series values, largest first (by the first aggregate); `[null]` without `by`. */
  series: Array<string | null>;
  /** values[s][b]: the aggregates of series s in bucket b. */
  values: unknown[][][];
  /** Series left out beyond the limit. */
  truncated: number;
  /** The type of each aggregate's values. */
  types: ResultType[];
}

export type PipelineResult =
  | { kind: 'events'; events: OutputEvent[]; total: number; warnings: string[] }
  | {
      kind: 'table';
      columns: ResultColumn[];
      rows: unknown[][];
      /** Rows before the limit. */
      total: number;
      warnings: string[];
      /** Columns computed by approximate functions. */
      approximate: string[];
    }
  | { kind: 'timechart'; data: TimechartData; warnings: string[]; approximate: string[] };

/** Fields present in the matching events: `count` events have a non-empty value. */
export interface FieldStats {
  total: number;
  fields: Array<{ name: string; types: string[]; count: number }>;
  /** Set when the counts were estimated from a sample of the matching events. */
  sample: { rows: number; percent: number } | null;
}

export interface StoreStats {
  partitions: number;
  rows: number;
  blocks: number;
  bytesOnDisk: number;
}

/** Which events retention removes: those whose `_time` is before their stream's cutoff. */
export interface RetentionPolicy {
  /** Epoch µs per stream name; streams not listed use `defaultCutoffUs`. */
  streams: Record<string, number>;
  /** Cutoff of every other stream, epoch µs; null keeps their events. */
  defaultCutoffUs: number | null;
}

export interface RetentionResult {
  /** Partitions removed whole (every event expired). */
  dropped: string[];
  /** Partitions rewritten without their expired events. */
  rewritten: Array<{ partition: string; removed: number; kept: number }>;
}

export interface Store {
  open(): Promise<void>;
  write(topic: string, batch: EventBatch): Promise<{ written: number; skipped: number }>;
  /** The next offset the store expects from a partition (0 when it has none). */
  nextOffset(topic: string, partition: number): number;
  search(req: SearchRequest): Promise<SearchResult>;
  /** Counts per time bucket (aligned to multiples of `stepUs` since the epoch), optionally by a field's values. */
  histogram(
    filter: FilterNode,
    start: number | null,
    end: number | null,
    stepUs: number,
    by: string | null,
  ): Promise<Array<{ t: number; value: string | number | boolean | null; count: number }>>;
  /** The most frequent values of a field among the matching events; `total` counts all matches. */
  topValues(
    filter: FilterNode,
    start: number | null,
    end: number | null,
    field: string,
    limit: number,
  ): Promise<{ total: number; values: Array<{ value: string | number | boolean | null; count: number }> }>;
  /** The fields of the matching events, with their types and coverage (facets sidebar). */
  fieldStats(filter: FilterNode, start: number | null, end: number | null): Promise<FieldStats>;
  /** Runs a query with pipes; the store computes aggregations itself (SQL), not row by row. */
  query(req: PipelineRequest): Promise<PipelineResult>;
  stats(): Promise<StoreStats>;
  /**
   * Retention: removes every event whose `_time` is before its stream's cutoff (see
   * RetentionPolicy). Partitions left empty are dropped; others are rewritten without the
   * expired events, atomically (searches see the old or the new partition, never a mix).
   */
  applyRetention(policy: RetentionPolicy): Promise<RetentionResult>;
  close(): Promise<void>;
}
