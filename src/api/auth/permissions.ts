/**
 * Who may do what. Every HTTP route declares one permission (or `public`); a principal holds a
 * set of permissions from its role (users) or its scopes (API tokens), and a stream allow-list.
 *
 * Roles (users):
 * - admin: everything, including users, tokens and metrics.
 * - editor: search, saved searches, streams and pipelines (and, as they land, dashboards, alerts).
 * - analyst: search and saved searches (and dashboards); reads stream and pipeline definitions.
 * - viewer: dashboards only; today that means reading saved searches.
 * - ingest: sending events only (meant for tokens: a user with this role can create ingest tokens).
 *
 * Token scopes: `ingest` (send events), `read` (search, read saved searches and definitions,
 * metrics), `write` (change streams, pipelines, saved searches), `admin` (everything). A user's
 * token never has more than its owner: its permissions are the scopes' intersected with the
 * owner's role's, and its streams the intersection of both allow-lists.
 */
import { USER_ROLES } from '../../core/config.ts';

export const PERMISSIONS = [
  /** Send events (every ingest protocol). */
  'ingest',
  /** Search, histogram, fields, tail, Kafka trace. */
  'search',
  'saved-searches:read',
  'saved-searches:write',
  /** Read stream and pipeline definitions; simulate pipelines. */
  'config:read',
  /** Create, change and delete streams and pipelines. */
  'config:write',
  /** Queue, stats and Prometheus metrics. */
  'monitor',
  /** Users, everyone's tokens, the audit trail. */
  'admin',
  /** Create, list and revoke one's own API tokens (users, admin tokens; not other tokens). */
  'tokens',
  /** Any signed-in principal: its own profile, password and tokens. */
  'self',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = USER_ROLES;
export type Role = (typeof ROLES)[number];

export const SCOPES = ['ingest', 'read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

const ALL: readonly Permission[] = PERMISSIONS;

const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: ALL,
  editor: [
    'search',
    'saved-searches:read',
    'saved-searches:write',
    'config:read',
    'config:write',
    'monitor',
    'tokens',
    'self',
  ],
  analyst: ['search', 'saved-searches:read', 'saved-searches:write', 'config:read', 'tokens', 'self'],
  viewer: ['saved-searches:read', 'tokens', 'self'],
  ingest: ['ingest', 'tokens', 'self'],
};

const SCOPE_PERMISSIONS: Record<Scope, readonly Permission[]> = {
  ingest: ['ingest'],
  read: ['search', 'saved-searches:read', 'config:read', 'monitor'],
  write: ['saved-searches:read', 'saved-searches:write', 'config:read', 'config:write'],
  admin: ALL,
};

export function rolePermissions(role: Role): Set<Permission> {
  return new Set(ROLE_PERMISSIONS[role]);
}

/** The permissions of a token with these scopes, owned by a user of `ownerRole` (null: no owner). */
export function tokenPermissions(scopes: readonly Scope[], ownerRole: Role | null): Set<Permission> {
  const out = new Set<Permission>();
  for (const s of scopes) for (const p of SCOPE_PERMISSIONS[s]) out.add(p);
  if (ownerRole !== null) {
    const cap = ROLE_PERMISSIONS[ownerRole];
    for (const p of out) if (!cap.includes(p)) out.delete(p);
  }
  out.add('self');
  return out;
}

/** A stream allow-list: null means every stream. */
export type StreamList = readonly string[] | null;

/** The streams both lists allow. */
export function intersectStreams(a: StreamList, b: StreamList): StreamList {
  if (a === null) return b;
  if (b === null) return a;
  return a.filter((s) => b.includes(s));
}
