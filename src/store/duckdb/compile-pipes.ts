/**
 * Compiles the pipes of a query (src/core/pipe-ast.ts) into one DuckDB statement: a chain of
 * CTEs, the first the UNION ALL of the planned per-partition sub-selects (skip-index pruned, as
 * for a search), each further one a pipe. DuckDB does the work (group by, time buckets,
 * quantiles, sorting); only the final rows come back to JavaScript.
 *
 * Columns:
 * - The first CTE projects `_time`, `_id` (the queue position), the fields the pipes reference
 *   and, when no pipe narrows the columns (no stats/timechart/top/rare/fields), every column
 *   plus the `_extra` JSON, so that the answer is whole events.
 * - A field has one type across partitions: its column type when every partition that has the
 *   column agrees and none holds values of it in `_extra` (another type, or beyond
 *   maxDynamicColumns), else text (numbers written as JSON writes them). Numeric functions read
 *   text that is a number as that number.
 * - Row order is carried in hidden columns (`__lw_oN`) so that it survives `fields` and
 *   `rename`: newest first for events, the group keys for `stats`, the count for `top`, and
 *   whatever `sort` says; `limit`, `dedup` and the final select use it.
 */
import type { Agg, Expr, Pipe, StatsPipe, TimechartPipe } from '../../core/pipe-ast.ts';
import type { FilterNode } from '../../core/query-ast.ts';
import { walk } from '../../core/query-ast.ts';
import { LwError } from '../../core/errors.ts';
import { type ColumnType, compileFilter } from './compile.ts';
import { compileExpr, convert, numOf, type PType, textOf } from './compile-expr.ts';
import type { Partition } from './partition.ts';
import { re2Escape, sqlFloorDiv, sqlIdent, sqlNumber, sqlString } from './sql.ts';
import { tzBucketSql, tzOffsetsFor } from './tz-buckets.ts';

const FIXED: ReadonlyArray<[string, ColumnType]> = [
  ['_time', 'TIMESTAMP'],
  ['_ingest_time', 'TIMESTAMP'],
  ['stream', 'VARCHAR'],
  ['message', 'VARCHAR'],
  ['level', 'VARCHAR'],
  ['host', 'VARCHAR'],
  ['service', 'VARCHAR'],
];
const FIXED_TYPES = new Map<string, ColumnType>(FIXED);
/** Columns of a partition table that are not event fields. */
const INTERNAL = new Set(['_qpos', '_extra']);

export const MAX_UNPACKED_KEYS = 200;

/** A relation in the chain: its CTE name, visible columns (in order) and row order. */
interface Rel {
  name: string;
  cols: Map<string, PType>;
  /** Hidden columns carried along (order keys, `_extra`). */
  hidden: string[];
  order: Array<{ col: string; desc: boolean }>;
  /** True once a pipe fixed the set of columns: an unknown field is then an error. */
  closed: boolean;
  /** `_extra` is carried (whole events): names of the base columns, to skip when merging it. */
  extra: Set<string> | null;
}

export interface CompileInput {
  selects: ReadonlyArray<{ p: Partition; where: string }>;
  pipes: Pipe[];
  /** The query's time range (epoch µs), for rate(). */
  start: number | null;
  end: number | null;
  nowUs: number;
  /** IANA time zone for time buckets; null = UTC. */
  tz: string | null;
  /** Runs a query and returns its first column (for `unpack_json` key discovery). */
  firstColumn: (sql: string) => Promise<unknown[]>;
}

export interface CompiledPipeline {
  /** `WITH ...` clause text (without the final select). */
  with: string;
  rel: Rel;
  /** Set when the last pipe is a timechart: the long-table select to run instead. */
  timechart?: { pipe: TimechartPipe; sql: string; stepUs: number };
  /** Whether the answer is a table (an aggregating pipe ran) or events. */
  aggregated: boolean;
  warnings: string[];
  approximate: string[];
}

function badPipe(message: string): LwError {
  return new LwError('LW_ERR_BAD_PARAM', ['q', message]);
}

