/**
 * The Elasticsearch endpoints shippers call before (or besides) `_bulk`, answered well enough
 * that Filebeat, Logstash's elasticsearch output, Fluent Bit's `es` output, Vector's
 * `elasticsearch` sink and the official clients start and ship:
 * - `GET /`, `HEAD /`: the version document (version configurable; 8.x by default). Clients
 *   check `version.number` and, since 7.14, the `X-Elastic-Product: Elasticsearch` header that
 *   every answer of this source carries.
 * - `GET /_license`, `GET /_xpack`: a basic, active licence with ILM available (Filebeat and
 *   Logstash check these before they set up templates and lifecycle policies).
 * - `GET /_cluster/health` (Vector's health check), `GET /_nodes/http` (client sniffing).
 * - Setup objects: index templates (`_index_template`, `_component_template`, legacy
 *   `_template`), ingest pipelines, ILM policies, data streams and aliases. PUT stores the
 *   document in memory and acknowledges, GET/HEAD return it or 404, DELETE forgets it. They
 *   have no effect on ingest (logwarden's own streams and pipelines do that): they only let a
 *   shipper's set-up step succeed; after a restart the shipper simply puts them again.
 * The object kinds are a lookup table (KINDS): a new kind is a new entry.
 */
import { randomUUID } from 'node:crypto';

export interface ProbeInfo {
  version: string;
  clusterName: string;
  clusterUuid: string;
}

export function newProbeInfo(version: string): ProbeInfo {
  return { version, clusterName: 'logwarden', clusterUuid: randomUUID().replace(/-/g, '').slice(0, 22) };
}

export function versionDocument(info: ProbeInfo): Record<string, unknown> {
  const major = Number.parseInt(info.version, 10);
  return {
    name: 'logwarden',
    cluster_name: info.clusterName,
    cluster_uuid: info.clusterUuid,
    version: {
      number: info.version,
      build_flavor: 'default',
      build_type: 'tar',
      build_hash: '0000000000000000000000000000000000000000',
      build_date: '2024-01-01T00:00:00.000Z',
      build_snapshot: false,
      lucene_version: major >= 8 ? '9.12.0' : '8.11.1',
      minimum_wire_compatibility_version: major >= 8 ? '7.17.0' : '6.8.0',
      minimum_index_compatibility_version: major >= 8 ? '7.0.0' : '6.0.0-beta1',
    },
    tagline: 'You Know, for Search',
  };
}

export function licenseDocument(info: ProbeInfo): Record<string, unknown> {
  return {
    license: {
      status: 'active',
      uid: info.clusterUuid,
      type: 'basic',
      issue_date: '2024-01-01T00:00:00.000Z',
      issue_date_in_millis: 1704067200000,
      max_nodes: 1000,
      max_resource_units: null,
      issued_to: info.clusterName,
      issuer: 'elasticsearch',
      start_date_in_millis: -1,
    },
  };
}

export function xpackDocument(info: ProbeInfo): Record<string, unknown> {
  const on = { available: true, enabled: true };
  const off = { available: false, enabled: false };
  return {
    build: { hash: '0000000000000000000000000000000000000000', date: '2024-01-01T00:00:00.000Z' },
    license: { uid: info.clusterUuid, type: 'basic', mode: 'basic', status: 'active' },
    features: { ilm: on, data_streams: on, monitoring: off, security: off, ml: off, watcher: off },
    tagline: 'You know, for X',
  };
}

export function clusterHealthDocument(info: ProbeInfo): Record<string, unknown> {
  return {
    cluster_name: info.clusterName,
    status: 'green',
    timed_out: false,
    number_of_nodes: 1,
    number_of_data_nodes: 1,
    active_primary_shards: 0,
    active_shards: 0,
    relocating_shards: 0,
    initializing_shards: 0,
    unassigned_shards: 0,
    delayed_unassigned_shards: 0,
    number_of_pending_tasks: 0,
    number_of_in_flight_fetch: 0,
    task_max_waiting_in_queue_millis: 0,
    active_shards_percent_as_number: 100.0,
  };
}

export function nodesDocument(info: ProbeInfo, publishAddress: string): Record<string, unknown> {
  return {
    _nodes: { total: 1, successful: 1, failed: 0 },
    cluster_name: info.clusterName,
    nodes: {
      logwarden: {
        name: 'logwarden',
        version: info.version,
        roles: ['data', 'ingest', 'master'],
        http: { publish_address: publishAddress, bound_address: [publishAddress] },
      },
    },
  };
}

