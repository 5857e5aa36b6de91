/**
 * `logwarden agent`: runs the file-tailing agent (src/agent/) until SIGINT/SIGTERM, and
 * `logwarden agent status`: prints a running (or stopped) agent's health and lag per file.
 * The agent ships through the same HTTP client helpers as `logwarden ingest`.
 */
import fs from 'node:fs';
import { Agent } from '../agent/agent.ts';
import { loadAgentConfig } from '../agent/config.ts';
import { isLive, readStatus, renderStatus } from '../agent/status.ts';
import { createLogger } from '../api/logger.ts';
import { LwError } from '../core/errors.ts';
import { errorAnswer, request, useToken } from './client.ts';
import { command } from './command.ts';
import { restAfterAccepted } from './ingest.ts';

export const AGENT_HELP = `Usage: logwarden agent [--config agent.yaml] [options] [FILE|GLOB...]
       logwarden agent status [--config agent.yaml | --data-dir DIR] [--json]

Tails log files and globs (new files are picked up, rotation by rename or copytruncate is
followed) and ships their events to a logwarden server, in batches, compressed, with retries.
Acknowledged positions are checkpointed durably, so a restart loses and repeats nothing;
batches not yet acknowledged wait in a bounded disk buffer while the server is down.

Options (each overrides the config file):
  --config FILE        YAML config (reference: docs/ingest.md, "File agent")
  --server URL         server address (default http://127.0.0.1:4280)
  --token TOKEN        API token (default $LOGWARDEN_TOKEN; docs/security.md)
  --stream NAME        stream (log group) of the events
  --host NAME          host (log stream) of the events (default: this machine's name)
  --data-dir DIR       checkpoints, disk buffer and status (default ./agent-data)
  --multiline REGEX    join lines into events that start with REGEX (stack traces)
  --format F           ndjson (default) or text
  --compression C      gzip (default), zstd or none
  --log-level L        trace, debug, info (default), warn, error
  --log-format F       pretty (default) or json
  -h, --help           this help

FILE|GLOB arguments add a group of files (quote globs: '/opt/app/logs/*.log').

Example agent.yaml:
  server: http://logs.internal:4280
  stream: payment-api
  files:
    - paths: ['/opt/app/logs/*.log']
      multiline: { start: '^\\d{4}-\\d{2}-\\d{2}' }

status prints, per file, its size, the offset the server acknowledged and the bytes behind.
Exit status: 0 running without a recent error, 1 not running or failing, 2 bad usage.
`;

/** The API token kept in `file` (surrounding white space ignored). */
function readTokenFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new LwError('LW_ERR_CONFIG', [`cannot read tokenFile ${file}: ${(err as Error).message}`]);
  }
  const token = text.trim();
  if (token === '') throw new LwError('LW_ERR_CONFIG', [`tokenFile ${file} is empty`]);
  return token;
}

const statusCommand = command(
  {
    help: AGENT_HELP,
    local: true,
    allowPositionals: false,
    options: { config: { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'boolean' } },
  },
  async ({ values }) => {
    const dataDir =
      values['data-dir'] ?? (values.config ? loadAgentConfig(values.config).dataDir : './agent-data');
    const s = readStatus(dataDir);
    if (!s) {
      process.stderr.write(
        `error: no agent status in ${dataDir} (has \`logwarden agent\` run with this data directory?)\n`,
      );
      return 1;
    }
    process.stdout.write(
      values.json ? `${JSON.stringify({ ...s, live: isLive(s) }, null, 2)}\n` : renderStatus(s),
    );
    const recentError = s.lastErrorAt !== null && Date.now() - Date.parse(s.lastErrorAt) < 60_000;
    return isLive(s) && !recentError && s.state !== 'retrying' ? 0 : 1;
  },
);

const runCommand = command(
  {
    help: AGENT_HELP,
    options: {
      config: { type: 'string' },
      stream: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      multiline: { type: 'string' },
      format: { type: 'string' },
      compression: { type: 'string' },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
    },
  },
  async ({ values, positionals, usage }) => {
    if (!values.config && positionals.length === 0) usage('give --config FILE or the files to tail');
    const overrides: Record<string, unknown> = {
      server: values.server,
      stream: values.stream,
      host: values.host,
      dataDir: values['data-dir'],
      format: values.format,
      compression: values.compression,
      'log.level': values['log-level'],
      'log.format': values['log-format'],
      multiline: values.multiline === undefined ? undefined : { start: values.multiline },
    };
    if (positionals.length > 0) {
      const fromFile = values.config ? loadAgentConfig(values.config).files : [];
      overrides.files = [...fromFile, { paths: positionals }];
    }
    const cfg = loadAgentConfig(values.config, overrides);
    if (values.token === undefined && !process.env.LOGWARDEN_TOKEN && cfg.tokenFile) {
      useToken(readTokenFile(cfg.tokenFile));
    }
    const log = createLogger(cfg.log.level, cfg.log.format);
    const agent = new Agent(cfg, { request, errorAnswer, restAfterAccepted }, log);
    await agent.start();
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await agent.stop();
    return 0;
  },
);

export function agentCommand(argv: string[]): Promise<number> {
  return argv[0] === 'status' ? statusCommand(argv.slice(1)) : runCommand(argv);
}
