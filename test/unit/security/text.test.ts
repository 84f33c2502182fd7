/** Free text refuses control, bidirectional-control and line-separator characters and lone surrogates. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkText, isSafeText } from '../../../src/security/text.js';
import { serverWithoutServices, UNIT_ADMIN_KEY } from '../api/support.js';

const BAD = [
  ['NUL', 'a\u0000b'],
  ['newline', 'line\nbreak'],
  ['tab', 'a\tb'],
  ['DEL', 'a\u007fb'],
  ['C1 control', 'a\u0085b'],
  ['right-to-left override', 'invoice\u202egnp.exe'],
  ['left-to-right isolate', 'a\u2066b'],
  ['right-to-left mark', 'a\u200fb'],
  ['Arabic letter mark', 'a\u061cb'],
  ['line separator', 'a\u2028b'],
  ['lone high surrogate', 'a\ud800b'],
  ['lone low surrogate', 'a\udc00'],
] as const;

describe('checkText', () => {
  it.each(BAD)('refuses a %s', (_name, text) => {
    expect(isSafeText(text)).toBe(false);
    expect(() => checkText('description', text)).toThrow(
      expect.objectContaining({
        code: 'VALIDATION_FAILED',
        message: expect.stringMatching(/^description: must not contain/),
      }),
    );
  });

  it('keeps letters, accents, emoji (with ZWJ sequences) and punctuation', () => {
    const text = 'Zoë’s CRM → prod 😀 👩‍💻 «sync» (v2), 50% done; 日本語';
    expect(checkText('description', text)).toBe(text);
  });
});

describe('the API refuses unsafe free text before it reaches the database', () => {
  const app = serverWithoutServices();
  beforeAll(() => app.ready());
  afterAll(() => app.close());

  it.each([
    [
      '/v1/environments/prod/webhooks',
      '{"url":"https://x.example/","event_types":["*"],"description":"a\\u202eb"}',
    ],
    [
      '/v1/environments/prod/webhooks',
      '{"url":"https://x.example/","event_types":["*"],"description":"a\\ud800"}',
    ],
    ['/v1/api-keys', '{"environment":"prod","description":"a\\u0007b"}'],
    ['/v1/environments/prod/webhooks/wh_x/test', '{"message":"x\\u2066y"}'],
  ])('POST %s %s → 422', async (url, payload) => {
    const res = await app.inject({
      method: 'POST',
      url,
      payload,
      headers: {
        authorization: `Bearer ${UNIT_ADMIN_KEY}`,
        'content-type': 'application/json',
      },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
    expect(res.json().error.message).toMatch(/: must not contain control, bidirectional-control/);
  });
});
