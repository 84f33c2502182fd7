/**
 * What the operator console reads beyond the webhook routes: who the key is, which environments it
 * sees, the health of every webhook of an environment, and how many deliveries a replay would queue.
 */
import type { FastifyInstance } from 'fastify';
import {
  countReplayable,
  HEALTH_WINDOW_MS,
  listEnvironments,
  mapLimited,
  webhookHealth,
} from '../../console/health.js';
import type { ServiceContext } from '../../services/context.js';
import { MAX_PAGE_LIMIT } from '../../services/pagination.js';
import { MAX_REPLAY_LIMIT } from '../../services/replay.js';
import { getWebhook, listWebhooks, type WebhookView } from '../../services/webhooks.js';
import { errorResponses } from '../error-responses.js';
import { envParams, webhookParams, webhookResponse } from '../schemas.js';

const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;

const sessionResponse = {
  type: 'object',
  required: ['kind', 'environment'],
  properties: {
    kind: { type: 'string', enum: ['admin', 'environment'], description: 'admin sees every environment.' },
    environment: {
      type: ['string', 'null'],
      description: 'The one environment a scoped key sees; null for admin.',
    },
  },
} as const;

const environmentsResponse = {
  type: 'object',
  required: ['data'],
  properties: {
    data: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'webhooks'],
        properties: {
          name: { type: 'string' },
          webhooks: { type: 'integer', description: 'Live webhooks.' },
        },
      },
    },
  },
} as const;

const healthProperties = {
  attempts: { type: 'integer', description: 'Attempts in the last 24 h.' },
  successes: { type: 'integer', description: '…of which answered 2xx.' },
  success_rate: { type: ['number', 'null'], description: 'successes / attempts; null without attempts.' },
  last_status: { type: ['string', 'null'], description: 'Status of the newest delivery.' },
  last_delivery_at: nullableDateTime,
  next_retry_at: { ...nullableDateTime, description: 'Earliest due time of a delivery waiting to retry.' },
} as const;

const healthResponse = {
  type: 'object',
  required: ['environment', 'window_start', 'data'],
  properties: {
    environment: { type: 'string' },
    window_start: { ...dateTime, description: 'Start of the 24 h window the counts cover.' },
    data: {
      type: 'array',
      items: {
        type: 'object',
        required: ['webhook', 'health'],
        properties: {
          webhook: webhookResponse,
          health: { type: 'object', required: Object.keys(healthProperties), properties: healthProperties },
        },
      },
    },
  },
} as const;

const replayPreviewQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['since'],
  properties: {
    since: { ...dateTime, description: 'Deliveries that failed at or after this time.' },
    until: { ...dateTime, description: '…and before this time (default: now).' },
  },
} as const;

const replayPreviewResponse = {
  type: 'object',
  required: ['failed', 'max_per_replay', 'since', 'until'],
  properties: {
    failed: { type: 'integer', description: 'Failed deliveries with a stored body in the window.' },
    max_per_replay: { type: 'integer', description: 'Most deliveries one replay call queues.' },
    since: dateTime,
    until: dateTime,
  },
} as const;

/** Every live webhook of an environment (the per-environment cap keeps this to a few pages). */
async function allWebhooks(ctx: ServiceContext, env: string): Promise<WebhookView[]> {
  const out: WebhookView[] = [];
  let cursor: string | undefined;
  do {
    const page = await listWebhooks(ctx, env, { cursor, limit: MAX_PAGE_LIMIT });
    out.push(...page.data);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return out;
}

export function consoleRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.get(
    '/v1/session',
    {
      schema: {
        operationId: 'getSession',
        summary: 'Who the presented key is: the admin key, or a key scoped to one environment',
        tags: ['console'],
        response: { 200: sessionResponse, ...errorResponses },
      },
    },
    async (request) => {
      const p = request.principal!;
      return p.kind === 'admin'
        ? { kind: 'admin', environment: null }
        : { kind: 'environment', environment: p.environment };
    },
  );

  app.get(
    '/v1/environments',
    {
      schema: {
        operationId: 'listEnvironments',
        summary: 'The environments this key sees (admin: every one with a webhook; scoped: its own)',
        tags: ['console'],
        response: { 200: environmentsResponse, ...errorResponses },
      },
    },
    async (request) => {
      const p = request.principal!;
      return { data: await listEnvironments(ctx.db, p.kind === 'admin' ? null : p.environment) };
    },
  );

  app.get<{ Params: { env: string } }>(
    '/v1/environments/:env/health',
    {
      schema: {
        operationId: 'environmentHealth',
        summary: 'Every webhook of an environment with its delivery health over the last 24 h',
        tags: ['console'],
        params: envParams,
        response: { 200: healthResponse, ...errorResponses },
      },
    },
    async (request) => {
      const { env } = request.params;
      const now = ctx.now();
      const webhooks = await allWebhooks(ctx, env);
      const data = await mapLimited(webhooks, async (webhook) => ({
        webhook,
        health: await webhookHealth(ctx.db, env, webhook.id, now),
      }));
      return {
        environment: env,
        window_start: new Date(now.getTime() - HEALTH_WINDOW_MS).toISOString(),
        data,
      };
    },
  );

  app.get<{ Params: { env: string; id: string }; Querystring: { since: string; until?: string } }>(
    '/v1/environments/:env/webhooks/:id/replay-preview',
    {
      schema: {
        operationId: 'previewReplay',
        summary: 'How many failed deliveries a replay since a time would queue (nothing is sent)',
        tags: ['deliveries'],
        params: webhookParams,
        querystring: replayPreviewQuery,
        response: { 200: replayPreviewResponse, ...errorResponses },
      },
    },
    async (request) => {
      const { env, id } = request.params;
      await getWebhook(ctx, env, id);
      const now = ctx.now();
      const since = new Date(request.query.since);
      const asked = request.query.until === undefined ? now : new Date(request.query.until);
      const until = new Date(Math.min(asked.getTime(), now.getTime()));
      const failed = await countReplayable(ctx.db, env, id, since, until);
      return {
        failed,
        max_per_replay: MAX_REPLAY_LIMIT,
        since: since.toISOString(),
        until: until.toISOString(),
      };
    },
  );
}
