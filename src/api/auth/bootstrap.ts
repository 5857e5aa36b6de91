/**
 * The first start of a server with authentication on and no users or tokens: either an admin
 * API token with a value the operator chose (`LOGWARDEN_BOOTSTRAP_TOKEN`, or the file named by
 * `auth.bootstrapTokenFile` / `--bootstrap-token-file`), for automation; or the user `admin`
 * with a random password that must be changed at the first sign-in. The password is written
 * once to the terminal (the process's stdout), never to the logs; only the fact is logged.
 */
import fs from 'node:fs';
import type { Logger } from 'pino';
import { LwError } from '../../core/errors.ts';
import type { Accounts } from './accounts.ts';
import { isApiTokenShape, newPassword } from './secrets.ts';

export interface BootstrapOptions {
  tokenFile: string | null;
  envToken: string | undefined;
  logger: Logger;
}

/** What the first start created: nothing, the bootstrap token, or `admin` with this password. */
export type BootstrapResult = { kind: 'none' } | { kind: 'token' } | { kind: 'admin'; password: string };

/** The one-time message for the terminal after an `admin` bootstrap. */
export function bootstrapMessage(password: string, httpUrl: string): string {
  return (
    `\nFirst start: created the user "admin" with the one-time password\n\n    ${password}\n\n` +
    `Sign in at ${httpUrl} (POST /api/v1/auth/login) and choose a new password; it is not shown again.\n\n`
  );
}

function readBootstrapToken(o: BootstrapOptions): string | null {
  let v: string | null = null;
  let from = 'LOGWARDEN_BOOTSTRAP_TOKEN';
  if (o.tokenFile !== null) {
    from = o.tokenFile;
    try {
      v = fs.readFileSync(o.tokenFile, 'utf8').trim();
    } catch (err) {
      throw new LwError('LW_ERR_CONFIG', [
        `cannot read auth.bootstrapTokenFile ${o.tokenFile}: ${(err as Error).message}`,
      ]);
    }
  } else if (o.envToken !== undefined && o.envToken !== '') v = o.envToken.trim();
  if (v !== null && !isApiTokenShape(v))
    throw new LwError('LW_ERR_CONFIG', [
      `the bootstrap token from ${from} must be "lw_" followed by 32 to 128 of A-Z a-z 0-9 _ -`,
    ]);
  return v;
}

/** Creates the first credential when there is none; returns what it did. */
export async function bootstrap(accounts: Accounts, o: BootstrapOptions): Promise<BootstrapResult> {
  const token = readBootstrapToken(o);
  if ((await accounts.hasUsers()) || (await accounts.listTokens()).length > 0) return { kind: 'none' };
  if (token !== null) {
    await accounts.createToken({
      name: 'bootstrap',
      owner: null,
      scopes: ['admin'],
      streams: null,
      expires: null,
      value: token,
    });
    o.logger.info({}, 'first start: created the admin API token "bootstrap" from the bootstrap token');
    return { kind: 'token' };
  }
  const password = newPassword();
  await accounts.createUser({
    username: 'admin',
    role: 'admin',
    streams: null,
    password,
    mustChangePassword: true,
  });
  o.logger.info(
    {},
    'first start: created the user "admin"; its one-time password is printed to the terminal',
  );
  return { kind: 'admin', password };
}
