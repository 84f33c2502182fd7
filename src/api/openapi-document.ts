/**
 * The admin API's OpenAPI document without a database or Kafka: builds the server on stand-ins and
 * asks it. Used by `npm run openapi` (writes schemas/openapi.json) and by the test that compares it.
 */
import type { Db } from 'mongodb';
import { createLogger } from '../observability/logger.js';
import { buildApiServer } from './server.js';

export async function openApiDocument(): Promise<unknown> {
  const app = buildApiServer({
    config: {
      adminApiKey: null,
      secretKey: null,
      allowHttp: false,
      allowPrivateTargets: false,
      secretOverlapMs: 86_400_000,
    },
    // Never queried: generating the document runs no handler.
    db: {} as Db,
    enqueue: async () => {},
    logger: createLogger({ level: 'silent', name: 'openapi' }),
  });
  try {
    await app.ready();
    return app.swagger();
  } finally {
    await app.close();
  }
}
