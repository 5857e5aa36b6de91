/**
 * Black-box tests of streams and pipelines against a real `logwarden start`: the streams and
 * pipelines API (CRUD, validation, persistence), ingest through a stream's pipeline and search
 * of the parsed fields, routing rules, dead-letter streams, hot reload of a pipeline while
 * ingesting (every event processed by exactly one version, none lost), the simulate API, and
 * `logwarden pipeline test`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ingest, runCli, type Server, search, startServer, tmpDir, waitIndexed } from './harness.ts';

async function api(
  s: Server,
  method: string,
  p: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${s.url}${p}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : JSON.parse(text) };
}

const ndjson = (rows: object[]) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;

describe('streams and pipelines', () => {
  let s: Server;
  const configYaml = `
pipelines:
  tag-config:
    processors:
      - set: { field: from_config, value: true }
streams:
  fixed:
    description: defined in the config file
    pipeline: tag-config
`;

  before(async () => {
    s = await startServer({ configYaml });
  });
  after(async () => {
    await s.stop();
  });

  it('creates, reads, lists, replaces and deletes streams, with 409 on conflicts and 404', async () => {
    const created = await api(s, 'POST', '/api/v1/streams', { name: 'crud', description: 'first' });
    assert.equal(created.status, 201);
    assert.equal(created.body.version, 1);
    assert.equal(created.body.origin, 'api');
    assert.equal((await api(s, 'POST', '/api/v1/streams', { name: 'crud' })).status, 409);
    const got = await api(s, 'GET', '/api/v1/streams/crud');
    assert.equal(got.body.description, 'first');
    const list = await api(s, 'GET', '/api/v1/streams');
    const names = (list.body.streams as Array<{ name: string }>).map((x) => x.name);
    assert.ok(names.includes('crud') && names.includes('fixed'), names.join());
    const put = await api(s, 'PUT', '/api/v1/streams/crud?ifVersion=1', { description: 'second' });
    assert.equal(put.status, 200);
    assert.equal(put.body.version, 2);
    const stale = await api(s, 'PUT', '/api/v1/streams/crud?ifVersion=1', { description: 'third' });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.code, 'LW_ERR_CONFLICT');
    assert.equal((await api(s, 'DELETE', '/api/v1/streams/crud')).status, 204);
    assert.equal((await api(s, 'GET', '/api/v1/streams/crud')).status, 404);
    assert.equal((await api(s, 'DELETE', '/api/v1/streams/crud')).status, 404);
  });

  it('rejects bad definitions with 400 naming the key', async () => {
    const cases: Array<[unknown, string, string]> = [
      [{ bogus: 1 }, 'LW_ERR_BAD_PARAM', 'bogus'],
      [{ retentionDays: -1 }, 'LW_ERR_BAD_PARAM', 'retentionDays'],
      [{ routes: [{ if: 'level:error', stream: '_bad' }] }, 'LW_ERR_BAD_PARAM', 'routes[0].stream'],
      [{ routes: [{ if: 'level:(', stream: 'x' }] }, 'LW_ERR_BAD_PARAM', 'routes[0].if'],
      [{ deadLetter: 'v' }, 'LW_ERR_BAD_PARAM', 'deadLetter'],
      [{ pipeline: 'no-such-pipeline' }, 'LW_ERR_BAD_PARAM', 'pipeline'],
      [{ pipeline: { processors: [{ nope: {} }] } }, 'LW_ERR_PIPELINE', 'processors[0]'],
      [{ pipeline: { processors: [{ set: { field: 'a' } }] } }, 'LW_ERR_PIPELINE', 'processors[0].set.value'],
    ];
    for (const [body, code, key] of cases) {
      const r = await api(s, 'PUT', '/api/v1/streams/v', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.code, code, JSON.stringify(r.body));
      assert.ok(String(r.body.error).includes(key), `${JSON.stringify(r.body)} names ${key}`);
    }
    const badName = await api(s, 'POST', '/api/v1/streams', { name: 'bad name' });
    assert.equal(badName.status, 400);
    assert.equal((await api(s, 'GET', '/api/v1/streams/v')).status, 404, 'nothing was stored');
  });

  it('keeps config-file streams and pipelines read-only through the API', async () => {
    const got = await api(s, 'GET', '/api/v1/streams/fixed');
    assert.equal(got.body.origin, 'config');
    for (const [method, p] of [
      ['PUT', '/api/v1/streams/fixed'],
      ['DELETE', '/api/v1/streams/fixed'],
      ['PUT', '/api/v1/pipelines/tag-config'],
      ['DELETE', '/api/v1/pipelines/tag-config'],
    ] as const) {
      const r = await api(s, method, p, method === 'PUT' ? { processors: [] } : undefined);
      assert.equal(r.status, 409, `${method} ${p}`);
      assert.equal(r.body.code, 'LW_ERR_READ_ONLY');
      assert.match(String(r.body.error), /config file/);
    }
  });

  it('named pipelines: CRUD, and one in use cannot be deleted', async () => {
    const p = await api(s, 'POST', '/api/v1/pipelines', {
      name: 'np',
      processors: [{ set: { field: 'via', value: 'named' } }],
    });
    assert.equal(p.status, 201);
    assert.equal((await api(s, 'PUT', '/api/v1/streams/uses-np', { pipeline: 'np' })).status, 200);
    const del = await api(s, 'DELETE', '/api/v1/pipelines/np');
    assert.equal(del.status, 409);
    assert.match(String(del.body.error), /uses-np/);
    assert.equal((await api(s, 'DELETE', '/api/v1/streams/uses-np')).status, 204);
    assert.equal((await api(s, 'DELETE', '/api/v1/pipelines/np')).status, 204);
  });

  it("runs a stream's pipeline on ingest; the parsed fields are searchable", async () => {
    await api(s, 'PUT', '/api/v1/streams/shop', {
      pipeline: {
        processors: [
          { convert: { fields: { status: 'int' } } },
          { set: { field: 'key', value: '{{service}}-{{level}}' } },
        ],
      },
    });
    const rows = [];
    for (let i = 0; i < 200; i++)
      rows.push({
        message: `order ${i}`,
        status: String(i % 4 === 0 ? 502 : 200),
        service: 'pay',
        level: 'info',
      });
    assert.equal((await ingest(s.url, ndjson(rows), { stream: 'shop' })).status, 200);
    await ingest(s.url, ndjson([{ message: 'from config', level: 'warn' }]), { stream: 'fixed' });
    await waitIndexed(s.url);
    const hi = await search(s.url, 'stream:=shop status:>=500');
    assert.equal(hi.body.total, 50, 'status became a number: a numeric range finds it');
    assert.equal(hi.body.events[0].status, 502);
    assert.equal((await search(s.url, 'stream:=shop key:pay-info')).body.total, 200);
    const fixed = await search(s.url, 'stream:=fixed');
    assert.equal(fixed.body.events[0].from_config, true);
  });

  it('recognises common formats with the built-in pipelines when a stream has none', async () => {
    const lines = [];
    for (let i = 0; i < 50; i++)
      lines.push(
        `10.0.0.${i} - - [02/Jan/2026:03:04:${String(i % 60).padStart(2, '0')} +0000] "GET /item/${i} HTTP/1.1" ${i % 5 === 0 ? 503 : 200} ${100 + i} "-" "curl/8.0"`,
      );
    const r = await ingest(s.url, `${lines.join('\n')}\n`, { stream: 'web', contentType: 'text/plain' });
    assert.equal(r.status, 200);
    await waitIndexed(s.url);
    const errors = await search(s.url, 'stream:=web http.status:>=500');
    assert.equal(errors.body.total, 10);
    const ev = errors.body.events.find((e) => e['url.original'] === '/item/45');
    assert.ok(ev, 'parsed url');
    assert.equal(ev._time, '2026-01-02T03:04:45.000000Z');
    assert.equal(ev['log.format'], 'access');
    assert.equal(
      (await search(s.url, 'stream:=web "GET /item/45"')).body.total,
      1,
      'the raw line stays searchable',
    );
  });

  it("routes by rules to another stream, which runs that stream's pipeline", async () => {
    await api(s, 'PUT', '/api/v1/streams/triage', {
      pipeline: { processors: [{ set: { field: 'triaged', value: true } }] },
    });
    await api(s, 'PUT', '/api/v1/streams/front', { routes: [{ if: 'level:error', stream: 'triage' }] });
    // A routing loop is stopped and tagged, never dropped.
    await api(s, 'PUT', '/api/v1/streams/loop-a', { routes: [{ if: '*', stream: 'loop-b' }] });
    await api(s, 'PUT', '/api/v1/streams/loop-b', { routes: [{ if: '*', stream: 'loop-a' }] });
    const rows = [];
    for (let i = 0; i < 90; i++) rows.push({ message: `req ${i}`, level: i % 3 === 0 ? 'error' : 'info' });
    await ingest(s.url, ndjson(rows), { stream: 'front' });
    await ingest(s.url, ndjson([{ message: 'round and round' }]), { stream: 'loop-a' });
    await waitIndexed(s.url);
    assert.equal((await search(s.url, 'stream:=triage triaged:true level:error')).body.total, 30);
    assert.equal((await search(s.url, 'stream:=front')).body.total, 60);
    assert.equal((await search(s.url, 'stream:=front triaged:*')).body.total, 0);
    const loop = await search(s.url, '"round and round"');
    assert.equal(loop.body.total, 1);
    assert.match(String(loop.body.events[0]._pipeline_error), /routing loop/);
  });

  it('a failing processor tags and keeps the event, or sends it to the dead-letter stream', async () => {
    const pipeline = {
      processors: [{ convert: { fields: { n: 'int' } } }, { set: { field: 'after', value: 1 } }],
    };
    await api(s, 'PUT', '/api/v1/streams/strict', { pipeline, deadLetter: 'strict-dlq' });
    await api(s, 'PUT', '/api/v1/streams/lenient', { pipeline });
    const rows = [];
    for (let i = 0; i < 40; i++) rows.push({ message: `m${i}`, n: i % 4 === 0 ? `x${i}` : String(i) });
    await ingest(s.url, ndjson(rows), { stream: 'strict' });
    await ingest(s.url, ndjson(rows), { stream: 'lenient' });
    await waitIndexed(s.url);
    assert.equal((await search(s.url, 'stream:=strict')).body.total, 30);
    const dlq = await search(s.url, 'stream:=strict-dlq');
    assert.equal(dlq.body.total, 10);
    for (const ev of dlq.body.events) {
      assert.equal(ev._dead_letter_from, 'strict');
      assert.match(String(ev._pipeline_error), /^convert: /);
      assert.equal(ev.after, 1, 'the pipeline went on after the failure');
    }
    const lenient = await search(s.url, 'stream:=lenient _pipeline_error:*');
    assert.equal(lenient.body.total, 10, 'tagged and kept');
    assert.equal((await search(s.url, 'stream:=lenient')).body.total, 40);
  });

  it('applies a pipeline change while ingesting: each event processed by exactly one version, none lost', async () => {
    const setVersion = (v: string) =>
      api(s, 'PUT', '/api/v1/streams/hot', {
        pipeline: { processors: [{ set: { field: 'pv', value: v } }] },
      });
    await setVersion('v1');
    const perRequest = 250;
    const requests = 32;
    const sentAfter = new Map<string, number>(); // version -> first seq sent after it applied
    let seq = 0;
    let applied = 'v1';
    const send = async () => {
      const rows = [];
      const version = applied;
      if (!sentAfter.has(version)) sentAfter.set(version, seq);
      for (let i = 0; i < perRequest; i++) rows.push({ message: `hot ${seq}`, seq: seq++ });
      const res = await ingest(s.url, ndjson(rows), { stream: 'hot' });
      assert.equal(res.status, 200);
    };
    const changer = (async () => {
      for (const v of ['v2', 'v3']) {
        await new Promise((r) => setTimeout(r, 150));
        assert.equal((await setVersion(v)).status, 200);
        applied = v;
      }
    })();
    const sender = (async () => {
      for (let r = 0; r < requests; r++) await send();
      // One request after the last change for sure (on a loaded machine the changes can take
      // longer than the requests); at most 33 x 250 events, within one search page.
      await changer;
      await send();
    })();
    await Promise.all([sender, changer]);
    await waitIndexed(s.url);
    const total = seq;
    const all = await search(s.url, 'stream:=hot', { limit: 10000, order: 'asc' });
    assert.equal(all.body.total, total, 'none lost, none duplicated');
    const seen = new Set<number>();
    const versions = new Map<string, number>();
    const lastByPartition = new Map<string, string>();
    // Queue order: ids are the queue position in fixed-width hex (partition, then offset).
    const byQueue = [...all.body.events].sort((a, b) => String(a._id).localeCompare(String(b._id)));
    for (const ev of byQueue) {
      const v = String(ev.pv);
      assert.match(v, /^v[123]$/, 'exactly one version');
      versions.set(v, (versions.get(v) ?? 0) + 1);
      seen.add(Number(ev.seq));
      // Versions never go back in queue order (per partition: the id's high bits).
      const id = String(ev._id);
      const part = id.slice(0, 6);
      const prev = lastByPartition.get(part);
      if (prev !== undefined) assert.ok(v >= prev, `partition ${part}: ${prev} then ${v}`);
      lastByPartition.set(part, v);
      // Sent after a version applied: processed with it or a newer one.
      for (const [sv, first] of sentAfter)
        if (Number(ev.seq) >= first) assert.ok(v >= sv, `seq ${ev.seq}: ${v} < ${sv}`);
    }
    assert.equal(seen.size, total);
    assert.ok((versions.get('v3') ?? 0) > 0, `the last version applied: ${JSON.stringify([...versions])}`);
  });

  it('persists API streams across a restart', async () => {
    await api(s, 'PUT', '/api/v1/streams/durable', { description: 'kept', retentionDays: 7 });
    await s.stop();
    s = await startServer({ dataDir: s.dataDir, configYaml });
    const got = await api(s, 'GET', '/api/v1/streams/durable');
    assert.equal(got.status, 200);
    assert.equal(got.body.retentionDays, 7);
  });
});

describe('simulate', () => {
  let s: Server;
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s.stop();
  });

  it('normalises each line as ingest does and shows what each processor did', async () => {
    const r = await api(s, 'POST', '/api/v1/pipelines/simulate', {
      pipeline: {
        processors: [
          { convert: { fields: { status: 'int' } } },
          { set: { field: 'route', value: '{{service}}/{{status}}' } },
          { remove: { fields: ['tmp'] } },
        ],
      },
      lines: [
        '{"message":"hi","status":"404","service":"web","tmp":1,"@timestamp":"2026-01-02T03:04:05Z"}',
        '{"message":"bad","status":"n/a"}',
        '2026-01-02 03:04:05 ERROR plain text line',
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const [a, b, c] = r.body.results as Array<{
      event: Record<string, unknown>;
      steps: Array<Record<string, unknown>>;
    }>;
    assert.equal(a.event._time, '2026-01-02T03:04:05.000000Z');
    assert.equal(a.event.status, 404);
    assert.equal(a.event.route, 'web/404');
    assert.equal(a.event.tmp, undefined);
    assert.deepEqual(
      a.steps.map((x) => x.processor),
      ['convert', 'set', 'remove'],
    );
    assert.deepEqual(a.steps[0].changed, { status: { from: '404', to: 404 } });
    assert.deepEqual(a.steps[1].added, { route: 'web/404' });
    assert.deepEqual(a.steps[2].removed, ['tmp']);
    assert.match(String(b.event._pipeline_error), /^convert: cannot convert status/);
    assert.match(String(b.steps[0].error), /^convert: /);
    assert.equal(b.event.route, '/n/a', 'the pipeline went on after the failure');
    assert.equal(c.event.message, '2026-01-02 03:04:05 ERROR plain text line');
    assert.equal(c.event.level, 'error');
  });

  it("simulates a stream's own processing, including routing", async () => {
    await api(s, 'PUT', '/api/v1/streams/dst', {
      pipeline: { processors: [{ set: { field: 'seen', value: 'dst' } }] },
    });
    await api(s, 'PUT', '/api/v1/streams/src', {
      routes: [{ if: 'level:error', stream: 'dst' }],
      autoParse: false,
    });
    const r = await api(s, 'POST', '/api/v1/pipelines/simulate', {
      stream: 'src',
      lines: ['{"level":"error","message":"boom"}', '{"level":"info","message":"fine"}'],
    });
    const [a, b] = r.body.results as Array<{
      event: Record<string, unknown>;
      steps: Array<Record<string, unknown>>;
    }>;
    assert.equal(a.event.stream, 'dst');
    assert.equal(a.event.seen, 'dst');
    assert.deepEqual(a.steps[0], { stream: 'src', processor: 'stream.route', routed: 'dst', rule: 0 });
    assert.equal(b.event.stream, 'src');
    assert.deepEqual(b.steps, []);
  });

  it('answers 400 for a bad pipeline or body, naming the key', async () => {
    const bad = await api(s, 'POST', '/api/v1/pipelines/simulate', {
      pipeline: { processors: [{ convert: { fields: { a: 'nope' } } }] },
      lines: ['x'],
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'LW_ERR_PIPELINE');
    assert.match(String(bad.body.error), /processors\[0\]\.convert\.fields/);
    const noLines = await api(s, 'POST', '/api/v1/pipelines/simulate', { stream: 'src' });
    assert.equal(noLines.status, 400);
    assert.match(String(noLines.body.error), /lines/);
  });

  it('logwarden pipeline test prints the same, readable or as JSON', async () => {
    const input = '{"message":"hi","status":"500"}\n{"message":"second","status":"200"}\n';
    const file = path.join(tmpDir(), 'p.yaml');
    fs.writeFileSync(
      file,
      'processors:\n  - convert:\n      fields: { status: int }\n  - set: { field: checked, value: yes }\n',
    );
    const json = await runCli(['pipeline', 'test', '--pipeline', file, '--json'], { input });
    assert.equal(json.code, 0, json.stderr);
    const out = JSON.parse(json.stdout) as { results: Array<{ event: Record<string, unknown> }> };
    assert.equal(out.results.length, 2);
    assert.equal(out.results[0].event.status, 500);
    assert.equal(out.results[0].event.checked, 'yes');
    const text = await runCli(['pipeline', 'test', '--pipeline', file], { input });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /convert/);
    assert.match(text.stdout, /~ status: "500" -> 500/);
    assert.match(text.stdout, /\+ checked: "yes"/);
    await api(s, 'PUT', '/api/v1/streams/cli', {
      pipeline: { processors: [{ set: { field: 'via', value: 'server' } }] },
    });
    const viaServer = await runCli(['pipeline', 'test', '--stream', 'cli', '--server', s.url, '--json'], {
      input,
    });
    assert.equal(viaServer.code, 0, viaServer.stderr);
    const sv = JSON.parse(viaServer.stdout) as { results: Array<{ event: Record<string, unknown> }> };
    assert.equal(sv.results[1].event.via, 'server');
    const badFile = await runCli(['pipeline', 'test', '--pipeline', file.replace('p.yaml', 'missing.yaml')], {
      input,
    });
    assert.equal(badFile.code, 1);
    assert.match(badFile.stderr, /missing\.yaml/);
  });
});
