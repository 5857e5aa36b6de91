/**
 * A cursor over one pipe's argument text, shared by the pipe parsers (`pipe-*.ts`). Positions in
 * errors are positions in the whole query (the pipe's `argsPosition` plus the offset), so a
 * malformed pipe answers 400 with the exact place, as the filter does.
 *
 * Names: `http.status`, `@timestamp`, `x-forwarded-for` (dashes allowed where a name cannot be an
 * arithmetic expression), an aggregate's column as its call (`count()`), or any text in
 * backquotes: `` `my field` ``.
 */
import type { PipeSpec } from '../core/query-ast.ts';
import { isSpace, syntaxError } from './lexer.ts';

const NAME_RE = /[\p{L}\p{N}_.@][\p{L}\p{N}_.@-]*/uy;
const NAME_NO_DASH_RE = /[\p{L}_@][\p{L}\p{N}_.@]*/uy;
/** The argument part of an aggregate's column name, right after the function name. */
const CALL_RE = /\([\p{L}\p{N}_.@-]*\)/uy;
const NUMBER_RE = /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const DURATION_RE = /(?:\d+(?:\.\d+)?(?:ms|us|µs|ns|s|m|h|d|w))+/y;

export class PipeArgs {
  readonly src: string;
  readonly base: number;
  readonly pipe: string;
  pos = 0;

  constructor(spec: PipeSpec) {
    this.src = spec.args;
    this.base = spec.argsPosition;
    this.pipe = spec.name;
  }

  /** Position in the whole query of the cursor (or of `at`, an offset in the arguments). */
  where(at = this.pos): number {
    return this.base + at;
  }

  error(message: string, expected: string, at = this.pos): never {
    throw syntaxError(this.where(at), `${this.pipe}: ${message}`, expected);
  }

  ws(): void {
    while (this.pos < this.src.length && isSpace(this.src[this.pos]!)) this.pos++;
  }

  atEnd(): boolean {
    this.ws();
    return this.pos >= this.src.length;
  }

  peek(): string {
    this.ws();
    return this.src.charAt(this.pos);
  }

  /** Consumes `ch` when it is next (after spaces). */
  eat(ch: string): boolean {
    if (this.peek() !== ch) return false;
    this.pos += ch.length;
    return true;
  }

  expect(ch: string): void {
    if (!this.eat(ch)) this.error(`expected "${ch}"`, `"${ch}"`);
  }

  /** Consumes a keyword (case-insensitive, whole word) when it is next. */
  keyword(kw: string): boolean {
    this.ws();
    const s = this.src.slice(this.pos, this.pos + kw.length);
    if (s.toLowerCase() !== kw) return false;
    const after = this.src.charAt(this.pos + kw.length);
    if (after !== '' && /[\p{L}\p{N}_.@-]/u.test(after)) return false;
    this.pos += kw.length;
    return true;
  }

  /** Reads a field name, or returns null when none is next. */
  tryName(allowDash = true): string | null {
    this.ws();
    if (this.src[this.pos] === '`') {
      const end = this.src.indexOf('`', this.pos + 1);
      if (end < 0) this.error('unterminated `name`', '"`"');
      const name = this.src.slice(this.pos + 1, end);
      if (name === '') this.error('empty `name`', 'a field name');
      this.pos = end + 1;
      return name;
    }
    const re = allowDash ? NAME_RE : NAME_NO_DASH_RE;
    re.lastIndex = this.pos;
    const m = re.exec(this.src);
    if (!m) return null;
    this.pos += m[0].length;
    return m[0];
  }

  /**
   * A field name, or a column an aggregate produced, written as the call (`count()`,
   * `p99(duration_ms)`): `sort by (count() desc)` needs no alias.
   */
  name(what = 'a field name', allowDash = true): string {
    const n = this.tryName(allowDash);
    if (n === null) this.error(`expected ${what}`, what);
    CALL_RE.lastIndex = this.pos;
    const call = CALL_RE.exec(this.src);
    if (call === null) return n;
    this.pos += call[0].length;
    return n + call[0];
  }

  /** A comma-separated list of names, optionally in parentheses. */
  nameList(what = 'a field name'): string[] {
    const paren = this.eat('(');
    const names = [this.name(what)];
    while (this.eat(',')) names.push(this.name(what));
    if (paren) this.expect(')');
    return names;
  }

  tryNumber(): number | null {
    this.ws();
    NUMBER_RE.lastIndex = this.pos;
    const m = NUMBER_RE.exec(this.src);
    if (!m) return null;
    const after = this.src.charAt(this.pos + m[0].length);
    if (/[\p{L}_]/u.test(after)) return null;
    this.pos += m[0].length;
    return Number(m[0]);
  }

  /** A positive integer up to `max`. */
  integer(what: string, max: number): number {
    this.ws();
    const at = this.pos;
    const n = this.tryNumber();
    if (n === null || !Number.isInteger(n) || n < 1 || n > max) {
      this.error(`expected ${what} (an integer from 1 to ${max})`, what, at);
    }
    return n;
  }

  /** A duration literal (`5m`, `1h30m`, `500ms`) as written, or null. */
  tryDurationText(): string | null {
    this.ws();
    DURATION_RE.lastIndex = this.pos;
    const m = DURATION_RE.exec(this.src);
    if (!m) return null;
    const after = this.src.charAt(this.pos + m[0].length);
    if (/[\p{L}\p{N}_]/u.test(after)) return null;
    this.pos += m[0].length;
    return m[0];
  }

  /** A quoted string ("..." or '...', backslash escapes), or null when none is next. */
  tryString(): string | null {
    this.ws();
    const q = this.src[this.pos];
    if (q !== '"' && q !== "'") return null;
    let out = '';
    let i = this.pos + 1;
    while (i < this.src.length) {
      const ch = this.src[i]!;
      if (ch === '\\' && i + 1 < this.src.length) {
        const n = this.src[i + 1]!;
        out += n === 'n' ? '\n' : n === 't' ? '\t' : n;
        i += 2;
        continue;
      }
      if (ch === q) {
        this.pos = i + 1;
        return out;
      }
      out += ch;
      i++;
    }
    return this.error('unterminated string', q);
  }

  string(what: string): string {
    const s = this.tryString();
    if (s === null) this.error(`expected ${what} in quotes`, what);
    return s;
  }

  /** Fails unless everything was read. */
  end(expected: string): void {
    if (!this.atEnd()) this.error(`unexpected "${this.src.slice(this.pos, this.pos + 20)}"`, expected);
  }
}
