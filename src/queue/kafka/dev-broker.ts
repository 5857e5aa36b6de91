/**
 * A real single-node Apache Kafka broker for tests, benchmarks and `logwarden dev kafka`: KRaft
 * mode, one JVM acting as broker and controller, listening on loopback only.
 *
 * - Jars: `org.apache.kafka:kafka_2.13` (KAFKA_VERSION) and its runtime dependencies plus a
 *   logging backend (log4j-slf4j-impl) are resolved by Maven from a generated pom with
 *   `mvn dependency:copy-dependencies` into ~/.cache/logwarden/kafka-<version>/libs (or
 *   $LOGWARDEN_CACHE_DIR), once; later runs reuse them.
 * - Storage: formatted with `kafka.tools.StorageTool format` in the data directory on first use;
 *   a directory that already holds `meta.properties` is reused (restart keeps the data).
 * - Start: `java -cp libs/* kafka.Kafka server.properties`; ready when a metadata request is
 *   answered. Stop: SIGTERM (controlled shutdown), SIGKILL after 20 s.
 *
 * Requires Java 17+ and Maven on PATH; `kafkaUnavailableReason()` says what is missing.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Admin } from '@platformatic/kafka';

export const KAFKA_VERSION = '4.4.0';
/** log4j 2 binding for Kafka's SLF4J 1.7 API (the version Kafka's own log4j-core uses). */
const LOG4J_VERSION = '2.25.5';

const execFileP = promisify(execFile);

/** Why a local broker can't run here (missing java or mvn), or null when it can. */
export function kafkaUnavailableReason(): string | null {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) return 'java (17 or newer) is not on PATH';
  const m = /version "(\d+)/.exec(java.stderr);
  if (m && Number(m[1]) < 17) return `java ${m[1]} is too old; Kafka 4 needs Java 17 or newer`;
  const cached = fs.existsSync(path.join(cacheDir(), 'libs', `kafka_2.13-${KAFKA_VERSION}.jar`));
  if (!cached) {
    const mvn = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
    if (mvn.error || mvn.status !== 0) return 'mvn (Maven) is not on PATH, and the Kafka jars are not cached';
  }
  return null;
}

function cacheDir(): string {
  const base = process.env.LOGWARDEN_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'logwarden');
  return path.join(base, `kafka-${KAFKA_VERSION}`);
}

const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.logwarden</groupId>
  <artifactId>kafka-broker-runtime</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>${KAFKA_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>${LOG4J_VERSION}</version>
    </dependency>
  </dependencies>
</project>
`;

/** Warnings and errors to stdout; the "started" line of the server. */
const LOG4J2_YAML = `Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: WARN
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.server.KafkaRaftServer
        level: INFO
`;

/**
 * Resolves the broker's jars through Maven (once; cached) and returns the libs directory.
 * Concurrent callers (parallel test files) are serialised by an exclusive lock file.
 */
export async function resolveKafkaJars(log: (line: string) => void = () => {}): Promise<string> {
  const dir = cacheDir();
  const libs = path.join(dir, 'libs');
  const marker = path.join(dir, 'complete');
  if (fs.existsSync(marker)) return libs;
  fs.mkdirSync(dir, { recursive: true });
  const lock = path.join(dir, '.lock');
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      if (fs.existsSync(marker)) return libs;
      const owner = Number(fs.readFileSync(lock, 'utf8'));
      if (!owner || !processAlive(owner)) fs.rmSync(lock, { force: true });
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    if (fs.existsSync(marker)) return libs;
    log(`resolving Apache Kafka ${KAFKA_VERSION} jars with Maven into ${libs} (once)`);
    fs.writeFileSync(path.join(dir, 'pom.xml'), POM);
    try {
      await execFileP(
        'mvn',
        ['-q', '-B', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libs}`],
        { cwd: dir, maxBuffer: 16 * 1024 * 1024 },
      );
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(
        `cannot resolve the Kafka jars with Maven (in ${dir}): ${(e.stdout || e.stderr || e.message).trim().slice(-2000)}`,
      );
    }
    fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
    return libs;
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A free TCP port on 127.0.0.1 (free at the time of the call). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface DevBrokerOptions {
  /** Data directory (log.dirs and config); a temp dir when omitted (removed by `stop`). */
  dir?: string;
  /** Client port; a free one when omitted. */
  port?: number;
  /** Controller (KRaft) port; a free one when omitted. */
  controllerPort?: number;
  /** Partitions of __consumer_offsets (Kafka's default of 50 makes the first start slow). */
  offsetsPartitions?: number;
  /** JVM heap, e.g. "512m". */
  heap?: string;
  /** Receives the broker's output lines and progress messages. */
  log?: (line: string) => void;
}

