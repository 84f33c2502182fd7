/**
 * The hookstream package's public surface for tools: signing and verification, the envelope
 * parser, the delivery-id function, the error class. Importing it starts nothing (no Kafka, no
 * MongoDB). A receiver that only verifies deliveries imports `hookstream/verify` instead
 * (src/verify.ts: node:crypto and the error catalog, nothing else; see docs/receivers.md).
 *
 * @example
 * import { verify } from 'hookstream/verify';
 * verify({ header: req.headers['coverbase-signature'], body: rawBody, secrets: [secret],
 *          nowSec: Math.floor(Date.now() / 1000) });
 */
export * from './core/index.js';
