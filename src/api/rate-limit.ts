/**
 * Request rate limits (`http.rateLimit`): one token bucket per client IP address (an IPv6 client
 * counts per /64 network, what one host usually gets) and one per API token
 * (`Authorization`, keyed by a hash of it, so the map never holds a secret). A request
 * takes one token from each bucket that applies; an empty bucket answers 429 LW_ERR_RATE_LIMITED
 * with `Retry-After` (whole seconds until a token is back). The check runs first, in `onRequest`,
 * so a refused request costs no authentication or parsing. `/healthz` is never limited (load
 * balancers and orchestrators probe it). Each map keeps at most `maxKeys` buckets, dropping the
 * least recently used (which then starts again with a full bucket).
 */
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { LwError } from '../core/errors.ts';

export interface BucketSpec {
  /** Tokens added per second; 0 disables the limit. */
  rate: number;
  /** Bucket size. */
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets by key, least recently used first in the map. */
export class TokenBuckets {
  private readonly spec: BucketSpec;
  private readonly maxKeys: number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(spec: BucketSpec, maxKeys = 100_000) {
    this.spec = spec;
    this.maxKeys = maxKeys;
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Takes a token for `key` at `nowMs`: 0 when granted, else the seconds until one is back. */
  take(key: string, nowMs: number): number {
    const { rate, burst } = this.spec;
    let b = this.buckets.get(key);
    if (b === undefined) {
      b = { tokens: burst, at: nowMs };
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    } else {
      this.buckets.delete(key);
      b.tokens = Math.min(burst, b.tokens + (Math.max(0, nowMs - b.at) / 1000) * rate);
      b.at = nowMs;
    }
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / rate));
  }
}

/** The bucket key of a client address: IPv4 as is (also when IPv4-mapped), IPv6 by /64. */
export function clientKey(ip: string): string {
  if (ip.startsWith('::ffff:') && ip.includes('.')) return ip.slice(7);
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, '').toLowerCase())
    .join(':')}::/64`;
}

/**
 * The bucket key of a request's credentials (`Authorization`: Bearer, or a token sent as Basic
 * or ApiKey by a shipper), or null when it has none.
 */
export function tokenKey(authorization: string | undefined): string | null {
  const value = authorization?.trim().replace(/\s+/, ' ');
  if (value === undefined || value === '') return null;
  return createHash('sha256').update(value).digest('base64url').slice(0, 22);
}

export interface RateLimitOptions {
  client: BucketSpec;
  token: BucketSpec;
  /** Called for each refused request (metrics). */
  onLimited?: (by: 'client' | 'token') => void;
}

export function registerRateLimit(app: FastifyInstance, opts: RateLimitOptions): void {
  const clients = opts.client.rate > 0 ? new TokenBuckets(opts.client) : null;
  const tokens = opts.token.rate > 0 ? new TokenBuckets(opts.token) : null;
  if (clients === null && tokens === null) return;
  app.addHook('onRequest', async (req, reply) => {
    if (req.url === '/healthz' || req.url.startsWith('/healthz?')) return;
    const now = Date.now();
    let by: 'client' | 'token' = 'client';
    let wait = clients === null ? 0 : clients.take(clientKey(req.ip), now);
    const key = tokens === null ? null : tokenKey(req.headers.authorization);
    if (wait === 0 && key !== null) {
      by = 'token';
      wait = tokens!.take(key, now);
    }
    if (wait === 0) return;
    opts.onLimited?.(by);
    return reply
      .code(429)
      .header('retry-after', String(wait))
      .send(
        new LwError('LW_ERR_RATE_LIMITED', [by === 'client' ? 'client address' : 'API token', wait]).toJSON(),
      );
  });
}
