/**
 * `| eval duration_s = duration_ms / 1000, host = lower(host)`: computes columns.
 * Expressions: numbers, "strings", null, field names, `+ - * / %` (on numbers; a string that
 * reads as a number is used as one), parentheses and the functions of `EVAL_FUNCTIONS`.
 * Division by zero gives null. Names with dashes need backquotes here (`` `x-b` ``), since
 * `x-b` is a subtraction.
 */
import type { EvalPipe, Expr } from '../core/pipe-ast.ts';
import type { PipeSpec } from '../core/query-ast.ts';
import { PipeArgs } from './pipe-args.ts';

/** Function name -> [min args, max args] (max -1: any number). */
export const EVAL_FUNCTIONS: Readonly<Record<string, readonly [number, number]>> = {
  abs: [1, 1],
  ceil: [1, 1],
  floor: [1, 1],
  round: [1, 2],
  sqrt: [1, 1],
  ln: [1, 1],
  log10: [1, 1],
  exp: [1, 1],
  pow: [2, 2],
  lower: [1, 1],
  upper: [1, 1],
  trim: [1, 1],
  len: [1, 1],
  concat: [1, -1],
  substr: [2, 3],
  replace: [3, 3],
  coalesce: [1, -1],
  tostring: [1, 1],
  tonumber: [1, 1],
};

const MAX_DEPTH = 64;

class ExprParser {
  readonly a: PipeArgs;
  depth = 0;
  constructor(a: PipeArgs) {
    this.a = a;
  }

  expr(): Expr {
    if (++this.depth > MAX_DEPTH) this.a.error('expression nested too deeply', 'a simpler expression');
    let left = this.term();
    for (;;) {
      const ch = this.a.peek();
      if (ch !== '+' && ch !== '-') break;
      this.a.pos++;
      left = { kind: 'binary', op: ch, left, right: this.term() };
    }
    this.depth--;
    return left;
  }

  term(): Expr {
    let left = this.unary();
    for (;;) {
      const ch = this.a.peek();
      if (ch !== '*' && ch !== '/' && ch !== '%') break;
      this.a.pos++;
      left = { kind: 'binary', op: ch, left, right: this.unary() };
    }
    return left;
  }

  unary(): Expr {
    if (this.a.eat('-')) {
      if (++this.depth > MAX_DEPTH) this.a.error('expression nested too deeply', 'a simpler expression');
      const arg = this.unary();
      this.depth--;
      return { kind: 'unary', op: '-', arg };
    }
    return this.primary();
  }

  primary(): Expr {
    const a: PipeArgs = this.a;
    if (a.eat('(')) {
      const e = this.expr();
      a.expect(')');
      return e;
    }
    const n = a.tryNumber();
    if (n !== null) return { kind: 'number', value: n };
    const s = a.tryString();
    if (s !== null) return { kind: 'string', value: s };
    const at = a.pos;
    const name = a.tryName(false);
    if (name === null) a.error('expected a number, a "string", a field or a function call', 'an expression');
    if (a.peek() === '(') {
      const fn = name.toLowerCase();
      const arity = EVAL_FUNCTIONS[fn];
      if (arity === undefined) {
        a.error(`unknown function "${name}"`, Object.keys(EVAL_FUNCTIONS).join(', '), at);
      }
      a.expect('(');
      const args: Expr[] = [];
      if (a.peek() !== ')') {
        args.push(this.expr());
        while (a.eat(',')) args.push(this.expr());
      }
      a.expect(')');
      const [min, max] = arity;
      if (args.length < min || (max >= 0 && args.length > max)) {
        const want = min === max ? `${min}` : max < 0 ? `at least ${min}` : `${min} to ${max}`;
        a.error(`${fn}() takes ${want} argument(s), got ${args.length}`, 'other arguments', at);
      }
      return { kind: 'call', fn, args };
    }
    if (name === 'null') return { kind: 'null' };
    return { kind: 'field', name };
  }
}

export function parseEval(spec: PipeSpec): EvalPipe {
  const a = new PipeArgs(spec);
  const assigns: EvalPipe['assigns'] = [];
  do {
    const name = a.name('the name of the new field');
    a.expect('=');
    assigns.push({ name, expr: new ExprParser(a).expr() });
  } while (a.eat(','));
  a.end('an operator, "," or the end of the pipe');
  return { type: 'eval', assigns };
}
