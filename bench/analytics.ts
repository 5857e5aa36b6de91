/**
 * The analytics benchmark (query pipes): the aggregations of issue 6 over one day of generated
 * events through `GET /api/v1/search`, the fields sidebar (`/api/v1/fields`), and the floor: the
 * same aggregation run by DuckDB directly on the raw day table, with the store's memory limit
 * and threads, on the same file after the server stopped.
 *
 *   node bench/analytics.ts --data-dir bench/out/data-10000000-42 [--runs 5] [--day 2026-11-21]
 *
 * bench/run.ts calls `timeAnalytics` and `floorAnalytics` after its ingest; standalone, this
 * reuses a data directory an earlier `npm run bench` left.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { startServer } from './server.ts';

export interface AnalyticsCase {
  label: string;
  /** The logwarden query (over the day range). */
  q: string;
  /** The floor: the same aggregation in SQL over table `T`. */
  floor: string;
}

export const ANALYTICS: AnalyticsCase[] = [
  {
    label: 'stats count() by level',
    q: '* | stats count() by level',
    floor: 'SELECT level, count(*) FROM T GROUP BY 1',
  },
  {
    label: 'timechart 5m count() by level',
    q: '* | timechart 5m count() by level',
    floor: 'SELECT epoch_us(_time) // 300000000, level, count(*) FROM T GROUP BY 1, 2',
  },
  {
    label: 'top 10 host',
    q: '* | top 10 host',
    floor: 'SELECT host, count(*) AS c FROM T GROUP BY 1 ORDER BY c DESC LIMIT 10',
  },
  {
    label: 'p99(duration_ms) by service',
    q: '* | stats p99(duration_ms) by service',
    floor: 'SELECT service, quantile_cont(duration_ms, 0.99) FROM T GROUP BY 1',
  },
  {
    label: 'count_distinct(request_id)',
    q: '* | stats count_distinct(request_id)',
    floor: 'SELECT count(DISTINCT request_id) FROM T',
  },
  {
    label: 'count_distinct_approx(request_id)',
    q: '* | stats count_distinct_approx(request_id)',
    floor: 'SELECT approx_count_distinct(request_id) FROM T',
  },
];

export interface Timing {
  label: string;
  median: number;
  min: number;
  result: string;
}

function summarize(label: string, times: number[], result: string): Timing {
  times.sort((a, b) => a - b);
  return { label, median: times[Math.floor(times.length / 2)]!, min: times[0]!, result };
}

/** GETs `url` runs + 1 times (the first warms up) and summarizes the times; `describe` names the answer. */
export async function timeRequest(
  label: string,
  url: string,
  runs: number,
  describe: (j: Record<string, unknown>) => string,
): Promise<Timing> {
  const times: number[] = [];
  let last: Record<string, unknown> = {};
  for (let i = 0; i < runs + 1; i++) {
    const t0 = performance.now();
    const res = await fetch(url);
    last = (await res.json()) as Record<string, unknown>;
    if (res.status !== 200) throw new Error(`${label}: ${res.status} ${JSON.stringify(last)}`);
    if (i > 0) times.push(performance.now() - t0);
  }
  return summarize(label, times, describe(last));
}

/** Times each case (and the fields sidebar) over [dayStart, dayStart + 24 h) on a running server. */
export async function timeAnalytics(url: string, dayStartMs: number, runs: number): Promise<Timing[]> {
  const range = {
    start: new Date(dayStartMs).toISOString(),
    end: new Date(dayStartMs + 86_400_000).toISOString(),
  };
  const out: Timing[] = [];
  const time = async (label: string, u: string, describe: (j: Record<string, unknown>) => string) => {
    out.push(await timeRequest(label, u, runs, describe));
  };
  for (const c of ANALYTICS) {
    await time(c.label, `${url}/api/v1/search?${new URLSearchParams({ q: c.q, ...range })}`, (j) => {
      const rows = j.rows as unknown[][];
      return rows.length === 1 ? `${JSON.stringify(rows[0])}` : `${rows.length} rows`;
    });
  }
  await time(
    'fields sidebar: /api/v1/fields',
    `${url}/api/v1/fields?${new URLSearchParams({ q: '*', ...range })}`,
    (j) => `${(j.fields as unknown[]).length} fields of ${Number(j.total).toLocaleString('en-US')} events`,
  );
  return out;
}

/** The floor: each case's SQL on the day table, DuckDB opened read-only with the store's settings. */
export async function floorAnalytics(
  storeDir: string,
  day: string,
  runs: number,
  memoryLimit = '128MB',
): Promise<Map<string, number>> {
  const db = await DuckDBInstance.create(path.join(storeDir, 'logwarden.duckdb'), {
    access_mode: 'READ_ONLY',
    memory_limit: memoryLimit,
    temp_directory: path.join(storeDir, 'tmp-floor'),
  });
  const conn = await db.connect();
  const table = `ev_${day.replaceAll('-', '')}`;
  const out = new Map<string, number>();
  try {
    for (const c of ANALYTICS) {
      const sql = c.floor.replace('FROM T', `FROM ${table}`);
      const times: number[] = [];
      for (let i = 0; i < runs + 1; i++) {
        const t0 = performance.now();
        await conn.runAndReadAll(sql);
        if (i > 0) times.push(performance.now() - t0);
      }
      out.set(c.label, summarize(c.label, times, '').median);
    }
  } finally {
    conn.closeSync();
    db.closeSync();
  }
  return out;
}

/** Markdown rows: logwarden time, result, DuckDB floor, ratio. */
export function analyticsTable(times: Timing[], floor: Map<string, number>): string[] {
  const f = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
  const lines = [
    '| analytics over 24 h (median, HTTP round trip) | logwarden | result | DuckDB on the raw table (floor) | ratio | target |',
    '|---|---|---|---|---|---|',
  ];
  for (const t of times) {
    const fl = floor.get(t.label);
    const target = t.label.startsWith('fields') ? '<= 300 ms' : '<= 200 ms';
    lines.push(
      `| ${t.label} | ${f(t.median)} ms (min ${f(t.min)}) | ${t.result.replaceAll('|', '\\|')} | ${fl === undefined ? '' : `${f(fl)} ms`} | ${fl === undefined ? '' : `${(t.median / fl).toFixed(2)}x`} | ${target} |`,
    );
  }
  return lines;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string', default: path.join(import.meta.dirname, 'out', 'data-10000000-42') },
      runs: { type: 'string', default: '5' },
      day: { type: 'string', default: '2026-11-21' },
    },
  });
  const dataDir = values['data-dir']!;
  if (!fs.existsSync(path.join(dataDir, 'store'))) {
    process.stderr.write(`no store in ${dataDir}: run \`npm run bench\` first (it leaves one)\n`);
    process.exit(2);
  }
  const runs = Number(values.runs);
  const { url, proc } = await startServer(dataDir);
  let times: Timing[];
  try {
    times = await timeAnalytics(url, Date.parse(`${values.day}T00:00:00Z`), runs);
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.on('exit', r));
  }
  const floor = await floorAnalytics(path.join(dataDir, 'store'), values.day!, runs);
  process.stdout.write(`${analyticsTable(times, floor).join('\n')}\n`);
}
