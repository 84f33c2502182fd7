import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import {
  DISABLE_REASONS,
  deliveryExhausted,
  disableReasonOf,
  exhaustedEventId,
  MAX_ERROR_LENGTH,
  type OperationalEvent,
  operationalRecord,
  webhookDisabled,
  webhookEnabled,
} from '../../../src/core/operational.js';

// ajv-formats is CommonJS: under NodeNext its default import is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const schema = JSON.parse(
  readFileSync(new URL('../../../schemas/operational-event.schema.json', import.meta.url), 'utf8'),
);
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const validate = ajv.compile(schema);

const now = new Date('2026-03-01T12:00:00.000Z');
const DELIVERY = 'dlv_abcdefghijklmnopqrstuvwxyz';

function expectValid(event: unknown): void {
  const ok = validate(event);
  expect(validate.errors ?? [], JSON.stringify(validate.errors)).toEqual([]);
  expect(ok).toBe(true);
}

describe('operational events', () => {
  it('webhook.disabled has the envelope shape and validates against its schema, for every reason', () => {
    for (const reason of DISABLE_REASONS) {
      const e = webhookDisabled({ eventId: 'opx_1', now, environment: 'prod', webhookId: 'wh_1', reason });
      expectValid(e);
      expect(Object.keys(e)).toEqual(['event_id', 'event_type', 'environment', 'created_at', 'data']);
      expect(e).toMatchObject({ event_type: 'webhook.disabled', created_at: '2026-03-01T12:00:00.000Z' });
    }
    const persistent = webhookDisabled({
      eventId: 'opx_2',
      now,
      environment: 'prod',
      webhookId: 'wh_1',
      reason: 'persistent_failure',
      failingSince: new Date('2026-02-24T12:00:00Z'),
      failedAttempts: 40,
    });
    expectValid(persistent);
    expect(persistent.data).toEqual({
      webhook_id: 'wh_1',
      reason: 'persistent_failure',
      disabled_at: '2026-03-01T12:00:00.000Z',
      failing_since: '2026-02-24T12:00:00.000Z',
      failed_attempts: 40,
    });
  });

  it('webhook.enabled validates', () => {
    const e = webhookEnabled({ eventId: 'opx_3', now, environment: 'dev-1', webhookId: 'wh_9' });
    expectValid(e);
    expect(e.data).toEqual({ webhook_id: 'wh_9', enabled_at: '2026-03-01T12:00:00.000Z' });
  });

  it('delivery.exhausted carries the delivery id and the last error, cut to a bounded length', () => {
    const common = {
      now,
      environment: 'prod',
      deliveryId: DELIVERY,
      webhookId: 'wh_1',
      domainEventId: 'evt-42',
      eventType: 'vendor.created',
    };
    const e = deliveryExhausted({
      ...common,
      eventId: exhaustedEventId(DELIVERY, 8),
      attempts: 8,
      failureReason: 'budget_exhausted',
      lastError: { outcome: 'http_5xx', status_code: 503, error: 'x'.repeat(5000), at: now },
    });
    expectValid(e);
    expect(e.data.last_error?.error).toHaveLength(MAX_ERROR_LENGTH);
    expect(e.data).toMatchObject({ delivery_id: DELIVERY, event_id: 'evt-42', attempts: 8 });
    const noAttempt = deliveryExhausted({
      ...common,
      eventId: 'opx_4',
      attempts: 1,
      failureReason: 'webhook_disabled',
      lastError: null,
    });
    expectValid(noAttempt);
  });

  it('the schema refuses what the constructors never make', () => {
    const good = webhookEnabled({ eventId: 'opx_5', now, environment: 'prod', webhookId: 'wh_1' });
    const bad: unknown[] = [
      { ...good, event_type: 'webhook.deleted' },
      { ...good, environment: 'Prod' },
      { ...good, extra: 1 },
      { ...good, data: { webhook_id: 'wh_1' } },
      {
        ...webhookDisabled({ eventId: 'e', now, environment: 'p', webhookId: 'w', reason: 'manual' }),
        data: { reason: 'gone' },
      },
    ];
    for (const event of bad) expect(validate(event), JSON.stringify(event)).toBe(false);
  });

  it('exhausted event ids are stable per (delivery, final attempt) and distinct otherwise', () => {
    expect(exhaustedEventId(DELIVERY, 8)).toBe(exhaustedEventId(DELIVERY, 8));
    expect(exhaustedEventId(DELIVERY, 8)).not.toBe(exhaustedEventId(DELIVERY, 9));
    expect(exhaustedEventId(DELIVERY, 8)).toMatch(/^opx_[a-z2-7]{26}$/);
  });

  it('maps stored disable reasons and keys records by webhook', () => {
    expect(disableReasonOf('gone')).toBe('gone_410');
    expect(disableReasonOf('persistent_failure')).toBe('persistent_failure');
    expect(disableReasonOf('manual')).toBe('manual');
    const e: OperationalEvent = webhookEnabled({
      eventId: 'opx_6',
      now,
      environment: 'prod',
      webhookId: 'wh_7',
    });
    const record = operationalRecord(e);
    expect(record.key).toBe('wh_7');
    expect(JSON.parse(record.value)).toEqual(e);
  });
});
