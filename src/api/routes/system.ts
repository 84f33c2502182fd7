/** Unauthenticated operational routes, and the event taxonomy. */
import type { FastifyInstance } from 'fastify';
import type { Db } from 'mongodb';
import { EVENT_TYPES } from '../../core/event-types.js';
import { registry } from '../../observability/metrics.js';
import type { ServiceContext } from '../../services/context.js';
import { errorResponses, unavailableResponse } from '../error-responses.js';
import { errorBody } from '../errors.js';
import { eventTypesResponse, SUBSCRIPTIONS, statusResponse } from '../schemas.js';

/** Longest /readyz waits for MongoDB, milliseconds. */
const READY_TIMEOUT_MS = 2_000;

async function mongoAnswers(db: Db): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
  });
  const ping = db.command({ ping: 1 }).then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function systemRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const db = ctx.db;
  app.get(
    '/healthz',
    {
      config: { auth: 'none' },
      schema: {
        operationId: 'health',
        summary: 'Liveness: the process is up',
        tags: ['operations'],
        response: { 200: statusResponse },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config: { auth: 'none' },
      schema: {
        operationId: 'ready',
        summary: 'Readiness: 200 only while MongoDB answers a ping',
        tags: ['operations'],
        response: { 200: statusResponse, 503: unavailableResponse },
      },
    },
    async (_request, reply) => {
      if (await mongoAnswers(db)) return { status: 'ready' };
      return reply.status(503).send(errorBody('STORE_UNAVAILABLE', 'MongoDB does not answer'));
    },
  );

  app.get(
    '/metrics',
    {
      config: { auth: 'none' },
      schema: {
        operationId: 'metrics',
        summary: 'Prometheus metrics (text exposition format 0.0.4)',
        tags: ['operations'],
        response: {
          200: {
            description: 'Every hookstream metric of this process.',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );

  app.get(
    '/openapi.json',
    {
      config: { auth: 'none' },
      schema: {
        operationId: 'openapi',
        summary: 'This API as an OpenAPI 3.1 document (also committed as schemas/openapi.json)',
        tags: ['operations'],
        response: {
          200: {
            description: 'The OpenAPI 3.1 document.',
            type: 'object',
            additionalProperties: true,
          },
        },
      },
    },
    async () => app.swagger(),
  );

  app.get(
    '/v1/event-types',
    {
      schema: {
        operationId: 'listEventTypes',
        summary: 'The event taxonomy and what a webhook may subscribe to',
        tags: ['webhooks'],
        response: { 200: eventTypesResponse, ...errorResponses },
      },
    },
    async () => ({ data: EVENT_TYPES, subscriptions: SUBSCRIPTIONS }),
  );
}
