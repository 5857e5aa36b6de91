/**
 * Per-minute event counts by stream and level (`_lw_rollup`), kept in the same transaction as
 * the rows they count, so that the histogram every search page opens with ("all events over the
 * last day, by level") reads a few thousand counts instead of scanning every row.
 *
 * Rows are insert-only (each write adds the counts of its own rows; a query sums); retention's
 * rewrite recounts a partition from the rows it keeps, a drop deletes its counts, and opening a
 * store whose partitions have no counts yet (made before this table existed) counts them once.
 *
 * A histogram can use them when its buckets are whole minutes and its filter only looks at
 * `stream` and `level` (the match-all query, a user's stream restriction, `level:error`), split
 * by nothing, `level` or `stream`. The whole minutes of the range come from here; the partial
 * minutes at either end, if any, from the rows.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { FilterNode } from '../../core/query-ast.ts';
import { compileFilter, type TableSchema } from './compile.ts';
import { sqlFloorDiv, sqlIdent, sqlString } from './sql.ts';

export const MINUTE_US = 60_000_000;

export const ROLLUP_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS _lw_rollup (part VARCHAR, minute BIGINT, stream VARCHAR, level VARCHAR, n BIGINT)';

const ROLLUP_FIELDS = new Set(['stream', 'level']);
const ROLLUP_SCHEMA: TableSchema = {
  columns: new Map([
    ['stream', 'VARCHAR'],
    ['level', 'VARCHAR'],
  ]),
  overflow: new Set(),
};

/**
 * Counts of one write, keyed by minute, stream and level. Consecutive rows mostly share the key
 * (rows arrive in time order), so a run is counted before it reaches the map: no key string per row.
 */
export class RollupCounts {
  private readonly counts = new Map<string, number>();
  private minute = Number.NaN;
  private stream = '';
  private level = '';
  private run = 0;

  add(timeUs: number, stream: string, level: string): void {
    const minute = Math.floor(timeUs / MINUTE_US);
    if (minute === this.minute && stream === this.stream && level === this.level) {
      this.run++;
      return;
    }
    this.endRun();
    this.minute = minute;
    this.stream = stream;
    this.level = level;
    this.run = 1;
  }

  private endRun(): void {
    if (this.run === 0) return;
    const k = `${this.minute}\u0000${this.stream}\u0000${this.level}`;
    this.counts.set(k, (this.counts.get(k) ?? 0) + this.run);
    this.run = 0;
  }

  /** Inserts the counts as rows of partition `part` (inside the caller's transaction). */
  async insert(w: DuckDBConnection, part: string): Promise<void> {
    this.endRun();
    if (this.counts.size === 0) return;
    const values: string[] = [];
    for (const [k, n] of this.counts) {
      const [minute, stream, level] = k.split('\u0000');
      values.push(
        `(${sqlString(part)}, ${minute}, ${sqlString(stream)}, ${level === '' ? 'NULL' : sqlString(level)}, ${n})`,
      );
    }
    await w.run(`INSERT INTO _lw_rollup VALUES ${values.join(', ')}`);
  }
}

/** Recounts a partition from its table (inside the caller's transaction). */
export async function recountPartition(w: DuckDBConnection, part: string, table = part): Promise<void> {
  await w.run(`DELETE FROM _lw_rollup WHERE part = ${sqlString(part)}`);
  await w.run(`INSERT INTO _lw_rollup SELECT ${sqlString(part)}, ${sqlFloorDiv('epoch_us(_time)', MINUTE_US)}, stream,
    level, count(*) FROM ${sqlIdent(table)} GROUP BY ALL`);
}

/** Whether a filter only looks at `stream` and `level`, so that the counts can answer it. */
export function rollupCanFilter(node: FilterNode): boolean {
  switch (node.type) {
    case 'all':
      return true;
    case 'and':
    case 'or':
      return node.children.every(rollupCanFilter);
    case 'not':
      return rollupCanFilter(node.child);
    default:
      return 'field' in node && typeof node.field === 'string' && ROLLUP_FIELDS.has(node.field);
  }
}

/**
 * Bucketed counts from the rollup for the whole minutes [startMin, endMin) (minute numbers) of
 * partitions `parts`; `by` is null, 'level' or 'stream'. The filter must pass `rollupCanFilter`.
 */
export async function rollupHistogram(
  conn: DuckDBConnection,
  parts: string[],
  filter: FilterNode,
  startMin: number,
  endMin: number,
  stepMin: number,
  by: 'level' | 'stream' | null,
): Promise<Array<{ b: number; v: string | null; c: number }>> {
  if (parts.length === 0 || startMin >= endMin) return [];
  const f = compileFilter(filter, ROLLUP_SCHEMA);
  if (f === 'false') return [];
  const where = [
    `part IN (${parts.map(sqlString).join(', ')})`,
    `minute >= ${startMin}`,
    `minute < ${endMin}`,
    ...(f === 'true' ? [] : [f]),
  ];
  const rows = (
    await conn.runAndReadAll(
      `SELECT ${sqlFloorDiv('minute', stepMin)} AS b, ${by === null ? 'NULL' : by} AS v, sum(n) AS c FROM _lw_rollup
       WHERE ${where.join(' AND ')} GROUP BY ALL`,
    )
  ).getRows();
  return rows.map(([b, v, c]) => ({ b: Number(b), v: v === null ? null : String(v), c: Number(c) }));
}
