/** `logwarden start`: runs the server with embedded defaults (or a config file). */
import { parseArgs } from 'node:util';
import { startApp } from '../api/app.ts';
import { createLogger } from '../api/logger.ts';
import { loadConfig } from './config-file.ts';

export const START_HELP = `Usage: logwarden start [options]

Starts logwarden: HTTP API on 127.0.0.1:4280, syslog on 127.0.0.1:5514 (UDP and TCP),
data in ./data. Every option can also be set in a YAML config file (docs/configuration.md).

Options:
  --config FILE          YAML config file
  --data-dir DIR         data directory (queue, store)
  --http HOST:PORT       HTTP listen address
  --syslog-udp HOST:PORT syslog UDP listen address ("off" disables)
  --syslog-tcp HOST:PORT syslog TCP listen address ("off" disables)
  --log-format FORMAT    pretty (default) or json
  -h, --help             this help

Stops gracefully on SIGTERM or Ctrl-C: stops accepting, indexes what is queued, exits 0.
`;

export async function startCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      'data-dir': { type: 'string' },
      http: { type: 'string' },
      'syslog-udp': { type: 'string' },
      'syslog-tcp': { type: 'string' },
      'log-format': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(START_HELP);
    return 0;
  }
  const off = (v: string | undefined) => (v === undefined ? undefined : v === 'off' ? null : v);
  const config = loadConfig(values.config, {
    dataDir: values['data-dir'],
    'http.listen': values.http,
    'syslog.udp': off(values['syslog-udp']),
    'syslog.tcp': off(values['syslog-tcp']),
    'log.format': values['log-format'],
  });
  const logger = createLogger(config.log.level, config.log.format);
  const app = await startApp(config, logger);
  process.stdout.write(`logwarden is running: ${app.httpUrl}  (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (sig: string) => {
      signals++;
      if (signals > 1) {
        logger.warn({ signal: sig }, 'second signal: exiting now');
        process.exit(1);
      }
      logger.info({ signal: sig }, 'signal received');
      app.stop().then(resolve, (err) => {
        logger.error({ err: String(err) }, 'shutdown failed');
        process.exit(1);
      });
    };
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    process.on('SIGINT', () => onSignal('SIGINT'));
  });
  return 0;
}
