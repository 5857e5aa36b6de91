/**
 * Counting from message templates (src/core/template.ts). Each day partition keeps a dictionary
 * of its templates (`_lw_templates`: id -> text) and, for every sealed skip-index block, how many
 * of its rows have each template (`_lw_block_templates`), written in the transaction of the rows.
 *
 * A filter is decided per template in three values: YES (every message with this template
 * matches), NO (none does) or MAYBE. For a block whose every template is decided, and whose time
 * range lies inside the query's, the number of matching rows is the sum of the YES templates'
 * counts, with no scan; a block whose count is 0 is not read at all. Only leaves on `message` are
 * decided; every other leaf is MAYBE, and AND, OR and NOT combine the values as Kleene's
 * three-valued logic does.
 *
 * A leaf on `message` is decided on a template by running the leaf's own SQL predicate
 * (compile.ts, the expression the scan uses) on the template text, in DuckDB over the dictionary:
 * - a template without a slot is the message itself: the predicate's answer is exact;
 * - a template with slots: exact too for a word, phrase or prefix whose every word (a maximal run
 *   of word characters) is bounded on both sides, by a separator inside the term or by the
 *   boundary it requires at its edge, and has no ASCII digit (`decidedByTemplate`). Such a word
 *   only matches a whole word of the message, never a variable word (which has a digit), so an
 *   occurrence never overlaps a slot: it lies in the fixed text, with the same characters around
 *   it (a slot and the word it stands for are both word characters), in every message and in
 *   the template. Other leaves (`결제`, which needs no boundary; `10.0.0.7`; a prefix) are MAYBE.
 * Rows without a template and templates not yet committed are MAYBE.
 *
 * Rare templates: a template seen once in a block and not yet in the dictionary (a stack trace
 * with its own frames, a free-text message) is not added to it, which would grow by one long
 * text per event. Such rows are counted together per block (`_lw_block_rare`) with a small Bloom
 * filter of their templates' tokens. For them a decided word or phrase is NO when one of its
 * tokens is missing from that filter (any match lies in a template's fixed text, so its tokens
 * are there), and MAYBE otherwise.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { FilterNode } from '../../core/query-ast.ts';
import { SLOT } from '../../core/template.ts';
import { isSeparator, needsBoundary } from '../../core/word-boundary.ts';
import type { BloomFilter } from './bloom.ts';
import { compileFilter, evalTokens, type TableSchema, tokenExpr } from './compile.ts';
import { sqlString } from './sql.ts';

export const TEMPLATES_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS _lw_templates (part VARCHAR, id INTEGER, text VARCHAR)';
export const BLOCK_TEMPLATES_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS _lw_block_templates (part VARCHAR, block INTEGER, tmpl INTEGER, n INTEGER)';
export const BLOCK_RARE_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS _lw_block_rare (part VARCHAR, block INTEGER, n INTEGER, bloom BLOB)';
/** False-positive rate of a block's rare-template filter (a false positive only costs a scan). */
export const RARE_FPP = 0.01;

/** A block's template counts. */
export interface BlockTemplates {
  /** Rows per dictionary template, as pairs [id, count, ...] (id 0: rows without a template). */
  counts: Uint32Array;
  /** Rows with a rare template, and the filter of those templates' tokens (null: lost). */
  rareRows: number;
  rare: BloomFilter | null;
}
/** A partition stops adding templates beyond this many (later new ones are counted as rare). */
export const MAX_TEMPLATES_PER_PARTITION = 200_000;

export const NO = 0;
export const YES = 1;
export const MAYBE = 2;
export type Verdict = 0 | 1 | 2;

/**
 * Whether a word, phrase or prefix (its value) is decided by a template alone (see the module
 * comment): each of its words is bounded on both sides and has no ASCII digit.
 */
export function decidedByTemplate(value: string, prefix: boolean): boolean {
  const v = value.trim();
  if (v === '') return true;
  if (v.includes(SLOT)) return false;
  // As compile.ts's textMatch decides the boundaries.
  const pre = needsBoundary(v[0]);
  const post = !prefix && needsBoundary(v.at(-1)!);
  let wordStart = -1;
  let digit = false;
  let i = 0;
  for (const ch of v) {
    const cp = ch.codePointAt(0)!;
    if (isSeparator(cp)) {
      if (wordStart >= 0 && digit) return false;
      wordStart = -1;
    } else {
      if (wordStart < 0) {
        if (i === 0 && !pre) return false;
        wordStart = i;
        digit = false;
      }
      if (cp >= 48 && cp <= 57) digit = true;
    }
    i += ch.length;
  }
  return !(wordStart >= 0 && (digit || !post));
}

const LEAF_TYPES = new Set(['word', 'phrase', 'prefix', 'exact', 'compare', 'range', 'regex', 'exists']);

