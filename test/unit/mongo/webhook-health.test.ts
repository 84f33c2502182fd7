import { describe, expect, it } from 'vitest';
import type { AttemptOutcome } from '../../../src/mongo/deliveries.js';
import {
  disabledAtFields,
  healthResetFields,
  healthSample,
  storedHealth,
  type WebhookWithHealth,
  webhookHealthView,
} from '../../../src/mongo/webhook-health.js';

const now = new Date('2026-04-01T10:00:00.000Z');
const base = { enabled: true, disabled_reason: null } as unknown as WebhookWithHealth;

describe('webhook health fields', () => {
  it('shows failing_since while enabled, and the reason and time once disabled', () => {
    expect(webhookHealthView({ ...base, failing_since: now })).toEqual({
      failing_since: '2026-04-01T10:00:00.000Z',
      disabled_reason: null,
      disabled_at: null,
    });
    const disabled = { ...base, enabled: false, disabled_reason: 'persistent_failure', disabled_at: now };
    expect(webhookHealthView(disabled)).toEqual({
      failing_since: null,
      disabled_reason: 'persistent_failure',
      disabled_at: '2026-04-01T10:00:00.000Z',
    });
  });

  it('documents written before the lifecycle fields read as healthy', () => {
    expect(webhookHealthView(base)).toEqual({
      failing_since: null,
      disabled_reason: null,
      disabled_at: null,
    });
    expect(storedHealth({})).toEqual({
      failing_since: null,
      failed_attempts: 0,
      last_success_at: null,
      reset_at: null,
    });
  });

  it('re-enabling resets the clock from that moment; disabling stamps the time', () => {
    const reset = healthResetFields(now);
    expect(reset).toEqual({
      failing_since: null,
      failed_attempts: 0,
      health_reset_at: now,
      disabled_at: null,
    });
    expect(storedHealth(reset).reset_at).toEqual(now);
    expect(disabledAtFields(now)).toEqual({ disabled_at: now });
  });

  it('every outcome but a 2xx is a failure of the endpoint, except hookstream not reading the webhook', () => {
    const failures: AttemptOutcome[] = [
      'http_3xx',
      'http_4xx',
      'http_410',
      'http_429',
      'http_5xx',
      'timeout',
      'connection_refused',
      'dns',
      'tls',
      'network',
      'forbidden_target',
    ];
    for (const o of failures) expect(healthSample(o, now), o).toEqual({ ok: false, at: now });
    expect(healthSample('success', now)).toEqual({ ok: true, at: now });
    expect(healthSample('webhook_unavailable', now)).toBeNull();
  });
});
