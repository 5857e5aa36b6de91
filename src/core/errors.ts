/**
 * The error catalogue: every error a client can see has a stable `LW_ERR_*` code, a message
 * template and an HTTP status. A broken invariant is not in here: it throws `BUG: ...`.
 */

export interface ErrorSpec {
  status: number;
  message: string;
}

export const ERRORS = {
  LW_ERR_BAD_REQUEST: { status: 400, message: 'bad request: %s' },
  LW_ERR_QUERY_SYNTAX: { status: 400, message: 'cannot parse query at position %s: %s' },
  LW_ERR_BAD_TIME: { status: 400, message: 'cannot parse time %s' },
  LW_ERR_BAD_PARAM: { status: 400, message: 'invalid parameter %s: %s' },
  LW_ERR_UNAUTHENTICATED: { status: 401, message: 'authentication required: %s' },
  LW_ERR_FORBIDDEN: { status: 403, message: 'forbidden: %s' },
  LW_ERR_PASSWORD_CHANGE_REQUIRED: {
    status: 403,
    message: 'change your password first (POST /api/v1/auth/password), then retry %s',
  },
  LW_ERR_LOGIN_LOCKED: { status: 429, message: 'too many failed sign-ins; retry after %s seconds' },
  LW_ERR_OIDC_FAILED: { status: 401, message: 'OpenID Connect sign-in failed: %s' },
  LW_ERR_OIDC_PROVIDER: { status: 502, message: 'the identity provider cannot be used: %s' },
  LW_ERR_NOT_FOUND: { status: 404, message: 'not found: %s' },
  LW_ERR_CONFLICT: { status: 409, message: 'conflict: %s' },
  LW_ERR_READ_ONLY: {
    status: 409,
    message:
      '%s is defined in the config file and is read-only through the API; change it in the config file',
  },
  LW_ERR_BODY_TOO_LARGE: { status: 413, message: 'request body exceeds the limit of %s bytes' },
  LW_ERR_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'unsupported content type %s; use application/x-ndjson, application/json or text/plain',
  },
  LW_ERR_UNSUPPORTED_ENCODING: {
    status: 415,
    message: 'unsupported content encoding %s; use gzip, deflate or zstd',
  },
  LW_ERR_BAD_ENCODING: { status: 400, message: 'cannot decode %s body: %s' },
  LW_ERR_QUEUE_FULL: { status: 429, message: 'queue is full (%s bytes); retry later' },
  LW_ERR_TOO_MANY_TAILS: { status: 429, message: 'too many live tails (%s open); close one or retry later' },
  LW_ERR_RATE_LIMITED: {
    status: 429,
    message: 'too many requests from this %s; retry after %s seconds',
  },
  LW_ERR_CSRF: { status: 403, message: 'cross-site request refused: %s' },
  LW_ERR_DISK_FULL: { status: 507, message: 'no space left on device while writing %s' },
  LW_ERR_QUEUE_UNAVAILABLE: { status: 503, message: 'queue unavailable: %s; retry later' },
  LW_ERR_SHUTTING_DOWN: { status: 503, message: 'server is shutting down' },
  LW_ERR_CONFIG: { status: 500, message: 'invalid configuration: %s' },
  LW_ERR_PIPELINE: { status: 400, message: 'invalid pipeline%s: %s' },
  LW_ERR_INTERNAL: { status: 500, message: 'internal error: %s' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** An error meant for a client: code, HTTP status and a message with the details. */
export class LwError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra structured details for the client (position, expected, line...). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, args: Array<string | number> = [], details?: Record<string, unknown>) {
    const spec: ErrorSpec = ERRORS[code];
    let i = 0;
    const message = spec.message.replace(/%s/g, () => String(args[i++] ?? ''));
    super(message);
    this.name = 'LwError';
    this.code = code;
    this.status = spec.status;
    this.details = details;
  }

  toJSON(): Record<string, unknown> {
    return { error: this.message, code: this.code, ...this.details };
  }
}

/** Throws for a broken invariant: a bug in logwarden, never bad input. */
export function bug(message: string): never {
  throw new Error(`BUG: ${message}`);
}
