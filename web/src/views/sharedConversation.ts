import { ApiError, publicApi, type ShareView } from '../api.ts';
import { colorFor } from '../collab.ts';
import { formValues, h, replaceChildren } from '../dom.ts';
import type { View } from '../router.ts';
import { errorLine, shell, showError } from './layout.ts';
import { roomView } from './room.ts';

const PERMISSION_TEXT = { read: 'View only', comment: 'View only (comments)', edit: 'Can edit' } as const;

/**
 * A share link, no account needed: opens the link (asking for its password when it has one) and shows
 * the conversation live with the share token, read-only unless the link allows editing. The opened view
 * is kept for the tab's session, so a reload does not spend another of the link's views.
 */
export function sharedConversationView(shareId: string): View {
  const frame = h('div', { class: 'shared' });
  const el = shell(frame);
  let room: View | undefined;
  const cacheKey = `twinmcp.share.${shareId}`;

  async function open(password?: string): Promise<void> {
    const cached = readCached(cacheKey);
    if (cached && !password) return show(cached);
    try {
      const { data } = await publicApi('POST', '/api/share/{id}/view', { params: { id: shareId }, body: password ? { password } : {} });
      sessionStorage.setItem(cacheKey, JSON.stringify(data));
      show(data);
    } catch (failure) {
      if (failure instanceof ApiError && (failure.code === 'password_required' || failure.code === 'invalid_password'))
        return askPassword(failure.code === 'invalid_password');
      const message =
        failure instanceof ApiError && failure.status === 404
          ? 'This link does not work: it may have been revoked, have expired or have been used up.'
          : failure instanceof ApiError && failure.code === 'rate_limited'
            ? 'Too many wrong passwords. Try again later.'
            : 'The link could not be opened.';
      replaceChildren(
        frame,
        h('section', { class: 'card auth' }, h('h1', {}, 'Link unavailable'), h('p', { class: 'error', role: 'alert' }, message)),
      );
    }
  }

  function askPassword(wrong: boolean): void {
    const error = errorLine();
    showError(error, wrong ? 'That password is not right.' : null);
    const submit = (event: SubmitEvent) => {
      event.preventDefault();
      void open(formValues(event.currentTarget as HTMLFormElement).password);
    };
    replaceChildren(
      frame,
      h(
        'section',
        { class: 'card auth' },
        h('h1', {}, 'Password required'),
        h('p', { class: 'hint' }, 'Whoever shared this conversation protected it with a password.'),
        h(
          'form',
          { onsubmit: submit },
          h('label', {}, 'Password', h('input', { name: 'password', type: 'password', required: true, autofocus: true })),
          error,
          h('button', { type: 'submit', class: 'primary' }, 'Open'),
        ),
      ),
    );
  }

  function show(view: ShareView): void {
    const guestId = `guest-${crypto.randomUUID()}`;
    room = roomView({
      conversationId: view.conversation.id,
      title: view.conversation.title,
      user: { id: guestId, name: 'Guest', color: colorFor(guestId) },
      token: async () => view.token,
      mayEdit: view.permission === 'edit',
      mayPost: false,
      initialMessages: view.messages,
      knownNames: new Map(),
      kicker: h('span', { class: 'badge', 'data-permission': view.permission }, `Shared link · ${PERMISSION_TEXT[view.permission]}`),
    });
    replaceChildren(frame, room.el);
  }

  void open();
  return { el, destroy: () => room?.destroy?.() };
}

function readCached(key: string): ShareView | null {
  try {
    const view = JSON.parse(sessionStorage.getItem(key) ?? 'null') as ShareView | null;
    return view && new Date(view.expiresAt).getTime() > Date.now() + 10_000 ? view : null;
  } catch {
    return null;
  }
}
