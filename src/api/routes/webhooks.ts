/** /v1/environments/{env}/webhooks… — webhooks, secrets, test sends, replays and delivery history. */

import type { FastifyInstance } from 'fastify';
import type { DeliveryStatus } from '../../mongo/deliveries.js';
import type { ServiceContext } from '../../services/context.js';
import { getDelivery, listDeliveries } from '../../services/deliveries.js';
import { replayFailed, retryDelivery, sendTestEvent } from '../../services/replay.js';
import { rotateSecret } from '../../services/rotate-secret.js';
import {
  type CreateWebhookInput,
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  type UpdateWebhookInput,
  updateWebhook,
} from '../../services/webhooks.js';
import { errorResponses } from '../error-responses.js';
import {
  createWebhookBody,
  deliveryDetailResponse,
  deliveryListQuery,
  deliveryParams,
  deliveryResponse,
  envParams,
  pageOf,
  pageQuery,
  replayBody,
  replayResponse,
  retryResponse,
  rotateSecretBody,
  testSendBody,
  testSendResponse,
  updateWebhookBody,
  webhookParams,
  webhookResponse,
  webhookWithSecretResponse,
} from '../schemas.js';

interface EnvParams {
  env: string;
}
interface WebhookParams extends EnvParams {
  id: string;
}
interface DeliveryParams extends EnvParams {
  delivery_id: string;
}
interface PageQuery {
  cursor?: string;
  limit?: number;
}

const WEBHOOKS = '/v1/environments/:env/webhooks';
const WEBHOOK = `${WEBHOOKS}/:id`;

