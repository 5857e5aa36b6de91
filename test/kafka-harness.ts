/**
 * Kafka test harness: a real single-node Apache Kafka broker (KRaft) per test file, started from
 * jars resolved through Maven (src/queue/kafka/dev-broker.ts) on free loopback ports in a temp
 * dir, and stopped afterwards.
 *
 * Without java or mvn the Kafka tests are skipped with one loud line saying why; under CI
 * (CI=true) that is an error instead, because CI has both and must run them.
 */
import { after, before } from 'node:test';
import { type DevBroker, kafkaUnavailableReason, startDevBroker } from '../src/queue/kafka/dev-broker.ts';

let reason: string | null | undefined;

/** `skip` option for node:test: false when a broker can run here, else the reason. */
export function kafkaSkip(): string | false {
  if (reason === undefined) {
    reason = kafkaUnavailableReason();
    if (reason !== null) {
      if (process.env.CI) throw new Error(`Kafka tests cannot run under CI: ${reason}`);
      process.stderr.write(`\n!!! KAFKA TESTS SKIPPED: ${reason} !!!\n\n`);
    }
  }
  return reason ?? false;
}

/** Starts a broker for the test file; the caller stops it (and its dir is removed) with stop(). */
export async function startTestBroker(
  opts: { dir?: string; port?: number; controllerPort?: number } = {},
): Promise<DevBroker> {
  return startDevBroker({ ...opts, heap: '384m' });
}

/**
 * Call inside a describe(): starts a broker before its tests and stops it after them; returns
 * a getter for the broker.
 */
export function useBroker(): () => DevBroker {
  let broker: DevBroker | null = null;
  before(async () => {
    broker = await startTestBroker();
  });
  after(() => broker?.stop());
  return () => broker!;
}
