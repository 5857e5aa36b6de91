/**
 * The audit trail's contract (issue 7): who did what to which target, and how it ended.
 *
 * `record` never blocks and never throws: it stamps the entry with the current time and queues it;
 * the implementation appends it to a hash-chained, fsync'ed log soon after (within a second).
 * Callers that must not answer before the record is durable (changes to users, roles, tokens,
 * streams, pipelines, saved searches, retention, alerts) await `flush()` after `record`.
 * Secrets (passwords, token values) never go into an entry; `details` holds small JSON values.
 */

export type AuditActorType = 'user' | 'token' | 'system' | 'anonymous';

export interface AuditActor {
  type: AuditActorType;
  id: string;
  name: string;
}

export interface AuditEntry {
  actor: AuditActor;
  /** Dotted verb, e.g. `auth.login`, `search`, `export`, `stream.create`, `token.revoke`. */
  action: string;
  /** What the action was about: a stream, user, token id, pipeline, ... */
  target?: string;
  outcome: 'success' | 'failure';
  details?: Record<string, unknown>;
  ip?: string;
}

export interface AuditLog {
  /** Queues the entry (non-blocking, never throws); durable within a second. */
  record(entry: AuditEntry): void;
  /** Resolves once every entry recorded before the call is durable on disk. */
  flush(): Promise<void>;
}
