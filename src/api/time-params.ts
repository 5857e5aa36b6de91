/**
 * Time parameters of the HTTP API: `start`/`end` as RFC 3339, epoch (s, ms, µs or ns by
 * magnitude), or relative (`now`, `-1h`, `now-15m`); `start=0` means from the beginning.
 * The default range is the last 15 minutes.
 */
import { LwError } from '../core/errors.ts';
import { parseTimeLiteral } from '../query/time-literal.ts';

export const DEFAULT_RANGE_US = 15 * 60 * 1e6;

export function parseTimeParam(name: string, v: unknown, nowMs: number): number | null {
  if (v === undefined || v === null || v === '') return null;
  const s = String(v).trim();
  if (s === '0') return 0;
  const t = parseTimeLiteral(s, nowMs);
  if (t === null) {
    throw new LwError('LW_ERR_BAD_PARAM', [
      name,
      `cannot parse time ${JSON.stringify(s)}; use RFC 3339 (2026-11-22T10:00:00Z), epoch ms, or relative (-1h, now)`,
    ]);
  }
  return t.us;
}

/** Resolves a [start, end) range in epoch µs from request parameters. */
export function resolveRange(
  startParam: unknown,
  endParam: unknown,
  nowMs: number,
): { start: number | null; end: number | null } {
  const end = parseTimeParam('end', endParam, nowMs);
  let start = parseTimeParam('start', startParam, nowMs);
  if (start === null) start = (end ?? nowMs * 1000) - DEFAULT_RANGE_US;
  if (start === 0) return { start: null, end };
  if (end !== null && start > end) {
    throw new LwError('LW_ERR_BAD_PARAM', ['start', 'start is after end']);
  }
  return { start, end };
}
