/**
 * `logwarden dev kafka`: runs a real single-node Apache Kafka broker (KRaft) in the foreground
 * for trying Kafka mode without installing Kafka; prints the bootstrap address and stops
 * cleanly on Ctrl-C. Needs Java 17+ and Maven (the jars are resolved once and cached).
 */
import { command } from './command.ts';
import { LwError } from '../core/errors.ts';
import { KAFKA_VERSION, kafkaUnavailableReason, startDevBroker } from '../queue/kafka/dev-broker.ts';

export const DEV_HELP = `Usage: logwarden dev kafka [options]

Starts a single-node Apache Kafka ${KAFKA_VERSION} broker (KRaft mode) on 127.0.0.1 in the
foreground, prints its bootstrap address, and stops it on Ctrl-C. The jars are resolved with
Maven into ~/.cache/logwarden the first time. Needs Java 17+ and Maven.

Then, in another terminal:
  logwarden start --queue kafka --kafka-brokers 127.0.0.1:PORT

Options:
  --port PORT      client port (default 9092; 0 picks a free one)
  --dir DIR        data directory (kept between runs); default: a temp dir removed on exit
  --verbose        print the broker's log
  -h, --help       this help
`;

export const devCommand = command(
  {
    help: DEV_HELP,
    local: true,
    options: { port: { type: 'string' }, dir: { type: 'string' }, verbose: { type: 'boolean' } },
  },
  async ({ values, positionals, usage }) => {
    if (positionals[0] !== 'kafka' || positionals.length !== 1) usage('expected "logwarden dev kafka"');
    const why = kafkaUnavailableReason();
    if (why) throw new LwError('LW_ERR_CONFIG', [`cannot run a Kafka broker here: ${why}`]);
    const port = values.port === undefined ? 9092 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new LwError('LW_ERR_BAD_PARAM', ['--port', `expected a port number, got ${values.port}`]);
    }
    process.stdout.write(`starting Apache Kafka ${KAFKA_VERSION} (KRaft, single node)...\n`);
    const broker = await startDevBroker({
      dir: values.dir,
      port: port === 0 ? undefined : port,
      log: (l) => {
        if (values.verbose || l.startsWith('resolving')) process.stdout.write(`${l}\n`);
      },
    });
    process.stdout.write(
      `Kafka is running: bootstrap ${broker.bootstrap}  (data in ${broker.dir}; Ctrl-C to stop)\n` +
        `  logwarden start --queue kafka --kafka-brokers ${broker.bootstrap}\n`,
    );
    let signalled = false;
    const onSignal = () => {
      if (signalled) return;
      signalled = true;
      process.stdout.write('stopping Kafka...\n');
      broker.stop({ keepDir: values.dir !== undefined }).catch(() => undefined);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const code = await broker.exited;
    await broker.stop({ keepDir: values.dir !== undefined });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!signalled) {
      process.stderr.write(`error: the Kafka broker exited on its own (code ${code})\n`);
      return 1;
    }
    process.stdout.write('Kafka stopped\n');
    return 0;
  },
);
