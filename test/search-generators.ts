/**
 * Seeded generators of test data and queries for the query language: ~realistic events (with
 * mixed JSON types, levels in many spellings, Korean and Japanese text, rare words) spread over
 * four UTC days, and random filter queries built from their words and values. Shared by the
 * store's brute-force test (test/search-bruteforce.test.ts) and the in-memory matcher's
 * property test (src/query/match.test.ts); both compare against test/reference-eval.ts.
 */
import { mulberry32 as prng } from './prng.ts';
import { type RefEvent, refEvent } from './reference-eval.ts';

export const EVENTS = 20_000;
export const CHUNK = 500;
export const DAY_MS = 86_400_000;
/** The data spans four UTC days from here. */
export const T0 = Date.UTC(2026, 10, 17);
export const SPAN_MS = 4 * DAY_MS;

// --- seeded randomness ---

export class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[this.int(0, 15)];
    return s;
  }
  /** Random upper/lower/capitalised spelling of ASCII letters. */
  recase(s: string): string {
    switch (this.int(0, 3)) {
      case 0:
        return s.toLowerCase();
      case 1:
        return s.toUpperCase();
      case 2:
        return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
      default:
        return s;
    }
  }
}

// --- data ---

const USERS = ['alice', 'Bob', 'carol.jones@example.com', 'Alice Smith', 'dave_99', '김철수', 'mallory'];
const HOSTS = ['web-1', 'web-2', 'web-3', 'Web-4', 'db-1', 'bastion.example.com'];
const SERVICES = ['payment-api', 'auth-service', 'checkout', 'Checkout', '결제-서비스'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'get'];
const STATUSES = [200, 200, 200, 201, 204, 301, 404, 404, 500, 502, 503];
const LEVELS: Array<string | number> = [
  'ERROR',
  'error',
  'Err',
  'warning',
  'WARN',
  'Warn',
  'Info',
  'INFO',
  'info',
  'information',
  'debug',
  'DBG',
  'critical',
  'FATAL',
  'notice',
  'trace',
  30,
  50,
  '4',
];
const VERSIONS = ['1.2', '1.10.2', '1.9.1', '2.0', '1.5.0', '1.2.3-beta'];
const REGIONS = ['ap-northeast-2', 'us-east-1', 'eu-west-1'];
const STRING_CODES = ['E42', '500', '0500', 'timeout', 'E-7', ' 404 '];
const STREAMS = ['app', 'payments', 'auth'];
/** Rare words: each goes into one or two events only. */
export const RARE = ['zyxqplonk', 'Quokka', '바나나우유', 'needle-7f3a9c', 'Xenolith42'];

function ip(r: Rng): string {
  return r.chance(0.3) ? '173.234.31.186' : `10.${r.int(0, 3)}.${r.int(0, 9)}.${r.int(1, 30)}`;
}

function path(r: Rng): string {
  return r.pick([
    '/api/v1/orders',
    `/api/v2/orders/${r.int(1, 999)}`,
    '/healthz',
    `/api/v1/users/${r.int(1, 99)}/profile`,
    '/static/app.js',
  ]);
}

