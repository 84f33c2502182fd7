/**
 * The hookstream package's public surface for receivers and tools: signature verification and
 * signing, the envelope parser, the delivery-id function, the error class. Importing it starts
 * nothing (no Kafka, no MongoDB).
 *
 * @example
 * import { verify } from 'hookstream';
 * verify({ header: req.headers['coverbase-signature'], body: rawBody, secrets: [secret],
 *          nowSec: Math.floor(Date.now() / 1000) });
 */
export * from './core/index.js';
