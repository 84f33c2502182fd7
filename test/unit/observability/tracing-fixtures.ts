/** A BatchRouter over a fake producer, for the tracing tests. */
import { fakeProducer, testRouter } from '../router/support.js';

export function tracedRouter(webhookIds: readonly string[]) {
  const producer = fakeProducer();
  return { router: testRouter(producer, null, webhookIds), producer };
}
