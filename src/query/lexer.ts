/**
 * The query lexer: turns query text into tokens for the parser.
 *
 * The language is context-sensitive in one place: what follows `field:` (a value, `*`, `=x`,
 * `>=5`, `[a TO b]`, `/regex/`, `(group)`) is read by the parser with the value readers below,
 * because a value may contain characters that are separators elsewhere (`time:10:00:00`). Outside
 * values, `next()` yields term tokens.
 *
 * Positions are 0-based indexes into the query string (UTF-16 code units, the same as JavaScript
 * string indexes; for Hangul and other BMP text that is the character index).
 *
 * Everything that is not valid syntax throws `LwError` `LW_ERR_QUERY_SYNTAX` with `details`
 * `{ position, expected }`; nothing else is thrown for any input.
 */

import { LwError } from '../core/errors.ts';

/** How deep parentheses and negations may nest; deeper queries are rejected, not overflowed. */
export const MAX_QUERY_DEPTH = 100;

/** The syntax error every query module throws: `cannot parse query at position N: message`. */
export function syntaxError(position: number, message: string, expected: string): LwError {
  return new LwError('LW_ERR_QUERY_SYNTAX', [position, message], { position, expected });
}

export type TokenKind =
  | 'word' // error, 173.234.31.186, 결제, with escapes resolved
  | 'prefix' // foo* (value without the *)
  | 'phrase' // "Failed password", escapes resolved
  | 'field' // status:  or  "my field":  (value is the name; end is after the colon)
  | 'star' // *
  | 'lparen'
  | 'rparen'
  | 'pipe'
  | 'and'
  | 'or'
  | 'not'
  | 'minus' // - directly before a term
  | 'eof';

export interface Token {
  kind: TokenKind;
  value: string;
  start: number;
  end: number;
}

/** Unicode white space (including U+3000 IDEOGRAPHIC SPACE, common in CJK text). */
export function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || (ch > '\x7f' && /^\s$/u.test(ch));
}

/** Plain (unquoted) field names: letters, digits, `_ . - @`, not starting with `-`. */
export const FIELD_NAME_RE = /^[\p{L}\p{N}_.@][\p{L}\p{N}_.@-]*$/u;

/** Characters that end a bare word in term position. */
function endsTermWord(ch: string): boolean {
  return ch === '(' || ch === ')' || ch === '"' || ch === '|' || ch === ':' || isSpace(ch);
}

/** Characters that end a word after `field:` (a value may contain `:`). */
export function endsValueWord(ch: string): boolean {
  return ch === '(' || ch === ')' || ch === '"' || ch === '|' || isSpace(ch);
}

/** Characters that end a range bound (`[a TO b]`, `[a, b)`). */
export function endsBound(ch: string): boolean {
  return ch === ']' || ch === '}' || ch === ')' || ch === ',' || ch === '"' || isSpace(ch);
}

/** A bare word as read: escapes resolved, with where its unescaped `*` characters were. */
export interface RawWord {
  value: string;
  start: number;
  end: number;
  /** True when a backslash escape was used (so the word is never a keyword or a field name). */
  escaped: boolean;
  /** Query positions of unescaped `*` characters, with their index in `value`. */
  stars: Array<{ position: number; index: number }>;
}

const KEYWORDS: Record<string, TokenKind> = { AND: 'and', OR: 'or', NOT: 'not' };

export class Lexer {
  readonly src: string;
  pos = 0;

  constructor(src: string) {
    this.src = src;
  }

  /** The character at the current position, or '' at the end. */
  char(offset = 0): string {
    return this.src.charAt(this.pos + offset);
  }

  atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  skipSpace(): void {
    while (this.pos < this.src.length && isSpace(this.src[this.pos]!)) this.pos++;
  }

  /** The next term token, without consuming it. */
  peek(): Token {
    const saved = this.pos;
    try {
      return this.next();
    } finally {
      this.pos = saved;
    }
  }

  /** Reads the next term token (skipping white space before it). */
  next(): Token {
    this.skipSpace();
    const start = this.pos;
    if (this.atEnd()) return { kind: 'eof', value: '', start, end: start };
    const ch = this.src[start]!;
    switch (ch) {
      case '(':
        this.pos++;
        return { kind: 'lparen', value: ch, start, end: this.pos };
      case ')':
        this.pos++;
        return { kind: 'rparen', value: ch, start, end: this.pos };
      case '|':
        this.pos++;
        return { kind: 'pipe', value: ch, start, end: this.pos };
      case '"': {
        const value = this.readQuoted();
        if (this.char() === ':') {
          if (value === '') throw syntaxError(start, 'expected a field name before ":"', 'a field name');
          this.pos++;
          return { kind: 'field', value, start, end: this.pos };
        }
        return { kind: 'phrase', value, start, end: this.pos };
      }
      case '-': {
        const after = this.char(1);
        if (after === '' || after === ')' || after === '|' || isSpace(after)) {
          throw syntaxError(start + 1, 'expected a term after "-"', 'a term');
        }
        this.pos++;
        return { kind: 'minus', value: ch, start, end: this.pos };
      }
      case ':':
        throw syntaxError(start, 'expected a field name before ":"', 'a field name');
    }
    let w = this.readWord(endsTermWord);
    if (this.src.startsWith('://', this.pos)) {
      // A URL (http://host:8080/x) is a word, not a field followed by a regex.
      this.pos = start;
      w = this.readWord(endsValueWord);
    }
    if (this.char() === ':') {
      if (w.escaped || !FIELD_NAME_RE.test(w.value)) {
        throw syntaxError(
          start,
          `invalid field name "${w.value}"; quote it ("a b":x) or escape the colon (a\\:b)`,
          'a field name',
        );
      }
      this.pos++;
      return { kind: 'field', value: w.value, start, end: this.pos };
    }
    if (!w.escaped) {
      const keyword = KEYWORDS[w.value];
      if (keyword !== undefined) return { kind: keyword, value: w.value, start, end: w.end };
      if (w.value === '*') return { kind: 'star', value: '*', start, end: w.end };
    }
    return wordToken(w, false);
  }