/** Names of the fields a filter reads (`_time` for time nodes). */
function filterFields(f: FilterNode): string[] {
  const out: string[] = [];
  walk(f, (n) => {
    if (n.type === 'time') out.push('_time');
    else if ('field' in n) out.push(n.field ?? 'message');
  });
  return out;
}

function exprFields(e: Expr, out: string[]): void {
  if (e.kind === 'field') out.push(e.name);
  else if (e.kind === 'unary') exprFields(e.arg, out);
  else if (e.kind === 'binary') {
    exprFields(e.left, out);
    exprFields(e.right, out);
  } else if (e.kind === 'call') for (const a of e.args) exprFields(a, out);
}

/**
 * The event fields the pipes read before the first pipe that fixes the columns, and whether
 * the answer needs whole events (no such pipe).
 */
function baseNeeds(pipes: Pipe[]): { fields: Set<string>; all: boolean } {
  const fields = new Set<string>();
  const produced = new Set<string>();
  const use = (names: string[]) => {
    for (const n of names) if (!produced.has(n)) fields.add(n);
  };
  for (const p of pipes) {
    switch (p.type) {
      case 'stats':
        use(p.aggs.map((g) => g.field).filter((f): f is string => f !== null));
        use(p.by.map((b) => b.field));
        return { fields, all: false };
      case 'timechart':
        use(p.aggs.map((g) => g.field).filter((f): f is string => f !== null));
        if (p.by !== null) use([p.by]);
        return { fields, all: false };
      case 'top':
      case 'rare':
        use(p.fields);
        return { fields, all: false };
      case 'fields':
        use(p.names);
        return { fields, all: false };
      case 'sort':
        use(p.keys.map((k) => k.field));
        break;
      case 'dedup':
        use(p.fields);
        break;
      case 'rename':
        use(p.pairs.map((x) => x.from));
        for (const x of p.pairs) produced.add(x.to);
        break;
      case 'where':
        use(filterFields(p.filter));
        break;
      case 'eval':
        for (const a of p.assigns) {
          const refs: string[] = [];
          exprFields(a.expr, refs);
          use(refs);
          produced.add(a.name);
        }
        break;
      case 'extract':
        use([p.from]);
        for (const part of p.parts) if ('name' in part && part.name !== null) produced.add(part.name);
        break;
      case 'unpack_json':
        use([p.from]);
        for (const f of p.fields ?? []) produced.add(p.prefix + f);
        break;
      case 'limit':
        break;
    }
  }
  return { fields, all: true };
}

/** The unified type of a dynamic field over the partitions, and its SQL in each. */
function dynamicField(name: string, parts: Partition[]): { type: ColumnType; exprs: Map<Partition, string> } {
  const types = new Set<ColumnType>();
  for (const p of parts) {
    const t = p.columns.get(name);
    if (t !== undefined) types.add(t);
  }
  // Values in `_extra` may be of another type than the column's (a type conflict): then text, so
  // that none of them is lost to a failed cast.
  const overflowed = parts.some((p) => p.overflow.has(name));
  const type: ColumnType = types.size === 1 && !overflowed ? [...types][0]! : 'VARCHAR';
  const exprs = new Map<Partition, string>();
  const path = sqlString(`$."${name.replace(/"/g, '\\"')}"`);
  for (const p of parts) {
    const srcs: string[] = [];
    const t = p.columns.get(name);
    if (t !== undefined) srcs.push(convert(sqlIdent(name), t, type));
    if (p.overflow.has(name)) srcs.push(convert(`json_extract_string(_extra, ${path})`, 'VARCHAR', type));
    exprs.set(
      p,
      srcs.length === 0 ? `NULL::${type}` : srcs.length === 1 ? srcs[0]! : `COALESCE(${srcs.join(', ')})`,
    );
  }
  return { type, exprs };
}

class Builder {
  readonly ctes: string[] = [];
  readonly warnings: string[] = [];
  readonly approximate: string[] = [];
  private n = 0;
  private hiddenN = 0;
  readonly input: CompileInput;

  constructor(input: CompileInput) {
    this.input = input;
  }

  cte(sql: string): string {
    const name = `s${this.n++}`;
    this.ctes.push(`${name} AS (${sql})`);
    return name;
  }

