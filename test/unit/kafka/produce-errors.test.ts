import { describe, expect, it } from 'vitest';
import { recordRefusal } from '../../../src/kafka/produce-errors.js';
import { brokerError, connectionError } from '../router/support.js';

describe('recordRefusal', () => {
  it('finds the broker refusal however kafkajs wrapped it', () => {
    expect(recordRefusal(brokerError('MESSAGE_TOO_LARGE'))).toBe('MESSAGE_TOO_LARGE');
    expect(recordRefusal(brokerError('RECORD_LIST_TOO_LARGE'))).toBe('RECORD_LIST_TOO_LARGE');
    expect(recordRefusal(Object.assign(new Error('x'), { type: 'INVALID_RECORD' }))).toBe('INVALID_RECORD');
  });

  it('says null for what may succeed later: broker down, leader moving, unknown errors', () => {
    expect(recordRefusal(connectionError())).toBeNull();
    expect(recordRefusal(brokerError('NOT_LEADER_FOR_PARTITION', true))).toBeNull();
    expect(recordRefusal(brokerError('TOPIC_AUTHORIZATION_FAILED'))).toBeNull();
    expect(recordRefusal(new Error('boom'))).toBeNull();
    expect(recordRefusal(null)).toBeNull();
    const loop: { cause?: unknown } = {};
    loop.cause = loop;
    expect(recordRefusal(loop)).toBeNull();
  });
});
