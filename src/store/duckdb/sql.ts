/** SQL text helpers for the DuckDB store: literal and identifier quoting, RE2 escaping. */

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

/** Escapes text for use as a literal inside an RE2 pattern. */
export function re2Escape(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}\-/#&~"'`]/g, '\\$&');
}

/** Escapes text for use inside a LIKE pattern with ESCAPE '\\'. */
export function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, '\\$&');
}