export function webhookRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.post<{ Params: EnvParams; Body: CreateWebhookInput }>(
    WEBHOOKS,
    {
      schema: {
        operationId: 'createWebhook',
        summary: 'Register a webhook',
        description: 'Answers the signing secret, which is shown only here and on rotation.',
        tags: ['webhooks'],
        params: envParams,
        body: createWebhookBody,
        response: { 201: webhookWithSecretResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const webhook = await createWebhook(ctx, request.params.env, request.body);
      return reply
        .status(201)
        .header('Location', `/v1/environments/${webhook.environment}/webhooks/${webhook.id}`)
        .send(webhook);
    },
  );

  app.get<{ Params: EnvParams; Querystring: PageQuery }>(
    WEBHOOKS,
    {
      schema: {
        operationId: 'listWebhooks',
        summary: 'List the webhooks of an environment',
        tags: ['webhooks'],
        params: envParams,
        querystring: pageQuery,
        response: { 200: pageOf(webhookResponse), ...errorResponses },
      },
    },
    async (request) => listWebhooks(ctx, request.params.env, request.query),
  );

  app.get<{ Params: WebhookParams }>(
    WEBHOOK,
    {
      schema: {
        operationId: 'getWebhook',
        summary: 'Read a webhook',
        tags: ['webhooks'],
        params: webhookParams,
        response: { 200: webhookResponse, ...errorResponses },
      },
    },
    async (request) => getWebhook(ctx, request.params.env, request.params.id),
  );

  app.patch<{ Params: WebhookParams; Body: UpdateWebhookInput }>(
    WEBHOOK,
    {
      schema: {
        operationId: 'updateWebhook',
        summary: 'Change the URL, event types, description, or enable/disable',
        tags: ['webhooks'],
        params: webhookParams,
        body: updateWebhookBody,
        response: { 200: webhookResponse, ...errorResponses },
      },
    },
    async (request) => updateWebhook(ctx, request.params.env, request.params.id, request.body),
  );

  app.delete<{ Params: WebhookParams }>(
    WEBHOOK,
    {
      schema: {
        operationId: 'deleteWebhook',
        summary: 'Delete a webhook',
        description: 'Deliveries stop; its delivery history stays readable by delivery id.',
        tags: ['webhooks'],
        params: webhookParams,
        response: { 204: { type: 'null', description: 'Deleted' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await deleteWebhook(ctx, request.params.env, request.params.id);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: WebhookParams; Body: { overlap_seconds?: number } }>(
    `${WEBHOOK}/rotate-secret`,
    {
      config: { optionalBody: true },
      schema: {
        operationId: 'rotateWebhookSecret',
        summary: 'Rotate the signing secret',
        description:
          'Answers the new secret (shown only now). The previous secret keeps signing for the overlap ' +
          '(HOOKSTREAM_SECRET_OVERLAP, default 24 h): deliveries carry one signature per valid secret.',
        tags: ['webhooks'],
        params: webhookParams,
        body: rotateSecretBody,
        response: { 200: webhookWithSecretResponse, ...errorResponses },
      },
    },
    async (request) => {
      const seconds = request.body.overlap_seconds;
      return rotateSecret(ctx, request.params.env, request.params.id, {
        overlapMs: seconds === undefined ? undefined : seconds * 1000,
      });
    },
  );

  app.post<{ Params: WebhookParams; Body: { message?: string } }>(
    `${WEBHOOK}/test`,
    {
      config: { optionalBody: true },
      schema: {
        operationId: 'sendTestEvent',
        summary: 'Send a webhook.test event to this webhook now',
        tags: ['webhooks'],
        params: webhookParams,
        body: testSendBody,
        response: { 202: testSendResponse, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply
        .status(202)
        .send(await sendTestEvent(ctx, request.params.env, request.params.id, request.body.message)),
  );

  app.post<{ Params: WebhookParams; Body: { since: string; until?: string; limit?: number } }>(
    `${WEBHOOK}/replay`,
    {
      schema: {
        operationId: 'replayFailedDeliveries',
        summary: 'Send again every delivery of this webhook that failed since a time',
        description: 'Bounded by limit (default 1000, at most 10000). Replays keep their event_id.',
        tags: ['deliveries'],
        params: webhookParams,
        body: replayBody,
        response: { 202: replayResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { since, until, limit } = request.body;
      const result = await replayFailed(ctx, request.params.env, request.params.id, {
        since: new Date(since),
        until: until === undefined ? undefined : new Date(until),
        limit,
      });
      return reply.status(202).send(result);
    },
  );

  app.get<{
    Params: WebhookParams;
    Querystring: PageQuery & { status?: DeliveryStatus; event_type?: string; since?: string; until?: string };
  }>(
    `${WEBHOOK}/deliveries`,
    {
      schema: {
        operationId: 'listDeliveries',
        summary: 'Delivery history of a webhook, newest first, with attempts',
        tags: ['deliveries'],
        params: webhookParams,
        querystring: deliveryListQuery,
        response: { 200: pageOf(deliveryResponse), ...errorResponses },
      },
    },
    async (request) => {
      const { cursor, limit, status, event_type, since, until } = request.query;
      return listDeliveries(
        ctx,
        request.params.env,
        request.params.id,
        {
          status,
          event_type,
          since: since === undefined ? undefined : new Date(since),
          until: until === undefined ? undefined : new Date(until),
        },
        { cursor, limit },
      );
    },
  );

  app.get<{ Params: DeliveryParams }>(
    '/v1/environments/:env/deliveries/:delivery_id',
    {
      schema: {
        operationId: 'getDelivery',
        summary: 'One delivery with its attempts and body',
        tags: ['deliveries'],
        params: deliveryParams,
        response: { 200: deliveryDetailResponse, ...errorResponses },
      },
    },
    async (request) => getDelivery(ctx, request.params.env, request.params.delivery_id),
  );

  app.post<{ Params: DeliveryParams }>(
    '/v1/environments/:env/deliveries/:delivery_id/retry',
    {
      schema: {
        operationId: 'retryDelivery',
        summary: 'Send one delivery again now',
        description: 'Same delivery id, event id and body; a fresh 24 h retry budget.',
        tags: ['deliveries'],
        params: deliveryParams,
        response: { 202: retryResponse, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.status(202).send(await retryDelivery(ctx, request.params.env, request.params.delivery_id)),
  );
}
