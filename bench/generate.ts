/**
 * Seeded generator of realistic mixed logs as NDJSON, for benchmarks and load tests.
 *
 *   node bench/generate.ts --events 10000000 --seed 42 --out bench/out/events.ndjson \
 *     [--hours 24] [--start 2026-11-21T00:00:00Z]
 *
 * Contract: the same (seed, count, hours, start) gives byte-identical output, on any machine.
 * Every event is a pure function of (seed, index i, count, options): its own PRNG is seeded
 * from (seed, i), so any range of events can be generated alone (in parallel, or streamed
 * straight into HTTP requests) and `requestIdFor(seed, i)` names event i's request id without
 * generating anything.
 *
 * Each line is one JSON object: `@timestamp` (RFC 3339, ms, UTC; spread evenly over the window,
 * non-decreasing, with jitter inside each event's slot), `level`, `host` (200 hosts), `service`,
 * `request_id` (16 hex digits, unique per event for count < 2^32), `message`, and fields by kind:
 * - HTTP access (nginx combined message; method, path, status, duration_ms, bytes, client_ip,
 *   user_agent),
 * - application JSON logs with nested objects (user.id, order.amount, db.duration_ms, ...),
 * - Java exceptions with multi-line stack traces in the message,
 * - sshd authentication lines (`Failed password for invalid user admin from 173.234.31.186 ...`),
 * - system lines (systemd, cron, kernel),
 * - Korean application messages (about 5%; `결제를 요청했습니다 주문번호 12345`).
 * Words come from fixed vocabularies with Zipf-like (log-uniform) popularity, so they repeat
 * the way real log words do, while ids and numbers are high-cardinality.
 *
 * Known terms for benchmarks: `KNOWN_TERMS.phrase` ("Failed password") appears only in sshd
 * failure lines, about 2% of events; `requestIdFor(seed, i)` is a needle present in exactly one
 * line.
 */
import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';

export interface GenerateOptions {
  /** Length of the time window in hours (default 24). */
  hours?: number;
  /** Start of the window, RFC 3339 or epoch ms (default 2026-11-21T00:00:00Z). */
  start?: string | number;
  /** First event index to generate (default 0). */
  from?: number;
  /** One past the last event index to generate (default count). */
  to?: number;
}

export const DEFAULT_START = '2026-11-21T00:00:00Z';
export const DEFAULT_HOURS = 24;

/** Terms with a known share of events, for benchmark queries. */
export const KNOWN_TERMS = {
  /** Appears only in sshd failure lines: about 2% of events. */
  phrase: 'Failed password',
  phraseFraction: 0.02,
  /** A two-syllable Korean word that appears mostly inside longer runs (결제를, 결제가). */
  korean: '결제',
  /** The noisiest brute-force source address. */
  ip: '173.234.31.186',
} as const;

// ---------------------------------------------------------------------------------------------
// Randomness

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

function hex32(v: number): string {
  return HEX[v >>> 24] + HEX[(v >>> 16) & 255] + HEX[(v >>> 8) & 255] + HEX[v & 255];
}

function seedWords(seed: number): [number, number, number] {
  const s = fmix32((seed >>> 0) ^ 0x5bd1e995);
  return [s, fmix32(s ^ 0x27d4eb2f), fmix32(s + 0x165667b1)];
}

/**
 * The request id of event `i` (16 lowercase hex digits). The first 8 digits are a bijection
 * of i, so ids are unique for i < 2^32.
 */
export function requestIdFor(seed: number, i: number): string {
  const [a, b] = seedWords(seed);
  return hex32(fmix32((i ^ a) >>> 0)) + hex32(fmix32((i + b) >>> 0) ^ a);
}

