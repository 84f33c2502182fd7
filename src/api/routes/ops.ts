/**
 * /v1/ops/… — what the console's Operations view shows (admin key only: lag and rates span every
 * environment): consumer lag and overdue seconds per tier, measured on demand; attempt and
 * dead-letter rates per minute from the delivery records.
 */
import type { FastifyInstance } from 'fastify';
import type { LagReading } from '../../console/lag.js';
import { MAX_WINDOW_MINUTES, readRates } from '../../console/rates.js';
import { HookstreamError } from '../../core/errors.js';
import type { ServiceContext } from '../../services/context.js';
import { errorResponses } from '../error-responses.js';

const dateTime = { type: 'string', format: 'date-time' } as const;
const counts = { type: 'object', additionalProperties: { type: 'integer' } } as const;

const lagResponse = {
  type: 'object',
  required: ['measured_at', 'stages'],
  properties: {
    measured_at: dateTime,
    stages: {
      type: 'array',
      items: {
        type: 'object',
        required: ['stage', 'group', 'topic', 'partitions', 'lag', 'overdue_seconds'],
        properties: {
          stage: { type: 'string', description: 'router, deliveries (first attempts) or a retry tier.' },
          group: { type: 'string' },
          topic: { type: 'string' },
          partitions: { type: 'integer' },
          lag: { type: 'integer', description: 'Messages not yet consumed, over all partitions.' },
          overdue_seconds: {
            type: ['number', 'null'],
            description: 'How late the most overdue head job is; null for event topics.',
          },
        },
      },
    },
  },
} as const;

const ratesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    minutes: { type: 'integer', minimum: 1, maximum: MAX_WINDOW_MINUTES, default: 60 },
  },
} as const;

const ratesResponse = {
  type: 'object',
  required: ['since', 'until', 'bucket_seconds', 'buckets', 'totals', 'truncated'],
  properties: {
    since: dateTime,
    until: dateTime,
    bucket_seconds: { type: 'integer' },
    buckets: {
      type: 'array',
      items: {
        type: 'object',
        required: ['start', 'attempts', 'failures', 'dead_lettered'],
        properties: {
          start: dateTime,
          attempts: { type: 'integer' },
          failures: { type: 'integer', description: 'Attempts that were not a 2xx.' },
          dead_lettered: { type: 'integer' },
        },
      },
    },
    totals: {
      type: 'object',
      required: ['attempts', 'failures', 'dead_lettered', 'by_outcome', 'by_tier'],
      properties: {
        attempts: { type: 'integer' },
        failures: { type: 'integer' },
        dead_lettered: { type: 'integer' },
        by_outcome: counts,
        by_tier: counts,
      },
    },
    truncated: { type: 'boolean', description: 'A read cap was reached: the counts are a lower bound.' },
  },
} as const;

export function opsRoutes(
  app: FastifyInstance,
  ctx: ServiceContext,
  lag: (() => Promise<LagReading>) | undefined,
): void {
  app.get(
    '/v1/ops/lag',
    {
      config: { auth: 'admin' },
      schema: {
        operationId: 'consumerLag',
        summary: 'Consumer lag and overdue seconds per stage, measured now (admin key only)',
        description: 'Answers 503 when Kafka does not answer within 8 s.',
        tags: ['operations'],
        response: { 200: lagResponse, ...errorResponses },
      },
    },
    async () => {
      if (lag === undefined) {
        throw new HookstreamError('STORE_UNAVAILABLE', 'this api process has no Kafka connection for lag');
      }
      return lag();
    },
  );

  app.get<{ Querystring: { minutes?: number } }>(
    '/v1/ops/rates',
    {
      config: { auth: 'admin' },
      schema: {
        operationId: 'attemptRates',
        summary: 'Attempts, failures and dead letters per minute over the last hour (admin key only)',
        description: 'Read from the delivery records of every environment; at most 50 000 attempts.',
        tags: ['operations'],
        querystring: ratesQuery,
        response: { 200: ratesResponse, ...errorResponses },
      },
    },
    async (request) => readRates(ctx.db, ctx.now(), request.query.minutes ?? 60),
  );
}
