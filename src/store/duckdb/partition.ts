/**
 * In-memory state of one day-partition table (`ev_YYYYMMDD`): its columns, row count, time
 * bounds and skip-index blocks. The durable copy lives in the `_lw_*` metadata tables and is
 * written in the same transaction as the rows it describes, so the two never disagree.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { type BloomFilter, Uint32Set } from './bloom.ts';
import type { ColumnType, TableSchema } from './compile.ts';
import { sqlString } from './sql.ts';

/** A sealed block: rows [rowStart, rowEnd] (rowids, inclusive) and their token filter. */
export interface BlockMeta {
  block: number;
  rowStart: number;
  rowEnd: number;
  minTime: number;
  maxTime: number;
  bloom: BloomFilter;
}

export class Partition implements TableSchema {
  readonly name: string;
  readonly day: string;
  rows = 0;
  minTime = Number.POSITIVE_INFINITY;
  maxTime = Number.NEGATIVE_INFINITY;
  /** Column name -> type, in table order (fixed columns first). */
  columns = new Map<string, ColumnType>();
  dynamicCount = 0;
  overflow = new Set<string>();
  /** Sealed blocks, by block number. */
  blocks: BlockMeta[] = [];
  /** Token hashes of the open (last, unsealed) block, which starts at rowid `openStart`. */
  openHashes = new Uint32Set(1 << 15);
  openStart = 0;
  openMinTime = Number.POSITIVE_INFINITY;
  openMaxTime = Number.NEGATIVE_INFINITY;

  constructor(name: string, day: string) {
    this.name = name;
    this.day = day;
  }
}

/** Writes sealed blocks to `_lw_blocks` (inside the caller's transaction). */
export async function insertBlocks(
  w: DuckDBConnection,
  blocks: ReadonlyArray<{ p: { name: string }; meta: BlockMeta }>,
): Promise<void> {
  if (blocks.length === 0) return;
  const stmt = await w.prepare('INSERT INTO _lw_blocks VALUES ($1, $2, $3, $4, $5, $6, $7)');
  for (const { p, meta } of blocks) {
    stmt.bindVarchar(1, p.name);
    stmt.bindInteger(2, meta.block);
    stmt.bindBigInt(3, BigInt(meta.rowStart));
    stmt.bindBigInt(4, BigInt(meta.rowEnd));
    stmt.bindBigInt(5, BigInt(Math.trunc(meta.minTime)));
    stmt.bindBigInt(6, BigInt(Math.trunc(meta.maxTime)));
    stmt.bindBlob(7, meta.bloom.toBytes());
    await stmt.run();
  }
}

/** Deletes every metadata row (blocks, overflow keys, partition versions) of a partition. */
export async function deleteMetadata(w: DuckDBConnection, name: string): Promise<void> {
  for (const t of ['_lw_blocks', '_lw_overflow', '_lw_rollup'])
    await w.run(`DELETE FROM ${t} WHERE part = ${sqlString(name)}`);
  await w.run(`DELETE FROM _lw_partitions WHERE name = ${sqlString(name)}`);
}

const DAY_US = 86_400_000_000;
/** Years 0001-9999 only: times outside are clamped into the first or last day. */
const MIN_DAY = Math.floor(Date.UTC(1, 0, 1) / 86_400_000);
const MAX_DAY = Math.floor(Date.UTC(9999, 11, 31) / 86_400_000);
const nameCache = new Map<number, { name: string; day: string }>();

/** `ev_20261122` for a time in epoch microseconds (UTC day). */
export function partitionNameFor(us: number): { name: string; day: string } {
  const dayNo = Math.min(MAX_DAY, Math.max(MIN_DAY, Math.floor(us / DAY_US)));
  let r = nameCache.get(dayNo);
  if (r) return r;
  const d = new Date(dayNo * 86_400_000);
  const day = `${String(d.getUTCFullYear()).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
  r = { name: `ev_${day.replace(/-/g, '')}`, day };
  if (nameCache.size > 10_000) nameCache.clear();
  nameCache.set(dayNo, r);
  return r;
}
