/**
 * The query AST: what `src/query` parses a LogsQL-like / Lucene-like query into and what each
 * store compiles (to SQL for DuckDB, to a query DSL for OpenSearch). Pure types, small
 * constructors that keep trees in normal form, and tree helpers; no I/O.
 *
 * Field conventions shared by every leaf:
 * - `field: null` means the message (`message:foo` is normalised to `field: null`).
 * - Any other field is a fixed column name (`level`, `host`, ...) or a dotted dynamic field
 *   (`http.status`). `_time` filters are always `time` nodes, never leaves with `field: '_time'`.
 *
 * Normal form (kept by the constructors and by `normalize`):
 * - `and` / `or` have at least two children and none of the same type (nested ones are flattened);
 * - an `and` drops `all` children; an `or` with an `all` child is `all`;
 * - `not(not(x))` is `x`;
 * - a `time` node with both bounds null is `all`;
 * - a regex pattern has `/` where it was written `\/`.
 */

/** Matches every event (`*` or an empty query). */
export interface AllNode {
  type: 'all';
}

export interface AndNode {
  type: 'and';
  children: FilterNode[];
}

export interface OrNode {
  type: 'or';
  children: FilterNode[];
}

export interface NotNode {
  type: 'not';
  child: FilterNode;
}

/** `error`, `level:error`: the field contains this word (token match, case-insensitive; store decides). */
export interface WordNode {
  type: 'word';
  field: string | null;
  value: string;
}

/** `"Failed password"`, `msg:"a b"`: the field contains this sequence of words. */
export interface PhraseNode {
  type: 'phrase';
  field: string | null;
  value: string;
}

/** `foo*`, `host:web-*`: the field contains a word starting with `value` (never empty). */
export interface PrefixNode {
  type: 'prefix';
  field: string | null;
  value: string;
}

/** `field:="exact value"`: the whole field value equals `value`. */
export interface ExactNode {
  type: 'exact';
  field: string | null;
  value: string;
}

export type CompareOp = '>' | '>=' | '<' | '<=';

/**
 * `status:>=500`, `user:>"m"`: numeric comparison when `value` is a number (unquoted numeric text),
 * string comparison when it is a string.
 */
export interface CompareNode {
  type: 'compare';
  field: string | null;
  op: CompareOp;
  value: number | string;
}

/** A range bound: a number, a string, or null for an open bound (`*`). */
export type RangeBound = number | string | null;

/** `bytes:[100 TO 200]` (inclusive), `{` `}` exclusive, `*` open. */
export interface RangeNode {
  type: 'range';
  field: string | null;
  lower: RangeBound;
  upper: RangeBound;
  lowerInclusive: boolean;
  upperInclusive: boolean;
}

/** `path:/^\/api\/v[12]\//`: the field matches the regular expression (`\/` already unescaped). */
export interface RegexNode {
  type: 'regex';
  field: string | null;
  pattern: string;
}

/** `trace_id:*`: the field is present (and not empty). */
export interface ExistsNode {
  type: 'exists';
  field: string | null;
}

/**
 * `_time:15m`, `_time:[start, end]`: event time within [start, end], both INCLUSIVE, in epoch
 * microseconds; null is an open bound. Relative times are resolved when the query is parsed.
 */
export interface TimeNode {
  type: 'time';
  start: number | null;
  end: number | null;
}

export type LeafNode =
  | WordNode
  | PhraseNode
  | PrefixNode
  | ExactNode
  | CompareNode
  | RangeNode
  | RegexNode
  | ExistsNode
  | TimeNode;

export type FilterNode = AllNode | AndNode | OrNode | NotNode | LeafNode;

export type FilterNodeType = FilterNode['type'];

/**
 * One stage after a top-level `|`, kept as raw text until its parser exists:
 * `stats count() by level` is `{ name: 'stats', args: 'count() by level', ... }`.
 */
export interface PipeSpec {
  name: string;
  /** The raw text after the name, trimmed. */
  args: string;
  /** 0-based position of the name in the query. */
  position: number;
  /** 0-based position of `args` in the query (where the args would start when empty). */
  argsPosition: number;
}

/** Inclusive time bounds in epoch microseconds; null is open. */
export interface TimeBounds {
  start: number | null;
  end: number | null;
}

export interface ParsedQuery {
  filter: FilterNode;
  pipes: PipeSpec[];
  /** `extractTimeBounds(filter)`: the bounds every match satisfies, for partition pruning. */
  timeRange: TimeBounds | null;
}

// --- constructors (each returns a node in normal form) ---

function fieldName(field: string | null): string | null {
  return field === 'message' ? null : field;
}

export function all(): AllNode {
  return { type: 'all' };
}

/** Conjunction in normal form: flattens nested `and`, drops `all`; `and([])` is `all`. */
export function and(children: FilterNode[]): FilterNode {
  const out: FilterNode[] = [];
  for (const c of children) {
    if (c.type === 'and') out.push(...c.children);
    else if (c.type !== 'all') out.push(c);
  }
  if (out.length === 0) return all();
  if (out.length === 1) return out[0]!;
  return { type: 'and', children: out };
}