  hiddenName(): string {
    return `__lw_o${this.hiddenN++}`;
  }

  withClause(): string {
    return `WITH ${this.ctes.join(',\n')}`;
  }

  /** The first relation: the matching events of every planned sub-select. */
  base(pipes: Pipe[]): Rel {
    const { selects } = this.input;
    const needs = baseNeeds(pipes);
    const parts = [...new Set(selects.map((s) => s.p))];
    const cols = new Map<string, PType>();
    const perPart = new Map<Partition, string[]>(parts.map((p) => [p, []]));
    const nullCols: string[] = [];
    const add = (name: string, type: ColumnType, exprFor: (p: Partition) => string) => {
      if (cols.has(name)) return;
      cols.set(name, type);
      for (const p of parts) perPart.get(p)!.push(`${exprFor(p)} AS ${sqlIdent(name)}`);
      nullCols.push(`NULL::${type} AS ${sqlIdent(name)}`);
    };
    add('_time', 'TIMESTAMP', () => '_time');
    add('_id', 'BIGINT', () => '_qpos');
    const dynamicNames: string[] = [];
    if (needs.all) {
      for (const [n, t] of FIXED) add(n, t, () => sqlIdent(n));
      const seen = new Set<string>();
      for (const p of parts)
        for (const n of p.columns.keys())
          if (!FIXED_TYPES.has(n) && !INTERNAL.has(n) && !seen.has(n)) {
            seen.add(n);
            dynamicNames.push(n);
          }
    }
    for (const n of needs.fields) if (!dynamicNames.includes(n)) dynamicNames.push(n);
    for (const n of dynamicNames) {
      const fixed = FIXED_TYPES.get(n);
      if (fixed !== undefined) add(n, fixed, () => sqlIdent(n));
      else if (n === '_id') continue;
      else {
        const d = dynamicField(n, parts);
        add(n, d.type, (p) => d.exprs.get(p)!);
      }
    }
    const o1 = this.hiddenName();
    const o2 = this.hiddenName();
    const hidden = [o1, o2];
    for (const p of parts) perPart.get(p)!.push(`_time AS ${o1}`, `_qpos AS ${o2}`);
    nullCols.push(`NULL::TIMESTAMP AS ${o1}`, `NULL::BIGINT AS ${o2}`);
    if (needs.all) {
      hidden.push('_extra');
      for (const p of parts) perPart.get(p)!.push('_extra');
      nullCols.push('NULL::VARCHAR AS _extra');
    }
    const sql =
      selects.length === 0
        ? `SELECT ${nullCols.join(', ')} WHERE false`
        : selects
            .map((s) => `SELECT ${perPart.get(s.p)!.join(', ')} FROM ${sqlIdent(s.p.name)} WHERE ${s.where}`)
            .join(' UNION ALL ');
    return {
      name: this.cte(sql),
      cols,
      hidden,
      order: [
        { col: o1, desc: true },
        { col: o2, desc: true },
      ],
      closed: !needs.all,
      extra: needs.all ? new Set(cols.keys()) : null,
    };
  }

  /** Type of a column the pipe needs; an unknown column is an error once the columns are fixed. */
  need(rel: Rel, field: string, pipe: string): PType {
    const t = rel.cols.get(field);
    if (t !== undefined) return t;
    const known = [...rel.cols.keys()].join(', ');
    throw badPipe(`${pipe}: there is no field "${field}" at this point (fields: ${known || 'none'})`);
  }

  /** ` ORDER BY ...` of the relation's row order, or '' when it has none (one row). */
  orderBy(rel: Rel): string {
    return orderClause(rel);
  }

  derive(rel: Rel, sql: string, patch: Partial<Rel> = {}): Rel {
    return { ...rel, ...patch, name: this.cte(sql) };
  }

  /** `SELECT` list of the hidden columns. */
  hiddenList(rel: Rel): string {
    return rel.hidden.map((h) => `, ${sqlIdent(h)}`).join('');
  }

