/**
 * SQL for `eval` expressions (src/core/pipe-ast.ts `Expr`), and the conversions between the
 * column types of a pipeline that every pipe uses: text of a value for string functions and
 * regexes, a value as a number for arithmetic and numeric aggregates.
 */
import type { Expr } from '../../core/pipe-ast.ts';
import { LwError } from '../../core/errors.ts';
import { type ColumnType, numberText } from './compile.ts';
import { sqlIdent, sqlNumber, sqlString } from './sql.ts';

export type PType = ColumnType | 'LIST';

/** An SQL expression and its type. */
export interface Typed {
  sql: string;
  type: PType;
}

/** Converts an expression of type `from` to `to` (as the unified column type). */
export function convert(e: string, from: ColumnType, to: ColumnType): string {
  if (from === to) return e;
  if (to === 'VARCHAR') return from === 'DOUBLE' ? numberText(e) : `CAST(${e} AS VARCHAR)`;
  return `TRY_CAST(${e} AS ${to})`;
}

/** Text of a column for string functions and regexes. */
export function textOf(e: string, t: PType): string {
  if (t === 'VARCHAR') return e;
  if (t === 'DOUBLE') return numberText(e);
  if (t === 'TIMESTAMP') return `strftime(${e}, '%Y-%m-%dT%H:%M:%S.%fZ')`;
  if (t === 'LIST') return `CAST(to_json(${e}) AS VARCHAR)`;
  return `CAST(${e} AS VARCHAR)`;
}

/** A column as a number: numbers as they are, text that reads as a number, times in ms. */
export function numOf(e: string, t: PType): string {
  if (t === 'DOUBLE') return e;
  if (t === 'BIGINT') return `CAST(${e} AS DOUBLE)`;
  if (t === 'TIMESTAMP') return `(epoch_us(${e}) / 1000.0)`;
  if (t === 'BOOLEAN') return `CAST(${e} AS DOUBLE)`;
  return `TRY_CAST(${e} AS DOUBLE)`;
}

export function compileExpr(e: Expr, typeOf: (field: string) => PType | undefined): Typed {
  switch (e.kind) {
    case 'number':
      return { sql: `${sqlNumber(e.value)}::DOUBLE`, type: 'DOUBLE' };
    case 'string':
      return { sql: sqlString(e.value), type: 'VARCHAR' };
    case 'null':
      return { sql: 'NULL', type: 'VARCHAR' };
    case 'field': {
      const t = typeOf(e.name);
      return t === undefined ? { sql: 'NULL', type: 'VARCHAR' } : { sql: sqlIdent(e.name), type: t };
    }
    case 'unary': {
      const a = compileExpr(e.arg, typeOf);
      return { sql: `(-${numOf(a.sql, a.type)})`, type: 'DOUBLE' };
    }
    case 'binary': {
      const l = compileExpr(e.left, typeOf);
      const r = compileExpr(e.right, typeOf);
      const ln = numOf(l.sql, l.type);
      const rn = numOf(r.sql, r.type);
      const sql = e.op === '/' || e.op === '%' ? `(${ln} ${e.op} NULLIF(${rn}, 0))` : `(${ln} ${e.op} ${rn})`;
      return { sql, type: 'DOUBLE' };
    }
    case 'call':
      return call(
        e.fn,
        e.args.map((x) => compileExpr(x, typeOf)),
      );
  }
}

function call(fn: string, a: Typed[]): Typed {
  const num = (i: number) => numOf(a[i]!.sql, a[i]!.type);
  const text = (i: number) => textOf(a[i]!.sql, a[i]!.type);
  const d = (sql: string) => ({ sql, type: 'DOUBLE' as PType });
  const s = (sql: string) => ({ sql, type: 'VARCHAR' as PType });
  switch (fn) {
    case 'abs':
    case 'ceil':
    case 'floor':
      return d(`${fn}(${num(0)})`);
    case 'round':
      return d(a.length === 2 ? `round(${num(0)}, CAST(${num(1)} AS INTEGER))` : `round(${num(0)})`);
    case 'sqrt':
      return d(`(CASE WHEN ${num(0)} >= 0 THEN sqrt(${num(0)}) END)`);
    case 'ln':
    case 'log10':
      return d(`(CASE WHEN ${num(0)} > 0 THEN ${fn}(${num(0)}) END)`);
    case 'exp':
      return d(`(CASE WHEN ${num(0)} < 700 THEN exp(${num(0)}) END)`);
    case 'pow':
      return d(`TRY(pow(${num(0)}, ${num(1)}))`);
    case 'lower':
    case 'upper':
    case 'trim':
      return s(`${fn}(${text(0)})`);
    case 'len':
      return d(`CAST(length(${text(0)}) AS DOUBLE)`);
    case 'concat':
      return s(`concat(${a.map((_, i) => text(i)).join(', ')})`);
    case 'substr':
      return s(
        a.length === 3
          ? `substring(${text(0)}, CAST(${num(1)} AS BIGINT), CAST(${num(2)} AS BIGINT))`
          : `substring(${text(0)}, CAST(${num(1)} AS BIGINT))`,
      );
    case 'replace':
      return s(`replace(${text(0)}, ${text(1)}, ${text(2)})`);
    case 'coalesce': {
      const types = new Set(a.map((x) => x.type));
      if (types.size === 1) {
        const t = a[0]!.type;
        return { sql: `coalesce(${a.map((x) => x.sql).join(', ')})`, type: t };
      }
      return s(`coalesce(${a.map((_, i) => text(i)).join(', ')})`);
    }
    case 'tostring':
      return s(text(0));
    case 'tonumber':
      return d(num(0));
    default:
      throw new LwError('LW_ERR_BAD_PARAM', ['q', `eval: unknown function ${fn}`]);
  }
}
