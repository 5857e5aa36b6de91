/**
 * The common frame of the `logwarden` commands: parses a command's own options together with
 * the common ones, so that each command states only what is its own.
 *
 * - `-h`/`--help` prints the command's help on stdout; exit 0.
 * - `--server URL` and `--token TOKEN` (unless `local`): the token is handed to `useToken` before
 *   the command runs; `server` is the base URL (`--server`, `$LOGWARDEN_SERVER`, the default).
 * - `--output FORMAT` (when `outputs` is given; the first is the default) is checked against the
 *   list: `error: --output must be text or json, not "xml"`, exit 2.
 * - The subcommand (when `subcommands` is given) is the first positional argument: none is
 *   `error: give create, revoke or list`, another `error: unknown subcommand "x"`, each followed
 *   by the help; exit 2.
 * - A `UsageError` thrown by the command prints `error: <message>` (and the help, when asked)
 *   on stderr; exit 2. Other errors go to `main`, which prints them as one line; exit 1.
 * An unknown option is a parseArgs error, which `main` also reports with exit 2.
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { serverUrl, useToken } from './client.ts';

/** Bad usage: `error: <message>` on stderr (followed by the help when `showHelp`); exit 2. */
export class UsageError extends Error {
  showHelp: boolean;
  constructor(message: string, showHelp = false) {
    super(message);
    this.showHelp = showHelp;
  }
}

/** `a`, `a or b`, `a, b or c`. */
function alternatives(list: readonly string[]): string {
  return list.length < 2 ? list.join('') : `${list.slice(0, -1).join(', ')} or ${list.at(-1)}`;
}

/** `value`, if it is one of `allowed`; else a UsageError `FLAG must be a, b or c, not "x"`. */
export function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flag} must be ${alternatives(allowed)}, not ${JSON.stringify(value)}`);
}

/** `a,b,,c` as `['a', 'b', 'c']`; undefined stays undefined (the option was not given). */
export function commaList(value: string | undefined): string[] | undefined {
  return value?.split(',').filter((s) => s !== '');
}

const COMMON = {
  server: { type: 'string' },
  token: { type: 'string' },
  output: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Config<O extends ParseArgsOptionsConfig> = {
  args: string[];
  allowPositionals: true;
  options: O & typeof COMMON;
};

export interface CommandSpec<O extends ParseArgsOptionsConfig, S extends string> {
  /** The command's help text. */
  help: string;
  /** The command's own options. */
  options: O;
  /** The accepted `--output` formats, the default first; without it, no `--output` option. */
  outputs?: readonly string[];
  /** The subcommands, one of which must come first among the positional arguments. */
  subcommands?: readonly S[];
  /** Whether positional arguments are accepted (default true); a stray one is a usage error. */
  allowPositionals?: boolean;
  /** A command that talks to no server: no `--server` and `--token` options. */
  local?: boolean;
}

export interface Invocation<O extends ParseArgsOptionsConfig, S extends string> {
  values: ReturnType<typeof parseArgs<Config<O>>>['values'];
  /** The positional arguments, the subcommand first (when the command has subcommands). */
  positionals: string[];
  /** The checked subcommand (the empty string for a command without). */
  sub: S;
  /** The checked `--output` format (the default when not given; '' for a command without). */
  output: string;
  /** The server's base URL, without a trailing slash. */
  server: string;
  /** Whether stdout is a terminal that shows colors (and NO_COLOR is not set). */
  color: boolean;
  /** Throws a UsageError that prints `why`, then the command's help. */
  usage(why: string): never;
}

/** The command `run` framed as described at the top; resolves its exit code. */
export function command<O extends ParseArgsOptionsConfig, S extends string = ''>(
  spec: CommandSpec<O, S>,
  run: (cmd: Invocation<O, S>) => Promise<number>,
): (argv: string[]) => Promise<number> {
  const { server, token, output, help } = COMMON;
  const common = {
    ...(spec.local ? {} : { server, token }),
    ...(spec.outputs ? { output } : {}),
    help,
  };
  return async (argv) => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: (spec.allowPositionals ?? true) as true,
      options: { ...spec.options, ...common } as O & typeof COMMON,
    });
    // The common options' values (their precise type is lost in this generic function).
    const given = values as { server?: string; token?: string; output?: string; help?: boolean };
    if (given.help) {
      process.stdout.write(spec.help);
      return 0;
    }
    const usage = (why: string): never => {
      throw new UsageError(why, true);
    };
    try {
      if (!spec.local) useToken(given.token);
      const outputs = spec.outputs ?? [];
      const output = outputs.length ? oneOf('--output', given.output ?? outputs[0]!, outputs) : '';
      const subs: readonly string[] = spec.subcommands ?? [];
      const sub = positionals[0] ?? '';
      if (subs.length && !subs.includes(sub))
        usage(
          positionals.length ? `unknown subcommand ${JSON.stringify(sub)}` : `give ${alternatives(subs)}`,
        );
      return await run({
        values,
        positionals,
        sub: (subs.length ? sub : '') as S,
        output,
        server: serverUrl(given.server),
        color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
        usage,
      });
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      process.stderr.write(`error: ${err.message}\n${err.showHelp ? `\n${spec.help}` : ''}`);
      return 2;
    }
  };
}
