/**
 * logwarden's own logs: pino (structured JSON), or the same records printed as readable lines
 * (`time LEVEL message key=value ...`) when the format is `pretty`. Secrets never reach a log:
 * the `authorization`, `cookie`, `password` and `token` keys are redacted.
 */
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};

function prettyStream(out: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        let rec: Record<string, unknown>;
        try {
          rec = JSON.parse(line);
        } catch {
          out.write(`${line}\n`);
          continue;
        }
        const { time, level, msg, pid: _pid, hostname: _h, ...rest } = rec;
        const t = new Date(Number(time)).toISOString();
        const extras = Object.entries(rest)
          .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
          .join(' ');
        out.write(`${t} ${LEVEL_NAMES[Number(level)] ?? level} ${msg ?? ''}${extras ? ` ${extras}` : ''}\n`);
      }
      cb();
    },
  });
}

export function createLogger(
  level: string,
  format: 'pretty' | 'json',
  dest: NodeJS.WritableStream = process.stderr,
): Logger {
  const opts = {
    level,
    redact: {
      paths: [
        'authorization',
        'cookie',
        'password',
        'token',
        '*.authorization',
        '*.password',
        '*.token',
        'req.headers.authorization',
        'req.headers.cookie',
      ],
      censor: '[redacted]',
    },
  };
  if (format === 'json') return pino(opts, dest as pino.DestinationStream);
  return pino(opts, prettyStream(dest) as unknown as pino.DestinationStream);
}
