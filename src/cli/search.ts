/** `logwarden search QUERY`: runs a search on a running server and prints the events. */
import { errorAnswer, expectOk, request } from './client.ts';
import { command, UsageError } from './command.ts';

export const SEARCH_HELP = `Usage: logwarden search QUERY [options]

Searches a running logwarden server. QUERY uses the query language (docs/query-language.md):
  error                      a word        "Failed password"     a phrase
  level:error host:web-*     fields        status:>=500          numbers
  NOT debug, -debug          negation      a OR b, (a b)         boolean logic
An empty QUERY (or *) matches every event in the range. Pipes compute tables:
  error | stats count() by host            level:error | timechart 5m count() by service
  * | top 10 host                          * | stats p99(duration_ms) by service
  * | extract "user=<user> " | stats count_distinct(user)

Options:
  --since DURATION     search the last DURATION (15m, 1h, 7d); default 15m
  --start TIME         start of the range (RFC 3339, epoch ms, -1h, or 0 for the beginning)
  --end TIME           end of the range (default now)
  --limit N            how many events to print (default 100, max 10000)
  --order desc|asc     newest first (default) or oldest first
  --tz ZONE            time zone for time buckets (Europe/Berlin); default UTC
  --saved NAME         run a saved search (its query and range; flags and QUERY override them)
  --output FORMAT      text (default), json (the whole answer) or ndjson (one event per line)
  --server URL         server address (default $LOGWARDEN_SERVER or http://127.0.0.1:4280)
  --token TOKEN        API token (default $LOGWARDEN_TOKEN; docs/security.md)
  -h, --help           this help

Text output prints one line per event (or a table for stats, top, rare and timechart, with a
bar chart of the last numeric column) on stdout and the count on stderr.
Exit status: 0 success (also when nothing matches), 1 an error (a query syntax error is
shown with its position), 2 bad usage.
`;

const LEVEL_COLORS: Record<string, string> = {
  error: '\x1b[31m',
  critical: '\x1b[31;1m',
  alert: '\x1b[31;1m',
  emergency: '\x1b[31;1m',
  warn: '\x1b[33m',
  notice: '\x1b[36m',
  info: '\x1b[32m',
  debug: '\x1b[2m',
  trace: '\x1b[2m',
};

const SHOWN = new Set(['_id', '_time', '_ingest_time', 'stream', 'message', 'level', 'host', 'service']);

