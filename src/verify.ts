/**
 * `hookstream/verify`: what a receiver needs to check a delivery, and nothing else. Its import
 * graph is node:crypto and the error catalog — no Kafka, MongoDB or fastify (a test walks it).
 *
 * @example
 * import { verify, isHookstreamError } from 'hookstream/verify';
 * verify({ header: req.headers['coverbase-signature'], body: rawBody, secrets: [secret],
 *          nowSec: Math.floor(Date.now() / 1000) });
 */
export { type ErrorCode, HookstreamError, isHookstreamError } from './core/errors.js';
export {
  DEFAULT_TOLERANCE_SEC,
  type SignableBody,
  type StandardWebhooksHeaders,
  type VerifyOptions,
  type VerifyStandardWebhookOptions,
  verify,
  verifyStandardWebhook,
} from './core/signing.js';
