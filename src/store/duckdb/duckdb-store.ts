/**
 * The embedded store: DuckDB, one table per UTC day (`ev_YYYYMMDD`) so that a time range prunes
 * whole partitions and retention drops whole tables, with a block-level skip index: for every
 * block of at least `blockRows` rows (a contiguous rowid range made of whole worker batches) a
 * Bloom filter of the tokens of `message`, `host`, `service` and the string fields. A search
 * evaluates the query's token requirements against each block and hands DuckDB only the
 * candidate blocks, one sub-select per rowid range (DuckDB prunes a single range; an OR of
 * ranges or a computed block-number IN list is not pruned, see the brief).
 *
 * Durability and idempotency: rows, block filters, partition metadata and the per-partition
 * queue watermark are written in one DuckDB transaction. Rows at or below the watermark are
 * skipped, so a replay after a crash never duplicates an event.
 *
 * Only one process may open a DuckDB file: the server owns it. `write` may be called again
 * before the previous write resolves (two are pipelined on two connections, committed in call
 * order); searches run on a third connection and see committed data.
 *
 * DuckDB runs one thread while only writes are in flight and `threads` while a search is (see
 * `enterRead`): with a second thread, a write's single task often ran on DuckDB's background
 * thread while the calling thread spun waiting for it (~35% of DuckDB's instructions on 2M events).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type DuckDBAppender, type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { LwError } from '../../core/errors.ts';
import { type EventBatch, NO_TEMPLATE } from '../../core/event-batch.ts';
import type { FieldValue } from '../../core/event.ts';
import { fromQpos, qposToId } from '../../core/ids.ts';
import type { FilterNode } from '../../core/query-ast.ts';
import { messageTemplate } from '../../core/template.ts';
import { formatTimestamp } from '../../core/time.ts';
import type {
  FieldStats,
  OutputEvent,
  PipelineRequest,
  PipelineResult,
  RetentionPolicy,
  RetentionResult,
  SearchRequest,
  SearchResult,
  Store,
  StoreStats,
} from '../store.ts';
import { BloomBuilder, BloomFilter } from './bloom.ts';
import { BloomFile, bloomFileName, removeOtherGenerations } from './bloom-file.ts';
import { ChunkWriter } from './chunk-writer.ts';
import { columnDefSql } from './column-ddl.ts';
import { type ColumnType, compileFilter, evalTokens, tokenExpr } from './compile.ts';
import {
  BLOCKS_TABLE_SQL,
  type BlockMeta,
  insertBlocks,
  insertTemplates,
  type NewTemplate,
  Partition,
  partitionNameFor,
} from './partition.ts';
import { ReadGate } from './read-gate.ts';
import {
  MINUTE_US,
  ROLLUP_TABLE_SQL,
  RollupCounts,
  recountPartition,
  rollupCanFilter,
  rollupHistogram,
} from './rollup.ts';
import { expiryOf, stageRetention } from './rewrite.ts';
import { scanRowTokens } from './row-tokens.ts';
import { runPipeline } from './run-pipeline.ts';
import { inTransaction, sqlFloorDiv, sqlIdent, sqlNumber, sqlString, sqlTime } from './sql.ts';
import {
  BLOCK_RARE_TABLE_SQL,
  BLOCK_TEMPLATES_TABLE_SQL,
  hasTimeNode,
  isDecided,
  leafVerdicts,
  MAYBE,
  messageLeaves,
  rareVerdict,
  TEMPLATES_TABLE_SQL,
  type Verdict,
  verdict,
  YES,
} from './templates.ts';

export interface DuckDBStoreOptions {
  dir: string;
  blockRows?: number;
  maxDynamicColumns?: number;
  memoryLimit?: string;
  /** DuckDB threads while a search runs (default: the machine's cores); writes alone use one. */
  threads?: number;
  /** Bloom filter false-positive rate per block (default 0.1%: 14.4 bits per distinct token). */
  bloomFpp?: number;
  /** WAL bytes after which the store checkpoints, between writes (default 128 MiB). */
  checkpointBytes?: number;
  /** Writes in flight: each appends on its own connection while earlier ones commit (default 2). */
  writeConnections?: number;
  logger?: { info: (o: object, m?: string) => void; warn: (o: object, m?: string) => void };
}

const FIXED_COLUMNS: Array<[string, ColumnType]> = [
  ['_time', 'TIMESTAMP'],
  ['_ingest_time', 'TIMESTAMP'],
  ['_qpos', 'BIGINT'],
  ['stream', 'VARCHAR'],
  ['message', 'VARCHAR'],
  ['level', 'VARCHAR'],
  ['host', 'VARCHAR'],
  ['service', 'VARCHAR'],
  ['_extra', 'VARCHAR'],
];
const FIXED_NAMES = new Set(FIXED_COLUMNS.map((c) => c[0]));
/** Matches the fields sidebar counts exactly; beyond twice this, it samples about this many. */
const FIELD_SAMPLE_ROWS = 200_000;
/** Columns that are not event fields. */
const INTERNAL_COLUMNS = new Set(['_qpos', '_extra']);
const FUTURE_LIMIT_US = 30 * 86400e6;
/** Above this many candidate rowid ranges in a partition, a plain scan is cheaper. */
const MAX_ROWID_RANGES = 64;
/** Rows per DuckDB row group of new store files (see open()). */
export const ROW_GROUP_SIZE = 65_536;
/**
 * On-disk format of new store files (existing files keep theirs). DuckDB's default stays readable
 * by v0.10 and lacks compressed validity masks (most dynamic fields are sparse). v1.2 has Roaring
 * validity: 191 MB instead of 199 MB on 2M bench events. v1.3+ adds DICT_FSST, which made the
 * short id columns (request ids, IPs) up to 3x bigger here: 196 MB.
 */
const STORAGE_VERSION = 'v1.2.0';
/** After the last search ends, DuckDB keeps its search threads this long (searches come in bursts). */
const READ_THREADS_LINGER_MS = 1000;

interface Plan {
  /** Sub-selects of the candidate rows. */
  selects: Array<{ p: Partition; where: string }>;
  /** To count the matches: the rows of `countSelects` plus `known` (blocks counted from templates). */
  countSelects: Array<{ p: Partition; where: string }>;
  known: number;
  stats: { partitions: number; blocks: number; blocksScanned: number; blocksCounted: number };
}

/** SQL for a field's value in a partition (NULL when the partition doesn't have it). */
function fieldExpr(field: string, p: Partition): string {
  if (field === '_id') return '_qpos';
  if (FIXED_NAMES.has(field) && field !== '_extra') return sqlIdent(field);
  const hasCol = p.columns.has(field);
  const inExtra = p.overflow.has(field);
  const json = `json_extract_string(_extra, ${sqlString(`$."${field.replace(/"/g, '\\"')}"`)})`;
  if (hasCol && inExtra) return `COALESCE(CAST(${sqlIdent(field)} AS VARCHAR), ${json})`;
  if (hasCol) return sqlIdent(field);
  if (inExtra) return json;
  return 'NULL';
}

/** A stored filter, or null when its bytes don't parse (treated like missing bytes). */
function filterOf(bytes: Uint8Array): BloomFilter | null {
  try {
    return BloomFilter.fromBytes(bytes);
  } catch {
    return null;
  }
}

function typeOf(v: FieldValue): ColumnType {
  return typeof v === 'number' ? 'DOUBLE' : typeof v === 'boolean' ? 'BOOLEAN' : 'VARCHAR';
}

function isDiskFull(err: unknown): boolean {
  const m = String((err as Error)?.message ?? err);
  return /No space left|ENOSPC|disk is full|Could not write/i.test(m);
}

export class DuckDBStore implements Store {
  private readonly opts: Required<Omit<DuckDBStoreOptions, 'logger' | 'threads'>> &
    Pick<DuckDBStoreOptions, 'logger' | 'threads'>;
  private instance: DuckDBInstance | null = null;
  /** Writer connections, used in turn: a write appends on one while earlier ones commit. */
  private writers: DuckDBConnection[] = [];
  /** Per writer connection: settles when the last write that used it has finished. */
  private connFree: Promise<void>[] = [];
  private nextConn = 0;
  /** Settles when the latest write has finished (and with it every earlier one). */
  private lastWrite: Promise<void> = Promise.resolve();
  /** A checkpoint is queued (see `write`). */
  private checkpointQueued = false;
  /** Serialises the append stage of writes (and retention) in call order. */
  private stageChain: Promise<unknown> = Promise.resolve();
  /** Bumped when a write fails after provisional in-memory changes; writes of older epochs roll back. */
  private epoch = 0;
  private needsReload = false;
  private reader: DuckDBConnection | null = null;
  /** Searches hold it; retention swaps a partition only when none is in flight. */
  private readonly gate = new ReadGate();
  private readonly partitions = new Map<string, Partition>();
  private readonly watermarks = new Map<string, number>();
  private readonly dbPath: string;
  /** The skip index's filters (bloom-file.ts); opened with the store. */
  private blooms: BloomFile | null = null;
  /** Searches in flight (DuckDB runs `readThreads` threads while any is, one otherwise). */
  private reading = 0;
  private readonly readThreads: number;
  /** Thread-count changes, applied in order on their own connection. */
  private threadsSet: Promise<void> = Promise.resolve();
  private threadsConn: DuckDBConnection | null = null;
  private narrowTimer: NodeJS.Timeout | null = null;

