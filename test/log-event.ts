/** A normalised event for unit tests: only `message` given, the rest empty unless overridden. */
import type { LogEvent } from '../src/core/event.ts';

export function messageEvent(message: string, over: Partial<LogEvent> = {}): LogEvent {
  return {
    _id: '',
    _time: 0,
    _ingest_time: 0,
    stream: 's',
    message,
    level: '',
    host: '',
    service: '',
    fields: {},
    ...over,
  };
}
