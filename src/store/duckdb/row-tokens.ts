/**
 * The skip-index tokens of rows already stored in a partition table, recomputed from the table:
 * exactly the tokens ingest indexes (src/processors/event-tokens.ts): `message`, `host`,
 * `service`, every string field stored as its own column, and the string values of the fields
 * that overflowed into the `_extra` JSON column. Used to rebuild the open block at startup and
 * the blocks of a partition rewritten by retention (rewrite.ts).
 *
 * Rows are read in chunks (DuckDB's streaming result), so a large table is never held in memory
 * at once and the event loop gets a turn between chunks.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { type HashSink, tokenHashes } from '../../core/tokenize.ts';
import type { ColumnType } from './compile.ts';
import { sqlIdent } from './sql.ts';

/** String columns that are not indexed: the stream name and level are matched exactly. */
const NOT_INDEXED = new Set(['stream', 'level', '_extra']);

/**
 * Calls `sinkFor(timeUs, message)` for every row of `SELECT ... FROM <from>` (`from` is a table
 * name followed by any WHERE / ORDER BY clause, e.g. `"ev_20261101" WHERE rowid >= 8192`), in the
 * query's order, and adds the row's token hashes to the sink it returns. Returns the row count.
 */
export async function scanRowTokens(
  conn: DuckDBConnection,
  from: string,
  columns: ReadonlyMap<string, ColumnType>,
  sinkFor: (timeUs: number, message: string | null) => HashSink,
): Promise<number> {
  const text = [...columns]
    .filter(([n, t]) => t === 'VARCHAR' && !NOT_INDEXED.has(n) && n !== 'message')
    .map(([n]) => sqlIdent(n));
  const result = await conn.stream(
    `SELECT epoch_us(_time), _extra, ${['message', ...text].join(', ')} FROM ${from}`,
  );
  let rows = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    for (const row of chunk.getRows()) {
      const sink = sinkFor(Number(row[0]), row[2] as string | null);
      for (let i = 2; i < row.length; i++) {
        const v = row[i];
        if (typeof v === 'string' && v !== '') tokenHashes(v, sink);
      }
      if (typeof row[1] === 'string') {
        const extra = JSON.parse(row[1]) as Record<string, unknown>;
        for (const k in extra) {
          const v = extra[k];
          if (typeof v === 'string' && v !== '') tokenHashes(v, sink);
        }
      }
      rows++;
    }
  }
  return rows;
}
