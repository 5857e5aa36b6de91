/**
 * The monthly access review (issue 7): from the audit records of a month and the three before it,
 * who accessed which streams, whose volume is unusual, failed logins and access-rights changes.
 * Pure: `buildReview` computes from records; the route reads them (audit-routes.ts).
 *
 * Access: each successful `search`, `export` and `tail` counts once for every stream in its
 * `details.streams` (`*` when the query was not limited to streams), with its `details.results`.
 *
 * Unusual volume, per actor and per metric (queries = searches + exports + tails; exported =
 * events returned by exports), when the month's value is at least the floor (20 queries, 1,000
 * exported events) and
 * - own: more than 3x the actor's mean over those of the 3 previous months in which it accessed
 *   anything (no baseline without such a month), or
 * - peers: more than 5x the median of the other actors active in the month (at least 3 of them).
 */
import { LwError } from '../../core/errors.ts';
import { type AuditRecord, actorLabel } from './audit-record.ts';

export const ACCESS_ACTIONS = new Set(['search', 'export', 'tail']);
/** Actions that change who may access what (users, their roles and passwords, tokens). */
export const RIGHTS_ACTION = /^(user|token|role)\./;
export const OWN_FACTOR = 3;
export const PEER_FACTOR = 5;
export const MIN_PEERS = 3;
export const FLOORS = { queries: 20, exported: 1000 } as const;
type Metric = keyof typeof FLOORS;
const METRICS: Metric[] = ['queries', 'exported'];

export interface MonthRange {
  month: string;
  /** Epoch ms, [start, end). */
  start: number;
  end: number;
  /** Start of the baseline: three months before `start`. */
  baselineStart: number;
}

/** `2026-11` as a UTC month range; a missing month is the previous calendar month. */
export function monthRange(month: unknown, nowMs: number): MonthRange {
  let y: number;
  let m: number;
  if (month === undefined || month === '') {
    const d = new Date(nowMs);
    y = d.getUTCFullYear();
    m = d.getUTCMonth() - 1;
  } else {
    const r = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(String(month));
    if (r === null) throw new LwError('LW_ERR_BAD_PARAM', ['month', 'expected YYYY-MM, such as 2026-11']);
    y = Number(r[1]);
    m = Number(r[2]) - 1;
  }
  const start = Date.UTC(y, m, 1);
  const s = new Date(start);
  return {
    month: `${s.getUTCFullYear()}-${String(s.getUTCMonth() + 1).padStart(2, '0')}`,
    start,
    end: Date.UTC(y, m + 1, 1),
    baselineStart: Date.UTC(y, m - 3, 1),
  };
}

export interface AccessRow {
  user: string;
  stream: string;
  searches: number;
  exports: number;
  tails: number;
  results: number;
}

export interface VolumeRow {
  user: string;
  queries: number;
  exported: number;
  ownBaseline: Record<Metric, number> | null;
  peerMedian: Record<Metric, number> | null;
  unusual: string[];
}

