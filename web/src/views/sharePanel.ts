import { api, ApiError, type Permission, type Share } from '../api.ts';
import { formatTime, formValues, h, replaceChildren } from '../dom.ts';
import { errorLine, showError } from './layout.ts';

const PERMISSION_LABELS: Record<Permission, string> = { read: 'Can read', comment: 'Can comment', edit: 'Can edit' };

/** Share links for a conversation you manage: create one (and see its QR code), list them, revoke them. */
export function sharePanel(conversationId: string): HTMLElement {
  const error = errorLine();
  const created = h('div', { class: 'created-share' });
  const list = h('ul', { class: 'list shares' });

  async function refresh(): Promise<void> {
    const shares = await api('GET', '/api/share', { query: { conversationId, limit: 100 } }).catch(() => null);
    if (!shares) return;
    replaceChildren(list, ...shares.data.map(shareRow));
  }

  function shareRow(share: Share): HTMLElement {
    const facts = [
      PERMISSION_LABELS[share.permission],
      share.hasPassword ? 'password' : null,
      share.expiresAt ? `until ${formatTime(share.expiresAt)}` : null,
      `${share.viewCount}${share.maxViews ? `/${share.maxViews}` : ''} views`,
    ].filter(Boolean);
    const revoke = async () => {
      await api('DELETE', '/api/share/{id}', { params: { id: share.id } }).catch(() => undefined);
      await refresh();
    };
    return h(
      'li',
      { class: share.revokedAt ? 'share revoked' : 'share', 'data-share-id': share.id },
      h('a', { href: share.url, target: '_blank', rel: 'noopener', class: 'share-url' }, `/share/${share.id.slice(0, 8)}…`),
      h('span', { class: 'muted' }, share.revokedAt ? 'revoked' : facts.join(' · ')),
      share.revokedAt ? null : h('button', { type: 'button', class: 'danger small', onclick: () => void revoke() }, 'Revoke'),
    );
  }

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
      const { data } = await api('POST', '/api/share', { body });
      replaceChildren(
        created,
        h('img', { src: data.qrCode, alt: 'QR code of the share link', class: 'qr', width: 160, height: 160 }),
        h('label', {}, 'Link', h('input', { readOnly: true, value: data.url, class: 'share-link', onfocus: (e: Event) => (e.target as HTMLInputElement).select() })),
        h('button', { type: 'button', class: 'small', onclick: () => void navigator.clipboard?.writeText(data.url) }, 'Copy link'),
      );
      form.reset();
      await refresh();
    } catch (failure) {
      showError(error, failure instanceof ApiError ? failure.message : 'Could not create the link.');
    }
  };

  void refresh();
  return h(
    'aside',
    { class: 'card share-panel' },
    h('h2', {}, 'Share'),
    h(
      'form',
      { onsubmit: submit, class: 'stack' },
      h('label', {}, 'Permission', h('select', { name: 'permission' }, ...(['read', 'comment', 'edit'] as const).map((p) => h('option', { value: p }, PERMISSION_LABELS[p])))),
      h('label', {}, 'Password (optional)', h('input', { name: 'password', type: 'password', minLength: 8, maxLength: 256, autocomplete: 'new-password' })),
      h('label', {}, 'Expires (optional)', h('input', { name: 'expiresAt', type: 'datetime-local' })),
      h('label', {}, 'View limit (optional)', h('input', { name: 'maxViews', type: 'number', min: 1, inputMode: 'numeric' })),
      error,
      h('button', { type: 'submit', class: 'primary' }, 'Create link'),
    ),
    created,
    list,
  );
}
