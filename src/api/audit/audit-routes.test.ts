import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFilter } from '../../query/parser.ts';
import { streamsOfFilter } from './audit-routes.ts';

test('streamsOfFilter: the streams a query is limited to', () => {
  const cases: Array<[string, string[] | null]> = [
    ['stream:app', ['app']],
    ['stream:(app OR web) error', ['app', 'web']],
    ['error host:web-1', null],
    ['', null],
    ['stream:app OR error', null],
    ['NOT stream:app', null],
    // A caller's own condition inside its allow-list: what both allow.
    ['stream:(app OR web) stream:web', ['web']],
    ['stream:(app OR web) stream:db', []],
  ];
  for (const [q, want] of cases) assert.deepEqual(streamsOfFilter(parseFilter(q)), want, q);
});
