// Environments and their webhooks, each with its health over the last 24 h.
import { api, enc } from '../api.js';
import { badge, errorBox, h, loading, percent, relative, replace, row, table, time } from '../dom.js';

const COLUMNS = [
  'Webhook',
  'Event types',
  'State',
  'Success (24 h)',
  'Attempts (24 h)',
  'Last status',
  'Next retry',
];

function webhookRow(env, { webhook: w, health }) {
  const href = `#/env/${enc(env)}/webhooks/${enc(w.id)}`;
  const state = w.enabled
    ? badge('enabled', 'enabled')
    : h('span', {}, badge('disabled', 'disabled'), h('span.why', {}, ` ${w.disabled_reason ?? 'manual'}`));
  return row(
    COLUMNS,
    [
      h(
        'span.stack',
        {},
        h('a.strong', { href }, w.url),
        h('code.muted', {}, w.id),
        w.description ? h('span.muted', {}, w.description) : null,
      ),
      w.event_types.join(', '),
      state,
      percent(health.success_rate),
      String(health.attempts),
      health.last_status
        ? h(
            'span',
            {},
            badge(health.last_status),
            h('span.muted', {}, ` ${relative(health.last_delivery_at)}`),
          )
        : 'no deliveries',
      health.next_retry_at
        ? h('span', { title: time(health.next_retry_at) }, relative(health.next_retry_at))
        : '—',
    ],
    { 'data-webhook': w.id },
  );
}

async function renderEnvironment(section, env) {
  const body = h('div');
  section.append(body);
  await loading(body, `Loading the webhooks of ${env}…`, async () => {
    const health = await api('GET', `/v1/environments/${enc(env)}/health`);
    if (health.data.length === 0) {
      replace(
        body,
        h(
          'p.empty',
          {},
          `No webhooks in ${env} yet. Register one with POST /v1/environments/${env}/webhooks or hookstream webhooks create.`,
        ),
      );
      return;
    }
    replace(
      body,
      h(
        'div.table-wrap',
        {},
        table(
          null,
          COLUMNS,
          health.data.map((x) => webhookRow(env, x)),
          'webhooks',
        ),
      ),
      h('p.muted.small', {}, `Health counts attempts since ${time(health.window_start)}.`),
    );
  });
}

export async function renderEnvironments(main, ctx, only) {
  const title = h('h1', { tabindex: '-1' }, only ? `Environment ${only}` : 'Environments');
  const scope =
    ctx.principal.kind === 'admin'
      ? h('p.scope', {}, 'Signed in with the admin key: every environment is shown.')
      : h(
          'p.scope',
          {},
          'Signed in with a key scoped to ',
          h('strong', {}, ctx.principal.environment),
          ': only that environment is shown.',
        );
  const list = h('div');
  replace(main, title, scope, list);
  await loading(list, 'Loading environments…', async () => {
    const { data } = await api('GET', '/v1/environments');
    if (!ctx.isCurrent()) return;
    const envs = only ? data.filter((e) => e.name === only) : data;
    if (only && envs.length === 0) {
      replace(
        list,
        errorBox(new Error(`Environment ${only} is not visible with this key (or has no webhooks).`)),
      );
      return;
    }
    if (envs.length === 0) {
      replace(list, h('p.empty', {}, 'No environments yet: an environment appears once it has a webhook.'));
      return;
    }
    replace(list);
    for (const e of envs) {
      const heading = h(
        'h2',
        {},
        h('a', { href: `#/env/${enc(e.name)}` }, e.name),
        h('span.count', {}, ` ${e.webhooks} webhook${e.webhooks === 1 ? '' : 's'}`),
      );
      const section = h(
        'section.env',
        { 'aria-label': `Environment ${e.name}`, 'data-env': e.name },
        heading,
      );
      list.append(section);
    }
    await Promise.all(envs.map((e, i) => renderEnvironment(list.children[i], e.name)));
  });
}