  where(rel: Rel, filter: FilterNode): Rel {
    for (const f of filterFields(filter)) if (rel.closed || FIXED_TYPES.has(f)) this.need(rel, f, 'where');
    const columns = new Map<string, ColumnType>();
    for (const [n, t] of rel.cols) if (t !== 'LIST') columns.set(n, t);
    const pred = compileFilter(filter, { columns, overflow: new Set() });
    return this.derive(rel, `SELECT * FROM ${rel.name} WHERE ${pred}`);
  }

  eval(rel: Rel, name: string, e: Expr): Rel {
    const { sql, type } = compileExpr(e, (field) =>
      rel.closed ? this.need(rel, field, 'eval') : rel.cols.get(field),
    );
    const cols = new Map(rel.cols);
    const exists = cols.has(name);
    cols.set(name, type);
    const select = exists
      ? `SELECT * REPLACE (${sql} AS ${sqlIdent(name)}) FROM ${rel.name}`
      : `SELECT *, ${sql} AS ${sqlIdent(name)} FROM ${rel.name}`;
    return this.derive(rel, select, { cols });
  }

  /** Replaces or adds columns computed from a helper column `tmp` added by a first CTE. */
  expand(rel: Rel, tmpSql: string, outs: Array<{ name: string; sql: string; type: PType }>): Rel {
    const withTmp = this.cte(`SELECT *, ${tmpSql} AS __lw_tmp FROM ${rel.name}`);
    const cols = new Map(rel.cols);
    const drop = ['__lw_tmp', ...outs.map((o) => o.name).filter((n) => cols.has(n))];
    for (const o of outs) {
      cols.delete(o.name);
      cols.set(o.name, o.type);
    }
    const list = outs.map((o) => `${o.sql} AS ${sqlIdent(o.name)}`).join(', ');
    const sql = `SELECT * EXCLUDE (${drop.map(sqlIdent).join(', ')}), ${list} FROM ${withTmp}`;
    return this.derive(rel, sql, { cols });
  }

  extract(rel: Rel, pipe: Extract<Pipe, { type: 'extract' }>): Rel {
    const t = rel.closed ? this.need(rel, pipe.from, 'extract') : (rel.cols.get(pipe.from) ?? 'VARCHAR');
    const src = rel.cols.has(pipe.from) ? textOf(sqlIdent(pipe.from), t) : 'NULL::VARCHAR';
    let re = '(?s)';
    const names: string[] = [];
    pipe.parts.forEach((part, i) => {
      if ('literal' in part) re += re2Escape(part.literal);
      else {
        const last = i === pipe.parts.length - 1;
        const body = last ? '.*' : '.*?';
        if (part.name === null) re += `(?:${body})`;
        else {
          re += `(${body})`;
          names.push(part.name);
        }
      }
    });
    const tmp = `regexp_extract(${src}, ${sqlString(re)}, [${names.map(sqlString).join(', ')}])`;
    return this.expand(
      rel,
      tmp,
      names.map((n) => ({
        name: n,
        sql: `NULLIF(struct_extract(__lw_tmp, ${sqlString(n)}), '')`,
        type: 'VARCHAR' as PType,
      })),
    );
  }