export interface DevBroker {
  /** HOST:PORT for clients. */
  bootstrap: string;
  port: number;
  controllerPort: number;
  dir: string;
  proc: ChildProcess;
  /** Resolves with the exit code when the JVM exits. */
  exited: Promise<number | null>;
  /** Controlled shutdown (SIGTERM), SIGKILL after 20 s; removes a temp dir it created. */
  stop(opts?: { keepDir?: boolean }): Promise<void>;
}

/** Formats (first time) and starts a broker; resolves once it answers metadata requests. */
export async function startDevBroker(opts: DevBrokerOptions = {}): Promise<DevBroker> {
  const log = opts.log ?? (() => {});
  const libs = await resolveKafkaJars(log);
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lw-kafka-'));
  fs.mkdirSync(dir, { recursive: true });
  const port = opts.port ?? (await freePort());
  const controllerPort = opts.controllerPort ?? (await freePort());
  const dataDir = path.join(dir, 'data');
  const props = path.join(dir, 'server.properties');
  fs.writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${dataDir}`,
      'auto.create.topics.enable=false',
      `offsets.topic.num.partitions=${opts.offsetsPartitions ?? 4}`,
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  const log4j = path.join(dir, 'log4j2.yaml');
  fs.writeFileSync(log4j, LOG4J2_YAML);
  const cp = `${libs}${path.sep}*`;
  if (!fs.existsSync(path.join(dataDir, 'meta.properties'))) {
    const { stdout: uuid } = await execFileP('java', ['-cp', cp, 'kafka.tools.StorageTool', 'random-uuid']);
    await execFileP('java', [
      `-Dlog4j2.configurationFile=${log4j}`,
      '-cp',
      cp,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      uuid.trim(),
      '-c',
      props,
    ]);
  }
  const heap = opts.heap ?? '512m';
  const proc = spawn(
    'java',
    [
      `-Xmx${heap}`,
      `-Xms${heap}`,
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${log4j}`,
      '-cp',
      cp,
      'kafka.Kafka',
      props,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let tail = '';
  const onOut = (d: Buffer) => {
    const s = d.toString();
    tail = (tail + s).slice(-8000);
    for (const line of s.split('\n')) if (line.trim()) log(line);
  };
  proc.stdout!.on('data', onOut);
  proc.stderr!.on('data', onOut);
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const bootstrap = `127.0.0.1:${port}`;

  let exitedEarly = false;
  exited.then(() => {
    exitedEarly = true;
  });
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exitedEarly) throw new Error(`Kafka broker exited before it was ready:\n${tail}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`Kafka broker not ready after 90 s:\n${tail}`);
    }
    if (await answersMetadata(bootstrap)) break;
    await new Promise((r) => setTimeout(r, 300));
  }

  let stopping: Promise<void> | null = null;
  return {
    bootstrap,
    port,
    controllerPort,
    dir,
    proc,
    exited,
    stop(stopOpts = {}) {
      stopping ??= (async () => {
        if (proc.exitCode === null && proc.signalCode === null) {
          proc.kill('SIGTERM');
          const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
          await exited;
          clearTimeout(t);
        }
        if (ownDir && !stopOpts.keepDir) fs.rmSync(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

async function answersMetadata(bootstrap: string): Promise<boolean> {
  const admin = new Admin({
    clientId: 'logwarden-dev-broker-probe',
    bootstrapBrokers: [bootstrap],
    retries: 0,
    timeout: 2000,
    connectTimeout: 1000,
  });
  try {
    const md = await admin.metadata({ topics: [] });
    return md.brokers.size > 0;
  } catch {
    return false;
  } finally {
    await admin.close().catch(() => undefined);
  }
}
