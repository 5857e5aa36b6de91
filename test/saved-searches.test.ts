/**
 * Black-box: saved searches over HTTP on the real server: create, read, list, update, delete,
 * validation errors that name the field, 404, 409 on name clashes and stale versions, and
 * persistence across a restart (the metadata store).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Server, startServer } from './harness.ts';

let srv: Server;
before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv?.stop();
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${srv.url}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, etag: res.headers.get('etag'), body: text === '' ? null : JSON.parse(text) };
}

const BASE = '/api/v1/saved-searches';

test('create, read, list, update, delete; survives a restart', async () => {
  const created = await call('POST', BASE, {
    name: 'Payment errors',
    query: 'service:payment-api level:error | stats count() by host',
    start: 'now-24h',
    description: 'for the on-call',
    shared: true,
    display: { columns: ['_time', 'host', 'message'], sort: { field: 'host', order: 'asc' }, chart: 'line' },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const s = created.body;
  assert.match(s.id, /^[0-9a-f-]{36}$/);
  assert.equal(s.version, 1);
  assert.equal(created.etag, '"1"');
  assert.equal(s.end, 'now'); // defaults filled in
  assert.deepEqual(s.display.sort, { field: 'host', order: 'asc' });
  assert.ok(Date.parse(s.created) <= Date.parse(s.updated));

  const minimal = await call('POST', BASE, {
    name: 'slow',
    query: 'duration_ms:>1000',
    start: '2026-11-01T00:00:00Z',
    end: '2026-11-02',
  });
  assert.equal(minimal.status, 201, JSON.stringify(minimal.body));
  assert.deepEqual(minimal.body.display, {
    columns: [],
    sort: { field: '_time', order: 'desc' },
    chart: 'bar',
  });

  const got = await call('GET', `${BASE}/${s.id}`);
  assert.equal(got.status, 200);
  assert.deepEqual(got.body, s);
  const list = await call('GET', BASE);
  assert.deepEqual(
    list.body.saved_searches.map((x: { name: string }) => x.name),
    ['Payment errors', 'slow'],
  );
  const byName = await call('GET', `${BASE}?name=slow`);
  assert.deepEqual(
    byName.body.saved_searches.map((x: { id: string }) => x.id),
    [minimal.body.id],
  );

  const upd = await call(
    'PUT',
    `${BASE}/${s.id}`,
    { name: 'Payment errors (24h)', query: 'level:error', start: '-24h' },
    { 'if-match': '"1"' },
  );
  assert.equal(upd.status, 200, JSON.stringify(upd.body));
  assert.equal(upd.body.version, 2);
  assert.equal(upd.body.created, s.created);
  assert.equal(upd.body.shared, false); // PUT replaces the whole saved search
  // A writer that still holds version 1 is refused.
  const stale = await call('PUT', `${BASE}/${s.id}`, { name: 'x', query: 'a' }, { 'if-match': '"1"' });
  assert.equal(stale.status, 409);
  assert.equal(stale.body.code, 'LW_ERR_CONFLICT');

  await srv.stop();
  srv = await startServer({ dataDir: srv.dataDir });
  const after = await call('GET', `${BASE}/${s.id}`);
  assert.equal(after.status, 200);
  assert.equal(after.body.name, 'Payment errors (24h)');
  assert.equal(after.body.version, 2);

  assert.equal((await call('DELETE', `${BASE}/${s.id}`)).status, 204);
  assert.equal((await call('GET', `${BASE}/${s.id}`)).status, 404);
  const again = await call('DELETE', `${BASE}/${s.id}`);
  assert.equal(again.status, 404);
  assert.equal(again.body.code, 'LW_ERR_NOT_FOUND');
  assert.equal((await call('PUT', `${BASE}/nope`, { name: 'n', query: 'a' })).status, 404);
  assert.deepEqual(
    (await call('GET', BASE)).body.saved_searches.map((x: { name: string }) => x.name),
    ['slow'],
  );
});

test('names are unique: 409 on create and on rename', async () => {
  const a = await call('POST', BASE, { name: 'unique-a', query: 'a' });
  const b = await call('POST', BASE, { name: 'unique-b', query: 'b' });
  assert.equal(a.status, 201);
  assert.equal(b.status, 201);
  const dup = await call('POST', BASE, { name: 'unique-a', query: 'c' });
  assert.equal(dup.status, 409);
  assert.match(dup.body.error, /name "unique-a"/);
  const rename = await call('PUT', `${BASE}/${b.body.id}`, { name: 'unique-a', query: 'b' });
  assert.equal(rename.status, 409);
  // Concurrent creates with one name: exactly one wins.
  const many = await Promise.all(
    Array.from({ length: 8 }, () => call('POST', BASE, { name: 'race', query: 'x' })),
  );
  assert.deepEqual(many.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409, 409, 409]);
});

test('validation: 400 naming the field, query syntax errors with the position', async () => {
  const cases: Array<[unknown, RegExp, string?]> = [
    [{ query: 'a' }, /name/, 'name'],
    [{ name: '  ', query: 'a' }, /name: must not be empty/, 'name'],
    [{ name: 'n' }, /query/, 'query'],
    [{ name: 'n', query: 'a', extra: 1 }, /unknown field "extra"/, 'body'],
    [{ name: 'n', query: 'a', shared: 'yes' }, /shared/, 'shared'],
    [{ name: 'n', query: 'a', display: { chart: 'donut' } }, /display\.chart/, 'display.chart'],
    [
      { name: 'n', query: 'a', display: { sort: { field: 'x', order: 'up' } } },
      /display\.sort\.order/,
      'display.sort.order',
    ],
    [{ name: 'n', query: 'a', display: { columns: 'host' } }, /display\.columns/, 'display.columns'],
    [{ name: 'n', query: 'a', start: 'yesterday-ish' }, /invalid parameter start: cannot parse time/],
    [{ name: 'n', query: 'a', start: 'now', end: 'now-1h' }, /start: now is not before now-1h/, 'start'],
    [[1, 2], /expected a JSON object/],
  ];
  for (const [body, re, field] of cases) {
    const r = await call('POST', BASE, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(r.body.error, re, JSON.stringify(body));
    if (field !== undefined) assert.equal(r.body.field, field, JSON.stringify(body));
  }
  const syntax = await call('POST', BASE, { name: 'n', query: 'status:' });
  assert.equal(syntax.status, 400);
  assert.equal(syntax.body.code, 'LW_ERR_QUERY_SYNTAX');
  assert.equal(syntax.body.position, 7);
  const notJson = await fetch(`${srv.url}${BASE}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"name":',
  });
  assert.equal(notJson.status, 400);
  const badMatch = await call('DELETE', `${BASE}/x`, undefined, { 'if-match': 'soon' });
  assert.equal(badMatch.status, 400);
  assert.equal(
    (await call('GET', BASE)).body.saved_searches.some((x: { name: string }) => x.name === 'n'),
    false,
  );
});
