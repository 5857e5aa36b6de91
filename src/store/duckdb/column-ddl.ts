/**
 * Column definitions of the store's day partitions, with the compression chosen per column
 * where DuckDB's own per-row-group pick is worse. Used when a partition is created and when
 * retention rewrites it (a `CREATE TABLE AS` copy would lose the choice).
 *
 * `message` with zstd, measured on 2M bench messages: 40 MB instead of 97 MB with FSST, written
 * faster (715 vs 1,059 ms), and scanned about as fast (LIKE 154 vs 186 ms, ILIKE 1,004 vs
 * 912 ms, an 8k-row rowid range 1.7 vs 2.4 ms). DuckDB's own pick also stored some row groups
 * of `message` uncompressed (its FSST estimate samples a quarter of the vectors).
 */
import type { ColumnType } from './compile.ts';
import { sqlIdent } from './sql.ts';

const COLUMN_COMPRESSION: Record<string, string> = { message: 'zstd' };

/** `name TYPE [USING COMPRESSION c]` for CREATE TABLE. */
export function columnDefSql(name: string, type: ColumnType): string {
  const c = COLUMN_COMPRESSION[name];
  return `${sqlIdent(name)} ${type}${c ? ` USING COMPRESSION ${c}` : ''}`;
}
