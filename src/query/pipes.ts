/**
 * The pipe section of a query: `filter | stats count() by level | sort by (x desc)`.
 *
 * The filter parser keeps each pipe as raw text (`PipeSpec`), split on every top-level `|`
 * (outside quotes, parentheses, brackets and `field:/regex/` literals); `parsePipes` then hands
 * each to its own parser (`pipe-stats.ts`, `pipe-sort.ts`, ...), so pipes never change the
 * filter grammar (src/query/parse-pipes.ts).
 */

import type { PipeSpec } from '../core/query-ast.ts';
import { isSpace, syntaxError } from './lexer.ts';

const PIPE_NAME_RE = /[A-Za-z_][A-Za-z0-9_]*/y;

const CLOSERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/**
 * Splits `src` from the top-level `|` at `pipeAt` to the end into pipe specs. Throws
 * `LW_ERR_QUERY_SYNTAX` for an empty pipe, a pipe without a name, unbalanced brackets or an
 * unterminated string.
 */
export function splitPipes(src: string, pipeAt: number): PipeSpec[] {
  const pipes: PipeSpec[] = [];
  let bar = pipeAt;
  while (true) {
    const segStart = bar + 1;
    const segEnd = findSegmentEnd(src, segStart);
    pipes.push(readPipe(src, bar, segStart, segEnd));
    if (segEnd >= src.length) return pipes;
    bar = segEnd;
  }
}

function readPipe(src: string, bar: number, segStart: number, segEnd: number): PipeSpec {
  let i = segStart;
  while (i < segEnd && isSpace(src[i]!)) i++;
  PIPE_NAME_RE.lastIndex = i;
  const m = PIPE_NAME_RE.exec(src);
  const nameEnd = m === null ? i : i + m[0].length;
  const after = src.charAt(nameEnd);
  if (m === null || nameEnd > segEnd || !(nameEnd === segEnd || after === '(' || isSpace(after))) {
    throw syntaxError(i, `expected a pipe name after "|" at position ${bar}`, 'a pipe name');
  }
  let argsStart = nameEnd;
  while (argsStart < segEnd && isSpace(src[argsStart]!)) argsStart++;
  let argsEnd = segEnd;
  while (argsEnd > argsStart && isSpace(src[argsEnd - 1]!)) argsEnd--;
  return { name: m[0], args: src.slice(argsStart, argsEnd), position: i, argsPosition: argsStart };
}

/** The index of the next top-level `|` at or after `from`, or `src.length`. */
function findSegmentEnd(src: string, from: number): number {
  const open: Array<{ ch: string; at: number }> = [];
  let i = from;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === '"' || ch === "'" || ch === '`') {
      i = skipQuoted(src, i, ch);
      continue;
    }
    if (ch === '/' && i > 0 && src[i - 1] === ':') {
      // field:/regex/ as the filter reads it; an unterminated one is an ordinary word.
      i = skipRegex(src, i);
      continue;
    }
    if (ch === '\\') {
      i += 2;
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') open.push({ ch, at: i });
    else if (ch === ')' || ch === ']' || ch === '}') {
      const top = open.pop();
      if (top === undefined || CLOSERS[top.ch] !== ch) {
        const want = top === undefined ? 'a pipe argument' : `"${CLOSERS[top.ch]}"`;
        throw syntaxError(i, `unexpected "${ch}"`, want);
      }
    } else if (ch === '|' && open.length === 0) return i;
    i++;
  }
  const top = open.pop();
  if (top !== undefined) {
    const want = CLOSERS[top.ch]!;
    throw syntaxError(
      src.length,
      `expected "${want}" to match "${top.ch}" at position ${top.at}`,
      `"${want}"`,
    );
  }
  return src.length;
}

/** Skips `/regex/` starting at `at`; when it is not closed, skips only the `/`. */
function skipRegex(src: string, at: number): number {
  for (let i = at + 1; i < src.length; i++) {
    if (src[i] === '\\') i++;
    else if (src[i] === '/') return i + 1;
  }
  return at + 1;
}

/** Skips a string delimited by `quote` starting at `at`, honouring backslash escapes. */
function skipQuoted(src: string, at: number, quote: string): number {
  let i = at + 1;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === '\\') i += 2;
    else if (ch === quote) return i + 1;
    else i++;
  }
  throw syntaxError(at, `unterminated string starting at position ${at}`, quote);
}
