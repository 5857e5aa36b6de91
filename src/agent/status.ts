/**
 * The agent's health and lag report: written by the running agent to `status.json` in its data
 * directory every second (atomically, by rename), read and shown by `logwarden agent status`.
 * Lag per file is `behind`: the file's size minus the offset the server acknowledged.
 */
import { processRuns } from '../core/process-alive.ts';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

export interface FileStatus {
  path: string;
  /** Renamed or removed by rotation, being read to its end. */
  rotated: boolean;
  size: number;
  /** Offset read up to. */
  read: number;
  /** Offset the server acknowledged. */
  shipped: number;
  behind: number;
  lastError: string | null;
}

export interface AgentStatus {
  pid: number;
  state: 'shipping' | 'retrying' | 'paused' | 'stopped';
  startedAt: string;
  updatedAt: string;
  server: string;
  stream: string;
  host: string;
  lastError: string | null;
  lastErrorAt: string | null;
  events: { read: number; shipped: number; rejected: number };
  buffer: { batches: number; bytes: number; maxBytes: number };
  files: FileStatus[];
}

const FILE = 'status.json';

export async function writeStatus(dataDir: string, s: AgentStatus): Promise<void> {
  const tmp = path.join(dataDir, `.${FILE}.tmp`);
  await fsp.writeFile(tmp, `${JSON.stringify(s, null, 2)}\n`);
  await fsp.rename(tmp, path.join(dataDir, FILE));
}

/** The last status written in `dataDir`, or null when there is none. */
export function readStatus(dataDir: string): AgentStatus | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dataDir, FILE), 'utf8')) as AgentStatus;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Whether the report is from an agent that is running now (fresh, and its process exists). */
export function isLive(s: AgentStatus, now = Date.now()): boolean {
  return s.state !== 'stopped' && now - Date.parse(s.updatedAt) < 10_000 && processRuns(s.pid);
}

function size(n: number): string {
  if (n < 1024) return `${n} B`;
  const u = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${u[i]}`;
}

/** The report as readable text. */
export function renderStatus(s: AgentStatus, now = Date.now()): string {
  const live = isLive(s, now);
  const out = [
    `agent    ${live ? `running (pid ${s.pid}), ${s.state}` : `not running (last report ${s.updatedAt}, state ${s.state})`}`,
    `server   ${s.server}  stream ${s.stream}  host ${s.host}`,
    `events   read ${s.events.read}, shipped ${s.events.shipped}, rejected by the server ${s.events.rejected}`,
    `buffer   ${s.buffer.batches} batches, ${size(s.buffer.bytes)} of ${size(s.buffer.maxBytes)}`,
    `error    ${s.lastError ? `${s.lastError} (at ${s.lastErrorAt})` : 'none'}`,
    '',
  ];
  const rows = [['FILE', 'SIZE', 'SHIPPED', 'BEHIND', 'ERROR']];
  for (const f of s.files) {
    rows.push([
      f.path + (f.rotated ? ' (rotated)' : ''),
      String(f.size),
      String(f.shipped),
      String(f.behind),
      f.lastError ?? '',
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows)
    out.push(
      r
        .map((v, c) => (c === 0 || c === 4 ? v.padEnd(widths[c]) : v.padStart(widths[c])))
        .join('  ')
        .trimEnd(),
    );
  return `${out.join('\n')}\n`;
}
