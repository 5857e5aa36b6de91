/**
 * Security headers on every HTTP answer, errors, 404s and the hijacked streams of live tail
 * included: they are set on the raw response in the first hook (`onRequest`), and Node merges
 * them into whatever `writeHead` later sends. Log lines are attacker-controlled, so nothing this
 * server answers may run as a page: the Content-Security-Policy allows no inline script (and no
 * script from anywhere but this origin), framing is refused, MIME sniffing is off (a JSON or
 * text answer is never taken for HTML), and answers are not cached (they hold sensitive logs).
 * With TLS on, Strict-Transport-Security tells browsers to use HTTPS only (OWASP Secure Headers).
 */
import type { FastifyInstance } from 'fastify';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** One year; no includeSubDomains: a log server does not decide for its sibling hosts. */
export const HSTS = 'max-age=31536000';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
  'cache-control': 'no-store',
};

export function registerSecurityHeaders(app: FastifyInstance, opts: { tls: boolean }): void {
  const headers = Object.entries(
    opts.tls ? { ...SECURITY_HEADERS, 'strict-transport-security': HSTS } : SECURITY_HEADERS,
  );
  app.addHook('onRequest', (_req, reply, done) => {
    for (const [name, value] of headers) reply.raw.setHeader(name, value);
    done();
  });
}
