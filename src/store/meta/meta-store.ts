/**
 * The metadata store interface: small collections of JSON documents (saved searches, streams,
 * pipelines, users...) that must survive restarts and, in cluster mode, be shared by every node.
 * One node uses SQLite (sqlite-meta-store.ts); a PostgreSQL implementation can follow with the
 * same contract.
 *
 * Contract:
 * - A document is addressed by (kind, id). Each has a `version` that starts at 1 and grows by one
 *   on every successful put, and `created` / `updated` times (epoch milliseconds).
 * - `put` with `ifVersion` is optimistic concurrency: it succeeds only when the stored version is
 *   that number (0 = the document must not exist yet); otherwise it throws LwError
 *   `LW_ERR_CONFLICT` (HTTP 409) and changes nothing. Without `ifVersion` it creates or replaces.
 * - `unique` names top-level string fields of the document that no other document of the same
 *   kind may hold with the same value (`name` for saved searches); a clash throws
 *   `LW_ERR_CONFLICT` naming the field. The check and the write are one atomic step.
 * - Every write is durable when its promise resolves. Documents are plain JSON: the caller owns
 *   the returned objects (they are fresh copies).
 */

export interface MetaRecord<T = unknown> {
  kind: string;
  id: string;
  version: number;
  /** Epoch milliseconds. */
  created: number;
  /** Epoch milliseconds. */
  updated: number;
  doc: T;
}

export interface PutOptions {
  /** The version the stored document must have (0: must not exist). */
  ifVersion?: number;
  /** Top-level string fields whose values must be unique within the kind. */
  unique?: readonly string[];
}

export interface MetaStore {
  /** Every document of a kind, ordered by id. */
  list<T = unknown>(kind: string): Promise<Array<MetaRecord<T>>>;
  get<T = unknown>(kind: string, id: string): Promise<MetaRecord<T> | null>;
  /** The document of a kind whose top-level `field` equals `value` (first by id), or null. */
  findBy<T = unknown>(kind: string, field: string, value: string): Promise<MetaRecord<T> | null>;
  put<T = unknown>(kind: string, id: string, doc: T, opts?: PutOptions): Promise<MetaRecord<T>>;
  /** Deletes a document; false when it did not exist. `ifVersion` as for `put`. */
  delete(kind: string, id: string, opts?: { ifVersion?: number }): Promise<boolean>;
  close(): Promise<void>;
}
