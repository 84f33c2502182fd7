import { beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../../support/helpers.js';
import { envName, startTestApi, type TestApi, webhookInput } from './support.js';

describe('admin API: webhooks per environment (HOOKSTREAM_MAX_WEBHOOKS_PER_ENVIRONMENT, default 200)', () => {
  const r = resources('all');
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(r, { consume: false });
  });

  it('refuses the 201st webhook of one environment with 422 LIMIT_EXCEEDED; other environments and deletes free room', async () => {
    const env = envName();
    const create = (environment: string) =>
      api.call('POST', `/v1/environments/${environment}/webhooks`, {
        body: webhookInput({ event_types: ['*'] }),
      });
    let first = '';
    for (let i = 0; i < 200; i++) {
      const res = await create(env);
      expect(res.status).toBe(201);
      if (i === 0) first = res.json.id;
    }
    const refused = await create(env);
    expect(refused.status).toBe(422);
    expect(refused.json.error.code).toBe('LIMIT_EXCEEDED');
    expect(refused.json.error.message).toMatch(/200/);
    expect((await create(envName())).status).toBe(201);

    expect((await api.call('DELETE', `/v1/environments/${env}/webhooks/${first}`)).status).toBe(204);
    expect((await create(env)).status).toBe(201);
    expect((await create(env)).status).toBe(422);
  }, 120_000);
});
