import { registerSW } from 'virtual:pwa-register';
import { h } from '../dom.ts';
import { PUSH_SUBSCRIPTION_CHANGED } from './messages.ts';
import { resyncPush } from './pushDevice.ts';

/** How often an open app asks the server whether a new version was deployed. */
const UPDATE_CHECK_MS = 60 * 60 * 1000;

/**
 * Registers the service worker (sw.ts). A new version installs in the background and waits; the app
 * then offers "A new version is available — Reload", and only Reload activates it and reloads the page
 * once (vite-plugin-pwa sends SKIP_WAITING, then reloads when the new worker takes control), so nobody
 * loses a half-typed message to an update they did not ask for.
 */
export function startServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  let isReloading = false;
  const reloadOnce = () => {
    if (isReloading) return;
    isReloading = true;
    location.reload();
  };
  const updateServiceWorker = registerSW({
    onNeedRefresh: () =>
      showUpdatePrompt(() => {
        // The plugin reloads only for a version it found itself; one found by a later update check (or by
        // another tab) takes control without its notice, so the page also reloads when the controller changes.
        navigator.serviceWorker.addEventListener('controllerchange', reloadOnce, { once: true });
        void updateServiceWorker(true);
      }),
    onNeedReload: reloadOnce,
    onRegisteredSW: (_url, registration) => {
      if (!registration) return;
      setInterval(() => void registration.update().catch(() => undefined), UPDATE_CHECK_MS);
    },
  });
  navigator.serviceWorker.addEventListener('message', (event) => {
    if ((event.data as { type?: unknown } | null)?.type === PUSH_SUBSCRIPTION_CHANGED) void resyncPush().catch(() => undefined);
  });
  void resyncPush().catch(() => undefined);
}

function showUpdatePrompt(reload: () => void): void {
  if (document.querySelector('.update-prompt')) return;
  const button = h('button', { type: 'button', class: 'primary' }, 'Reload');
  button.addEventListener('click', () => {
    button.disabled = true;
    reload();
  });
  // Outside #app, so the router's page changes leave it in place; a polite status, announced once.
  document.body.append(
    h('div', { class: 'update-prompt', role: 'status', 'aria-live': 'polite' }, h('span', {}, 'A new version is available'), button),
  );
}
