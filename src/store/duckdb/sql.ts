/**
 * SQL helpers for the DuckDB store: literal and identifier quoting, RE2 escaping, and running a
 * piece of work as one transaction.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export function sqlIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

export function sqlNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`BUG: non-finite number in SQL: ${n}`);
  return String(n);
}

/** A TIMESTAMP literal from epoch microseconds. */
export function sqlTime(us: number): string {
  return `make_timestamp(${Math.trunc(us)}::BIGINT)`;
}

/** Beyond any |epoch µs| of years 0001-9999 (the store clamps times into them). */
const FLOOR_OFFSET = 70_000_000_000_000_000n;

/**
 * SQL floor division of an integer expression (|value| < 7e16, such as epoch µs) by a positive
 * integer. DuckDB's `//` truncates toward zero; adding a multiple of `d` beyond any value first
 * makes the dividend positive, so that the quotient is the floor, also before 1970.
 */
export function sqlFloorDiv(expr: string, d: number): string {
  const dd = BigInt(Math.trunc(d));
  const k = (FLOOR_OFFSET + dd - 1n) / dd;
  return `((${expr} + ${k * dd}::BIGINT) // ${dd}::BIGINT - ${k}::BIGINT)`;
}

/** Escapes text for use as a literal inside an RE2 pattern. */
export function re2Escape(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}\-/#&~"'`]/g, '\\$&');
}

/** Escapes text for use inside a LIKE pattern with ESCAPE '\\'. */
export function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, '\\$&');
}

/**
 * Runs `fn` as one transaction on `w` (which must have none open): COMMIT when it resolves;
 * ROLLBACK and rethrow when it throws.
 */
export async function inTransaction<T>(w: DuckDBConnection, fn: () => Promise<T>): Promise<T> {
  await w.run('BEGIN TRANSACTION');
  try {
    const r = await fn();
    await w.run('COMMIT');
    return r;
  } catch (err) {
    await w.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
