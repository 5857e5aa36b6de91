/**
 * `GET /api/v1/kafka/trace?topic=T&partition=P&offset=O`: for an audited message, which of the
 * sampled consumer groups consumed it and when their committed offset passed it (between
 * `not_yet_at` and `passed_at`). 404 when the topic audit is not configured.
 */
import type { FastifyInstance } from 'fastify';
import { LwError } from '../../core/errors.ts';
import type { KafkaAudit } from './kafka-audit.ts';

function intParam(q: Record<string, string | undefined>, name: string): number {
  const v = q[name];
  const n = Number(v);
  if (v === undefined || v === '' || !Number.isInteger(n) || n < 0) {
    throw new LwError('LW_ERR_BAD_PARAM', [
      name,
      `expected a non-negative integer, got ${JSON.stringify(v ?? null)}`,
    ]);
  }
  return n;
}

export function registerKafkaTrace(app: FastifyInstance, audit: KafkaAudit | null): void {
  app.get('/api/v1/kafka/trace', { config: { permission: 'monitor' } }, async (req) => {
    if (audit === null)
      throw new LwError('LW_ERR_NOT_FOUND', ['the Kafka topic audit (sources.kafkaAudit) is not configured']);
    const q = req.query as Record<string, string | undefined>;
    if (!q.topic) throw new LwError('LW_ERR_BAD_PARAM', ['topic', 'required']);
    const partition = intParam(q, 'partition');
    const offset = intParam(q, 'offset');
    const r = audit.trace(q.topic, partition, offset);
    return {
      topic: q.topic,
      partition,
      offset,
      audited: r.audited,
      groups: r.groups.map((g) => ({
        group: g.group,
        consumed: g.consumed,
        committed: g.committed,
        passed_at: g.passedAt,
        not_yet_at: g.notYetAt,
      })),
    };
  });
}
