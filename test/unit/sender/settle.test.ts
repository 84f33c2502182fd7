import type { Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { topicNames } from '../../../src/config/topics.js';
import { decide } from '../../../src/core/attempt.js';
import { type DeliveryJob, decodeJob } from '../../../src/core/job.js';
import { exhaustedEventId, type OperationalEvent } from '../../../src/core/operational.js';
import { parseRetryPolicy } from '../../../src/core/retry-policy.js';
import type { DeliveryUpdate } from '../../../src/mongo/deliveries.js';
import { Settler } from '../../../src/sender/settle.js';
import { testLogger } from '../../support/helpers.js';
import { T0, testJob } from '../support/job.js';

const policy = parseRetryPolicy();
const names = topicNames('hs', policy.tiers);
const job: DeliveryJob = testJob;
const webhook = { enabled: true, deleted: false, secrets: ['s'] };
const attempt = (outcome: 'success' | 'http_410' | 'http_5xx', statusCode: number) => ({
  tier: 'deliveries',
  startedAtMs: T0,
  result: { outcome, statusCode, latencyMs: 5, retryAfter: null, error: null },
});

function harness(
  opts: {
    produceFailures?: number;
    disableFails?: boolean;
    alreadyDisabled?: boolean;
    publishFailures?: number;
  } = {},
) {
  const steps: string[] = [];
  const produced: { topic: string; message: Message }[] = [];
  const published: OperationalEvent[] = [];
  let failures = opts.produceFailures ?? 0;
  let publishFailures = opts.publishFailures ?? 0;
  const settler = new Settler({
    names,
    tier: 'deliveries',
    logger: testLogger,
    producer: {
      send: async (topic, message) => {
        if (failures-- > 0) throw new Error('broker down');
        steps.push(`produce ${topic}`);
        produced.push({ topic, message });
      },
    },
    recorder: {
      record: async (u: DeliveryUpdate) => void steps.push(`record ${u.status}`),
    },
    disableWebhook: async (id) => {
      if (opts.disableFails) throw new Error('MongoDB unreachable');
      steps.push(`disable ${id}`);
      return opts.alreadyDisabled !== true;
    },
    onDisabled: (id) => steps.push(`invalidate ${id}`),
    operational: {
      publish: async (events) => {
        if (publishFailures-- > 0) throw new Error('broker down');
        for (const e of events) steps.push(`publish ${e.event_type}`);
        published.push(...events);
      },
    },
    newEventId: () => 'opx_test',
  });
  return { settler, steps, produced, published };
}
const signal = new AbortController().signal;

describe('Settler.settle', () => {
  it('a success is recorded, nothing produced', async () => {
    const h = harness();
    await h.settler.settle(decide(job, webhook, attempt('success', 200), policy, T0), signal);
    expect(h.steps).toEqual(['record succeeded']);
  });

  it('a retry is recorded first, then produced to its tier', async () => {
    const h = harness();
    await h.settler.settle(decide(job, webhook, attempt('http_5xx', 500), policy, T0), signal);
    expect(h.steps).toEqual(['record retrying', 'produce hs.retry.1m']);
    expect(decodeJob(h.produced[0]!.message.value as Buffer)).toMatchObject({
      attempt: 2,
      first_attempt_at: T0,
    });
    expect(h.produced[0]!.message.key).toBe('wh_1');
  });

  it('a 410 disables the webhook, records, and dead-letters', async () => {
    const h = harness();
    await h.settler.settle(decide(job, webhook, attempt('http_410', 410), policy, T0), signal);
    expect(h.steps).toEqual([
      'disable wh_1',
      'invalidate wh_1',
      'publish webhook.disabled',
      'record failed',
      'produce hs.dead-letter',
    ]);
    expect(h.published[0]).toMatchObject({
      event_id: 'opx_test',
      event_type: 'webhook.disabled',
      environment: 'prod',
      data: { webhook_id: 'wh_1', reason: 'gone_410', disabled_at: new Date(T0).toISOString() },
    });
    expect(h.produced[0]!.message.headers).toMatchObject({
      'hookstream-dead-letter-reason': 'webhook_gone',
      'hookstream-last-status': '410',
    });
  });

  it('a 410 for a webhook disabled already tells nobody again', async () => {
    const h = harness({ alreadyDisabled: true });
    await h.settler.settle(decide(job, webhook, attempt('http_410', 410), policy, T0), signal);
    expect(h.published).toEqual([]);
    expect(h.steps).toEqual(['disable wh_1', 'invalidate wh_1', 'record failed', 'produce hs.dead-letter']);
  });

  it('a spent budget dead-letters, then publishes delivery.exhausted with a stable id', async () => {
    const h = harness({ publishFailures: 1 });
    const late = { ...job, attempt: 9, first_attempt_at: T0 - 25 * 3_600_000 };
    const failed = {
      ...attempt('http_5xx', 503),
      result: { ...attempt('http_5xx', 503).result, error: 'HTTP 503' },
    };
    const decision = decide(late, webhook, failed, policy, T0);
    expect(decision).toMatchObject({ kind: 'dead-letter', reason: 'budget_exhausted' });
    await h.settler.settle(decision, signal);
    expect(h.steps).toEqual(['record failed', 'produce hs.dead-letter', 'publish delivery.exhausted']);
    expect(h.published).toEqual([
      {
        event_id: exhaustedEventId(job.delivery_id, 9),
        event_type: 'delivery.exhausted',
        environment: 'prod',
        created_at: new Date(T0).toISOString(),
        data: {
          delivery_id: job.delivery_id,
          webhook_id: 'wh_1',
          event_id: 'evt_1',
          event_type: 'vendor.created',
          attempts: 9,
          failure_reason: 'budget_exhausted',
          last_error: {
            outcome: 'http_5xx',
            status_code: 503,
            error: 'HTTP 503',
            at: new Date(T0).toISOString(),
          },
        },
      },
    ]);
  });

  it('other dead-letterings publish no delivery.exhausted', async () => {
    const h = harness();
    const off = { ...webhook, enabled: false };
    await h.settler.settle(decide(job, off, null, policy, T0), signal);
    expect(h.steps).toEqual(['record failed', 'produce hs.dead-letter']);
  });

  it('a 410 whose disable fails is still dead-lettered: settle resolves, the offset can commit', async () => {
    const h = harness({ disableFails: true });
    await h.settler.settle(decide(job, webhook, attempt('http_410', 410), policy, T0), signal);
    expect(h.steps).toEqual(['record failed', 'produce hs.dead-letter']);
  });

  it('retries a failing produce until Kafka acknowledges', async () => {
    const h = harness({ produceFailures: 1 });
    await h.settler.settle(decide(job, webhook, attempt('http_5xx', 500), policy, T0), signal);
    expect(h.steps).toEqual(['record retrying', 'produce hs.retry.1m']);
  });

  it('gives up producing only when the signal aborts', async () => {
    const h = harness({ produceFailures: 1_000 });
    const controller = new AbortController();
    controller.abort();
    await expect(
      h.settler.settle(decide(job, webhook, attempt('http_5xx', 500), policy, T0), controller.signal),
    ).rejects.toThrow('broker down');
  });

  it('sets a malformed message aside on the dead-letter topic, as it was', async () => {
    const h = harness();
    const value = Buffer.from('not json');
    await h.settler.setAside(
      { key: Buffer.from('k'), value, offset: '7', timestamp: '0', attributes: 0, headers: {} },
      new Error('bad'),
      0,
      signal,
    );
    expect(h.produced[0]).toMatchObject({
      topic: 'hs.dead-letter',
      message: { value, headers: { 'hookstream-dead-letter-reason': 'invalid_job' } },
    });
  });
});