  constructor(opts: DuckDBStoreOptions) {
    this.opts = {
      blockRows: 8192,
      maxDynamicColumns: 400,
      memoryLimit: '1GB',
      bloomFpp: 0.001,
      checkpointBytes: 128 * 2 ** 20,
      writeConnections: 2,
      ...opts,
    };
    this.readThreads = Math.max(1, opts.threads ?? os.availableParallelism());
    this.dbPath = path.join(opts.dir, 'logwarden.duckdb');
  }

  async open(): Promise<void> {
    fs.mkdirSync(this.opts.dir, { recursive: true });
    // Spills (beyond memory_limit) go inside the data directory, not to ./.tmp of the caller.
    const cfg: Record<string, string> = {
      memory_limit: this.opts.memoryLimit,
      temp_directory: path.join(this.opts.dir, 'tmp'),
      threads: '1',
    };
    // The file is attached with smaller row groups (64k rows) than DuckDB's default (122,880):
    // appends of a full row group are written compressed straight into the file instead of the
    // WAL. Measured on 2M events: ~20% less CPU than the default, and a smaller file than 32k.
    // Only a write of at least a row group into one partition takes that path: under a backlog
    // the indexer cuts its writes to whole row groups; smaller writes go through the WAL.
    // Smaller row groups (16k) cost 7% fewer instructions but made the file 74% larger.
    this.instance = await DuckDBInstance.create(':memory:', cfg);
    const w = await this.instance.connect();
    await w.run(
      `ATTACH ${sqlString(this.dbPath)} AS lw (ROW_GROUP_SIZE ${ROW_GROUP_SIZE}, STORAGE_VERSION ${sqlString(STORAGE_VERSION)}); USE lw`,
    );
    // Writes smaller than a row group go through the WAL, and their rows stay in DuckDB's memory
    // uncompressed until a checkpoint (spilled to temp files beyond the memory limit). Checkpoints
    // every 32-256 MB of WAL measured the same instructions on 2M events (with one DuckDB thread);
    // below 128 MB the file grew (0.310x raw at 128 MB, 0.319x at 32 MB), and less WAL means less
    // spilled and a shorter replay at startup after a crash.
    // DuckDB's own checkpoint (in the COMMIT that crosses its threshold) is off: while another
    // connection holds uncommitted appends to a table, it writes that table's last row group
    // uncompressed, and later appends to the row group stay so (measured: 9 of 169 row groups of
    // `message` on 10M events, 2.2x the bytes of FSST). The store checkpoints between writes.
    await w.run(`SET checkpoint_threshold = '1TB'`);
    this.writers = [w];
    for (let i = 1; i < this.opts.writeConnections; i++) {
      const wi = await this.instance.connect();
      await wi.run('USE lw');
      this.writers.push(wi);
    }
    this.connFree = this.writers.map(() => Promise.resolve());
    this.reader = await this.instance.connect();
    await this.reader.run('USE lw');
    this.threadsConn = await this.instance.connect();
    await w.run(`CREATE TABLE IF NOT EXISTS _lw_partitions (name VARCHAR, day VARCHAR, rows BIGINT,
      min_time BIGINT, max_time BIGINT)`);
    await w.run(BLOCKS_TABLE_SQL);
    await w.run('CREATE TABLE IF NOT EXISTS _lw_bloom_file (gen BIGINT)');
    await w.run(
      'CREATE TABLE IF NOT EXISTS _lw_watermarks (topic VARCHAR, part INTEGER, next_offset BIGINT)',
    );
    await w.run('CREATE TABLE IF NOT EXISTS _lw_overflow (part VARCHAR, key VARCHAR)');
    await w.run(ROLLUP_TABLE_SQL);
    await w.run(TEMPLATES_TABLE_SQL);
    await w.run(BLOCK_TEMPLATES_TABLE_SQL);
    await w.run(BLOCK_RARE_TABLE_SQL);
    const gen = Number(
      (await w.runAndReadAll('SELECT coalesce(max(gen), 0) FROM _lw_bloom_file')).getRows()[0][0],
    );
    for (const f of removeOtherGenerations(this.opts.dir, gen)) {
      this.opts.logger?.info({ file: f }, 'removed a skip-index file of another generation');
    }
    this.blooms = new BloomFile(this.opts.dir, gen);
    await this.migrateBlobBlooms(w);
    await this.load(w);
    await this.compactMetadata(w);
    await this.rebuildMissingBlooms(w);
    await this.compactBlooms(w);
    await this.backfillRollups(w);
  }

  /** Stores made before the side file kept each filter as a BLOB in `_lw_blocks`: move them. */
  private async migrateBlobBlooms(w: DuckDBConnection): Promise<void> {
    const cols = (
      await w.runAndReadAll(
        `SELECT column_name FROM duckdb_columns() WHERE table_name = '_lw_blocks' AND database_name = 'lw'`,
      )
    ).getRows();
    if (!cols.some((c) => c[0] === 'bloom')) return;
    const rows = (
      await w.runAndReadAll(
        'SELECT part, block, row_start, row_end, min_time, max_time, bloom FROM _lw_blocks',
      )
    ).getRows();
    const blocks = rows.map(([part, b, rs, re, minT, maxT, bloom]) => ({
      p: { name: String(part) },
      meta: {
        block: Number(b),
        rowStart: Number(rs),
        rowEnd: Number(re),
        minTime: Number(minT),
        maxTime: Number(maxT),
        bloom: bloom === null ? null : filterOf((bloom as { bytes: Uint8Array }).bytes),
        templates: null,
      },
    }));
    await inTransaction(w, async () => {
      await w.run('ALTER TABLE _lw_blocks RENAME TO _lw_blocks_blob');
      await w.run(BLOCKS_TABLE_SQL);
      await insertBlocks(w, this.blooms!, blocks);
      await w.run('DROP TABLE _lw_blocks_blob');
      this.blooms!.sync();
    });
    this.opts.logger?.info({ blocks: blocks.length }, 'moved the skip-index filters to their own file');
  }

  /** Rebuilds, from their rows, the filters whose bytes were lost (see bloom-file.ts). */
  private async rebuildMissingBlooms(w: DuckDBConnection): Promise<void> {
    const todo: Array<{ p: Partition; meta: BlockMeta }> = [];
    for (const p of this.partitions.values())
      for (const meta of p.blocks) if (!meta.bloom) todo.push({ p, meta });
    if (todo.length === 0) return;
    const built = new Map<BlockMeta, BloomFilter>();
    for (const { p, meta } of todo) {
      const builder = new BloomBuilder(this.opts.bloomFpp);
      await scanRowTokens(
        w,
        `${sqlIdent(p.name)} WHERE rowid BETWEEN ${meta.rowStart} AND ${meta.rowEnd}`,
        p.columns,
        () => builder,
      );
      built.set(meta, builder.build());
    }
    await inTransaction(w, async () => {
      for (const { p, meta } of todo) {
        await w.run(`DELETE FROM _lw_blocks WHERE part = ${sqlString(p.name)} AND block = ${meta.block}`);
      }
      await insertBlocks(
        w,
        this.blooms!,
        todo.map(({ p, meta }) => ({ p, meta: { ...meta, bloom: built.get(meta)! } })),
      );
    });
    for (const meta of built.keys()) meta.bloom = built.get(meta)!;
    this.opts.logger?.warn(
      { blocks: todo.length },
      'rebuilt skip-index filters that were missing or damaged',
    );
  }

