/**
 * The authenticated caller of a request: a user (by session cookie), an API token, or, when
 * authentication is disabled, `ANONYMOUS_ADMIN` (every permission, every stream; such a server
 * only listens on loopback addresses).
 */
import type { AuditActor } from '../audit/audit-log.ts';
import { PERMISSIONS, type Permission, type Role, type StreamList } from './permissions.ts';

export interface Principal {
  type: 'user' | 'token' | 'anonymous';
  /** User name, token id, or `anonymous`. */
  id: string;
  /** What to show: the user name, or the token's name. */
  name: string;
  /** The user's role; for a token, its owner's (null when it has none). */
  role: Role | null;
  /** For a token: its owner's user name (null for a bootstrap token). */
  owner: string | null;
  permissions: ReadonlySet<Permission>;
  /** Streams it may read and write; null: all. */
  streams: StreamList;
  /** A user who must change the password before anything else (first login of `admin`). */
  mustChangePassword: boolean;
}

export const ANONYMOUS_ADMIN: Principal = {
  type: 'anonymous',
  id: 'anonymous',
  name: 'anonymous',
  role: 'admin',
  owner: null,
  permissions: new Set(PERMISSIONS),
  streams: null,
  mustChangePassword: false,
};

export function auditActor(p: Principal): AuditActor {
  return { type: p.type, id: p.id, name: p.name };
}
