/**
 * In-memory state of one day-partition table (`ev_YYYYMMDD`): its columns, row count, time
 * bounds and skip-index blocks. The durable copy lives in the `_lw_*` metadata tables and is
 * written in the same transaction as the rows it describes, so the two never disagree.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { tokenHashes } from '../../core/tokenize.ts';
import { BloomBuilder, type BloomFilter, Uint32Set } from './bloom.ts';
import type { BloomFile } from './bloom-file.ts';
import type { ColumnType, TableSchema } from './compile.ts';
import { sqlString } from './sql.ts';
import { type BlockTemplates, MAX_TEMPLATES_PER_PARTITION, RARE_FPP } from './templates.ts';

/**
 * A sealed block: rows [rowStart, rowEnd] (rowids, inclusive) and their token filter. A null
 * filter (its bytes were lost, see bloom-file.ts) makes the block a candidate for every search
 * until the store rebuilds it at the next open.
 */
export interface BlockMeta {
  block: number;
  rowStart: number;
  rowEnd: number;
  minTime: number;
  maxTime: number;
  bloom: BloomFilter | null;
  /** Rows per message template (templates.ts); null when not recorded (older stores). */
  templates: BlockTemplates | null;
  /** Set while the write that sealed the block has not committed: its counts are not used. */
  pending?: boolean;
}

/** `_lw_blocks`: one row per sealed block; the filter's bytes are in the side file. */
export const BLOCKS_TABLE_SQL = `CREATE TABLE IF NOT EXISTS _lw_blocks (part VARCHAR, block INTEGER,
  row_start BIGINT, row_end BIGINT, min_time BIGINT, max_time BIGINT, bloom_off BIGINT,
  bloom_len INTEGER, bloom_crc UINTEGER)`;

/** A template added to a partition's dictionary by a write, inserted with its rows. */
export interface NewTemplate {
  part: string;
  id: number;
  text: string;
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
  /** Message templates: text -> id, and id -> text (id 0: "no template"). */
  templateIds = new Map<string, number>();
  templateText: string[] = [''];
  /** Templates with a smaller id are committed (searches may rely on them). */
  templatesCommitted = 1;
  /** Rows per template text in the open block, and rows without a template. */
  openTemplates = new Map<string, number>();
  openUntemplated = 0;

  constructor(name: string, day: string) {
    this.name = name;
    this.day = day;
  }

  /** Counts `n` rows of the open block by their message template (null: none). */
  countTemplate(text: string | null, n = 1): void {
    if (text === null) this.openUntemplated += n;
    else this.openTemplates.set(text, (this.openTemplates.get(text) ?? 0) + n);
  }

  /**
   * The open block's template counts, for sealing it, and resets them. A template seen twice or
   * more, or already known, is counted by its dictionary id (new ones pushed to `added`, while the
   * partition is below its cap); the others are rare (see templates.ts).
   */
  sealTemplates(added: NewTemplate[]): BlockTemplates {
    const pairs: number[] = [];
    let rareRows = 0;
    const rare = new BloomBuilder(RARE_FPP, 256);
    for (const [text, n] of this.openTemplates) {
      let id = this.templateIds.get(text) ?? 0;
      if (id === 0 && n >= 2 && this.templateText.length < MAX_TEMPLATES_PER_PARTITION) {
        id = this.templateText.length;
        this.templateText.push(text);
        this.templateIds.set(text, id);
        added.push({ part: this.name, id, text });
      }
      if (id > 0) pairs.push(id, n);
      else {
        rareRows += n;
        tokenHashes(text, rare);
      }
    }
    if (this.openUntemplated > 0) pairs.push(0, this.openUntemplated);
    this.openTemplates.clear();
    this.openUntemplated = 0;
    return {
      counts: Uint32Array.from(pairs),
      rareRows,
      rare: rareRows > 0 ? rare.build() : null,
    };
  }
}

/**
 * Writes sealed blocks: their filters to the side file, then their rows to `_lw_blocks` inside
 * the caller's transaction (so the bytes are in the file before the reference commits). A block
 * without a filter gets an empty reference, which reads as missing.
 */
export async function insertBlocks(
  w: DuckDBConnection,
  file: BloomFile,
  blocks: ReadonlyArray<{ p: { name: string }; meta: BlockMeta }>,
): Promise<void> {
  if (blocks.length === 0) return;
  const withBloom = blocks.filter((b) => b.meta.bloom !== null);
  const refs = file.append(withBloom.map((b) => b.meta.bloom!.toBytes()));
  const appender = await w.createAppender('_lw_blocks');
  let k = 0;
  for (const { p, meta } of blocks) {
    const ref = meta.bloom === null ? { off: 0, len: 0, crc: 0 } : refs[k++];
    appender.appendVarchar(p.name);
    appender.appendInteger(meta.block);
    appender.appendBigInt(BigInt(meta.rowStart));
    appender.appendBigInt(BigInt(meta.rowEnd));
    appender.appendBigInt(BigInt(Math.trunc(meta.minTime)));
    appender.appendBigInt(BigInt(Math.trunc(meta.maxTime)));
    appender.appendBigInt(BigInt(ref.off));
    appender.appendInteger(ref.len);
    appender.appendUInteger(ref.crc);
    appender.endRow();
  }
  appender.flushSync();
  appender.closeSync();
}

/** Writes sealed blocks' template counts and new templates (inside the caller's transaction). */
export async function insertTemplates(
  w: DuckDBConnection,
  blocks: ReadonlyArray<{ p: { name: string }; meta: BlockMeta }>,
  templates: readonly NewTemplate[],
): Promise<void> {
  if (templates.length > 0) {
    const a = await w.createAppender('_lw_templates');
    for (const t of templates) {
      a.appendVarchar(t.part);
      a.appendInteger(t.id);
      a.appendVarchar(t.text);
      a.endRow();
    }
    a.flushSync();
    a.closeSync();
  }
  const counts = await w.createAppender('_lw_block_templates');
  const rare = await w.createAppender('_lw_block_rare');
  for (const { p, meta } of blocks) {
    const t = meta.templates;
    if (t === null) continue;
    for (let i = 0; i < t.counts.length; i += 2) {
      counts.appendVarchar(p.name);
      counts.appendInteger(meta.block);
      counts.appendInteger(t.counts[i]);
      counts.appendInteger(t.counts[i + 1]);
      counts.endRow();
    }
    if (t.rareRows > 0 && t.rare) {
      rare.appendVarchar(p.name);
      rare.appendInteger(meta.block);
      rare.appendInteger(t.rareRows);
      rare.appendBlob(t.rare.toBytes());
      rare.endRow();
    }
  }
  for (const a of [counts, rare]) {
    a.flushSync();
    a.closeSync();
  }
}

/** Deletes every metadata row (blocks, overflow keys, partition versions) of a partition. */
export async function deleteMetadata(w: DuckDBConnection, name: string): Promise<void> {
  for (const t of [
    '_lw_blocks',
    '_lw_overflow',
    '_lw_rollup',
    '_lw_templates',
    '_lw_block_templates',
    '_lw_block_rare',
  ])
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
