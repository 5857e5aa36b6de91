/**
 * The physical floor of a scan: `grep -c -F` over the raw NDJSON file. Every search benchmark
 * reports its time as a ratio to this. Counts are lines containing the fixed string (case
 * sensitive), which is what `grep -c` counts.
 *
 * grep runs with LC_ALL=C: byte matching, the fastest grep can go (a fixed string matches the
 * same bytes in any locale, so counts don't change). Each measurement is the best of `runs`
 * (default 3) wall-clock times; the first run also warms the page cache.
 *
 *   node bench/grep-floor.ts FILE [NEEDLE] [PHRASE]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';

export interface GrepResult {
  /** The fixed string searched for. */
  needle: string;
  /** Number of lines containing it. */
  count: number;
  /** Best wall-clock time of the runs, milliseconds. */
  ms: number;
  /** Every run's time, milliseconds. */
  runsMs: number[];
}

function grepOnce(file: string, needle: string): Promise<{ count: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('grep', ['-c', '-F', '--', needle, file], {
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      // grep exits 1 when nothing matched: still a valid count of 0.
      if (code !== 0 && code !== 1) {
        reject(new Error(`grep -c -F ${JSON.stringify(needle)} ${file} exited ${code}: ${err.trim()}`));
        return;
      }
      const count = Number.parseInt(out.trim(), 10);
      if (!Number.isFinite(count)) {
        reject(new Error(`cannot parse grep output ${JSON.stringify(out)}`));
        return;
      }
      resolve({ count, ms });
    });
  });
}

/** `grep -c -F needle file`, best of `runs`. */
export async function grepCount(file: string, needle: string, runs = 3): Promise<GrepResult> {
  const runsMs: number[] = [];
  let count = -1;
  for (let r = 0; r < Math.max(1, runs); r++) {
    const res = await grepOnce(file, needle);
    if (count >= 0 && res.count !== count) throw new Error(`BUG: grep counts differ between runs`);
    count = res.count;
    runsMs.push(res.ms);
  }
  return { needle, count, ms: Math.min(...runsMs), runsMs };
}

export interface GrepFloor {
  /** A rare term: one request id (expected count 1). */
  needle: GrepResult;
  /** A phrase in about 2% of lines ("Failed password"). */
  phrase: GrepResult;
}

/** Both floor measurements the benchmark reports against. */
export async function measureGrepFloor(
  file: string,
  needle: string,
  phrase = 'Failed password',
  runs = 3,
): Promise<GrepFloor> {
  return { needle: await grepCount(file, needle, runs), phrase: await grepCount(file, phrase, runs) };
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { runs: { type: 'string', default: '3' } },
  });
  const [file, needle, phrase] = positionals;
  if (!file) {
    process.stderr.write('usage: node bench/grep-floor.ts FILE [NEEDLE] [PHRASE] [--runs N]\n');
    process.exit(2);
  }
  const runs = Number(values.runs);
  const results = [];
  if (needle) results.push(await grepCount(file, needle, runs));
  results.push(await grepCount(file, phrase ?? 'Failed password', runs));
  for (const r of results) {
    process.stdout.write(
      `grep -c -F ${JSON.stringify(r.needle)}: ${r.count} lines, best ${r.ms.toFixed(1)} ms` +
        ` (runs ${r.runsMs.map((m) => m.toFixed(0)).join(', ')})\n`,
    );
  }
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    process.stderr.write(`grep-floor: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
