import { h, replaceChildren } from '../dom.ts';
import type { Outbox, OutboxAction } from './outbox.ts';

const KIND_LABELS: Record<OutboxAction['kind'], string> = {
  postMessage: 'Message',
  createShare: 'Share link',
  acceptInvitation: 'Invitation',
};

/**
 * "Couldn't send": the actions the server refused for good (a deleted conversation, a permission
 * taken away), each with the server's reason and Retry / Discard. Hidden while there are none.
 */
export function unsentPanel(outbox: Outbox): { el: HTMLElement; show(failed: OutboxAction[]): void } {
  const list = h('ul', { class: 'unsent-list' });
  const el = h('section', { class: 'card unsent', hidden: true, 'aria-label': "Couldn't send" }, h('h2', {}, "Couldn't send"), list);
  return {
    el,
    show(failed) {
      el.hidden = failed.length === 0;
      replaceChildren(
        list,
        ...failed.map((action) =>
          h(
            'li',
            { class: 'unsent-action', 'data-key': action.key },
            h('p', { class: 'unsent-summary' }, h('strong', {}, `${KIND_LABELS[action.kind]}: `), action.summary),
            h('p', { class: 'error' }, action.failure?.message ?? ''),
            h(
              'div',
              { class: 'unsent-buttons' },
              h('button', { type: 'button', class: 'small', onclick: () => void outbox.retry(action.key) }, 'Retry'),
              h('button', { type: 'button', class: 'small', onclick: () => void outbox.discard(action.key) }, 'Discard'),
            ),
          ),
        ),
      );
    },
  };
}
