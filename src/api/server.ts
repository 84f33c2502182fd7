/**
 * The admin API as a Fastify instance (not yet listening): JSON only, bodies up to 1 MB, every
 * body/parameter/query validated by its route schema, errors as `{"error": {"code", "message"}}`.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from 'fastify';
import type { Db } from 'mongodb';
import type { Config } from '../config/config.js';
import type { LagSource } from '../console/lag.js';
import { registerConsole } from '../console/register.js';
import type { Logger } from '../observability/logger.js';
import {
  createServiceContext,
  type Enqueue,
  type PublishOperational,
  type ServiceContext,
} from '../services/context.js';
import type { LookupAll } from '../services/targets.js';
import { authHook } from './auth.js';
import { type AuthFailureLimit, AuthFailureLimiter, DEFAULT_AUTH_FAILURE_LIMIT } from './auth-limiter.js';
import { errorBody, errorHandler, notFoundHandler } from './errors.js';
import { registerDocsPage, registerOpenApi } from './openapi.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { eventRoutes } from './routes/events.js';
import { systemRoutes } from './routes/system.js';
import { webhookRoutes } from './routes/webhooks.js';
import { createValidatorCompiler } from './validation.js';

/** A group of routes over the service layer; each one is registered as its own plugin. */
export type RoutePlugin = (app: FastifyInstance, ctx: ServiceContext) => void;

/** Every route group of the API, in registration order (one line per group). */
const ROUTE_PLUGINS: readonly RoutePlugin[] = [systemRoutes, webhookRoutes, apiKeyRoutes, eventRoutes];

/** Largest accepted request body, bytes (1 MiB). */
export const BODY_LIMIT = 1_048_576;

/**
 * HTTP limits of the admin API: no connection outlives its use (slowloris, idle keep-alive), and
 * the number of open connections is capped (more are refused at accept).
 */
export interface ServerLimits {
  /** The whole request (headers and body) must arrive within this, milliseconds. @default 30_000 */
  readonly requestTimeoutMs: number;
  /** The request headers must arrive within this, milliseconds. @default 10_000 */
  readonly headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this, milliseconds. @default 5_000 */
  readonly keepAliveTimeoutMs: number;
  /** A socket with no traffic either way is closed after this, milliseconds. @default 60_000 */
  readonly idleTimeoutMs: number;
  /** Open connections at most. @default 512 */
  readonly maxConnections: number;
  /** How often Node checks the request and header timeouts, milliseconds. @default 1_000 */
  readonly timeoutCheckMs: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  maxConnections: 512,
  timeoutCheckMs: 1_000,
};

/** An incoming X-Request-Id is kept when it is 1-128 of these characters; otherwise a UUID is made. */
const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

function requestId(header: string | string[] | undefined): string {
  return typeof header === 'string' && REQUEST_ID_RE.test(header) ? header : randomUUID();
}

export interface ApiServerOptions {
  readonly config: Pick<
    Config,
    'adminApiKey' | 'secretKey' | 'allowHttp' | 'allowPrivateTargets' | 'secretOverlapMs'
  >;
  readonly db: Db;
  readonly enqueue: Enqueue;
  /** `webhook.enabled` / `webhook.disabled` (manual) on `<prefix>.operational`. @default none */
  readonly publishOperational?: PublishOperational;
  readonly logger: Logger;
  /** Host-name resolution for the registration-time SSRF check. @default dns.lookup */
  readonly lookup?: LookupAll;
  /** Consumer lag, measured on demand, for the console (GET /v1/ops/lag answers 503 without it). */
  readonly lag?: LagSource;
  /** @default DEFAULT_SERVER_LIMITS */
  readonly limits?: Partial<ServerLimits>;
  /** @default DEFAULT_AUTH_FAILURE_LIMIT (20 failures per address and minute) */
  readonly authFailureLimit?: Partial<AuthFailureLimit>;
}

export function buildApiServer(opts: ApiServerOptions): FastifyInstance {
  const ctx = createServiceContext({
    db: opts.db,
    config: opts.config,
    enqueue: opts.enqueue,
    logger: opts.logger.child({ component: 'api' }),
    ...(opts.lookup ? { lookup: opts.lookup } : {}),
    ...(opts.publishOperational ? { publishOperational: opts.publishOperational } : {}),
  });
  const limits = { ...DEFAULT_SERVER_LIMITS, ...opts.limits };
  const app: FastifyInstance = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: limits.timeoutCheckMs,
    },
    // The caller's X-Request-Id (when well-formed) names the request in every log line and is echoed.
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    genReqId: (req) => requestId(req.headers['x-request-id']),
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

  app.server.maxConnections = limits.maxConnections;
  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
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
  const limiter = new AuthFailureLimiter({ ...DEFAULT_AUTH_FAILURE_LIMIT, ...opts.authFailureLimit }, () =>
    ctx.now().getTime(),
  );
  app.addHook('onRequest', authHook(ctx, opts.config.adminApiKey, limiter));
  app.addHook('preValidation', async (request) => {
    if (request.routeOptions.config.optionalBody && (request.body === undefined || request.body === null)) {
      request.body = {};
    }
  });

  // The generator's onRoute hook must exist before the routes: they are registered as later plugins.
  registerOpenApi(app, packageVersion());
  registerDocsPage(app);
  for (const routes of ROUTE_PLUGINS) void app.register(async (scope) => routes(scope, ctx));
  void app.register(async (scope) => registerConsole(scope, ctx, opts.lag));
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
