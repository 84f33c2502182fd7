/**
 * The naive baseline: what a first version of a webhook dispatcher usually looks like — a kafkajs
 * consumer whose `eachMessage` parses the event, finds its webhooks (in memory: more generous than
 * a database lookup), signs with HMAC-SHA256 and POSTs with got, one request at a time. Auto-commit.
 *
 * IPC: {type:'run', brokers, topic, groupId, webhooks:[{url, secret, environment}], maxEvents,
 *       maxSeconds} → {type:'done', events, deliveries, elapsedMs}
 */
import { createHmac } from 'node:crypto';
import got from 'got';
import { Kafka, logLevel } from 'kafkajs';

process.on('message', async (msg) => {
  if (msg.type !== 'run') return;
  const { brokers, topic, groupId, webhooks, maxEvents, maxSeconds } = msg;
  const byEnv = new Map();
  for (const w of webhooks) {
    const list = byEnv.get(w.environment) ?? [];
    list.push(w);
    byEnv.set(w.environment, list);
  }
  const kafka = new Kafka({ clientId: 'bench-naive', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId });
  let events = 0;
  let deliveries = 0;
  const started = Date.now();
  let finish;
  const done = new Promise((r) => (finish = r));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (events >= maxEvents || Date.now() - started > maxSeconds * 1000) return finish();
      const body = message.value.toString('utf8');
      const event = JSON.parse(body);
      for (const w of byEnv.get(event.environment) ?? []) {
        const t = Math.floor(Date.now() / 1000);
        const sig = createHmac('sha256', w.secret).update(`${t}.${body}`).digest('hex');
        await got.post(w.url, {
          body,
          headers: {
            'content-type': 'application/json',
            'coverbase-event-id': event.event_id,
            'coverbase-delivery-attempt': '1',
            'coverbase-delivery-id': `${event.event_id}:${w.id}`,
            'coverbase-signature': `t=${t},v1=${sig}`,
          },
          retry: { limit: 0 },
          throwHttpErrors: false,
          timeout: { request: 10_000 },
        });
        deliveries++;
      }
      events++;
    },
  });
  const timer = setInterval(() => {
    if (events >= maxEvents || Date.now() - started > maxSeconds * 1000) finish();
  }, 100);
  await done;
  clearInterval(timer);
  await consumer.disconnect();
  process.send({ type: 'done', events, deliveries, elapsedMs: Date.now() - started });
});
process.on('disconnect', () => process.exit(0));
