/**
 * `| where count:>100 AND host:web-*`: filters rows with the query language's filter syntax,
 * over the columns the previous pipes produced (aggregates, `eval` results, extracted fields).
 */
import type { WherePipe } from '../core/pipe-ast.ts';
import type { PipeSpec } from '../core/query-ast.ts';
import { LwError } from '../core/errors.ts';
import { syntaxError } from './lexer.ts';
import { parseFilter } from './parser.ts';

export function parseWhere(spec: PipeSpec, now: number): WherePipe {
  if (spec.args.trim() === '') {
    throw syntaxError(spec.argsPosition, 'where: expected a filter, e.g. where count:>100', 'a filter');
  }
  try {
    return { type: 'where', filter: parseFilter(spec.args, { now }) };
  } catch (err) {
    // Positions of the sub-parse are relative to the pipe's arguments.
    if (err instanceof LwError && err.code === 'LW_ERR_QUERY_SYNTAX') {
      const d = err.details as { position: number; expected: string };
      const msg = err.message.replace(/^cannot parse query at position \d+: /, '');
      throw syntaxError(spec.argsPosition + d.position, `where: ${msg}`, d.expected);
    }
    throw err;
  }
}
