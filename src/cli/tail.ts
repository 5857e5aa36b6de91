/**
 * `logwarden tail QUERY`: follows the live tail of a running server (`GET /api/v1/tail`, Server-
 * Sent Events) and prints each matching event as it is stored, formatted like `logwarden search`.
 * Ctrl-C ends it (exit 0). Drops (the terminal read too slowly) are reported on stderr.
 */
import { request } from './client.ts';
import { command } from './command.ts';
import { formatEventLine, queryFailed } from './search.ts';

export const TAIL_HELP = `Usage: logwarden tail [QUERY] [options]

Prints the events that match QUERY as they are stored, until Ctrl-C. QUERY is a filter in the
query language (docs/query-language.md), without pipes; an empty QUERY follows everything.

Options:
  --since DURATION     first print the stored events of the last DURATION (5m, 1h)
  --limit N            at most N of those earlier events (default 100)
  --output FORMAT      text (default) or ndjson (one event per line)
  --server URL         server address (default $LOGWARDEN_SERVER or http://127.0.0.1:4280)
  --token TOKEN        API token (default $LOGWARDEN_TOKEN; docs/security.md)
  -h, --help           this help

Exit status: 0 when stopped with Ctrl-C, 1 an error (a query syntax error is shown with its
position) or the server closed the tail, 2 bad usage.
`;

/** Splits an SSE stream into messages (`event`, `data`); comments (heartbeats) are skipped. */
export async function* sseMessages(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<{ event: string; data: string }> {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of body) {
    buf += decoder.decode(chunk, { stream: true });
    for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      let event = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data !== '') yield { event, data };
    }
  }
}

export const tailCommand = command(
  {
    help: TAIL_HELP,
    outputs: ['text', 'ndjson'],
    options: { since: { type: 'string' }, limit: { type: 'string' } },
  },
  async ({ values, positionals, output, server, color }) => {
    const query = positionals.join(' ');
    const params = new URLSearchParams({ q: query });
    if (values.since) params.set('since', `-${values.since.replace(/^-/, '')}`);
    if (values.limit) params.set('limit', values.limit);
    const abort = new AbortController();
    let stopped = false;
    const onSignal = () => {
      stopped = true;
      abort.abort();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const res = await request(`${server}/api/v1/tail?${params}`, {
        signal: abort.signal,
        headers: { accept: 'text/event-stream' },
      });
      if (!res.ok || res.body === null) return await queryFailed(res, query);
      for await (const m of sseMessages(res.body)) {
        const data = JSON.parse(m.data) as Record<string, unknown>;
        if (m.event === 'message') {
          process.stdout.write(output === 'ndjson' ? `${m.data}\n` : `${formatEventLine(data, color)}\n`);
        } else if (m.event === 'ready') {
          process.stderr.write(`tailing ${query === '' ? 'everything' : query} (Ctrl-C to stop)\n`);
        } else if (m.event === 'dropped') {
          process.stderr.write(`${data.dropped} events dropped: this terminal read too slowly\n`);
        }
      }
      if (stopped) return 0;
      process.stderr.write('error: the server closed the tail\n');
      return 1;
    } catch (err) {
      if (stopped) return 0;
      throw err;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
);