  /**
   * Reads a bare word up to a character for which `ends` is true (or the end), resolving
   * backslash escapes (`\x` is the character x). Throws on a trailing lone backslash.
   */
  readWord(ends: (ch: string) => boolean): RawWord {
    const src = this.src;
    const start = this.pos;
    let value = '';
    let escaped = false;
    const stars: RawWord['stars'] = [];
    let i = start;
    while (i < src.length) {
      const ch = src[i]!;
      if (ch === '\\') {
        if (i + 1 >= src.length) throw syntaxError(i, 'expected a character after "\\"', 'a character');
        const cp = src.codePointAt(i + 1)!;
        const s = String.fromCodePoint(cp);
        value += s;
        i += 1 + s.length;
        escaped = true;
        continue;
      }
      if (ends(ch)) break;
      if (ch === '*') stars.push({ position: i, index: value.length });
      value += ch;
      i++;
    }
    this.pos = i;
    return { value, start, end: i, escaped, stars };
  }

  /**
   * Reads a double-quoted string at the current position (which must be `"`). Escapes:
   * `\"` `\\` `\/` `\'` `\n` `\t` `\r` `\b` `\f` `\uXXXX`; any other escape is an error.
   */
  readQuoted(): string {
    const src = this.src;
    const start = this.pos;
    let i = start + 1;
    let out = '';
    let chunk = i;
    while (true) {
      if (i >= src.length) {
        throw syntaxError(start, `unterminated phrase starting at position ${start}`, '"');
      }
      const ch = src[i]!;
      if (ch === '"') {
        out += src.slice(chunk, i);
        this.pos = i + 1;
        return out;
      }
      if (ch !== '\\') {
        i++;
        continue;
      }
      out += src.slice(chunk, i);
      const e = src.charAt(i + 1);
      switch (e) {
        case '"':
        case '\\':
        case '/':
        case "'":
          out += e;
          break;
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {
          const hex = src.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            throw syntaxError(i, 'expected four hex digits after "\\u"', 'four hex digits');
          }
          out += String.fromCharCode(Number.parseInt(hex, 16));
          i += 4;
          break;
        }
        case '':
          throw syntaxError(start, `unterminated phrase starting at position ${start}`, '"');
        default:
          throw syntaxError(
            i,
            `invalid escape "\\${e}" in a quoted string; write "\\\\" for a backslash`,
            'an escape: \\" \\\\ \\n \\t \\r \\uXXXX',
          );
      }
      i += 2;
      chunk = i;
    }
  }

  /**
   * Reads `/pattern/` at the current position (which must be `/`) when it is a complete regex
   * literal followed by the end of the value (white space, `(`, `)`, `"`, `|` or the end), and
   * returns the pattern. `\/` stands for `/`; every other backslash pair is kept as written, for
   * the regex engine. Otherwise returns null and does not move: the value is then a word, so
   * `path:/api/v1/users` and `path:/healthz` search for those paths.
   */
  readRegex(): string | null {
    const src = this.src;
    let i = this.pos + 1;
    let out = '';
    while (i < src.length) {
      const ch = src[i]!;
      if (ch === '/') {
        const after = src.charAt(i + 1);
        if (after !== '' && !endsValueWord(after)) return null;
        this.pos = i + 1;
        return out;
      }
      if (ch === '\\' && i + 1 < src.length) {
        const e = src[i + 1]!;
        out += e === '/' ? '/' : ch + e;
        i += 2;
        continue;
      }
      out += ch;
      i++;
    }
    return null;
  }
}

/** Makes a word or prefix token from a bare word; a `*` anywhere but at the end is an error. */
export function wordToken(w: RawWord, literalStars: boolean): Token {
  let kind: TokenKind = 'word';
  let value = w.value;
  if (!literalStars && w.stars.length > 0) {
    const last = w.stars[w.stars.length - 1]!;
    const bad = w.stars.find((s) => s !== last || s.index !== value.length - 1);
    if (bad !== undefined || last.index === 0) {
      const at = bad ?? last;
      throw syntaxError(
        at.position,
        '"*" is only supported at the end of a word (prefix search); escape it as \\* to search for it',
        'a word',
      );
    }
    kind = 'prefix';
    value = value.slice(0, -1);
  }
  return { kind, value, start: w.start, end: w.end };
}
