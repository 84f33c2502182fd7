// The console's entry: sign-in, the header (who is signed in, and what that key sees), and a
// hash router — #/ (environments), #/env/<env>, #/env/<env>/webhooks/<id>, #/ops. The key never
// appears in a URL: it lives in sessionStorage (gone when the tab closes).
import { ApiError, api, session, whenUnauthorized } from './api.js';
import { h, replace } from './dom.js';
import { renderEnvironments } from './views/environments.js';
import { renderOps } from './views/ops.js';
import { renderSignIn } from './views/signin.js';
import { renderWebhook } from './views/webhook.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const whoText = document.getElementById('who-text');

/** { kind: 'admin' | 'environment', environment } once signed in. */
let principal = null;

function showSignedIn(p) {
  principal = p;
  nav.hidden = false;
  who.hidden = false;
  whoText.textContent =
    p.kind === 'admin' ? 'Admin key · every environment' : `Scoped key · environment ${p.environment} only`;
  whoText.dataset.kind = p.kind;
}

function signOut(reason) {
  session.clear();
  principal = null;
  nav.hidden = true;
  who.hidden = true;
  renderSignIn(main, { reason, onSignedIn });
}

async function onSignedIn(p) {
  showSignedIn(p);
  await route();
}

document.getElementById('sign-out').addEventListener('click', () => signOut('Signed out.'));
whenUnauthorized((err) => signOut(err.message));

function parseRoute(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { view: 'environments' };
  if (parts[0] === 'ops' && parts.length === 1) return { view: 'ops' };
  if (parts[0] === 'env' && parts.length === 2) return { view: 'environments', env: parts[1] };
  if (parts[0] === 'env' && parts[2] === 'webhooks' && parts.length === 4) {
    return { view: 'webhook', env: parts[1], id: parts[3] };
  }
  return { view: 'unknown' };
}

let generation = 0;

async function route() {
  if (!principal) return;
  const r = parseRoute(location.hash);
  const mine = ++generation;
  for (const a of nav.querySelectorAll('a')) {
    const current = a.dataset.nav === (r.view === 'ops' ? 'ops' : 'environments');
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const ctx = { principal, isCurrent: () => mine === generation };
  if (r.view === 'environments') await renderEnvironments(main, ctx, r.env);
  else if (r.view === 'webhook') await renderWebhook(main, ctx, r.env, r.id);
  else if (r.view === 'ops') await renderOps(main, ctx);
  else
    replace(
      main,
      h('h1', {}, 'Not found'),
      h('p', {}, 'No such page. '),
      h('a', { href: '#/' }, 'Back to environments'),
    );
  // Move focus to the new page's heading, so keyboard and screen-reader users land on it.
  if (mine === generation) main.querySelector('h1')?.focus?.();
}

window.addEventListener('hashchange', () => void route());

async function start() {
  if (!session.key) {
    renderSignIn(main, { onSignedIn });
    return;
  }
  try {
    showSignedIn(await api('GET', '/v1/session'));
    await route();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return; // signOut already showed the form
    renderSignIn(main, { reason: err.message, onSignedIn });
  }
}

void start();
