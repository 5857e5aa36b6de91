/**
 * `logwarden audit review --month YYYY-MM` prints a running server's monthly access review
 * (GET /api/v1/audit/review) as tables with bar charts; `logwarden audit verify` checks the
 * audit trail's hash chain (GET /api/v1/audit/verify; exit 1 when it is broken). Admin only.
 */
import type { Review } from '../api/audit/review.ts';
import type { VerifyResult } from '../api/audit/segment-log.ts';
import { expectOk, request } from './client.ts';
import { command } from './command.ts';
import { formatTable } from './search.ts';

export const AUDIT_HELP = `Usage: logwarden audit review [--month YYYY-MM] [options]
       logwarden audit verify [options]

review   the monthly access review: who accessed which streams, unusual query and export
         volumes, failed logins (per user and per address) and access-rights changes.
         --month defaults to the previous calendar month (UTC).
verify   checks the audit trail's hash chain and names the first broken record.

Options:
  --month YYYY-MM      the month to review
  --output FORMAT      text (default) or json
  --server URL         server address (default $LOGWARDEN_SERVER or http://127.0.0.1:4280)
  --token TOKEN        API token (default $LOGWARDEN_TOKEN; docs/security.md)
  -h, --help           this help
`;

const n = (name: string) => ({ name, type: 'number' });
const s = (name: string) => ({ name, type: 'string' });

/** `queries 250 > 3x own mean 21.33` as `queries > 3x own` (the numbers are in the columns). */
function shortReason(u: string): string {
  return u.replace(/ [\d.]+ > /, ' > ').replace(/ (mean|median) [\d.]+$/, '');
}

/** The review as text: one titled table per part, each with a bar chart of its last number. */
export function formatReview(r: Review, color: boolean): string {
  const part = (title: string, cols: Array<{ name: string; type: string }>, rows: unknown[][]) =>
    `${title}\n${rows.length === 0 ? '  (none)\n' : formatTable(cols, rows, color)}\n`;
  return (
    `Access review ${r.month} (${r.start} to ${r.end})\n\n` +
    part(
      'Who accessed which streams (results: events matched)',
      [s('user'), s('stream'), n('searches'), n('exports'), n('tails'), n('results')],
      r.access.map((a) => [a.user, a.stream, a.searches, a.exports, a.tails, a.results]),
    ) +
    part(
      `Query volume per user (${r.rule})`,
      [s('user'), s('unusual'), n('exported'), n('own mean'), n('peer median'), n('queries')],
      r.volume.map((v) => [
        v.user,
        v.unusual.length ? `YES: ${v.unusual.map(shortReason).join(', ')}` : '',
        v.exported,
        v.ownBaseline?.queries ?? '',
        v.peerMedian?.queries ?? '',
        v.queries,
      ]),
    ) +
    part(
      `Failed logins per user (${r.failedLogins.total} in all)`,
      [s('user'), n('failures')],
      r.failedLogins.byUser.map((f) => [f.user, f.failures]),
    ) +
    part(
      'Failed logins per address',
      [s('address'), n('users'), n('failures')],
      r.failedLogins.byIp.map((f) => [f.ip, f.users, f.failures]),
    ) +
    part(
      'Access-rights changes',
      [s('time'), s('by'), s('action'), s('target'), s('outcome')],
      r.rightsChanges.map((c) => [c.time, c.user, c.action, c.target, c.outcome]),
    )
  );
}

export const auditCommand = command(
  {
    help: AUDIT_HELP,
    subcommands: ['review', 'verify'],
    outputs: ['text', 'json'],
    options: { month: { type: 'string' } },
  },
  async ({ values, sub, output, server, color }) => {
    const params = new URLSearchParams();
    if (sub === 'review' && values.month) params.set('month', values.month);
    const res = await request(`${server}/api/v1/audit/${sub}?${params}`);
    await expectOk(res);
    const body = (await res.json()) as Review | VerifyResult;
    const broken = 'ok' in body && !body.ok;
    if (output === 'json') {
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      return broken ? 1 : 0;
    }
    if (!('ok' in body)) {
      process.stdout.write(formatReview(body, color));
      return 0;
    }
    if (!broken) {
      process.stdout.write(
        `audit trail intact: ${body.records} records in ${body.segments} segments, head ${body.head}\n`,
      );
      return 0;
    }
    const b = body.broken!;
    process.stdout.write(
      `audit trail BROKEN at record ${b.seq ?? '?'} (segment ${b.segment}, line ${b.line}): ${b.reason}\n` +
        `${body.records} records before it verified\n`,
    );
    return 1;
  },
);
