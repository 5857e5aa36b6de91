/**
 * Column-wise appends to a DuckDB table through data chunks, instead of one native call per
 * value through the row appender (which cost about half of the main thread while ingesting).
 *
 * Rows are written into plain typed arrays, one per column, and handed over a chunk (DuckDB's
 * vector size, 2048 rows) at a time: one memory copy per fixed-width column and per validity
 * mask. Absent values cost nothing (a column's validity starts all-null). VARCHAR values of at
 * most 12 ASCII bytes are written inline into the `duckdb_string_t` slots (4-byte length, then
 * the bytes, zero-padded: the layout of DuckDB's C API); longer or non-ASCII strings are
 * assigned through DuckDB, which copies them into the vector's string heap.
 *
 * Little-endian only (x86-64 and arm64), which the constructor checks.
 */
import os from 'node:os';
import { type DuckDBAppender, DuckDBDataChunk, type DuckDBType, DuckDBTypeId } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import type { ColumnType } from './compile.ts';

const INLINE = 12;
const ROWS = duckdb.vector_size();
/**
 * The appender buffers its chunks until flushed (DuckDB flushes every 100 chunks): a flush every
 * 8 chunks (16k rows) moves them into the transaction at once, so that a write of a row group
 * does not hold a second copy of it.
 */
const CHUNKS_PER_FLUSH = 8;

interface Column {
  type: ColumnType;
  /** Fixed-width data, or the 16-byte string slots. */
  bytes: Uint8Array<ArrayBuffer>;
  /** Views of `bytes` for fixed-width writes. */
  i32: Int32Array;
  u32: Uint32Array;
  f64: Float64Array;
  /** Validity bits (1 = valid), least significant bit first, as DuckDB's mask. */
  valid: Uint8Array<ArrayBuffer>;
  /** Strings that don't fit inline: row, value. */
  longRows: number[];
  longVals: string[];
  /** The slot/value width in bytes. */
  width: number;
}

function widthOf(t: ColumnType): number {
  return t === 'VARCHAR' ? 16 : t === 'BOOLEAN' ? duckdb.sizeof_bool : 8;
}

export class ChunkWriter {
  private readonly columns: Column[];
  private readonly appender: DuckDBAppender;
  private readonly chunk: DuckDBDataChunk;
  /** Rows written into the current chunk. */
  private n = 0;
  /** Chunks handed to the appender. */
  private chunks = 0;

  constructor(appender: DuckDBAppender, types: readonly ColumnType[]) {
    if (os.endianness() !== 'LE') throw new Error('the chunk writer needs a little-endian machine');
    this.appender = appender;
    const duckTypes: DuckDBType[] = [];
    for (let c = 0; c < types.length; c++) duckTypes.push(appender.columnType(c));
    for (let c = 0; c < types.length; c++) {
      const expected = {
        VARCHAR: DuckDBTypeId.VARCHAR,
        DOUBLE: DuckDBTypeId.DOUBLE,
        BOOLEAN: DuckDBTypeId.BOOLEAN,
        TIMESTAMP: DuckDBTypeId.TIMESTAMP,
        BIGINT: DuckDBTypeId.BIGINT,
      }[types[c]];
      if (duckTypes[c].typeId !== expected) {
        throw new Error(`column ${c} of the table is ${duckTypes[c]}, not ${types[c]}`);
      }
    }
    this.chunk = DuckDBDataChunk.create(duckTypes);
    this.columns = types.map((type) => {
      const width = widthOf(type);
      const buf = new ArrayBuffer(width * ROWS);
      return {
        type,
        bytes: new Uint8Array(buf),
        i32: new Int32Array(buf),
        u32: new Uint32Array(buf),
        f64: new Float64Array(buf),
        valid: new Uint8Array(ROWS / 8),
        longRows: [],
        longVals: [],
        width,
      };
    });
  }

  /** The row the next `set*` calls write (call `endRow` after each row). */
  get row(): number {
    return this.n;
  }

  private markValid(col: Column): void {
    col.valid[this.n >> 3] |= 1 << (this.n & 7);
  }

  /** An int64 (TIMESTAMP microseconds or BIGINT) from a double that holds an integer. */
  setInt64(c: number, v: number): void {
    const col = this.columns[c];
    const hi = Math.floor(v / 4294967296);
    col.u32[this.n * 2] = v - hi * 4294967296;
    col.i32[this.n * 2 + 1] = hi;
    this.markValid(col);
  }

  setDouble(c: number, v: number): void {
    const col = this.columns[c];
    col.f64[this.n] = v;
    this.markValid(col);
  }

  setBoolean(c: number, v: boolean): void {
    const col = this.columns[c];
    col.bytes[this.n * col.width] = v ? 1 : 0;
    this.markValid(col);
  }

  setVarchar(c: number, s: string): void {
    const col = this.columns[c];
    const len = s.length;
    if (len <= INLINE) {
      const base = this.n * 16;
      let ascii = true;
      for (let i = 0; i < len; i++) {
        const ch = s.charCodeAt(i);
        if (ch > 0x7f) {
          ascii = false;
          break;
        }
        col.bytes[base + 4 + i] = ch;
      }
      if (ascii) {
        col.u32[base >> 2] = len;
        this.markValid(col);
        return;
      }
      col.bytes.fill(0, base + 4, base + 16);
    }
    col.longRows.push(this.n);
    col.longVals.push(s);
    this.markValid(col);
  }

  endRow(): void {
    if (++this.n === ROWS) this.flush();
  }

  /** Appends the rows written so far (the appender still needs its own flush to commit them). */
  flush(): void {
    const n = this.n;
    if (n === 0) return;
    const raw = this.chunk.chunk;
    duckdb.data_chunk_reset(raw);
    for (let c = 0; c < this.columns.length; c++) {
      const col = this.columns[c];
      const vector = duckdb.data_chunk_get_vector(raw, c);
      duckdb.copy_data_to_vector(vector, 0, col.bytes.buffer, 0, n * col.width);
      duckdb.vector_ensure_validity_writable(vector);
      duckdb.copy_data_to_vector_validity(vector, 0, col.valid.buffer, 0, Math.ceil(n / 64) * 8);
      for (let i = 0; i < col.longRows.length; i++) {
        duckdb.vector_assign_string_element(vector, col.longRows[i], col.longVals[i]);
      }
      col.longRows.length = 0;
      col.longVals.length = 0;
      col.valid.fill(0);
      if (col.type === 'VARCHAR') col.bytes.fill(0, 0, n * 16);
    }
    duckdb.data_chunk_set_size(raw, n);
    this.appender.appendDataChunk(this.chunk);
    this.n = 0;
    if (++this.chunks % CHUNKS_PER_FLUSH === 0) this.appender.flushSync();
  }
}
