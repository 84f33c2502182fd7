/**
 * `Authorization: Bearer <key>` on every /v1 route, before anything else runs (no validation
 * message leaks to unauthenticated callers). Each route declares `config.auth`:
 * - `none` — health, metrics, OpenAPI;
 * - `key` — any valid key; a key scoped to one environment gets 404 for every other environment;
 * - `admin` — the bootstrap admin key only (403 for scoped keys).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HookstreamError } from '../core/errors.js';
import { authenticate, type Principal } from '../services/api-keys.js';
import type { ServiceContext } from '../services/context.js';
import type { AuthFailureLimiter } from './auth-limiter.js';

export type AuthLevel = 'none' | 'key' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route. @default 'key' */
    auth?: AuthLevel;
    /** The body may be left out (treated as `{}`). */
    optionalBody?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const BEARER_RE = /^Bearer[ \t]+([\x21-\x7e]{1,512})[ \t]*$/i;

export function authHook(ctx: ServiceContext, adminApiKey: string | null, limiter: AuthFailureLimiter) {
  const refuse = (request: FastifyRequest, message: string): HookstreamError => {
    limiter.recordFailure(request.ip);
    return new HookstreamError('UNAUTHORIZED', message);
  };
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const level = request.routeOptions.config.auth ?? 'key';
    if (level === 'none' || request.routeOptions.url === undefined) return;
    const wait = limiter.retryAfterSec(request.ip);
    if (wait > 0) {
      reply.header('Retry-After', String(wait)).header('Connection', 'close');
      request.log.warn({ client: request.ip, retry_after_s: wait }, 'too many failed authentications');
      throw new HookstreamError(
        'RATE_LIMITED',
        `too many failed authentications from this address; try again in ${wait} s`,
      );
    }
    const header = request.headers.authorization;
    const match = header === undefined ? null : BEARER_RE.exec(header);
    if (!match) throw refuse(request, 'an API key is required: Authorization: Bearer <key>');
    const principal = await authenticate(ctx, adminApiKey, match[1]!);
    if (principal === null) throw refuse(request, 'the API key is not valid');
    request.principal = principal;
    if (principal.kind === 'admin') return;
    if (level === 'admin') throw new HookstreamError('FORBIDDEN', 'this operation needs the admin API key');
    const env = (request.params as { env?: unknown } | undefined)?.env;
    if (typeof env === 'string' && env !== principal.environment) {
      // The same answer whether or not the resource exists there: a key learns nothing of other environments.
      throw new HookstreamError('NOT_FOUND', `no such resource in environment ${env}`);
    }
  };
}
