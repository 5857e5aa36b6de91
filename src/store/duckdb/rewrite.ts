/**
 * Retention inside a day partition of the embedded store, without breaking its skip index.
 *
 * The skip index addresses blocks by rowid range, and DuckDB renumbers rowids once deleted rows
 * are checkpointed away, so rows are never deleted in place. Instead, in ONE DuckDB transaction:
 * the kept rows are copied in their old order into a new table (its rowids are 0..n-1 in that
 * order once committed), its blocks (`blockRows` rows each; the remainder is the open block,
 * rebuilt from its rows when the partition is loaded), their Bloom filters and template counts
 * (templates.ts, with a new template dictionary) are rebuilt from the kept rows' tokens (row-tokens.ts, the tokens ingest indexes), the old table is dropped and
 * the new one renamed to its name, and the partition's metadata rows are replaced. A partition
 * whose every row expired is simply dropped. DuckDB commits a transaction atomically through
 * its WAL, so a crash (kill -9) at any point leaves either the old partition with its old index
 * or the new one with its new index.
 *
 * Contract: the caller holds the store's write exclusivity (no other write transaction is
 * open) and passes a connection without an open transaction. `stageRetention` leaves its
 * transaction open for the caller to COMMIT (while searches are held off, so that none plans
 * with the old rowid ranges and reads the new table), and rolls it back itself on error.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { RetentionPolicy } from '../store.ts';
import { BloomBuilder } from './bloom.ts';
import { columnDefSql } from './column-ddl.ts';
import type { BloomFile } from './bloom-file.ts';
import { messageTemplate } from '../../core/template.ts';
import {
  type BlockMeta,
  deleteMetadata,
  insertBlocks,
  insertTemplates,
  type NewTemplate,
  Partition,
} from './partition.ts';
import { recountPartition } from './rollup.ts';
import { scanRowTokens } from './row-tokens.ts';
import { sqlIdent, sqlNumber, sqlString, sqlTime } from './sql.ts';

/** A policy as SQL: `sql` is true for an expired row; no row at or after `maxCutoffUs` is. */
export interface Expiry {
  sql: string;
  maxCutoffUs: number;
}

/** The SQL condition of a policy's expired rows; null when the policy expires nothing. */
export function expiryOf(policy: RetentionPolicy): Expiry | null {
  const cutoffs = Object.values(policy.streams);
  if (policy.defaultCutoffUs !== null) cutoffs.push(policy.defaultCutoffUs);
  if (cutoffs.length === 0) return null;
  const maxCutoffUs = Math.max(...cutoffs);
  const otherwise = policy.defaultCutoffUs === null ? 'false' : `_time < ${sqlTime(policy.defaultCutoffUs)}`;
  const arms = Object.entries(policy.streams).map(
    ([stream, cutoff]) => `WHEN ${sqlString(stream)} THEN _time < ${sqlTime(cutoff)}`,
  );
  const byStream = arms.length > 0 ? `CASE stream ${arms.join(' ')} ELSE ${otherwise} END` : otherwise;
  // The plain time bound first: DuckDB skips row groups by their _time zone maps.
  return { sql: `(_time < ${sqlTime(maxCutoffUs)} AND ${byStream})`, maxCutoffUs };
}

export type Staged =
  | { kind: 'drop'; removed: number }
  | { kind: 'rewrite'; removed: number; kept: number; minTime: number; maxTime: number };

/**
 * Counts the partition's expired rows; when there are some, opens a transaction on `w` that
 * drops the partition (every row expired) or replaces it by its kept rows with a rebuilt skip
 * index (see the module comment), and returns what it staged. Null: nothing expired, no
 * transaction open.
 */
export async function stageRetention(
  w: DuckDBConnection,
  p: Partition,
  expiry: Expiry,
  opts: { blockRows: number; bloomFpp: number },
  blooms: BloomFile,
): Promise<Staged | null> {
  if (p.rows === 0 || p.minTime >= expiry.maxCutoffUs) return null;
  const table = sqlIdent(p.name);
  const [expired, total] = (
    await w.runAndReadAll(`SELECT count(*) FILTER (WHERE ${expiry.sql}), count(*) FROM ${table}`)
  ).getRows()[0]!;
  const removed = Number(expired);
  if (removed === 0) return null;
  await w.run('BEGIN TRANSACTION');
  try {
    await deleteMetadata(w, p.name);
    if (removed === Number(total)) {
      await w.run(`DROP TABLE ${table}`);
      return { kind: 'drop', removed };
    }
    const copy = sqlIdent(`${p.name}_kept`);
    const defs = [...p.columns].map(([n, t]) => columnDefSql(n, t)).join(', ');
    await w.run(`CREATE TABLE ${copy} (${defs})`);
    await w.run(`INSERT INTO ${copy} BY NAME SELECT * FROM ${table} WHERE NOT ${expiry.sql} ORDER BY rowid`);
    const B = opts.blockRows;
    const builder = new BloomBuilder(opts.bloomFpp);
    // A scratch partition holds the new template dictionary and the open block's counts.
    const dict = new Partition(p.name, p.day);
    const added: NewTemplate[] = [];
    const blocks: BlockMeta[] = [];
    let n = 0;
    let blockMin = Number.POSITIVE_INFINITY;
    let blockMax = Number.NEGATIVE_INFINITY;
    let minTime = Number.POSITIVE_INFINITY;
    let maxTime = Number.NEGATIVE_INFINITY;
    const seal = () => {
      const bloom = builder.build();
      blocks.push({
        block: blocks.length,
        rowStart: n - B,
        rowEnd: n - 1,
        minTime: blockMin,
        maxTime: blockMax,
        bloom,
        templates: dict.sealTemplates(added),
      });
      builder.reset();
      blockMin = Number.POSITIVE_INFINITY;
      blockMax = Number.NEGATIVE_INFINITY;
    };
    // Rowids inside the transaction are provisional; their order is the committed order.
    await scanRowTokens(w, `${copy} ORDER BY rowid`, p.columns, (t, m) => {
      if (n > 0 && n % B === 0) seal();
      n++;
      dict.countTemplate(m === null ? null : messageTemplate(m));
      if (t < blockMin) blockMin = t;
      if (t > blockMax) blockMax = t;
      if (t < minTime) minTime = t;
      if (t > maxTime) maxTime = t;
      return builder;
    });
    if (n % B === 0) seal();
    if (n !== Number(total) - removed) {
      throw new Error(`BUG: rewrite of ${p.name} copied ${n} rows, expected ${Number(total) - removed}`);
    }
    await w.run(`DROP TABLE ${table}`);
    await w.run(`ALTER TABLE ${copy} RENAME TO ${table}`);
    await recountPartition(w, p.name);
    const metas = blocks.map((meta) => ({ p, meta }));
    await insertBlocks(w, blooms, metas);
    await insertTemplates(w, metas, added);
    await w.run(`INSERT INTO _lw_overflow SELECT DISTINCT ${sqlString(p.name)}, unnest(json_keys(_extra))
      FROM ${table} WHERE _extra IS NOT NULL`);
    await w.run(
      `INSERT INTO _lw_partitions VALUES (${sqlString(p.name)}, ${sqlString(p.day)}, ${n}, ${sqlNumber(minTime)}, ${sqlNumber(maxTime)})`,
    );
    return { kind: 'rewrite', removed, kept: n, minTime, maxTime };
  } catch (err) {
    await w.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
