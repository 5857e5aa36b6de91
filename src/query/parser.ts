/**
 * The query parser (query language v1): a recursive-descent parser over the lexer's tokens that
 * builds the AST of `src/core/query-ast.ts`. The grammar, lowest precedence first:
 *
 *   query   = [ or ] { "|" pipe }          empty filter or "*" matches everything
 *   or      = and { "OR" and }
 *   and     = unary { [ "AND" ] unary }    adjacency is AND
 *   unary   = ( "NOT" | "-" ) unary | primary
 *   primary = "(" or ")" | "*" | word | prefix* | "phrase" | field ":" value
 *   value   = word | prefix* | "phrase" | "*" | "=" ( word | "phrase" )
 *           | ( ">" | ">=" | "<" | "<=" ) ( word | "phrase" )
 *           | ( "[" | "{" ) bound ( "TO" | "," ) bound ( "]" | "}" )
 *           | "/" regex "/" | "(" or ")"       field:(a OR b) applies the field to bare terms
 *                                              /regex/ only when followed by the end of the value,
 *                                              so path:/api/v1/users is a word
 *   _time:  duration (15m, 1h30m: the last 15 minutes) | ( "[" | "(" | "{" ) time "," time ( "]" | ")" | "}" )
 *           | ( ">" | ">=" | "<" | "<=" ) time
 *
 * AND, OR and NOT are keywords only in upper case. The pipe section is split into raw
 * `PipeSpec`s by `pipes.ts`. Every syntax error is an `LwError` `LW_ERR_QUERY_SYNTAX` with the
 * position and what was expected; no other exception escapes for any input.
 */

import {
  all,
  and,
  compare,
  exact,
  exists,
  extractTimeBounds,
  type FilterNode,
  not,
  or,
  type ParsedQuery,
  phrase,
  prefix,
  type RangeBound,
  range,
  regex,
  time,
  word,
} from '../core/query-ast.ts';
import {
  endsBound,
  endsValueWord,
  Lexer,
  MAX_QUERY_DEPTH,
  syntaxError,
  type Token,
  type TokenKind,
  wordToken,
} from './lexer.ts';
import { splitPipes } from './pipes.ts';
import { clampUs, parseDuration, parseTimeLiteral, type TimeLiteral } from './time-literal.ts';

export interface ParseOptions {
  /** The current time in epoch milliseconds, for `_time:15m`, `now` and `-1h`; default `Date.now()`. */
  now?: number;
}

/**
 * Parses a query. Relative times are resolved against `options.now`. Throws `LwError`
 * `LW_ERR_QUERY_SYNTAX` (details `{ position, expected }`) for invalid syntax, and nothing else.
 */
export function parseQuery(query: string, options: ParseOptions = {}): ParsedQuery {
  const parser = new Parser(query, options.now ?? Date.now());
  return parser.parseQuery();
}

/** Parses a query that must not have pipes (alert conditions, saved filters); returns the filter. */
export function parseFilter(query: string, options: ParseOptions = {}): FilterNode {
  const q = parseQuery(query, options);
  if (q.pipes.length > 0) {
    const p = q.pipes[0]!;
    throw syntaxError(p.position, `pipes are not allowed here ("| ${p.name}")`, 'end of query');
  }
  return q.filter;
}

const TERM_START: ReadonlySet<TokenKind> = new Set<TokenKind>([
  'word',
  'prefix',
  'phrase',
  'field',
  'star',
  'lparen',
  'not',
  'minus',
]);

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Unquoted numeric text is a number (finite, -0 read as 0); anything else stays a string. */
function numberOrString(text: string): number | string {
  if (!NUMBER_RE.test(text)) return text;
  const n = Number(text);
  if (!Number.isFinite(n)) return text;
  return n === 0 ? 0 : n;
}

/** A time node with bounds clamped to the exactly representable range (see `clampUs`). */
function timeNode(start: number | null, end: number | null): FilterNode {
  return time(start === null ? null : clampUs(start), end === null ? null : clampUs(end));
}

const TIME_EXPECTED = 'a time: RFC 3339 (2026-11-22T10:00:00Z), a date, epoch seconds, now, -1h or *';

class Parser {
  readonly lx: Lexer;
  readonly nowMs: number;
  depth = 0;

  constructor(src: string, nowMs: number) {
    this.lx = new Lexer(src);
    this.nowMs = nowMs;
  }

  parseQuery(): ParsedQuery {
    const first = this.lx.peek();
    let filter: FilterNode = all();
    if (first.kind !== 'eof' && first.kind !== 'pipe') filter = this.parseOr(null);
    const t = this.lx.next();
    if (t.kind === 'rparen') throw syntaxError(t.start, 'unexpected ")"', 'a term, AND, OR or "|"');
    if (t.kind !== 'eof' && t.kind !== 'pipe')
      throw syntaxError(t.start, `unexpected "${t.value}"`, 'end of query');
    const pipes = t.kind === 'pipe' ? splitPipes(this.lx.src, t.start) : [];
    return { filter, pipes, timeRange: extractTimeBounds(filter) };
  }

