/**
 * `logwarden ingest FILE...`: sends log files to a running server in chunks cut at line
 * boundaries, several requests in flight, with a progress bar and a final summary. A chunk
 * refused with 429/503 is retried after Retry-After; when the server kept the first events of a
 * chunk before refusing (it says how many), only the rest is sent again, so nothing is stored
 * twice. Rejected lines are reported as FILE:LINE, counted from the start of the file.
 */
import fs from 'node:fs';
import { errorAnswer, request } from './client.ts';
import { command, oneOf, UsageError } from './command.ts';
import { fmtBytes, ProgressBar } from './progress.ts';

export const INGEST_HELP = `Usage: logwarden ingest FILE... [options]

Sends log files to a running logwarden server ("-" reads standard input), one event per line.

Options:
  --stream NAME        stream to store the events in (default: default)
  --format FORMAT      auto (default: each line detected as JSON, syslog or text),
                       json / ndjson (one JSON object per line; other lines are rejected),
                       syslog, or text (each line stored as its message)
  --chunk-bytes N      bytes per request, cut at line ends (default 4MiB; suffixes K, M)
  --concurrency N      requests in flight (default 4)
  --server URL         server address (default $LOGWARDEN_SERVER or http://127.0.0.1:4280)
  --token TOKEN        API token (default $LOGWARDEN_TOKEN; docs/security.md)
  -h, --help           this help

Prints a summary on stderr, and each rejected line as FILE:LINE: reason (the first 20).
Exit status: 0 every line accepted, 3 some lines rejected, 1 an error (unreadable file,
server unreachable or refusing), 2 bad usage.
`;

const MAX_LISTED_ERRORS = 20;

/** A piece of one input, cut at line ends; `firstLine` is the 1-based line number of its start. */
export interface Chunk {
  body: Buffer;
  firstLine: number;
}

function countLines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
  return n;
}

/**
 * Cuts a byte stream into chunks of at most `chunkBytes`, each ending at a line end (the last
 * one may end without). A line longer than `chunkBytes` travels alone in its own chunk.
 */
export async function* splitChunks(
  input: AsyncIterable<Buffer | string>,
  chunkBytes: number,
): AsyncGenerator<Chunk> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let firstLine = 1;
  let carry: Buffer = Buffer.alloc(0);
  const take = (): Chunk => {
    const body = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    const chunk = { body, firstLine };
    firstLine += countLines(body);
    pending = [];
    pendingBytes = 0;
    return chunk;
  };
  for await (const c of input) {
    const data = typeof c === 'string' ? Buffer.from(c) : c;
    const buf = carry.length ? Buffer.concat([carry, data]) : data;
    let start = 0;
    for (;;) {
      const next = buf.indexOf(10, start);
      if (next === -1) break; // only an unfinished line is left: wait for more input
      const room = chunkBytes - pendingBytes;
      let cut = room > 0 ? buf.lastIndexOf(10, start + room - 1) : -1;
      if (cut < start) {
        // The next line does not fit in this chunk: send the chunk, or the line alone if it is
        // longer than a chunk.
        if (pendingBytes > 0) {
          yield take();
          continue;
        }
        cut = next;
      }
      pending.push(buf.subarray(start, cut + 1));
      pendingBytes += cut + 1 - start;
      start = cut + 1;
      if (pendingBytes >= chunkBytes) yield take();
    }
    carry = start < buf.length ? Buffer.from(buf.subarray(start)) : Buffer.alloc(0);
  }
  if (carry.length) {
    if (pendingBytes + carry.length > chunkBytes && pendingBytes > 0) yield take();
    pending.push(carry);
    pendingBytes += carry.length;
  }
  if (pendingBytes > 0) yield take();
}

/** Lines the server skips without counting them as events (the HTTP ingest rule). */
function isBlank(line: Buffer): boolean {
  return line.length === 0 || (line.length < 8 && line.toString().trim() === '');
}

/**
 * After an answer that kept the first `accepted` events of `body` and then failed (429 queue
 * full, 503 shutting down): where the unsent rest starts. Events are the lines that are neither
 * blank nor rejected, in order. `rejected` holds the rejected line numbers the server listed;
 * when it listed only some (`complete` false), the cut must come before the last one listed,
 * else it can't be known and the answer is null.
 */
