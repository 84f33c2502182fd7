// One webhook: its settings, its actions (test send, enable/disable, event types, rotate secret,
// replay failed since a time) and its delivery log.
import { api, enc } from '../api.js';
import { confirmDialog } from '../dialog.js';
import { badge, h, loading, notice, replace, time, toLocalInput } from '../dom.js';
import { renderDeliveries } from './deliveries.js';

function settings(w) {
  const item = (term, ...value) => [h('dt', {}, term), h('dd', {}, ...value)];
  return h(
    'dl.settings',
    {},
    item('URL', h('code', {}, w.url)),
    item('Id', h('code', {}, w.id)),
    item('Environment', w.environment),
    item('Description', w.description ?? '—'),
    item('Event types', w.event_types.join(', ')),
    item(
      'State',
      w.enabled ? badge('enabled') : badge('disabled'),
      w.enabled ? '' : ` ${w.disabled_reason ?? 'manual'}`,
    ),
    item('Standard Webhooks headers', w.standard_webhooks ? 'yes' : 'no'),
    item('Created', time(w.created_at)),
    item('Updated', time(w.updated_at)),
    item(
      'Previous secret signs until',
      w.secret_rotated_until ? time(w.secret_rotated_until) : '— (one secret)',
    ),
  );
}

function secretReveal(secret, onDismiss) {
  const input = h('input.secret', {
    id: 'new-secret',
    type: 'text',
    readonly: true,
    value: secret,
    'aria-label': 'New signing secret',
  });
  const status = h('span.muted', { role: 'status' });
  const copy = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(secret);
          status.textContent = ' Copied.';
        } catch {
          input.select();
          status.textContent = ' Selected: press Ctrl+C (the browser refused clipboard access).';
        }
      },
    },
    'Copy',
  );
  return h(
    'div.reveal',
    { role: 'region', 'aria-label': 'New secret' },
    h(
      'p',
      {},
      h('strong', {}, 'New signing secret — shown only now. '),
      'Store it with the receiver; the previous secret keeps signing during the overlap.',
    ),
    h(
      'div.inline',
      {},
      input,
      copy,
      h('button.secondary', { type: 'button', onclick: onDismiss }, 'Done'),
      status,
    ),
  );
}

function eventTypesForm(w, subscriptions, onSave) {
  const chosen = new Set(w.event_types);
  const boxes = subscriptions.map((sub) => {
    const id = `et-${sub.replace(/[^a-z0-9]/gi, '_')}`;
    return h(
      'label.check',
      { for: id },
      h('input', { type: 'checkbox', id, value: sub, checked: chosen.has(sub) }),
      ` ${sub}`,
    );
  });
  const form = h(
    'form.event-types',
    { method: 'post' },
    h('fieldset', {}, h('legend', {}, 'Event types this webhook receives'), h('div.checks', {}, boxes)),
    h('button', { type: 'submit' }, 'Save event types'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    onSave([...form.querySelectorAll('input:checked')].map((i) => i.value));
  });
  return form;
}