  async unpackJson(rel: Rel, pipe: Extract<Pipe, { type: 'unpack_json' }>): Promise<Rel> {
    const t = rel.closed ? this.need(rel, pipe.from, 'unpack_json') : (rel.cols.get(pipe.from) ?? 'VARCHAR');
    const src = rel.cols.has(pipe.from) ? textOf(sqlIdent(pipe.from), t) : 'NULL::VARCHAR';
    const json = `(CASE WHEN json_valid(${src}) THEN CAST(${src} AS JSON) END)`;
    let keys = pipe.fields;
    if (keys === null) {
      const sql = `${this.withClause()}
        SELECT DISTINCT k FROM (SELECT unnest(json_keys(j)) AS k FROM (SELECT ${json} AS j FROM ${rel.name})
        WHERE json_type(j) = 'OBJECT') ORDER BY k LIMIT ${MAX_UNPACKED_KEYS + 1}`;
      keys = (await this.input.firstColumn(sql)).map(String);
      if (keys.length > MAX_UNPACKED_KEYS) {
        keys = keys.slice(0, MAX_UNPACKED_KEYS);
        this.warnings.push(
          `unpack_json: more than ${MAX_UNPACKED_KEYS} keys; unpacked the first ${MAX_UNPACKED_KEYS} by name`,
        );
      }
    }
    if (keys.length === 0) return rel;
    return this.expand(
      rel,
      json,
      keys.map((k) => ({
        name: pipe.prefix + k,
        sql: `(CASE WHEN json_type(__lw_tmp) = 'OBJECT' THEN json_extract_string(__lw_tmp, ${sqlString(`$."${k.replace(/"/g, '\\"')}"`)}) END)`,
        type: 'VARCHAR' as PType,
      })),
    );
  }

  fields(rel: Rel, names: string[]): Rel {
    const cols = new Map<string, PType>();
    const list: string[] = [];
    for (const n of names) {
      const t = rel.closed ? this.need(rel, n, 'fields') : rel.cols.get(n);
      if (t === undefined) {
        list.push(`NULL::VARCHAR AS ${sqlIdent(n)}`);
        cols.set(n, 'VARCHAR');
      } else {
        list.push(sqlIdent(n));
        cols.set(n, t);
      }
    }
    const hidden = rel.hidden.filter((h) => h !== '_extra');
    const sql = `SELECT ${list.join(', ')}${hidden.map((h) => `, ${sqlIdent(h)}`).join('')} FROM ${rel.name}`;
    return this.derive(rel, sql, { cols, hidden, closed: true, extra: null });
  }

  rename(rel: Rel, pairs: Array<{ from: string; to: string }>): Rel {
    const map = new Map<string, string>();
    for (const { from, to } of pairs) {
      if (rel.closed) this.need(rel, from, 'rename');
      if (rel.cols.has(from)) map.set(from, to);
    }
    if (map.size === 0) return rel;
    const targets = new Set(map.values());
    const cols = new Map<string, PType>();
    const list: string[] = [];
    for (const [n, t] of rel.cols) {
      const to = map.get(n);
      if (to !== undefined) {
        list.push(`${sqlIdent(n)} AS ${sqlIdent(to)}`);
        cols.set(to, t);
      } else if (!targets.has(n)) {
        list.push(sqlIdent(n));
        cols.set(n, t);
      }
    }
    const sql = `SELECT ${list.join(', ')}${this.hiddenList(rel)} FROM ${rel.name}`;
    return this.derive(rel, sql, { cols });
  }

  sort(rel: Rel, keys: Array<{ field: string; desc: boolean }>): Rel {
    const adds: string[] = [];
    const order: Rel['order'] = [];
    const hidden = [...rel.hidden];
    for (const k of keys) {
      const t = rel.closed ? this.need(rel, k.field, 'sort') : rel.cols.get(k.field);
      const src = t === undefined ? 'NULL' : sqlIdent(k.field);
      // Text that reads as a number sorts as a number, before the other text.
      const exprs = t === 'VARCHAR' ? [`TRY_CAST(${src} AS DOUBLE)`, src] : [src];
      for (const e of exprs) {
        const h = this.hiddenName();
        adds.push(`${e} AS ${h}`);
        hidden.push(h);
        order.push({ col: h, desc: k.desc });
      }
    }
    return this.derive(rel, `SELECT *, ${adds.join(', ')} FROM ${rel.name}`, {
      hidden,
      order: [...order, ...rel.order],
    });
  }

  limit(rel: Rel, n: number): Rel {
    return this.derive(rel, `SELECT * FROM ${rel.name}${this.orderBy(rel)} LIMIT ${n}`);
  }

  dedup(rel: Rel, fields: string[]): Rel {
    for (const f of fields) if (rel.closed) this.need(rel, f, 'dedup');
    const present = fields.filter((f) => rel.cols.has(f));
    if (present.length < fields.length) return this.derive(rel, `SELECT * FROM ${rel.name} WHERE false`);
    const ids = present.map(sqlIdent);
    const sql = `SELECT * FROM ${rel.name} WHERE ${ids.map((i) => `${i} IS NOT NULL`).join(' AND ')}
      QUALIFY row_number() OVER (PARTITION BY ${ids.join(', ')}${this.orderBy(rel)}) = 1`;
    return this.derive(rel, sql);
  }

  /** Time bucket start of `_time` (a TIMESTAMP), aligned to multiples of the step (UTC or tz). */
  /**
   * Time buckets of `_time` aligned to multiples of the step (in UTC, or local time with `tz`):
   * `key` is computed per row and grouped on (an integer: cheaper than a timestamp per row),
   * `startUs(k)` turns a key into the bucket start in epoch µs after grouping.
   */
  bucket(rel: Rel, stepUs: number, pipe: string): { key: string; startUs: (k: string) => string } {
    if (rel.cols.get('_time') !== 'TIMESTAMP') {
      throw badPipe(`${pipe}: time buckets need the events' _time, which earlier pipes removed or replaced`);
    }
    const st = BigInt(Math.trunc(stepUs));
    if (this.input.tz !== null) {
      // The UTC offsets over the times of the partitions read.
      const times = this.input.selects.flatMap((s) => [s.p.minTime, s.p.maxTime]).filter(Number.isFinite);
      const from = times.length > 0 ? Math.min(...times) : 0;
      const to = times.length > 0 ? Math.max(...times) : 0;
      const offsets = tzOffsetsFor(this.input.tz, stepUs, from, to);
      return { key: tzBucketSql('epoch_us(_time)', stepUs, offsets), startUs: (k) => k };
    }
    return {
      key: sqlFloorDiv('epoch_us(_time)', stepUs),
      startUs: (k) => `(${k} * ${st}::BIGINT)`,
    };
  }

  agg(rel: Rel, g: Agg, bucketUs: number | null, pipe: string): { sql: string; type: PType } {
    const t = g.field === null ? null : rel.closed ? this.need(rel, g.field, pipe) : rel.cols.get(g.field);
    const f = g.field === null ? 'NULL' : t === undefined ? 'NULL' : sqlIdent(g.field);
    const ft: PType = t ?? 'VARCHAR';
    const num = numOf(f, ft);
    switch (g.fn) {
      case 'count':
        return { sql: g.field === null ? 'count(*)' : `count(${f})`, type: 'BIGINT' };
      case 'count_distinct':
        return { sql: `count(DISTINCT ${f})`, type: 'BIGINT' };
      case 'count_distinct_approx':
        this.approximate.push(g.name);
        return { sql: `approx_count_distinct(${f})`, type: 'BIGINT' };
      case 'sum':
        return { sql: `sum(${num})`, type: 'DOUBLE' };
      case 'avg':
        return { sql: `avg(${num})`, type: 'DOUBLE' };
      case 'min':
      case 'max':
        return ft === 'TIMESTAMP'
          ? { sql: `${g.fn}(${f})`, type: 'TIMESTAMP' }
          : { sql: `${g.fn}(${num})`, type: 'DOUBLE' };
      case 'quantile':
        return { sql: `quantile_cont(${num}, ${sqlNumber(g.q!)})`, type: 'DOUBLE' };
      case 'values':
        return {
          sql: `list_sort(list(DISTINCT ${textOf(f, ft)}) FILTER (WHERE ${f} IS NOT NULL))[1:100]`,
          type: 'LIST',
        };
      case 'first':
      case 'last': {
        if (rel.cols.get('_time') !== 'TIMESTAMP') this.need(rel, '_time', `${pipe} ${g.fn}()`);
        const fn = g.fn === 'first' ? 'arg_min' : 'arg_max';
        const key = rel.cols.get('_id') === 'BIGINT' ? `{'t': _time, 'q': _id}` : '_time';
        return { sql: `${fn}(${f}, ${key})`, type: ft };
      }
      case 'rate': {
        const { start, end, nowUs } = this.input;
        let secs: string;
        if (bucketUs !== null) secs = sqlNumber(bucketUs / 1e6);
        else if (start !== null) secs = sqlNumber(Math.max(1, ((end ?? nowUs) - start) / 1e6));
        else {
          if (rel.cols.get('_time') !== 'TIMESTAMP') this.need(rel, '_time', `${pipe} rate()`);
          secs = 'greatest((epoch_us(max(_time)) - epoch_us(min(_time))) / 1e6, 1)';
        }
        return { sql: `(count(*) / ${secs})`, type: 'DOUBLE' };
      }
    }
  }

  stats(rel: Rel, pipe: StatsPipe): Rel {
    const sel: string[] = [];
    const cols = new Map<string, PType>();
    let bucketUs: number | null = null;
    const toTime: string[] = [];
    for (const b of pipe.by) {
      if (b.bucketUs !== undefined) {
        const bk = this.bucket(rel, b.bucketUs, 'stats');
        sel.push(`${bk.key} AS ${sqlIdent(b.field)}`);
        toTime.push(`make_timestamp(${bk.startUs(sqlIdent(b.field))}) AS ${sqlIdent(b.field)}`);
        cols.set(b.field, 'TIMESTAMP');
        bucketUs = b.bucketUs;
      } else {
        const t = rel.closed ? this.need(rel, b.field, 'stats') : rel.cols.get(b.field);
        sel.push(`${t === undefined ? 'NULL::VARCHAR' : sqlIdent(b.field)} AS ${sqlIdent(b.field)}`);
        cols.set(b.field, t ?? 'VARCHAR');
      }
    }
    for (const g of pipe.aggs) {
      const a = this.agg(rel, g, bucketUs, 'stats');
      sel.push(`${a.sql} AS ${sqlIdent(g.name)}`);
      cols.set(g.name, a.type);
    }
    const groupBy = pipe.by.length ? ` GROUP BY ${pipe.by.map((_, i) => i + 1).join(', ')}` : '';
    let grouped = this.cte(`SELECT ${sel.join(', ')} FROM ${rel.name}${groupBy}`);
    if (toTime.length > 0) grouped = this.cte(`SELECT * REPLACE (${toTime.join(', ')}) FROM ${grouped}`);
    const hidden: string[] = [];
    const order: Rel['order'] = [];
    const adds = pipe.by.map((b) => {
      const h = this.hiddenName();
      hidden.push(h);
      order.push({ col: h, desc: false });
      return `, ${sqlIdent(b.field)} AS ${h}`;
    });
    return {
      name: this.cte(`SELECT *${adds.join('')} FROM ${grouped}`),
      cols,
      hidden,
      order,
      closed: true,
      extra: null,
    };
  }

  top(rel: Rel, pipe: Extract<Pipe, { type: 'top' | 'rare' }>): Rel {
    const cols = new Map<string, PType>();
    for (const f of pipe.fields) {
      if (f === 'count' || f === 'percent')
        throw badPipe(`${pipe.type}: a field named "${f}" clashes with the ${f} column; rename it first`);
      cols.set(f, rel.closed ? this.need(rel, f, pipe.type) : (rel.cols.get(f) ?? 'VARCHAR'));
    }
    cols.set('count', 'BIGINT');
    cols.set('percent', 'DOUBLE');
    const fieldSql = pipe.fields.map((f) =>
      rel.cols.has(f) ? sqlIdent(f) : `NULL::VARCHAR AS ${sqlIdent(f)}`,
    );
    const ids = pipe.fields.map(sqlIdent);
    const grouped = this.cte(
      `SELECT ${fieldSql.join(', ')}, count(*) AS count, sum(count(*)) OVER () AS __lw_total FROM ${rel.name} GROUP BY ${pipe.fields.map((_, i) => i + 1).join(', ')}`,
    );
    const dir = pipe.type === 'top' ? 'DESC' : 'ASC';
    const hc = this.hiddenName();
    const hidden = [hc];
    const order: Rel['order'] = [{ col: hc, desc: pipe.type === 'top' }];
    const hf = pipe.fields.map((f) => {
      const h = this.hiddenName();
      hidden.push(h);
      order.push({ col: h, desc: false });
      return `, ${sqlIdent(f)} AS ${h}`;
    });
    const sql = `SELECT ${ids.join(', ')}, count, round(count * 100.0 / __lw_total, 2) AS percent, count AS ${hc}${hf.join('')}
      FROM ${grouped} WHERE ${ids.map((i) => `${i} IS NOT NULL`).join(' AND ')}
      ORDER BY count ${dir}, ${ids.map((i) => `${i} ASC NULLS LAST`).join(', ')} LIMIT ${pipe.n}`;
    return { name: this.cte(sql), cols, hidden, order, closed: true, extra: null };
  }

  timechart(rel: Rel, pipe: TimechartPipe): { sql: string; stepUs: number } {
    if (pipe.stepUs === null) throw new Error('BUG: timechart step not resolved');
    const bk = this.bucket(rel, pipe.stepUs, 'timechart');
    const sel = [`${bk.key} AS __lw_b`];
    if (pipe.by === null) sel.push('NULL AS __lw_s');
    else {
      const t = rel.closed ? this.need(rel, pipe.by, 'timechart') : rel.cols.get(pipe.by);
      sel.push(`${t === undefined ? 'NULL' : textOf(sqlIdent(pipe.by), t)} AS __lw_s`);
    }
    for (const g of pipe.aggs) {
      const a = this.agg(rel, g, pipe.stepUs, 'timechart');
      sel.push(`${outputSql(a.sql, a.type)} AS ${sqlIdent(g.name)}`);
    }
    return {
      sql: `${this.withClause()}\nSELECT ${bk.startUs('__lw_b')} AS __lw_b, * EXCLUDE (__lw_b) FROM (SELECT ${sel.join(', ')} FROM ${rel.name} GROUP BY 1, 2) ORDER BY 1`,
      stepUs: pipe.stepUs,
    };
  }
}

