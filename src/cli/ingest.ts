/**
 * `logwarden ingest FILE...`: sends log files to a running server in chunks cut at line
 * boundaries, several requests in flight, with a progress bar and a final summary. A chunk
 * refused with 429/503 is retried after Retry-After; rejected lines are reported as FILE:LINE.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { errorText, request, serverUrl } from './client.ts';
import { fmtBytes, ProgressBar } from './progress.ts';

export const INGEST_HELP = `Usage: logwarden ingest FILE... [options]

Sends log files to a running logwarden server ("-" reads standard input).

Options:
  --stream NAME        stream to store the events in (default: default)
  --format FORMAT      auto (default: each line detected as JSON, syslog or text),
                       json / ndjson (one JSON object per line), syslog, or text
  --chunk-bytes N      bytes per request (default 4 MiB)
  --concurrency N      requests in flight (default 4)
  --server URL         server address (default $LOGWARDEN_SERVER or http://127.0.0.1:4280)
  -h, --help           this help
`;

interface Totals {
  accepted: number;
  rejected: number;
  errors: string[];
}

async function* chunks(file: string, chunkBytes: number): AsyncGenerator<{ body: Buffer; firstLine: number; lines: number }> {
  const input = file === '-' ? process.stdin : fs.createReadStream(file, { highWaterMark: 1024 * 1024 });
  let carry: Buffer = Buffer.alloc(0);
  let lineNo = 1;
  const countLines = (b: Buffer) => {
    let n = 0;
    for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
    return n;
  };
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const c of input) {
    const buf = carry.length ? Buffer.concat([carry, c as Buffer]) : (c as Buffer);
    const last = buf.lastIndexOf(10);
    if (last === -1) {
      carry = buf;
      continue;
    }
    pending.push(buf.subarray(0, last + 1));
    pendingBytes += last + 1;
    carry = Buffer.from(buf.subarray(last + 1));
    if (pendingBytes >= chunkBytes) {
      const body = Buffer.concat(pending, pendingBytes);
      const lines = countLines(body);
      yield { body, firstLine: lineNo, lines };
      lineNo += lines;
      pending = [];
      pendingBytes = 0;
    }
  }
  if (carry.length) {
    pending.push(carry);
    pendingBytes += carry.length;
  }
  if (pendingBytes > 0) {
    const body = Buffer.concat(pending, pendingBytes);
    yield { body, firstLine: lineNo, lines: countLines(body) + 1 };
  }
}

export async function ingestCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      stream: { type: 'string', default: 'default' },
      format: { type: 'string', default: 'auto' },
      'chunk-bytes': { type: 'string' },
      concurrency: { type: 'string' },
      server: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(INGEST_HELP);
    return 0;
  }
  if (positionals.length === 0) {
    process.stderr.write(`error: no FILE given\n\n${INGEST_HELP}`);
    return 2;
  }
  const format = values.format ?? 'auto';
  const ctype: Record<string, [string, string]> = {
    auto: ['text/plain', 'auto'],
    json: ['application/x-ndjson', 'json'],
    ndjson: ['application/x-ndjson', 'json'],
    syslog: ['text/plain', 'syslog'],
    text: ['text/plain', 'text'],
  };
  if (!ctype[format]) {
    process.stderr.write(`error: --format must be auto, json, ndjson, syslog or text, not ${JSON.stringify(format)}\n`);
    return 2;
  }
  let totalBytes = 0;
  for (const f of positionals) {
    if (f === '-') continue;
    try {
      totalBytes += fs.statSync(f).size;
    } catch (err) {
      process.stderr.write(`error: cannot read ${f}: ${(err as NodeJS.ErrnoException).code ?? err}\n`);
      return 1;
    }
  }
  const base = serverUrl(values.server);
  const url = `${base}/api/v1/ingest?stream=${encodeURIComponent(values.stream ?? 'default')}&format=${ctype[format][1]}`;
  const chunkBytes = Number(values['chunk-bytes'] ?? 4 * 1024 * 1024);
  const concurrency = Math.max(1, Number(values.concurrency ?? 4));
  const totals: Totals = { accepted: 0, rejected: 0, errors: [] };
  const bar = new ProgressBar(totalBytes);
  let sentBytes = 0;
  const t0 = performance.now();
  let fatal: string | null = null;

  const send = async (file: string, chunk: { body: Buffer; firstLine: number }) => {
    for (let attempt = 0; ; attempt++) {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': ctype[format][0] },
        body: chunk.body,
      });
      if ((res.status === 429 || res.status === 503) && attempt < 100) {
        const wait = Number(res.headers.get('retry-after') ?? 1) * 1000;
        await res.arrayBuffer();
        await new Promise((r) => setTimeout(r, wait));
        continue;
      }
      if (!res.ok) {
        fatal = `${file}: server answered ${await errorText(res)}`;
        return;
      }
      const body = (await res.json()) as {
        accepted: number;
        rejected: number;
        errors: Array<{ line: number; error: string }>;
      };
      totals.accepted += body.accepted;
      totals.rejected += body.rejected;
      for (const e of body.errors) {
        if (totals.errors.length < 20) totals.errors.push(`${file}:${chunk.firstLine + e.line - 1}: ${e.error}`);
      }
      sentBytes += chunk.body.length;
      bar.update(sentBytes, totals.accepted + totals.rejected);
      return;
    }
  };

  const inflight = new Set<Promise<void>>();
  for (const file of positionals) {
    for await (const chunk of chunks(file, chunkBytes)) {
      if (fatal) break;
      const p = send(file, chunk).finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= concurrency) await Promise.race(inflight);
    }
  }
  await Promise.all(inflight);
  bar.done();
  const secs = (performance.now() - t0) / 1000;
  if (fatal) {
    process.stderr.write(`error: ${fatal}\n`);
  }
  process.stderr.write(
    `ingested ${totals.accepted.toLocaleString('en-US')} events (${totals.rejected} rejected) from ${positionals.length} file(s), ` +
      `${fmtBytes(sentBytes)} in ${secs.toFixed(1)} s (${Math.round(totals.accepted / Math.max(secs, 1e-3)).toLocaleString('en-US')} ev/s)\n`,
  );
  for (const e of totals.errors) process.stderr.write(`  rejected ${e}\n`);
  if (totals.rejected > totals.errors.length) {
    process.stderr.write(`  ... and ${totals.rejected - totals.errors.length} more rejected lines\n`);
  }
  return fatal ? 1 : totals.rejected > 0 ? 3 : 0;
}
