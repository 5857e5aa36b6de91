/**
 * Per-stream read permission: a principal with a stream allow-list sees only events of those
 * streams. `restrictToStreams` ANDs the parsed filter with `stream:=a OR stream:=b ...` (exact
 * matches: a word match would let `payments` reach `payments-errors`); an empty list matches
 * nothing. Every read route (search, histogram, fields, values, tail, saved searches run through
 * search) applies it where it resolves the query, so no answer is computed over other streams.
 */
import { and, exact, type FilterNode, or } from '../../core/query-ast.ts';
import type { StreamList } from './permissions.ts';

export function restrictToStreams(filter: FilterNode, streams: StreamList): FilterNode {
  if (streams === null) return filter;
  return and([filter, or(streams.map((s) => exact('stream', s)))]);
}
