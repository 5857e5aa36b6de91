/**
 * The `logwarden` command: dispatches to start, search and ingest. Errors are printed as one
 * clear line (with the LW_ERR_* code), never as a stack trace, unless LOGWARDEN_DEBUG is set.
 */
import fs from 'node:fs';
import { LwError } from '../core/errors.ts';
import { AGENT_HELP, agentCommand } from './agent.ts';
import { AUDIT_HELP, auditCommand } from './audit.ts';
import { DEV_HELP, devCommand } from './dev-kafka.ts';
import { ingestCommand, INGEST_HELP } from './ingest.ts';
import { PIPELINE_HELP, pipelineCommand } from './pipeline.ts';
import { SEARCH_HELP, searchCommand } from './search.ts';
import { START_HELP, startCommand } from './start.ts';
import { TAIL_HELP, tailCommand } from './tail.ts';
import { TOKEN_HELP, tokenCommand } from './token.ts';
import { USER_HELP, userCommand } from './user.ts';

const HELP = `logwarden: collect, buffer, parse, index and search logs, in one program.

Usage: logwarden <command> [options]

Commands:
  start     run the server (HTTP API :4280, syslog :5514, data in ./data)
  search    search a running server:    logwarden search 'level:error payment' --since 1h
  tail      follow matching events live: logwarden tail 'level:error' --since 5m
  ingest    send log files to a server: logwarden ingest app.log --stream app
  agent     tail files and ship them:   logwarden agent --config agent.yaml
  pipeline  try a pipeline on samples:  logwarden pipeline test --stream app < sample.log
  dev kafka run a local Kafka broker:   logwarden dev kafka
  audit     monthly access review:      logwarden audit review --month 2026-11
  user      manage users:               logwarden user add alice --role analyst
  token     manage API tokens:          logwarden token create --name ci --scopes ingest
  help      show help for a command:    logwarden help search

Options:
  -h, --help     show this help
  -v, --version  print the version
`;

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; help: string }> = {
  start: { run: startCommand, help: START_HELP },
  search: { run: searchCommand, help: SEARCH_HELP },
  tail: { run: tailCommand, help: TAIL_HELP },
  ingest: { run: ingestCommand, help: INGEST_HELP },
  agent: { run: agentCommand, help: AGENT_HELP },
  pipeline: { run: pipelineCommand, help: PIPELINE_HELP },
  dev: { run: devCommand, help: DEV_HELP },
  audit: { run: auditCommand, help: AUDIT_HELP },
  user: { run: userCommand, help: USER_HELP },
  token: { run: tokenCommand, help: TOKEN_HELP },
};

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return pkg.version;
}

export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  let code = 0;
  try {
    if (cmd === undefined || cmd === '-h' || cmd === '--help') {
      process.stdout.write(HELP);
    } else if (cmd === '-v' || cmd === '--version') {
      process.stdout.write(`logwarden ${version()}\n`);
    } else if (cmd === 'help') {
      if (rest[0] === undefined) process.stdout.write(HELP);
      else if (Object.hasOwn(COMMANDS, rest[0])) process.stdout.write(COMMANDS[rest[0]].help);
      else {
        process.stderr.write(`error: unknown command ${JSON.stringify(rest[0])}\n\n${HELP}`);
        code = 2;
      }
    } else if (Object.hasOwn(COMMANDS, cmd)) {
      code = await COMMANDS[cmd].run(rest);
    } else {
      process.stderr.write(`error: unknown command ${JSON.stringify(cmd)}\n\n${HELP}`);
      code = 2;
    }
  } catch (err) {
    if (process.env.LOGWARDEN_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    if (err instanceof LwError) process.stderr.write(`error: ${err.message} (${err.code})\n`);
    else if ((err as { code?: string }).code?.startsWith?.('ERR_PARSE_ARGS')) {
      process.stderr.write(`error: ${(err as Error).message}\n`);
      code = 2;
    } else process.stderr.write(`error: ${(err as Error).message ?? err}\n`);
    if (code === 0) code = 1;
  }
  process.exitCode = code;
}