export function formatEventLine(ev: Record<string, unknown>, color: boolean): string {
  const lv = String(ev.level || '-');
  const lvText = lv.toUpperCase().padEnd(5);
  const c = color ? (LEVEL_COLORS[lv] ?? '') : '';
  const r = color && c ? '\x1b[0m' : '';
  const who = [ev.host, ev.service].filter(Boolean).join(' ');
  const extra = Object.entries(ev)
    .filter(([k]) => !SHOWN.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
    .join(' ');
  const msg = String(ev.message ?? '').replace(/\n/g, '\n    ');
  return `${ev._time} ${c}${lvText}${r} ${who ? `${who} ` : ''}${msg}${extra ? `  ${color ? '\x1b[2m' : ''}${extra}${color ? '\x1b[0m' : ''}` : ''}`;
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** Display width: wide (Hangul, CJK) characters take two columns. */
function width(s: string): number {
  const wide = s.match(
    /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/g,
  );
  return s.length + (wide?.length ?? 0);
}

const BAR_WIDTH = 30;

/**
 * A table of a stats answer: a header, aligned columns (numbers right-aligned), and a bar chart
 * of the last numeric column when there is one, so that a count per host or a timechart of one
 * series reads at a glance.
 */
export function formatTable(
  cols: Array<{ name: string; type: string }>,
  rows: unknown[][],
  color: boolean,
): string {
  const text = rows.map((r) => cols.map((_, i) => cellText(r[i]).replace(/\s+/g, ' ')));
  const widths = cols.map((c, i) => Math.max(width(c.name), ...text.map((r) => width(r[i]!))));
  const numeric = cols.map((c) => c.type === 'number');
  const barCol = numeric.lastIndexOf(true);
  const max = barCol < 0 ? 0 : Math.max(0, ...rows.map((r) => Number(r[barCol]) || 0));
  const pad = (s: string, i: number) => {
    const fill = ' '.repeat(widths[i]! - width(s));
    return numeric[i] ? fill + s : s + fill;
  };
  const dim = (s: string) => (color ? `\x1b[2m${s}\x1b[0m` : s);
  const bold = (s: string) => (color ? `\x1b[1m${s}\x1b[0m` : s);
  let out = `${bold(cols.map((c, i) => pad(c.name, i)).join('  '))}\n`;
  text.forEach((r, ri) => {
    let line = r.map((cell, i) => pad(cell, i)).join('  ');
    if (barCol >= 0 && max > 0) {
      const v = Math.max(0, Number(rows[ri]![barCol]) || 0);
      line += `  ${dim('█'.repeat(Math.round((v / max) * BAR_WIDTH)))}`;
    }
    out += `${line.trimEnd()}\n`;
  });
  return out;
}

/** The query, and a caret under `position` (0-based), for a syntax error. */
export function pointAt(query: string, position: number): string {
  if (query.includes('\n') || position < 0 || position > query.length) return '';
  // Wide (Hangul, CJK) characters take two columns in a terminal.
  const before = query.slice(0, position);
  const wide = before.match(
    /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/g,
  );
  return `  ${query}\n  ${' '.repeat(before.length + (wide?.length ?? 0))}^\n`;
}

/**
 * Prints a failed search or tail answer as `error: ...` and, for a query syntax error, the query
 * with a caret at the position; resolves exit status 1.
 */
export async function queryFailed(res: Response, query: string): Promise<number> {
  const { text, body } = await errorAnswer(res);
  process.stderr.write(`error: ${text}\n`);
  if (body.code === 'LW_ERR_QUERY_SYNTAX' && typeof body.position === 'number')
    process.stderr.write(pointAt(query, body.position));
  return 1;
}

export const searchCommand = command(
  {
    help: SEARCH_HELP,
    outputs: ['text', 'json', 'ndjson'],
    options: {
      since: { type: 'string' },
      start: { type: 'string' },
      end: { type: 'string' },
      limit: { type: 'string' },
      order: { type: 'string' },
      tz: { type: 'string' },
      saved: { type: 'string' },
    },
  },
  async ({ values, positionals, output, server, color }) => {
    if (values.since && values.start) throw new UsageError('use either --since or --start, not both');
    const params = new URLSearchParams();
    params.set('q', positionals.join(' '));
    if (values.saved !== undefined) {
      const res = await request(
        `${server}/api/v1/saved-searches?${new URLSearchParams({ name: values.saved })}`,
      );
      await expectOk(res);
      const found = ((await res.json()) as { saved_searches: Array<Record<string, string>> })
        .saved_searches[0];
      if (found === undefined) throw new Error(`no saved search named ${JSON.stringify(values.saved)}`);
      if (positionals.length === 0) params.set('q', found.query ?? '');
      if (!values.since && !values.start && found.start) params.set('start', found.start);
      if (!values.end && found.end) params.set('end', found.end);
    }
    if (values.since) params.set('start', `-${values.since.replace(/^-/, '')}`);
    if (values.start) params.set('start', values.start);
    if (values.end) params.set('end', values.end);
    if (values.limit) params.set('limit', values.limit);
    if (values.order) params.set('order', values.order);
    if (values.tz) params.set('tz', values.tz);
    const res = await request(`${server}/api/v1/search?${params}`);
    if (!res.ok) return queryFailed(res, params.get('q') ?? '');
    const body = (await res.json()) as {
      events: Record<string, unknown>[];
      columns?: Array<{ name: string; type: string }>;
      rows?: unknown[][];
      total: number;
      took_ms: number;
    };
    if (output === 'json') {
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      return 0;
    }
    if (body.columns && body.rows) {
      const cols = body.columns;
      if (output === 'ndjson') {
        for (const row of body.rows) {
          process.stdout.write(
            `${JSON.stringify(Object.fromEntries(cols.map((c, i) => [c.name, row[i]])))}\n`,
          );
        }
        return 0;
      }
      process.stdout.write(formatTable(cols, body.rows, color));
      process.stderr.write(`${body.rows.length} of ${body.total} rows (${body.took_ms} ms)\n`);
      return 0;
    }
    if (output === 'ndjson') {
      for (const ev of body.events) process.stdout.write(`${JSON.stringify(ev)}\n`);
      return 0;
    }
    for (const ev of body.events) process.stdout.write(`${formatEventLine(ev, color)}\n`);
    process.stderr.write(`${body.events.length} of ${body.total} matching events (${body.took_ms} ms)\n`);
    return 0;
  },
);
