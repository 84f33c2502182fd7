/**
 * The admin API as a Fastify instance (not yet listening): JSON only, bodies up to 1 MB, every
 * body/parameter/query validated by its route schema, errors as `{"error": {"code", "message"}}`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Db } from 'mongodb';
import type { Config } from '../config/config.js';
import type { Logger } from '../observability/logger.js';
import { createServiceContext, type Enqueue } from '../services/context.js';
import type { LookupAll } from '../services/targets.js';
import { authHook } from './auth.js';
import { errorBody, errorHandler, notFoundHandler } from './errors.js';
import { buildOpenApiDocument, type CollectedRoute, collectRoute } from './openapi.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { eventRoutes } from './routes/events.js';
import { systemRoutes } from './routes/system.js';
import { webhookRoutes } from './routes/webhooks.js';
import { createValidatorCompiler } from './validation.js';

/** Largest accepted request body, bytes (1 MiB). */
export const BODY_LIMIT = 1_048_576;

export interface ApiServerOptions {
  readonly config: Pick<
    Config,
    'adminApiKey' | 'secretKey' | 'allowHttp' | 'allowPrivateTargets' | 'secretOverlapMs'
  >;
  readonly db: Db;
  readonly enqueue: Enqueue;
  readonly logger: Logger;
  /** Host-name resolution for the registration-time SSRF check. @default dns.lookup */
  readonly lookup?: LookupAll;
}

export function buildApiServer(opts: ApiServerOptions): FastifyInstance {
  const ctx = createServiceContext({
    db: opts.db,
    config: opts.config,
    enqueue: opts.enqueue,
    logger: opts.logger.child({ component: 'api' }),
    ...(opts.lookup ? { lookup: opts.lookup } : {}),
  });
  const app: FastifyInstance = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    // Longer than any id the schemas accept, so an over-long id is a validation error naming it.
    routerOptions: { maxParamLength: 256 },
    // Errors raised before routing (undecodable path, over-long parameter) keep the error shape.
    frameworkErrors: (err, _request, reply) => {
      const message =
        err.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? 'path: a parameter is too long'
          : 'path: is not a valid URL path';
      void (reply as unknown as FastifyReply).status(400).send(errorBody('BAD_REQUEST', message));
    },
    return503OnClosing: true,
  });

  app.setValidatorCompiler(createValidatorCompiler());
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);

  // The default JSON parser (prototype-poisoning safe), except that an empty body is "no body".
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: BODY_LIMIT },
    (request, body, done) => {
      if (body === '') done(null, undefined);
      else parseJson(request, body as string, done);
    },
  );

  app.decorateRequest('principal', null);
  const routes: CollectedRoute[] = [];
  app.addHook('onRoute', (route) => {
    routes.push(...collectRoute(route));
  });
  app.addHook('onRequest', authHook(ctx, opts.config.adminApiKey));
  app.addHook('preValidation', async (request) => {
    if (request.routeOptions.config.optionalBody && (request.body === undefined || request.body === null)) {
      request.body = {};
    }
  });

  let openApi: unknown;
  systemRoutes(app, opts.db, () => {
    openApi ??= buildOpenApiDocument(routes, { version: packageVersion() });
    return openApi;
  });
  webhookRoutes(app, ctx);
  apiKeyRoutes(app, ctx);
  eventRoutes(app, ctx);
  return app;
}

/** The version in hookstream's package.json (found walking up from this file, in src/ or dist/). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'hookstream' && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}
