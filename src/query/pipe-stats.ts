/**
 * `| stats count(), p99(duration_ms) as p99, count_distinct(user) by (host, _time:5m)`
 *
 * Aggregates: count(), count(f) (events that have f), count_distinct(f),
 * count_distinct_approx(f) (HyperLogLog, approximate), sum, avg, min, max, median, p50..p99
 * (any `pNN` or `pNN.N`: exact, linear interpolation between the closest ranks), values(f)
 * (distinct values, sorted, at most 100), first(f)/last(f) (the value in the oldest/newest event
 * that has f), rate() (events per second over the bucket or the query's range).
 * `by` takes names in parentheses or without; `_time:5m` groups by 5-minute buckets.
 */
import type { Agg, AggFn, ByItem, StatsPipe } from '../core/pipe-ast.ts';
import type { PipeSpec } from '../core/query-ast.ts';
import { PipeArgs } from './pipe-args.ts';
import { parseDuration } from './time-literal.ts';

const FIELD_FNS: ReadonlySet<string> = new Set([
  'count_distinct',
  'count_distinct_approx',
  'sum',
  'avg',
  'min',
  'max',
  'median',
  'values',
  'first',
  'last',
]);

export const AGG_NAMES =
  'count, count_distinct, count_distinct_approx, sum, avg, min, max, median, p50..p99, values, first, last, rate';

const PCT_RE = /^p(\d{1,2}(?:\.\d+)?)$/;

/** Reads one aggregate call with its optional alias. */
export function parseAgg(a: PipeArgs): Agg {
  a.ws();
  const at = a.pos;
  const fnName = a.tryName(false);
  if (fnName === null) a.error('expected an aggregate function', AGG_NAMES);
  const lower = fnName.toLowerCase();
  a.expect('(');
  let field: string | null = null;
  if (a.peek() !== ')') field = a.name();
  a.expect(')');
  let fn: AggFn;
  let q: number | undefined;
  const pct = PCT_RE.exec(lower);
  if (pct) {
    fn = 'quantile';
    q = Number(pct[1]) / 100;
    if (q <= 0 || q >= 1) a.error(`percentile ${fnName} must be between p0 and p100`, 'p1..p99', at);
  } else if (lower === 'median') {
    fn = 'quantile';
    q = 0.5;
  } else if (lower === 'count' || lower === 'rate' || FIELD_FNS.has(lower)) fn = lower as AggFn;
  else a.error(`unknown aggregate function "${fnName}"`, AGG_NAMES, at);
  if (fn === 'rate' && field !== null) a.error('rate() takes no argument', '")"', at);
  if (fn !== 'count' && fn !== 'rate' && field === null) {
    a.error(`${fnName}() needs a field, e.g. ${fnName}(duration_ms)`, 'a field name', at);
  }
  let name = `${lower}(${field ?? ''})`;
  if (a.keyword('as')) name = a.name('an alias');
  return q === undefined ? { fn, field, name } : { fn, field, q, name };
}

/** Reads `agg [as x], agg ...` (at least one). */
export function parseAggList(a: PipeArgs): Agg[] {
  const aggs = [parseAgg(a)];
  while (a.eat(',')) aggs.push(parseAgg(a));
  const seen = new Set<string>();
  for (const g of aggs) {
    if (seen.has(g.name)) a.error(`two aggregates are named "${g.name}"; give one an alias with "as"`, 'as');
    seen.add(g.name);
  }
  return aggs;
}

/** Reads a `by` item: a name, or `_time:DURATION`. */
function parseByItem(a: PipeArgs): ByItem {
  const field = a.name();
  if (field === '_time' && a.eat(':')) {
    a.ws();
    const at = a.pos;
    const text = a.tryDurationText();
    const us = text === null ? null : parseDuration(text);
    if (us === null || us <= 0) a.error('expected a bucket size such as 5m or 1h', 'a duration', at);
    return { field, bucketUs: us };
  }
  return { field };
}

export function parseStats(spec: PipeSpec): StatsPipe {
  const a = new PipeArgs(spec);
  const aggs = parseAggList(a);
  const by: ByItem[] = [];
  if (a.keyword('by')) {
    const paren = a.eat('(');
    by.push(parseByItem(a));
    while (a.eat(',')) by.push(parseByItem(a));
    if (paren) a.expect(')');
  }
  a.end('"by", "," or the end of the pipe');
  const names = new Set(aggs.map((g) => g.name));
  for (const b of by) {
    if (names.has(b.field)) a.error(`"${b.field}" is both a group and an aggregate name`, 'another alias');
  }
  return { type: 'stats', aggs, by };
}
