/**
 * The single-node metadata store: `<dataDir>/meta.sqlite` through Node's built-in `node:sqlite`
 * (no dependency), in WAL mode with synchronous=FULL so that a resolved write survives a power
 * loss. One table of JSON documents keyed by (kind, id); see meta-store.ts for the contract.
 *
 * node:sqlite is synchronous: each call holds the main thread for one small transaction (tens of
 * microseconds plus an fsync on commit). That suits metadata, which changes rarely; hot paths
 * must cache what they read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { LwError } from '../../core/errors.ts';
import type { MetaRecord, MetaStore, PutOptions } from './meta-store.ts';

export const META_FILE = 'meta.sqlite';

interface Row {
  kind: string;
  id: string;
  version: number;
  created: number;
  updated: number;
  doc: string;
}

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function toRecord<T>(r: Row): MetaRecord<T> {
  return {
    kind: r.kind,
    id: r.id,
    version: r.version,
    created: r.created,
    updated: r.updated,
    doc: JSON.parse(r.doc) as T,
  };
}

function jsonPath(field: string): string {
  if (!FIELD_NAME.test(field))
    throw new Error(`BUG: unsupported metadata field name ${JSON.stringify(field)}`);
  return `$.${field}`;
}

export class SqliteMetaStore implements MetaStore {
  private readonly db: DatabaseSync;
  private readonly stmts: {
    list: StatementSync;
    get: StatementSync;
    upsert: StatementSync;
    del: StatementSync;
  };

  /** Opens (creating when needed) `<dir>/meta.sqlite`. */
  constructor(dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    this.db = new DatabaseSync(path.join(dir, META_FILE));
    this.db.exec('PRAGMA journal_mode = WAL');
    this.db.exec('PRAGMA synchronous = FULL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS docs (
      kind TEXT NOT NULL,
      id TEXT NOT NULL,
      version INTEGER NOT NULL,
      created INTEGER NOT NULL,
      updated INTEGER NOT NULL,
      doc TEXT NOT NULL,
      PRIMARY KEY (kind, id)
    ) WITHOUT ROWID`);
    this.stmts = {
      list: this.db.prepare('SELECT * FROM docs WHERE kind = ? ORDER BY id'),
      get: this.db.prepare('SELECT * FROM docs WHERE kind = ? AND id = ?'),
      upsert: this.db.prepare(
        'INSERT OR REPLACE INTO docs (kind, id, version, created, updated, doc) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      del: this.db.prepare('DELETE FROM docs WHERE kind = ? AND id = ?'),
    };
  }

  async list<T = unknown>(kind: string): Promise<Array<MetaRecord<T>>> {
    return (this.stmts.list.all(kind) as unknown as Row[]).map((r) => toRecord<T>(r));
  }

  async get<T = unknown>(kind: string, id: string): Promise<MetaRecord<T> | null> {
    const r = this.stmts.get.get(kind, id) as unknown as Row | undefined;
    return r === undefined ? null : toRecord<T>(r);
  }

  async findBy<T = unknown>(kind: string, field: string, value: string): Promise<MetaRecord<T> | null> {
    const r = this.db
      .prepare('SELECT * FROM docs WHERE kind = ? AND json_extract(doc, ?) = ? ORDER BY id LIMIT 1')
      .get(kind, jsonPath(field), value) as unknown as Row | undefined;
    return r === undefined ? null : toRecord<T>(r);
  }

  async put<T = unknown>(kind: string, id: string, doc: T, opts: PutOptions = {}): Promise<MetaRecord<T>> {
    const text = JSON.stringify(doc);
    return this.transaction(() => {
      const cur = this.stmts.get.get(kind, id) as unknown as Row | undefined;
      checkVersion(kind, id, cur, opts.ifVersion);
      for (const field of opts.unique ?? []) {
        const v = (doc as Record<string, unknown>)[field];
        if (typeof v !== 'string') continue;
        const clash = this.db
          .prepare('SELECT id FROM docs WHERE kind = ? AND id <> ? AND json_extract(doc, ?) = ? LIMIT 1')
          .get(kind, id, jsonPath(field), v) as { id: string } | undefined;
        if (clash !== undefined)
          throw new LwError('LW_ERR_CONFLICT', [`another ${kind} already has ${field} ${JSON.stringify(v)}`]);
      }
      const now = Date.now();
      const row: Row = {
        kind,
        id,
        version: (cur?.version ?? 0) + 1,
        created: cur?.created ?? now,
        updated: now,
        doc: text,
      };
      this.stmts.upsert.run(row.kind, row.id, row.version, row.created, row.updated, row.doc);
      return toRecord<T>(row);
    });
  }

  async delete(kind: string, id: string, opts: { ifVersion?: number } = {}): Promise<boolean> {
    return this.transaction(() => {
      const cur = this.stmts.get.get(kind, id) as unknown as Row | undefined;
      checkVersion(kind, id, cur, opts.ifVersion);
      if (cur === undefined) return false;
      this.stmts.del.run(kind, id);
      return true;
    });
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }

  /** Runs `fn` in one write transaction (BEGIN IMMEDIATE ... COMMIT), rolled back if it throws. */
  private transaction<R>(fn: () => R): R {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const r = fn();
      this.db.exec('COMMIT');
      return r;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }
}

function checkVersion(kind: string, id: string, cur: Row | undefined, ifVersion: number | undefined): void {
  if (ifVersion === undefined) return;
  const have = cur?.version ?? 0;
  if (have !== ifVersion) {
    throw new LwError('LW_ERR_CONFLICT', [
      have === 0
        ? `${kind} ${JSON.stringify(id)} does not exist (expected version ${ifVersion})`
        : `${kind} ${JSON.stringify(id)} is at version ${have}, not ${ifVersion}`,
    ]);
  }
}
