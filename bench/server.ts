/** Starts a real `logwarden start` for a benchmark (HTTP on a free port, syslog off, JSON logs). */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

/** `args` are extra `start` flags (e.g. `--config FILE`); `started` is the start-up log record. */
export async function startServer(
  dataDir: string,
  args: string[] = [],
): Promise<{ url: string; proc: ChildProcess; started: Record<string, unknown> }> {
  const proc = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'logwarden.js'),
      'start',
      '--data-dir',
      dataDir,
      '--http',
      '127.0.0.1:0',
      '--syslog-udp',
      'off',
      '--syslog-tcp',
      'off',
      '--log-format',
      'json',
      '--auth',
      'off',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const rec = JSON.parse(line);
          if (rec.msg === 'logwarden started') resolve({ url: rec.http, proc, started: rec });
          if (rec.level >= 50) process.stderr.write(`[server] ${line}\n`);
        } catch {
          // partial line
        }
      }
      if (out.length > 1e6) out = out.slice(-1e5);
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out.slice(-2000)}`)));
  });
}