/** Disjunction in normal form: flattens nested `or`; any `all` child makes it `all`; `or([])` matches nothing. */
export function or(children: FilterNode[]): FilterNode {
  const out: FilterNode[] = [];
  for (const c of children) {
    if (c.type === 'all') return all();
    if (c.type === 'or') out.push(...c.children);
    else out.push(c);
  }
  if (out.length === 0) return not(all());
  if (out.length === 1) return out[0]!;
  return { type: 'or', children: out };
}

/** Negation in normal form: `not(not(x))` is `x`. */
export function not(child: FilterNode): FilterNode {
  return child.type === 'not' ? child.child : { type: 'not', child };
}

export function word(value: string, field: string | null = null): WordNode {
  return { type: 'word', field: fieldName(field), value };
}

export function phrase(value: string, field: string | null = null): PhraseNode {
  return { type: 'phrase', field: fieldName(field), value };
}

export function prefix(value: string, field: string | null = null): PrefixNode {
  return { type: 'prefix', field: fieldName(field), value };
}

export function exact(field: string | null, value: string): ExactNode {
  return { type: 'exact', field: fieldName(field), value };
}

export function compare(field: string | null, op: CompareOp, value: number | string): CompareNode {
  return { type: 'compare', field: fieldName(field), op, value };
}

export function range(
  field: string | null,
  lower: RangeBound,
  upper: RangeBound,
  lowerInclusive = true,
  upperInclusive = true,
): RangeNode {
  return { type: 'range', field: fieldName(field), lower, upper, lowerInclusive, upperInclusive };
}

/**
 * `\/` in `pattern` is stored as `/` (the same regex), as the parser does; a dangling final
 * backslash is stored as `\\` (a literal backslash), so every pattern can be printed as `/.../`.
 */
export function regex(field: string | null, pattern: string): RegexNode {
  return { type: 'regex', field: fieldName(field), pattern: pattern.replace(/\\(.)|\\$/gsu, unescapeSlash) };
}

function unescapeSlash(pair: string, ch: string | undefined): string {
  if (ch === undefined) return '\\\\';
  return ch === '/' ? '/' : pair;
}

export function exists(field: string | null): ExistsNode {
  return { type: 'exists', field: fieldName(field) };
}

/** A time filter, inclusive bounds in epoch µs; both null is `all`. */
export function time(start: number | null, end: number | null): TimeNode | AllNode {
  if (start === null && end === null) return all();
  return { type: 'time', start, end };
}

// --- tree helpers ---

/** Rebuilds a tree (e.g. one built by hand or deserialised) in normal form. */
export function normalize(node: FilterNode): FilterNode {
  switch (node.type) {
    case 'and':
      return and(node.children.map(normalize));
    case 'or':
      return or(node.children.map(normalize));
    case 'not':
      return not(normalize(node.child));
    case 'time':
      return time(node.start, node.end);
    case 'all':
      return node;
    case 'regex':
      return regex(node.field, node.pattern);
    default:
      return node.field === 'message' ? { ...node, field: null } : node;
  }
}

/**
 * Visits `node` and its descendants depth-first, parents before children. When `fn` returns
 * `false` the children of that node are skipped. `parent` is null for the root.
 */
export function walk(
  node: FilterNode,
  fn: (node: FilterNode, parent: FilterNode | null) => unknown,
  parent: FilterNode | null = null,
): void {
  if (fn(node, parent) === false) return;
  if (node.type === 'and' || node.type === 'or') {
    for (const c of node.children) walk(c, fn, node);
  } else if (node.type === 'not') {
    walk(node.child, fn, node);
  }
}

/**
 * The tightest time bounds every event matching `node` must satisfy, or null when the filter does
 * not bound time. `and` intersects the bounds of its children; `or` takes the hull of its children
 * and is bounded only when every child is; negations and other leaves do not bound time. Used to
 * prune partitions: an event outside the result can never match.
 */
export function extractTimeBounds(node: FilterNode): TimeBounds | null {
  switch (node.type) {
    case 'time':
      return { start: node.start, end: node.end };
    case 'and': {
      let out: TimeBounds | null = null;
      for (const c of node.children) {
        const b = extractTimeBounds(c);
        if (b === null) continue;
        if (out === null) out = { ...b };
        else {
          if (b.start !== null) out.start = out.start === null ? b.start : Math.max(out.start, b.start);
          if (b.end !== null) out.end = out.end === null ? b.end : Math.min(out.end, b.end);
        }
      }
      return out;
    }
    case 'or': {
      let out: TimeBounds | null = null;
      for (const c of node.children) {
        const b = extractTimeBounds(c);
        if (b === null) return null;
        if (out === null) out = { ...b };
        else {
          out.start = out.start === null || b.start === null ? null : Math.min(out.start, b.start);
          out.end = out.end === null || b.end === null ? null : Math.max(out.end, b.end);
        }
      }
      return out === null || (out.start === null && out.end === null) ? null : out;
    }
    default:
      return null;
  }
}
