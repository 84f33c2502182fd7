import { describe, expect, it } from 'vitest';
import type { OperationalEvent } from '../../../src/core/operational.js';
import { createServiceContext } from '../../../src/services/context.js';
import { announceEnabledChange, enabledFields } from '../../../src/services/webhook-lifecycle.js';
import { testLogger } from '../../support/helpers.js';

const NOW = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));

describe('enabledFields', () => {
  it('re-enabling resets the failure clock', () => {
    expect(enabledFields({ enabled: false }, true, NOW)).toEqual({
      change: 'enabled',
      fields: {
        enabled: true,
        disabled_reason: null,
        failing_since: null,
        failed_attempts: 0,
        health_reset_at: NOW,
        disabled_at: null,
      },
    });
  });

  it('disabling by hand records manual and when', () => {
    expect(enabledFields({ enabled: true }, false, NOW)).toEqual({
      change: 'disabled',
      fields: { enabled: false, disabled_reason: 'manual', disabled_at: NOW },
    });
  });

  it('no change, no fields, no event', () => {
    expect(enabledFields({ enabled: true }, true, NOW)).toEqual({ change: null, fields: {} });
    expect(enabledFields({ enabled: false }, false, NOW)).toEqual({ change: null, fields: {} });
    expect(enabledFields({ enabled: true }, undefined, NOW)).toEqual({ change: null, fields: {} });
  });
});

describe('announceEnabledChange', () => {
  const context = (publish: (events: readonly OperationalEvent[]) => Promise<void>) =>
    createServiceContext({
      db: {} as never,
      config: { secretKey: null, allowHttp: true, allowPrivateTargets: true, secretOverlapMs: 0 },
      logger: testLogger,
      randomBytes: (n) => Buffer.alloc(n, 1),
      publishOperational: publish,
    });
  const doc = { _id: 'wh_1', environment: 'prod' };

  it('publishes webhook.enabled and webhook.disabled (manual)', async () => {
    const seen: OperationalEvent[] = [];
    const ctx = context(async (events) => void seen.push(...events));
    await announceEnabledChange(ctx, doc, 'enabled', NOW);
    await announceEnabledChange(ctx, doc, 'disabled', NOW);
    await announceEnabledChange(ctx, doc, null, NOW);
    expect(seen.map((e) => [e.event_type, e.environment, e.data.webhook_id])).toEqual([
      ['webhook.enabled', 'prod', 'wh_1'],
      ['webhook.disabled', 'prod', 'wh_1'],
    ]);
    expect(seen[1]!.data).toMatchObject({ reason: 'manual', disabled_at: NOW.toISOString() });
    expect(seen[0]!.event_id).toMatch(/^opx_/);
  });

  it('a publish that fails is logged, not thrown: the stored change stands', async () => {
    const ctx = context(async () => {
      throw new Error('broker down');
    });
    await expect(announceEnabledChange(ctx, doc, 'enabled', NOW)).resolves.toBeUndefined();
  });
});
