import { describe, expect, it } from 'vitest';
import { resources, waitFor } from '../../support/helpers.js';
import { event, insertWebhook, pipelineEnv, publish, startPipeline } from '../../support/pipeline.js';
import { type RoleProcess, spawnRole, stopRole } from '../../support/processes.js';
import { TestReceiver } from '../../support/receiver.js';

const sum = (xs: { offset: string }[]) => xs.reduce((n, x) => n + Math.max(0, Number(x.offset)), 0);

describe('router process (built CLI, real Kafka and MongoDB)', () => {
  const r = resources();

  it('loses no event when the router is killed -9 between producing jobs and committing', async () => {
    const p = await pipelineEnv(r);
    const rx = r.add(await new TestReceiver().start(), (x) => x.close());
    await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/a`, event_types: ['*'] });
    await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/b`, event_types: ['vendor.*'] });
    await startPipeline(r, p, { router: false });
    const events = Array.from({ length: 6_000 }, () => event('prod', 'vendor.created'));
    for (let i = 0; i < events.length; i += 1_000) await publish(r, p.eventTopic, events.slice(i, i + 1_000));

    const admin = await r.admin();
    const first: RoleProcess = r.add(spawnRole(['router'], { ...p.env, LOG_LEVEL: 'info' }), (x) =>
      stopRole(x),
    );
    await waitFor(() => rx.received.length >= 100, {
      timeout: 30_000,
      message: `the first router routing: ${first.output().slice(-3000)}`,
    });
    first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    // What the dead router had produced versus what it had committed.
    const produced = sum(await admin.fetchTopicOffsets(p.names.deliveries)) / 2;
    const [committed] = await admin.fetchOffsets({ groupId: p.names.routerGroup, topics: [p.eventTopic] });
    const committedEvents = sum(committed!.partitions);
    process.stderr.write(
      `kill -9 of the router: ~${produced} events' jobs produced, ${committedEvents} events committed\n`,
    );
    expect(committedEvents).toBeLessThan(events.length);

    const second = r.add(spawnRole(['router'], { ...p.env, LOG_LEVEL: 'info' }), (x) => stopRole(x));
    const expected = events.length * 2;
    const unique = () => new Set(rx.received.map((x) => x.headers['coverbase-delivery-id'])).size;
    await waitFor(() => unique() === expected, {
      timeout: 90_000,
      message: `${expected} distinct deliveries`,
    });
    process.stderr.write(
      `after restart: ${expected} deliveries, 0 lost, ${rx.received.length - expected} duplicated\n`,
    );
    await stopRole(second);
    expect((await second.exited).code).toBe(0);
  }, 180_000);
});
