/** /v1/api-keys — environment-scoped keys, minted and revoked with the admin key. */
import type { FastifyInstance } from 'fastify';
import { createApiKey, listApiKeys, revokeApiKey } from '../../services/api-keys.js';
import type { ServiceContext } from '../../services/context.js';
import { errorResponses } from '../error-responses.js';
import {
  apiKeyListQuery,
  apiKeyParams,
  apiKeyResponse,
  apiKeyWithSecretResponse,
  createApiKeyBody,
  pageOf,
} from '../schemas.js';

export function apiKeyRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.post<{ Body: { environment: string; description?: string | null } }>(
    '/v1/api-keys',
    {
      config: { auth: 'admin' },
      schema: {
        operationId: 'createApiKey',
        summary: 'Mint an API key scoped to one environment (admin key only)',
        description: 'Answers the key, which is shown only here; only its SHA-256 is stored.',
        tags: ['api-keys'],
        body: createApiKeyBody,
        response: { 201: apiKeyWithSecretResponse, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await createApiKey(ctx, request.body)),
  );

  app.get<{ Querystring: { environment?: string; cursor?: string; limit?: number } }>(
    '/v1/api-keys',
    {
      config: { auth: 'admin' },
      schema: {
        operationId: 'listApiKeys',
        summary: 'List API keys (admin key only); never shows the keys themselves',
        tags: ['api-keys'],
        querystring: apiKeyListQuery,
        response: { 200: pageOf(apiKeyResponse), ...errorResponses },
      },
    },
    async (request) => {
      const { environment, cursor, limit } = request.query;
      return listApiKeys(ctx, environment ?? null, { cursor, limit });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/api-keys/:id',
    {
      config: { auth: 'admin' },
      schema: {
        operationId: 'revokeApiKey',
        summary: 'Revoke an API key (admin key only)',
        tags: ['api-keys'],
        params: apiKeyParams,
        response: { 204: { type: 'null', description: 'Revoked' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await revokeApiKey(ctx, request.params.id);
      return reply.status(204).send();
    },
  );
}
