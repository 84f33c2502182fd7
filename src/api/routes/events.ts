/** /v1/environments/{env}/events/{event_id}… — one domain event across webhooks: lookup and erase. */
import type { FastifyInstance } from 'fastify';
import { EVENT_ID_RE } from '../../core/envelope.js';
import type { ServiceContext } from '../../services/context.js';
import { eraseEvent, listEventDeliveries, MAX_EVENT_DELIVERIES } from '../../services/events.js';
import { errorResponses } from '../error-responses.js';
import { deliveryResponse, environmentParam } from '../schemas.js';

interface EventParams {
  env: string;
  event_id: string;
}

const EVENT = '/v1/environments/:env/events/:event_id';

export const eventParams = {
  type: 'object',
  additionalProperties: false,
  required: ['env', 'event_id'],
  properties: {
    env: environmentParam,
    event_id: {
      type: 'string',
      pattern: EVENT_ID_RE.source,
      description: 'The event_id of the domain event (1-200 visible ASCII characters, URL-encoded).',
    },
  },
} as const;

export const eventDeliveriesResponse = {
  type: 'object',
  required: ['environment', 'event_id', 'data'],
  properties: {
    environment: { type: 'string' },
    event_id: { type: 'string' },
    data: {
      type: 'array',
      items: deliveryResponse,
      description: `Every delivery of the event (one per webhook), oldest first; at most ${MAX_EVENT_DELIVERIES}.`,
    },
  },
} as const;

export const eraseResponse = {
  type: 'object',
  required: ['environment', 'event_id', 'erased_at', 'deliveries'],
  properties: {
    environment: { type: 'string' },
    event_id: { type: 'string' },
    erased_at: { type: 'string', format: 'date-time' },
    deliveries: {
      type: 'array',
      description: 'Every delivery record of the event, and what this call removed from it.',
      items: {
        type: 'object',
        required: ['delivery_id', 'webhook_id', 'body_erased', 'response_excerpts_erased'],
        properties: {
          delivery_id: { type: 'string' },
          webhook_id: { type: 'string' },
          body_erased: { type: 'boolean', description: 'A stored body was removed (false: none was left).' },
          response_excerpts_erased: {
            type: 'integer',
            description: 'Attempts whose stored response data was removed.',
          },
        },
      },
    },
  },
} as const;

export function eventRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.get<{ Params: EventParams }>(
    `${EVENT}/deliveries`,
    {
      schema: {
        operationId: 'listEventDeliveries',
        summary: 'Every delivery of one event, across webhooks, with attempts',
        tags: ['events'],
        params: eventParams,
        response: { 200: eventDeliveriesResponse, ...errorResponses },
      },
    },
    async (request) => listEventDeliveries(ctx, request.params.env, request.params.event_id),
  );

  app.delete<{ Params: EventParams }>(
    EVENT,
    {
      schema: {
        operationId: 'eraseEvent',
        summary: 'Erase the stored bodies and response excerpts of every delivery of one event',
        description:
          'Delivery status, attempts and times stay; erased deliveries can no longer be replayed. ' +
          'Copies on Kafka topics are not erased: they live until the topic retention (7-14 days as ' +
          'created by `hookstream topics create`). Idempotent: a second call erases nothing more.',
        tags: ['events'],
        params: eventParams,
        response: { 200: eraseResponse, ...errorResponses },
      },
    },
    async (request) => eraseEvent(ctx, request.params.env, request.params.event_id),
  );
}
