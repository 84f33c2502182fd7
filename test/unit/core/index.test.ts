import { describe, expect, it } from 'vitest';
import * as core from '../../../src/core/index.js';

describe('core/index', () => {
  it('exports the public functions and values', () => {
    const names = [
      'HookstreamError',
      'isHookstreamError',
      'ERROR_CODES',
      'parseEnvelope',
      'validateEnvelope',
      'serializeEnvelope',
      'EVENT_TYPES',
      'isEventType',
      'isValidSubscription',
      'ENVIRONMENT_RE',
      'WebhookIndex',
      'parseDuration',
      'parseTiers',
      'createRetryPolicy',
      'parseRetryPolicy',
      'nextAttempt',
      'parseRetryAfter',
      'sign',
      'signatureHeader',
      'verify',
      'standardWebhooksHeaders',
      'verifyStandardWebhook',
      'deliveryId',
      'newId',
      'encodeJob',
      'decodeJob',
    ];
    for (const name of names) expect(core, name).toHaveProperty(name);
  });

  it('signs with the sender and verifies as a receiver would', () => {
    const env = core.parseEnvelope(
      '{"event_id":"evt_1","event_type":"webhook.test","environment":"dev","data":{}}',
      { recordTimestampMs: 0 },
    );
    const body = core.serializeEnvelope(env);
    const header = core.signatureHeader({ secrets: ['whsec_abc'], timestampSec: 100, body });
    expect(core.verify({ header, body, secrets: 'whsec_abc', nowSec: 100 })).toEqual({ timestampSec: 100 });
  });
});
