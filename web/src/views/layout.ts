import { publicApi, session } from '../api.ts';
import { h, type Child } from '../dom.ts';
import { navigate } from '../router.ts';
import { notificationSettings } from '../pwa/notificationSettings.ts';
import { stopPushOnSignOut } from '../pwa/pushDevice.ts';

/** The page frame: brand, navigation and the signed-in person (or nothing, for public share pages). */
export function shell(...content: Child[]): HTMLElement {
  const current = session.get();
  const signOut = async () => {
    const refreshToken = session.get()?.refreshToken;
    // Whoever uses this browser next must not get this person's notifications.
    await stopPushOnSignOut();
    session.clear();
    if (refreshToken) await publicApi('POST', '/api/auth/logout', { body: { refreshToken } }).catch(() => undefined);
    navigate('/login');
  };
  return h(
    'div',
    { class: 'shell' },
    h(
      'header',
      { class: 'topbar' },
      h('a', { href: '/', class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '◆'), 'TwinMCP Collab'),
      current
        ? h(
            'nav',
            {},
            h('a', { href: '/' }, 'Conversations'),
            h('a', { href: '/workspaces' }, 'Workspaces'),
            h('span', { class: 'who', title: current.user.email }, current.user.name),
            h(
              'details',
              { class: 'settings-menu' },
              h('summary', {}, 'Settings'),
              h('div', { class: 'settings-panel' }, notificationSettings()),
            ),
            h('button', { type: 'button', class: 'link', onclick: () => void signOut() }, 'Sign out'),
          )
        : null,
    ),
    h('main', { class: 'page' }, ...content),
  );
}

/** A short error line that forms fill in. */
export function errorLine(): HTMLParagraphElement {
  return h('p', { class: 'error', role: 'alert', hidden: true });
}

export function showError(line: HTMLElement, message: string | null): void {
  line.hidden = !message;
  line.textContent = message ?? '';
}
