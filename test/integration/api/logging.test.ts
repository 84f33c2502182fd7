import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { resources } from '../../support/helpers.js';
import { ADMIN_KEY, envName, startTestApi, webhookInput } from './support.js';

describe('admin API: secrets never reach the log', () => {
  const r = resources();

  it('logs webhook and key operations at trace level without any secret, key or Authorization header', async () => {
    const lines: string[] = [];
    const logger = createLogger(
      { level: 'trace', name: 'api-log-test' },
      { write: (line: string) => lines.push(line) },
    );
    const api = await startTestApi(r, { consume: false, logger });
    const env = envName();

    const created = await api.call('POST', `/v1/environments/${env}/webhooks`, { body: webhookInput() });
    const rotated = await api.call(
      'POST',
      `/v1/environments/${env}/webhooks/${created.json.id}/rotate-secret`,
    );
    const minted = await api.call('POST', '/v1/api-keys', { body: { environment: env } });
    await api.call('GET', `/v1/environments/${env}/webhooks`, { key: minted.json.key });
    await api.call('GET', `/v1/environments/${env}/webhooks`, { key: 'wrong-key-but-still-secret-ish' });
    await api.call('POST', `/v1/environments/${env}/webhooks`, {
      body: { ...webhookInput(), secret: 'whsec_user_supplied' },
    });
    // The logger itself redacts secret-shaped fields, should a future log call pass one.
    logger.info({ secret: created.json.secret, webhook: { secret: rotated.json.secret } }, 'redaction probe');

    const log = lines.join('');
    // The capture works: the operations were logged.
    expect(log).toContain('webhook created');
    expect(log).toContain('webhook secret rotated');
    expect(log).toContain('api key created');
    expect(log).toContain('redaction probe');
    expect(log).toContain('[redacted]');
    for (const secret of [
      created.json.secret,
      created.json.secret.slice(6),
      rotated.json.secret,
      minted.json.key,
      ADMIN_KEY,
      'wrong-key-but-still-secret-ish',
    ]) {
      expect(log).not.toContain(secret);
    }
    expect(log.toLowerCase()).not.toContain('bearer ');
  });
});
