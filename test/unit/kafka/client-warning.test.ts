import { describe, expect, it } from 'vitest';
import { createKafka } from '../../../src/kafka/client.js';
import { testLogger } from '../../support/helpers.js';

describe('createKafka and Node warnings', () => {
  it('keeps emitting warnings that do not come from inside kafkajs, TimeoutNegativeWarning included', async () => {
    createKafka({ brokers: ['127.0.0.1:1'], clientId: 'warnings', logger: testLogger });
    createKafka({ brokers: ['127.0.0.1:1'], clientId: 'warnings-2', logger: testLogger }); // idempotent
    const seen: string[] = [];
    const listener = (w: Error) => seen.push(`${w.name}: ${w.message}`);
    process.on('warning', listener);
    try {
      process.emitWarning('ours', 'TimeoutNegativeWarning');
      process.emitWarning('another', 'DeprecationWarning');
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', listener);
    }
    expect(seen).toEqual(['TimeoutNegativeWarning: ours', 'DeprecationWarning: another']);
  });
});
