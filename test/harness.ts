/**
 * Black-box test harness: spawns the real `logwarden start` on a temporary data directory and
 * free ports, and talks to it over HTTP and syslog like a user would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const BIN = path.join(ROOT, 'bin', 'logwarden.js');

export interface Server {
  url: string;
  udpPort: number | null;
  tcpPort: number | null;
  dataDir: string;
  proc: ChildProcess;
  logs: () => string;
  /** SIGTERM, waits for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

export function tmpDir(prefix = 'lw-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface StartOptions {
  dataDir?: string;
  configYaml?: string;
  args?: string[];
  syslog?: boolean;
  /**
   * Authentication on (the product's default). Off unless asked for, so that tests of other
   * features call the API without credentials (auth-off servers bind loopback only).
   */
  auth?: boolean;
  /** Extra environment variables of the server process. */
  env?: Record<string, string>;
}

/** Starts a server; rejects with its output if it exits before listening. */
export async function startServer(opts: StartOptions = {}): Promise<Server> {
  const dataDir = opts.dataDir ?? tmpDir();
  const args = [BIN, 'start', '--data-dir', dataDir, '--http', '127.0.0.1:0', '--log-format', 'json'];
  if (opts.syslog) args.push('--syslog-udp', '127.0.0.1:0', '--syslog-tcp', '127.0.0.1:0');
  else args.push('--syslog-udp', 'off', '--syslog-tcp', 'off');
  if (opts.configYaml !== undefined) {
    const f = path.join(dataDir, 'test-config.yaml');
    fs.writeFileSync(f, opts.configYaml);
    args.push('--config', f);
  }
  if (!opts.auth) args.push('--auth', 'off');
  args.push(...(opts.args ?? []));
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const started = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s:\n${out}`)), 60_000);
    const check = () => {
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const rec = JSON.parse(line);
          if (rec.msg === 'logwarden started') {
            clearTimeout(timer);
            resolve(rec);
            return;
          }
        } catch {
          // partial line
        }
      }
    };
    proc.stderr!.on('data', check);
    proc.stdout!.on('data', check);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with code ${code} before starting:\n${out}`));
    });
  });
  // A server that dies on its own fails its test far from the cause (a refused connection): say
  // so, with the end of its output, where the test runner shows it.
  let stopping = false;
  exited.then((code) => {
    const sig = proc.signalCode;
    const crashed = code !== null ? code !== 0 : sig !== 'SIGKILL' && sig !== 'SIGTERM';
    if (!stopping && crashed) {
      process.stderr.write(
        `[harness] server ${proc.pid} exited by itself (code ${code}, signal ${sig}); its last output:\n${out.slice(-4000)}\n`,
      );
    }
  });
  const port = (v: unknown) => (typeof v === 'string' && v !== 'off' ? Number(v.split(':').pop()) : null);
  return {
    url: String(started.http),
    udpPort: port(started.syslogUdp),
    tcpPort: port(started.syslogTcp),
    dataDir,
    proc,
    logs: () => out,
    /**
     * SIGTERM and the exit code. Throws when the server logged a failed request (a 500, or an
     * answer sent twice): every black-box test thereby also checks that the server never failed.
     */
    async stop() {
      stopping = true;
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const code = await exited;
      const failed = out.split('\n').filter((l) => l.includes('"msg":"request failed"'));
      if (failed.length > 0)
        throw new Error(
          `the server logged ${failed.length} failed request(s):\n${failed.slice(0, 5).join('\n')}`,
        );
      return code;
    },
    async kill9() {
      if (proc.exitCode !== null) return;
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs the CLI to completion; returns its exit code and output. */
export function runCli(args: string[], opts: { env?: Record<string, string>; input?: string } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    if (opts.input !== undefined) p.stdin.end(opts.input);
    else p.stdin.end();
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function ingest(
  url: string,
  body: string | Buffer,
  opts: { stream?: string; contentType?: string; encoding?: string; query?: string } = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const qs = new URLSearchParams();
  if (opts.stream) qs.set('stream', opts.stream);
  const res = await fetch(`${url}/api/v1/ingest?${qs}${opts.query ? `&${opts.query}` : ''}`, {
    method: 'POST',
    headers: {
      'content-type': opts.contentType ?? 'application/x-ndjson',
      ...(opts.encoding ? { 'content-encoding': opts.encoding } : {}),
    },
    body,
  });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export interface SearchAnswer {
  events: Array<Record<string, unknown>>;
  total: number;
  took_ms: number;
}

export async function search(
  url: string,
  q: string,
  params: Record<string, string | number> = {},
): Promise<{ status: number; body: SearchAnswer & Record<string, unknown> }> {
  const qs = new URLSearchParams({
    q,
    start: '0',
    limit: '1000',
    ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])),
  });
  const res = await fetch(`${url}/api/v1/search?${qs}`);
  return { status: res.status, body: (await res.json()) as SearchAnswer & Record<string, unknown> };
}

/** Waits until everything queued is indexed (queue lag 0). */
export async function waitIndexed(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${url}/api/v1/queue`);
    const j = (await res.json()) as { lag: { total: number } };
    if (j.lag.total === 0) return;
    if (Date.now() > deadline) throw new Error(`not indexed after ${timeoutMs} ms: lag ${j.lag.total}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
