/**
 * Payload filters on real Kafka: one router and sender pipeline, one webhook per operator, one set
 * of events; each webhook receives exactly the events its filter matches, and the filtered-out
 * ones produce no job (the router's counter accounts for every one of them).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { metrics } from '../../../src/observability/metrics.js';
import { resources, waitFor } from '../../support/helpers.js';
import { event, insertWebhook, pipelineEnv, publish, startPipeline } from '../../support/pipeline.js';
import { TestReceiver } from '../../support/receiver.js';

/** The events: name → (data, workflow_run_id). */
const EVENTS: Record<string, { data: Record<string, unknown>; workflow_run_id?: string }> = {
  e1: {
    data: { status: 'suspended', tier: 1, risk: 90, reviewer: 'ana' },
    workflow_run_id: 'wr_onboarding_1',
  },
  e2: { data: { status: 'active', tier: 5, risk: 10 }, workflow_run_id: 'wr_offboarding_2' },
  e3: { data: { status: 'terminated', tier: 3, risk: 50, reviewer: null } },
  e4: { data: { status: 'suspended', tier: 7, risk: 85, flags: ['sanctions'] } },
};

/** Operator → the filter and the events it must let through. */
const CASES: [string, Record<string, unknown>, string[]][] = [
  ['equality', { 'data.status': 'suspended' }, ['e1', 'e4']],
  ['$in', { 'data.status': { $in: ['suspended', 'terminated'] } }, ['e1', 'e3', 'e4']],
  ['$exists: true (null counts)', { 'data.reviewer': { $exists: true } }, ['e1', 'e3']],
  ['$exists: false', { 'data.reviewer': { $exists: false } }, ['e2', 'e4']],
  ['$prefix', { workflow_run_id: { $prefix: 'wr_onboarding_' } }, ['e1']],
  ['$gt/$lt (a range)', { 'data.tier': { $gt: 1, $lt: 6 } }, ['e2', 'e3']],
  ['$or', { $or: [{ 'data.risk': { $gt: 80 } }, { 'data.flags.0': 'sanctions' }] }, ['e1', 'e4']],
  ['implicit AND', { 'data.status': 'suspended', 'data.tier': { $lt: 5 } }, ['e1']],
];

async function filteredSoFar(): Promise<number> {
  return (await metrics.routerFiltered.get()).values[0]?.value ?? 0;
}

describe('payload filter on real Kafka', () => {
  const r = resources('all');
  const rx = new TestReceiver();
  const ids = new Map<string, string>(); // event_id → e1…
  const pathOf = (i: number) => `/case-${i}`;

  beforeAll(async () => {
    r.add(await rx.start(), (x) => x.close());
    const p = await pipelineEnv(r);
    for (const [i, [, filter]] of CASES.entries()) {
      await insertWebhook(p.db, {
        environment: 'prod',
        url: `${rx.url}${pathOf(i)}`,
        event_types: ['vendor.*'],
        options: { filter: JSON.stringify(filter) },
      });
    }
    await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/all`, event_types: ['vendor.*'] });
    const before = await filteredSoFar();
    await startPipeline(r, p);
    const events = Object.entries(EVENTS).map(([name, e]) => {
      const ev = {
        ...event('prod', 'vendor.created', e.data),
        ...(e.workflow_run_id ? { workflow_run_id: e.workflow_run_id } : {}),
      };
      ids.set(ev.event_id, name);
      return ev;
    });
    await publish(r, p.eventTopic, events);
    const expectedFiltered = CASES.reduce((n, [, , through]) => n + events.length - through.length, 0);
    await waitFor(async () => rx.at('/all').length === events.length, {
      timeout: 60_000,
      message: 'the unfiltered webhook received every event',
    });
    await waitFor(async () => (await filteredSoFar()) - before >= expectedFiltered, {
      timeout: 30_000,
      message: `the router filtered out ${expectedFiltered} (webhook, event) pairs`,
    });
    await waitFor(() => CASES.every(([, , through], i) => rx.at(pathOf(i)).length >= through.length), {
      timeout: 30_000,
      message: 'every case received its matching events',
    });
  }, 120_000);

  it.each(CASES.map((c, i) => [...c, i] as const))(
    '%s lets through exactly the matching events',
    (_, __, through, i) => {
      const got = rx.at(pathOf(i)).map((req) => ids.get(JSON.parse(req.body).event_id));
      expect(got.sort()).toEqual([...through].sort());
    },
  );

  it('filtered-out pairs made no job: the router counted each of them once', async () => {
    // Every (webhook, event) pair is either delivered or filtered, never both.
    const delivered = CASES.reduce((n, _, i) => n + rx.at(pathOf(i)).length, 0);
    expect(delivered).toBe(CASES.reduce((n, [, , t]) => n + t.length, 0));
  });
});