function message(r: Rng, ev: Record<string, unknown>): string {
  switch (r.int(0, 19)) {
    case 0:
    case 1:
    case 2: {
      const m = r.pick(METHODS);
      const p = path(r);
      const st = r.pick(STATUSES);
      ev.http = { method: m, path: p };
      ev.status = st;
      return `${m} ${p} ${st} ${r.int(1, 900)}ms`;
    }
    case 3:
      ev.user = r.pick(USERS);
      return `Failed password for ${ev.user} from ${ip(r)} port ${r.int(1024, 65535)} ssh2`;
    case 4:
      ev.user = r.pick(USERS);
      return `Accepted password for ${ev.user} from ${ip(r)} port 22 ssh2`;
    case 5:
      return `card declined for order ${r.int(1000, 9999)}`;
    case 6:
      return `[ERROR] Connection reset by peer (${r.hex(8)})`;
    case 7:
      return `Payment service ${r.recase('timeout')} after ${r.int(100, 5000)}ms; retrying (attempt ${r.int(1, 5)}/5)...`;
    case 8:
      return `TIMEOUT while calling upstream http://payments.internal:8080/charge?id=${r.int(1, 99999)}`;
    case 9:
      return `결제를 요청했습니다 주문번호 ${r.int(1000, 9999)}`;
    case 10:
      return '결제 승인 완료';
    case 11:
      ev.user = r.pick(USERS);
      return `사용자 로그인 실패: ${ev.user}`;
    case 12:
      return `サーバーでエラーが発生しました code=${r.int(1, 99)}`;
    case 13:
      return `prepayment processed: errors=0, terror level low, payments=${r.int(1, 50)}`;
    case 14:
      return `cache miss key=session:${r.hex(16)}`;
    case 15:
      return `Disk FULL: usage at ${r.int(90, 100)}% on /var/lib/postgresql (sda${r.int(1, 3)})`;
    case 16:
      ev.user = r.pick(USERS);
      return `user ${ev.user} logged in from ${ip(r)}`;
    case 17:
      return r.chance(0.5)
        ? 'build 1.2.3 released; ids 0042 and 42, value=3.14'
        : 'Build 1.2.30 ready; id 420';
    case 18:
      return `Request-ID ${r.hex(8)}-${r.hex(4)}-${r.hex(4)} completed in ${r.int(1, 99)} ms`;
    default:
      return r.chance(0.02) ? '' : `blob ${r.hex(80)} stored`;
  }
}

export interface Generated {
  raw: Record<string, unknown>;
  ref: RefEvent;
  stream: string;
}

/** Times with µs, ms and whole-second precision (whole seconds make inclusive bounds matter). */
export function isoMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  const frac = us - ms * 1000;
  const base = new Date(ms).toISOString(); // ...sss Z
  return frac === 0 ? base : `${base.slice(0, -1)}${String(frac).padStart(3, '0')}Z`;
}

/** The store's output format: always six fraction digits. */
export function micros6(us: number): string {
  const s = Math.floor(us / 1e6);
  return `${new Date(s * 1000).toISOString().slice(0, 19)}.${String(us - s * 1e6).padStart(6, '0')}Z`;
}

export function generate(r: Rng): Generated[] {
  const out: Generated[] = [];
  const rareAt = new Map<number, string>();
  // Each rare word in one event, or two events far apart (two blocks).
  for (const [i, w] of RARE.entries()) {
    rareAt.set(1000 + i * 3700 + 123, w);
    if (i % 2 === 1) rareAt.set(1000 + i * 3700 + 2345, w);
  }
  for (let seq = 0; seq < EVENTS; seq++) {
    // Mostly in time order (so blocks cover short time spans); 3% land anywhere.
    let ms = r.chance(0.03)
      ? T0 + r.int(0, SPAN_MS - 1)
      : T0 + Math.floor((seq / EVENTS) * SPAN_MS) + r.int(0, 5000);
    let us = ms * 1000;
    const prec = r.int(0, 9);
    if (prec < 2) {
      ms = Math.floor(ms / 1000) * 1000;
      us = ms * 1000;
    } else if (prec < 4) us += r.int(1, 999);
    const ev: Record<string, unknown> = { '@timestamp': isoMicros(us), seq };
    let msg = message(r, ev);
    const rare = rareAt.get(seq);
    if (rare !== undefined) msg = `${msg} ${rare}`;
    if (seq === 4242) msg = 'only here: the Lonely-Needle-0x2A sits in this block';
    ev.message = msg;
    if (r.chance(0.85)) ev.level = r.pick(LEVELS);
    else if (r.chance(0.02)) ev.level = 'LOUD'; // not a level: kept as level_
    if (r.chance(0.9)) ev.host = r.pick(HOSTS);
    if (r.chance(0.8)) ev.service = r.pick(SERVICES);
    if (r.chance(0.7)) ev.duration_ms = r.chance(0.5) ? r.int(0, 3000) : r.int(0, 30000) / 10;
    const c = r.next();
    if (c < 0.5) ev.code = r.pick([200, 404, 500, 503, 42]);
    else if (c < 0.8) ev.code = r.pick(STRING_CODES);
    if (r.chance(0.4))
      ev.latency = r.chance(0.6) ? r.int(0, 50) / 10 : r.pick(['1.5s', '0.5', ' 2.5 ', 'slow']);
    if (r.chance(0.5)) ev.cached = r.chance(0.5);
    if (r.chance(0.3)) ev.flag = r.pick<boolean | string>([true, false, 'yes', 'no', 'true']);
    if (r.chance(0.3)) ev.trace_id = r.chance(0.1) ? '' : r.hex(32);
    if (r.chance(0.3)) ev.version = r.pick(VERSIONS);
    if (r.chance(0.3)) ev.region = r.pick(REGIONS);
    if (r.chance(0.2)) ev.client = { ip: ip(r), geo: { country: r.pick(['KR', 'US', 'DE']) } };
    if (r.chance(0.1)) ev.k8s = { pod: { name: `payment-api-${r.hex(4)}` } };
    if (r.chance(0.1)) ev.tags = r.pick([['alpha', 'beta'], ['gamma'], []]);
    if (seq % 5000 === 777) ev.note = 'xylophone orchestra tuning'; // a term only in a string field
    // Last in key order, so it rarely gets one of the maxDynamicColumns columns: mostly in _extra,
    // with all three JSON types.
    if (r.chance(0.3))
      ev.retry = r.pick<boolean | number | string>([true, false, 0, 1, 2, 2.5, 'yes', 'never', 'true']);
    const stream = STREAMS[Math.floor(seq / CHUNK) % STREAMS.length]!;
    out.push({ raw: ev, ref: refEvent(ev, stream), stream });
  }
  return out;
}

