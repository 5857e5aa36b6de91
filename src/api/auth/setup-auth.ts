/**
 * Wires authentication into the app: the route guard (must come before any route), the sign-in,
 * user and token routes, and (after the server listens) the first-start bootstrap. With
 * `auth.enabled: false` only the guard's declarations are enforced and every caller is the
 * anonymous admin; the start-up log says so.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../../core/config.ts';
import type { MetaStore } from '../../store/meta/meta-store.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { registerAccountRoutes } from './accounts-routes.ts';
import { Authenticator } from './authenticator.ts';
import { bootstrap, bootstrapMessage } from './bootstrap.ts';
import { registerOidcRoutes } from './oidc-routes.ts';
import { type GuardedRoute, registerRouteGuard } from './route-guard.ts';
import { registerSessionRoutes } from './session-routes.ts';

export interface AuthSetup {
  auth: Authenticator | null;
  routes: GuardedRoute[];
  /** Tells the terminal what the first start created, once the server listens at `httpUrl`. */
  afterListen(httpUrl: string): void;
  close(): void;
}

/** Registers the guard and the auth routes and runs the first-start bootstrap (before listening). */
export async function setupAuth(
  app: FastifyInstance,
  config: Config,
  meta: MetaStore,
  audit: AuditLog,
  logger: Logger,
): Promise<AuthSetup> {
  const c = config.auth;
  const auth = c.enabled
    ? new Authenticator(
        meta,
        {
          sessionIdleMs: c.sessionIdleMinutes * 60_000,
          sessionAbsoluteMs: c.sessionMaxHours * 3_600_000,
          lockoutThreshold: c.lockout.threshold,
          lockoutBaseMs: c.lockout.baseSeconds * 1000,
          lockoutMaxMs: c.lockout.maxSeconds * 1000,
        },
        audit,
      )
    : null;
  const { routes } = registerRouteGuard(app, auth);
  registerSessionRoutes(app, { auth, sessionMaxSeconds: Math.round(c.sessionMaxHours * 3600), routes });
  registerAccountRoutes(app, auth);
  registerOidcRoutes(app, { auth, config: c.oidc, sessionMaxSeconds: Math.round(c.sessionMaxHours * 3600) });
  const first =
    auth === null
      ? ({ kind: 'none' } as const)
      : await bootstrap(auth.accounts, {
          tokenFile: c.bootstrapTokenFile,
          envToken: process.env.LOGWARDEN_BOOTSTRAP_TOKEN,
          logger,
        });
  if (first.kind !== 'none')
    audit.record({
      actor: { type: 'system', id: 'bootstrap', name: 'bootstrap' },
      action: first.kind === 'admin' ? 'user.create' : 'token.create',
      target: first.kind === 'admin' ? 'admin' : 'bootstrap',
      outcome: 'success',
      details: { role: 'admin', first_start: true },
    });
  return {
    auth,
    routes,
    afterListen(httpUrl) {
      if (auth === null)
        logger.warn(
          {},
          'authentication is disabled (auth.enabled: false): every request has full access; only loopback addresses may be bound',
        );
      // The terminal, never the logger: the password must not reach log files.
      if (first.kind === 'admin') process.stdout.write(bootstrapMessage(first.password, httpUrl));
    },
    close() {
      auth?.close();
    },
  };
}
