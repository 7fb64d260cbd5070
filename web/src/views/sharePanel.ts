import { api, ApiError, type CreatedShare, type Permission } from '../api.ts';
import { sendKept } from '../offline/outbox.ts';
import { formValues, h, replaceChildren } from '../dom.ts';
import { pollWhileVisible } from '../poll.ts';
import type { View } from '../router.ts';
import { errorLine, showError } from './layout.ts';
import { PERMISSION_LABELS, shareList } from './shareList.ts';

/**
 * How often the list is read again while it is on screen. Views are counted in batches written about
 * every second (SHARE_VIEW_FLUSH_MS), so a few seconds is as fresh as the counts get without hammering.
 */
const REFRESH_EVERY_MS = 5_000;

/**
 * Share links for a conversation you manage: create one (and see its QR code), list them with their
 * view counts kept current while the panel is on screen, revoke them.
 */
export function sharePanel(conversationId: string): View {
  const error = errorLine();
  const created = h('div', { class: 'created-share' });
  const list = shareList((share) => {
    void api('DELETE', '/api/share/{id}', { params: { id: share.id } })
      .catch(() => undefined)
      .then(() => poll.now());
  });

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const values = formValues(form);
    showError(error, null);
    try {
      const body = {
        conversationId,
        permission: values.permission as Permission,
        ...(values.password ? { password: values.password } : {}),
        ...(values.expiresAt ? { expiresAt: new Date(values.expiresAt).toISOString() } : {}),
        ...(values.maxViews ? { maxViews: Number(values.maxViews) } : {}),
      };
      const kept = await sendKept({
        kind: 'createShare',
        path: '/api/share',
        body,
        conversationId,
        summary: `Share link (${PERMISSION_LABELS[body.permission].toLowerCase()})`,
      });
      // Kept with its idempotency key: created once, whenever the network lets it through.
      form.reset();
      if (!navigator.onLine)
        replaceChildren(created, h('p', { class: 'hint' }, 'Offline: the link will be created when you are back online.'));
      const settled = await kept.settled;
      if (settled.kind === 'failed') return showError(error, settled.failure.message);
      // Created, but the answer (the only copy of the link's token) was lost to a server failover.
      if (settled.data === undefined)
        return showError(error, 'The link was created, but the server lost its answer: revoke it below and create another.');
      await showCreated(settled.data as CreatedShare);
    } catch (failure) {
      showError(error, failure instanceof ApiError ? failure.message : 'Could not create the link.');
    }
  };

  async function showCreated(data: CreatedShare): Promise<void> {
    replaceChildren(
      created,
      h('img', { src: data.qrCode, alt: 'QR code of the share link', class: 'qr', width: 160, height: 160 }),
      h(
        'label',
        {},
        'Link',
        h('input', {
          readOnly: true,
          value: data.url,
          class: 'share-link',
          onfocus: (e: Event) => (e.target as HTMLInputElement).select(),
        }),
      ),
      h('button', { type: 'button', class: 'small', onclick: () => void navigator.clipboard?.writeText(data.url) }, 'Copy link'),
    );
    await poll.now();
  }

  const el = h(
    'aside',
    { class: 'card share-panel' },
    h('h2', {}, 'Share'),
    h(
      'form',
      { onsubmit: submit, class: 'stack' },
      h(
        'label',
        {},
        'Permission',
        h(
          'select',
          { name: 'permission' },
          ...(['read', 'comment', 'edit'] as const).map((p) => h('option', { value: p }, PERMISSION_LABELS[p])),
        ),
      ),
      h(
        'label',
        {},
        'Password (optional)',
        h('input', { name: 'password', type: 'password', minLength: 8, maxLength: 256, autocomplete: 'new-password' }),
      ),
      h('label', {}, 'Expires (optional)', h('input', { name: 'expiresAt', type: 'datetime-local' })),
      h('label', {}, 'View limit (optional)', h('input', { name: 'maxViews', type: 'number', min: 1, inputMode: 'numeric' })),
      error,
      h('button', { type: 'submit', class: 'primary' }, 'Create link'),
    ),
    created,
    list.el,
  );
  // Reads the list at once when the panel shows, then keeps its view counts current.
  const poll = pollWhileVisible(
    el,
    async () => list.show((await api('GET', '/api/share', { query: { conversationId, limit: 100 } })).data),
    REFRESH_EVERY_MS,
  );
  return { el, destroy: () => poll.stop() };
}