  /** `field` is the field of an enclosing `field:( ... )` group: bare terms inside search it. */
  parseOr(field: string | null): FilterNode {
    const children = [this.parseAnd(field)];
    while (this.lx.peek().kind === 'or') {
      const op = this.lx.next();
      this.expectTermAfter(op);
      children.push(this.parseAnd(field));
    }
    return or(children);
  }

  parseAnd(field: string | null): FilterNode {
    const children = [this.parseUnary(field)];
    while (true) {
      const t = this.lx.peek();
      if (t.kind === 'and') {
        this.lx.next();
        this.expectTermAfter(t);
      } else if (!TERM_START.has(t.kind)) break;
      children.push(this.parseUnary(field));
    }
    return and(children);
  }

  parseUnary(field: string | null): FilterNode {
    const t = this.lx.peek();
    if (t.kind !== 'not' && t.kind !== 'minus') return this.parsePrimary(field);
    this.lx.next();
    if (t.kind === 'not') this.expectTermAfter(t);
    this.enter(t.start);
    const child = this.parseUnary(field);
    this.depth--;
    return not(child);
  }

  parsePrimary(field: string | null): FilterNode {
    const t = this.lx.next();
    switch (t.kind) {
      case 'lparen':
        return this.parseGroup(t, field);
      case 'word':
        return word(t.value, field);
      case 'prefix':
        return prefix(t.value, field);
      case 'phrase':
        return phrase(t.value, field);
      case 'star':
        return field === null ? all() : exists(field);
      case 'field':
        return this.parseFieldValue(t);
      case 'eof':
        throw syntaxError(t.start, 'expected a term', 'a term');
      case 'rparen':
        throw syntaxError(t.start, 'unexpected ")"; expected a term', 'a term');
      default:
        throw syntaxError(t.start, `expected a term before "${t.value}"`, 'a term');
    }
  }

  /** After `(`: the group up to its `)`. */
  parseGroup(open: Token, field: string | null): FilterNode {
    this.enter(open.start);
    const first = this.lx.peek();
    if (first.kind === 'rparen') throw syntaxError(first.start, 'expected a term inside "()"', 'a term');
    const inner = this.parseOr(field);
    const close = this.lx.next();
    if (close.kind !== 'rparen') {
      throw syntaxError(close.start, `expected ")" to match "(" at position ${open.start}`, '")"');
    }
    this.depth--;
    return inner;
  }

  enter(position: number): void {
    if (++this.depth > MAX_QUERY_DEPTH) {
      throw syntaxError(position, `query nests deeper than ${MAX_QUERY_DEPTH} levels`, 'less nesting');
    }
  }

  expectTermAfter(op: Token): void {
    const t = this.lx.peek();
    if (!TERM_START.has(t.kind)) throw syntaxError(t.start, `expected a term after "${op.value}"`, 'a term');
  }

  /** After `field:` (the lexer is right after the colon). */
  parseFieldValue(f: Token): FilterNode {
    const lx = this.lx;
    const field = f.value;
    const shown = lx.src.slice(f.start, f.end);
    if (field === '_time') return this.parseTimeValue(shown);
    const at = lx.pos;
    const ch = lx.char();
    if (ch === '' || (endsValueWord(ch) && ch !== '(' && ch !== '"')) {
      throw syntaxError(at, `expected a value after "${shown}"`, 'a value');
    }
    switch (ch) {
      case '(':
        lx.pos++;
        return this.parseGroup({ kind: 'lparen', value: '(', start: at, end: at + 1 }, field);
      case '"':
        return phrase(lx.readQuoted(), field);
      case '/': {
        const pattern = lx.readRegex();
        if (pattern !== null) return regex(field, pattern);
        break;
      }
      case '[':
      case '{':
        return this.parseRange(field);
      case '*':
        if (lx.char(1) === '' || endsValueWord(lx.char(1))) {
          lx.pos++;
          return exists(field);
        }
        break;
      case '=': {
        lx.pos++;
        if (lx.char() === '"') return exact(field, lx.readQuoted());
        const w = lx.readWord(endsValueWord);
        if (w.value === '') throw syntaxError(lx.pos, `expected a value after "${shown}="`, 'a value');
        return exact(field, w.value);
      }
      case '>':
      case '<': {
        const op = lx.char(1) === '=' ? (ch === '>' ? '>=' : '<=') : ch;
        lx.pos += op.length;
        if (lx.char() === '"') return compare(field, op, lx.readQuoted());
        const w = lx.readWord(endsValueWord);
        if (w.value === '') throw syntaxError(lx.pos, `expected a value after "${shown}${op}"`, 'a value');
        return compare(field, op, w.escaped ? w.value : numberOrString(w.value));
      }
    }
    const t = wordToken(lx.readWord(endsValueWord), false);
    return t.kind === 'prefix' ? prefix(t.value, field) : word(t.value, field);
  }

