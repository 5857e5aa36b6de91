/**
 * Parses the pipe section of a query: each raw `PipeSpec` (src/query/pipes.ts splits them) goes
 * to its own parser, one file per pipe (`pipe-*.ts`).
 */
import type { Pipe } from '../core/pipe-ast.ts';
import type { PipeSpec } from '../core/query-ast.ts';
import { syntaxError } from './lexer.ts';
import { parseDedup } from './pipe-dedup.ts';
import { parseEval } from './pipe-eval.ts';
import { parseExtract } from './pipe-extract.ts';
import { parseFields } from './pipe-fields.ts';
import { parseLimit } from './pipe-limit.ts';
import { parseRename } from './pipe-rename.ts';
import { parseSort } from './pipe-sort.ts';
import { parseStats } from './pipe-stats.ts';
import { parseTimechart } from './pipe-timechart.ts';
import { parseTop } from './pipe-top.ts';
import { parseUnpackJson } from './pipe-unpack-json.ts';
import { parseWhere } from './pipe-where.ts';

type PipeParser = (spec: PipeSpec, now: number) => Pipe;

/** Every pipe name and its parser (one file each, `pipe-*.ts`). */
const PARSERS: Readonly<Record<string, PipeParser>> = {
  stats: parseStats,
  timechart: parseTimechart,
  top: parseTop,
  rare: parseTop,
  sort: parseSort,
  limit: parseLimit,
  head: parseLimit,
  fields: parseFields,
  rename: parseRename,
  where: parseWhere,
  eval: parseEval,
  dedup: parseDedup,
  extract: parseExtract,
  unpack_json: parseUnpackJson,
};

export const PIPE_NAMES: readonly string[] = Object.keys(PARSERS);

/**
 * Parses the raw pipe specs of a query into pipe ASTs. Throws `LW_ERR_QUERY_SYNTAX` with the
 * position for an unknown pipe, malformed arguments, or a pipe after `timechart` (whose pivoted
 * columns depend on the data).
 */
export function parsePipes(specs: PipeSpec[], now: number = Date.now()): Pipe[] {
  const out: Pipe[] = [];
  for (const spec of specs) {
    const parse = PARSERS[spec.name];
    if (parse === undefined) {
      throw syntaxError(
        spec.position,
        `unknown pipe "${spec.name}"; pipes: ${PIPE_NAMES.join(', ')}`,
        PIPE_NAMES.join(', '),
      );
    }
    if (out.at(-1)?.type === 'timechart') {
      throw syntaxError(spec.position, 'timechart must be the last pipe', 'end of query');
    }
    out.push(parse(spec, now));
  }
  return out;
}