export function restAfterAccepted(
  body: Buffer,
  accepted: number,
  rejected: ReadonlySet<number>,
  complete: boolean,
): { offset: number; lines: number } | null {
  if (accepted === 0) return { offset: 0, lines: 0 };
  const lastListed = Math.max(0, ...rejected);
  let count = 0;
  let lineNo = 0;
  let start = 0;
  while (start < body.length) {
    let nl = body.indexOf(10, start);
    if (nl === -1) nl = body.length;
    lineNo++;
    let end = nl;
    if (end > start && body[end - 1] === 13) end--;
    if (!isBlank(body.subarray(start, end)) && !rejected.has(lineNo)) count++;
    start = nl + 1;
    if (count === accepted) {
      if (!complete && lineNo > lastListed) return null;
      return { offset: Math.min(start, body.length), lines: lineNo };
    }
  }
  return null;
}

/** `64K`, `4M`, `4MiB`, `1000`: a positive byte count, or NaN. */
export function parseSize(s: string): number {
  const m = /^(\d+)\s*(?:([kKmMgG])(?:i?[bB])?|[bB])?$/.exec(s.trim());
  if (!m) return Number.NaN;
  const mult = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]?.toLowerCase() as 'k' | 'm' | 'g'] ?? 1;
  const n = Number(m[1]) * mult;
  return n > 0 ? n : Number.NaN;
}

interface IngestAnswer {
  accepted?: number;
  rejected?: number;
  errors?: Array<{ line: number; error: string }>;
  more_errors?: number;
}

interface Rejection {
  fileIndex: number;
  line: number;
  text: string;
}

/** `--format`: the content type sent, and the `format` query parameter. */
const FORMATS: Record<string, [string, string]> = {
  auto: ['text/plain', 'auto'],
  json: ['application/x-ndjson', 'json'],
  ndjson: ['application/x-ndjson', 'json'],
  syslog: ['text/plain', 'syslog'],
  text: ['text/plain', 'text'],
};

