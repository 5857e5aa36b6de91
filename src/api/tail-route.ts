/**
 * Live tail: `GET /api/v1/tail?q=FILTER[&since=TIME&limit=N]` streams the events that match, as
 * the store gets them (the indexer publishes each stored batch to the TailHub), as Server-Sent
 * Events, or as WebSocket messages when the request is a WebSocket upgrade (`ws` package, on the
 * HTTP server's `upgrade` event).
 *
 * Protocol (SSE event name / WebSocket `type`):
 * - `ready` `{"query", "history"}` once the tail is subscribed: everything stored from then on is
 *   delivered. With `since`, the newest `limit` (default 100) stored events matching the filter
 *   with `_time >= since` come first (oldest first), without duplicates with the live events.
 * - each event: SSE `id: <_id>` + `data: <event JSON>` (the search API's event shape); WebSocket
 *   `{"type": "event", "event": {...}}`.
 * - `dropped` `{"dropped": n, "total": m}`: n events were left out since the last message
 *   because the client read too slowly (its queue of `tail.bufferEvents` events was full).
 * - heartbeat every `tail.heartbeatSeconds`: an SSE comment, or `{"type": "heartbeat"}`.
 * Errors before streaming starts are ordinary JSON answers: 400 for a bad filter (a query with
 * pipes names the position of the first `|`), 429 beyond `tail.maxClients` open tails.
 */
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessInfo } from './audit/audit-routes.ts';
import { type WebSocket, WebSocketServer } from 'ws';
import { LwError } from '../core/errors.ts';
import { toOutputEvent, type TailHub, type TailSubscription } from '../processors/tail-hub.ts';
import { compileMatcher } from '../query/match.ts';
import { parseFilter } from '../query/parser.ts';
import type { Store } from '../store/store.ts';
import type { Authenticator } from './auth/authenticator.ts';
import type { StreamList } from './auth/permissions.ts';
import { authorizeRaw } from './auth/route-guard.ts';
import { restrictToStreams } from './auth/stream-filter.ts';
import { crossSiteRefusal } from './csrf.ts';
import { MAX_LIMIT } from './search-route.ts';
import { parseTimeParam } from './time-params.ts';

export const TAIL_PATH = '/api/v1/tail';
/** Bytes buffered in a socket above which a tail stops writing until it drains. */
const HIGH_WATER = 256 * 1024;

export interface TailDeps {
  hub: TailHub;
  store: Store;
  maxClients: number;
  bufferEvents: number;
  heartbeatSeconds: number;
  isShuttingDown: () => boolean;
  /** Authenticates WebSocket upgrades (null: authentication disabled). */
  auth: Authenticator | null;
  /** Called once a tail starts streaming (the audit trail records who tails what). */
  onOpen?: (req: FastifyRequest | IncomingMessage, access: AccessInfo) => void;
}

/** What a tail writes to, SSE or WebSocket. */
interface Transport {
  /** Writes one message; false once the socket's buffer is over the high-water mark. */
  send(type: string, data: unknown, id?: string): boolean;
  /** Calls `fn` once the socket can take more. */
  onDrain(fn: () => void): void;
  heartbeat(): void;
  end(): void;
}

interface TailRequest {
  query: string;
  matcher: ReturnType<typeof compileMatcher>;
  filter: ReturnType<typeof parseFilter>;
  since: number | null;
  limit: number;
}

/** Validates the parameters; throws LwError (400) before anything is streamed. */
function parseTailRequest(params: Record<string, unknown>, streams: StreamList): TailRequest {
  const query = params.q === undefined || params.q === null ? '' : String(params.q);
  const now = Date.now();
  const filter = restrictToStreams(parseFilter(query, { now }), streams);
  const matcher = compileMatcher(filter);
  const since = parseTimeParam('since', params.since, now);
  let limit = 100;
  if (params.limit !== undefined && params.limit !== '') {
    limit = Number(params.limit);
    if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT)
      throw new LwError('LW_ERR_BAD_PARAM', ['limit', `expected an integer from 0 to ${MAX_LIMIT}`]);
  }
  return { query, matcher, filter, since, limit };
}

/** One open tail: moves events from its subscription to its transport, respecting backpressure. */
class TailSession {
  private readonly sub: TailSubscription;
  private readonly t: Transport;
  private readonly heartbeat: NodeJS.Timeout;
  /** Ids sent as history, so that the same events arriving live are not sent twice. */
  private seen: Set<string> | null = null;
  private waiting = false;
  private scheduled = false;
  private started = false;
  private droppedTotal = 0;
  closed = false;

  constructor(sub: TailSubscription, t: Transport, heartbeatMs: number) {
    this.sub = sub;
    this.t = t;
    // Publish runs inside the indexer's write loop: never write to sockets from there.
    sub.onReady = () => this.schedule();
    this.heartbeat = setInterval(() => this.t.heartbeat(), heartbeatMs);
  }

  async start(deps: TailDeps, r: TailRequest): Promise<void> {
    let history: Array<Record<string, unknown>> = [];
    if (r.since !== null && r.limit > 0) {
      const res = await deps.store.search({
        filter: r.filter,
        start: r.since,
        end: null,
        limit: r.limit,
        order: 'desc',
      });
      history = res.events.reverse();
      this.seen = new Set(history.map((e) => String(e._id)));
    }
    if (this.closed) return;
    this.t.send('ready', { query: r.query, history: history.length });
    for (const ev of history) this.t.send('event', ev, String(ev._id));
    this.started = true;
    this.flush();
  }

