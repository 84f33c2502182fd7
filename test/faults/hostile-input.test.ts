/**
 * Hostile input, interleaved with valid events in one partition: malformed JSON, invalid UTF-8, an
 * oversize event, deeply nested objects and arrays, unknown schema ids (a registry that answers
 * 404), header injection in ids, empty and null records, and a valid event with huge Kafka headers.
 * Expected: each bad record quarantined to events.invalid with its reason, the router never
 * crashes, the partition keeps flowing (every valid event delivered, the router's committed offset
 * at the end of the partition). Then malformed jobs on the deliveries topic: dead-lettered as
 * `invalid_job`, the sender keeps going.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { resources, waitFor } from '../support/helpers.js';
import { event } from '../support/pipeline.js';
import { recordOutcome } from './support/report.js';
import { roleProcesses } from './support/roles.js';
import { createScenario, ENVIRONMENT, HOSTILE_KEY_PREFIX, TopicTap } from './support/scenario.js';

/** A schema registry that knows no schema: every lookup is a Confluent-style 404. */
async function emptyRegistry(r: ReturnType<typeof resources>): Promise<string> {
  const server = http.createServer((_req, res) => {
    res
      .writeHead(404, { 'content-type': 'application/vnd.schemaregistry.v1+json' })
      .end(JSON.stringify({ error_code: 40403, message: 'Schema not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.add(server, (s) => new Promise((resolve) => s.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const envelope = (fields: Record<string, unknown>) =>
  JSON.stringify({ ...event(ENVIRONMENT, 'vendor.created'), ...fields });

function nested(depth: number, open: string, close: string, leaf = '1'): string {
  return open.repeat(depth) + leaf + close.repeat(depth);
}

/** Each hostile record and the (code, reason) it must be quarantined with. */
function hostileRecords(): { name: string; value: Buffer | null; code: string; reason: string }[] {
  const valid = envelope({});
  return [
    {
      name: 'malformed-json',
      value: Buffer.from(valid.slice(0, -7)),
      code: 'UNDECODABLE_EVENT',
      reason: 'not_json',
    },
    {
      name: 'invalid-utf8',
      value: Buffer.concat([
        Buffer.from('{"event_id":"evt_'),
        Buffer.from([0xff, 0xfe, 0xc0]),
        Buffer.from(valid.slice(valid.indexOf('",'))),
      ]),
      code: 'UNDECODABLE_EVENT',
      reason: 'invalid_utf8',
    },
    {
      name: 'oversize',
      value: Buffer.from(envelope({ data: { blob: 'x'.repeat(1_000_100) } })),
      code: 'UNDECODABLE_EVENT',
      reason: 'too_large',
    },
    {
      name: 'deep-object',
      value: Buffer.from(
        `${valid.slice(0, valid.lastIndexOf('"data":'))}"data":${nested(50_000, '{"a":', '}')}}`,
      ),
      code: 'INVALID_ENVELOPE',
      reason: 'too_deep',
    },
    {
      name: 'deep-array',
      value: Buffer.from(
        `${valid.slice(0, valid.lastIndexOf('"data":'))}"data":{"a":${nested(200_000, '[', ']')}}}`,
      ),
      code: 'INVALID_ENVELOPE',
      reason: 'too_deep',
    },
    {
      name: 'unknown-schema',
      value: Buffer.concat([Buffer.from([0, 0, 0, 0x27, 0x0f]), Buffer.from('avro-ish bytes \u0002\u0004')]),
      code: 'UNKNOWN_SCHEMA',
      reason: 'unknown_schema',
    },
    { name: 'empty', value: Buffer.alloc(0), code: 'UNDECODABLE_EVENT', reason: 'empty' },
    { name: 'tombstone', value: null, code: 'UNDECODABLE_EVENT', reason: 'empty' },
    { name: 'not-object', value: Buffer.from('[1,2,3]'), code: 'INVALID_ENVELOPE', reason: 'not_object' },
    {
      name: 'header-injection',
      value: Buffer.from(envelope({ event_id: 'evt_1\r\nX-Injected: yes' })),
      code: 'INVALID_ENVELOPE',
      reason: 'invalid_chars',
    },
    {
      name: 'unknown-type',
      value: Buffer.from(envelope({ event_type: 'vendor.exploded' })),
      code: 'INVALID_ENVELOPE',
      reason: 'unknown_event_type',
    },
    {
      name: 'bad-environment',
      value: Buffer.from(envelope({ environment: '../../etc/passwd' })),
      code: 'INVALID_ENVELOPE',
      reason: 'invalid_format',
    },
    {
      name: 'huge-id',
      value: Buffer.from(envelope({ event_id: `evt_${'9'.repeat(100_000)}` })),
      code: 'INVALID_ENVELOPE',
      reason: 'too_long',
    },
  ];
}

describe('hostile input', () => {
  const r = resources();
  const roles = roleProcesses();

  it('is quarantined with a reason, never crashes the router, and the partition keeps flowing', async () => {
    const s = await createScenario(r, roles, 'hostile', {
      env: { SCHEMA_REGISTRY_URL: await emptyRegistry(r) },
    });
    const router = await s.role('router', ['router']).start();
    const sender = await s.role('sender', ['sender', '--tier', 'all']).start();
    const invalid = r.add(await new TopicTap(s.kafka, s.names.eventsInvalid).start(), (t) => t.stop());

    const hostile = hostileRecords();
    const producer = s.kafka.producer();
    await producer.connect();
    r.add(producer, (p) => p.disconnect());
    // One partition, valid and hostile alternating, each record its own request (an oversize one
    // must not take the valid ones down with it).
    const started = Date.now();
    let valid = 0;
    for (const h of hostile) {
      await producer.send({
        topic: s.eventTopic,
        acks: -1,
        messages: [{ partition: 0, value: envelope({}) }],
      });
      valid++;
      await producer.send({
        topic: s.eventTopic,
        acks: -1,
        messages: [{ partition: 0, key: `${HOSTILE_KEY_PREFIX}${h.name}`, value: h.value }],
      });
    }
    // A valid event with 200 Kafka headers of 2 KiB each: routed normally, headers not forwarded.
    const headers = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`x-h${i}`, 'h'.repeat(2_048)]));
    await producer.send({
      topic: s.eventTopic,
      acks: -1,
      messages: [{ partition: 0, value: envelope({}), headers }],
    });
    for (let i = 0; i < 10; i++) {
      await producer.send({
        topic: s.eventTopic,
        acks: -1,
        messages: [{ partition: 0, value: envelope({}) }],
      });
    }
    valid += 11;

    // Malformed jobs straight onto the deliveries topic, between valid traffic.
    const badJobs = ['not json', '{"delivery_id":"dlv_x"}', JSON.stringify({ attempt: -1 }), '\u0000\u0001'];
    await producer.send({
      topic: s.names.deliveries,
      acks: -1,
      messages: badJobs.map((value, i) => ({ partition: 0, key: `${HOSTILE_KEY_PREFIX}job-${i}`, value })),
    });
    await producer.send({ topic: s.eventTopic, acks: -1, messages: [{ partition: 0, value: envelope({}) }] });
    valid++;

    const settledAt = await s.settle({ timeoutMs: 60_000 });
    await waitFor(() => invalid.records.length >= hostile.length, { timeout: 30_000 });
    await waitFor(
      () =>
        s.deadLetters.records.filter((d) => d.headers['hookstream-dead-letter-reason'] === 'invalid_job')
          .length >= badJobs.length,
      { timeout: 30_000 },
    );

    const quarantined = new Map(invalid.records.map((q) => [q.key, q]));
    const outcome: Record<string, string> = {};
    for (const h of hostile) {
      const q = quarantined.get(`${HOSTILE_KEY_PREFIX}${h.name}`);
      outcome[h.name] = `${q?.headers['hookstream-error-code']}/${q?.headers['hookstream-error-reason']}`;
    }
    process.stderr.write(`hostile: ${JSON.stringify(outcome)}\n`);
    for (const h of hostile) expect(outcome[h.name], h.name).toBe(`${h.code}/${h.reason}`);
    expect(invalid.records).toHaveLength(hostile.length);
    for (const q of invalid.records) {
      expect(q.headers['hookstream-source-topic']).toBe(s.eventTopic);
      expect(q.headers['hookstream-error-message']?.length).toBeGreaterThan(0);
    }

    const rec = s.ledger.reconcile(s.schedule);
    expect(rec.events).toBe(valid);
    expect(rec.lost).toEqual([]);
    expect(rec.duplicates).toBe(0);
    expect(rec.unexpected).toBe(0);
    // No Kafka header of the huge-header event reached a receiver.
    expect(s.receiver.received.some((q) => 'x-h0' in q.headers)).toBe(false);

    // The router kept its place: committed offset of partition 0 = end of the partition.
    const admin = s.kafka.admin();
    await admin.connect();
    r.add(admin, (a) => a.disconnect());
    const end = (await admin.fetchTopicOffsets(s.eventTopic)).find((o) => o.partition === 0)!.high;
    await waitFor(async () => {
      const [committed] = await admin.fetchOffsets({ groupId: s.names.routerGroup, topics: [s.eventTopic] });
      return committed!.partitions.find((p) => p.partition === 0)!.offset === end;
    });
    for (const role of [router, sender]) {
      expect(role.crashes).toEqual([]);
      expect(role.starts).toBe(1);
      expect(await role.ready()).toBe(true);
    }

    recordOutcome({
      fault: `hostile input (${hostile.length} kinds + ${badJobs.length} malformed jobs) between valid events`,
      events: rec.events,
      deliveries: rec.expected,
      lost: rec.lost.length,
      duplicated: rec.duplicates,
      deadLettered: rec.deadLettered,
      recoverMs: 0,
      catchUpMs: settledAt - started,
      notes: 'every bad record quarantined with its reason; no crash; partition kept flowing',
    });
  });
});
