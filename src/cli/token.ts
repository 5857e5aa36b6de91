/**
 * `logwarden token create|revoke|list`: manages API tokens of a running server through its API
 * (`/api/v1/tokens`), with `--token` or `$LOGWARDEN_TOKEN`. `create` prints the new token on
 * stdout, alone on its line (`TOKEN=$(logwarden token create ...)`); it is never shown again.
 */
import { requestJson } from './client.ts';
import { command, commaList } from './command.ts';

export const TOKEN_HELP = `Usage: logwarden token create --name NAME --scopes LIST [--streams LIST] [--expires 30d] [--owner USER]
       logwarden token revoke ID
       logwarden token list [--owner USER]

Manages API tokens of a running server through its API, authenticated with --token or
$LOGWARDEN_TOKEN (an admin token manages everyone's tokens). create prints the new token on
stdout; it is shown only once. Send it as "Authorization: Bearer <token>".

Scopes: ingest (send events), read (search, saved searches, metrics), write (streams, pipelines,
saved searches), admin (everything). A token never has more than its owner's role allows.

Options:
  --name NAME          what the token is for (create)
  --scopes LIST        comma-separated scopes (create)
  --streams LIST       streams the token may read and write (default: all of the owner's)
  --expires WHEN       a duration (30d, 12h) or an ISO time; default: never
  --owner USER         create for, or list the tokens of, another user (admin)
  --server URL         server address (default $LOGWARDEN_SERVER or http://127.0.0.1:4280)
  --token TOKEN        API token (default $LOGWARDEN_TOKEN; docs/security.md)
  -h, --help           this help
`;

export const tokenCommand = command(
  {
    help: TOKEN_HELP,
    subcommands: ['create', 'revoke', 'list'],
    options: {
      name: { type: 'string' },
      scopes: { type: 'string' },
      streams: { type: 'string' },
      expires: { type: 'string' },
      owner: { type: 'string' },
    },
  },
  async ({ values, positionals, sub, server, usage }) => {
    const id = positionals[1];
    const base = `${server}/api/v1/tokens`;
    if (sub === 'create') {
      if (values.name === undefined || values.scopes === undefined)
        return usage('token create needs --name and --scopes');
      const r = await requestJson(base, 'POST', {
        name: values.name,
        scopes: commaList(values.scopes),
        streams: commaList(values.streams),
        expires: values.expires,
        owner: values.owner,
      });
      process.stderr.write(
        `created token ${r.id} (${(r.scopes as string[]).join(',')}); it is shown only now:\n`,
      );
      process.stdout.write(`${r.token}\n`);
      return 0;
    }
    if (sub === 'revoke') {
      if (id === undefined) return usage('token revoke needs the token ID (see token list)');
      await requestJson(`${base}/${encodeURIComponent(id)}`, 'DELETE');
      process.stdout.write(`revoked token ${id}\n`);
      return 0;
    }
    const q = values.owner === undefined ? '' : `?owner=${encodeURIComponent(values.owner)}`;
    const r = (await requestJson(`${base}${q}`, 'GET')) as { tokens: Array<Record<string, unknown>> };
    for (const t of r.tokens)
      process.stdout.write(
        `${t.id}  ${String(t.name).padEnd(20)} owner=${t.owner ?? '-'} scopes=${(t.scopes as string[]).join(',')} streams=${t.streams === null ? '*' : (t.streams as string[]).join(',')} expires=${t.expires ?? 'never'} last_used=${t.last_used ?? 'never'}\n`,
      );
    return 0;
  },
);