  /**
   * Rewrites the filter file when more than half of it is garbage (rolled-back writes, dropped or
   * rewritten partitions): the live filters go to the next generation, whose offsets commit
   * with its number; then the old file is deleted. Runs at open and after retention, with no
   * write in flight.
   */
  private async compactBlooms(w: DuckDBConnection): Promise<void> {
    const old = this.blooms!;
    const all: Array<{ p: Partition; meta: BlockMeta }> = [];
    let live = 0;
    for (const p of this.partitions.values()) {
      for (const meta of p.blocks) {
        all.push({ p, meta });
        live += meta.bloom?.toBytes().length ?? 0;
      }
    }
    if (old.size - live <= live) return;
    const gen = old.gen + 1;
    fs.rmSync(path.join(this.opts.dir, bloomFileName(gen)), { force: true });
    const next = new BloomFile(this.opts.dir, gen);
    try {
      await inTransaction(w, async () => {
        await w.run('DELETE FROM _lw_blocks');
        await insertBlocks(w, next, all);
        await w.run(`INSERT INTO _lw_bloom_file VALUES (${gen})`);
        next.sync();
      });
    } catch (err) {
      next.close();
      fs.rmSync(next.path, { force: true });
      throw err;
    }
    this.blooms = next;
    old.close();
    fs.rmSync(old.path, { force: true });
    this.opts.logger?.info({ from: old.size, to: next.size }, 'compacted the skip-index file');
  }

  /**
   * Metadata rows are insert-only while running (a new version per write), so that two
   * overlapping write transactions never update the same row. At open, keep only the latest.
   */
  private async compactMetadata(w: DuckDBConnection): Promise<void> {
    await inTransaction(w, async () => {
      await w.run(`CREATE TEMP TABLE _lw_p AS SELECT name, any_value(day) AS day, max(rows) AS rows,
      min(min_time) AS min_time, max(max_time) AS max_time FROM _lw_partitions GROUP BY name`);
      await w.run('DELETE FROM _lw_partitions');
      await w.run('INSERT INTO _lw_partitions SELECT * FROM _lw_p');
      await w.run('DROP TABLE _lw_p');
      await w.run(`CREATE TEMP TABLE _lw_w AS SELECT topic, part, max(next_offset) AS next_offset
      FROM _lw_watermarks GROUP BY topic, part`);
      await w.run('DELETE FROM _lw_watermarks');
      await w.run('INSERT INTO _lw_watermarks SELECT * FROM _lw_w');
      await w.run('DROP TABLE _lw_w');
      await w.run(`CREATE TEMP TABLE _lw_r AS SELECT part, minute, stream, level, sum(n) AS n FROM _lw_rollup
      GROUP BY ALL`);
      await w.run('DELETE FROM _lw_rollup');
      await w.run('INSERT INTO _lw_rollup SELECT * FROM _lw_r');
      await w.run('DROP TABLE _lw_r');
      await w.run('CREATE TEMP TABLE _lw_o AS SELECT DISTINCT part, key FROM _lw_overflow');
      await w.run('DELETE FROM _lw_overflow');
      await w.run('INSERT INTO _lw_overflow SELECT * FROM _lw_o');
      await w.run('DROP TABLE _lw_o');
    });
  }

  /** Counts partitions that have rows but no per-minute counts (stores made before them). */
  private async backfillRollups(w: DuckDBConnection): Promise<void> {
    const counted = new Set(
      (await w.runAndReadAll('SELECT DISTINCT part FROM _lw_rollup')).getRows().map((r) => String(r[0])),
    );
    for (const p of this.partitions.values()) {
      if (p.rows === 0 || counted.has(p.name)) continue;
      await inTransaction(w, () => recountPartition(w, p.name));
      this.opts.logger?.info({ partition: p.name, rows: p.rows }, 'counted the partition for histograms');
    }
  }

  private async load(w: DuckDBConnection): Promise<void> {
    this.blooms!.resync();
    this.partitions.clear();
    const parts = (
      await w.runAndReadAll(
        `SELECT name, any_value(day), max(rows), min(min_time), max(max_time) FROM _lw_partitions GROUP BY name`,
      )
    ).getRows();
    for (const [name, day, rows, minT, maxT] of parts) {
      const p = new Partition(String(name), String(day));
      p.rows = Number(rows);
      p.minTime = minT === null ? Number.POSITIVE_INFINITY : Number(minT);
      p.maxTime = maxT === null ? Number.NEGATIVE_INFINITY : Number(maxT);
      this.partitions.set(p.name, p);
      await this.loadPartition(p, w);
    }
    this.watermarks.clear();
    for (const [topic, part, next] of (
      await w.runAndReadAll('SELECT topic, part, max(next_offset) FROM _lw_watermarks GROUP BY topic, part')
    ).getRows()) {
      this.watermarks.set(`${topic}\u0000${part}`, Number(next));
    }
  }

  /** Loads a partition's columns, blocks and overflow keys, and rebuilds its open block. */
  private async loadPartition(p: Partition, w: DuckDBConnection): Promise<void> {
    p.columns.clear();
    p.dynamicCount = 0;
    const cols = await w.runAndReadAll(
      `SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ${sqlString(p.name)}
       AND database_name = 'lw' AND schema_name = 'main' ORDER BY column_index`,
    );
    for (const [n, t] of cols.getRows()) {
      const type = String(t) as ColumnType;
      p.columns.set(String(n), type === ('TIMESTAMP' as ColumnType) ? 'TIMESTAMP' : type);
      if (!FIXED_NAMES.has(String(n))) p.dynamicCount++;
    }
    p.overflow.clear();
    for (const [k] of (
      await w.runAndReadAll(`SELECT DISTINCT key FROM _lw_overflow WHERE part = ${sqlString(p.name)}`)
    ).getRows()) {
      p.overflow.add(String(k));
    }
    p.blocks = [];
    const blocks = await w.runAndReadAll(
      `SELECT block, row_start, row_end, min_time, max_time, bloom_off, bloom_len, bloom_crc FROM _lw_blocks
       WHERE part = ${sqlString(p.name)} ORDER BY block`,
    );
    for (const [b, rs, re, minT, maxT, off, len, crc] of blocks.getRows()) {
      const bytes = this.blooms!.read({ off: Number(off), len: Number(len), crc: Number(crc) });
      p.blocks.push({
        block: Number(b),
        rowStart: Number(rs),
        rowEnd: Number(re),
        minTime: Number(minT),
        maxTime: Number(maxT),
        bloom: bytes && filterOf(bytes),
        templates: null,
      });
    }
    await this.loadTemplates(p, w);
    const last = p.blocks.at(-1);
    const sealed = last ? last.rowEnd + 1 : 0;
    p.blocks.forEach((b, i) => {
      if (b.block !== i || b.rowStart !== (i === 0 ? 0 : p.blocks[i - 1].rowEnd + 1)) {
        throw new Error(`BUG: skip index of ${p.name} has a gap at block ${i}`);
      }
    });
    p.openHashes.clear();
    p.openStart = sealed;
    p.openMinTime = Number.POSITIVE_INFINITY;
    p.openMaxTime = Number.NEGATIVE_INFINITY;
    p.openTemplates.clear();
    p.openUntemplated = 0;
    if (p.rows > sealed) {
      // Rebuild the open block's token set and template counts from its rows.
      await scanRowTokens(w, `${sqlIdent(p.name)} WHERE rowid >= ${sealed}`, p.columns, (t, m) => {
        if (t < p.openMinTime) p.openMinTime = t;
        if (t > p.openMaxTime) p.openMaxTime = t;
        p.countTemplate(m === null ? null : messageTemplate(m));
        return p.openHashes;
      });
    }
  }

  /** Loads a partition's template dictionary and its blocks' template counts. */
  private async loadTemplates(p: Partition, w: DuckDBConnection): Promise<void> {
    p.templateIds.clear();
    p.templateText = [''];
    const dict = await w.runAndReadAll(
      `SELECT id, text FROM _lw_templates WHERE part = ${sqlString(p.name)} ORDER BY id`,
    );
    for (const [id, text] of dict.getRows()) {
      if (Number(id) !== p.templateText.length) throw new Error(`BUG: template ids of ${p.name} have a gap`);
      p.templateText.push(String(text));
      p.templateIds.set(String(text), Number(id));
    }
    p.templatesCommitted = p.templateText.length;
    const counts = await w.runAndReadAll(
      `SELECT block, tmpl, n FROM _lw_block_templates WHERE part = ${sqlString(p.name)} ORDER BY block`,
    );
    // No columns at all when there are no rows.
    const [blocks = [], ids = [], ns = []] = counts.getColumns() as number[][];
    const pairs = new Map<number, number[]>();
    for (let i = 0; i < blocks.length; i++) {
      let l = pairs.get(blocks[i]);
      if (!l) pairs.set(blocks[i], (l = []));
      l.push(ids[i], ns[i]);
    }
    const rare = new Map<number, { rows: number; bloom: BloomFilter | null }>();
    for (const [b, n, bloom] of (
      await w.runAndReadAll(`SELECT block, n, bloom FROM _lw_block_rare WHERE part = ${sqlString(p.name)}`)
    ).getRows()) {
      rare.set(Number(b), { rows: Number(n), bloom: filterOf((bloom as { bytes: Uint8Array }).bytes) });
    }
    for (const meta of p.blocks) {
      const l = pairs.get(meta.block);
      const r = rare.get(meta.block);
      if (!l && !r) continue;
      meta.templates = {
        counts: Uint32Array.from(l ?? []),
        rareRows: r?.rows ?? 0,
        rare: r?.bloom ?? null,
      };
    }
  }

