/** The delivery job the sender's unit tests start from, made by the one constructor (`firstJob`). */
import type { Envelope } from '../../../src/core/envelope.js';
import { type DeliveryJob, firstJob } from '../../../src/core/job.js';

/** 2026-01-01T00:00:00Z, epoch milliseconds: the job is due then. */
export const T0 = Date.UTC(2026, 0, 1);

const envelope = {
  event_id: 'evt_1',
  event_type: 'vendor.created',
  environment: 'prod',
  created_at: '2026-01-01T00:00:00Z',
  data: {},
} as Envelope;

/** Attempt 1 of `evt_1` to `wh_1`, due at T0, with a small fixed body. */
export const testJob: DeliveryJob = firstJob(envelope, 'wh_1', T0, { body: '{"event_id":"evt_1"}' });
