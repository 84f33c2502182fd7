// A modal confirmation (native <dialog>: focus stays inside, Escape cancels).
import { h } from './dom.js';

export function confirmDialog({ title, body, confirm, danger = false }) {
  return new Promise((resolve) => {
    const ok = h(`button${danger ? '.danger' : ''}`, { type: 'button', value: 'ok' }, confirm);
    const cancel = h('button.secondary', { type: 'button', value: 'cancel' }, 'Cancel');
    const dialog = h(
      'dialog.card',
      { 'aria-labelledby': 'dialog-title', 'aria-describedby': 'dialog-body' },
      h('h2', { id: 'dialog-title' }, title),
      h('div', { id: 'dialog-body' }, body),
      h('div.actions', {}, ok, cancel),
    );
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    ok.addEventListener('click', () => done(true));
    cancel.addEventListener('click', () => done(false));
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
