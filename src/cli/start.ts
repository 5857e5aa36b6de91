/** `logwarden start`: runs the server with embedded defaults (or a config file). */
import { parseArgs } from 'node:util';
import { type RunningApp, startApp } from '../api/app.ts';
import { createLogger } from '../api/logger.ts';
import { flagOverrides, loadConfig, START_FLAGS } from './config-file.ts';

export const START_HELP = `Usage: logwarden start [options]

Starts logwarden: HTTP API on 127.0.0.1:4280, syslog on 127.0.0.1:5514 (UDP and TCP),
data in ./data. Every option can also be set in a YAML config file (docs/configuration.md);
flags override the file. An unknown key in the file is an error.

Options:
  --config FILE          YAML config file
  --data-dir DIR         data directory (queue, store)
  --http HOST:PORT       HTTP listen address (port 0: any free port)
  --syslog-udp HOST:PORT syslog UDP listen address ("off" disables)
  --syslog-tcp HOST:PORT syslog TCP listen address ("off" disables)
  --log-level LEVEL      trace, debug, info (default), warn, error, fatal or silent
  --log-format FORMAT    pretty (default) or json
  --queue TYPE           disk (default: embedded disk queue) or kafka
  --kafka-brokers LIST   Kafka bootstrap brokers, HOST:PORT[,HOST:PORT] (with --queue kafka)
  --role ROLE            all (default), ingest (sources -> Kafka), indexer (Kafka -> store, one
                         consumer process per partition up to the cores; also serves search)
  --auth on|off          authentication (default on; off: full access, loopback binds only)
  --bootstrap-token-file FILE
                         first start: create an admin API token with the value in FILE
                         (or set LOGWARDEN_BOOTSTRAP_TOKEN); otherwise the user admin is
                         created and its one-time password printed here
  -h, --help             this help

With --auth off only loopback addresses (127.0.0.1, ::1, localhost) may be bound. Stops gracefully on SIGTERM or Ctrl-C: stops accepting, indexes what is queued,
exits 0; a second signal exits at once (what is queued is indexed at the next start).
`;

export async function startCommand(argv: string[]): Promise<number> {
  const flagOptions = Object.fromEntries(
    Object.keys(START_FLAGS).map((f) => [f, { type: 'string' as const }]),
  );
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      ...flagOptions,
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(START_HELP);
    return 0;
  }
  const config = loadConfig(values.config as string | undefined, flagOverrides(values));
  const logger = createLogger(config.log.level, config.log.format);

  // Signals are handled from here on, also while starting: a SIGTERM during start-up stops the
  // server as soon as it is up, instead of killing it half-open.
  let app: RunningApp | null = null;
  let signalled: string | null = null;
  let stopped: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  const stop = () => {
    app!.stop().then(stopped, (err) => {
      logger.error({ err: String(err) }, 'shutdown failed');
      process.exit(1);
    });
  };
  const onSignal = (sig: string) => {
    if (signalled) {
      logger.warn({ signal: sig }, 'second signal: exiting now');
      process.exit(1);
    }
    signalled = sig;
    logger.info({ signal: sig }, 'signal received');
    if (app) stop();
  };
  const onTerm = () => onSignal('SIGTERM');
  const onInt = () => onSignal('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  try {
    app = await startApp(config, logger);
  } catch (err) {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    throw err;
  }
  process.stdout.write(`logwarden is running: ${app.httpUrl}  (Ctrl-C to stop)\n`);
  if (signalled) stop();
  await done;
  process.off('SIGTERM', onTerm);
  process.off('SIGINT', onInt);
  return 0;
}
