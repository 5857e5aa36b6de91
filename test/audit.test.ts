/**
 * Black-box tests of the audit trail (issue 7): a real server driven over HTTP records every
 * audited action; records survive kill -9; the hash chain verifies and finds an edited byte;
 * the monthly access review of generated activity shows what the test computes on its own.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { SegmentLog } from '../src/api/audit/segment-log.ts';
import { ingest, runCli, type Server, startServer, tmpDir, waitIndexed } from './harness.ts';
import { mulberry32 } from './prng.ts';

type AuditEvent = Record<string, unknown>;

async function api(
  s: Server,
  method: string,
  p: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${s.url}${p}`, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : JSON.parse(text) };
}

async function audit(s: Server, q = ''): Promise<{ events: AuditEvent[]; total: number }> {
  const r = await api(s, 'GET', `/api/v1/audit?${new URLSearchParams({ q, start: '0', limit: '10000' })}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

/** Waits until the background flush (within a second) has written what a read recorded. */
async function auditCount(s: Server, q: string, n: number): Promise<AuditEvent[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const r = await audit(s, q);
    if (r.total >= n || Date.now() > deadline) return r.events;
    await new Promise((res) => setTimeout(res, 100));
  }
}

test('every audited action is recorded; records survive kill -9; verify finds an edited byte', async () => {
  const dataDir = tmpDir('lw-audit-');
  let s = await startServer({ dataDir });
  try {
    const web = Array.from({ length: 1200 }, (_, i) =>
      JSON.stringify({ message: `GET /item/${i}`, level: i % 10 === 0 ? 'error' : 'info' }),
    ).join('\n');
    const app = Array.from({ length: 30 }, (_, i) => JSON.stringify({ message: `job ${i} done` })).join('\n');
    assert.equal((await ingest(s.url, web, { stream: 'web' })).status, 200);
    assert.equal((await ingest(s.url, app, { stream: 'app' })).status, 200);
    await waitIndexed(s.url);

    // Reads: each answer's own counts are what the record must carry.
    const q = (p: Record<string, string>) => new URLSearchParams({ start: '0', ...p });
    const r1 = await api(s, 'GET', `/api/v1/search?${q({ q: 'stream:app' })}`);
    assert.equal(r1.body.total, 30);
    const r2 = await api(s, 'POST', '/api/v1/search', { q: '', start: '0', limit: 2000 });
    assert.equal(r2.body.events.length, 1230);
    const r3 = await api(s, 'GET', `/api/v1/histogram?${q({ q: 'stream:web', step: '1h' })}`);
    const r4 = await api(s, 'GET', `/api/v1/fields?${q({ q: 'stream:app' })}`);
    const r5 = await api(s, 'GET', `/api/v1/fields/level/values?${q({ q: 'stream:web' })}`);
    const r6 = await api(s, 'GET', `/api/v1/search?${q({ q: 'stream:web | stats count() by level' })}`);
    for (const r of [r3, r4, r5, r6]) assert.equal(r.status, 200, JSON.stringify(r.body));
    const bad = await api(s, 'GET', `/api/v1/search?${q({ q: 'level:(' })}`);
    assert.equal(bad.status, 400);
    // Live tail over SSE: recorded when it starts streaming.
    const ac = new AbortController();
    const tail = await fetch(`${s.url}/api/v1/tail?q=stream:web`, { signal: ac.signal });
    const reader = tail.body!.getReader();
    let got = '';
    while (!got.includes('event: ready')) got += new TextDecoder().decode((await reader.read()).value);
    ac.abort();

    const reads = await auditCount(s, 'action:(search OR export OR tail)', 7);
    const byKind = new Map(reads.map((e) => [String(e['details.kind']), e]));
    const expectRead = (kind: string, action: string, streams: string, results: number) => {
      const e = byKind.get(kind);
      assert.ok(e, `a record for ${kind}: ${JSON.stringify(reads)}`);
      assert.equal(e.action, action, kind);
      assert.equal(e['details.streams'], streams, kind);
      assert.equal(e['details.results'], results, kind);
      assert.equal(e['actor.type'], 'anonymous');
      assert.equal(e.ip, '127.0.0.1');
      assert.equal(e.stream, '_audit');
    };
    assert.equal(reads.length, 7, JSON.stringify(reads.map((e) => e.message)));
    expectRead(
      'histogram',
      'search',
      'web',
      r3.body.series.reduce((a: number, x: { total: number }) => a + x.total, 0),
    );
    expectRead('fields', 'search', 'app', r4.body.total);
    expectRead('values', 'search', 'web', r5.body.total);
    expectRead('aggregate', 'search', 'web', r6.body.total);
    expectRead('tail', 'tail', 'web', 0);
    const events = reads.filter((e) => e['details.kind'] === 'events');
    const exp = events.find((e) => e.action === 'export')!;
    assert.equal(exp['details.streams'], 'app web');
    assert.equal(exp['details.results'], 1230);
    assert.equal(exp['details.returned'], 1230);
    const one = events.find((e) => e.action === 'search')!;
    assert.equal(one['details.query'], 'stream:app');
    assert.equal(one['details.results'], 30);
    assert.equal(one.message, 'anonymous searched (events) "stream:app" in app: 30 results');

    // Changes: streams (with retention), pipelines, saved searches; failures too.
    const changes: Array<[string, string, number, string, string]> = [];
    const change = async (method: string, p: string, body: unknown, action: string, target: string) => {
      const r = await api(s, method, p, body);
      changes.push([
        action,
        target === '' ? r.body.id : target,
        r.status,
        r.status < 400 ? 'success' : 'failure',
        r.body?.code,
      ]);
      return r;
    };
    await change(
      'POST',
      '/api/v1/streams',
      { name: 'payments', retentionDays: 30 },
      'stream.create',
      'payments',
    );
    await change('PUT', '/api/v1/streams/payments', { retentionDays: 90 }, 'stream.update', 'payments');
    await change('POST', '/api/v1/streams', { name: 'bad name!' }, 'stream.create', 'bad name!');
    await change(
      'POST',
      '/api/v1/pipelines',
      { name: 'p1', processors: [{ mask: {} }] },
      'pipeline.create',
      'p1',
    );
    await change('DELETE', '/api/v1/pipelines/p1', undefined, 'pipeline.delete', 'p1');
    const saved = await change(
      'POST',
      '/api/v1/saved-searches',
      { name: 'errors', query: 'level:error' },
      'saved_search.create',
      '',
    );
    const id = saved.body.id;
    await change(
      'PUT',
      `/api/v1/saved-searches/${id}`,
      { name: 'errors', query: 'level:warn' },
      'saved_search.update',
      id,
    );
    await change('DELETE', `/api/v1/saved-searches/${id}`, undefined, 'saved_search.delete', id);
    await change('DELETE', '/api/v1/streams/payments', undefined, 'stream.delete', 'payments');
    const recorded = (await audit(s, 'NOT action:(search OR export OR tail)')).events.reverse();
    assert.deepEqual(
      recorded.map((e) => [e.action, e.target, e['details.status'], e.outcome, e['details.error']]),
      changes,
    );
    assert.equal(changes[2]![4], 'LW_ERR_BAD_PARAM');
    assert.match(String(recorded[1]!['details.body']), /"retentionDays":90/);
    // The query language works on the records.
    assert.equal((await audit(s, 'outcome:failure action:stream.create')).total, 1);
    assert.equal((await audit(s, 'details.kind:histogram')).total, 1);
    assert.equal((await audit(s, '"anonymous searched"')).total, 5);

    // kill -9 right after an acknowledged change: the record is there after the restart.
    assert.equal((await api(s, 'POST', '/api/v1/streams', { name: 'durable' })).status, 201);
    await s.kill9();
    s = await startServer({ dataDir });
    assert.equal((await audit(s, 'action:stream.create target:durable')).total, 1);
    // A search is flushed within a second of its answer.
    assert.equal((await api(s, 'GET', `/api/v1/search?${q({ q: 'needle-after-restart' })}`)).status, 200);
    await new Promise((res) => setTimeout(res, 1000));
    await s.kill9();
    s = await startServer({ dataDir });
    assert.equal((await audit(s, 'details.query:"needle-after-restart"')).total, 1);

    const total = (await audit(s)).total;
    const v = await api(s, 'GET', '/api/v1/audit/verify');
    assert.deepEqual(
      [v.body.ok, v.body.records, v.body.firstSeq, v.body.lastSeq],
      [true, total, 0, total - 1],
    );
    const good = await runCli(['audit', 'verify', '--server', s.url]);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, new RegExp(`intact: ${total} records`));
    await s.stop();

    // Edit one byte of the third record (seq 2) on disk: verify names it.
    const dir = path.join(dataDir, 'audit');
    const seg = path.join(dir, fs.readdirSync(dir).sort()[0]!);
    const lines = fs.readFileSync(seg, 'utf8').split('\n');
    const at = lines[2]!.indexOf('"results":') + '"results":'.length;
    const digit = lines[2]![at]!;
    lines[2] =
      lines[2]!.slice(0, at) + (digit === '9' ? '8' : String(Number(digit) + 1)) + lines[2]!.slice(at + 1);
    fs.writeFileSync(seg, lines.join('\n'));
    s = await startServer({ dataDir });
    const broken = await api(s, 'GET', '/api/v1/audit/verify');
    assert.equal(broken.body.ok, false);
    assert.deepEqual([broken.body.broken.seq, broken.body.broken.line, broken.body.records], [2, 3, 2]);
    const cli = await runCli(['audit', 'verify', '--server', s.url]);
    assert.equal(cli.code, 1);
    assert.match(cli.stdout, /BROKEN at record 2/);
  } finally {
    await s.stop();
  }
});

