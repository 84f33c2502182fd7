/**
 * Lag and overdue from the roles that own them: several processes of one role join the owner
 * group, exactly one reports, and another takes over when it leaves.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { deliveryId } from '../../../src/core/ids.js';
import { encodeJob } from '../../../src/core/job.js';
import type { LagCollector } from '../../../src/observability/lag.js';
import { reportOwnLag } from '../../../src/observability/lag-owner.js';
import { registry } from '../../../src/observability/metrics.js';
import type { Component } from '../../../src/roles/lifecycle.js';
import { closeAll } from '../../../src/roles/lifecycle.js';
import { resources, testLogger, waitFor } from '../../support/helpers.js';
import { pipelineEnv } from '../../support/pipeline.js';
import { freePort } from '../../support/ports.js';
import { spawnRole, stopRole } from '../../support/processes.js';

describe('lag reported by the owning role', () => {
  const r = resources();

  it('exactly one process of a role reports its tier, and another takes over when it stops', async () => {
    const p = await pipelineEnv(r, { HOOKSTREAM_TOPIC_PARTITIONS: '2', HOOKSTREAM_LAG_INTERVAL_MS: '200' });
    const config = loadConfig({ ...p.env, HOOKSTREAM_KAFKA_SESSION_TIMEOUT: '6s' });
    const tier = p.names.retry[0]!; // 1s
    const producer = r.add(r.kafka().producer(), (x) => x.disconnect());
    await producer.connect();
    const eventId = `evt_${randomBytes(6).toString('hex')}`;
    const dueAt = Date.now() - 30_000;
    await producer.send({
      topic: tier.topic,
      messages: [
        {
          key: 'wh_owner',
          value: encodeJob({
            delivery_id: deliveryId(eventId, 'wh_owner'),
            event_id: eventId,
            event_type: 'vendor.created',
            environment: 'prod',
            webhook_id: 'wh_owner',
            attempt: 2,
            first_attempt_at: dueAt - 1_000,
            due_at: dueAt,
            created_at: new Date(dueAt - 1_000).toISOString(),
            body: '{}',
          }),
        },
      ],
    });

    // Two sender processes of the 1s tier, as two pods would run them.
    const process = (): { started: Component[]; collector: LagCollector } => {
      const started: Component[] = [];
      const [collector] = reportOwnLag({ config, logger: testLogger, started }, ['1s']);
      r.add(started, (s) => closeAll(s, testLogger));
      return { started, collector: collector! };
    };
    const a = process();
    const b = process();
    const overdue = /hookstream_tier_overdue_seconds\{tier="1s"\} (?:[3-9]\d|\d{3,})/;
    const lagLine = (t: string) =>
      t.split('\n').filter((l) => l.startsWith(`hookstream_consumer_lag{group="${tier.group}"`));

    await waitFor(async () => overdue.test(await registry.metrics()), { timeout: 30_000 });
    const reporting = [a, b].filter((x) => x.collector.reporting);
    expect(reporting).toHaveLength(1);
    // Both partitions of the tier, each once.
    expect(lagLine(await registry.metrics())).toHaveLength(2);

    const [owner] = reporting;
    const other = owner === a ? b : a;
    await closeAll(owner!.started, testLogger);
    await waitFor(() => other.collector.reporting, { timeout: 30_000 });
    await waitFor(async () => overdue.test(await registry.metrics()), { timeout: 30_000 });
    expect(lagLine(await registry.metrics())).toHaveLength(2);
  }, 90_000);

  it('the router and sender roles each export their own groups, and only those', async () => {
    const p = await pipelineEnv(r, { HOOKSTREAM_TOPIC_PARTITIONS: '1', HOOKSTREAM_LAG_INTERVAL_MS: '200' });
    const scrape = async (port: number) => {
      try {
        return await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      } catch {
        return '';
      }
    };
    const roles = await Promise.all(
      [['router'], ['sender', '--tier', '2s']].map(async (args) => {
        const port = await freePort();
        const role = spawnRole(args, { ...p.env, HOOKSTREAM_METRICS_PORT: String(port) });
        r.add(role, (x) => stopRole(x));
        return { port, role };
      }),
    );
    const [router, sender] = roles as [(typeof roles)[0], (typeof roles)[0]];
    const routerText = await waitFor(
      async () => {
        const t = await scrape(router.port);
        return t.includes(`hookstream_consumer_lag{group="${p.names.routerGroup}"`) ? t : null;
      },
      { timeout: 30_000, interval: 250 },
    );
    const senderText = await waitFor(
      async () => {
        const t = await scrape(sender.port);
        return /^hookstream_tier_overdue_seconds\{tier="2s"\} 0$/m.test(t) ? t : null;
      },
      { timeout: 30_000, interval: 250 },
    );
    // Each process only its own group: no double reporting across roles.
    expect(routerText).not.toMatch(/hookstream_tier_overdue_seconds\{/);
    expect(senderText).not.toContain(`group="${p.names.routerGroup}"`);
    expect(senderText).not.toMatch(/tier="(1s|4s|deliveries)"\} /);
    for (const t of [routerText, senderText]) expect(t).toMatch(/^hookstream_build_info\{/m);
  }, 60_000);

  it('reports nothing when HOOKSTREAM_LAG_INTERVAL_MS is 0', async () => {
    const p = await pipelineEnv(r);
    const started: Component[] = [];
    expect(reportOwnLag({ config: p.config, logger: testLogger, started }, ['router'])).toEqual([]);
    expect(started).toEqual([]);
  });
});
