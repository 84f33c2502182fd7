import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verify } from '../../src/core/signing.js';
import { resources, uniqueName, waitFor } from '../support/helpers.js';
import { publish } from '../support/pipeline.js';
import { TestReceiver } from '../support/receiver.js';
import { ADMIN_KEY, type ConsoleStack, openPage, shot, signIn, startConsoleStack } from './support.js';

describe('operator console in chromium, against a real hookstream all', () => {
  const r = resources('all');
  let stack: ConsoleStack;
  let rx: TestReceiver;
  let failing = true;
  const envA = uniqueName('shop').toLowerCase();
  const envB = uniqueName('bank').toLowerCase();
  let okHook: { id: string };
  let failHook: { id: string };
  let otherHook: { id: string };
  const eventId = `evt_console_${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    // /fail answers 503 (after 20 ms, so the attempt has a latency) until the test heals it.
    rx = r.add(
      await new TestReceiver((req) =>
        req.path === '/fail' && failing ? { status: 503, delayMs: 20 } : { status: 200 },
      ).start(),
      (x) => x.close(),
    );
    stack = await startConsoleStack(r);
    const create = async (env: string, path: string, description: string) => {
      const res = await stack.call('POST', `/v1/environments/${env}/webhooks`, {
        url: `${rx.url}${path}`,
        event_types: ['vendor.*'],
        description,
      });
      expect(res.status).toBe(201);
      return res.json as { id: string };
    };
    okHook = await create(envA, '/ok', 'orders service');
    failHook = await create(envA, '/fail', 'flaky receiver');
    otherHook = await create(envB, '/ok', 'another environment');
    // The router polls for new webhooks (500 ms here); wait until a routed event reaches both.
    await waitFor(
      async () => {
        await publish(r, stack.p.eventTopic, [
          {
            event_id: uniqueName('evt_warmup'),
            event_type: 'vendor.status_changed',
            environment: envB,
            data: {},
          },
        ]);
        return rx.at('/ok').length > 0;
      },
      { timeout: 30_000, interval: 1_000, message: 'the router knows the webhooks' },
    );
    await publish(r, stack.p.eventTopic, [
      {
        event_id: eventId,
        event_type: 'vendor.created',
        environment: envA,
        data: { vendor_id: 'v_42', name: 'Acme' },
      },
    ]);
    await waitFor(() => rx.at('/ok').some((x) => x.headers['coverbase-event-id'] === eventId), {
      timeout: 30_000,
      message: 'the event was delivered to /ok',
    });
  }, 180_000);

  afterAll(async () => {
    await r.closeAll();
  });

  it('serves the page with a strict CSP, no framing, and nothing from another origin', async () => {
    const res = await fetch(`${stack.base}/console`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/\sstyle=/);

    const { page, requests, problems, context } = await openPage(stack);
    await page.goto(`${stack.base}/console`);
    await page.getByLabel('API key').waitFor();
    await shot(page, '1-sign-in');
    await page.getByLabel('API key').fill('not-a-key-at-all-0000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That API key is not valid.').waitFor();
    expect(requests.every((u) => u.startsWith(`${stack.base}/`))).toBe(true);
    expect(requests.some((u) => /key/.test(new URL(u).search))).toBe(false);
    expect(problems.filter((m) => !/401/.test(m))).toEqual([]);
    await context.close();
  });

  it('signs in with the admin key, lists every environment with health, and shows a delivery of a real event with its attempts', async () => {
    const { page, problems, context } = await openPage(stack);
    await signIn(page, stack.base, ADMIN_KEY);
    await expect.poll(() => page.locator('#who-text').textContent()).toContain('Admin key');
    expect(await page.evaluate(() => sessionStorage.getItem('hookstream.console.key'))).toBe(ADMIN_KEY);
    expect(page.url()).not.toContain(ADMIN_KEY);
    const sectionA = page.locator(`section[data-env="${envA}"]`);
    await sectionA.locator(`tr[data-webhook="${okHook.id}"]`).waitFor();
    await page.locator(`section[data-env="${envB}"] tr[data-webhook="${otherHook.id}"]`).waitFor();
    await shot(page, '2-environments');

    await sectionA.locator(`tr[data-webhook="${okHook.id}"] a`).first().click();
    const delivery = page.locator('tr[data-delivery]').filter({ hasText: 'vendor.created' });
    await delivery.first().waitFor();
    // The newest delivery opens with its attempts; the toggle works from the keyboard.
    const toggle = delivery.first().getByRole('button', { name: 'Hide attempts' });
    await page.locator('tr[data-attempt="1"]').waitFor();
    await toggle.focus();
    await page.keyboard.press('Enter');
    await page.locator('tr[data-attempt="1"]').waitFor({ state: 'detached' });
    // Focus stays on the toggle across the re-render: Enter again opens it.
    await delivery.first().getByRole('button', { name: 'Show attempts' }).waitFor();
    expect(await page.evaluate<string>('document.activeElement.textContent')).toBe('Show attempts');
    await page.keyboard.press('Enter');
    const attempt = page.locator('tr[data-attempt="1"]');
    await attempt.waitFor();
    expect(await attempt.textContent()).toContain('200');
    await expect.poll(() => page.locator('tr[data-delivery]').first().textContent()).toContain(eventId);
    await shot(page, '3-webhook');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('retries a failed delivery and shows attempt 2 arrive', async () => {
    const { page, problems, context } = await openPage(stack);
    await signIn(page, stack.base, ADMIN_KEY);
    await page.goto(`${stack.base}/console#/env/${envA}/webhooks/${failHook.id}`);
    const row = page.locator('tr[data-delivery]').filter({ hasText: 'vendor.created' }).first();
    await waitFor(
      async () => {
        await page.locator('#refresh-log').click();
        return (await row.getAttribute('data-status', { timeout: 2_000 }).catch(() => null)) === 'failed';
      },
      { timeout: 30_000, interval: 1_000, message: 'the delivery to /fail is shown as failed' },
    );
    const deliveryId = (await row.getAttribute('data-delivery'))!;
    failing = false;
    await row.getByRole('button', { name: `Retry delivery ${deliveryId}` }).click();
    await page.getByText(`Delivery ${deliveryId} queued again: attempt 2`).waitFor();
    // The log refreshes itself while the delivery is pending; attempt 2 appears with the 200.
    const second = page.locator(`#att-${deliveryId} tr[data-attempt="2"]`);
    await second.waitFor({ timeout: 30_000 });
    expect(await second.textContent()).toContain('200');
    expect(await page.locator(`#att-${deliveryId} tr[data-attempt="1"]`).textContent()).toContain('503');
    await expect
      .poll(() => page.locator(`tr[data-delivery="${deliveryId}"]`).getAttribute('data-status'), {
        timeout: 15_000,
      })
      .toBe('succeeded');
    await waitFor(() => rx.at('/fail').some((x) => x.headers['coverbase-delivery-attempt'] === '2'));
    await shot(page, '4-delivery-retried');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('rotates the secret: the new one is shown once with a copy button, and a test send is signed with it', async () => {
    const { page, problems, context } = await openPage(stack);
    await signIn(page, stack.base, ADMIN_KEY);
    await page.goto(`${stack.base}/console#/env/${envA}/webhooks/${okHook.id}`);
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate the signing secret?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Rotate secret' }).click();
    const secretBox = page.getByLabel('New signing secret');
    await secretBox.waitFor();
    const secret = await secretBox.inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    await page.getByRole('button', { name: 'Copy' }).waitFor();
    await expect
      .poll(() => page.locator('dl.settings').textContent())
      .toContain('Previous secret signs until');
    expect(await page.locator('dl.settings').textContent()).not.toContain('one secret');
    await shot(page, '5-secret-rotated');
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByLabel('New signing secret').count()).toBe(0);

    // A test event sent from the page is signed with the new secret too (and the old one, during the
    // overlap). Senders cache a webhook for 500 ms here, so a send right after the rotation may still
    // carry only the old signature: send again until one is signed with the new secret.
    const seen = new Set<string>();
    const signed = await waitFor(
      async () => {
        await page.getByRole('button', { name: 'Send test event' }).click();
        await page.getByText(/Test event evt_test_\w+ queued as delivery dlv_/).waitFor();
        const sent = await waitFor(() =>
          rx.at('/ok').find((x) => x.headers['coverbase-event-type'] === 'webhook.test' && !seen.has(x.body)),
        );
        seen.add(sent.body);
        const header = String(sent.headers['coverbase-signature']);
        try {
          verify({ header, body: sent.body, secrets: secret, nowSec: Math.floor(Date.now() / 1000) });
          return header;
        } catch {
          return null;
        }
      },
      { timeout: 20_000, interval: 600, message: 'a test send signed with the new secret' },
    );
    expect(signed.match(/v1=/g)).toHaveLength(2); // the new secret and the previous one
    await page.reload();
    await page.locator('dl.settings').waitFor();
    expect(await page.content()).not.toContain(secret);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('disables and enables, edits event types, and confirms a replay with how many it will send', async () => {
    const { page, problems, context } = await openPage(stack);
    await signIn(page, stack.base, ADMIN_KEY);
    await page.goto(`${stack.base}/console#/env/${envA}/webhooks/${okHook.id}`);
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByText('Webhook disabled').waitFor();
    await expect.poll(() => page.locator('dl.settings').textContent()).toContain('disabled manual');
    await page.goto(`${stack.base}/console#/env/${envA}`);
    await expect
      .poll(() => page.locator(`tr[data-webhook="${okHook.id}"]`).textContent())
      .toContain('disabled manual');
    await page.goto(`${stack.base}/console#/env/${envA}/webhooks/${okHook.id}`);
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByText('Webhook enabled.').waitFor();

    await page.getByText('Edit event types').click();
    await page.getByLabel('vendor.*').uncheck();
    await page.getByLabel('vendor.created', { exact: true }).check();
    await page.getByLabel('assessment.*').check();
    await page.getByRole('button', { name: 'Save event types' }).click();
    await page.getByText('Event types saved: assessment.*, vendor.created.').waitFor();
    expect(
      (await stack.call('GET', `/v1/environments/${envA}/webhooks/${okHook.id}`)).json.event_types,
    ).toEqual(['assessment.*', 'vendor.created']);

    // The /fail webhook's first delivery failed; after the retry it succeeded: nothing to replay.
    await page.goto(`${stack.base}/console#/env/${envA}/webhooks/${failHook.id}`);
    await page.getByRole('button', { name: 'Replay failed…' }).click();
    await page.getByText(/nothing to replay/).waitFor();
    // A second event fails (the receiver fails again): the confirmation counts it.
    failing = true;
    await publish(r, stack.p.eventTopic, [
      {
        event_id: uniqueName('evt_replay'),
        event_type: 'vendor.status_changed',
        environment: envA,
        data: {},
      },
    ]);
    await waitFor(
      async () =>
        (await stack.call('GET', `/v1/environments/${envA}/webhooks/${failHook.id}/deliveries?status=failed`))
          .json.data.length === 1,
      { timeout: 30_000, message: 'a failed delivery to /fail' },
    );
    failing = false;
    await page.getByRole('button', { name: 'Replay failed…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Replay 1 failed delivery?' });
    await dialog.waitFor();
    await shot(page, '6-replay-confirmation');
    await dialog.getByRole('button', { name: 'Replay 1' }).click();
    await page.getByText('1 delivery queued again.').waitFor();
    await waitFor(
      async () =>
        (
          await stack.call(
            'GET',
            `/v1/environments/${envA}/webhooks/${failHook.id}/deliveries?status=succeeded`,
          )
        ).json.data.length === 2,
      { timeout: 30_000, message: 'the replayed delivery succeeded' },
    );
    expect(problems).toEqual([]);
    await context.close();
  });

  it('says what happened on a 503 and when the API cannot be reached', async () => {
    const { page, context } = await openPage(stack);
    await signIn(page, stack.base, ADMIN_KEY);
    await page.route('**/v1/environments', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({
          error: { code: 'STORE_UNAVAILABLE', message: 'MongoDB is unreachable; try again later' },
        }),
      }),
    );
    await page.goto(`${stack.base}/console#/env/${envA}`);
    const alert = page.getByRole('alert').filter({ hasText: 'Service unavailable (503)' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('MongoDB is unreachable');
    await shot(page, '9-error-503');
    await page.unroute('**/v1/environments');
    await page.route('**/v1/environments', (route) => route.abort('timedout'));
    await alert.getByRole('button', { name: 'Try again' }).click();
    await page.getByRole('alert').filter({ hasText: 'could not be reached' }).waitFor();
    await page.unroute('**/v1/environments');
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.locator(`section[data-env="${envA}"]`).waitFor();
    await context.close();
  });

  it('shows consumer lag per tier and the last hour of attempts as an SVG chart', async () => {
    const { page, problems, context } = await openPage(stack);
    await signIn(page, stack.base, ADMIN_KEY);
    await page.getByRole('link', { name: 'Operations' }).click();
    await page.locator('tr[data-stage="deliveries"]').waitFor({ timeout: 30_000 });
    await page.locator('tr[data-stage="2s"]').waitFor();
    await page.locator('svg.chart polyline.s-attempts').waitFor();
    const summary = await page.locator('svg.chart').getAttribute('aria-label');
    expect(summary).toMatch(/Last 60 minutes: [1-9]\d* attempts/);
    await shot(page, '7-operations');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('a scoped key sees only its own environment, and the page says so', async () => {
    const minted = await stack.call('POST', '/v1/api-keys', { environment: envA });
    expect(minted.status).toBe(201);
    const { page, context } = await openPage(stack);
    await signIn(page, stack.base, minted.json.key);
    await expect
      .poll(() => page.locator('#who-text').textContent())
      .toBe(`Scoped key · environment ${envA} only`);
    await page.locator(`section[data-env="${envA}"] tr[data-webhook="${okHook.id}"]`).waitFor();
    expect(await page.locator(`section[data-env="${envB}"]`).count()).toBe(0);
    expect(await page.content()).not.toContain(otherHook.id);
    await shot(page, '8-scoped-key');
    await page.goto(`${stack.base}/console#/env/${envB}/webhooks/${otherHook.id}`);
    await page.getByRole('alert').filter({ hasText: 'Not found (404)' }).waitFor();
    await page.goto(`${stack.base}/console#/ops`);
    await page.getByText('sign in with the admin key').waitFor();
    await context.close();
  });

  it('is readable at 390 px: no sideways scrolling, tables become labelled cards', async () => {
    const { page, problems, context } = await openPage(stack, { width: 390, height: 844 });
    await signIn(page, stack.base, ADMIN_KEY);
    await page.goto(`${stack.base}/console#/env/${envA}/webhooks/${okHook.id}`);
    await page.locator('tr[data-delivery]').first().waitFor();
    // (Browser-side code as strings: this project's TypeScript has no DOM library.)
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    // Every control has an accessible name (keyboard and screen-reader users can reach and tell them apart).
    const unnamed = await page.evaluate<number>(
      `[...document.querySelectorAll('input, select, button')].filter(
        (e) => !(e.labels?.length || e.getAttribute('aria-label') || e.textContent.trim()),
      ).length`,
    );
    expect(unnamed).toBe(0);
    await shot(page, '10-webhook-390px');
    // Navigation moves focus to the page heading; the keyboard goes on from there to the actions.
    expect(await page.evaluate<string>('document.activeElement.tagName')).toBe('H1');
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement.textContent')).toBe('Send test event');
    expect(problems).toEqual([]);
    await context.close();
  });
});