function orderClause(rel: Rel): string {
  if (rel.order.length === 0) return '';
  return ` ORDER BY ${rel.order.map((o) => `${sqlIdent(o.col)} ${o.desc ? 'DESC' : 'ASC'} NULLS LAST`).join(', ')}`;
}

/** A column as it is read back: times as epoch µs, lists as JSON text, integers as doubles. */
export function outputSql(e: string, t: PType): string {
  if (t === 'TIMESTAMP') return `epoch_us(${e})`;
  if (t === 'LIST') return `CAST(to_json(${e}) AS VARCHAR)`;
  if (t === 'BIGINT') return `CAST(${e} AS DOUBLE)`;
  return e;
}

export async function compilePipeline(input: CompileInput): Promise<CompiledPipeline> {
  const b = new Builder(input);
  let rel = b.base(input.pipes);
  let aggregated = false;
  let timechart: CompiledPipeline['timechart'];
  for (const p of input.pipes) {
    switch (p.type) {
      case 'where':
        rel = b.where(rel, p.filter);
        break;
      case 'eval':
        for (const a of p.assigns) rel = b.eval(rel, a.name, a.expr);
        break;
      case 'extract':
        rel = b.extract(rel, p);
        break;
      case 'unpack_json':
        rel = await b.unpackJson(rel, p);
        break;
      case 'fields':
        rel = b.fields(rel, p.names);
        break;
      case 'rename':
        rel = b.rename(rel, p.pairs);
        break;
      case 'sort':
        rel = b.sort(rel, p.keys);
        break;
      case 'limit':
        rel = b.limit(rel, p.n);
        break;
      case 'dedup':
        rel = b.dedup(rel, p.fields);
        break;
      case 'stats':
        rel = b.stats(rel, p);
        aggregated = true;
        break;
      case 'top':
      case 'rare':
        rel = b.top(rel, p);
        aggregated = true;
        break;
      case 'timechart':
        timechart = { pipe: p, ...b.timechart(rel, p) };
        aggregated = true;
        break;
    }
  }
  return {
    with: b.withClause(),
    rel,
    timechart,
    aggregated,
    warnings: b.warnings,
    approximate: b.approximate,
  };
}

/** The final select of a compiled pipeline: visible columns converted for reading, in order. */
export function finalSelect(c: CompiledPipeline, limit: number): { rows: string; count: string } {
  const { rel } = c;
  const list = [...rel.cols].map(([n, t]) => `${outputSql(sqlIdent(n), t)} AS ${sqlIdent(n)}`);
  if (rel.extra !== null) list.push('_extra');
  return {
    rows: `${c.with}\nSELECT ${list.join(', ')} FROM ${rel.name}${orderClause(rel)} LIMIT ${limit}`,
    count: `${c.with}\nSELECT count(*) FROM ${rel.name}`,
  };
}
