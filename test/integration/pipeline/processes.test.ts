import { describe, expect, it } from 'vitest';
import { resources, waitFor } from '../../support/helpers.js';
import { event, insertWebhook, pipelineEnv, publish, startPipeline } from '../../support/pipeline.js';
import { type RoleProcess, spawnRole, stopRole } from '../../support/processes.js';
import { TestReceiver } from '../../support/receiver.js';

describe('sender processes (built CLI, real Kafka and MongoDB)', () => {
  const r = resources();

  it('loses no delivery when a sender is killed mid-flight and replaced by a fresh one', async () => {
    const p = await pipelineEnv(r, { HOOKSTREAM_SENDER_CONCURRENCY: '20' });
    // Slow receiver: many attempts are in flight when the sender dies.
    const rx = r.add(await new TestReceiver(() => ({ status: 200, delayMs: 100 })).start(), (x) => x.close());
    await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/a`, event_types: ['*'] });
    await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/b`, event_types: ['vendor.*'] });
    await startPipeline(r, p, { senders: false });

    const first = r.add(spawnRole(['sender', '--tier', 'all'], { ...p.env, LOG_LEVEL: 'info' }), (x) =>
      stopRole(x),
    );
    const events = Array.from({ length: 300 }, () => event('prod', 'vendor.status_changed'));
    await publish(r, p.eventTopic, events);
    await waitFor(() => rx.received.length >= 60, { timeout: 30_000, message: 'first sender delivering' });
    first.kill('SIGKILL');
    const { signal } = await first.exited;
    expect(signal).toBe('SIGKILL');

    const second: RoleProcess = r.add(
      spawnRole(['sender', '--tier', 'all'], { ...p.env, LOG_LEVEL: 'info' }),
      (x) => stopRole(x),
    );
    const expected = events.length * 2;
    const unique = () => new Set(rx.received.map((x) => x.headers['coverbase-delivery-id'])).size;
    await waitFor(() => unique() === expected, {
      timeout: 60_000,
      message: `${expected} distinct deliveries`,
    });
    const duplicates = rx.received.length - expected;
    process.stderr.write(`kill -9 of a sender: ${expected} deliveries, 0 lost, ${duplicates} duplicated\n`);
    // Only what was in flight (window 20, plus up to one commit interval of finished work) repeats.
    expect(duplicates).toBeLessThanOrEqual(200);

    await stopRole(second);
    expect((await second.exited).code).toBe(0);
    expect(second.output()).toMatch(/sender stopped: in-flight attempts finished/);
  }, 120_000);

  it('shuts down on SIGTERM within 30 s, finishing in-flight attempts, exit code 0', async () => {
    const p = await pipelineEnv(r);
    const rx = r.add(await new TestReceiver(() => ({ status: 200, delayMs: 1_500 })).start(), (x) =>
      x.close(),
    );
    await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/slow`, event_types: ['*'] });
    await startPipeline(r, p, { senders: false });
    const sender = r.add(
      spawnRole(['sender', '--tier', 'deliveries'], { ...p.env, LOG_LEVEL: 'info' }),
      (x) => stopRole(x),
    );
    await publish(
      r,
      p.eventTopic,
      Array.from({ length: 10 }, () => event('prod', 'vendor.created')),
    );
    await waitFor(() => rx.received.length >= 1, { timeout: 30_000 });
    const t0 = Date.now();
    sender.kill('SIGTERM');
    const { code } = await sender.exited;
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
    // Every attempt that had started was answered before exit, and the log says what was flushed.
    expect(sender.output()).toMatch(/"in_flight_at_stop":\d+/);
    expect(sender.output()).toMatch(/shutdown complete/);
  }, 90_000);
});
