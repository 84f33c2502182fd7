/**
 * The error responses of the admin API, by status, each naming the codes it can carry. Every code of
 * the catalog (`core/errors.ts`) that the API can answer appears here, so the OpenAPI document lists
 * them all; pipeline-only codes (envelope, job and signature errors, start-up security failures)
 * never reach an API caller.
 */
import { ERROR_CODES, type ErrorCode } from '../core/errors.js';
import type { ApiErrorCode } from './errors.js';

/**
 * Codes raised only inside the pipeline, by receivers or at start-up (a role whose Kafka or MongoDB
 * security is wrong never starts serving), never answered by the API.
 */
const PIPELINE_ONLY: ReadonlySet<ErrorCode> = new Set([
  'INVALID_ENVELOPE',
  'UNDECODABLE_EVENT',
  'UNKNOWN_SCHEMA',
  'INVALID_JOB',
  'INVALID_TIER',
  'SIGNATURE_INVALID',
  'TIMESTAMP_OUT_OF_TOLERANCE',
  'KAFKA_SECURITY_FAILED',
  'MONGODB_SECURITY_FAILED',
]);

/** What each code means to a caller; a code without an entry is described by its name. */
const CODE_TEXT: Partial<Record<ApiErrorCode, string>> = {
  BAD_REQUEST: 'the path, query, cursor or body is malformed (not JSON, wrong Content-Type)',
  UNAUTHORIZED: 'no API key, or a key that is not valid (the connection is closed after the answer)',
  FORBIDDEN: 'the operation needs the admin key',
  NOT_FOUND: 'no such route or resource (also for resources of another environment)',
  CONFLICT: 'the resource is in a state that forbids the operation, or changed concurrently',
  PAYLOAD_TOO_LARGE: 'the body is larger than 1 MiB',
  VALIDATION_FAILED: 'a field is invalid; the message names it',
  TARGET_FORBIDDEN: 'the webhook URL is not an allowed target (the server log has the reason)',
  RATE_LIMITED: 'too many failed authentications from this address; wait Retry-After seconds',
  INTERNAL: 'an unexpected error; the server log has the details',
  INVALID_CONFIG: 'the server is missing a setting this operation needs',
  SECRET_UNREADABLE: 'a stored webhook secret cannot be decrypted with the configured key',
  STORE_UNAVAILABLE: 'MongoDB or Kafka is unreachable; nothing was changed, try again later',
};

/** Every code the API can answer, with its HTTP status. */
export const API_ERROR_STATUS: Readonly<Record<string, number>> = {
  ...Object.fromEntries(
    (Object.keys(ERROR_CODES) as ErrorCode[])
      .filter((c) => !PIPELINE_ONLY.has(c))
      .map((c) => [c, ERROR_CODES[c].httpStatus]),
  ),
  INTERNAL: 500,
};

function errorSchema(codes: readonly string[]) {
  return {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', enum: codes, description: 'Stable machine-readable code.' },
          message: { type: 'string', description: 'What went wrong, naming the field when there is one.' },
        },
      },
    },
  };
}

function responseFor(status: number) {
  const codes = Object.keys(API_ERROR_STATUS).filter((c) => API_ERROR_STATUS[c] === status);
  const text = codes.map((c) => `${c}: ${CODE_TEXT[c as ApiErrorCode] ?? c}`).join('; ');
  return { ...errorSchema(codes), description: text };
}

const STATUSES = [...new Set(Object.values(API_ERROR_STATUS))].sort((a, b) => a - b);

/** The error responses of an authenticated route: every status the API answers errors with. */
export const errorResponses: Readonly<Record<string, object>> = Object.fromEntries(
  STATUSES.map((s) => [String(s), responseFor(s)]),
);

/** The error responses of an unauthenticated route that can fail only for lack of a store. */
export const unavailableResponse = responseFor(503);
