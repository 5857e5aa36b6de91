/**
 * HTTPS for the API server (`http.tls`): the certificate and key files (and an optional CA that
 * client certificates must chain to, mutual TLS) become Fastify's `https` options, TLS 1.2 is the
 * oldest protocol accepted, and the files are watched so that a renewed certificate is used for
 * new connections without a restart (`server.setSecureContext`). Loading and watching reuse the
 * socket receivers' src/sources/net/tls-files.ts: a file that cannot be used at start is
 * LW_ERR_CONFIG naming it; a failed reload is logged and the previous certificate stays.
 */
import type http from 'node:http';
import type https from 'node:https';
import type { SecureVersion } from 'node:tls';
import { type Config, isLoopback, splitHostPort } from '../core/config.ts';
import { loadTlsFiles, watchTlsFiles } from '../sources/net/tls-files.ts';
import type { ListenerLogger } from '../sources/net/remote.ts';

export type HttpTlsConfig = Config['http']['tls'];

export const MIN_TLS_VERSION: SecureVersion = 'TLSv1.2';
const WHAT = 'http.tls';

/** Fastify's `https` option: null for plain HTTP. Throws LW_ERR_CONFIG when a file is unusable. */
export function httpsOptions(tls: HttpTlsConfig): https.ServerOptions | null {
  if (tls === null) return null;
  return {
    ...loadTlsFiles(tls, WHAT),
    minVersion: MIN_TLS_VERSION,
    ...(tls.ca !== null ? { requestCert: true, rejectUnauthorized: true } : {}),
  };
}

/**
 * Re-reads the certificate files when they change and swaps them into the running HTTPS server;
 * watching stops when the server closes. Nothing to do for plain HTTP.
 */
export function reloadCertificateOnChange(
  server: http.Server,
  tls: HttpTlsConfig,
  logger: ListenerLogger,
  intervalMs?: number,
): void {
  if (tls === null) return;
  const secure = server as https.Server;
  const stop = watchTlsFiles(
    tls,
    WHAT,
    logger,
    (options) => secure.setSecureContext({ ...options, minVersion: MIN_TLS_VERSION }),
    intervalMs,
  );
  server.once('close', stop);
}

/** Logs a warning when the API listens on a non-loopback address in plain HTTP. */
export function warnIfPlainHttpExposed(http: Config['http'], logger: ListenerLogger): void {
  if (http.tls !== null || isLoopback(splitHostPort(http.listen).host)) return;
  logger.warn(
    { listen: http.listen },
    'the HTTP API is reachable from other machines without TLS: passwords, tokens and logs cross the network in clear text; set http.tls',
  );
}
