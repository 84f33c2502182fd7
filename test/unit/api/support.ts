/** An admin API without a database or Kafka, for tests of what is answered before either is used. */
import type { FastifyInstance } from 'fastify';
import type { Db } from 'mongodb';
import { type ApiServerOptions, buildApiServer } from '../../../src/api/server.js';
import { createLogger } from '../../../src/observability/logger.js';

export const UNIT_ADMIN_KEY = 'unit-test-admin-key-0123456789-abcdefgh';

export function serverWithoutServices(overrides: Partial<ApiServerOptions> = {}): FastifyInstance {
  return buildApiServer({
    config: {
      adminApiKey: UNIT_ADMIN_KEY,
      secretKey: Buffer.alloc(32, 7),
      allowHttp: false,
      allowPrivateTargets: false,
      secretOverlapMs: 86_400_000,
    },
    // Never reached by these tests: they stop at auth, validation or the HTTP layer.
    db: {} as Db,
    enqueue: async () => {},
    logger: createLogger({ level: 'silent' }),
    ...overrides,
  });
}