/** Whether a filter node is a leaf on `message`. */
function isMessageLeaf(n: FilterNode): n is Extract<FilterNode, { field: string | null }> {
  return LEAF_TYPES.has(n.type) && 'field' in n && (n.field === null || n.field === 'message');
}

/** The leaves on `message` of a filter. */
export function messageLeaves(n: FilterNode, out: FilterNode[] = []): FilterNode[] {
  if (n.type === 'and' || n.type === 'or') for (const c of n.children) messageLeaves(c, out);
  else if (n.type === 'not') messageLeaves(n.child, out);
  else if (isMessageLeaf(n)) out.push(n);
  return out;
}

const MESSAGE_ONLY: TableSchema = { columns: new Map([['message', 'VARCHAR']]), overflow: new Set() };

/**
 * The verdicts of one leaf on `message` for the committed templates of a partition (index:
 * template id; id 0, "no template", is MAYBE).
 */
export async function leafVerdicts(
  conn: DuckDBConnection,
  part: string,
  texts: readonly string[],
  committed: number,
  leaf: FilterNode,
): Promise<Uint8Array> {
  const out = new Uint8Array(Math.min(committed, texts.length)).fill(MAYBE);
  if (!isMessageLeaf(leaf)) return out;
  const yes = new Set<number>();
  const sql = compileFilter(leaf, MESSAGE_ONLY);
  const rows = (
    await conn.runAndReadAll(
      `SELECT id FROM (SELECT id, text AS message FROM _lw_templates WHERE part = ${sqlString(part)}
       AND id < ${out.length}) WHERE ${sql}`,
    )
  ).getRows();
  for (const [id] of rows) yes.add(Number(id));
  const decided = isDecided(leaf);
  for (let id = 1; id < out.length; id++) {
    if (decided || !texts[id].includes(SLOT)) out[id] = yes.has(id) ? YES : NO;
  }
  return out;
}

/** Whether a leaf is decided by every template (a word, phrase or prefix that `decidedByTemplate`). */
export function isDecided(leaf: FilterNode): boolean {
  return (
    (leaf.type === 'word' || leaf.type === 'phrase' || leaf.type === 'prefix') &&
    decidedByTemplate(leaf.value, leaf.type === 'prefix')
  );
}

/** A leaf's verdict for the rare-template rows of a block whose filter is `rare`. */
export function rareVerdict(leaf: FilterNode, rare: BloomFilter | null): Verdict {
  if (rare === null || !isMessageLeaf(leaf) || !isDecided(leaf)) return MAYBE;
  return evalTokens(tokenExpr(leaf, MESSAGE_ONLY), (h) => rare.has(h)) ? MAYBE : NO;
}

/** A time filter's verdict for a block spanning [minTime, maxTime]. */
function timeVerdict(n: Extract<FilterNode, { type: 'time' }>, minTime: number, maxTime: number): Verdict {
  const lo = n.start ?? Number.NEGATIVE_INFINITY;
  const hi = n.end ?? Number.POSITIVE_INFINITY;
  if (maxTime < lo || minTime > hi) return NO;
  return minTime >= lo && maxTime <= hi ? YES : MAYBE;
}

/**
 * A filter's verdict for the rows of one template of a block spanning [minTime, maxTime]; `leaf`
 * gives the verdict of a leaf on `message` for that template.
 */
export function verdict(
  n: FilterNode,
  leaf: (n: FilterNode) => Verdict,
  minTime: number,
  maxTime: number,
): Verdict {
  switch (n.type) {
    case 'all':
      return YES;
    case 'and': {
      let v: Verdict = YES;
      for (const c of n.children) {
        const x = verdict(c, leaf, minTime, maxTime);
        if (x === NO) return NO;
        if (x === MAYBE) v = MAYBE;
      }
      return v;
    }
    case 'or': {
      let v: Verdict = NO;
      for (const c of n.children) {
        const x = verdict(c, leaf, minTime, maxTime);
        if (x === YES) return YES;
        if (x === MAYBE) v = MAYBE;
      }
      return v;
    }
    case 'not': {
      const x = verdict(n.child, leaf, minTime, maxTime);
      return x === MAYBE ? MAYBE : x === YES ? NO : YES;
    }
    case 'time':
      return timeVerdict(n, minTime, maxTime);
    default:
      return isMessageLeaf(n) ? leaf(n) : MAYBE;
  }
}

/** Whether the filter has a time node (then verdicts depend on the block, not only the template). */
export function hasTimeNode(n: FilterNode): boolean {
  if (n.type === 'time') return true;
  if (n.type === 'and' || n.type === 'or') return n.children.some(hasTimeNode);
  if (n.type === 'not') return hasTimeNode(n.child);
  return false;
}