  nextOffset(topic: string, partition: number): number {
    return this.watermarks.get(`${topic}\u0000${partition}`) ?? 0;
  }

  private async ensurePartition(name: string, day: string, w: DuckDBConnection): Promise<Partition> {
    let p = this.partitions.get(name);
    if (p) return p;
    const cols = FIXED_COLUMNS.map(([n, t]) => columnDefSql(n, t)).join(', ');
    await w.run(`CREATE TABLE IF NOT EXISTS ${sqlIdent(name)} (${cols})`);
    await w.run(`INSERT INTO _lw_partitions VALUES (${sqlString(name)}, ${sqlString(day)}, 0, NULL, NULL)`);
    p = new Partition(name, day);
    for (const [n, t] of FIXED_COLUMNS) p.columns.set(n, t);
    this.partitions.set(name, p);
    return p;
  }

  /**
   * Writes a batch; resolves once it is committed (durable and searchable). Writes are
   * pipelined two deep: while one commits (DuckDB's threads, fsync), the next one appends on the
   * other connection. Commits happen in call order, which keeps rowids in append order (DuckDB
   * assigns a transaction's rowids at commit). If a write fails, every write whose append stage
   * already ran on the old in-memory state rolls back too, and the state is reloaded; callers
   * retry them in order (replays are skipped by the watermark).
   */
  write(topic: string, batch: EventBatch): Promise<{ written: number; skipped: number }> {
    if (this.writers.length === 0) return Promise.reject(new Error('BUG: store is not open'));
    const ci = this.nextConn;
    this.nextConn = (ci + 1) % this.writers.length;
    const ownFree = this.connFree[ci];
    const previous = this.lastWrite;
    let release!: () => void;
    const done = new Promise<void>((r) => {
      release = r;
    });
    this.connFree[ci] = done;
    this.lastWrite = done;
    const stage = this.stageChain.then(async () => {
      await ownFree;
      if (this.needsReload) {
        this.needsReload = false;
        await this.load(this.writers[ci]);
      }
      return this.appendStage(topic, batch, ci, previous);
    });
    this.stageChain = stage.catch(() => undefined);
    return (async () => {
      try {
        const st = await stage;
        if (!st.open) return st.result;
        const w = this.writers[ci];
        await previous;
        if (st.epoch !== this.epoch) {
          await w.run('ROLLBACK').catch(() => undefined);
          throw new Error('an earlier store write failed; this one was rolled back and must be retried');
        }
        try {
          await w.run('COMMIT');
        } catch (err) {
          await w.run('ROLLBACK').catch(() => undefined);
          this.fail();
          if (isDiskFull(err)) throw new LwError('LW_ERR_DISK_FULL', ['the store']);
          throw err;
        }
        st.committed?.();
        this.checkpointIfDue();
        return st.result;
      } finally {
        // Finish in call order, so that `previous` settled means every earlier write has.
        await previous;
        release();
      }
    })();
  }

  /**
   * Queues a checkpoint once the WAL has grown past `checkpointBytes`. It runs with no write
   * transaction open (see open()): writes issued after it wait for it, and it for earlier ones.
   */
  private checkpointIfDue(): void {
    if (this.checkpointQueued) return;
    let wal = 0;
    try {
      wal = fs.statSync(`${this.dbPath}.wal`).size;
    } catch {
      return; // no WAL yet
    }
    if (wal < this.opts.checkpointBytes) return;
    this.checkpointQueued = true;
    this.checkpoint().then(
      () => {
        this.checkpointQueued = false;
      },
      (err) => {
        this.checkpointQueued = false;
        this.opts.logger?.warn({ err: String(err) }, 'store checkpoint failed; the next write retries it');
      },
    );
  }

  /** Marks the in-memory state stale: later writes reload it, in-flight ones roll back. */
  private fail(): void {
    this.epoch++;
    this.needsReload = true;
  }

