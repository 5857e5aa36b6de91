// biome-ignore-all lint/suspicious/noThenProperty: pipeline definitions use the documented if/then/else shape
/**
 * Processor benchmark (standalone: `node bench/processors.ts [events]`): events/s per processor
 * on one thread, and a realistic 6-stage pipeline (grok + date + convert + mask + lookup +
 * route) on 1 and 2 worker threads. Input: the Loghub Hadoop sample (test/fixtures/loghub, real
 * log4j lines) repeated, plus a few personal data so `mask` has work. Each worker compiles its
 * own pipeline (as the server's workers do) and reports its own rate.
 *
 * Rates are events per CPU-second of the thread that ran them (`process.threadCpuUsage`), so a
 * busy shared machine slows the run but does not change the figures much; the worker rows also
 * give the wall-clock total, which is what a busy machine does change.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { LogEvent } from '../src/core/event.ts';
import { compilePipeline } from '../src/processors/pipeline.ts';

const N = Number(process.argv[2] ?? 200_000);
const SAMPLE = new URL('../test/fixtures/loghub/Hadoop_2k.log', import.meta.url);

function lines(): string[] {
  const base = fs
    .readFileSync(SAMPLE, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l !== '');
  return base.map((l, i) => (i % 10 === 0 ? `${l} contact kim${i}@example.com from 10.2.${i % 250}.7` : l));
}

function event(message: string): LogEvent {
  return {
    _id: '',
    _time: 0,
    _ingest_time: 1.7e15,
    stream: 'hadoop',
    message,
    level: '',
    host: 'h1',
    service: '',
    fields: {},
  };
}

function tableDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-bench-'));
  const rows = ['thread,team,owner'];
  for (const t of ['main', 'RMCommunicator Allocator', 'AsyncDispatcher event handler'])
    rows.push(`"${t}",mr,ops`);
  fs.writeFileSync(path.join(dir, 'threads.csv'), `${rows.join('\n')}\n`);
  return dir;
}

const SIX_STAGES = [
  { grok: { patterns: ['%{HADOOP}'] } },
  { date: { formats: ['yyyy-MM-dd HH:mm:ss,SSS'], timezone: 'Asia/Shanghai' } },
  { convert: { fields: { pid: 'int', attempt: 'int' } } },
  { mask: { except: ['ip'] } },
  { lookup: { file: 'threads.csv', field: 'thread', key: 'thread', target: 'thread_info' } },
  { route: { rules: [{ condition: 'level:error OR level:warn', stream: 'hadoop-problems' }] } },
];

/** This thread's CPU time (user + system), in seconds. */
function threadCpuSeconds(): number {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Events per CPU-second of a pipeline over `n` events made from `input`. */
function rate(def: unknown, input: string[], n: number, baseDir: string, prepared?: unknown[]): number {
  const p = compilePipeline(def, { baseDir });
  const pre = prepared ? compilePipeline({ processors: prepared }) : undefined;
  const events: LogEvent[] = [];
  for (let i = 0; i < n; i++) {
    const ev = event(input[i % input.length]!);
    pre?.run(ev);
    events.push(ev);
  }
  const t0 = threadCpuSeconds();
  for (const ev of events) p.run(ev);
  return n / (threadCpuSeconds() - t0);
}

const GROK = [{ grok: { patterns: ['%{HADOOP}'] } }];
const PER_PROCESSOR: Array<[string, unknown[], unknown[] | undefined]> = [
  ['grok %{HADOOP}', GROK, undefined],
  ['date (pattern, zone)', [SIX_STAGES[1]], GROK],
  ['convert', [{ convert: { fields: { pid: 'int' } } }], [{ set: { field: 'pid', value: '4121' } }]],
  ['mask (all but ip)', [SIX_STAGES[3]], undefined],
  ['mask (every detector)', [{ mask: {} }], undefined],
  ['lookup (CSV)', [SIX_STAGES[4]], GROK],
  ['route (condition)', [SIX_STAGES[5]], GROK],
  ['json', [{ json: {} }], [{ set: { field: 'message', value: '{"a":1,"b":{"c":"x"},"level":"info"}' } }]],
  [
    'logfmt',
    [{ logfmt: {} }],
    [{ set: { field: 'message', value: 'level=info msg="hello world" took=12ms user=kim' } }],
  ],
  ['kv', [{ kv: { field_split: '&' } }], [{ set: { field: 'message', value: 'a=1&b=2&c=three&d=4' } }]],
  ['regex', [{ regex: { pattern: '^(?<date>\\S+) (?<time>\\S+) (?<lvl>[A-Z]+)' } }], undefined],
  [
    'user_agent (cached)',
    [{ user_agent: { field: 'message' } }],
    [
      {
        set: {
          field: 'message',
          value:
            'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
        },
      },
    ],
  ],
  [
    'cidr',
    [{ cidr: { field: 'ip', networks: { internal: ['10.0.0.0/8', '192.168.0.0/16'] } } }],
    [{ set: { field: 'ip', value: '10.2.3.4' } }],
  ],
  ['hash (field)', [{ hash: { fields: ['host'], key: 'bench-key-0123456789' } }], undefined],
  ['if + set', [{ if: { condition: 'level:info', then: [{ set: { field: 'x', value: 1 } }] } }], GROK],
  [
    'rename + remove + set',
    [
      { rename: { fields: { thread: 't' } } },
      { remove: { fields: ['logger'] } },
      { set: { field: 'k', value: '{{t}}-{{level}}' } },
    ],
    GROK,
  ],
];

if (!isMainThread) {
  const { n, dir } = workerData as { n: number; dir: string };
  parentPort!.postMessage(rate({ processors: SIX_STAGES }, lines(), n, dir));
} else {
  const dir = tableDir();
  const input = lines();
  console.log(
    `processors benchmark: ${N} events (Loghub Hadoop lines), Node ${process.version}, ${os.cpus().length} cores\n`,
  );
  console.log('| processor | events per CPU-second (1 thread) |\n|---|---:|');
  for (const [name, procs, prep] of PER_PROCESSOR) {
    const r = rate({ processors: procs }, input, N, dir, prep);
    console.log(`| ${name} | ${Math.round(r).toLocaleString('en-US')} |`);
  }
  const one = rate({ processors: SIX_STAGES }, input, N, dir);
  console.log(
    `| **6-stage pipeline** (grok+date+convert+mask+lookup+route), main thread | ${Math.round(one).toLocaleString('en-US')} |`,
  );
  for (const threads of [1, 2]) {
    const t0 = performance.now();
    const rates = await Promise.all(
      Array.from(
        { length: threads },
        () =>
          new Promise<number>((resolve, reject) => {
            const w = new Worker(new URL(import.meta.url), { workerData: { n: N, dir } });
            w.once('message', (r: number) => {
              resolve(r);
              void w.terminate();
            });
            w.once('error', reject);
          }),
      ),
    );
    const wall = (performance.now() - t0) / 1000;
    const sum = rates.reduce((a, b) => a + b, 0);
    console.log(
      `| 6-stage pipeline, ${threads} worker thread(s) | ${Math.round(sum).toLocaleString('en-US')} total (per thread: ${rates.map((r) => Math.round(r).toLocaleString('en-US')).join(', ')}; wall incl. startup ${wall.toFixed(1)} s, ${Math.round((threads * N) / wall).toLocaleString('en-US')} events/s by the wall clock) |`,
    );
  }
  fs.rmSync(dir, { recursive: true });
}
