/**
 * Built-in pipelines: what a stream without a pipeline of its own runs (when `autoParse` is on,
 * the default). Each known format has a cheap guard (a prefix regex, or the syslog app name for
 * messages whose syslog header normalisation already took) and grok patterns from the pattern
 * library (grok-patterns/); the first format whose guard accepts the event tries its patterns.
 *
 * Contract (recognition is best effort and never loses anything):
 * - an event no format recognises is left exactly as normalisation made it, never tagged;
 * - a recognised event gets the captured fields, `log.format` = the format's name, and `_time`
 *   from the captured `timestamp` when that parses and the event had no time of its own (the
 *   field is then removed);
 * - `message` keeps the original text (patterns that capture a `message` part only add fields),
 *   so phrase searches on the raw line keep working;
 * - the sender's own structure wins: an event that already carries a field extracted from its
 *   line (a string field of at least 4 characters whose value occurs in `message`, such as a
 *   JSON access log with `client_ip` and `path` beside the raw line) is not parsed again, which
 *   would store the same facts a second time under other names. `autoParse: always` parses it
 *   anyway.
 *
 * The grok processors are compiled once per thread, on first use.
 */
import type { LogEvent } from '../core/event.ts';
import { parseTimestamp } from '../core/time.ts';
import { removeField } from './event-fields.ts';
import { type CompiledPipeline, compilePipeline, type StepTrace } from './pipeline.ts';
import { runSteps } from './run-steps.ts';
import type { Processor } from './stage.ts';

export interface BuiltinFormat {
  /** Value of `log.format` on the events it parsed. */
  name: string;
  /** Whether the format may apply (cheap; the patterns decide). */
  guard(ev: LogEvent): boolean;
  /** Grok patterns tried in order on `message`. */
  patterns: string[];
}

const svc =
  (...names: string[]) =>
  (ev: LogEvent) =>
    names.includes(ev.service);

export const BUILTIN_FORMATS: readonly BuiltinFormat[] = [
  {
    name: 'access',
    guard: (ev) => /^\S+ \S+ \S+ \[[^\]]{10,40}\] "/.test(ev.message),
    patterns: ['%{NGINX_ACCESS}', '%{COMMONAPACHELOG}'],
  },
  {
    name: 'apache_error',
    guard: (ev) => /^\[\w{3} \w{3} [ \d]\d /.test(ev.message),
    patterns: ['%{HTTPD_ERRORLOG}'],
  },
  {
    name: 'nginx_error',
    guard: (ev) => /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[/.test(ev.message),
    patterns: ['%{NGINX_ERRORLOG}'],
  },
  {
    name: 'spring_boot',
    guard: (ev) => /^\d{4}-\d\d-\d\d[T ][\d:.,]+\S* +[A-Z]+ \d+ --- /.test(ev.message),
    patterns: ['%{SPRING_BOOT}'],
  },
  {
    name: 'java',
    guard: (ev) => /^\S+(?: [\d:.,]+)? \[[^\]]*\] [A-Z]+ +[\w.$]+/.test(ev.message),
    patterns: ['%{LOGBACK}', '%{LOG4J}'],
  },
  {
    name: 'haproxy',
    guard: (ev) => ev.service === 'haproxy' || /^[\d.:a-f]+:\d+ \[\d\d\/\w{3}\/\d{4}:/.test(ev.message),
    patterns: ['%{HAPROXYHTTPBASE}', '%{HAPROXYTCPBASE}'],
  },
  { name: 'sshd', guard: svc('sshd'), patterns: ['%{SSHD_MESSAGE}'] },
  {
    name: 'postfix',
    guard: (ev) => ev.service.startsWith('postfix'),
    patterns: ['%{POSTFIX_MESSAGE}'],
  },
];

interface Compiled {
  format: BuiltinFormat;
  grok: Processor;
}

let compiled: Compiled[] | null = null;

function formats(): Compiled[] {
  compiled ??= BUILTIN_FORMATS.map((format) => ({
    format,
    grok: compilePipeline(
      { processors: [{ grok: { field: 'message', patterns: format.patterns } }] },
      { source: `built-in pipeline ${format.name}` },
    ).processors[0],
  }));
  return compiled;
}

/** Shortest field value that counts as extracted from the line when `message` contains it. */
const MIN_EXTRACTED = 4;

/** Whether the sender already extracted fields from the line (see the module header). */
export function senderExtracted(ev: LogEvent): boolean {
  const m = ev.message;
  for (const k in ev.fields) {
    const v = ev.fields[k];
    if (typeof v === 'string' && v.length >= MIN_EXTRACTED && v.length <= m.length && m.includes(v))
      return true;
  }
  return false;
}

/**
 * Recognises and parses one event in place (see the module header); never throws. With
 * `always`, also an event whose sender already extracted fields from the line.
 */
export function autoParse(ev: LogEvent, always = false): void {
  for (const c of formats()) {
    if (!c.format.guard(ev)) continue;
    if (!always && senderExtracted(ev)) return;
    const message = ev.message;
    try {
      c.grok.process(ev);
    } catch {
      // No pattern matched (or a capture was unusable): leave the event as it was.
      ev.message = message;
      return;
    }
    ev.message = message;
    ev.fields['log.format'] = c.format.name;
    const ts = ev.fields.timestamp;
    if (typeof ts === 'string') {
      // nginx writes dates as 2026/01/02.
      const t = parseTimestamp(ts.replace(/^(\d{4})\/(\d\d)\/(\d\d)/, '$1-$2-$3'), ev._ingest_time / 1000);
      if (t !== null) {
        // The line's own time only when the event had none: a sender's explicit time (a JSON
        // `@timestamp`, a syslog header) is at least as precise as a log line's seconds.
        if (ev._time === ev._ingest_time) ev._time = t;
        removeField(ev, 'timestamp');
      }
    }
    return;
  }
}

function sharedPipeline(always: boolean): CompiledPipeline {
  const processor: Processor = {
    name: 'auto-parse',
    process(ev) {
      autoParse(ev, always);
      return true;
    },
  };
  return {
    processors: [processor],
    run: (ev: LogEvent, trace?: StepTrace[]) => runSteps([{ path: 'auto-parse', processor }], ev, trace),
  };
}

const shared = { unlessStructured: sharedPipeline(false), always: sharedPipeline(true) };

/**
 * The built-in pipelines as one compiled pipeline (one processor, `auto-parse`); `always` also
 * parses events whose sender already extracted fields from the line.
 */
export function builtinPipeline(always = false): CompiledPipeline {
  return always ? shared.always : shared.unlessStructured;
}
