import { h } from '../dom.ts';

/**
 * Asks a yes-or-no question in a modal dialog and resolves to the answer; Escape and Cancel are no. The
 * browser's modal `<dialog>` keeps focus inside it and gives focus back to where it was when it closes.
 */
export function confirmDialog(options: { title: string; message: string; confirmLabel: string }): Promise<boolean> {
  const heading = h('h2', { id: 'confirm-dialog-title' }, options.title);
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const confirm = h('button', { type: 'button', class: 'danger' }, options.confirmLabel);
  const dialog = h(
    'dialog',
    { class: 'confirm-dialog card', 'aria-labelledby': 'confirm-dialog-title' },
    heading,
    h('p', {}, options.message),
    h('div', { class: 'dialog-actions' }, cancel, confirm),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    let answer = false;
    cancel.addEventListener('click', () => dialog.close());
    confirm.addEventListener('click', () => {
      answer = true;
      dialog.close();
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(answer);
    });
    dialog.showModal();
    // The safe answer has focus: Enter by habit must not run a tool that deletes things.
    cancel.focus();
  });
}
