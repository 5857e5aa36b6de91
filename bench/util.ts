/** Small helpers shared by the benchmark scripts. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** A progress line on stderr (stdout carries results). */
export function log(msg: string, tag = 'bench'): void {
  process.stderr.write(`[${tag}] ${msg}\n`);
}

/** A number with thousands separators and `d` decimals. */
export function fmt(n: number, d = 1): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
}

/** Bytes used on disk by a file or directory (`du -sb`), 0 when it does not exist. */
export function duBytes(p: string): number {
  if (!fs.existsSync(p)) return 0;
  return Number(execFileSync('du', ['-sb', p]).toString().split('\t')[0]);
}
