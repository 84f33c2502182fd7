/** Documents for the lifecycle tests, inserted directly (no API, no sender). */
import { randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import { deliveryId, newId } from '../../../src/core/ids.js';
import { type DeliveryDoc, deliveriesCollection } from '../../../src/mongo/deliveries.js';
import { type WebhookDoc, webhooksCollection } from '../../../src/mongo/webhooks.js';

export async function insertWebhook(db: Db, environment: string, fields: Partial<WebhookDoc> = {}) {
  const now = new Date();
  const doc: WebhookDoc = {
    _id: newId('wh', randomBytes(16)),
    environment,
    url: 'https://receiver.example.com/hook',
    event_types: ['*'],
    description: null,
    enabled: true,
    disabled_reason: null,
    standard_webhooks: false,
    secrets: [],
    deleted: false,
    created_at: now,
    updated_at: now,
    ...fields,
  };
  await webhooksCollection(db).insertOne(doc);
  return doc;
}

/** A delivery record as a sender writes it, with one failed attempt. */
export function deliveryRecord(
  environment: string,
  eventId: string,
  webhookId: string,
  at: Date,
  fields: Partial<DeliveryDoc> = {},
): DeliveryDoc {
  return {
    _id: deliveryId(eventId, webhookId),
    webhook_id: webhookId,
    environment,
    event_id: eventId,
    event_type: 'vendor.created',
    status: 'retrying',
    attempts: 1,
    next_attempt_at: null,
    failure_reason: null,
    event_created_at: at,
    created_at: at,
    updated_at: at,
    last_attempts: [
      {
        attempt: 1,
        at,
        tier: 'deliveries',
        outcome: 'http_5xx',
        status_code: 503,
        latency_ms: 12,
        error: 'HTTP 503',
      },
    ],
    body: JSON.stringify({ event_id: eventId, secret_data: 'personal data' }),
    ...fields,
  };
}

export async function insertDeliveries(db: Db, docs: readonly DeliveryDoc[]): Promise<void> {
  if (docs.length > 0) await deliveriesCollection(db).insertMany([...docs]);
}