export const ingestCommand = command(
  {
    help: INGEST_HELP,
    options: {
      stream: { type: 'string', default: 'default' },
      format: { type: 'string', default: 'auto' },
      'chunk-bytes': { type: 'string' },
      concurrency: { type: 'string' },
    },
  },
  async ({ values, positionals, server, usage }) => {
    if (positionals.length === 0) usage('no FILE given ("-" reads standard input)');
    const [contentType, format] = FORMATS[oneOf('--format', values.format, Object.keys(FORMATS))]!;
    const chunkBytes =
      values['chunk-bytes'] === undefined ? 4 * 1024 * 1024 : parseSize(values['chunk-bytes']);
    if (!Number.isSafeInteger(chunkBytes))
      throw new UsageError('--chunk-bytes must be a positive size (e.g. 65536, 64K, 4M)');
    const concurrency = values.concurrency === undefined ? 4 : Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256)
      throw new UsageError('--concurrency must be an integer from 1 to 256');
    if (positionals.filter((f) => f === '-').length > 1)
      throw new UsageError('standard input ("-") can be read only once');
    let totalBytes = 0;
    for (const f of positionals) {
      if (f === '-') continue;
      let st: fs.Stats;
      try {
        st = fs.statSync(f);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const why =
          e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message;
        process.stderr.write(`error: cannot read ${f}: ${why}\n`);
        return 1;
      }
      if (st.isDirectory()) {
        process.stderr.write(`error: cannot read ${f}: is a directory\n`);
        return 1;
      }
      totalBytes += st.size;
    }
    const url = `${server}/api/v1/ingest?stream=${encodeURIComponent(values.stream)}&format=${format}`;
    let accepted = 0;
    let rejected = 0;
    const rejections: Rejection[] = [];
    const bar = new ProgressBar(positionals.includes('-') ? 0 : totalBytes);
    let sentBytes = 0;
    const t0 = performance.now();
    let fatal: string | null = null;

    const noteRejections = (fileIndex: number, firstLine: number, errors: IngestAnswer['errors']) => {
      for (const e of errors ?? []) {
        if (rejections.length < 10_000)
          rejections.push({ fileIndex, line: firstLine + e.line - 1, text: e.error });
      }
    };

    /** Sends one chunk, retrying refusals; never throws (a failure sets `fatal`). */
    const send = async (fileIndex: number, chunk: Chunk): Promise<void> => {
      const file = positionals[fileIndex];
      const name = file === '-' ? 'stdin' : file;
      let { body, firstLine } = chunk;
      try {
        for (let attempt = 0; ; attempt++) {
          const res = await request(url, {
            method: 'POST',
            headers: { 'content-type': contentType },
            body,
          });
          if (res.ok) {
            const a = (await res.json()) as IngestAnswer;
            accepted += a.accepted ?? 0;
            rejected += a.rejected ?? 0;
            noteRejections(fileIndex, firstLine, a.errors);
            sentBytes += body.length;
            bar.update(sentBytes, accepted + rejected);
            return;
          }
          const { text, body: a } = await errorAnswer(res);
          const kept = Number((a as IngestAnswer).accepted ?? 0);
          const errors = (a as IngestAnswer).errors ?? [];
          const retryable = res.status === 429 || res.status === 503;
          if (kept > 0) {
            // The first `kept` events are durable: count them, and send only what follows.
            const listed = new Set(errors.map((e) => e.line));
            const rest = restAfterAccepted(body, kept, listed, !(a as IngestAnswer).more_errors);
            accepted += kept;
            if (rest === null) {
              fatal = `${name}: the server kept ${kept} events of lines ${firstLine}.. and then answered ${text}; stopped, to send nothing twice`;
              return;
            }
            const before = errors.filter((e) => e.line <= rest.lines);
            rejected += before.length;
            noteRejections(fileIndex, firstLine, before);
            sentBytes += rest.offset;
            body = body.subarray(rest.offset);
            firstLine += rest.lines;
            if (body.length === 0) return;
          }
          if (!retryable || attempt >= 100) {
            fatal = `${name}: server answered ${text}`;
            return;
          }
          const after = Number(res.headers.get('retry-after') ?? Number.NaN);
          const wait = Number.isFinite(after) ? Math.min(Math.max(after, 0.05), 30) * 1000 : 1000;
          await new Promise((r) => setTimeout(r, wait));
        }
      } catch (err) {
        fatal ??= (err as Error).message;
      }
    };

    const inflight = new Set<Promise<void>>();
    files: for (const [fileIndex, file] of positionals.entries()) {
      const input = file === '-' ? process.stdin : fs.createReadStream(file, { highWaterMark: 1024 * 1024 });
      try {
        for await (const chunk of splitChunks(input, chunkBytes)) {
          if (fatal) break files;
          const p = send(fileIndex, chunk).finally(() => inflight.delete(p));
          inflight.add(p);
          if (inflight.size >= concurrency) await Promise.race(inflight);
        }
      } catch (err) {
        fatal ??= `cannot read ${file}: ${(err as Error).message}`;
        break;
      }
    }
    await Promise.all(inflight);
    bar.done();
    const secs = (performance.now() - t0) / 1000;
    if (fatal) process.stderr.write(`error: ${fatal}\n`);
    process.stderr.write(
      `ingested ${accepted.toLocaleString('en-US')} events (${rejected.toLocaleString('en-US')} rejected) from ${positionals.length} file(s), ` +
        `${fmtBytes(sentBytes)} in ${secs.toFixed(1)} s (${Math.round(accepted / Math.max(secs, 1e-3)).toLocaleString('en-US')} ev/s)\n`,
    );
    rejections.sort((a, b) => a.fileIndex - b.fileIndex || a.line - b.line);
    for (const r of rejections.slice(0, MAX_LISTED_ERRORS)) {
      const f = positionals[r.fileIndex];
      process.stderr.write(`  rejected ${f === '-' ? 'stdin' : f}:${r.line}: ${r.text}\n`);
    }
    const listed = Math.min(rejections.length, MAX_LISTED_ERRORS);
    if (rejected > listed) process.stderr.write(`  ... and ${rejected - listed} more rejected lines\n`);
    return fatal ? 1 : rejected > 0 ? 3 : 0;
  },
);