  /** `[a TO b]`, `{a TO b}`, mixed brackets, `*` open bounds, `,` also accepted for `TO`. */
  parseRange(field: string | null): FilterNode {
    const lx = this.lx;
    const open = lx.char();
    lx.pos++;
    const lower = this.readRangeBound();
    this.readRangeSeparator();
    const upper = this.readRangeBound();
    lx.skipSpace();
    const close = lx.char();
    if (close !== ']' && close !== '}') {
      throw syntaxError(lx.pos, 'expected "]" or "}" to close the range', '"]" or "}"');
    }
    lx.pos++;
    return range(field, lower, upper, open === '[', close === ']');
  }

  readRangeBound(): RangeBound {
    const lx = this.lx;
    lx.skipSpace();
    if (lx.char() === '"') return lx.readQuoted();
    const w = lx.readWord(endsBound);
    if (w.value === '')
      throw syntaxError(w.start, 'expected a range bound (a number, a "string" or *)', 'a bound');
    if (w.escaped) return w.value;
    if (w.value === '*') return null;
    return numberOrString(w.value);
  }

  readRangeSeparator(): void {
    const lx = this.lx;
    lx.skipSpace();
    if (lx.char() === ',') {
      lx.pos++;
      return;
    }
    const after = lx.char(2);
    if (lx.src.startsWith('TO', lx.pos) && (after === '' || after === '"' || endsBound(after))) {
      lx.pos += 2;
      return;
    }
    throw syntaxError(lx.pos, 'expected "TO" or "," between the range bounds', '"TO"');
  }

  /** After `_time:`. Bounds are resolved to inclusive epoch microseconds. */
  parseTimeValue(shown: string): FilterNode {
    const lx = this.lx;
    const at = lx.pos;
    const ch = lx.char();
    if (ch === '[' || ch === '{' || ch === '(') {
      lx.pos++;
      const lower = this.readTimeBound();
      this.readRangeSeparator();
      const upper = this.readTimeBound();
      lx.skipSpace();
      const close = lx.char();
      if (close !== ']' && close !== '}' && close !== ')') {
        throw syntaxError(lx.pos, 'expected "]" or ")" to close the time range', '"]" or ")"');
      }
      lx.pos++;
      const start = lower === null ? null : ch === '[' ? lower.us : lower.us + lower.precision;
      const end = upper === null ? null : close === ']' ? upper.us + upper.precision - 1 : upper.us - 1;
      return timeNode(start, end);
    }
    if (ch === '>' || ch === '<') {
      const op = lx.char(1) === '=' ? (ch === '>' ? '>=' : '<=') : ch;
      lx.pos += op.length;
      const t = this.readTimeBound();
      if (t === null) return all();
      switch (op) {
        case '>=':
          return timeNode(t.us, null);
        case '>':
          return timeNode(t.us + t.precision, null);
        case '<=':
          return timeNode(null, t.us + t.precision - 1);
        default:
          return timeNode(null, t.us - 1);
      }
    }
    if (ch === '' || endsValueWord(ch)) throw syntaxError(at, `expected a value after "${shown}"`, 'a value');
    const w = lx.readWord(endsValueWord);
    if (w.value === '*' && !w.escaped) return all();
    const d = parseDuration(w.value);
    if (d === null) {
      throw syntaxError(
        at,
        `expected a duration (15m, 1h, 7d), a range [start, end] or a comparison (>=2026-11-22) after "${shown}"`,
        'a duration, a time range or a comparison',
      );
    }
    const nowUs = Math.round(this.nowMs * 1000);
    return timeNode(nowUs - d, nowUs);
  }

  /** A time bound: `*` (null), a quoted or bare time literal. */
  readTimeBound(): TimeLiteral | null {
    const lx = this.lx;
    lx.skipSpace();
    const at = lx.pos;
    let text: string;
    if (lx.char() === '"') text = lx.readQuoted();
    else {
      const w = lx.readWord(endsBound);
      if (w.value === '') throw syntaxError(at, `expected ${TIME_EXPECTED}`, TIME_EXPECTED);
      if (w.value === '*' && !w.escaped) return null;
      text = w.value;
    }
    const t = parseTimeLiteral(text.trim(), this.nowMs);
    if (t === null)
      throw syntaxError(at, `cannot parse time "${text}"; expected ${TIME_EXPECTED}`, TIME_EXPECTED);
    return t;
  }
}
