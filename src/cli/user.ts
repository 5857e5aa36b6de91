/**
 * `logwarden user add|reset|list|delete`: manages users of a running server through its API
 * (`/api/v1/users`, admin permission), with `--token` or `$LOGWARDEN_TOKEN`. A generated password
 * is printed once on stdout; it must be changed at the first sign-in.
 */
import { requestJson } from './client.ts';
import { command, commaList } from './command.ts';

export const USER_HELP = `Usage: logwarden user add NAME --role ROLE [--streams a,b] [--password-stdin]
       logwarden user reset NAME [--password-stdin]
       logwarden user list
       logwarden user delete NAME

Manages the users of a running server through its API; needs an admin token (--token or
$LOGWARDEN_TOKEN). Without --password-stdin a one-time password is generated and printed; the
user must change it at the first sign-in.

Roles: admin, editor, analyst, viewer, ingest (docs/security.md).

Options:
  --role ROLE          the user's role (add)
  --streams LIST       streams the user may read and write, comma-separated (default: all)
  --password-stdin     read the password from standard input instead of generating one
  --server URL         server address (default $LOGWARDEN_SERVER or http://127.0.0.1:4280)
  --token TOKEN        API token (default $LOGWARDEN_TOKEN; docs/security.md)
  -h, --help           this help
`;

async function readStdin(): Promise<string> {
  let s = '';
  for await (const chunk of process.stdin) s += chunk;
  return s.replace(/\r?\n$/, '');
}

export const userCommand = command(
  {
    help: USER_HELP,
    subcommands: ['add', 'reset', 'list', 'delete'],
    options: {
      role: { type: 'string' },
      streams: { type: 'string' },
      'password-stdin': { type: 'boolean' },
    },
  },
  async ({ values, positionals, sub, server, usage }) => {
    const name = positionals[1];
    const base = `${server}/api/v1/users`;
    if (sub === 'list') {
      const r = (await requestJson(base, 'GET')) as { users: Array<Record<string, unknown>> };
      for (const u of r.users)
        process.stdout.write(
          `${String(u.username).padEnd(24)} ${String(u.role).padEnd(8)} ${u.streams === null ? '*' : (u.streams as string[]).join(',')}${u.must_change_password ? '  (must change password)' : ''}\n`,
        );
      return 0;
    }
    if (name === undefined) return usage(`user ${sub} needs a NAME`);
    const password = values['password-stdin'] ? await readStdin() : undefined;
    const user = encodeURIComponent(name);
    let r: Record<string, unknown>;
    if (sub === 'add') {
      if (values.role === undefined) return usage('user add needs --role');
      const streams = commaList(values.streams);
      r = await requestJson(base, 'POST', { username: name, role: values.role, streams, password });
      process.stdout.write(`created user ${r.username} (${r.role})\n`);
    } else if (sub === 'reset') {
      r = await requestJson(`${base}/${user}/password`, 'POST', password === undefined ? {} : { password });
      process.stdout.write(`reset the password of ${r.username}; it must be changed at the next sign-in\n`);
    } else {
      await requestJson(`${base}/${user}`, 'DELETE');
      process.stdout.write(`deleted user ${name} and its tokens\n`);
      return 0;
    }
    if (typeof r.password === 'string') process.stdout.write(`one-time password: ${r.password}\n`);
    return 0;
  },
);
