/** Everything the operator console adds to the api server: its pages and the routes they read. */
import type { FastifyInstance } from 'fastify';
import { consoleRoutes } from '../api/routes/console.js';
import { opsRoutes } from '../api/routes/ops.js';
import type { ServiceContext } from '../services/context.js';
import { consoleAssetRoutes, consoleDir } from './assets.js';
import { type LagSource, onDemandLag } from './lag.js';

export function registerConsole(app: FastifyInstance, ctx: ServiceContext, lag: LagSource | undefined): void {
  consoleRoutes(app, ctx);
  opsRoutes(app, ctx, lag === undefined ? undefined : onDemandLag(lag));
  consoleAssetRoutes(app, consoleDir(), ctx.logger);
}