export interface Review {
  month: string;
  start: string;
  end: string;
  access: AccessRow[];
  volume: VolumeRow[];
  failedLogins: {
    total: number;
    byUser: Array<{ user: string; failures: number }>;
    byIp: Array<{ ip: string; failures: number; users: number }>;
  };
  rightsChanges: Array<{ time: string; user: string; action: string; target: string; outcome: string }>;
  rule: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

function monthKey(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

function volumes(records: AuditRecord[]): Map<string, Record<Metric, number>> {
  const out = new Map<string, Record<Metric, number>>();
  for (const r of records) {
    if (!ACCESS_ACTIONS.has(r.action) || r.outcome !== 'success') continue;
    const who = actorLabel(r.actor);
    let v = out.get(who);
    if (!v) out.set(who, (v = { queries: 0, exported: 0 }));
    v.queries++;
    if (r.action === 'export') v.exported += Number(r.details?.results) || 0;
  }
  return out;
}

/** The review of `range.month` from records of [range.baselineStart, range.end). */
export function buildReview(range: MonthRange, records: AuditRecord[]): Review {
  const inMonth = records.filter((r) => r.time >= range.start && r.time < range.end);
  const before = records.filter((r) => r.time >= range.baselineStart && r.time < range.start);

  const access = new Map<string, AccessRow>();
  for (const r of inMonth) {
    if (!ACCESS_ACTIONS.has(r.action) || r.outcome !== 'success') continue;
    const user = actorLabel(r.actor);
    // No `streams`: not limited (`*`); an empty list: a query no stream could answer.
    const ss = Array.isArray(r.details?.streams) ? r.details.streams : ['*'];
    for (const stream of new Set(ss.map(String))) {
      const key = JSON.stringify([user, stream]);
      let row = access.get(key);
      if (!row) access.set(key, (row = { user, stream, searches: 0, exports: 0, tails: 0, results: 0 }));
      if (r.action === 'search') row.searches++;
      else if (r.action === 'export') row.exports++;
      else row.tails++;
      row.results += Number(r.details?.results) || 0;
    }
  }

  const now = volumes(inMonth);
  const perMonth = new Map<string, Map<string, Record<Metric, number>>>();
  const byMonth = new Map<string, AuditRecord[]>();
  for (const r of before) {
    const k = monthKey(r.time);
    const list = byMonth.get(k);
    if (list) list.push(r);
    else byMonth.set(k, [r]);
  }
  for (const [k, rs] of byMonth) perMonth.set(k, volumes(rs));
  const volume: VolumeRow[] = [];
  for (const [user, v] of now) {
    const past = [...perMonth.values()].map((m) => m.get(user)).filter((x) => x !== undefined);
    const ownBaseline =
      past.length === 0
        ? null
        : {
            queries: past.reduce((a, p) => a + p.queries, 0) / past.length,
            exported: past.reduce((a, p) => a + p.exported, 0) / past.length,
          };
    const peers = [...now].filter(([u]) => u !== user).map(([, p]) => p);
    const peerMedian =
      peers.length < MIN_PEERS
        ? null
        : { queries: median(peers.map((p) => p.queries)), exported: median(peers.map((p) => p.exported)) };
    const unusual: string[] = [];
    for (const m of METRICS) {
      if (v[m] < FLOORS[m]) continue;
      if (ownBaseline && v[m] > OWN_FACTOR * ownBaseline[m])
        unusual.push(`${m} ${v[m]} > ${OWN_FACTOR}x own mean ${round(ownBaseline[m])}`);
      if (peerMedian && v[m] > PEER_FACTOR * peerMedian[m])
        unusual.push(`${m} ${v[m]} > ${PEER_FACTOR}x peer median ${round(peerMedian[m])}`);
    }
    volume.push({ user, queries: v.queries, exported: v.exported, ownBaseline, peerMedian, unusual });
  }
  volume.sort((a, b) => b.queries - a.queries || a.user.localeCompare(b.user));

  const failedUsers = new Map<string, number>();
  const failedIps = new Map<string, { failures: number; users: Set<string> }>();
  let failedTotal = 0;
  for (const r of inMonth) {
    if (r.action !== 'auth.login' || r.outcome !== 'failure') continue;
    failedTotal++;
    const user = r.target ?? r.actor.name;
    failedUsers.set(user, (failedUsers.get(user) ?? 0) + 1);
    const ip = r.ip ?? 'unknown';
    const e = failedIps.get(ip) ?? { failures: 0, users: new Set<string>() };
    e.failures++;
    e.users.add(user);
    failedIps.set(ip, e);
  }

  return {
    month: range.month,
    start: new Date(range.start).toISOString(),
    end: new Date(range.end).toISOString(),
    access: [...access.values()].sort(
      (a, b) => a.user.localeCompare(b.user) || a.stream.localeCompare(b.stream),
    ),
    volume,
    failedLogins: {
      total: failedTotal,
      byUser: [...failedUsers]
        .map(([user, failures]) => ({ user, failures }))
        .sort((a, b) => b.failures - a.failures || a.user.localeCompare(b.user)),
      byIp: [...failedIps]
        .map(([ip, e]) => ({ ip, failures: e.failures, users: e.users.size }))
        .sort((a, b) => b.failures - a.failures || a.ip.localeCompare(b.ip)),
    },
    rightsChanges: inMonth
      .filter((r) => RIGHTS_ACTION.test(r.action))
      .map((r) => ({
        time: new Date(r.time).toISOString(),
        user: actorLabel(r.actor),
        action: r.action,
        target: r.target ?? '',
        outcome: r.outcome,
      })),
    rule:
      `unusual: at least ${FLOORS.queries} queries or ${FLOORS.exported} exported events, and more than ` +
      `${OWN_FACTOR}x the actor's mean of its active previous 3 months, or more than ${PEER_FACTOR}x the ` +
      `median of the other actors of the month (at least ${MIN_PEERS})`,
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