test('with authentication: sign-ins (both outcomes), user changes and searches carry the real actor', async () => {
  const admin = `lw_${'a1'.repeat(20)}`;
  const s = await startServer({ auth: true, env: { LOGWARDEN_BOOTSTRAP_TOKEN: admin } });
  try {
    const asAdmin = { authorization: `Bearer ${admin}` };
    const created = await api(
      s,
      'POST',
      '/api/v1/users',
      { username: 'ana', role: 'analyst', streams: ['app'], password: 'correct horse battery staple' },
      asAdmin,
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const bad = await api(s, 'POST', '/api/v1/auth/login', { username: 'ana', password: 'wrong password!!' });
    assert.equal(bad.status, 401);
    const good = await fetch(`${s.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ana', password: 'correct horse battery staple' }),
    });
    assert.equal(good.status, 200);
    const cookie = (good.headers.get('set-cookie') ?? '').split(';')[0]!;
    const asAna = { cookie };
    assert.equal((await api(s, 'GET', '/api/v1/search?q=error&start=0', undefined, asAna)).status, 200);
    // Only admins read the trail.
    assert.equal((await api(s, 'GET', '/api/v1/audit?start=0', undefined, asAna)).status, 403);
    assert.equal((await api(s, 'GET', '/api/v1/audit?start=0')).status, 401);

    const all = async (q: string) => {
      const deadline = Date.now() + 5000;
      for (;;) {
        const r = await api(
          s,
          'GET',
          `/api/v1/audit?${new URLSearchParams({ q, start: '0' })}`,
          undefined,
          asAdmin,
        );
        assert.equal(r.status, 200, JSON.stringify(r.body));
        if (r.body.total > 0 || Date.now() > deadline) return r.body.events as AuditEvent[];
        await new Promise((res) => setTimeout(res, 100));
      }
    };
    const [mk] = await all('action:user.create');
    assert.deepEqual([mk?.['actor.type'], mk?.target, mk?.outcome], ['token', 'ana', 'success']);
    const logins = (await all('action:auth.login')).reverse();
    assert.deepEqual(
      logins.map((e) => [e.target, e.outcome, e.ip]),
      [
        ['ana', 'failure', '127.0.0.1'],
        ['ana', 'success', '127.0.0.1'],
      ],
    );
    const [search] = await all('action:search actor.name:ana');
    assert.equal(search?.['actor.type'], 'user');
    assert.equal(search?.['details.query'], 'error');
    // The search ran limited to the user's streams, and the record says so.
    assert.equal(search?.['details.streams'], 'app');
    const review = await api(
      s,
      'GET',
      `/api/v1/audit/review?month=${new Date().toISOString().slice(0, 7)}`,
      undefined,
      asAdmin,
    );
    assert.deepEqual(review.body.failedLogins.byUser, [{ user: 'ana', failures: 1 }]);
    // The first start's admin token is an access-rights change too.
    assert.deepEqual(
      review.body.rightsChanges.map((c: Record<string, string>) => [c.action, c.target]),
      [
        ['token.create', 'bootstrap'],
        ['user.create', 'ana'],
      ],
    );
  } finally {
    await s.stop();
  }
});

// ---- The monthly access review on generated activity --------------------------------------

const USERS = ['alice', 'bob', 'carol', 'dave', 'erin'];
const STREAMS = ['web', 'app', 'payments', 'auth'];
const MONTHS = ['2026-07', '2026-08', '2026-09', '2026-10'];

interface Planned {
  time: number;
  user: string;
  action: string;
  streams: string[];
  results: number;
  outcome: 'success' | 'failure';
  ip?: string;
  target?: string;
}

function generate(seed: number): Planned[] {
  const rnd = mulberry32(seed);
  const int = (a: number, b: number) => a + Math.floor(rnd() * (b - a + 1));
  const timeIn = (month: string) => {
    const [y, m] = month.split('-').map(Number);
    return Date.UTC(y!, m! - 1, int(1, 28), int(0, 23), int(0, 59), int(0, 59));
  };
  const plan: Planned[] = [];
  for (const month of MONTHS) {
    const target = month === '2026-10';
    for (const user of [...USERS, ...(target ? ['frank'] : [])]) {
      // carol queries 10x her usual in October; dave exports far more; frank is new.
      let n = user === 'frank' ? 25 : int(20, 30);
      if (target && user === 'carol') n *= 10;
      for (let i = 0; i < n; i++) {
        const r = rnd();
        const action = r < 0.8 ? 'search' : r < 0.9 ? 'tail' : 'export';
        const streams =
          rnd() < 0.2 ? [] : [STREAMS[int(0, 3)]!, ...(rnd() < 0.3 ? [STREAMS[int(0, 3)]!] : [])];
        let results = action === 'export' ? int(1001, 3000) : int(0, 500);
        if (target && user === 'dave' && action === 'export') results *= 20;
        plan.push({
          time: timeIn(month),
          user,
          action,
          streams,
          results,
          outcome: rnd() < 0.05 ? 'failure' : 'success',
        });
      }
    }
    // Failed logins: a guesser from one address, typos from others.
    for (let i = 0; i < int(3, 12); i++)
      plan.push({
        time: timeIn(month),
        user: 'anonymous',
        action: 'auth.login',
        streams: [],
        results: 0,
        outcome: 'failure',
        ip: '203.0.113.9',
        target: ['root', 'admin', 'test'][int(0, 2)],
      });
    for (const user of USERS)
      for (let i = 0; i < int(0, 2); i++)
        plan.push({
          time: timeIn(month),
          user: 'anonymous',
          action: 'auth.login',
          streams: [],
          results: 0,
          outcome: 'failure',
          ip: `10.0.0.${int(1, 3)}`,
          target: user,
        });
    // Access-rights changes (and a stream change that is not one).
    for (const action of ['user.create', 'token.create', 'token.revoke', 'stream.update'])
      plan.push({
        time: timeIn(month),
        user: 'alice',
        action,
        streams: [],
        results: 0,
        outcome: 'success',
        target: `t-${month}`,
      });
  }
  return plan.sort((a, b) => a.time - b.time);
}

test('the monthly access review shows the numbers of generated activity, in the API and the CLI', async () => {
  const dataDir = tmpDir('lw-review-');
  const plan = generate(20261122);
  const clock = { t: 0 };
  const log = new SegmentLog({ dir: path.join(dataDir, 'audit'), retentionDays: 1095, now: () => clock.t });
  await log.open();
  for (const p of plan) {
    clock.t = p.time;
    const streams = p.streams.length ? { streams: p.streams } : {};
    const access = p.action === 'search' || p.action === 'export' || p.action === 'tail';
    log.record({
      actor:
        p.user === 'anonymous'
          ? { type: 'anonymous', id: p.target!, name: p.target! }
          : { type: 'user', id: p.user, name: p.user },
      action: p.action,
      outcome: p.outcome,
      ...(p.target !== undefined ? { target: p.target } : {}),
      ...(p.ip !== undefined ? { ip: p.ip } : {}),
      ...(access ? { details: { query: 'x', results: p.results, ...streams } } : {}),
    });
  }
  await log.close();

  // What the review must say, computed from the plan.
  const month = (p: Planned) => new Date(p.time).toISOString().slice(0, 7);
  const oct = plan.filter((p) => month(p) === '2026-10');
  const isAccess = (p: Planned) => ['search', 'export', 'tail'].includes(p.action) && p.outcome === 'success';
  const access = new Map<string, { searches: number; exports: number; tails: number; results: number }>();
  for (const p of oct.filter(isAccess))
    for (const stream of new Set(p.streams.length ? p.streams : ['*'])) {
      const k = `${p.user}|${stream}`;
      const a = access.get(k) ?? { searches: 0, exports: 0, tails: 0, results: 0 };
      a[({ search: 'searches', export: 'exports', tail: 'tails' } as const)[p.action as 'search']]++;
      a.results += p.results;
      access.set(k, a);
    }
  const vol = (ps: Planned[], user: string) => {
    const mine = ps.filter((p) => p.user === user && isAccess(p));
    return {
      queries: mine.length,
      exported: mine.filter((p) => p.action === 'export').reduce((a, p) => a + p.results, 0),
    };
  };
  const octUsers = [...new Set(oct.filter(isAccess).map((p) => p.user))];
  const expectUnusual = new Map<string, string[]>();
  for (const user of octUsers) {
    const v = vol(oct, user);
    const past = ['2026-07', '2026-08', '2026-09']
      .map((m) => plan.filter((p) => month(p) === m))
      .filter((ps) => ps.some((p) => p.user === user && isAccess(p)))
      .map((ps) => vol(ps, user));
    const med = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
    };
    const peers = octUsers.filter((u) => u !== user).map((u) => vol(oct, u));
    const flags: string[] = [];
    for (const [m, floor] of [
      ['queries', 20],
      ['exported', 1000],
    ] as const) {
      if (v[m] < floor) continue;
      if (past.length && v[m] > 3 * (past.reduce((a, p) => a + p[m], 0) / past.length))
        flags.push(`${m} own`);
      if (peers.length >= 3 && v[m] > 5 * med(peers.map((p) => p[m]))) flags.push(`${m} peers`);
    }
    expectUnusual.set(user, flags);
  }
  // The generated anomalies are what the rule finds, and nobody else is flagged.
  assert.ok(expectUnusual.get('carol')!.includes('queries own'));
  assert.ok(expectUnusual.get('dave')!.includes('exported own'));
  assert.deepEqual(expectUnusual.get('frank'), []);
  assert.deepEqual(expectUnusual.get('alice'), []);

  const s = await startServer({ dataDir });
  try {
    const r = await api(s, 'GET', '/api/v1/audit/review?month=2026-10');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const review = r.body;
    assert.equal(review.start, '2026-10-01T00:00:00.000Z');
    const gotAccess = new Map(
      review.access.map((a: Record<string, unknown>) => [`${a.user}|${a.stream}`, a]),
    );
    assert.equal(gotAccess.size, access.size);
    for (const [k, a] of access) {
      const g = gotAccess.get(k) as Record<string, unknown>;
      assert.deepEqual(
        [g.searches, g.exports, g.tails, g.results],
        [a.searches, a.exports, a.tails, a.results],
        k,
      );
    }
    for (const v of review.volume) {
      const expected = expectUnusual.get(v.user)!;
      assert.deepEqual(
        v.unusual.map((u: string) => `${u.split(' ')[0]} ${u.includes('own') ? 'own' : 'peers'}`),
        expected,
        v.user,
      );
      assert.deepEqual([v.queries, v.exported], Object.values(vol(oct, v.user)), v.user);
    }
    const failed = oct.filter((p) => p.action === 'auth.login' && p.outcome === 'failure');
    assert.equal(review.failedLogins.total, failed.length);
    for (const u of review.failedLogins.byUser)
      assert.equal(u.failures, failed.filter((p) => p.target === u.user).length, u.user);
    for (const ip of review.failedLogins.byIp) {
      const mine = failed.filter((p) => p.ip === ip.ip);
      assert.deepEqual(
        [ip.failures, ip.users],
        [mine.length, new Set(mine.map((p) => p.target)).size],
        ip.ip,
      );
    }
    assert.equal(review.failedLogins.byIp[0].ip, '203.0.113.9');
    assert.deepEqual(
      review.rightsChanges.map((c: Record<string, string>) => c.action),
      oct.filter((p) => /^(user|token)\./.test(p.action)).map((p) => p.action),
    );
    assert.equal((await api(s, 'GET', '/api/v1/audit/review?month=2026-13')).status, 400);

    const cli = await runCli(['audit', 'review', '--month', '2026-10', '--server', s.url]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /Access review 2026-10/);
    const carolLine = cli.stdout.split('\n').find((l) => l.startsWith('carol') && l.includes('YES'));
    assert.ok(carolLine?.includes('█'), cli.stdout);
    assert.match(cli.stdout, /203\.0\.113\.9 +\d+ +\d+ +█+/);
  } finally {
    await s.stop();
  }
});