/** How one kind of set-up object is answered on GET: `{ ... }` built from the stored documents. */
interface Kind {
  /** Path prefix after `/`, e.g. `_index_template`. */
  prefix: string;
  /** Elasticsearch's error type when a named object is missing. */
  missing: string;
  render(found: Array<[string, unknown]>): unknown;
}

const KINDS: Kind[] = [
  {
    prefix: '_index_template',
    missing: 'resource_not_found_exception',
    render: (f) => ({ index_templates: f.map(([name, t]) => ({ name, index_template: t })) }),
  },
  {
    prefix: '_component_template',
    missing: 'resource_not_found_exception',
    render: (f) => ({ component_templates: f.map(([name, t]) => ({ name, component_template: t })) }),
  },
  { prefix: '_template', missing: 'resource_not_found_exception', render: (f) => Object.fromEntries(f) },
  {
    prefix: '_ingest/pipeline',
    missing: 'resource_not_found_exception',
    render: (f) => Object.fromEntries(f),
  },
  {
    prefix: '_ilm/policy',
    missing: 'resource_not_found_exception',
    render: (f) =>
      Object.fromEntries(
        f.map(([name, p]) => [
          name,
          { version: 1, modified_date: '2024-01-01T00:00:00.000Z', ...(p as object) },
        ]),
      ),
  },
  {
    prefix: '_data_stream',
    missing: 'index_not_found_exception',
    render: (f) => ({
      data_streams: f.map(([name]) => ({
        name,
        timestamp_field: { name: '@timestamp' },
        indices: [],
        generation: 1,
        status: 'GREEN',
        template: '',
        hidden: false,
        system: false,
      })),
    }),
  },
  {
    prefix: '_alias',
    missing: 'aliases_not_found_exception',
    render: (f) => Object.fromEntries(f.map(([name]) => [name, { aliases: { [name]: {} } }])),
  },
];

export interface SetupResponse {
  status: number;
  body: unknown;
}

function notFound(kind: Kind, name: string): SetupResponse {
  const reason = `${kind.prefix.replace(/^_/, '').replace('/', ' ')} [${name}] missing`;
  return {
    status: 404,
    body: {
      error: { root_cause: [{ type: kind.missing, reason }], type: kind.missing, reason },
      status: 404,
    },
  };
}

/** In-memory set-up objects of every kind. */
export class SetupObjects {
  private readonly stores = new Map<string, Map<string, unknown>>(KINDS.map((k) => [k.prefix, new Map()]));

  /** The kinds' path prefixes, for route registration. */
  static prefixes(): string[] {
    return KINDS.map((k) => k.prefix);
  }

  /**
   * Answers a request on `/<prefix>` or `/<prefix>/<names>` (names comma-separated, `*` globs).
   * `body` is the parsed JSON body of a PUT/POST (or undefined).
   */
  handle(method: string, prefix: string, names: string, body: unknown): SetupResponse {
    const kind = KINDS.find((k) => k.prefix === prefix);
    const store = this.stores.get(prefix);
    if (kind === undefined || store === undefined) throw new Error(`BUG: unknown set-up kind ${prefix}`);
    if (method === 'PUT' || method === 'POST') {
      if (names === '') return { status: 400, body: badRequest(`a name is required: PUT /${prefix}/NAME`) };
      for (const n of names.split(',')) store.set(n, body ?? {});
      return { status: 200, body: { acknowledged: true } };
    }
    if (method === 'DELETE') {
      let any = false;
      for (const n of names.split(',')) any = store.delete(n) || any;
      return any ? { status: 200, body: { acknowledged: true } } : notFound(kind, names);
    }
    // GET and HEAD
    const wanted = names === '' || names === '*' || names === '_all' ? ['*'] : names.split(',');
    const found: Array<[string, unknown]> = [];
    for (const w of wanted) {
      if (w.includes('*')) {
        const re = new RegExp(`^${w.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
        for (const [n, v] of store) if (re.test(n)) found.push([n, v]);
      } else {
        const v = store.get(w);
        if (v === undefined) return notFound(kind, w);
        found.push([w, v]);
      }
    }
    if (found.length === 0 && names !== '' && names !== '*' && names !== '_all') return notFound(kind, names);
    return { status: 200, body: kind.render(found) };
  }
}

export function badRequest(reason: string): Record<string, unknown> {
  return {
    error: {
      root_cause: [{ type: 'illegal_argument_exception', reason }],
      type: 'illegal_argument_exception',
      reason,
    },
    status: 400,
  };
}
