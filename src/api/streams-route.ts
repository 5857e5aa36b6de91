/**
 * `/api/v1/streams`: streams (named groups of logs with their pipeline, routing rules,
 * retention, dead-letter stream and permissions). CRUD as in collection-routes.ts; the
 * definitions and their validation live in the stream registry (processors/streams/registry.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { StreamRegistry } from '../processors/streams/registry.ts';
import { registerCollection } from './collection-routes.ts';

export function registerStreams(app: FastifyInstance, registry: StreamRegistry): void {
  registerCollection(app, 'streams', {
    list: () => registry.listStreams(),
    get: (name) => registry.getStream(name),
    save: (name, body, mode, ifVersion) => registry.saveStream(name, body, mode, ifVersion),
    delete: (name) => registry.deleteStream(name),
  });
}