  /**
   * Waits until every write issued before this call has finished, then runs `fn` before any
   * later write appends. (Waiting for the writes in flight when `fn`'s turn comes would wait for
   * later writes, whose append stage waits for `fn`: a deadlock.)
   */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const earlier = this.lastWrite;
    const run = this.stageChain.then(async () => {
      await earlier;
      if (this.needsReload) {
        this.needsReload = false;
        await this.load(this.writers[0]);
      }
      return fn();
    });
    this.stageChain = run.catch(() => undefined);
    return run;
  }

  /**
   * The append stage of a write: skips replayed rows, applies schema changes (after the previous
   * write has finished, as DDL must not race an open transaction), then BEGIN, appends rows,
   * blocks and metadata versions on connection `ci`, leaving the transaction open. In-memory
   * state is updated provisionally; `fail()` undoes it by a reload.
   */
  private async appendStage(
    topic: string,
    batch: EventBatch,
    ci: number,
    previous: Promise<void>,
  ): Promise<{
    open: boolean;
    epoch: number;
    result: { written: number; skipped: number };
    /** Marks the write's blocks and templates committed (searches may count from them). */
    committed?: () => void;
  }> {
    const w = this.writers[ci];
    const epoch = this.epoch;
    // 1. Drop rows the store already has (replay), group the rest by day partition.
    const groups = new Map<string, number[]>();
    const days = new Map<string, string>();
    const maxNext = new Map<number, number>();
    let skipped = 0;
    for (let i = 0; i < batch.n; i++) {
      const { partition, offset } = fromQpos(batch.qpos[i]);
      if (offset < this.nextOffset(topic, partition)) {
        skipped++;
        continue;
      }
      const next = maxNext.get(partition) ?? 0;
      if (offset + 1 > next) maxNext.set(partition, offset + 1);
      let t = batch.time[i];
      if (t > batch.ingest[i] + FUTURE_LIMIT_US) t = batch.ingest[i];
      const { name, day } = partitionNameFor(t);
      let g = groups.get(name);
      if (!g) {
        g = [];
        groups.set(name, g);
        days.set(name, day);
      }
      g.push(i);
    }
    if (maxNext.size === 0) return { open: false, epoch, result: { written: 0, skipped } };

    // 2. Schema changes (outside the data transaction; an empty new column is harmless).
    const parts = new Map<string, Partition>();
    const newOverflow: Array<[string, string]> = [];
    const newTemplates: NewTemplate[] = [];
    let drained = false;
    const drain = async () => {
      if (!drained) await previous;
      drained = true;
    };
    for (const [name, rows] of groups) {
      if (!this.partitions.has(name)) await drain();
      const p = await this.ensurePartition(name, days.get(name)!, w);
      parts.set(name, p);
      const add: Array<[string, ColumnType]> = [];
      const seen = new Set<string>();
      for (const i of rows) {
        for (let j = batch.fstart[i]; j < batch.fstart[i + 1]; j++) {
          const k = batch.fkeys[j];
          if (p.columns.has(k) || seen.has(k) || p.overflow.has(k)) continue;
          seen.add(k);
          if (p.dynamicCount + add.length < this.opts.maxDynamicColumns && !FIXED_NAMES.has(k)) {
            add.push([k, typeOf(batch.fvals[j])]);
          }
        }
      }
      if (add.length > 0) await drain();
      for (const [k, t] of add) {
        await w.run(`ALTER TABLE ${sqlIdent(name)} ADD COLUMN IF NOT EXISTS ${sqlIdent(k)} ${t}`);
        p.columns.set(k, t);
        p.dynamicCount++;
      }
    }

    // 3. Rows, skip-index blocks, partition metadata and watermarks in one transaction.
    const B = this.opts.blockRows;
    const sealedBlocks: Array<{ p: Partition; meta: BlockMeta }> = [];
    await w.run('BEGIN TRANSACTION');
    try {
      for (const [name, rows] of groups) {
        const p = parts.get(name)!;
        const colNames = [...p.columns.keys()];
        const colIndex = new Map<string, number>();
        for (let i = 0; i < colNames.length; i++) colIndex.set(colNames[i], i);
        const types = colNames.map((n) => p.columns.get(n)!);
        const appender: DuckDBAppender = await w.createAppender(name);
        const out = new ChunkWriter(appender, types);
        const rollup = new RollupCounts();
        let r = p.rows;
        let minT = p.minTime;
        let maxT = p.maxTime;
        // Skip index: each worker batch ("segment") adds its distinct tokens to the open block,
        // which is sealed once it holds at least blockRows rows (blocks are whole segments).
        let seg = -1;
        // Template counts of the segment's rows by batch template index, added to the open block
        // at the segment's end: one map update per distinct template, not per row.
        const segCounts = new Uint32Array(batch.tdict.length);
        const touched: number[] = [];
        let segUntemplated = 0;
        const endSegment = (rowsNow: number) => {
          if (seg < 0) return;
          p.openHashes.addAll(batch.dhash.subarray(batch.hsegs[seg], batch.hsegs[seg + 1]));
          for (const k of touched) {
            p.countTemplate(batch.tdict[k], segCounts[k]);
            segCounts[k] = 0;
          }
          touched.length = 0;
          if (segUntemplated > 0) p.countTemplate(null, segUntemplated);
          segUntemplated = 0;
          if (rowsNow - p.openStart < B) return;
          const bloom = BloomFilter.forCount(Math.max(p.openHashes.size, 1), this.opts.bloomFpp);
          p.openHashes.forEach((hh) => {
            bloom.add(hh);
          });
          const meta: BlockMeta = {
            block: p.blocks.length + sealedBlocks.filter((x) => x.p === p).length,
            rowStart: p.openStart,
            rowEnd: rowsNow - 1,
            minTime: p.openMinTime,
            maxTime: p.openMaxTime,
            bloom,
            templates: p.sealTemplates(newTemplates),
            pending: true,
          };
          sealedBlocks.push({ p, meta });
          p.openHashes.clear();
          p.openStart = rowsNow;
          p.openMinTime = Number.POSITIVE_INFINITY;
          p.openMaxTime = Number.NEGATIVE_INFINITY;
        };
        for (const i of rows) {
          if (seg < 0 || i >= batch.segs[seg + 1]) {
            endSegment(r);
            seg = 0;
            while (i >= batch.segs[seg + 1]) seg++;
          }
          let t = batch.time[i];
          if (t > batch.ingest[i] + FUTURE_LIMIT_US) t = batch.ingest[i];
          let extra: Record<string, FieldValue> | null = null;
          for (let j = batch.fstart[i]; j < batch.fstart[i + 1]; j++) {
            const k = batch.fkeys[j];
            const v = batch.fvals[j];
            const ci = colIndex.get(k);
            const ty = ci === undefined || ci < 9 ? null : types[ci];
            if (ty === 'VARCHAR' && typeof v === 'string') out.setVarchar(ci!, v);
            else if (ty === 'DOUBLE' && typeof v === 'number') out.setDouble(ci!, v);
            else if (ty === 'BOOLEAN' && typeof v === 'boolean') out.setBoolean(ci!, v);
            else {
              extra ??= {};
              extra[k] = v;
              if (!p.overflow.has(k)) {
                p.overflow.add(k);
                newOverflow.push([name, k]);
              }
            }
          }
          out.setInt64(0, Math.trunc(t));
          out.setInt64(1, Math.trunc(batch.ingest[i]));
          out.setInt64(2, batch.qpos[i]);
          out.setVarchar(3, batch.stream[i]);
          out.setVarchar(4, batch.message[i]);
          const lv = batch.level[i];
          if (lv !== '') out.setVarchar(5, lv);
          const h = batch.host[i];
          if (h !== '') out.setVarchar(6, h);
          const sv = batch.service[i];
          if (sv !== '') out.setVarchar(7, sv);
          if (extra !== null) out.setVarchar(8, JSON.stringify(extra));
          out.endRow();
          rollup.add(t, batch.stream[i], lv);
          const tk = batch.tmpl[i];
          if (tk === NO_TEMPLATE) segUntemplated++;
          else if (segCounts[tk]++ === 0) touched.push(tk);
          if (t < p.openMinTime) p.openMinTime = t;
          if (t > p.openMaxTime) p.openMaxTime = t;
          if (t < minT) minT = t;
          if (t > maxT) maxT = t;
          r++;
        }
        out.flush();
        appender.flushSync();
        appender.closeSync();
        endSegment(r);
        await rollup.insert(w, name);
        p.rows = r;
        p.minTime = minT;
        p.maxTime = maxT;
        await w.run(
          `INSERT INTO _lw_partitions VALUES (${sqlString(name)}, ${sqlString(p.day)}, ${r}, ${sqlNumber(minT)}, ${sqlNumber(maxT)})`,
        );
      }
      await insertBlocks(w, this.blooms!, sealedBlocks);
      await insertTemplates(w, sealedBlocks, newTemplates);
      for (const [name, k] of newOverflow) {
        await w.run(`INSERT INTO _lw_overflow VALUES (${sqlString(name)}, ${sqlString(k)})`);
      }
      for (const [partition, next] of maxNext) {
        await w.run(`INSERT INTO _lw_watermarks VALUES (${sqlString(topic)}, ${partition}, ${next})`);
      }
    } catch (err) {
      await w.run('ROLLBACK').catch(() => undefined);
      // In-memory state holds rows that were rolled back: later writes reload it.
      this.fail();
      if (isDiskFull(err)) throw new LwError('LW_ERR_DISK_FULL', ['the store']);
      throw err;
    }
    for (const { p, meta } of sealedBlocks) p.blocks.push(meta);
    for (const [partition, next] of maxNext) this.watermarks.set(`${topic}\u0000${partition}`, next);
    const templatesTo = [...parts.values()].map((p) => [p, p.templateText.length] as const);
    const committed = () => {
      for (const { meta } of sealedBlocks) meta.pending = undefined;
      for (const [p, n] of templatesTo) if (p.templatesCommitted < n) p.templatesCommitted = n;
    };
    return { open: true, epoch, result: { written: batch.n - skipped, skipped }, committed };
  }

  /**
   * Holds the read gate for a search and gives DuckDB its search threads meanwhile. A write's
   * single task can run on any DuckDB thread while the calling one spins until it ends, so while
   * only writes run (ingest), DuckDB has one thread; the change waits for the last search and a
   * short linger. A failed change is logged and leaves the previous count (slower, never wrong).
   */
  private async enterRead(): Promise<Disposable> {
    const gate = await this.gate.enter();
    if (this.narrowTimer) {
      clearTimeout(this.narrowTimer);
      this.narrowTimer = null;
    } else if (this.reading === 0 && this.readThreads > 1) {
      this.setThreads(this.readThreads);
    }
    this.reading++;
    await this.threadsSet;
    let held = true;
    return {
      [Symbol.dispose]: () => {
        if (!held) return;
        held = false;
        gate[Symbol.dispose]();
        if (--this.reading > 0 || this.readThreads === 1) return;
        this.narrowTimer = setTimeout(() => {
          this.narrowTimer = null;
          this.setThreads(1);
        }, READ_THREADS_LINGER_MS);
        this.narrowTimer.unref();
      },
    };
  }

  private setThreads(n: number): void {
    const conn = this.threadsConn;
    if (!conn) return;
    this.threadsSet = this.threadsSet
      .then(() => conn.run(`SET threads = ${n}`))
      .then(
        () => undefined,
        (err) => this.opts.logger?.warn({ err: String(err), threads: n }, 'could not set DuckDB threads'),
      );
  }

  /** DuckDB's current thread count (for tests and stats). */
  async duckdbThreads(): Promise<number> {
    await this.threadsSet;
    const r = await this.threadsConn!.runAndReadAll("SELECT current_setting('threads')");
    return Number(r.getRows()[0][0]);
  }

  /**
   * Plans a filter over a time range: the partitions to read and, for each, a WHERE clause that
   * restricts the scan to the candidate blocks of the skip index (as rowid ranges). Blocks in
   * `known` (counted from their templates, see `templateCounts`) are left out of the count's
   * sub-selects, and out of all sub-selects when they have no match.
   */
  private plan(
    filter: FilterNode,
    reqStart: number | null,
    reqEnd: number | null,
    known: ReadonlyMap<BlockMeta, number> = new Map(),
  ): Plan {
    const start = reqStart ?? Number.NEGATIVE_INFINITY;
    const end = reqEnd ?? Number.POSITIVE_INFINITY;
    const selects: Array<{ p: Partition; where: string }> = [];
    const countSelects: Array<{ p: Partition; where: string }> = [];
    let knownTotal = 0;
    let blocksCounted = 0;
    let blocksTotal = 0;
    let blocksScanned = 0;
    const sorted = [...this.partitions.values()].sort((a, b) => a.name.localeCompare(b.name));
    for (const p of sorted) {
      if (p.rows === 0 || p.maxTime < start || p.minTime >= end) continue;
      const f = compileFilter(filter, p);
      if (f === 'false') continue;
      const texpr = tokenExpr(filter, p);
      // Candidate blocks: time overlap and token requirements.
      const ranges: Array<[number, number]> = [];
      const countRanges: Array<[number, number]> = [];
      const push = (to: Array<[number, number]>, lo: number, hi: number) => {
        const last = to[to.length - 1];
        if (last && last[1] + 1 === lo) last[1] = hi;
        else to.push([lo, hi]);
      };
      let candidates = 0;
      let pKnown = 0;
      let pCounted = 0;
      for (const b of p.blocks) {
        blocksTotal++;
        if (b.maxTime < start || b.minTime >= end) continue;
        const bloom = b.bloom;
        if (bloom && !evalTokens(texpr, (h) => bloom.has(h))) continue;
        const k = known.get(b);
        if (k === 0) continue;
        candidates++;
        push(ranges, b.rowStart, b.rowEnd);
        if (k === undefined) push(countRanges, b.rowStart, b.rowEnd);
        else {
          pKnown += k;
          pCounted++;
        }
      }
      const sealedRows = p.openStart;
      if (p.rows > sealedRows) {
        blocksTotal++;
        const open =
          !(p.openMaxTime < start || p.openMinTime >= end) && evalTokens(texpr, (h) => p.openHashes.has(h));
        if (open) {
          candidates++;
          push(ranges, sealedRows, Number.MAX_SAFE_INTEGER);
          push(countRanges, sealedRows, Number.MAX_SAFE_INTEGER);
        }
      }
      blocksScanned += candidates;
      if (ranges.length === 0) continue;
      const conds: string[] = [];
      if (reqStart !== null && p.minTime < reqStart) conds.push(`_time >= ${sqlTime(reqStart)}`);
      if (reqEnd !== null && p.maxTime >= reqEnd) conds.push(`_time < ${sqlTime(reqEnd)}`);
      if (f !== 'true') conds.push(f);
      const rowSelects = this.rangeSelects(p, ranges, conds);
      selects.push(...rowSelects);
      if (countRanges.length > MAX_ROWID_RANGES) {
        // Too many ranges to count apart: count every candidate row instead.
        countSelects.push(...rowSelects);
      } else {
        countSelects.push(...this.rangeSelects(p, countRanges, conds));
        knownTotal += pKnown;
        blocksCounted += pCounted;
      }
    }
    return {
      selects,
      countSelects,
      known: knownTotal,
      stats: {
        partitions: new Set(selects.map((x) => x.p)).size,
        blocks: blocksTotal,
        blocksScanned,
        blocksCounted,
      },
    };
  }

  /**
   * Sub-selects of rowid ranges of a partition. One per range: DuckDB prunes a single rowid range
   * to its row groups, but scans everything for an OR of ranges (measured: 10 ranges OR'd 60 ms,
   * as a UNION ALL 16 ms, on 10M rows). Leaves are wrapped in COALESCE, which also keeps DuckDB
   * from pushing an equality into the scan, where it would disable the rowid pruning. Above
   * MAX_ROWID_RANGES ranges, or when they cover the whole table, one plain scan.
   */
  private rangeSelects(
    p: Partition,
    ranges: ReadonlyArray<[number, number]>,
    conds: readonly string[],
  ): Array<{ p: Partition; where: string }> {
    if (ranges.length === 0) return [];
    const allBlocks = ranges.length === 1 && ranges[0][0] === 0 && ranges[0][1] === Number.MAX_SAFE_INTEGER;
    if (allBlocks || ranges.length > MAX_ROWID_RANGES) {
      return [{ p, where: conds.length ? conds.join(' AND ') : 'true' }];
    }
    return ranges.map(([lo, hi]) => {
      const r = hi === Number.MAX_SAFE_INTEGER ? `rowid >= ${lo}` : `rowid BETWEEN ${lo} AND ${hi}`;
      return { p, where: [r, ...conds].join(' AND ') };
    });
  }

  /**
   * Blocks whose matches can be counted from their template counts (templates.ts): sealed,
   * committed, with counts, inside the time range, and with every template decided. Maps each
   * to its number of matches.
   */
  private async templateCounts(
    filter: FilterNode,
    reqStart: number | null,
    reqEnd: number | null,
  ): Promise<Map<BlockMeta, number>> {
    const known = new Map<BlockMeta, number>();
    const leaves = messageLeaves(filter);
    // Without a decided leaf nearly every block has a MAYBE template: not worth the queries.
    if (!leaves.some(isDecided)) return known;
    const start = reqStart ?? Number.NEGATIVE_INFINITY;
    const end = reqEnd ?? Number.POSITIVE_INFINITY;
    const byTime = hasTimeNode(filter);
    for (const p of this.partitions.values()) {
      if (p.rows === 0 || p.maxTime < start || p.minTime >= end) continue;
      const blocks = p.blocks.filter(
        (b) => b.templates !== null && !b.pending && b.minTime >= start && b.maxTime < end,
      );
      if (blocks.length === 0) continue;
      const committed = p.templatesCommitted;
      const verdicts = new Map<FilterNode, Uint8Array>();
      for (const leaf of leaves) {
        verdicts.set(leaf, await leafVerdicts(this.reader!, p.name, p.templateText, committed, leaf));
      }
      // Without time nodes a template's verdict is the same in every block.
      const memo = byTime ? null : new Uint8Array(committed).fill(255);
      for (const b of blocks) {
        const t = b.templates!;
        let sum = 0;
        let decided = true;
        for (let i = 0; i < t.counts.length; i += 2) {
          const id = t.counts[i];
          let v: Verdict;
          if (id >= committed) v = MAYBE;
          else if (memo !== null && memo[id] !== 255) v = memo[id] as Verdict;
          else {
            v = verdict(filter, (l) => verdicts.get(l)![id] as Verdict, b.minTime, b.maxTime);
            if (memo !== null) memo[id] = v;
          }
          if (v === MAYBE) {
            decided = false;
            break;
          }
          if (v === YES) sum += t.counts[i + 1];
        }
        if (decided && t.rareRows > 0) {
          const rare = t.rare;
          const v = verdict(filter, (l) => rareVerdict(l, rare), b.minTime, b.maxTime);
          if (v === MAYBE) decided = false;
          else if (v === YES) sum += t.rareRows;
        }
        if (decided) known.set(b, sum);
      }
    }
    return known;
  }

  private wrapQueryError(err: unknown): never {
    if (err instanceof LwError) throw err;
    const m = (err as Error).message ?? '';
    if (/regex|Invalid Input Error|Conversion Error/i.test(m)) {
      throw new LwError('LW_ERR_BAD_PARAM', ['q', m.split('\n')[0]]);
    }
    throw err;
  }

  /** Event counts per time bucket (aligned to multiples of `stepUs` since the epoch), optionally split by a field. */
  async histogram(
    filter: FilterNode,
    start: number | null,
    end: number | null,
    stepUs: number,
    by: string | null,
  ): Promise<Array<{ t: number; value: string | number | boolean | null; count: number }>> {
    using _read = await this.enterRead();
    const step = Math.max(1, Math.trunc(stepUs));
    const counts = new Map<string, { t: number; value: string | number | boolean | null; count: number }>();
    const add = (b: number, value: string | number | boolean | null, c: number) => {
      const k = `${b}\u0000${typeof value}\u0000${value}`;
      const e = counts.get(k);
      if (e) e.count += c;
      else counts.set(k, { t: b * step, value, count: c });
    };
    const rollupBy = by === null || by === 'level' || by === 'stream' ? by : undefined;
    if (step % MINUTE_US === 0 && rollupBy !== undefined && rollupCanFilter(filter)) {
      // Whole minutes from the per-minute counts, the partial minutes at the ends from the rows.
      const startMin = start === null ? null : Math.ceil(start / MINUTE_US);
      const endMin = end === null ? null : Math.floor(end / MINUTE_US);
      if (startMin === null || endMin === null || startMin < endMin) {
        const lo = startMin ?? Number.MIN_SAFE_INTEGER;
        const hi = endMin ?? Number.MAX_SAFE_INTEGER;
        const parts = [...this.partitions.values()]
          .filter((p) => p.rows > 0 && p.maxTime >= lo * MINUTE_US && p.minTime < hi * MINUTE_US)
          .map((p) => p.name);
        try {
          const rows = await rollupHistogram(this.reader!, parts, filter, lo, hi, step / MINUTE_US, rollupBy);
          for (const r of rows) add(r.b, r.v, r.c);
        } catch (err) {
          this.wrapQueryError(err);
        }
        if (start !== null && start < lo * MINUTE_US)
          await this.histogramRows(filter, start, lo * MINUTE_US, step, by, add);
        if (end !== null && hi * MINUTE_US < end)
          await this.histogramRows(filter, hi * MINUTE_US, end, step, by, add);
        return this.sortedBuckets(counts);
      }
    }
    await this.histogramRows(filter, start, end, step, by, add);
    return this.sortedBuckets(counts);
  }

  private sortedBuckets(
    counts: Map<string, { t: number; value: string | number | boolean | null; count: number }>,
  ): Array<{ t: number; value: string | number | boolean | null; count: number }> {
    const rows = [...counts.values()];
    rows.sort((x, y) => x.t - y.t || String(x.value).localeCompare(String(y.value)));
    return rows;
  }

  /** Histogram counts from the rows (the caller holds the read gate). */
  private async histogramRows(
    filter: FilterNode,
    start: number | null,
    end: number | null,
    step: number,
    by: string | null,
    add: (b: number, value: string | number | boolean | null, c: number) => void,
  ): Promise<void> {
    const conn = this.reader;
    if (!conn) throw new Error('BUG: store is not open');
    const { selects } = this.plan(filter, start, end);
    if (selects.length === 0) return;
    // Group by the bucket number (the multiplication happens in JS, not per row in SQL), and
    // re-aggregate only when several sub-selects contribute: measured 77 ms instead of 92 ms for
    // 10M rows, 288 buckets by level.
    const parts = selects.map((s) => {
      const v = by === null ? 'NULL' : fieldExpr(by, s.p);
      return `SELECT ${sqlFloorDiv('epoch_us(_time)', step)} AS b, ${v} AS v, count(*) AS c FROM ${sqlIdent(s.p.name)} WHERE ${s.where} GROUP BY ALL`;
    });
    try {
      const sql =
        parts.length === 1
          ? parts[0]
          : `SELECT b, v, sum(c) FROM (${parts.join(' UNION ALL ')}) GROUP BY b, v`;
      for (const [b, v, c] of (await conn.runAndReadAll(sql)).getRows()) {
        add(
          Number(b),
          (typeof v === 'bigint' ? Number(v) : v) as string | number | boolean | null,
          Number(c),
        );
      }
    } catch (err) {
      this.wrapQueryError(err);
    }
  }

  /** The most frequent values of a field among matching events, with counts. */
  async topValues(
    filter: FilterNode,
    start: number | null,
    end: number | null,
    field: string,
    limit: number,
  ): Promise<{ total: number; values: Array<{ value: string | number | boolean | null; count: number }> }> {
    using _read = await this.enterRead();
    const conn = this.reader;
    if (!conn) throw new Error('BUG: store is not open');
    const { selects } = this.plan(filter, start, end);
    if (selects.length === 0) return { total: 0, values: [] };
    const parts = selects.map(
      (s) =>
        `SELECT ${fieldExpr(field, s.p)} AS v, count(*) AS c FROM ${sqlIdent(s.p.name)} WHERE ${s.where} GROUP BY ALL`,
    );
    try {
      const rows = (
        await conn.runAndReadAll(
          `SELECT v, sum(c) AS n, sum(sum(c)) OVER () AS total FROM (${parts.join(' UNION ALL ')}) GROUP BY v ORDER BY n DESC, v LIMIT ${Math.trunc(limit)}`,
        )
      ).getRows();
      return {
        total: rows.length ? Number(rows[0][2]) : 0,
        values: rows.map(([v, n]) => ({
          value: (typeof v === 'bigint' ? Number(v) : v) as string | number | boolean | null,
          count: Number(n),
        })),
      };
    } catch (err) {
      this.wrapQueryError(err);
    }
  }

  /**
   * The fields of the matching events with their types and how many events have each: one scan
   * counting every column at once (and, for partitions with overflow fields, one scan of the
   * `_extra` keys). Above `FIELD_SAMPLE_ROWS * 2` matches the counts come from a block sample of
   * the tables sized for about `FIELD_SAMPLE_ROWS` matches, scaled to the exact total: reading
   * every column of 10M rows takes seconds, a sidebar must answer in a fraction of one.
   */
  async fieldStats(filter: FilterNode, start: number | null, end: number | null): Promise<FieldStats> {
    using _read = await this.enterRead();
    const conn = this.reader;
    if (!conn) throw new Error('BUG: store is not open');
    const { selects } = this.plan(filter, start, end);
    if (selects.length === 0) return { total: 0, fields: [], sample: null };
    const types = new Map<string, Set<ColumnType>>();
    for (const [n, t] of FIXED_COLUMNS) if (!INTERNAL_COLUMNS.has(n)) types.set(n, new Set([t]));
    for (const { p } of selects)
      for (const [n, t] of p.columns) {
        if (INTERNAL_COLUMNS.has(n)) continue;
        let set = types.get(n);
        if (!set) types.set(n, (set = new Set()));
        set.add(t);
      }
    const names = [...types.keys()];
    const counts = new Map<string, number>();
    let total = 0;
    let sample: FieldStats['sample'] = null;
    try {
      const countSql = selects
        .map(({ p, where }) => `SELECT count(*) AS c FROM ${sqlIdent(p.name)} WHERE ${where}`)
        .join(' UNION ALL ');
      total = Number((await conn.runAndReadAll(`SELECT sum(c) FROM (${countSql})`)).getRows()[0]![0] ?? 0);
      if (total === 0) return { total: 0, fields: [], sample: null };
      const percent =
        total > 2 * FIELD_SAMPLE_ROWS
          ? Math.max(0.01, Math.round((FIELD_SAMPLE_ROWS / total) * 10000) / 100)
          : 100;
      const from = (p: Partition) =>
        percent < 100 ? `${sqlIdent(p.name)} TABLESAMPLE ${percent} PERCENT (system, 42)` : sqlIdent(p.name);
      // Columns by position (c0, c1, ...): field names may be long or clash with SQL words.
      const parts = selects.map(({ p, where }) => {
        const cs = names
          .map((n, i) => {
            if (!p.columns.has(n)) return null;
            const c = sqlIdent(n);
            return `count(${p.columns.get(n) === 'VARCHAR' ? `NULLIF(${c}, '')` : c}) AS c${i}`;
          })
          .filter((x) => x !== null);
        return `SELECT count(*) AS n, ${cs.join(', ')} FROM ${from(p)} WHERE ${where}`;
      });
      const outer = names.map((_, i) => `sum(c${i})`).join(', ');
      const row = (
        await conn.runAndReadAll(`SELECT sum(n), ${outer} FROM (${parts.join(' UNION ALL BY NAME ')})`)
      ).getRows()[0]!;
      const seen = Number(row[0] ?? 0);
      // An empty sample (tiny tables) says nothing: then the counts are exact.
      const scale = percent < 100 && seen > 0 ? total / seen : 1;
      if (percent < 100 && seen > 0) sample = { rows: seen, percent };
      for (const [i, n] of names.entries()) counts.set(n, Math.round(Number(row[i + 1] ?? 0) * scale));
      const extras = selects.filter((s) => s.p.overflow.size > 0);
      if (extras.length > 0) {
        const sql = extras
          .map(
            ({ p, where }) =>
              `SELECT unnest(json_keys(_extra)) AS k FROM ${from(p)} WHERE _extra IS NOT NULL AND ${where}`,
          )
          .join(' UNION ALL ');
        for (const [k, c] of (
          await conn.runAndReadAll(`SELECT k, count(*) FROM (${sql}) GROUP BY k`)
        ).getRows()) {
          const name = String(k);
          counts.set(name, (counts.get(name) ?? 0) + Math.round(Number(c) * scale));
          if (!types.has(name)) types.set(name, new Set(['VARCHAR']));
        }
      }
    } catch (err) {
      this.wrapQueryError(err);
    }
    const typeName = (t: ColumnType) =>
      t === 'DOUBLE' ? 'number' : t === 'BOOLEAN' ? 'boolean' : t === 'TIMESTAMP' ? 'time' : 'string';
    const fields = [...counts]
      .filter(([, c]) => c > 0)
      .map(([name, count]) => ({ name, types: [...new Set([...types.get(name)!].map(typeName))], count }))
      .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
    return { total, fields, sample };
  }

  /** A query with pipes, compiled to SQL over the planned (skip-index pruned) sub-selects. */
  async query(req: PipelineRequest): Promise<PipelineResult> {
    using _read = await this.enterRead();
    const conn = this.reader;
    if (!conn) throw new Error('BUG: store is not open');
    const { selects } = this.plan(req.filter, req.start, req.end);
    try {
      return await runPipeline(conn, selects, req);
    } catch (err) {
      this.wrapQueryError(err);
    }
  }

  async search(req: SearchRequest): Promise<SearchResult> {
    using _read = await this.enterRead();
    const conn = this.reader;
    if (!conn) throw new Error('BUG: store is not open');
    try {
      const known = await this.templateCounts(req.filter, req.start, req.end);
      const {
        selects,
        countSelects,
        known: knownTotal,
        stats,
      } = this.plan(req.filter, req.start, req.end, known);
      if (selects.length === 0) return { events: [], total: 0, stats };
      const countSql = countSelects
        .map((s) => `SELECT count(*) AS c FROM ${sqlIdent(s.p.name)} WHERE ${s.where}`)
        .join(' UNION ALL ');
      const count = async () =>
        knownTotal +
        (countSelects.length === 0
          ? 0
          : Number((await conn.runAndReadAll(`SELECT sum(c) FROM (${countSql})`)).getRows()[0][0] ?? 0));
      if (req.limit <= 0) return { events: [], total: await count(), stats };
      const dir = req.order === 'asc' ? 'ASC' : 'DESC';
      const topSql = selects
        .map(
          (s, i) =>
            `SELECT ${i} AS ti, rowid AS rid, _time AS t, _qpos AS q FROM ${sqlIdent(s.p.name)} WHERE ${s.where}`,
        )
        .join(' UNION ALL ');
      const top = (
        await conn.runAndReadAll(
          `SELECT ti, rid FROM (${topSql}) ORDER BY t ${dir}, q ${dir} LIMIT ${req.limit}`,
        )
      ).getRows();
      // Fewer matches than the limit: they are all of them, no second scan to count.
      const total = top.length < req.limit ? top.length : await count();
      if (total === 0) return { events: [], total, stats };
      const byTable = new Map<number, number[]>();
      for (const [ti, rid] of top) {
        const k = Number(ti);
        let l = byTable.get(k);
        if (!l) byTable.set(k, (l = []));
        l.push(Number(rid));
      }
      const rowsById = new Map<string, OutputEvent>();
      for (const [ti, rids] of byTable) {
        const p = selects[ti].p;
        const lo = Math.min(...rids);
        const hi = Math.max(...rids);
        const dyn = [...p.columns.keys()].filter((n) => !FIXED_NAMES.has(n));
        const cols = [
          'rowid',
          'epoch_us(_time)',
          'epoch_us(_ingest_time)',
          '_qpos',
          'stream',
          'message',
          'level',
          'host',
          'service',
          '_extra',
          ...dyn.map(sqlIdent),
        ];
        const res = await conn.runAndReadAll(
          `SELECT ${cols.join(', ')} FROM ${sqlIdent(p.name)} WHERE rowid BETWEEN ${lo} AND ${hi} AND rowid IN (${rids.join(',')})`,
        );
        for (const row of res.getRows()) {
          const ev: OutputEvent = {
            _id: qposToId(Number(row[3])),
            _time: formatTimestamp(Number(row[1])),
            _ingest_time: formatTimestamp(Number(row[2])),
            stream: (row[4] as string) ?? '',
            message: (row[5] as string) ?? '',
          };
          // Fields an event doesn't have are left out, like every dynamic field.
          if (row[6] !== null) ev.level = row[6] as string;
          if (row[7] !== null) ev.host = row[7] as string;
          if (row[8] !== null) ev.service = row[8] as string;
          for (let c = 0; c < dyn.length; c++) {
            const v = row[10 + c];
            if (v !== null && v !== undefined) ev[dyn[c]] = v as string | number | boolean;
          }
          if (row[9]) Object.assign(ev, JSON.parse(row[9] as string));
          rowsById.set(`${ti}:${row[0]}`, ev);
        }
      }
      const events: OutputEvent[] = [];
      for (const [ti, rid] of top) {
        const ev = rowsById.get(`${ti}:${rid}`);
        if (ev) events.push(ev);
      }
      return { events, total, stats };
    } catch (err) {
      this.wrapQueryError(err);
    }
  }

  /**
   * Retention (see RetentionPolicy and rewrite.ts): each partition holding expired events is
   * dropped or rewritten in its own exclusive turn, so writes proceed between partitions; the
   * swap itself waits for running searches and holds new ones off until the in-memory skip
   * index matches the committed table.
   */
  async applyRetention(policy: RetentionPolicy): Promise<RetentionResult> {
    const result: RetentionResult = { dropped: [], rewritten: [] };
    const expiry = expiryOf(policy);
    if (!expiry) return result;
    const failed: string[] = [];
    for (const name of [...this.partitions.keys()].sort()) {
      // One partition failing (disk full, say) does not keep the others' events past retention.
      await this.exclusive(async () => {
        const p = this.partitions.get(name);
        const w = this.writers[0];
        if (!p || !w) return;
        const staged = await stageRetention(w, p, expiry, this.opts, this.blooms!);
        if (!staged) return;
        await this.gate.swap(async () => {
          try {
            await w.run('COMMIT');
          } catch (err) {
            await w.run('ROLLBACK').catch(() => undefined);
            this.fail();
            throw err;
          }
          if (staged.kind === 'drop') {
            this.partitions.delete(name);
            return;
          }
          p.rows = staged.kept;
          p.minTime = staged.minTime;
          p.maxTime = staged.maxTime;
          // The committed table and metadata are right; a failed reload only needs a retry.
          await this.loadPartition(p, w).catch((err) => {
            this.fail();
            throw err;
          });
        });
        if (staged.kind === 'drop') {
          result.dropped.push(name);
          this.opts.logger?.info({ partition: name, rows: staged.removed }, 'retention: partition dropped');
        } else {
          const { removed, kept } = staged;
          result.rewritten.push({ partition: name, removed, kept });
          this.opts.logger?.info({ partition: name, removed, kept }, 'retention: partition rewritten');
        }
      }).catch((err) => {
        failed.push(`${name}: ${(err as Error).message}`);
      });
    }
    if (result.dropped.length + result.rewritten.length > 0) {
      await this.exclusive(() => this.compactBlooms(this.writers[0])).catch((err) => {
        failed.push(`compacting the skip-index file: ${(err as Error).message}`);
      });
    }
    if (failed.length > 0) throw new Error(`retention failed for ${failed.join('; ')}`);
    return result;
  }

  async stats(): Promise<StoreStats> {
    let rows = 0;
    let blocks = 0;
    for (const p of this.partitions.values()) {
      rows += p.rows;
      blocks += p.blocks.length;
    }
    let bytesOnDisk = 0;
    for (const f of [this.dbPath, `${this.dbPath}.wal`, ...(this.blooms ? [this.blooms.path] : [])]) {
      try {
        bytesOnDisk += fs.statSync(f).size;
      } catch {
        // absent WAL
      }
    }
    return { partitions: this.partitions.size, rows, blocks, bytesOnDisk };
  }

  /** DuckDB's own memory use by component (bytes), for /api/v1/stats. */
  async memory(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const r = await this.reader!.runAndReadAll(
      'SELECT tag, memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0',
    );
    for (const [tag, bytes] of r.getRows()) out[String(tag)] = Number(bytes);
    let bloom = 0;
    for (const p of this.partitions.values())
      for (const b of p.blocks) bloom += b.bloom?.toBytes().length ?? 0;
    out.SKIP_INDEX_BLOOMS = bloom;
    return out;
  }

  /** Runs a CHECKPOINT so that the WAL is folded into the database file. */
  checkpoint(): Promise<void> {
    return this.exclusive(async () => {
      await this.writers[0].run('CHECKPOINT');
    });
  }

  async close(): Promise<void> {
    if (!this.instance) return;
    if (this.narrowTimer) clearTimeout(this.narrowTimer);
    this.narrowTimer = null;
    await this.threadsSet;
    try {
      await this.checkpoint();
    } catch (err) {
      this.opts.logger?.warn({ err: String(err) }, 'checkpoint on close failed');
    }
    for (const w of this.writers) w.closeSync();
    this.reader?.closeSync();
    this.threadsConn?.closeSync();
    this.threadsConn = null;
    this.instance.closeSync();
    this.instance = null;
    this.blooms?.close();
    this.blooms = null;
    this.writers = [];
    this.reader = null;
  }
}