// --- queries ---

export interface Ctx {
  r: Rng;
  events: Generated[];
}

/** A word as a bare term when that parses as the same word, else as a quoted phrase. */
export function term(w: string, fieldValue = false): string {
  const special = fieldValue ? /[\s()"|\\*]/u : /[\s()"|\\*:]/u;
  if (w === '' || special.test(w) || /^(AND|OR|NOT)$/.test(w) || w.startsWith('-') || w.startsWith('/')) {
    return quote(w);
  }
  if (fieldValue && /^[=<>[{]/.test(w)) return quote(w);
  return w;
}

export function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

/** Splits text at white space (pieces keep their punctuation). */
function pieces(s: string): string[] {
  return s.split(/\s+/).filter((p) => p !== '');
}

/** Word-character runs of a text (what a user might type from a log line). */
function words(s: string): string[] {
  return s.match(/[\p{L}\p{N}_]+/gu) ?? [];
}

function someMessage(c: Ctx): string {
  for (;;) {
    const m = c.r.pick(c.events).ref.message;
    if (m !== '') return m;
  }
}

function recaseAscii(r: Rng, s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? r.recase(s) : s;
}

export const COMMON_WORDS = [
  'error',
  'ERROR',
  'timeout',
  'Timeout',
  'password',
  'failed',
  'payment',
  'payments',
  'pay',
  'terror',
  'errors',
  'ayment',
  'declined',
  'order',
  'GET',
  'get',
  'ssh2',
  'peer',
  'FULL',
  'full',
  '173.234.31.186',
  '173.234.31.18',
  '10.0',
  '42',
  '0042',
  '420',
  '3.14',
  '1.2.3',
  '1.2',
  '8080',
  '200',
  '/api/v1/orders',
  '/healthz',
  '[ERROR]',
  'sda1',
  'ms',
  'and',
  '결제',
  '결제를',
  '제를',
  '승인',
  '로그인',
  '요청',
  '결',
  '주문번호',
  '실패',
  '결제를요청',
  'サーバー',
  'エラー',
  'サーバーで',
  '김철수',
  'payments.internal',
  'http://payments.internal:8080/charge',
];

function leafWord(c: Ctx): string {
  const r = c.r;
  switch (r.int(0, 5)) {
    case 0:
      return term(r.pick(COMMON_WORDS));
    case 1:
      return term(recaseAscii(r, r.pick(RARE)));
    case 2:
      return term(recaseAscii(r, r.pick(words(someMessage(c)).concat(['x']))));
    default:
      return term(recaseAscii(r, r.pick(pieces(someMessage(c)))));
  }
}

function leafPhrase(c: Ctx): string {
  const r = c.r;
  if (r.chance(0.2))
    return quote(
      r.pick([
        '결제를 요청했습니다',
        '결제 승인',
        'Failed password for',
        'reset by',
        'card declined for order',
      ]),
    );
  const ps = pieces(someMessage(c));
  const n = Math.min(ps.length, r.int(2, 3));
  const at = r.int(0, ps.length - n);
  return quote(recaseAscii(r, ps.slice(at, at + n).join(' ')));
}

function leafPrefix(c: Ctx): string {
  const r = c.r;
  if (r.chance(0.3))
    return r.pick([
      'pay*',
      'prepay*',
      'err*',
      'Time*',
      '결*',
      '결제*',
      'サーバ*',
      '173.234.*',
      'ssh*',
      'xylo*',
    ]);
  const ws = words(someMessage(c)).filter((w) => w.length >= 2);
  if (ws.length === 0) return 'pay*';
  const w = r.pick(ws);
  return `${recaseAscii(r, w.slice(0, r.int(1, Math.min(w.length, 6))))}*`;
}

/** A random value of `field` from a random event that has it (or undefined). */
function someValue(c: Ctx, field: string): unknown {
  for (let i = 0; i < 50; i++) {
    const e = c.r.pick(c.events).ref;
    const v = field === 'host' || field === 'service' || field === 'level' ? e[field] : e.fields[field];
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

const TEXT_FIELDS = [
  'host',
  'service',
  'stream',
  'user',
  'http.method',
  'http.path',
  'code',
  'version',
  'region',
  'k8s.pod.name',
  'client.ip',
  'tags',
  'note',
  'flag',
  'latency',
  'trace_id',
  'retry',
];

function leafField(c: Ctx): string {
  const r = c.r;
  switch (r.int(0, 9)) {
    case 0:
      return `level:${r.chance(0.2) ? r.pick(['err*', 'warn*', 'e*', 'WARN*']) : term(String(r.pick([...LEVELS, 'warn', 'e', 'LOUD'])), true)}`;
    case 1:
      return r.pick([
        'status:404',
        'status:500',
        'code:500',
        'code:E42',
        'code:0500',
        'code:404',
        'cached:true',
        'cached:FALSE',
        'flag:true',
        'flag:yes',
        'duration_ms:12.5',
        'latency:1.5',
        'latency:5',
        'latency:2.5',
        'note:xylophone',
        'user:smith',
        'user:example.com',
        'client.geo.country:kr',
        'level_:loud',
        'message_:*',
        'stream:auth',
        'stream:payments',
        'service:payment',
        'service:api',
        'service:결제',
        'host:web',
        'host:example',
      ]);
    case 2: {
      const f = r.pick(TEXT_FIELDS);
      const v = someValue(c, f);
      if (v === undefined) return `${f}:x`;
      const ws = typeof v === 'string' ? words(v) : [];
      const w = ws.length > 0 && r.chance(0.5) ? r.pick(ws) : String(v);
      return `${f}:${term(recaseAscii(r, w), true)}`;
    }
    case 3: {
      const f = r.pick(TEXT_FIELDS);
      const v = someValue(c, f);
      if (v === undefined || typeof v !== 'string') return `${f}:*`;
      const ws = words(v).filter((w) => w.length >= 2);
      if (ws.length === 0) return `${f}:*`;
      const w = r.pick(ws);
      return `${f}:${recaseAscii(r, w.slice(0, r.int(1, w.length)))}*`;
    }
    case 4:
    case 5: {
      // exact
      if (r.chance(0.4)) {
        return r.pick([
          'host:="web-1"',
          'host:=web-1',
          'host:=WEB-1',
          'user:="Alice Smith"',
          'user:=alice',
          'user:=Alice',
          'code:=E42',
          'code:=500',
          'code:="0500"',
          'code:=500.0',
          'level:=warning',
          'level:=warn',
          'level:=ERROR',
          'service:=Checkout',
          'service:=checkout',
          'trace_id:=""',
          'flag:=true',
          'flag:=yes',
          'cached:=false',
          'version:="1.2"',
          'latency:=0.5',
          'latency:="1.5s"',
          'message:="결제 승인 완료"',
          'message:=""',
          'tags:="[]"',
          'tags:="[\\"alpha\\",\\"beta\\"]"',
          'stream:=app',
        ]);
      }
      const f = r.pick(TEXT_FIELDS);
      const v = someValue(c, f);
      return v === undefined ? `${f}:=nothing` : `${f}:=${quote(String(v))}`;
    }
    case 6:
      return `${r.pick(['host', 'service', 'user', 'code', 'status', 'level', 'stream', 'message'])}:(${r.pick(
        [
          'error OR warning',
          'web-1 OR web-2',
          'payment OR checkout',
          'alice OR bob',
          '500 OR E42',
          '404 OR 503',
          'auth OR app',
          'declined OR 결제',
          'NOT info',
        ],
      )})`;
    case 7:
      return leafExists(c);
    case 8:
      return leafRegex(c);
    default:
      return r.chance(0.5) ? leafCompare(c) : leafRange(c);
  }
}

function leafExists(c: Ctx): string {
  return `${c.r.pick([
    'trace_id',
    'http.method',
    'http',
    'code',
    'cached',
    'flag',
    'user',
    'note',
    'level',
    'service',
    'host',
    'message',
    'nonexistent',
    'level_',
    'tags',
    'client.geo.country',
    'latency',
    'status',
  ])}:*`;
}

function leafRegex(c: Ctx): string {
  return c.r.pick([
    'http.path:/^\\/api\\/v[12]\\//',
    'message:/(?i)timeout/',
    'message:/^GET /',
    'message:/ssh2$/',
    'status:/^5\\d\\d$/',
    'status:/^20/',
    'host:/web-[12]$/',
    'host:/(?i)^web/',
    'code:/^E/',
    'code:/^5/',
    'code:/^500$/',
    'user:/(?i)^alice/',
    'duration_ms:/\\.5$/',
    'duration_ms:/^1\\d$/',
    'message:/결제.*완료/',
    'trace_id:/^[0-9a-f]{4}a/',
    'latency:/s$/',
    'latency:/^0\\.5$/',
    'cached:/^t/',
    'flag:/^(yes|true)$/',
    'version:/^1\\.1/',
    'level:/^(warn|error)$/',
    'stream:/^a/',
    'tags:/alpha/',
    'message:/\\d{4}/',
  ]);
}

function num(r: Rng, field: string): string {
  switch (field) {
    case 'status':
      return String(r.pick([200, 201, 204, 301, 404, 499, 500, 502, 503, 600]));
    case 'duration_ms':
      return String(r.pick([0, 1, 12.5, 100, 999.9, 1000, 1500, 2999.9, 3000, -1, 1e3]));
    case 'code':
      return String(r.pick([42, 200, 404, 500, 503, 0, 1000]));
    case 'latency':
      return String(r.pick([0, 0.5, 1.5, 2.5, 3, 5, -0.5]));
    default:
      return String(r.int(0, 10));
  }
}

const NUM_FIELDS = ['status', 'duration_ms', 'code', 'latency', 'seq', 'cached', 'flag', 'retry'];

function leafCompare(c: Ctx): string {
  const r = c.r;
  const op = r.pick(['>', '>=', '<', '<=']);
  if (r.chance(0.25)) {
    return r.pick([
      `user:${op}"m"`,
      `user:${op}m`,
      `version:${op}"1.5"`,
      `version:${op}"1.10"`,
      `host:${op}"web-2"`,
      `code:${op}"E"`,
      `code:${op}"500"`,
      `status:${op}"500"`,
      `latency:${op}"1"`,
      `region:${op}eu`,
      `service:${op}"결"`,
    ]);
  }
  const f = r.pick(NUM_FIELDS);
  const v = f === 'seq' ? String(r.int(0, EVENTS)) : num(r, f);
  return `${f}:${op}${v}`;
}

function leafRange(c: Ctx): string {
  const r = c.r;
  const open = r.pick(['[', '{']);
  const close = r.pick([']', '}']);
  const sep = r.pick([' TO ', ', ', ' , ']);
  if (r.chance(0.25)) {
    const [f, lo, hi] = r.pick<[string, string, string]>([
      ['version', '"1.2"', '"1.9"'],
      ['version', '"1.10"', '"2.0"'],
      ['user', 'a', 'c'],
      ['user', '"alice"', '"mallory"'],
      ['code', '"E"', '"F"'],
      ['code', '"400"', '"600"'],
      ['status', '"400"', '"600"'],
      ['host', '"web-1"', '"web-3"'],
      ['latency', '1', '"2"'],
      ['region', '*', 'eu'],
    ]);
    return `${f}:${open}${lo}${sep}${hi}${close}`;
  }
  const f = r.pick(NUM_FIELDS);
  let a = f === 'seq' ? String(r.int(0, EVENTS)) : num(r, f);
  let b = f === 'seq' ? String(r.int(0, EVENTS)) : num(r, f);
  if (Number(a) > Number(b)) [a, b] = [b, a];
  const star = r.int(0, 6); // an open bound now and then
  if (star === 0) a = '*';
  else if (star === 1) b = '*';
  return `${f}:${open}${a}${sep}${b}${close}`;
}

/** A time bound: often an event's own time (so inclusive/exclusive bounds are exercised). */
function timeText(c: Ctx): string {
  const r = c.r;
  const us = r.chance(0.5)
    ? r.pick(c.events).ref.time
    : (T0 - 3_600_000 + r.int(0, SPAN_MS + 7_200_000)) * 1000;
  const iso = isoMicros(us);
  switch (r.int(0, 6)) {
    case 0:
      return iso.slice(0, 10); // a whole day
    case 1:
      return `${iso.slice(0, 19)}Z`; // a whole second
    case 2:
      return `${iso.slice(0, 16)}`; // a whole minute, no zone = UTC
    case 3:
      return String(Math.floor(us / 1e6)); // epoch seconds
    case 4:
      return '*';
    default:
      return iso; // µs / ms precision
  }
}

function leafTime(c: Ctx): string {
  const r = c.r;
  if (r.chance(0.2))
    return `_time:${r.pick(['>=', '>', '<', '<='])}${timeText(c).replace('*', '2026-11-19')}`;
  let a = timeText(c);
  let b = timeText(c);
  if (a !== '*' && b !== '*' && a > b && a.length === b.length) [a, b] = [b, a];
  return `_time:${r.pick(['[', '(', '{'])}${a}${r.pick([', ', ' TO '])}${b}${r.pick([']', ')', '}'])}`;
}

function leaf(c: Ctx): string {
  const x = c.r.next();
  if (x < 0.25) return leafWord(c);
  if (x < 0.35) return leafPhrase(c);
  if (x < 0.43) return leafPrefix(c);
  if (x < 0.93) return leafField(c);
  return leafTime(c);
}

export function expr(c: Ctx, depth: number): string {
  const r = c.r;
  const x = r.next();
  if (depth >= 2 || x < 0.45) return leaf(c);
  const sub = () => {
    const e = expr(c, depth + 1);
    return /\s/.test(e) && !/^[-\w.]+:\(.*\)$/.test(e) ? `(${e})` : e;
  };
  if (x < 0.65) return Array.from({ length: r.int(2, 3) }, sub).join(r.chance(0.5) ? ' ' : ' AND ');
  if (x < 0.85) return Array.from({ length: r.int(2, 3) }, sub).join(' OR ');
  return `${r.chance(0.5) ? 'NOT ' : '-'}${sub()}`;
}
