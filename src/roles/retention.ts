/**
 * Retention wiring: which collections are kept bounded, by which field and for how long, and the
 * sweeper for the ones the server cannot expire itself (FerretDB has no TTL indexes).
 *
 * Started by the api role (every deployment runs at least one api, and it holds MongoDB already);
 * more replicas are safe: the sweeper's term lease lets one of them work at a time.
 */
import type { Db } from 'mongodb';
import type { Config } from '../config/config.js';
import { deliveriesCollection } from '../mongo/deliveries.js';
import { LEASES_COLLECTION } from '../mongo/lease.js';
import { ensureRetention, RetentionSweeper, type RetentionTarget } from '../mongo/retention.js';
import { DISABLE_CLAIMS_COLLECTION } from '../mongo/webhook-health.js';
import type { RoleContext } from './runtime.js';

/** Bookkeeping documents (leases, disable claims) are kept one day. */
const BOOKKEEPING_RETENTION_MS = 86_400_000;

/**
 * What this sweeper keeps bounded. The router's dedupe marks (`events_seen`) are not here: the
 * router bounds them itself (`src/mongo/dedupe.ts`: a TTL index on `expires_at`, or its own sweeper
 * where the server refuses TTL indexes; lookups ignore marks older than the window either way).
 */
export function retentionTargets(config: Pick<Config, 'recordRetentionMs'>, db: Db): RetentionTarget[] {
  return [
    {
      collection: deliveriesCollection(db).collectionName,
      field: 'updated_at',
      retentionMs: config.recordRetentionMs,
    },
    { collection: DISABLE_CLAIMS_COLLECTION, field: 'created_at', retentionMs: BOOKKEEPING_RETENTION_MS },
    { collection: LEASES_COLLECTION, field: 'created_at', retentionMs: BOOKKEEPING_RETENTION_MS },
  ];
}

/** Ensures TTL indexes where the server has them and starts the sweeper for the rest. */
export async function startRetention(
  ctx: Pick<RoleContext, 'config' | 'logger' | 'started'>,
  db: Db,
): Promise<void> {
  const swept: RetentionTarget[] = [];
  for (const target of retentionTargets(ctx.config, db)) {
    const mode = await ensureRetention(db, target);
    ctx.logger.info(
      { ...target, mode },
      `retention of ${target.collection}: ${mode === 'ttl' ? 'TTL index' : 'sweeper'}`,
    );
    if (mode === 'sweeper') swept.push(target);
  }
  if (swept.length === 0) return;
  const sweeper = new RetentionSweeper({ db, targets: swept, logger: ctx.logger }).start();
  ctx.started.push({ name: 'retention sweeper', close: () => sweeper.close() });
}
