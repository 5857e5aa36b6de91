/**
 * Conditions of `if`, `drop` and `route`, written in the query language (docs/query-language.md)
 * and evaluated on one event with the store's search semantics (src/query/match.ts).
 * Relative times (`_time:15m`) are resolved when the pipeline is compiled.
 */
import { compileMatcher } from '../query/match.ts';
import { parseFilter } from '../query/parser.ts';
import type { Matcher } from './processor-def.ts';

/** Compiles a filter; throws the parser's or matcher's LwError for bad syntax or a bad regex. */
export function compileCondition(query: string): Matcher {
  return compileMatcher(parseFilter(query));
}