  private schedule(): void {
    if (this.scheduled || this.waiting || !this.started || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.closed || this.waiting) return;
    const { events, dropped } = this.sub.take();
    if (dropped > 0) {
      this.droppedTotal += dropped;
      this.t.send('dropped', { dropped, total: this.droppedTotal });
    }
    let writable = true;
    for (const ev of events) {
      if (this.seen?.has(ev._id)) continue;
      writable = this.t.send('event', toOutputEvent(ev), ev._id);
    }
    if (!writable) {
      this.waiting = true;
      this.t.onDrain(() => {
        this.waiting = false;
        this.flush();
      });
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.t.end();
  }
}

function sseTransport(res: ServerResponse): Transport {
  return {
    send(type, data, id) {
      const head = type === 'event' ? `id: ${id}\n` : `event: ${type}\n`;
      return res.write(`${head}data: ${JSON.stringify(data)}\n\n`);
    },
    onDrain(fn) {
      res.once('drain', fn);
    },
    heartbeat() {
      if (res.writableLength < HIGH_WATER) res.write(`: heartbeat ${new Date().toISOString()}\n\n`);
    },
    end() {
      res.end();
    },
  };
}

function wsTransport(ws: WebSocket): Transport {
  let drainFn: (() => void) | null = null;
  const sent = () => {
    if (drainFn !== null && ws.bufferedAmount < HIGH_WATER) {
      const fn = drainFn;
      drainFn = null;
      fn();
    }
  };
  return {
    send(type, data) {
      const msg = type === 'event' ? { type, event: data } : { type, ...(data as object) };
      ws.send(JSON.stringify(msg), sent);
      return ws.bufferedAmount < HIGH_WATER;
    },
    onDrain(fn) {
      drainFn = fn;
      sent();
    },
    heartbeat() {
      if (ws.bufferedAmount < HIGH_WATER)
        ws.send(JSON.stringify({ type: 'heartbeat', time: new Date().toISOString() }));
    },
    end() {
      ws.close(1001, 'server closing');
    },
  };
}

/** An HTTP error answer on a socket that asked for a WebSocket upgrade. */
function refuseUpgrade(socket: Duplex, err: LwError): void {
  const body = JSON.stringify(err.toJSON());
  socket.end(
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export function registerTail(app: FastifyInstance, deps: TailDeps): void {
  const sessions = new Set<TailSession>();
  const heartbeatMs = deps.heartbeatSeconds * 1000;

  /** Validates, checks the cap and subscribes; the caller starts the session on its transport. */
  const open = (params: Record<string, unknown>, streams: StreamList) => {
    if (deps.isShuttingDown()) throw new LwError('LW_ERR_SHUTTING_DOWN');
    const r = parseTailRequest(params, streams);
    if (deps.hub.size >= deps.maxClients) throw new LwError('LW_ERR_TOO_MANY_TAILS', [deps.hub.size]);
    return r;
  };
  const run = (
    req: FastifyRequest | IncomingMessage,
    r: TailRequest,
    t: Transport,
    onClose: (fn: () => void) => void,
  ) => {
    deps.onOpen?.(req, {
      kind: 'tail',
      query: r.query,
      start: r.since,
      end: null,
      filter: r.filter,
      results: 0,
    });
    const sub = deps.hub.subscribe(r.matcher, deps.bufferEvents);
    const s = new TailSession(sub, t, heartbeatMs);
    sessions.add(s);
    onClose(() => {
      deps.hub.unsubscribe(sub);
      sessions.delete(s);
      s.close();
    });
    s.start(deps, r).catch((err) => {
      app.log.error({ err: String(err) }, 'tail history failed');
      s.close();
    });
  };

  app.get(TAIL_PATH, { config: { permission: 'search' } }, async (req, reply) => {
    const r = open(req.query as Record<string, unknown>, req.lwStreams);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    res.flushHeaders();
    run(req, r, sseTransport(res), (fn) => res.once('close', fn));
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  app.server.on('upgrade', async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== TAIL_PATH) {
      refuseUpgrade(socket, new LwError('LW_ERR_NOT_FOUND', [`WebSocket ${url.pathname}`]));
      return;
    }
    let r: TailRequest;
    try {
      // Upgrades bypass Fastify's hooks: refuse other sites' pages and authorise here.
      const crossSite = crossSiteRefusal(req.headers, deps.auth === null);
      if (crossSite !== null) throw new LwError('LW_ERR_CSRF', [crossSite]);
      const principal = await authorizeRaw(deps.auth, req, 'search');
      r = open(Object.fromEntries(url.searchParams), principal.streams);
    } catch (err) {
      refuseUpgrade(socket, err instanceof LwError ? err : new LwError('LW_ERR_INTERNAL', ['tail']));
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => ws.terminate());
      run(req, r, wsTransport(ws), (fn) => ws.once('close', fn));
    });
  });

  app.addHook('preClose', async () => {
    for (const s of sessions) s.close();
    wss.close();
  });
}
