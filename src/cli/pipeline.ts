/**
 * `logwarden pipeline test`: runs sample lines (stdin) through a pipeline and shows, per line,
 * what each processor did (fields added, changed, removed; drops, routes, errors) and the event
 * that would be stored. `--stream S` asks a running server (POST /api/v1/pipelines/simulate:
 * the stream's real processing); `--pipeline FILE` runs a pipeline file locally, no server
 * needed. `--json` prints the simulate API's answer.
 */
import path from 'node:path';
import type { FieldValue } from '../core/event.ts';
import { readPipelineFile } from '../processors/streams/registry.ts';
import { emptyPipelineSet, UNDEFINED_STREAM } from '../processors/streams/pipeline-set.ts';
import { compilePipeline } from '../processors/pipeline.ts';
import { type SimulationResult, simulate } from '../processors/streams/simulate.ts';
import { expectOk, request } from './client.ts';
import { command, oneOf, UsageError } from './command.ts';

export const PIPELINE_HELP = `Usage: logwarden pipeline test (--stream NAME | --pipeline FILE) [options] < sample.log

Runs each line of stdin through a pipeline, as ingest would, and shows what every processor
did: + added, ~ changed, - removed fields, drops, routes and errors, then the stored event.

Options:
  --stream NAME      the stream's processing on a running server (its pipeline, or the
                     built-in ones, and its routing rules)
  --pipeline FILE    a pipeline file (YAML or JSON), run locally; with --stream, as that
                     stream's pipeline on the server
  --format FORMAT    how lines are read: auto (default: JSON, syslog or text), json, syslog, text
  --json             print the answer as JSON ({"results": [{"event", "steps"}]})
  --server URL       server address (default $LOGWARDEN_SERVER or http://127.0.0.1:4280)
  --token TOKEN      API token (default $LOGWARDEN_TOKEN; docs/security.md)
  -h, --help         this help
`;

const C = {
  add: '\x1b[32m',
  change: '\x1b[33m',
  remove: '\x1b[31m',
  info: '\x1b[36m',
  dim: '\x1b[2m',
  off: '\x1b[0m',
};

function show(v: unknown): string {
  return JSON.stringify(v);
}

/** The readable form of one simulation result (`color` adds ANSI colors). */
export function formatResult(line: string, index: number, r: SimulationResult, color: boolean): string {
  const c = (k: keyof typeof C, s: string) => (color ? `${C[k]}${s}${C.off}` : s);
  const out = [c('dim', `── line ${index + 1}: `) + line];
  for (const st of r.steps as Array<Record<string, unknown>>) {
    const name = String(st.path ?? st.processor);
    const parts: string[] = [];
    if (st.branch !== undefined) parts.push(c('info', `branch ${st.branch}`));
    for (const [k, v] of Object.entries((st.added ?? {}) as Record<string, FieldValue>))
      parts.push(c('add', `+ ${k}: ${show(v)}`));
    for (const [k, v] of Object.entries(
      (st.changed ?? {}) as Record<string, { from: FieldValue; to: FieldValue }>,
    ))
      parts.push(c('change', `~ ${k}: ${show(v.from)} -> ${show(v.to)}`));
    for (const k of (st.removed ?? []) as string[]) parts.push(c('remove', `- ${k}`));
    if (st.routed !== undefined) parts.push(c('info', `-> stream ${st.routed}`));
    if (st.dropped) parts.push(c('remove', 'dropped'));
    if (st.error !== undefined) parts.push(c('remove', `error: ${st.error}`));
    if (parts.length === 0) parts.push(c('dim', 'no change'));
    out.push(`   ${c('dim', `[${st.stream}]`)} ${name}  ${parts.join('  ')}`);
  }
  const fields = Object.entries(r.event)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/[\s"]/.test(v) && v !== '' ? v : show(v)}`)
    .join(' ');
  out.push(`   ${r.dropped ? c('remove', 'dropped:') : 'event:'} ${fields}`);
  return out.join('\n');
}

async function readStdin(): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const ch of process.stdin) chunks.push(ch as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

export const pipelineCommand = command(
  {
    help: PIPELINE_HELP,
    options: {
      stream: { type: 'string' },
      pipeline: { type: 'string' },
      format: { type: 'string', default: 'auto' },
      json: { type: 'boolean' },
    },
  },
  async ({ values, positionals, server, color, usage }) => {
    if (positionals[0] !== 'test' || positionals.length > 1) usage('expected `logwarden pipeline test`');
    if (values.stream === undefined && values.pipeline === undefined)
      throw new UsageError('give --stream NAME or --pipeline FILE');
    const format = oneOf('--format', values.format, ['auto', 'json', 'syslog', 'text']);
    const body = values.pipeline === undefined ? undefined : readPipelineFile(values.pipeline);
    if (body) compilePipeline(body, { source: values.pipeline });
    const lines = await readStdin();
    let results: SimulationResult[];
    if (values.stream === undefined) {
      const set = { ...emptyPipelineSet(), baseDir: path.dirname(path.resolve(values.pipeline!)) };
      results = simulate(set, 'default', lines, {
        override: { ...UNDEFINED_STREAM, pipeline: body!, pipelineSource: values.pipeline! },
        format,
      });
    } else {
      const res = await request(`${server}/api/v1/pipelines/simulate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ stream: values.stream, lines, format, ...(body ? { pipeline: body } : {}) }),
      });
      await expectOk(res);
      results = ((await res.json()) as { results: SimulationResult[] }).results;
    }
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ results }, null, 2)}\n`);
      return 0;
    }
    results.forEach((r, i) => {
      process.stdout.write(`${formatResult(lines[i], i, r, color)}\n`);
    });
    return 0;
  },
);
