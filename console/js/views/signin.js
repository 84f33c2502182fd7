// Sign-in: the API key goes to sessionStorage (this tab only) and is checked with GET /v1/session.
import { ApiError, api, session } from '../api.js';
import { h, replace } from '../dom.js';

export function renderSignIn(main, { reason, onSignedIn }) {
  const message = h('p.form-message', { id: 'signin-message', role: 'alert' }, reason ?? '');
  const input = h('input', {
    id: 'api-key',
    name: 'api-key',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'signin-help signin-message',
  });
  const button = h('button', { type: 'submit' }, 'Sign in');
  // method=post and the CSP's form-action 'none': even without this script the key never goes into a URL.
  const form = h(
    'form.card.signin',
    { method: 'post', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title', tabindex: '-1' }, 'Sign in'),
    h('label', { for: 'api-key' }, 'API key'),
    input,
    h(
      'p.help',
      { id: 'signin-help' },
      'The admin key (HOOKSTREAM_ADMIN_API_KEY) sees every environment; a key made with POST /v1/api-keys sees only its own. ',
      'The key is kept in this tab only (sessionStorage) and sent as an Authorization header.',
    ),
    button,
    message,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const key = input.value.trim();
    if (key === '') {
      message.textContent = 'Enter an API key.';
      return;
    }
    button.disabled = true;
    message.textContent = '';
    replace(button, 'Signing in…');
    session.set(key);
    try {
      const principal = await api('GET', '/v1/session');
      await onSignedIn(principal);
    } catch (err) {
      session.clear();
      if (err instanceof ApiError && err.status === 401) {
        // api() already re-rendered this form through the unauthorized handler; say why there.
        const again = document.getElementById('signin-message');
        if (again) again.textContent = 'That API key is not valid.';
        return;
      }
      message.textContent = err.message;
      button.disabled = false;
      replace(button, 'Sign in');
    }
  });
  replace(main, form);
  input.focus();
}