export async function renderWebhook(main, ctx, env, id) {
  const path = `/v1/environments/${enc(env)}/webhooks/${enc(id)}`;
  const title = h('h1', { tabindex: '-1' }, 'Webhook');
  const crumbs = h(
    'p.crumbs',
    {},
    h('a', { href: '#/' }, 'Environments'),
    ' › ',
    h('a', { href: `#/env/${enc(env)}` }, env),
    ' › ',
    h('code', {}, id),
  );
  const body = h('div');
  replace(main, crumbs, title, body);
  await loading(body, 'Loading the webhook…', async () => {
    const [webhook, types] = await Promise.all([api('GET', path), api('GET', '/v1/event-types')]);
    if (!ctx.isCurrent()) return;
    let w = webhook;
    const settingsBox = h('section.card', { 'aria-labelledby': 'settings-title' });
    const actionsBox = h('section.card', { 'aria-labelledby': 'actions-title' });
    const logBox = h('section.card.log', { 'aria-labelledby': 'log-title' });
    const message = h('div.message');
    const reveal = h('div');
    const log = { refresh: async () => {}, watch: () => {} };

    const act = async (button, work) => {
      button.disabled = true;
      notice(message, '');
      try {
        await work();
      } catch (err) {
        notice(message, err.message, 'bad');
      } finally {
        button.disabled = false;
      }
    };
    const drawSettings = () => {
      title.textContent = `Webhook ${w.url}`;
      replace(settingsBox, h('h2', { id: 'settings-title' }, 'Settings'), settings(w));
      replace(toggle, w.enabled ? 'Disable' : 'Enable');
    };

    const testButton = h(
      'button',
      {
        type: 'button',
        onclick: () =>
          act(testButton, async () => {
            const r = await api('POST', `${path}/test`, {});
            notice(message, `Test event ${r.event_id} queued as delivery ${r.delivery_id}.`);
            log.watch();
          }),
      },
      'Send test event',
    );
    const toggle = h(
      'button.secondary',
      {
        type: 'button',
        onclick: () =>
          act(toggle, async () => {
            w = await api('PATCH', path, { enabled: !w.enabled });
            drawSettings();
            notice(
              message,
              w.enabled ? 'Webhook enabled.' : 'Webhook disabled: deliveries stop until it is enabled.',
            );
          }),
      },
      '',
    );
    const rotate = h(
      'button.secondary',
      {
        type: 'button',
        onclick: () =>
          act(rotate, async () => {
            const ok = await confirmDialog({
              title: 'Rotate the signing secret?',
              body: h(
                'p',
                {},
                'A new secret signs every delivery from now on. The current one keeps signing alongside it for the overlap (24 h by default), so the receiver can switch without losing deliveries.',
              ),
              confirm: 'Rotate secret',
              danger: true,
            });
            if (!ok) return;
            const r = await api('POST', `${path}/rotate-secret`, {});
            w = r;
            drawSettings();
            replace(
              reveal,
              secretReveal(r.secret, () => replace(reveal)),
            );
            reveal.querySelector('input')?.focus();
          }),
      },
      'Rotate secret',
    );

    const sinceInput = h('input', {
      id: 'replay-since',
      type: 'datetime-local',
      required: true,
      value: toLocalInput(new Date(Date.now() - 86_400_000)),
    });
    const replayButton = h('button.secondary', { type: 'submit' }, 'Replay failed…');
    const replayForm = h(
      'form.inline',
      { method: 'post' },
      h('label', { for: 'replay-since' }, 'Replay failed deliveries since'),
      sinceInput,
      replayButton,
    );
    replayForm.addEventListener('submit', (e) => {
      e.preventDefault();
      act(replayButton, async () => {
        const since = new Date(sinceInput.value);
        if (Number.isNaN(since.getTime())) throw new Error('Enter the time to replay from.');
        const p = await api('GET', `${path}/replay-preview?since=${enc(since.toISOString())}`);
        if (p.failed === 0) {
          notice(message, `No failed delivery since ${time(p.since)}: nothing to replay.`);
          return;
        }
        const n = Math.min(p.failed, p.max_per_replay);
        const ok = await confirmDialog({
          title: `Replay ${n} failed deliver${n === 1 ? 'y' : 'ies'}?`,
          body: h(
            'p',
            {},
            `${p.failed} deliver${p.failed === 1 ? 'y' : 'ies'} failed between ${time(p.since)} and ${time(p.until)}. `,
            p.failed > n ? `One replay sends at most ${n}; replay again for the rest. ` : '',
            'Each is sent again with its delivery id, event id and body, with a fresh 24 h retry budget.',
          ),
          confirm: `Replay ${n}`,
        });
        if (!ok) return;
        const r = await api('POST', `${path}/replay`, { since: since.toISOString(), limit: n });
        notice(message, `${r.queued} deliver${r.queued === 1 ? 'y' : 'ies'} queued again.`);
        log.watch();
      });
    });

    const typesForm = eventTypesForm(w, types.subscriptions, (chosen) => {
      const save = typesForm.querySelector('button');
      act(save, async () => {
        if (chosen.length === 0) throw new Error('Choose at least one event type.');
        w = await api('PATCH', path, { event_types: chosen });
        drawSettings();
        notice(message, `Event types saved: ${w.event_types.join(', ')}.`);
      });
    });

    replace(
      actionsBox,
      h('h2', { id: 'actions-title' }, 'Actions'),
      h('div.inline', {}, testButton, toggle, rotate),
      reveal,
      replayForm,
      h('details', {}, h('summary', {}, 'Edit event types'), typesForm),
      message,
    );
    drawSettings();
    replace(body, h('div.columns', {}, settingsBox, actionsBox), logBox);
    Object.assign(
      log,
      await renderDeliveries(logBox, {
        path,
        env,
        eventTypes: types.data,
        say: (text, kind) => notice(message, text, kind),
      }),
    );
  });
}
