/**
 * Builds LogEvents for processor unit tests: `eventOf('line', { user: 'x' })` is an event with
 * that message and those dynamic fields, time 2024-01-02T03:04:05Z, stream `default`.
 */
import type { FieldValue, LogEvent } from '../src/core/event.ts';

export const TEST_TIME_US = Date.UTC(2024, 0, 2, 3, 4, 5) * 1000;

export function eventOf(
  message: string,
  fields: Record<string, FieldValue> = {},
  extra: Partial<LogEvent> = {},
): LogEvent {
  return {
    _id: '',
    _time: TEST_TIME_US,
    _ingest_time: TEST_TIME_US,
    stream: 'default',
    message,
    level: '',
    host: '',
    service: '',
    fields: { ...fields },
    ...extra,
  };
}
