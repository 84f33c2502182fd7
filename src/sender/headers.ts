/**
 * The headers of one delivery POST: content type, ids, attempt number and the signature (one
 * `v1=` per valid secret), plus Standard Webhooks headers for webhooks that opted in.
 */
import type { DeliveryJob } from '../core/job.js';
import { signatureHeader, standardWebhooksHeaders } from '../core/signing.js';
import type { SendableWebhook } from './webhook-cache.js';

/**
 * `prefix` is `HOOKSTREAM_HEADER_PREFIX`; `timestampSec` the signing time, unix seconds.
 * The webhook's custom headers go first, so hookstream's own can never be replaced by them (they
 * were refused at registration and filtered again by the cache; this is the last line).
 */
export function deliveryHeaders(
  job: DeliveryJob,
  webhook: SendableWebhook,
  prefix: string,
  timestampSec: number,
): Record<string, string> {
  const headers: Record<string, string> = {
    ...webhook.customHeaders,
    'content-type': 'application/json',
    [`${prefix}-Event-Id`]: job.event_id,
    [`${prefix}-Event-Type`]: job.event_type,
    [`${prefix}-Delivery-Id`]: job.delivery_id,
    [`${prefix}-Delivery-Attempt`]: String(job.attempt),
    [`${prefix}-Signature`]: signatureHeader({ secrets: webhook.secrets, timestampSec, body: job.body }),
  };
  if (webhook.standardWebhooks) {
    Object.assign(
      headers,
      standardWebhooksHeaders({
        msgId: job.delivery_id,
        timestampSec,
        body: job.body,
        secrets: webhook.secrets,
      }),
    );
  }
  return headers;
}
