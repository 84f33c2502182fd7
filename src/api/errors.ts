/**
 * Every failure leaves the API as `{"error": {"code", "message"}}` with its HTTP status — never a
 * stack trace. Unexpected errors are logged and answered with a generic 500.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, isHookstreamError } from '../core/errors.js';
import { isMongoUnavailable } from '../mongo/client.js';
import { describeValidationError } from './validation.js';

/** Error codes of the API beyond the core catalog. */
export type ApiErrorCode = ErrorCode | 'INTERNAL';

export interface ApiError {
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly message: string;
}

export function errorBody(code: ApiErrorCode, message: string) {
  return { error: { code, message } };
}

/** Fastify's own errors (body parsing, limits) by code. */
const FASTIFY_ERRORS: Record<string, Omit<ApiError, 'message'> & { message?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'BAD_REQUEST', message: 'body: is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'BAD_REQUEST', message: 'body: is empty' },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    message: 'body: is larger than 1 MB',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 400,
    code: 'BAD_REQUEST',
    message: 'body: Content-Type must be application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'BAD_REQUEST',
    message: 'body: size does not match Content-Length',
  },
};

/** Classifies any error thrown while handling a request. */
export function toApiError(err: unknown): ApiError {
  if (isHookstreamError(err)) return { status: err.httpStatus, code: err.code, message: err.message };
  const fe = err as Partial<FastifyError>;
  if (Array.isArray(fe.validation) && fe.validation.length > 0) {
    const part = fe.validationContext ?? 'body';
    const message = describeValidationError(
      fe.validation[0] as never,
      part === 'querystring' ? 'query' : part,
    );
    // A well-formed body with wrong content is unprocessable; a bad path or query is a bad request.
    return part === 'body'
      ? { status: 422, code: 'VALIDATION_FAILED', message }
      : { status: 400, code: 'BAD_REQUEST', message };
  }
  const known = fe.code ? FASTIFY_ERRORS[fe.code] : undefined;
  if (known) return { status: known.status, code: known.code, message: known.message ?? String(fe.message) };
  if (isMongoUnavailable(err)) {
    return { status: 503, code: 'STORE_UNAVAILABLE', message: 'MongoDB is unreachable; try again later' };
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return {
      status: fe.statusCode === 413 ? 413 : 400,
      code: fe.statusCode === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST',
      message: String(fe.message),
    };
  }
  return { status: 500, code: 'INTERNAL', message: 'internal error; the details are in the server log' };
}

export function errorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const e = toApiError(err);
  if (e.status >= 500) request.log.error({ err, code: e.code }, 'request failed');
  else request.log.info({ code: e.code, status: e.status, reason: e.message }, 'request refused');
  // A caller without a valid key gets no keep-alive connection to try more keys on.
  if (e.status === 401) reply.header('WWW-Authenticate', 'Bearer').header('Connection', 'close');
  return reply.status(e.status).send(errorBody(e.code, e.message));
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply
    .status(404)
    .send(errorBody('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
}