/** mulberry32, reseeded per event. */
class Rng {
  s = 0;
  next(): number {
    const a = (this.s = (this.s + 0x6d2b79f5) | 0);
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Log-uniform index in [0, n): item r has weight ~ 1 / (r + 1), like Zipf with s = 1. */
  zipf(n: number): number {
    return Math.min(n - 1, Math.floor(Math.exp(this.next() * Math.log(n + 1))) - 1);
  }
  pick<T>(arr: readonly T[]): T {
    return arr[this.int(arr.length)];
  }
  zpick<T>(arr: readonly T[]): T {
    return arr[this.zipf(arr.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

// ---------------------------------------------------------------------------------------------
// Vocabularies

function range(prefix: string, n: number): string[] {
  const out: string[] = [];
  for (let i = 1; i <= n; i++) out.push(prefix + String(i).padStart(3, '0'));
  return out;
}

const WEB_HOSTS = range('web-', 60);
const API_HOSTS = range('api-', 60);
const WORKER_HOSTS = range('worker-', 40);
const DB_HOSTS = range('db-', 20);
const CACHE_HOSTS = range('cache-', 10);
const BASTION_HOSTS = range('bastion-', 10);
/** All 200 hosts. */
export const HOSTS: readonly string[] = [
  ...WEB_HOSTS,
  ...API_HOSTS,
  ...WORKER_HOSTS,
  ...DB_HOSTS,
  ...CACHE_HOSTS,
  ...BASTION_HOSTS,
];

/** Application services, most popular first. */
export const SERVICES: readonly string[] = [
  'api-gateway',
  'order-service',
  'payment-api',
  'auth-service',
  'catalog-api',
  'cart-service',
  'user-service',
  'search-api',
  'inventory-service',
  'notification-service',
  'shipping-service',
  'billing-worker',
  'recommendation-engine',
  'session-service',
  'coupon-service',
  'review-service',
  'fraud-detector',
  'email-sender',
  'report-worker',
  'analytics-collector',
];

const HTTP_ROUTES: readonly [method: string, path: string, id: string][] = [
  ['GET', '/api/v1/products/', 'n'],
  ['GET', '/api/v1/orders/', 'n'],
  ['GET', '/healthz', ''],
  ['GET', '/api/v1/cart', ''],
  ['POST', '/api/v1/orders', ''],
  ['GET', '/api/v1/users/', 'n'],
  ['GET', '/api/v1/search?q=', 'q'],
  ['POST', '/api/v1/payments', ''],
  ['POST', '/api/v1/auth/login', ''],
  ['GET', '/static/js/app.', 'h'],
  ['PUT', '/api/v1/cart/items/', 'n'],
  ['GET', '/api/v1/recommendations', ''],
  ['DELETE', '/api/v1/cart/items/', 'n'],
  ['POST', '/api/v1/auth/refresh', ''],
  ['GET', '/metrics', ''],
  ['PATCH', '/api/v1/users/', 'n'],
  ['GET', '/api/v1/shipping/track/', 'n'],
  ['POST', '/api/v1/coupons/apply', ''],
];
const SEARCH_WORDS = ['shoes', 'laptop', 'coffee', 'phone', 'desk', 'lamp', 'jacket', 'bag', 'watch', 'tent'];

const USER_AGENTS = [
  'okhttp/4.12.0',
  'Go-http-client/1.1',
  'curl/8.5.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0',
  'kube-probe/1.31',
  'python-requests/2.32.3',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)',
  'Prometheus/2.54.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) Safari/605.1',
  'Apache-HttpClient/5.3',
];

const STATUS_OK = [200, 200, 200, 200, 200, 200, 201, 204, 304, 302];
const STATUS_4XX = [404, 404, 400, 401, 403, 409, 429, 422];
const STATUS_5XX = [500, 502, 503, 504];

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Brute-force sources, noisiest first (Zipf), and the user names they try. */
const ATTACKER_IPS = [
  '173.234.31.186',
  '61.177.172.13',
  '45.227.255.206',
  '218.92.0.112',
  '141.98.11.23',
  '193.201.224.8',
  '112.85.42.187',
  '222.186.180.130',
  '185.220.101.44',
  '92.118.39.61',
  '103.145.13.229',
  '195.3.147.57',
];
const ATTACK_USERS = [
  'root',
  'admin',
  'test',
  'oracle',
  'ubuntu',
  'user',
  'postgres',
  'git',
  'ftpuser',
  'guest',
];
const LEGIT_USERS = ['deploy', 'ansible', 'jenkins', 'alice', 'bob', 'ops'];

const JAVA_EXCEPTIONS: readonly [cls: string, detail: string][] = [
  ['java.lang.NullPointerException', 'Cannot invoke "String.length()" because "name" is null'],
  [
    'java.sql.SQLTransientConnectionException',
    'HikariPool-1 - Connection is not available, request timed out after 30000ms.',
  ],
  ['java.net.SocketTimeoutException', 'Read timed out'],
  ['java.lang.IllegalStateException', 'Order is already in state CANCELLED'],
  ['org.springframework.dao.DataIntegrityViolationException', 'could not execute statement'],
  ['java.util.concurrent.TimeoutException', 'Timed out waiting for response from inventory-service'],
  ['com.example.payment.PaymentDeclinedException', 'Card declined: insufficient funds'],
  ['java.lang.IllegalArgumentException', 'Invalid currency code: XYZ'],
];
const JAVA_FATAL: readonly [cls: string, detail: string][] = [
  ['java.lang.OutOfMemoryError', 'Java heap space'],
  ['java.lang.StackOverflowError', 'null'],
];
const JAVA_COMPONENTS = ['order', 'payment', 'cart', 'inventory', 'user', 'shipping', 'auth', 'catalog'];
const JAVA_CLASSES = ['Controller', 'Service', 'Repository', 'Client', 'Handler', 'Validator', 'Mapper'];
const JAVA_METHODS = [
  'process',
  'handle',
  'findById',
  'save',
  'validate',
  'execute',
  'apply',
  'call',
  'load',
];
const FRAMEWORK_FRAMES = [
  'org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)',
  'org.springframework.aop.framework.ReflectiveMethodInvocation.proceed(ReflectiveMethodInvocation.java:184)',
  'org.springframework.transaction.interceptor.TransactionInterceptor.invoke(TransactionInterceptor.java:119)',
  'com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:181)',
  'org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:166)',
  'java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1144)',
  'java.base/java.lang.Thread.run(Thread.java:1583)',
];

/** Application messages: [level, message template, kind of fields]. `#` is a number slot. */
const APP_MESSAGES: readonly [
  level: string,
  text: string,
  fields: 'order' | 'user' | 'db' | 'cache' | 'none',
][] = [
  ['info', 'Order created', 'order'],
  ['debug', 'Cache hit for key product:#', 'cache'],
  ['info', 'User login succeeded', 'user'],
  ['debug', 'Cache miss for key product:#', 'cache'],
  ['info', 'Payment authorized', 'order'],
  ['debug', 'Feature flag checkout_v2 evaluated to true', 'user'],
  ['info', 'Inventory reserved', 'order'],
  ['info', 'Session refreshed', 'user'],
  ['debug', 'Executing query on orders', 'db'],
  ['info', 'Email notification queued', 'user'],
  ['warn', 'Slow query detected', 'db'],
  ['info', 'Shipment label printed', 'order'],
  ['warn', 'Retrying call to inventory-service, attempt #', 'none'],
  ['error', 'Connection pool exhausted', 'db'],
  ['info', 'Coupon applied', 'order'],
  ['warn', 'Rate limit approaching for client', 'user'],
  ['error', 'Payment provider returned an error', 'order'],
  ['info', 'Order cancelled by customer', 'order'],
  ['warn', 'Token expired, forcing re-authentication', 'user'],
  ['error', 'Upstream request timed out after # ms', 'none'],
  ['info', 'User logged out', 'user'],
  ['debug', 'Price list reloaded from cache', 'cache'],
  ['info', 'Webhook delivered to merchant', 'order'],
  ['info', 'Background job completed', 'none'],
  ['debug', 'Executing query on payments', 'db'],
  ['info', 'Refund processed', 'order'],
  ['critical', 'Circuit breaker opened for upstream shipping-service', 'none'],
  ['critical', 'Disk usage above 95% on data volume', 'none'],
];

/** Korean messages: [level, template]. `#` is a number slot. */
const KOREAN_MESSAGES: readonly [level: string, text: string][] = [
  ['info', '결제를 요청했습니다 주문번호 #'],
  ['info', '결제 승인 완료 주문번호 #'],
  ['info', '사용자 로그인 성공'],
  ['warn', '사용자 로그인 실패 아이디 user#'],
  ['info', '배송이 시작되었습니다 송장번호 #'],
  ['info', '주문이 접수되었습니다 주문번호 #'],
  ['debug', '장바구니 조회 상품 # 건'],
  ['warn', '재고가 부족합니다 상품코드 #'],
  ['info', '쿠폰이 적용되었습니다 할인 금액 #원'],
  ['info', '회원 가입이 완료되었습니다'],
  ['error', '결제가 실패했습니다 카드 한도 초과'],
  ['info', '주문이 취소되었습니다 사유 고객 요청'],
  ['error', '데이터베이스 연결 시간 초과'],
  ['info', '비밀번호 변경 요청을 처리했습니다'],
  ['debug', '캐시를 갱신했습니다 키 product:#'],
  ['warn', '응답 지연이 감지되었습니다 # ms'],
];

const SYSTEM_MESSAGES: readonly [level: string, service: string, text: string][] = [
  ['info', 'systemd', 'Started Session # of User deploy.'],
  ['info', 'cron', '(root) CMD (run-parts /etc/cron.hourly)'],
  ['debug', 'systemd', 'Reloading configuration for logrotate.service'],
  ['info', 'systemd', 'Finished Daily apt upgrade and clean activities.'],
  ['warn', 'kernel', 'TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies.'],
  ['error', 'kernel', 'Out of memory: Killed process # (java) total-vm:8123456kB'],
  ['error', 'systemd', 'payment-api.service: Main process exited, code=exited, status=1/FAILURE'],
  ['warn', 'kernel', 'nvme0n1: I/O error, dev nvme0n1, sector # op 0x1:(WRITE)'],
];

// ---------------------------------------------------------------------------------------------
// Event rendering

/** Emits events of one data set; `line(i)` is a pure function of (seed, i, count, options). */
export class EventGenerator {
  readonly seed: number;
  readonly count: number;
  readonly startMs: number;
  readonly stepMs: number;
  private readonly rng = new Rng();
  private readonly seedA: number;
  private readonly seedB: number;
  private readonly seedC: number;
  private cachedSec = Number.NaN;
  private isoPrefix = '';
  private clfTime = '';

  constructor(seed: number, count: number, opts: GenerateOptions = {}) {
    if (!Number.isInteger(count) || count < 0 || count >= 2 ** 32) {
      throw new RangeError(`event count must be an integer in [0, 2^32), got ${count}`);
    }
    const hours = opts.hours ?? DEFAULT_HOURS;
    if (!(hours > 0)) throw new RangeError(`hours must be > 0, got ${hours}`);
    const start = opts.start ?? DEFAULT_START;
    this.startMs = typeof start === 'number' ? start : Date.parse(start);
    if (!Number.isFinite(this.startMs))
      throw new RangeError(`cannot parse start time ${JSON.stringify(start)}`);
    this.seed = seed >>> 0;
    this.count = count;
    this.stepMs = count > 0 ? (hours * 3_600_000) / count : 0;
    [this.seedA, this.seedB, this.seedC] = seedWords(seed);
  }

  /** The NDJSON line of event i, without the trailing newline. */
  line(i: number): string {
    const r = this.rng;
    r.s = fmix32(Math.imul(i, 0x9e3779b1) ^ this.seedC) | 0;
    const ms = Math.floor(this.startMs + (i + r.next()) * this.stepMs);
    this.setTime(ms);
    const ts = this.isoPrefix + String(ms % 1000).padStart(3, '0') + 'Z';
    const rid = hex32(fmix32((i ^ this.seedA) >>> 0)) + hex32(fmix32((i + this.seedB) >>> 0) ^ this.seedA);
    const head = `{"@timestamp":"${ts}","level":"`;
    const k = r.next();
    if (k < 0.42) return this.http(r, head, rid);
    if (k < 0.79) return this.app(r, head, rid);
    if (k < 0.87) return this.sshd(r, head, rid);
    if (k < 0.905) return this.java(r, head, rid);
    if (k < 0.955) return this.korean(r, head, rid);
    return this.system(r, head, rid);
  }

  private setTime(ms: number): void {
    const sec = Math.floor(ms / 1000);
    if (sec === this.cachedSec) return;
    this.cachedSec = sec;
    const d = new Date(sec * 1000);
    this.isoPrefix = d.toISOString().slice(0, 20); // 2026-11-21T00:00:05.
    const p2 = (n: number) => String(n).padStart(2, '0');
    this.clfTime =
      `${p2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
      `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
  }

  private http(r: Rng, head: string, rid: string): string {
    const [method, base, idKind] = r.zpick(HTTP_ROUTES);
    let path = base;
    if (idKind === 'n') path += String(1 + r.zipf(200_000));
    else if (idKind === 'q') path += r.zpick(SEARCH_WORDS);
    else if (idKind === 'h') path += hex32(fmix32(r.zipf(50))).slice(0, 8) + '.js';
    const health = base === '/healthz' || base === '/metrics';
    const s = r.next();
    let status: number;
    let level: string;
    if (s < 0.94 || health) {
      status = health ? 200 : r.pick(STATUS_OK);
      level = health ? 'debug' : 'info';
    } else if (s < 0.98) {
      status = r.pick(STATUS_4XX);
      level = 'warn';
    } else {
      status = r.pick(STATUS_5XX);
      level = 'error';
    }
    const duration = Math.round((status >= 500 ? 1000 : 5) * Math.exp(r.next() * 4) * 100) / 100;
    const bytes = status === 204 || status === 304 ? 0 : 200 + r.zipf(60_000);
    const ip = r.chance(0.6)
      ? `10.${r.int(4)}.${r.int(256)}.${1 + r.int(254)}`
      : `${11 + r.zipf(200)}.${r.int(256)}.${r.int(256)}.${1 + r.int(254)}`;
    const ua = r.zpick(USER_AGENTS);
    const host = r.chance(0.7) ? r.zpick(WEB_HOSTS) : r.zpick(API_HOSTS);
    const service = r.zpick(SERVICES);
    const message = `${ip} - - [${this.clfTime}] "${method} ${path} HTTP/1.1" ${status} ${bytes} "-" "${ua}"`;
    return (
      `${head}${level}","host":"${host}","service":"${service}","request_id":"${rid}","message":${JSON.stringify(message)}` +
      `,"method":"${method}","path":${JSON.stringify(path)},"status":${status},"duration_ms":${duration}` +
      `,"bytes":${bytes},"client_ip":"${ip}","user_agent":"${ua}"}`
    );
  }

  private app(r: Rng, head: string, rid: string): string {
    const [level, template, fields] = r.zpick(APP_MESSAGES);
    const message = template.replace('#', String(1 + r.zipf(5000)));
    const host = r.chance(0.75) ? r.zpick(API_HOSTS) : r.zpick(WORKER_HOSTS);
    const service = r.zpick(SERVICES);
    let extra = '';
    const userId = `u-${100000 + r.zipf(900_000)}`;
    if (fields === 'order') {
      const amount = Math.round((5 + r.next() * r.next() * 500) * 100) / 100;
      extra =
        `,"user":{"id":"${userId}"},"order":{"id":"ord-${hex32(fmix32(r.int(2 ** 32)))}"` +
        `,"amount":${amount},"currency":"${r.chance(0.7) ? 'USD' : 'KRW'}","items":${1 + r.zipf(20)}}`;
    } else if (fields === 'user') {
      extra = `,"user":{"id":"${userId}","tier":"${r.zpick(['free', 'silver', 'gold', 'platinum'])}"}`;
    } else if (fields === 'db') {
      const ms = Math.round((level === 'debug' ? 2 : 800) * Math.exp(r.next() * 3) * 100) / 100;
      extra = `,"db":{"table":"${r.zpick(['orders', 'users', 'payments', 'products', 'sessions'])}","duration_ms":${ms}}`;
    } else if (fields === 'cache') {
      extra = `,"cache":{"name":"products","ttl_s":${60 * (1 + r.int(10))}}`;
    }
    return `${head}${level}","host":"${host}","service":"${service}","request_id":"${rid}","message":"${message}"${extra}}`;
  }

  private sshd(r: Rng, head: string, rid: string): string {
    const host = r.chance(0.6) ? r.zpick(BASTION_HOSTS) : r.pick(HOSTS);
    const port = 1024 + r.int(64_000);
    const k = r.next();
    let level = 'info';
    let message: string;
    let user: string;
    let ip: string;
    let result: string;
    if (k < 0.25) {
      ip = r.zpick(ATTACKER_IPS);
      user = r.zpick(ATTACK_USERS);
      const invalid = user !== 'root' && r.chance(0.7);
      message = `Failed password for ${invalid ? 'invalid user ' : ''}${user} from ${ip} port ${port} ssh2`;
      level = 'warn';
      result = 'failure';
    } else if (k < 0.35) {
      ip = r.zpick(ATTACKER_IPS);
      user = r.zpick(ATTACK_USERS);
      message = `Invalid user ${user} from ${ip} port ${port}`;
      level = 'warn';
      result = 'invalid_user';
    } else if (k < 0.45) {
      ip = r.zpick(ATTACKER_IPS);
      user = r.zpick(ATTACK_USERS);
      message = `Disconnected from authenticating user ${user} ${ip} port ${port} [preauth]`;
      result = 'disconnect';
    } else if (k < 0.75) {
      ip = `10.0.${r.int(16)}.${1 + r.int(254)}`;
      user = r.zpick(LEGIT_USERS);
      message = `Accepted publickey for ${user} from ${ip} port ${port} ssh2: ED25519 SHA256:${hex32(fmix32(r.zipf(40)))}`;
      result = 'success';
    } else if (k < 0.8) {
      // The brute-force pattern a SIEM rule looks for: a success from a noisy source.
      ip = r.zpick(ATTACKER_IPS);
      user = r.zpick(ATTACK_USERS);
      message = `Accepted password for ${user} from ${ip} port ${port} ssh2`;
      result = 'success';
    } else {
      ip = `10.0.${r.int(16)}.${1 + r.int(254)}`;
      user = r.zpick(LEGIT_USERS);
      const opened = r.chance(0.5);
      message = `pam_unix(sshd:session): session ${opened ? 'opened' : 'closed'} for user ${user}${opened ? ' by (uid=0)' : ''}`;
      result = opened ? 'session_opened' : 'session_closed';
    }
    return (
      `${head}${level}","host":"${host}","service":"sshd","request_id":"${rid}","message":"${message}"` +
      `,"ssh":{"user":"${user}","result":"${result}"},"source_ip":"${ip}","pid":${1000 + r.int(60_000)}}`
    );
  }

  private java(r: Rng, head: string, rid: string): string {
    const fatal = r.chance(0.08);
    const [cls, detail] = fatal ? r.pick(JAVA_FATAL) : r.zpick(JAVA_EXCEPTIONS);
    const component = r.zpick(JAVA_COMPONENTS);
    const Comp = component[0].toUpperCase() + component.slice(1);
    const top = `${Comp}${r.zpick(JAVA_CLASSES)}`;
    let message = `Unhandled exception in ${top}\n${cls}: ${detail}`;
    const frames = 3 + r.int(4);
    for (let f = 0; f < frames; f++) {
      const c = f === 0 ? top : `${r.zpick(JAVA_COMPONENTS)[0].toUpperCase()}${r.zpick(JAVA_CLASSES)}`;
      message += `\n\tat com.example.${component}.${c}.${r.zpick(JAVA_METHODS)}(${c}.java:${20 + r.zipf(400)})`;
    }
    for (let f = 0, n = 1 + r.int(3); f < n; f++) message += `\n\tat ${r.zpick(FRAMEWORK_FRAMES)}`;
    if (!fatal && r.chance(0.3)) message += '\n\t... 42 common frames omitted';
    const host = r.zpick(API_HOSTS);
    const service = r.zpick(SERVICES);
    return (
      `${head}${fatal ? 'fatal' : 'error'}","host":"${host}","service":"${service}","request_id":"${rid}"` +
      `,"message":${JSON.stringify(message)},"logger":"com.example.${component}.${top}"` +
      `,"thread":"http-nio-8080-exec-${1 + r.int(200)}","exception":{"class":"${cls}"}}`
    );
  }

  private korean(r: Rng, head: string, rid: string): string {
    const [level, template] = r.zpick(KOREAN_MESSAGES);
    const message = template.replace('#', String(10000 + r.zipf(90_000)));
    const host = r.zpick(API_HOSTS);
    const service = r.zpick(SERVICES);
    return (
      `${head}${level}","host":"${host}","service":"${service}","request_id":"${rid}","message":"${message}"` +
      `,"user":{"id":"u-${100000 + r.zipf(900_000)}"},"locale":"ko-KR"}`
    );
  }

  private system(r: Rng, head: string, rid: string): string {
    const [level, service, template] = r.zpick(SYSTEM_MESSAGES);
    const message = template.replace('#', String(1 + r.zipf(100_000)));
    return `${head}${level}","host":"${r.pick(HOSTS)}","service":"${service}","request_id":"${rid}","message":"${message}"}`;
  }
}

/**
 * Calls `onLine(line, i)` for events [opts.from ?? 0, opts.to ?? count) of the data set
 * (seed, count, opts), in order. `line` has no trailing newline.
 */
export function generateEvents(
  seed: number,
  count: number,
  opts: GenerateOptions,
  onLine: (line: string, i: number) => void,
): void {
  const g = new EventGenerator(seed, count, opts);
  const to = Math.min(count, opts.to ?? count);
  for (let i = opts.from ?? 0; i < to; i++) onLine(g.line(i), i);
}

/**
 * The same events as NDJSON text in chunks of about `chunkBytes` UTF-16 code units (each chunk
 * ends with a newline), for streaming into a file or HTTP request bodies with backpressure.
 */
export function* ndjsonChunks(
  seed: number,
  count: number,
  opts: GenerateOptions = {},
  chunkChars = 1 << 20,
): Generator<string, void, void> {
  const g = new EventGenerator(seed, count, opts);
  const to = Math.min(count, opts.to ?? count);
  let chunk = '';
  for (let i = opts.from ?? 0; i < to; i++) {
    chunk += g.line(i) + '\n';
    if (chunk.length >= chunkChars) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

// ---------------------------------------------------------------------------------------------
// CLI

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '42' },
      out: { type: 'string', default: '-' },
      hours: { type: 'string', default: String(DEFAULT_HOURS) },
      start: { type: 'string', default: DEFAULT_START },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'usage: node bench/generate.ts [--events N] [--seed S] [--out FILE|-] [--hours H] [--start RFC3339]\n',
    );
    return;
  }
  const count = Number(values.events.replaceAll('_', ''));
  const seed = Number(values.seed);
  const hours = Number(values.hours);
  if (!Number.isInteger(count) || count < 0) throw new Error(`invalid --events ${values.events}`);
  if (!Number.isInteger(seed)) throw new Error(`invalid --seed ${values.seed}`);
  const opts: GenerateOptions = { hours, start: values.start };
  const toStdout = values.out === '-';
  if (!toStdout) mkdirSync(dirname(values.out), { recursive: true });
  const out = toStdout ? process.stdout : createWriteStream(values.out, { highWaterMark: 8 << 20 });
  const t0 = performance.now();
  let lastReport = t0;
  let done = 0;
  let bytes = 0;
  const progress = (final: boolean) => {
    const s = (performance.now() - t0) / 1000;
    const pct = count > 0 ? ((100 * done) / count).toFixed(1) : '100.0';
    process.stderr.write(
      `\rgenerated ${done.toLocaleString('en-US')} / ${count.toLocaleString('en-US')} events (${pct}%)` +
        `, ${Math.round(done / s / 1000)}k events/s, ${(bytes / s / 1e6).toFixed(0)} MB/s` +
        `, ${(bytes / Math.max(1, done)).toFixed(0)} B/event${final ? '\n' : ''}`,
    );
  };
  const g = new EventGenerator(seed, count, opts);
  let chunk = '';
  for (let i = 0; i < count; i++) {
    chunk += g.line(i) + '\n';
    if (chunk.length >= 4 << 20 || i === count - 1) {
      const buf = Buffer.from(chunk, 'utf8');
      chunk = '';
      bytes += buf.length;
      done = i + 1;
      if (!out.write(buf)) await once(out, 'drain');
      const now = performance.now();
      if (now - lastReport > 1000) {
        lastReport = now;
        progress(false);
      }
    }
  }
  if (!toStdout) {
    out.end();
    await once(out, 'finish');
  }
  progress(true);
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    process.stderr.write(`generate: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
